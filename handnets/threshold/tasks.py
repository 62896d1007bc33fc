"""Sequence tasks a threshold RNN is proved against: a Mealy machine, which words are valid, a direct definition.

A ``Task`` reads ``inputs`` bits per step, least-significant bit first, and writes ``outputs`` bits.
Its reference is a finite Mealy machine given as a table; which input words count (the *valid*
words) is a small automaton too: every word, or every word that ends in ``padding_steps`` copies of
the ``padding`` symbol, and for subtraction also a >= b. Every word is a prefix of a valid word
(append the padding, or for subtraction (1, 0) then the padding), which is what lets the proof
check transitions instead of words: a wrong reachable transition is wrong on some valid input.

Built-in tasks (``TASKS``), with their conventions:

- ``add``: two inputs; bit t of a + b; valid inputs end in one (0, 0) (so the carry is written).
- ``subtract``: two inputs; bit t of a - b, the state is the borrow; valid inputs have a >= b and
  end in one (0, 0) (so no borrow is left over).
- ``compare``: two inputs; bit t is 1 iff a > b on the bits read so far; every word is valid.
- ``parity``: one input; bit t is the parity of the bits read so far; every word is valid.
- ``times3``: one input; bit t of 3a; valid inputs end in two 0s (3a has up to two more bits than a).

Each built-in also has a direct definition in integer arithmetic (``expected_bit``), which the
enumeration and the tests use instead of the table. A task file (``load_task``) has only its table.
"""

from __future__ import annotations

import difflib
import functools
from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handnets.errors import InvalidTask
from handnets.safeio import display_name, load_toml

__all__ = ["Task", "TASKS", "builtin_task", "load_task", "task_from_mapping", "resolve_task", "as_task", "symbol_text", "MAX_INPUTS"]

Symbol = tuple[int, ...]
MAX_INPUTS = 6  # 64 symbols per state: beyond any homework, and the enumeration's codes stay small
MAX_OUTPUTS = 8
MAX_TASK_STATES = 256


@functools.lru_cache(maxsize=None)
def _alphabet(inputs: int) -> tuple[Symbol, ...]:
    """Every symbol, in the order of its index sum(x_i << i): (0, 0), (1, 0), (0, 1), (1, 1) for two inputs."""
    return tuple(tuple((index >> i) & 1 for i in range(inputs)) for index in range(1 << inputs))


