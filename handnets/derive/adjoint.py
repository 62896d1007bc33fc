"""Reverse-mode assembly with sympy: local derivatives of a one-step cell, chained into the adjoint recurrence.

A cell is an ordered tuple of ``(node, definition)`` pairs for step t, reading the previous state
(``h_prev``, ``c_prev``), the input ``x_t`` and the weights. The error signal ("bar") of a node is the
loss's own derivative at it (if any) plus, for every node that reads it, at step t or at step t+1,
that node's bar times the local derivative ``sympy.diff(definition, node)``. Local derivatives are
rewritten with the gates' own names (``sigmoid(w_xi*x_t + w_hi*h_prev)`` becomes ``i_t``), so the
results read like a solution set: ``ibar_next*i_next*(1 - i_next)*w_hi``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from handnets.derive.model import Equation, Step
from handnets.vocabulary import OFFSETS, SYMBOLS

__all__ = ["Cell", "bar", "shift", "shift_forward", "shift_back", "gate_rewrites", "local_derivative", "adjoint", "weight_update"]

Cell = tuple[tuple[sympy.Symbol, sympy.Expr], ...]

_BASES = ("x", "h", "c", "i", "f", "o", "g", "hbar", "cbar", "ibar", "fbar", "obar", "gbar")


def _rename(pairs: Sequence[tuple[str, str]]) -> dict[sympy.Symbol, sympy.Symbol]:
    return {SYMBOLS[a]: SYMBOLS[b] for a, b in pairs if a in SYMBOLS and b in SYMBOLS}


# t -> t+1 (prev -> t) and t -> t-1 (next -> t, t -> prev, prev -> prev2); xreplace applies them simultaneously.
_FORWARD = _rename([(f"{b}_t", f"{b}_next") for b in _BASES] + [(f"{b}_prev", f"{b}_t") for b in _BASES])
_BACK = _rename(
    [(f"{b}_next", f"{b}_t") for b in _BASES] + [(f"{b}_t", f"{b}_prev") for b in _BASES] + [(f"{b}_prev", f"{b}_prev2") for b in _BASES]
)


def shift_forward(expr: sympy.Basic) -> sympy.Basic:
    """The same expression one step later: ``_t`` becomes ``_next`` and ``_prev`` becomes ``_t``.

    >>> shift_forward(SYMBOLS["f_t"] * SYMBOLS["c_prev"])
    c_t*f_next
    """
    return expr.xreplace(_FORWARD)


def shift_back(expr: sympy.Basic) -> sympy.Basic:
    """The same expression one step earlier: ``_next`` -> ``_t``, ``_t`` -> ``_prev``, ``_prev`` -> ``_prev2``.

    >>> shift_back(SYMBOLS["f_t"] * SYMBOLS["c_prev"])
    c_prev2*f_prev
    """
    return expr.xreplace(_BACK)


def shift(expr: sympy.Basic, steps: int) -> sympy.Basic:
    """The same expression ``steps`` steps later (earlier when negative), every time-indexed name moved at once.

    Unlike ``shift_forward`` and ``shift_back`` it refuses to leave a name behind: a name whose shifted
    form is not in the vocabulary is an error, not silently kept at its old step.

    >>> shift(SYMBOLS["f_t"] * SYMBOLS["c_prev"], -2)
    c_prev3*f_prev2
    """
    steps_of = {suffix: offset for suffix, offset in OFFSETS.items()}
    suffix_of = {offset: suffix for suffix, offset in OFFSETS.items()}
    moves: dict[sympy.Symbol, sympy.Symbol] = {}
    for symbol in expr.free_symbols:
        base, _, when = symbol.name.rpartition("_")
        if when not in steps_of or base not in _BASES:
            continue  # weights, dL_dh_t, y_t of the loss: not states of the cell
        target = suffix_of.get(steps_of[when] + steps)
        name = f"{base}_{target}"
        if target is None or name not in SYMBOLS:
            raise ValueError(f"{symbol.name} shifted by {steps} steps has no name in the vocabulary")
        moves[symbol] = SYMBOLS[name]
    return expr.xreplace(moves)


def bar(node: sympy.Symbol) -> sympy.Symbol:
    """The error signal of a node: ``i_next`` -> ``ibar_next``.

    >>> bar(SYMBOLS["c_t"])
    cbar_t
    """
    base, _, when = node.name.partition("_")
    return SYMBOLS[f"{base}bar_{when}"]


def gate_rewrites(cell: Cell) -> dict[sympy.Basic, sympy.Symbol]:
    """Map each activation in the cell (and in the same cell one step later) back to its gate's name."""
    rewrites: dict[sympy.Basic, sympy.Symbol] = {}
    for node, definition in cell:
        if isinstance(definition, sympy.Function):  # sigmoid(...) or tanh(...): the gate itself
            rewrites[definition] = node
            rewrites[shift_forward(definition)] = shift_forward(node)
    return rewrites


