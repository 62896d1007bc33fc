"""Classes of reading a held-out set showed the reader had been fitted around, each by many examples.

- a number followed by its working in brackets is a working line (every side must agree), never a product;
- juxtaposition in a number answer is a product only where a bracket touches (8(75 + 1)); anything
  else side by side (2 pi, 2\\frac{1}{2}, 3 (2 + 1) + 1) is refused, never read silently;
- unicode superscripts are exponents; unit phrases around a number are dropped;
- labelled shapes are read by label (channels-first included); matrices with bar rows or a closing remark;
- LaTeX's one-character subscripts (i_tg_t is i_t g_t) only where the whole name is unknown.

Readings are compared with numbers and names written here by hand; verdicts come from ``judge_answer``
on the built-in key, whose expected values are fixed by the problems.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from handnets.grading.grade import VerdictMemo, judge_answer
from handnets.grading.key import load_key
from handnets.grading.parse import SUM_OVER_T, ParseFailure, make_vocabulary, parse_expression
from handnets.grading.parse.numbers import read_number
from handnets.grading.parse.tables import read_matrix, read_shape
from handnets.vocabulary import SYMBOLS, sum_over_t

KEY = load_key("homework")

# ------------------------------------------------------------------ a number and its working

WORKING = [
    ("8705 (8448 + 257)", (8705, 8705)),
    ("16000 (1000 × 16)", (16000, 16000)),
    ("16000 (1000 x 16)", (16000, 16000)),
    ("16 000 (16,000)", (16000, 16000)),
    ("20362 (= 2560 + 16384 + 1280 + 128 + 10)", (20362, 20362)),
    ("608 (= 8 × 76)", (608, 608)),
    ("608(=8*76)", (608, 608)),
    ("608 (=(8 × 5 × 5 × 3) + 8).", (608, 608)),
    ("608 params (8*76)", (608, 608)),
    ("608 (≈ 600 + 8)", (608, 608)),
    ("6272 (4 × 1568)", (6272, 6272)),
    ("30,977 (16000 + 6272 + 8705)", (30977, 30977)),
    ("8705 (8448 + 256)", (8705, 8704)),  # the working disagrees: read as written, judged as a chain
    ("2 (3)", (2, 3)),
    ("20362 (2560 + 16384 + 1280 + 128 + 10).", (20362, 20362)),
]


@pytest.mark.parametrize(("text", "sides"), WORKING)
def test_read_number_takes_a_trailing_bracket_of_arithmetic_as_working(text: str, sides: tuple[int, ...]) -> None:
    result = read_number(text)
    assert result.ok, result.message
    assert result.sides == tuple(sympy.Integer(side) for side in sides)


BRACKET_PRODUCTS = [
    ("8(75 + 1)", 608),
    ("4(16·32 + 32·32 + 32)", 6272),
    ("(16+1)(32)", 544),
    ("(2)(3)", 6),
    ("2(3)", 6),
    ("8 * (5 + 3)", 64),
    ("8 × (75 + 1)", 608),
    ("(5*5*3+1)*8", 608),
    ("-(3)", -3),
    (r"\frac{7}{2}", sympy.Rational(7, 2)),
    (r"\frac{7} {2}", sympy.Rational(7, 2)),
    ("2e3", 2000),
]


@pytest.mark.parametrize(("text", "value"), BRACKET_PRODUCTS)
def test_read_number_reads_a_touching_bracket_as_a_product(text: str, value) -> None:
    result = read_number(text, integer=False)
    assert result.ok, result.message
    assert result.sides == (sympy.sympify(value),)


SIDE_BY_SIDE = [
    ("3 (2 + 1) + 1", "a bracket with a space"),
    ("(2) (3)", "a bracket with a space"),
    ("(8448 + 257) 8705", "a bracket with a space"),
    ("138M (138,357,544)", "a bracket with a space"),
    (r"2 \frac{1}{2}", "side by side"),
    (r"2\frac{1}{2}", "side by side"),
    ("2e", "side by side"),
    ("2 pi", "side by side"),
    ("{2} {3}", "side by side"),
    ("{2}{3}", "side by side"),
    (r"\sqrt{4} 2", "side by side"),
    ("2 sqrt(4)", "side by side"),
    ("2sqrt(4)", "side by side"),
    ("2 \u00bd", "VULGAR FRACTION"),
]


@pytest.mark.parametrize(("text", "message"), SIDE_BY_SIDE)
def test_read_number_refuses_numbers_side_by_side(text: str, message: str) -> None:
    result = read_number(text, integer=False)
    assert isinstance(result, ParseFailure), result
    assert message in result.message


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_read_number_never_multiplies_a_number_and_its_bracket(a: int, b: int) -> None:
    result = read_number(f"{a} ({b})")
    assert result.ok, result.message
    assert result.sides == (sympy.Integer(a), sympy.Integer(b))
    assert a * b not in result.sides or a * b in (a, b)


@given(st.integers(1, 999), st.integers(1, 999), st.integers(0, 999))
def test_read_number_working_in_brackets_agrees_with_its_sum(a: int, b: int, c: int) -> None:
    result = read_number(f"{a * b + c} (= {a} × {b} + {c})")
    assert result.ok, result.message
    assert result.sides == (sympy.Integer(a * b + c),) * 2


VERDICTS = [
    ("params.classifier.dense", "8705 (8448 + 257)", "correct"),
    ("params.classifier.dense", "8705 (8448 + 256)", "incorrect"),
    ("params.classifier.embedding", "16000 (1000 × 16)", "correct"),
    ("params.classifier.embedding", "16000 (1000 × 17)", "incorrect"),
    ("params.rnn_20_128_10", "20362 (= 2560 + 16384 + 1280 + 128 + 10)", "correct"),
    ("params.rnn_20_128_10", "20362 (= 2560 + 16384 + 1280 + 128)", "incorrect"),
    ("conv.params", "608 (= 8 × 76)", "correct"),
    ("conv.params", "608 (8)", "incorrect"),
    ("conv.params", "76 (75 + 1)", "incorrect"),
    ("conv.params", "8 (75 + 1)", "incorrect"),
    ("conv.params", "8(75 + 1)", "correct"),
    ("conv.params", "3 (200 + 2) + 2", "invalid"),
    ("conv.params", "60 8", "invalid"),
    ("params.rnn_20_128_10", "2.0362 · 10⁴", "correct"),
    ("params.rnn_20_128_10", "2.0361 · 10⁴", "incorrect"),
    ("params.vgg16", "1.38357544 × 10⁸", "correct"),
    ("params.vgg16", "10⁸", "incorrect"),
    ("params.rnn_20_128_10", "20,362 weights and biases", "correct"),
    ("params.rnn_20_128_10", "20362 weights & biases", "correct"),
    ("params.classifier.lstm", "about 6,272 params in total", "correct"),
    ("params.classifier.total", "total = 30,977", "correct"),
    ("conv.params", "Answer: 608", "correct"),
    ("conv.params", "Answer: 609", "incorrect"),
    ("params.rnn_20_128_10", "20362 or 20490", "invalid"),
]


@pytest.mark.parametrize(("question", "answer", "verdict"), VERDICTS)
def test_judge_number_answer_with_working_brackets_words_and_superscripts(question: str, answer: str, verdict: str) -> None:
    got = judge_answer(KEY.question(question), answer)
    assert got.verdict == verdict, got.feedback


# ------------------------------------------------------------------ superscripts

SUPERSCRIPTS = [
    ("x²", "x**2"),
    ("x³ + x", "x**3 + x"),
    ("x⁻¹", "1/x"),
    ("e⁻ˣ", "exp(-x)"),
    ("tanh²(c)", "tanh(c)**2"),
    ("(x + c)²", "(c + x)**2"),
    ("x¹⁰", "x**10"),
    ("xⁿ", "x**n"),
    ("10⁴x", "10000*x"),
]


@pytest.mark.parametrize(("text", "normalized"), SUPERSCRIPTS)
def test_parse_expression_reads_unicode_superscripts_as_exponents(text: str, normalized: str) -> None:
    vocabulary = make_vocabulary(["x", "c", "n"], base={})
    result = parse_expression(text, vocabulary=vocabulary)
    assert result.ok, result.message
    assert result.normalized == normalized


def test_parse_expression_refuses_a_superscript_with_nothing_to_raise() -> None:
    result = parse_expression("x + ²", vocabulary=make_vocabulary(["x"], base={}))
    assert isinstance(result, ParseFailure)
    assert "superscript" in result.message


# ------------------------------------------------------------------ shapes

SHAPES = [
    ("(28 x 28 x 8)", (28, 28, 8)),
    ("(28, 28, 8)", (28, 28, 8)),
    ("H = 28, W = 28, C = 8", (28, 28, 8)),
    ("C = 8, H = 28, W = 28", (28, 28, 8)),
    ("h=28, w=28, c=8", (28, 28, 8)),
    ("height: 28, width: 28, channels: 8", (28, 28, 8)),
    ("width = 28, height = 28, depth = 8", (28, 28, 8)),
    ("H = 28, W = 28, filters = 8", (28, 28, 8)),
    ("H×W×C: 28×28×8", (28, 28, 8)),
    ("C×H×W: 8×28×28", (28, 28, 8)),
    ("(C, H, W) = (8, 28, 28)", (28, 28, 8)),
    ("H x W x C = 28 x 28 x 8", (28, 28, 8)),
    ("28 (H) x 28 (W) x 8 (C)", (28, 28, 8)),
    ("8 (C) x 28 (H) x 28 (W)", (28, 28, 8)),
    ("28 (height), 28 (width), 8 (channels)", (28, 28, 8)),
    ("[28, 28, 8] (h, w, c)", (28, 28, 8)),
    ("28 x 28 x 8 (H x W x C)", (28, 28, 8)),
    ("8 x 28 x 28 (C x H x W)", (28, 28, 8)),
    ("(8, 28, 28) (C, H, W)", (28, 28, 8)),
    ("28x28x8 (after pooling)", (28, 28, 8)),
    ("H x W = 28 x 28", (28, 28)),
    ("H = 28, W = 28", (28, 28)),
]


@pytest.mark.parametrize(("text", "shape"), SHAPES)
def test_read_shape_reads_labelled_dimensions_by_label(text: str, shape: tuple[int, ...]) -> None:
    assert read_shape(text) == shape


BAD_SHAPES = [
    ("Q = 8, H = 28, W = 28", "unknown dimension label 'Q'"),
    ("H = 28, H = 28, C = 8", "already given"),
    ("W = 28, C = 8", "gives only W, C"),
    ("28 x 28 x 8 (H x W)", "names 2 dimensions"),
    ("H×W×C: 28×28", "names 3 dimensions"),
    ("28 x 28 x 8 or 8 x 28 x 28", "give one shape"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SHAPES)
def test_read_shape_refuses_labels_it_cannot_place(text: str, message: str) -> None:
    result = read_shape(text)
    assert isinstance(result, ParseFailure), result
    assert message in result.message


@given(st.permutations([("H", 28), ("W", 29), ("C", 8)]))
def test_read_shape_labelled_order_does_not_matter(order) -> None:
    text = ", ".join(f"{label} = {value}" for label, value in order)
    assert read_shape(text) == (28, 29, 8)


# ------------------------------------------------------------------ matrices

MATRICES = [
    ("|4 4|\n|0 0|", ((4, 4), (0, 0))),
    ("| 4  4 |\n| 0  0 |", ((4, 4), (0, 0))),
    ("|4, 4|\n|0, 0|", ((4, 4), (0, 0))),
    ("[[0, 0], [1, 1]] (after ReLU)", ((0, 0), (1, 1))),
    ("[[6, 5], [3, 8]].", ((6, 5), (3, 8))),
    ("[4 4; 0 0] after the ReLU", ((4, 4), (0, 0))),
    ("[4 4; 0 0] after max pooling.", ((4, 4), (0, 0))),
    ("[[1, 2], [3, 4]] (after ReLU).", ((1, 2), (3, 4))),
    (r"\begin{bmatrix} 4 & 4 \\ 0 & 0 \end{bmatrix}.", ((4, 4), (0, 0))),
    (r"\begin{bmatrix} 6 & 5 \\ 3 & 8 \end{bmatrix} (the pooled map)", ((6, 5), (3, 8))),
]


@pytest.mark.parametrize(("text", "rows"), MATRICES)
def test_read_matrix_reads_bar_rows_and_closing_remarks(text: str, rows) -> None:
    assert read_matrix(text) == tuple(tuple(sympy.Integer(v) for v in row) for row in rows)


BAD_MATRICES = [
    ("[[1,2],[3,4]] transposed", "change it"),
    ("[[1,2],[3,4]] (the inverse)", "change it"),
    ("[4 4; 0 0] (or maybe transposed)", "change it"),
    ("[[1,2],[3,4]] times two", "change it"),
    ("[[1,2],[3,4]] T", "more than one bracketed part"),
    ("[[1,2],[3,4]] [[5,6],[7,8]]", "more than one bracketed part"),
    ("|4 4|", "expected a matrix"),
]


@pytest.mark.parametrize(("text", "message"), BAD_MATRICES)
def test_read_matrix_refuses_words_that_change_the_matrix(text: str, message: str) -> None:
    result = read_matrix(text)
    assert isinstance(result, ParseFailure), result
    assert message in result.message


# ------------------------------------------------------------------ LaTeX subscripts

SUBSCRIPTS = [
    ("i_tg_t", "g_t*i_t"),
    ("f_tc_{t-1}", "c_prev*f_t"),
    ("f_tc_{t-1} + i_tg_t", "c_prev*f_t + g_t*i_t"),
    (r"o_t\tanh(c_t)", "o_t*tanh(c_t)"),
    ("f_t(f_{t-1}c_{t-2}+i_{t-1}g_{t-1})+i_tg_t", "f_t*(c_prev2*f_prev + g_prev*i_prev) + g_t*i_t"),
    (r"\bar{h}_to_t", "hbar_t*o_t"),
    ("c_{t-3} + h_{t-3} + x_{t-3}", "c_prev3 + h_prev3 + x_prev3"),
    # code names the vocabulary knows stay whole
    ("w_xi", "w_xi"),
    ("h_prev + c_prev2", "c_prev2 + h_prev"),
    ("dL_dh_t", "dL_dh_t"),
    ("c_bar_{t+1}", "cbar_next"),
]


@pytest.mark.parametrize(("text", "normalized"), SUBSCRIPTS)
def test_parse_expression_reads_latex_one_character_subscripts(text: str, normalized: str) -> None:
    result = parse_expression(text)
    assert result.ok, result.message
    assert result.normalized == normalized


@pytest.mark.parametrize("text", ["i_tgt", "i_tg_tx", "i_tq_t", "w_xq"])
def test_parse_expression_refuses_a_subscript_run_it_cannot_place(text: str) -> None:
    result = parse_expression(text)
    assert isinstance(result, ParseFailure), result
    assert "unknown name" in result.message


def test_parse_expression_keeps_prev3_names_whole_and_refuses_t_minus_4() -> None:
    assert parse_expression("h_{t-3}").expr == SYMBOLS["h_prev3"]
    assert "unknown name 'c_t-4'" in parse_expression("c_{t-4}").message


# ------------------------------------------------------------------ one definition, one memo

def test_sum_over_t_is_the_vocabulary_s_function() -> None:
    assert SUM_OVER_T is sum_over_t


def test_judge_answer_serves_a_big_o_answer_from_the_memo(monkeypatch) -> None:
    from handnets.grading import grade

    question = KEY.question("asymptotics.connections")
    memo = VerdictMemo()
    first = judge_answer(question, "O(d k^2 H W)", memo=memo)
    monkeypatch.setattr(grade, "parse_big_o", lambda *a, **k: pytest.fail("read again"))
    assert judge_answer(question, "O(d k^2 H W)", memo=memo) is first
    assert first.verdict == "correct"
