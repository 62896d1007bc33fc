"""The grader on realistic student answers (``tests/data/realistic_answers.toml``).

Every case is graded with the homework key and must get the corpus's verdict (and credit, where the
key's policy fixes it). The corpus's verdicts are not handnets' own: an independent referee
(``realistic_oracle.py``: an explicit LSTM at 40 digits with derivatives by central differences, and
plain arithmetic for counts, shapes and matrices) must agree with every one of them. Cases for
questions the key does not have yet are skipped, and un-skip when the key grows.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from realistic_figures import judge_case
from realistic_oracle import EXPRESSION_QUESTIONS, load_cases, referee, truth_tables

from handnets.grading.key import load_key

CASES = load_cases()
VERDICTS = ("correct", "incorrect", "invalid")
FIELDS = {"question", "answer", "verdict", "reference", "credit", "partial", "cls", "note"}


@pytest.fixture(scope="module")
def key():
    return load_key("homework")


def _id(index: int, case: dict) -> str:
    return f"{index:03d}-{case['question']}-{case['cls']}"


def _indexed(cases):
    return [pytest.param(case, id=_id(i, case)) for i, case in enumerate(cases)]


@pytest.mark.parametrize("case", _indexed(CASES))
def test_grading_realistic_answer_gets_the_corpus_verdict(key, case):
    outcome = judge_case(key, case)
    if outcome.got == "skipped":
        pytest.skip(outcome.feedback)
    assert outcome.got == case["verdict"], (
        f"{case['answer']!r}: expected {case['verdict']}, got {outcome.got}: {outcome.feedback}")
    assert not outcome.credit_problem, f"{case['answer']!r}: {outcome.credit_problem}: {outcome.feedback}"


def test_grading_realistic_no_wrong_answer_gets_credit_as_correct(key):
    accepted = []
    for i, case in enumerate(CASES):
        if case["verdict"] == "correct":
            continue
        outcome = judge_case(key, case, i)
        if outcome.false_accept:
            accepted.append(f"#{i:03d} {case['question']}: {case['answer']!r} ({case['verdict']}) got {outcome.got}")
    assert not accepted, "false accepts:\n" + "\n".join(accepted)


@pytest.mark.parametrize("case", _indexed(c for c in CASES if c["verdict"] != "invalid"))
def test_realistic_corpus_verdict_agrees_with_the_referee(case):
    judgement = referee(case["question"], case["reference"])
    assert judgement.verdict == case["verdict"], f"{case['answer']!r} read as {case['reference']!r}: {judgement.detail}"


def test_realistic_corpus_cases_are_well_formed():
    known = set(EXPRESSION_QUESTIONS) | set(truth_tables())
    for i, case in enumerate(CASES):
        where = _id(i, case)
        assert set(case) <= FIELDS, f"{where}: unknown fields {set(case) - FIELDS}"
        assert case["question"] in known, f"{where}: no referee for this question"
        assert case["verdict"] in VERDICTS, where
        assert ("reference" in case) == (case["verdict"] != "invalid"), f"{where}: a reference iff readable"
        assert case["cls"], where
        if "credit" in case:
            assert case["verdict"] == "incorrect" and 0 <= Fraction(str(case["credit"])) < 1, where
        if case.get("partial"):
            assert case["verdict"] == "incorrect" and "credit" not in case, where


def test_realistic_corpus_covers_the_key_in_proportion(key):
    gradable = {q.id for q in key.questions if q.type not in ("adder", "text")}
    asked = {case["question"] for case in CASES}
    assert gradable <= asked, f"no cases for {sorted(gradable - asked)}"
    verdicts = [case["verdict"] for case in CASES]
    assert len(CASES) >= 400
    assert 0.3 <= verdicts.count("incorrect") / len(CASES) <= 0.5
    assert 0.05 <= verdicts.count("invalid") / len(CASES) <= 0.12
    distinct = {(case["question"], repr(case["answer"])) for case in CASES}
    assert len(distinct) == len(CASES), "a case is repeated"
