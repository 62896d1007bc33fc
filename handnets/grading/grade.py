"""Judge answers against a key: one ``Verdict`` per question, a ``Report`` per sheet.

Each answer is judged in isolation and always gets a verdict, never an exception:

- ``correct`` / ``incorrect``: judged; an incorrect answer that matches a key's known mistake gets
  that mistake's partial credit, feedback and note id;
- ``invalid``: could not be read (no penalty, a message saying why and where);
- ``undecided``: could not be settled within the limits: flagged for a human, never silently wrong;
- ``missing``: no answer; ``manual``: free text kept for a human.

Every judged answer keeps how it was read (``Reading``), so a report can show that ``xy`` was read
as ``x*y``; the notation layer (``handnets.notation``) prints it when a report shows it, never the judge.
Text answers are read by ``handnets.grading.parse``: expressions, numbers (thousands groups, units,
working lines whose every side is judged), matrices and shapes. A caller grading many sheets passes
a ``VerdictMemo``, so a repeated answer is served before it is read again.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

import sympy

from handnets.errors import InputError, InvalidWeights
from handnets.exact import to_fraction
from handnets.grading.equivalence import (Equivalence, describe_number, fingerprint, judge_big_o, judge_expression,
                                          judge_integer, judge_number)
from handnets import notation
from handnets.grading.parse import ParseFailure, ParseSuccess, parse_big_o, parse_expression
from handnets.grading.parse.numbers import read_number
from handnets.grading.parse.tables import read_matrix, read_shape
from handnets.grading.key import Key, Mistake, Question
from handnets.grading.sheet import Sheet

__all__ = ["VERDICTS", "Reading", "Verdict", "VerdictMemo", "Report", "judge_answer", "grade_sheet", "grade_answers", "alarm_guard", "AnswerTimeout"]

VERDICTS = ("correct", "incorrect", "invalid", "undecided", "missing", "manual")
_MAX_TEXT = 20_000  # characters of free text kept


@dataclass(frozen=True, slots=True)
class Reading:
    """How an answer was read: in words (``text``), or as an expression printed only when asked for.

    ``plain`` is the one-line form (the notation layer's, or the words); a report asks
    ``handnets.notation`` for the other forms of ``expr`` (pretty, LaTeX, MathML).
    """

    text: str = ""
    expr: sympy.Expr | None = None
    notes: tuple[str, ...] = ()  # what the reader read past: a comment, a remark in words

    @property
    def plain(self) -> str:
        return notation.plain(self.expr) if self.expr is not None and not self.text else self.text


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement of one answer."""

    id: str
    verdict: str
    score: Fraction
    max_score: Fraction
    note: str  # a stable id: "correct", a mistake's note, "incorrect", "invalid", "undecided", "missing", "manual"
    feedback: str
    submitted: str  # the answer as the student wrote it (shortened)
    read_as: Reading | None = None
    method: str = ""
    meaning: str = ""  # for wrong answers: a canonical key of what the answer means (equal meanings, equal keys)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
        if not 0 <= self.score <= self.max_score:
            raise ValueError("score must lie between 0 and max_score")


@dataclass(frozen=True, slots=True)
class Report:
    """One sheet graded: a verdict per question of the key, in the key's order."""

    student: str
    source: str
    key: str
    verdicts: tuple[Verdict, ...]
    unknown_answers: tuple[str, ...] = ()  # answers to questions the key does not have

    @property
    def score(self) -> Fraction:
        return sum((v.score for v in self.verdicts), Fraction(0))

    @property
    def max_score(self) -> Fraction:
        return sum((v.max_score for v in self.verdicts), Fraction(0))


def grade_sheet(key: Key, sheet: Sheet, *, limit_seconds: float = 10.0) -> Report:
    """Judge every question of ``key`` on ``sheet``, each answer under a time limit of its own.

    The limit is enforced with ``SIGALRM`` on the main thread (elsewhere only the parser's and the
    judge's own bounds hold); batches use worker processes with hard limits (``handnets.grading.batch``).

    >>> from handnets.grading.key import load_key
    >>> from handnets.grading.sheet import loads_sheet
    >>> sheet = loads_sheet("\\n".join(["[answers]", '"conv.params" = 608']))
    >>> report = grade_sheet(load_key("homework"), sheet)
    >>> [v.verdict for v in report.verdicts if v.id == "conv.params"]
    ['correct']
    """
    return grade_answers(key, sheet, guard=alarm_guard(limit_seconds), limit_seconds=limit_seconds)


class AnswerTimeout(BaseException):
    """An answer ran past its time limit (a BaseException: judging code cannot swallow it)."""


def alarm_guard(seconds: float) -> Callable[[str, Callable[[], Verdict]], Verdict] | None:
    """A guard for ``grade_answers`` that stops each judgement after ``seconds`` with ``AnswerTimeout``.

    ``SIGALRM`` can only be handled on the main thread: elsewhere there is no guard (None).
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return None

    def on_alarm(signum, frame):
        raise AnswerTimeout()

    def guard(question_id: str, judge: Callable[[], Verdict]) -> Verdict:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return judge()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return guard


def grade_answers(
    key: Key,
    sheet: Sheet,
    *,
    guard: Callable[[str, Callable[[], Verdict]], Verdict] | None = None,
    decided: Mapping[str, str] | None = None,
    limit_seconds: float | None = None,
    memo: VerdictMemo | None = None,
) -> Report:
    """Judge every question, one answer at a time, so that no answer can take the others down.

    ``guard(question_id, judge)`` runs each judgement (a worker uses it to report progress and arm
    its timer); ``decided`` maps question ids to reasons for answers already settled as undecided
    (the batch parent's verdict on an answer that hung or crashed a worker); ``memo``, when given,
    serves answers its owner has already judged and keeps the new ones.
    """
    decided = decided or {}
    verdicts = []
    key = key.for_student(sheet.student)  # a key that deals variants grades each student on their own cell
    for question in key.questions:
        if question.id not in sheet.answers:
            verdicts.append(_missing(question))
            continue
        submitted = sheet.answers[question.id]
        if question.id in sheet.problems:  # TOML damaged it before we saw it (LaTeX in double quotes)
            verdicts.append(_invalid(question, _show(submitted), sheet.problems[question.id]))
            continue
        if question.id in decided:
            verdicts.append(_undecided(question, _show(submitted), decided[question.id]))
            continue
        source = f"{sheet.source}: answers.{question.id}"

        def judge(question=question, submitted=submitted, source=source) -> Verdict:
            return judge_answer(question, submitted, source=source, memo=memo, folder=sheet.folder)

        try:
            verdicts.append(guard(question.id, judge) if guard is not None else judge())
        except AnswerTimeout:
            verdicts.append(_undecided(question, _show(submitted), f"took longer than {limit_seconds:g} s"))
        except MemoryError:
            verdicts.append(_undecided(question, _show(submitted), "needed more memory than allowed"))
        except RecursionError:
            verdicts.append(_undecided(question, _show(submitted), "nested too deeply to judge"))
        except Exception as exc:  # a bug in handnets must not cost the other answers their grades
            verdicts.append(_undecided(question, _show(submitted), f"internal error {type(exc).__name__}: {exc} (please report)"))
    known = {q.id for q in key.questions}
    return Report(
        student=sheet.student,
        source=sheet.source,
        key=key.name,
        verdicts=tuple(verdicts),
        unknown_answers=tuple(sorted(str(k) for k in sheet.answers if k not in known)),
    )


def _undecided(question: Question, shown: str, reason: str) -> Verdict:
    return Verdict(question.id, "undecided", Fraction(0), question.points, "undecided",
                   f"{reason}; flagged for a human grader", shown)


def _missing(question: Question) -> Verdict:
    return Verdict(question.id, "missing", Fraction(0), question.points, "missing", "no answer given", "")


def judge_answer(question: Question, submitted: Any, *, source: str = "answer", memo: VerdictMemo | None = None,
                 folder: str | None = None) -> Verdict:
    """Judge one raw answer (a TOML value: string, number, list or table) to ``question``.

    >>> from handnets.grading.key import load_key
    >>> question = load_key("homework").question("params.classifier.lstm")
    >>> judge_answer(question, "4*(16*32 + 32*32 + 32)").verdict
    'correct'

    With a ``memo``, an answer already judged for this question is served from it before any reading.
    ``folder`` is where a file the answer names is found (the sheet's folder; the working folder if None).
    """
    if question.type == "trained_rnn":
        memo = None  # the answer names a file next to its sheet: the same text is another file on another sheet
    if memo is not None:
        cached = memo.get(question, submitted)
        if cached is not None:
            return cached
    shown = _show(submitted)
    judge = _JUDGES[question.type] if question.type != "trained_rnn" else partial(_judge_trained_rnn, folder=folder)
    try:
        verdict = judge(question, submitted, shown, source)
    except InputError as exc:  # the answer's own content could not be read
        verdict = _invalid(question, shown, exc.message if exc.field is None else f"{exc.field}: {exc.message}")
    return verdict if memo is None else memo.put(question, submitted, verdict)


# ------------------------------------------------------------------------------ helpers


def _show(value: Any, limit: int = 300) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {_show(v, 80)}" for k, v in list(value.items())[:12]) + "}"
    elif isinstance(value, list):
        text = "[" + ", ".join(_show(v, 80) for v in value[:50]) + (", ..." if len(value) > 50 else "") + "]"
    else:
        text = describe_number(value)  # (judge) str() of an int past 4,300 digits raises
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _invalid(question: Question, shown: str, message: str) -> Verdict:
    return Verdict(question.id, "invalid", Fraction(0), question.points, "invalid", message, shown)


def _outcome(
    question: Question,
    shown: str,
    equivalence: Equivalence,
    reading: Reading,
    against_mistake: Callable[[Mistake], Equivalence],
    meaning: Callable[[], str] | None = None,
) -> Verdict:
    """Turn an equivalence with the expected answer into a verdict, trying the key's mistakes if wrong.

    ``meaning`` computes the grouping key of a wrong answer (by default how it was read)."""
    verdict = _outcome_of(question, shown, equivalence, reading, against_mistake, meaning)
    if not reading.notes:
        return verdict
    return replace(verdict, feedback=f"{verdict.feedback} (note: {'; '.join(reading.notes)})")


def _outcome_of(question: Question, shown: str, equivalence: Equivalence, reading: Reading,
                against_mistake: Callable[[Mistake], Equivalence], meaning: Callable[[], str] | None) -> Verdict:
    if equivalence.verdict == "equivalent":
        return Verdict(question.id, "correct", question.points, question.points, "correct",
                       question.feedback or "correct", shown, reading, equivalence.method)
    if equivalence.verdict == "undecided":
        return Verdict(question.id, "undecided", Fraction(0), question.points, "undecided",
                       f"could not be decided automatically ({equivalence.detail}); flagged for a human grader",
                       shown, reading, equivalence.method)
    for mistake in question.mistakes:
        if against_mistake(mistake).verdict == "equivalent":
            # full credit marks an accepted alternative (another framework's convention, say): correct, with its note
            outcome = "correct" if mistake.credit == 1 else "incorrect"
            return Verdict(question.id, outcome, question.points * mistake.credit, question.points, mistake.note,
                           mistake.feedback, shown, reading, equivalence.method, f"note:{mistake.note}")
    return Verdict(question.id, "incorrect", Fraction(0), question.points, "incorrect",
                   f"not equivalent to the expected answer: {equivalence.detail}" if equivalence.detail else "incorrect",
                   shown, reading, equivalence.method, meaning() if meaning is not None else reading.plain)


def _parse_failure(question: Question, shown: str, failure: ParseFailure) -> Verdict:
    where = f" at character {failure.position + 1}:\n{failure.caret}" if failure.position is not None else ""
    return _invalid(question, shown, f"{failure.message}{where}")


def _expression_text(submitted: Any) -> str:
    if isinstance(submitted, str):
        return submitted
    if isinstance(submitted, (int, Decimal)) and not isinstance(submitted, bool):
        return str(submitted)
    raise InputError(f"expected an expression written as a string, got {_kind(submitted)}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _reading(result: ParseSuccess) -> Reading:
    return Reading(expr=result.expr, notes=result.notes)


# ------------------------------------------------------------------------------ judges


_MEMO_BUDGET = 5_000  # characters and elements of an answer the memo will hold


def _small(value: Any, budget: list[int]) -> bool:
    """Whether ``value`` has at most ``budget[0]`` characters and elements in all (counting down)."""
    budget[0] -= len(value) if isinstance(value, str) else 1
    if isinstance(value, list):
        return budget[0] >= 0 and all(_small(v, budget) for v in value)
    if isinstance(value, dict):
        return budget[0] >= 0 and all(_small(str(k), budget) and _small(v, budget) for k, v in value.items())
    return budget[0] >= 0


class VerdictMemo:
    """Verdicts already reached, by question and by the answer exactly as submitted; owned by its caller.

    In a course most answers repeat: a worker keeps one memo for all its sheets and passes it to
    ``grade_answers``, so a repeated answer is neither parsed nor judged again. The key is the raw
    TOML value (with its type: ``1`` and ``true`` and ``1.0`` differ), looked up before any parsing.
    When ``size`` entries are held the oldest one makes room.

    >>> memo = VerdictMemo(size=2)
    >>> memo.key("x") == memo.key("x"), memo.key(1) == memo.key(True)
    (True, False)
    """

    def __init__(self, size: int = 20_000):
        if size < 1:
            raise ValueError("a memo holds at least one verdict")
        self.size = size
        self._verdicts: dict[tuple[int, Any], Verdict] = {}
        self._questions: dict[int, Question] = {}  # keeps each question alive, so its id() stays its own

    @staticmethod
    def key(submitted: Any) -> Any:
        """A hashable form of a raw answer that tells types apart."""
        if isinstance(submitted, str):
            return ("s", submitted)
        if isinstance(submitted, bool):
            return ("b", submitted)
        if isinstance(submitted, int):
            return ("i", submitted)
        if isinstance(submitted, list):
            return ("l", tuple(VerdictMemo.key(v) for v in submitted))
        if isinstance(submitted, dict):
            return ("t", tuple((str(k), VerdictMemo.key(v)) for k, v in submitted.items()))
        return (type(submitted).__name__, str(submitted))  # Decimal("1.0") is not Decimal("1")

    def get(self, question: Question, submitted: Any) -> Verdict | None:
        return self._verdicts.get((id(question), self.key(submitted)))

    def put(self, question: Question, submitted: Any, verdict: Verdict) -> Verdict:
        if not _small(submitted, [_MEMO_BUDGET]):
            return verdict  # a huge answer is judged (and refused) again rather than held in memory
        if len(self._verdicts) >= self.size:
            del self._verdicts[next(iter(self._verdicts))]
        self._questions.setdefault(id(question), question)
        self._verdicts[(id(question), self.key(submitted))] = verdict
        return verdict

    def __len__(self) -> int:
        return len(self._verdicts)




def _judge_expression(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    result = parse_expression(_expression_text(submitted), vocabulary=question.names(), lhs=_own_quantity(question))
    if not result.ok:
        return _parse_failure(question, shown, result)
    definitions = question.definition_map()
    options = question.options

    def judge(expected: Any, expr: sympy.Expr = result.expr) -> Equivalence:
        return judge_expression(expected, expr, definitions=definitions, seed=question.id,
                                points=options.points, timeout=options.timeout)

    def meaning() -> str:
        return "values:" + ",".join(fingerprint(result.expr, definitions))

    verdict = _outcome(question, shown, judge(question.expected), _reading(result), lambda m: judge(m.answer), meaning)
    if len(result.sides) == 1 or verdict.verdict not in ("correct", "undecided"):
        return verdict
    # a working line: every side must be the expected answer, not only the last one
    for index, side in enumerate(result.sides[:-1], start=1):
        equivalence = judge(question.expected, side)
        if equivalence.verdict == "different":
            return Verdict(question.id, "incorrect", Fraction(0), question.points, "chain.side",
                           f"side {index} of the '=' chain is not the expected answer ({equivalence.detail}), "
                           "though the last side is; every side must be right", shown, _reading(result),
                           equivalence.method, meaning())
        if equivalence.verdict == "undecided" and verdict.verdict == "correct":
            verdict = _outcome(question, shown, equivalence, _reading(result), lambda m: judge(m.answer), meaning)
    return verdict


def _own_quantity(question: Question) -> str | None:
    """The name a left-hand side must read as: the key's ``lhs``, else the last part of the question's id
    when it is a name (``lstm.w_xi_bar`` asks for w_xi_bar, so ``\\overline{w_{xi}} = ...`` is its own)."""
    if question.lhs is not None:
        return question.lhs
    name = question.id.rsplit(".", 1)[-1]
    return name if name.isidentifier() and not name.startswith("_") else None


def _judge_big_o(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    result = parse_big_o(_expression_text(submitted), vocabulary=question.names())
    if not result.ok:
        return _parse_failure(question, shown, result)

    def judge(expected: Any, expr: sympy.Expr = result.expr) -> Equivalence:
        return judge_big_o(expected, expr, seed=question.id)

    verdict = _outcome(question, shown, judge(question.expected), _reading(result), lambda m: judge(m.answer))
    if len(result.sides) > 1 and verdict.verdict == "correct":
        # O(d k^2 H W) = O(d k H W): every side of the chain must be the expected class
        for index, side in enumerate(result.sides[:-1], start=1):
            equivalence = judge(question.expected, side)
            if equivalence.verdict != "equivalent":
                return Verdict(question.id, "incorrect", Fraction(0), question.points, "chain.side",
                               f"side {index} of the '=' chain is not the expected class ({equivalence.detail})",
                               shown, _reading(result), equivalence.method)
    return verdict


_OPERATORS = re.compile(r"[-+*/×·⋅^()=≈]|\\(?:times|cdot)|(?<=\d)\s*[xX]\s*(?=\d)")


def _read_number(question: Question, submitted: Any, *, arithmetic: bool) -> tuple[tuple[sympy.Expr, ...], Reading] | ParseFailure:
    """Every side of a number answer (one side unless it is a working line with '='), and its reading."""
    if isinstance(submitted, bool):
        raise InputError("expected a number, got a boolean")
    if isinstance(submitted, int):
        value = sympy.Integer(submitted)
        return (value,), Reading(describe_number(value))
    if isinstance(submitted, (Decimal, float)):  # a float from a reader without parse_float=Decimal: as typed
        exact = to_fraction(submitted)
        value = sympy.Rational(exact.numerator, exact.denominator)
        return (value,), Reading(describe_number(value))
    if not isinstance(submitted, str):
        raise InputError(f"expected a number, got {_kind(submitted)}")
    if not arithmetic and _OPERATORS.search(submitted.strip().lstrip("-")):
        raise InputError(f"expected one number, without arithmetic, got {_show(submitted, 60)!r}")
    result = read_number(submitted, integer=question.type == "integer")
    if not result.ok:
        return result
    return result.sides, Reading(" = ".join(describe_number(side) for side in result.sides), result.expr,
                                  result.notes)


def _judge_sides(question: Question, shown: str, sides: tuple[sympy.Expr, ...], reading: Reading,
                 judge: Callable[[Any, sympy.Expr], Equivalence]) -> Verdict:
    """The verdict on a number answer: every side of its working line must be the expected value.

    A line whose own steps disagree (``2560 + 16384 = 18000 = 20362``) is incorrect, and the note
    names the first wrong step, even when its last side is right.
    """
    final = sides[-1]
    verdict = _outcome(question, shown, judge(question.expected, final), reading, lambda m: judge(m.answer, final))
    if len(sides) == 1:
        return verdict
    for step, (left, right) in enumerate(zip(sides, sides[1:]), start=1):
        if judge(right, left).verdict != "equivalent":
            message = f"step {step} of the working line is wrong: {left} is not {right}"
            if reading.notes:  # labelled working lines: the reader names the line that is wrong
                message = "; ".join(reading.notes)
            if verdict.verdict == "correct":
                return Verdict(question.id, "incorrect", Fraction(0), question.points, "chain.step",
                               f"{message}, though the last side is right", shown, reading, "exact", f"chain:{reading.plain}")
            return replace(verdict, feedback=f"{verdict.feedback}; {message}")
    return verdict


def _hedged_count(submitted: Any, sides: tuple[sympy.Expr, ...], reading: Reading) -> str | None:
    """Why a count typed with '/' that is not whole cannot be read (``handnets lint`` asks the same)."""
    if isinstance(submitted, str) and "/" in submitted and any(side.is_Rational and not side.is_Integer for side in sides):
        # 6272 / 6400 is two answers more often than a division
        return f"this reads as {reading.plain}, not a whole number: '/' is a division; give one count"
    return None


def _judge_integer(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    read = _read_number(question, submitted, arithmetic=question.options.arithmetic)
    if isinstance(read, ParseFailure):
        return _parse_failure(question, shown, read)
    sides, reading = read
    if (refusal := _hedged_count(submitted, sides, reading)) is not None:
        return _invalid(question, shown, refusal)

    options = question.options
    tolerant = bool(options.abs_tol or options.rel_tol)  # a rounded count (138M) where the key allows one

    def judge(expected: Any, value: sympy.Expr) -> Equivalence:
        if tolerant or (isinstance(expected, sympy.Expr) and not expected.is_Integer):
            # a step of a working line may be a fraction
            return judge_number(expected, value, abs_tol=options.abs_tol, rel_tol=options.rel_tol)
        return judge_integer(int(expected), value)

    return _judge_sides(question, shown, sides, reading, judge)


def _judge_number(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    read = _read_number(question, submitted, arithmetic=True)
    if isinstance(read, ParseFailure):
        return _parse_failure(question, shown, read)
    sides, reading = read
    options = question.options

    def judge(expected: Any, value: sympy.Expr) -> Equivalence:
        return judge_number(expected, value, abs_tol=options.abs_tol, rel_tol=options.rel_tol)

    return _judge_sides(question, shown, sides, reading, judge)


def _read_shape(submitted: Any) -> tuple[int, ...] | ParseFailure:
    if isinstance(submitted, list):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in submitted):
            raise InputError("expected a list of whole numbers such as [28, 28, 8]")
        return tuple(submitted)
    if isinstance(submitted, str):
        return read_shape(submitted)
    if isinstance(submitted, int) and not isinstance(submitted, bool):
        return (submitted,)  # one number: a shape with one dimension (short of the expected ones)
    raise InputError(f"expected a shape such as [28, 28, 8] or \"28x28x8\", got {_kind(submitted)}")


def _judge_shape(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    shape = _read_shape(submitted)
    if isinstance(shape, ParseFailure):
        return _parse_failure(question, shown, shape)
    reading = Reading("(" + ", ".join(map(str, shape)) + ")")

    def judge(expected: tuple[int, ...]) -> Equivalence:
        if tuple(expected) == shape:
            return Equivalence("equivalent", "exact")
        return Equivalence("different", "exact", f"expected {len(expected)} numbers in a fixed order, got {reading.plain}")

    return _outcome(question, shown, judge(question.expected), reading, lambda m: judge(m.answer))


def _read_matrix(submitted: Any) -> tuple[tuple[Fraction, ...], ...] | ParseFailure:
    if isinstance(submitted, str):
        read = read_matrix(submitted)
        if isinstance(read, ParseFailure):
            return read
        return tuple(tuple(Fraction(int(v.p), int(v.q)) for v in row) for row in read)
    if not isinstance(submitted, list) or not submitted or not all(isinstance(row, list) for row in submitted):
        raise InputError(f"expected a matrix written as a list of rows, such as [[4, 4], [0, 0]], got {_kind(submitted)}")
    if len(submitted) > 100 or any(len(row) > 100 for row in submitted):
        raise InputError("expected at most 100 rows and 100 columns")
    return tuple(tuple(to_fraction(v, field=f"[{i}][{j}]") for j, v in enumerate(row)) for i, row in enumerate(submitted))


def _matrix_text(matrix) -> str:
    return "[" + ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in matrix) + "]"


def _judge_matrix(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    matrix = _read_matrix(submitted)
    if isinstance(matrix, ParseFailure):
        return _parse_failure(question, shown, matrix)
    reading = Reading(_matrix_text(matrix))
    expected = question.expected
    shape = (len(expected), len(expected[0]))
    got_widths = {len(row) for row in matrix}
    got_shape = f"{len(matrix)}x{got_widths.pop()}" if len(got_widths) == 1 else f"{len(matrix)} rows of different lengths"
    if got_shape != f"{shape[0]}x{shape[1]}":
        return Verdict(question.id, "incorrect", Fraction(0), question.points, "matrix.shape",
                       f"expected a {shape[0]}x{shape[1]} matrix, got {got_shape}", shown, reading, "shape")

    def judge(target) -> Equivalence:
        wrong = [(i, j) for i, row in enumerate(target) for j, v in enumerate(row) if matrix[i][j] != v]
        if not wrong:
            return Equivalence("equivalent", "exact")
        cells = ", ".join(f"({i + 1},{j + 1})" for i, j in wrong[:6])
        return Equivalence("different", "exact", f"{len(wrong)} of {shape[0] * shape[1]} entries differ: {cells}")

    verdict = _outcome(question, shown, judge(expected), reading, lambda m: judge(m.answer))
    if question.options.partial and verdict.note == "incorrect":
        right = sum(matrix[i][j] == v for i, row in enumerate(expected) for j, v in enumerate(row))
        score = question.points * Fraction(right, shape[0] * shape[1])
        return Verdict(question.id, "incorrect", score, question.points, "matrix.partial",
                       f"{right} of {shape[0] * shape[1]} entries right; {verdict.feedback}", shown, reading, "exact",
                       verdict.meaning)
    return verdict


def _judge_choice(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    if not isinstance(submitted, str):
        raise InputError(f"expected one of {', '.join(question.options.choices) or 'the choices'}, got {_kind(submitted)}")
    answer = submitted.strip()
    choices = question.options.choices
    lowered = {c.lower(): c for c in choices}
    if choices and answer.lower() not in lowered:
        return _invalid(question, shown, f"expected one of {', '.join(choices)}, got {_show(answer, 40)!r}")
    answer = lowered.get(answer.lower(), answer)

    def judge(expected: str) -> Equivalence:
        return Equivalence("equivalent" if answer == expected else "different", "exact")

    return _outcome(question, shown, judge(question.expected), Reading(answer), lambda m: judge(m.answer))


def _judge_text(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    if not isinstance(submitted, str):
        raise InputError(f"expected text, got {_kind(submitted)}")
    kept = submitted if len(submitted) <= _MAX_TEXT else submitted[:_MAX_TEXT]
    return Verdict(question.id, "manual", Fraction(0), question.points, "manual",
                   "kept for a human grader", _show(kept, _MAX_TEXT), Reading(kept), "manual")


def _judge_adder(question: Question, submitted: Any, shown: str, source: str) -> Verdict:
    from handnets.threshold.weights import weights_from_mapping

    if not isinstance(submitted, dict):
        raise InputError(f"expected a table of weights (W_xh, W_hh, b_h, W_hy, b_y), got {_kind(submitted)}")
    try:
        network = weights_from_mapping(submitted, source=source, inputs=2, outputs=1)
    except InvalidWeights as exc:
        return _invalid(question, shown, f"{exc.field}: {exc.message}" if exc.field else exc.message)
    return _judge_network(question, network, shown)


def _judge_network(question: Question, network, shown: str) -> Verdict:
    from handnets.threshold.check import check_adder

    result = check_adder(network, max_len=question.options.max_len, accuracy_len=question.options.max_len)
    proof = result.proof
    reading = Reading(f"{network.hidden_units} hidden units, threshold '{network.threshold}', margin {proof.margin}")
    method = "proof for every length and enumeration"
    if not result.methods_agree:
        return Verdict(question.id, "undecided", Fraction(0), question.points, "undecided",
                       "the proof and the enumeration disagree (a bug in handnets); flagged for a human", shown, reading, method)
    if proof.unproved and not result.enumeration.failures:  # too many states to search: no verdict for every length
        return Verdict(question.id, "undecided", Fraction(0), question.points, "undecided",
                       f"{proof.limit_note}; flagged for a human grader", shown, reading, method)
    if proof.unproved:
        return Verdict(question.id, "incorrect", Fraction(0), question.points, "adder.counterexample",
                       f"wrong on {result.enumeration.failures:,} of the inputs up to length {result.enumeration.max_len}",
                       shown, reading, method)
    if not proof.correct:
        cx = proof.counterexample
        feedback = (
            f"wrong: the shortest counterexample is a = {cx.operands[0]}, b = {cx.operands[1]} "
            f"(bits LSB first {cx.bits(0)} and {cx.bits(1)}, {cx.steps} steps): at step {cx.step} the output is "
            f"{cx.got[cx.step - 1][0]} where bit {cx.step - 1} of a + b is {cx.expected[cx.step - 1][0]}; "
            f"hidden states {' '.join(''.join(map(str, h)) for h in cx.hidden)}"
        ) + (_repair_hint(network) if question.options.repair_hint else "")
        return Verdict(question.id, "incorrect", Fraction(0), question.points, "adder.counterexample", feedback, shown, reading,
                       method, f"counterexample:{cx.operands[0]},{cx.operands[1]}")
    other = result.other
    if proof.convention_sensitive and other is not None and not other.correct and question.options.require_margin:
        feedback = (
            f"right under threshold '{proof.threshold}' only: a reachable pre-activation is exactly 0 (margin 0), and "
            f"under '{other.threshold}' the design is wrong (a = {other.counterexample.operands[0]}, "
            f"b = {other.counterexample.operands[1]}). Move the thresholds off the integers, e.g. biases -0.5, -1.5, -2.5."
        )
        return Verdict(question.id, "incorrect", question.points * question.options.margin_credit, question.points,
                       "adder.margin-zero", feedback, shown, reading, method)
    return Verdict(question.id, "correct", question.points, question.points, "correct",
                   f"right for every input of every length ({len(proof.reachable)} reachable states, margin {proof.margin})",
                   shown, reading, method)


def _judge_trained_rnn(question: Question, submitted: Any, shown: str, source: str, folder: str | None = None) -> Verdict:
    from handnets.trained.grading import assess_model, model_path

    options = question.options
    try:
        found = assess_model(model_path(submitted, folder), max_len=options.max_len,
                             min_accuracy=options.min_accuracy, task=options.task, nonlinearity=options.nonlinearity)
    except InvalidWeights as exc:
        return _invalid(question, shown, exc.message)
    verdict = {"correct": "correct", "undecided": "undecided"}.get(found.note, "incorrect")
    return Verdict(question.id, verdict, question.points * found.credit, question.points, found.note, found.feedback,
                   shown, Reading(found.reading), "every valid pair up to a length, in float32")


_REPAIR_BUDGET = 2_000_000  # designs a repair hint may simulate: two edits of a 3-unit design are ~60,000


def _repair_hint(network) -> str:
    """The smallest repair within two edits, proved, as a sentence; "" when there is none.

    The search is capped by the number of candidate designs, not by a clock, so that the same answer gets the
    same feedback on any machine: a design too large for two edits within the cap is searched for one edit."""
    from handnets.threshold.repair import candidate_count, repair

    one = candidate_count(network, 1)
    if one > _REPAIR_BUDGET:
        return ""
    edits = 2 if one + candidate_count(network, 2) <= _REPAIR_BUDGET else 1
    fix = repair(network, max_edits=edits, time_limit=float("inf"))
    if not fix.found:
        return ""
    return f". The smallest repair ({len(fix.edits)} edit{'s' if len(fix.edits) > 1 else ''}, proved): " + "; ".join(map(str, fix.edits))


_JUDGES: dict[str, Callable[[Question, Any, str, str], Verdict]] = {
    "integer": _judge_integer,
    "number": _judge_number,
    "expression": _judge_expression,
    "matrix": _judge_matrix,
    "shape": _judge_shape,
    "adder": _judge_adder,
    "big_o": _judge_big_o,
    "choice": _judge_choice,
    "text": _judge_text,
    "trained_rnn": _judge_trained_rnn,
}
