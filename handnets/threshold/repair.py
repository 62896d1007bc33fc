"""Repair a wrong design with the fewest single-parameter edits, and prove the repaired design.

An edit sets one weight or bias to a value from a small set around the design's own scale:
multiples of 1/2 with |value| <= (largest |parameter|, at least 1) + 1. One edit is tried before
two, two before three. Candidates are pruned in two ways before any proof:

- by the proof's reachable states: a unit that fires in no reachable hidden state is never read,
  so an edit of the weights that read it (its column of W_hh and W_hy) changes nothing unless
  another edit wakes it up; such edits are only tried alongside one that is not of that kind;
- by counterexamples: every candidate is first run, all at once in integer numpy, on the words
  the proof has found wrong so far (the original design's shortest counterexample first). Only
  candidates right on all of them are proved, in order of the smallest total change; a proof that
  fails adds its own shortest counterexample to the words.

A repair is returned only with its exact proof (``prove``) for every length, preferring a margin
above 0 (so that it holds under both step conventions).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from handnets.errors import InvalidRequest
from handnets.threshold.network import ThresholdRNN
from handnets.threshold.prove import Proof, prove
from handnets.threshold.tasks import Task, as_task

__all__ = ["Edit", "Repair", "repair", "candidate_count", "MAX_EDITS"]

MAX_EDITS = 3
_BATCH = 1 << 15  # candidates simulated at once
_PARAMS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


@dataclass(frozen=True, slots=True)
class Edit:
    """One parameter set to a new value; ``index`` is 0-based, as in the weights file's lists."""

    param: str
    index: tuple[int, ...]
    before: Fraction
    after: Fraction

    def __str__(self) -> str:
        from handnets.exact import format_fraction

        where = "".join(f"[{i + 1}]" for i in self.index)
        return f"{self.param}{where}: {format_fraction(self.before)} -> {format_fraction(self.after)}"


@dataclass(frozen=True, slots=True)
class Repair:
    """The fewest edits found that make the design right for every length, or None, and what was searched."""

    task: Task
    original: ThresholdRNN
    original_proof: Proof
    edits: tuple[Edit, ...] | None
    network: ThresholdRNN | None
    proof: Proof | None
    values: tuple[Fraction, ...]  # the values an edit may set
    searched: tuple[tuple[int, int], ...]  # (edits, candidates considered) per number of edits tried
    proved_candidates: int  # candidates that reached the exact proof
    counterexamples: int  # words used to prune
    seconds: float

    @property
    def found(self) -> bool:
        return self.edits is not None

    @property
    def already_correct(self) -> bool:
        return self.original_proof.correct


def _parameters(network: ThresholdRNN) -> list[tuple[str, tuple[int, ...], Fraction]]:
    out = []
    for name in _PARAMS:
        value = getattr(network, name)
        if name in ("b_h", "b_y"):
            out += [(name, (i,), v) for i, v in enumerate(value)]
        else:
            out += [(name, (i, j), v) for i, row in enumerate(value) for j, v in enumerate(row)]
    return out


def _with(network: ThresholdRNN, edits) -> ThresholdRNN:
    fields = {name: [list(row) if isinstance(row, tuple) else row for row in getattr(network, name)] for name in _PARAMS}
    for edit in edits:
        target = fields[edit.param]
        if len(edit.index) == 1:
            target[edit.index[0]] = edit.after
        else:
            target[edit.index[0]][edit.index[1]] = edit.after
    return replace(network, **{
        name: tuple(tuple(row) if isinstance(row, list) else row for row in fields[name]) for name in _PARAMS
    })


def _values(network: ThresholdRNN) -> tuple[Fraction, ...]:
    scale = max([abs(v) for _, _, v in _parameters(network)] + [Fraction(1)])
    top = math.floor(scale) + 1
    return tuple(Fraction(v, 2) for v in range(-2 * top, 2 * top + 1))


def candidate_count(network: ThresholdRNN, edits: int) -> int:
    """How many designs a search of exactly ``edits`` single-parameter changes may simulate (before pruning):
    a bound that depends on the design alone, so a caller can cap the work without a clock."""
    params, values = len(_parameters(network)), len(_values(network))
    return math.comb(params, edits) * (values - 1) ** edits


class _Batch:
    """Many variants of one network, simulated together in integers (every parameter times ``scale``)."""

    def __init__(self, network: ThresholdRNN, params, values):
        self.network = network
        denominators = [v.denominator for _, _, v in params] + [v.denominator for v in values]
        self.scale = math.lcm(*denominators)
        self.flat = np.array([int(v * self.scale) for _, _, v in params], dtype=np.int64)
        self.values = np.array([int(v * self.scale) for v in values], dtype=np.int64)
        self.k, self.n, self.m = network.hidden_units, network.inputs, network.outputs
        self.ge = network.threshold == "ge"
        self.h0 = np.array(network.h0, dtype=np.int64)

    def right_on(self, flat: np.ndarray, words, expected) -> np.ndarray:
        """Which rows of ``flat`` (one flattened parameter vector per candidate) are right on every word."""
        k, n, m = self.k, self.n, self.m
        B = len(flat)
        at = 0
        W_xh = flat[:, at : at + k * n].reshape(B, k, n); at += k * n  # noqa: E702
        W_hh = flat[:, at : at + k * k].reshape(B, k, k); at += k * k  # noqa: E702
        b_h = flat[:, at : at + k]; at += k  # noqa: E702
        W_hy = flat[:, at : at + m * k].reshape(B, m, k); at += m * k  # noqa: E702
        b_y = flat[:, at : at + m]
        ok = np.ones(B, dtype=bool)
        for word, outs in zip(words, expected):
            h = np.broadcast_to(self.h0, (B, k))
            for x, y_expected in zip(word, outs):
                z = W_xh @ np.array(x, dtype=np.int64) + np.einsum("bkj,bj->bk", W_hh, h) + b_h
                h = (z >= 0 if self.ge else z > 0).astype(np.int64)
                zy = np.einsum("bmk,bk->bm", W_hy, h) + b_y
                y = zy >= 0 if self.ge else zy > 0
                ok &= (y == np.array(y_expected, dtype=bool)).all(axis=1)
        return ok


