"""Safe reading of students' expressions: untrusted text in, a sympy expression over the vocabulary out.

Nothing a student writes reaches ``eval``, ``sympify`` or ``parse_expr``. The text goes through
four stages, each bounded in size and depth (the approach of PrairieLearn's ``sympy_utils.py``,
with the final evaluation done by hand instead of by ``eval``):

1. a lexer turns the text into tokens with their positions, refusing invisible and look-alike
   characters, unknown LaTeX commands and anything that is not part of the notation;
2. a reader translates the common notations (sympy-like and LaTeX, see ../shared/problems.md
   "Notation a grader meets") into plain Python syntax over the vocabulary's names: ``c^{(t)}``,
   ``c_{t}``, ``c[t]``, ``c(t)``, ``C_t`` become ``c_t``; ``\\overline{c^{(t+1)}}``, ``\\delta c_{t+1}``,
   ``dL/dc_{t+1}`` become ``cbar_next``; ``\\tilde{C}_t`` becomes ``g_t``; ``\\sigma``, ``σ`` become
   ``sigmoid``; ``tanh^2(c)`` becomes ``tanh(c)**2``; implicit products become ``*``;
3. ``ast.parse(mode="eval")`` and a walk over an allow-list of node types and names (no
   ``Attribute``, ``Subscript``, ``Lambda``, comprehensions, keywords, strings, ...);
4. a small evaluator that builds the sympy expression node by node from that tree, with bounds
   on numbers, exponents, factorials and the size of the result.

The outcome is a value: ``ParseSuccess`` or ``ParseFailure`` (with the position of the offending
character). ``parse_expression`` never raises for any text.

>>> parse_expression("o_t (1 - tanh^2(c_t))").normalized
'o_t*(1 - tanh(c_t)**2)'
>>> parse_expression(r"\\overline{h^{(t)}} \\tanh(c^{(t)})").normalized
'hbar_t*tanh(c_t)'
>>> print(parse_expression("__import__('os')").message)
names cannot start with '_'
"""

from __future__ import annotations

import ast
import difflib
import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType
from typing import TypeAlias

import sympy
from sympy.printing.latex import LatexPrinter

from handnets.errors import InvalidKey
from handnets.vocabulary import FUNCTIONS, SYMBOLS, sigmoid

__all__ = [
    "ParseSuccess",
    "ParseFailure",
    "ParseResult",
    "parse_expression",
    "parse_big_o",
    "make_vocabulary",
    "ALLOWED_FUNCTIONS",
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_NODES",
    "MAX_BITS",
    "MAX_EXPONENT",
    "MAX_FACTORIAL",
]

MAX_LENGTH = 4000  # characters; the longest LSTM answer in LaTeX is about 300
MAX_NESTING = 40  # brackets, groups and decorations inside one another
MAX_NODES = 2500  # sympy nodes in the expression as read (counted with repetition)
MAX_BITS = 4096  # bits in the numerator or denominator of any exact number
MAX_EXPONENT = 64  # |numerator| of an exponent on a symbolic base (expand must stay cheap)
MAX_FACTORIAL = 100
_MAX_DIGITS = 100  # digits in one written number
_MAX_RECURSION = 200  # reader frames (unary chains, exponents, groups)


