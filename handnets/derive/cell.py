"""A recurrent cell as data: inputs, carried states, weights and one equation per node, and its time-shifted names.

A cell at step t is an ordered tuple of nodes ``base = definition``; a definition reads the inputs at t
(``x_t``), nodes defined before it at t (``r_t``), the states carried from t-1 (``h_prev``) and weights.
Names are ``<base>_<when>`` with ``when`` one of ``t``, ``prev``, ``prev2``, ... (t-1, t-2, ...) and
``next`` (t+1); error signals are ``<base>bar_<when>``. Everything here is pure: the cell files are read
by ``handnets.derive.cellfile`` and the derivation is ``handnets.derive.cellderive``.

>>> from handnets.vocabulary import sigmoid
>>> h = Cell.build("rnn", inputs=("x",), states=("h",), nodes=(("h", "tanh(w_xh*x_t + w_hh*h_prev)"),))
>>> h.shift(timed("h", 0) * timed("x", 1), -1)
h_prev*x_t
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from handnets.vocabulary import sigmoid

__all__ = ["Cell", "timed", "barred", "when", "split_name", "BASE", "WEIGHT", "FUNCTIONS"]

# A base is lower-case letters and digits, starting with a letter, never ending in "bar": ``z``, ``n``, ``a1``.
BASE = re.compile(r"^[a-z][a-z0-9]*$")
# A weight: ``w_``, ``W_``, ``U_``, ``V_`` or ``b_`` and letters/digits (``w_xz``, ``W_hn``, ``b_in``).
WEIGHT = re.compile(r"^[wWUVb]_[A-Za-z0-9]+$")
_TIMED = re.compile(r"^(?P<base>[a-z][a-z0-9]*?)(?P<bar>bar)?_(?P<when>t|next|prev\d*)$")
# The functions a cell's equation may call: what a hand-written cell uses, all smooth and defined everywhere.
FUNCTIONS = {"sigmoid": sigmoid, "tanh": sympy.tanh, "exp": sympy.exp}


def when(offset: int) -> str:
    """The name suffix of a step relative to t: 0 -> ``t``, 1 -> ``next``, -1 -> ``prev``, -3 -> ``prev3``.

    >>> [when(k) for k in (1, 0, -1, -2)]
    ['next', 't', 'prev', 'prev2']
    """
    if offset == 0:
        return "t"
    if offset == 1:
        return "next"
    if offset == -1:
        return "prev"
    if offset < -1:
        return f"prev{-offset}"
    raise ValueError(f"no name for step t+{offset}: names reach t+1 at most")


def _offset(suffix: str) -> int:
    if suffix == "t":
        return 0
    if suffix == "next":
        return 1
    if suffix == "prev":
        return -1
    return -int(suffix[4:])


def timed(base: str, offset: int) -> sympy.Symbol:
    """The symbol for ``base`` at step t+offset: ``timed("h", -1)`` is ``h_prev`` (real, as the vocabulary's)."""
    return sympy.Symbol(f"{base}_{when(offset)}", real=True)


def barred(base: str, offset: int) -> sympy.Symbol:
    """The error signal of ``base`` at step t+offset: ``barred("z", 1)`` is ``zbar_next``."""
    return sympy.Symbol(f"{base}bar_{when(offset)}", real=True)


def split_name(name: str) -> tuple[str, bool, int] | None:
    """``(base, is_bar, offset)`` for a time-indexed name, None for any other (a weight).

    >>> split_name("zbar_next"), split_name("h_prev2"), split_name("w_xz")
    (('z', True, 1), ('h', False, -2), None)
    """
    match = _TIMED.match(name)
    if match is None or match["when"] == "prev1" or match["when"].startswith("prev0"):
        return None
    return match["base"], bool(match["bar"]), _offset(match["when"])


@dataclass(frozen=True, slots=True)
class Cell:
    """One recurrent cell: ``nodes`` in order of computation, each ``(base, definition at step t)``.

    ``states`` are the nodes carried to the next step (read there as ``<state>_prev``); ``output`` is
    the node the loss reads (its own derivative is ``dL_d<output>_t``); ``vector`` says the equations
    are meant with vectors: names starting with an upper-case letter are matrices, products elementwise.
    ``equations`` keeps the text as written, for printing.
    """

    name: str
    inputs: tuple[str, ...]
    states: tuple[str, ...]
    nodes: tuple[tuple[str, sympy.Expr], ...]
    weights: tuple[str, ...]
    output: str
    vector: bool = False
    title: str = ""
    notes: tuple[str, ...] = ()
    equations: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        bases = [base for base, _ in self.nodes]
        if len(set(bases)) != len(bases):
            raise ValueError(f"cell {self.name}: node names must be unique, got {bases}")
        for base in (*self.inputs, *bases):
            if not BASE.match(base) or base.endswith("bar"):
                raise ValueError(f"cell {self.name}: {base!r} is not a node name (lower-case letters and digits)")
        missing = [s for s in self.states if s not in bases]
        if missing:
            raise ValueError(f"cell {self.name}: states {missing} have no equation")
        if self.output not in bases:
            raise ValueError(f"cell {self.name}: the output {self.output!r} is not a node")

    @classmethod
    def build(cls, name: str, *, inputs: tuple[str, ...], states: tuple[str, ...], nodes: tuple[tuple[str, str], ...],
              output: str | None = None, vector: bool = False, weights: tuple[str, ...] | None = None) -> Cell:
        """A cell from its equations as text, read by the grader's safe parser (``cellfile.cell_from_table``)."""
        from handnets.derive.cellfile import cell_from_table

        table = {"name": name, "inputs": list(inputs), "states": list(states), "nodes": dict(nodes), "vector": vector}
        if output is not None:
            table["output"] = output
        if weights is not None:
            table["weights"] = list(weights)
        return cell_from_table(table, source=f"cell {name}")

    # ----------------------------------------------------------------------------- names

    @property
    def bases(self) -> tuple[str, ...]:
        """Inputs, then nodes in order."""
        return (*self.inputs, *(base for base, _ in self.nodes))

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(base for base, _ in self.nodes)

    @property
    def gates(self) -> tuple[str, ...]:
        """The nodes defined as a sigmoid: they can saturate at 0 or 1."""
        return tuple(base for base, definition in self.nodes if isinstance(definition, sigmoid))

    @property
    def loss_symbol(self) -> sympy.Symbol:
        """``dL_dh_t`` for a cell whose output is h: the loss's own derivative at the output."""
        return sympy.Symbol(f"dL_d{self.output}_t", real=True)

    def definition(self, base: str) -> sympy.Expr:
        for node, definition in self.nodes:
            if node == base:
                return definition
        raise KeyError(f"cell {self.name} has no node {base!r}")

    def pairs(self, offset: int = 0) -> tuple[tuple[sympy.Symbol, sympy.Expr], ...]:
        """``(node at t+offset, its definition)`` in order of computation."""
        return tuple((timed(base, offset), self.shift(definition, offset)) for base, definition in self.nodes)

    def shift(self, expr: sympy.Basic, steps: int) -> sympy.Basic:
        """The same expression ``steps`` later (earlier when negative): every name of this cell moved at once.

        Weights and ``dL_d*`` stay; a name that would pass t+1 is an error, not silently left behind.
        """
        if steps == 0:
            return expr
        bases = set(self.bases)
        moves: dict[sympy.Symbol, sympy.Basic] = {}
        for symbol in expr.free_symbols:
            parts = split_name(symbol.name)
            if parts is None or parts[0] not in bases:
                continue
            base, is_bar, offset = parts
            moves[symbol] = (barred if is_bar else timed)(base, offset + steps)
        return expr.xreplace(moves)

    def rewrites(self, offsets: tuple[int, ...] = (0, 1)) -> dict[sympy.Basic, sympy.Symbol]:
        """Each activation node's definition (``sigmoid(w_xz*x_t + ...)``) -> its name, at each offset."""
        found: dict[sympy.Basic, sympy.Symbol] = {}
        for base, definition in self.nodes:
            if isinstance(definition, sympy.Function):
                for k in offsets:
                    found[self.shift(definition, k)] = timed(base, k)
        return found

    def substituted(self, base: str) -> sympy.Expr:
        """A node's definition with every node at t replaced by its own (only inputs, states at t-1, weights left)."""
        values: dict[sympy.Symbol, sympy.Expr] = {}
        for node, definition in self.nodes:
            values[timed(node, 0)] = definition.xreplace(values)
            if node == base:
                return values[timed(node, 0)]
        raise KeyError(f"cell {self.name} has no node {base!r}")
