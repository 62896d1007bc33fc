"""Synthesise a threshold RNN for a task: fewest hidden units found, small weights, and the exact proof.

What any design must do. The output y_t is a function of h_t alone, and h_t must fix everything the
task can still ask about, so h_t determines the *class* of the step just taken: the pair (state of
the minimal reference machine after the step, output bits). With k units there are 2**k codes, so
k >= log2(number of classes): a counting bound, exact.

How a design is found. A design's hidden code may say more than the class (the classic adder's
code counts a_t + b_t + carry: 4 codes for 4 classes; a parity network needs more codes than its 2
classes), so the search picks a *partition* of the reference's transitions (q, x) that refines the
classes, coarsest first, then an *encoding*: one distinct k-bit code per block. Each unit is then a
threshold function of (x_t, code of the previous block) with a fixed target, and so is each output
of the code: independent linear feasibility problems. Each is solved exactly by trying every
integer weight vector in {-1, 0, 1} (then {-2, ..., 2}) with the best bias for it (halfway between
the classes' sums, so biases are multiples of 1/2), which gives the largest margin for those
weights; only when no small integer vector works does a floating-point LP (scipy's HiGHS) propose
one, rounded to rationals and checked exactly. Whatever is found is accepted only when the exact
proof (``prove``) says the network is right for every length.

What a failure proves. When a unit's target cannot be computed by any weights, the LP's candidate
certificate (a point in both convex hulls of the unit's 1-points and 0-points) is rounded to
rationals and checked exactly; so "no design with k units" is proved exactly when k units give as
many codes as there are classes (every design is then one of the searched bijections) and every
encoding fails with a checked certificate. Otherwise the report says what was searched.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from handnets.errors import InvalidRequest
from handnets.threshold.network import ThresholdRNN
from handnets.threshold.prove import Proof, prove
from handnets.threshold.tasks import Task

__all__ = ["SizeAttempt", "Synthesis", "synthesise", "minimal_machine", "MAX_UNITS"]

MAX_UNITS = 16
_SMALL_WEIGHTS = (1, 2)  # integer bounds tried exhaustively, in this order
_MAX_VECTORS = 1 << 18  # integer weight vectors tried per unit at most
_BUDGET_ENCODINGS = 4000  # encodings evaluated per size at most


@dataclass(frozen=True, slots=True)
class SizeAttempt:
    """What the search did with one number of hidden units."""

    units: int
    outcome: str  # "found" | "impossible" | "none found"
    reason: str
    proven: bool  # the outcome is proved exactly (counting, or checked certificates over every design)
    encodings: int = 0  # encodings tried


@dataclass(frozen=True, slots=True)
class Synthesis:
    """A synthesised design with its proof, or None, and how the search went."""

    task: Task
    network: ThresholdRNN | None
    proof: Proof | None
    attempts: tuple[SizeAttempt, ...]
    classes: int  # classes (state after the step, output) of the minimal reference machine
    states: int  # states of the minimal reference machine

    @property
    def found(self) -> bool:
        return self.network is not None and self.proof is not None and self.proof.correct

    @property
    def lower_bound_note(self) -> str:
        """What is proved about fewer units than the design has."""
        if not self.found:
            return ""
        k = self.network.hidden_units
        below = [a for a in self.attempts if a.units < k]
        if all(a.proven for a in below) and below:
            return f"no design with fewer than {k} hidden units exists (proved: " + "; ".join(
                f"{a.units}: {a.reason}" for a in below) + ")"
        if not below:
            return f"{k} is the counting bound: fewer units have fewer codes than the {self.classes} classes"
        return "fewer units not proved impossible: " + "; ".join(f"{a.units}: {a.reason}" for a in below if not a.proven)


# ------------------------------------------------------------------------------------ the reference


def minimal_machine(task: Task) -> tuple[dict, Hashable, list]:
    """The reachable part of the task's machine with equivalent states merged (Moore's refinement).

    Returns (table, start, states): ``table[q][x] = (next, output)`` over block numbers.
    """
    states = list(task.reachable_states())
    alphabet = task.alphabet
    block = {q: tuple(task.table[q][x][1] for x in alphabet) for q in states}
    while True:
        signature = {q: (block[q], tuple(block[task.table[q][x][0]] for x in alphabet)) for q in states}
        names: dict = {}
        refined = {q: names.setdefault(signature[q], len(names)) for q in states}
        if len(names) == len(set(block.values())):
            block = refined
            break
        block = refined
    table = {}
    for q in states:
        table.setdefault(block[q], {x: (block[task.table[q][x][0]], task.table[q][x][1]) for x in alphabet})
    return table, block[task.initial], sorted(table)


# ------------------------------------------------------------------------------------- one threshold


@dataclass(frozen=True, slots=True)
class _Unit:
    weights: tuple[Fraction, ...]
    bias: Fraction
    margin: Fraction


def _integer_unit(points: np.ndarray, targets: np.ndarray) -> _Unit | None:
    """The best small-integer threshold unit computing ``targets`` on ``points`` (rows), exactly.

    For each integer weight vector, the best bias sits halfway between the largest sum of a
    0-point and the smallest sum of a 1-point; the margin is half their gap. Largest margin first,
    then the smallest total |weight|.
    """
    d = points.shape[1]
    for bound in _SMALL_WEIGHTS:
        if (2 * bound + 1) ** d > _MAX_VECTORS:
            break
        values = np.arange(-bound, bound + 1, dtype=np.int64)
        vectors = np.array(list(itertools.product(values, repeat=d)), dtype=np.int64).reshape(-1, d)
        sums = vectors @ points.T  # vectors x points
        ones, zeros = targets.astype(bool), ~targets.astype(bool)
        low = sums[:, ones].min(axis=1) if ones.any() else np.full(len(vectors), 10**9)
        high = sums[:, zeros].max(axis=1) if zeros.any() else np.full(len(vectors), -(10**9))
        if not ones.any() or not zeros.any():  # a constant unit: the bias alone
            value = 1 if ones.any() else 0
            return _Unit(tuple(Fraction(0) for _ in range(d)), Fraction(1, 2) if value else Fraction(-1, 2), Fraction(1, 2))
        gap = low - high
        if gap.max() <= 0:
            continue
        size = np.abs(vectors).sum(axis=1)
        best = np.lexsort((size, -gap))[0]
        w = tuple(Fraction(int(v)) for v in vectors[best])
        bias = -Fraction(int(low[best]) + int(high[best]), 2)
        return _Unit(w, bias, Fraction(int(gap[best]), 2))
    return None


def _lp_unit(points: np.ndarray, targets: np.ndarray) -> _Unit | None:
    """A floating-point LP's max-margin unit, rounded to rationals and accepted only if exactly right."""
    linprog = _linprog()

    n, d = points.shape
    signs = np.where(targets.astype(bool), 1.0, -1.0)
    # variables w (d), b, m: maximise m subject to sign * (w.p + b) >= m, |w| <= 1, m <= 1
    A_ub = np.hstack([-signs[:, None] * points, -signs[:, None], np.ones((n, 1))])
    bounds = [(-1, 1)] * d + [(-(d + 1), d + 1), (None, 1)]
    result = linprog(np.r_[np.zeros(d + 1), -1.0], A_ub=A_ub, b_ub=np.zeros(n), bounds=bounds, method="highs")
    if result.status != 0 or -result.fun <= 1e-9:
        return None
    m = result.x[-1]
    for limit in (4, 16, 64, 1024):
        w = [Fraction(v / m).limit_denominator(limit) for v in result.x[:d]]
        b = Fraction(result.x[d] / m).limit_denominator(limit)
        scale = math.lcm(*(v.denominator for v in (*w, b)))
        w, b = [v * scale for v in w], b * scale
        z = [sum((wi * int(p) for wi, p in zip(w, row)), b) for row in points]
        if all((zi > 0) if t else (zi < 0) for zi, t in zip(z, targets)):
            margin = min(abs(zi) for zi in z)
            return _Unit(tuple(w), b, margin)
    return None