# --------------------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class ParseSuccess:
    """An answer that was read: the sympy expression and three echoes of how it was read.

    ``normalized`` is sympy's string form (readable by ``sympy.parse_expr``), ``pretty`` its
    unicode picture, ``latex`` its LaTeX in the homework notation.
    """

    expr: sympy.Expr
    text: str
    normalized: str
    pretty: str
    latex: str

    ok = True


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """An answer that could not be read: why, and where (an index into ``text``, or None).

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


class _Fail(Exception):
    """Internal: stops reading at the first problem; turned into a ParseFailure at the boundary."""

    def __init__(self, message: str, position: int | None):
        super().__init__(message)
        self.message = message
        self.position = position


# ------------------------------------------------------------------------------ the vocabulary


def _sigmoid_prime(z: sympy.Expr) -> sympy.Expr:
    return sigmoid(z) * (1 - sigmoid(z))


def _tanh_prime(z: sympy.Expr) -> sympy.Expr:
    return 1 - sympy.tanh(z) ** 2


# Every allowed function takes exactly one argument; ``sigmoid_prime`` is what sigma'(z) reads as.
ALLOWED_FUNCTIONS: Mapping[str, Callable[[sympy.Expr], sympy.Expr]] = MappingProxyType(
    {
        **FUNCTIONS,
        "sigmoid_prime": _sigmoid_prime,
        "tanh_prime": _tanh_prime,
        "exp": sympy.exp,
        "log": sympy.log,
        "sqrt": sympy.sqrt,
        "Abs": sympy.Abs,
        "factorial": sympy.factorial,
    }
)

# How a function may be written -> its canonical name above.
_FUNCTION_ALIASES = MappingProxyType(
    {
        "sigmoid": "sigmoid",
        "sigma": "sigmoid",
        "logistic": "sigmoid",
        "sigm": "sigmoid",
        "tanh": "tanh",
        "sigmoid_prime": "sigmoid_prime",
        "tanh_prime": "tanh_prime",
        "exp": "exp",
        "log": "log",
        "ln": "log",
        "sqrt": "sqrt",
        "abs": "Abs",
        "Abs": "Abs",
        "factorial": "factorial",
    }
)
_PRIMES = MappingProxyType({"sigmoid": "sigmoid_prime", "tanh": "tanh_prime"})
_CONSTANTS = MappingProxyType({"pi": sympy.pi, "e": sympy.E})
_BIG_O_WRAPPERS = frozenset({"O", "Theta"})

_TIME_SUFFIX = MappingProxyType({0: "t", -1: "prev", -2: "prev2", 1: "next"})
_TIME_WORDS = MappingProxyType({"t": 0, "prev": -1, "prev2": -2, "next": 1, "tm1": -1, "tm2": -2, "tp1": 1})
_LOSS_WORDS = MappingProxyType({"L": "total", "E": "total", "J": "total",
                                "L_t": "local", "E_t": "local", "J_t": "local"})


def make_vocabulary(extra: Iterable[str] = (), *, base: Mapping[str, sympy.Symbol] = SYMBOLS,
                    positive: bool = True) -> Mapping[str, sympy.Symbol]:
    """A vocabulary for ``parse_expression``: ``base`` plus the extra names a key declares.

    Extra names become symbols (positive by default: sizes such as k, d, H, W in a big-O answer).
    A name that is not an identifier, starts with '_' or shadows a function is a bad key.

    >>> sorted(make_vocabulary(["k", "d"], base={}))
    ['d', 'k']
    """
    names = dict(base)
    for name in extra:
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or keyword.iskeyword(name):
            raise InvalidKey(f"a vocabulary name must be an identifier not starting with '_', got {name!r}")
        if name in _FUNCTION_ALIASES or name in _CONSTANTS:
            raise InvalidKey(f"vocabulary name {name!r} is already a function or constant")
        names[name] = sympy.Symbol(name, positive=True) if positive else sympy.Symbol(name, real=True)
    return MappingProxyType(names)


# ----------------------------------------------------------------------------------- the lexer


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "num", "ident", "cmd", "op", "eof"
    value: str
    start: int
    end: int


_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DIGITS = frozenset("0123456789")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
# \mathrm{d}, \text{prev}, \operatorname{tanh}, \mathcal{O}: read the braces' content as one name.
_TEXT_COMMAND = re.compile(
    r"\\(?:mathrm|text|textrm|textit|mathit|mathbf|mathsf|boldsymbol|bm|operatorname|mathcal|rm)\s*"
    r"\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}"
)
_TEXT_COMMANDS = frozenset({"mathrm", "text", "textrm", "textit", "mathit", "mathbf", "mathsf",
                            "boldsymbol", "bm", "operatorname", "mathcal", "rm"})
_NOOP_COMMANDS = frozenset({
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
    "displaystyle", "textstyle", ",", ";", ":", "!", " ", "quad", "qquad", "(", ")", "[", "]",
})
_OPERATOR_COMMANDS = MappingProxyType({
    "cdot": "*", "odot": "*", "times": "*", "circ": "*", "ast": "*", "bullet": "*", "div": "/",
    "{": "(", "}": ")", "lbrace": "(", "rbrace": ")", "lbrack": "(", "rbrack": ")",
})
_KNOWN_COMMANDS = frozenset({
    "frac", "dfrac", "tfrac", "cfrac", "sqrt", "bar", "overline", "tilde", "widetilde", "hat",
    "widehat", "delta", "partial", "sigma", "tanh", "exp", "log", "ln", "Theta", "prime",
})
_UNICODE_OPERATORS = MappingProxyType({
    "⊙": "*", "·": "*", "⋅": "*", "×": "*", "∘": "*", "∗": "*", "•": "*",
    "−": "-", "–": "-", "‐": "-", "÷": "/", "′": "'",
})
_UNICODE_COMMANDS = MappingProxyType({"σ": "sigma", "δ": "delta", "∂": "partial", "Θ": "Theta"})
_UNICODE_POWERS = MappingProxyType({"²": "2", "³": "3"})
_SPACES = frozenset(" \t\n\r\f\v\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000$~")
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u061c"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Letters that look like Latin ones; a student who pasted them meant the Latin letter.
_LOOKALIKES = MappingProxyType({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "А": "A", "В": "B", "Е": "E", "К": "K",
    "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "Ү": "Y", "ο": "o",
    "ι": "i", "ν": "v", "κ": "k", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "Ο": "O", "Α": "A",
    "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ρ": "P", "Τ": "T",
    "Χ": "X", "Ζ": "Z",
})
_SINGLE_OPS = frozenset("+-*/^()[]{},='_")
_OPENERS = MappingProxyType({"(": ")", "[": "]", "{": "}"})


def _describe_char(ch: str) -> str:
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    return f"U+{ord(ch):04X} {name}"


def _lex(text: str) -> list[_Tok]:
    """Tokens of ``text`` with their positions; the first character that cannot be read fails."""
    tokens: list[_Tok] = []
    depth = 0
    pos = 0
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in _SPACES:
            pos += 1
            continue
        if ch in _INVISIBLE:
            raise _Fail(f"invisible character {_describe_char(ch)}; retype the answer without it", pos)
        if ch.isascii() and not ch.isprintable():
            raise _Fail(f"control character {_describe_char(ch)} is not allowed", pos)
        if ch == "\\":
            match = _TEXT_COMMAND.match(text, pos)
            if match:
                tokens.append(_Tok("ident", match.group(1), match.start(1), match.end()))
                pos = match.end()
                continue
            match = _COMMAND.match(text, pos)
            if match is None:
                raise _Fail("a lone '\\' at the end", pos)
            name = match.group(1)
            end = match.end()
            if name in _NOOP_COMMANDS or name in _TEXT_COMMANDS:
                pos = end
                continue
            if name in _OPERATOR_COMMANDS:
                op = _OPERATOR_COMMANDS[name]
                depth = _track_depth(op, depth, pos)
                tokens.append(_Tok("op", op, pos, end))
            elif name in _KNOWN_COMMANDS:
                if name == "prime":
                    tokens.append(_Tok("op", "'", pos, end))
                else:
                    tokens.append(_Tok("cmd", name, pos, end))
            else:
                raise _Fail(f"unknown LaTeX command '\\{name}'", pos)
            pos = end
            continue
        if ch in _DIGITS or (ch == "." and pos + 1 < n and text[pos + 1] in _DIGITS):
            match = _NUMBER.match(text, pos)
            if match is None:
                raise _Fail(f"unexpected character {_describe_char(ch)}", pos)
            tokens.append(_Tok("num", match.group(), pos, match.end()))
            pos = match.end()
            continue
        if ch.isascii() and ch.isalpha():
            match = _IDENT.match(text, pos)
            assert match is not None  # an ASCII letter always starts a name
            tokens.append(_Tok("ident", match.group(), pos, match.end()))
            pos = match.end()
            continue
        if ch == "_" and pos + 1 < n and text[pos + 1] in "_" + "abcdefghijklmnopqrstuvwxyz":
            if not tokens or tokens[-1].end != pos or tokens[-1].kind not in ("ident", "op"):
                raise _Fail("names cannot start with '_'", pos)
        if ch == "*" and text.startswith("**", pos):
            tokens.append(_Tok("op", "^", pos, pos + 2))
            pos += 2
            continue
        if ch in _SINGLE_OPS:
            depth = _track_depth(ch, depth, pos)
            tokens.append(_Tok("op", ch, pos, pos + 1))
            pos += 1
            continue
        if ch in _UNICODE_OPERATORS:
            tokens.append(_Tok("op", _UNICODE_OPERATORS[ch], pos, pos + 1))
            pos += 1
            continue
        if ch in _UNICODE_COMMANDS:
            tokens.append(_Tok("cmd", _UNICODE_COMMANDS[ch], pos, pos + 1))
            pos += 1
            continue
        if ch in _UNICODE_POWERS:
            tokens.append(_Tok("op", "^", pos, pos + 1))
            tokens.append(_Tok("num", _UNICODE_POWERS[ch], pos, pos + 1))
            pos += 1
            continue
        raise _Fail(_unexpected_char_message(ch), pos)
    if depth > 0:
        opener = _last_unclosed(tokens)
        raise _Fail("this bracket is never closed", opener)
    tokens.append(_Tok("eof", "", n, n))
    return tokens


def _unexpected_char_message(ch: str) -> str:
    message = f"unexpected character {ch!r} ({_describe_char(ch)})" if ch.isprintable() else \
        f"unexpected character {_describe_char(ch)}"
    if ch in _LOOKALIKES:
        return f"{message}: it looks like the Latin letter {_LOOKALIKES[ch]!r}; retype it"
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch and folded.isascii() and folded.isprintable():
        return f"{message}: did you mean {folded!r}?"
    hints = {"!": "write factorial(n)", "|": "write Abs(x)", "%": "there is no remainder operator",
             ";": "write one expression", '"': "text in quotes is not part of an expression",
             ".": "write a number such as 0.5, or * for a product"}
    if ch in hints:
        return f"{message}: {hints[ch]}"
    return message


def _track_depth(op: str, depth: int, pos: int) -> int:
    if op in "([{":
        depth += 1
        if depth > MAX_NESTING:
            raise _Fail(f"brackets nested more than {MAX_NESTING} deep", pos)
    elif op in ")]}":
        depth -= 1  # an unmatched closer is reported by the reader, at its position
    return max(depth, 0)


def _last_unclosed(tokens: list[_Tok]) -> int | None:
    stack: list[int] = []
    for tok in tokens:
        if tok.kind == "op" and tok.value in "([{":
            stack.append(tok.start)
        elif tok.kind == "op" and tok.value in ")]}" and stack:
            stack.pop()
    return stack[-1] if stack else None


# ---------------------------------------------------------------------------------- the reader


@dataclass(frozen=True, slots=True)
class _Out:
    """One token of the Python text the reader writes, with the source span it came from."""

    text: str
    start: int
    end: int


@dataclass(slots=True)
class _Var:
    """A variable as written: its base (``c``, ``w_xi``), time offset and decorations."""

    base: str
    start: int
    end: int
    offset: int | None = None
    bar: bool = False
    hat: bool = False
    tilde: bool = False
    local: bool = False  # the derivative of one step's own loss: dL_t/dh_t is dL_dh_t


def _split_ident(ident: str) -> _Var:
    """Read a name like ``C_t``, ``c_bar_next``, ``yhat_t``, ``delta_c_t`` into its parts."""
    parts = ident.split("_")
    var = _Var(base="", start=0, end=0)
    if len(parts) > 1 and parts[-1] in _TIME_WORDS:
        var.offset = _TIME_WORDS[parts.pop()]
    if len(parts) > 1 and parts[-1] == "bar":
        parts.pop()
        var.bar = True
    if len(parts) > 1 and parts[-1] == "hat":
        parts.pop()
        var.hat = True
    if len(parts) > 1 and parts[0] == "delta":
        parts.pop(0)
        var.bar = True
    base = "_".join(parts)
    if not var.bar and len(base) > 3 and base.endswith("bar"):
        base, var.bar = base[:-3], True
    if not var.hat and len(base) > 3 and base.endswith("hat"):
        base, var.hat = base[:-3], True
    var.base = base
    return var


class _Reader:
    """Recursive-descent reader from tokens to Python-syntax tokens over vocabulary names."""

    def __init__(self, tokens: list[_Tok], vocabulary: Mapping[str, sympy.Basic],
                 functions: Mapping[str, str], big_o: bool):
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.vocabulary = vocabulary
        self.functions = functions  # alias -> canonical name
        self.big_o = big_o

    # -- token helpers
    def peek(self, k: int = 0) -> _Tok:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def at_op(self, value: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == "op" and tok.value == value

    def take(self) -> _Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def expect_op(self, value: str, opener: _Tok | None = None) -> _Tok:
        tok = self.peek()
        if tok.kind == "op" and tok.value == value:
            return self.take()
        if opener is not None:
            raise _Fail(f"expected '{value}' to close the '{opener.value}' at position {opener.start}, "
                        f"got {_show(tok)}", tok.start)
        raise _Fail(f"expected '{value}', got {_show(tok)}", tok.start)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_RECURSION:
            raise _Fail("the expression is nested too deeply", self.peek().start)

    def leave(self) -> None:
        self.depth -= 1

    # -- grammar
    def read(self) -> tuple[list[_Out] | None, list[_Out], int | None]:
        """The whole answer: an optional left-hand side, the expression, and where '=' was."""
        first = self.read_sum()
        lhs, equals = None, None
        if self.at_op("="):
            equals = self.take().start
            lhs, first = first, self.read_sum()
            if self.at_op("="):
                raise _Fail("more than one '='", self.peek().start)
        tok = self.peek()
        if tok.kind != "eof":
            raise _Fail(f"unexpected {_show(tok)}", tok.start)
        return lhs, first, equals

    def read_sum(self) -> list[_Out]:
        self.enter()
        tok = self.peek()
        if tok.kind == "eof" or (tok.kind == "op" and tok.value in ")]},="):
            raise _Fail(f"expected an expression, got {_show(tok)}", tok.start)
        out = self.read_product()
        while self.at_op("+") or self.at_op("-"):
            op = self.take()
            out = out + [_Out(op.value, op.start, op.end)] + self.read_product()
        self.leave()
        return out

    def read_product(self) -> list[_Out]:
        out = self.read_unary()
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value in "*/":
                self.take()
                out = out + [_Out(tok.value, tok.start, tok.end)] + self.read_unary()
            elif self.starts_atom(tok):
                # juxtaposition: 2x, o_t tanh(c_t), (a)(b)
                out = out + [_Out("*", tok.start, tok.start)] + self.read_power()
            else:
                return out

    def starts_atom(self, tok: _Tok) -> bool:
        if tok.kind in ("num", "ident"):
            return True
        if tok.kind == "cmd":
            return tok.value != "prime"
        return tok.kind == "op" and tok.value in "([{"

    def read_unary(self) -> list[_Out]:
        tok = self.peek()
        if tok.kind == "op" and tok.value in "+-":
            self.enter()
            self.take()
            out = [_Out(tok.value, tok.start, tok.end)] + self.read_unary()
            self.leave()
            return out
        return self.read_power()

    def read_power(self) -> list[_Out]:
        base = self.read_atom()
        if self.at_op("^"):
            tok = self.take()
            return base + [_Out("**", tok.start, tok.end)] + self.read_exponent()
        return base

    def read_exponent(self) -> list[_Out]:
        self.enter()
        tok = self.peek()
        if tok.kind == "op" and tok.value in "+-":
            self.take()
            out = [_Out(tok.value, tok.start, tok.end)] + self.read_exponent()
        elif tok.kind == "num" and self.peek(1).kind == "ident" and len(tok.value) == 1:
            # LaTeX x^2y is x^2 y: a bare exponent is one token
            out = self.read_atom()
        else:
            out = self.read_power()
        self.leave()
        return out

    def read_group(self) -> list[_Out]:
        """( expr ), [ expr ], { expr } (LaTeX braces group too), written as ( expr )."""
        self.enter()
        opener = self.take()
        if self.at_op(_OPENERS[opener.value]):
            raise _Fail("empty brackets", opener.start)
        inner = self.read_sum()
        if self.at_op(","):
            raise _Fail("unexpected ','; a comma only separates the arguments of a function", self.peek().start)
        closer = self.expect_op(_OPENERS[opener.value], opener)
        self.leave()
        return [_Out("(", opener.start, opener.end), *inner, _Out(")", closer.start, closer.end)]

    def read_atom(self) -> list[_Out]:
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            return _number(tok)
        if tok.kind == "op" and tok.value in "([{":
            return self.read_group()
        if tok.kind == "cmd":
            return self.read_command(tok)
        if tok.kind == "ident":
            return self.read_name(tok)
        if tok.kind == "op" and tok.value == "_":
            raise _Fail("a subscript '_' needs a name before it", tok.start)
        raise _Fail(f"expected a number, a name or '(', got {_show(tok)}", tok.start)

    def read_command(self, tok: _Tok) -> list[_Out]:
        name = tok.value
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            return self.read_frac()
        if name == "sqrt":
            return self.read_sqrt()
        if name in ("sigma", "tanh", "exp", "log", "ln"):
            self.take()
            return self.read_call(self.functions[name], tok)
        if name == "Theta" and self.big_o:
            self.take()
            return self.read_call("O", tok)
        if name in ("bar", "overline", "tilde", "widetilde", "hat", "widehat", "delta"):
            return self.emit_var(self.read_var())
        if name == "partial":
            var = self.try_loss_derivative()
            if var is not None:
                return self.emit_var(var)
            raise _Fail("write a derivative as \\partial L / \\partial c_t", tok.start)
        raise _Fail(f"'\\{name}' is not allowed here", tok.start)

    def read_frac(self) -> list[_Out]:
        frac = self.take()
        save = self.i
        if self.at_op("{"):
            # \frac{\partial L}{\partial c_t} and \frac{dL}{dc_t} are error signals
            self.take()
            loss = self.read_loss_marker()
            if loss and self.at_op("}") and self.at_op("{", 1):
                self.i += 2
                var = self.read_differential()
                if var is not None and self.at_op("}"):
                    self.take()
                    return self.emit_var(_of_loss(var, loss))
            self.i = save
        numerator = self.read_frac_argument(frac)
        denominator = self.read_frac_argument(frac)
        return [_Out("(", frac.start, frac.end), *numerator, _Out("/", frac.start, frac.end),
                *denominator, _Out(")", frac.start, frac.end)]

    def read_frac_argument(self, frac: _Tok) -> list[_Out]:
        tok = self.peek()
        if self.at_op("{"):
            return self.read_group()
        if tok.kind == "num" and tok.value.isdigit():
            # \frac12: each argument is one digit
            self.take()
            first = _Tok("num", tok.value[0], tok.start, tok.start + 1)
            if len(tok.value) > 1:
                self.i -= 1
                self.tokens[self.i] = _Tok("num", tok.value[1:], tok.start + 1, tok.end)
            return _number(first)
        if tok.kind == "ident" and len(tok.value) == 1:
            self.take()
            return self.read_name(tok, consumed=True)
        raise _Fail("\\frac needs two arguments in braces, as in \\frac{a}{b}", frac.start)

    def read_sqrt(self) -> list[_Out]:
        tok = self.take()
        root: list[_Out] | None = None
        if self.at_op("["):
            root = self.read_group()
        if not self.at_op("{"):
            raise _Fail("\\sqrt needs its argument in braces, as in \\sqrt{x}", tok.start)
        inner = self.read_group()
        if root is None:
            return [_Out("sqrt", tok.start, tok.end), *inner]
        return [_Out("(", tok.start, tok.end), *inner, _Out(")", tok.start, tok.end), _Out("**", tok.start, tok.end),
                _Out("(", tok.start, tok.end), _Out("1", tok.start, tok.end), _Out("/", tok.start, tok.end),
                *root, _Out(")", tok.start, tok.end)]

    def read_call(self, canonical: str, name_tok: _Tok) -> list[_Out]:
        """A function applied: f(x), f'(x), f^2(x), \\tanh c_t (one bare argument)."""
        if self.at_op("'"):
            prime = self.take()
            if canonical not in _PRIMES:
                raise _Fail(f"a prime is only read on sigma or tanh, not on {canonical}", prime.start)
            canonical = _PRIMES[canonical]
        power: list[_Out] | None = None
        if self.at_op("^"):
            caret = self.take()
            tok = self.peek()
            value = None
            if tok.kind == "num":
                self.take()
                value = tok.value
            elif self.at_op("{") and self.peek(1).kind == "num" and self.at_op("}", 2):
                value = self.peek(1).value
                self.i += 3
            if value is None or not value.isdigit() or not 1 <= int(value) <= 9:
                raise _Fail("a power on a function name must be a whole number from 1 to 9, as in tanh^2(c)",
                            caret.start)
            power = [_Out("**", caret.start, caret.end), _Out(str(int(value)), tok.start, tok.end)]
        tok = self.peek()
        if tok.kind == "op" and tok.value in "([{":
            self.enter()
            opener = self.take()
            if self.at_op(_OPENERS[opener.value]):
                raise _Fail(f"{canonical} needs an argument", opener.start)
            args = [self.read_sum()]
            while self.at_op(","):
                self.take()
                args.append(self.read_sum())
            closer = self.expect_op(_OPENERS[opener.value], opener)
            self.leave()
            inner: list[_Out] = []
            for index, arg in enumerate(args):
                if index:
                    inner.append(_Out(",", arg[0].start, arg[0].start))
                inner += arg
            call = [_Out(canonical, name_tok.start, name_tok.end), _Out("(", opener.start, opener.end),
                    *inner, _Out(")", closer.start, closer.end)]
        elif self.starts_atom(tok):
            self.enter()
            arg = self.read_power()
            self.leave()
            call = [_Out(canonical, name_tok.start, name_tok.end), _Out("(", tok.start, tok.start), *arg,
                    _Out(")", tok.start, tok.start)]
        else:
            raise _Fail(f"{canonical} needs an argument, as in {canonical}(x)", tok.start)
        if power is None:
            return call
        return [_Out("(", name_tok.start, name_tok.start), *call, _Out(")", name_tok.start, name_tok.start), *power]

    def read_name(self, tok: _Tok, consumed: bool = False) -> list[_Out]:
        """A name: a vocabulary symbol, a function, a constant, or the start of dL/dc_t."""
        word = tok.value
        if word in self.vocabulary:
            if not consumed:
                self.take()
            # c(t) and c[t] only matter for a base that is not a name itself; the exact name wins
            return [_Out(word, tok.start, tok.end)]
        if not consumed:
            var = self.try_loss_derivative()
            if var is not None:
                return self.emit_var(var)
        if word in self.functions:
            if not consumed:
                self.take()
            return self.read_call(self.functions[word], tok)
        if self.big_o and word in _BIG_O_WRAPPERS:
            if not consumed:
                self.take()
            return self.read_call("O", tok)
        if word in _CONSTANTS:
            if not consumed:
                self.take()
            return [_Out(word, tok.start, tok.end)]
        if word == "delta" and self.peek(1).kind in ("ident", "cmd") and not consumed:
            # delta c_t is an error signal, written out in words
            return self.emit_var(self.read_var())
        split = self.split_letters(word)
        if split is not None:
            if not consumed:
                self.take()
            out: list[_Out] = []
            for k, letter in enumerate(split):
                if k:
                    out.append(_Out("*", tok.start + k, tok.start + k))
                out.append(_Out(letter, tok.start + k, tok.start + k + 1))
            return out
        if consumed:
            return self.emit_var(self.finish_var(_with_span(_split_ident(word), tok)))
        return self.emit_var(self.read_var())

    def split_letters(self, word: str) -> list[str] | None:
        """``xy`` is x*y when it is not a name and every letter is one (as sympy's split_symbols)."""
        if len(word) < 2 or "_" in word or not word.isalpha():
            return None
        if all(letter in self.vocabulary for letter in word):
            return list(word)
        return None

    # -- variables
    def read_var(self) -> _Var:
        """A (possibly decorated) variable with its time index, as written."""
        self.enter()
        tok = self.peek()
        decorations = {"bar": "bar", "overline": "bar", "delta": "bar", "tilde": "tilde",
                       "widetilde": "tilde", "hat": "hat", "widehat": "hat"}
        if (tok.kind == "cmd" and tok.value in decorations) or (tok.kind == "ident" and tok.value == "delta"):
            self.take()
            kind = decorations[tok.value]
            if self.at_op("_") and kind == "bar":
                self.take()  # \delta_{c_t}
            if self.at_op("{"):
                opener = self.take()
                inner = self.read_var()
                self.expect_op("}", opener)
            elif self.peek().kind in ("ident", "cmd"):
                inner = self.read_var()
            else:
                raise _Fail(f"'{tok.value}' needs a variable after it", self.peek().start)
            if getattr(inner, kind):
                raise _Fail(f"two '{tok.value}' decorations on one variable", tok.start)
            setattr(inner, kind, True)
            inner.start = tok.start
            var = self.finish_var(inner)
        elif tok.kind == "ident":
            self.take()
            var = self.finish_var(_with_span(_split_ident(tok.value), tok))
        else:
            raise _Fail(f"expected a variable, got {_show(tok)}", tok.start)
        self.leave()
        return var

    def finish_var(self, var: _Var) -> _Var:
        """Time indices after a variable: _t, _{t-1}, _{xi}, ^{(t)}, [t], (t)."""
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value == "_":
                self.take()
                self.read_subscript(var)
                continue
            if var.offset is None and tok.kind == "op" and tok.value in "^[(":
                found = self.match_time_index(var)
                if found is not None:
                    var.offset, self.i = found
                    var.end = self.tokens[self.i - 1].end
                    continue
            return var

    def read_subscript(self, var: _Var) -> None:
        tok = self.peek()
        if self.at_op("{"):
            opener = self.take()
            index = self.read_index_at(self.i)
            if index is not None and self.at_op("}", index[1] - self.i):
                offset, self.i = index
                self.set_offset(var, offset, tok)
            elif self.peek().kind in ("ident", "num") and self.at_op("}", 1):
                self.extend_base(var, self.take().value)
            else:
                raise _Fail("a subscript should be a time index such as t, t-1 or t+1, or a name", tok.start)
            var.end = self.expect_op("}", opener).end
            return
        if tok.kind in ("ident", "num"):
            self.take()
            if tok.value in _TIME_WORDS:
                self.set_offset(var, _TIME_WORDS[tok.value], tok)
            else:
                self.extend_base(var, tok.value)
            var.end = tok.end
            return
        raise _Fail(f"expected a subscript after '_', got {_show(tok)}", tok.start)

    def set_offset(self, var: _Var, offset: int, tok: _Tok) -> None:
        if var.offset is not None:
            raise _Fail("two time indices on one variable", tok.start)
        var.offset = offset

    def extend_base(self, var: _Var, word: str) -> None:
        if var.offset is not None:
            raise _Fail("a subscript after the time index", self.peek().start)
        inner = _split_ident(word)
        var.base = f"{var.base}_{inner.base}"
        if inner.offset is not None:
            var.offset = inner.offset
        var.bar = var.bar or inner.bar

    def read_index_at(self, j: int) -> tuple[int, int] | None:
        """A time index starting at token j: t, t-1, t+1, t-2, prev, next, prev2; (offset, next j)."""
        tok = self.tokens[j]
        if tok.kind != "ident":
            return None
        if tok.value in _TIME_WORDS and tok.value != "t":
            return _TIME_WORDS[tok.value], j + 1
        if tok.value != "t":
            return None
        sign, number = self.tokens[j + 1], self.tokens[min(j + 2, len(self.tokens) - 1)]
        if sign.kind == "op" and sign.value in "+-" and number.kind == "num" and number.value.isdigit() \
                and len(number.value) <= 3:
            offset = int(number.value) * (1 if sign.value == "+" else -1)
            return offset, j + 3
        return 0, j + 1

    def match_time_index(self, var: _Var) -> tuple[int, int] | None:
        """^{(t)}, ^(t), [t], (t) after a variable, taken only when the result is a vocabulary name."""
        j = self.i
        tokens = self.tokens
        closers: list[str] = []
        if tokens[j].value == "^":
            j += 1
            if tokens[j].kind == "op" and tokens[j].value == "{":
                closers.append("}")
                j += 1
            if not (tokens[j].kind == "op" and tokens[j].value == "("):
                return None
        if tokens[j].kind != "op" or tokens[j].value not in "([":
            return None
        closers.append(_OPENERS[tokens[j].value])
        index = self.read_index_at(j + 1)
        if index is None:
            return None
        offset, j = index
        for closer in reversed(closers):
            if not (tokens[j].kind == "op" and tokens[j].value == closer):
                return None
            j += 1
        trial = _Var(var.base, var.start, var.end, offset, var.bar, var.hat, var.tilde)
        if self.resolve(trial) is None:
            return None
        return offset, j

    def try_loss_derivative(self) -> _Var | None:
        """dL/dc_t, d L / d c_t, \\partial L/\\partial c_t: the error signal of c_t.

        With the loss of one step, dL_t/dh_t, it is that step's own term: ``dL_dh_t``.
        """
        save = self.i
        loss = self.read_loss_marker()
        if not loss or not self.at_op("/"):
            self.i = save
            return None
        self.take()
        var = self.read_differential()
        if var is None:
            self.i = save
            return None
        return _of_loss(var, loss)

    def read_loss_marker(self) -> str:
        """Consume dL, d L, \\partial L (-> "total") or dL_t, \\partial L_{t} (-> "local"); "" if none."""
        tok = self.peek()
        if tok.kind == "ident" and tok.value[:1] == "d" and tok.value[1:] in _LOSS_WORDS:
            self.take()
            return _LOSS_WORDS[tok.value[1:]]
        after = self.peek(1)
        is_d = (tok.kind == "ident" and tok.value == "d") or (tok.kind == "cmd" and tok.value == "partial")
        if not (is_d and after.kind == "ident" and after.value in _LOSS_WORDS):
            return ""
        self.i += 2
        kind = _LOSS_WORDS[after.value]
        if kind == "total" and self.at_op("_"):
            # L_{t} or L_t written with a separate subscript
            if self.peek(1).kind == "ident" and self.peek(1).value == "t":
                self.i += 2
                return "local"
            if self.at_op("{", 1) and self.peek(2).value == "t" and self.at_op("}", 3):
                self.i += 4
                return "local"
        return kind

    def read_differential(self) -> _Var | None:
        tok = self.peek()
        if (tok.kind == "ident" and tok.value == "d") or (tok.kind == "cmd" and tok.value == "partial"):
            self.take()
            if self.peek().kind not in ("ident", "cmd"):
                return None
            return self.read_var()
        if tok.kind == "ident" and len(tok.value) > 1 and tok.value[0] == "d":
            self.take()
            rest = _Tok("ident", tok.value[1:], tok.start + 1, tok.end)
            return self.finish_var(_with_span(_split_ident(rest.value), rest))
        return None

    def resolve(self, var: _Var) -> str | None:
        """The vocabulary name a variable means, or None."""
        bases = [var.base]
        if var.base != var.base.lower():
            bases.append(var.base.lower())
        swapped = re.fullmatch(r"[wW]_([ifogIFOG])([xhXH])", var.base)
        if swapped:
            bases.append(f"w_{swapped.group(2).lower()}{swapped.group(1).lower()}")
        for base in bases:
            if var.tilde:
                if base.lower() != "c":
                    continue
                base = "g"
            core = base + ("hat" if var.hat else "") + ("bar" if var.bar else "")
            if var.offset is None:
                name = core
            elif var.offset in _TIME_SUFFIX:
                name = f"{core}_{_TIME_SUFFIX[var.offset]}"
            else:
                continue
            if var.local:
                name = f"dL_d{name}"
            if name in self.vocabulary:
                return name
        return None

    def emit_var(self, var: _Var) -> list[_Out]:
        name = self.resolve(var)
        if name is None:
            raise _Fail(self.unknown_message(var), var.start)
        return [_Out(name, var.start, var.end)]

    def unknown_message(self, var: _Var) -> str:
        written = _describe_var(var)
        if var.base in self.functions and var.offset is None and not (var.bar or var.hat or var.tilde):
            return f"{var.base} needs an argument, as in {var.base}(x)"
        candidates = sorted(set(self.vocabulary) | set(self.functions))
        guesses = difflib.get_close_matches(written, candidates, n=3, cutoff=0.6)
        if not guesses:
            guesses = [name for name in self.vocabulary if name.startswith(written.split("_")[0] + "_")][:3]
        if var.tilde and var.base.lower() != "c":
            return f"unknown name '{written}': a tilde is read only on c (the candidate g_t)"
        message = f"unknown name '{written}'"
        if self.at_op("("):
            message = f"unknown function '{written}'"
            guesses = difflib.get_close_matches(written, sorted(self.functions), n=3, cutoff=0.6)
        if guesses:
            message += "; did you mean " + " or ".join(repr(g) for g in guesses) + "?"
        return message


