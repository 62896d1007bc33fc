"""Independent evidence for the derived LSTM equations: the unrolled loss, differentiated two other ways.

The forward pass is the one reference pass of ``handnets.derive.reference``, run on the built-in cell
file ``lstm`` (``handnets/data/cells/lstm.toml``: the cell as data, read apart from ``lstm.lstm_cell``).

1. ``sympy.diff`` of the unrolled computation at random exact (rational) points, T = 1..4, in forward
   mode, every node at every step and every weight on its own: the one-step map (h_prev, c_prev, weights,
   perturbations) -> (h_t, c_t) has its partial derivatives from ``sympy.diff``, and tangents are pushed
   forward through the unrolled steps in 50-digit arithmetic. Forward mode shares nothing with the reverse-mode
   assembly in ``handnets.derive.adjoint`` except sympy's differentiation of elementary functions.
   (Differentiating the fully nested expression instead grows exponentially with T; the tests do it
   for T = 1, 2.)
2. Central finite differences in numpy float64 of a T = 30 unrolled loss.

Every node of every step carries a perturbation ``e`` added to its value; the derivative of the loss
with respect to that perturbation at 0 is the node's bar. The loss is generic: sum_t a_t h_t + b_t h_t^2.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from handnets.checks import Check
from handnets.derive.cell import Cell
from handnets.derive.evaluate import MPMATH, NUMPY, Library, evaluate
from handnets.derive.model import Derivation
from handnets.derive.reference import CellPoint, difference_gradients, exact_gradients, forward, number
from handnets.vocabulary import WEIGHTS

__all__ = [
    "LstmPoint",
    "random_point",
    "forward_values",
    "run_adjoint",
    "sympy_gradients",
    "numpy_gradients",
    "check_lstm",
    "check_lstm_ce",
    "NODES",
    "SYMPY_STEPS",
    "NUMPY_STEPS",
]

NODES = ("i", "f", "o", "g", "c", "h")
BARS = ("hbar", "cbar", "obar", "gbar", "fbar", "ibar")
SYMPY_STEPS = (1, 2, 3, 4)
NUMPY_STEPS = 30
DIGITS = 50
SYMPY_TOLERANCE = Fraction(1, 10**35)
NUMPY_TOLERANCE = 1e-7
FD_STEP = 1e-6


@dataclass(frozen=True, slots=True)
class LstmPoint:
    """A point at which to compare gradients: weights, inputs, initial state, loss coefficients (exact)."""

    weights: tuple[tuple[str, Fraction], ...]
    x: tuple[Fraction, ...]
    h0: Fraction
    c0: Fraction
    a: tuple[Fraction, ...]  # loss = sum_t a_t h_t + b_t h_t^2
    b: tuple[Fraction, ...]
    y: tuple[int, ...] = ()  # targets for the cross-entropy variant
    w_y: Fraction = Fraction(0)

    @property
    def steps(self) -> int:
        return len(self.x)

    def weight(self, name: str) -> Fraction:
        return dict(self.weights)[name]


def random_point(steps: int, seed: int) -> LstmPoint:
    """A reproducible random point: rationals p/10 with |p| <= 15 (seeded, so documents are stable)."""
    rng = random.Random(seed)

    def q() -> Fraction:
        return Fraction(rng.randint(-15, 15), 10)

    return LstmPoint(
        weights=tuple((w, q()) for w in WEIGHTS),
        x=tuple(q() for _ in range(steps)),
        h0=q(),
        c0=q(),
        a=tuple(q() for _ in range(steps)),
        b=tuple(q() for _ in range(steps)),
        y=tuple(rng.randint(0, 1) for _ in range(steps)),
        w_y=q(),
    )


# ----------------------------------------------------------------------- forward pass, adjoint


def _cell() -> Cell:
    from handnets.derive.cellfile import load_cell

    return load_cell("lstm")


def cell_point(point: LstmPoint) -> CellPoint:
    """The same point for the reference forward pass of the ``lstm`` cell."""
    return CellPoint(
        weights=point.weights,
        inputs=tuple((("x", x),) for x in point.x),
        initial=(("h", point.h0), ("c", point.c0)),
        a=point.a,
        b=point.b,
    )


def forward_values(point: LstmPoint, library: Library) -> list[dict[str, Any]]:
    """The unperturbed forward pass: one dict per step of x, i, f, o, g, c, h, h_prev, c_prev."""
    trace, _ = forward(_cell(), cell_point(point), library)
    return [{name.removesuffix("_t"): value for name, value in step.items()} for step in trace]


def run_adjoint(
    derivation: Derivation, point: LstmPoint, library: Library, *, dl_dh: Sequence[Any] | None = None, extra: Mapping[str, Any] = {}
) -> list[dict[str, Any]]:
    """Run the derived equations backwards from T to 1; one dict per step of bars and weight summands."""
    values = forward_values(point, library)
    num = lambda v: number(v, library)  # noqa: E731
    weights = {name: num(value) for name, value in point.weights}
    if dl_dh is None:
        dl_dh = [num(a) + 2 * num(b) * v["h"] for a, b, v in zip(point.a, point.b, values)]
    zero = num(Fraction(0))
    later: dict[str, Any] = {f"{b}_next": zero for b in BARS}
    results: list[dict[str, Any]] = [{} for _ in values]
    for t in reversed(range(len(values))):
        now = values[t]
        env: dict[str, Any] = dict(weights)
        env.update(extra)
        env.update({f"{n}_t": now[n] for n in ("x", *NODES)})
        env.update({"h_prev": now["h_prev"], "c_prev": now["c_prev"], "dL_dh_t": dl_dh[t]})
        nxt = values[t + 1] if t + 1 < len(values) else {n: zero for n in ("x", *NODES)}
        env.update({f"{n}_next": nxt[n] for n in ("x", *NODES)})
        env.update(later)
        for name in ("y_t", "yhat_t"):
            if name in extra:
                env[name] = extra[name][t]
        for eq in derivation.equations:
            if eq.name.endswith("_t") and eq.name[:-2] in BARS or eq.name.startswith("w_"):
                env[eq.name] = evaluate(eq.rhs, env, library)
        results[t] = {k: env[k] for k in env if k.endswith("bar") or k[:-2] in BARS}
        later = {f"{b}_next": env[f"{b}_t"] for b in BARS}
    return results


# ------------------------------------------------------------------ the two oracles


def sympy_gradients(point: LstmPoint) -> dict[Any, Any]:
    """Derivatives of the unrolled loss: for each node at each step, with respect to a perturbation of
    that node at that step alone (key ``(node, step)``), and for each weight (key: its name).
    Values are 50-digit mpmath numbers (``reference.exact_gradients``).
    """
    return exact_gradients(_cell(), cell_point(point))


def _cross_entropy(point: LstmPoint) -> Callable[[int, Any], Any]:
    sig = NUMPY.functions["sigmoid"]
    w_y = float(point.w_y)

    def loss(t: int, h: Any) -> Any:
        yhat, y = sig(w_y * h), point.y[t]
        return -(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))

    return loss


def numpy_gradients(point: LstmPoint, *, cross_entropy: bool = False) -> dict[str, np.ndarray]:
    """Central differences of the unrolled loss: ``"i"``..``"h"`` -> array over t, weight name -> number."""
    slopes = difference_gradients(_cell(), cell_point(point), loss=_cross_entropy(point) if cross_entropy else None, step=FD_STEP)
    result: dict[str, Any] = {n: np.array([slopes[(n, t)] for t in range(point.steps)]) for n in NODES}
    result.update({name: slopes[name] for name in WEIGHTS})
    return result


# ----------------------------------------------------------------------------- the checks


def _bar_of(node: str) -> str:
    return f"{node}bar_t"


def _agree(derived: float, oracle: float) -> float:
    return abs(derived - oracle) / (1 + abs(oracle))


def check_lstm(derivation: Derivation) -> tuple[Check, ...]:
    """One check per derived LSTM equation: both oracles, all steps, every T."""
    import mpmath

    sympy_error: dict[str, Any] = {}
    with mpmath.workdps(DIGITS):
        for T in SYMPY_STEPS:
            point = random_point(T, seed=100 + T)
            oracle = sympy_gradients(point)
            bars = run_adjoint(derivation, point, MPMATH)
            for node in NODES:
                for t in range(T):
                    derived, expected = bars[t][_bar_of(node)], oracle[(node, t)]
                    sympy_error[_bar_of(node)] = max(sympy_error.get(_bar_of(node), 0), abs(derived - expected) / (1 + abs(expected)))
            for w in WEIGHTS:
                derived = sum((bars[t][f"{w}_bar"] for t in range(T)), mpmath.mpf(0))
                sympy_error[f"{w}_bar"] = max(sympy_error.get(f"{w}_bar", 0), abs(derived - oracle[w]) / (1 + abs(oracle[w])))
    point = random_point(NUMPY_STEPS, seed=7)
    fd = numpy_gradients(point)
    bars = run_adjoint(derivation, point, NUMPY)
    numpy_error: dict[str, float] = {}
    for node in NODES:
        numpy_error[_bar_of(node)] = max(_agree(bars[t][_bar_of(node)], fd[node][t]) for t in range(NUMPY_STEPS))
    for w in WEIGHTS:
        numpy_error[f"{w}_bar"] = _agree(sum(bars[t][f"{w}_bar"] for t in range(NUMPY_STEPS)), fd[w])
    checks = []
    tolerance = mpmath.mpf(SYMPY_TOLERANCE.numerator) / SYMPY_TOLERANCE.denominator
    for eq in derivation.equations:
        s_err, n_err = sympy_error[eq.name], numpy_error[eq.name]
        passed = bool(s_err <= tolerance) and bool(n_err <= NUMPY_TOLERANCE)
        what = f"sum over t of {eq.name}" if eq.name.startswith("w_") else f"{eq.name} at every t"
        checks.append(
            Check(
                f"lstm: {what} = dL/d{eq.name.removesuffix('_bar').replace('bar_t', '_t')}",
                passed,
                f"sympy.diff of the unrolled loss (forward mode), T=1..4, exact rational points, {DIGITS} digits; "
                f"numpy central differences, T={NUMPY_STEPS}",
                f"relative error: sympy {mpmath.nstr(s_err, 3)}, numpy {n_err:.1e}",
            )
        )
    return tuple(checks)


def check_lstm_ce(derivation: Derivation) -> tuple[Check, ...]:
    """The cross-entropy variant: dL_dh_t and the bars against finite differences of the CE loss (T=30)."""
    point = random_point(NUMPY_STEPS, seed=11)
    fd = numpy_gradients(point, cross_entropy=True)
    values = forward_values(point, NUMPY)
    sig = NUMPY.functions["sigmoid"]
    w_y = float(point.w_y)
    yhat = [sig(w_y * v["h"]) for v in values]
    extra = {"w_y": w_y, "y_t": [float(y) for y in point.y], "yhat_t": yhat}
    bars = run_adjoint(derivation, point, NUMPY, dl_dh=[0.0] * NUMPY_STEPS, extra=extra)
    checks = []
    # dL_dh_t alone: the CE loss of one step as a function of h, by central differences
    worst = 0.0
    for t, v in enumerate(values):
        h, y = v["h"], point.y[t]
        ce = lambda hh: -(y * np.log(sig(w_y * hh)) + (1 - y) * np.log(1 - sig(w_y * hh)))  # noqa: E731
        fd_dl = (ce(h + FD_STEP) - ce(h - FD_STEP)) / (2 * FD_STEP)
        derived = evaluate(derivation.equation("dL_dh_t"), {"w_y": w_y, "yhat_t": yhat[t], "y_t": float(y)}, NUMPY)
        worst = max(worst, _agree(derived, fd_dl))
    checks.append(Check("lstm-ce: dL_dh_t = w_y*(yhat_t - y_t)", bool(worst <= NUMPY_TOLERANCE), f"numpy central differences of the cross-entropy, T={NUMPY_STEPS}", f"relative error {worst:.1e}"))
    for node in ("h", "c", "o", "i", "f", "g"):
        name = _bar_of(node)
        err = max(_agree(bars[t][name], fd[node][t]) for t in range(NUMPY_STEPS))
        checks.append(
            Check(f"lstm-ce: {name} = dL/d{node}_t with the cross-entropy loss", bool(err <= NUMPY_TOLERANCE), f"numpy central differences of the cross-entropy loss, T={NUMPY_STEPS}", f"relative error {err:.1e}")
        )
    # the classic mistake must really be a mistake
    mistake = derivation.equation("cbar_t_no_recurrent")
    wrong = 0.0
    for t in range(NUMPY_STEPS - 1):
        env = {**{k: v for k, v in extra.items() if k == "w_y"}, "y_t": extra["y_t"][t], "yhat_t": yhat[t]}
        env.update({f"{n}_t": values[t][n] for n in ("x", *NODES)})
        env.update({f"{n}_next": values[t + 1][n] for n in ("x", *NODES)})
        env.update({f"{b}_next": bars[t + 1][f"{b}_t"] for b in BARS})
        env.update({name: float(value) for name, value in point.weights})
        wrong = max(wrong, _agree(evaluate(mistake, env, NUMPY), fd["c"][t]))
    checks.append(Check("lstm-ce: cbar_t without cbar_next*f_next is wrong", bool(wrong > 1e-3), f"numpy central differences, T={NUMPY_STEPS}", f"largest relative error {wrong:.1e}"))
    return tuple(checks)
