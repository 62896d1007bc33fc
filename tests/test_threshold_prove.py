"""The proof for every length, against brute force: right and wrong designs, both conventions, more units."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.threshold import (
    ThresholdRNN,
    check_adder,
    classic_adder,
    digit_accuracy,
    enumerate_adder,
    prove,
    trace_addition,
)
from handnets.threshold.network import step


def brute_force(net: ThresholdRNN, max_len: int) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Oracle: for each length, (wrong pairs, right digits, wrong (a, b) list) by plain Python on every pair.

    Independent of the proof: no automaton, the expected output is bit t of the integer a + b,
    and the network is evaluated from its weights with its own step function.
    """
    results = []
    for n in range(1, max_len + 1):
        wrong, right_digits, wrong_pairs = 0, 0, []
        for a in range(2 ** (n - 1)):
            for b in range(2 ** (n - 1)):
                total = a + b
                h = net.h0
                ok = True
                for t in range(n):
                    x = ((a >> t) & 1, (b >> t) & 1)
                    h = tuple(
                        step(sum(w * v for w, v in zip(wx, x)) + sum(w * v for w, v in zip(wh, h)) + bias, net.threshold)
                        for wx, wh, bias in zip(net.W_xh, net.W_hh, net.b_h)
                    )
                    y = step(sum(w * v for w, v in zip(net.W_hy[0], h)) + net.b_y[0], net.threshold)
                    if y == (total >> t) & 1:
                        right_digits += 1
                    else:
                        ok = False
                if not ok:
                    wrong += 1
                    wrong_pairs.append((a, b))
        results.append((wrong, right_digits, wrong_pairs))
    return results


def design(W_xh, W_hh, b_h, W_hy, b_y, threshold="ge", h0=None) -> ThresholdRNN:
    return ThresholdRNN.from_rows(W_xh=W_xh, W_hh=W_hh, b_h=b_h, W_hy=W_hy, b_y=b_y, threshold=threshold, h0=h0)


HALF = Fraction(1, 2)
INTEGER_THRESHOLDS = design([[1, 1]] * 3, [[0, 1, 0]] * 3, [-1, -2, -3], [[1, -1, 1]], [-1])
FORGOT_CARRY = design([[1, 1]] * 3, [[1, 0, 0]] * 3, [-HALF, -3 * HALF, -5 * HALF], [[1, -1, 1]], [-HALF])
# Four units: the classic three plus a unit that copies the carry; the output ignores it.
FOUR_UNITS = design(
    [[1, 1], [1, 1], [1, 1], [0, 0]],
    [[0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]],
    [-HALF, -3 * HALF, -5 * HALF, -HALF],
    [[1, -1, 1, 0]],
    [-HALF],
)
# Two units: a carry unit and a unit that fires on any 1; a wrong design.
TWO_UNITS_WRONG = design([[1, 1], [1, 1]], [[1, 0], [1, 0]], [-3 * HALF, -HALF], [[-2, 1]], [-HALF])


def test_prove_classic_design_correct_with_margin_half():
    proof = prove(classic_adder())
    assert proof.correct
    assert proof.reachable == ((0, 0, 0), (1, 0, 0), (1, 1, 0), (1, 1, 1))
    assert proof.product_states == 4
    assert proof.margin == HALF
    assert proof.tight == ()


def test_prove_forgot_carry_gives_shortest_counterexample():
    cx = prove(FORGOT_CARRY).counterexample
    assert cx is not None
    assert (cx.operands, cx.steps, cx.step) == ((1, 0), 2, 2)
    assert cx.expected == ((1,), (0,)) and cx.got == ((1,), (1,))
    assert cx.hidden == ((1, 0, 0), (1, 0, 0))
    assert cx.bits(0) == "10" and cx.bits(1) == "00"


@pytest.mark.parametrize(
    ("threshold", "correct"),
    [("ge", True), ("gt", False)],
)
def test_prove_integer_thresholds_depend_on_convention(threshold, correct):
    proof = prove(INTEGER_THRESHOLDS.with_threshold(threshold))
    assert proof.margin == 0
    assert proof.convention_sensitive
    assert proof.correct is correct
    assert any(spot.unit == "h1" and spot.h_prev == (0, 0, 0) and spot.x == (1, 0) for spot in proof.tight)


def test_check_reports_other_convention_when_margin_zero():
    result = check_adder(INTEGER_THRESHOLDS, max_len=6)
    assert result.correct
    assert result.other is not None and not result.other.correct
    assert result.other.counterexample.operands == (1, 0)
    assert not result.checks[-1].passed  # the claim "right under both conventions" fails
    assert result.methods_agree


def test_check_no_other_convention_when_margin_positive():
    assert check_adder(classic_adder(), max_len=4).other is None


def test_prove_design_with_more_hidden_units():
    proof = prove(FOUR_UNITS)
    assert proof.correct
    assert len(proof.reachable[0]) == 4
    assert brute_force(FOUR_UNITS, 6)[-1][0] == 0


@pytest.mark.parametrize("net", [FORGOT_CARRY, INTEGER_THRESHOLDS.with_threshold("gt"), TWO_UNITS_WRONG, FOUR_UNITS, classic_adder()])
def test_prove_agrees_with_brute_force(net):
    oracle = brute_force(net, 6)
    proof = prove(net)
    first_wrong_length = next((n for n, (wrong, _, _) in enumerate(oracle, start=1) if wrong), None)
    if proof.correct:
        assert first_wrong_length is None
    else:
        assert proof.counterexample.steps == first_wrong_length
        assert tuple(proof.counterexample.operands) in oracle[first_wrong_length - 1][2]