def _with_span(var: _Var, tok: _Tok) -> _Var:
    var.start, var.end = tok.start, tok.end
    return var


def _of_loss(var: _Var, loss: str) -> _Var:
    if loss == "local":
        if var.bar:
            raise _Fail("the derivative of an error signal is not an error signal", var.start)
        var.local = True
        return var
    return _with_bar(var)


def _with_bar(var: _Var) -> _Var:
    if var.bar:
        raise _Fail("the derivative of an error signal is not an error signal", var.start)
    var.bar = True
    return var


def _describe_var(var: _Var) -> str:
    core = ("dL_d" if var.local else "") + ("tilde " if var.tilde else "") + var.base + ("hat" if var.hat else "") \
        + ("bar" if var.bar else "")
    if var.offset is None:
        return core
    suffix = _TIME_SUFFIX.get(var.offset, f"t{var.offset:+d}")
    return f"{core}_{suffix}"


def _show(tok: _Tok) -> str:
    if tok.kind == "eof":
        return "the end of the answer"
    if tok.kind == "cmd":
        return f"'\\{tok.value}'"
    return f"'{tok.value}'"


def _number(tok: _Tok) -> list[_Out]:
    """A written number as exact Python text: 0.1 is (1/10), never a float."""
    digits = sum(ch.isdigit() for ch in tok.value)
    if digits > _MAX_DIGITS:
        raise _Fail(f"a number of more than {_MAX_DIGITS} digits", tok.start)
    try:
        value = Decimal(tok.value)
    except InvalidOperation:
        raise _Fail(f"cannot read the number {tok.value!r}", tok.start) from None
    if abs(value.adjusted()) > _MAX_DIGITS:
        raise _Fail(f"a number beyond 10^{_MAX_DIGITS}", tok.start)
    exact = Fraction(value)
    if exact.denominator == 1:
        return [_Out(str(exact.numerator), tok.start, tok.end)]
    return [_Out("(", tok.start, tok.start), _Out(str(exact.numerator), tok.start, tok.end),
            _Out("/", tok.start, tok.end), _Out(str(exact.denominator), tok.start, tok.end),
            _Out(")", tok.end, tok.end)]


