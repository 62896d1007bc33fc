"""The verdict memo: owned by its caller, keyed on the raw answer, served before any parsing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handnets.grading import grade
from handnets.grading.grade import VerdictMemo, grade_answers, judge_answer
from handnets.grading.key import load_key
from handnets.grading.sheet import loads_sheet

CBAR = "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"


@pytest.fixture()
def parses(monkeypatch) -> list[str]:
    """Every text the expression judge hands to the parser."""
    seen: list[str] = []
    original = grade.parse_expression

    def counting(text, **kwargs):
        seen.append(text)
        return original(text, **kwargs)

    monkeypatch.setattr(grade, "parse_expression", counting)
    return seen


def test_memo_serves_a_repeated_answer_without_parsing(parses) -> None:
    question = load_key("homework").question("lstm.cbar_t")
    memo = VerdictMemo()
    first = judge_answer(question, CBAR, memo=memo)
    second = judge_answer(question, CBAR, memo=memo)
    assert second is first and parses == [CBAR]


def test_memo_is_not_a_process_global(parses) -> None:
    question = load_key("homework").question("lstm.cbar_t")
    judge_answer(question, CBAR)
    judge_answer(question, CBAR)
    assert parses == [CBAR, CBAR]


@pytest.mark.parametrize(("a", "b"), [(1, True), (1, "1"), (Decimal("1.0"), Decimal("1")), ([1, 2], [[1, 2]]),
                                      ({"a": 1}, {"a": "1"}), (0, False)])
def test_memo_key_tells_types_apart(a, b) -> None:
    assert VerdictMemo.key(a) != VerdictMemo.key(b)


def test_memo_key_of_equal_answers_is_equal() -> None:
    assert VerdictMemo.key({"W_xh": [[1, 1]], "b_y": Decimal("-0.5")}) == VerdictMemo.key({"W_xh": [[1, 1]], "b_y": Decimal("-0.5")})


def test_memo_makes_room_by_dropping_the_oldest() -> None:
    key = load_key("homework")
    question = key.question("conv.params")
    memo = VerdictMemo(size=2)
    for answer in (608, 600, 601):
        judge_answer(question, answer, memo=memo)
    assert len(memo) == 2 and memo.get(question, 608) is None and memo.get(question, 601) is not None


def test_memo_keeps_questions_apart() -> None:
    key = load_key("homework")
    memo = VerdictMemo()
    right = judge_answer(key.question("conv.params"), 608, memo=memo)
    other = judge_answer(key.question("params.rnn_20_128_10"), 608, memo=memo)
    assert (right.verdict, other.verdict) == ("correct", "incorrect")


def test_memo_passed_to_grade_answers_serves_the_next_sheet(parses) -> None:
    key = load_key("homework")
    sheet = loads_sheet("\n".join(["[answers]", f'"lstm.cbar_t" = "{CBAR}"', '"conv.params" = "20 362"']))
    memo = VerdictMemo()
    first = grade_answers(key, sheet, memo=memo)
    second = grade_answers(key, sheet, memo=memo)
    assert first == second and parses == [CBAR]


def test_memo_refuses_a_size_below_one() -> None:
    with pytest.raises(ValueError):
        VerdictMemo(size=0)


def test_memo_does_not_hold_a_huge_answer() -> None:
    question = load_key("homework").question("lstm.cbar_t")
    memo = VerdictMemo()
    judge_answer(question, "x_t + " * 2000 + "x_t", memo=memo)
    judge_answer(question, [[1] * 100] * 100, memo=memo)
    assert len(memo) == 0
