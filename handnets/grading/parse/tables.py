"""Matrices and shapes typed as text: LaTeX environments, MATLAB, Python lists, one row per line.

Also a markdown table (``| 4 | 4 |`` a line, with or without a ``|---|---|`` rule), rows labelled
``row 1: 0 0`` in order, and shapes in braces (``{28, 28, 8}``) or words (``28×28 with 8 channels``).

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
    body = _drop_remark(text)
    if isinstance(body, ParseFailure):
        return body
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


_BAR_ROW = re.compile(r"^\s*\|([^|]*)\|\s*$")
_TABLE_ROW = re.compile(r"^\s*\|(?:[^|\n]*\|){2,}\s*$")  # | 4 | 4 |: a markdown table's row
_TABLE_RULE = re.compile(r"^\s*\|(?:\s*:?-+:?\s*\|)+\s*$")  # |---|:---:|
_ROW_LABEL = re.compile(r"^\s*(?:row|r)\s*(\d{1,3})\s*[:=.)]\s*", re.IGNORECASE)  # row 1: 0 0
# After the last bracket: a remark in brackets, or words, with no digits; then perhaps a full stop.
_CLOSING_REMARK = re.compile(r"(?<=[\]}])\s*(?:\((?=[^()]*[A-Za-z]{2})[^()\d]*\)|[A-Za-z]{2}[A-Za-z\s\-]*)?\s*[.;]?\s*$")
# Words that would change the matrix (transposed, inverse, times, ...): never a remark to drop.
_CHANGING_WORDS = re.compile(r"transpos|invers|times|squared|negat|minus|plus|scaled|divided|multipl|\bT\b|"
                             r"\bdet|flip|rotat|revers", re.IGNORECASE)


def _drop_remark(text: str) -> str | ParseFailure:
    """Blanks (positions kept) over what only surrounds the matrix: ``|4 4|`` bars around each row,
    a closing remark ``(after ReLU)`` or ``after the ReLU``, a full stop."""
    lines = text.split("\n")
    rows = [line for line in lines if line.strip()]
    if len(rows) > 1 and all(_BAR_ROW.match(row) for row in rows):
        return "\n".join(line.replace("|", " ") for line in lines)  # |4 4| newline |0 0|: one row per line
    if rows and all(_TABLE_ROW.match(row) for row in rows):
        return _markdown_table(text, lines)
    if len(rows) > 1 and all(_ROW_LABEL.match(row) for row in rows):
        numbers = [int(_ROW_LABEL.match(row).group(1)) for row in rows]
        if numbers != list(range(1, len(rows) + 1)) and numbers != list(range(len(rows))):
            return ParseFailure(f"the rows are labelled {', '.join(map(str, numbers))}; "
                                "label them in order from row 1, or give the rows alone", None, text)
        return "\n".join(_ROW_LABEL.sub(lambda m: " " * len(m.group()), line, count=1) for line in lines)
    remark = _CLOSING_REMARK.search(text)
    if remark and remark.group().strip():
        words = remark.group().strip()
        if HEDGE.search(words) or _CHANGING_WORDS.search(words):
            return ParseFailure(f"the words after the matrix ({words[:40]!r}) change it or offer another answer; "
                                "give the matrix alone", remark.start(), text)
        return text[:remark.start()] + " " * (len(text) - remark.start())
    return text


def _markdown_table(text: str, lines: list[str]) -> str | ParseFailure:
    """A markdown table (``| 4 | 4 |`` a line, perhaps with a ``|---|---|`` rule) as rows of cells split by
    commas, positions kept; a header row of words above the rule is dropped."""
    rule = [index for index, line in enumerate(lines) if _TABLE_RULE.match(line)]
    if len(rule) > 1:
        return ParseFailure("expected one table: this one has more than one |---| rule", None, text)
    kept = list(lines)
    if rule:
        kept[rule[0]] = " " * len(lines[rule[0]])
        header = [index for index in range(rule[0]) if lines[index].strip()]
        if len(header) > 1:
            return ParseFailure("a markdown table has one header row above its |---| rule", None, text)
        if header and not re.search(r"\d", lines[header[0]]):
            kept[header[0]] = " " * len(lines[header[0]])  # | a | b |: column names
    for index, line in enumerate(kept):
        if not line.strip():
            continue
        if "," in line:
            return ParseFailure("a comma inside a table's cell is ambiguous (a thousands separator, or two entries); "
                                "write each entry without it", text.find(line), text)
        first, last = line.index("|"), line.rindex("|")
        kept[index] = line[:first] + " " + line[first + 1:last].replace("|", ",") + " " + line[last + 1:]
    return "\n".join(kept)


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
# a closing remark in brackets after the shape: "28x28x8 (after pooling)"; (28 x 28 x 8) is the shape itself
_SHAPE_NOISE = re.compile(r"\\left|\\right|\\[,;!]|[$`]|\.\s*$|(?<=\S)\s*\((?=[^()]*[A-Za-z]{2})(?![^()]*None)[^()]*\)\s*$")
_CHANNEL_WORDS = re.compile(r"^(\d{1,9})\s*(?:[×xX*·]|\\times|\bby\b)\s*(\d{1,9})\s*(?:,|;|\bwith\b|\band\b|\(|,\s*with)?"
                            r"\s*(\d{1,9})\s*(?:channels?|feature\s+maps?|maps|filters)\s*\)?$", re.IGNORECASE)
_CHANNELS_FIRST_WORDS = re.compile(r"^(\d{1,9})\s*(?:channels?|feature\s+maps?|maps|filters)\s*(?:,?\s*each|of(?:\s+size)?|,)?\s*"
                                   r"(\d{1,9})\s*(?:[×xX*·]|\\times|\bby\b)\s*(\d{1,9})$", re.IGNORECASE)
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
    words = _CHANNEL_WORDS.match(re.sub(r"[$`]", "", text).strip().rstrip(". "))
    if words:  # 28×28 with 8 channels, 28 by 28, 8 channels, 28x28 (8 channels)
        return tuple(int(words.group(i)) for i in (1, 2, 3))
    words = _CHANNELS_FIRST_WORDS.match(re.sub(r"[$`]", "", text).strip().rstrip(". "))
    if words:  # 8 channels of 28×28, 8 feature maps, each 28 x 28
        return tuple(int(words.group(i)) for i in (2, 3, 1))
    labelled = _labelled_shape(text)
    if labelled is not None:
        return labelled
    body = _SHAPE_WORDS.sub("", _SHAPE_NOISE.sub(" ", text)).strip()
    at = _AT_NOTATION.match(body)
    if at:
        return int(at.group(2)), int(at.group(3)), int(at.group(1))
    if "=" in body and re.search(r"[A-Za-z]", body[:body.rindex("=")]):
        body = body[body.rindex("=") + 1:].strip()  # H x W x C = 28 x 28 x 8
    torch = _TORCH_SIZE.match(body)
    if torch:
        body = torch.group(1)
    if body[:1] + body[-1:] in ("()", "[]", "{}"):
        body = body[1:-1]
    items = [item.strip() for item in _SHAPE_SEPARATORS.split(body)]
    if len(items) > 1 and items[0] == "None":
        items = items[1:]  # Keras' batch dimension
    elif torch and len(items) == 4 and items[0] == "1":
        items = items[1:]  # torch.Size([1, C, H, W]): a batch of one
    if not items or not all(re.fullmatch(r"\d{1,9}", item) for item in items):
        return ParseFailure(f"{expected}, got {text.strip()[:60]!r}", None, text)
    return tuple(int(item) for item in items)


# What a labelled dimension is, by its label: a shape is given back in (height, width, channels) order.
_DIM_LABELS = {"h": 0, "height": 0, "rows": 0, "w": 1, "width": 1, "cols": 1, "columns": 1,
               "c": 2, "channels": 2, "channel": 2, "depth": 2, "d": 2, "filters": 2, "maps": 2}
_LABEL_VALUE = re.compile(r"([A-Za-z]+)\s*[=:]\s*(\d{1,9})")  # H = 28, W: 28
_VALUE_LABEL = re.compile(r"(\d{1,9})\s*\(\s*([A-Za-z]+)\s*\)")  # 28 (H)
_LABELS_FIRST = re.compile(r"^\s*\(?\s*([A-Za-z]+(?:\s*(?:[×x*X,]|\\times)\s*[A-Za-z]+)+)\s*\)?\s*[:=]\s*(.*)$",
                           re.DOTALL)  # H×W×C: 28×28×8, (C, H, W) = (8, 28, 28)
_LABELS_AFTER = re.compile(r"^(.*\d\s*[)\]]?)\s*\(\s*([A-Za-z](?:\s*(?:[×x*X,]|\\times)\s*[A-Za-z])+)\s*\)$", re.DOTALL)
_LABEL_GLUE = re.compile(r"^[\s,;×xX*]*(?:\\times)?[\s,;×xX*]*(?:and)?\s*$")


def _labelled(labels: list[str], numbers: str, text: str) -> list[tuple[str, str]] | ParseFailure:
    """(label, number) pairs of a shape written with its labels in one place and its numbers in another."""
    values = read_shape(numbers)
    if isinstance(values, ParseFailure):
        return values
    if len(labels) != len(values):
        return ParseFailure(f"the shape names {len(labels)} dimensions ({', '.join(labels)}) but gives "
                            f"{len(values)} numbers", None, text)
    return [(label, str(value)) for label, value in zip(labels, values)]


def _labelled_shape(text: str) -> tuple[int, ...] | ParseFailure | None:
    """A shape whose dimensions carry labels, read by label: ``H = 28, W = 28, C = 8``, ``28 (H) x 28 (W) x 8 (C)``,
    ``C×H×W: 8×28×28`` is (28, 28, 8). None when the text has no labels; a failure when a label is unknown or repeated."""
    stripped = text.strip().rstrip(".").strip("$` ")
    pairs: list[tuple[str, str]] = []
    first = _LABELS_FIRST.match(stripped)
    after = None if first else _LABELS_AFTER.match(stripped)
    if first:
        labels = re.findall(r"[A-Za-z]+", first.group(1).replace("\\times", " "))
        if len(labels) >= 3 and all(label in ("x", "X") for label in labels[1::2]):
            labels = labels[::2]  # H x W x C: the x between labels is a product sign
        pairs = _labelled(labels, first.group(2), text)
    elif after:  # [28, 28, 8] (h, w, c), 28 x 28 x 8 (H x W x C)
        labels = [label for label in re.findall(r"[A-Za-z]+", after.group(2).replace("\\times", " "))
                  if label not in ("x", "X")]
        pairs = _labelled(labels, after.group(1), text)
    else:  # the labels beside each number: H = 28, W = 28, C = 8 or 28 (H) x 28 (W) x 8 (C)
        for pattern, order in ((_LABEL_VALUE, (1, 2)), (_VALUE_LABEL, (2, 1))):
            found = list(pattern.finditer(stripped))
            if not found:
                continue
            gaps = [stripped[a.end():b.start()] for a, b in zip(found, found[1:])]
            outside = stripped[:found[0].start()] + stripped[found[-1].end():]
            if all(_LABEL_GLUE.match(gap) for gap in gaps) and _LABEL_GLUE.match(outside.strip("()[]")):
                pairs = [(m.group(order[0]), m.group(order[1])) for m in found]
            break
    if isinstance(pairs, ParseFailure):
        return pairs
    if not pairs:
        return None
    dims: dict[int, int] = {}
    for label, value in pairs:
        slot = _DIM_LABELS.get(label.lower())
        if slot is None:
            return ParseFailure(f"unknown dimension label '{label}': label dimensions as H, W and C "
                                "(height, width, channels)", None, text)
        if slot in dims:
            return ParseFailure(f"the dimension label '{label}' names a dimension already given", None, text)
        dims[slot] = int(value)
    if sorted(dims) != list(range(len(dims))):
        return ParseFailure("a labelled shape gives height, width and then channels; "
                            f"this one gives only {', '.join(label for label, _ in pairs)}", None, text)
    return tuple(dims[slot] for slot in range(len(dims)))
