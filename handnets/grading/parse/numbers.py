"""Integer and number answers as students type them: thousands separators, units, working lines.

The text is tidied into plain arithmetic, then read by the expression reader with no names at all,
so every bound of the expression reader holds and nothing reaches ``eval``. The tidying:

- digit groups of three after a first group of one to three digits, all joined by the same single
  space, thin space (U+2009), narrow no-break space (U+202F), no-break space or comma, are one
  number: ``20 362``, ``20,362``, ``2 560 + 16 384``. Any other run of digits split by one of those
  (``20 36``, ``1,00``, ``1, 000``) is refused as ambiguous, never read another way; so is a point
  before exactly three digits in an integer answer (``16.000``);
- ``k``/``thousand``, ``M``/``million``, ``B``/``billion`` after a number scale it (``138M``, ``1.2k``);
- ``x`` between numbers is a product (``5x5x3x8``); ``≈`` joins the sides of a working line as ``=``;
- a closing bracket of arithmetic after a number is its working, a side of the line like one after
  ``=``: ``8705 (8448 + 257)``, ``608 (= 8 × 76)``; juxtaposition is a product only where a bracket
  touches (``8(75 + 1)``), and anything else side by side (``3 (2 + 1) + 1``, ``2 pi``,
  ``2\\frac{1}{2}``) is refused, never read as a product nobody typed;
- a closing remark in brackets (``20,362 (W_xh 2560, ...)``), a leading label (``Total params:``), ``≈``/``~``/``about``, markdown backticks and bold, ``$``,
  unit words and phrases (``parameters``, ``params``, ``weights and biases``) and a trailing period are dropped.

Labelled working, one part per line (``W_xh: 20·128 = 2560`` ... ``total: 20362``, or a pasted Keras
summary ``Total params: 30,977`` / ``Trainable params: ...``), is read to the line labelled total, or to
the last line when it is the sum of the others; every part's working and the sum of the parts are sides of
the answer, so a wrong part or a total that is not their sum is judged wrong.

Every side of an ``=`` chain is kept (``ParseSuccess.sides``): the judge decides what a working line
whose own steps disagree comes to.

>>> read_number("2 560 + 16 384 + 1 280 + 128 + 10").expr
20362
>>> read_number("(8 × 5 × 5 × 3) + 8 = 608 parameters.").sides
(608, 608)
>>> read_number("8705 (8448 + 257)").sides
(8705, 8705)
>>> print(read_number("20 36").message)
'20 36' is ambiguous: digits split by a space are one number only in groups of three (as in 1 000 000); write 2036, or put an operator between them
"""

from __future__ import annotations

import re
from types import MappingProxyType

import sympy

from handnets.grading.parse.expression import parse_arithmetic
from handnets.grading.parse.values import MAX_LENGTH, ParseFailure, ParseResult, ParseSuccess

__all__ = ["read_number", "HEDGE"]

# The separators a thousands group may follow, by name for messages.
_SEPARATORS = MappingProxyType({
    " ": "a space", "\u2009": "a thin space", "\u202f": "a narrow no-break space", "\u00a0": "a no-break space",
    ",": "a comma", "_": "an underscore",
})
_SEP_CLASS = "[ ,_\u2009\u202f\u00a0]"  # _ as in Python's 20_362
# A run of digits split by single separators (the run is then checked group by group).
_DIGIT_RUN = re.compile(rf"(?<![\d.])\d+(?:{_SEP_CLASS}\d+)+")
_SPACED_DIGITS = re.compile(r"\d+(\s+)\d+")
_COMMA_SPACE = re.compile(r"\d(,\s+)\d")
_DOT_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3}){2,}(?![\d.,])")  # 138.357.544: two points, no decimal
# Indian grouping: 13,83,57,544 (groups of two before the last three), unambiguous with two or more commas
_INDIAN_GROUPS = re.compile(r"(?<![\d.,])\d{1,2}(?:,\d{2})+,\d{3}(?![\d,])")
_POINT_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}\.\d{3}(?![\d.])")
_MAGNITUDES = MappingProxyType({
    "k": 3, "K": 3, "thousand": 3, "M": 6, "million": 6, "mio": 6, "B": 9, "bn": 9, "billion": 9,
})
_MAGNITUDE = re.compile(r"(?<=\d)(\s*)(thousand|million|billion|mio|bn|k|K|M|B)(?![A-Za-z0-9_])")
_TIMES_X = re.compile(r"(?<=[\d)])(\s*)[xX](\s*)(?=[\d(])")
# Keras' "Total params:", "Answer:"; only these words, so that "lambda: 1" stays unreadable
_LABEL = re.compile(r"^\s*(?:(?:total|trainable|non-trainable|number\s+of)\s+)?"
                    r"(?:params|parameters|weights|answer|result|total|count)\s*[:=]", re.IGNORECASE)