def symbol_text(symbol: Symbol) -> str:
    """A symbol as the task file writes it: character i is input i + 1."""
    return "".join(str(bit) for bit in symbol)


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """A reference Mealy machine, its valid words, and (built-ins) a direct definition.

    ``table[q][x] = (next state, output bits)``; ``validity[v][x]`` is the validity automaton's
    next state and ``accepting`` its accepting states (a word is valid iff it ends in one).

    >>> add = builtin_task("add")
    >>> add.transition(1, (1, 0))
    (1, (0,))
    >>> add.decode([(1, 0), (1, 1), (0, 0)])
    (3, 2)
    """

    name: str
    title: str  # what it computes, for people: "bit t of a + b"
    inputs: int
    outputs: int
    initial: Hashable
    table: Mapping[Hashable, Mapping[Symbol, tuple[Hashable, Symbol]]]
    validity: Mapping[Hashable, Mapping[Symbol, Hashable]]
    valid_start: Hashable
    accepting: frozenset
    convention: str  # which words are valid, in words
    padding: Symbol | None = None  # the symbol a counterexample is padded with
    padding_steps: int = 0
    operand_names: tuple[str, ...] = ()
    expected_bit: Callable[[Sequence[int], int], Symbol] | None = field(default=None, compare=False)
    extra_valid: Callable[[Sequence[int]], bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        alphabet = _alphabet(self.inputs)
        if self.initial not in self.table:
            raise ValueError(f"the start state {self.initial!r} has no transitions")
        for q, row in self.table.items():
            if set(row) != set(alphabet):
                raise ValueError(f"state {q!r} must have a transition for every symbol")
            for nxt, out in row.values():
                if nxt not in self.table or len(out) != self.outputs:
                    raise ValueError(f"state {q!r}: transitions must go to known states with {self.outputs} output bit(s)")
        if not _every_word_extends(self.validity, self.valid_start, self.accepting, alphabet):
            raise ValueError("every word must be a prefix of a valid word")

    @property
    def alphabet(self) -> tuple[Symbol, ...]:
        return _alphabet(self.inputs)

    def transition(self, state: Hashable, symbol: Symbol) -> tuple[Hashable, Symbol]:
        return self.table[state][symbol]

    def decode(self, word: Sequence[Symbol]) -> tuple[int, ...]:
        """The numbers a word spells, one per input, LSB first."""
        return tuple(sum(symbol[i] << t for t, symbol in enumerate(word)) for i in range(self.inputs))

    def outputs_of(self, word: Sequence[Symbol]) -> tuple[Symbol, ...]:
        """The reference machine's outputs over a word."""
        q, out = self.initial, []
        for x in word:
            q, y = self.table[q][x]
            out.append(y)
        return tuple(out)

    def is_valid(self, word: Sequence[Symbol]) -> bool:
        v = self.valid_start
        for x in word:
            v = self.validity[v][x]
        return v in self.accepting

    def describe_operands(self, operands: Sequence[int]) -> str:
        names = self.operand_names or tuple(f"x{i + 1}" for i in range(self.inputs))
        return ", ".join(f"{name}={value}" for name, value in zip(names, operands))

    def reachable_states(self) -> tuple[Hashable, ...]:
        seen = {self.initial: None}
        queue = deque([self.initial])
        while queue:
            q = queue.popleft()
            for nxt, _ in self.table[q].values():
                if nxt not in seen:
                    seen[nxt] = None
                    queue.append(nxt)
        return tuple(seen)


def _every_word_extends(validity, start, accepting, alphabet) -> bool:
    """Every reachable validity state can still reach an accepting one."""
    reachable = {start}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for x in alphabet:
            if validity[v][x] not in reachable:
                reachable.add(validity[v][x])
                queue.append(validity[v][x])
    alive = set(accepting) & reachable
    changed = True
    while changed:
        changed = False
        for v in reachable - alive:
            if any(validity[v][x] in alive for x in alphabet):
                alive.add(v)
                changed = True
    return alive == reachable


def _padded(inputs: int, padding: Symbol | None, steps: int):
    """The validity automaton of "ends in ``steps`` copies of ``padding``": the state counts them."""
    alphabet = _alphabet(inputs)
    if padding is None or steps == 0:
        return {0: {x: 0 for x in alphabet}}, 0, frozenset({0})
    table = {n: {x: (min(n + 1, steps) if x == padding else 0) for x in alphabet} for n in range(steps + 1)}
    return table, 0, frozenset({steps})


def _parity_of(value):
    """The parity of the set bits of value < 2**64, by folding: works on ints and on numpy integer arrays."""
    for shift in (32, 16, 8, 4, 2, 1):
        value = value ^ (value >> shift)
    return value & 1


def _bit(value: int, t: int) -> Symbol:
    return ((value >> t) & 1,)


def _add() -> Task:
    alphabet = _alphabet(2)
    table = {c: {x: ((c + x[0] + x[1]) >> 1, ((c + x[0] + x[1]) & 1,)) for x in alphabet} for c in (0, 1)}
    validity, start, accepting = _padded(2, (0, 0), 1)
    return Task(
        name="add", title="bit t of a + b", inputs=2, outputs=1, initial=0, table=table,
        validity=validity, valid_start=start, accepting=accepting,
        convention="a and b, LSB first, end in one padding step (0, 0) so that the last carry is written",
        padding=(0, 0), padding_steps=1, operand_names=("a", "b"),
        expected_bit=lambda ops, t: _bit(ops[0] + ops[1], t),
    )


def _subtract() -> Task:
    alphabet = _alphabet(2)
    table = {}
    for borrow in (0, 1):
        row = {}
        for x in alphabet:
            d = x[0] - x[1] - borrow  # -2..1: the bit is d mod 2, a borrow when d < 0
            row[x] = (int(d < 0), (d & 1,))
        table[borrow] = row
    # validity state: (a > b, a == b, a < b on the bits so far) x (did the last symbol pad?)
    validity = {}
    for order in ("gt", "eq", "lt"):
        for padded in (False, True):
            row = {}
            for x in alphabet:
                nxt = order if x[0] == x[1] else ("gt" if x[0] > x[1] else "lt")
                row[x] = (nxt, x == (0, 0))
            validity[(order, padded)] = row
    accepting = frozenset({("gt", True), ("eq", True)})
    return Task(
        name="subtract", title="bit t of a - b", inputs=2, outputs=1, initial=0, table=table,
        validity=validity, valid_start=("eq", False), accepting=accepting,
        convention="a >= b, LSB first, ending in one padding step (0, 0); the state is the borrow",
        padding=(0, 0), padding_steps=1, operand_names=("a", "b"),
        expected_bit=lambda ops, t: _bit(ops[0] - ops[1], t),  # Python's >> on a negative is two's complement
        extra_valid=lambda ops: ops[0] >= ops[1],
    )


def _compare() -> Task:
    alphabet = _alphabet(2)
    # the state is "a > b so far"; the most significant bit read so far decides, equal bits keep it
    table = {}
    for g in (0, 1):
        table[g] = {}
        for x in alphabet:
            nxt = g if x[0] == x[1] else int(x[0] > x[1])
            table[g][x] = (nxt, (nxt,))
    validity, start, accepting = _padded(2, None, 0)
    mask = lambda t: (1 << (t + 1)) - 1  # noqa: E731
    return Task(
        name="compare", title="1 iff a > b on the bits read so far", inputs=2, outputs=1, initial=0, table=table,
        validity=validity, valid_start=start, accepting=accepting, convention="every word of every length",
        operand_names=("a", "b"),
        expected_bit=lambda ops, t: (((ops[0] & mask(t)) > (ops[1] & mask(t))) * 1,),
    )


def _parity() -> Task:
    alphabet = _alphabet(1)
    table = {p: {x: (p ^ x[0], (p ^ x[0],)) for x in alphabet} for p in (0, 1)}
    validity, start, accepting = _padded(1, None, 0)
    return Task(
        name="parity", title="parity of the bits read so far", inputs=1, outputs=1, initial=0, table=table,
        validity=validity, valid_start=start, accepting=accepting, convention="every word of every length",
        operand_names=("a",),
        expected_bit=lambda ops, t: (_parity_of(ops[0] & ((1 << (t + 1)) - 1)),),
    )


def _times3() -> Task:
    alphabet = _alphabet(1)
    # 3a = a + 2a: the state is (a_{t-1}, carry); step t adds a_t + a_{t-1} + carry
    table = {}
    for prev in (0, 1):
        for carry in (0, 1):
            row = {}
            for x in alphabet:
                total = x[0] + prev + carry
                row[x] = ((x[0], total >> 1), (total & 1,))
            table[(prev, carry)] = row
    validity, start, accepting = _padded(1, (0,), 2)
    return Task(
        name="times3", title="bit t of 3a", inputs=1, outputs=1, initial=(0, 0), table=table,
        validity=validity, valid_start=start, accepting=accepting,
        convention="a, LSB first, ending in two padding steps 0 so that every bit of 3a is written",
        padding=(0,), padding_steps=2, operand_names=("a",),
        expected_bit=lambda ops, t: _bit(3 * ops[0], t),
    )


_BUILDERS = {"add": _add, "subtract": _subtract, "compare": _compare, "parity": _parity, "times3": _times3}
TASKS = tuple(_BUILDERS)


_BUILT: dict[str, Task] = {}  # each built once: a task is a value, never changed


def builtin_task(name: str) -> Task:
    """One of ``TASKS`` by name; ``InvalidTask`` for any other name."""
    task = _BUILT.get(name)
    if task is not None:
        return task
    builder = _BUILDERS.get(name)
    if builder is None:
        hint = difflib.get_close_matches(name, TASKS, n=1)
        suggestion = f" (did you mean {hint[0]}?)" if hint else ""
        raise InvalidTask(f"unknown task {name!r}{suggestion}; expected one of {', '.join(TASKS)} or a task TOML file")
    task = _BUILT[name] = builder()
    return task


def as_task(machine: Any = None) -> Task:
    """A ``Task`` for what callers pass as the reference: None (addition), a ``Task``, or any ``MealyMachine``
    (its table is built by searching its states; valid words end in one ``padding`` symbol if it has one)."""
    if machine is None:
        return builtin_task("add")
    if isinstance(machine, Task):
        return machine
    if getattr(machine, "name", None) == "binary addition":
        return builtin_task("add")
    alphabet = tuple(machine.alphabet)
    inputs = len(alphabet[0])
    if alphabet != _alphabet(inputs) and set(alphabet) != set(_alphabet(inputs)):
        raise ValueError(f"{machine.name}: the alphabet must hold every {inputs}-bit symbol")
    table: dict = {}
    queue = deque([machine.initial])
    seen = {machine.initial}
    while queue:
        q = queue.popleft()
        table[q] = {x: machine.transition(q, x) for x in _alphabet(inputs)}
        for nxt, _ in table[q].values():
            if nxt not in seen:
                if len(seen) >= MAX_TASK_STATES:
                    raise ValueError(f"{machine.name}: more than {MAX_TASK_STATES} states")
                seen.add(nxt)
                queue.append(nxt)
    padding = getattr(machine, "padding", None)
    validity, start, accepting = _padded(inputs, padding, 1 if padding is not None else 0)
    outputs = len(next(iter(table[machine.initial].values()))[1])
    return Task(name=machine.name, title=machine.name, inputs=inputs, outputs=outputs, initial=machine.initial,
                table=table, validity=validity, valid_start=start, accepting=accepting,
                convention="every word" if padding is None else "every word ending in its padding symbol",
                padding=padding, padding_steps=1 if padding is not None else 0)


def resolve_task(text: str) -> Task:
    """A built-in task's name, or else the path of a task file."""
    if text in _BUILDERS:
        return builtin_task(text)
    if not Path(text).suffix and not Path(text).exists():
        return builtin_task(text)  # a misspelt name: say which names exist
    return load_task(text)


# ------------------------------------------------------------------------------------------ task files

_FILE_KEYS = ("name", "inputs", "outputs", "start", "padding", "padding_steps", "transitions")


def load_task(path: str | Path) -> Task:
    """Read a task TOML file (untrusted) into a ``Task``::

        inputs = 2                       # bits read per step
        start = "c0"
        padding = "00"                   # optional: valid inputs end in this symbol ...
        padding_steps = 1                # ... this many times (default 1 when padding is given)
        [transitions.c0]                 # input bits -> [next state, output bit(s)]
        "00" = ["c0", 0]
    """
    data = load_toml(path, error=InvalidTask, what="a task TOML file")
    return task_from_mapping(data, source=display_name(path))


def task_from_mapping(data: Mapping[str, Any], *, source: str) -> Task:
    """Validate a parsed task table; every problem raises ``InvalidTask`` naming the field.

    >>> task = task_from_mapping({"inputs": 1, "start": "s", "transitions": {"s": {"0": ["s", 0], "1": ["s", 1]}}},
    ...                          source="copy.toml")
    >>> task.outputs_of([(1,), (0,), (1,)])
    ((1,), (0,), (1,))
    """
    for key in data:
        if key not in _FILE_KEYS:
            hint = difflib.get_close_matches(str(key), _FILE_KEYS, n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise InvalidTask(f"unknown key{suggestion}; expected only {', '.join(_FILE_KEYS)}", source=source, field=str(key))
    for key in ("inputs", "start", "transitions"):
        if key not in data:
            raise InvalidTask("missing", source=source, field=key)
    inputs = _count(data["inputs"], "inputs", 1, MAX_INPUTS, source)
    start = data["start"]
    if not isinstance(start, str) or not start:
        raise InvalidTask(f"expected the name of a state, got {start!r}", source=source, field="start")
    transitions = data["transitions"]
    if not isinstance(transitions, dict) or not transitions:
        raise InvalidTask("expected a table [transitions.STATE] per state", source=source, field="transitions")
    if len(transitions) > MAX_TASK_STATES:
        raise InvalidTask(f"expected at most {MAX_TASK_STATES} states, got {len(transitions)}", source=source, field="transitions")
    if start not in transitions:
        raise InvalidTask(f"state {start!r} has no [transitions.{start}] table", source=source, field="start")
    outputs = data.get("outputs")
    if outputs is not None:
        outputs = _count(outputs, "outputs", 1, MAX_OUTPUTS, source)
    alphabet = _alphabet(inputs)
    wanted = {symbol_text(x): x for x in alphabet}
    table: dict[str, dict[Symbol, tuple[str, Symbol]]] = {}
    for state, row in transitions.items():
        where = f"transitions.{state}"
        if not isinstance(row, dict):
            raise InvalidTask("expected a table of input bits -> [next state, output]", source=source, field=where)
        missing = [text for text in wanted if text not in row]
        if missing:
            raise InvalidTask(f"no transition for input {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''} "
                              f"(expected one for each of the {len(wanted)} strings of {inputs} bits)", source=source, field=where)
        table[state] = {}
        for text, value in row.items():
            if text not in wanted:
                raise InvalidTask(f"expected {inputs} bits such as {next(iter(wanted))!r}, got {text!r}", source=source, field=f"{where}.{text}")
            nxt, out = _entry(value, source, f"{where}.{text}")
            if nxt not in transitions:
                raise InvalidTask(f"next state {nxt!r} has no [transitions.{nxt}] table", source=source, field=f"{where}.{text}")
            if outputs is None:
                outputs = len(out)
            if len(out) != outputs:
                raise InvalidTask(f"expected {outputs} output bit(s), got {len(out)}", source=source, field=f"{where}.{text}")
            table[state][wanted[text]] = (nxt, out)
    padding, steps = _padding(data, inputs, source)
    validity, v_start, accepting = _padded(inputs, padding, steps)
    name = data.get("name", Path(source).stem or "task")
    if not isinstance(name, str) or not 0 < len(name) <= 80:
        raise InvalidTask("expected a short string", source=source, field="name")
    convention = "every word of every length" if padding is None else (
        f"every word ending in {steps} padding step(s) {symbol_text(padding)}")
    return Task(
        name=name, title=f"the machine of {source}", inputs=inputs, outputs=outputs or 1, initial=start, table=table,
        validity=validity, valid_start=v_start, accepting=accepting, convention=convention,
        padding=padding, padding_steps=steps,
    )


def _count(value: Any, name: str, low: int, high: int, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidTask(f"expected a whole number from {low} to {high}, got {value!r}", source=source, field=name)
    return value


def _entry(value: Any, source: str, where: str) -> tuple[str, Symbol]:
    shape = 'expected [next state, output], e.g. ["c0", 1] (or a bit string "01" for several outputs)'
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], str):
        raise InvalidTask(f"{shape}, got {value!r}"[:200], source=source, field=where)
    out = value[1]
    if isinstance(out, int) and not isinstance(out, bool) and out in (0, 1):
        return value[0], (out,)
    if isinstance(out, str) and out and len(out) <= MAX_OUTPUTS and set(out) <= {"0", "1"}:
        return value[0], tuple(int(c) for c in out)
    raise InvalidTask(f"{shape}, got output {out!r}"[:200], source=source, field=where)


def _padding(data: Mapping[str, Any], inputs: int, source: str) -> tuple[Symbol | None, int]:
    if "padding" not in data:
        if "padding_steps" in data:
            raise InvalidTask("needs padding (the symbol valid inputs end with)", source=source, field="padding_steps")
        return None, 0
    text = data["padding"]
    if not isinstance(text, str) or len(text) != inputs or set(text) - {"0", "1"}:
        raise InvalidTask(f"expected {inputs} bits such as {'0' * inputs!r}, got {text!r}"[:200], source=source, field="padding")
    steps = _count(data.get("padding_steps", 1), "padding_steps", 1, 8, source)
    return tuple(int(c) for c in text), steps