def _linprog():
    """scipy's HiGHS LP, the one optional dependency of synthesis (``pip install 'handnets[synth]'``)."""
    try:
        from scipy.optimize import linprog
    except ModuleNotFoundError:
        raise InvalidRequest("synthesis needs scipy for this task (a linear program proposes its units, the exact "
                             "proof decides): pip install 'handnets[synth]'", field="scipy") from None
    return linprog


def hull_certificate(points: np.ndarray, targets: np.ndarray) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]] | None:
    """Exact proof that no threshold unit computes ``targets``: convex weights (one per point) whose
    1-points' and 0-points' averages coincide. The LP proposes them; they are checked in Fractions."""
    linprog = _linprog()

    ones, zeros = points[targets.astype(bool)], points[~targets.astype(bool)]
    if not len(ones) or not len(zeros):
        return None
    p, q = len(ones), len(zeros)
    A_eq = np.vstack([
        np.hstack([ones.T, -zeros.T]),
        np.r_[np.ones(p), np.zeros(q)][None, :],
        np.r_[np.zeros(p), np.ones(q)][None, :],
    ]).astype(float)
    b_eq = np.r_[np.zeros(points.shape[1]), 1.0, 1.0]
    result = linprog(np.zeros(p + q), A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * (p + q), method="highs")
    if result.status != 0:
        return None
    for limit in (2, 6, 12, 60, 420, 10**6):
        lam = [max(Fraction(0), Fraction(v).limit_denominator(limit)) for v in result.x]
        a, b = lam[:p], lam[p:]
        if sum(a) == 0 or sum(b) == 0:
            continue
        a, b = [v / sum(a) for v in a], [v / sum(b) for v in b]
        left = [sum((w * int(row[i]) for w, row in zip(a, ones)), Fraction(0)) for i in range(points.shape[1])]
        right = [sum((w * int(row[i]) for w, row in zip(b, zeros)), Fraction(0)) for i in range(points.shape[1])]
        if left == right:
            return tuple(a), tuple(b)
    return None


