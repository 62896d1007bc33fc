"""Answers in from a learning-management system's export, as ordinary answer sheets.

One module per platform reads its export into an ``Export`` (``handnets.lms.export``): Canvas
Classic and New Quizzes (``canvas``), Moodle (``moodle``), PrairieLearn (``prairielearn``) and Google
Forms (``forms``). ``mapping`` pairs the export's columns with the key's questions and picks the
attempt that counts; ``ingest`` does both and returns one sheet per student (or per attempt). The
writers back (a Canvas gradebook, PrairieLearn's upload) return rows; rendering writes the CSV.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from handnets.errors import InvalidExport
from handnets.grading.key import Key
from handnets.grading.sheet import Sheet
from handnets.lms.canvas import read_classic, read_new
from handnets.lms.export import Export, Identity, RowError
from handnets.lms.forms import read_forms
from handnets.lms.mapping import ATTEMPT_RULES, Matching, load_map, match_columns, select_attempts
from handnets.lms.moodle import read_moodle
from handnets.lms.prairielearn import read_prairielearn

__all__ = ["FORMATS", "ATTEMPT_RULES", "Ingested", "ingest", "sheet_toml", "UncertainMatching"]

FORMATS: Mapping[str, Callable[[str], Export]] = MappingProxyType({
    "canvas": read_classic,
    "canvas-new": read_new,
    "moodle": read_moodle,
    "prairielearn": read_prairielearn,
    "forms": read_forms,
})


class UncertainMatching(InvalidExport):
    """The headers do not say for certain which column answers which question: ``matching`` says what matched."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None, matching: Matching | None = None):
        super().__init__(message, source=source, field=field)
        self.matching = matching


@dataclass(frozen=True, slots=True)
class Ingested:
    """An export turned into sheets: one per student (or attempt), who they are, and what went wrong."""

    export: Export
    matching: Matching
    sheets: tuple[Sheet, ...]
    identities: Mapping[str, Identity]  # sheet's student -> who (for a gradebook upload)
    submissions: Mapping[str, Mapping[str, str]]  # sheet's student -> question id -> PrairieLearn submission_id
    errors: tuple[RowError, ...]


def ingest(form: str, path: str, key: Key, *, map_path: str | None = None, attempt: str = "last") -> Ingested:
    """Read ``path`` as ``form`` and make one sheet per student by ``attempt`` (last, best or all).

    Raises ``InvalidExport`` for an export that cannot be read at all, and ``UncertainMatching`` (with
    the table) when the columns cannot be matched to the key for certain; rows that cannot be read
    are in ``errors`` with their row numbers."""
    if form not in FORMATS:
        raise InvalidExport(f"unknown export format {form!r}; expected one of {', '.join(FORMATS)}")
    export = FORMATS[form](path)
    explicit = load_map(map_path, key) if map_path is not None else None
    matching = match_columns(export, key, explicit)
    if not matching.certain:
        raise UncertainMatching("cannot tell for certain which column answers which question; write a --map file "
                                "(or [questions.source] in the key) for the columns marked ?", source=export.source,
                                matching=matching)
    if not matching.by_label():
        raise UncertainMatching("no column answers a question of the key", source=export.source, matching=matching)
    by_label = matching.by_label()
    if not export.attempts:
        raise InvalidExport(f"no student's answers could be read ({len(export.errors)} row(s) refused)", source=export.source)
    chosen = select_attempts(export.attempts, attempt)
    sheets, identities, submissions = [], {}, {}
    for item in chosen:
        student = item.identity.student if attempt != "all" else f"{item.identity.student} (attempt {item.number})"
        answers: dict[str, Any] = {}
        sent: dict[str, str] = {}
        for label, value in item.answers.items():
            question = by_label.get(label)
            if question is not None:
                answers[question] = value
        for label, question in by_label.items():  # PrairieLearn: the row an answer was (or should have been) in
            submission = item.submissions.get(label) or item.submissions.get(label.split("/", 1)[0])
            if submission:
                sent[question] = submission
        rows = ", ".join(map(str, item.rows[:5])) + (", ..." if len(item.rows) > 5 else "")
        sheets.append(Sheet(student=student[:200], answers=MappingProxyType(answers),
                            source=f"{export.source}: row{'s' if len(item.rows) > 1 else ''} {rows}"))
        identities[student[:200]] = item.identity
        submissions[student[:200]] = MappingProxyType(sent)
    return Ingested(export, matching, tuple(sheets), MappingProxyType(identities), MappingProxyType(submissions),
                    tuple(sorted(export.errors, key=lambda e: e.row)))


_BARE = re.compile(r"[^'\x00-\x1f\x7f]*")  # fullmatch: "$" would let a final newline through


def _toml_string(text: str) -> str:
    """A TOML string holding exactly ``text``: literal ('...') when it can, so LaTeX reads as typed."""
    if _BARE.fullmatch(text):
        return f"'{text}'"
    return _basic(text)


def _basic(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\u{ord(char):04x}"))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _toml_string(repr(value))  # read as written by the sheet reader, never a binary float
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return _toml_string(str(value))


def sheet_toml(sheet: Sheet) -> str:
    """An ordinary answer sheet for ``sheet`` (question ids quoted: they contain dots).

    >>> from handnets.grading.sheet import loads_sheet
    >>> text = sheet_toml(Sheet("s1", {"lstm.cbar_t": r"\\bar{h}_t", "n": 3}, "x.csv: row 2"))
    >>> print(text)
    # from x.csv: row 2
    student = 's1'
    [answers]
    "lstm.cbar_t" = '\\bar{h}_t'
    "n" = 3
    <BLANKLINE>
    >>> dict(loads_sheet(text).answers) == {"lstm.cbar_t": r"\\bar{h}_t", "n": 3}
    True
    """
    source = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", "?", sheet.source)
    lines = [f"# from {source}", f"student = {_toml_string(sheet.student)}", "[answers]"]
    for question, value in sheet.answers.items():
        lines.append(f"{_basic(question)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"
