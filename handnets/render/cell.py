"""Render a cell's derivation: the cell as read, then the proved equations (terminal), homework LaTeX, or JSON.

Three functions are the whole interface (``render_cell``, ``cell_latex``, ``cell_json``); the terminal
view reuses ``render.derive.render_derivation`` for the equations and the checks, and LaTeX names come
from ``cell_symbol_latex`` here (a cell's names are its own, not the vocabulary's), so switching both to
a shared notation layer touches this module only.

>>> cell_symbol_latex("zbar_next"), cell_symbol_latex("h_prev2"), cell_symbol_latex("w_xz")
('\\\\overline{z^{(t+1)}}', 'h^{(t-2)}', 'w_{xz}')
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from sympy.printing.latex import LatexPrinter

from handnets.derive.cell import Cell, split_name
from handnets.derive.model import Derivation

__all__ = ["render_cell", "cell_latex", "cell_json", "cell_symbol_latex", "cell_expr_latex", "render_catalogue",
           "catalogue_proof_document"]

_STEP = {0: "(t)", 1: "(t+1)", -1: "(t-1)"}
_JACOBIAN = re.compile(r"^d(?P<s>[a-z0-9]+)_t_d(?P<p>[a-z0-9]+)_prev$")
_LIMIT = re.compile(r"^J_t_limit\[(?P<regime>.*)\]$")


def _step(offset: int) -> str:
    return _STEP.get(offset, f"(t-{-offset})")


def cell_symbol_latex(name: str) -> str:
    """A cell's name in homework notation: ``z_t`` -> ``z^{(t)}``, ``nbar_next`` -> an overline, ``w_hn`` -> ``w_{hn}``."""
    parts = split_name(name)
    if parts is not None:
        base, is_bar, offset = parts
        core = f"{base}^{{{_step(offset)}}}"
        return rf"\overline{{{core}}}" if is_bar else core
    if name.startswith("dL_d") and name.endswith("_t"):
        return rf"\frac{{\partial L}}{{\partial {name[4:-2]}^{{(t)}}}}"
    if re.fullmatch(r"[A-Za-z]_[A-Za-z0-9]+", name):
        return f"{name[0]}_{{{name[2:]}}}"
    return name.replace("_", r"\_")


class _CellLatex(LatexPrinter):
    """sympy's LaTeX printer with a cell's names; in the vector form products are elementwise (``\\odot``)."""

    def __init__(self, hadamard: bool = False) -> None:
        super().__init__({"mul_symbol": None if hadamard else "dot"})
        self._hadamard = hadamard

    def _print_Mul(self, expr):
        if not self._hadamard:
            return super()._print_Mul(expr)
        coeff, factors = expr.as_coeff_mul()
        matrices = [f for f in factors if f.is_Symbol and f.name[:1].isupper()]
        if matrices:  # a matrix multiplies the elementwise product of the other factors: W (r ⊙ h)
            rest = sympy.Mul(*(f for f in factors if f not in matrices))
            inner = self._print(rest)
            inner = rf"\left({inner}\right)" if rest.is_Mul or rest.is_Add else inner
            body = f"{self._print(matrices[0])} {inner}"
            return body if coeff == 1 else ("- " + body if coeff == -1 else f"{self._print(coeff)} {body}")
        body = r" \odot ".join(self.parenthesize(f, sympy.printing.precedence.PRECEDENCE["Mul"]) for f in factors)
        if coeff == -1:
            return "- " + body
        return body if coeff == 1 else f"{self._print(coeff)} {body}"

    def _print_transpose_times(self, expr):
        w, v = expr.args
        return rf"{self._print(w)}^{{\top}} \left({self._print(v)}\right)"

    def _print_outer(self, expr):
        u, v = expr.args
        return rf"\left({self._print(u)}\right) \left({self._print(v)}\right)^{{\top}}"

    def _print_Symbol(self, expr, style="plain"):
        return cell_symbol_latex(expr.name)

    def _print_sigmoid(self, expr, exp=None):
        power = f"^{{{exp}}}" if exp is not None else ""
        return rf"\sigma{power}\left({self._print(expr.args[0])}\right)"


def cell_expr_latex(expr: sympy.Basic, *, hadamard: bool = False) -> str:
    """``expr`` in homework-notation LaTeX with a cell's names (``hadamard``: the vector form's products)."""
    return _CellLatex(hadamard).doprint(expr)


def _lhs_latex(name: str, cell: Cell) -> str:
    states = ", ".join(cell.states)
    together = f"({states})" if len(cell.states) > 1 else states
    if name.endswith("_bar") and split_name(name) is None:  # a weight's step-t summand
        return rf"\overline{{{cell_symbol_latex(name.removesuffix('_bar'))}}}^{{(t)}}"
    match = _JACOBIAN.match(name)
    if match:
        return rf"\frac{{\partial {match['s']}^{{(t)}}}}{{\partial {match['p']}^{{(t-1)}}}}"
    if name.startswith("J_t_prev"):
        return rf"\frac{{\partial {together}^{{(t)}}}}{{\partial {together}^{{(t-{name.removeprefix('J_t_prev')})}}}}"
    match = _LIMIT.match(name)
    if match:
        under = ", ".join(rf"{g.split('=')[0]}^{{(t)}} \to {g.split('=')[1]}" for g in match["regime"].split(", "))
        return rf"\lim_{{{under}}} \frac{{\partial {together}^{{(t)}}}}{{\partial {together}^{{(t-1)}}}}"
    return cell_symbol_latex(name)


