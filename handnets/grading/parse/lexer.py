"""Stage 1: untrusted text to tokens with positions, refusing invisible, look-alike and unknown characters."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType

from handnets.grading.parse.values import MAX_NESTING, Refusal

# ----------------------------------------------------------------------------------- the lexer


@dataclass(frozen=True, slots=True)
class Token:
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
    "cosh", "sinh", "sech",
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
OPENERS = MappingProxyType({"(": ")", "[": "]", "{": "}"})


def describe_char(ch: str) -> str:
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    return f"U+{ord(ch):04X} {name}"


def lex(text: str) -> list[Token]:
    """Tokens of ``text`` with their positions; the first character that cannot be read fails."""
    tokens: list[Token] = []
    depth = 0
    pos = 0
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in _SPACES:
            pos += 1
            continue
        if ch in _INVISIBLE:
            raise Refusal(f"invisible character {describe_char(ch)}; retype the answer without it", pos)
        if ch.isascii() and not ch.isprintable():
            raise Refusal(f"control character {describe_char(ch)} is not allowed", pos)
        if ch == "\\":
            match = _TEXT_COMMAND.match(text, pos)
            if match:
                tokens.append(Token("ident", match.group(1), match.start(1), match.end()))
                pos = match.end()
                continue
            match = _COMMAND.match(text, pos)
            if match is None:
                raise Refusal("a lone '\\' at the end", pos)
            name = match.group(1)
            end = match.end()
            if name in _NOOP_COMMANDS or name in _TEXT_COMMANDS:
                pos = end
                continue
            if name in _OPERATOR_COMMANDS:
                op = _OPERATOR_COMMANDS[name]
                depth = _track_depth(op, depth, pos)
                tokens.append(Token("op", op, pos, end))
            elif name in _KNOWN_COMMANDS:
                if name == "prime":
                    tokens.append(Token("op", "'", pos, end))
                else:
                    tokens.append(Token("cmd", name, pos, end))
            else:
                raise Refusal(f"unknown LaTeX command '\\{name}'", pos)
            pos = end
            continue
        if ch in _DIGITS or (ch == "." and pos + 1 < n and text[pos + 1] in _DIGITS):
            match = _NUMBER.match(text, pos)
            if match is None:
                raise Refusal(f"unexpected character {describe_char(ch)}", pos)
            tokens.append(Token("num", match.group(), pos, match.end()))
            pos = match.end()
            continue
        if ch.isascii() and ch.isalpha():
            match = _IDENT.match(text, pos)
            assert match is not None  # an ASCII letter always starts a name
            tokens.append(Token("ident", match.group(), pos, match.end()))
            pos = match.end()
            continue
        if ch == "_" and pos + 1 < n and text[pos + 1] in "_" + "abcdefghijklmnopqrstuvwxyz":
            if not tokens or tokens[-1].end != pos or tokens[-1].kind not in ("ident", "op"):
                raise Refusal("names cannot start with '_'", pos)
        if ch == "*" and text.startswith("**", pos):
            tokens.append(Token("op", "^", pos, pos + 2))
            pos += 2
            continue
        if ch in _SINGLE_OPS:
            depth = _track_depth(ch, depth, pos)
            tokens.append(Token("op", ch, pos, pos + 1))
            pos += 1
            continue
        if ch in _UNICODE_OPERATORS:
            tokens.append(Token("op", _UNICODE_OPERATORS[ch], pos, pos + 1))
            pos += 1
            continue
        if ch in _UNICODE_COMMANDS:
            tokens.append(Token("cmd", _UNICODE_COMMANDS[ch], pos, pos + 1))
            pos += 1
            continue
        if ch in _UNICODE_POWERS:
            tokens.append(Token("op", "^", pos, pos + 1))
            tokens.append(Token("num", _UNICODE_POWERS[ch], pos, pos + 1))
            pos += 1
            continue
        raise Refusal(_unexpected_char_message(ch), pos)
    if depth > 0:
        opener = _last_unclosed(tokens)
        raise Refusal("this bracket is never closed", opener)
    tokens.append(Token("eof", "", n, n))
    return tokens


def _unexpected_char_message(ch: str) -> str:
    message = f"unexpected character {ch!r} ({describe_char(ch)})" if ch.isprintable() else \
        f"unexpected character {describe_char(ch)}"
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
            raise Refusal(f"brackets nested more than {MAX_NESTING} deep", pos)
    elif op in ")]}":
        depth -= 1  # an unmatched closer is reported by the reader, at its position
    return max(depth, 0)


def _last_unclosed(tokens: list[Token]) -> int | None:
    stack: list[int] = []
    for tok in tokens:
        if tok.kind == "op" and tok.value in "([{":
            stack.append(tok.start)
        elif tok.kind == "op" and tok.value in ")]}" and stack:
            stack.pop()
    return stack[-1] if stack else None

