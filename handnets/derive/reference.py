"""The one reference forward pass of any cell, and the two oracles built on it: exact forward mode and finite differences.

Every kind of evidence a derivation needs comes from here, for the LSTM as for a cell an instructor writes:

1. ``forward``: the cell's own equations evaluated step by step (``handnets.derive.evaluate``), with an
   optional perturbation ``e`` added to every node at every step. With numpy arrays for the weights and
   perturbations it runs a whole batch of perturbed copies at once.
2. ``exact_gradients``: ``sympy.diff`` of the one-step map (states at t-1, weights, perturbations) ->
   (states at t, output) with every node substituted, its partial derivatives pushed forward through the
   unrolled steps at exact rational points in 50-digit arithmetic. Forward mode shares nothing with the
   reverse-mode assembly of the derivation but sympy's derivatives of elementary functions.
3. ``difference_gradients``: central finite differences in numpy float64 of the unrolled loss.

The loss is generic: ``sum_t a_t y_t + b_t y_t**2`` for the cell's output y, unless one is given.

>>> from handnets.derive.cellfile import load_cell
>>> cell = load_cell("rnn")
>>> point = random_point(cell, 2, seed=1)
>>> [sorted(step) for step in forward(cell, point, NUMPY)[0]][0]
['h_prev', 'h_t', 'x_t']
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import sympy

from handnets.derive.cell import Cell, timed
from handnets.derive.evaluate import MPMATH, NUMPY, Library, evaluate

__all__ = ["CellPoint", "random_point", "forward", "unroll", "step", "evaluate_vector", "is_matrix", "exact_gradients",
           "exact_state_jacobian", "difference_gradients", "number", "DIGITS", "FD_STEP", "NUMPY", "MPMATH"]

DIGITS = 50
FD_STEP = 1e-6
Loss = Callable[[int, Any], Any]  # (step, output value) -> that step's loss


@dataclass(frozen=True, slots=True)
class CellPoint:
    """Where to compare gradients, all exact: weights, inputs per step, initial states, loss coefficients."""

    weights: tuple[tuple[str, Fraction], ...]
    inputs: tuple[tuple[tuple[str, Fraction], ...], ...]  # per step: (input name, value)
    initial: tuple[tuple[str, Fraction], ...]  # (state, value at t = 0)
    a: tuple[Fraction, ...]  # loss = sum_t a_t y_t + b_t y_t^2
    b: tuple[Fraction, ...]

    @property
    def steps(self) -> int:
        return len(self.inputs)


def random_point(cell: Cell, steps: int, seed: int, *, scale: int = 15) -> CellPoint:
    """A reproducible point: rationals p/10 with |p| <= scale (seeded, so documents are stable)."""
    rng = random.Random(seed)

    def q() -> Fraction:
        return Fraction(rng.randint(-scale, scale), 10)

    return CellPoint(
        weights=tuple((w, q()) for w in cell.weights),
        inputs=tuple(tuple((x, q()) for x in cell.inputs) for _ in range(steps)),
        initial=tuple((s, q()) for s in cell.states),
        a=tuple(q() for _ in range(steps)),
        b=tuple(q() for _ in range(steps)),
    )


def number(value: Fraction, library: Library) -> Any:
    return library.number(sympy.Rational(value.numerator, value.denominator))


def forward(cell: Cell, point: CellPoint, library: Library, *, weights: Mapping[str, Any] | None = None,
            eps: Mapping[str, Any] | None = None, loss: Loss | None = None) -> tuple[list[dict[str, Any]], Any]:
    """The unrolled forward pass at a point: per step, every node at t, the inputs at t and the states at t-1
    by name; and the loss.

    ``weights`` overrides the point's (numpy arrays run a batch); ``eps[node][t]`` is added to that
    node's value at step t.
    """
    w = {name: number(value, library) for name, value in point.weights} if weights is None else dict(weights)
    if loss is None:
        a = [number(v, library) for v in point.a]
        b = [number(v, library) for v in point.b]
        loss = lambda t, y: a[t] * y + b[t] * y * y  # noqa: E731
    inputs = [{x: number(value, library) for x, value in step_inputs} for step_inputs in point.inputs]
    initial = {s: number(value, library) for s, value in point.initial}
    return unroll(cell, w, inputs, initial, library, eps=eps, loss=loss)


def unroll(cell: Cell, weights: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]], initial: Mapping[str, Any],
           library: Library, *, eps: Mapping[str, Any] | None = None, loss: Loss) -> tuple[list[dict[str, Any]], Any]:
    """The forward pass from given values (numbers, or numpy arrays for a batch or the vector form); see ``forward``."""
    state = dict(initial)
    total = None
    trace = []
    for t, values in enumerate(inputs):
        env = step(cell, state, values, weights, library, eps=None if eps is None else {base: e[t] for base, e in eps.items()})
        trace.append({name: value for name, value in env.items() if name not in weights})
        state = {s: env[timed(s, 0).name] for s in cell.states}
        step_loss = loss(t, env[timed(cell.output, 0).name])
        total = step_loss if total is None else total + step_loss
    return trace, total


def step(cell: Cell, states: Mapping[str, Any], inputs: Mapping[str, Any], weights: Mapping[str, Any], library: Library,
         *, eps: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One step of the cell: the weights, the inputs at t, the states at t-1 and every node at t, by name."""
    env: dict[str, Any] = dict(weights)
    env.update({timed(x, 0).name: value for x, value in inputs.items()})
    env.update({timed(s, -1).name: value for s, value in states.items()})
    run = evaluate_vector if cell.vector else evaluate
    for base, definition in cell.nodes:
        value = run(definition, env, library)
        if eps is not None and base in eps:
            value = value + eps[base]
        env[timed(base, 0).name] = value
    return env


