"""The proof attempt: proved where the invariant is known, never claimed where the network is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.trained.designs import hand_relu_adder
from handnets.trained.enumerate import enumerate_task
from handnets.trained.load import load_model
from handnets.trained.model import SYMBOLS, Layer, TrainedRNN
from handnets.trained.prove import prove_adder

DATA = Path(__file__).resolve().parent / "data" / "trained"


def test_prove_hand_built_relu_adder_with_its_known_invariant():
    """Its reachable states are (s, max(s-1, 0), max(s-2, 0)) for s = a_t + b_t + carry: each region holds its point."""
    proof = prove_adder(hand_relu_adder())
    assert proof.proved and proof.margin == 0.5
    for region in proof.regions:
        if not region.history:
            assert region.carry == 0 and region.lo == region.hi == (0.0, 0.0, 0.0)  # h_0
            continue
        (carry_in, symbol), = region.history
        s = sum(SYMBOLS[symbol]) + carry_in
        point = (s, max(s - 1, 0), max(s - 2, 0))
        assert region.carry == int(s >= 2)
        assert region.lo == region.hi == point  # exact in float32: no rounding allowance needed


def test_prove_hand_built_file_is_proved_like_the_design():
    assert prove_adder(load_model(DATA / "hand_relu.safetensors")).proved


def test_prove_one_box_per_carry_loses_the_carry_and_says_so():
    detail = prove_adder(hand_relu_adder()).detail
    assert "one region per carry and last 1 input" in detail  # one box per carry did not close


@pytest.mark.parametrize("net", [
    hand_relu_adder(carry_gain=0.0),  # forgets the carry: wrong at length 2
    hand_relu_adder(carry_gain=1.5),
    load_model(DATA / "long_fail.safetensors"),  # right up to length 8 only
    load_model(DATA / "short.safetensors"),
])
def test_prove_wrong_networks_are_never_proved(net):
    proof = prove_adder(net)
    assert not proof.proved and proof.detail.startswith("not proved")


def test_prove_zero_logit_design_is_proved_because_float32_gives_exactly_zero():
    """Every 0 digit's logit is exactly 0 (exact float32 arithmetic), which is digit 0: right, with margin 0."""
    proof = prove_adder(hand_relu_adder(output_bias=0.0))
    assert proof.proved and proof.margin == 0.0


def test_prove_zero_logit_with_rounding_possible_is_not_proved():
    """The same margin 0 on a box that is not a point: rounding could push a logit above 0, so no proof."""
    base = hand_relu_adder(output_bias=0.0)
    tilted = TrainedRNN(layers=base.layers, W_out=base.W_out * np.float32(1.1), b_out=base.b_out)  # 1.1 is not exact
    proof = prove_adder(tilted)
    assert not proof.proved or enumerate_task(tilted, "add", 7).wrong_pairs == 0


dyadic_noise = st.integers(-3, 3).map(lambda k: k / 64)
power_of_two = st.integers(-2, 2).map(lambda e: 2.0**e)


@st.composite
def variants(draw):
    """The hand-built adder with unit i rescaled by k_i (still exact, still right), then perhaps perturbed."""
    base = hand_relu_adder(output_bias=draw(st.sampled_from([-0.5, -0.25, 0.0, 0.25])))
    layer = base.layers[0]
    k = np.array([draw(power_of_two) for _ in range(3)])
    noisy = draw(st.booleans())
    noise = lambda shape: np.array([draw(dyadic_noise) if noisy else 0.0 for _ in range(int(np.prod(shape)))]).reshape(shape)
    return TrainedRNN(
        layers=(Layer(W_ih=layer.W_ih * k[:, None] + noise((3, 2)), W_hh=layer.W_hh * k[:, None] / k[None, :] + noise((3, 3)),
                      b_ih=layer.b_ih * k + noise(3), b_hh=layer.b_hh),),
        W_out=base.W_out / k[None, :], b_out=base.b_out,
    )


@settings(max_examples=30, deadline=None)
@given(variants())
def test_prove_soundness_a_proved_network_has_no_wrong_pair(net):
    if prove_adder(net).proved:
        assert enumerate_task(net, "add", 7).wrong_pairs == 0
