"""Fit formulas to the width rich gives them: broken between terms, then factors, never cropped or folded.

The pretty form (``handnets.notation.pretty``: sympy's pretty printer in the homework's names) is two-dimensional, and rich folding it at a panel's edge loses the glyphs under the
cut (``... + iₙₑₓₜ⋅i̅ₙₑ`` then ``- iₙₑₓₜ)``). Here a formula is laid out for the width of the panel or cell it
is printed in. Too wide, it is broken at a term boundary of the top-level sum first; a term still too wide
is broken between the factors of its product, then inside a parenthesised sum among those factors. Each
continuation line starts with ``↳`` and the operator, and each line is joined with sympy's own
``stringPict.next``, so the rows of powers and fractions stay on their baseline. The pieces are joined back
and compared with the printer's picture of the whole formula; only if they differ (or a single glyph block is
wider than the width) is the one-line plain form printed instead, broken at operators the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sympy
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from sympy.printing.pretty.pretty_symbology import pretty_use_unicode, vobj, xsym
from sympy.printing.pretty.stringpict import prettyForm, stringPict

from handnets import notation
from handnets.notation import PrettyNotation, pretty_printer

__all__ = ["MARK", "CONTINUE", "Line", "break_plain", "fit_pretty", "PlainFormula", "PrettyFormula"]

MARK = "↳"
CONTINUE = f"  {MARK} "  # starts every continuation line, on the baseline row of a tall one


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line of a formula: its rows (equal width) and the row the operators sit on."""

    rows: tuple[str, ...]
    baseline: int


# ------------------------------------------------------------------------------- plain form


def _plain_breaks(text: str) -> list[tuple[int, int, int]]:
    """Where ``text`` may break: ``(end of this line, start of the next, rank)``; a lower rank reads better.

    Before a binary ``+``/``-`` (sstr puts spaces around both, never around a unary minus), before a
    ``*`` that is not half of ``**``, and after ``, ``; deeper inside parentheses ranks worse.
    """
    breaks, depth, i = [], 0, 0
    while i < len(text):
        char = text[i]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif text.startswith((" + ", " - "), i):
            breaks.append((i, i + 1, 3 * depth))
        elif text.startswith(", ", i):
            breaks.append((i + 1, i + 2, 3 * depth + 2))
        elif text.startswith("**", i):
            i += 2
            continue
        elif char == "*":
            breaks.append((i, i, 3 * depth + 1))
        i += 1
    return breaks


def _choose(candidates: list[tuple[int, int]], room: int) -> int:
    """The index of the break to take: the best-ranked one that leaves the line at least a third full."""
    full_enough = [(rank, -used, k) for k, (used, rank) in enumerate(candidates) if used * 3 >= room]
    if full_enough:
        return min(full_enough)[2]
    return max(range(len(candidates)), key=lambda k: candidates[k][0])


def break_plain(text: str, width: int, *, first: str = "", later: str = CONTINUE) -> tuple[str, ...]:
    """``text`` (a one-line plain formula) as lines of at most ``width`` cells, broken at operators.

    The first line starts with ``first``, every other with ``later`` and the operator it breaks before.
    A run of characters with no operator in it that is wider than the line is cut at the edge (the
    continuation mark still shows it goes on); nothing is ever dropped.

    >>> break_plain("a*(b + c) + d*e", 12)
    ('a*(b + c)', '  ↳ + d*e')
    """
    breaks = _plain_breaks(text)
    lines, start, prefix = [], 0, first
    while True:
        room = max(width - cell_len(prefix), 1)
        if cell_len(text[start:]) <= room:
            lines.append(prefix + text[start:])
            return tuple(lines)
        fitting = [(end, nxt, rank) for end, nxt, rank in breaks if start < end and cell_len(text[start:end]) <= room]
        if fitting:
            end, nxt, _ = fitting[_choose([(cell_len(text[start:e]), r) for e, _, r in fitting], room)]
        else:  # no operator within reach: cut at the edge
            end = nxt = start + room
        lines.append(prefix + text[start:end])
        start, prefix = nxt, later


# ------------------------------------------------------------------------------ pretty form


@dataclass(frozen=True, slots=True)
class _Piece:
    """A block of glyphs; ``depth`` None glues it to the piece before, otherwise a line may break before it."""

    pict: stringPict
    inline: str  # what joins it to the piece before on the same line (" + ", "⋅", "")
    leading: str  # what starts a continuation line with it ("+ ", "⋅")
    depth: int | None


