"""BPTT for the vanilla RNN h_t = tanh(w_xh x_t + w_hh h_prev + b_h) (problem P3), and why it vanishes or explodes.

The univariate equations come from the same adjoint assembly as the LSTM's; the vector form is their
lift (``handnets.derive.vector``). Going back k steps multiplies k Jacobians
dh_s/dh_(s-1) = diag(1 - h_s^2) W_hh: their norm is at most (||W_hh|| max|tanh'|)^k <= ||W_hh||^k, so it
vanishes geometrically when ||W_hh|| < 1, and in the linear regime (h near 0, tanh' = 1) it is W_hh^k,
which explodes when W_hh has an eigenvalue above 1 in modulus.

>>> derive_rnn(checked=False).equation("hbar_t")
dL_dh_t + hbar_next*w_hh*(1 - h_next**2)
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy

from handnets.checks import Check
from handnets.derive.adjoint import Cell, adjoint, gate_rewrites, local_derivative, shift_back, weight_update
from handnets.derive.evaluate import NUMPY, evaluate
from handnets.derive.model import Derivation, Equation, Step
from handnets.derive.vector import lift_bar, lift_update, matrix_symbol
from handnets.vocabulary import SYMBOLS

__all__ = ["rnn_cell", "derive_rnn", "RNN_WEIGHTS"]

S = SYMBOLS
RNN_WEIGHTS = ("w_xh", "w_hh", "b_h")
SIZES = ((1, 1), (2, 3), (4, 2))
STEPS = 6
FD_STEP = 1e-6


def rnn_cell() -> Cell:
    """The vanilla RNN cell at step t."""
    return ((S["h_t"], sympy.tanh(S["w_xh"] * S["x_t"] + S["w_hh"] * S["h_prev"] + S["b_h"])),)


@cache
def _equations() -> tuple[Equation, ...]:
    cell = rnn_cell()
    hbar = adjoint(cell, S["h_t"], {S["h_t"]: S["dL_dh_t"]})
    updates = [weight_update(cell, S[w]) for w in RNN_WEIGHTS]
    equations = [hbar, *updates]
    vector_hbar = lift_bar(hbar.rhs, ("w_hh",))
    equations.append(Equation("vector_hbar_t", vector_hbar, (Step("lift: w_hh*rest -> W_hh^T rest", S["hbar_t"], vector_hbar),), note="vector form"))
    for eq in updates:
        weight = eq.name.removesuffix("_bar")
        lifted = lift_update(eq.rhs, weight)
        name = f"vector_{matrix_symbol(weight).name if weight != 'b_h' else 'b_h'}_bar"
        equations.append(Equation(name, lifted, (Step("lift: rest*input -> (rest) input^T", sympy.Symbol(name), lifted),), note="vector form, summed over t"))
    jac = local_derivative(cell[0][1], S["h_prev"], gate_rewrites(cell))
    equations.append(Equation("dh_t_dh_prev", jac, (Step("sympy.diff of the cell", sympy.Derivative(S["h_t"], S["h_prev"]), jac),), note="vector form: diag(1 - h_t**2) W_hh"))
    two = jac * shift_back(jac)
    equations.append(
        Equation(
            "dh_t_dh_prev2",
            two,
            (Step("chain rule over two steps", sympy.Derivative(S["h_t"], S["h_prev2"]), two),),
            note="k steps back: the product of k such factors; |.| <= |w_hh|^k since 0 < 1 - h^2 <= 1",
        )
    )
    return tuple(equations)


# ---------------------------------------------------------------------------------- checks


def _params(n: int, m: int, steps: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "W_xh": rng.uniform(-1, 1, (n, m)),
        "W_hh": rng.uniform(-1, 1, (n, n)),
        "b_h": rng.uniform(-0.5, 0.5, n),
        "x": rng.uniform(-1.5, 1.5, (steps, m)),
        "h0": rng.uniform(-1, 1, n),
        "a": rng.uniform(-1, 1, (steps, n)),
    }


@cache
def _vector_cell():
    """The ``rnn`` cell file in the vector form: W_xh, W_hh matrices, b_h a vector."""
    import dataclasses

    from handnets.derive.cellfile import load_cell

    cell = load_cell("rnn")
    rename = {S["w_xh"]: matrix_symbol("w_xh"), S["w_hh"]: matrix_symbol("w_hh")}
    nodes = tuple((base, definition.xreplace(rename)) for base, definition in cell.nodes)
    return dataclasses.replace(cell, nodes=nodes, weights=("W_xh", "W_hh", "b_h"), vector=True)


def _forward(p, eps, deltas):
    """The batched reference forward pass (``handnets.derive.reference``): eps (batch, T, n) perturbs h."""
    from handnets.derive.reference import unroll

    batch = eps.shape[0]
    weights = {k: p[k][None] + deltas.get(k, 0) for k in ("W_xh", "W_hh", "b_h")}
    loss = lambda t, h: h @ p["a"][t] + 0.5 * np.sum(h * h, axis=1)  # noqa: E731
    trace, total = unroll(_vector_cell(), weights, [{"x": x} for x in p["x"]], {"h": np.tile(p["h0"], (batch, 1))}, NUMPY,
                          eps={"h": eps.transpose(1, 0, 2)}, loss=loss)
    return total, [{"x": step["x_t"], "h": step["h_t"][0], "h_prev": step["h_prev"][0]} for step in trace]


def _fd(p):
    steps, n = p["a"].shape
    names = ("W_xh", "W_hh", "b_h")
    batch = 2 * (steps * n + sum(p[k].size for k in names))
    eps = np.zeros((batch, steps, n))
    deltas = {k: np.zeros((batch, *p[k].shape)) for k in names}
    row = 0
    for t in range(steps):
        for j in range(n):
            eps[row, t, j], eps[row + 1, t, j] = FD_STEP, -FD_STEP
            row += 2
    for k in names:
        for idx in np.ndindex(p[k].shape):
            deltas[k][(row, *idx)], deltas[k][(row + 1, *idx)] = FD_STEP, -FD_STEP
            row += 2
    loss, _ = _forward(p, eps, deltas)
    slopes = (loss[0::2] - loss[1::2]) / (2 * FD_STEP)
    out = {"h": slopes[: steps * n].reshape(steps, n)}
    offset = steps * n
    for k in names:
        out[k] = slopes[offset : offset + p[k].size].reshape(p[k].shape)
        offset += p[k].size
    return out


def _vector_checks(by_name) -> list[Check]:
    worst = {"vector_hbar_t": 0.0, "vector_W_xh_bar": 0.0, "vector_W_hh_bar": 0.0, "vector_b_h_bar": 0.0}
    for seed, (n, m) in enumerate(SIZES):
        p = _params(n, m, STEPS, seed=60 + seed)
        fd = _fd(p)
        _, trace = _forward(p, np.zeros((1, STEPS, n)), {})
        later = {"hbar_next": np.zeros(n), "h_next": np.zeros(n)}
        sums = {k: 0 for k in ("W_xh", "W_hh", "b_h")}
        for t in reversed(range(STEPS)):
            env = {"W_hh": p["W_hh"], "W_xh": p["W_xh"], "x_t": trace[t]["x"], "h_t": trace[t]["h"], "h_prev": trace[t]["h_prev"], "dL_dh_t": p["a"][t] + trace[t]["h"], **later}
            env["hbar_t"] = evaluate(by_name["vector_hbar_t"], env, NUMPY)
            worst["vector_hbar_t"] = max(worst["vector_hbar_t"], float(np.max(np.abs(env["hbar_t"] - fd["h"][t]))))
            for k in sums:
                sums[k] = sums[k] + evaluate(by_name[f"vector_{k}_bar"], env, NUMPY)
            later = {"hbar_next": env["hbar_t"], "h_next": trace[t]["h"]}
        for k in sums:
            worst[f"vector_{k}_bar"] = max(worst[f"vector_{k}_bar"], float(np.max(np.abs(sums[k] - fd[k]))))
    shapes = ", ".join(f"{n}x{m}" for n, m in SIZES)
    return [Check(f"rnn: {k}", bool(v <= 1e-7), f"numpy central differences, hidden x input sizes {shapes}, T={STEPS}", f"max error {v:.1e}") for k, v in worst.items()]


def _scalar_checks(by_name) -> list[Check]:
    """Univariate: sympy.diff of the fully nested unrolled loss (the RNN's tree stays small), T=1..4."""
    import random

    import mpmath

    from handnets.derive.evaluate import MPMATH

    worst = {name: mpmath.mpf(0) for name in ("hbar_t", "w_xh_bar", "w_hh_bar", "b_h_bar")}
    with mpmath.workdps(40):
        for T in range(1, 5):
            rng = random.Random(300 + T)
            q = lambda: sympy.Rational(rng.randint(-15, 15), 10)  # noqa: E731
            point = {"w_xh": q(), "w_hh": q(), "b_h": q()}
            xs, a, h0 = [q() for _ in range(T)], [q() for _ in range(T)], q()
            s = sympy.Symbol("s", real=True)
            num = {k: MPMATH.number(v) for k, v in point.items()}
            hs, h = [], MPMATH.number(h0)
            for t in range(T):  # the forward pass in 40-digit numbers, for the derived recurrence
                h = mpmath.tanh(num["w_xh"] * MPMATH.number(xs[t]) + num["w_hh"] * h + num["b_h"])
                hs.append(h)
            # the unrolled loss is built over symbols (x1.., a1.., h0) and the point put in after sympy.diff:
            # exact transcendental numbers inside the tree would make sympy query their signs at every step
            xsym, asym = sympy.symbols(f"x1:{T + 1}", real=True), sympy.symbols(f"a1:{T + 1}", real=True)
            values = {"h0": MPMATH.number(h0), "s": mpmath.mpf(0), **num}
            values.update({str(v): MPMATH.number(x) for v, x in zip(xsym, xs)})
            values.update({str(v): MPMATH.number(x) for v, x in zip(asym, a)})
            for target in ("h", *RNN_WEIGHTS):
                w = {k: sympy.Symbol(k, real=True) + (s if k == target else 0) for k in point}
                h, loss = sympy.Symbol("h0", real=True), 0
                for t in range(T):
                    h = sympy.tanh(w["w_xh"] * xsym[t] + w["w_hh"] * h + w["b_h"]) + (s * (t + 1) if target == "h" else 0)
                    loss += asym[t] * h + h**2 / 2
                oracle = evaluate(sympy.diff(loss, s), values, MPMATH)
                later = {"hbar_next": mpmath.mpf(0), "h_next": mpmath.mpf(0)}
                derived = mpmath.mpf(0)
                for t in reversed(range(T)):
                    env = {"dL_dh_t": MPMATH.number(a[t]) + hs[t], "h_t": hs[t], "h_prev": hs[t - 1] if t else MPMATH.number(h0), "x_t": MPMATH.number(xs[t]), **num, **later}
                    env["hbar_t"] = evaluate(by_name["hbar_t"], env, MPMATH)
                    derived += (t + 1) * env["hbar_t"] if target == "h" else evaluate(by_name[f"{target}_bar"], env, MPMATH)
                    later = {"hbar_next": env["hbar_t"], "h_next": hs[t]}
                name = "hbar_t" if target == "h" else f"{target}_bar"
                worst[name] = max(worst[name], abs(derived - oracle) / (1 + abs(oracle)))
        return [
            Check(f"rnn: {name} (univariate)", bool(err < mpmath.mpf(10) ** -30), "sympy.diff of the fully nested unrolled loss, T=1..4, exact rational points, 40 digits", f"relative error {mpmath.nstr(err, 3)}")
            for name, err in worst.items()
        ]


def _jacobian_checks(by_name) -> list[Check]:
    checks = []
    rng = np.random.default_rng(9)
    # d h_t / d h_(t-k) by finite differences = product of diag(1 - h^2) W_hh, and its norm bound
    worst_product, bound_ok = 0.0, True
    for n in (2, 3):
        W = rng.uniform(-1, 1, (n, n))
        W_xh, b = rng.uniform(-1, 1, (n, 2)), rng.uniform(-0.5, 0.5, n)
        xs = rng.uniform(-1, 1, (8, 2))
        h0 = rng.uniform(-1, 1, n)

        def run(h):
            hs = []
            for x in xs:
                h = np.tanh(W_xh @ x + W @ h + b)
                hs.append(h)
            return hs

        hs = run(h0)
        product = np.eye(n)
        for h in hs:
            product = np.diag(1 - h**2) @ W @ product
        fd = np.array([(run(h0 + FD_STEP * e)[-1] - run(h0 - FD_STEP * e)[-1]) / (2 * FD_STEP) for e in np.eye(n)]).T
        worst_product = max(worst_product, float(np.max(np.abs(product - fd))))
        bound_ok &= np.linalg.norm(product, 2) <= np.linalg.norm(W, 2) ** len(xs) + 1e-12
    checks.append(Check("rnn: dh_t/dh_(t-k) = prod diag(1 - h_s^2) W_hh", bool(worst_product <= 1e-7), "numpy central differences through 8 steps, n = 2, 3", f"max error {worst_product:.1e}"))
    checks.append(Check("rnn: ||dh_t/dh_(t-k)|| <= ||W_hh||^k", bool(bound_ok), "spectral norms, the same runs"))
    # vanishing: ||W_hh|| = 0.5 gives at most 0.5^20 after 20 steps; exploding: linear regime, rho = 1.5
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    small, large = 0.5 * Q, 1.5 * Q
    product = np.eye(3)
    h = rng.uniform(-1, 1, 3)
    for _ in range(20):
        h = np.tanh(small @ h)
        product = np.diag(1 - h**2) @ small @ product
    vanishes = np.linalg.norm(product, 2) <= 0.5**20 * (1 + 1e-9)
    grows = np.linalg.norm(np.linalg.matrix_power(large, 20), 2)  # h stays 0 with x = 0, b = 0: tanh' = 1
    checks.append(Check("rnn: with ||W_hh|| = 0.5 the gradient vanishes (<= 0.5^20 after 20 steps)", bool(vanishes), "product of Jacobians along a run", f"norm {np.linalg.norm(product, 2):.2e}"))
    checks.append(Check("rnn: with W_hh = 1.5 Q at h = 0 it explodes (1.5^20 after 20 steps)", bool(abs(grows - 1.5**20) <= 1e-6 * 1.5**20), "W_hh^20 (h_t = 0 for x = 0, b = 0, so each Jacobian is W_hh)", f"norm {grows:.4g}"))
    jac_ok = sympy.expand(by_name["dh_t_dh_prev"] - S["w_hh"] * (1 - S["h_t"] ** 2)) == 0
    checks.append(Check("rnn: dh_t/dh_prev = w_hh*(1 - h_t**2) and two steps multiply", jac_ok and by_name["dh_t_dh_prev2"] == by_name["dh_t_dh_prev"] * shift_back(by_name["dh_t_dh_prev"]), "sympy.diff of the cell; shift one step back"))
    return checks


@cache
def derive_rnn(*, checked: bool = True) -> Derivation:
    """BPTT for the vanilla RNN (univariate and vector form) and the Jacobian product over time."""
    equations = _equations()
    derivation = Derivation(
        topic="rnn",
        title="Vanilla RNN backpropagation through time",
        claim=(
            "For h_t = tanh(W_hh h_(t-1) + W_xh x_t + b): delta h_t = dL/dh_t + W_hh^T (delta h_(t+1) * (1 - h_(t+1)^2)); "
            "going back k steps multiplies k Jacobians diag(1 - h_s^2) W_hh, whose norm is at most ||W_hh||^k: the "
            "gradient vanishes when ||W_hh|| < 1 and can explode when W_hh has an eigenvalue above 1."
        ),
        equations=equations,
        definitions=tuple(rnn_cell()),
    )
    if not checked:
        return derivation
    by_name = {eq.name: eq.rhs for eq in equations}
    return derivation.with_checks(tuple(_scalar_checks(by_name) + _vector_checks(by_name) + _jacobian_checks(by_name)))
