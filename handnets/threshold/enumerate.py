"""Enumerate every valid input of a task up to a length, in vectorised numpy: the proof's independent check.

Nothing here uses the proof's breadth-first search, its product automaton or its exact
``Fraction`` arithmetic. Each unit's weights are scaled to integers (a positive common denominator
per unit keeps every sign) and the network's step runs in integer numpy on packed hidden codes
(bit j of a code is unit j + 1). The expected outputs come from the task's direct definition in
integer arithmetic (bit t of a + b, of a - b, of 3a, ...), or, for a task file, which has no other
definition, from its table run in numpy.

The hidden codes the network reaches from h0 are found first, by a closure computed in numpy
(at most ``table_states`` of them); the walk over inputs then only gathers from a table of
successor indices, so its cost per input is a few array reads whatever the number of units, and
its memory is that table plus one level of inputs. A design reaching more codes is stepped
directly (about k*k operations per input), and its enumeration stops at the longest length
within ``max_work`` operations and says so (``Enumeration.requested_len``).

All valid inputs share prefixes: a valid word of length n is a word of length n - p followed by
p padding symbols (p = 0 when every word is valid). The walk goes through the tree of prefixes one
level at a time and scores the words of length t + p at level t. Levels wider than ``chunk`` are
split and walked depth-first, so memory stays bounded whatever the length.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from handnets.threshold.network import ThresholdRNN
from handnets.threshold.tasks import Task, as_task

__all__ = ["LengthCount", "Enumeration", "enumerate_task", "enumerate_adder", "reachable_codes",
           "MAX_ENUMERATION_LENGTH", "MAX_WORK", "TABLE_STATES"]

MAX_ENUMERATION_LENGTH = 24  # 4**23 inputs already takes hours; operands must fit in int64
MAX_WORK = 1 << 27  # integer operations an enumeration of a large design may spend: a few seconds
TABLE_STATES = 1 << 16  # reachable hidden codes kept in a table; more and the network is stepped directly
_STEP_CELLS = 1 << 22  # units x codes evaluated at once in a direct step: memory stays bounded


@dataclass(frozen=True, slots=True)
class LengthCount:
    length: int
    pairs: int  # valid inputs of this length
    failures: int
    first_failure: tuple[int, ...] | None  # operands of the failing input with the smallest word


@dataclass(frozen=True, slots=True)
class Enumeration:
    """Outputs of every valid input of lengths 1..max_len compared with the task's definition."""

    max_len: int
    lengths: tuple[LengthCount, ...]
    requested_len: int | None = None  # the length asked for, when the work bound stopped short of it
    method: str = "table"  # "table": gathered from the reachable codes; "direct": stepped per input

    @property
    def truncated(self) -> bool:
        return self.requested_len is not None and self.requested_len > self.max_len

    @property
    def pairs(self) -> int:
        return sum(c.pairs for c in self.lengths)

    @property
    def failures(self) -> int:
        return sum(c.failures for c in self.lengths)

    @property
    def shortest_failure(self) -> LengthCount | None:
        return next((c for c in self.lengths if c.failures), None)


def _integer_rows(rows: list[list[Fraction]]) -> tuple[np.ndarray, bool]:
    """Scale each row (one unit's coefficients, bias last) by the lcm of its denominators."""
    scaled = []
    for row in rows:
        lcm = math.lcm(*(v.denominator for v in row))
        scaled.append([int(v * lcm) for v in row])
    bound = max(sum(abs(v) for v in row) for row in scaled)
    fits = bound < 2**62
    return np.array(scaled, dtype=np.int64 if fits else object), fits


