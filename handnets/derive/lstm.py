"""Backpropagation through time for the univariate LSTM (problem P2), derived with sympy and proved.

The cell at step t (no biases)::

    i_t = sigmoid(w_xi*x_t + w_hi*h_prev)    f_t = sigmoid(w_xf*x_t + w_hf*h_prev)
    o_t = sigmoid(w_xo*x_t + w_ho*h_prev)    g_t = tanh(w_xg*x_t + w_hg*h_prev)
    c_t = f_t*c_prev + i_t*g_t               h_t = o_t*tanh(c_t)

Bars are derivatives of the loss with respect to the gate *values* (post-activation), as in the
homework: ``obar_t = hbar_t*tanh(c_t)``, ``ibar_t = cbar_t*g_t``. Nothing is typed: each bar is the
chain rule over the nodes that read it (``handnets.derive.adjoint``), with local derivatives from
``sympy.diff``. ``derive_lstm()`` also proves every equation (``handnets.derive.oracles``) and carries
the verdicts in ``.checks``.

>>> derive_lstm(checked=False).equation("gbar_t")
cbar_t*i_t
>>> lstm_definitions()[SYMBOLS["ibar_next"]]
cbar_next*g_next
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

import sympy

from handnets.derive.adjoint import Cell, adjoint, shift, shift_forward, weight_update
from handnets.derive.model import Derivation, Equation, Step
from handnets.vocabulary import SYMBOLS, WEIGHTS, sigmoid

__all__ = [
    "lstm_cell",
    "derive_lstm",
    "derive_lstm_ce",
    "lstm_definitions",
    "lstm_ce_definitions",
    "gate_definitions",
    "grading_definitions",
    "grading_ce_definitions",
    "ce_step_loss_cbar",
    "BAR_ORDER",
]

S = SYMBOLS
# Evaluation order of the adjoint at one step: each equation reads only bars computed before it.
BAR_ORDER = ("hbar_t", "cbar_t", "obar_t", "gbar_t", "fbar_t", "ibar_t")


def lstm_cell() -> Cell:
    """The univariate LSTM cell at step t, in evaluation order, as ``(node, definition)`` pairs."""

    def z(gate: str) -> sympy.Expr:
        return S[f"w_x{gate}"] * S["x_t"] + S[f"w_h{gate}"] * S["h_prev"]

    return (
        (S["i_t"], sigmoid(z("i"))),
        (S["f_t"], sigmoid(z("f"))),
        (S["o_t"], sigmoid(z("o"))),
        (S["g_t"], sympy.tanh(z("g"))),
        (S["c_t"], S["f_t"] * S["c_prev"] + S["i_t"] * S["g_t"]),
        (S["h_t"], S["o_t"] * sympy.tanh(S["c_t"])),
    )


@cache
def _lstm_equations() -> tuple[Equation, ...]:
    cell = lstm_cell()
    direct = {S["h_t"]: S["dL_dh_t"]}
    bars = {eq.name: eq for eq in (adjoint(cell, node, direct) for node, _ in cell)}
    updates = tuple(weight_update(cell, S[w]) for w in WEIGHTS)
    return tuple(bars[name] for name in BAR_ORDER) + updates


def _forward_definitions() -> dict[sympy.Symbol, sympy.Expr]:
    cell = lstm_cell()
    return {**dict(cell), **{shift_forward(node): shift_forward(d) for node, d in cell}}


@cache
def _lstm_definitions() -> Mapping[sympy.Symbol, sympy.Expr]:
    definitions = _forward_definitions()
    # the gate bars at t and t+1, from the derived equations themselves (shifted one step later)
    for eq in _lstm_equations():
        if eq.name in ("obar_t", "gbar_t", "fbar_t", "ibar_t"):
            definitions[S[eq.name]] = eq.rhs
            definitions[shift_forward(S[eq.name])] = shift_forward(eq.rhs)
    return MappingProxyType(definitions)


def lstm_definitions() -> Mapping[sympy.Symbol, sympy.Expr]:
    """What a grader substitutes before comparing LSTM answers: gates, states and gate bars at t and t+1.

    Gates and states at t and t+1 map to their definitions (``i_t -> sigmoid(w_xi*x_t + w_hi*h_prev)``,
    ``c_t -> f_t*c_prev + i_t*g_t``, ``h_t -> o_t*tanh(c_t)``) and the gate bars to theirs
    (``ibar_t -> cbar_t*g_t``, ``ibar_next -> cbar_next*g_next``), so an answer to the w_xi question
    may write ``cbar_t*g_t`` for ``ibar_t``. ``hbar_t`` and ``cbar_t`` are never defined. A grader drops
    the definition of the symbol a question asks for (its lhs) before substituting.

    >>> lstm_definitions()[SYMBOLS["h_t"]]
    o_t*tanh(c_t)
    """
    return _lstm_definitions()


def gate_definitions(steps: tuple[int, ...] = (-2, -1, 0, 1)) -> Mapping[sympy.Symbol, sympy.Expr]:
    """The four gates at each of ``steps`` (relative to t), from the cell itself shifted in time.

    >>> gate_definitions()[SYMBOLS["g_prev"]]
    tanh(h_prev2*w_hg + w_xg*x_prev)
    """
    return _gate_definitions(tuple(steps))


@cache
def _gate_definitions(steps: tuple[int, ...]) -> Mapping[sympy.Symbol, sympy.Expr]:
    gates = [(node, definition) for node, definition in lstm_cell() if node.name[0] in "ifog"]
    return MappingProxyType({shift(node, k): shift(definition, k) for k in steps for node, definition in gates})


@cache
def _grading_definitions() -> Mapping[sympy.Symbol, sympy.Expr]:
    definitions: dict[sympy.Symbol, sympy.Expr] = {}
    # the forward pass at t-1, t and t+1: gates, cell and hidden state (leaves: x, h_prev2, c_prev2, weights)
    for k in (-1, 0, 1):
        definitions.update({shift(node, k): shift(definition, k) for node, definition in lstm_cell()})
    # every adjoint relation at t, and the gate bars at t+1 (hbar_next, cbar_next and dL_dh_t stay free:
    # their own relations reach t+2)
    for eq in _lstm_equations():
        if eq.name in BAR_ORDER:
            definitions[S[eq.name]] = eq.rhs
            if eq.name not in ("hbar_t", "cbar_t"):
                definitions[shift(S[eq.name], 1)] = shift(eq.rhs, 1)
    return MappingProxyType(definitions)


def grading_definitions() -> Mapping[sympy.Symbol, sympy.Expr]:
    """Everything an answer to an LSTM question may write by name or by definition, in either direction.

    The forward pass at t-1, t and t+1, and every adjoint relation of the derivation at t (``hbar_t`` and
    ``cbar_t`` included) and the gate bars at t+1. A grader drops the question's own quantity first (an
    answer must not be judged equal to its own definition), then substitutes until only the leaves are left:
    inputs, weights, ``h_prev2``, ``c_prev2``, ``dL_dh_t``, ``hbar_next`` and ``cbar_next``.

    >>> grading_definitions()[SYMBOLS["fbar_t"]]
    c_prev*cbar_t
    >>> grading_definitions()[SYMBOLS["c_prev"]]
    c_prev2*f_prev + g_prev*i_prev
    """
    return _grading_definitions()


@cache
def _grading_ce_definitions() -> Mapping[sympy.Symbol, sympy.Expr]:
    definitions = dict(_grading_definitions())
    definitions[S["yhat_t"]] = sigmoid(S["w_y"] * S["h_t"])
    definitions[S["dL_dh_t"]] = _ce_local_loss()[0]
    return MappingProxyType(definitions)


def grading_ce_definitions() -> Mapping[sympy.Symbol, sympy.Expr]:
    """``grading_definitions`` for the cross-entropy variant: plus ``yhat_t`` and ``dL_dh_t = w_y*(yhat_t - y_t)``.

    >>> grading_ce_definitions()[SYMBOLS["dL_dh_t"]]
    w_y*(-y_t + yhat_t)
    """
    return _grading_ce_definitions()


@cache
def derive_lstm(*, checked: bool = True) -> Derivation:
    """BPTT for the univariate LSTM: the six bars and the eight weight-update summands, proved.

    >>> derive_lstm(checked=False).equation("cbar_t")
    cbar_next*f_next + hbar_t*o_t*(1 - tanh(c_t)**2)
    """
    derivation = Derivation(
        topic="lstm",
        title="LSTM backpropagation through time (univariate, no biases)",
        claim=(
            "The error signals of the univariate LSTM, with respect to the gate values, including every path "
            "from step t+1, and the per-step summands of the eight weight gradients."
        ),
        equations=_lstm_equations(),
        definitions=tuple(_lstm_definitions().items()),
        notes=(
            "Loss L = sum over t of l_t(h_t); dL_dh_t is l_t'(h_t), the loss's own derivative at h_t.",
            "At the last step T every *_next bar is 0.",
            "dL/dw = sum over t of w_bar, e.g. dL/dw_xi = sum_t ibar_t*i_t*(1 - i_t)*x_t.",
        ),
    )
    if not checked:
        return derivation
    from handnets.derive.oracles import check_lstm

    return derivation.with_checks(check_lstm(derivation))


# ------------------------------------------------------------------------ sigmoid + cross-entropy


@cache
def _ce_local_loss() -> tuple[sympy.Expr, tuple[Step, ...]]:
    """dL_dh_t for yhat_t = sigmoid(w_y*h_t) and the cross-entropy loss, by sympy.diff."""
    h_t, y_t, yhat_t, w_y = S["h_t"], S["y_t"], S["yhat_t"], S["w_y"]
    yhat = sigmoid(w_y * h_t)
    loss = -(y_t * sympy.log(yhat) + (1 - y_t) * sympy.log(1 - yhat))
    raw = sympy.diff(loss, h_t)
    named = sympy.expand(raw.xreplace({yhat: yhat_t}))
    # the sigmoid's derivative cancels the log's: what is left is w_y*(yhat_t - y_t); written in
    # that form (sympy's factor would print -w_y*(y_t - yhat_t)) and proved equal by expansion
    result = w_y * (yhat_t - y_t)
    if sympy.expand(named - result) != 0:
        raise ArithmeticError(f"cross-entropy derivative did not reduce to w_y*(yhat_t - y_t): {named}")
    steps = (
        Step("cross-entropy of yhat_t = sigmoid(w_y*h_t)", sympy.Symbol("l_t"), loss.xreplace({yhat: yhat_t})),
        Step("sympy.diff with respect to h_t", S["dL_dh_t"], named),
        Step("collect (yhat_t - y_t); equal by expansion", S["dL_dh_t"], result),
    )
    return result, steps


@cache
def _ce_equations() -> tuple[Equation, ...]:
    dl_dh, dl_steps = _ce_local_loss()
    lstm = {eq.name: eq for eq in _lstm_equations()}
    hbar = lstm["hbar_t"].rhs.xreplace({S["dL_dh_t"]: dl_dh})
    cbar = lstm["cbar_t"].rhs.xreplace({S["hbar_t"]: hbar})
    equations = [
        Equation("dL_dh_t", dl_dh, dl_steps),
        Equation("hbar_t", hbar, (Step("substitute dL_dh_t into the LSTM's hbar_t", S["hbar_t"], hbar),)),
        Equation("cbar_t", cbar, (Step("substitute hbar_t into the LSTM's cbar_t", S["cbar_t"], cbar),)),
    ]
    for name in ("obar_t", "ibar_t", "fbar_t", "gbar_t"):
        rhs = lstm[name].rhs.xreplace({S["hbar_t"]: hbar, S["cbar_t"]: cbar})
        equations.append(Equation(name, rhs, (Step(f"substitute hbar_t, cbar_t into the LSTM's {name}", S[name], rhs),)))
    without = cbar.xreplace({S["cbar_next"]: 0})
    equations.append(
        Equation(
            "cbar_t_no_recurrent",
            without,
            (Step("cbar_t without the path through c_next (a classic mistake)", S["cbar_t"], without),),
            note="not a correct answer: cbar_t with cbar_next*f_next dropped",
        )
    )
    return tuple(equations)


def ce_step_loss_cbar() -> sympy.Expr:
    """A classic wrong cbar_t of the cross-entropy variant: the loss at step t alone, nothing from t+1.

    It is what dL_t/dc_t would be for the per-step loss l_t (no path through h_{t+1} nor c_{t+1}).

    >>> ce_step_loss_cbar()
    o_t*w_y*(1 - tanh(c_t)**2)*(-y_t + yhat_t)
    """
    lstm = {eq.name: eq for eq in _lstm_equations()}
    only_here = {S["dL_dh_t"]: _ce_local_loss()[0], S["cbar_next"]: 0}
    only_here.update({S[f"{b}bar_next"]: 0 for b in ("i", "f", "o", "g")})
    hbar = lstm["hbar_t"].rhs.xreplace(only_here)
    return lstm["cbar_t"].rhs.xreplace({S["hbar_t"]: hbar, **only_here})


@cache
def _lstm_ce_definitions() -> Mapping[sympy.Symbol, sympy.Expr]:
    definitions = dict(_lstm_definitions())
    definitions[S["yhat_t"]] = sigmoid(S["w_y"] * S["h_t"])
    definitions[S["dL_dh_t"]] = _ce_local_loss()[0]
    return MappingProxyType(definitions)


def lstm_ce_definitions() -> Mapping[sympy.Symbol, sympy.Expr]:
    """The LSTM definitions plus ``yhat_t -> sigmoid(w_y*h_t)`` and ``dL_dh_t -> w_y*(yhat_t - y_t)``.

    >>> lstm_ce_definitions()[SYMBOLS["yhat_t"]]
    sigmoid(h_t*w_y)
    """
    return _lstm_ce_definitions()


@cache
def derive_lstm_ce(*, checked: bool = True) -> Derivation:
    """The LSTM with a sigmoid output and cross-entropy loss: every bar written with (yhat_t - y_t).

    >>> derive_lstm_ce(checked=False).equation("dL_dh_t")
    w_y*(-y_t + yhat_t)
    """
    derivation = Derivation(
        topic="lstm-ce",
        title="LSTM with a sigmoid output and cross-entropy loss",
        claim=(
            "With yhat_t = sigmoid(w_y*h_t) and L = -sum_t [y_t log(yhat_t) + (1 - y_t) log(1 - yhat_t)], the "
            "loss's own derivative at h_t is w_y*(yhat_t - y_t), and the LSTM's bars follow by substitution."
        ),
        equations=_ce_equations(),
        definitions=tuple(_lstm_ce_definitions().items()),
        notes=("cbar_t_no_recurrent is kept as the classic wrong answer a grader recognises; it is not checked as correct.",),
    )
    if not checked:
        return derivation
    from handnets.derive.oracles import check_lstm_ce

    return derivation.with_checks(check_lstm_ce(derivation))
