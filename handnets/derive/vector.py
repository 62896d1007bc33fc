"""The vector form of BPTT: the univariate equations lifted to vectors, matrices and elementwise products.

In the vector form every product of vectors is elementwise (the Hadamard product, printed ``\\odot``);
the two operations that are not are written as functions: ``transpose_times(W, v)`` is W^T v (how an
error signal flows back through a weight matrix) and ``outer(u, v)`` is u v^T (a weight gradient).
The lift reads the univariate derivation: a term ``w * rest`` of a bar becomes ``transpose_times(W, rest)``
and a weight summand ``rest * input`` becomes ``outer(rest, input)``. Finite differences on random
matrices of several sizes then prove the lifted equations (``check_lstm_vector``).

>>> derive_lstm_vector(checked=False).equation("W_ix_bar")
outer(i_t*ibar_t*(1 - i_t), x_t)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np
import sympy

from handnets.checks import Check
from handnets.derive.cell import Cell
from handnets.derive.evaluate import NUMPY, evaluate
from handnets.derive.reference import unroll
from handnets.derive.model import Derivation, Equation, Step
from handnets.vocabulary import SYMBOLS, WEIGHTS

__all__ = ["transpose_times", "outer", "matrix_symbol", "lift_bar", "lift_update", "derive_lstm_vector", "VECTOR_SIZES", "check_lstm_vector"]

S = SYMBOLS
VECTOR_SIZES = ((1, 1), (2, 3), (3, 2), (4, 4))  # (hidden n, input m)
VECTOR_STEPS = 5
FD_STEP = 1e-6
TOLERANCE = 1e-7


class transpose_times(sympy.Function):
    """``transpose_times(W, v)`` is W^T v."""

    nargs = 2


class outer(sympy.Function):
    """``outer(u, v)`` is u v^T."""

    nargs = 2


def matrix_symbol(weight: str) -> sympy.Symbol:
    """The matrix for a univariate weight, named gate first as in the homework: ``w_xi`` -> ``W_ix``.

    >>> matrix_symbol("w_hg"), matrix_symbol("w_hh")
    (W_gh, W_hh)
    """
    src, gate = weight[2], weight[3]
    if weight in ("w_hh", "w_xh"):  # the vanilla RNN keeps its own order
        return sympy.Symbol(f"W_{src}{gate}", real=True)
    return sympy.Symbol(f"W_{gate}{src}", real=True)


def _without(term: sympy.Expr, factor: sympy.Symbol) -> sympy.Expr:
    """``term`` with one plain factor removed (no cancel or expand, so the printed form is kept)."""
    factors = list(sympy.Mul.make_args(term))
    if factor not in factors:
        raise ValueError(f"{factor} is not a plain factor of {term}")
    factors.remove(factor)
    return sympy.Mul(*factors)


def lift_bar(expr: sympy.Expr, weights: Sequence[str]) -> sympy.Expr:
    """Each term ``w * rest`` (w a weight) becomes ``transpose_times(W, rest)``; other terms stay elementwise."""
    terms = []
    for term in sympy.Add.make_args(expr):
        found = [w for w in weights if S[w] in term.free_symbols]
        if not found:
            terms.append(term)
            continue
        (w,) = found
        terms.append(transpose_times(matrix_symbol(w), _without(term, S[w])))
    return sympy.Add(*terms)


def lift_update(expr: sympy.Expr, weight: str, inputs: Sequence[str] = ("x_t", "h_prev")) -> sympy.Expr:
    """A weight summand ``rest * input`` becomes ``outer(rest, input)``; a bias summand stays a vector."""
    for name in inputs:
        if S[name] in expr.free_symbols:
            return outer(_without(expr, S[name]), S[name])
    return expr


@cache
def _equations() -> tuple[Equation, ...]:
    from handnets.derive.lstm import derive_lstm

    lstm = derive_lstm(checked=False)
    equations = []
    for eq in lstm.equations:
        if eq.name.startswith("w_"):
            weight = eq.name.removesuffix("_bar")
            rhs = lift_update(eq.rhs, weight)
            name = f"{matrix_symbol(weight).name}_bar"
            equations.append(Equation(name, rhs, (Step("univariate summand", sympy.Symbol(eq.name), eq.rhs), Step("lift: rest*input -> (rest) input^T", sympy.Symbol(name), rhs)), note=f"delta {matrix_symbol(weight).name} = sum over t of {name}"))
        else:
            rhs = lift_bar(eq.rhs, WEIGHTS)
            reason = "lift: w*rest -> W^T rest; products elementwise" if rhs != eq.rhs else "elementwise as it stands"
            equations.append(Equation(eq.name, rhs, (Step("univariate", S[eq.name], eq.rhs), Step(reason, S[eq.name], rhs))))
    return tuple(equations)


# ---------------------------------------------------------------------------------- checks


def _random_lstm(n: int, m: int, steps: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = {}
    for w in WEIGHTS:
        cols = m if w[2] == "x" else n
        params[matrix_symbol(w).name] = rng.uniform(-1, 1, (n, cols))
    params["x"] = rng.uniform(-1.5, 1.5, (steps, m))
    params["h0"] = rng.uniform(-1, 1, n)
    params["c0"] = rng.uniform(-1, 1, n)
    params["a"] = rng.uniform(-1, 1, (steps, n))  # loss = sum_t a_t . h_t + |h_t|^2 / 2
    return params


@cache
def _vector_cell() -> Cell:
    """The ``lstm`` cell file in the vector form, weights renamed to matrices (w_xi -> W_ix)."""
    from handnets.derive.cellfile import load_cell

    cell = load_cell("lstm")
    rename = {S[w]: matrix_symbol(w) for w in WEIGHTS}
    nodes = tuple((base, definition.xreplace(rename)) for base, definition in cell.nodes)
    return dataclasses.replace(cell, nodes=nodes, weights=tuple(matrix_symbol(w).name for w in WEIGHTS), vector=True)


def _forward(params: Mapping[str, np.ndarray], eps: np.ndarray, deltas: Mapping[str, np.ndarray]) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """Batched reference forward pass: eps (batch, 6, T, n) perturbs nodes, deltas[W] (batch, n, cols) perturbs weights."""
    batch = eps.shape[0]
    cell = _vector_cell()
    weights = {name: params[name][None] + deltas.get(name, 0) for name in cell.weights}
    initial = {"h": np.tile(params["h0"], (batch, 1)), "c": np.tile(params["c0"], (batch, 1))}
    perturb = {base: eps[:, k].transpose(1, 0, 2) for k, base in enumerate("ifogch")}  # [t] -> (batch, n)
    loss = lambda t, h: h @ params["a"][t] + 0.5 * np.sum(h * h, axis=1)  # noqa: E731
    trace, total = unroll(cell, weights, [{"x": x} for x in params["x"]], initial, NUMPY, eps=perturb, loss=loss)
    first = [{name.removesuffix("_t"): value if name == "x_t" else value[0] for name, value in step.items()} for step in trace]
    return total, first


def _finite_differences(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    steps, n = params["a"].shape
    names = [matrix_symbol(w).name for w in WEIGHTS]
    n_nodes = 6 * steps * n
    sizes = [params[name].size for name in names]
    batch = 2 * (n_nodes + sum(sizes))
    eps = np.zeros((batch, 6, steps, n))
    deltas = {name: np.zeros((batch, *params[name].shape)) for name in names}
    for k in range(n_nodes):
        node, rest = divmod(k, steps * n)
        t, j = divmod(rest, n)
        eps[2 * k, node, t, j], eps[2 * k + 1, node, t, j] = FD_STEP, -FD_STEP
    row = 2 * n_nodes
    for name in names:
        for idx in np.ndindex(params[name].shape):
            deltas[name][(row, *idx)], deltas[name][(row + 1, *idx)] = FD_STEP, -FD_STEP
            row += 2
    loss, _ = _forward(params, eps, deltas)
    slopes = (loss[0::2] - loss[1::2]) / (2 * FD_STEP)
    result = {node: slopes[k * steps * n : (k + 1) * steps * n].reshape(steps, n) for k, node in enumerate("ifogch")}
    offset = n_nodes
    for name, size in zip(names, sizes):
        result[name] = slopes[offset : offset + size].reshape(params[name].shape)
        offset += size
    return result


def _derived(derivation: Derivation, params: Mapping[str, np.ndarray]) -> tuple[list[dict[str, np.ndarray]], dict[str, np.ndarray]]:
    steps, n = params["a"].shape
    _, trace = _forward(params, np.zeros((1, 6, steps, n)), {})
    names = [matrix_symbol(w).name for w in WEIGHTS]
    zero = np.zeros(n)
    later = {f"{b}bar_next": zero for b in "hcofig"}
    sums = {f"{name}_bar": 0 for name in names}
    bars: list[dict[str, np.ndarray]] = [{} for _ in range(steps)]
    for t in reversed(range(steps)):
        now = trace[t]
        nxt = trace[t + 1] if t + 1 < steps else {k: zero for k in "ifogch"}
        env = {name: params[name] for name in names}
        env.update({f"{k}_t": now[k] for k in ("x", *"ifogch")})
        env.update({"h_prev": now["h_prev"], "c_prev": now["c_prev"], "dL_dh_t": params["a"][t] + now["h"]})
        env.update({f"{k}_next": nxt[k] for k in "ifogch"})
        env.update(later)
        for eq in derivation.equations:
            value = evaluate(eq.rhs, env, NUMPY)
            if eq.name.startswith("W_"):
                sums[eq.name] = sums[eq.name] + value
            else:
                env[eq.name] = value
        bars[t] = {k: env[f"{k}bar_t"] for k in "hcofig"}
        later = {f"{k}bar_next": env[f"{k}bar_t"] for k in "hcofig"}
    return bars, sums


def _distance(derived, expected: np.ndarray) -> float:
    """Largest entrywise error; a result of the wrong shape (a wrong equation) is infinitely far."""
    derived = np.asarray(derived, dtype=float)
    if derived.shape != expected.shape:
        return float("inf")
    return float(np.max(np.abs(derived - expected)))


def check_lstm_vector(derivation: Derivation, sizes: Sequence[tuple[int, int]] = VECTOR_SIZES, steps: int = VECTOR_STEPS) -> tuple[Check, ...]:
    """Each lifted equation against central differences of a vector LSTM, for every size in ``sizes``."""
    worst: dict[str, float] = {eq.name: 0.0 for eq in derivation.equations}
    for seed, (n, m) in enumerate(sizes):
        params = _random_lstm(n, m, steps, seed=40 + seed)
        fd = _finite_differences(params)
        try:
            bars, sums = _derived(derivation, params)
        except ValueError:  # shapes that do not fit: some equation is wrong, and every check says so
            return tuple(Check(f"lstm-vector: {name}", False, f"numpy, size {n}x{m}", "the equations do not evaluate: shapes do not fit") for name in worst)
        for k in "hcofig":
            err = max(_distance(bars[t][k], fd[k][t]) for t in range(steps))
            worst[f"{k}bar_t"] = max(worst[f"{k}bar_t"], err)
        for name in sums:
            worst[name] = max(worst[name], _distance(sums[name], fd[name.removesuffix("_bar")]))
    shapes = ", ".join(f"{n}x{m}" for n, m in sizes)
    return tuple(
        Check(
            f"lstm-vector: {name}" + (" summed over t" if name.startswith("W_") else " at every t"),
            bool(worst[name] <= TOLERANCE),
            f"numpy central differences, hidden x input sizes {shapes}, T={steps}",
            f"max error {worst[name]:.1e}",
        )
        for name in worst
    )


@cache
def derive_lstm_vector(*, checked: bool = True) -> Derivation:
    """BPTT for the vector LSTM (matrices W_ix, W_ih, ...; elementwise products), lifted and proved.

    >>> derive_lstm_vector(checked=False).equation("cbar_t")
    cbar_next*f_next + hbar_t*o_t*(1 - tanh(c_t)**2)
    """
    derivation = Derivation(
        topic="lstm-vector",
        title="LSTM backpropagation through time, vector form",
        claim=(
            "With i_t = sigmoid(W_ix x_t + W_ih h_(t-1)) and so on, the error signals are the univariate ones with every "
            "product elementwise, every w*rest on a path back through h turned into W^T rest, and every weight gradient "
            "a sum over t of outer products, e.g. delta W_ix = sum_t (delta i_t * i_t * (1 - i_t)) x_t^T."
        ),
        equations=_equations(),
        definitions=(),
        notes=(
            "Products of vectors are elementwise (the odot of the LaTeX); W^T v is the transpose of W times v, and u v^T "
            "an outer product.",
            "delta x in the homework is xbar here: delta h_t = hbar_t, delta c_t = cbar_t, ...",
        ),
    )
    return derivation.with_checks(check_lstm_vector(derivation)) if checked else derivation
