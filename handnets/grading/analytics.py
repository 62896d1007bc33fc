"""What a grader learns from a batch: per-question statistics, common mistakes, and shared wrong answers.

Wrong answers are grouped by meaning, not by string: each incorrect verdict carries a ``meaning``
key (a recognised mistake's note, or the numeric fingerprint of the expression's canonical form,
or the value read), so ``o_t*(1-o_t)`` and ``o_t - o_t**2`` fall in one group.

Invalid is not wrong. An invalid answer could not be read (a typo, LaTeX in double quotes, an
unbalanced bracket): it says nothing about what the student knows, so it is never counted as an
incorrect answer. What happens to it depends on the setting (``Setting``):

- ``resubmittable`` (a self-check, an autograder that takes resubmissions): the answer is sent back
  with the reader's message (``sent_back``) and is not scored at all: neither its points nor its
  maximum count (``counted_score``), so fixing the notation changes nothing but the reading.
- ``final`` (grades that go to the gradebook): it scores 0, like a missing answer, and is listed
  in the review queue (``review_queue``, with the undecided answers) for a person to read; the
  counts keep invalid apart from incorrect.

The answer-sharing report pairs students who gave the same wrong answer (equal in meaning) to the
same questions, weighting each shared answer by how rare it is in the batch (log(N / k) for an
answer k of N students gave). Identical correct answers are expected and never count.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from handnets.grading.grade import VERDICTS, Report, Verdict

try:
    from enum import StrEnum
except ImportError:  # Python 3.10: the same behaviour, spelled out
    from enum import Enum

    class StrEnum(str, Enum):  # type: ignore[no-redef]
        def __str__(self) -> str:
            return str(self.value)

__all__ = ["WrongAnswer", "QuestionStats", "SharedAnswer", "SharedPair", "Analytics", "analyse", "Setting", "ReviewItem",
           "review_queue", "sent_back", "counted_score"]


@dataclass(frozen=True, slots=True)
class WrongAnswer:
    """One group of equivalent wrong answers to a question."""

    question: str
    meaning: str
    count: int
    note: str
    example: str  # one student's answer as written (the shortest, for a stable choice)
    read_as: str
    students: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuestionStats:
    question: str
    max_score: Fraction
    mean_score: Fraction
    counts: tuple[tuple[str, int], ...]  # verdict -> how many, in VERDICTS order
    common_wrong: tuple[WrongAnswer, ...]  # most common first

    def share(self, verdict: str) -> Fraction:
        total = sum(n for _, n in self.counts)
        return Fraction(dict(self.counts).get(verdict, 0), total) if total else Fraction(0)


@dataclass(frozen=True, slots=True)
class SharedAnswer:
    question: str
    example: str
    holders: int  # how many students in the batch gave this wrong answer


@dataclass(frozen=True, slots=True)
class SharedPair:
    """Two students who share uncommon wrong answers, and how unusual that is."""

    students: tuple[str, str]
    shared: tuple[SharedAnswer, ...]
    rarity: float  # sum over shared answers of log(N / holders)


@dataclass(frozen=True, slots=True)
class Analytics:
    students: int
    questions: tuple[QuestionStats, ...]
    pairs: tuple[SharedPair, ...]  # most unusual first
    clusters: tuple[tuple[str, ...], ...]  # groups linked by pairs that share at least ``min_shared`` answers
    review: tuple[ReviewItem, ...] = ()  # invalid and undecided answers, for a person (final grading)


class Setting(StrEnum):
    """Where the grades go: back to the student who may resubmit, or to the gradebook."""

    RESUBMITTABLE = "resubmittable"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One answer a person must read before the grades are final: unreadable (invalid) or undecided."""

    student: str
    source: str
    question: str
    verdict: str  # "invalid" or "undecided"
    submitted: str
    reason: str  # the reader's message, or why the judge could not decide


_REVIEWED = ("invalid", "undecided")


def review_queue(reports: Sequence[Report]) -> tuple[ReviewItem, ...]:
    """The answers of a final grading that a person must read: invalid and undecided ones, sheet by sheet.

    >>> from handnets.grading.key import load_key
    >>> from handnets.grading.sheet import loads_sheet
    >>> from handnets.grading.grade import grade_sheet
    >>> sheet = loads_sheet("\\n".join(["[answers]", '"conv.params" = "8*(5*5*3 + 1"']))
    >>> [(item.question, item.verdict) for item in review_queue([grade_sheet(load_key("homework"), sheet)])]
    [('conv.params', 'invalid')]
    """
    names = _labels(reports)
    return tuple(
        ReviewItem(name, report.source, v.id, v.verdict, v.submitted, v.feedback)
        for report, name in zip(reports, names)
        for v in report.verdicts
        if v.verdict in _REVIEWED
    )


def sent_back(report: Report) -> tuple[Verdict, ...]:
    """The answers returned to the student in a resubmittable setting: the invalid ones, with their messages."""
    return tuple(v for v in report.verdicts if v.verdict == "invalid")


