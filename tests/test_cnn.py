"""Exact convolution, pooling and the ResNet block against numpy, TOML input, ``handnets conv``, rendering."""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from handnets.cnn import as_matrix, avg_pool, cross_correlate, loads_conv, max_pool, p5_resnet, resnet_block
from handnets.cnn.catalogue import check_examples
from handnets.errors import InputError, InvalidSpec
from handnets.render.cnn import latex_step, proof_document, render_step

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def oracle_conv(x: np.ndarray, kernel: np.ndarray, padding: int, stride: int) -> np.ndarray:
    """Cross-correlation as a sum of shifted, scaled copies of the padded input (no windows)."""
    padded = np.pad(x, padding)
    kh, kw = kernel.shape
    full = np.zeros((padded.shape[0] - kh + 1, padded.shape[1] - kw + 1), dtype=object)
    for a in range(kh):
        for b in range(kw):
            full = full + kernel[a, b] * padded[a : a + full.shape[0], b : b + full.shape[1]]
    return full[::stride, ::stride]


def as_array(matrix) -> np.ndarray:
    return np.array([[Fraction(v) for v in row] for row in matrix], dtype=object)


numbers = st.fractions(min_value=-5, max_value=5, max_denominator=4)


def matrices(min_side: int, max_side: int):
    return st.integers(min_side, max_side).flatmap(lambda r: st.integers(min_side, max_side).flatmap(lambda c: st.lists(st.lists(numbers, min_size=c, max_size=c), min_size=r, max_size=r)))


@settings(max_examples=80, deadline=None)
@given(x=matrices(1, 6), kernel=matrices(1, 3), padding=st.integers(0, 2), stride=st.integers(1, 3))
def test_cnn_cross_correlation_matches_numpy_oracle(x, kernel, padding, stride):
    fits = len(x) + 2 * padding >= len(kernel) and len(x[0]) + 2 * padding >= len(kernel[0])
    if not fits:
        with pytest.raises(InvalidSpec):
            cross_correlate(as_matrix(x), as_matrix(kernel), padding=padding, stride=stride)
        return
    step = cross_correlate(as_matrix(x), as_matrix(kernel), padding=padding, stride=stride)
    expected = oracle_conv(as_array(x), as_array(kernel), padding, stride)
    assert np.array_equal(as_array(step.output), expected)
    for cell in step.cells:  # the shown work adds up to the value
        assert sum(v for row in cell.products for v in row) == cell.value


