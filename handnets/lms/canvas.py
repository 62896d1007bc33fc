"""Canvas: Classic and New Quizzes "Student Analysis" CSVs in, a Gradebook import CSV out.

Classic Quizzes (``instructure/canvas-lms``, ``quiz_statistics/student_analysis.rb``)::

    name,id,sis_id,section,section_id,section_sis_id,submitted,attempt,
    1813894: <question text>,1,            # two columns per question: the answer, then its points
    ...,n correct,n incorrect,score

``sis_id``, ``section_sis_id`` and ``attempt`` are optional (all attempts: one row per attempt). In
an answer Canvas escapes a comma inside one of several values as ``\\,``, and a rich-text equation
arrives as ``[LaTeX: \\sum a\\:=\\:14] (/equation_images/...)``: the LaTeX is kept, Canvas' ``\\:``
spacing undone. ``\\,`` becomes a comma except in an answer that is LaTeX (there it is a thin space).

New Quizzes: ``Name,ID,SectionIDs,SectionNames,Submitted,ElapsedTime,Attempt``, then per item
``ItemID,ItemType,<question text>,EarnedPoints,Status`` (the ``ItemID`` cells hold the item's id,
which is its label), then ``NumberOfCorrect,...,OverallScore``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from handnets.errors import InvalidExport
from handnets.lms.export import Attempt, Column, Export, Identity, RowError, answer_or_error, cell, parse_score, read_table

__all__ = ["read_classic", "read_new", "canvas_text", "gradebook_rows"]

_QUESTION = re.compile(r"^(\d+):\s?(.*)$", re.DOTALL)
_LATEX = re.compile(r"\[LaTeX: (.*?)\] \(/equation_images/[^)\s]*\)", re.DOTALL)
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]")


def canvas_text(text: str) -> str:
    """An answer cell as the student meant it.

    >>> canvas_text(r"[LaTeX: \\bar{c}_t\\:=\\:f_{t+1}] (/equation_images/%255Cbar)")
    '\\\\bar{c}_t = f_{t+1}'
    >>> canvas_text(r"28\\,28\\,8"), canvas_text(r"a\\, b")
    ('28,28,8', 'a, b')
    """
    latex = bool(_LATEX.search(text))
    text = _LATEX.sub(lambda m: m.group(1).replace("\\:", " "), text)
    if not latex and not _LATEX_COMMAND.search(text):
        text = text.replace("\\,", ",")
    return text.strip()


def _index(header: Sequence[str], *names: str) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def read_classic(path: str) -> Export:
    table = read_table(path)
    header = table.header
    questions = [(i, m.group(1), m.group(2).strip()) for i, h in enumerate(header) if (m := _QUESTION.match(h))]
    if not questions:
        raise InvalidExport("no question columns ('<question id>: <question text>'); is this a Canvas Classic Quizzes "
                            "Student Analysis CSV?", source=table.source)
    at = {name: _index(header, name) for name in ("name", "id", "sis_id", "section", "attempt", "score")}
    columns = tuple(Column(label=qid, text=text) for _, qid, text in questions)
    attempts, errors = _attempts(table, [(index, qid) for index, qid, _ in questions], at,
                                 ids=("id", "sis_id", "name"), section="section", score="score")
    return Export("canvas", table.source, columns, tuple(attempts), tuple(errors), table)


def _attempts(table, questions, at: dict, *, ids: tuple[str, ...], section: str, score: str):
    """One Attempt per row (both Canvas reports: a row is one attempt), and the rows that cannot be read.

    ``questions`` are (column index, label); ``at`` maps column names to indices; ``ids`` are the columns that
    may name the student, in order of preference."""
    errors: list[RowError] = list(table.errors)
    attempts = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        student = next((found for name in ids if (found := cell(cells, at[name]))), "")
        if not student:
            errors.append(RowError(number, f"no student id ({', '.join(ids)}: all empty)"))
            continue
        answers = {}
        for index, label in questions:
            value = answer_or_error(cells[index], label, number, errors)
            if value is not None:
                answers[label] = canvas_text(value)
        order = seen[student] = seen.get(student, 0) + 1
        attempt_text = cell(cells, at["attempt"])
        identity = Identity(student=student, name=cell(cells, at["name"]), lms_id=cell(cells, at["id"]),
                            sis_id=cell(cells, at["sis_id"]) if "sis_id" in at else "", section=cell(cells, at[section]))
        attempts.append(Attempt(rows=(number,), identity=identity, number=int(attempt_text) if attempt_text.isdigit() else order,
                                score=parse_score(cell(cells, at[score])), answers=answers))
    return attempts, errors


def read_new(path: str) -> Export:
    table = read_table(path)
    header = table.header
    starts = [i for i, h in enumerate(header) if re.fullmatch(r"ItemID(\.\d+)?", h)]
    if not starts:
        raise InvalidExport("no ItemID columns; is this a Canvas New Quizzes Student Analysis CSV?", source=table.source)
    at = {name: _index(header, name) for name in ("name", "id", "sectionnames", "attempt", "overallscore")}
    items = []
    for start in starts:
        if start + 2 >= len(header):
            raise InvalidExport(f"column {start + 1}: ItemID without its ItemType and response columns", source=table.source)
        ids = {cells[start].strip() for _, cells in table.rows if cells[start].strip()}
        label = sorted(ids)[0] if len(ids) == 1 else header[start + 2]  # the id, else the question text
        items.append((start + 2, label, _strip_html(header[start + 2])))
    columns = tuple(Column(label=label, text=text) for _, label, text in items)
    attempts, errors = _attempts(table, [(index, label) for index, label, _ in items], at,
                                 ids=("id", "name"), section="sectionnames", score="overallscore")
    return Export("canvas-new", table.source, columns, tuple(attempts), tuple(errors), table)


def _strip_html(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]{0,500}>", " ", text)).strip()


def gradebook_rows(graded: Sequence[tuple[Identity, str]], assignment: str) -> tuple[tuple[str, ...], ...]:
    """A Canvas Gradebook import: ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>``, one row
    per (identity, score). ``assignment`` is the column header, ``Quiz 1 (87568490)`` for an existing
    assignment (a header without the id creates a new one).

    >>> gradebook_rows([(Identity(student="7", name="Ada", lms_id="7"), "3.5")], "Quiz 1 (1)")
    (('Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', 'Quiz 1 (1)'), ('Ada', '7', '', '', '', '3.5'))
    """
    rows = [("Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment)]
    for identity, score in graded:
        rows.append((identity.name or identity.student, identity.lms_id, identity.sis_id, identity.login, identity.section,
                     score))
    return tuple(rows)
