"""Bounded proofs and enumerations: designs with too many states say so, in bounded time and memory."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _bounded import run_cli_bounded
from handnets.errors import InvalidRequest
from handnets.threshold import ThresholdRNN, check_adder, classic_adder, digit_accuracy, enumerate_adder, prove
from handnets.threshold.prove import MAX_STATES, _IntegerNetwork, explore

HALF = Fraction(1, 2)


def shift_register(k: int, *, carry_adder: bool) -> ThresholdRNN:
    """Units after the first three copy a_t down a chain, so 2**(k-3) states are reachable; with
    ``carry_adder`` the first three are the classic adder (right), else the output reads a_t (wrong)."""
    W_xh = [[1, 1], [1, 1], [1, 1], [1, 0]] + [[0, 0]] * (k - 4)
    W_hh = [[0, 1, 0] + [0] * (k - 3)] * 3 + [[0] * k]
    W_hh += [[1 if c == r - 1 else 0 for c in range(k)] for r in range(4, k)]
    b_h = [-HALF, -3 * HALF, -5 * HALF] + [-HALF] * (k - 3)
    W_hy = [[1, -1, 1] + [0] * (k - 3)] if carry_adder else [[0, 0, 0, 1] + [0] * (k - 4)]
    return ThresholdRNN.from_rows(W_xh=W_xh, W_hh=W_hh, b_h=b_h, W_hy=W_hy, b_y=[-HALF])


def test_bounds_unfinished_search_is_not_proved():
    proof = prove(shift_register(20, carry_adder=True), max_states=256)
    assert not proof.complete and proof.unproved and not proof.correct
    assert proof.counterexample is None
    assert proof.limit_note == "more than 256 reachable states: not proved, enumeration only"


def test_bounds_finished_search_has_no_note():
    proof = prove(classic_adder(), max_states=16)
    assert proof.complete and proof.correct and proof.limit_note == ""


def test_bounds_check_rests_on_enumeration_when_unproved():
    result = check_adder(shift_register(20, carry_adder=True), max_len=4, max_states=256)
    assert not result.correct and result.methods_agree
    assert result.enumeration.failures == 0
    first = result.checks[0]
    assert not first.passed and "not proved, enumeration only" in first.detail


def test_bounds_wrong_design_is_still_caught_by_a_bounded_search():
    proof = prove(shift_register(40, carry_adder=False))
    assert not proof.complete
    assert proof.counterexample is not None and not proof.correct


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=5, max_value=9), st.booleans(), st.sampled_from([16, 32, 64, 100]))
def test_bounds_counterexample_of_a_bounded_search_is_the_shortest(k, right, bound):
    net = shift_register(k, carry_adder=right)
    full = prove(net, max_states=MAX_STATES)
    bounded = prove(net, max_states=bound)
    assert full.complete
    if bounded.counterexample is not None:
        assert full.counterexample is not None and bounded.counterexample.steps == full.counterexample.steps
    if bounded.complete:
        assert bounded.correct == full.correct


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=5, max_value=9), st.sampled_from([16, 40, 100]))
def test_bounds_accuracy_of_a_bounded_search_is_an_exact_prefix(k, bound):
    net = shift_register(k, carry_adder=False)
    full = digit_accuracy(net, 12)
    bounded = digit_accuracy(net, 12, max_states=bound)
    assert 1 <= len(bounded) <= len(full) == 12
    assert bounded == full[: len(bounded)]


weights = st.integers(min_value=-3, max_value=3)


@st.composite
def networks(draw):
    k = draw(st.integers(min_value=1, max_value=5))
    value = lambda: Fraction(draw(weights), draw(st.integers(min_value=1, max_value=4)))  # noqa: E731
    return ThresholdRNN.from_rows(
        W_xh=[[value(), value()] for _ in range(k)],
        W_hh=[[value() for _ in range(k)] for _ in range(k)],
        b_h=[value() for _ in range(k)],
        W_hy=[[value() for _ in range(k)]],
        b_y=[value()],
        threshold=draw(st.sampled_from(["ge", "gt"])),
    )


@settings(max_examples=80, deadline=None)
@given(networks(), st.data())
def test_bounds_integer_transition_equals_the_exact_one(net, data):
    h = tuple(data.draw(st.lists(st.integers(0, 1), min_size=net.hidden_units, max_size=net.hidden_units)))
    x = (data.draw(st.integers(0, 1)), data.draw(st.integers(0, 1)))
    exact = net.transition(h, x)
    assert _IntegerNetwork(net).transition(h, x) == (exact.h, exact.y)


@settings(max_examples=40, deadline=None)
@given(networks())
def test_bounds_margin_in_integers_equals_the_margin_of_exact_steps(net):
    explored = explore(net)
    margins = []
    for (h, _), row in explored.table.items():
        for x in row:
            s = net.transition(h, x)
            margins += [abs(z) for z in s.h_pre] + [abs(z) for z in s.y_pre]
    assert explored.margin == min(margins)


def test_bounds_enumeration_of_a_large_design_stops_within_its_work():
    net = shift_register(20, carry_adder=True)
    enumeration = enumerate_adder(net, 8, max_work=400 * 400)
    assert enumeration.truncated and enumeration.requested_len == 8 and enumeration.max_len < 8
    assert enumeration.lengths == enumerate_adder(net, enumeration.max_len).lengths


def test_bounds_small_designs_are_never_truncated():
    assert enumerate_adder(classic_adder(), 10, max_work=1).requested_len is None


@pytest.mark.parametrize(("max_len", "max_states"), [(0, MAX_STATES), (25, MAX_STATES), (5, 0), (5, 1 << 40)])
def test_bounds_out_of_range_requests_are_domain_errors(max_len, max_states):
    with pytest.raises(InvalidRequest) as info:
        check_adder(classic_adder(), max_len=max_len, max_states=max_states)
    assert info.value.field in ("max_len", "max_states")


@pytest.mark.parametrize(
    "args",
    [
        ("adder", "check", "--max-len", "0"),
        ("adder", "check", "--max-len", "25"),
        ("adder", "check", "--max-len", "-3"),
        ("adder", "check", "--max-states", "0"),
        ("adder", "check", "--max-states", str(1 << 40)),
        ("adder", "accuracy", "--max-len", "0"),
        ("adder", "accuracy", "--max-states", "3"),
        ("adder", "run", "3", str(1 << 5000)),
        ("adder", "run", "-3", "4"),
    ],
)
def test_bounds_cli_refuses_out_of_range_flags(cli, args):
    result = cli(*args)
    assert result.code == 2 and result.err.startswith("error: ") and "Traceback" not in result.err


def _write(net: ThresholdRNN, path) -> None:
    rows = lambda m: "[" + ", ".join("[" + ", ".join(f'"{v}"' for v in r) + "]" for r in m) + "]"  # noqa: E731
    path.write_text(
        f"W_xh = {rows(net.W_xh)}\nW_hh = {rows(net.W_hh)}\nb_h = {rows([net.b_h])[1:-1]}\n"
        f"W_hy = {rows(net.W_hy)}\nb_y = {rows([net.b_y])[1:-1]}\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("right", [True, False])
def test_bounds_forty_unit_shift_register_returns_in_bounded_time_and_memory(tmp_path, right):
    path = tmp_path / "shift40.toml"
    _write(shift_register(40, carry_adder=right), path)
    done = run_cli_bounded("adder", "check", str(path), "--json", seconds=120, memory=1 << 30)
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    if right:
        assert '"note": "more than 16,384 reachable states: not proved, enumeration only"' in done.stdout
    else:
        assert '"counterexample": {' in done.stdout


def test_bounds_many_files_with_a_large_design_report_every_file(cli, tmp_path):
    big = tmp_path / "big.toml"
    _write(shift_register(24, carry_adder=True), big)
    small = tmp_path / "small.toml"
    _write(classic_adder(), small)
    result = cli("adder", "check", str(small), str(big), str(small), "--max-len", "4")
    assert result.code == 1 and "not proved" in result.out and result.out.count("small.toml") == 2