# ------------------------------------------------------------------- allow-list and evaluation

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Load, ast.Constant,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd,
)


class _Builder:
    """Builds the sympy expression from an allow-listed Python AST; nothing is ever eval'd."""

    def __init__(self, positions: list[int], names: Mapping[str, sympy.Basic],
                 functions: Mapping[str, Callable[[sympy.Expr], sympy.Expr]]):
        self.positions = positions
        self.names = names
        self.functions = functions

    def where(self, node: ast.AST) -> int | None:
        col = getattr(node, "col_offset", None)
        if col is None or not self.positions:
            return None
        return self.positions[min(col, len(self.positions) - 1)]

    def check(self, root: ast.AST) -> None:
        """Every node on the allow-list, every name known, every call a known one-argument function."""
        stack: list[tuple[ast.AST, int]] = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > 3 * _MAX_RECURSION:
                raise _Fail("the expression is nested too deeply", self.where(node))
            if not isinstance(node, _ALLOWED_NODES):
                raise _Fail(f"{type(node).__name__} is not allowed in an answer", self.where(node))
            if isinstance(node, ast.Constant) and (type(node.value) is not int):
                raise _Fail("only numbers are allowed as constants", self.where(node))
            if isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
                    raise _Fail("only the allowed functions may be called", self.where(node))
                if node.keywords:
                    raise _Fail("keyword arguments are not allowed", self.where(node))
                if len(node.args) != 1:
                    raise _Fail(f"{node.func.id} takes one argument, got {len(node.args)}", self.where(node))
                stack.append((node.args[0], depth + 1))
                continue
            if isinstance(node, ast.Name) and node.id not in self.names:
                raise _Fail(f"unknown name '{node.id}'", self.where(node))
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    def build(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            return sympy.Integer(node.value)
        if isinstance(node, ast.Name):
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Add):
                return self.bounded(left + right, node)
            if isinstance(node.op, ast.Sub):
                return self.bounded(left - right, node)
            if isinstance(node.op, ast.Mult):
                return self.bounded(left * right, node)
            if isinstance(node.op, ast.Div):
                if right.is_zero:
                    raise _Fail("division by zero", self.where(node.right))
                return self.bounded(left / right, node)
            return self.power(left, right, node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            name = node.func.id
            arg = self.build(node.args[0])
            if name == "factorial":
                if not (arg.is_Integer and 0 <= int(arg) <= MAX_FACTORIAL):
                    raise _Fail(f"factorial is read only for whole numbers from 0 to {MAX_FACTORIAL}", self.where(node))
            if name in ("sqrt", "log") and arg.is_Rational and _bits(arg) > 256:
                raise _Fail(f"the argument of {name} is too large", self.where(node))
            result = self.functions[name](arg)
            _check_size(result, self.where(node))
            return self.bounded(result, node)
        raise _Fail(f"{type(node).__name__} is not allowed in an answer", self.where(node))

    def power(self, base: sympy.Expr, exponent: sympy.Expr, node: ast.AST) -> sympy.Expr:
        where = self.where(node)
        if exponent.is_Rational:
            if base.is_Rational:
                if base.is_zero and exponent.is_negative:
                    raise _Fail("division by zero (0 to a negative power)", where)
                if exponent.q > 16 or abs(exponent.p) > MAX_BITS:
                    raise _Fail(f"the number is too large (more than {MAX_BITS} bits)", where)
                bits = _bits(base)
                if abs(exponent) * bits > MAX_BITS or (not exponent.is_Integer and bits > 256):
                    raise _Fail(f"the number is too large (more than {MAX_BITS} bits)", where)
            elif abs(exponent.p) > MAX_EXPONENT or exponent.q > 16:
                raise _Fail(f"the exponent is too large (at most {MAX_EXPONENT} on an expression)", where)
        return self.bounded(sympy.Pow(base, exponent), node)

    def bounded(self, value: sympy.Expr, node: ast.AST) -> sympy.Expr:
        if value.is_Rational and _bits(value) > MAX_BITS:
            raise _Fail(f"the number is too large (more than {MAX_BITS} bits)", self.where(node))
        return value


def _bits(value: sympy.Rational) -> int:
    return max(abs(int(value.p)).bit_length(), int(value.q).bit_length())


def _check_size(expr: sympy.Basic, position: int | None) -> None:
    """Fail when the expression has more than MAX_NODES nodes (stops counting there)."""
    count = 0
    stack = [expr]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _Fail(f"the expression is too large (more than {MAX_NODES} parts)", position)
        if node.is_Pow and node.exp.is_Rational and not node.base.is_number and abs(node.exp.p) > MAX_EXPONENT:
            # sympy folds x*x*...*x into one power; expand must stay cheap when it is judged
            raise _Fail(f"a power above {MAX_EXPONENT}", position)
        stack.extend(node.args)


_NOT_FINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)


