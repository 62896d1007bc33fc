"""Check a key against itself: its expected answers grade correct, its mistakes are recognised as such.

A key whose expected answer does not grade as correct (a derivation changed, a parser regressed) or
whose mistake is judged equivalent to the expected answer (so the mistake can never be reached) is
broken for every student; ``check_key`` finds that before a course does.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from handnets.checks import Check
from handnets.grading.equivalence import judge_expression
from handnets.grading.grade import Verdict, judge_answer
from handnets.grading.key import SUM_NOTES, Key, Mistake, Question, load_key

__all__ = ["KeyCheck", "check_key", "check_homework_key"]


@dataclass(frozen=True, slots=True)
class KeyCheck:
    key: Key
    checks: tuple[Check, ...]


def check_key(key: Key) -> KeyCheck:
    """Grade every expected answer and every listed mistake of ``key``."""
    checks = []
    for question in key.questions:
        if question.type in ("adder", "text", "trained_rnn"):
            continue
        verdict = judge_answer(question, question.as_answer(question.expected), source="key")
        checks.append(
            Check(f"{question.id}: the expected answer grades correct", verdict.verdict == "correct" and verdict.note == "correct",
                  f"judged as a student's answer ({verdict.method or verdict.note})", "" if verdict.verdict == "correct" else verdict.feedback)
        )
        for mistake in question.mistakes:
            verdict = judge_answer(question, question.as_answer(mistake.answer), source="key")
            how = f"judged as a student's answer: {verdict.verdict}, note {verdict.note}"
            if verdict.verdict == "invalid" and mistake.note in SUM_NOTES.values():
                # a sum over t written as \sum_t needs a reader that knows it: judge the value itself then
                verdict = _judge_value(question, mistake)
                how = f"judged as a value (the reader does not take {question.as_answer(mistake.answer)!r}): note {verdict.note}"
            recognised = verdict.note == mistake.note and verdict.score == question.points * mistake.credit
            checks.append(
                Check(f"{question.id}: mistake {mistake.note} is recognised", recognised, how,
                      "" if recognised else f"expected note {mistake.note} with credit {mistake.credit}"))
    return KeyCheck(key=key, checks=tuple(checks))


def _judge_value(question: Question, mistake: Mistake) -> Verdict:
    """The verdict a mistake's own value gets: different from the expected answer, and which mistake it matches."""
    definitions = question.definition_map()
    expected = judge_expression(question.expected, mistake.answer, definitions=definitions, seed=question.id)
    if expected.verdict != "different":
        return Verdict(question.id, "incorrect", Fraction(0), question.points, f"not different ({expected.verdict})", "", "")
    for listed in question.mistakes:
        if judge_expression(listed.answer, mistake.answer, definitions=definitions, seed=question.id).verdict == "equivalent":
            return Verdict(question.id, "incorrect", question.points * listed.credit, question.points, listed.note, listed.feedback, "")
    return Verdict(question.id, "incorrect", Fraction(0), question.points, "incorrect", "", "")


def check_homework_key() -> KeyCheck:
    """The catalogue entry: the built-in homework key checked against itself."""
    return check_key(load_key("homework"))
