"""Enumerate every valid addition input up to a length, in vectorised numpy: the proof's independent check.

Nothing here uses the reference automaton, the proof's breadth-first search or its exact
``Fraction`` arithmetic: each unit's weights are scaled to integers (a positive common denominator
per unit keeps every sign), the network's step is evaluated in integer numpy (for every one of the
2**k hidden codes at once when k is small, then gathered), and its outputs are compared with the
bits of ``a + b`` computed by integer addition of the operands.

All valid inputs of every length share prefixes: a length-n input is one of the 4**(n-1) words
of length n-1, then (0, 0). So the enumeration walks the tree of prefixes one level at a time and,
at level t, scores every length-(t+1) input with one extra step. Levels wider than ``chunk``
are split and walked depth-first, so memory stays bounded whatever the length (the chunk
shrinks as the number of units grows, since each step holds one row per unit).

Above ``table_units`` hidden units every step costs about k*k integer operations per input,
so a 40-unit design at length 12 would take minutes: the enumeration then stops at the longest
length within ``max_work`` and says so (``Enumeration.requested_len``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from handnets.threshold.network import ThresholdRNN

__all__ = ["LengthCount", "Enumeration", "enumerate_adder", "MAX_ENUMERATION_LENGTH", "MAX_WORK"]

MAX_ENUMERATION_LENGTH = 24  # 4**23 inputs already takes hours; codes must fit in int64
MAX_WORK = 1 << 27  # integer operations an enumeration of a large design may spend: a few seconds
_ALPHABET = ((0, 0), (1, 0), (0, 1), (1, 1))  # symbol index = a + 2b


@dataclass(frozen=True, slots=True)
class LengthCount:
    length: int
    pairs: int
    failures: int
    first_failure: tuple[int, int] | None  # (a, b) of the failing pair with the smallest code


@dataclass(frozen=True, slots=True)
class Enumeration:
    """Outputs of every valid pair of lengths 1..max_len compared with a + b."""

    max_len: int
    lengths: tuple[LengthCount, ...]
    requested_len: int | None = None  # the length asked for, when the work bound stopped short of it

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


class _Network:
    """The network on integer arrays. A hidden state is a packed code: bit j is unit j + 1.

    Per unit, the coefficients on (a, b, h_1..h_k) and the bias are scaled to integers. For up to
    ``table_units`` hidden units, every state's successor under each input symbol, and every
    state's output, are computed once for all 2**k codes (vectorised over the codes), and the
    walk over inputs gathers from those tables; above that, each step is computed row by row.
    """

    def __init__(self, net: ThresholdRNN, table_units: int):
        if net.inputs != 2 or net.outputs != 1:
            raise ValueError(f"addition needs 2 inputs and 1 output, the network has {net.inputs} and {net.outputs}")
        k = net.hidden_units
        hidden, fits_h = _integer_rows([[*wx, *wh, b] for wx, wh, b in zip(net.W_xh, net.W_hh, net.b_h)])
        output, fits_y = _integer_rows([[*net.W_hy[0], net.b_y[0]]])
        self.k = k
        self.dtype = np.int64 if fits_h and fits_y else object
        self.W_x = hidden[:, :2]
        self.W_h = hidden[:, 2 : 2 + k]
        self.b_h = hidden[:, -1]
        self.W_y = output[0, :k]
        self.b_y = output[0, -1]
        self.ge = net.threshold == "ge"
        self.h0 = sum(int(bit) << j for j, bit in enumerate(net.h0))
        self.shifts = np.arange(k, dtype=np.uint64)
        self.tables = None
        if k <= table_units:
            codes = np.arange(2**k, dtype=np.uint64)
            successors = np.stack([self._next_direct(codes, a, b) for a, b in _ALPHABET]).astype(np.uint32)
            self.tables = (successors, self._output_direct(codes))

    def _fire(self, pre: np.ndarray) -> np.ndarray:
        return (pre >= 0) if self.ge else (pre > 0)

    def _unpack(self, codes: np.ndarray) -> np.ndarray:
        bits = (codes.astype(np.uint64)[None, :] >> self.shifts[:, None]) & np.uint64(1)
        return bits.astype(np.int64) if self.dtype is np.int64 else bits.astype(object)

    def _next_direct(self, codes: np.ndarray, a: int, b: int) -> np.ndarray:
        pre = np.dot(self.W_h, self._unpack(codes)) + (self.W_x[:, 0] * a + self.W_x[:, 1] * b + self.b_h)[:, None]
        fired = self._fire(pre).astype(np.uint64)
        return (fired << self.shifts[:, None]).sum(axis=0, dtype=np.uint64)

    def _output_direct(self, codes: np.ndarray) -> np.ndarray:
        return self._fire(np.dot(self.W_y, self._unpack(codes)) + self.b_y).astype(bool)

    def successors(self, codes: np.ndarray, symbol: int) -> np.ndarray:
        if self.tables is not None:
            return self.tables[0][symbol][codes]
        return self._next_direct(codes, *_ALPHABET[symbol])

    def output(self, codes: np.ndarray) -> np.ndarray:
        if self.tables is not None:
            return self.tables[1][codes]
        return self._output_direct(codes)


def enumerate_adder(
    net: ThresholdRNN,
    max_len: int = 12,
    *,
    chunk: int = 1 << 20,
    table_units: int = 16,
    max_work: int = MAX_WORK,
    progress: Callable[[int, int], None] | None = None,
) -> Enumeration:
    """Run the network on every valid pair of every length 1..max_len and count wrong outputs.

    ``progress(done, total)`` is called with the number of pairs scored so far.

    >>> from handnets.threshold.designs import classic_adder
    >>> enumerate_adder(classic_adder(), 6).failures
    0
    """
    if not 1 <= max_len <= MAX_ENUMERATION_LENGTH:
        raise ValueError(f"max_len must be between 1 and {MAX_ENUMERATION_LENGTH}, got {max_len}")
    if chunk < 4:
        raise ValueError("chunk must be at least 4")
    network = _Network(net, table_units)
    requested = max_len
    if network.tables is None:  # each input costs about k*k operations (a Python int each when object dtype)
        per_pair = network.k * network.k * (1 if network.dtype is np.int64 else 50)
        while max_len > 1 and per_pair * sum(4 ** (n - 1) for n in range(1, max_len + 1)) > max_work:
            max_len -= 1
        chunk = max(4, chunk // max(1, network.k // 4))
    failures = [0] * (max_len + 1)
    first: list[int | None] = [None] * (max_len + 1)
    total = sum(4 ** (n - 1) for n in range(1, max_len + 1))
    done = 0

    def score(state: np.ndarray, S: np.ndarray, ok: np.ndarray, word: np.ndarray, t: int) -> None:
        """Score the inputs of length t + 1: these prefixes of length t, then (0, 0)."""
        nonlocal done
        y = network.output(network.successors(state, 0))
        wrong = ~(ok & (y == ((S >> t) & 1).astype(bool)))
        n = t + 1
        count = int(np.count_nonzero(wrong))
        if count:
            failures[n] += count
            smallest = int(word[wrong].min())
            first[n] = smallest if first[n] is None else min(first[n], smallest)
        done += len(S)
        if progress is not None:
            progress(done, total)

    def walk(state: np.ndarray, S: np.ndarray, ok: np.ndarray, word: np.ndarray, t: int) -> None:
        score(state, S, ok, word, t)
        if t + 1 < max_len:
            expand(state, S, ok, word, t)

    def expand(state: np.ndarray, S: np.ndarray, ok: np.ndarray, word: np.ndarray, t: int) -> None:
        """Walk the children (prefixes of length t + 1) of these prefixes of length t."""
        if 4 * len(S) > chunk and len(S) > 1:
            half = len(S) // 2  # too wide to expand at once: split and go depth-first
            expand(state[:half], S[:half], ok[:half], word[:half], t)
            expand(state[half:], S[half:], ok[half:], word[half:], t)
            return
        children = []
        for index, (a, b) in enumerate(_ALPHABET):
            state_next = network.successors(state, index)
            S_next = S + ((a + b) << t)
            y = network.output(state_next)
            ok_next = ok & (y == ((S_next >> t) & 1).astype(bool))
            children.append((state_next, S_next, ok_next, word + index * 4**t))
        walk(*(np.concatenate([c[i] for c in children]) for i in range(4)), t + 1)

    walk(np.full(1, network.h0, dtype=np.uint32 if network.tables is not None else np.uint64), np.zeros(1, dtype=np.int64), np.ones(1, dtype=bool), np.zeros(1, dtype=np.int64), 0)
    return Enumeration(
        max_len=max_len,
        lengths=tuple(
            LengthCount(length=n, pairs=4 ** (n - 1), failures=failures[n], first_failure=_decode(first[n], n))
            for n in range(1, max_len + 1)
        ),
        requested_len=requested if requested != max_len else None,
    )


def _decode(word: int | None, n: int) -> tuple[int, int] | None:
    """A prefix word holds symbol t (a_t + 2 b_t) in base-4 digit t."""
    if word is None:
        return None
    a = b = 0
    for t in range(n):
        symbol = (word >> (2 * t)) & 3
        a |= (symbol & 1) << t
        b |= (symbol >> 1) << t
    return a, b