def _read(text: str, vocabulary: Mapping[str, sympy.Basic], functions: Mapping[str, Callable],
          big_o: bool, lhs: str | None) -> sympy.Expr:
    if not isinstance(text, str):
        raise _Fail(f"expected text, got {type(text).__name__}", None)
    if len(text) > MAX_LENGTH:
        raise _Fail(f"the answer is {len(text)} characters long, more than the {MAX_LENGTH} allowed", MAX_LENGTH)
    tokens = _lex(text)
    if tokens[0].kind == "eof":
        raise _Fail("the answer is empty", 0)
    aliases = {alias: canonical for alias, canonical in _FUNCTION_ALIASES.items() if canonical in functions}
    aliases.update({name: name for name in functions})
    names: dict[str, sympy.Basic] = {k: v for k, v in _CONSTANTS.items() if k not in vocabulary}
    names.update(vocabulary)
    lhs_vocabulary = names
    if lhs is not None and lhs not in names:
        lhs_vocabulary = {**names, lhs: sympy.Symbol(lhs)}
    # the reader knows the lhs name (so `w_xi_bar = ...` reads); the right side is checked against `names`
    reader = _Reader(tokens, lhs_vocabulary, aliases, big_o)
    lhs_out, rhs_out, equals = reader.read()
    all_functions = dict(functions)
    if big_o:
        all_functions["O"] = lambda arg: arg  # O(...) and Theta(...) are read as their argument
    expr = _build(rhs_out, names, all_functions)
    if lhs_out is not None:
        if lhs is None:
            raise _Fail("write only the expression, without a left-hand side and '='", equals)
        if [o.text for o in lhs_out] != [lhs]:
            # the left side may be written in any notation: re-read it against the vocabulary
            left = _build(lhs_out, lhs_vocabulary, all_functions)
            if left != lhs_vocabulary.get(lhs):
                raise _Fail(f"the left-hand side reads as {sympy.sstr(left)}, but this answer is for {lhs}",
                            lhs_out[0].start)
    return expr


