"""Prove a threshold RNN against a reference Mealy machine for every input length.

The network's hidden state is a bit vector, so it has finitely many reachable states. Running it
in lockstep with the reference machine (for addition, the carry automaton) gives a finite product
automaton; the network is right on every valid input of every length iff no reachable product
state has a transition whose outputs differ. Breadth-first search finds the reachable part, the
shortest counterexample, and the margin of every threshold on the way.

The search is bounded: k hidden units can reach up to 2**k states (a 40-unit shift register
reaches 2**40), so it stops after ``max_states`` product states (``MAX_STATES`` by default).
A search that stops proves nothing for every length (``Proof.complete`` is False); a
counterexample it met on the way is still reported when it is provably the shortest.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from handnets.threshold.network import Bits, Step, ThresholdRNN
from handnets.threshold.reference import MealyMachine
from handnets.threshold.tasks import Task, as_task

__all__ = [
    "Counterexample",
    "TightSpot",
    "Proof",
    "LengthAccuracy",
    "Exploration",
    "explore",
    "prove",
    "digit_accuracy",
    "run_with_reference",
    "MAX_STATES",
    "MIN_STATES",
    "MAX_STATES_LIMIT",
]

Symbol = tuple[int, ...]

MAX_STATES = 1 << 14  # product states searched by default: far beyond any hand design, a second or two
MIN_STATES = 16  # enough for the start state and its successors
MAX_STATES_LIMIT = 1 << 22  # the most a caller may ask for: some minutes and a few GB
_VECTOR_FROM = 96  # states x units from which a depth's steps are computed in numpy rather than one by one
_ACCURACY_WORK = 1 << 22  # state updates digit_accuracy may spend over all lengths


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
    complete: bool = True  # the whole reachable product was searched
    max_states: int = MAX_STATES

    @property
    def correct(self) -> bool:
        """Proved right for every length: nothing wrong found, and nothing left unsearched."""
        return self.counterexample is None and self.complete

    @property
    def unproved(self) -> bool:
        """The search stopped at its bound before it found either a proof or a counterexample."""
        return self.counterexample is None and not self.complete

    @property
    def limit_note(self) -> str:
        """Why there is no verdict for every length, or "" when there is one."""
        if not self.unproved:
            return ""
        return f"more than {self.max_states:,} reachable states: not proved, enumeration only"

    @property
    def threshold(self) -> str:
        return self.network.threshold

    @property
    def convention_sensitive(self) -> bool:
        """A margin of 0: some reachable pre-activation is exactly 0, so step(0) decides it."""
        return self.margin == 0


def prove(
    network: ThresholdRNN,
    machine: MealyMachine | None = None,
    *,
    max_states: int = MAX_STATES,
    exploration: Exploration | None = None,
) -> Proof:
    """Explore the product of the network's reachable states with the reference machine.

    >>> from handnets.threshold.designs import classic_adder
    >>> proof = prove(classic_adder())
    >>> proof.correct, len(proof.reachable), proof.margin
    (True, 4, Fraction(1, 2))
    """
    machine = as_task(machine)
    explored = exploration if exploration is not None else explore(network, machine, max_states=max_states)
    transitions = len(explored.table) * len(machine.alphabet)
    found = _shortest_wrong(explored, machine) if explored.any_wrong else None
    if found is not None and not explored.complete and len(found) > explored.frontier + 1:
        # states left unsearched sit at depth >= frontier: a word through one has more than frontier steps
        found = None
    depth = explored.depth
    reachable = tuple(dict.fromkeys([network.h0, *(h for h, _ in depth)]))
    margin, tight = explored.margin, explored.tight
    counterexample = None if found is None else _counterexample(network, machine, found)
    return Proof(
        network=network,
        machine=machine.name,
        reachable=reachable,
        product_states=len(depth),
        transitions=transitions,
        margin=margin,
        tight=tight,
        counterexample=counterexample,
        complete=explored.complete,
        max_states=explored.max_states,
    )


def _check_sizes(network: ThresholdRNN, machine: MealyMachine) -> None:
    width_in = len(machine.alphabet[0])
    _, out = machine.transition(machine.initial, machine.alphabet[0])
    if network.inputs != width_in or network.outputs != len(out):
        raise ValueError(
            f"{machine.name} needs {width_in} inputs and {len(out)} output(s); "
            f"the network has {network.inputs} and {network.outputs}"
        )


def _shortest_wrong(explored: Exploration, task: Task) -> list[Symbol] | None:
    """A shortest valid word with a wrong output, or None: breadth-first over (product state, validity state).

    A word through a wrong transition (s, x) is at least the shortest way to reach s (in validity
    state v), one step, then the fewest steps from v's successor to a valid end; the suffix needs no
    product state, since after the wrong output any valid completion will do.
    """
    to_end = _steps_to_valid_end(task)
    start = (next(iter(explored.depth)), task.valid_start)
    parent: dict = {start: None}
    queue = deque([start])
    best: tuple[int, int, tuple, Symbol] | None = None  # (length, wrong step, state, symbol)
    depth = {start: 0}
    while queue:
        pair = queue.popleft()
        s, v = pair
        row = explored.table.get(s)
        if row is None:
            continue
        d = depth[pair]
        if best is not None and d + 1 > best[0]:
            break
        for x, (nxt, ok) in row.items():
            v_next = task.validity[v][x]
            if not ok:
                length = d + 1 + to_end[v_next]
                if best is None or (length, d + 1) < best[:2]:
                    best = (length, d + 1, pair, x)
            if (nxt, v_next) not in depth:
                depth[(nxt, v_next)] = d + 1
                parent[(nxt, v_next)] = (pair, x)
                queue.append((nxt, v_next))
    if best is None:
        return None
    word: list[Symbol] = [best[3]]
    pair = best[2]
    while parent[pair] is not None:
        pair, x = parent[pair]
        word.append(x)
    word.reverse()
    v = task.valid_start
    for x in word:
        v = task.validity[v][x]
    while v not in task.accepting:  # the fewest steps to a valid end, greedily along to_end
        x = min(task.alphabet, key=lambda y: (to_end[task.validity[v][y]], y != task.padding))
        word.append(x)
        v = task.validity[v][x]
    return word


def _steps_to_valid_end(task: Task) -> dict:
    """For each validity state, the fewest symbols that lead to an accepting state."""
    dist = {v: 0 for v in task.accepting}
    changed = True
    while changed:
        changed = False
        for v, row in task.validity.items():
            best = min((dist[w] + 1 for w in row.values() if w in dist), default=None)
            if best is not None and (v not in dist or best < dist[v]):
                dist[v] = best
                changed = True
    return dist


def _counterexample(network: ThresholdRNN, machine: Task, word: list[Symbol]) -> Counterexample:
    run, expected = run_with_reference(network, word, machine)
    got = tuple(s.y for s in run)
    first = next(t for t, (e, g) in enumerate(zip(expected, got), start=1) if e != g)
    return Counterexample(
        word=tuple(word), operands=machine.decode(word), step=first, expected=expected, got=got, run=run
    )


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


def digit_accuracy(
    network: ThresholdRNN,
    max_len: int,
    machine: MealyMachine | None = None,
    *,
    max_states: int = MAX_STATES,
    exploration: Exploration | None = None,
) -> tuple[LengthAccuracy, ...]:
    """Exact wrong-input counts and digit accuracy for every length 1..max_len, by dynamic programming.

    Counts are big integers: the product automaton has few states, so each length costs a few
    multiplications per state whatever the number of inputs (4**(n-1) for addition). The result
    stops short of ``max_len`` when a length would need a state the bounded search did not reach,
    or when the lengths so far have spent ``_ACCURACY_WORK`` state updates.

    >>> from handnets.threshold.designs import classic_adder
    >>> digit_accuracy(classic_adder(), 3)[-1]
    LengthAccuracy(length=3, pairs=16, wrong_pairs=0, digits=48, right_digits=48)
    """
    machine = as_task(machine)
    explored = exploration if exploration is not None else explore(network, machine, max_states=max_states)
    table, validity, accepting = explored.table, machine.validity, machine.accepting
    # per (product state, validity state), over the words of the current length that reach it:
    # how many (N), how many with every output right so far (R), their right outputs summed (D)
    counts: dict = {((network.h0, machine.initial), machine.valid_start): (1, 1, 0)}
    work = 0
    results = []
    for n in range(1, max_len + 1):
        work += len(machine.alphabet) * len(counts)
        if work > _ACCURACY_WORK or any(s not in table for s, _ in counts):
            break  # beyond the searched part, or beyond the budget: the lengths so far are exact
        following: dict = {}
        for (s, v), (N, R, D) in counts.items():
            row, v_row = table[s], validity[v]
            for x, (nxt, ok) in row.items():
                key = (nxt, v_row[x])
                n0, r0, d0 = following.get(key, (0, 0, 0))
                following[key] = (n0 + N, r0 + (R if ok else 0), d0 + D + (N if ok else 0))
        counts = following
        valid = right = digits = 0
        for (_, v), (N, R, D) in counts.items():
            if v in accepting:
                valid, right, digits = valid + N, right + R, digits + D
        results.append(LengthAccuracy(length=n, pairs=valid, wrong_pairs=valid - right, digits=n * valid, right_digits=digits))
    return tuple(results)


@dataclass(frozen=True, slots=True)
class Exploration:
    """The reachable product automaton, in breadth-first order, as far as the bound allowed."""

    table: dict  # state -> symbol -> (next state, output right?), for every searched state
    depth: dict  # state -> fewest steps to reach it, for every state found
    parent: dict  # state -> (previous state, symbol): a shortest path back to the start
    complete: bool  # every reachable state was searched
    frontier: int  # every state at a depth below this was searched
    max_states: int
    margin: Fraction  # the smallest |pre-activation| over the transitions met
    tight: tuple[TightSpot, ...]  # the transitions met whose pre-activation is exactly 0
    any_wrong: bool = True  # some searched transition's output differs from the reference's


def explore(network: ThresholdRNN, machine: MealyMachine | None = None, *, max_states: int = MAX_STATES) -> Exploration:
    """Breadth-first search of the product automaton, stopping once ``max_states`` states are found.

    The search goes one depth at a time: the network's steps from every hidden state first met at
    that depth are computed together, in integer numpy (``_Steps``); the bookkeeping of product
    states stays in Python dicts, in the order a plain breadth-first search visits them.

    >>> from handnets.threshold.designs import classic_adder
    >>> explored = explore(classic_adder())
    >>> explored.complete, len(explored.depth), explored.margin
    (True, 4, Fraction(1, 2))
    """
    machine = as_task(machine)
    if max_states < MIN_STATES:
        raise ValueError(f"max_states must be at least {MIN_STATES}, got {max_states}")
    _check_sizes(network, machine)
    steps = _Steps(network, machine.alphabet)
    alphabet = machine.alphabet
    start = (network.h0, machine.initial)
    depth = {start: 0}
    parent: dict = {}
    table: dict = {}
    layer = [start]
    complete = True
    any_wrong = False
    state = start
    while layer and complete:
        steps.compute([h for h, _ in layer])
        following = []
        for state in layer:
            h, q = state
            d = depth[state] + 1
            row = {}
            moves = steps.moves[h]
            reference = machine.table[q]
            for x, (h_next, y) in zip(alphabet, moves):
                q_next, expected = reference[x]
                nxt = (h_next, q_next)
                ok = y == expected
                any_wrong = any_wrong or not ok
                row[x] = (nxt, ok)
                if nxt not in depth:
                    if len(depth) >= max_states:
                        complete = False  # this row is unfinished: every state shallower than it was searched
                        break
                    depth[nxt] = d
                    parent[nxt] = (state, x)
                    following.append(nxt)
            if not complete:
                break
            table[state] = row
        layer = following
    frontier = depth[state] if not complete else max(depth.values()) + 1
    margin, tight = steps.margin(table, complete)
    return Exploration(table, depth, parent, complete, frontier, max_states, margin, tight, any_wrong)


class _Steps:
    """The network's step from many hidden states at once, in integers: each unit's weights scaled by a
    positive common denominator, so every pre-activation is an integer with the sign of the exact one.

    ``moves[h]`` lists (next hidden state, output bits) per symbol. The smallest |integer| per unit
    is kept per hidden state and divided by the unit's scale once, at the end: no ``Fraction`` is
    built per transition. Values too large for int64 are computed as Python ints (object arrays).
    """

    def __init__(self, network: ThresholdRNN, alphabet):
        hidden = [_scaled([*wx, *wh, b]) for wx, wh, b in zip(network.W_xh, network.W_hh, network.b_h)]
        output = [_scaled([*wy, b]) for wy, b in zip(network.W_hy, network.b_y)]
        k, n = network.hidden_units, network.inputs
        big = max(sum(abs(v) for v in row) for row, _ in hidden + output) >= 2**62
        dtype = object if big else np.int64
        self.W = np.array([row for row, _ in hidden], dtype=dtype)  # k x (n + k + 1)
        self.Wy = np.array([row for row, _ in output], dtype=dtype)  # m x (k + 1)
        self.hidden_scales = [scale for _, scale in hidden]
        self.output_scales = [scale for _, scale in output]
        self.k, self.n, self.dtype = k, n, dtype
        self.ge = network.threshold == "ge"
        self.alphabet = alphabet
        self.drive = [self.W[:, :n] @ np.array(x, dtype=dtype) + self.W[:, -1] for x in alphabet]  # W_x x + b per symbol
        self.floats = not big and max(sum(abs(v) for v in row) for row, _ in hidden) < 2**52
        if self.floats:
            self.W_hh_float = self.W[:, n : n + k].astype(np.float64)
        self.moves: dict[Bits, list[tuple[Bits, Bits]]] = {}
        self.hidden_least: dict[Bits, np.ndarray] = {}  # per state read: smallest |z| per unit over the symbols
        self.output_least: dict[Bits, np.ndarray] = {}  # per state written: |z| per output
        self.outputs: dict[Bits, Bits] = {}
        self.hidden_tight: dict[Bits, list[TightSpot]] = {}
        self.output_tight: dict[Bits, list[TightSpot]] = {}

    def _fire(self, z):
        return (z >= 0) if self.ge else (z > 0)

    def compute(self, states: list[Bits]) -> None:
        fresh = list(dict.fromkeys(h for h in states if h not in self.moves))
        if not fresh:
            return
        if len(fresh) * self.k < _VECTOR_FROM:
            self._compute_one_by_one(fresh)
            return
        H = np.array(fresh, dtype=self.dtype).reshape(len(fresh), self.k).T  # k x m
        if self.floats:  # every sum below 2**52: float64 products (BLAS) are exact, then back to ints
            recurrent = (self.W_hh_float @ H.astype(np.float64)).astype(np.int64)
        else:
            recurrent = self.W[:, self.n : self.n + self.k] @ H  # W_hh h, shared by every symbol
        least = None
        nexts = []
        for s, drive in enumerate(self.drive):
            z = recurrent + drive[:, None]
            size = np.abs(z)
            least = size if least is None else np.minimum(least, size)
            if not size.all():
                for j, i in zip(*np.nonzero(size == 0)):
                    self.hidden_tight.setdefault(fresh[i], []).append(TightSpot(f"h{j + 1}", fresh[i], tuple(self.alphabet[s])))
            nexts.append(list(map(tuple, self._fire(z).T.astype(np.int64).tolist())))
        for i, h in enumerate(fresh):
            self.hidden_least[h] = least[:, i]
        self._outputs({h for column in nexts for h in column})
        for i, h in enumerate(fresh):
            self.moves[h] = [(column[i], self.outputs[column[i]]) for column in nexts]

    def _compute_one_by_one(self, fresh: list[Bits]) -> None:
        """The same, in plain Python ints: for a few small states numpy's per-call cost dominates."""
        W = self.W.tolist()
        n, k = self.n, self.k
        drives = [d.tolist() for d in self.drive]
        nexts_all = set()
        for h in fresh:
            recurrent = [sum(w for w, bit in zip(row[n : n + k], h) if bit) for row in W]
            least = None
            column = []
            for s, drive in enumerate(drives):
                z = [r + d for r, d in zip(recurrent, drive)]
                size = [abs(v) for v in z]
                least = size if least is None else [min(a, b) for a, b in zip(least, size)]
                if 0 in size:
                    self.hidden_tight.setdefault(h, []).extend(
                        TightSpot(f"h{j + 1}", h, tuple(self.alphabet[s])) for j, v in enumerate(size) if v == 0)
                column.append(tuple(int(v >= 0) if self.ge else int(v > 0) for v in z))
            self.hidden_least[h] = np.array(least, dtype=self.dtype)
            self.moves[h] = column  # outputs filled below
            nexts_all.update(column)
        self._outputs(nexts_all)
        for h in fresh:
            self.moves[h] = [(nxt, self.outputs[nxt]) for nxt in self.moves[h]]

    def _outputs(self, states) -> None:
        fresh = [h for h in states if h not in self.outputs]
        if not fresh:
            return
        if len(fresh) * self.k < _VECTOR_FROM:
            rows = self.Wy.tolist()
            for h in fresh:
                z = [row[-1] + sum(w for w, bit in zip(row[:-1], h) if bit) for row in rows]
                self.outputs[h] = tuple(int(v >= 0) if self.ge else int(v > 0) for v in z)
                self.output_least[h] = np.array([abs(v) for v in z], dtype=self.dtype)
                if 0 in z:
                    self.output_tight.setdefault(h, []).extend(TightSpot(f"y{j + 1}", h, None) for j, v in enumerate(z) if v == 0)
            return
        H = np.array(fresh, dtype=self.dtype).reshape(len(fresh), self.k).T
        z = self.Wy[:, :-1] @ H + self.Wy[:, -1][:, None]  # m x count
        size = np.abs(z)
        y = self._fire(z).T.astype(np.int64).tolist()
        for i, h in enumerate(fresh):
            self.outputs[h] = tuple(y[i])
            self.output_least[h] = size[:, i]
        if not size.all():
            for j, i in zip(*np.nonzero(size == 0)):
                self.output_tight.setdefault(fresh[i], []).append(TightSpot(f"y{j + 1}", fresh[i], None))

    def margin(self, table: dict, complete: bool) -> tuple[Fraction, tuple[TightSpot, ...]]:
        """The smallest |pre-activation| over the searched transitions (rows of ``table``), exactly.
        A complete search searched every state it stepped from, and wrote every state it computed."""
        if complete:
            read, written = list(self.moves), list(self.outputs)
        else:
            read = list(dict.fromkeys(h for h, _ in table))
            written = list(dict.fromkeys(nxt[0] for row in table.values() for nxt, _ in row.values()))
        sizes = []
        for states, least, scales in ((read, self.hidden_least, self.hidden_scales), (written, self.output_least, self.output_scales)):
            if states:
                smallest = least[states[0]] if len(states) == 1 else np.stack([least[h] for h in states]).min(axis=0)
                sizes += [Fraction(int(size), scale) for size, scale in zip(smallest, scales)]
        tight = [spot for h in read for spot in self.hidden_tight.get(h, ())]
        tight += [spot for h in written for spot in self.output_tight.get(h, ())]
        return (min(sizes) if sizes else Fraction(0)), tuple(tight)


