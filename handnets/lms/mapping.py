"""Which export column answers which question of the key, and which attempt counts.

The mapping comes, in this order, from a ``--map`` file (one line per question, keyed by what the
platform calls it), from the key's ``[questions.source]`` tables, or from the headers themselves::

    "1813894" = "lstm.cbar_t"                      # the Canvas question id
    "Response 3" = "params.classifier.lstm"        # the Moodle column (or its slot: "3")
    "explainMax/ans" = "gradient_flow"             # PrairieLearn qid/answer-name (or the qid alone)
    "Q4. How many parameters does the LSTM layer have?" = "params.classifier.lstm"   # a Forms title
    "1813899" = ""                                 # a column to leave out

A map need not name every column: the others are matched as below (so ``"Any comments?" = ""`` alone
may be enough for a form whose titles are the key's prompts).

Matching by header is certain when a column's label or text names a question id, or its text is the
question's prompt (ignoring case, spacing and punctuation); a close but inexact prompt, two columns
for one question, or a column matching nothing is uncertain, and ingesting stops with the table of
what matched and what did not, so the TA writes a ``--map`` rather than grading the wrong column.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handnets.errors import InvalidExport
from handnets.grading.key import Key
from handnets.lms.export import Attempt, Column, Export
from handnets.safeio import load_toml

__all__ = ["ATTEMPT_RULES", "Match", "Matching", "load_map", "match_columns", "select_attempts"]

ATTEMPT_RULES = ("last", "best", "all")


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """One column and the question it answers (``question`` None: unmatched or left out)."""

    column: Column
    question: str | None
    how: str  # "map", "key", "id", "prompt", "close prompt (0.87)", "left out", "no match"
    certain: bool


@dataclass(frozen=True, slots=True)
class Matching:
    matches: tuple[Match, ...]
    unanswered: tuple[str, ...]  # questions of the key no column answers

    @property
    def certain(self) -> bool:
        return all(m.certain for m in self.matches)

    def by_label(self) -> dict[str, str]:
        return {m.column.label: m.question for m in self.matches if m.question is not None}


def load_map(path: str, key: Key) -> dict[str, str]:
    """A ``--map`` file: every value must be a question id of the key (or "" to leave the column out)."""
    data = load_toml(path, error=InvalidExport, what="a TOML column mapping")
    ids = [q.id for q in key.questions]
    mapping = {}
    for name, value in data.items():
        if not isinstance(value, str):
            raise InvalidExport(f"expected a question id as a string, got {type(value).__name__}", source=str(path), field=name)
        if value and value not in ids:
            close = difflib.get_close_matches(value, ids, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise InvalidExport(f"{value!r} is not a question of the key {key.name}{hint}", source=str(path), field=name)
        mapping[str(name)] = value
    return mapping


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def match_columns(export: Export, key: Key, explicit: Mapping[str, str] | None = None) -> Matching:
    """Pair each column of ``export`` with a question of ``key`` (see the module's docstring)."""
    explicit = dict(explicit or {})
    from_key = {name: q.id for q in key.questions for platform, name in q.source if platform == export.format}
    ids = {q.id for q in key.questions}
    prompts = {q.id: _normal(q.prompt) for q in key.questions if q.prompt.strip()}
    matches = []
    for column in export.columns:
        names = (column.label, *column.aliases)
        mapped = next((explicit[n] for n in names if n in explicit), None)
        if mapped is not None:
            matches.append(Match(column=column, question=mapped or None, how="map" if mapped else "left out", certain=True))
            continue
        keyed = next((from_key[n] for n in names if n in from_key), None)
        if keyed is not None:
            matches.append(Match(column=column, question=keyed, how="key", certain=True))
            continue
        if from_key:
            matches.append(Match(column=column, question=None, how="not in the key's sources", certain=True))
            continue
        matches.append(_guess(column, ids, prompts))
    # two columns for one question is never certain
    counts: dict[str, int] = {}
    for m in matches:
        if m.question is not None:
            counts[m.question] = counts.get(m.question, 0) + 1
    matches = [m if m.question is None or counts[m.question] == 1
               else Match(column=m.column, question=m.question, how=f"{m.how}; another column too", certain=False)
               for m in matches]
    answered = {m.question for m in matches if m.question is not None}
    return Matching(tuple(matches), tuple(q.id for q in key.questions if q.id not in answered))


def _guess(column: Column, ids: set[str], prompts: Mapping[str, str]) -> Match:
    for name in (column.label, *column.aliases):
        if name in ids:
            return Match(column=column, question=name, how="id", certain=True)
    named = sorted(i for i in ids if re.search(rf"(?<![\w.]){re.escape(i)}(?![\w.])", column.text))
    if len(named) == 1:
        return Match(column=column, question=named[0], how="id in the header", certain=True)
    text = _normal(column.text)
    exact = [qid for qid, prompt in prompts.items() if prompt and (prompt == text or (len(prompt) > 15 and prompt in text))]
    if len(exact) == 1:
        return Match(column=column, question=exact[0], how="prompt", certain=True)
    scored = sorted(((difflib.SequenceMatcher(None, text, prompt).ratio(), qid) for qid, prompt in prompts.items()), reverse=True)
    if scored and scored[0][0] >= 0.6:
        return Match(column=column, question=scored[0][1], how=f"close prompt ({scored[0][0]:.2f})", certain=False)
    return Match(column=column, question=None, how="no match", certain=False)


def select_attempts(attempts: Sequence[Attempt], rule: str) -> tuple[Attempt, ...]:
    """Each student's attempt by ``rule``: ``last`` (highest attempt number, then the latest row),
    ``best`` (highest platform score, ties to the later; students without scores keep the last), or
    ``all`` (every attempt). Students keep the order they first appear in."""
    if rule not in ATTEMPT_RULES:
        raise ValueError(f"rule must be one of {', '.join(ATTEMPT_RULES)}")
    if rule == "all":
        return tuple(attempts)
    groups: dict[str, list[tuple[int, Attempt]]] = {}
    for position, attempt in enumerate(attempts):
        groups.setdefault(attempt.identity.student.casefold(), []).append((position, attempt))
    chosen = []
    for group in groups.values():
        if rule == "best" and any(a.score is not None for _, a in group):
            chosen.append(max(((a.score if a.score is not None else -1, a.number, p), a) for p, a in group)[1])
        else:
            chosen.append(max(((a.number, p), a) for p, a in group)[1])
    return tuple(chosen)
