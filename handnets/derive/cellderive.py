"""BPTT for any cell: every node's and state's error signal, every weight gradient, k-step recurrences, gradient flow.

The same method as the LSTM's (``handnets.derive.adjoint``), with nothing LSTM-specific: the error signal
of a node is the loss's own derivative at it (for the output) plus, for every node that reads it at step t
or (a state) at step t+1, that node's bar times the local derivative by ``sympy.diff``, activations
renamed to their nodes. The state map's Jacobian d(states_t)/d(states_(t-1)) is the same chain rule run
forward; k steps back it is the product of k shifted Jacobians; and in every regime the cell's sigmoid
gates allow (each at 0 or at 1) its limit follows by substitution, the gates' derivatives g(1 - g)
vanishing there. ``derive_cell`` proves every result (``handnets.derive.cellcheck``) before returning it.

>>> from handnets.derive.cellfile import load_cell
>>> derivation = derive_cell(load_cell("gru"), checked=False)
>>> derivation.equation("nbar_t")
hbar_t*(1 - z_t)
>>> derivation.equation("J_t_limit[z=1, r=0]")
1
"""

from __future__ import annotations

import itertools
from functools import cache

import sympy

from handnets.derive.cell import Cell, barred, timed
from handnets.derive.model import Derivation, Equation, Step

__all__ = ["derive_cell", "node_bar", "weight_summand", "state_jacobian", "steps_back_jacobian", "regimes",
           "MAX_REGIME_GATES", "MAX_STEPS_BACK"]

MAX_REGIME_GATES = 4  # 2**4 regimes at most
MAX_STEPS_BACK = 4


def _local(definition: sympy.Expr, wrt: sympy.Symbol, rewrites: dict) -> sympy.Expr:
    return sympy.diff(definition, wrt).xreplace(rewrites)


def node_bar(cell: Cell, base: str) -> Equation:
    """The error signal of ``base`` at t: its own loss term and the chain rule over its readers at t and t+1."""
    node = timed(base, 0)
    rewrites = cell.rewrites()
    readers = [(u, d) for u, d in cell.pairs(0) if node in d.free_symbols]
    if base in cell.states:  # read at t+1 as <base>_prev, so one step later as <base>_t
        readers += [(u, d) for u, d in cell.pairs(1) if node in d.free_symbols]
    own = cell.loss_symbol if base == cell.output else sympy.Integer(0)
    chain = own + sympy.Add(*(barred(u.name.rpartition("_")[0], _when(u)) * sympy.Derivative(u, node) for u, _ in readers))
    steps = [Step(f"chain rule over the nodes that read {node.name}", barred(base, 0), chain)]
    terms = [own]
    for u, definition in readers:
        local = _local(definition, node, rewrites)
        steps.append(Step(f"local derivative of {u.name} = {sympy.sstr(definition)}", sympy.Derivative(u, node), local))
        terms.append(barred(u.name.rpartition("_")[0], _when(u)) * local)
    rhs = sympy.Add(*terms)
    steps.append(Step("result", barred(base, 0), rhs))
    return Equation(barred(base, 0).name, rhs, tuple(steps))


def _when(symbol: sympy.Symbol) -> int:
    return 1 if symbol.name.endswith("_next") else 0


def weight_summand(cell: Cell, weight: str) -> Equation:
    """The step-t summand of dL/dweight: the bar of every node that reads it times its local derivative."""
    w = sympy.Symbol(weight, real=True)
    rewrites = cell.rewrites()
    readers = [(u, d) for u, d in cell.pairs(0) if w in d.free_symbols]
    name = f"{weight}_bar"
    chain = sympy.Add(*(barred(u.name[:-2], 0) * sympy.Derivative(u, w) for u, _ in readers))
    steps = [Step(f"dL/d{weight} = sum over t of this summand (chain rule)", sympy.Symbol(name), chain)]
    terms = []
    for u, definition in readers:
        local = _local(definition, w, rewrites)
        steps.append(Step(f"local derivative of {u.name} = {sympy.sstr(definition)}", sympy.Derivative(u, w), local))
        terms.append(barred(u.name[:-2], 0) * local)
    rhs = sympy.Add(*terms)
    steps.append(Step("result", sympy.Symbol(name), rhs))
    return Equation(name, rhs, tuple(steps), note=f"dL/d{weight} is the sum over t of {name}")


