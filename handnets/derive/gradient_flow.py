"""Gradient flow through the LSTM state (P2's last question): the Jacobian of (h_t, c_t) w.r.t. (h_prev, c_prev).

When the forget gates tend to 1 and the input and output gates to 0, the Jacobian tends to
``[[0, 0], [0, 1]]``: delta c is carried back unchanged (cbar_prev = cbar_t, neither exploding nor
vanishing) while every path through h dies out (hbar_t tends to dL_dh_t).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy

from handnets.checks import Check
from handnets.derive.adjoint import gate_rewrites
from handnets.derive.evaluate import NUMPY, evaluate
from handnets.derive.model import Derivation, Equation, Step
from handnets.vocabulary import SYMBOLS

__all__ = ["state_jacobian", "REGIME", "derive_gradient_flow"]

S = SYMBOLS
# forget gates -> 1, input and output gates -> 0, at t and t+1
REGIME = {S["f_t"]: 1, S["f_next"]: 1, S["i_t"]: 0, S["i_next"]: 0, S["o_t"]: 0, S["o_next"]: 0}
_ENTRIES = (("dh_t_dh_prev", "h_t", "h_prev"), ("dh_t_dc_prev", "h_t", "c_prev"), ("dc_t_dh_prev", "c_t", "h_prev"), ("dc_t_dc_prev", "c_t", "c_prev"))


@cache
def state_jacobian() -> sympy.Matrix:
    """d(h_t, c_t)/d(h_prev, c_prev) by sympy.diff of the cell written in h_prev, c_prev, gates renamed.

    >>> state_jacobian()[1, 1]
    f_t
    """
    from handnets.derive.lstm import lstm_cell

    cell = lstm_cell()
    definitions = dict(cell)
    c_t = definitions[S["c_t"]].xreplace({node: d for node, d in cell[:4]})
    h_t = definitions[S["h_t"]].xreplace({S["o_t"]: definitions[S["o_t"]], S["c_t"]: c_t})
    rewrites = gate_rewrites(cell)
    tanh_c = sympy.tanh(c_t)
    back = {**rewrites, tanh_c: sympy.tanh(S["c_t"])}
    rows = []
    for out in (h_t, c_t):
        rows.append([sympy.diff(out, v).xreplace(back).xreplace(back) for v in (S["h_prev"], S["c_prev"])])
    return sympy.Matrix(rows)


@cache
def _equations() -> tuple[Equation, ...]:
    from handnets.derive.lstm import derive_lstm, lstm_definitions

    jac = state_jacobian()
    equations = []
    for (name, out, wrt), value in zip(_ENTRIES, (jac[0, 0], jac[0, 1], jac[1, 0], jac[1, 1])):
        limit = sympy.expand(value.xreplace(REGIME))
        steps = (
            Step(f"sympy.diff of {out} with the cell substituted", sympy.Derivative(S[out], S[wrt]), value),
            Step("forget gate -> 1, input and output gates -> 0", sympy.Derivative(S[out], S[wrt]), limit),
        )
        equations.append(Equation(name, value, steps[:1]))
        equations.append(Equation(f"{name}_limit", limit, steps))
    lstm = derive_lstm(checked=False)
    next_bars = {k: v for k, v in lstm_definitions().items() if k.name.endswith("bar_next")}
    for bar in ("hbar_t", "cbar_t"):
        rhs = lstm.equation(bar).xreplace(next_bars)
        limit = sympy.expand(rhs.xreplace(REGIME))
        equations.append(
            Equation(
                f"{bar}_limit",
                limit,
                (
                    Step("the derived equation, next-step gate bars substituted", S[bar], rhs),
                    Step("forget gates -> 1, input and output gates -> 0", S[bar], limit),
                ),
            )
        )
    return tuple(equations)


def _numeric_cell(h, c, x, w):
    """One step of the reference forward pass of the ``lstm`` cell file: h_t, c_t and the gates."""
    from handnets.derive.cellfile import load_cell
    from handnets.derive.reference import step

    env = step(load_cell("lstm"), {"h": h, "c": c}, {"x": x}, w, NUMPY)
    return env["h_t"], env["c_t"], {k: env[f"{k}_t"] for k in "ifog"}


def _fd_jacobian(h, c, x, w, step=1e-6):
    cols = []
    for dh, dc in ((step, 0.0), (0.0, step)):
        plus = _numeric_cell(h + dh, c + dc, x, w)
        minus = _numeric_cell(h - dh, c - dc, x, w)
        cols.append([(plus[0] - minus[0]) / (2 * step), (plus[1] - minus[1]) / (2 * step)])
    return np.array(cols).T


def _checks(equations: tuple[Equation, ...]) -> tuple[Check, ...]:
    rng = np.random.default_rng(5)
    jac = state_jacobian()
    worst = 0.0
    for _ in range(20):
        w = {name: rng.uniform(-1.5, 1.5) for name in ("w_xi", "w_hi", "w_xf", "w_hf", "w_xo", "w_ho", "w_xg", "w_hg")}
        h, c, x = rng.uniform(-1.5, 1.5, 3)
        h_t, c_t, gates = _numeric_cell(h, c, x, w)
        env = {**w, "h_prev": h, "c_prev": c, "x_t": x, "c_t": c_t, **{f"{k}_t": v for k, v in gates.items()}}
        derived = np.array([[float(evaluate(jac[r, k], env, NUMPY)) for k in range(2)] for r in range(2)])
        worst = max(worst, float(np.max(np.abs(derived - _fd_jacobian(h, c, x, w)))))
    checks = [Check("gradient-flow: the state Jacobian = finite differences of one cell", bool(worst <= 1e-7), "numpy central differences at 20 random points", f"max error {worst:.1e}")]
    by_name = {eq.name: eq.rhs for eq in equations}
    limit = sympy.Matrix([[by_name["dh_t_dh_prev_limit"], by_name["dh_t_dc_prev_limit"]], [by_name["dc_t_dh_prev_limit"], by_name["dc_t_dc_prev_limit"]]])
    checks.append(Check("gradient-flow: in the regime the Jacobian is [[0, 0], [0, 1]]", limit == sympy.Matrix([[0, 0], [0, 1]]), "substitution into the derived Jacobian (a polynomial in the gates, so the limit)"))
    # saturate the gates numerically: big weights on a positive input; the product over 50 steps keeps cbar
    w = {"w_xi": -40.0, "w_hi": 0.0, "w_xf": 40.0, "w_hf": 0.0, "w_xo": -40.0, "w_ho": 0.0, "w_xg": 1.0, "w_hg": 1.0}
    product = np.eye(2)
    h, c = 0.3, 0.7
    for _ in range(50):
        product = _fd_jacobian(h, c, 1.0, w) @ product
        h, c, _ = _numeric_cell(h, c, 1.0, w)
    error = float(np.max(np.abs(product - np.array([[0.0, 0.0], [0.0, 1.0]]))))
    checks.append(Check("gradient-flow: 50 saturated steps carry delta c back unchanged and kill the h paths", bool(error <= 1e-6), "product of finite-difference Jacobians, gates saturated (|pre-activation| = 40)", f"max error {error:.1e}"))
    checks.append(Check("gradient-flow: hbar_t -> dL_dh_t and cbar_t -> cbar_next", by_name["hbar_t_limit"] == S["dL_dh_t"] and by_name["cbar_t_limit"] == S["cbar_next"], "substitution into the derived hbar_t, cbar_t"))
    return tuple(checks)


@cache
def derive_gradient_flow(*, checked: bool = True) -> Derivation:
    """The state Jacobian of the LSTM and its limit when forget gates -> 1, input and output gates -> 0.

    >>> derive_gradient_flow(checked=False).equation("cbar_t_limit")
    cbar_next
    """
    equations = _equations()
    derivation = Derivation(
        topic="gradient-flow",
        title="Gradient flow through the LSTM state",
        claim=(
            "With forget gates near 1 and input and output gates near 0, d(h_t, c_t)/d(h_prev, c_prev) tends to "
            "[[0, 0], [0, 1]]: cbar_t = cbar_next is carried back unchanged, so the gradient along the cell neither "
            "explodes nor vanishes, while hbar_t = dL_dh_t receives nothing from later steps."
        ),
        equations=equations,
        definitions=(),
        notes=("Entries are written with the gate values; tanh(c_t) stays as it is.",),
    )
    return derivation.with_checks(_checks(equations)) if checked else derivation