class _Codes:
    """The network on packed integer codes: ``step(codes, x)`` and ``output(codes)``, vectorised."""

    def __init__(self, net: ThresholdRNN):
        k, n = net.hidden_units, net.inputs
        hidden, fits_h = _integer_rows([[*wx, *wh, b] for wx, wh, b in zip(net.W_xh, net.W_hh, net.b_h)])
        output, fits_y = _integer_rows([[*wy, b] for wy, b in zip(net.W_hy, net.b_y)])
        self.k, self.outputs = k, net.outputs
        self.dtype = np.int64 if fits_h and fits_y else object
        self.W_x, self.W_h, self.b_h = hidden[:, :n], hidden[:, n : n + k], hidden[:, -1]
        self.W_y, self.b_y = output[:, :k], output[:, -1]
        self.ge = net.threshold == "ge"
        self.h0 = sum(int(bit) << j for j, bit in enumerate(net.h0))
        self.shifts = np.arange(k, dtype=np.uint64)
        self.out_shifts = np.arange(self.outputs, dtype=np.int64)
        # below 2**52 every sum is an integer a float64 holds exactly, so BLAS may do the products
        self.floats = self.dtype is np.int64 and int(np.abs(hidden).sum(axis=1).max()) < 2**52
        if self.floats:
            self.W_h_float = self.W_h.astype(np.float64)

    def _fire(self, pre: np.ndarray) -> np.ndarray:
        return (pre >= 0) if self.ge else (pre > 0)

    def _unpack(self, codes: np.ndarray) -> np.ndarray:
        bits = (codes.astype(np.uint64)[None, :] >> self.shifts[:, None]) & np.uint64(1)
        return bits.astype(np.int64) if self.dtype is np.int64 else bits.astype(object)

    def _pack(self, fired: np.ndarray) -> np.ndarray:
        return (fired.astype(np.uint64) << self.shifts[:, None]).sum(axis=0, dtype=np.uint64)

    def step(self, codes: np.ndarray, x: tuple[int, ...]) -> np.ndarray:
        per = max(1, _STEP_CELLS // self.k)
        if len(codes) > per:
            return np.concatenate([self.step(codes[i : i + per], x) for i in range(0, len(codes), per)])
        drive = self.b_h + sum((self.W_x[:, i] * xi for i, xi in enumerate(x) if xi), np.zeros(self.k, dtype=self.W_x.dtype))
        if self.floats:
            bits = ((codes.astype(np.uint64)[None, :] >> self.shifts[:, None]) & np.uint64(1)).astype(np.float64)
            return self._pack(self._fire(self.W_h_float @ bits + drive.astype(np.float64)[:, None]))
        return self._pack(self._fire(np.dot(self.W_h, self._unpack(codes)) + drive[:, None]))

    def output(self, codes: np.ndarray) -> np.ndarray:
        """Each code's output bits, packed: bit j is output j + 1."""
        fired = self._fire(np.dot(self.W_y, self._unpack(codes)) + self.b_y[:, None]).astype(np.int64)
        return (fired << self.out_shifts[:, None]).sum(axis=0)


def reachable_codes(net: ThresholdRNN, alphabet, limit: int = TABLE_STATES):
    """The hidden codes reachable from h0 and their successor table, or None beyond ``limit`` codes.

    Returns (codes, successors, outputs, start): ``successors[s, i]`` is the index of the code that
    code i steps to on symbol s, ``outputs[i]`` code i's packed output bits.
    """
    network = _Codes(net)
    index = {network.h0: 0}
    codes = [network.h0]
    frontier = np.array([network.h0], dtype=np.uint64)
    stepped = []  # (codes, their successors per symbol), depth by depth: each code is stepped once
    while len(frontier):
        fresh = []
        nexts = [network.step(frontier, x) for x in alphabet]
        stepped.append((frontier, nexts))
        for nxt in nexts:
            for code in set(nxt.tolist()):  # not np.unique: it imports numpy.ma
                if code not in index:
                    if len(index) >= limit:
                        return None
                    index[code] = len(codes)
                    codes.append(code)
                    fresh.append(code)
        frontier = np.array(fresh, dtype=np.uint64)
    packed = np.array(codes, dtype=np.uint64)
    order = np.argsort(packed)
    ordered = packed[order]
    successors = np.empty((len(alphabet), len(codes)), dtype=np.int32)
    for batch, nexts in stepped:  # codes -> indices by binary search in the sorted codes
        rows = order[np.searchsorted(ordered, batch)]
        for s, nxt in enumerate(nexts):
            successors[s, rows] = order[np.searchsorted(ordered, nxt)]
    return packed, successors, network.output(packed), 0


class _Reference:
    """The task's Mealy machine and validity automaton as one indexed table: pair r = q * V + v."""

    def __init__(self, task: Task):
        states, valid = list(task.table), list(task.validity)
        number, vnumber = {q: i for i, q in enumerate(states)}, {v: i for i, v in enumerate(valid)}
        V = len(valid)
        self.size = len(states) * V
        self.start = number[task.initial] * V + vnumber[task.valid_start]
        A = len(task.alphabet)
        self.succ = np.zeros((A, self.size), dtype=np.int32)
        self.out = np.zeros((A, self.size), dtype=np.int64)
        self.accepting = np.zeros(self.size, dtype=bool)
        for q in states:
            for v in valid:
                r = number[q] * V + vnumber[v]
                self.accepting[r] = v in task.accepting
                for s, x in enumerate(task.alphabet):
                    nxt, y = task.table[q][x]
                    self.succ[s, r] = number[nxt] * V + vnumber[task.validity[v][x]]
                    self.out[s, r] = _pack_bits(y)


def _pack_bits(bits) -> int:
    return sum(int(b) << j for j, b in enumerate(bits))


class _TableWalk:
    """Product of the reachable hidden codes with the reference, and a flag "an output was wrong":
    index j = 2 * (code index * P + reference pair) + wrong, one row per index, one column per symbol.
    A read is one ``np.take`` of whole rows; nothing else is carried per word."""

    def __init__(self, table, reference: _Reference, task: Task):
        _, successors, outputs, start = table
        R, P = successors.shape[1], reference.size
        A = len(task.alphabet)
        nxt = (successors[:, :, None] * P + reference.succ[:, None, :]).reshape(A, R * P).T
        wrong = (outputs[successors][:, :, None] != reference.out[:, None, :]).reshape(A, R * P).T
        self.next = np.empty((2 * R * P, A), dtype=np.int32)
        self.next[0::2] = 2 * nxt + wrong  # still right so far: wrong iff this output is
        self.next[1::2] = 2 * nxt + 1  # already wrong: stays wrong
        self.by_symbol = [np.ascontiguousarray(self.next[:, s]) for s in range(A)]
        self.accepting = np.repeat(np.tile(reference.accepting, R), 2)
        self.start = (np.full(1, 2 * (start * P + reference.start), dtype=np.int32),)
        self.inputs = task.inputs

    def read(self, state, symbols, t):
        """Children prefix-major: child c = prefix * len(symbols) + the symbol's position."""
        (j,) = state
        if len(symbols) == self.next.shape[1]:  # np.take of whole rows: many times faster than fancy indexing
            return (np.take(self.next, j, axis=0).reshape(-1),)
        return (np.take(self.by_symbol[int(symbols[0])], j),)

    def count(self, state, n):
        """(valid words, wrong valid words, the smallest wrong word's code or None) among these."""
        (j,) = state
        valid = np.take(self.accepting, j)
        return int(np.count_nonzero(valid)), int(np.count_nonzero(valid & (j & 1).astype(bool))), None

    def smallest_wrong(self, n: int) -> int:
        """The smallest code (last symbol most significant) of a wrong valid word of length n, found
        greedily from the last symbol back over the sets of indices reachable after each step."""
        reach = [self.start[0]]
        for _ in range(n):
            reach.append(_distinct(np.take(self.next, reach[-1], axis=0).reshape(-1)))
        goal = reach[n][self.accepting[reach[n]] & (reach[n] & 1).astype(bool)]
        code = 0
        for t in range(n - 1, -1, -1):
            rows = np.take(self.next, reach[t], axis=0)
            for s in range(rows.shape[1]):
                hit = np.isin(rows[:, s], goal)
                if hit.any():
                    code |= s << (t * self.inputs)
                    goal = reach[t][hit]
                    break
        return code


def _distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values (``np.unique`` without its import of numpy.ma)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


class _DirectWalk:
    """The network stepped on its codes (too many reachable to tabulate), the reference on its own
    table; each word carries its all-right flag and its code."""

    def __init__(self, network: _Codes, reference: _Reference, task: Task):
        self.network, self.reference, self.alphabet, self.inputs = network, reference, task.alphabet, task.inputs
        self.start = (np.full(1, network.h0, dtype=np.uint64), np.full(1, reference.start, dtype=np.int32),
                      np.ones(1, dtype=bool), np.zeros(1, dtype=np.int64))

    def read(self, state, symbols, t):
        """Children prefix-major, as ``_TableWalk.read``."""
        codes, r, ok, word = state
        codes = np.stack([self.network.step(codes, self.alphabet[s]) for s in symbols], axis=1).reshape(-1)
        good = self.network.output(codes) == self.reference.out[symbols][:, r].T.reshape(-1)
        ok = (ok[:, None] & good.reshape(-1, len(symbols))).reshape(-1)
        word = (word[:, None] + (symbols.astype(np.int64) << (t * self.inputs))[None, :]).reshape(-1)
        return codes, self.reference.succ[symbols][:, r].T.reshape(-1), ok, word

    def count(self, state, n):
        _, r, ok, word = state
        valid = self.reference.accepting[r]
        wrong = valid & ~ok
        count = int(np.count_nonzero(wrong))
        return int(np.count_nonzero(valid)), count, int(word[wrong].min()) if count else None


def enumerate_task(
    net: ThresholdRNN,
    task: Task | None = None,
    max_len: int = 12,
    *,
    chunk: int = 1 << 20,
    table_states: int = TABLE_STATES,
    max_work: int = MAX_WORK,
    progress: Callable[[int, int], None] | None = None,
) -> Enumeration:
    """Run the network on every valid input of every length 1..max_len and count wrong outputs.

    ``progress(done, total)`` is called with the number of prefixes walked so far.

    >>> from handnets.threshold.designs import classic_adder
    >>> enumerate_task(classic_adder(), None, 6).failures
    0
    """
    task = as_task(task)
    if not 1 <= max_len <= MAX_ENUMERATION_LENGTH:
        raise ValueError(f"max_len must be between 1 and {MAX_ENUMERATION_LENGTH}, got {max_len}")
    if chunk < 4:
        raise ValueError("chunk must be at least 4")
    if net.inputs != task.inputs or net.outputs != task.outputs:
        raise ValueError(f"{task.name} needs {task.inputs} inputs and {task.outputs} output(s), "
                         f"the network has {net.inputs} and {net.outputs}")
    alphabet = task.alphabet
    A, p = len(alphabet), task.padding_steps
    requested = max_len
    while max_len > 1 and max_len * task.inputs > 62:
        max_len -= 1  # a word's code must fit in int64 (and such enumerations would never end anyway)
    table = reachable_codes(net, alphabet, table_states) if table_states > 0 else None
    network = _Codes(net)
    reference = _Reference(task)
    if table is not None:
        walker = _TableWalk(table, reference, task)
    else:  # each input costs about k*k operations (a Python int each when object dtype)
        walker = _DirectWalk(network, reference, task)
        per_word = network.k * network.k * (1 if network.dtype is np.int64 else 50)
        while max_len > 1 and per_word * A * sum(A**t for t in range(max_len - max(p, 1) + 1)) > max_work:
            max_len -= 1
        chunk = max(4, chunk // max(1, network.k // 4))
    pad = np.array([alphabet.index(task.padding)] if p else [], dtype=np.intp)
    every = np.arange(A)
    failures = [0] * (max_len + 1)
    valid_counts = [0] * (max_len + 1)
    first: list[int | None] = [None] * (max_len + 1)
    total = sum(A**t for t in range(0, max_len - p + 1))
    done = 0

    def score(state, t):
        """Score the words of length t + p: these prefixes of length t, then p padding steps."""
        nonlocal done
        n = t + p
        if n >= 1:
            for j in range(p):
                state = walker.read(state, pad, t + j)
            valid, wrong, smallest = walker.count(state, n)
            valid_counts[n] += valid
            failures[n] += wrong
            if smallest is not None:
                first[n] = smallest if first[n] is None else min(first[n], smallest)
        done += len(state[0])
        if progress is not None:
            progress(done, total)

    def walk(state, t):
        if t + p <= max_len:
            score(state, t)
        if t + 1 + p <= max_len:
            expand(state, t)

    def expand(state, t):
        """Walk the children (prefixes of length t + 1) of these prefixes of length t."""
        width = len(state[0])
        if A * width > chunk and width > 1:
            half = width // 2  # too wide to expand at once: split and go depth-first
            expand(tuple(part[:half] for part in state), t)
            expand(tuple(part[half:] for part in state), t)
            return
        walk(walker.read(state, every, t), t + 1)

    walk(walker.start, 0)
    if table is not None:
        first = [walker.smallest_wrong(n) if failures[n] else None for n in range(max_len + 1)]
    return Enumeration(
        max_len=max_len,
        lengths=tuple(
            LengthCount(length=n, pairs=valid_counts[n], failures=failures[n], first_failure=_operands(first[n], n, task.inputs))
            for n in range(1, max_len + 1)
        ),
        requested_len=requested if requested != max_len else None,
        method="table" if table is not None else "direct",
    )


def _operands(word: int | None, n: int, inputs: int) -> tuple[int, ...] | None:
    """A word's code holds symbol t (sum of x_i << i) in base-2**inputs digit t."""
    if word is None:
        return None
    return tuple(sum(((word >> (t * inputs + i)) & 1) << t for t in range(n)) for i in range(inputs))


def enumerate_adder(net: ThresholdRNN, max_len: int = 12, **options) -> Enumeration:
    """``enumerate_task`` for addition.

    >>> from handnets.threshold.designs import classic_adder
    >>> enumerate_adder(classic_adder(), 6).failures
    0
    """
    return enumerate_task(net, None, max_len, **options)


def check_definition(task: Task, max_len: int = 8) -> tuple[int, int]:
    """The task's table against its direct definition (integer arithmetic) on every word of lengths 1..max_len.

    Returns (words compared, words whose outputs differ); (0, 0) for a task without a definition.

    >>> from handnets.threshold.tasks import builtin_task
    >>> check_definition(builtin_task("times3"), 6)
    (126, 0)
    """
    if task.expected_bit is None:
        return 0, 0
    reference = _Reference(task)
    alphabet = np.array(task.alphabet, dtype=np.int64)  # alphabet[s, i]: input i of symbol s
    A = len(task.alphabet)
    compared = differ = 0
    for n in range(1, max_len + 1):
        symbols = (np.arange(A**n, dtype=np.int64)[:, None] // (A ** np.arange(n, dtype=np.int64))[None, :]) % A
        operands = [np.zeros(A**n, dtype=np.int64) for _ in range(task.inputs)]
        r = np.full(A**n, reference.start, dtype=np.int64)
        wrong = np.zeros(A**n, dtype=bool)
        for t in range(n):
            s = symbols[:, t]
            operands = [op + (alphabet[s, i] << t) for i, op in enumerate(operands)]
            bits = task.expected_bit(operands, t)
            expected = sum((np.asarray(b, dtype=np.int64) << j for j, b in enumerate(bits)), np.zeros(1, dtype=np.int64))
            wrong |= reference.out[s, r] != expected
            r = reference.succ[s, r]
        compared += A**n
        differ += int(np.count_nonzero(wrong))
    return compared, differ