_APPROX_LEAD = re.compile(r"^\s*(?:≈|~|\\approx\b|\\sim\b|about\b|approx\.?|approximately\b|roughly\b|around\b)",
                          re.IGNORECASE)
_UNIT_WORDS = ("trainable", "learnable", "parameters", "parameter", "params", "param", "weights", "weight",
               "connections", "connection", "in total", "total", "values", "filters", "filter", "biases", "bias",
               "kernels", "kernel", "channels", "channel", "units", "unit", "neurons", "neuron", "inputs", "input",
               "outputs", "output", "gates", "gate")
_UNIT = "(?:" + "|".join(w.replace(" ", r"\s+") for w in _UNIT_WORDS) + ")"
# one unit word, or several joined by "and", "&" or "/": "weights and biases", "weights & biases"
_UNITS = re.compile(rf"(?<![A-Za-z_]){_UNIT}(?:\s*(?:\band\b|&|/)\s*{_UNIT})*(?![A-Za-z_])", re.IGNORECASE)
_WRAPPERS = re.compile(r"`|^\s*\*\*|\*\*\s*$|\$")  # markdown code and bold, TeX math
HEDGE = re.compile(r"\b(?:or|either|maybe|perhaps|possibly|else|otherwise)\b", re.IGNORECASE)  # a second answer
_REMARK = re.compile(r"\((?=[^()]*[A-Za-z])[^()]*\)\s*\.?\s*$")
_TRAILING = re.compile(r"[.,;:!]+\s*$")


def read_number(text: str, *, integer: bool = True) -> ParseResult:
    """Read an integer or number answer typed as text: every side of its working line, exactly.

    ``integer`` marks an answer that must be a whole number, where ``16.000`` is ambiguous.

    >>> read_number("138M").expr, read_number("6,272 params").expr
    (138000000, 6272)
    """
    if not isinstance(text, str):
        return ParseFailure(f"expected text, got {type(text).__name__}", None, repr(text))
    if len(text) > MAX_LENGTH:
        return ParseFailure(f"the answer is {len(text)} characters long, more than the {MAX_LENGTH} allowed",
                            MAX_LENGTH, text)
    if (lines := _labelled_lines(text, integer)) is not None:
        return lines
    from handnets.grading.parse.unicode import number_ambiguity  # a range, a hedge, a mixed number: refused
    if (ambiguous := number_ambiguity(text)) is not None:
        return ambiguous
    edits: dict[int, str] = {}  # index in text -> what replaces that character ("" removes it)
    failure = _tidy(text, edits, integer)
    if failure is not None:
        return failure
    pieces: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        replacement = edits.get(index, ch)
        pieces.append(replacement)
        origin.extend([index] * len(replacement))
    result = parse_arithmetic("".join(pieces))
    if isinstance(result, ParseSuccess):
        return ParseSuccess(expr=result.expr, text=text, sides=result.sides)
    position = result.position
    if position is not None:
        position = origin[position] if position < len(origin) else len(text)
    return ParseFailure(result.message, position, text)


# One labelled line of working: "W_xh: 20·128 = 2560", "- b_h: 128", "Total params: 30,977"
_LABELLED_LINE = re.compile(r"^\s*(?:[-*•]\s+)?([A-Za-z][\w\-{}^\[\]' ]{0,39}?)\s*:\s*(\S.*?)\s*$")
_PART_BREAK = re.compile(r"[,;]\s*(?=[A-Za-z][\w\-{}^\[\]']{0,39}\s*:)")  # b_h: 128, b_y: 10 on one line
_TOTAL_LABEL = re.compile(r"^(?:total|sum|overall|all|grand\s+total|answer|result)(?:\s+(?:params|parameters|count|weights))?$",
                          re.IGNORECASE)