# -------------------------------------------------------------------------------------- the search


def _partitions(items: Sequence, cap: int):
    """Set partitions of ``items``, coarsest first (fewest blocks), at most ``cap`` of them."""
    items = list(items)
    found: list[list[list]] = []

    def grow(i: int, blocks: list[list]):
        if len(found) >= cap * 4:
            return
        if i == len(items):
            found.append([list(b) for b in blocks])
            return
        for b in blocks:
            b.append(items[i])
            grow(i + 1, blocks)
            b.pop()
        blocks.append([items[i]])
        grow(i + 1, blocks)
        blocks.pop()

    if len(items) <= 8:
        grow(0, [])
    else:  # too many to list: the whole block, or every item alone
        found = [[items], [[item] for item in items]]
    found.sort(key=len)
    return found[:cap]


class _Problem:
    """The machine's transitions, their classes, and the feasibility cache of unit problems."""

    def __init__(self, task: Task):
        self.task = task
        self.table, self.start, self.states = minimal_machine(task)
        self.alphabet = task.alphabet
        self.transitions = [(q, x) for q in self.states for x in self.alphabet]
        labels: dict = {}
        for q, x in self.transitions:
            labels.setdefault(self.table[q][x], []).append((q, x))
        self.labels = labels  # (next state, output) -> its transitions
        self.cache: dict = {}
        self.certified = True  # every unit failure so far has an exactly checked certificate
        self.exact_failures = False  # ask the LP (and for certificates) when small integers fail

    def partitions(self, most_blocks: int, cap: int = 400):
        """Partitions of the transitions refining the classes, with at most ``most_blocks`` blocks."""
        per_label = [_partitions(members, 60) for members in self.labels.values()]
        out = []
        for choice in itertools.product(*per_label):
            blocks = [block for part in choice for block in part]
            if len(blocks) <= most_blocks:
                out.append(blocks)
            if len(out) >= cap:
                break
        out.sort(key=len)
        return out

    def unit(self, points: np.ndarray, targets: np.ndarray) -> _Unit | None:
        key = (points.tobytes(), points.shape, targets.tobytes(), self.exact_failures)
        if key in self.cache:
            return self.cache[key]
        unit = _conflict_free(points, targets) and _integer_unit(points, targets)
        if unit is None and self.exact_failures:
            unit = _lp_unit(points, targets)
            if unit is None and hull_certificate(points, targets) is None:
                self.certified = False
        self.cache[key] = unit or None
        return unit or None


def _conflict_free(points: np.ndarray, targets: np.ndarray) -> bool:
    seen: dict = {}
    for row, t in zip(map(bytes, points.astype(np.int8)), targets.tolist()):
        if seen.setdefault(row, t) != t:
            return False
    return True


