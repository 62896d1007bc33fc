"""What a reading comes to: ``ParseSuccess`` or ``ParseFailure``, and the bounds every stage keeps.

``Refusal`` is internal to the package: any stage raises it at the first problem, and the public
functions turn it into a ``ParseFailure`` at the boundary.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TypeAlias

import sympy

MAX_LENGTH = 4000  # characters; the longest LSTM answer in LaTeX is about 300
MAX_NESTING = 40  # brackets, groups and decorations inside one another
MAX_NODES = 2500  # sympy nodes in the expression as read (counted with repetition)
MAX_BITS = 4096  # bits in the numerator or denominator of any exact number
MAX_EXPONENT = 64  # |numerator| of an exponent on a symbolic base (expand must stay cheap)
MAX_FACTORIAL = 100
MAX_DIGITS = 100  # digits in one written number
MAX_RECURSION = 200  # reader frames (unary chains, exponents, groups)
MAX_SIDES = 8  # expressions joined by '=' in one working line
MAX_PRODUCT_STEPS = 4  # factors of a \prod over time steps (t-2 to t+1)


# --------------------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class ParseSuccess:
    """An answer that was read: the sympy expression, and every side of an ``=`` chain.

    ``sides`` holds each expression the student wrote between ``=`` signs after the question's own
    left-hand side (``cbar_t = a = b`` has sides ``(a, b)``); ``expr`` is the last of them.
    The reader prints nothing: how the answer reads back (pretty, LaTeX, MathML) is asked of the
    notation layer (``handnets.notation``) when a report shows it. ``normalized`` is sympy's own
    string form, for tests and doctests.

    >>> from handnets.grading.parse import parse_expression
    >>> result = parse_expression("cbar_t = hbar_t o_t (1 - tanh(c_t)^2) = hbar_t o_t sech(c_t)^2", lhs="cbar_t")
    >>> len(result.sides), result.normalized
    (2, 'hbar_t*o_t*(1 - tanh(c_t)**2)')
    """

    expr: sympy.Expr
    text: str
    sides: tuple[sympy.Expr, ...] = ()
    notes: tuple[str, ...] = ()  # what was read past: a comment, a remark in words

    ok = True

    def __post_init__(self) -> None:
        if not self.sides:
            object.__setattr__(self, "sides", (self.expr,))

    @property
    def normalized(self) -> str:
        return sympy.sstr(self.expr)


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """An answer that could not be read: why, and where (an index into ``text``, or None).

    >>> from handnets.grading.parse import parse_expression
    >>> failure = parse_expression("o_t * tanh(c_t))")
    >>> failure.position, failure.message
    (15, "unexpected ')'")
    >>> print(failure.caret)
    o_t * tanh(c_t))
                   ^
    """

    message: str
    position: int | None
    text: str

    ok = False

    def __post_init__(self) -> None:
        if not self.message:
            raise ValueError("a parse failure needs a message")

    @property
    def caret(self) -> str:
        """The offending stretch of the text (at most 60 characters) with a caret line under it."""
        if self.position is None:
            return ""
        line_start = self.text.rfind("\n", 0, self.position) + 1
        line_end = self.text.find("\n", self.position)
        line = self.text[line_start : line_end if line_end >= 0 else len(self.text)]
        column = self.position - line_start
        start = max(0, column - 40)
        excerpt = line[start : start + 60]
        # Tabs and other controls would shift the caret: show every character as one cell.
        excerpt = "".join(ch if ch.isprintable() and not unicodedata.combining(ch) else "?" for ch in excerpt)
        return f"{excerpt}\n{' ' * (column - start)}^"


ParseResult: TypeAlias = ParseSuccess | ParseFailure


class Refusal(Exception):
    """Internal: stops reading at the first problem; turned into a ParseFailure at the boundary."""

    def __init__(self, message: str, position: int | None):
        super().__init__(message)
        self.message = message
        self.position = position

