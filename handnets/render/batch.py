"""Render a graded batch: grades.csv, per-student JSON, summary.json, Gradescope results, terminal summary."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from handnets.grading.analytics import Analytics, Setting, counted_score
from handnets.grading.batch import Batch, Problem, batch_problems
from handnets.grading.grade import Report
from handnets.render.grading import disposition, format_score, json_number, report_json
from handnets.render.text import clean, csv_cell, escape_filename, json_safe

__all__ = [
    "format_grades_csv",
    "format_rows_csv",
    "markdown_feedback",
    "render_matching",
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

    A sheet with answers for review (invalid or undecided: 0 until a person reads them) says so in
    its status: ``graded; for review: conv.params lstm.cbar_t``.

    Every cell goes through ``csv_cell``: no cell can start a formula or carry a control character.
    """
    ids = [q.id for q in batch.key.questions]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows: list[list[str]] = [["student", "source", *ids, "total", "max_score", "status"]]
    for report in batch.reports:
        scores = {v.id: format_score(v.score) for v in report.verdicts}
        review = [v.id for v in report.verdicts if disposition(v, Setting.FINAL) == "for review"]
        status = f"graded; for review: {' '.join(review)}" if review else "graded"  # invalid and undecided: 0 until read
        rows.append([report.student, report.source, *(scores[i] for i in ids), format_score(report.score),
                     format_score(report.max_score), status])
    for item in batch.unreadable:  # the row keeps the file name as the student: nothing is dropped
        rows.append([Path(item.source).stem or item.source, item.source, *([""] * len(ids)), "", format_score(batch.key.max_score), f"unreadable: {item.reason}"])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def format_rows_csv(rows, *, lines: bool = False) -> str:
    """Rows (an upload for an LMS) as CSV, every cell defused as in grades.csv; ``lines`` keeps the line
    breaks of Markdown feedback (inside quoted cells, as CSV allows).

    >>> print(format_rows_csv([("Student", "Score"), ("=cmd|' /C calc'!A0", "3")]), end="")
    Student,Score
    '=cmd|' /C calc'!A0,3
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([_upload_cell(cell, lines) for cell in row])
    return buffer.getvalue()


def _upload_cell(value: Any, lines: bool) -> str:
    if not lines:
        return csv_cell(value)
    text = value if isinstance(value, str) else str(value)
    return clean(("'" + text) if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text, lines=True)


def markdown_feedback(verdict) -> str:
    """One answer's feedback as Markdown (PrairieLearn shows it to the student): the verdict, the
    feedback, and how the answer was read, in code spans so that nothing in it is read as Markdown."""
    parts = [f"{verdict.verdict} ({format_score(verdict.score)} / {format_score(verdict.max_score)})"]
    if verdict.feedback and verdict.feedback != verdict.verdict:
        parts.append(verdict.feedback)
    if verdict.read_as is not None and verdict.read_as.plain and verdict.read_as.plain != verdict.submitted:
        parts.append(f"read as `{verdict.read_as.plain.replace('`', chr(39))}`")
    return clean(" \u2014 ".join(parts), lines=True)


def render_matching(matching, key=None) -> Group:
    """Which export column answers which question (? = not certain), and the questions no column answers."""
    table = Table(title="Columns of the export and the questions they answer (? = not certain)", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("column", overflow="fold", ratio=2)
    table.add_column("question", overflow="fold", ratio=1)
    table.add_column("how", overflow="fold", ratio=1)
    for match in matching.matches:
        label = match.column.label if match.column.text in ("", match.column.label) else f"{match.column.label}: {match.column.text}"
        table.add_row("" if match.certain else "?", Text(clean(_shorten(label, 90))), Text(clean(match.question or "-")),
                      Text(clean(match.how)))
    unanswered = list(matching.unanswered)
    shown = ", ".join(unanswered[:6]) + (f" and {len(unanswered) - 6} more" if len(unanswered) > 6 else "")
    note = (f"{len(unanswered)} question(s) of the key no column answers (missing on every sheet): {shown}" if unanswered
            else "every question of the key has a column")
    return Group(table, Text(clean(note)))


def summary_json(batch: Batch, analytics: Analytics) -> dict[str, Any]:
    return json_safe({
        "key": batch.key.name,
        "students": len(batch.reports),
        "unreadable": [{"source": u.source, "reason": u.reason} for u in batch.unreadable],
        # what a TA must look at (handnets.grading.batch.batch_problems); any of them gives exit code 3
        "problems": [{"kind": p.kind, "student": p.student, "source": p.source, "detail": p.detail}
                     for p in batch_problems(batch)],
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


def gradescope_json(report: Report, setting: Setting | str = Setting.FINAL, key=None) -> dict[str, Any]:
    """Gradescope's autograder results: one test per question, Markdown output (``output_format: md``).

    Final grading (the default): an invalid or undecided answer scores 0 and its test output says it
    is flagged for the TA to read; the results' output counts them. Resubmittable: an invalid answer
    is sent back (its message, and that it is not counted) and the score leaves it out. A question a
    person grades (``text``) is pending: max_score 0 and no status, so it is neither passed nor failed,
    and its points are not in this score. Each test's visibility is the key's for its question (feedback
    may reveal the answer: ``after_due_date``, ``after_published`` or ``hidden`` hold it back).
    """
    visibility = {q.id: q.visibility for q in key.questions} if key is not None else {}
    tests = []
    for number, verdict in enumerate(report.verdicts, start=1):
        test = {"name": verdict.id, "number": str(number), "output_format": "md",
                "visibility": visibility.get(verdict.id, "visible")}
        if verdict.verdict == "manual":
            test |= {"score": 0, "max_score": 0,
                     "output": f"**pending**: a person grades this answer; its {format_score(verdict.max_score)} point(s) "
                               "are not in this score" + _md_answer(verdict)}
        else:
            test |= {"score": json_number(verdict.score), "max_score": json_number(verdict.max_score),
                     "status": "passed" if verdict.verdict == "correct" else "failed", "output": _md_output(verdict, setting)}
        tests.append(test)
    score, _ = counted_score(report, setting)
    flagged = [v.id for v in report.verdicts if disposition(v, setting) == "for review"]
    returned = [v.id for v in report.verdicts if disposition(v, setting) == "sent back"]
    pending = [v.id for v in report.verdicts if v.verdict == "manual"]
    output = [f"Graded against the key {_md_escape(report.key)}."]
    if flagged:
        output.append(f"{len(flagged)} answer(s) flagged for the TA to review (scored 0 until then): {_md_escape(', '.join(flagged))}")
    if returned:
        output.append(f"{len(returned)} answer(s) could not be read and were not counted: fix and resubmit: "
                      f"{_md_escape(', '.join(returned))}")
    if pending:
        output.append(f"{len(pending)} answer(s) wait for a person: {_md_escape(', '.join(pending))}")
    return json_safe({"score": json_number(score), "output": "\n\n".join(output), "output_format": "md",
                      "visibility": "visible", "tests": tests})


def _md_output(verdict, setting) -> str:
    what = disposition(verdict, setting)
    lines = [f"**{verdict.verdict}**" + (f": {_md_escape(verdict.feedback)}" if verdict.feedback and verdict.feedback != verdict.verdict else "")]
    if what == "for review":
        lines.append("flagged for the TA to review: it could not be read, and scores 0 unless a TA changes it"
                     if verdict.verdict == "invalid"
                     else "flagged for the TA to review: the grader could not decide, and it scores 0 unless a TA changes it")
    elif what == "sent back":
        lines.append("sent back: not counted; fix the notation as the message says and resubmit")
    text = "\n\n".join(lines) + _md_answer(verdict)
    if verdict.read_as is not None and verdict.read_as.plain and verdict.read_as.plain != verdict.submitted:
        text += "\n\nread as:\n\n" + _md_code(verdict.read_as.plain)
    return text


def _md_answer(verdict) -> str:
    return "\n\nyour answer:\n\n" + _md_code(verdict.submitted) if verdict.submitted else ""


def _md_code(text: str) -> str:
    """A fenced code block that ``text`` cannot close: longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def _md_escape(text: str) -> str:
    """Text from a key or a sheet shown in Markdown as itself: no emphasis, links, HTML or tables.

    >>> print(_md_escape("a_b *x* [l](u) <b> s.toml"))
    a\\_b \\*x\\* \\[l\\](u) \\<b\\> s.toml
    """
    return re.sub(r"([\\`*_\[\]<>|#~])", r"\\\1", text)


