"""What a grading key may take from a cell: its proved equations, its grading definitions, its names, and per-student variants.

In a key::

    [variant]                               # optional: each student gets their own cell and sizes
    cells = ["gru-cho", "gru-pytorch", "mgu"]
    sizes = [[2, 3], [3, 2]]                # (hidden n, input m), optional
    salt = "hw3-2026"                       # optional; change it to deal the variants afresh

    [[questions]]
    id = "cell.hbar"
    prompt = "Your cell is {variant.cell}: give hbar_t."
    expected = { derived = "cell:{variant.cell}.hbar_t" }
    definitions = "cell:{variant.cell}"
    lhs = "hbar_t"

``{variant.cell}``, ``{variant.n}`` and ``{variant.m}`` are replaced in every string of the key's
questions. The variant of a student is chosen by a documented hash, so anyone can recompute it:
``h = int.from_bytes(sha256(f"{salt}:{student}".encode()).digest()[:8], "big")``; the cell is
``cells[h % len(cells)]`` and the sizes ``sizes[(h // len(cells)) % len(sizes)]``.

Derived names: ``cell:<built-in cell>.<equation>`` is that equation of the cell's proved derivation
(``cell:gru.hbar_t``, ``cell:lstm.J_t_limit[i=0, f=1, o=0]``); ``cell:<vector cell>.parameters.<n>x<m>``
is the number of trainable numbers at hidden size n and input size m.

>>> Variant(cells=("gru-cho", "gru-pytorch", "mgu"), sizes=((2, 3), (3, 2)), salt="hw3").choose("s042")
('gru-pytorch', 3, 2)
>>> cell_reference("cell:gru.nbar_t")
hbar_t*(1 - z_t)
>>> cell_reference("cell:gru-pytorch-vector.parameters.3x2")
63
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import sympy

from handnets.derive.cell import Cell, barred, timed
from handnets.derive.cellderive import derive_cell, node_bar
from handnets.errors import InvalidKey

__all__ = ["Variant", "cell_reference", "cell_definitions", "cell_vocabulary", "cell_named", "fill", "PLACEHOLDERS",
           "MAX_VARIANTS"]

PLACEHOLDERS = ("{variant.cell}", "{variant.n}", "{variant.m}")
MAX_VARIANTS = 64
_REFERENCE = re.compile(r"^cell:(?P<cell>[A-Za-z0-9][A-Za-z0-9_-]*)(?:\.(?P<equation>.+))?$")
_PARAMETERS = re.compile(r"^parameters\.(?P<n>[1-9][0-9]{0,3})x(?P<m>[1-9][0-9]{0,3})$")


@dataclass(frozen=True, slots=True)
class Variant:
    """The cells and sizes a key deals out, one per student by the hash in the module docstring."""

    cells: tuple[str, ...]
    sizes: tuple[tuple[int, int], ...] = ((1, 1),)
    salt: str = ""

    def __post_init__(self) -> None:
        if not self.cells or not self.sizes:
            raise ValueError("a variant needs at least one cell and one size")

    @classmethod
    def from_table(cls, raw: Any, *, source: str) -> Variant:
        """A ``[variant]`` table of a key; InvalidKey naming the field otherwise."""
        from handnets.derive.cellfile import builtin_cells

        if not isinstance(raw, Mapping) or set(raw) - {"cells", "sizes", "salt"}:
            raise InvalidKey("expected a table with cells = [...], and optionally sizes = [[n, m], ...] and salt",
                source=source, field="variant")
        cells = raw.get("cells")
        if not isinstance(cells, list) or not cells or not all(isinstance(c, str) for c in cells) or len(cells) > MAX_VARIANTS:
            raise InvalidKey(f"cells: expected 1 to {MAX_VARIANTS} built-in cell names", source=source, field="variant")
        unknown = [c for c in cells if c not in builtin_cells()]
        if unknown:
            raise InvalidKey(f"cells: {unknown} are not built-in cells ({', '.join(builtin_cells())})",
                source=source, field="variant")
        sizes = raw.get("sizes", [[1, 1]])
        good = isinstance(sizes, list) and 0 < len(sizes) <= MAX_VARIANTS and all(
            isinstance(s, list) and len(s) == 2 and all(type(v) is int and 1 <= v <= 4096 for v in s) for s in sizes
        )
        if not good:
            raise InvalidKey("sizes: expected a list of [hidden, input] pairs of integers 1..4096",
                source=source, field="variant")
        salt = raw.get("salt", "")
        if not isinstance(salt, str) or len(salt) > 200:
            raise InvalidKey("salt: expected a short string", source=source, field="variant")
        return cls(tuple(cells), tuple((n, m) for n, m in sizes), salt)

    def choose(self, student: str) -> tuple[str, int, int]:
        """``(cell, n, m)`` for one student: the hash of the module docstring."""
        h = int.from_bytes(hashlib.sha256(f"{self.salt}:{student}".encode()).digest()[:8], "big")
        n, m = self.sizes[(h // len(self.cells)) % len(self.sizes)]
        return self.cells[h % len(self.cells)], n, m

    def choices(self) -> tuple[tuple[str, int, int], ...]:
        """Every (cell, n, m) a student can get."""
        return tuple((c, n, m) for c in self.cells for n, m in self.sizes)


def fill(value: Any, cell: str, n: int, m: int) -> Any:
    """``value`` (a key's question, as parsed TOML) with the placeholders replaced in every string."""
    if isinstance(value, str):
        return value.replace("{variant.cell}", cell).replace("{variant.n}", str(n)).replace("{variant.m}", str(m))
    if isinstance(value, Mapping):
        return {k: fill(v, cell, n, m) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, cell, n, m) for v in value]
    return value


