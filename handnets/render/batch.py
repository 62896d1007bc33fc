"""Render a graded batch: grades.csv, per-student JSON, summary.json, Gradescope results, terminal summary."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from handnets.grading.analytics import Analytics
from handnets.grading.batch import Batch
from handnets.grading.grade import Report
from handnets.render.grading import format_score, json_number, report_json
from handnets.render.text import clean, csv_cell, escape_filename, json_safe

__all__ = [
    "format_grades_csv",
    "summary_json",
    "gradescope_json",
    "gradescope_error_json",
    "render_batch",
    "report_files",
    "student_filenames",
]


def student_filenames(reports: tuple[Report, ...]) -> list[str]:
    """A file name per report, unique by construction and reversible to the student.

    The student id is escaped (``render.text.escape_filename``: any name is representable, nothing is
    dropped), and the second, third ... report of the same student (compared without case, as
    case-insensitive file systems do) gets ``~2``, ``~3``: ``~`` never appears in an escaped id, so
    ``dup``, ``dup`` and ``dup-2`` become ``dup.json``, ``dup~2.json`` and ``dup-2.json``.
    """
    names: list[str] = []
    seen: dict[str, int] = {}
    for report in reports:
        base = escape_filename(report.student)
        if len(base.encode("utf-8")) > _MAX_NAME_BYTES:  # only ever an escaped 200-character id
            digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:12]
            cut = base.encode("utf-8")[: _MAX_NAME_BYTES - 15].decode("utf-8", "ignore")
            base = re.sub(r"%[0-9A-F]?$", "", cut) + f"~h{digest}"  # never end inside an escape
        folded = unicodedata.normalize("NFC", base).casefold()
        count = seen.get(folded, 0) + 1
        seen[folded] = count
        names.append(f"{base}.json" if count == 1 else f"{base}~{count}.json")
    return names


_MAX_NAME_BYTES = 200


def format_grades_csv(batch: Batch) -> str:
    """One row per student (unreadable sheets too, with the reason), one column per question, the total.

    Every cell goes through ``csv_cell``: no cell can start a formula or carry a control character.
    """
    ids = [q.id for q in batch.key.questions]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows: list[list[str]] = [["student", "source", *ids, "total", "max_score", "status"]]
    for report in batch.reports:
        scores = {v.id: format_score(v.score) for v in report.verdicts}
        rows.append([report.student, report.source, *(scores[i] for i in ids), format_score(report.score),
                     format_score(report.max_score), "graded"])
    for item in batch.unreadable:
        rows.append(["", item.source, *([""] * len(ids)), "", format_score(batch.key.max_score), f"unreadable: {item.reason}"])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def summary_json(batch: Batch, analytics: Analytics) -> dict[str, Any]:
    return json_safe({
        "key": batch.key.name,
        "students": len(batch.reports),
        "unreadable": [{"source": u.source, "reason": u.reason} for u in batch.unreadable],
        "questions": [
            {
                "id": q.question,
                "max_score": json_number(q.max_score),
                "mean_score": round(float(q.mean_score), 6),
                "shares": {verdict: round(float(q.share(verdict)), 6) for verdict, _ in q.counts},
                "counts": dict(q.counts),
                "common_wrong": [
                    {"count": w.count, "note": w.note, "example": w.example, "read_as": w.read_as, "students": list(w.students)}
                    for w in q.common_wrong
                ],
            }
            for q in analytics.questions
        ],
        "answer_sharing": {
            "pairs": [
                {
                    "students": list(p.students),
                    "rarity": p.rarity,
                    "shared": [{"question": s.question, "example": s.example, "holders": s.holders} for s in p.shared],
                }
                for p in analytics.pairs
            ],
            "clusters": [list(c) for c in analytics.clusters],
        },
        # final grading: unreadable and undecided answers for a person (handnets.grading.analytics.review_queue)
        "review_queue": [
            {"student": r.student, "source": r.source, "question": r.question, "verdict": r.verdict,
             "submitted": r.submitted, "reason": r.reason}
            for r in analytics.review
        ],
    })


def gradescope_json(report: Report) -> dict[str, Any]:
    """Gradescope's autograder results: one test per question."""
    tests = []
    for number, verdict in enumerate(report.verdicts, start=1):
        lines = [f"{verdict.verdict}: {verdict.feedback}"]
        if verdict.submitted:
            lines.append(f"your answer: {verdict.submitted}")
        if verdict.read_as is not None and verdict.read_as.plain and verdict.read_as.plain != verdict.submitted:
            lines.append(f"read as: {verdict.read_as.plain}")
        tests.append(
            {
                "name": verdict.id,
                "number": str(number),
                "score": json_number(verdict.score),
                "max_score": json_number(verdict.max_score),
                "status": "passed" if verdict.verdict == "correct" else "failed",
                "output": "\n".join(lines),
                "visibility": "visible",
            }
        )
    return json_safe({"score": json_number(report.score), "tests": tests, "output": f"graded against key {report.key}", "visibility": "visible"})


