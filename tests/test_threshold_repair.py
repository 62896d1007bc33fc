"""Repair: designs with a known one-edit fix get one edit; designs with none within N say so; the grader's hint."""

from __future__ import annotations

from fractions import Fraction

import pytest
from _threshold_oracle import brute_force

from handnets.errors import InvalidRequest
from handnets.threshold import classic_adder, prove
from handnets.threshold.repair import Edit, _with, repair
from handnets.threshold.tasks import builtin_task

HALF = Fraction(1, 2)
CLASSIC = classic_adder()

# single edits that break the classic adder (each checked wrong below, so the repair has work to do)
BREAKS = [
    Edit("W_hy", (0, 2), Fraction(1), Fraction(0)),
    Edit("W_hy", (0, 1), Fraction(-1), Fraction(1)),
    Edit("b_h", (1,), -3 * HALF, -HALF),
    Edit("b_h", (0,), -HALF, HALF),
    Edit("W_hh", (2, 1), Fraction(1), Fraction(0)),
    Edit("W_xh", (1, 0), Fraction(1), Fraction(-1)),
    Edit("b_y", (0,), -HALF, -3 * HALF),
]


@pytest.mark.parametrize("broken", BREAKS, ids=str)
def test_repair_one_edit_fix_is_found_with_one_edit(broken):
    net = _with(CLASSIC, [broken])
    assert not prove(net).correct
    result = repair(net, max_edits=2)
    assert result.found and len(result.edits) == 1 and result.proof.correct
    assert all(wrong == 0 for _, _, wrong, _ in brute_force(result.network, "add", 5))


def test_repair_two_edits_on_a_three_unit_design():
    net = _with(CLASSIC, [BREAKS[0], BREAKS[2]])
    result = repair(net, max_edits=2)
    assert result.found and len(result.edits) <= 2 and result.proof.correct
    assert all(wrong == 0 for _, _, wrong, _ in brute_force(result.network, "add", 5))


def test_repair_says_so_when_nothing_within_the_bound():
    forgot_carry = CLASSIC.from_rows(W_xh=[[1, 1]] * 3, W_hh=[[1, 0, 0]] * 3, b_h=[-HALF, -3 * HALF, -5 * HALF],
                                     W_hy=[[1, -1, 1]], b_y=[-HALF])
    result = repair(forgot_carry, max_edits=1)
    assert not result.found and result.edits is None and result.network is None
    assert result.searched[0][0] == 1 and result.searched[0][1] > 0


def test_repair_of_a_correct_design_is_no_edits():
    result = repair(CLASSIC)
    assert result.already_correct and result.edits == ()


def test_repair_edit_prints_one_based_indices():
    assert str(Edit("W_hy", (0, 2), Fraction(0), Fraction(1))) == "W_hy[1][3]: 0 -> 1"


def test_repair_works_for_other_tasks():
    parity = CLASSIC.from_rows(W_xh=[[1], [-1]], W_hh=[[-1, -1], [1, 1]], b_h=[-HALF, -HALF], W_hy=[[1, 1]], b_y=[-HALF])
    task = builtin_task("parity")
    assert prove(parity, task).correct
    broken = _with(parity, [Edit("W_hh", (1, 0), Fraction(1), Fraction(0))])
    assert not prove(broken, task).correct
    result = repair(broken, task, max_edits=1)
    assert result.found and prove(result.network, task).correct
    assert all(wrong == 0 for _, _, wrong, _ in brute_force(result.network, "parity", 8))


def test_repair_bad_edit_count_is_a_domain_error():
    with pytest.raises(InvalidRequest):
        repair(CLASSIC, max_edits=9)


def sheet_answer(net) -> dict:
    def numbers(row):
        return [str(v) for v in row]

    return {"W_xh": [numbers(r) for r in net.W_xh], "W_hh": [numbers(r) for r in net.W_hh], "b_h": numbers(net.b_h),
            "W_hy": [numbers(r) for r in net.W_hy], "b_y": numbers(net.b_y)}


def test_repair_hint_in_the_graders_feedback_and_switched_off_by_the_key():
    from dataclasses import replace

    from handnets.grading.grade import _judge_adder
    from handnets.grading.key import load_key

    key = load_key("homework")
    question = next(q for q in key.questions if q.type == "adder")
    answer = sheet_answer(_with(CLASSIC, [BREAKS[0]]))
    verdict = _judge_adder(question, answer, "shown", "sheet")
    assert "smallest repair (1 edit, proved): W_hy[1][3]: 0 -> 1" in verdict.feedback
    quiet = replace(question, options=replace(question.options, repair_hint=False))
    assert "repair" not in _judge_adder(quiet, answer, "shown", "sheet").feedback
