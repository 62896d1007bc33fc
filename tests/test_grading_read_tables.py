"""Matrices and shapes typed as text, compared with the rows and shapes written here; refusals and bounds."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from handnets.grading.grade import judge_answer
from handnets.grading.key import load_key
from handnets.grading.parse import ParseFailure
from handnets.grading.parse.tables import MAX_ROWS, read_matrix, read_shape

R = sympy.Rational
A_L1 = ((4, 4), (0, 0))
AVG = ((R(7, 2), 2), (R(3, 2), R(15, 4)))

MATRICES = [
    (r"\begin{bmatrix} 4 & 4 \\ 0 & 0 \end{bmatrix}", A_L1),
    (r"\begin{pmatrix}4&4\\0&0\end{pmatrix}", A_L1),
    (r"\begin{vmatrix} 4 & 4 \\ 0 & 0 \end{vmatrix}", A_L1),
    (r"\left[\begin{array}{cc} 4 & 4 \\ 0 & 0 \end{array}\right]", A_L1),
    (r"\begin{array}{c|c} 4 & 4 \\ 0 & 0 \end{array}", A_L1),
    (r"$\begin{bmatrix} 4 & 4 \\ 0 & 0 \\ \end{bmatrix}$", A_L1),
    (r"a^{[l+1]} = \begin{pmatrix} 4 & 4 \\ 0 & 0 \end{pmatrix}", A_L1),
    (r"\begin{bmatrix} \frac{7}{2} & 2 \\ \frac{3}{2} & \frac{15}{4} \end{bmatrix}", AVG),
    ("[4 4; 0 0]", A_L1),
    ("[4, 4; 0, 0]", A_L1),
    ("[3.5 2; 1.5 3.75]", AVG),
    ("[4 4; -4 -4]", ((4, 4), (-4, -4))),
    ("[[4, 4], [0, 0]]", A_L1),
    ("[[4,4],[0,0]]", A_L1),
    ("[[7/2, 2], [3/2, 15/4]]", AVG),
    ("array([[4, 4],\n       [0, 0]])", A_L1),
    ("np.array([[4, 4], [0, 0]])", A_L1),
    ("4 4\n0 0", A_L1),
    ("4, 4\n0, 0", A_L1),
    ("[4, 4]\n[0, 0]", A_L1),
    ("3.5 2\n1.5 3.75\n", AVG),
    (r"4 & 4 \\ 0 & 0", A_L1),
    ("{{4, 4}, {0, 0}}", A_L1),
    ("4 4; 0 0", A_L1),
    ("[4 4\n 0 0]", A_L1),
]


@pytest.mark.parametrize(("text", "rows"), MATRICES)
def test_read_matrix_reads_the_rows(text: str, rows) -> None:
    assert read_matrix(text) == tuple(tuple(sympy.Integer(v) if isinstance(v, int) else v for v in row) for row in rows)


MATRIX_REFUSALS = [
    ("lots", "expected a matrix written as rows"),
    ("[[4, 4], [0, 0]", "brackets of the matrix do not match"),
    ("[[4, a], [0, 0]]", "unknown name 'a'"),
    ("[[4, x_t], [0, 0]]", "unknown name"),
    ("[[4, 20 36], [0, 0]]", "ambiguous"),
    ("[[4,, 4], [0, 0]]", "empty"),
    (r"\begin{bmatrix} 4 & \begin{bmatrix} 1 \end{bmatrix} \end{bmatrix}", "an entry of the matrix"),
    (r"\begin{bmatrix}" * 2000, "characters long"),
    ("[" + "; ".join(["1"] * (MAX_ROWS + 1)) + "]", f"at most {MAX_ROWS} rows"),
    ("[[4, 4], [0, 0]], [[0, 0], [1, 1]]", "expected one matrix"),
]


@pytest.mark.parametrize(("text", "message"), MATRIX_REFUSALS)
def test_read_matrix_refuses_with_a_message(text: str, message: str) -> None:
    result = read_matrix(text)
    assert isinstance(result, ParseFailure) and message in result.message, result


@given(st.lists(st.lists(st.integers(-99, 99), min_size=2, max_size=2), min_size=2, max_size=3))
def test_read_matrix_reads_back_every_layout(rows: list[list[int]]) -> None:
    expected = tuple(tuple(sympy.Integer(v) for v in row) for row in rows)
    layouts = [
        str(rows),
        "[" + "; ".join(" ".join(map(str, row)) for row in rows) + "]",
        "\n".join(", ".join(map(str, row)) for row in rows),
        r"\begin{bmatrix}" + r" \\ ".join(" & ".join(map(str, row)) for row in rows) + r"\end{bmatrix}",
    ]
    for text in layouts:
        assert read_matrix(text) == expected, text


SHAPES = [
    "(None, 28, 28, 8)",
    "28 by 28 by 8",
    r"28 \times 28 \times 8",
    r"$28 \times 28 \times 8$",
    "28×28×8",
    "28 × 28 × 8",
    "28x28x8",
    "28 x 28 x 8.",
    "28*28*8",
    "[28, 28, 8]",
    "(28,28,8)",
    r"28 \cdot 28 \cdot 8",
    "[None, 28, 28, 8]",
    "28 x 28 x 8 (H x W x C)",
    "H x W x C = 28 x 28 x 8",
    "8@28x28",
    "[28 28 8]",
    "28x28x8 feature map",
    "28 by 28 by 8 channels",
]


@pytest.mark.parametrize("text", SHAPES)
def test_read_shape_reads_28_28_8(text: str) -> None:
    assert read_shape(text) == (28, 28, 8)


def test_read_shape_drops_torch_batch_of_one() -> None:
    assert read_shape("torch.Size([1, 8, 28, 28])") == (8, 28, 28)


@pytest.mark.parametrize("text", ["28x28x8 (or 8x28x28)", "big", "None", "28 by", "(28, 28, -8)", "28x28x" + "8" * 300, "28.5 x 28 x 8"])
def test_read_shape_refuses_what_is_not_a_shape(text: str) -> None:
    assert isinstance(read_shape(text), ParseFailure)


@pytest.mark.parametrize(
    ("question", "answer", "verdict"),
    [
        ("resnet.a_l1", r"\begin{bmatrix} 4 & 4 \\ 0 & 0 \end{bmatrix}", "correct"),
        ("resnet.a_l1", "[4 4; -4 -4]", "incorrect"),
        ("pooling.avg", "[3.5 2; 1.5 3.75]", "correct"),
        ("resnet.a_l1", "[[4, 4], [0, 0]", "invalid"),
        ("conv.output_shape", "(None, 28, 28, 8)", "correct"),
        ("conv.output_shape", "(None, 28, 28)", "incorrect"),
        ("conv.output_shape", "big", "invalid"),
        ("conv.output_shape", 28, "incorrect"),
    ],
)
def test_judge_tables_typed_as_text(question: str, answer: str, verdict: str) -> None:
    assert judge_answer(load_key("homework").question(question), answer).verdict == verdict


@pytest.mark.parametrize("text", ["((4, 4), (0, 0))", "Matrix([[4, 4], [0, 0]])", "[[4 4] [0 0]]", "[[4. 4.]\n [0. 0.]]"])
def test_read_matrix_reads_code_printouts(text: str) -> None:
    assert read_matrix(text) == tuple(tuple(sympy.Integer(v) for v in row) for row in A_L1)
