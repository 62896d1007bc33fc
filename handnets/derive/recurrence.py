"""Unrolled LSTM recurrences (problem P3): c_t in terms of c_{t-k}, delta c back along the cell, forget gate 0.

Names for k steps back: ``c_t_k`` is c_{t-k}, and ``f_t_j``, ``i_t_j``, ``g_t_j`` are the gates at t-j
(j = 0 is step t itself, written ``f_t``, ``i_t``, ``g_t``). Two steps back the vocabulary's own names
are used: ``c_prev2``, ``f_prev``, ``i_prev``, ``g_prev``, ``hbar_prev``, ``hbar_prev2``.

>>> derive_recurrence(checked=False).equation("cbar_prev2")
cbar_t*f_prev*f_t
"""

from __future__ import annotations

from functools import cache

import sympy

from handnets.checks import Check
from handnets.derive.adjoint import shift_back
from handnets.derive.model import Derivation, Equation, Step
from handnets.vocabulary import SYMBOLS

__all__ = ["lagged", "unrolled_cell", "closed_form", "cell_path_bar", "derive_recurrence", "MAX_CHECKED_STEPS"]

S = SYMBOLS
MAX_CHECKED_STEPS = 8


def lagged(base: str, j: int) -> sympy.Symbol:
    """The symbol for ``base`` at step t-j: ``lagged("f", 0)`` is f_t, ``lagged("f", 3)`` is f_t_3.

    >>> lagged("c", 2), lagged("i", 0)
    (c_t_2, i_t)
    """
    if j < 0:
        raise ValueError(f"j must be >= 0, got {j}")
    return S[f"{base}_t"] if j == 0 else sympy.Symbol(f"{base}_t_{j}", real=True)


def unrolled_cell(k: int) -> sympy.Expr:
    """c_t by repeated substitution of c_{t-j} = f_{t-j} c_{t-j-1} + i_{t-j} g_{t-j}, j = 0..k-1 (unexpanded)."""
    expr: sympy.Expr = lagged("c", k)
    for j in reversed(range(k)):
        expr = lagged("f", j) * expr + lagged("i", j) * lagged("g", j)
    return expr


