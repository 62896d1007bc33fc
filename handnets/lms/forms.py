"""Google Forms: the responses CSV of a form (quiz mode or not).

``Timestamp,Email Address,Score,<question title>,...``: ``Email address`` and ``Email Address`` both
occur, ``Score`` (``4 / 5``, ``28.00 / 30``) only in quiz mode, timestamps in the owner's locale. A
respondent who submits again gets another row, below the earlier ones: the rows of one e-mail are
that respondent's attempts in order. Every other column is a question, labelled by its title.
"""

from __future__ import annotations

from handnets.errors import InvalidExport
from handnets.lms.export import Attempt, Column, Export, Identity, RowError, answer_or_error, cell, parse_score, read_table

__all__ = ["read_forms"]

_FIXED = {"timestamp", "email address", "score", "e-mail address", "email"}


def read_forms(path: str) -> Export:
    table = read_table(path)
    lowered = [h.strip().lower() for h in table.header]
    if "timestamp" not in lowered:
        raise InvalidExport("no Timestamp column; is this a Google Forms responses CSV?", source=table.source)
    email = next((i for i, h in enumerate(lowered) if h in ("email address", "e-mail address", "email")), None)
    score = lowered.index("score") if "score" in lowered else None
    questions = [(i, h) for i, h in enumerate(table.header) if lowered[i] not in _FIXED and h.strip()]
    if email is None:
        raise InvalidExport("no Email Address column: turn on 'Collect email addresses' so answers can be told apart",
                            source=table.source)
    columns = tuple(Column(label=title, text=title) for _, title in questions)
    errors: list[RowError] = list(table.errors)
    attempts = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        student = cell(cells, email).lower()  # e-mail addresses are told apart without case
        if not student:
            errors.append(RowError(number, "no e-mail address"))
            continue
        answers = {}
        for index, title in questions:
            value = answer_or_error(cells[index], title, number, errors)
            if value is not None:
                answers[title] = value.strip()
        order = seen[student.casefold()] = seen.get(student.casefold(), 0) + 1
        attempts.append(Attempt(rows=(number,), identity=Identity(student=student, login=student), number=order,
                                score=parse_score(cell(cells, score)), answers=answers))
    return Export("forms", table.source, columns, tuple(attempts), tuple(errors), table)
