"""Synthesis: designs for every task proved and brute-forced; the adder's size bound; random machines."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from _threshold_oracle import brute_force, run, words
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.errors import InvalidRequest
from handnets.threshold import check_task, prove
from handnets.threshold.synth import hull_certificate, synthesise
from handnets.threshold.tasks import TASKS, builtin_task, symbol_text, task_from_mapping

pytest.importorskip("scipy")

FEWEST = {"add": 3, "subtract": 3, "compare": 1, "parity": 2, "times3": 3}


@pytest.fixture(scope="module")
def designs():
    return {name: synthesise(builtin_task(name)) for name in TASKS}


@pytest.mark.parametrize("name", TASKS)
def test_synth_design_is_proved_and_right_on_every_valid_word(designs, name):
    result = designs[name]
    assert result.found and result.proof.correct and result.proof.margin >= Fraction(1, 2)
    assert result.network.hidden_units == FEWEST[name]
    longest = 5 if result.task.inputs == 2 else 8
    assert all(wrong == 0 for _, _, wrong, _ in brute_force(result.network, name, longest))


@pytest.mark.parametrize("name", TASKS)
def test_synth_weights_are_small_integers_and_biases_halves(designs, name):
    net = designs[name].network
    assert all(v.denominator == 1 and abs(v) <= 2 for row in (*net.W_xh, *net.W_hh, *net.W_hy) for v in row)
    assert all((2 * v).denominator == 1 for v in (*net.b_h, *net.b_y))


def test_synth_add_fewer_than_three_units_proved_impossible(designs):
    attempts = {a.units: a for a in designs["add"].attempts}
    assert attempts[1].outcome == "impossible" and attempts[1].proven and "counting" in attempts[1].reason
    assert attempts[2].outcome == "impossible" and attempts[2].proven and "all 24 assignments" in attempts[2].reason
    assert designs["add"].lower_bound_note.startswith("no design with fewer than 3 hidden units exists")


def test_synth_add_with_exactly_two_units_finds_nothing():
    result = synthesise(builtin_task("add"), units=2)
    assert not result.found and result.attempts[0].outcome == "impossible" and result.attempts[0].proven


def test_synth_exactly_k_units(designs):
    result = synthesise(builtin_task("compare"), units=3)
    assert result.found and result.network.hidden_units == 3 and result.proof.correct


def test_synth_out_of_range_units_is_a_domain_error():
    with pytest.raises(InvalidRequest):
        synthesise(builtin_task("add"), units=0)


def test_synth_checked_design_passes_every_check(designs):
    result = check_task(designs["times3"].network, builtin_task("times3"), max_len=10)
    assert all(check.passed for check in result.checks)


def test_synth_certificate_for_xor_is_exact():
    points = np.array([[0, 0], [1, 1], [0, 1], [1, 0]])
    targets = np.array([0, 0, 1, 1])
    ones, zeros = hull_certificate(points, targets)
    assert sum(ones) == sum(zeros) == 1
    # the averages coincide exactly: (1/2, 1/2) from both sides
    assert [sum(w * p[i] for w, p in zip(ones, points[2:])) for i in range(2)] == [Fraction(1, 2)] * 2
    assert [sum(w * p[i] for w, p in zip(zeros, points[:2])) for i in range(2)] == [Fraction(1, 2)] * 2


def test_synth_no_certificate_for_a_separable_target():
    points = np.array([[0, 0], [1, 1], [0, 1], [1, 0]])
    assert hull_certificate(points, np.array([0, 1, 0, 0])) is None


@st.composite
def machines(draw):
    inputs = draw(st.sampled_from([1, 1, 2]))
    n = draw(st.integers(1, 3 if inputs == 1 else 2))
    states = [f"s{i}" for i in range(n)]
    symbols = [symbol_text(tuple((s >> i) & 1 for i in range(inputs))) for s in range(1 << inputs)]
    transitions = {q: {x: [draw(st.sampled_from(states)), draw(st.integers(0, 1))] for x in symbols} for q in states}
    return task_from_mapping({"inputs": inputs, "start": "s0", "transitions": transitions}, source="drawn")


@settings(max_examples=15, deadline=None)
@given(machines())
def test_synth_random_machines_are_synthesised_and_right_on_every_word(task):
    result = synthesise(task, time_limit=1)
    assert result.found and prove(result.network, task).correct
    for n in range(1, 6 if task.inputs == 1 else 4):
        for word in words(task.inputs, n):
            assert run(result.network, word) == list(task.outputs_of(word))