def repair(
    network: ThresholdRNN,
    task: Task | None = None,
    *,
    max_edits: int = 2,
    time_limit: float = 60.0,
) -> Repair:
    """The fewest single-parameter edits that make ``network`` right for every length, proved.

    >>> from handnets.threshold.designs import classic_adder
    >>> broken = _with(classic_adder(), [Edit("W_hy", (0, 2), Fraction(1), Fraction(0))])
    >>> result = repair(broken)
    >>> [str(edit) for edit in result.edits], result.proof.correct
    (['W_hy[1][3]: 0 -> 1'], True)
    """
    task = as_task(task)
    if not 0 <= max_edits <= MAX_EDITS:
        raise InvalidRequest(f"the number of edits must be between 0 and {MAX_EDITS}, got {max_edits}", field="max_edits")
    started = time.monotonic()
    original = prove(network, task)
    params = _parameters(network)
    values = _values(network)
    if original.correct or original.unproved:
        return Repair(task, network, original, () if original.correct else None, network if original.correct else None,
                      original if original.correct else None, values, (), 0, 0, time.monotonic() - started)
    words = [list(original.counterexample.word)]
    batch = _Batch(network, params, values)
    dead = _dead_parameters(network, original, params)
    searched: list[tuple[int, int]] = []
    proved = 0
    for count in range(1, max_edits + 1):
        considered = 0
        fallback = None  # a repair right for every length but with margin 0: only if none has a margin
        for chosen in itertools.combinations(range(len(params)), count):
            if all(p in dead for p in chosen):
                continue  # each edit only touches weights read from units no reachable state fires
            grids = [[v for v in range(len(values)) if values[v] != params[p][2]] for p in chosen]
            combos = np.array(list(itertools.product(*grids)), dtype=np.int64).reshape(-1, count)
            considered += len(combos)
            for start in range(0, len(combos), _BATCH):
                part = combos[start : start + _BATCH]
                flat = np.repeat(batch.flat[None, :], len(part), axis=0)
                for column, p in enumerate(chosen):
                    flat[:, p] = batch.values[part[:, column]]
                survivors = part[_right(batch, flat, words, task)]
                if not len(survivors):
                    continue
                change = sum(np.abs(batch.values[survivors[:, c]] - batch.flat[p]) for c, p in enumerate(chosen))
                for row in survivors[np.argsort(change, kind="stable")]:
                    edits = tuple(Edit(params[p][0], params[p][1], params[p][2], values[v]) for p, v in zip(chosen, row))
                    if not _right(batch, _flat_of(batch, chosen, row), words, task)[0]:
                        continue  # a counterexample found since this batch was filtered
                    candidate = _with(network, edits)
                    proof = prove(candidate, task)
                    proved += 1
                    if proof.correct and proof.margin > 0:
                        searched.append((count, considered))
                        return Repair(task, network, original, edits, candidate, proof, values, tuple(searched), proved,
                                      len(words), time.monotonic() - started)
                    if proof.correct and fallback is None:
                        fallback = (edits, candidate, proof)
                    if proof.counterexample is not None:
                        words.append(list(proof.counterexample.word))
            if time.monotonic() - started > time_limit:
                break
        searched.append((count, considered))
        if fallback is not None:
            return Repair(task, network, original, *fallback, values, tuple(searched), proved, len(words), time.monotonic() - started)
        if time.monotonic() - started > time_limit:
            break
    return Repair(task, network, original, None, None, None, values, tuple(searched), proved, len(words), time.monotonic() - started)


def _flat_of(batch: _Batch, chosen, row) -> np.ndarray:
    flat = batch.flat.copy()[None, :]
    for p, v in zip(chosen, row):
        flat[0, p] = batch.values[v]
    return flat


def _right(batch: _Batch, flat: np.ndarray, words, task: Task) -> np.ndarray:
    return batch.right_on(flat, words, [task.outputs_of(word) for word in words])


def _dead_parameters(network: ThresholdRNN, proof: Proof, params) -> set[int]:
    """Parameters that only read a hidden unit which fires in no reachable state."""
    silent = {j for j in range(network.hidden_units) if not any(h[j] for h in proof.reachable)}
    return {i for i, (name, index, _) in enumerate(params) if name in ("W_hh", "W_hy") and index[1] in silent}
