"""A student's self-check of a sheet: every answer read as the grader reads it, never judged.

``lint_sheet`` needs only the public half of a key (``handnets.grading.public``): ids, types, the left-hand
sides and the names answers may use. For each answer it says how it was read (a ``Reading``, which a
report prints through the notation layer), or why it cannot be read (with the caret under the
character); it flags answers under ids the key does not have (with the nearest ids), LaTeX that TOML
damaged in double quotes, and questions left unanswered. Correctness is never looked at: a public key
has no expected answers to look at.

The readers are the grader's own (``handnets.grading.grade``), so a sheet that lints clean is read the
same way when it is graded.

>>> from handnets.grading.key import load_key
>>> from handnets.grading.sheet import loads_sheet
>>> sheet = loads_sheet('[answers]\\n"lstm.cbar_t" = "hbar_t o_t (1 - tanh(c_t)^2"\\n"lstm.obarr_t" = "x"')
>>> result = lint_sheet(load_key("homework"), sheet)
>>> [(line.id, line.status) for line in result.lines if line.status != "missing"]
[('lstm.cbar_t', 'unreadable'), ('lstm.obarr_t', 'unknown')]
>>> result.lines[-1].suggestions
('lstm.obar_t',)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from handnets.errors import InputError, InvalidWeights
from handnets.grading.grade import (Reading, _expression_text, _hedged_count, _own_quantity, _read_matrix, _read_number,
                                    _read_shape, _show)
from handnets.grading.key import Key, Question
from handnets.grading.parse import ParseFailure, parse_big_o, parse_expression
from handnets.grading.sheet import Sheet

__all__ = ["STATUSES", "LintLine", "LintResult", "lint_sheet", "read_answer"]

# read: the grader can read it; unreadable: it cannot (why, and where); unknown: no such question;
# missing: no answer; damaged: LaTeX in double quotes, which TOML has already turned into other characters
STATUSES = ("read", "unreadable", "unknown", "missing", "damaged")


@dataclass(frozen=True, slots=True, kw_only=True)
class LintLine:
    """One answer (or one unanswered question) of the sheet, as the grader would read it."""

    id: str
    status: str
    submitted: str = ""
    reading: Reading | None = None
    message: str = ""
    caret: str = ""  # the answer with a ^ under the character the reader stopped at
    suggestions: tuple[str, ...] = ()  # for an unknown id: the nearest id of the key, if one is near

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")


@dataclass(frozen=True, slots=True)
class LintResult:
    """The sheet's lines, in the key's order, then the unknown ids in the sheet's order."""

    student: str
    source: str
    key: str
    lines: tuple[LintLine, ...]

    @property
    def readable(self) -> bool:
        """Every answer will be read (a question left unanswered is flagged, not counted against this)."""
        return all(line.status in ("read", "missing") for line in self.lines)

    def count(self, status: str) -> int:
        return sum(line.status == status for line in self.lines)


def read_answer(question: Question, submitted: Any) -> Reading | ParseFailure:
    """How the grader reads ``submitted`` for ``question`` (the same readers, no judging), or why it cannot.

    Raises ``InputError`` for an answer of the wrong kind (a list where a number is asked for).
    """
    kind = question.type
    if kind == "expression":
        result = parse_expression(_expression_text(submitted), vocabulary=question.names(), lhs=_own_quantity(question))
        return result if isinstance(result, ParseFailure) else Reading(expr=result.expr, notes=result.notes)
    if kind == "big_o":
        result = parse_big_o(_expression_text(submitted), vocabulary=question.names())
        return result if isinstance(result, ParseFailure) else Reading(expr=result.expr, notes=result.notes)
    if kind in ("integer", "number"):
        read = _read_number(question, submitted, arithmetic=question.options.arithmetic if kind == "integer" else True)
        if isinstance(read, ParseFailure):
            return read
        if kind == "integer" and (refusal := _hedged_count(submitted, *read)) is not None:
            raise InputError(refusal)
        return read[1]
    if kind == "shape":
        shape = _read_shape(submitted)
        return shape if isinstance(shape, ParseFailure) else Reading("(" + ", ".join(map(str, shape)) + ")")
    if kind == "matrix":
        matrix = _read_matrix(submitted)
        if isinstance(matrix, ParseFailure):
            return matrix
        return Reading("[" + ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in matrix) + "]")
    if kind == "choice":
        if not isinstance(submitted, str):
            raise InputError("expected one of the choices, written as a string")
        lowered = {c.lower(): c for c in question.options.choices}
        if question.options.choices and submitted.strip().lower() not in lowered:
            raise InputError(f"expected one of {', '.join(question.options.choices)}, got {_show(submitted.strip(), 40)!r}")
        return Reading(lowered.get(submitted.strip().lower(), submitted.strip()))
    if kind == "text":
        if not isinstance(submitted, str):
            raise InputError("expected text, written as a string")
        return Reading("free text, read by a person")
    if kind == "adder":
        from handnets.threshold.weights import weights_from_mapping

        if not isinstance(submitted, dict):
            raise InputError("expected a table of weights (W_xh, W_hh, b_h, W_hy, b_y)")
        try:
            network = weights_from_mapping(submitted, source="answer", inputs=2, outputs=1)
        except InvalidWeights as exc:
            raise InputError(exc.message, field=exc.field) from None
        return Reading(f"a threshold RNN with {len(network.b_h)} hidden units, threshold {network.threshold!r}")
    raise InputError(f"no reader for answers of type {kind!r}")


def _line(question: Question, submitted: Any) -> LintLine:
    shown = _show(submitted) if not isinstance(submitted, dict) else "(a table)"
    try:
        read = read_answer(question, submitted)
    except InputError as exc:
        message = exc.message if exc.field is None else f"{exc.field}: {exc.message}"
        return LintLine(id=question.id, status="unreadable", submitted=shown, message=message)
    if isinstance(read, ParseFailure):
        where = f" at character {read.position + 1}" if read.position is not None else ""
        return LintLine(id=question.id, status="unreadable", submitted=shown, message=read.message + where,
                        caret=read.caret if read.position is not None else "")
    return LintLine(id=question.id, status="read", submitted=shown, reading=read)


def lint_sheet(key: Key, sheet: Sheet) -> LintResult:
    """Every question of ``key`` against ``sheet``: read, unreadable, damaged or missing; then the unknown ids."""
    lines = []
    for question in key.questions:
        if question.id in sheet.problems:
            lines.append(LintLine(id=question.id, status="damaged", submitted=_show(sheet.answers.get(question.id, "")),
                                  message=sheet.problems[question.id]))
        elif question.id not in sheet.answers:
            lines.append(LintLine(id=question.id, status="missing"))
        else:
            lines.append(_line(question, sheet.answers[question.id]))
    ids = [q.id for q in key.questions]
    for answer_id in sheet.answers:
        if answer_id not in ids:
            nearest = tuple(difflib.get_close_matches(answer_id, ids, n=1, cutoff=0.6))
            lines.append(LintLine(id=answer_id, status="unknown", submitted=_show(sheet.answers[answer_id])
                                  if not isinstance(sheet.answers[answer_id], dict) else "(a table)", suggestions=nearest))
    return LintResult(sheet.student, sheet.source, key.name, tuple(lines))


