"""Held-out classes, second round: labelled working lines, Keras summaries, shapes in braces and words,
markdown tables and labelled matrix rows. Values here are worked by hand, not by handnets."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from handnets.grading.grade import judge_answer
from handnets.grading.key import load_key
from handnets.grading.parse import ParseFailure
from handnets.grading.parse.numbers import read_number
from handnets.grading.parse.tables import read_matrix, read_shape

RNN_LINES = "W_xh: 20·128 = 2560\nW_hh: 128·128 = 16384\nW_hy: 128·10 = 1280\nb_h: 128\nb_y: 10\ntotal: 20362"
KERAS = "Total params: 30,977\nTrainable params: 30,977\nNon-trainable params: 0"

LABELLED_LINES = [
    (RNN_LINES, 20362),
    ("W_xh: 20·128 = 2560\nW_hh: 128·128 = 16384\nW_hy: 128·10 = 1280\nb_h: 128\nb_y: 10\n20362", None),
    ("W_xh: 2 560\nW_hh: 16 384\nW_hy: 1 280\nb_h: 128\nb_y: 10\nTotal: 20 362", 20362),
    ("- weights: 3 × 4 = 12\n- biases: 4\n- total: 16 parameters", 16),
    ("weights: 12\nbiases: 4\nall: 16", 16),
    ("weights: 12\nbiases: 4\ncount: 16", 16),  # the last line, the sum of the others
    (KERAS, 30977),
    ("Total params: 30,977 (121.00 KB)\nTrainable params: 30,977 (121.00 KB)\nNon-trainable params: 0 (0.00 B)", 30977),
    ("Trainable params: 6,272\nNon-trainable params: 0\nTotal params: 6,272", 6272),
]


@pytest.mark.parametrize(("text", "total"), LABELLED_LINES)
def test_read_number_reads_labelled_lines_to_their_total(text: str, total: int | None) -> None:
    result = read_number(text)
    if total is None:  # an unlabelled last line that is not the sum: 20362 here is the sum, so it is read
        total = 20362
    assert result.ok and result.expr == total and all(side == total for side in result.sides)


LABELLED_WRONG = [
    ("W_xh: 20·128 = 2561\nb_h: 128\ntotal: 2689", (2688, 2689, 2689)),  # a line's own working is wrong
    ("weights: 12\nbiases: 4\ntotal: 15", (16, 15)),  # the total is not the sum of its parts
    ("Trainable params: 30,000\nNon-trainable params: 0\nTotal params: 30,977", (30000, 30977)),
]


@pytest.mark.parametrize(("text", "sides"), LABELLED_WRONG)
def test_read_number_keeps_every_labelled_part_as_a_side(text: str, sides: tuple[int, ...]) -> None:
    assert read_number(text).sides == sides


LABELLED_REFUSALS = [
    ("weights: 12\nbiases: 4", "none is the total"),
    ("weights: 12\nbiases: 4\nextra: 3", "none is the total"),  # 3 is not 12 + 4: no total
    ("total: 16\nweights: 12\nsum: 16", "more than one line is labelled as the total"),
    ("weights: 20 36\ntotal: 2036", "the line labelled 'weights'"),
    ("answer: 6272\ntotal: 6400", "more than one line is labelled as the total"),  # two answers
]


@pytest.mark.parametrize(("text", "message"), LABELLED_REFUSALS)
def test_read_number_refuses_labelled_lines_without_one_total(text: str, message: str) -> None:
    result = read_number(text)
    assert isinstance(result, ParseFailure) and message in result.message


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_read_number_labelled_parts_total_is_their_sum(parts: list[int]) -> None:
    text = "\n".join(f"part_{i}: {value}" for i, value in enumerate(parts)) + f"\ntotal: {sum(parts)}"
    result = read_number(text)
    assert result.ok and set(result.sides) == {sum(parts)}


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=6), st.integers(1, 1000))
def test_read_number_labelled_total_off_by_any_amount_is_a_disagreeing_side(parts: list[int], off: int) -> None:
    text = "\n".join(f"part_{i}: {value}" for i, value in enumerate(parts)) + f"\ntotal: {sum(parts) + off}"
    assert read_number(text).sides == (sum(parts), sum(parts) + off)


def test_judge_labelled_lines_and_keras_summary() -> None:
    key = load_key("homework")
    assert judge_answer(key.question("params.rnn_20_128_10"), RNN_LINES).verdict == "correct"
    wrong_step = RNN_LINES.replace("= 2560", "= 2561").replace("20362", "20363")
    assert judge_answer(key.question("params.rnn_20_128_10"), wrong_step).verdict == "incorrect"
    assert judge_answer(key.question("params.rnn_20_128_10"), RNN_LINES.replace("20362", "20000")).verdict == "incorrect"
    assert judge_answer(key.question("params.classifier.total"), KERAS).verdict == "correct"
    assert judge_answer(key.question("params.classifier.total"), KERAS.replace("30,977", "30,976")).verdict == "incorrect"


SHAPES = ["{28, 28, 8}", "{28,28,8}", "28×28 with 8 channels", "28 by 28, 8 channels", "28x28 (8 channels)",
          "28 x 28 with 8 feature maps", "28×28, 8 channels.", r"$28 \times 28$ with 8 channels",
          "8 channels of 28×28", "8 feature maps, each 28 x 28", "8 filters of size 28 by 28"]


@pytest.mark.parametrize("text", SHAPES)
def test_read_shape_reads_braces_and_words(text: str) -> None:
    assert read_shape(text) == (28, 28, 8)


@pytest.mark.parametrize("text", ["{28, 28, 8", "28×28 with 8 or 16 channels", "28×28 with eight channels"])
def test_read_shape_refuses_broken_braces_and_words(text: str) -> None:
    assert isinstance(read_shape(text), ParseFailure)


I = sympy.Integer
TABLES = [
    ("| 4 | 4 |\n| 0 | 0 |", ((4, 4), (0, 0))),
    ("| 4 | 4 |\n|---|---|\n| 0 | 0 |", ((4, 4), (0, 0))),
    ("|4|4|\n|:-:|:-:|\n|0|0|", ((4, 4), (0, 0))),
    ("| a | b |\n|---|---|\n| 4 | 4 |\n| 0 | 0 |", ((4, 4), (0, 0))),
    ("| 3.5 | 2 |\n| 1.5 | 3.75 |", ((sympy.Rational(7, 2), 2), (sympy.Rational(3, 2), sympy.Rational(15, 4)))),
    ("row 1: 0 0\nrow 2: 1 1", ((0, 0), (1, 1))),
    ("Row 1 = 0, 0\nRow 2 = 1, 1", ((0, 0), (1, 1))),
    ("r1: 4 4\nr2: 0 0", ((4, 4), (0, 0))),
    ("row 1: [4, 4]\nrow 2: [0, 0]", ((4, 4), (0, 0))),
]


@pytest.mark.parametrize(("text", "rows"), TABLES)
def test_read_matrix_reads_markdown_tables_and_labelled_rows(text: str, rows) -> None:
    assert read_matrix(text) == tuple(tuple(I(v) if isinstance(v, int) else v for v in row) for row in rows)


TABLE_REFUSALS = [
    ("| 1,000 | 4 |\n| 0 | 0 |", "comma inside a table's cell"),
    ("| 4 | 4 |\n|---|---|\n| 0 | 0 |\n|---|---|", "more than one"),
    ("row 2: 0 0\nrow 1: 1 1", "label them in order"),
    ("row 1: 0 0\nrow 1: 1 1", "label them in order"),
]


@pytest.mark.parametrize(("text", "message"), TABLE_REFUSALS)
def test_read_matrix_refuses_ambiguous_tables(text: str, message: str) -> None:
    result = read_matrix(text)
    assert isinstance(result, ParseFailure) and message in result.message


@given(st.lists(st.lists(st.integers(-99, 99), min_size=2, max_size=2), min_size=2, max_size=4))
def test_read_matrix_reads_back_any_markdown_table(rows: list[list[int]]) -> None:
    text = "\n".join("| " + " | ".join(map(str, row)) + " |" for row in rows)
    assert read_matrix(text) == tuple(tuple(I(v) for v in row) for row in rows)


@pytest.mark.parametrize(("question", "answer", "verdict"), [
    ("conv.output_shape", "{28, 28, 8}", "correct"),
    ("conv.output_shape", "28×28 with 8 channels", "correct"),
    ("conv.output_shape", "28×28 with 6 channels", "incorrect"),
    ("resnet.a_l1", "| 4 | 4 |\n| 0 | 0 |", "correct"),
    ("resnet.a_l1", "| 4 | 4 |\n| 0 | 1 |", "incorrect"),
    ("resnet.a_l2", "row 1: 0 0\nrow 2: 1 1", "correct"),
])
def test_judge_held_out_table_classes(question: str, answer: str, verdict: str) -> None:
    assert judge_answer(load_key("homework").question(question), answer).verdict == verdict


@pytest.mark.parametrize("text", [
    "W_xh: 20·128 = 2560\nW_hh: 128·128 = 16384\nW_hy: 128·10 = 1280\nb_h: 128, b_y: 10\ntotal: 20362",
    "W_xh: 2560; W_hh: 16384; W_hy: 1280\nb_h: 128; b_y: 10\ntotal: 20,362",
])
def test_read_number_reads_several_labelled_parts_on_one_line(text: str) -> None:
    result = read_number(text)
    assert result.ok and set(result.sides) == {20362}


@pytest.mark.parametrize(("text", "note"), [
    ("W_xh: 20·128 = 2561\nb_h: 128\ntotal: 2689", "the line 'W_xh: 20·128 = 2561' is wrong: 2560 is not 2561"),
    ("weights: 12\nbiases: 4\ntotal: 15", "the parts sum to 16, but the total line says 15"),
])
def test_read_number_notes_say_which_labelled_line_is_wrong(text: str, note: str) -> None:
    assert note in read_number(text).notes
