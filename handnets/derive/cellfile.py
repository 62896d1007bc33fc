"""Read a cell file (TOML) or a built-in cell by name into a ``Cell``; every equation through the grader's safe parser.

A cell file::

    name = "gru"
    inputs = ["x"]
    states = ["h"]                 # carried from t-1 to t
    [nodes]                        # in order of computation
    z = 'sigma(w_xz x_t + w_hz h_{t-1})'
    r = 'sigma(w_xr x_t + w_hr h_{t-1})'
    n = 'tanh(w_xn x_t + w_hn (r_t h_{t-1}))'
    h = '(1 - z_t) n_t + z_t h_{t-1}'

Optional keys: ``output`` (the node the loss reads; default ``h`` if there is one, else the first state),
``weights`` (the weight names; by default every ``w_*``, ``W_*``, ``U_*``, ``V_*`` or ``b_*`` name an
equation writes), ``vector`` (true: matrices and elementwise products), ``title``, ``notes``.
Equations are text in the vocabulary's syntax or LaTeX (single-quoted TOML strings keep backslashes);
they are never evaluated: ``handnets.grading.parse`` reads them into sympy.

>>> load_cell("gru-pytorch").node_names
('r', 'z', 'n', 'h')
>>> load_cell("nonesuch")
Traceback (most recent call last):
...
handnets.errors.InputError: nonesuch: not a built-in cell (gru, gru-cho, ..., rnn) and no such file
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import sympy

from handnets.derive.cell import BASE, FUNCTIONS, WEIGHT, Cell, split_name, timed
from handnets.errors import InputError
from handnets.safeio import display_name, latex_damage, load_toml, loads_toml

__all__ = ["load_cell", "cell_from_table", "builtin_cells", "MAX_NODES", "MAX_STATES", "MAX_INPUTS", "MAX_WEIGHTS",
           "MAX_UNROLLED"]

MAX_NODES = 12
MAX_STATES = 4
MAX_INPUTS = 4
MAX_WEIGHTS = 48
MAX_EQUATION = 400  # characters: a cell's equation is one line of a homework sheet
# The oracles differentiate the one-step map with every node substituted; its tree grows with each node
# that reads earlier ones (the peephole LSTM's h_t unrolls to 87 operations). Past this the proof takes minutes.
MAX_UNROLLED = 400
_KEYS = frozenset({"name", "title", "inputs", "states", "output", "weights", "vector", "notes", "nodes"})
# what a weight looks like in an equation as written: w_xz, w_{xz}, W_{hn}, b_z (the parser has the last word)
_WEIGHT_TEXT = re.compile(r"(?<![A-Za-z0-9_\\])([wWUVb])_\{?([A-Za-z0-9]+)\}?")
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}"
_RESERVED = frozenset({"sigma", "sigmoid", "tanh", "exp", "log", "sum", "pi", "dL", "t"})


@cache
def builtin_cells() -> tuple[str, ...]:
    """The names of the built-in cells (``handnets/data/cells/*.toml``).

    >>> "gru-cho" in builtin_cells()
    True
    """
    folder = resources.files("handnets.data").joinpath("cells")
    return tuple(sorted(entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith(".toml")))


def load_cell(file_or_name: str) -> Cell:
    """A built-in cell by name (``gru-pytorch``) or a cell file by path; InputError naming the file otherwise."""
    if file_or_name in builtin_cells():
        return _builtin(file_or_name)
    shown = display_name(file_or_name)
    if not os.path.exists(file_or_name):
        raise InputError(f"not a built-in cell ({', '.join(builtin_cells())}) and no such file", source=shown)
    table = load_toml(file_or_name, what="a cell file")
    default = re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(file_or_name).removesuffix(".toml"))[:40]
    default = default if re.fullmatch(_NAME, default) else "cell"
    return cell_from_table(table, source=shown, default_name=default)


@cache
def _builtin(name: str) -> Cell:
    text = resources.files("handnets.data").joinpath("cells", f"{name}.toml").read_text(encoding="utf-8")
    return cell_from_table(loads_toml(text, source=f"{name}.toml"), source=f"built-in cell {name}", default_name=name)


def _names(table: Mapping[str, Any], key: str, source: str, *, default: list[str] | None = None, most: int) -> tuple[str, ...]:
    value = table.get(key, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("expected a list of names (strings)", source=source, field=key)
    if len(value) > most:
        raise InputError(f"at most {most} names, got {len(value)}", source=source, field=key)
    if len(set(value)) != len(value):
        raise InputError(f"names repeated: {value}", source=source, field=key)
    return tuple(value)


def _check_base(name: str, source: str, field: str) -> None:
    if not BASE.match(name) or name.endswith("bar") or name in _RESERVED:
        raise InputError(
            f"{name!r} is not a node name: lower-case letters and digits, starting with a letter, not ending in 'bar'",
            source=source, field=field,
        )


def cell_from_table(table: Mapping[str, Any], *, source: str, default_name: str = "cell") -> Cell:
    """A ``Cell`` from a parsed cell file; InputError naming the file, the field (``nodes.z``) and what was expected."""
    from handnets.grading.parse import make_vocabulary, parse_expression

    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise InputError(f"unknown keys {unknown}; expected some of {sorted(_KEYS)}", source=source)
    name = table.get("name", default_name)
    if not isinstance(name, str) or not re.fullmatch(_NAME, name):
        raise InputError("expected a short name of letters, digits, '-', '_' or '.'", source=source, field="name")
    inputs = _names(table, "inputs", source, default=["x"], most=MAX_INPUTS)
    states = _names(table, "states", source, most=MAX_STATES)
    nodes_table = table.get("nodes")
    if not isinstance(nodes_table, Mapping) or not nodes_table:
        raise InputError("expected a table [nodes] of equations, in order of computation", source=source, field="nodes")
    if len(nodes_table) > MAX_NODES:
        raise InputError(f"at most {MAX_NODES} nodes, got {len(nodes_table)}", source=source, field="nodes")
    bases = list(nodes_table)
    for base in (*inputs, *bases):
        _check_base(base, source, f"nodes.{base}" if base in nodes_table else "inputs")
    clash = sorted(set(inputs) & set(bases))
    if clash:
        raise InputError(f"{clash} are both inputs and nodes", source=source, field="inputs")
    for state in states:
        if state not in nodes_table:
            raise InputError(f"state {state!r} has no equation in [nodes]", source=source, field="states")
    if not states:
        raise InputError("expected at least one state (what is carried from t-1 to t)", source=source, field="states")
    output = table.get("output", "h" if "h" in nodes_table else states[0])
    if not isinstance(output, str) or output not in nodes_table:
        raise InputError(f"expected the name of a node, one of {bases}, got {output!r}", source=source, field="output")
    vector = table.get("vector", False)
    if not isinstance(vector, bool):
        raise InputError("expected true or false", source=source, field="vector")
    title = table.get("title", "")
    notes = table.get("notes", [])
    if not isinstance(title, str) or len(title) > 200:
        raise InputError("expected a short string", source=source, field="title")
    if not isinstance(notes, list) or not all(isinstance(n, str) and len(n) <= 400 for n in notes) or len(notes) > 8:
        raise InputError("expected a list of at most 8 short strings", source=source, field="notes")

    texts: dict[str, str] = {}
    for base, text in nodes_table.items():
        if not isinstance(text, str):
            raise InputError(f"expected the equation of node {base} as a string, got {type(text).__name__}",
                source=source, field=f"nodes.{base}")
        damage = latex_damage(text)
        if damage is not None:
            raise InputError(f"node {base}: {damage}", source=source, field=f"nodes.{base}")
        if len(text) > MAX_EQUATION:
            raise InputError(f"the equation of node {base} is longer than {MAX_EQUATION} characters",
                source=source, field=f"nodes.{base}")
        texts[base] = text
    weights = _weights(table, texts, (*inputs, *bases), source)

    time_names = [timed(b, k).name for b in (*inputs, *bases) for k in (-2, -1, 0, 1)]
    bar_names = [f"{b}bar_{w}" for b in (*inputs, *bases) for w in ("t", "prev", "next")]
    vocabulary = make_vocabulary([*time_names, *bar_names, *weights], base={}, positive=False)
    definitions: dict[str, sympy.Expr] = {}
    for base, text in texts.items():
        result = parse_expression(text, vocabulary=vocabulary, functions=FUNCTIONS)
        if not result.ok:
            what = result.message if result.message.startswith("unknown") else f"not an expression: {result.message}"
            raise InputError(f"node {base}: {what}", source=source, field=f"nodes.{base}")
        if not isinstance(result.expr, sympy.Expr):
            raise InputError(f"node {base}: expected an expression, got {type(result.expr).__name__}",
                source=source, field=f"nodes.{base}")
        definitions[base] = result.expr
    _check_reads(definitions, inputs, states, source)
    _check_size(definitions, source)
    if vector:
        for base, definition in definitions.items():
            for product in definition.atoms(sympy.Mul):
                matrices = sorted(f.name for f in product.args if f.is_Symbol and f.name[:1].isupper())
                if len(matrices) > 1:
                    raise InputError(f"node {base}: matrices {matrices} in one product; the vector form applies one matrix "
                                     "to the elementwise product of the other factors", source=source, field=f"nodes.{base}")
    used = set().union(*(d.free_symbols for d in definitions.values()))
    unused = [w for w in weights if sympy.Symbol(w, real=True) not in used]
    if unused:
        raise InputError(f"weights {unused} are declared but no equation uses them", source=source, field="weights")
    return Cell(
        name=name,
        inputs=inputs,
        states=states,
        nodes=tuple(definitions.items()),
        weights=weights,
        output=output,
        vector=vector,
        title=title,
        notes=tuple(notes),
        equations=tuple(texts.items()),
    )


def _weights(table: Mapping[str, Any], texts: Mapping[str, str], bases: tuple[str, ...], source: str) -> tuple[str, ...]:
    if "weights" in table:
        weights = _names(table, "weights", source, most=MAX_WEIGHTS)
        for w in weights:
            parts = split_name(w)
            if not w.isidentifier() or w.startswith("_") or (parts is not None and parts[0] in bases) or w in _RESERVED:
                raise InputError(f"{w!r} is not a weight name (an identifier that is not a node at a step)",
                    source=source, field="weights")
        return weights
    found: dict[str, None] = {}
    for text in texts.values():
        for letter, rest in _WEIGHT_TEXT.findall(text):
            name = f"{letter}_{rest}"
            parts = split_name(name)
            if WEIGHT.match(name) and not (parts is not None and parts[0] in bases):
                found[name] = None
    if len(found) > MAX_WEIGHTS:
        raise InputError(f"at most {MAX_WEIGHTS} weights, found {len(found)}", source=source, field="nodes")
    return tuple(found)


def _check_reads(definitions: Mapping[str, sympy.Expr], inputs: tuple[str, ...], states: tuple[str, ...], source: str) -> None:
    """Each node reads inputs at t, nodes before it at t, states at t-1 and weights; anything else is named."""
    order = {base: k for k, base in enumerate(definitions)}
    reads_now = {base: set() for base in definitions}
    for base, definition in definitions.items():
        field = f"nodes.{base}"
        for symbol in sorted(definition.free_symbols, key=lambda s: s.name):
            parts = split_name(symbol.name)
            if parts is None:
                continue  # a weight
            other, is_bar, offset = parts
            if is_bar:
                raise InputError(f"node {base} reads the error signal {symbol.name}; a cell's equations are the forward pass",
                    source=source, field=field)
            if offset == 1:
                raise InputError(f"node {base} reads {symbol.name}: step t cannot read step t+1",
                    source=source, field=field)
            if offset < -1:
                raise InputError(f"node {base} reads {symbol.name}: a cell reads the step before only (t-1)",
                    source=source, field=field)
            if offset == -1 and other not in states:
                what = "an input" if other in inputs else "not a state"
                raise InputError(
                    f"node {base} reads {symbol.name}, but {other} is {what}: only states ({', '.join(states)}) are carried from t-1",
                    source=source, field=field,
                )
            if offset == 0 and other in order:
                reads_now[base].add(other)
    for base in definitions:
        for other in sorted(reads_now[base], key=order.get):
            if other == base:
                raise InputError(f"node {base} reads itself at step t (a cycle); write {base}_{{t-1}} for the previous step",
                                 source=source, field=f"nodes.{base}")
            if order[other] > order[base]:
                cycle = _cycle(reads_now, base, other)
                if cycle:
                    raise InputError(f"nodes form a cycle at step t: {' -> '.join(cycle)}",
                        source=source, field=f"nodes.{base}")
                raise InputError(f"node {base} uses {other}_t before it is defined: put {other} above {base} in [nodes]",
                                 source=source, field=f"nodes.{base}")


def _check_size(definitions: Mapping[str, sympy.Expr], source: str) -> None:
    """Refuse a cell whose substituted one-step map is too large to prove in seconds (sizes counted, not built)."""
    size: dict[str, int] = {}
    for base, definition in definitions.items():
        total = 0
        for node in sympy.preorder_traversal(definition):
            total += 1
            parts = split_name(node.name) if node.is_Symbol else None
            if parts is not None and parts[2] == 0 and parts[0] in size:
                total += size[parts[0]] - 1
        if total > MAX_UNROLLED:
            raise InputError(f"node {base}: with the nodes before it substituted the step has {total} operations, more than "
                             f"{MAX_UNROLLED} (too large to prove); split the cell or read fewer nodes", source=source, field=f"nodes.{base}")
        size[base] = total


def _cycle(reads: Mapping[str, set[str]], start: str, first: str) -> list[str] | None:
    """A path start -> first -> ... -> start in the reads-at-t graph, if there is one."""
    stack, seen = [(first, [start, first])], set()
    while stack:
        node, path = stack.pop()
        if node == start:
            return path
        if node in seen:
            continue
        seen.add(node)
        stack.extend((nxt, [*path, nxt]) for nxt in sorted(reads[node]))
    return None