class _IntegerNetwork:
    """One transition at a time (kept as the tests' independent check of ``_Steps``):
    ``ThresholdRNN.transition`` in integers: each unit's weights scaled by a positive common
    denominator, so that every pre-activation is an int with the sign (hence the step) of the
    exact one. No ``Fraction`` is built per transition: the margin is kept per unit as the
    smallest |integer| seen and divided by the unit's scale once at the end."""

    def __init__(self, network: ThresholdRNN):
        self.ge = network.threshold == "ge"
        self.inputs = network.inputs
        hidden = [_scaled([*wx, *wh, b]) for wx, wh, b in zip(network.W_xh, network.W_hh, network.b_h)]
        output = [_scaled([*wy, b]) for wy, b in zip(network.W_hy, network.b_y)]
        self.hidden_scales = [scale for _, scale in hidden]
        self.output_scales = [scale for _, scale in output]
        k, n = len(hidden), self.inputs
        self.bias = [row[-1] for row, _ in hidden]
        self.x_columns = [[row[i] for row, _ in hidden] for i in range(n)]  # column i: input i into every unit
        self.h_columns = [[row[n + j] for row, _ in hidden] for j in range(k)]  # column j: unit j into every unit
        self.output_rows = [(row[:-1], row[-1]) for row, _ in output]
        self.hidden_least: list[float | int] = [math.inf] * k  # ints once a transition is seen
        self.output_least: list[int | None] = [None] * len(output)
        self.tight: list[TightSpot] = []
        self.seen_outputs: dict[Bits, Bits] = {}
        self.recurrent: dict[Bits, list[int]] = {}

    def transition(self, h_prev: Bits, x: Symbol) -> tuple[Bits, Bits]:
        """(h, y) after reading ``x`` in state ``h_prev``; margins and tight spots noted on the way."""
        z = self.recurrent.get(h_prev)
        if z is None:  # b_h + W_hh h_prev, shared by every input symbol read in state h_prev
            z = list(self.bias)
            for hi, column in zip(h_prev, self.h_columns):
                if hi:
                    z = [a + b for a, b in zip(z, column)]
            self.recurrent[h_prev] = z
        for xi, column in zip(x, self.x_columns):
            if xi:
                z = [a + b * xi for a, b in zip(z, column)]
        self.hidden_least = [size if size < low else low for size, low in zip(map(abs, z), self.hidden_least)]
        if 0 in z:
            self.tight.extend(TightSpot(f"h{j + 1}", h_prev, tuple(x)) for j, zj in enumerate(z) if zj == 0)
        h = tuple([int(zj >= 0) for zj in z]) if self.ge else tuple([int(zj > 0) for zj in z])
        y = self.seen_outputs.get(h)
        if y is None:
            y = self.seen_outputs[h] = self._output(h)
        return h, y

    def _output(self, h: Bits) -> Bits:
        y = []
        for j, (row, bias) in enumerate(self.output_rows):
            zj = bias + sum(w for w, hi in zip(row, h) if hi)
            size = -zj if zj < 0 else zj
            if self.output_least[j] is None or size < self.output_least[j]:
                self.output_least[j] = size
            if zj == 0:
                self.tight.append(TightSpot(f"y{j + 1}", h, None))
            y.append(int(zj >= 0) if self.ge else int(zj > 0))
        return tuple(y)

    def margin(self) -> tuple[Fraction, tuple[TightSpot, ...]]:
        sizes = [Fraction(least, scale) for least, scale in zip(self.hidden_least, self.hidden_scales) if least != math.inf]
        sizes += [Fraction(least, scale) for least, scale in zip(self.output_least, self.output_scales) if least is not None]
        return (min(sizes) if sizes else Fraction(0)), tuple(self.tight)


def _scaled(row: list[Fraction]) -> tuple[list[int], int]:
    scale = math.lcm(*(v.denominator for v in row))
    return [v.numerator * (scale // v.denominator) for v in row], scale


def run_with_reference(network: ThresholdRNN, word: Sequence[Symbol], machine: MealyMachine | None = None):
    """The network's run over ``word`` next to the reference outputs: (steps, expected outputs)."""
    machine = as_task(machine)
    run = network.run(word)
    q = machine.initial
    expected = []
    for x in word:
        q, out = machine.transition(q, x)
        expected.append(out)
    return run, tuple(expected)
