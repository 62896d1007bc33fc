"""Check a design for a task both ways, proof and enumeration, and say whether they agree.

``check_task`` (``check_adder`` for addition) is what the CLI, ``python -m handnets.verify`` and
the grader call: it proves the design for every length, enumerates every valid input up to
``max_len`` independently, computes exact per-length accuracy from the product automaton, checks
a built-in task's table against its definition in integer arithmetic, and cross-checks all of
them. A disagreement between the methods is a bug in handnets and is reported as a failed check.

The product automaton is searched once, up to ``max_states`` states; a design with more
(a 40-unit shift register reaches 2**40) is not proved, and its check says so and rests on the
enumeration. Requests that cannot be served raise ``InvalidRequest`` (an ``InputError``), never
a CLI error: the command line maps them to its flags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handnets.checks import Check
from handnets.errors import InvalidRequest
from handnets.threshold.designs import classic_adder
from handnets.threshold.enumerate import MAX_ENUMERATION_LENGTH, Enumeration, check_definition, enumerate_task
from handnets.threshold.network import Step, ThresholdRNN, other_threshold
from handnets.threshold.prove import (
    MAX_STATES,
    MAX_STATES_LIMIT,
    MIN_STATES,
    LengthAccuracy,
    Proof,
    digit_accuracy,
    explore,
    prove,
    run_with_reference,
)
from handnets.threshold.tasks import Task, as_task, builtin_task

__all__ = ["TaskCheck", "AdderCheck", "Trace", "check_task", "check_adder", "check_builtin", "trace_addition", "trace_task",
           "DEFAULT_MAX_LEN", "MAX_TRACE_BITS", "DEFINITION_LEN"]

DEFAULT_MAX_LEN = 12
MAX_TRACE_BITS = 4096
DEFINITION_LEN = 8  # a built-in task's table is compared with its definition on every word up to this length


@dataclass(frozen=True, slots=True)
class TaskCheck:
    """Everything known about one design for one task: proof, enumeration, accuracy, and their agreement."""

    proof: Proof
    other: Proof | None  # the proof under the other step convention, when the margin is 0
    enumeration: Enumeration
    accuracy: tuple[LengthAccuracy, ...]  # exact, lengths 1..max(max_len, accuracy_len)
    task: Task = None  # type: ignore[assignment]  # filled by check_task; None reads as addition
    definition: tuple[int, int] = (0, 0)  # (words, words differing): the task's table against its definition

    def __post_init__(self) -> None:
        if self.task is None:
            object.__setattr__(self, "task", builtin_task("add"))

    @property
    def correct(self) -> bool:
        return self.proof.correct

    @property
    def methods_agree(self) -> bool:
        """Enumeration's per-length failure counts equal the automaton's exact counts, and the
        shortest failing length equals the proof's shortest counterexample."""
        counts_agree = all(
            count.failures == exact.wrong_pairs for count, exact in zip(self.enumeration.lengths, self.accuracy)
        )
        shortest = self.enumeration.shortest_failure
        cx = self.proof.counterexample
        if self.proof.unproved:  # no claim about the shortest failure to compare with
            shortest_agrees = True
        elif cx is None or cx.steps > self.enumeration.max_len:
            shortest_agrees = shortest is None
        else:
            shortest_agrees = shortest is not None and shortest.length == cx.steps
        return counts_agree and shortest_agrees

    @property
    def checks(self) -> tuple[Check, ...]:
        proof, enumeration, task = self.proof, self.enumeration, self.task
        cx = proof.counterexample
        searched = "" if proof.complete else " searched before the bound"
        checks = [
            Check(
                "right on every valid input of every length",
                proof.correct,
                f"product of {len(proof.reachable)} reachable hidden states with the {task.name} machine "
                f"({proof.product_states} product states, {proof.transitions} transitions{searched})",
                proof.limit_note if cx is None else f"shortest counterexample: {task.describe_operands(cx.operands)} "
                f"({cx.steps} steps), wrong at step {cx.step}",
            ),
            Check(
                f"right on all {enumeration.pairs:,} valid inputs of lengths 1..{enumeration.max_len}",
                enumeration.failures == 0,
                "exhaustive enumeration in integer numpy: the network's own codes against the task's table",
                "; ".join(
                    part
                    for part in (
                        f"{enumeration.failures:,} inputs wrong" if enumeration.failures else "",
                        f"stopped at length {enumeration.max_len} of the {enumeration.requested_len} asked for: "
                        f"{proof.network.hidden_units} hidden units make longer inputs too much work"
                        if enumeration.truncated
                        else "",
                    )
                    if part
                ),
            ),
            Check(
                "proof and enumeration agree",
                self.methods_agree,
                "per-length wrong-input counts: enumeration vs dynamic programming over the product automaton; "
                "shortest failing length vs the proof's counterexample",
                "" if self.methods_agree else "DISAGREEMENT: this is a bug in handnets, please report it",
            ),
            Check(
                "right under both step conventions, step(0) = 1 and step(0) = 0",
                proof.correct and (self.other is None or self.other.correct),
                f"margin {proof.margin} (smallest |pre-activation| over reachable transitions); "
                "a margin above 0 means no reachable threshold sits exactly at 0",
                self._convention_detail(),
            ),
        ]
        words, differ = self.definition
        if words:
            checks.insert(len(checks) - 1, Check(
                f"the {task.name} table is {task.title}",
                differ == 0,
                f"against integer arithmetic on all {words:,} words of lengths 1..{DEFINITION_LEN}",
                f"{differ:,} words differ: a bug in handnets" if differ else "",
            ))
        return tuple(checks)

    def _convention_detail(self) -> str:
        if self.proof.unproved:
            return "not proved for every length under either convention"
        if self.other is None:
            return ""
        verdict = "right" if self.other.correct else "wrong"
        return f"margin 0: under threshold '{self.other.threshold}' the design is {verdict}"