def _split(name: str, *, field: str) -> tuple[Cell, str | None]:
    from handnets.derive.cellfile import builtin_cells, load_cell

    match = _REFERENCE.match(name)
    if match is None or match["cell"] not in builtin_cells():
        raise InvalidKey(f"{name!r} is not cell:<built-in cell>[.<equation>]; built-in cells: {', '.join(builtin_cells())}",
            field=field)
    return load_cell(match["cell"]), match["equation"]


def cell_named(name: str) -> Cell:
    """The cell a ``cell:...`` name refers to."""
    return _split(name, field="definitions")[0]


@cache
def cell_reference(name: str) -> Any:
    """A key's ``derived = "cell:..."``: an equation of the cell's proved derivation, or a parameter count."""
    cell, equation = _split(name, field="expected")
    if equation is None:
        raise InvalidKey(f"{name!r} names a cell but no equation: write cell:{cell.name}.<equation>", field="expected")
    count = _PARAMETERS.match(equation)
    if count:
        return _parameters(cell, int(count["n"]), int(count["m"]))
    derivation = derive_cell(cell)
    if not derivation.passed:  # never grade against an equation that did not prove
        raise InvalidKey(f"the derivation of cell {cell.name} did not pass its checks", field="expected")
    if equation not in derivation.names:
        raise InvalidKey(f"cell {cell.name} has no equation {equation!r}; known: {', '.join(derivation.names)}",
            field="expected")
    return derivation.equation(equation)


def _parameters(cell: Cell, n: int, m: int) -> int:
    from handnets.derive.cellvector import weight_shapes

    if not cell.vector:
        raise InvalidKey(f"parameters.NxM needs a cell in the vector form, got {cell.name}", field="expected")
    total = 0
    for shape in weight_shapes(cell, n, m).values():
        size = 1
        for k in shape:
            size *= k
        total += size
    return total


@cache
def cell_definitions(name: str) -> Mapping[sympy.Symbol, sympy.Expr]:
    """A key's ``definitions = "cell:gru"``: what a grader substitutes before comparing answers on that cell.

    The forward pass at t-1, t and t+1, every node's error signal at t, and those of the nodes that are
    neither states nor the output at t+1 (the states' own bars at t+1 and ``dL_d<output>_t`` stay free,
    as in the LSTM's definitions). A grader drops the question's own quantity first.

    >>> cell_definitions("cell:gru")[barred("n", 1)]
    hbar_next*(1 - z_next)
    """
    cell = cell_named(name)
    if cell.vector:
        raise InvalidKey(f"definitions for {cell.name}: only cells in the univariate form define their names",
            field="definitions")
    found: dict[sympy.Symbol, sympy.Expr] = {}
    for k in (-1, 0, 1):
        found.update(dict(cell.pairs(k)))
    for base in cell.node_names:
        rhs = node_bar(cell, base).rhs
        found[barred(base, 0)] = rhs
        if base not in cell.states and base != cell.output:
            found[barred(base, 1)] = cell.shift(rhs, 1)
    return MappingProxyType(found)


@cache
def cell_vocabulary(name: str) -> Mapping[str, sympy.Symbol]:
    """Every name an answer about the cell may write: nodes, inputs and bars at t-2 .. t+1, weights, ``dL_d*``."""
    cell = cell_named(name)
    names: dict[str, sympy.Symbol] = {}
    for base in cell.bases:
        for k in (-2, -1, 0, 1):
            names[timed(base, k).name] = timed(base, k)
            names[barred(base, k).name] = barred(base, k)
    for weight in cell.weights:
        names[weight] = sympy.Symbol(weight, real=True)
    names[cell.loss_symbol.name] = cell.loss_symbol
    return MappingProxyType(names)
