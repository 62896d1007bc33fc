"""Matrices and shapes typed as text: LaTeX environments, MATLAB, Python lists, one row per line.

A matrix's entries are read one by one by ``read_number`` (so ``\\frac{7}{2}``, ``3.5`` and ``-4``
are exact numbers and every bound of the expression reader holds); the layout around them is read
here, by hand, with a bound on rows and columns.

>>> read_matrix(r"\\begin{bmatrix} 4 & 4 \\\\ 0 & 0 \\end{bmatrix}")
((4, 4), (0, 0))
>>> read_matrix("[3.5 2; 1.5 3.75]")
((7/2, 2), (3/2, 15/4))
>>> read_shape("(None, 28, 28, 8)"), read_shape(r"28 \\times 28 \\times 8")
((28, 28, 8), (28, 28, 8))
"""

from __future__ import annotations

import re

import sympy

from handnets.grading.parse.numbers import HEDGE, read_number
from handnets.grading.parse.unicode import mixed_number, plain_tex_matrix
from handnets.grading.parse.values import MAX_LENGTH, ParseFailure

__all__ = ["read_matrix", "read_shape", "MAX_ROWS"]

MAX_ROWS = 100  # rows, and columns in a row

_ENVIRONMENT = re.compile(
    r"\\begin\s*\{\s*(bmatrix|pmatrix|vmatrix|Bmatrix|Vmatrix|matrix|smallmatrix|array)\s*\}"
    r"(?:\s*\{[lcr|\s]*\})?(.*?)\\end\s*\{\s*\1\s*\}",
    re.DOTALL,
)
_WRAPPER = re.compile(r"^\s*(?:np\.|numpy\.|torch\.|sympy\.|sp\.)?(?:array|matrix|tensor)\s*\((.*)\)\s*$",
                      re.DOTALL | re.IGNORECASE)
