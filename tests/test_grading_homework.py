"""The built-in homework key against itself: expected answers, rewrites of them, and the known mistakes."""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from handnets import notation
from handnets.grading.parse import parse_expression
from handnets.grading.grade import judge_answer
from handnets.grading.key import load_key
from handnets.grading.selfcheck import check_key

KEY = load_key("homework")
EXPRESSIONS = [q for q in KEY.questions if q.type == "expression"]


def test_selfcheck_every_expected_answer_and_mistake_as_intended():
    failed = [(c.name, c.detail) for c in check_key(KEY).checks if not c.passed]
    assert failed == []


@pytest.mark.parametrize("question", [q for q in KEY.questions if q.type not in ("adder", "text")], ids=lambda q: q.id)
def test_expected_answer_grades_correct(question):
    verdict = judge_answer(question, question.as_answer(question.expected))
    assert (verdict.verdict, verdict.score) == ("correct", question.points)


@pytest.mark.parametrize("question", EXPRESSIONS, ids=lambda q: q.id)
def test_expected_answer_in_homework_latex_grades_correct(question):
    latex = notation.latex(parse_expression(sympy.sstr(question.expected), vocabulary=question.names()).expr)
    assert judge_answer(question, latex).verdict == "correct", latex


def _rewrites(question, draw) -> str:
    """A random rewrite of the expected answer that keeps its meaning."""
    expr = question.expected
    definitions = question.definition_map()
    # substitute a few defined symbols by their definitions
    present = sorted((s for s in expr.free_symbols if s in definitions), key=lambda s: s.name)
    for symbol in present:
        if draw(st.booleans()):
            expr = expr.xreplace({symbol: definitions[symbol]})
    if draw(st.booleans()):
        expr = sympy.expand(expr)
    text = sympy.sstr(expr)
    style = draw(st.sampled_from(["plain", "spaces", "caret", "lhs", "scaled"]))
    if style == "spaces":
        text = re.sub(r"(?<!\*)\*(?!\*)", " * ", text)  # products spaced out, powers kept
    elif style == "caret":
        text = text.replace("**", "^")
    elif style == "lhs" and question.lhs:
        text = f"{question.lhs} = {text}"
    elif style == "scaled":
        text = f"2*({text})/2"
    return text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_rewrites_of_expected_answers_grade_correct(data):
    question = data.draw(st.sampled_from(EXPRESSIONS), label="question")
    text = _rewrites(question, data.draw)
    assume(len(text) <= 2000)  # a rewrite longer than any answer a student types (expanded definitions grow fast)
    verdict = judge_answer(question, text)
    assert verdict.verdict == "correct", (question.id, text, verdict.feedback)


def test_adder_classic_design_full_marks_and_integer_thresholds_half():
    question = KEY.question("adder")
    classic = {"W_xh": [[1, 1]] * 3, "W_hh": [[0, 1, 0]] * 3, "b_h": ["-1/2", "-3/2", "-5/2"], "W_hy": [1, -1, 1], "b_y": "-1/2"}
    integer = {**classic, "b_h": [-1, -2, -3], "b_y": -1}
    assert judge_answer(question, classic).score == question.points
    verdict = judge_answer(question, integer)
    assert (verdict.note, verdict.score) == ("adder.margin-zero", question.points / 2)