def gradescope_error_json(message: str) -> dict[str, Any]:
    """A valid results file when the submission could not be graded at all."""
    return json_safe({"score": 0, "tests": [], "output": f"Your submission could not be graded: {_md_escape(message)}",
                      "output_format": "md", "visibility": "visible"})


_VERDICT_COLUMNS = ("correct", "incorrect", "invalid", "undecided", "missing", "manual")


class _FitOrFold:
    """The wide table when it fits the console, else the narrow one (each question's shares in words):
    rich would otherwise crop the ids and headers a TA needs with an ellipsis."""

    def __init__(self, wide: Table, narrow: Table):
        self.wide, self.narrow = wide, narrow

    def __rich_console__(self, console, options):
        from rich.measure import Measurement

        fits = Measurement.get(console, options.update(width=10_000), self.wide).maximum <= options.max_width
        yield self.wide if fits else self.narrow


def _question_table(batch: Batch, analytics: Analytics) -> _FitOrFold:
    title = Text(clean(f"{len(batch.reports)} sheets graded against {batch.key.name}"))
    wide = Table(title=title, title_justify="left")
    wide.add_column("question", no_wrap=True)
    wide.add_column("mean", justify="right", no_wrap=True)
    for column in _VERDICT_COLUMNS:
        wide.add_column(column, justify="right", no_wrap=True)
    narrow = Table(title=title, title_justify="left")
    narrow.add_column("question", overflow="fold")
    narrow.add_column("mean", justify="right", no_wrap=True)
    narrow.add_column("answers (share of sheets)", overflow="fold", ratio=1)
    for q in analytics.questions:
        mean = f"{float(q.mean_score):.2f} / {format_score(q.max_score)}"
        wide.add_row(Text(clean(q.question)), mean, *(f"{float(q.share(v)):.0%}" for v in _VERDICT_COLUMNS))
        shares = ", ".join(f"{float(q.share(v)):.0%} {v}" for v in _VERDICT_COLUMNS if q.share(v))
        narrow.add_row(Text(clean(q.question)), mean, shares)
    return _FitOrFold(wide, narrow)