def _build(out: list[_Out], names: Mapping[str, sympy.Basic], functions: Mapping[str, Callable]) -> sympy.Expr:
    pieces: list[str] = []
    positions: list[int] = []
    for token in out:
        if pieces:
            pieces.append(" ")
            positions.append(token.start)
        pieces.append(token.text)
        positions.extend([token.start] * len(token.text))
    source = "".join(pieces)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        offset = getattr(exc, "offset", None)
        position = positions[min(offset - 1, len(positions) - 1)] if offset and positions else None
        raise _Fail("the expression could not be read", position) from None
    builder = _Builder(positions, names, functions)
    builder.check(tree)
    expr = builder.build(tree)
    _check_size(expr, None)
    if expr.has(*_NOT_FINITE):
        raise _Fail("the expression is not finite (a division by zero or an infinity)", None)
    if not isinstance(expr, sympy.Expr):
        raise _Fail("the answer is not an expression", None)
    return expr


# ------------------------------------------------------------------------------------- public


def parse_expression(text: str, *, vocabulary: Mapping[str, sympy.Basic] | None = None,
                     functions: Mapping[str, Callable[[sympy.Expr], sympy.Expr]] | None = None,
                     lhs: str | None = None) -> ParseResult:
    """Read one untrusted answer into a sympy expression over ``vocabulary``; never raises.

    ``vocabulary`` maps allowed names to symbols (default: ``handnets.vocabulary.SYMBOLS``);
    ``functions`` maps function names to one-argument sympy callables (default: sigmoid, tanh,
    their derivatives, exp, log, sqrt, Abs, factorial). ``lhs`` names the question's own quantity:
    an answer written as ``cbar_t = ...`` (in any accepted notation) then has that side stripped;
    any other left-hand side, or one given without ``lhs``, is a failure.

    >>> parse_expression("2x", vocabulary=make_vocabulary(["x"], base={})).normalized
    '2*x'
    >>> parse_expression(r"\\bar{c}_t = \\delta h_t o_t", lhs="cbar_t").normalized
    'hbar_t*o_t'
    >>> parse_expression("10**10**10").message
    'the number is too large (more than 4096 bits)'
    """
    vocabulary = SYMBOLS if vocabulary is None else vocabulary
    functions = ALLOWED_FUNCTIONS if functions is None else functions
    return _parse(text, vocabulary, functions, big_o=False, lhs=lhs)