@settings(max_examples=60, deadline=None)
@given(x=matrices(2, 8), size=st.integers(1, 3))
def test_cnn_pooling_matches_numpy_blocks(x, size):
    rows, cols = (len(x) // size) * size, (len(x[0]) // size) * size
    if rows == 0 or cols == 0:
        return
    array = as_array(x)[:rows, :cols]
    blocks = array.reshape(rows // size, size, cols // size, size).swapaxes(1, 2).reshape(rows // size, cols // size, size * size)
    assert np.array_equal(as_array(max_pool(as_matrix(x), size).output), np.array([[max(b) for b in row] for row in blocks], dtype=object))
    assert np.array_equal(as_array(avg_pool(as_matrix(x), size).output), np.array([[sum(b) / (size * size) for b in row] for row in blocks], dtype=object))


def test_cnn_p5_resnet_values():
    block = p5_resnet()
    assert block.a1 == ((4, 4), (0, 0))
    assert block.a2 == ((0, 0), (1, 1))
    assert [s.output for s in block.steps][0] == ((4, 4), (-4, -4))


def test_cnn_resnet_skip_after_relu_option():
    assert p5_resnet("after_relu").a2 == ((-1, -1), (1, 1))


def test_cnn_resnet_shape_mismatch_is_refused():
    x = as_matrix([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    with pytest.raises(InvalidSpec, match="keep the input's shape"):
        resnet_block(x, as_matrix([[1, 1], [1, 1]]), as_matrix([[1, 1], [1, 1]]), padding=0)


def test_cnn_exact_rationals_as_written():
    step = avg_pool(as_matrix([["0.1", "1/3"], [0, 1]]), 2)
    assert step.output == ((Fraction(1, 10) / 4 + Fraction(1, 3) / 4 + Fraction(1, 4),),)


def test_cnn_catalogue_checks_pass():
    assert [c.name for c in check_examples().checks if not c.passed] == []


def test_cnn_example_files():
    conv = loads_conv((EXAMPLES / "conv.toml").read_text(), source="conv.toml")
    assert conv.output == ((0, 0), (1, 1))
    pooling = loads_conv((EXAMPLES / "pooling.toml").read_text())
    assert pooling.output == ((2, Fraction(5, 4)), (Fraction(1, 4), Fraction(5, 4)))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("filters = [[[1]]]", "needs input"),
        ("input = [[1, 2], [3]]\nfilters = [[[1]]]", "rows must have the same length"),
        ("input = [[1, 2]]\nfilters = [[[1, 1, 1]]]", "does not fit"),
        ("input = [[1]]\nfilters = [[[1]]]\nstride = 0", "stride must be an integer >= 1"),
        ("input = [[1]]\nfilters = [[[1]]]\nblock = 'resnet'", "exactly 2 filters"),
        ("input = [[1]]\nfilters = [[[1]]]\nfilterz = 3", "unknown key filterz"),
        ("input = [[1]]\n[[layers]]\ntype = 'softmax'", "type must be one of"),
        ("input = [[1, 'x']]\nfilters = [[[1]]]", "expected a number"),
        ("input = [[1]]\nfilters = [[[1]]", "not valid TOML"),
        ("input = [[1]]\nfilters = [[[1]]]\nskip = 'after_relu'", 'skip only applies with block = "resnet"'),
    ],
)
def test_cnn_spec_errors_say_what_was_expected(text, fragment):
    with pytest.raises(InputError) as info:
        loads_conv(text, source="bad.toml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("bad.toml")


def test_cnn_cli_conv_json(cli):
    result = cli("conv", str(EXAMPLES / "conv.toml"), "--json")
    assert result.code == 0
    payload = json.loads(result.out)
    (stage,) = payload["stages"]
    assert (stage["op"], stage["a1"], stage["a2"]) == ("resnet", [["4", "4"], ["0", "0"]], [["0", "0"], ["1", "1"]])
    first = stage["steps"][0]["cells"][0]
    assert first == {
        "row": 1,
        "col": 1,
        "window": [["0", "0", "0"], ["0", "-1", "-1"], ["0", "1", "1"]],
        "products": [["0", "0", "0"], ["0", "1", "1"], ["0", "1", "1"]],
        "value": "4",
    }


def test_cnn_cli_conv_text_and_latex(cli):
    text = cli("conv", str(EXAMPLES / "conv.toml"))
    assert text.code == 0 and "a^[l+2] = ReLU(z^[l+2] + a^[l])" in text.out
    latex = cli("conv", str(EXAMPLES / "conv.toml"), "--latex")
    assert "a^{[l+2]} &= \\begin{bmatrix} 0 & 0 \\\\ 1 & 1 \\end{bmatrix}" in latex.out


def test_cnn_cli_missing_file_exits_2(cli):
    result = cli("conv", "nowhere.toml")
    assert result.code == 2 and "nowhere.toml: no such file" in result.err


def test_render_cnn_pool_golden():
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(render_step(max_pool(as_matrix([[1, 3], [4, 2]]), 2)))
    assert buffer.getvalue() == (
        "max pool\n"
        "2x2 windows, stride 2: each cell is the largest entry of its window\n"
        "input  output\n"
        "[1 3]  [4]   \n"
        "[4 2]        \n"
        "┏━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━┓\n"
        "┃ cell   ┃ window ┃ max                 ┃\n"
        "┡━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━┩\n"
        "│ p[1,1] │ [1 3]  │ max(1, 3, 4, 2) = 4 │\n"
        "│        │ [4 2]  │                     │\n"
        "└────────┴────────┴─────────────────────┘\n"
    )


def test_render_cnn_latex_cell_work():
    step = cross_correlate(as_matrix([[1, "1/2"], [-1, 0]]), as_matrix([[2, 2], [1, 1]]))
    latex = latex_step(step)
    assert "1 \\cdot 2 + \\frac{1}{2} \\cdot 2 + (-1) \\cdot 1 + 0 \\cdot 1 = 2" in latex


def test_proof_document_cnn_is_deterministic():
    name, text = proof_document(check_examples())
    assert name == "cnn.md" and text == proof_document(check_examples())[1]
    assert "a^{[l+2]} = \\begin{bmatrix} 0 & 0 \\\\ 1 & 1 \\end{bmatrix}" in text


def test_cnn_docstring_examples_run():
    import doctest
    import importlib

    for name in ("handnets.cnn", "handnets.cnn.grid", "handnets.cnn.resnet", "handnets.cnn.spec"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0, name
