"""A proof attempt for every length: regions of hidden states, one per carry, that the network maps into each other.

The claim proved, when it is: for every input word of every length (so every valid pair), every
output digit of the float32 network is right, whatever order the matrix products add their terms in
(with or without fused multiply-add, with or without flushing subnormals to zero).

How. Each region is a box (an interval per hidden unit) labelled with the carry of the binary-addition
automaton. The network is right for every length if h_0 lies in the carry-0 region and, for every
region R with carry c and every input (a, b), every state the network can step to from a point of R
lies in the region of carry (a + b + c) >= 2 and gives a logit on the right side of 0 for the digit
(a + b + c) mod 2. Induction on the step does the rest.

1. Search (float64, not trusted): start from the boxes around the states reached from h_0 by all
   words up to a few steps, map each box through each input, join the images into the target boxes,
   widen the boxes that grew a little, until no image leaves its box (closed) or a logit interval
   straddles 0, the boxes blow up, or the rounds run out (not closed: the reason is reported).
   First one box per carry; if that does not close, one box per carry and last input (the wrapping of
   a single box loses correlations between units that a finer partition keeps).
2. Check (exact, trusted): every image is recomputed in rational arithmetic from the float32 weights,
   widened by a bound on float32 rounding, and compared exactly with its target box. Only this check
   can say "proved".

Float32 rounding: a pre-activation is a sum of n = H + inputs + 2 products and biases; computed in any
order, its float32 value is within gamma_n * sum|terms| + (n + 1) * 2**-126 of the exact value
(gamma_n = n u / (1 - n u), u = 2**-24; Higham, *Accuracy and Stability of Numerical Algorithms*,
section 3.1; the absolute term covers underflow and flush-to-zero). When the box is a single point,
every term is a multiple of 2**e and the sum of their magnitudes is below 2**(24 + e), every partial
sum is representable and the float32 result is exact (the hand-built adders hit this case). ReLU is
exact in float32. For tanh the float32 library function is assumed within 2**-20 relative + 2**-126
absolute of the true value (16 float32 ulps; numpy's and torch's are within a few).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from handnets.trained.model import SYMBOLS, TrainedRNN

__all__ = ["Region", "Proof", "prove_adder", "MAX_PROOF_UNITS"]

MAX_PROOF_UNITS = 256  # the exact check costs about 36 * units**2 rational operations per partition
_DEPTHS = (0, 1, 2, 3)  # partitions tried in turn: by carry, then by carry and the last 1, 2, 3 inputs
_SEED_LEN = 6  # states reached by every word of up to this many steps seed the boxes
_ROUNDS = 120
_EXACT_BUDGET = 4_000_000  # rational multiply-adds the exact check may spend: about ten seconds
_BLOW_UP = 1e6
_U = Fraction(1, 2**24)
_TINY = Fraction(1, 2**126)


@dataclass(frozen=True, slots=True)
class Region:
    """A box of hidden states (all layers, concatenated) holding the states with this carry.

    ``history`` is the (carry, input symbol) of the last steps that lead into the region when the
    partition is by carry and last inputs, () otherwise (and for the region of h_0).
    """

    carry: int
    history: tuple[tuple[int, int], ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Proof:
    proved: bool
    method: str
    detail: str
    regions: tuple[Region, ...] = ()
    margin: float | None = None  # the smallest distance of a successor's logit interval from 0, when proved


def _successor(key, symbol: int, depth: int):
    """The region a step leads to, and the digit it must emit: the carry automaton, plus the last inputs."""
    carry, history = key
    a, b = SYMBOLS[symbol]
    total = a + b + carry
    history = (history + ((carry, symbol),))[-depth:] if depth else ()
    return (int(total >= 2), history), total % 2


def _reached(model: TrainedRNN, depth: int) -> dict:
    """States reached from h_0 by every word of up to _SEED_LEN steps, grouped by region key."""
    groups: dict = {(0, ()): [np.concatenate(model.initial(1), axis=1)]}
    state = model.initial(1)
    keys = [(0, ())]
    for _ in range(_SEED_LEN):
        new_states, new_keys = [], []
        for symbol, (a, b) in enumerate(SYMBOLS):
            x = np.repeat(np.array([[a, b]], dtype=np.float32), len(keys), axis=0)
            nxt, _ = model.step(state, x)
            new_states.append(nxt)
            new_keys.extend(_successor(key, symbol, depth)[0] for key in keys)
        state = tuple(np.concatenate([s[i] for s in new_states]) for i in range(len(model.layers)))
        keys = new_keys
        flat = np.concatenate(state, axis=1).astype(np.float64)
        for key in set(keys):
            mask = np.array([k == key for k in keys])
            groups.setdefault(key, []).append(flat[mask])
    return {key: np.concatenate(parts) for key, parts in groups.items()}


class _FloatMap:
    """The box image in float64 with the same rounding allowance: fast, used only to search."""

    def __init__(self, model: TrainedRNN):
        self.model = model
        self.layers = [(L.W_ih.astype(np.float64), L.W_hh.astype(np.float64), L.b_ih.astype(np.float64), L.b_hh.astype(np.float64)) for L in model.layers]
        self.W_out = model.W_out.astype(np.float64)[0]
        self.b_out = float(model.b_out[0])
        self.sizes = np.cumsum([0, *model.hidden])

    def _affine(self, Ws, los, his, b, point):
        c = sum(W @ ((lo + hi) / 2) for W, lo, hi in zip(Ws, los, his)) + b
        r = sum(np.abs(W) @ ((hi - lo) / 2) for W, lo, hi in zip(Ws, los, his))
        mag = sum(np.abs(W) @ np.maximum(np.abs(lo), np.abs(hi)) for W, lo, hi in zip(Ws, los, his)) + np.abs(b)
        n = sum(W.shape[1] for W in Ws) + 2
        err = 0.0 if point else (n * 2.0**-24 / (1 - n * 2.0**-24)) * mag + (n + 1) * 2.0**-126
        return c - r - err, c + r + err

    def image(self, lo, hi, symbol):
        x = np.array(SYMBOLS[symbol], dtype=np.float64)
        point = bool(np.all(lo == hi))
        out_lo, out_hi = [], []
        ilo = ihi = x
        for (W_ih, W_hh, b_ih, b_hh), start, stop in zip(self.layers, self.sizes[:-1], self.sizes[1:]):
            point = point and bool(np.all(ilo == ihi))
            zlo, zhi = self._affine((W_hh, W_ih), (lo[start:stop], ilo), (hi[start:stop], ihi), b_ih + b_hh, point)
            if self.model.nonlinearity == "relu":
                ilo, ihi = np.maximum(zlo, 0), np.maximum(zhi, 0)
            else:
                ilo, ihi = np.tanh(zlo) - 2.0**-20 * np.abs(np.tanh(zlo)), np.tanh(zhi) + 2.0**-20 * np.abs(np.tanh(zhi))
            out_lo.append(ilo)
            out_hi.append(ihi)
        ylo, yhi = self._affine((self.W_out[None, :],), (ilo,), (ihi,), np.array([self.b_out]), point and bool(np.all(ilo == ihi)))
        return np.concatenate(out_lo), np.concatenate(out_hi), float(ylo[0]), float(yhi[0])


def _decided(digit: int, ylo: float, yhi: float) -> bool:
    return ylo > 0 if digit else yhi <= 0  # digit 1 iff logit > 0; a logit of exactly 0 is digit 0


def _search(model: TrainedRNN, depth: int):
    """Boxes that close under the float64 map, or (None, reason)."""
    fmap = _FloatMap(model)
    boxes = {key: (pts.min(axis=0), pts.max(axis=0)) for key, pts in _reached(model, depth).items()}
    for rounds in range(1, _ROUNDS + 1):
        grown = set()
        for key in list(boxes):
            lo, hi = boxes[key]
            for symbol in range(4):
                target, digit = _successor(key, symbol, depth)
                ilo, ihi, ylo, yhi = fmap.image(lo, hi, symbol)
                if not _decided(digit, ylo, yhi):
                    return None, (
                        f"after {rounds} round(s) the carry-{key[0]} region{_where(key)} under input {SYMBOLS[symbol]} "
                        f"gives logits in [{ylo:.4g}, {yhi:.4g}], which do not decide digit {digit}"
                    )
                if target not in boxes:
                    boxes[target] = (ilo, ihi)
                    grown.add(target)
                    continue
                tlo, thi = boxes[target]
                if np.any(ilo < tlo) or np.any(ihi > thi):
                    boxes[target] = (np.minimum(tlo, ilo), np.maximum(thi, ihi))
                    grown.add(target)
        if not grown:
            return boxes, rounds
        for key in grown:  # widen a little, so that a contracting map lands strictly inside after a few rounds
            lo, hi = boxes[key]
            pad = 0.02 * (hi - lo) + 1e-6 * (1 + np.maximum(np.abs(lo), np.abs(hi)))
            boxes[key] = (lo - pad, hi + pad)
            if max(np.max(np.abs(lo)), np.max(np.abs(hi))) > _BLOW_UP:
                return None, f"the regions grow without bound (a hidden value passes {_BLOW_UP:.0e} after {rounds} rounds)"
    return None, f"the regions did not close after {_ROUNDS} rounds"


def _where(key) -> str:
    if not key[1]:
        return ""
    return " (after inputs " + " ".join(f"{SYMBOLS[s][0]}{SYMBOLS[s][1]}" for _, s in key[1]) + f" from carry {key[1][0][0]})"


class _ExactMap:
    """The box image in rational arithmetic, widened by the float32 rounding bound: the trusted check."""

    def __init__(self, model: TrainedRNN):
        F = _fractions
        self.relu = model.nonlinearity == "relu"
        self.layers = [(F(L.W_ih), F(L.W_hh), F(L.b_ih), F(L.b_hh)) for L in model.layers]
        self.W_out = F(model.W_out)
        self.b_out = F(model.b_out)
        self.sizes = [0, *np.cumsum(model.hidden).tolist()]

    @staticmethod
    def _affine(blocks, biases, point: bool):
        """[lo, hi] of sum_k W_k v_k + sum biases for v_k in boxes, float32 rounding included."""
        rows = len(biases[0])
        out = []
        for i in range(rows):
            centre = sum(b[i] for b in biases)
            radius = Fraction(0)
            terms = [b[i] for b in biases]
            for W, lo, hi in blocks:
                for w, l, h in zip(W[i], lo, hi):
                    if w:
                        centre += w * (l + h) / 2
                        radius += abs(w) * (h - l) / 2
                        terms.append(w * max(abs(l), abs(h)))
            magnitude = sum(abs(t) for t in terms)
            n = sum(len(lo) for _, lo, _ in blocks) + 2
            if point and _exact_in_float32(terms, magnitude):
                err = Fraction(0)
            else:
                err = n * _U / (1 - n * _U) * magnitude + (n + 1) * _TINY
            out.append((centre - radius - err, centre + radius + err))
        return out

    def image(self, lo, hi, symbol):
        point = lo == hi
        x = [Fraction(v) for v in SYMBOLS[symbol]]
        ilo = ihi = x
        out_lo, out_hi = [], []
        for (W_ih, W_hh, b_ih, b_hh), start, stop in zip(self.layers, self.sizes[:-1], self.sizes[1:]):
            point = point and ilo == ihi  # a layer below that rounded makes this layer's input a box
            bounds = self._affine([(W_hh, lo[start:stop], hi[start:stop]), (W_ih, ilo, ihi)], [b_hh, b_ih], point)
            ilo = [self._act(z, down=True) for z, _ in bounds]
            ihi = [self._act(z, down=False) for _, z in bounds]
            out_lo += ilo
            out_hi += ihi
        (ylo, yhi), = self._affine([(self.W_out, ilo, ihi)], [self.b_out], point and ilo == ihi)
        return out_lo, out_hi, ylo, yhi

    def _act(self, z: Fraction, *, down: bool) -> Fraction:
        if self.relu:
            return max(z, Fraction(0))
        edge = _float_down(z) if down else _float_up(z)
        t = Fraction(math.tanh(edge))
        slack = abs(t) / 2**20 + _TINY + Fraction(1, 2**50)  # the library's tanh, and math.tanh's own ulp
        return t - slack if down else t + slack


def _fractions(array) -> list:
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 1:
        return [Fraction(float(v)) for v in array]
    return [[Fraction(float(v)) for v in row] for row in array]


def _exact_in_float32(terms, magnitude: Fraction) -> bool:
    """Every partial sum of these exact terms is a float32 (so any evaluation order is exact)."""
    nonzero = [t for t in terms if t]
    if not nonzero:
        return True
    e = min(_valuation(t) for t in nonzero)
    return e >= -126 and magnitude < Fraction(2) ** (24 + e)


def _valuation(q: Fraction) -> int:
    """The exponent of 2 in a dyadic rational (the products of floats are dyadic)."""
    num, den = q.numerator, q.denominator
    if den & (den - 1):
        return -10**9  # not dyadic: never exact
    return (abs(num) & -abs(num)).bit_length() - 1 - (den.bit_length() - 1)


def _float_down(q: Fraction) -> float:
    f = float(q)
    return math.nextafter(f, -math.inf) if Fraction(f) > q else f


def _float_up(q: Fraction) -> float:
    f = float(q)
    return math.nextafter(f, math.inf) if Fraction(f) < q else f


def _check(model: TrainedRNN, boxes: dict, depth: int):
    """The trusted check of candidate boxes: (margin, None) when they prove the network, else (None, reason)."""
    emap = _ExactMap(model)
    exact = {key: ([Fraction(float(v)) for v in lo], [Fraction(float(v)) for v in hi]) for key, (lo, hi) in boxes.items()}
    h0 = [Fraction(0)] * sum(model.hidden)
    lo0, hi0 = exact[(0, ())]
    if not all(l <= v <= h for l, v, h in zip(lo0, h0, hi0)):
        return None, "h_0 is not in the carry-0 region"
    margin = None
    for key, (lo, hi) in exact.items():
        for symbol in range(4):
            target, digit = _successor(key, symbol, depth)
            ilo, ihi, ylo, yhi = emap.image(lo, hi, symbol)
            if not _decided(digit, ylo, yhi):
                return None, (
                    f"with float32 rounding bounded, the carry-{key[0]} region{_where(key)} under input "
                    f"{SYMBOLS[symbol]} gives logits in [{float(ylo):.4g}, {float(yhi):.4g}], which do not decide digit {digit}"
                )
            tlo, thi = exact.get(target, (None, None))
            if tlo is None or any(a < b for a, b in zip(ilo, tlo)) or any(a > b for a, b in zip(ihi, thi)):
                return None, f"with float32 rounding bounded, an image of the carry-{key[0]} region{_where(key)} leaves its target region"
            gap = float(ylo) if digit else -float(yhi)
            margin = gap if margin is None else min(margin, gap)
    return margin, None


def prove_adder(model: TrainedRNN) -> Proof:
    """Try to prove the network adds (LSB first) correctly for every length; never claims what the bounds do not give.

    >>> from handnets.trained.designs import hand_relu_adder
    >>> proof = prove_adder(hand_relu_adder())
    >>> proof.proved, len(proof.regions)
    (True, 9)
    """
    method = "interval regions, float32 rounding bounded, checked in exact rational arithmetic"
    if model.inputs != 2:
        return Proof(False, method, f"the model has {model.inputs} inputs, addition needs 2")
    if sum(model.hidden) > MAX_PROOF_UNITS:
        return Proof(False, method, f"not attempted: {sum(model.hidden)} hidden units, more than the {MAX_PROOF_UNITS} the exact check handles")
    reasons = []
    with np.errstate(over="ignore", invalid="ignore"):
        for depth in _DEPTHS:
            name = "one region per carry" + (f" and last {depth} input(s)" if depth else "")
            boxes, outcome = _search(model, depth)
            if boxes is None:
                reasons.append(f"{name}: {outcome}")
                continue
            exact_work = len(boxes) * 4 * sum(model.hidden) * (sum(model.hidden) + 3)
            if exact_work > _EXACT_BUDGET:
                reasons.append(f"{name}: closed in float64 after {outcome} round(s), but {len(boxes)} regions of "
                               f"{sum(model.hidden)} units are too many to check exactly here")
                continue
            margin, reason = _check(model, boxes, depth)
            if reason is not None:
                reasons.append(f"{name}: closed in float64 after {outcome} round(s), but {reason}")
                continue
            regions = tuple(
                Region(carry=key[0], history=key[1], lo=tuple(map(float, lo)), hi=tuple(map(float, hi)))
                for key, (lo, hi) in sorted(boxes.items())
            )
            detail = (
                f"proved for every length: {len(regions)} regions ({name}) close under every input, "
                f"every digit decided with logit margin >= {margin:.3g}"
            )
            return Proof(True, method, detail, regions, margin)
    finest = reasons[-1].split(": ", 1)[1]
    return Proof(False, method, (
        f"not proved: none of {len(_DEPTHS)} partitions (by carry, then by carry and the last 1..{_DEPTHS[-1]} inputs) "
        f"closed; the finest: {finest}"
    ))