def closed_form(k: int) -> sympy.Expr:
    """The closed form: c_t = (prod_{j<k} f_{t-j}) c_{t-k} + sum_{j<k} (prod_{m<j} f_{t-m}) i_{t-j} g_{t-j}.

    >>> closed_form(2)
    c_t_2*f_t*f_t_1 + f_t*g_t_1*i_t_1 + g_t*i_t
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    forget = lambda n: sympy.Mul(*(lagged("f", m) for m in range(n)))  # noqa: E731
    return forget(k) * lagged("c", k) + sympy.Add(*(forget(j) * lagged("i", j) * lagged("g", j) for j in range(k)))


def cell_path_bar(k: int) -> sympy.Expr:
    """delta c_{t-k} along the cell path alone: cbar_t times the k forget gates f_t ... f_{t-k+1}."""
    return S["cbar_t"] * sympy.Mul(*(lagged("f", m) for m in range(k)))


def _to_vocabulary_two_steps(expr: sympy.Expr) -> sympy.Expr:
    return expr.xreplace(
        {lagged("c", 2): S["c_prev2"], lagged("f", 1): S["f_prev"], lagged("i", 1): S["i_prev"], lagged("g", 1): S["g_prev"]}
    )


@cache
def _equations(steps: int) -> tuple[Equation, ...]:
    from handnets.derive.lstm import derive_lstm

    lstm = derive_lstm(checked=False)
    c_t = S["c_t"]
    one_step = S["f_t"] * S["c_prev"] + S["i_t"] * S["g_t"]
    c_prev_def = shift_back(one_step)
    two = sympy.expand(one_step.xreplace({S["c_prev"]: c_prev_def}))
    equations = [
        Equation(
            "c_t_from_c_prev2",
            two,
            (
                Step("the cell update", c_t, one_step),
                Step("the same one step earlier", S["c_prev"], c_prev_def),
                Step("substitute and expand", c_t, two),
            ),
        )
    ]
    k_form = closed_form(steps)
    equations.append(
        Equation(
            "c_t_from_c_t_k",
            k_form,
            (Step(f"substitute c_(t-j) = f_(t-j) c_(t-j-1) + i_(t-j) g_(t-j) for j = 0..{steps - 1}", c_t, unrolled_cell(steps)), Step("expand", c_t, k_form)),
            note=f"k = {steps}; c_t_{steps} is c_(t-{steps}), f_t_j is f_(t-j)",
        )
    )
    cbar = lstm.get("cbar_t")
    cell_part = cbar.rhs.xreplace({S["hbar_t"]: 0})  # the path through c_next alone
    cbar_prev = shift_back(cell_part)  # cbar_prev = cbar_t*f_t along the cell
    along = sympy.expand(shift_back(cbar_prev).xreplace({S["cbar_prev"]: cbar_prev}))
    equations.append(
        Equation(
            "cbar_prev2",
            along,
            (
                Step("the derived cbar_t, its path through c_next alone", S["cbar_t"], cell_part),
                Step("one step back", S["cbar_prev"], cbar_prev),
                Step("two steps back, substituting cbar_prev", S["cbar_prev2"], along),
            ),
            note="along the cell path alone",
        )
    )
    full_prev = shift_back(cbar.rhs)
    full = shift_back(full_prev).xreplace({S["cbar_prev"]: full_prev})
    equations.append(
        Equation(
            "cbar_prev2_full",
            full,
            (
                Step("the derived cbar_t one step back", S["cbar_prev"], full_prev),
                Step("two steps back, substituting cbar_prev", S["cbar_prev2"], full),
            ),
            note="the cell path plus the paths through h_prev and h_prev2 (whose hbar carry every later path)",
        )
    )
    equations.append(
        Equation(
            "cbar_t_k",
            cell_path_bar(steps),
            (Step(f"apply cbar_(s-1) = cbar_s f_s along the cell {steps} times", sympy.Symbol(f"cbar_t_{steps}"), cell_path_bar(steps)),),
            note=f"delta c_(t-{steps}) along the cell path alone",
        )
    )
    zero = one_step.xreplace({S["f_t"]: 0})
    equations.append(
        Equation(
            "c_t_forget_zero",
            zero,
            (Step("set f_t = 0 in the cell update", c_t, zero),),
            note="the cell forgets c_prev entirely; no gradient flows back along the cell (cbar_prev = hbar_prev*o_prev*(1 - tanh(c_prev)**2) only)",
        )
    )
    equations.append(
        Equation(
            "cbar_prev_forget_zero",
            shift_back(cbar.rhs).xreplace({S["f_t"]: 0}),
            (Step("set f_t = 0 in the derived cbar_prev", S["cbar_prev"], shift_back(cbar.rhs).xreplace({S["f_t"]: 0})),),
        )
    )
    return tuple(equations)


def _checks(steps: int, equations: tuple[Equation, ...]) -> tuple[Check, ...]:
    by_name = {eq.name: eq.rhs for eq in equations}
    checks = []
    # closed forms: against repeated substitution, exactly (polynomial identity after expansion)
    bad = [k for k in range(1, MAX_CHECKED_STEPS + 1) if sympy.expand(closed_form(k) - unrolled_cell(k)) != 0]
    checks.append(Check(f"recurrence: closed form of c_t in c_(t-k) equals repeated substitution, k = 1..{MAX_CHECKED_STEPS}", not bad, "sympy.expand of the difference", f"failed for k = {bad}" if bad else ""))
    checks.append(
        Check(
            "recurrence: c_t_from_c_prev2 equals the k = 2 closed form",
            sympy.expand(by_name["c_t_from_c_prev2"] - _to_vocabulary_two_steps(closed_form(2))) == 0,
            "sympy.expand of the difference",
        )
    )
    # cell path: the derivative of the unrolled cell with respect to c_(t-k), gates held fixed
    bad = [k for k in range(1, MAX_CHECKED_STEPS + 1) if sympy.expand(sympy.diff(unrolled_cell(k), lagged("c", k)) * S["cbar_t"] - cell_path_bar(k)) != 0]
    checks.append(Check(f"recurrence: delta c_(t-k) along the cell = cbar_t * d c_t/d c_(t-k), k = 1..{MAX_CHECKED_STEPS}", not bad, "sympy.diff of the unrolled cell update (gates fixed)", f"failed for k = {bad}" if bad else ""))
    checks.append(
        Check(
            "recurrence: cbar_prev2 = cbar_t*f_t*f_prev",
            sympy.expand(by_name["cbar_prev2"] - _to_vocabulary_two_steps(cell_path_bar(2))) == 0,
            "sympy.expand against the k = 2 cell path",
        )
    )
    checks.append(
        Check(
            f"recurrence: cbar_t_k is the cell path for k = {steps}",
            sympy.expand(by_name["cbar_t_k"] - sympy.diff(unrolled_cell(steps), lagged("c", steps)) * S["cbar_t"]) == 0,
            "sympy.diff of the unrolled cell update",
        )
    )
    checks.append(_check_full_numerically(by_name["cbar_prev2_full"]))
    zero_ok = all(sympy.expand(unrolled_cell(k).xreplace({lagged("f", 0): 0}) - S["i_t"] * S["g_t"]) == 0 for k in range(1, MAX_CHECKED_STEPS + 1))
    checks.append(
        Check(
            "recurrence: with f_t = 0, c_t = i_t*g_t whatever came before",
            zero_ok and by_name["c_t_forget_zero"] == S["i_t"] * S["g_t"],
            f"unrolled cell with f_t = 0, k = 1..{MAX_CHECKED_STEPS}",
        )
    )
    no_cell = by_name["cbar_prev_forget_zero"]
    checks.append(
        Check("recurrence: with f_t = 0 nothing flows back along the cell", S["cbar_t"] not in no_cell.free_symbols, "cbar_t absent from cbar_prev once f_t = 0")
    )
    return tuple(checks)


def _check_full_numerically(full: sympy.Expr) -> Check:
    """cbar_prev2 in full against finite-difference bars of a T = 30 LSTM, at every t >= 3."""
    from handnets.derive.evaluate import NUMPY, evaluate
    from handnets.derive.oracles import NUMPY_STEPS, NUMPY_TOLERANCE, numpy_gradients, random_point

    point = random_point(NUMPY_STEPS, seed=23)
    fd = numpy_gradients(point)
    from handnets.derive.oracles import forward_values

    values = forward_values(point, NUMPY)
    worst = 0.0
    for t in range(2, NUMPY_STEPS):
        env = {
            "cbar_t": fd["c"][t],
            "f_t": values[t]["f"],
            "f_prev": values[t - 1]["f"],
            "hbar_prev": fd["h"][t - 1],
            "hbar_prev2": fd["h"][t - 2],
            "o_prev": values[t - 1]["o"],
            "o_prev2": values[t - 2]["o"],
            "c_prev": values[t - 1]["c"],
            "c_prev2": values[t - 2]["c"],
        }
        derived = evaluate(full, env, NUMPY)
        worst = max(worst, abs(derived - fd["c"][t - 2]) / (1 + abs(fd["c"][t - 2])))
    return Check(
        "recurrence: cbar_prev2 in full (cell path + paths through h) = dL/dc_(t-2)",
        bool(worst <= NUMPY_TOLERANCE),
        f"numpy central differences of a T={NUMPY_STEPS} LSTM, every t",
        f"relative error {worst:.1e}",
    )


@cache
def derive_recurrence(steps: int = 2, *, checked: bool = True) -> Derivation:
    """c_t in terms of c_(t-2) and c_(t-k), delta c back along the cell and in full, forget gate 0.

    >>> derive_recurrence(checked=False).equation("c_t_from_c_prev2")
    c_prev2*f_prev*f_t + f_t*g_prev*i_prev + g_t*i_t
    """
    if not 1 <= steps <= 64:
        raise ValueError(f"steps must be between 1 and 64, got {steps}")
    equations = _equations(steps)
    derivation = Derivation(
        topic="recurrence",
        title="Unrolled LSTM recurrences",
        claim=(
            "c_t = (prod_{j<k} f_(t-j)) c_(t-k) + sum_{j<k} (prod_{m<j} f_(t-m)) i_(t-j) g_(t-j); along the cell path "
            "delta c_(t-k) = delta c_t prod_{j<k} f_(t-j); with a forget gate of 0 the cell restarts from i_t g_t."
        ),
        equations=equations,
        definitions=(),
        notes=(
            f"k-step names: c_t_{steps} is c_(t-{steps}); f_t_j, i_t_j, g_t_j are the gates at t-j (j = 0: f_t, i_t, g_t).",
            "In full, delta c_(t-2) also receives hbar_prev2*o_prev2*(1 - tanh(c_prev2)**2) and f_prev*hbar_prev*o_prev*(1 - tanh(c_prev)**2): the paths through h.",
        ),
    )
    return derivation.with_checks(_checks(steps, equations)) if checked else derivation