def check_task(
    network: ThresholdRNN,
    task: Task | None = None,
    *,
    max_len: int = DEFAULT_MAX_LEN,
    accuracy_len: int = 64,
    progress: Callable[[int, int], None] | None = None,
    max_states: int = MAX_STATES,
) -> TaskCheck:
    """Prove, enumerate, count and cross-check one design for one task (addition when ``task`` is None).

    The product automaton is searched once and shared by the proof and the accuracy counts.
    Raises ``InvalidRequest`` when ``max_len`` or ``max_states`` is out of range, or when the
    network's inputs and outputs do not fit the task.

    >>> result = check_task(classic_adder(), builtin_task("add"), max_len=6)
    >>> result.correct, result.methods_agree, result.enumeration.pairs
    (True, True, 1365)
    """
    task = as_task(task)
    if not 1 <= max_len <= MAX_ENUMERATION_LENGTH:
        raise InvalidRequest(f"enumeration length must be between 1 and {MAX_ENUMERATION_LENGTH}, got {max_len}", field="max_len")
    if not MIN_STATES <= max_states <= MAX_STATES_LIMIT:
        raise InvalidRequest(f"the state bound must be between {MIN_STATES} and {MAX_STATES_LIMIT:,}, got {max_states:,}", field="max_states")
    if network.inputs != task.inputs or network.outputs != task.outputs:
        raise InvalidRequest(
            f"task {task.name} reads {task.inputs} input(s) and writes {task.outputs} output(s); "
            f"the design has {network.inputs} and {network.outputs}", field="task")
    explored = explore(network, task, max_states=max_states)
    proof = prove(network, task, exploration=explored)
    other = None
    if proof.convention_sensitive:
        flipped = network.with_threshold(other_threshold(network.threshold))
        other = prove(flipped, task, max_states=max_states)
    enumeration = enumerate_task(network, task, max_len, progress=progress)
    accuracy = digit_accuracy(network, max(max_len, accuracy_len), task, exploration=explored)
    definition = check_definition(task, DEFINITION_LEN)
    return TaskCheck(proof=proof, other=other, enumeration=enumeration, accuracy=accuracy, task=task, definition=definition)


