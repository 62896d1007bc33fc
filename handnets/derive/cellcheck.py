"""The evidence for a cell's derivation: every equation against the reference forward pass, two independent ways.

- Error signals and weight summands: run backwards from T to 1 and compared with ``sympy.diff`` of the
  unrolled computation (forward mode, exact rational points, 50 digits, T = 1..4) and with central
  finite differences of the unrolled loss (numpy, T = 30), every node at every step.
- The state Jacobian and its products k steps back: against the partial derivatives of the substituted
  one-step map by ``sympy.diff`` (50 digits, multiplied k times) and against finite differences of
  k steps of the reference forward pass.
- Each regime's limit: against finite differences of the real cell with those gates saturated (their
  pre-activations moved by 40, so sigmoid is within 5e-18 of 0 or 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from handnets.checks import Check
from handnets.derive.cell import Cell, timed, when
from handnets.derive.cellderive import regime_name, regimes
from handnets.derive.evaluate import Library, evaluate
from handnets.derive.model import Derivation
from handnets.derive.reference import (
    DIGITS,
    FD_STEP,
    MPMATH,
    NUMPY,
    CellPoint,
    difference_gradients,
    exact_gradients,
    exact_state_jacobian,
    forward,
    number,
    random_point,
    step,
)

__all__ = ["check_cell", "run_backward", "SYMPY_STEPS", "NUMPY_STEPS"]

SYMPY_STEPS = (1, 2, 3, 4)
NUMPY_STEPS = 30
SYMPY_TOLERANCE = Fraction(1, 10**35)
NUMPY_TOLERANCE = 1e-7
SATURATION = 40
JACOBIAN_POINTS = 12


def _bar_names(cell: Cell) -> tuple[str, ...]:
    return tuple(f"{base}bar_t" for base in cell.node_names)


def _env_at(cell: Cell, trace: list[dict[str, Any]], t: int, zero: Any) -> dict[str, Any]:
    """Names at t (and the nodes and inputs at t+1, zero past the end) from a forward trace."""
    env = dict(trace[t])
    nxt = trace[t + 1] if t + 1 < len(trace) else {}
    for base in cell.bases:
        env[timed(base, 1).name] = nxt.get(timed(base, 0).name, zero)
    return env


def run_backward(cell: Cell, derivation: Derivation, point: CellPoint, library: Library) -> list[dict[str, Any]]:
    """The derived equations run from T down to 1: per step, every bar and weight summand by name."""
    trace, _ = forward(cell, point, library)
    weights = {name: number(value, library) for name, value in point.weights}
    zero = number(Fraction(0), library)
    bars = set(_bar_names(cell))
    summands = {f"{w}_bar" for w in cell.weights}
    later = {f"{base}bar_next": zero for base in cell.node_names}
    results: list[dict[str, Any]] = [{} for _ in trace]
    for t in reversed(range(len(trace))):
        env = {**weights, **_env_at(cell, trace, t, zero), **later}
        y = env[timed(cell.output, 0).name]
        env[cell.loss_symbol.name] = number(point.a[t], library) + 2 * number(point.b[t], library) * y
        for eq in derivation.equations:
            if eq.name in bars or eq.name in summands:
                env[eq.name] = evaluate(eq.rhs, env, library)
        results[t] = {name: env[name] for name in (*bars, *summands) if name in env}
        later = {f"{base}bar_next": env[f"{base}bar_t"] for base in cell.node_names}
    return results


def _relative(derived: Any, oracle: Any) -> Any:
    return abs(derived - oracle) / (1 + abs(oracle))


def _gradient_checks(cell: Cell, derivation: Derivation) -> list[Check]:
    import mpmath

    names = [eq.name for eq in derivation.equations if eq.name in set(_bar_names(cell)) | {f"{w}_bar" for w in cell.weights}]
    exact: dict[str, Any] = {name: mpmath.mpf(0) for name in names}
    with mpmath.workdps(DIGITS):
        for T in SYMPY_STEPS:
            point = random_point(cell, T, seed=100 + T)
            oracle = exact_gradients(cell, point)
            derived = run_backward(cell, derivation, point, MPMATH)
            for name in names:
                if name.endswith("_bar"):
                    w = name.removesuffix("_bar")
                    total = sum((derived[t][name] for t in range(T)), mpmath.mpf(0))
                    exact[name] = max(exact[name], _relative(total, oracle[w]))
                else:
                    base = name.removesuffix("bar_t")
                    for t in range(T):
                        exact[name] = max(exact[name], _relative(derived[t][name], oracle[(base, t)]))
    point = random_point(cell, NUMPY_STEPS, seed=7)
    fd = difference_gradients(cell, point)
    derived = run_backward(cell, derivation, point, NUMPY)
    numeric: dict[str, float] = {}
    for name in names:
        if name.endswith("_bar"):
            total = sum(derived[t][name] for t in range(NUMPY_STEPS))
            numeric[name] = float(_relative(total, fd[name.removesuffix("_bar")]))
        else:
            base = name.removesuffix("bar_t")
            numeric[name] = max(float(_relative(derived[t][name], fd[(base, t)])) for t in range(NUMPY_STEPS))
    tolerance = mpmath.mpf(SYMPY_TOLERANCE.numerator) / SYMPY_TOLERANCE.denominator
    checks = []
    for name in names:
        if name.endswith("_bar"):
            what = f"sum over t of {name} = dL/d{name.removesuffix('_bar')}"
        else:
            what = f"{name} = dL/d{name.removesuffix('bar_t')}_t at every t"
        passed = bool(exact[name] <= tolerance and numeric[name] <= NUMPY_TOLERANCE and np.isfinite(numeric[name]))
        checks.append(Check(
            f"{derivation.topic}: {what}",
            passed,
            f"sympy.diff of the unrolled computation (forward mode), T=1..4, exact rational points, {DIGITS} digits; "
            f"numpy central differences, T={NUMPY_STEPS}",
            f"relative error: sympy {mpmath.nstr(exact[name], 3)}, numpy {numeric[name]:.1e}",
        ))
    return checks


# ------------------------------------------------------------------------------ Jacobians


def _timed_env(cell: Cell, trace: list[dict[str, Any]], t: int, k: int) -> dict[str, Any]:
    """Names of steps t, t-1, ..., t-k+1 as the shifted Jacobians read them (``z_prev``, ``h_prev2``, ...)."""
    env: dict[str, Any] = {}
    for j in range(k):
        for name, value in trace[t - j].items():
            base, _, suffix = name.rpartition("_")
            offset = 0 if suffix == "t" else -1
            env[f"{base}_{when(offset - j)}"] = value
    return env


def _numeric(matrix: sympy.MatrixBase, env: Mapping[str, Any], library: Library) -> list[list[Any]]:
    return [[evaluate(matrix[r, c], env, library) for c in range(matrix.cols)] for r in range(matrix.rows)]


def _fd_steps_back(cell: Cell, point: CellPoint, trace: list[dict[str, Any]], t: int, k: int,
                   cell_used: Cell | None = None) -> np.ndarray:
    """d(states at t)/d(states at t-k) by central differences of k steps of the reference forward pass."""
    cell_used = cell_used or cell
    weights = {name: float(value) for name, value in point.weights}
    size = len(cell.states)
    start = {s: float(trace[t - k + 1][timed(s, -1).name]) for s in cell.states}
    states = {s: np.array([start[s]] * (2 * size)) for s in cell.states}
    for c, s in enumerate(cell.states):
        states[s][2 * c] += FD_STEP
        states[s][2 * c + 1] -= FD_STEP
    for j in range(k):
        inputs = {x: float(trace[t - k + 1 + j][timed(x, 0).name]) for x in cell.inputs}
        env = step(cell_used, states, inputs, weights, NUMPY)
        states = {s: np.broadcast_to(env[timed(s, 0).name], (2 * size,)) for s in cell.states}  # a state may ignore the past
    return np.array([[(states[s][2 * c] - states[s][2 * c + 1]) / (2 * FD_STEP) for c in range(size)] for s in cell.states])


def _jacobian_matrices(derivation: Derivation, cell: Cell) -> list[tuple[str, int, sympy.MatrixBase]]:
    size = len(cell.states)
    entries = {eq.name: eq.rhs for eq in derivation.equations}
    one = sympy.Matrix(size, size, lambda r, c: entries[f"d{cell.states[r]}_t_d{cell.states[c]}_prev"])
    found = [("the state Jacobian J_t", 1, one)]
    found += [(f"J_t_prev{k}", k, sympy.Matrix(size, size, list(sympy.Matrix([entries[f"J_t_prev{k}"]]))))
              for k in range(2, 10) if f"J_t_prev{k}" in entries]
    return found


def _jacobian_checks(cell: Cell, derivation: Derivation) -> list[Check]:
    import mpmath

    checks = []
    for label, k, matrix in _jacobian_matrices(derivation, cell):
        worst_exact = mpmath.mpf(0)
        with mpmath.workdps(DIGITS):
            point = random_point(cell, k + 3, seed=300 + k)
            trace, _ = forward(cell, point, MPMATH)
            weights = {name: number(value, MPMATH) for name, value in point.weights}
            for t in range(k - 1, point.steps):
                derived = mpmath.matrix(_numeric(matrix, {**weights, **_timed_env(cell, trace, t, k)}, MPMATH))
                oracle = mpmath.eye(len(cell.states))
                for j in range(k):  # J_t J_(t-1) ... from the substituted map's sympy.diff partials
                    oracle = oracle * mpmath.matrix(exact_state_jacobian(cell, trace[t - j], weights))
                worst_exact = max(worst_exact, max(abs(x) for x in (derived - oracle)) / (1 + max(abs(x) for x in oracle)))
        point = random_point(cell, JACOBIAN_POINTS + k, seed=400 + k)
        trace, _ = forward(cell, point, NUMPY)
        weights = {name: float(value) for name, value in point.weights}
        worst_fd = 0.0
        for t in range(k - 1, point.steps):
            derived = np.array(_numeric(matrix, {**weights, **_timed_env(cell, trace, t, k)}, NUMPY), dtype=float)
            worst_fd = max(worst_fd, float(np.max(np.abs(derived - _fd_steps_back(cell, point, trace, t, k)))))
        tolerance = mpmath.mpf(SYMPY_TOLERANCE.numerator) / SYMPY_TOLERANCE.denominator
        what = "d(states)_t/d(states)_(t-1)" if k == 1 else f"d(states)_t/d(states)_(t-{k})"
        checks.append(Check(
            f"{derivation.topic}: {label} = {what}",
            bool(worst_exact <= tolerance and worst_fd <= NUMPY_TOLERANCE),
            f"sympy.diff of the substituted one-step map at exact points, {DIGITS} digits"
            + (f", multiplied {k} times" if k > 1 else "") + f"; numpy central differences of {k} forward step{'s' if k > 1 else ''}",
            f"error: sympy {mpmath.nstr(worst_exact, 3)}, numpy {worst_fd:.1e}",
        ))
    return checks


def _saturated(cell: Cell, regime: tuple[tuple[str, int], ...]) -> Cell:
    """The cell with each gate of ``regime`` pushed to its value: its pre-activation moved by +-SATURATION."""
    push = dict(regime)
    nodes = tuple(
        (base, type(definition)(definition.args[0] + (SATURATION if push[base] else -SATURATION)) if base in push else definition)
        for base, definition in cell.nodes
    )
    return dataclasses.replace(cell, nodes=nodes)


def _regime_checks(cell: Cell, derivation: Derivation) -> list[Check]:
    found = regimes(cell)
    if not found:
        return []
    worst = 0.0
    names = []
    for regime in found:
        name = regime_name(regime)
        names.append(name)
        limit = sympy.Matrix([derivation.equation(name)]).reshape(len(cell.states), len(cell.states))
        saturated = _saturated(cell, regime)
        point = random_point(cell, 6, seed=500 + len(names))
        trace, _ = forward(saturated, point, NUMPY)
        weights = {w: float(value) for w, value in point.weights}
        for t in range(point.steps):
            derived = np.array(_numeric(limit, {**weights, **trace[t]}, NUMPY), dtype=float)
            worst = max(worst, float(np.max(np.abs(derived - _fd_steps_back(cell, point, trace, t, 1, saturated)))))
    return [Check(
        f"{derivation.topic}: the limit of J_t in each of the {len(found)} regimes of the gates {', '.join(g for g, _ in found[0])}",
        bool(worst <= 1e-6),
        f"numpy central differences of the cell with those gates saturated (pre-activation moved by {SATURATION}), 6 points each",
        f"max error {worst:.1e}",
    )]


def check_cell(cell: Cell, derivation: Derivation) -> tuple[Check, ...]:
    """Every equation of a cell's derivation against the reference forward pass (see the module docstring)."""
    return tuple(_gradient_checks(cell, derivation) + _jacobian_checks(cell, derivation) + _regime_checks(cell, derivation))