def _design(problem: _Problem, blocks: list[list], codes: list[tuple[int, ...]], k: int, start: tuple[int, ...] | None = None):
    """The design for one partition and encoding, or (None, why) when a unit cannot be computed.
    ``start`` is h0's code when it is not a block's (the start state is never re-entered)."""
    task = problem.task
    block_of = {t: i for i, block in enumerate(blocks) for t in block}
    next_state = [problem.table[b[0][0]][b[0][1]][0] for b in blocks]
    output = [problem.table[b[0][0]][b[0][1]][1] for b in blocks]
    sources = list(range(len(blocks)))
    start_code = next((codes[i] for i in sources if next_state[i] == problem.start), None)
    source_codes = [(codes[i], next_state[i]) for i in sources]
    if start_code is None and start is not None:
        start_code = start
        source_codes.append((start_code, problem.start))
    if start_code is None:  # the start state is never re-entered: h0 needs a code of its own
        spare = [c for c in itertools.product((0, 1), repeat=k) if c not in codes]
        if not spare:
            return None, "h0 (no code left for the start state)"
        start_code = spare[0]
        source_codes.append((start_code, problem.start))
    n = task.inputs
    rows, nexts = [], []
    for code, q in source_codes:
        for x in problem.alphabet:
            rows.append((*x, *code))
            nexts.append(codes[block_of[(q, x)]])
    points = np.array(rows, dtype=np.int64)
    W_xh, W_hh, b_h = [], [], []
    for j in range(k):
        unit = problem.unit(points, np.array([c[j] for c in nexts], dtype=np.int64))
        if unit is None:
            return None, f"unit {j + 1}"
        W_xh.append(unit.weights[:n])
        W_hh.append(unit.weights[n:])
        b_h.append(unit.bias)
    code_points = np.array(codes, dtype=np.int64)
    W_hy, b_y = [], []
    for o in range(task.outputs):
        unit = problem.unit(code_points, np.array([output[i][o] for i in sources], dtype=np.int64))
        if unit is None:
            return None, f"output {o + 1}"
        W_hy.append(unit.weights)
        b_y.append(unit.bias)
    network = ThresholdRNN.from_rows(W_xh=W_xh, W_hh=W_hh, b_h=b_h, W_hy=W_hy, b_y=b_y, h0=list(start_code))
    return network, ""


def _encodings(blocks: int, k: int, exhaustive: bool):
    """Distinct k-bit codes for the blocks: every bijection-like assignment when ``exhaustive``,
    else one per set of k code columns up to complementing and reordering them (feasibility is
    the same: a complemented unit is the negated unit, and the units reading it adjust)."""
    if exhaustive:
        for codes in itertools.permutations(itertools.product((0, 1), repeat=k), blocks):
            yield [tuple(c) for c in codes]
        return
    # the non-constant columns in which block 0 reads 0: one of each complement pair
    columns = [tuple((mask >> i) & 1 for i in range(blocks)) for mask in range(2, 2**blocks - 1, 2)]
    distinct = min(k, len(columns))
    for chosen in itertools.combinations(columns, distinct):
        chosen = chosen + (chosen[-1],) * (k - distinct) if chosen else ((0,) * blocks,) * k  # more units than columns: copies
        codes = [tuple(col[i] for col in chosen) for i in range(blocks)]
        if len(set(codes)) == blocks:
            yield codes


def _score(network: ThresholdRNN, proof: Proof) -> tuple:
    size = sum(abs(v) for row in (*network.W_xh, *network.W_hh, *network.W_hy) for v in row)
    halves = all((2 * v).denominator == 1 for row in (*network.W_xh, *network.W_hh, *network.W_hy, network.b_h, network.b_y) for v in row)
    return (proof.margin, halves, -size)


def _search_size(problem: _Problem, k: int, exhaustive: bool, deadline: float):
    """Every partition (coarsest first) and encoding with k units, within the budget: (best, tried, failures, stopped)."""
    best, tried, failures, stopped = None, 0, {}, False
    one_hot = _one_hot(problem, k)
    if one_hot is not None:  # always right, weights in {-1, 0, 1}: an upper bound on the units needed
        proof = prove(one_hot, problem.task)
        if proof.correct:
            best = (one_hot, proof)
    for blocks in problem.partitions(2**k):
        for codes in _encodings(len(blocks), k, exhaustive):
            if tried >= _BUDGET_ENCODINGS or time.monotonic() > deadline:
                stopped = True
                break
            tried += 1
            network, why = _design(problem, blocks, codes, k)
            if network is None:
                failures[why] = failures.get(why, 0) + 1
                continue
            proof = prove(network, problem.task)
            if not proof.correct:  # the unit problems were right, so this is a bug: say so, go on
                failures["rejected by the exact proof"] = failures.get("rejected by the exact proof", 0) + 1
                continue
            if best is None or _score(network, proof) > _score(*best):
                best = (network, proof)
        if stopped or best is not None:
            break  # the coarsest partitions that work are kept: more codes would only add search
    return best, tried, failures, stopped


def one_hot_units(problem: _Problem) -> int:
    """Units of the one-hot design: one per transition (q, x), plus one for h0 if the start is never re-entered."""
    entered = any(nxt == problem.start for q in problem.states for nxt, _ in problem.table[q].values())
    return len(problem.transitions) + (0 if entered else 1)