def parse_big_o(text: str, *, vocabulary: Mapping[str, sympy.Basic],
                functions: Mapping[str, Callable[[sympy.Expr], sympy.Expr]] | None = None) -> ParseResult:
    """Read a big-O answer: ``O(d*k*H*W)``, ``\\mathcal{O}(dkHW)``, ``\\Theta(...)`` or the bare expression.

    The wrapper is read as its argument, so the result is the growth expression itself.

    >>> parse_big_o(r"\\mathcal{O}(d k H W)", vocabulary=make_vocabulary("dkHW", base={})).normalized
    'H*W*d*k'
    """
    functions = ALLOWED_FUNCTIONS if functions is None else functions
    return _parse(text, vocabulary, functions, big_o=True, lhs=None)


def _parse(text: str, vocabulary: Mapping[str, sympy.Basic], functions: Mapping[str, Callable],
           *, big_o: bool, lhs: str | None) -> ParseResult:
    shown = text if isinstance(text, str) else repr(text)
    try:
        expr = _read(text, vocabulary, functions, big_o, lhs)
        return ParseSuccess(expr=expr, text=shown, normalized=sympy.sstr(expr),
                            pretty=sympy.pretty(expr, use_unicode=True, wrap_line=False),
                            latex=_HomeworkLatex({"symbol_names": _latex_names(expr)}).doprint(expr))
    except _Fail as failure:
        position = failure.position
        if position is not None:
            position = max(0, min(position, len(shown)))
        return ParseFailure(message=failure.message, position=position, text=shown)
    except RecursionError:
        return ParseFailure(message="the expression is nested too deeply", position=None, text=shown)


