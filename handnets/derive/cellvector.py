"""The vector form of a cell (``vector = true``): error signals by vector-Jacobian products, proved on random sizes.

In the vector form a name starting with an upper-case letter is a matrix and every other product is
elementwise; a matrix in a product multiplies the elementwise product of the other factors, so
``W_hn (r_t h_{t-1})`` is W(r ⊙ h) (Cho et al.) while ``r_t (W_hn h_{t-1} + b_hn)`` is r ⊙ (W h + b)
(PyTorch). Going back through a definition is a walk over its tree: through ``W v`` the signal becomes
``transpose_times(W, signal)`` (W^T signal) and the weight collects ``outer(signal, v)``; through an
elementwise product each factor gets the signal times the others; through sigmoid and tanh the
signal is multiplied by their derivatives, written with the node's own name (``z_t*(1 - z_t)``).
``check_vector_cell`` proves every result against central differences of the reference forward
pass, at several hidden and input sizes.

>>> from handnets.derive.cellfile import load_cell
>>> derive_vector_cell(load_cell("gru-cho-vector"), checked=False).equation("rbar_t")
h_prev*transpose_times(W_hn, nbar_t*(1 - n_t**2))
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy

from handnets.checks import Check
from handnets.derive.cell import Cell, barred, timed
from handnets.derive.evaluate import NUMPY
from handnets.derive.model import Derivation, Equation, Step
from handnets.derive.reference import evaluate_vector, is_matrix, unroll
from handnets.derive.vector import outer, transpose_times

__all__ = ["vector_jacobian_product", "derive_vector_cell", "check_vector_cell", "weight_shapes", "vector_params", "vector_backward",
           "VECTOR_SIZES", "VECTOR_STEPS"]

VECTOR_SIZES = ((1, 1), (2, 3), (3, 2))  # (hidden n, input m)
VECTOR_STEPS = 5
FD_STEP = 1e-6
TOLERANCE = 1e-7


def _is_matrix_symbol(expr: sympy.Basic) -> bool:
    return expr.is_Symbol and is_matrix(expr.name)


def vector_jacobian_product(expr: sympy.Expr, wrt: sympy.Symbol, signal: sympy.Expr,
                            rewrites: Mapping[sympy.Basic, sympy.Symbol]) -> sympy.Expr:
    """What ``signal`` (the error signal of ``expr``'s value) sends back to ``wrt`` through ``expr``, in the vector form.

    >>> W, h, u = (sympy.Symbol(n, real=True) for n in ("W_hh", "h_prev", "u"))
    >>> vector_jacobian_product(W * h, h, u, {}), vector_jacobian_product(W * h, W, u, {})
    (transpose_times(W_hh, u), outer(u, h_prev))
    """
    if expr == wrt:
        return signal
    if wrt not in expr.free_symbols:
        return sympy.Integer(0)
    if expr.is_Add:
        return sympy.Add(*(vector_jacobian_product(arg, wrt, signal, rewrites) for arg in expr.args))
    if expr.is_Mul:
        matrices = [f for f in expr.args if _is_matrix_symbol(f)]
        if len(matrices) > 1:
            raise ValueError(f"two matrices in one product: {sympy.sstr(expr)}")
        if matrices:
            (W,) = matrices
            rest = sympy.Mul(*(f for f in expr.args if f != W))
            if W == wrt:
                return outer(signal, rest)
            return vector_jacobian_product(rest, wrt, transpose_times(W, signal), rewrites)
        total = []
        for k, factor in enumerate(expr.args):
            if wrt in factor.free_symbols:
                others = sympy.Mul(*(f for j, f in enumerate(expr.args) if j != k))
                total.append(vector_jacobian_product(factor, wrt, signal * others, rewrites))
        return sympy.Add(*total)
    if expr.is_Pow and expr.exp.is_Integer:
        base, n = expr.args
        return vector_jacobian_product(base, wrt, signal * n * base ** (n - 1), rewrites)
    if isinstance(expr, sympy.Function) and len(expr.args) == 1:
        local = expr.fdiff(1).xreplace(dict(rewrites))
        return vector_jacobian_product(expr.args[0], wrt, signal * local, rewrites)
    raise ValueError(f"the vector form cannot go back through {sympy.sstr(expr)}")


def _node_bar(cell: Cell, base: str) -> Equation:
    node = timed(base, 0)
    rewrites = {**cell.rewrites((0, 1))}
    readers = [(u, d, 0) for u, d in cell.pairs(0) if node in d.free_symbols]
    if base in cell.states:
        readers += [(u, d, 1) for u, d in cell.pairs(1) if node in d.free_symbols]
    terms = [cell.loss_symbol if base == cell.output else sympy.Integer(0)]
    steps = []
    for u, definition, offset in readers:
        signal = barred(u.name.rpartition("_")[0], offset)
        term = vector_jacobian_product(definition, node, signal, rewrites)
        steps.append(Step(f"back through {u.name} = {sympy.sstr(definition)}", sympy.Symbol(f"from_{u.name}"), term))
        terms.append(term)
    rhs = sympy.Add(*terms)
    steps.append(Step("result", barred(base, 0), rhs))
    return Equation(barred(base, 0).name, rhs, tuple(steps))


def _weight_summand(cell: Cell, weight: str) -> Equation:
    w = sympy.Symbol(weight, real=True)
    rewrites = cell.rewrites((0,))
    terms, steps = [], []
    for u, definition in cell.pairs(0):
        if w in definition.free_symbols:
            term = vector_jacobian_product(definition, w, barred(u.name[:-2], 0), rewrites)
            steps.append(Step(f"back through {u.name} = {sympy.sstr(definition)}", sympy.Symbol(f"from_{u.name}"), term))
            terms.append(term)
    rhs = sympy.Add(*terms)
    name = f"{weight}_bar"
    steps.append(Step("result", sympy.Symbol(name), rhs))
    kind = "a sum over t of outer products" if is_matrix(weight) else "a sum over t of vectors"
    return Equation(name, rhs, tuple(steps), note=f"delta {weight} is {kind}: the sum over t of {name}")


def weight_shapes(cell: Cell, n: int, m: int) -> dict[str, tuple[int, ...]]:
    """The shape of every weight at hidden size n and input size m: a matrix is (n, size of what it multiplies)."""
    inputs = {timed(x, 0) for x in cell.inputs}
    shapes: dict[str, tuple[int, ...]] = {}
    for _, definition in cell.nodes:
        for product in definition.atoms(sympy.Mul):
            for W in (f for f in product.args if _is_matrix_symbol(f)):
                others = set().union(*(f.free_symbols for f in product.args if f != W))
                shapes[W.name] = (n, m if others & inputs else n)
    for weight in cell.weights:
        shapes.setdefault(weight, (n, n) if is_matrix(weight) else (n,))
    return shapes


def vector_params(cell: Cell, n: int, m: int, seed: int) -> dict[str, np.ndarray]:
    """Random weights by name, ``input_<x>`` (T, m), ``initial_<state>`` (n,) and the loss's ``a`` (T, n)."""
    rng = np.random.default_rng(seed)
    params = {name: rng.uniform(-1, 1, shape) for name, shape in weight_shapes(cell, n, m).items()}
    params.update({f"input_{x}": rng.uniform(-1.5, 1.5, (VECTOR_STEPS, m)) for x in cell.inputs})
    params.update({f"initial_{s}": rng.uniform(-1, 1, n) for s in cell.states})
    params["a"] = rng.uniform(-1, 1, (VECTOR_STEPS, n))  # loss = sum_t a_t . y_t + |y_t|^2 / 2
    return params


def _loss(params):
    return lambda t, y: np.sum(y * params["a"][t], axis=-1) + 0.5 * np.sum(y * y, axis=-1)


def _differences(cell: Cell, params: Mapping[str, np.ndarray], n: int) -> dict:
    nodes = cell.node_names
    weights = list(cell.weights)
    rows: list = [(base, t, j) for base in nodes for t in range(VECTOR_STEPS) for j in range(n)]
    rows += [(w, idx) for w in weights for idx in np.ndindex(params[w].shape)]
    batch = 2 * len(rows)
    eps = {base: np.zeros((VECTOR_STEPS, batch, n)) for base in nodes}
    values = {w: np.repeat(params[w][None], batch, axis=0) for w in weights}
    for k, row in enumerate(rows):
        if len(row) == 3:
            base, t, j = row
            eps[base][t, 2 * k, j], eps[base][t, 2 * k + 1, j] = FD_STEP, -FD_STEP
        else:
            w, idx = row
            values[w][(2 * k, *idx)] += FD_STEP
            values[w][(2 * k + 1, *idx)] -= FD_STEP
    inputs = [{x: params[f"input_{x}"][t] for x in cell.inputs} for t in range(VECTOR_STEPS)]
    initial = {s: np.tile(params[f"initial_{s}"], (batch, 1)) for s in cell.states}
    _, total = unroll(cell, values, inputs, initial, NUMPY, eps=eps, loss=_loss(params))
    slopes = (total[0::2] - total[1::2]) / (2 * FD_STEP)
    found: dict = {}
    for k, row in enumerate(rows):
        key = row[:2] if len(row) == 3 else row[0]
        found.setdefault(key, {})[row[2] if len(row) == 3 else row[1]] = slopes[k]
    result = {}
    for key, entries in found.items():
        shape = (n,) if isinstance(key, tuple) else params[key].shape
        array = np.zeros(shape)
        for idx, value in entries.items():
            array[idx] = value
        result[key] = array
    return result


def vector_backward(cell: Cell, derivation: Derivation, params: Mapping[str, np.ndarray], n: int) -> tuple[list[dict], dict]:
    """The derived vector equations run from T down to 1: the bars per step, and each weight's summands summed."""
    weights = {w: params[w] for w in cell.weights}
    inputs = [{x: params[f"input_{x}"][t] for x in cell.inputs} for t in range(VECTOR_STEPS)]
    initial = {s: params[f"initial_{s}"] for s in cell.states}
    trace, _ = unroll(cell, weights, inputs, initial, NUMPY, loss=_loss(params))
    zero = np.zeros(n)
    bars = {f"{b}bar_t" for b in cell.node_names}
    summands = {f"{w}_bar" for w in cell.weights}
    later = {f"{b}bar_next": zero for b in cell.node_names}
    per_step: list[dict] = [{} for _ in trace]
    sums: dict = {name: 0 for name in summands}
    for t in reversed(range(VECTOR_STEPS)):
        env = {**weights, **trace[t], **later}
        nxt = trace[t + 1] if t + 1 < VECTOR_STEPS else {}
        env.update({timed(b, 1).name: nxt.get(timed(b, 0).name, zero) for b in cell.bases})
        y = env[timed(cell.output, 0).name]
        env[cell.loss_symbol.name] = params["a"][t] + y
        for eq in derivation.equations:
            if eq.name in bars:
                env[eq.name] = np.broadcast_to(evaluate_vector(eq.rhs, env, NUMPY), (n,))
            elif eq.name in summands:
                sums[eq.name] = sums[eq.name] + evaluate_vector(eq.rhs, env, NUMPY)
        per_step[t] = {name: env[name] for name in bars}
        later = {f"{b}bar_next": env[f"{b}bar_t"] for b in cell.node_names}
    return per_step, sums


def _distance(derived, expected: np.ndarray) -> float:
    derived = np.asarray(derived, dtype=float)
    if derived.shape != expected.shape:
        return float("inf")  # a wrong equation can give the wrong shape
    return float(np.max(np.abs(derived - expected)))


def check_vector_cell(cell: Cell, derivation: Derivation, sizes=VECTOR_SIZES) -> tuple[Check, ...]:
    """Every vector equation against central differences of the vector reference forward pass, at each size."""
    worst = {eq.name: 0.0 for eq in derivation.equations}
    for seed, (n, m) in enumerate(sizes):
        params = vector_params(cell, n, m, seed=40 + seed)
        fd = _differences(cell, params, n)
        try:
            bars, sums = vector_backward(cell, derivation, params, n)
        except ValueError:  # shapes that do not fit: some equation is wrong
            return tuple(Check(f"{derivation.topic}: {name}", False, f"numpy, size {n}x{m}",
                               "the equations do not evaluate: shapes do not fit") for name in worst)
        for base in cell.node_names:
            name = f"{base}bar_t"
            worst[name] = max(worst[name], max(_distance(bars[t][name], fd[(base, t)]) for t in range(VECTOR_STEPS)))
        for name, total in sums.items():
            worst[name] = max(worst[name], _distance(total, fd[name.removesuffix("_bar")]))
    shapes = ", ".join(f"{n}x{m}" for n, m in sizes)
    return tuple(
        Check(
            f"{derivation.topic}: {name}" + (" summed over t" if name.endswith("_bar") else " at every t"),
            bool(worst[name] <= TOLERANCE),
            f"numpy central differences of the vector reference forward pass, hidden x input sizes {shapes}, T={VECTOR_STEPS}",
            f"max error {worst[name]:.1e}",
        )
        for name in worst
    )


def derive_vector_cell(cell: Cell, *, checked: bool = True) -> Derivation:
    """The vector form's error signals and weight gradients, proved by ``check_vector_cell`` unless ``checked=False``."""
    if not cell.vector:
        raise ValueError(f"cell {cell.name} is not in the vector form (vector = true)")
    equations = tuple(_node_bar(cell, base) for base in reversed(cell.node_names))
    equations += tuple(_weight_summand(cell, w) for w in cell.weights)
    derivation = Derivation(
        topic=f"cell:{cell.name}",
        title=f"{cell.title or cell.name}: backpropagation through time, vector form",
        claim=(
            f"The error signal of every node of the {cell.name} cell as vectors, every path from t+1 included, and the "
            f"per-step summands of its {len(cell.weights)} weight gradients (outer products for the matrices)."
        ),
        equations=equations,
        definitions=(),
        notes=(
            "Products of vectors are elementwise; transpose_times(W, v) = W^T v; outer(u, v) = u v^T.",
            f"Loss L = sum over t of l_t({cell.output}_t); {cell.loss_symbol.name} is its own gradient at {cell.output}_t.",
            "The state Jacobian and its regimes are derived in the univariate form: the same file with vector = false.",
            *cell.notes,
        ),
    )
    return derivation.with_checks(check_vector_cell(cell, derivation)) if checked else derivation