def _labelled_lines(text: str, integer: bool) -> ParseResult | None:
    """Labelled working, one part per line: the answer is the line labelled total (or the last line when it
    is the sum of the others). Every line's own working is a side of the answer's chain, so a wrong step or a
    total that is not the sum of its parts is judged wrong; None when the text is not such lines.

    >>> read_number("W_xh: 20·128 = 2560\\nb_h: 128\\ntotal: 2688").sides
    (2688, 2688)
    """
    lines = [part for line in text.split("\n") for part in _PART_BREAK.split(line) if part.strip()]
    matches = [_LABELLED_LINE.match(line) for line in lines]
    if len(lines) < 2 or not all(matches[:-1]):
        return None
    if matches[-1] is None:  # the total alone on the last line: 20362, or = 20362
        if len(lines) < 3 or not re.search(r"\d", lines[-1]):
            return None
        matches[-1] = re.match(r"^()\s*=?\s*(.*?)\s*$", lines[-1])
    parts: list[tuple[str, ParseSuccess]] = []
    for match in matches:
        value = read_number(match.group(2), integer=integer)
        if not value.ok:
            label = f"the line labelled '{match.group(1)}'" if match.group(1) else "the last line"
            return ParseFailure(f"{label}: {value.message}", text.find(match.group(2)), text)
        parts.append((match.group(1).strip() or "total", value))
    totals = [index for index, (label, _) in enumerate(parts) if _TOTAL_LABEL.match(label)]
    if len(totals) > 1:
        return ParseFailure("more than one line is labelled as the total; give one total", None, text)
    others = [value for index, (_, value) in enumerate(parts) if index not in totals]
    first = sympy.Add(*(value.sides[0] for value in others))
    last = sympy.Add(*(value.sides[-1] for value in others))
    if totals:
        total = parts[totals[0]][1]
    elif len(parts) > 2 and parts[-1][1].sides[0] == sympy.Add(*(v.sides[-1] for _, v in parts[:-1])):
        total, others = parts[-1][1], [v for _, v in parts[:-1]]
        first = sympy.Add(*(value.sides[0] for value in others))
        last = sympy.Add(*(value.sides[-1] for value in others))
    else:
        labels = ", ".join(label for label, _ in parts)
        return ParseFailure(f"the lines ({labels}) are labelled parts and none is the total; "
                            "label the answer's line 'total:'", None, text)
    sides = (first, last, *total.sides) if last != first else (last, *total.sides)
    notes = [f"the line '{label}: {value.text.strip()}' is wrong: {value.sides[step]} is not {value.sides[step + 1]}"
             for label, value in parts for step in range(len(value.sides) - 1)
             if value.sides[step] != value.sides[step + 1]][:1]
    if last != total.sides[0]:
        notes.append(f"the parts sum to {last}, but the total line says {total.sides[0]}")
    return ParseSuccess(expr=total.expr, text=text, sides=sides, notes=tuple(notes))


def _blank(edits: dict[int, str], start: int, end: int) -> None:
    for index in range(start, end):
        edits[index] = " "


