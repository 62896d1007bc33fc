"""Grading keys: the questions, their expected answers (typed or derived), options and known mistakes.

A key is a TOML file a grader writes once::

    title = "RNN homework"

    [[questions]]
    id = "lstm.cbar_t"
    prompt = "Give cbar_t, everything that flows back from t+1 included."
    points = 2
    type = "expression"               # integer number expression matrix shape adder big_o choice text trained_rnn
    expected = { derived = "lstm.cbar_t" }   # or a literal: "hbar_t*o_t*(1 - tanh(c_t)**2) + ..."
    lhs = "cbar_t"                    # an answer may repeat it: "cbar_t = ..."
    definitions = "lstm"              # substituted into both sides before judging: lstm, lstm_ce, lstm_gates
    vocabulary = []                   # extra names an answer may use (e.g. ["d", "k", "H", "W"])
    asks = "summand"                  # expression: "summand" (one step's term) or "sum" (the whole sum over t);
                                      # the other form is incorrect with the note sum.whole-sum / sum.summand-only

    [questions.options]               # per type: abs_tol, rel_tol, arithmetic, partial, choices, max_len, require_margin, repair_hint
    arithmetic = true

    [[questions.mistakes]]            # recognised wrong answers, in the manner of STACK's response trees
    note = "cbar.no-recurrent-term"   # a stable id, reported with the verdict and counted in batches
    answer = "hbar_t*o_t*(1 - tanh(c_t)**2)"
    credit = 0.5                      # fraction of the points
    feedback = "The path through c_{t+1} is missing: add cbar_next*f_next."

A big-O question may give credit to a true upper bound that is looser than the expected class
(``O(d(H + W))`` for ``O(d + H + W)``), after its listed mistakes::

    [questions.loose_bound]
    credit = 0.5
    feedback = "True, but loose: positions on one anti-diagonal are computed in the same step."

Built-in keys are found by name (``homework``); anything else is a path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import sympy

from handnets.errors import InputError, InvalidKey, InvalidNumber
from handnets.exact import to_fraction
from handnets.safeio import load_toml, loads_toml
from handnets.safeio import latex_damage
from handnets.grading.equivalence import Definitions, LooseBound, WrittenOut
from handnets.grading.parse import make_vocabulary, parse_big_o, parse_expression
from handnets.derive.cellkey import Variant, cell_definitions, cell_reference, cell_vocabulary, fill
from handnets.grading.references import definitions_for, derived, known_definitions
from handnets.vocabulary import has_sum_over_t, is_sum_over_t, sum_over_t

__all__ = ["ANSWER_TYPES", "SOURCE_PLATFORMS", "VISIBILITIES", "Mistake", "Options", "Question", "Key", "load_key", "BUILTIN_KEYS", "LOOSE_NOTE", "SUM_NOTES",
           "WRITE_OUT_NOTE"]

ANSWER_TYPES = ("integer", "number", "expression", "matrix", "shape", "adder", "big_o", "choice", "text", "trained_rnn")
BUILTIN_KEYS = ("homework",)
_QUESTION_KEYS = {"id", "prompt", "points", "type", "expected", "lhs", "definitions", "vocabulary", "options", "mistakes",
                  "feedback", "asks", "loose_bound", "write_out", "source", "visibility"}
SOURCE_PLATFORMS = ("canvas", "canvas-new", "moodle", "prairielearn", "forms")  # [questions.source] keys: what each calls it
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's, for feedback that reveals the answer
WRITE_OUT_NOTE = "answer.not-written-out"  # right only through names the question asks to write out
_ASKS = ("summand", "sum")
LOOSE_NOTE = "big_o.loose-bound"  # the note of a looser true bound (a key's loose_bound)
SUM_NOTES = {"summand": "sum.whole-sum", "sum": "sum.summand-only"}  # the note of the other form, by what is asked
_MISTAKE_KEYS = {"note", "answer", "credit", "feedback"}
_OPTION_KEYS = {
    "integer": {"arithmetic"},
    "number": {"abs_tol", "rel_tol"},
    "expression": {"points", "timeout"},
    "matrix": {"partial"},
    "shape": set(),
    "adder": {"max_len", "require_margin", "margin_credit", "repair_hint"},
    "big_o": set(),
    "choice": {"choices"},
    "text": set(),
    "trained_rnn": {"max_len", "min_accuracy", "task", "nonlinearity"},  # handnets.trained.grading
}


@dataclass(frozen=True, slots=True)
class Options:
    """Per-question options, all with defaults a careful grader would pick."""

    arithmetic: bool = True  # integer: accept 4*(16*32 + 32*32 + 32)
    abs_tol: Fraction = Fraction(0)  # number
    rel_tol: Fraction = Fraction(0)
    points: int = 6  # expression: random points that must agree
    timeout: float = 2.0  # expression: seconds for each expensive layer
    partial: bool = False  # matrix: credit in proportion to the entries right
    choices: tuple[str, ...] = ()  # choice
    max_len: int = 8  # adder: enumerate lengths 1..max_len next to the proof
    require_margin: bool = True  # adder: a design whose verdict hangs on step(0) gets margin_credit
    margin_credit: Fraction = Fraction(1, 2)
    min_accuracy: Fraction = Fraction(99, 100)  # trained_rnn: full credit when every length 1..max_len reaches it
    task: str = "add"  # trained_rnn: add or add-msb
    nonlinearity: str = "relu"  # trained_rnn
    repair_hint: bool = True  # adder: a wrong design's feedback names its smallest repair (at most two edits)


@dataclass(frozen=True, slots=True)
class Mistake:
    """A recognised wrong answer: its stable note id, the answer, partial credit and feedback."""

    note: str
    answer: Any
    credit: Fraction
    feedback: str

    def __post_init__(self) -> None:
        if not 0 <= self.credit <= 1:
            raise ValueError("a mistake's credit is a fraction of the points, between 0 and 1")


@dataclass(frozen=True, slots=True)
class Question:
    """One question of a key, its expected answer resolved (derived results already computed)."""

    id: str
    prompt: str
    points: Fraction
    type: str
    expected: Any  # sympy Expr, int, Fraction, tuple (shape), tuple of tuples (matrix), str (choice), None (adder, text)
    expected_text: str  # how the expected answer reads, for reports
    lhs: str | None = None
    definitions: str | None = None
    vocabulary: tuple[str, ...] = ()
    options: Options = field(default_factory=Options)
    mistakes: tuple[Mistake, ...] = ()
    feedback: str = ""  # shown with a correct answer
    asks: str | None = None  # expression: "summand" or "sum" (which form of a sum over t is asked for)
    write_out: tuple[str, ...] = ()  # expression: defined names the answer must write out, not name
    cell: str | None = None  # "cell:gru" when the question is about a cell: its names join the vocabulary
    source: tuple[tuple[str, str], ...] = ()  # [questions.source]: (platform, its name for the question), e.g. ("canvas", "1813894")
    visibility: str = "visible"  # Gradescope visibility of this question's feedback (it may reveal the answer)

    def __post_init__(self) -> None:
        if self.type not in ANSWER_TYPES:
            raise ValueError(f"unknown answer type {self.type!r}")
        if self.asks is not None and self.asks not in _ASKS:
            raise ValueError(f"asks must be one of {', '.join(_ASKS)}, got {self.asks!r}")

    def names(self) -> Mapping[str, sympy.Symbol]:
        """The names an expression answer to this question may use (built once per vocabulary)."""
        return _names(self.vocabulary, self.type == "big_o", self.cell)

    def as_answer(self, value: Any) -> Any:
        """``value`` (the expected answer or a mistake's) written the way a student's sheet holds it.

        >>> load_key("homework").question("conv.output_shape").as_answer((28, 28, 8))
        [28, 28, 8]
        """
        if self.type in ("expression",):
            if isinstance(value, WrittenOut):
                return value.example
            if isinstance(value, sympy.Basic) and is_sum_over_t(value):
                return rf"\sum_t ({sympy.sstr(value.args[0])})"  # the answer syntax; sum_over_t is what it reads as
            return sympy.sstr(value)
        if self.type == "big_o":
            if isinstance(value, LooseBound):
                # a representative looser bound: the expected class times every size
                names = self.names()
                value = value.expr * sympy.Mul(*(names[n] for n in self.vocabulary if n in names))
            return f"O({sympy.sstr(value)})"
        if self.type == "matrix":
            return [[str(v) for v in row] for row in value]
        if self.type == "shape":
            return list(value)
        if self.type == "number":
            return str(value)
        return value

    def definition_map(self) -> Mapping[sympy.Symbol, sympy.Expr]:
        """The definitions substituted before judging, less the question's own quantity (else "cbar_t" would
        be judged equal to its own definition): a ``Definitions``, built once per (set, quantity)."""
        return _definitions_without(self.definitions, (self.lhs, *self.write_out)) if self.definitions else {}


@cache
def _names(vocabulary: tuple[str, ...], sizes_only: bool, cell: str | None = None) -> Mapping[str, sympy.Symbol]:
    if sizes_only:
        return make_vocabulary(vocabulary, base={})
    return make_vocabulary(vocabulary, base=cell_vocabulary(cell)) if cell else make_vocabulary(vocabulary)


# Cells (handnets.derive.cellkey): "cell:gru.hbar_t" and "cell:gru" alongside the references' own names.
def _derived(name: str) -> Any:
    return cell_reference(name) if name.startswith("cell:") else derived(name)


def _definitions_for(name: str) -> Mapping:
    return cell_definitions(name) if name.startswith("cell:") else definitions_for(name)


def _cell_of(raw: Mapping[str, Any]) -> str | None:
    """The cell a question is about: its definitions', or its expected answer's (``cell:gru``)."""
    for value in (raw.get("definitions"), (raw.get("expected") or {}).get("derived") if isinstance(raw.get("expected"), dict) else None):
        if isinstance(value, str) and value.startswith("cell:"):
            return value.split(".", 1)[0]
    return None


@cache
def _definitions_without(name: str, left_out: tuple[str | None, ...]) -> Definitions:
    definitions = _definitions_for(name)
    return Definitions({k: v for k, v in definitions.items() if k.name not in left_out})


@cache
def _definitions_of(name: str, names: tuple[str, ...]) -> Definitions:
    """Only the definitions of ``names`` in the set ``name`` (substituted into one another)."""
    definitions = _definitions_for(name)
    return Definitions({k: v for k, v in definitions.items() if k.name in names})


@dataclass(frozen=True, slots=True)
class Key:
    """A whole key: its questions in order."""

    name: str
    title: str
    questions: tuple[Question, ...]
    source: str
    variant: Variant | None = None  # [variant]: each student's own cell and sizes (handnets.derive.cellkey)
    variants: tuple[tuple[tuple[str, int, int], Key], ...] = ()  # (cell, n, m) -> the key filled in for it

    def __post_init__(self) -> None:
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    @property
    def max_score(self) -> Fraction:
        return sum((q.points for q in self.questions), Fraction(0))

    def for_student(self, student: str) -> Key:
        """The key as this student's variant reads it (the key itself when it deals no variants)."""
        if self.variant is None:
            return self
        return dict(self.variants)[self.variant.choose(student)]


