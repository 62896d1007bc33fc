"""Built-in hand designs of threshold networks."""

from __future__ import annotations

from fractions import Fraction

from handnets.threshold.network import ThresholdRNN

__all__ = ["classic_adder"]

_HALF = Fraction(1, 2)


def classic_adder() -> ThresholdRNN:
    """The classic 3-unit binary adder: units count how many of a_t, b_t and the carry are 1.

    Unit 2 ("at least two") is the carry into the next step; the output is the parity
    unit1 - unit2 + unit3. Every threshold sits halfway between two integers, so the margin is 1/2
    and the design is right under both step conventions.

    >>> [s.y[0] for s in classic_adder().run([(1, 1), (0, 0)])]  # 1 + 1 = 10 in binary, LSB first
    [0, 1]
    """
    return ThresholdRNN.from_rows(
        W_xh=[
            [1, 1],  # unit 1 reads a_t + b_t
            [1, 1],  # unit 2 reads a_t + b_t
            [1, 1],  # unit 3 reads a_t + b_t
        ],
        W_hh=[
            [0, 1, 0],  # each unit also reads the carry: unit 2 of the previous step
            [0, 1, 0],
            [0, 1, 0],
        ],
        b_h=[
            -_HALF,  # unit 1 fires iff at least one of a_t, b_t, carry is 1
            -3 * _HALF,  # unit 2 fires iff at least two are 1: the carry out
            -5 * _HALF,  # unit 3 fires iff all three are 1
        ],
        W_hy=[[1, -1, 1]],  # parity of the count: 1 - 1 + 1 = 1 for three, 1 - 1 = 0 for two, 1 for one
        b_y=[-_HALF],  # y_t fires iff unit1 - unit2 + unit3 >= 1
        h0=[0, 0, 0],
    )
