"""Check a key against itself: its expected answers grade correct, its mistakes are recognised as such.

A key whose expected answer does not grade as correct (a derivation changed, a parser regressed) or
whose mistake is judged equivalent to the expected answer (so the mistake can never be reached) is
broken for every student; ``check_key`` finds that before a course does.
"""

from __future__ import annotations

from dataclasses import dataclass

from handnets.checks import Check
from handnets.grading.grade import judge_answer
from handnets.grading.key import Key, load_key

__all__ = ["KeyCheck", "check_key", "check_homework_key"]


@dataclass(frozen=True, slots=True)
class KeyCheck:
    key: Key
    checks: tuple[Check, ...]


def check_key(key: Key) -> KeyCheck:
    """Grade every expected answer and every listed mistake of ``key``."""
    checks = []
    for question in key.questions:
        if question.type in ("adder", "text"):
            continue
        verdict = judge_answer(question, question.as_answer(question.expected), source="key")
        checks.append(
            Check(f"{question.id}: the expected answer grades correct", verdict.verdict == "correct" and verdict.note == "correct",
                  f"judged as a student's answer ({verdict.method or verdict.note})", "" if verdict.verdict == "correct" else verdict.feedback)
        )
        for mistake in question.mistakes:
            verdict = judge_answer(question, question.as_answer(mistake.answer), source="key")
            recognised = verdict.note == mistake.note and verdict.score == question.points * mistake.credit
            checks.append(
                Check(f"{question.id}: mistake {mistake.note} is recognised", recognised,
                      f"judged as a student's answer: {verdict.verdict}, note {verdict.note}",
                      "" if recognised else f"expected note {mistake.note} with credit {mistake.credit}"))
    return KeyCheck(key=key, checks=tuple(checks))


def check_homework_key() -> KeyCheck:
    """The catalogue entry: the built-in homework key checked against itself."""
    return check_key(load_key("homework"))
