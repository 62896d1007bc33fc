"""Run a trained RNN on every valid addition input up to a length, in float32, and count wrong digits exactly.

Padding convention (the threshold adder's): a valid input of length n is a pair a, b < 2**(n-1), so
both operands carry at least one leading 0 and the sum has exactly n digits; there are 4**(n-1) pairs
of length n, n digits each.

- ``add``: n steps, step t reads (a_t, b_t) least-significant digit first and emits digit t of a + b.
- ``add-msb``: n steps reading (a_t, b_t) most-significant digit first (the first pair is the padding
  (0, 0)), outputs ignored; then n answer steps reading ``answer_input`` (default (0, 0)) and emitting
  the n digits of a + b most-significant first. A pair of length n takes 2n steps.

All inputs share prefixes, so the walk goes over the tree of prefixes one level at a time: for ``add``
a length-n input is a length n-1 word then (0, 0), so each level costs one step per prefix, and the
hidden-to-hidden product of a level is computed once for its four children. Levels wider than the
chunk are split and walked depth-first, so memory stays bounded whatever the length. Counts are
Python ints: exact. The float arithmetic is the model's (``TrainedRNN.step``), float32 throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from handnets.errors import InvalidRequest
from handnets.trained.model import SYMBOLS, TrainedRNN

__all__ = ["LengthResult", "Failure", "Enumeration", "enumerate_task", "work", "longest_within", "trace", "TASKS",
           "MAX_LEN", "MAX_WORK"]

TASKS = ("add", "add-msb")
MAX_LEN = 20  # 4**19 inputs is weeks of work already
MAX_WORK = 1 << 35  # multiply-adds an enumeration may spend: tens of seconds at most
_CHUNK_FLOATS = 1 << 19  # floats per level array before the walk splits it (2 MB: cache-sized levels run fastest)


@dataclass(frozen=True, slots=True)
class LengthResult:
    n: int
    pairs: int
    wrong_pairs: int
    digits: int
    wrong_digits: int

    @property
    def digit_accuracy(self) -> Fraction:
        return Fraction(self.digits - self.wrong_digits, self.digits)


@dataclass(frozen=True, slots=True)
class Failure:
    """One wrong input: the operands, the step (1-based, of ``steps``) of the first wrong digit, the digits."""

    a: int
    b: int
    steps: int
    step: int
    expected: tuple[int, ...]
    got: tuple[int, ...]
    logits: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Enumeration:
    task: str
    max_len: int
    lengths: tuple[LengthResult, ...]
    shortest_failure: Failure | None
    smallest_logit: float  # the smallest |logit| among the digits scored: how close a digit came to flipping
    zero_logit: bool  # some scored digit's logit was exactly 0 (read as digit 0)
    requested_len: int | None = None  # the length asked for, when the work bound stopped short of it

    @property
    def wrong_pairs(self) -> int:
        return sum(r.wrong_pairs for r in self.lengths)


def _macs_per_step(model: TrainedRNN) -> int:
    macs, below = 0, model.inputs
    for layer in model.layers:
        macs += layer.hidden * (layer.hidden + below)
        below = layer.hidden
    return macs + below


def work(model: TrainedRNN, task: str, max_len: int) -> int:
    """Multiply-adds the enumeration of lengths 1..max_len spends (about)."""
    steps = sum(4 ** (n - 1) * (n if task == "add-msb" else 1) for n in range(1, max_len + 1))
    return steps * _macs_per_step(model)


def longest_within(model: TrainedRNN, task: str, max_work: int = MAX_WORK) -> int:
    n = 1
    while n < MAX_LEN and work(model, task, n + 1) <= max_work:
        n += 1
    return n


def trace(model: TrainedRNN, task: str, a: int, b: int, n: int, answer_input=(0.0, 0.0)) -> Failure:
    """Run one pair of length n; ``step`` is 0 when every digit is right."""
    total = a + b
    digits = [(total >> t) & 1 for t in range(n)]
    if task == "add":
        xs = [((a >> t) & 1, (b >> t) & 1) for t in range(n)]
        with np.errstate(over="ignore", invalid="ignore"):
            logits = model.forward(xs)
        expected, answer_from = digits, 0
    else:
        xs = [((a >> t) & 1, (b >> t) & 1) for t in reversed(range(n))] + [tuple(answer_input)] * n
        with np.errstate(over="ignore", invalid="ignore"):
            logits = model.forward(xs)[n:]
        expected, answer_from = digits[::-1], n
    got = [int(v > 0) for v in logits]
    step = next((answer_from + i + 1 for i, (e, g) in enumerate(zip(expected, got)) if e != g), 0)
    return Failure(a=a, b=b, steps=len(xs), step=step, expected=tuple(expected), got=tuple(got),
                   logits=tuple(float(v) for v in logits))


class _Tally:
    """Exact counts per length, the smallest failing (a, b) at each length, the logit margin."""

    def __init__(self, max_len: int, progress):
        self.wrong_pairs = [0] * (max_len + 1)
        self.wrong_digits = [0] * (max_len + 1)
        self.first: list[tuple[int, int] | None] = [None] * (max_len + 1)
        self.smallest = float("inf")
        self.zeros = False
        self.done = 0
        self.total = sum(4 ** (n - 1) for n in range(1, max_len + 1))
        self.progress = progress

    def logits(self, logit: np.ndarray) -> np.ndarray:
        if logit.size:
            magnitude = np.abs(logit)
            self.smallest = min(self.smallest, float(np.nanmin(magnitude)) if not np.all(np.isnan(magnitude)) else 0.0)
            self.zeros = self.zeros or bool(np.any(logit == 0))
        return logit > 0  # a logit of exactly 0 (sigmoid 1/2) is digit 0; NaN too

    def score_classes(self, n: int, wrong_pairs: int, wrong_digits: int, first_key: int | None, pairs: int) -> None:
        """Counts already summed over merged prefixes; ``first_key`` is the smallest failing a << 32 | b."""
        self.wrong_pairs[n] += wrong_pairs
        self.wrong_digits[n] += wrong_digits
        if first_key is not None:
            candidate = (first_key >> 32, first_key & 0xFFFFFFFF)
            if self.first[n] is None or candidate < self.first[n]:
                self.first[n] = candidate
        self.done += pairs
        if self.progress is not None:
            self.progress(self.done, self.total)

    def score_keys(self, n: int, wrong: np.ndarray, keys: np.ndarray) -> None:
        bad = wrong > 0
        count = int(np.count_nonzero(bad))
        if count:
            self.score_classes(n, count, int(wrong.sum(dtype=np.int64)), int(keys[bad].min()), 0)
        self.done += len(wrong)
        if self.progress is not None:
            self.progress(self.done, self.total)

    def score(self, n: int, wrong: np.ndarray, A: np.ndarray, B: np.ndarray) -> None:
        bad = wrong > 0
        count = int(np.count_nonzero(bad))
        if count:
            self.wrong_pairs[n] += count
            self.wrong_digits[n] += int(wrong.sum(dtype=np.int64))
            keys = (A[bad] << 32) | B[bad]
            smallest = int(keys.min())
            candidate = (smallest >> 32, smallest & 0xFFFFFFFF)
            if self.first[n] is None or candidate < self.first[n]:
                self.first[n] = candidate
        self.done += len(wrong)
        if self.progress is not None:
            self.progress(self.done, self.total)


def _children(model: TrainedRNN, state: tuple[np.ndarray, ...], symbols=SYMBOLS):
    """The state after each symbol, and its logits: the layer-0 recurrent product shared by the children."""
    layer = model.layers[0]
    shared = state[0] @ layer.W_hh.T
    shared += layer.b_hh
    for a, b in symbols:
        x = np.array([[a, b]], dtype=np.float32)
        inp = shared + (x @ layer.W_ih.T + layer.b_ih)
        if model.nonlinearity == "relu":
            np.maximum(inp, np.float32(0), out=inp)  # in place: the same values as model.act, one array fewer
        else:
            inp = model.act(inp)
        new = [inp]
        for deeper, h in zip(model.layers[1:], state[1:]):
            inp = model.act((h @ deeper.W_hh.T + deeper.b_hh) + (inp @ deeper.W_ih.T + deeper.b_ih))
            new.append(inp)
        yield tuple(new), model.logits(inp)


def _columns_children(model: TrainedRNN, state: tuple[np.ndarray, ...], symbols=SYMBOLS):
    """The state after each symbol and its logits, for a level of prefixes: the layer-0 recurrent product shared
    by the children, each layer's state held as columns, (H, N), so that the elementwise work runs along rows of
    N prefixes rather than rows of H units (about 1.4x faster in numpy). Children are symbol-major along the
    columns; the logits come back as (len(symbols), N). The same float32 sums as ``TrainedRNN.step``."""
    layer = model.layers[0]
    width, count = state[0].shape[1], len(symbols)
    shared = layer.W_hh @ state[0]
    shared += layer.b_hh[:, None]
    out = np.empty((layer.hidden, count, width), dtype=np.float32)
    for s, (a, b) in enumerate(symbols):
        column = (np.array([[a, b]], dtype=np.float32) @ layer.W_ih.T + layer.b_ih).reshape(-1, 1)
        np.add(shared, column, out=out[:, s, :])
    inp = out.reshape(layer.hidden, count * width)
    if model.nonlinearity == "relu":
        np.maximum(inp, np.float32(0), out=inp)
    else:
        inp = model.act(inp)
    new = [inp]
    for deeper, h in zip(model.layers[1:], state[1:]):
        recurrent = np.tile(deeper.W_hh @ h + deeper.b_hh[:, None], (1, count))
        new.append(model.act(recurrent + (deeper.W_ih @ new[-1] + deeper.b_ih[:, None])))
    logits = model.W_out[0] @ new[-1] + model.b_out[0]
    return tuple(new), logits.reshape(count, width)


def _column_halves(arrays, half):
    """A level split in two: ``arrays[0]`` the per-layer states as columns (H, N), the rest per-prefix vectors."""
    state, rest = arrays[0], arrays[1:]
    return ([tuple(h[:, :half] for h in state), *(a[:half] for a in rest)],
            [tuple(h[:, half:] for h in state), *(a[half:] for a in rest)])


def _split(arrays, half):
    return [a[:half] if isinstance(a, np.ndarray) else tuple(x[:half] for x in a) for a in arrays], \
           [a[half:] if isinstance(a, np.ndarray) else tuple(x[half:] for x in a) for a in arrays]


def _concat(parts):
    first = parts[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(len(first)))


def enumerate_task(
    model: TrainedRNN,
    task: str = "add",
    max_len: int = 12,
    *,
    answer_input=(0.0, 0.0),
    max_work: int = MAX_WORK,
    strict: bool = False,
    merge: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Enumeration:
    """Every valid pair of every length 1..max_len, run in float32, counted exactly.

    For ``add``, prefixes that reach the same float32 state with the same carry are merged (their
    futures are the same computation), keeping exact counts per class, as long as merging halves the
    levels (hand-built networks: a handful of states at any length); once a wide level does not halve,
    the walk stops looking (trained networks). ``merge=False`` walks every prefix, the cross-check.

    Above ``max_work`` the enumeration stops at the longest length within it (``requested_len`` says
    so), or with ``strict`` raises ``InvalidRequest`` naming that length.

    >>> from handnets.trained.designs import hand_relu_adder
    >>> [r.wrong_pairs for r in enumerate_task(hand_relu_adder(), "add", 6).lengths]
    [0, 0, 0, 0, 0, 0]
    """
    if task not in TASKS:
        raise InvalidRequest(f"task must be one of {', '.join(TASKS)}, got {task!r}", field="task")
    if model.inputs != 2:
        raise InvalidRequest(f"addition needs 2 inputs (a_t, b_t), the model has {model.inputs}", field="model")
    if not 1 <= max_len <= MAX_LEN:
        raise InvalidRequest(f"must be between 1 and {MAX_LEN}, got {max_len}", field="max_len")
    with np.errstate(over="ignore", invalid="ignore"):  # a state that overflows is inf or NaN: digit 0, no warning
        return _enumerate(model, task, max_len, answer_input, max_work, strict, merge, progress)


def _enumerate(model, task, max_len, answer_input, max_work, strict, merge, progress) -> Enumeration:
    requested = max_len
    chunk = max(4, _CHUNK_FLOATS // sum(model.hidden))
    tally = None
    if task == "add" and merge:
        # merged classes can make long lengths cheap (a hand-built adder has a handful of states):
        # try the length asked for with the work actually spent counted, and fall back if it runs out
        try:
            tally = _Tally(max_len, progress)
            _walk_lsb_merged(model, max_len, chunk, tally, max_work)
        except _OutOfWork:  # out of budget, or merging does not pay: walk every prefix within the estimate
            tally = None
    if tally is None and work(model, task, max_len) > max_work:
        fits = longest_within(model, task, max_work)
        if strict:
            raise InvalidRequest(
                f"lengths 1..{max_len} of a {'+'.join(map(str, model.hidden))}-unit model take about "
                f"{work(model, task, max_len):.2g} multiply-adds, more than the {max_work:.2g} allowed; "
                f"lengths up to {fits} fit",
                field="max_len",
            )
        max_len = fits
    if tally is None:
        tally = _Tally(max_len, progress)
        if task == "add":
            _walk_lsb(model, max_len, chunk, tally)
        else:
            _walk_msb(model, max_len, chunk, tally, np.asarray(answer_input, dtype=np.float32).reshape(1, 2))
    lengths = tuple(
        LengthResult(n=n, pairs=4 ** (n - 1), wrong_pairs=tally.wrong_pairs[n], digits=n * 4 ** (n - 1),
                     wrong_digits=tally.wrong_digits[n])
        for n in range(1, max_len + 1)
    )
    shortest = next((n for n in range(1, max_len + 1) if tally.wrong_pairs[n]), None)
    failure = None
    if shortest is not None:
        a, b = tally.first[shortest]
        failure = trace(model, task, a, b, shortest, answer_input)
    return Enumeration(
        task=task, max_len=max_len, lengths=lengths, shortest_failure=failure,
        smallest_logit=tally.smallest, zero_logit=tally.zeros,
        requested_len=requested if requested != max_len else None,
    )


def _walk_lsb(model: TrainedRNN, max_len: int, chunk: int, tally: _Tally) -> None:
    """Prefixes of length t with their carry and the digits they got wrong so far; each level scores length t + 1.

    Per prefix: its float32 state, a << 32 | b (int64), the carry and the wrong digits (int8: at most 20).
    """

    def level(state, key, carry, wrong, t):
        # the deepest level (3/4 of all prefixes) only needs its (0, 0) child, which ends the inputs
        symbols = SYMBOLS if t + 2 <= max_len else SYMBOLS[:1]
        state_next, logit = _columns_children(model, state, symbols)
        total = carry[None, :] + np.array([a + b for a, b in symbols], dtype=np.int8)[:, None]
        digit_wrong = tally.logits(logit) != (total & 1).astype(bool)  # digit t of a + b: parity of a_t + b_t + carry
        keys = key[None, :] + np.array([((a << 32) + b) << t for a, b in symbols], dtype=np.int64)[:, None]
        wrong_next = wrong[None, :] + digit_wrong
        # the (0, 0) child ends the inputs of length t + 1 (the padding digit)
        tally.score_keys(t + 1, wrong_next[0], keys[0])
        if t + 2 <= max_len:
            expand([state_next, keys.reshape(-1), (total >> 1).reshape(-1), wrong_next.reshape(-1)], t + 1)

    def expand(arrays, t):
        if len(arrays[1]) > chunk and len(arrays[1]) > 1:
            for half in _column_halves(arrays, len(arrays[1]) // 2):
                expand(half, t)
            return
        level(*arrays, t)

    columns = tuple(np.ascontiguousarray(h.T) for h in model.initial(1))  # each layer's state as (H, N)
    level(columns, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int8), np.zeros(1, dtype=np.int8), 0)


def _walk_msb(model: TrainedRNN, max_len: int, chunk: int, tally: _Tally, answer: np.ndarray) -> None:
    """States after reading the padding (0, 0) and j digit pairs MSB first: the inputs of length j + 1."""

    reading = (tuple(answer[0]),)  # the input during the answer phase, as one symbol

    def answer_phase(state, A, B, j):
        n = j + 1
        S = A + B
        wrong = np.zeros(len(A), dtype=np.int32)
        for k in range(n):
            state, logit = _columns_children(model, state, reading)
            wrong += tally.logits(logit[0]) != ((S >> (n - 1 - k)) & 1).astype(bool)
        tally.score(n, wrong, A, B)

    def level(state, A, B, j):
        answer_phase(state, A, B, j)
        if j + 2 <= max_len:
            state_next, _ = _columns_children(model, state)
            a_bits, b_bits = (np.array(bits, dtype=np.int64)[:, None] for bits in zip(*SYMBOLS))
            expand([state_next, (2 * A[None, :] + a_bits).reshape(-1), (2 * B[None, :] + b_bits).reshape(-1)], j + 1)

    def expand(arrays, j):
        if len(arrays[1]) > chunk and len(arrays[1]) > 1:
            for half in _column_halves(arrays, len(arrays[1]) // 2):
                expand(half, j)
            return
        level(*arrays, j)

    columns = tuple(np.ascontiguousarray(h.T) for h in model.initial(1))  # each layer's state as (H, N)
    state, _ = _columns_children(model, columns, ((0, 0),))  # the padding pair, read first
    one = np.zeros(1, dtype=np.int64)
    level(state, one, one.copy(), 0)


_NONE = np.iinfo(np.int64).max  # no prefix of this kind in the class
_HASH = np.random.default_rng(14).integers(1, 2**63, size=4096, dtype=np.uint64) | np.uint64(1)


@dataclass(slots=True)
class _Classes:
    """Prefixes of one length merged by (float32 state, carry), with exact counts.

    ``total`` prefixes in the class, ``ok`` of them with every digit right so far, ``wrong`` digits
    wrong summed over them; ``key_ok`` / ``key_bad`` the smallest a << 32 | b among the right / wrong
    ones (_NONE if none): the smallest failing pair is built from them.
    """

    state: tuple[np.ndarray, ...]
    carry: np.ndarray
    total: np.ndarray
    ok: np.ndarray
    wrong: np.ndarray
    key_ok: np.ndarray
    key_bad: np.ndarray

    def fields(self):
        return (self.state, self.carry, self.total, self.ok, self.wrong, self.key_ok, self.key_bad)


def _merge(classes: _Classes) -> _Classes:
    """Merge classes with byte-identical states and the same carry; unchanged if a hash collides or little merges."""
    count = len(classes.carry)
    if count < 2:
        return classes
    rows = np.concatenate([np.ascontiguousarray(s).view(np.uint32) for s in classes.state] + [classes.carry[:, None].astype(np.uint32)], axis=1)
    h = (rows.astype(np.uint64) * _HASH[: rows.shape[1]]).sum(axis=1, dtype=np.uint64)  # wraps mod 2**64
    order = np.argsort(h, kind="stable")
    hs = h[order]
    starts = np.concatenate([[0], np.flatnonzero(hs[1:] != hs[:-1]) + 1])
    if len(starts) > 0.9 * count:
        return classes  # hardly anything merges: not worth the gathering
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, count)))
    sorted_rows = rows[order]
    if not np.array_equal(sorted_rows, sorted_rows[starts][group]):
        return classes  # two different states with one hash: do not merge anything here
    first = order[starts]
    return _Classes(
        state=tuple(s[first] for s in classes.state),
        carry=classes.carry[first],
        total=np.add.reduceat(classes.total[order], starts),
        ok=np.add.reduceat(classes.ok[order], starts),
        wrong=np.add.reduceat(classes.wrong[order], starts),
        key_ok=np.minimum.reduceat(classes.key_ok[order], starts),
        key_bad=np.minimum.reduceat(classes.key_bad[order], starts),
    )


def _shift(key: np.ndarray, a: int, b: int, t: int) -> np.ndarray:
    """The key of the child (a_t, b_t appended as digit t), kept _NONE where there is no prefix."""
    return np.where(key == _NONE, key, key + ((a << t) << 32) + (b << t))


class _OutOfWork(Exception):
    """The merged walk spent its budget or stopped merging: the caller walks every prefix instead."""


def _walk_lsb_merged(model: TrainedRNN, max_len: int, chunk: int, tally: _Tally, max_work: int) -> None:
    """The prefix walk over classes of prefixes: the digit expected at a step depends only on carry and input."""
    per_class = 4 * _macs_per_step(model)
    spent = [0]

    def level(classes: _Classes, t: int) -> None:
        spent[0] += per_class * len(classes.carry)
        if spent[0] > max_work:
            raise _OutOfWork
        children = []
        symbols = SYMBOLS if t + 2 <= max_len else SYMBOLS[:1]  # the deepest level: the ending (0, 0) child only
        for (a, b), (state_next, logit) in zip(symbols, _children(model, classes.state, symbols)):
            total = a + b + classes.carry
            digit_wrong = tally.logits(logit) != (total & 1).astype(bool)
            shifted_ok, shifted_bad = _shift(classes.key_ok, a, b, t), _shift(classes.key_bad, a, b, t)
            children.append(_Classes(
                state=state_next,
                carry=(total >= 2).astype(np.int8),
                total=classes.total,
                ok=np.where(digit_wrong, 0, classes.ok),
                wrong=classes.wrong + digit_wrong * classes.total,
                key_ok=np.where(digit_wrong, _NONE, shifted_ok),
                key_bad=np.where(digit_wrong, np.minimum(shifted_ok, shifted_bad), shifted_bad),
            ))
        end = children[0]  # the (0, 0) child: the padding digit ends the inputs of length t + 1
        bad = end.key_bad[end.key_bad != _NONE]
        tally.score_classes(
            t + 1, int((end.total - end.ok).sum()), int(end.wrong.sum()), int(bad.min()) if bad.size else None, int(end.total.sum())
        )
        if t + 2 <= max_len:
            joined = _Classes(*(_concat([c.fields()[i] for c in children]) for i in range(7)))
            if merging[0]:
                merged = _merge(joined)
                if len(joined.carry) >= 1024 and 2 * len(merged.carry) > len(joined.carry):
                    raise _OutOfWork  # a trained network's states rarely coincide: the per-prefix walk is faster
                joined = merged
            expand(joined, t + 1)

    def expand(classes: _Classes, t: int) -> None:
        count = len(classes.carry)
        if count > chunk and count > 1:
            half = count // 2
            left, right = _split(list(classes.fields()), half)
            expand(_Classes(*left), t)
            expand(_Classes(*right), t)
            return
        level(classes, t)

    merging = [True]
    one = np.ones(1, dtype=np.int64)
    level(_Classes(model.initial(1), np.zeros(1, dtype=np.int8), one, one.copy(), np.zeros(1, dtype=np.int64),
                   np.zeros(1, dtype=np.int64), np.full(1, _NONE, dtype=np.int64)), 0)