def _review_table(analytics: Analytics, rows: int) -> Table:
    """The review queue: invalid and undecided answers a person must read, the first ``rows`` of them.

    The reason is the reader's first line (what is wrong and where); the answer with its pointer
    is in summary.json."""
    invalid = sum(r.verdict == "invalid" for r in analytics.review)
    undecided = len(analytics.review) - invalid
    title = (f"Review queue: {len(analytics.review)} answer(s) await a person ({invalid} invalid, {undecided} undecided): "
             "scored 0 until read, counted apart from incorrect")
    more = len(analytics.review) - rows
    table = Table(title=title, title_justify="left", caption_justify="left",
                  caption=f"and {more} more in summary.json (review_queue)" if more > 0 else None)
    table.add_column("student", overflow="fold")
    table.add_column("question", overflow="fold")
    table.add_column("verdict", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for item in analytics.review[:rows]:
        reason = item.reason.strip().split("\n", 1)[0].rstrip(":").strip()
        table.add_row(Text(clean(item.student)), Text(clean(item.question)), Text(item.verdict), Text(clean(reason)))
    return table


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"  # cut on purpose: the whole answer is in summary.json


def render_batch(batch: Batch, analytics: Analytics, *, pairs: int = 10, review_rows: int = 20, wrong_per_question: int = 3) -> Group:
    """The terminal summary: per-question figures, the review queue, common mistakes, problems (unreadable sheets
    among them), shared answers.

    Nothing a TA looks up (a question id, a note, a student) is cropped at any width: narrow
    consoles get a narrow layout, and long cells fold. Examples of wrong answers are cut at 70
    characters on purpose (marked with an ellipsis; summary.json has them whole)."""
    parts: list[Any] = [_question_table(batch, analytics)]
    if analytics.review:
        parts.append(_review_table(analytics, review_rows))
    mistakes = Table(title="Most common wrong answers (grouped by meaning; shared by at least two students)", title_justify="left")
    mistakes.add_column("question: note", no_wrap=True, overflow="fold")  # ids and notes whole: a TA looks them up
    mistakes.add_column("students", justify="right", no_wrap=True)
    mistakes.add_column("example", overflow="fold", ratio=1)
    for q in analytics.questions:
        common = [w for w in q.common_wrong if w.count >= 2][:wrong_per_question]
        if not common:
            continue
        mistakes.add_row(Text(clean(q.question), style="bold"), "", "")
        for wrong in common:
            mistakes.add_row(Text("  " + clean(wrong.note)), str(wrong.count), Text(clean(_shorten(wrong.example))))
    if mistakes.row_count:
        parts.append(mistakes)
    problems = batch_problems(batch)
    if problems:
        parts.append(_problems_table(problems))
    if analytics.pairs:
        sharing = Table(title="Shared uncommon wrong answers (answer-sharing report)", title_justify="left")
        sharing.add_column("students", overflow="fold")
        sharing.add_column("shared", justify="right", no_wrap=True)
        sharing.add_column("rarity", justify="right", no_wrap=True)
        sharing.add_column("questions", overflow="fold")
        for pair in analytics.pairs[:pairs]:
            sharing.add_row(Text(clean(" & ".join(pair.students))), str(len(pair.shared)), f"{pair.rarity:.2f}",
                            Text(clean(", ".join(s.question for s in pair.shared))))
        parts.append(sharing)
    return Group(*parts)


def _problems_table(problems: tuple[Problem, ...]) -> Table:
    """The batch's problems, one row each: nothing wrong with a sheet goes by unsaid."""
    table = Table(title=f"Problems: {len(problems)} (also in summary.json, problems)", title_justify="left")
    table.add_column("problem", no_wrap=True)
    table.add_column("student", overflow="fold")
    table.add_column("sheet", overflow="fold")
    table.add_column("detail", overflow="fold", ratio=1)
    for problem in problems:
        table.add_row(problem.kind, Text(clean(problem.student)), Text(clean(problem.source)),
                      Text(clean(problem.detail, lines=True)))
    return table


def report_files(batch: Batch) -> dict[str, dict[str, Any]]:
    """students/<name>.json: the single-sheet schema for each graded sheet."""
    return {name: json_safe(report_json(report)) for name, report in zip(student_filenames(batch.reports), batch.reports)}

