"""Moodle: the quiz "Responses" report, downloaded as CSV.

``moodle/moodle:mod/quiz/classes/local/reports/attempts_report.php``: ``Last name,First name``, the
site's identity fields (e-mail, ID number, ...: configurable), state, start and end times, duration,
``Grade/<max>``, then per quiz slot ``Question N``, ``Response N``, ``Right answer N`` (each optional but
the response). Headers are in the site's language and changed between versions (``Surname``,
``State``, ``Time taken``), so columns are found by pattern: a header ending in a slot number, the
response being the one whose word is a known translation of "Response" (or, when the slot columns
come in threes, the middle one); the grade is the header ``<word>/<number>``. With "which tries: all"
a student has one row per try: each row is an attempt here, in order (only the last carries the
grade). ``-`` is an empty response. A STACK question's response is a summary,
``Seed: 1245; ans1: 9*x^2+2 [score]; ans2: 18*x [valid]; prt1: # = 1 | prt1-1-T``: each input is then a
column of its own, ``Response 3/ans1`` (or ``3/ans1``), holding what the student typed.
"""

from __future__ import annotations

import re

from handnets.errors import InvalidExport
from handnets.lms.export import Attempt, Column, Export, Identity, RowError, answer_or_error, cell, parse_score, read_table

__all__ = ["read_moodle"]

_SLOT = re.compile(r"^(.*\S)\s+(\d+)$")
_GRADE = re.compile(r"^[^/]{1,40}/\s*\d+(?:[.,]\d+)?$")
_RESPONSE_WORDS = {"response", "responses", "antwort", "réponse", "respuesta", "risposta", "resposta", "antwoord",
                   "odpowiedź", "svar", "vastaus", "odpověď", "ответ", "回答", "응답", "yanıt"}
_STACK = re.compile(r"^\s*Seed: -?\d+;")
_STACK_INPUT = re.compile(r"(?:^|;)\s*([A-Za-z][A-Za-z0-9_]{0,40}): (.*?) \[(?:score|valid|invalid)\](?=;|\s*$)", re.DOTALL)


def stack_inputs(summary: str) -> dict[str, str]:
    """The inputs of a STACK response summary, by name.

    >>> stack_inputs("Seed: 1245; ans1: 9*x^2+2 [score]; ans2: 18*x [valid]; prt1: # = 1 | prt1-1-T")
    {'ans1': '9*x^2+2', 'ans2': '18*x'}
    """
    if not _STACK.match(summary):
        return {}
    return {m.group(1): m.group(2).strip() for m in _STACK_INPUT.finditer(summary.split(";", 1)[1])}


_IDENTITY = re.compile(r"(e-?mail|courriel|correo|id ?number|idnumber|id-nummer|matr|student ?id|username|nom d'utilisateur)",
                       re.IGNORECASE)


def _response_columns(header: tuple[str, ...], source: str) -> list[tuple[int, str]]:
    slots = [(i, m.group(1), m.group(2)) for i, h in enumerate(header) if (m := _SLOT.match(h))]
    words = {}
    for _, word, _ in slots:
        words.setdefault(word, 0)
        words[word] += 1
    chosen = [w for w in words if w.casefold() in _RESPONSE_WORDS]
    if not chosen:
        if len(words) == 1:
            chosen = list(words)
        elif len(words) == 3:
            order = []
            for _, word, _ in slots:
                if word not in order:
                    order.append(word)
            chosen = [order[1]]  # Question N, Response N, Right answer N
    if len(chosen) != 1:
        found = ", ".join(sorted(words)) or "none"
        raise InvalidExport(f"cannot tell which columns hold the responses (slot columns found: {found}); name them in a "
                            "--map file, e.g. \"Response 1\" = \"<question id>\"", source=source)
    return [(i, f"{word} {slot}") for i, word, slot in slots if word == chosen[0]]


def read_moodle(path: str) -> Export:
    table = read_table(path)
    header = table.header
    responses = _response_columns(header, table.source)
    grade = next((i for i, h in enumerate(header) if _GRADE.match(h)), None)
    first_slot = min(i for i, _ in responses)
    identity_at = next((i for i, h in enumerate(header[:first_slot]) if i >= 2 and _IDENTITY.search(h)), None)
    inputs: dict[str, list[str]] = {}  # a STACK slot's input names, in order of appearance
    for _, cells in table.rows:
        for index, label in responses:
            for name in stack_inputs(cells[index]):
                if name not in inputs.setdefault(label, []):
                    inputs[label].append(name)
    columns = []
    for _, label in responses:
        slot = label.rsplit(" ", 1)[1]
        if label not in inputs:  # a STACK slot is its inputs, not the summary
            columns.append(Column(label=label, text=label, aliases=(slot,)))
        columns += [Column(label=f"{label}/{name}", text=f"{label} {name}", aliases=(f"{slot}/{name}",))
                    for name in inputs.get(label, ())]
    columns = tuple(columns)
    errors: list[RowError] = list(table.errors)
    attempts = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        last, first = cell(cells, 0), cell(cells, 1)
        name = " ".join(part for part in (first, last) if part)
        student = cell(cells, identity_at) if identity_at is not None else name
        if not student:  # Moodle's "Overall average" row has a name but no identity
            errors.append(RowError(number, f"not a student's row ({name[:40]!r}: the {header[identity_at]!r} cell is empty)"
                                   if identity_at is not None and name else "no student (the name columns are empty)"))
            continue
        answers = {}
        for index, label in responses:
            text = cells[index]
            if text.strip() == "-":
                continue
            value = answer_or_error(text, label, number, errors)
            if value is not None:
                answers[label] = value.strip()
                for name, typed in stack_inputs(value).items():
                    answers[f"{label}/{name}"] = typed
        order = seen[student] = seen.get(student, 0) + 1
        identity = Identity(student=student, name=name, login=cell(cells, identity_at))
        attempts.append(Attempt(rows=(number,), identity=identity, number=order, score=parse_score(cell(cells, grade)),
                                answers=answers))
    return Export("moodle", table.source, columns, tuple(attempts), tuple(errors), table)
