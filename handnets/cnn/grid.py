"""Exact 2-D cross-correlation, pooling, ReLU and addition on int/Fraction matrices, with the work shown.

Every operation returns a ``Step``: the inputs, the zero-padded input where there is one, and for
each output cell the window it read, the products (for a convolution) and the value. Nothing is
rounded: entries are ``fractions.Fraction``. Output sizes follow ``floor((n + 2p - k)/s) + 1``,
as the frameworks compute them (``handnets.params.shapes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from handnets.errors import InvalidSpec
from handnets.exact import to_fraction
from handnets.params.shapes import conv_output_length

__all__ = ["Matrix", "CellWork", "Step", "as_matrix", "pad", "cross_correlate", "max_pool", "avg_pool", "relu", "add", "shape_of"]

Matrix = tuple[tuple[Fraction, ...], ...]
_MAX_SIDE = 64  # hand-computed blocks are small; this bounds the work a hostile file can ask for

OPS = ("conv", "maxpool", "avgpool", "relu", "add")


@dataclass(frozen=True, slots=True)
class CellWork:
    """How one output cell came about: where it is, what it read, what it multiplied, what it got."""

    row: int
    col: int
    window: Matrix
    products: Matrix | None
    value: Fraction


@dataclass(frozen=True, slots=True)
class Step:
    """One operation with its work: ``output`` is what the next step reads."""

    op: str
    label: str
    inputs: tuple[Matrix, ...]
    output: Matrix
    cells: tuple[CellWork, ...]
    kernel: Matrix | None = None
    padded: Matrix | None = None
    padding: int = 0
    stride: int = 1
    size: int = 0  # pooling window side
    bias: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"op must be one of {OPS}, got {self.op!r}")


def shape_of(matrix: Matrix) -> tuple[int, int]:
    return len(matrix), len(matrix[0]) if matrix else 0


def as_matrix(rows: Any, *, source: str | None = None, field: str | None = None) -> Matrix:
    """Read a rectangular matrix of exact numbers (ints, decimals as written, "p/q" strings).

    >>> as_matrix([[1, "1/2"], [0, -1]])
    ((Fraction(1, 1), Fraction(1, 2)), (Fraction(0, 1), Fraction(-1, 1)))
    """
    if isinstance(rows, tuple):
        rows = list(rows)
    if not isinstance(rows, list) or not rows:
        raise InvalidSpec(f"expected a matrix as a non-empty list of rows, got {type(rows).__name__}", source=source, field=field)
    width = None
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, tuple):
            row = list(row)
        if not isinstance(row, list) or not row:
            raise InvalidSpec(f"row {i + 1} must be a non-empty list of numbers, got {row!r}", source=source, field=field)
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise InvalidSpec(f"rows must have the same length: row 1 has {width} entries, row {i + 1} has {len(row)}", source=source, field=field)
        out.append(tuple(to_fraction(v, source=source, field=f"{field}[{i + 1}]" if field else None) for v in row))
    if len(out) > _MAX_SIDE or (width or 0) > _MAX_SIDE:
        raise InvalidSpec(f"matrices of at most {_MAX_SIDE}x{_MAX_SIDE} are computed by hand, got {len(out)}x{width}", source=source, field=field)
    return tuple(out)


def pad(matrix: Matrix, padding: int) -> Matrix:
    """Surround with ``padding`` rings of zeros."""
    rows, cols = shape_of(matrix)
    zero = Fraction(0)
    blank = (zero,) * (cols + 2 * padding)
    return (blank,) * padding + tuple((zero,) * padding + row + (zero,) * padding for row in matrix) + (blank,) * padding


def _window(matrix: Matrix, top: int, left: int, height: int, width: int) -> Matrix:
    return tuple(row[left : left + width] for row in matrix[top : top + height])


def _check_int(value: Any, label: str, least: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise InvalidSpec(f"{label} must be an integer >= {least}, got {value!r}", field=label)
    return value


def _output_side(n: int, k: int, stride: int, padding: int) -> int:
    return conv_output_length(n, k, stride=stride, padding=padding)


def cross_correlate(x: Matrix, kernel: Matrix, *, padding: int = 0, stride: int = 1, bias: Fraction | int = 0, label: str = "z = W * x") -> Step:
    """Cross-correlation (what deep-learning libraries call convolution) with zero padding and stride.

    >>> step = cross_correlate(as_matrix([[1, 2], [3, 4]]), as_matrix([[1, 0], [0, 1]]))
    >>> step.output, step.cells[0].products
    (((Fraction(5, 1),),), ((Fraction(1, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(4, 1))))
    """
    _check_int(padding, "padding", 0)
    _check_int(stride, "stride", 1)
    bias = Fraction(bias)
    kh, kw = shape_of(kernel)
    padded = pad(x, padding)
    rows, cols = shape_of(x)
    out_h, out_w = _output_side(rows, kh, stride, padding), _output_side(cols, kw, stride, padding)
    cells = []
    for i in range(out_h):
        for j in range(out_w):
            window = _window(padded, i * stride, j * stride, kh, kw)
            products = tuple(tuple(a * w for a, w in zip(wrow, krow)) for wrow, krow in zip(window, kernel))
            cells.append(CellWork(i, j, window, products, sum((v for row in products for v in row), Fraction(0)) + bias))
    output = tuple(tuple(cells[i * out_w + j].value for j in range(out_w)) for i in range(out_h))
    return Step("conv", label, (x,), output, tuple(cells), kernel=kernel, padded=padded, padding=padding, stride=stride, bias=bias)


def _pool(op: str, x: Matrix, size: int, stride: int | None, label: str) -> Step:
    _check_int(size, "size", 1)
    stride = size if stride is None else _check_int(stride, "stride", 1)
    rows, cols = shape_of(x)
    out_h, out_w = _output_side(rows, size, stride, 0), _output_side(cols, size, stride, 0)
    cells = []
    for i in range(out_h):
        for j in range(out_w):
            window = _window(x, i * stride, j * stride, size, size)
            values = [v for row in window for v in row]
            value = max(values) if op == "maxpool" else sum(values, Fraction(0)) / len(values)
            cells.append(CellWork(i, j, window, None, value))
    output = tuple(tuple(cells[i * out_w + j].value for j in range(out_w)) for i in range(out_h))
    return Step(op, label, (x,), output, tuple(cells), stride=stride, size=size)


def max_pool(x: Matrix, size: int = 2, stride: int | None = None, *, label: str = "max pool") -> Step:
    """Max pooling with a size x size window (stride defaults to the size), no padding.

    >>> max_pool(as_matrix([[1, 3], [4, 2]])).output
    ((Fraction(4, 1),),)
    """
    return _pool("maxpool", x, size, stride, label)


def avg_pool(x: Matrix, size: int = 2, stride: int | None = None, *, label: str = "average pool") -> Step:
    """Average pooling with a size x size window (stride defaults to the size), exact.

    >>> avg_pool(as_matrix([[1, 3], [4, 3]])).output
    ((Fraction(11, 4),),)
    """
    return _pool("avgpool", x, size, stride, label)


def relu(x: Matrix, *, label: str = "a = ReLU(z)") -> Step:
    """ReLU cell by cell (the window of a cell is the cell itself)."""
    zero = Fraction(0)
    cells = tuple(CellWork(i, j, ((v,),), None, max(v, zero)) for i, row in enumerate(x) for j, v in enumerate(row))
    return Step("relu", label, (x,), tuple(tuple(max(v, zero) for v in row) for row in x), cells)


def add(x: Matrix, y: Matrix, *, label: str = "x + y") -> Step:
    """Elementwise sum of two matrices of the same shape (the skip connection)."""
    if shape_of(x) != shape_of(y):
        raise InvalidSpec(f"cannot add a {'x'.join(map(str, shape_of(x)))} matrix to a {'x'.join(map(str, shape_of(y)))} one")
    cells = tuple(CellWork(i, j, ((a, b),), None, a + b) for i, (rx, ry) in enumerate(zip(x, y)) for j, (a, b) in enumerate(zip(rx, ry)))
    return Step("add", label, (x, y), tuple(tuple(a + b for a, b in zip(rx, ry)) for rx, ry in zip(x, y)), cells)


def from_ints(rows: Sequence[Sequence[int]]) -> Matrix:
    """A matrix from trusted in-code numbers (the built-in examples)."""
    return tuple(tuple(Fraction(v) for v in row) for row in rows)