def load_key(name_or_path: str | Path) -> Key:
    """A built-in key by name (``homework``) or a key file by path."""
    text = str(name_or_path)
    if text in BUILTIN_KEYS:
        data = resources.files("handnets.data").joinpath(f"keys/{text}.toml").read_text(encoding="utf-8")
        return key_from_mapping(loads_toml(data, source=f"built-in key {text}", error=InvalidKey), name=text, source=f"built-in key {text}")
    path = Path(name_or_path)
    if not path.exists() and path.suffix == "":
        raise InvalidKey(f"no such file, and no built-in key of that name (built-in: {', '.join(BUILTIN_KEYS)})", source=text)
    return key_from_mapping(load_toml(path, error=InvalidKey, what="a TOML key"), name=path.stem, source=str(path))


def key_from_mapping(data: Mapping[str, Any], *, name: str, source: str) -> Key:
    """Validate a parsed key; every problem names the question and the field."""
    unknown = set(data) - {"title", "questions", "variant"}
    if unknown:
        raise InvalidKey(f"unknown top-level key(s) {', '.join(sorted(unknown))}; expected title and [[questions]]", source=source)
    if "variant" in data:  # one key per (cell, n, m), its placeholders filled in; the first is the key shown
        variant = Variant.from_table(data["variant"], source=source)
        plain = {k: v for k, v in data.items() if k != "variant"}
        variants = tuple((choice, key_from_mapping(fill(plain, *choice), name=name, source=f"{source} [{choice[0]} {choice[1]}x{choice[2]}]"))
                         for choice in variant.choices())
        first = variants[0][1]
        return Key(name=first.name, title=first.title, questions=first.questions, source=source, variant=variant, variants=variants)
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions or not all(isinstance(q, dict) for q in questions):
        raise InvalidKey("expected at least one [[questions]] table", source=source, field="questions")
    parsed = []
    seen: set[str] = set()
    for index, raw in enumerate(questions):
        question = _question(raw, index, source)
        if question.id in seen:
            raise InvalidKey(f"question id {question.id!r} appears twice", source=source, field=f"questions[{index}].id")
        seen.add(question.id)
        parsed.append(question)
    title = data.get("title", name)
    if not isinstance(title, str):
        raise InvalidKey("expected a string", source=source, field="title")
    if (why := latex_damage(title)) is not None:
        raise InvalidKey(why, source=source, field="title")
    return Key(name=name, title=title, questions=tuple(parsed), source=source)


