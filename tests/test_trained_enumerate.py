"""The per-length enumeration of trained RNNs against an independent plain-Python float32 oracle and number theory."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _trained_oracle import counts as oracle_counts
from handnets.errors import InvalidRequest
from handnets.trained.designs import hand_relu_adder
from handnets.trained.enumerate import enumerate_task, trace
from handnets.trained.load import load_model
from handnets.trained.model import Layer, TrainedRNN

DATA = Path(__file__).resolve().parent / "data" / "trained"


def model(name: str) -> TrainedRNN:
    return load_model(DATA / f"{name}.safetensors")


_ORACLE: dict = {}


def oracle_for(name: str, task: str, max_len: int):
    """The oracle's counts for a test model, computed once per run (it runs every pair alone: slow)."""
    if (name, task, max_len) not in _ORACLE:
        _ORACLE[name, task, max_len] = oracle_counts(model(name), task, max_len)
    return _ORACLE[name, task, max_len]


def summary(enumeration):
    return [(r.wrong_pairs, r.wrong_digits) for r in enumeration.lengths]


@pytest.mark.parametrize("name, task, max_len", [
    ("good", "add", 6), ("short", "add", 6), ("long_fail", "add", 5), ("hand_relu", "add", 6), ("msb", "add-msb", 4),
])
def test_enumerate_counts_match_the_plain_python_oracle(name, task, max_len):
    net = model(name)
    expected = oracle_for(name, task, max_len)
    got = enumerate_task(net, task, max_len)
    assert summary(got) == [(p, d) for p, d, _ in expected]


@pytest.mark.parametrize("name, task, max_len", [("short", "add", 6), ("msb", "add-msb", 4)])  # as above: cached
def test_enumerate_shortest_failure_is_the_smallest_failing_pair_of_the_shortest_failing_length(name, task, max_len):
    net = model(name)
    expected = oracle_for(name, task, max_len)
    n = next(i + 1 for i, (pairs, _, _) in enumerate(expected) if pairs)
    failure = enumerate_task(net, task, max_len).shortest_failure
    assert (failure.a, failure.b) == expected[n - 1][2]
    assert len(failure.expected) == n and failure.steps == (n if task == "add" else 2 * n)


def test_enumerate_long_fail_is_right_up_to_eight_and_wrong_on_one_pair_of_length_nine():
    result = enumerate_task(model("long_fail"), "add", 9)
    assert [r.wrong_pairs for r in result.lengths] == [0] * 8 + [1]
    f = result.shortest_failure
    assert (f.a, f.b, f.step) == (255, 127, 8)
    assert f.expected == tuple(((255 + 127) >> t) & 1 for t in range(9))  # the digits of a + b, LSB first
    # the one wrong pair, re-run alone by the oracle: the same digit is wrong
    from _trained_oracle import logits, plain
    ys = logits(plain(model("long_fail")), [((255 >> t) & 1, (127 >> t) & 1) for t in range(9)])
    assert tuple(int(y > 0) for y in ys) == f.got


def test_enumerate_forgetful_adder_is_wrong_exactly_when_a_and_b_share_a_one():
    """A network that never carries computes a XOR b: right iff a & b == 0, i.e. on 3**(n-1) of the 4**(n-1) pairs."""
    result = enumerate_task(hand_relu_adder(carry_gain=0.0), "add", 9)
    for r in result.lengths:
        assert r.wrong_pairs == 4 ** (r.n - 1) - 3 ** (r.n - 1)
        half = 2 ** (r.n - 1)
        wrong_digits = sum(bin((a + b) ^ (a ^ b)).count("1") for a in range(half) for b in range(half))
        assert r.wrong_digits == wrong_digits
        assert r.digit_accuracy == Fraction(r.digits - wrong_digits, r.digits)
    assert (result.shortest_failure.a, result.shortest_failure.b, result.shortest_failure.step) == (1, 1, 2)


def test_enumerate_logit_of_exactly_zero_gives_digit_zero():
    """Output bias 0 puts every 0 digit's logit at exactly 0 (exact in float32): read as 0, so all right."""
    result = enumerate_task(hand_relu_adder(output_bias=0.0), "add", 6)
    assert result.wrong_pairs == 0 and result.smallest_logit == 0.0 and result.zero_logit


def test_enumerate_counts_digits_and_pairs_per_length():
    result = enumerate_task(hand_relu_adder(), "add", 7)
    assert [(r.pairs, r.digits) for r in result.lengths] == [(4 ** (n - 1), n * 4 ** (n - 1)) for n in range(1, 8)]