_DELIMITERS = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?\s*|\\[,;!:]|\\quad|[$`]")
_LHS = re.compile(r"^[^=]*=(?=[^=]*$)", re.DOTALL)  # a left-hand side such as a^{[l+1]} =


def read_matrix(text: str) -> tuple[tuple[sympy.Rational, ...], ...] | ParseFailure:
    """The rows of a matrix typed as text (exact numbers), or a failure saying what was expected."""
    if len(text) > MAX_LENGTH:
        return ParseFailure(f"the answer is {len(text)} characters long, more than the {MAX_LENGTH} allowed",
                            MAX_LENGTH, text)
    body = text
    lhs = _LHS.match(body)
    if lhs and re.search(r"[\[\\(&;\n]", body[lhs.end():]):
        body = " " * lhs.end() + body[lhs.end():]  # blanks keep positions
    if (mixed := mixed_number(text)) is not None:
        return mixed
    body = plain_tex_matrix(body)
    environment = _ENVIRONMENT.search(body)
    if environment or ("&" in body and "\\begin" not in body):
        # an environment, or its rows alone: 6 & 5 \\ 3 & 8
        inner, offset = (environment.group(2), environment.start(2)) if environment else (body, 0)
        rows = [(row, offset + start) for row, start in _split(inner, r"\\\\")]
        cells = [[(cell, start + s) for cell, s in _split(row, "&")] for row, start in rows]
    else:
        cells = _plain_cells(_DELIMITERS.sub(lambda m: " " * len(m.group()), body))
        if isinstance(cells, str):
            return ParseFailure(cells, None, text)
    cells = [row for row in cells if any(cell.strip() for cell, _ in row)]
    if not cells:
        return ParseFailure("expected a matrix, such as [[4, 4], [0, 0]], [4 4; 0 0] or one row per line", 0, text)
    if len(cells) > MAX_ROWS or any(len(row) > MAX_ROWS for row in cells):
        return ParseFailure(f"expected at most {MAX_ROWS} rows and {MAX_ROWS} columns", 0, text)
    matrix = []
    for row in cells:
        values = []
        for cell, start in row:
            value = read_number(cell, integer=False)
            if not value.ok:
                position = None if value.position is None else start + value.position
                return ParseFailure(f"an entry of the matrix: {value.message}", position, text)
            if len(value.sides) > 1 or value.expr.free_symbols or not value.expr.is_Rational:
                return ParseFailure("each entry of the matrix must be one exact number", start, text)
            values.append(value.expr)
        matrix.append(tuple(values))
    return tuple(matrix)


def _split(text: str, separator: str) -> list[tuple[str, int]]:
    """Pieces of ``text`` between ``separator``s (a regex), each with its start."""
    pieces, start = [], 0
    for match in re.finditer(separator, text):
        pieces.append((text[start:match.start()], start))
        start = match.end()
    pieces.append((text[start:], start))
    return pieces


def _plain_cells(body: str) -> list[list[tuple[str, int]]] | str:
    """Rows of cells in Python-list, MATLAB or one-row-per-line form; a message when it is none of them."""
    wrapped = _WRAPPER.match(body)
    if wrapped:
        body = " " * wrapped.start(1) + wrapped.group(1) + " " * (len(body) - wrapped.end(1))
    if body.strip().startswith("{{"):  # Mathematica: {{4, 4}, {0, 0}}
        body = body.replace("{", "[").replace("}", "]")
    if body.strip().startswith("(("):  # a tuple of tuples: ((4, 4), (0, 0))
        body = body.replace("(", "[").replace(")", "]")
    stripped = body.strip()
    if body.count("[") != body.count("]"):
        return "the brackets of the matrix do not match"
    if stripped.startswith("[[") and _closing(stripped) != len(stripped) - 1:
        return "expected one matrix; this answer has more than one bracketed part"
    if stripped.startswith("[[") or (stripped.startswith("[") and "[" in stripped[1:] and ";" not in stripped):
        # Python lists: [[4, 4], [0, 0]] (rows in brackets, cells by commas)
        inner_start = body.index("[") + 1
        inner_end = body.rindex("]")
        if stripped.startswith("[["):
            rows = [(m.group(1), inner_start + m.start(1)) for m in re.finditer(r"\[([^\[\]]*)\]", body[inner_start:inner_end])]
        else:  # [6, 5] newline [3, 8]: one bracketed row per line
            rows = [(m.group(1), m.start(1)) for m in re.finditer(r"\[([^\[\]]*)\]", body)]
        return [_cells(row, start) for row, start in rows]
    if stripped.startswith("[") and stripped.endswith("]"):
        # MATLAB: [4 4; 0 0]
        start, end = body.index("[") + 1, body.rindex("]")
        return [_cells(row, start + s) for row, s in _split(body[start:end], ";|\n")]  # [6 5; 3 8], or a line each
    if ";" in stripped and "[" not in stripped:  # MATLAB without brackets: 4 4; 0 0
        return [_cells(row, s) for row, s in _split(body, ";")]
    if "\n" in stripped:
        return [_cells(row, s) for row, s in _split(body, r"\n")]
    return ("expected a matrix written as rows: [[4, 4], [0, 0]], [4 4; 0 0], "
            "\\begin{bmatrix} 4 & 4 \\\\ 0 & 0 \\end{bmatrix}, or one row per line")


def _closing(text: str) -> int:
    """Where the bracket that opens ``text`` closes (-1 when it never does)."""
    depth = 0
    for index, ch in enumerate(text):
        depth += (ch == "[") - (ch == "]")
        if depth == 0:
            return index
    return -1


def _cells(row: str, start: int) -> list[tuple[str, int]]:
    """The cells of one row: split at commas when it has any, else at spaces."""
    separator = r"," if "," in row else r"\s+"
    cells = [(cell, start + s) for cell, s in _split(row, separator)]
    return [(cell, s) for cell, s in cells if cell.strip()] if separator != "," else cells


_SHAPE_SEPARATORS = re.compile(r"\\times|\\cdot|[×x*X·⋅,]|\bby\b|(?<=\d)\s+(?=\d)")  # [28 28 8] as numpy prints it
_SHAPE_WORDS = re.compile(r"\s*(?:feature\s+maps?|activations?|channels?|outputs?|volume|tensor|image|shape)\s*\.?\s*$",
                          re.IGNORECASE)
_AT_NOTATION = re.compile(r"^\s*(\d{1,9})\s*@\s*(\d{1,9})\s*[x×X*]\s*(\d{1,9})\s*$")  # 8@28x28: C@HxW
_SHAPE_NOISE = re.compile(r"\\left|\\right|\\[,;!]|[$`]|\.\s*$|\((?=[^()]*[A-Za-z])(?![^()]*None)[^()]*\)\s*$")
_TORCH_SIZE = re.compile(r"^\s*(?:torch\.)?Size\s*\(\s*\[(.*)\]\s*\)\s*$")


def read_shape(text: str) -> tuple[int, ...] | ParseFailure:
    """A shape typed as text: (28, 28, 8), 28x28x8, 28 by 28 by 8, 28 \\times 28 \\times 8, [28, 28, 8].

    Keras' batch dimension, a leading ``None``, is dropped.
    """
    expected = 'expected a shape such as [28, 28, 8], "28x28x8" or "28 by 28 by 8"'
    if len(text) > 200:
        return ParseFailure(f"{expected}; got {len(text)} characters", 200, text)
    if HEDGE.search(text):
        return ParseFailure("give one shape: this answer offers another", HEDGE.search(text).start(), text)
    body = _SHAPE_WORDS.sub("", _SHAPE_NOISE.sub(" ", text)).strip()
    at = _AT_NOTATION.match(body)
    if at:
        return int(at.group(2)), int(at.group(3)), int(at.group(1))
    if "=" in body and re.search(r"[A-Za-z]", body[:body.rindex("=")]):
        body = body[body.rindex("=") + 1:].strip()  # H x W x C = 28 x 28 x 8
    torch = _TORCH_SIZE.match(body)
    if torch:
        body = torch.group(1)
    if body[:1] in "([" and body[-1:] in ")]":
        body = body[1:-1]
    items = [item.strip() for item in _SHAPE_SEPARATORS.split(body)]
    if len(items) > 1 and items[0] == "None":
        items = items[1:]  # Keras' batch dimension
    elif torch and len(items) == 4 and items[0] == "1":
        items = items[1:]  # torch.Size([1, C, H, W]): a batch of one
    if not items or not all(re.fullmatch(r"\d{1,9}", item) for item in items):
        return ParseFailure(f"{expected}, got {text.strip()[:60]!r}", None, text)
    return tuple(int(item) for item in items)
