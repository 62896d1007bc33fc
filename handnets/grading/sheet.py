"""Students' answer sheets: TOML files read defensively, one per student.

::

    student = "s042"                     # defaults to the file name
    [answers]
    "lstm.cbar_t" = "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"
    "params.classifier.lstm" = 6272
    "conv.output_shape" = [28, 28, 8]
    [answers.adder]                      # the adder weights, as in the weights-file format
    W_xh = [[1, 1], [1, 1], [1, 1]]

A sheet that cannot be read at all (not a regular file, not UTF-8, not TOML, too big, no [answers]
table) raises ``InvalidSheet`` naming the file, and for TOML errors the line and column; the file is
read by ``handnets.safeio``, so a FIFO or a link to ``/dev/zero`` is refused at once. Each answer is
kept raw: judging it, and failing to read it, is per answer (``handnets.grading.grade``). An answer
that TOML has already damaged (LaTeX in a double-quoted string, ``"\\bar{c}_t"``, where ``\\b`` is a
backspace) is listed in ``Sheet.problems`` with the fix, and graded invalid on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from handnets.errors import InvalidSheet
from handnets.safeio import display_name, latex_damage, load_toml, loads_toml

__all__ = ["Sheet", "load_sheet", "loads_sheet", "sheet_from_mapping", "MAX_SHEET_BYTES"]

MAX_SHEET_BYTES = 1_000_000  # a full homework sheet is a few kilobytes
_MAX_STUDENT = 200


@dataclass(frozen=True, slots=True)
class Sheet:
    """One student's raw answers, by question id."""

    student: str
    answers: Mapping[str, Any]
    source: str
    problems: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # question id -> why the answer cannot be judged
    folder: str | None = None  # the sheet file's real folder: where a file an answer names (a trained model) is found


def load_sheet(path: str | Path) -> Sheet:
    """Read an answer sheet file; the student defaults to the file's name without extension."""
    path = Path(path)
    data = load_toml(path, error=InvalidSheet, max_bytes=MAX_SHEET_BYTES, what="a TOML answer sheet")
    sheet = sheet_from_mapping(data, source=display_name(path), default_student=display_name(path.stem))
    return replace(sheet, folder=str(path.parent))


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
    problems = {str(qid): why for qid, value in answers.items() if (why := _damage(value)) is not None}
    return Sheet(
        student=student.strip(), answers=MappingProxyType(dict(answers)), source=source, problems=MappingProxyType(problems)
    )


def _damage(value: Any, depth: int = 0) -> str | None:
    """The LaTeX-in-double-quotes fix for an answer whose strings TOML read as escapes, if any."""
    if isinstance(value, str):
        return latex_damage(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    if depth < 4:
        for item in items:
            if (why := _damage(item, depth + 1)) is not None:
                return why
    return None