def local_derivative(definition: sympy.Expr, wrt: sympy.Symbol, rewrites: Mapping[sympy.Basic, sympy.Symbol]) -> sympy.Expr:
    """``d definition / d wrt`` by sympy.diff, with activations renamed to their gates.

    >>> i_t, h_prev = SYMBOLS["i_t"], SYMBOLS["h_prev"]
    >>> z = SYMBOLS["w_xi"] * SYMBOLS["x_t"] + SYMBOLS["w_hi"] * h_prev
    >>> from handnets.vocabulary import sigmoid
    >>> local_derivative(sigmoid(z), h_prev, {sigmoid(z): i_t})
    i_t*w_hi*(1 - i_t)
    """
    return sympy.diff(definition, wrt).xreplace(dict(rewrites))


def _readers(cell: Cell, node: sympy.Symbol) -> list[tuple[sympy.Symbol, sympy.Expr]]:
    """The nodes that read ``node``: in the cell at step t, then in the cell at step t+1."""
    now = [(u, d) for u, d in cell if node in d.free_symbols]
    later = [(shift_forward(u), shift_forward(d)) for u, d in cell if node in shift_forward(d).free_symbols]
    return now + later


def adjoint(cell: Cell, node: sympy.Symbol, direct: Mapping[sympy.Symbol, sympy.Expr]) -> Equation:
    """The error signal of ``node``: its direct loss term plus the chain rule over every node that reads it."""
    rewrites = gate_rewrites(cell)
    readers = _readers(cell, node)
    own = direct.get(node, sympy.Integer(0))
    chain = own + sympy.Add(*(bar(u) * sympy.Derivative(u, node) for u, _ in readers))
    steps = [Step("chain rule over the nodes that read " + node.name, bar(node), chain)]
    terms = [own]
    for u, definition in readers:
        local = local_derivative(definition, node, rewrites)
        steps.append(Step(f"local derivative of {u.name} = {sympy.sstr(definition)}", sympy.Derivative(u, node), local))
        terms.append(bar(u) * local)
    rhs = sympy.Add(*terms)
    steps.append(Step("result", bar(node), rhs))
    return Equation(bar(node).name, rhs, tuple(steps))


def weight_update(cell: Cell, weight: sympy.Symbol) -> Equation:
    """The step-t summand of ``dL/dweight``: the bar of every node that reads the weight times its local derivative."""
    rewrites = gate_rewrites(cell)
    readers = [(u, d) for u, d in cell if weight in d.free_symbols]
    chain = sympy.Add(*(bar(u) * sympy.Derivative(u, weight) for u, _ in readers))
    name = f"{weight.name}_bar"
    steps = [Step(f"dL/d{weight.name} = sum over t of this summand (chain rule)", sympy.Symbol(name), chain)]
    terms = []
    for u, definition in readers:
        local = local_derivative(definition, weight, rewrites)
        steps.append(Step(f"local derivative of {u.name} = {sympy.sstr(definition)}", sympy.Derivative(u, weight), local))
        terms.append(bar(u) * local)
    rhs = sympy.Add(*terms)
    steps.append(Step("result", sympy.Symbol(name), rhs))
    return Equation(name, rhs, tuple(steps), note=f"dL/d{weight.name} is the sum over t of {name}")