def _latex_damage(value: Any, name: str = "", depth: int = 0) -> tuple[str, str] | None:
    """(field, fix) for the first string of a question that TOML read as escapes: ``"\\frac{1}{2}"`` in
    double quotes holds a form feed, not a backslash (``handnets.safeio.latex_damage``)."""
    if isinstance(value, str):
        why = latex_damage(value)
        return None if why is None else (name or "value", why)
    if depth > 8:  # a key is a few levels deep; TOML's own nesting limit bounds the rest
        return None
    if isinstance(value, dict):
        items = ((f"{name}.{k}" if name else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{name}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for field_name, item in items:
        if (found := _latex_damage(item, field_name, depth + 1)) is not None:
            return found
    return None


def _question(raw: Mapping[str, Any], index: int, source: str) -> Question:
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise InvalidKey("expected a non-empty string id", source=source, field=f"questions[{index}].id")
    where = f"question {qid}"
    damaged = _latex_damage(raw)
    if damaged is not None:
        field_name, why = damaged
        raise InvalidKey(why, source=source, field=f"{where}: {field_name}")
    unknown = set(raw) - _QUESTION_KEYS
    if unknown:
        raise InvalidKey(f"unknown field(s) {', '.join(sorted(unknown))}", source=source, field=where)
    kind = raw.get("type")
    if kind not in ANSWER_TYPES:
        raise InvalidKey(f"type: expected one of {', '.join(ANSWER_TYPES)}, got {kind!r}", source=source, field=where)
    prompt = raw.get("prompt", "")
    feedback = raw.get("feedback", "")
    if not isinstance(prompt, str) or not isinstance(feedback, str):
        raise InvalidKey("prompt and feedback must be strings", source=source, field=where)
    try:
        points = to_fraction(raw.get("points", 1))
    except InvalidNumber as exc:
        raise InvalidKey(f"points: {exc.message}", source=source, field=where) from None
    if points < 0:
        raise InvalidKey("points must not be negative", source=source, field=where)
    vocabulary = raw.get("vocabulary", [])
    if not isinstance(vocabulary, list) or not all(isinstance(v, str) for v in vocabulary):
        raise InvalidKey("vocabulary: expected a list of names", source=source, field=where)
    definitions = raw.get("definitions")
    if isinstance(definitions, str) and definitions.startswith("cell:"):
        try:
            cell_definitions(definitions)
        except InvalidKey as exc:
            raise InvalidKey(exc.message, source=source, field=where) from None
    elif definitions is not None and definitions not in known_definitions():
        raise InvalidKey(f"definitions: expected one of {', '.join(known_definitions())}, got {definitions!r}", source=source, field=where)
    lhs = raw.get("lhs")
    if lhs is not None and not isinstance(lhs, str):
        raise InvalidKey("lhs: expected a name", source=source, field=where)
    asks = raw.get("asks")
    if asks is not None and (kind != "expression" or asks not in _ASKS):
        raise InvalidKey(f"asks: expected one of {', '.join(_ASKS)} on an expression question, got {asks!r}", source=source, field=where)
    if "loose_bound" in raw and kind != "big_o":
        raise InvalidKey("loose_bound: only big_o questions take it", source=source, field=where)
    write_out = _write_out_names(raw.get("write_out"), kind, definitions, lhs, source, where)
    platforms = _source_names(raw.get("source", {}), source, where)
    visibility = raw.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise InvalidKey(f"visibility: expected one of {', '.join(VISIBILITIES)}, got {visibility!r}", source=source, field=where)
    options = _options(raw.get("options", {}), kind, source, where)
    cell = _cell_of(raw)
    draft = Question(id=qid, prompt=prompt, points=points, type=kind, expected=None, expected_text="", lhs=lhs,
                     definitions=definitions, vocabulary=tuple(vocabulary), options=options, feedback=feedback, asks=asks,
                     write_out=write_out, cell=cell)
    try:
        expected, expected_text = _expected(raw.get("expected"), draft)
        mistakes = tuple(_mistake(m, draft, i) for i, m in enumerate(_list(raw.get("mistakes", []), "mistakes")))
        if write_out:
            names = _definitions_of(definitions, write_out)
            expected = names.substitute(expected)
            mistakes = tuple(Mistake(m.note, WrittenOut(names.substitute(m.answer), names, draft.as_answer(m.answer)), m.credit,
                                     m.feedback) for m in mistakes)
        mistakes += _generated_mistakes(raw, draft, expected)
    except InputError as exc:
        raise InvalidKey(exc.message if exc.field is None else f"{exc.field}: {exc.message}", source=source, field=where) from None
    return Question(id=qid, prompt=prompt, points=points, type=kind, expected=expected, expected_text=expected_text,
                    lhs=lhs, definitions=definitions, vocabulary=tuple(vocabulary), options=options, mistakes=mistakes,
                    feedback=feedback, asks=asks, write_out=write_out, cell=cell, source=platforms, visibility=visibility)


def _source_names(raw: Any, source: str, where: str) -> tuple[tuple[str, str], ...]:
    """``[questions.source]``: what each platform's export calls the question (``canvas = "1813894"``)."""
    if not isinstance(raw, dict):
        raise InvalidKey("source: expected a table such as { canvas = \"1813894\" }", source=source, field=where)
    unknown = set(raw) - set(SOURCE_PLATFORMS)
    if unknown:
        raise InvalidKey(f"source: unknown platform(s) {', '.join(sorted(unknown))} (expected {', '.join(SOURCE_PLATFORMS)})",
                         source=source, field=where)
    pairs = []
    for platform in SOURCE_PLATFORMS:
        if platform in raw:
            name = raw[platform]
            if isinstance(name, int) and not isinstance(name, bool):
                name = str(name)  # a Canvas question id written as a number
            if not isinstance(name, str) or not name.strip() or len(name) > 1000:
                raise InvalidKey(f"source.{platform}: expected the platform's name for the question, got {str(name)[:40]!r}",
                                 source=source, field=where)
            pairs.append((platform, name.strip()))
    return tuple(pairs)


def _write_out_names(raw: Any, kind: str, definitions: str | None, lhs: str | None, source: str, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if kind != "expression" or definitions is None:
        raise InvalidKey("write_out: only expression questions with definitions take it", source=source, field=where)
    names = raw.get("names") if isinstance(raw, dict) else None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InvalidKey("write_out: expected a table with names = [...]", source=source, field=where)
    defined = {s.name for s in _definitions_for(definitions)}
    unknown = [n for n in names if n not in defined]
    if unknown:
        raise InvalidKey(f"write_out: {', '.join(unknown)} not defined in {definitions!r}", source=source, field=where)
    return tuple(n for n in names if n != lhs)


def _generated_mistakes(raw: Mapping[str, Any], question: Question, expected: Any) -> tuple[Mistake, ...]:
    """The mistakes a question's own fields imply, after the listed ones: the other form of a sum over t
    (``asks``) and a looser true bound (``loose_bound``)."""
    generated = []
    if question.asks == "summand":
        if isinstance(expected, sympy.Basic) and has_sum_over_t(expected):
            raise InvalidKey("asks = 'summand', but the expected answer is a sum over t", field="asks")
        generated.append(Mistake(
            SUM_NOTES["summand"], sum_over_t(expected), Fraction(0),
            "The question asks for the summand (the contribution of step t), not the whole sum over t: drop the sum."))
    elif question.asks == "sum":
        if not (isinstance(expected, sympy.Basic) and is_sum_over_t(expected)):
            raise InvalidKey("asks = 'sum', but the expected answer is not a sum over t", field="asks")
        generated.append(Mistake(
            SUM_NOTES["sum"], expected.args[0], Fraction(0),
            "The question asks for the whole sum over t; the answer is one step's summand: sum it over t."))
    if "loose_bound" in raw:
        table = raw["loose_bound"]
        if not isinstance(table, dict) or set(table) - {"credit", "feedback"}:
            raise InvalidKey("expected a table with credit and feedback", field="loose_bound")
        credit = to_fraction(table.get("credit", 0), field="loose_bound.credit")
        if not 0 <= credit < 1:
            raise InvalidKey("credit: a looser bound is not the answer; expected a fraction from 0 to below 1", field="loose_bound")
        feedback = table.get("feedback", "")
        if not isinstance(feedback, str):
            raise InvalidKey("feedback: expected a string", field="loose_bound")
        generated.append(Mistake(LOOSE_NOTE, LooseBound(expected), credit,
                                 feedback or "A true upper bound, but looser than the tightest one."))
    if question.write_out:
        table = raw["write_out"]
        if set(table) - {"names", "credit", "feedback", "example"}:
            raise InvalidKey("expected names, credit, feedback and example", field="write_out")
        credit = to_fraction(table.get("credit", 0), field="write_out.credit")
        if not 0 <= credit < 1:
            raise InvalidKey("credit: expected a fraction from 0 to below 1", field="write_out")
        example, feedback = table.get("example"), table.get("feedback", "")
        if not isinstance(example, str) or not isinstance(feedback, str):
            raise InvalidKey("example (an answer that names them) and feedback: expected strings", field="write_out")
        names = _definitions_of(question.definitions, question.write_out)
        written = ", ".join(question.write_out)
        generated.append(Mistake(WRITE_OUT_NOTE, WrittenOut(expected, names, example, names_used=True), credit,
                                 feedback or f"Right as a relation, but the question asks for it written out: replace {written}."))
    return tuple(generated)


def _list(value: Any, name: str) -> list:
    if not isinstance(value, list):
        raise InvalidKey(f"expected a list of tables, got {type(value).__name__}", field=name)
    return value


def _options(raw: Any, kind: str, source: str, where: str) -> Options:
    if not isinstance(raw, dict):
        raise InvalidKey("options: expected a table", source=source, field=where)
    unknown = set(raw) - _OPTION_KEYS[kind]
    if unknown:
        allowed = ", ".join(sorted(_OPTION_KEYS[kind])) or "none"
        raise InvalidKey(f"options: {', '.join(sorted(unknown))} do not apply to {kind} answers (allowed: {allowed})", source=source, field=where)
    values: dict[str, Any] = {}
    try:
        for name in ("abs_tol", "rel_tol", "margin_credit", "min_accuracy"):
            if name in raw:
                values[name] = to_fraction(raw[name], field=name)
        for name in ("arithmetic", "partial", "require_margin", "repair_hint"):
            if name in raw:
                if not isinstance(raw[name], bool):
                    raise InvalidKey("expected true or false", field=name)
                values[name] = raw[name]
        if not 0 <= values.get("min_accuracy", 0) <= 1:
            raise InvalidKey("expected a fraction of the digits, from 0 to 1", field="min_accuracy")
        for name, allowed in (("task", ("add", "add-msb")), ("nonlinearity", ("relu", "tanh"))):
            if name in raw:
                if raw[name] not in allowed:
                    raise InvalidKey(f"expected one of {', '.join(allowed)}", field=name)
                values[name] = raw[name]
        for name, low, high in (("points", 1, 50), ("max_len", 1, 16 if kind == "trained_rnn" else 14)):
            if name in raw:
                if isinstance(raw[name], bool) or not isinstance(raw[name], int) or not low <= raw[name] <= high:
                    raise InvalidKey(f"expected a whole number from {low} to {high}", field=name)
                values[name] = raw[name]
        if "timeout" in raw:
            values["timeout"] = float(to_fraction(raw["timeout"], field="timeout"))
        if "choices" in raw:
            if not isinstance(raw["choices"], list) or not all(isinstance(c, str) for c in raw["choices"]):
                raise InvalidKey("expected a list of strings", field="choices")
            values["choices"] = tuple(raw["choices"])
    except InputError as exc:
        raise InvalidKey(f"options.{exc.field}: {exc.message}", source=source, field=where) from None
    return Options(**values)


def _expected(raw: Any, question: Question) -> tuple[Any, str]:
    if question.type in ("adder", "text", "trained_rnn"):
        if raw is not None:
            raise InvalidKey(f"{question.type} questions take no expected answer", field="expected")
        return None, {"adder": "a design right for every length", "text": "(graded by a person)",
                      "trained_rnn": "a trained model file accurate enough up to a length"}[question.type]
    if raw is None:
        raise InvalidKey("missing", field="expected")
    if isinstance(raw, dict):
        if set(raw) != {"derived"} or not isinstance(raw["derived"], str):
            raise InvalidKey('expected a literal or { derived = "name" }', field="expected")
        value = _in_vocabulary(_derived(raw["derived"]), question)
        return value, _display(value, question)
    value = literal_answer(raw, question, role="expected")
    return value, _display(value, question)


def _in_vocabulary(value: Any, question: Question) -> Any:
    """Put an engine's expression in the question's own symbols (matched by name, whatever their assumptions)."""
    if not isinstance(value, sympy.Basic):
        return value
    names = question.names()
    return value.xreplace({s: names[s.name] for s in value.free_symbols if isinstance(s, sympy.Symbol) and s.name in names})


def _mistake(raw: Any, question: Question, index: int) -> Mistake:
    field_name = f"mistakes[{index}]"
    if not isinstance(raw, dict):
        raise InvalidKey("expected a table", field=field_name)
    unknown = set(raw) - _MISTAKE_KEYS
    if unknown:
        raise InvalidKey(f"unknown field(s) {', '.join(sorted(unknown))}", field=field_name)
    note = raw.get("note")
    if not isinstance(note, str) or not note:
        raise InvalidKey("note: expected a stable id such as 'cbar.no-recurrent-term'", field=field_name)
    if "answer" not in raw:
        raise InvalidKey("answer: missing", field=field_name)
    answer = raw["answer"]
    if isinstance(answer, dict) and set(answer) == {"derived"}:
        answer = _in_vocabulary(_derived(answer["derived"]), question)
    else:
        answer = literal_answer(answer, question, role=field_name)
    credit = to_fraction(raw.get("credit", 0), field=f"{field_name}.credit")
    if not 0 <= credit <= 1:
        raise InvalidKey("credit: expected a fraction of the points between 0 and 1", field=field_name)
    feedback = raw.get("feedback", "")
    if not isinstance(feedback, str):
        raise InvalidKey("feedback: expected a string", field=field_name)
    return Mistake(note=note, answer=answer, credit=credit, feedback=feedback)


def literal_answer(raw: Any, question: Question, *, role: str) -> Any:
    """Read a key's literal answer (expected or mistake) into the question type's value, or raise InvalidKey."""
    kind = question.type
    if kind == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidKey(f"expected a whole number, got {raw!r}", field=role)
        return raw
    if kind == "number":
        return to_fraction(raw, field=role)
    if kind in ("expression", "big_o"):
        if not isinstance(raw, str):
            raise InvalidKey(f"expected an expression as a string, got {raw!r}", field=role)
        parse = parse_big_o if kind == "big_o" else parse_expression
        result = parse(raw, vocabulary=question.names()) if kind == "big_o" else parse(raw, vocabulary=question.names(), lhs=question.lhs)
        if not result.ok:
            raise InvalidKey(f"cannot read {raw!r}: {result.message}", field=role)
        return result.expr
    if kind == "matrix":
        if not isinstance(raw, list) or not raw or not all(isinstance(row, list) for row in raw):
            raise InvalidKey("expected a matrix (a list of rows)", field=role)
        return tuple(tuple(to_fraction(v, field=role) for v in row) for row in raw)
    if kind == "shape":
        if not isinstance(raw, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
            raise InvalidKey("expected a list of whole numbers", field=role)
        return tuple(raw)
    if kind == "choice":
        if not isinstance(raw, str) or (question.options.choices and raw not in question.options.choices):
            raise InvalidKey(f"expected one of the choices {list(question.options.choices)}, got {raw!r}", field=role)
        return raw
    raise InvalidKey(f"{kind} questions take no literal answer", field=role)


def _display(value: Any, question: Question) -> str:
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value)
    if question.type == "matrix":
        return "[" + ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in value) + "]"
    if question.type == "shape":
        return "(" + ", ".join(map(str, value)) + ")"
    return str(value)