def cell_latex(cell: Cell, derivation: Derivation) -> str:
    """The cell's equations, then every derived equation, one LaTeX display line each."""
    v = cell.vector
    lines = [rf"\[ {cell_symbol_latex(f'{base}_t')} = {cell_expr_latex(definition, hadamard=v)} \]" for base, definition in cell.nodes]
    lines.append("% derived, and proved before printing:")
    lines += [rf"\[ {_lhs_latex(eq.name, cell)} = {cell_expr_latex(eq.rhs, hadamard=v)} \]" for eq in derivation.equations]
    return "\n".join(lines)


def cell_json(cell: Cell, derivation: Derivation) -> dict[str, Any]:
    """The cell as read and its derivation as one JSON-ready object; rhs is sympy's ``str`` form."""
    return {
        "cell": {
            "name": cell.name,
            "inputs": list(cell.inputs),
            "states": list(cell.states),
            "output": cell.output,
            "weights": list(cell.weights),
            "vector": cell.vector,
            "nodes": [
                {"name": base, "written": written, "read": sympy.sstr(definition)}
                for (base, definition), (_, written) in zip(cell.nodes, cell.equations or [(b, "") for b, _ in cell.nodes])
            ],
        },
        "topic": derivation.topic,
        "passed": derivation.passed,
        "equations": [
            {"name": eq.name, "rhs": " ".join(sympy.sstr(eq.rhs).split()),  # a matrix's str has newlines
             "latex": cell_expr_latex(eq.rhs, hadamard=cell.vector), "note": eq.note}
            for eq in derivation.equations
        ],
        "checks": [{"name": c.name, "passed": bool(c.passed), "method": c.method, "detail": c.detail} for c in derivation.checks],
    }


def _cell_table(cell: Cell) -> Table:
    title = f"cell {cell.name}: states {', '.join(cell.states)}; loss reads {cell.output}"
    table = Table(title=title, title_justify="left", show_header=True, header_style="bold", expand=False)
    table.add_column("node", style="bold cyan", no_wrap=True)
    table.add_column("as read (sympy)", overflow="fold")
    for base, definition in cell.nodes:
        table.add_row(f"{base}_t", Text(sympy.sstr(definition)))
    return table


def render_cell(cell: Cell, derivation: Derivation) -> RenderableType:
    """The cell's equations as the parser read them, then the derivation panel with its checks."""
    from handnets.render.derive import render_derivation

    return Group(_cell_table(cell), Text(""), render_derivation(derivation))


# ------------------------------------------------------------------- the catalogue's cells section


def render_catalogue(catalogue) -> RenderableType:
    """One row per built-in cell: its states, its equations derived, and its checks."""
    table = Table(title="cells: every built-in cell derived and proved", title_justify="left", expand=False)
    for column in ("cell", "states", "equations", "checks"):
        table.add_column(column, no_wrap=column != "cell")
    for cell, derivation in catalogue.cells:
        passed = sum(check.passed for check in derivation.checks)
        verdict = Text(f"{passed}/{len(derivation.checks)} pass", style="green" if derivation.passed else "bold red")
        table.add_row(cell.name, ", ".join(cell.states), str(len(derivation.equations)), verdict)
    failed = [check for check in catalogue.checks if not check.passed]
    if not failed:
        return table
    from handnets.render.checks import render_checks

    return Group(table, render_checks(tuple(failed), title="failed"))


def catalogue_proof_document(catalogue) -> tuple[str, str]:
    """``proofs/cells.md``: each built-in cell, its equations and derived results in LaTeX, and the evidence."""
    lines = ["# Built-in recurrent cells", "", "Generated by `python -m handnets.verify --write-proofs proofs/`; do not edit.", ""]
    lines += ["Each cell is a file in `handnets/data/cells/`; `handnets derive cell NAME` prints one of these.", ""]
    for cell, derivation in catalogue.cells:
        lines += [f"## `{cell.name}`: {cell.title or cell.name}", ""]
        lines += [f"- {note}" for note in cell.notes] + ([""] if cell.notes else [])
        lines += ["Cell:", ""]
        v = cell.vector
        lines += [f"$$ {cell_symbol_latex(f'{base}_t')} = {cell_expr_latex(definition, hadamard=v)} $$" for base, definition in cell.nodes] + [""]
        lines += ["Derived:", ""]
        for eq in derivation.equations:
            lines += [f"$$ {_lhs_latex(eq.name, cell)} = {cell_expr_latex(eq.rhs, hadamard=v)} $$", ""]
        lines += ["| verdict | check | method |", "|---|---|---|"]
        for check in derivation.checks:
            name, method = (text.replace("|", r"\|") for text in (check.name, check.method))  # ||W|| must not split the row
            lines.append(f"| {'PASS' if check.passed else 'FAIL'} | {name} | {method} |")
        lines.append("")
    return "cells.md", "\n".join(lines)