def _one_hot(problem: _Problem, k: int) -> ThresholdRNN | None:
    """One unit per transition (q, x), written down directly: it fires iff the previous step entered q
    (exactly one unit is on, so the units entering q sum to 0 or 1) and x is read (+1 for each input
    that should be 1, -1 for each that should be 0, reaching |x| only on x itself): z = that sum
    plus the input term minus |x| - 1/2, so |z| >= 1/2. An output fires iff the unit that is on
    writes 1. If the start state is never re-entered, one more unit holds h0 and never fires again."""
    need = one_hot_units(problem)
    if k < need:
        return None
    transitions = problem.transitions
    entered = [problem.table[q][x][0] for q, x in transitions]
    start_unit = need > len(transitions)
    W_xh, W_hh, b_h = [], [], []
    for q, x in transitions:
        W_xh.append([1 if bit else -1 for bit in x])
        row = [int(nxt == q) for nxt in entered] + ([int(q == problem.start)] if start_unit else [])
        W_hh.append(row + [0] * (k - len(row)))
        b_h.append(-Fraction(2 * sum(x) + 1, 2))
    for _ in range(k - len(transitions)):  # the start unit and any spare units: never fire after h0
        W_xh.append([0] * problem.task.inputs)
        W_hh.append([0] * k)
        b_h.append(Fraction(-1, 2))
    outputs = [problem.table[q][x][1] for q, x in transitions]
    W_hy = [[y[o] for y in outputs] + [0] * (k - len(transitions)) for o in range(problem.task.outputs)]
    b_y = [Fraction(-1, 2)] * problem.task.outputs
    if start_unit:
        h0 = [int(j == len(transitions)) for j in range(k)]
    else:
        first = entered.index(problem.start)
        h0 = [int(j == first) for j in range(k)]
    return ThresholdRNN.from_rows(W_xh=W_xh, W_hh=W_hh, b_h=b_h, W_hy=W_hy, b_y=b_y, h0=h0)


def synthesise(task: Task, *, units: int | None = None, max_units: int = 8, time_limit: float = 20.0) -> Synthesis:
    """The design with the fewest hidden units found (or exactly ``units``), best margin, proved.

    >>> from handnets.threshold.tasks import builtin_task
    >>> result = synthesise(builtin_task("compare"))
    >>> result.found, result.network.hidden_units, result.proof.margin
    (True, 1, Fraction(1, 2))
    """
    if units is not None and not 1 <= units <= MAX_UNITS:
        raise InvalidRequest(f"the number of hidden units must be between 1 and {MAX_UNITS}, got {units}", field="units")
    if not 1 <= max_units <= MAX_UNITS:
        raise InvalidRequest(f"the most hidden units must be between 1 and {MAX_UNITS}, got {max_units}", field="max_units")
    problem = _Problem(task)
    classes = len(problem.labels)
    one_hot = one_hot_units(problem)
    deadline = time.monotonic() + time_limit
    attempts: list[SizeAttempt] = []
    sizes = [units] if units is not None else list(range(1, min(MAX_UNITS, max(max_units, one_hot)) + 1))
    found: tuple | None = None
    for k in sizes:
        if 2**k < classes:
            attempts.append(SizeAttempt(k, "impossible", f"{2**k} codes for {classes} classes (counting)", True))
            continue
        if time.monotonic() > deadline and k < one_hot:
            attempts.append(SizeAttempt(k, "not searched", "the time limit was spent on fewer units", False))
            continue
        exhaustive = 2**k == classes
        size_deadline = min(deadline, time.monotonic() + time_limit / 4)
        # first small integer weights only; then, if nothing was found, the LP and its certificates
        for exact in (False, True):
            problem.exact_failures = exact
            best, tried, failures, stopped = _search_size(problem, k, exhaustive, size_deadline)
            if best is not None or stopped:
                break
        if best is not None:
            attempts.append(SizeAttempt(k, "found", f"{tried} encodings tried; best margin {best[1].margin}", True, tried))
            found = best
            break
        why = ", ".join(f"{what} impossible in {count}" for what, count in sorted(failures.items(), key=lambda i: -i[1])[:3])
        if stopped:
            attempts.append(SizeAttempt(k, "none found", f"search stopped after {tried} encodings ({why})", False, tried))
        elif exhaustive and problem.certified:
            attempts.append(SizeAttempt(k, "impossible", f"all {tried} assignments of the {classes} codes fail, "
                                        f"each with a checked certificate ({why})", True, tried))
        else:
            what = "(a design may code more finely than searched)" if not exhaustive else "(some failures lack a checked certificate)"
            attempts.append(SizeAttempt(k, "none found", f"none of {tried} encodings works {what}: {why}", False, tried))
    network, proof = found if found is not None else (None, None)
    return Synthesis(task=task, network=network, proof=proof, attempts=tuple(attempts), classes=classes, states=len(problem.states))