def is_matrix(name: str) -> bool:
    """In the vector form a weight whose name starts with an upper-case letter is a matrix; the rest are vectors."""
    return name[:1].isupper()


def evaluate_vector(expr: sympy.Basic, env: Mapping[str, Any], library: Library) -> Any:
    """``evaluate`` in the vector form: a matrix in a product multiplies the elementwise product of the other factors.

    Arrays may carry a leading batch axis (matrices ``(batch, n, m)``, vectors ``(batch, m)``).

    >>> import numpy as np
    >>> W = sympy.Symbol("W_hh", real=True); h = sympy.Symbol("h_prev", real=True)
    >>> evaluate_vector(2 * W * h, {"W_hh": np.eye(2), "h_prev": np.array([1.0, 3.0])}, NUMPY)
    array([2., 6.])
    """
    if not expr.is_Mul:
        if expr.is_Symbol or expr.is_Rational:
            return evaluate(expr, env, library)
        args = [evaluate_vector(arg, env, library) for arg in expr.args]
        if expr.is_Add:
            total = args[0]
            for value in args[1:]:
                total = total + value
            return total
        if expr.is_Pow and expr.exp.is_Integer and int(expr.exp) >= 1:
            result = args[0]
            for _ in range(int(expr.exp) - 1):
                result = result * args[0]
            return result
        if expr.is_Pow:
            return args[0] ** args[1]
        return library.functions[type(expr).__name__](*args)
    matrices = [f for f in expr.args if f.is_Symbol and is_matrix(f.name)]
    if len(matrices) > 1:
        raise ValueError(f"two matrices in one product: {sympy.sstr(expr)}")
    rest = [evaluate_vector(f, env, library) for f in expr.args if f not in matrices]
    product = rest[0]
    for value in rest[1:]:
        product = product * value
    if not matrices:
        return product
    return np.matmul(env[matrices[0].name], np.asarray(product)[..., None])[..., 0]


# -------------------------------------------------------------- oracle 1: sympy, forward mode


@cache
def _step_map(cell: Cell) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[sympy.Expr, ...], ...]]:
    """The one-step map with every node substituted and its partials by sympy.diff (built once per cell).

    Returns (names of the map's inputs, names of its outputs, partials[output][input]).
    """
    prev = {s: sympy.Symbol(f"prev_{s}", real=True) for s in cell.states}
    e = {base: sympy.Symbol(f"e_{base}", real=True) for base in cell.node_names}
    values: dict[sympy.Symbol, sympy.Expr] = {timed(s, -1): prev[s] for s in cell.states}
    for base, definition in cell.nodes:
        values[timed(base, 0)] = definition.xreplace(values) + e[base]
    outputs = [*cell.states, *([cell.output] if cell.output not in cell.states else [])]
    inputs = [*prev.values(), *(sympy.Symbol(w, real=True) for w in cell.weights), *e.values()]
    partials = tuple(tuple(sympy.diff(values[timed(out, 0)], v) for v in inputs) for out in outputs)
    return tuple(v.name for v in inputs), tuple(outputs), partials