def counted_score(report: Report, setting: Setting | str) -> tuple[Fraction, Fraction]:
    """(score, max_score) of a sheet under ``setting``: resubmittable leaves invalid answers out of both.

    >>> from handnets.grading.grade import Verdict
    >>> right = Verdict("a", "correct", Fraction(1), Fraction(1), "correct", "", "1")
    >>> typo = Verdict("b", "invalid", Fraction(0), Fraction(2), "invalid", "never closed", "(1")
    >>> report = Report("s", "s.toml", "k", (right, typo))
    >>> counted_score(report, "resubmittable"), counted_score(report, "final")
    ((Fraction(1, 1), Fraction(1, 1)), (Fraction(1, 1), Fraction(3, 1)))
    """
    setting = Setting(setting)
    counted = [v for v in report.verdicts if not (setting is Setting.RESUBMITTABLE and v.verdict == "invalid")]
    return sum((v.score for v in counted), Fraction(0)), sum((v.max_score for v in counted), Fraction(0))


def analyse(
    reports: Sequence[Report],
    *,
    top: int = 5,
    uncommon: float = 0.05,
    min_shared: int = 3,
    max_pairs: int = 100,
) -> Analytics:
    """Statistics, mistake groups and the answer-sharing report for a graded batch.

    A wrong answer is uncommon when at most ``uncommon`` of the students gave it (two always count);
    pairs need at least one shared uncommon wrong answer and the ``max_pairs`` most unusual are kept;
    clusters link students whose pairs share at least ``min_shared`` uncommon wrong answers.
    """
    students = len(reports)
    if not reports:
        return Analytics(0, (), (), ())
    names = _labels(reports)
    by_question: dict[str, list] = defaultdict(list)
    for report, name in zip(reports, names):
        for verdict in report.verdicts:
            by_question[verdict.id].append((name, verdict))

    stats = []
    groups: dict[tuple[str, str], list] = {}
    for question, entries in by_question.items():  # key order: dicts keep the first report's question order
        counts = {v: 0 for v in VERDICTS}
        total = Fraction(0)
        wrong: dict[str, list] = defaultdict(list)
        for student, verdict in entries:
            counts[verdict.verdict] += 1
            total += verdict.score
            if verdict.verdict == "incorrect" and verdict.meaning:
                wrong[verdict.meaning].append((student, verdict))
        common = []
        for meaning, holders in wrong.items():
            example = min(holders, key=lambda sv: (len(sv[1].submitted), sv[1].submitted))[1]
            group = WrongAnswer(
                question=question,
                meaning=meaning,
                count=len(holders),
                note=example.note,
                example=example.submitted,
                read_as=example.read_as.plain if example.read_as else "",
                students=tuple(sorted(s for s, _ in holders)),
            )
            common.append(group)
            groups[(question, meaning)] = holders
        common.sort(key=lambda g: (-g.count, g.example))
        stats.append(
            QuestionStats(
                question=question,
                max_score=entries[0][1].max_score,
                mean_score=total / len(entries),
                counts=tuple((v, counts[v]) for v in VERDICTS),
                common_wrong=tuple(common[:top]),
            )
        )

    pairs = _shared_pairs(groups, students, uncommon)
    return Analytics(students, tuple(stats), pairs[:max_pairs], _clusters(pairs, min_shared), review_queue(reports))


def _labels(reports: Sequence[Report]) -> list[str]:
    """Each sheet's name in the report: the student, or student and file when two sheets share a name."""
    counts: dict[str, int] = defaultdict(int)
    for report in reports:
        counts[report.student] += 1
    return [r.student if counts[r.student] == 1 else f"{r.student} ({r.source})" for r in reports]


def _shared_pairs(groups: dict, students: int, uncommon: float) -> tuple[SharedPair, ...]:
    shared: dict[tuple[str, str], list[SharedAnswer]] = defaultdict(list)
    weight: dict[tuple[str, str], float] = defaultdict(float)
    for (question, _meaning), holders in groups.items():
        k = len(holders)
        if k < 2 or k > max(2, uncommon * students):
            continue
        example = min(holders, key=lambda sv: (len(sv[1].submitted), sv[1].submitted))[1].submitted
        names = sorted({s for s, _ in holders})
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                shared[(a, b)].append(SharedAnswer(question, example, k))
                weight[(a, b)] += math.log(students / k)
    pairs = [SharedPair(students=pair, shared=tuple(answers), rarity=round(weight[pair], 6)) for pair, answers in shared.items()]
    pairs.sort(key=lambda p: (-p.rarity, -len(p.shared), p.students))
    return tuple(pairs)


def _clusters(pairs: Sequence[SharedPair], min_shared: int) -> tuple[tuple[str, ...], ...]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        if len(pair.shared) >= min_shared:
            a, b = (find(s) for s in pair.students)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = defaultdict(list)
    for student in parent:
        members[find(student)].append(student)
    return tuple(sorted((tuple(sorted(group)) for group in members.values() if len(group) >= 2), key=lambda g: (-len(g), g)))