@contextmanager
def _unicode() -> Iterator[None]:
    # prettyForm's operators read sympy's global unicode flag, as sympy.pretty() itself sets it
    previous = pretty_use_unicode(True)
    try:
        yield
    finally:
        pretty_use_unicode(previous)


def _printer() -> PrettyNotation:
    return pretty_printer()


def _negated(term: sympy.Basic) -> sympy.Basic | None:
    """``-term`` as sympy's Add printer writes it after a minus sign, or None for a positive term."""
    if term.is_Mul and term.could_extract_minus_sign():
        coeff, other = term.as_coeff_mul(rational=False)
        return sympy.Mul(*other, evaluate=False) if coeff == -1 else sympy.Mul(-coeff, *other, evaluate=False)
    if term.is_Number and term < 0:
        return -term
    return None


def _atom(printer: PrettyNotation, expr: sympy.Basic, inline: str, leading: str, depth: int | None) -> list[_Piece]:
    return [_Piece(printer._print(expr), inline, leading, depth)]


def _add_pieces(printer: PrettyNotation, expr: sympy.Add, inline: str, leading: str, depth: int | None, level: int) -> list[_Piece]:
    terms = printer._as_ordered_terms(expr)  # the notation's order: positive terms first
    if any(t.is_Rational and t.q > 1 or t.is_Relational for t in terms):  # sympy stacks these specially
        return _atom(printer, expr, inline, leading, depth)
    pieces: list[_Piece] = []
    for index, term in enumerate(terms):
        body = _negated(term)
        if body is None:
            body, sign = term, "+"
        else:
            sign = "-"
        form = printer._print(body)
        if form.binding > prettyForm.NEG or (sign == "-" and form.binding == prettyForm.ADD):
            return _atom(printer, expr, inline, leading, depth)  # a parenthesised term: rare, keep whole
        if index == 0:
            head = "" if sign == "+" else ("- " if form.height() > 1 else "-")
            pieces += _pieces(printer, body, inline + head, leading + head, depth, level + 1)
        else:
            pieces += _pieces(printer, body, f" {sign} ", f"{sign} ", level, level + 1)
    return pieces


def _mul_pieces(printer: PrettyNotation, expr: sympy.Mul, inline: str, leading: str, depth: int | None, level: int) -> list[_Piece]:
    factors = expr.as_ordered_factors()
    denominator = any(f.is_Rational and not f.is_Integer or f.is_Pow and f.exp.is_Rational and f.exp.is_negative for f in factors)
    if denominator or factors[0] == -1 or any(isinstance(f, sympy.Number) for f in expr.args[1:]):
        return _atom(printer, expr, inline, leading, depth)  # a fraction or a sign: sympy lays it out whole
    times = xsym("*")
    pieces: list[_Piece] = []
    for index, factor in enumerate(factors):
        glue, start, at = (inline, leading, depth) if index == 0 else (times, times, level)
        form = printer._print(factor)
        if not (form.binding > prettyForm.MUL and form.binding != prettyForm.NEG):
            pieces += _pieces(printer, factor, glue, start, at, level + 1)
        elif factor.is_Add:  # a sum in parentheses may break inside, its parentheses as tall as the whole sum
            height, baseline = form.height(), form.baseline
            left = stringPict(vobj("(", height), baseline=baseline)
            right = stringPict(vobj(")", height), baseline=baseline)
            pieces.append(_Piece(left, glue, start, at))
            pieces += _add_pieces(printer, factor, "", "", None, level + 1)
            pieces.append(_Piece(right, "", "", None))
        else:
            pieces.append(_Piece(prettyForm(*form.parens()), glue, start, at))
    return pieces


def _pieces(printer: PrettyNotation, expr: sympy.Basic, inline: str, leading: str, depth: int | None, level: int) -> list[_Piece]:
    if expr.is_Add:
        return _add_pieces(printer, expr, inline, leading, depth, level)
    if expr.is_Mul:
        return _mul_pieces(printer, expr, inline, leading, depth, level)
    return _atom(printer, expr, inline, leading, depth)


@dataclass(frozen=True, slots=True)
class _Chunk:
    """Pieces that must stay on one line: a piece a line may break before, and the pieces glued to it."""

    inline: tuple[str | stringPict, ...]
    leading: tuple[str | stringPict, ...]
    depth: int

    @staticmethod
    def width(parts: tuple[str | stringPict, ...]) -> int:
        return sum(cell_len(p) if isinstance(p, str) else p.width() for p in parts)