class _HomeworkLatex(LatexPrinter):
    """sympy's LaTeX printer with sigmoid written as \\sigma (also under a power: \\sigma^{2}(z))."""

    printmethod = "_handnets_latex"  # so _print_sigmoid below is used, not sigmoid._latex

    def _print_sigmoid(self, expr: sympy.Expr, exp: str | None = None) -> str:
        power = f"^{{{exp}}}" if exp is not None else ""
        return rf"\sigma{power}\left({self._print(expr.args[0])}\right)"


_LATEX_TIME = MappingProxyType({"t": "t", "prev": "t-1", "prev2": "t-2", "next": "t+1"})
_LATEX_NAME = re.compile(r"([A-Za-z]+?)(hat)?(bar)?_(t|prev|prev2|next)")


def _latex_names(expr: sympy.Expr) -> dict[sympy.Symbol, str]:
    """Homework notation for vocabulary names: c^{(t)}, \\overline{c^{(t+1)}}, w_{xi}, \\hat{y}^{(t)}."""
    names: dict[sympy.Symbol, str] = {}
    for symbol in expr.free_symbols:
        name = symbol.name
        match = _LATEX_NAME.fullmatch(name)
        if match:
            base, hat, bar, time = match.groups()
            core = rf"\hat{{{base}}}" if hat else base
            core = f"{core}^{{({_LATEX_TIME[time]})}}"
            names[symbol] = rf"\overline{{{core}}}" if bar else core
        elif name.startswith("dL_d") and _LATEX_NAME.fullmatch(name[4:]):
            inner = _latex_names(sympy.Symbol(name[4:]))
            names[symbol] = rf"\frac{{\partial L_t}}{{\partial {next(iter(inner.values()))}}}"
        elif re.fullmatch(r"w_[a-z]{2}", name):
            names[symbol] = f"w_{{{name[2:]}}}"
    return names
