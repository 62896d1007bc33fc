"""Check an adder design both ways, proof and enumeration, and say whether they agree.

``check_adder`` is what the CLI, ``python -m handnets.verify`` and the grader call: it proves the
design for every length, enumerates every pair up to ``max_len`` independently, computes exact
per-length accuracy from the product automaton, and cross-checks all of them. A disagreement
between the methods is a bug in handnets and is reported as a failed check of its own.

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
from handnets.threshold.enumerate import MAX_ENUMERATION_LENGTH, Enumeration, enumerate_adder
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
from handnets.threshold.reference import BinaryAddition

__all__ = ["AdderCheck", "Trace", "check_adder", "check_builtin", "trace_addition", "DEFAULT_MAX_LEN", "MAX_TRACE_BITS"]

DEFAULT_MAX_LEN = 12
MAX_TRACE_BITS = 4096


@dataclass(frozen=True, slots=True)
class AdderCheck:
    """Everything known about one adder design: proof, enumeration, accuracy, and their agreement."""

    proof: Proof
    other: Proof | None  # the proof under the other step convention, when the margin is 0
    enumeration: Enumeration
    accuracy: tuple[LengthAccuracy, ...]  # exact, lengths 1..max(max_len, accuracy_len)

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
        proof, enumeration = self.proof, self.enumeration
        cx = proof.counterexample
        searched = "" if proof.complete else " searched before the bound"
        checks = [
            Check(
                "right on every valid input of every length",
                proof.correct,
                f"product of {len(proof.reachable)} reachable hidden states with the carry automaton "
                f"({proof.product_states} product states, {proof.transitions} transitions{searched})",
                proof.limit_note if cx is None else f"shortest counterexample: a={cx.operands[0]}, b={cx.operands[1]} "
                f"({cx.steps} steps), wrong at step {cx.step}",
            ),
            Check(
                f"right on all {enumeration.pairs:,} valid pairs of lengths 1..{enumeration.max_len}",
                enumeration.failures == 0,
                "exhaustive enumeration in integer numpy against a + b",
                "; ".join(
                    part
                    for part in (
                        f"{enumeration.failures:,} pairs wrong" if enumeration.failures else "",
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
                "per-length wrong-pair counts: enumeration vs dynamic programming over the product automaton; "
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
        return tuple(checks)

    def _convention_detail(self) -> str:
        if self.proof.unproved:
            return "not proved for every length under either convention"
        if self.other is None:
            return ""
        verdict = "right" if self.other.correct else "wrong"
        return f"margin 0: under threshold '{self.other.threshold}' the design is {verdict}"


def check_adder(
    network: ThresholdRNN,
    *,
    max_len: int = DEFAULT_MAX_LEN,
    accuracy_len: int = 64,
    progress: Callable[[int, int], None] | None = None,
    max_states: int = MAX_STATES,
) -> AdderCheck:
    """Prove, enumerate, count and cross-check one adder design.

    The product automaton is searched once and shared by the proof and the accuracy counts.
    Raises ``InvalidRequest`` when ``max_len`` or ``max_states`` is out of range.

    >>> result = check_adder(classic_adder(), max_len=6)
    >>> result.correct, result.methods_agree, result.enumeration.pairs
    (True, True, 1365)
    """
    if not 1 <= max_len <= MAX_ENUMERATION_LENGTH:
        raise InvalidRequest(f"enumeration length must be between 1 and {MAX_ENUMERATION_LENGTH}, got {max_len}", field="max_len")
    if not MIN_STATES <= max_states <= MAX_STATES_LIMIT:
        raise InvalidRequest(f"the state bound must be between {MIN_STATES} and {MAX_STATES_LIMIT:,}, got {max_states:,}", field="max_states")
    machine = BinaryAddition()
    explored = explore(network, machine, max_states=max_states)
    proof = prove(network, machine, exploration=explored)
    other = None
    if proof.convention_sensitive:
        flipped = network.with_threshold(other_threshold(network.threshold))
        other = prove(flipped, machine, max_states=max_states)
    enumeration = enumerate_adder(network, max_len, progress=progress)
    accuracy = digit_accuracy(network, max(max_len, accuracy_len), machine, exploration=explored)
    return AdderCheck(proof=proof, other=other, enumeration=enumeration, accuracy=accuracy)


def check_builtin() -> AdderCheck:
    """The catalogue entry: the classic design, proved and enumerated up to length 12."""
    return check_adder(classic_adder())


@dataclass(frozen=True, slots=True)
class Trace:
    """The step-by-step run of a design on one addition a + b."""

    network: ThresholdRNN
    a: int
    b: int
    run: tuple[Step, ...]
    expected: tuple[int, ...]  # bit t of a + b, LSB first

    @property
    def word(self) -> tuple[tuple[int, ...], ...]:
        return tuple(s.x for s in self.run)

    @property
    def produced(self) -> int:
        """The sum the network wrote, read LSB first from its outputs."""
        return sum(s.y[0] << t for t, s in enumerate(self.run))

    @property
    def correct(self) -> bool:
        return all(s.y[0] == e for s, e in zip(self.run, self.expected))


def trace_addition(network: ThresholdRNN, a: int, b: int) -> Trace:
    """Run a design on a + b over enough steps for every bit of the sum (at least one padding 0).

    >>> trace = trace_addition(classic_adder(), 45, 58)
    >>> trace.produced, trace.correct, len(trace.run)
    (103, True, 7)
    """
    if a < 0 or b < 0:
        raise InvalidRequest(f"the adder adds non-negative integers, got a={a}, b={b}")
    if max(a, b).bit_length() > MAX_TRACE_BITS:
        raise InvalidRequest(f"operands of more than {MAX_TRACE_BITS} bits make an unreadable trace")
    machine = BinaryAddition()
    steps = max(a.bit_length(), b.bit_length()) + 1
    word = machine.encode(a, b, steps)
    run, expected = run_with_reference(network, word, machine)
    return Trace(network=network, a=a, b=b, run=run, expected=tuple(e[0] for e in expected))