def check_adder(network: ThresholdRNN, **options) -> TaskCheck:
    """``check_task`` for addition.

    >>> result = check_adder(classic_adder(), max_len=6)
    >>> result.correct, result.methods_agree, result.enumeration.pairs
    (True, True, 1365)
    """
    return check_task(network, builtin_task("add"), **options)


AdderCheck = TaskCheck  # the name it had when addition was the only task


def check_builtin() -> AdderCheck:
    """The catalogue entry: the classic design, proved and enumerated up to length 12."""
    return check_adder(classic_adder())


@dataclass(frozen=True, slots=True)
class Trace:
    """The step-by-step run of a design on one input of a task (for addition, a + b)."""

    network: ThresholdRNN
    operands: tuple[int, ...]
    run: tuple[Step, ...]
    expected: tuple[tuple[int, ...], ...]  # the task's outputs, step by step
    task: Task = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.task is None:
            object.__setattr__(self, "task", builtin_task("add"))

    @property
    def a(self) -> int:
        return self.operands[0]

    @property
    def b(self) -> int:
        return self.operands[1]

    @property
    def word(self) -> tuple[tuple[int, ...], ...]:
        return tuple(s.x for s in self.run)

    @property
    def produced(self) -> int:
        """The number the network wrote on its first output, read LSB first."""
        return sum(s.y[0] << t for t, s in enumerate(self.run))

    @property
    def wanted(self) -> int:
        """The number the task writes on its first output, read LSB first."""
        return sum(e[0] << t for t, e in enumerate(self.expected))

    @property
    def correct(self) -> bool:
        return all(s.y == e for s, e in zip(self.run, self.expected))


def trace_task(network: ThresholdRNN, task: Task, operands: tuple[int, ...]) -> Trace:
    """Run a design on one input: the operands' bits LSB first, then the task's padding.

    The input has as many steps as the longest operand has bits, plus the padding steps
    (at least one step). Raises ``InvalidRequest`` for negative operands or an invalid input.

    >>> trace = trace_task(classic_adder(), builtin_task("add"), (45, 58))
    >>> trace.produced, trace.correct, len(trace.run)
    (103, True, 7)
    """
    if len(operands) != task.inputs:
        raise InvalidRequest(f"task {task.name} reads {task.inputs} number(s), got {len(operands)}", field="operands")
    if any(v < 0 for v in operands):
        raise InvalidRequest(f"the operands must be non-negative integers, got {', '.join(map(str, operands))}", field="operands")
    if max(operands).bit_length() > MAX_TRACE_BITS:
        raise InvalidRequest(f"operands of more than {MAX_TRACE_BITS} bits make an unreadable trace", field="operands")
    bits = max(1 if not task.padding_steps else 0, max(v.bit_length() for v in operands))
    word = [tuple((v >> t) & 1 for v in operands) for t in range(bits)] + [task.padding] * task.padding_steps
    if not task.is_valid(word):
        raise InvalidRequest(f"not a valid input of {task.name}: {task.convention}", field="operands")
    run, expected = run_with_reference(network, word, task)
    return Trace(network=network, operands=tuple(operands), run=run, expected=expected, task=task)


def trace_addition(network: ThresholdRNN, a: int, b: int) -> Trace:
    """``trace_task`` for a + b.

    >>> trace = trace_addition(classic_adder(), 45, 58)
    >>> trace.produced, trace.correct, len(trace.run)
    (103, True, 7)
    """
    if a < 0 or b < 0:
        raise InvalidRequest(f"the adder adds non-negative integers, got a={a}, b={b}")
    return trace_task(network, builtin_task("add"), (a, b))