@cache
def state_jacobian(cell: Cell) -> sympy.ImmutableMatrix:
    """d(states at t)/d(states at t-1), rows and columns in ``cell.states`` order, by the chain rule run forward.

    >>> from handnets.derive.cellfile import load_cell
    >>> state_jacobian(load_cell("lstm"))[1, 1]
    f_t
    """
    rewrites = cell.rewrites()
    columns = []
    for wrt in cell.states:
        source = timed(wrt, -1)
        d: dict[str, sympy.Expr] = {}
        for base, definition in cell.nodes:
            total = _local(definition, source, rewrites)
            for other in d:
                if timed(other, 0) in definition.free_symbols:
                    total += _local(definition, timed(other, 0), rewrites) * d[other]
            d[base] = total
        columns.append([d[s] for s in cell.states])
    return sympy.ImmutableMatrix(len(cell.states), len(cell.states), lambda r, k: columns[k][r])


def steps_back_jacobian(cell: Cell, k: int) -> sympy.ImmutableMatrix:
    """d(states at t)/d(states at t-k): the product J_t J_(t-1) ... J_(t-k+1) of shifted one-step Jacobians."""
    if not 1 <= k <= MAX_STEPS_BACK:
        raise ValueError(f"k must be between 1 and {MAX_STEPS_BACK}, got {k}")
    jac = state_jacobian(cell)
    product = jac
    for j in range(1, k):
        product = product * jac.applyfunc(lambda entry: cell.shift(entry, -j))
    return sympy.ImmutableMatrix(product)


def _shown(cell: Cell, matrix: sympy.ImmutableMatrix) -> sympy.Basic:
    """A one-state cell's Jacobian is a number: printed and graded as one, not as a 1x1 matrix."""
    return matrix[0, 0] if len(cell.states) == 1 else matrix


def regimes(cell: Cell) -> tuple[tuple[tuple[str, int], ...], ...]:
    """Every assignment of the cell's sigmoid gates (the first ``MAX_REGIME_GATES``) to 0 or 1."""
    gates = cell.gates[:MAX_REGIME_GATES]
    return tuple(tuple(zip(gates, values)) for values in itertools.product((0, 1), repeat=len(gates))) if gates else ()


def regime_name(regime: tuple[tuple[str, int], ...]) -> str:
    return "J_t_limit[" + ", ".join(f"{g}={v}" for g, v in regime) + "]"


def _regime_limit(cell: Cell, regime: tuple[tuple[str, int], ...]) -> sympy.ImmutableMatrix:
    values = {timed(g, 0): v for g, v in regime}
    return sympy.ImmutableMatrix(state_jacobian(cell).applyfunc(lambda entry: sympy.expand(entry.xreplace(values))))


def _limit_note(limit: sympy.ImmutableMatrix) -> str:
    if limit == sympy.eye(limit.rows):
        return "identity: every state's error signal is carried back unchanged, neither vanishing nor exploding"
    if limit.is_zero_matrix:
        return "zero: nothing flows back through the states"
    if not limit.free_symbols:
        return "constant: the error signal along the states is carried back by this fixed matrix"
    return ""