def _chunks(pieces: list[_Piece]) -> list[_Chunk]:
    groups: list[list[_Piece]] = []
    for piece in pieces:
        if piece.depth is None and groups:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    chunks = []
    for group in groups:
        head, *glued = group
        rest = tuple(part for piece in glued for part in (piece.inline, piece.pict))
        depth = head.depth if head.depth is not None else 0
        chunks.append(_Chunk((head.inline, head.pict, *rest), (head.leading, head.pict, *rest), depth))
    return chunks


def _line(parts: tuple[str | stringPict, ...]) -> Line:
    picture, baseline = stringPict.next(*(p for p in parts if p != ""))
    return Line(tuple(picture.split("\n")), baseline)


def _pack(chunks: list[_Chunk], width: int) -> list[Line] | None:
    """Chunks greedily onto lines of ``width`` cells, each break at the shallowest fitting boundary."""
    lines: list[Line] = []
    start = 0
    while start < len(chunks):
        head: tuple[str | stringPict, ...] = chunks[start].inline if start == 0 else (CONTINUE, *chunks[start].leading)
        used = _Chunk.width(head)
        if used > width:
            return None
        candidates: list[tuple[int, int]] = []  # (width used if the line ends before chunk k, its depth)
        end = start + 1
        while end < len(chunks) and used + _Chunk.width(chunks[end].inline) <= width:
            candidates.append((used, chunks[end].depth))
            used += _Chunk.width(chunks[end].inline)
            end += 1
        if end < len(chunks):  # the rest does not fit: break before the best of the chunks on this line
            candidates.append((used, chunks[end].depth))
            end = start + 1 + _choose(candidates, width)
        parts = list(head)
        for chunk in chunks[start + 1 : end]:
            parts += chunk.inline
        lines.append(_line(tuple(parts)))
        start = end
    return lines


def fit_pretty(expr: sympy.Basic, width: int) -> tuple[Line, ...] | None:
    """The notation's pretty form of ``expr`` in lines of at most ``width`` cells, or None if it cannot be.

    >>> x, y, z = sympy.symbols("x y z")
    >>> [line.rows for line in fit_pretty(x * y + y * z + z * x, 10)]
    [('x⋅y + x⋅z',), ('  ↳ + y⋅z',)]
    """
    with _unicode():
        printer = _printer()
        whole = printer._print(expr)
        if whole.width() <= width:
            return (Line(tuple(whole.picture), whole.baseline),)
        pieces = _pieces(printer, expr, "", "", 0, 1)
        joined = _line(tuple(part for piece in pieces for part in (piece.inline, piece.pict)))
        if joined.rows != tuple(whole.picture):  # the pieces must be exactly sympy's picture, cut between glyphs
            return None
        packed = _pack(_chunks(pieces), width)
    return None if packed is None else tuple(packed)


# ---------------------------------------------------------------------------- renderables


def _rows(lines: tuple[str, ...], style: str) -> RenderResult:
    for line in lines:
        yield Text(line.rstrip(), style=style, no_wrap=True, overflow="ignore")


class PlainFormula:
    """A one-line plain formula that breaks at operators to the width it is given (``first`` leads it)."""

    def __init__(self, text: str, *, first: str = "", later: str = CONTINUE, style: str = ""):
        self.text, self.first, self.later, self.style = text, first, later, style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from _rows(break_plain(self.text, options.max_width, first=self.first, later=self.later), self.style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        whole = cell_len(self.first + self.text)
        widest = max((len(word) for word in self.text.replace("*", " ").split()), default=1)
        return Measurement(min(whole, cell_len(self.later) + widest + 2), whole).clamp(max_width=options.max_width)


class PrettyFormula:
    """The notation's pretty form of ``expr``, broken to the width it is given; ``plain`` is the fallback text."""

    def __init__(self, expr: sympy.Basic, *, plain: str | None = None):
        self.expr = expr
        self.plain = notation.plain(expr) if plain is None else plain
        self._width: int | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = fit_pretty(self.expr, options.max_width)
        if lines is None:
            yield from _rows(break_plain(self.plain, options.max_width), "")
            return
        for line in lines:
            yield from _rows(line.rows, "")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if self._width is None:
            with _unicode():
                self._width = _printer()._print(self.expr).width()
        return Measurement(min(self._width, 20), self._width).clamp(max_width=options.max_width)