def _tidy(text: str, edits: dict[int, str], integer: bool) -> ParseFailure | None:
    """Record in ``edits`` how ``text`` becomes plain arithmetic; a failure when it is ambiguous."""
    for match in _WRAPPERS.finditer(text):
        _blank(edits, match.start(), match.end())
    working = _working(text)
    if working is not None:
        opener, closer, has_equals = working
        edits[opener] = " " if has_equals else "="  # 8705 (8448 + 257) is 8705 = 8448 + 257
        edits[closer] = " "
    remark = None if working is not None else _REMARK.search(text)
    if remark and re.search(r"\d", text[:remark.start()]):
        if HEDGE.search(remark.group()):
            return ParseFailure("give one answer: the remark in brackets offers another", remark.start(), text)
        _blank(edits, remark.start(), remark.end())  # 20,362 (W_xh 2560, W_hh 16384, ...): a remark
    label = _LABEL.match(text)
    if label and not re.search(r"\d", label.group()):
        _blank(edits, label.start(), label.end())
    lead = _APPROX_LEAD.match(text, label.end() if label else 0)
    if lead:
        _blank(edits, lead.start(), lead.end())
    equals = re.match(r"\s*=", text)
    if equals and not label:
        _blank(edits, equals.start(), equals.end())  # "= 20362": the end of a working line, pasted alone
    for match in _UNITS.finditer(text):
        _blank(edits, match.start(), match.end())
    tidied = "".join(edits.get(i, ch) for i, ch in enumerate(text))
    trailing = _TRAILING.search(tidied)
    if trailing:
        _blank(edits, trailing.start(), trailing.end())
    for index, ch in enumerate(text):
        if ch == "≈" and index not in edits:
            edits[index] = "="
    for match in _COMMA_SPACE.finditer(text):
        if match.start(1) not in edits:
            return ParseFailure(f"{_quote(text, match)} is ambiguous: a comma followed by a space is neither a thousands "
                                "separator nor an operator; write the number without it", match.start(1), text)
    for match in (*_DOT_GROUPS.finditer(text), *_INDIAN_GROUPS.finditer(text)):
        for offset, ch in enumerate(match.group()):
            if not ch.isdigit():
                edits[match.start() + offset] = ""
    for match in _DIGIT_RUN.finditer(text):
        if all(edits.get(i) == "" for i in range(match.start(), match.end()) if not text[i].isdigit()):
            continue  # already read as Indian grouping
        failure = _group(text, match, edits)
        if failure is not None:
            return failure
    for match in _SPACED_DIGITS.finditer(text):
        if not all(edits.get(i) == "" for i in range(match.start(1), match.end(1))):
            return ParseFailure(f"'{match.group()}' is ambiguous: digits are one number only when a single space, "
                                "thin space or comma comes before each group of three; write the number without spaces, "
                                "or put an operator between them", match.start(), text)
    if integer:
        for match in _POINT_THOUSANDS.finditer(text):
            if edits.get(match.start() + match.group().index(".")) == "":
                continue
            whole, frac = match.group().split(".")
            return ParseFailure(f"'{match.group()}' is ambiguous in a whole-number answer: the point may be a decimal "
                                f"point or a thousands separator; write {whole}{frac} or {whole}", match.start(), text)
    for match in _MAGNITUDE.finditer(text):
        if match.start(2) in edits:
            continue
        _blank(edits, match.start(1), match.end(1))
        edits[match.start(2)] = f"*10^{_MAGNITUDES[match.group(2)]}"
        _blank(edits, match.start(2) + 1, match.end(2))
    for match in _TIMES_X.finditer(text):
        edits[match.end(1)] = "*"
    return None


def _working(text: str) -> tuple[int, int, bool] | None:
    """A closing bracket of arithmetic after a number, as in ``8705 (8448 + 257)`` or ``608 (= 8 × 76)``:
    (where it opens, where it closes, whether it starts with '=' or '≈'); None when there is none."""
    end = len(text.rstrip(" .\t\n"))
    if end == 0 or text[end - 1] != ")":
        return None
    depth = 0
    for opener in range(end - 1, -1, -1):
        depth += (text[opener] == ")") - (text[opener] == "(")
        if depth == 0:
            break
    else:
        return None
    inner = text[opener + 1:end - 1]
    before = _UNITS.sub("", text[:opener]).rstrip()
    has_equals = bool(re.match(r"\s*[=≈]", inner))
    if not before or not before[-1].isdigit() or not re.search(r"\d", inner):
        return None
    if not has_equals and opener == len(text[:opener].rstrip()):
        return None  # 8(75 + 1), touching: a product as written in mathematics
    if re.search(r"[A-Za-z]", _TIMES_X.sub("*", inner)):  # letters: a remark such as (W_xh 2560, ...)
        return None
    return opener, end - 1, has_equals


def _group(text: str, match: re.Match[str], edits: dict[int, str]) -> ParseFailure | None:
    """One run of digits split by separators: a number in groups of three, or a failure."""
    run = match.group()
    separators = {ch for ch in run if not ch.isdigit()}
    groups = re.split(_SEP_CLASS, run)
    if len(separators) == 1 and 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        for offset, ch in enumerate(run):
            if not ch.isdigit():
                edits[match.start() + offset] = ""
        return None
    if separators != {","}:
        kind = _SEPARATORS[sorted(separators)[0]] if len(separators) == 1 else "spaces and commas"
        return ParseFailure(f"'{run}' is ambiguous: digits split by {kind} are one number only in groups of three "
                            f"(as in 1 000 000); write {''.join(groups)}, or put an operator "
                            "between them", match.start(), text)
    return ParseFailure(f"'{run}' is ambiguous: a comma between digits is a thousands separator only before groups "
                        f"of three; write {''.join(groups)} without commas, or use groups of three", match.start(), text)


def _quote(text: str, match: re.Match[str]) -> str:
    start = max(0, match.start() - 3)
    return repr(text[start:match.end() + 3].strip())