def _equations(cell: Cell, steps: int) -> tuple[Equation, ...]:
    equations = [node_bar(cell, base) for base in reversed(cell.node_names)]
    equations += [weight_summand(cell, w) for w in cell.weights]
    jac = state_jacobian(cell)
    for r, s in enumerate(cell.states):
        for k, s_prev in enumerate(cell.states):
            name = f"d{s}_t_d{s_prev}_prev"
            lhs = sympy.Derivative(timed(s, 0), timed(s_prev, -1))
            equations.append(Equation(name, jac[r, k], (Step("chain rule run forward through the nodes at t", lhs, jac[r, k]),)))
    for k in range(2, steps + 1):
        product = steps_back_jacobian(cell, k)
        factors = " ".join(["J_t", *(f"J_t-{j}" for j in range(1, k))])
        step = Step(f"the product {factors} of one-step Jacobians shifted back", sympy.Symbol(f"J_t_prev{k}"), product)
        states = ", ".join(cell.states)
        note = f"d({states})_t / d({states})_(t-{k}); rows and columns in that order"
        equations.append(Equation(f"J_t_prev{k}", _shown(cell, product), (step,), note=note))
    for regime in regimes(cell):
        limit = _regime_limit(cell, regime)
        says = ", ".join(f"{g}_t -> {v}" for g, v in regime)
        step = Step(says + " in the one-step Jacobian", sympy.Symbol("J_t"), limit)
        equations.append(Equation(regime_name(regime), _shown(cell, limit), (step,), note=_limit_note(limit)))
    return tuple(equations)


def derive_cell(cell: Cell, *, checked: bool = True, steps: int = 2) -> Derivation:
    """The derivation of one cell, proved by ``handnets.derive.cellcheck`` unless ``checked=False``.

    ``steps`` is how many steps back the Jacobian product goes (2..``MAX_STEPS_BACK``; 1 for none).
    """
    if not 1 <= steps <= MAX_STEPS_BACK:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS_BACK}, got {steps}")
    if cell.vector:
        from handnets.derive.cellvector import derive_vector_cell

        return derive_vector_cell(cell, checked=checked)
    derivation = _derivation(cell, steps)
    if not checked:
        return derivation
    from handnets.derive.cellcheck import check_cell

    return derivation.with_checks(check_cell(cell, derivation))


@cache
def _derivation(cell: Cell, steps: int) -> Derivation:
    states = ", ".join(cell.states)
    gates = cell.gates
    notes = [
        f"Loss L = sum over t of l_t({cell.output}_t); {cell.loss_symbol.name} is l_t'({cell.output}_t), "
        "the loss's own derivative.",
        "At the last step T every *_next value and bar is 0.",
        "Bars are derivatives of the loss with respect to node values (after the activation).",
        f"J_t = d({states})_t/d({states})_(t-1); its rows and columns are in the order {states}.",
    ]
    if gates:
        shown = gates[:MAX_REGIME_GATES]
        notes.append(f"Regimes: each sigmoid gate ({', '.join(shown)}) saturated at 0 or 1, "
                     "where its derivative g(1 - g) vanishes.")
    else:
        notes.append("The cell has no sigmoid gate, so no saturation regime is listed.")
    notes += list(cell.notes)
    return Derivation(
        topic=f"cell:{cell.name}",
        title=f"{cell.title or cell.name}: backpropagation through time",
        claim=(
            f"The error signal of every node of the {cell.name} cell, including every path from step t+1, the per-step "
            f"summands of its {len(cell.weights)} weight gradients, the state Jacobian k steps back and its limits."
        ),
        equations=_equations(cell, steps),
        definitions=tuple(_definitions(cell).items()),
        notes=tuple(notes),
    )


def _definitions(cell: Cell) -> dict[sympy.Symbol, sympy.Expr]:
    """Nodes at t and t+1 by their equations, and the bars of non-state nodes at t and t+1 by theirs."""
    found: dict[sympy.Symbol, sympy.Expr] = {}
    for k in (0, 1):
        found.update(dict(cell.pairs(k)))
    for base in cell.node_names:
        if base in cell.states or base == cell.output:
            continue
        rhs = node_bar(cell, base).rhs
        found[barred(base, 0)] = rhs
        found[barred(base, 1)] = cell.shift(rhs, 1)
    return found