@pytest.mark.parametrize("net", [FORGOT_CARRY, TWO_UNITS_WRONG, INTEGER_THRESHOLDS.with_threshold("gt")])
def test_digit_accuracy_equals_brute_force_counts(net):
    oracle = brute_force(net, 6)
    for exact, (wrong, right_digits, _) in zip(digit_accuracy(net, 6), oracle):
        assert exact.wrong_pairs == wrong
        assert exact.right_digits == right_digits


def test_digit_accuracy_big_lengths_are_exact_big_integers():
    accuracy = digit_accuracy(FORGOT_CARRY, 300)
    last = accuracy[-1]
    assert last.length == 300 and last.pairs == 4**299
    assert 0 < last.wrong_pairs < last.pairs
    assert last.digit_accuracy.denominator > 2**64  # no float could hold it


def test_counterexample_actually_fails_when_traced():
    cx = prove(TWO_UNITS_WRONG).counterexample
    trace = trace_addition(TWO_UNITS_WRONG, *cx.operands)
    assert not trace.correct
    assert trace.produced != sum(cx.operands)


def test_trace_classic_example_from_problem_statement():
    # 0101101 + 0111010 = 1100111 (MSB first): a = 45, b = 58, output 1,1,1,0,0,1,1 LSB first
    trace = trace_addition(classic_adder(), 45, 58)
    assert [s.y[0] for s in trace.run] == [1, 1, 1, 0, 0, 1, 1]
    assert trace.produced == 103 and trace.correct


def test_enumeration_agrees_with_brute_force_per_length():
    for net in (FORGOT_CARRY, TWO_UNITS_WRONG):
        oracle = brute_force(net, 6)
        counts = enumerate_adder(net, 6).lengths
        assert [c.failures for c in counts] == [wrong for wrong, _, _ in oracle]
        for c, (_, _, pairs) in zip(counts, oracle):
            # the reported pair is the failing one whose input word is smallest, read as base-4 digits LSB first
            code = lambda ab: sum((((ab[0] >> t) & 1) + 2 * ((ab[1] >> t) & 1)) * 4**t for t in range(8))  # noqa: E731
            assert c.first_failure == (min(pairs, key=code) if pairs else None)


@pytest.mark.parametrize("chunk", [4, 5, 16, 64, 1000, 1 << 20])
def test_enumeration_independent_of_chunk_size(chunk):
    expected = [c.failures for c in enumerate_adder(FORGOT_CARRY, 8).lengths]
    assert [c.failures for c in enumerate_adder(FORGOT_CARRY, 8, chunk=chunk).lengths] == expected


@pytest.mark.parametrize("net", [FORGOT_CARRY, FOUR_UNITS, INTEGER_THRESHOLDS.with_threshold("gt")])
def test_enumeration_tables_and_row_by_row_agree(net):
    by_table = enumerate_adder(net, 7)
    row_by_row = enumerate_adder(net, 7, table_states=0, chunk=256)
    assert by_table.lengths == row_by_row.lengths and (by_table.method, row_by_row.method) == ("table", "direct")


def test_enumeration_huge_weights_use_exact_object_arithmetic():
    big = 2**70
    net = design([[big, big]] * 3, [[0, big, 0]] * 3, [-big // 2, -3 * big // 2, -5 * big // 2], [[1, -1, 1]], [-HALF])
    assert prove(net).correct
    assert enumerate_adder(net, 5).failures == 0
    assert enumerate_adder(net, 5, table_states=0).failures == 0


def test_enumeration_reports_progress_up_to_total():
    seen = []
    enumerate_adder(classic_adder(), 7, chunk=64, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (sum(4 ** (n - 1) for n in range(1, 8)),) * 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


weights = st.integers(min_value=-3, max_value=3)


@st.composite
def random_designs(draw):
    k = draw(st.integers(min_value=1, max_value=4))
    row = lambda n: [draw(weights) for _ in range(n)]  # noqa: E731
    # biases are half-integers or integers, so some designs sit exactly at 0
    bias = lambda: Fraction(draw(st.integers(min_value=-7, max_value=7)), 2)  # noqa: E731
    return design(
        [row(2) for _ in range(k)],
        [row(k) for _ in range(k)],
        [bias() for _ in range(k)],
        [row(k)],
        [bias()],
        threshold=draw(st.sampled_from(["ge", "gt"])),
        h0=[draw(st.integers(0, 1)) for _ in range(k)],
    )


@settings(max_examples=60, deadline=None)
@given(random_designs())
def test_prove_random_designs_agree_with_enumeration_and_brute_force(net):
    result = check_adder(net, max_len=5, accuracy_len=5)
    assert result.methods_agree
    oracle = brute_force(net, 5)
    assert [c.failures for c in result.enumeration.lengths] == [wrong for wrong, _, _ in oracle]
    assert [a.right_digits for a in result.accuracy] == [right for _, right, _ in oracle]
    cx = result.proof.counterexample
    if cx is not None and cx.steps <= 5:
        assert cx.operands in oracle[cx.steps - 1][2]
        assert all(wrong == 0 for wrong, _, _ in oracle[: cx.steps - 1])
    if cx is None:
        assert all(wrong == 0 for wrong, _, _ in oracle)
