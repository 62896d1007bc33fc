"""Text pasted from an equation editor or typed as code, made readable before the lexer sees it.

Every function here keeps the text's length (one character in, one character out, or blanks), so the
positions the later stages report still point into what the student typed.

- ``fold``: Word's Mathematical Alphanumeric Symbols (𝑐, 𝐡, 𝒪, 𝕩, 𝜎) become the plain letters they
  style, ℎ and ℓ their letters, the invisible FUNCTION APPLICATION and INVISIBLE SEPARATOR a space,
  INVISIBLE TIMES a ``*``; look-alike Cyrillic and Greek letters are NOT folded (the lexer refuses them);
- ``drop_remarks``: a code comment (``# elementwise``), a closing remark in words
  (``\\quad (\\text{since } f_t = 0)``, ``(since f_t = 0)``) and words after a big-O
  (``O(d) sequential steps``) become blanks, each with a note saying what was ignored;
- ``refuse_ambiguous``: notations with two readings (``c_t-1``, ``tanh⁻¹``) are refused with the fix;
- ``number_ambiguity``: the same for number answers (a range ``20362–20490``, a hedge
  ``600 (+8 if bias)``, a mixed number ``3 1/2`` or ``3\\frac{1}{2}``).

>>> fold("𝑐ₜ ∙ 𝑜ₜ")
'cₜ * oₜ'
>>> drop_remarks("di_t = dc_t * g_t  # elementwise", big_o=False)[1]
('the comment "# elementwise" was ignored',)
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from types import MappingProxyType

from handnets.grading.parse.values import ParseFailure, Refusal

__all__ = ["fold", "drop_remarks", "refuse_ambiguous", "number_ambiguity", "mixed_number", "plain_tex_matrix", "VULGAR_FRACTIONS"]

_MATH_ALPHANUMERICS = range(0x1D400, 0x1D800)
# Greek letters the reader knows as commands; any other folded Greek letter is left for the lexer to refuse
_GREEK_KEPT = frozenset("σδΘ∂")
_SINGLE = MappingProxyType({
    "\u210e": "h",  # PLANCK CONSTANT, Word's italic h
    "\u2061": " ",  # FUNCTION APPLICATION, between tanh and its argument
    "\u2063": " ",  # INVISIBLE SEPARATOR
    "\u2062": "*",  # INVISIBLE TIMES
    "\u2219": "*",  # BULLET OPERATOR
    "\u2217": "*",  # ASTERISK OPERATOR
    "\u22c5": "*",  # DOT OPERATOR
    "\u2044": "/",  # FRACTION SLASH
})
# The vulgar fractions a keyboard or Word types, as (numerator, denominator).
VULGAR_FRACTIONS = MappingProxyType({
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
    "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8),
})
_SUBSCRIPT_START = frozenset("_ₜₓₕᵢₒₑₙₚᵣᵥₐₛₘₗₖⱼᵤ₀₁₂₃₄₅₆₇₈₉₊₋₍")


def fold(text: str) -> str:
    """``text`` with equation-editor letters and invisible operators made plain, one character for one."""
    if text.isascii():
        return text
    out = []
    for index, ch in enumerate(text):
        if ch in _SINGLE:
            out.append(_SINGLE[ch])
        elif ch == "ℓ":  # ℓ_t is the loss of one step, as L_t; ℓ alone is the letter l
            out.append("L" if text[index + 1:index + 2] in _SUBSCRIPT_START and index + 1 < len(text) else "l")
        elif ord(ch) in _MATH_ALPHANUMERICS:
            plain = unicodedata.normalize("NFKC", ch)
            ok = len(plain) == 1 and ((plain.isascii() and plain.isalnum()) or plain in _GREEK_KEPT)
            out.append(plain if ok else ch)  # anything else stays, for the lexer to name and refuse
        else:
            out.append(ch)
    return "".join(out)


# ------------------------------------------------------------------------------------ remarks

# first words of a remark that justifies, not one that adds a term or a condition ("with cbar_t from above")
_PROSE = r"since|because|as|where|using|via|one|note|assuming|given|i\.e\.|e\.g\.|elementwise|element-wise"
_BALANCED = r"[^()\n]*(?:\([^()\n]*\)[^()\n]*)*"
# a closing remark in parentheses: (since f_t = 0), (\text{since } f_t = 0), \text{(because ...)}
# (each pattern starts at a fixed character and has no two quantifiers over the same characters: linear)
_PAREN_REMARK = re.compile(
    r"(\(\s*(?:\\text(?:rm|it)?\s*\{\s*)?(?:" + _PROSE + r")\b" + _BALANCED + r"\))\s*(?:\.\s*)?$", re.IGNORECASE)
_TEXT_REMARK = re.compile(r"(\\text(?:rm|it)?\s*\{\s*\(?\s*(?:" + _PROSE + r")\b[^{}\n]*\}[^\n]*)$", re.IGNORECASE)
_SEPARATED = re.compile(r"(?:\s|\\q?quad|\\[,;:])$")  # what must come before a remark: a space or \quad
_COMMENT = re.compile(r"#[^\n]*")
_BIG_O_START = re.compile(r"\s*(?:\\mathcal\s*\{\s*O\s*\}|\\Theta|Θ|O)\s*\(")
# words after a big-O that change its meaning: O(d) per layer, O(d) times O(k)
_MEANINGFUL = re.compile(r"\b(?:per|each|every|times|plus|minus|squared|cubed|over|divided|log|for|with|and)\b"
                         r"|[0-9^*+/=\\_-]", re.IGNORECASE)


def drop_remarks(text: str, *, big_o: bool) -> tuple[str, tuple[str, ...]]:
    """``text`` with comments and closing remarks in words blanked out, and a note for each one."""
    notes = []
    for match in list(_COMMENT.finditer(text)):
        notes.append(f'the comment "{match.group().strip()}" was ignored')
        text = _blank(text, match.start(), match.end())
    for pattern in (_PAREN_REMARK, _TEXT_REMARK):
        match = pattern.search(text)
        before = text[:match.start()] if match else ""
        if match and _SEPARATED.search(before[-6:]) and before.strip():
            notes.append(f'the remark "{match.group(1).strip()}" was ignored')
            text = _blank(text, match.start(1), match.end(1))
    if big_o:
        text, note = _drop_words_after_big_o(text)
        if note:
            notes.append(note)
    return text, tuple(notes)


def _drop_words_after_big_o(text: str) -> tuple[str, str]:
    match = _BIG_O_START.match(text)
    if not match:
        return text, ""
    depth, end = 0, None
    for index in range(match.end() - 1, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            end = index + 1
            break
    if end is None:
        return text, ""
    rest = text[end:]
    outside = re.sub(r"\([^()]*\)", " ", rest)  # a parenthesis of words is a remark as a whole
    if not re.match(r"\s*[A-Za-z]{3,}", outside) or "(" in outside or ")" in outside or _MEANINGFUL.search(outside):
        return text, ""
    return text[:end] + " " * len(rest), f'the words "{rest.strip()}" after the big-O were ignored'


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


# --------------------------------------------------------------------------------- ambiguities

_UNBRACED_STEP = re.compile(r"(?<=[A-Za-z0-9}])_t([+-])1(?![0-9.])")
_INVERSE = re.compile(r"(?:tanh|sigma|sigmoid|σ|cosh|sinh|sech|exp|log|tan|sin|cos)\s*⁻\s*¹")


def refuse_ambiguous(text: str) -> None:
    """Raise a ``Refusal`` for a notation with two readings: ``c_t-1``, ``tanh⁻¹``."""
    match = _UNBRACED_STEP.search(text)
    if match:
        sign = match.group(1)
        name_start = match.start()
        while name_start > 0 and (text[name_start - 1].isalnum() or text[name_start - 1] == "_"):
            name_start -= 1
        name = text[name_start:match.start()] or "c"
        raise Refusal(f"'{name}_t{sign}1' has two readings: write {name}_{{t{sign}1}}, or ({name}_t) {sign} 1",
                      match.start())
    match = _INVERSE.search(text)
    if match:
        raise Refusal("⁻¹ on a function is its inverse (arctanh), not a power; write 1/tanh(x) for the reciprocal",
                      match.start())


# one dash between two numbers and no other arithmetic: 20362–20490 (a working line 20490 – 128 = 20362 is not)
_RANGE = re.compile(r"^[^=+*/×·x()\[\]–—-]*[0-9]\s*[–—]\s*[0-9][^=+*/×·x()\[\]–—-]*$")
_HEDGE = re.compile(r"\(\s*[+±-]\s*[0-9][^()]*\b(?:if|with|without|when|incl|including|plus|counting)\b[^()]*\)"
                    r"|±", re.IGNORECASE)
_MIXED = re.compile(r"(?<![0-9.,])(?<![0-9] )([0-9]{1,3}) +([0-9]{1,2}) */ *([0-9]{1,2})(?![0-9])")
_MIXED_TEX = re.compile(r"[0-9]\s*\\[dt]?frac\s*\{\s*[0-9]+\s*\}\s*\{\s*[0-9]+\s*\}")


def number_ambiguity(text: str) -> ParseFailure | None:
    """A failure for a number answer with two readings (range, hedge, mixed number), or None."""
    match = _RANGE.search(text)
    bounds = [Fraction(group.replace(",", "")) for group in re.findall(r"[0-9][0-9,]*(?:\.[0-9]+)?", text)] \
        if match else []
    if match and len(bounds) == 2 and bounds[0] < bounds[1]:  # low–high; 20490 – 128 is a difference
        dash = next(index for index, ch in enumerate(text) if ch in "–—")
        return ParseFailure("a dash between two numbers is a range: give one number "
                            "(write - for a subtraction)", dash, text)
    match = _HEDGE.search(text)
    if match:
        return ParseFailure("this offers two values: give the one number the question asks for",
                            match.start(), text)
    return mixed_number(text)


def mixed_number(text: str) -> ParseFailure | None:
    """A failure for a mixed number written with a space or before \\frac (``3 1/2``, ``3\\frac{1}{2}``):
    3 and a half, or 3 times (or beside) 1/2? None if there is none. ``3½`` is not ambiguous."""
    for match in _MIXED.finditer(text):
        if int(match.group(2)) < int(match.group(3)):
            return ParseFailure(f"'{match.group()}' reads as the mixed number {match.group(1)} and "
                                f"{match.group(2)}/{match.group(3)} or as two numbers: write "
                                f"{match.group(1)} + {match.group(2)}/{match.group(3)} or a decimal", match.start(), text)
    match = _MIXED_TEX.search(text)
    if match:
        return ParseFailure("a number and a \\frac side by side read as a mixed number or as a product: write "
                            "3 + \\frac{1}{2}, \\frac{7}{2} or 3.5", match.start(), text)
    return None


_PLAIN_TEX_MATRIX = re.compile(r"\\(?:p|b)?matrix\s*\{")


def plain_tex_matrix(text: str) -> str:
    """Plain TeX's ``\\matrix{4 & 4 \\cr 0 & 0}`` (and ``\\pmatrix{}``) as rows the LaTeX reader knows:
    the wrapper blanked, each ``\\cr`` a ``\\\\``; any other text unchanged.

    >>> plain_tex_matrix(r"\\matrix{4 & 4 \\cr 0 & 0}")
    '        4 & 4 \\\\\\\\  0 & 0 '
    """
    match = _PLAIN_TEX_MATRIX.search(text)
    if match is None or "\\begin" in text:
        return text
    depth, end = 0, None
    for index in range(match.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            end = index
            break
    if end is None or text[end + 1:].strip(" \t\n$.`"):
        return text
    inner = re.sub(r"\\cr\b", lambda m: "\\\\ ", text[match.end():end])
    return " " * match.end() + inner + " " * (len(text) - end)
