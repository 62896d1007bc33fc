"""Prove a threshold RNN against a reference Mealy machine for every input length.

The network's hidden state is a bit vector, so it has finitely many reachable states. Running it
in lockstep with the reference machine (for addition, the carry automaton) gives a finite product
automaton; the network is right on every valid input of every length iff no reachable product
state has a transition whose outputs differ. Breadth-first search finds the reachable part, the
shortest counterexample, and the margin of every threshold on the way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from handnets.threshold.network import Bits, Step, ThresholdRNN
from handnets.threshold.reference import BinaryAddition, MealyMachine

__all__ = ["Counterexample", "TightSpot", "Proof", "LengthAccuracy", "prove", "digit_accuracy", "run_with_reference"]

Symbol = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Counterexample:
    """A shortest valid input the network gets wrong, with the run that shows it."""

    word: tuple[Symbol, ...]  # every step's input, padding included
    operands: tuple[int, ...]  # for addition: (a, b)
    step: int  # 1-based step where the output first differs
    expected: tuple[Symbol, ...]
    got: tuple[Symbol, ...]
    run: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not 1 <= self.step <= len(self.word) or len(self.expected) != len(self.word) or len(self.got) != len(self.word):
            raise ValueError("a counterexample's step and outputs must fit its input")

    @property
    def steps(self) -> int:
        return len(self.word)

    @property
    def hidden(self) -> tuple[Bits, ...]:
        """Hidden states h_1 .. h_n along the run."""
        return tuple(s.h for s in self.run)

    def bits(self, operand: int) -> str:
        """Operand ``operand`` as a bit string, least-significant bit first, as the network reads it."""
        return "".join(str(symbol[operand]) for symbol in self.word)


@dataclass(frozen=True, slots=True)
class TightSpot:
    """A reachable transition whose pre-activation is exactly 0: its verdict hangs on step(0)."""

    unit: str  # "h1".."hk" for hidden units, "y1".. for outputs
    h_prev: Bits  # the hidden state read (for outputs: the state h_t itself)
    x: Symbol | None  # the input read (None for outputs)


@dataclass(frozen=True, slots=True)
class Proof:
    """The verdict for every length: correct, or the shortest counterexample."""

    network: ThresholdRNN
    machine: str
    reachable: tuple[Bits, ...]  # hidden states reachable from h0 (h0 first), breadth-first order
    product_states: int
    transitions: int
    margin: Fraction  # the smallest |pre-activation| over every reachable transition
    tight: tuple[TightSpot, ...]
    counterexample: Counterexample | None

    @property
    def correct(self) -> bool:
        return self.counterexample is None

    @property
    def threshold(self) -> str:
        return self.network.threshold

    @property
    def convention_sensitive(self) -> bool:
        """A margin of 0: some reachable pre-activation is exactly 0, so step(0) decides it."""
        return self.margin == 0


def prove(network: ThresholdRNN, machine: MealyMachine | None = None) -> Proof:
    """Explore the product of the network's reachable states with the reference machine.

    >>> from handnets.threshold.designs import classic_adder
    >>> proof = prove(classic_adder())
    >>> proof.correct, len(proof.reachable), proof.margin
    (True, 4, Fraction(1, 2))
    """
    machine = machine or BinaryAddition()
    explored = _explore(network, machine)
    best: tuple[int, int, int] | None = None  # (length, first wrong step, discovery order)
    best_at = None
    transitions = 0
    for state, row in explored.table.items():
        d = explored.depth[state]
        for x, (_, _step, ok) in row.items():
            transitions += 1
            if not ok:
                # a wrong output at step d + 1; a valid input must still end with the padding symbol
                length = d + 1 if x == machine.padding else d + 2
                candidate = (length, d + 1, transitions)
                if best is None or candidate < best:
                    best, best_at = candidate, (state, x)
    depth = explored.depth
    steps = {(h, x): s for (h, _), row in explored.table.items() for x, (_, s, _) in row.items()}
    reachable = tuple(dict.fromkeys([network.h0, *(h for h, _ in depth)]))
    margin, tight = _margin(network, steps)
    counterexample = None
    if best_at is not None:
        counterexample = _counterexample(network, machine, _path(explored.parent, best_at[0]) + [best_at[1]])
    return Proof(
        network=network,
        machine=machine.name,
        reachable=reachable,
        product_states=len(depth),
        transitions=transitions,
        margin=margin,
        tight=tight,
        counterexample=counterexample,
    )


def _check_sizes(network: ThresholdRNN, machine: MealyMachine) -> None:
    width_in = len(machine.alphabet[0])
    _, out = machine.transition(machine.initial, machine.alphabet[0])
    if network.inputs != width_in or network.outputs != len(out):
        raise ValueError(
            f"{machine.name} needs {width_in} inputs and {len(out)} output(s); "
            f"the network has {network.inputs} and {network.outputs}"
        )


def _path(parent, state) -> list[Symbol]:
    word: list[Symbol] = []
    while state in parent:
        state, x = parent[state]
        word.append(x)
    return word[::-1]


def _counterexample(network: ThresholdRNN, machine: MealyMachine, word: list[Symbol]) -> Counterexample:
    if word[-1] != machine.padding:
        word.append(machine.padding)  # a valid input ends with padding; the error has already happened
    run, expected = run_with_reference(network, word, machine)
    got = tuple(s.y for s in run)
    first = next(t for t, (e, g) in enumerate(zip(expected, got), start=1) if e != g)
    return Counterexample(
        word=tuple(word), operands=machine.decode(word), step=first, expected=expected, got=got, run=run
    )


def _margin(network: ThresholdRNN, steps: dict[tuple[Bits, Symbol], Step]) -> tuple[Fraction, tuple[TightSpot, ...]]:
    margin: Fraction | None = None
    tight: list[TightSpot] = []
    seen_outputs: set[Bits] = set()
    for (h_prev, x), s in steps.items():
        for j, z in enumerate(s.h_pre, start=1):
            margin = abs(z) if margin is None else min(margin, abs(z))
            if z == 0:
                tight.append(TightSpot(f"h{j}", h_prev, x))
        if s.h in seen_outputs:
            continue
        seen_outputs.add(s.h)
        for j, z in enumerate(s.y_pre, start=1):
            margin = min(margin, abs(z))
            if z == 0:
                tight.append(TightSpot(f"y{j}", s.h, None))
    return (margin if margin is not None else Fraction(0)), tuple(tight)


@dataclass(frozen=True, slots=True)
class LengthAccuracy:
    """Exact figures for all valid inputs of one length n."""

    length: int
    pairs: int  # valid inputs of this length
    wrong_pairs: int  # inputs with at least one wrong output digit
    digits: int  # output digits over all valid inputs: length * pairs
    right_digits: int

    @property
    def digit_accuracy(self) -> Fraction:
        return Fraction(self.right_digits, self.digits)

    @property
    def pair_accuracy(self) -> Fraction:
        return Fraction(self.pairs - self.wrong_pairs, self.pairs)


def digit_accuracy(network: ThresholdRNN, max_len: int, machine: MealyMachine | None = None) -> tuple[LengthAccuracy, ...]:
    """Exact wrong-input counts and digit accuracy for every length 1..max_len, by dynamic programming.

    Counts are big integers: the product automaton has few states, so each length costs a few
    multiplications per state whatever the number of inputs (4**(n-1) for addition).

    >>> from handnets.threshold.designs import classic_adder
    >>> digit_accuracy(classic_adder(), 3)[-1]
    LengthAccuracy(length=3, pairs=16, wrong_pairs=0, digits=48, right_digits=48)
    """
    machine = machine or BinaryAddition()
    table = {state: {x: (nxt, ok) for x, (nxt, _, ok) in row.items()} for state, row in _explore(network, machine).table.items()}
    start = (network.h0, machine.initial)
    symbols = len(machine.alphabet)
    free: dict = {start: 1}  # N_t[s]: inputs of length t (any symbols) that reach s
    right: dict = {start: 1}  # A_t[s]: those that reach s with every output right so far
    running = 0  # sum over t < n of C_t * symbols**(n-1-t), C_t = right outputs at step t over all words
    results = []
    for n in range(1, max_len + 1):
        # length n = any word of length n-1, then the padding symbol
        pad_right = sum(count for s, count in right.items() if table[s][machine.padding][1])
        pad_free = sum(count for s, count in free.items() if table[s][machine.padding][1])
        pairs = symbols ** (n - 1)
        results.append(
            LengthAccuracy(length=n, pairs=pairs, wrong_pairs=pairs - pad_right, digits=n * pairs, right_digits=running + pad_free)
        )
        step_right = 0
        next_free: dict = {}
        next_right: dict = {}
        for s, count in free.items():
            for nxt, ok in table[s].values():
                next_free[nxt] = next_free.get(nxt, 0) + count
                if ok:
                    step_right += count
        for s, count in right.items():
            for nxt, ok in table[s].values():
                if ok:
                    next_right[nxt] = next_right.get(nxt, 0) + count
        running = running * symbols + step_right
        free, right = next_free, next_right
    return tuple(results)


@dataclass(frozen=True, slots=True)
class _Exploration:
    """The reachable product automaton, in breadth-first order."""

    table: dict  # state -> symbol -> (next state, network Step, output right?)
    depth: dict  # state -> fewest steps to reach it
    parent: dict  # state -> (previous state, symbol): a shortest path back to the start


def _explore(network: ThresholdRNN, machine: MealyMachine) -> _Exploration:
    _check_sizes(network, machine)
    start = (network.h0, machine.initial)
    depth = {start: 0}
    parent: dict = {}
    table: dict = {}
    network_steps: dict = {}  # the network's transitions depend on h alone: compute each once
    queue = deque([start])
    while queue:
        state = queue.popleft()
        h, q = state
        row = {}
        for x in machine.alphabet:
            s = network_steps.get((h, x))
            if s is None:
                s = network_steps[(h, x)] = network.transition(h, x)
            q_next, expected = machine.transition(q, x)
            nxt = (s.h, q_next)
            row[x] = (nxt, s, s.y == expected)
            if nxt not in depth:
                depth[nxt] = depth[state] + 1
                parent[nxt] = (state, x)
                queue.append(nxt)
        table[state] = row
    return _Exploration(table=table, depth=depth, parent=parent)


def run_with_reference(network: ThresholdRNN, word: Sequence[Symbol], machine: MealyMachine | None = None):
    """The network's run over ``word`` next to the reference outputs: (steps, expected outputs)."""
    machine = machine or BinaryAddition()
    run = network.run(word)
    q = machine.initial
    expected = []
    for x in word:
        q, out = machine.transition(q, x)
        expected.append(out)
    return run, tuple(expected)