def test_enumerate_splits_wide_levels_without_changing_counts(monkeypatch):
    import handnets.trained.enumerate as module

    whole = summary(enumerate_task(model("short"), "add", 8))
    monkeypatch.setattr(module, "_CHUNK_FLOATS", 40)  # 4 prefixes of 10 units per chunk
    assert summary(enumerate_task(model("short"), "add", 8)) == whole


def test_enumerate_msb_answer_input_changes_what_the_model_reads():
    net = model("msb")
    zeros = enumerate_task(net, "add-msb", 4)
    ones = enumerate_task(net, "add-msb", 4, answer_input=(1.0, 1.0))
    assert summary(ones) == [(p, d) for p, d, _ in oracle_counts(net, "add-msb", 4, answer_input=(1.0, 1.0))]
    assert summary(ones) != summary(zeros)


def test_enumerate_work_bound_stops_at_a_shorter_length_or_refuses():
    net = model("msb")
    cut = enumerate_task(net, "add-msb", 8, max_work=10**6)
    assert cut.max_len < 8 and cut.requested_len == 8
    with pytest.raises(InvalidRequest, match="lengths up to"):
        enumerate_task(net, "add-msb", 8, max_work=10**6, strict=True)


def test_trace_reports_the_first_wrong_step_and_zero_when_right():
    assert trace(hand_relu_adder(), "add", 5, 6, 4).step == 0
    wrong = trace(hand_relu_adder(carry_gain=0.0), "add", 1, 1, 3)
    assert (wrong.step, wrong.expected, wrong.got) == (2, (0, 1, 0), (0, 0, 0))


dyadic = st.integers(-16, 16).map(lambda k: k / 8)  # multiples of 1/8: every float32 operation here is exact


@st.composite
def small_nets(draw):
    H = draw(st.integers(1, 3))
    mat = lambda r, c: np.array([[draw(dyadic) for _ in range(c)] for _ in range(r)])
    vec = lambda r: np.array([draw(dyadic) for _ in range(r)])
    layer = Layer(W_ih=mat(H, 2), W_hh=mat(H, H), b_ih=vec(H), b_hh=vec(H))
    return TrainedRNN(layers=(layer,), W_out=mat(1, H), b_out=vec(1), nonlinearity="relu")


@settings(max_examples=40, deadline=None)
@given(small_nets(), st.sampled_from(["add", "add-msb"]))
def test_enumerate_random_exact_nets_match_the_oracle(net, task):
    max_len = 4 if task == "add" else 3
    assert summary(enumerate_task(net, task, max_len)) == [(p, d) for p, d, _ in oracle_counts(net, task, max_len)]


@pytest.mark.parametrize("name", ["good", "short", "long_fail", "hand_relu"])
def test_enumerate_merged_classes_count_exactly_what_every_prefix_counts(name):
    net = model(name)
    merged, plain = enumerate_task(net, "add", 9), enumerate_task(net, "add", 9, merge=False)
    assert merged.lengths == plain.lengths and merged.shortest_failure == plain.shortest_failure


@settings(max_examples=30, deadline=None)
@given(small_nets())
def test_enumerate_merging_never_changes_counts_on_random_nets(net):
    merged, plain = enumerate_task(net, "add", 7), enumerate_task(net, "add", 7, merge=False)
    assert merged.lengths == plain.lengths and merged.shortest_failure == plain.shortest_failure


def test_enumerate_hand_built_states_merge_so_length_20_is_exact_and_quick():
    """4**19 pairs at length 20: only merging (a handful of states) makes this feasible; counts by number theory."""
    result = enumerate_task(hand_relu_adder(carry_gain=0.0), "add", 20, strict=True)
    assert result.max_len == 20 and result.requested_len is None
    assert [r.wrong_pairs for r in result.lengths] == [4 ** (n - 1) - 3 ** (n - 1) for n in range(1, 21)]


def test_enumerate_exploding_state_reads_as_digit_zero_without_warnings(recwarn):
    """W_hh = 1e30: the state overflows to inf within two steps; inf - inf logits are NaN, read as digit 0."""
    net = TrainedRNN(layers=(Layer(W_ih=np.ones((2, 2)), W_hh=np.full((2, 2), 1e30), b_ih=np.ones(2), b_hh=np.zeros(2)),),
                     W_out=np.array([[1.0, -1.0]]), b_out=np.zeros(1))
    result = enumerate_task(net, "add", 5)
    assert result.shortest_failure is not None and not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
