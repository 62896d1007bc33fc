"""Students' answer sheets: TOML files read defensively, one per student.

::

    student = "s042"                     # defaults to the file name
    [answers]
    "lstm.cbar_t" = "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"
    "params.classifier.lstm" = 6272
    "conv.output_shape" = [28, 28, 8]
    [answers.adder]                      # the adder weights, as in the weights-file format
    W_xh = [[1, 1], [1, 1], [1, 1]]

A sheet that cannot be read at all (not UTF-8, not TOML, too big, no [answers] table) raises
``InvalidSheet`` naming the file, and for TOML errors the line and column. Each answer is kept raw:
judging it, and failing to read it, is per answer (``handnets.grading.grade``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from handnets.errors import InvalidSheet
from handnets.exact import load_toml, loads_toml

__all__ = ["Sheet", "load_sheet", "loads_sheet", "sheet_from_mapping", "MAX_SHEET_BYTES"]

MAX_SHEET_BYTES = 1_000_000  # a full homework sheet is a few kilobytes
_MAX_STUDENT = 200


@dataclass(frozen=True, slots=True)
class Sheet:
    """One student's raw answers, by question id."""

    student: str
    answers: Mapping[str, Any]
    source: str


def load_sheet(path: str | Path) -> Sheet:
    """Read an answer sheet file; the student defaults to the file's name without extension."""
    path = Path(path)
    data = load_toml(path, error=InvalidSheet, max_bytes=MAX_SHEET_BYTES)
    return sheet_from_mapping(data, source=str(path), default_student=path.stem)


def loads_sheet(text: str, *, source: str = "<sheet>", default_student: str = "student") -> Sheet:
    if len(text) > MAX_SHEET_BYTES:
        raise InvalidSheet(f"the sheet is {len(text)} characters, more than the {MAX_SHEET_BYTES} allowed", source=source)
    return sheet_from_mapping(loads_toml(text, source=source, error=InvalidSheet), source=source, default_student=default_student)


def sheet_from_mapping(data: Mapping[str, Any], *, source: str, default_student: str) -> Sheet:
    unknown = set(data) - {"student", "answers"}
    if unknown:
        raise InvalidSheet(
            f"unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}; answers go in the [answers] table",
            source=source,
        )
    student = data.get("student", default_student)
    if not isinstance(student, str) or not student.strip() or len(student) > _MAX_STUDENT or not student.isprintable():
        raise InvalidSheet(f"expected a short printable string, got {str(student)[:40]!r}", source=source, field="student")
    answers = data.get("answers")
    if answers is None:
        raise InvalidSheet("no [answers] table", source=source, field="answers")
    if not isinstance(answers, dict):
        raise InvalidSheet(f"expected a table of answers, got {type(answers).__name__}", source=source, field="answers")
    return Sheet(student=student.strip(), answers=MappingProxyType(dict(answers)), source=source)
