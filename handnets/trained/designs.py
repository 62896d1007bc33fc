"""Hand-built ReLU RNNs whose behaviour is known exactly: the proof's test cases and the doctests' examples."""

from __future__ import annotations

import numpy as np

from handnets.trained.model import Layer, TrainedRNN

__all__ = ["hand_relu_adder"]


def hand_relu_adder(*, carry_gain: float = 1.0, output_bias: float = -0.5) -> TrainedRNN:
    """An exact ReLU adder: with s = a_t + b_t + carry, the units are relu(s), relu(s - 1), relu(s - 2).

    The carry is unit 2 minus unit 3 (1 iff s >= 2) and the digit s - 2*carry (the parity), so the
    reachable hidden states are the four points (s, max(s-1, 0), max(s-2, 0)), s = 0..3, and every
    logit is +-1/2. ``carry_gain`` scales the carry fed back (0 forgets the carry: the digits are then
    a XOR b); ``output_bias`` 0 puts every 0 digit's logit at exactly 0.

    >>> hand_relu_adder().digits([(1, 0), (1, 1), (0, 0)])   # a = 3, b = 2, LSB first: 5 = 101
    [1, 0, 1]
    """
    g = carry_gain
    return TrainedRNN(
        layers=(
            Layer(
                W_ih=np.ones((3, 2)),  # every unit reads a_t + b_t
                W_hh=np.array([[0, g, -g]] * 3),  # ... plus the carry, unit 2 - unit 3
                b_ih=np.array([0.0, -1.0, -2.0]),  # relu(s), relu(s - 1), relu(s - 2)
                b_hh=np.zeros(3),
            ),
        ),
        W_out=np.array([[1.0, -2.0, 2.0]]),  # s - 2 carry: the parity
        b_out=np.array([output_bias]),
        source="hand-built ReLU adder",
    )
