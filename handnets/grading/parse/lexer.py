"""Stage 1: untrusted text to tokens with positions, refusing invisible, look-alike and unknown characters.

Text pasted from an equation editor is made plain first (``unicode.fold``: 𝑐 is c, ℎ is h, the
invisible FUNCTION APPLICATION a space); comments and closing remarks are dropped, and notations with
two readings refused, before the lexer runs (``unicode.drop_remarks``, ``unicode.refuse_ambiguous``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType

from handnets.grading.parse.unicode import VULGAR_FRACTIONS, fold
from handnets.grading.parse.values import MAX_NESTING, Refusal

# ----------------------------------------------------------------------------------- the lexer


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "ident", "cmd", "op", "eof"
    value: str
    start: int
    end: int


_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:(?:_|\\_)[A-Za-z0-9]+)*")  # dL\_dh\_t: Markdown's escaped _
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DIGITS = frozenset("0123456789")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
# \mathrm{d}, \text{prev}, \operatorname{tanh}, \mathcal{O}: read the braces' content as one name.
_TEXT_COMMAND = re.compile(
    r"\\(?:mathrm|text|textrm|textit|texttt|mathtt|mathit|mathbf|mathsf|boldsymbol|bm|operatorname|mathcal|rm)\s*"
    r"\{\s*([A-Za-z](?:[A-Za-z0-9_]|\\_)*)\s*\}"
)
# \mathbf{\sigma}, \boldsymbol{\delta}: a font around one command is the command itself.
_FONT_COMMAND = re.compile(
    r"\\(?:mathbf|mathsf|mathrm|mathit|boldsymbol|bm|operatorname)\s*\{\s*\\([A-Za-z]+)\s*\}"
)
_TEXT_COMMANDS = frozenset({"mathrm", "text", "textrm", "textit", "texttt", "mathtt", "mathit", "mathbf", "mathsf",
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
    "cosh", "sinh", "sech", "sum", "prod", "max", "min", "dot", "nabla",
})
_UNICODE_OPERATORS = MappingProxyType({
    "⊙": "*", "·": "*", "⋅": "*", "×": "*", "∘": "*", "∗": "*", "•": "*",
    "−": "-", "–": "-", "‐": "-", "÷": "/", "′": "'",
})
_UNICODE_COMMANDS = MappingProxyType({"σ": "sigma", "δ": "delta", "∂": "partial", "Θ": "Theta"})
# Superscript digits, signs, brackets and the letters a formula raises to (e⁻ˣ, 2ⁿ, σ'ᵗ); ᵀ is a transpose.
_SUPERSCRIPTS = MappingProxyType(dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿˣⁱᵗᵏʲ", "0123456789+-()nxitkj")))
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
_MODULES = frozenset({"np", "numpy", "math", "torch", "jnp", "tf"})  # prefixes of functions in code
_SINGLE_OPS = frozenset("+-*/^()[]{},='_<>")  # < and > only close a time index: c^{<t>}
OPENERS = MappingProxyType({"(": ")", "[": "]", "{": "}"})


def describe_char(ch: str) -> str:
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    return f"U+{ord(ch):04X} {name}"


def lex(text: str) -> list[Token]:
    """Tokens of ``text`` with their positions; the first character that cannot be read fails.

    >>> [tok.value for tok in lex(r"\\hat{y}_t - ȳ")][:-1]
    ['hat', '{', 'y', '}', '_', 't', '-', 'bar', '{', 'y', '}']
    """
    lexer = _Lexer(fold(text))
    lexer.run()
    return lexer.tokens


class _Lexer:
    """One pass over the text; each ``read_*`` method takes one token (or skips) and moves on."""

    def __init__(self, text: str):
        self.text = text
        self.tokens: list[Token] = []
        self.depth = 0
        self.pos = 0
        self.round: list[bool] = []  # for each open '(': whether it opened a subscript, c_(t-1)


    def emit(self, kind: str, value: str, start: int, end: int) -> None:
        if kind == "op" and value in "()":
            value = self.subscript_paren(value)
        if kind == "op":
            self.depth = _track_depth(value, self.depth, start)
        self.tokens.append(Token(kind, value, start, end))

    def subscript_paren(self, paren: str) -> str:
        """c_(t-1), f_(t+1): parentheses right after '_' are the subscript's braces."""
        if paren == "(":
            last = self.tokens[-1] if self.tokens else None
            opens_subscript = last is not None and last.kind == "op" and last.value == "_"
            self.round.append(opens_subscript)
            return "{" if opens_subscript else "("
        return "}" if self.round and self.round.pop() else ")"

    def read_vulgar_fraction(self, ch: str) -> None:
        """½ is (1/2); 3½, the fraction right after a number, is the mixed number (3 + 1/2)."""
        pos = self.pos
        numerator, denominator = VULGAR_FRACTIONS[ch]
        if pos and self.text[pos - 1] in VULGAR_FRACTIONS:
            raise Refusal("two fractions side by side: write the product with *", pos)
        back = pos
        while back > 0 and self.text[back - 1] in _TRAILING_SPACE:
            back -= 1
        if back < pos and back > 0 and self.text[back - 1].isdigit():  # 2 ½
            raise Refusal(f"a number and a fraction side by side ({describe_char(ch)}) read as a mixed number "
                          f"or a product: write {self.text[back - 1]}{ch} for the mixed number, or use * or +", pos)
        whole = None
        if self.tokens and self.tokens[-1].kind == "num" and self.tokens[-1].end == pos:
            whole = self.tokens.pop()
            if not whole.value.isdigit():
                raise Refusal(f"a fraction after a decimal number ({whole.value}{ch}) is not a mixed number", pos)
        self.emit("op", "(", pos, pos)
        if whole is not None:
            self.emit("num", whole.value, whole.start, whole.end)
            self.emit("op", "+", pos, pos)
        self.emit("num", str(numerator), pos, pos + 1)
        self.emit("op", "/", pos, pos + 1)
        self.emit("num", str(denominator), pos, pos + 1)
        self.emit("op", ")", pos + 1, pos + 1)
        self.pos = pos + 1

    def run(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in _SPACES or ch == "`":  # markdown code marks are wrappers, like $
                self.pos += 1
            elif ch in _INVISIBLE:
                raise Refusal(f"invisible character {describe_char(ch)}; retype the answer without it", self.pos)
            elif ch.isascii() and not ch.isprintable():
                raise Refusal(f"control character {describe_char(ch)} is not allowed", self.pos)
            elif ch == "\\":
                self.read_command()
            elif ch in _DIGITS or (ch == "." and self.pos + 1 < n and text[self.pos + 1] in _DIGITS):
                match = _NUMBER.match(text, self.pos)
                assert match is not None  # a digit, or a point before a digit, always starts a number
                if text.startswith(".", match.end()) and text[match.end() + 1:match.end() + 2].isdigit():
                    raise Refusal("a second decimal point in one number", match.end())
                self.emit("num", match.group(), self.pos, match.end())
                self.pos = match.end()
            elif ch.isascii() and ch.isalpha():
                match = _IDENT.match(text, self.pos)
                assert match is not None  # an ASCII letter always starts a name
                if "\\" in match.group():
                    self.read_name(match.group().replace("\\_", "_"), self.pos, match.end())
                elif match.group() in _MODULES and text.startswith(".", match.end()) and text[match.end() + 1:match.end() + 2].isalpha():
                    self.pos = match.end() + 1  # np.tanh is tanh: the module prefix of code (the name is still checked)
                else:
                    self.read_name(match.group(), self.pos, match.end())
            elif unicodedata.combining(ch) or _decomposed(ch) is not None:
                self.read_marked_letter(ch)
            elif ch in VULGAR_FRACTIONS:
                self.read_vulgar_fraction(ch)
            elif ch in _SUBSCRIPTS:
                self.read_subscripts()
            else:
                self.read_symbol(ch)
        if self.depth > 0:
            raise Refusal("this bracket is never closed", _last_unclosed(self.tokens))
        self.tokens.append(Token("eof", "", n, n))

    def read_command(self) -> None:
        text, pos = self.text, self.pos
        match = _FONT_COMMAND.match(text, pos)
        if match:  # \mathbf{\sigma}: the font is dropped, the command kept
            text_name = match.group(1)
            self.pos = match.start(1) - 1
            self.read_command_named(text_name, match.start(1) - 1, match.start(1) + len(text_name))
            self.pos = match.end()
            return
        match = _TEXT_COMMAND.match(text, pos)
        if match:
            self.read_name(match.group(1).replace("\\_", "_"), match.start(1), match.end(), span_end=match.end())
            return
        match = _COMMAND.match(text, pos)
        if match is None:
            raise Refusal("a lone '\\' at the end", pos)
        self.read_command_named(match.group(1), pos, match.end())
        self.pos = match.end()
        if match.group(1) in ("left", "right") and self.pos < len(text) and text[self.pos] in ".|":
            self.pos += 1  # \left. and \right. are invisible delimiters

    def read_command_named(self, name: str, start: int, end: int) -> None:
        if name in _NOOP_COMMANDS or name in _TEXT_COMMANDS:
            return
        if name in _OPERATOR_COMMANDS:
            self.emit("op", _OPERATOR_COMMANDS[name], start, end)
        elif name == "prime":
            self.emit("op", "'", start, end)
        elif name == "ell":  # \ell_t is the loss of one step, as L_t; \ell alone is the letter l
            self.emit("ident", "L" if self.text.startswith("_", end) else "l", start, end)
        elif name == "_":
            self.emit("op", "_", start, end)
        elif name in ("langle", "rangle"):
            self.emit("op", "<" if name == "langle" else ">", start, end)
        elif name in ("top", "intercal"):
            self.emit("cmd", "top", start, end)
        elif name in _KNOWN_COMMANDS:
            self.emit("cmd", name, start, end)
        else:
            raise Refusal(f"unknown LaTeX command '\\{name}'", start)

    def read_name(self, word: str, start: int, end: int, span_end: int | None = None) -> None:
        """A name, and the combining marks right after it (h̄ is \\bar{h})."""
        marks = []
        pos = span_end if span_end is not None else end
        while pos < len(self.text) and unicodedata.combining(self.text[pos]):
            marks.append((self.text[pos], pos))
            pos += 1
        if marks:
            if len(word) > 1:
                # only the last letter carries the mark: xh̄ is x h̄
                self.emit("ident", word[:-1], start, end - 1)
                start = end - 1
                word = word[-1]
            self.emit_marked(word, start, [(_mark(ch, at), at) for ch, at in marks])
        else:
            self.emit("ident", word, start, end)
        self.pos = pos

    def read_marked_letter(self, ch: str) -> None:
        """A precomposed letter such as ŷ or ō, or a combining mark with no letter before it."""
        pos = self.pos
        decomposed = _decomposed(ch)
        if decomposed is None:
            raise Refusal(f"a combining mark {describe_char(ch)} must follow a letter", pos)
        letter, marks = decomposed
        self.pos = pos + 1
        after = []
        while self.pos < len(self.text) and unicodedata.combining(self.text[self.pos]):
            after.append((_mark(self.text[self.pos], self.pos), self.pos))
            self.pos += 1
        self.emit_marked(letter, pos, [(_mark(m, pos), pos) for m in marks] + after)

    def read_subscripts(self) -> None:
        """cₜ₋₁, c̅ₙₑₓₜ (as sympy's pretty printer writes them): the run is the subscript _{t-1}."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _SUBSCRIPTS:
            self.pos += 1
        if not self.tokens or self.tokens[-1].end != start or not (
                self.tokens[-1].kind == "ident" or (self.tokens[-1].kind == "op" and self.tokens[-1].value == "}")):
            raise Refusal("a subscript letter must follow a name, as in cₜ", start)
        inner = _Lexer("".join(_SUBSCRIPTS[ch] for ch in self.text[start:self.pos]))
        inner.run()
        self.emit("op", "_", start, start)
        self.emit("op", "{", start, start)
        for tok in inner.tokens[:-1]:  # one subscript character is one ASCII character: positions shift by start
            self.emit(tok.kind, tok.value, start + tok.start, start + tok.end)
        self.emit("op", "}", self.pos, self.pos)

    def read_superscripts(self) -> None:
        """10⁴, x², e⁻ˣ, tanh²(c): a run of superscript characters is the exponent ^(...) it spells."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _SUPERSCRIPTS:
            self.pos += 1
        if not self.tokens or self.tokens[-1].end != start:
            raise Refusal("a superscript must follow what it raises, as in 10⁴ or x²", start)
        inner = _Lexer("".join(_SUPERSCRIPTS[ch] for ch in self.text[start:self.pos]))
        inner.run()
        self.emit("op", "^", start, start)
        if len(inner.tokens) == 2:  # one token: tanh²(c) is tanh^2(c)
            tok = inner.tokens[0]
            self.emit(tok.kind, tok.value, start + tok.start, start + tok.end)
            return
        self.emit("op", "(", start, start)
        for tok in inner.tokens[:-1]:  # one superscript character is one ASCII character
            self.emit(tok.kind, tok.value, start + tok.start, start + tok.end)
        self.emit("op", ")", self.pos, self.pos)

    def emit_marked(self, letter: str, start: int, marks: list[tuple[str, int]]) -> None:
        """``letter`` under ``marks`` as the LaTeX it stands for: \\hat{\\bar{y}}, outermost mark last."""
        for decoration, at in reversed(marks):
            self.emit("cmd", decoration, at, at + 1)
            self.emit("op", "{", at, at)
        self.emit("ident", letter, start, start + 1)
        for _decoration, at in marks:
            self.emit("op", "}", at + 1, at + 1)

    def read_symbol(self, ch: str) -> None:
        text, pos = self.text, self.pos
        if ch == "_" and pos + 1 < len(text) and text[pos + 1] in "_" + "abcdefghijklmnopqrstuvwxyz":
            if not self.tokens or self.tokens[-1].end != pos or self.tokens[-1].kind not in ("ident", "op", "cmd"):
                raise Refusal("names cannot start with '_'", pos)
        if text.startswith("**", pos):
            self.emit("op", "^", pos, pos + 2)
            self.pos += 2
        elif ch in ".," and not text[pos + 1:].strip(_TRAILING_SPACE):
            self.pos = len(text)  # a sentence's full stop (or comma) at the end of the answer
        elif text.startswith("+=", pos):  # w_xi_bar += ...: an update written as code
            self.emit("op", "=", pos, pos + 2)
            self.pos += 2
        elif ch in _SINGLE_OPS:
            self.emit("op", ch, pos, pos + 1)
            self.pos += 1
        elif ch in _UNICODE_OPERATORS:
            self.emit("op", _UNICODE_OPERATORS[ch], pos, pos + 1)
            self.pos += 1
        elif ch in _UNICODE_COMMANDS:
            self.emit("cmd", _UNICODE_COMMANDS[ch], pos, pos + 1)
            self.pos += 1
        elif ch == "ᵀ":  # w_yᵀ: a transpose
            self.emit("op", "^", pos, pos + 1)
            self.emit("ident", "T", pos, pos + 1)
            self.pos += 1
        elif ch in _SUPERSCRIPTS:
            self.read_superscripts()
        else:
            raise Refusal(_unexpected_char_message(ch), pos)


# Combining marks a student's keyboard or a pasted formula puts on a letter, as the LaTeX they mean.
_MARKS = MappingProxyType({"\u0304": "bar", "\u0305": "bar", "\u0302": "hat", "\u0303": "tilde"})
_TRAILING_SPACE = "".join(_SPACES) + "`"
_SUBSCRIPTS = MappingProxyType(dict(zip(
    "ₜₓₕᵢₒₑₙₚᵣᵥₐₛₘₗₖⱼᵤ₀₁₂₃₄₅₆₇₈₉₊₋₍₎", "txhioenprvasmlkju0123456789+-()")))


def _mark(ch: str, pos: int) -> str:
    if ch not in _MARKS:
        raise Refusal(f"the combining mark {describe_char(ch)} is not read; write \\bar, \\hat or \\tilde", pos)
    return _MARKS[ch]


def _decomposed(ch: str) -> tuple[str, str] | None:
    """(ASCII letter, combining marks) for a precomposed letter such as ŷ (NFC) or ō; None otherwise."""
    if ch.isascii() or not ch.isalpha():
        return None
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) > 1 and parts[0].isascii() and parts[0].isalpha() and all(m in _MARKS for m in parts[1:]):
        return parts[0], parts[1:]
    return None


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

