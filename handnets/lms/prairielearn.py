"""PrairieLearn: ``<assessment>_submissions_for_manual_grading.csv`` in, the same CSV with grades out.

``PrairieLearn:docs/manualGrading/index.md``::

    uid,uin,qid,old_score_perc,old_feedback,...,submission_id,params,true_answer,submitted_answer,
    old_partial_scores,partial_scores,score_perc,feedback

One row per student and question (team assessments: ``team_name``/``uid_list`` for ``uid``).
``submitted_answer`` is a JSON object by answer name; a ``pl-symbolic-input`` answer is a SymPy-JSON
object whose ``_value`` is the text. Each answer is a column labelled ``qid/name``; a question with one
answer name is also called by its ``qid`` alone. A student's rows make one attempt.

Written back: the same rows, matched by ``submission_id``, with ``score_perc`` (0-100 over the key's
questions of that row), ``feedback`` (Markdown) and ``partial_scores`` (JSON ``{"name": {"score",
"weight", "feedback"}}``) filled in; rows no question of the key came from are left blank (unchanged).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from handnets.errors import InvalidExport
from handnets.lms.export import Attempt, Column, Export, Identity, RowError, Table, answer_or_error, cell, read_table

__all__ = ["read_prairielearn", "upload_rows", "Graded"]

_MAX_JSON = 200_000


def _index(header: Sequence[str], name: str) -> int | None:
    return header.index(name) if name in header else None


def _answer(value: Any) -> Any:
    """A submitted answer's value as a sheet holds it (None: nothing usable)."""
    if isinstance(value, dict) and value.get("_type") == "sympy":
        value = value.get("_value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, list) and all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in value):
        return value
    if isinstance(value, list) and all(isinstance(r, list) for r in value):
        return value
    return json.dumps(value)[:_MAX_JSON]  # kept as text: the reader says what it cannot read


def read_prairielearn(path: str) -> Export:
    table = read_table(path)
    header = list(table.header)
    at = {name: _index(header, name) for name in ("uid", "team_name", "uin", "qid", "submission_id", "submitted_answer")}
    missing = [n for n in ("qid", "submitted_answer") if at[n] is None]
    if at["uid"] is None and at["team_name"] is None:
        missing.append("uid")
    if missing:
        raise InvalidExport(f"no {', '.join(missing)} column; is this a PrairieLearn submissions_for_manual_grading CSV?",
                            source=table.source)
    errors: list[RowError] = list(table.errors)
    names: dict[str, set[str]] = {}
    per_student: dict[str, dict[str, Any]] = {}
    for number, cells in table.rows:
        student = cell(cells, at["uid"]) or cell(cells, at["team_name"])
        qid = cell(cells, at["qid"])
        if not student or not qid:
            errors.append(RowError(number, "no uid (or team_name) or no qid"))
            continue
        raw = cells[at["submitted_answer"]]
        if len(raw) > _MAX_JSON:
            errors.append(RowError(number, f"submitted_answer: {len(raw):,} characters, more than the {_MAX_JSON:,} allowed"))
            continue
        try:
            submitted = json.loads(raw) if raw.strip() else {}
        except (ValueError, RecursionError) as exc:
            errors.append(RowError(number, f"submitted_answer: not JSON ({str(exc)[:80]})"))
            continue
        if not isinstance(submitted, dict):
            errors.append(RowError(number, "submitted_answer: expected a JSON object of answers, "
                                           f"got {type(submitted).__name__}"))
            continue
        entry = per_student.setdefault(student, {"rows": [], "answers": {}, "submissions": {}, "uin": cell(cells, at["uin"])})
        entry["rows"].append(number)
        entry["submissions"][qid] = cell(cells, at["submission_id"])  # every answer of the question, given or not
        for name, value in submitted.items():
            label = f"{qid}/{name}"
            names.setdefault(qid, set()).add(str(name))
            value = _answer(value)
            if isinstance(value, str):
                value = answer_or_error(value, label, number, errors)
            if value is not None:
                entry["answers"][label] = value
            entry["submissions"][label] = cell(cells, at["submission_id"])
    columns = []
    for qid in sorted(names):
        for name in sorted(names[qid]):
            aliases = (qid,) if len(names[qid]) == 1 else ()
            columns.append(Column(label=f"{qid}/{name}", text=f"{qid} {name}", aliases=aliases))
    attempts = tuple(
        Attempt(rows=tuple(entry["rows"]), identity=Identity(student=student, lms_id=entry["uin"], login=student), number=1,
                score=None, answers=entry["answers"], submissions=entry["submissions"])
        for student, entry in per_student.items()
    )
    return Export("prairielearn", table.source, tuple(columns), attempts, tuple(errors), table)


Graded = Mapping[str, tuple[float, float, str]]  # answer label -> (score, max score, Markdown feedback)


def upload_rows(table: Table, graded: Mapping[str, Graded]) -> tuple[tuple[str, ...], ...]:
    """The export's rows again, with ``score_perc``, ``feedback`` and ``partial_scores`` filled in from
    ``graded[submission_id]``; a row whose submission no question came from is left blank.

    >>> t = Table("x.csv", ("uid", "qid", "submission_id", "submitted_answer", "partial_scores", "score_perc", "feedback"),
    ...           ((2, ("a@x", "q1", "42", '{"ans": "1"}', "", "", "")),))
    >>> upload_rows(t, {"42": {"q1/ans": (1.0, 2.0, "half")}})[1]
    ('a@x', 'q1', '42', '{"ans": "1"}', '{"ans": {"score": 0.5, "weight": 2.0, "feedback": "half"}}', '50', '**ans**: half')
    """
    header = list(table.header)
    for name in ("partial_scores", "score_perc", "feedback"):
        if name not in header:
            header.append(name)
    at = {name: header.index(name) for name in ("partial_scores", "score_perc", "feedback")}
    sid = table.header.index("submission_id") if "submission_id" in table.header else None
    rows = [tuple(header)]
    for _, cells in table.rows:
        out = list(cells) + [""] * (len(header) - len(cells))
        answers = graded.get(cells[sid].strip()) if sid is not None else None
        if answers:
            total = sum(m for _, m, _ in answers.values())
            score = sum(s for s, _, _ in answers.values())
            partial = {label.split("/", 1)[-1]: {"score": round(s / m, 6) if m else 0.0, "weight": m, "feedback": f}
                       for label, (s, m, f) in answers.items()}
            out[at["partial_scores"]] = json.dumps(partial, ensure_ascii=False)
            out[at["score_perc"]] = _percent(100 * score / total if total else 0.0)
            out[at["feedback"]] = "\n\n".join(f"**{label.split('/', 1)[-1]}**: {f}" for label, (_, _, f) in answers.items())
        rows.append(tuple(out))
    return tuple(rows)


def _percent(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"