def gradescope_error_json(message: str) -> dict[str, Any]:
    """A valid results file when the submission could not be graded at all."""
    return json_safe({"score": 0, "tests": [], "output": f"Your submission could not be graded: {message}", "visibility": "visible"})


def render_batch(batch: Batch, analytics: Analytics, *, pairs: int = 10) -> Group:
    """The terminal summary: per-question figures, common mistakes, unreadable sheets, shared answers."""
    table = Table(title=Text(clean(f"{len(batch.reports)} sheets graded against {batch.key.name}")), title_justify="left")
    for column in ("question", "mean", "correct", "incorrect", "invalid", "undecided", "missing", "manual"):
        table.add_column(column, justify="left" if column == "question" else "right")
    for q in analytics.questions:
        table.add_row(Text(clean(q.question)), f"{float(q.mean_score):.2f} / {format_score(q.max_score)}",
                      *(f"{float(q.share(v)):.0%}" for v in ("correct", "incorrect", "invalid", "undecided", "missing", "manual")))
    parts: list[Any] = [table]
    mistakes = Table(title="Most common wrong answers (grouped by meaning)", title_justify="left")
    mistakes.add_column("question")
    mistakes.add_column("students", justify="right")
    mistakes.add_column("note")
    mistakes.add_column("example")
    for q in analytics.questions:
        for wrong in q.common_wrong[:3]:
            mistakes.add_row(Text(clean(q.question)), str(wrong.count), Text(clean(wrong.note)), Text(clean(wrong.example[:70])))
    if mistakes.row_count:
        parts.append(mistakes)
    if batch.unreadable:
        unreadable = Table(title=f"{len(batch.unreadable)} unreadable sheet(s)", title_justify="left")
        unreadable.add_column("sheet")
        unreadable.add_column("reason")
        for item in batch.unreadable:
            unreadable.add_row(Text(clean(item.source)), Text(clean(item.reason, lines=True)))
        parts.append(unreadable)
    if analytics.pairs:
        sharing = Table(title="Shared uncommon wrong answers (answer-sharing report)", title_justify="left")
        sharing.add_column("students")
        sharing.add_column("shared", justify="right")
        sharing.add_column("rarity", justify="right")
        sharing.add_column("questions")
        for pair in analytics.pairs[:pairs]:
            sharing.add_row(Text(clean(" & ".join(pair.students))), str(len(pair.shared)), f"{pair.rarity:.2f}",
                            Text(clean(", ".join(s.question for s in pair.shared))))
        parts.append(sharing)
    return Group(*parts)


def report_files(batch: Batch) -> dict[str, dict[str, Any]]:
    """students/<name>.json: the single-sheet schema for each graded sheet."""
    return {name: json_safe(report_json(report)) for name, report in zip(student_filenames(batch.reports), batch.reports)}