def exact_gradients(cell: Cell, point: CellPoint) -> dict[Any, Any]:
    """dL/d(perturbation of node at step t) (key ``(node, t)``) and dL/dweight (key: its name), 50 digits."""
    import mpmath

    names, outputs, partials = _step_map(cell)
    index = {name: k for k, name in enumerate(names)}
    targets: list[Any] = [(base, t) for base in cell.node_names for t in range(point.steps)] + list(cell.weights)
    with mpmath.workdps(DIGITS):
        trace, _ = forward(cell, point, MPMATH)
        tangent = {k: {s: mpmath.mpf(0) for s in cell.states} for k in targets}
        grad = {k: mpmath.mpf(0) for k in targets}
        weights = {name: number(value, MPMATH) for name, value in point.weights}
        zero = {f"e_{base}": mpmath.mpf(0) for base in cell.node_names}
        for t, now in enumerate(trace):
            env = {**weights, **zero, **{f"prev_{s}": now[timed(s, -1).name] for s in cell.states}}
            env.update({timed(x, 0).name: now[timed(x, 0).name] for x in cell.inputs})
            jac = [[evaluate(p, env, MPMATH) for p in row] for row in partials]
            y = now[timed(cell.output, 0).name]
            dl_dy = number(point.a[t], MPMATH) + 2 * number(point.b[t], MPMATH) * y
            for k in targets:
                seed = {f"prev_{s}": tangent[k][s] for s in cell.states}
                if isinstance(k, tuple):
                    if k[1] == t:  # a node is perturbed at its own step only
                        seed[f"e_{k[0]}"] = mpmath.mpf(1)
                else:
                    seed[k] = mpmath.mpf(1)
                pushed = [sum((row[index[n]] * v for n, v in seed.items()), mpmath.mpf(0)) for row in jac]
                tangent[k] = {s: pushed[j] for j, s in enumerate(outputs) if s in cell.states}
                grad[k] += dl_dy * pushed[outputs.index(cell.output)]
        return grad


def exact_state_jacobian(cell: Cell, now: Mapping[str, Any], weights: Mapping[str, Any]) -> list[list[Any]]:
    """d(states at t)/d(states at t-1) from the substituted one-step map's ``sympy.diff`` partials, at one step.

    ``now`` is that step of a ``forward`` trace (it gives the inputs at t and the states at t-1).
    """
    names, outputs, partials = _step_map(cell)
    env = {**weights, **{f"e_{base}": 0 for base in cell.node_names}}
    env.update({f"prev_{s}": now[timed(s, -1).name] for s in cell.states})
    env.update({timed(x, 0).name: now[timed(x, 0).name] for x in cell.inputs})
    columns = [names.index(f"prev_{s}") for s in cell.states]
    return [[evaluate(partials[outputs.index(s)][c], env, MPMATH) for c in columns] for s in cell.states]


# ------------------------------------------------------------ oracle 2: numpy finite differences


def difference_gradients(cell: Cell, point: CellPoint, *, loss: Loss | None = None, step: float = FD_STEP) -> dict[Any, float]:
    """Central differences of the unrolled loss in one batch: ``(node, t)`` and weight names, as ``exact_gradients``."""
    steps = point.steps
    nodes = cell.node_names
    n_nodes = len(nodes) * steps
    batch = 2 * (n_nodes + len(cell.weights))
    eps = {base: np.zeros((steps, batch)) for base in nodes}
    weights = {name: np.full(batch, float(value)) for name, value in point.weights}
    keys: list[Any] = []
    for k, (base, t) in enumerate((base, t) for base in nodes for t in range(steps)):
        eps[base][t, 2 * k], eps[base][t, 2 * k + 1] = step, -step
        keys.append((base, t))
    for j, name in enumerate(cell.weights):
        row = 2 * (n_nodes + j)
        weights[name][row] += step
        weights[name][row + 1] -= step
        keys.append(name)
    _, total = forward(cell, point, NUMPY, weights=weights, eps=eps, loss=loss)
    total = np.broadcast_to(total, (batch,))
    slopes = (total[0::2] - total[1::2]) / (2 * step)
    return {key: float(slope) for key, slope in zip(keys, slopes)}
