"""Render derivations: rich panels (sympy's unicode pretty form), homework-notation LaTeX, JSON, proofs/ Markdown.

LaTeX follows the homework sets: ``c_t`` prints as ``c^{(t)}``, ``c_prev`` as ``c^{(t-1)}``, ``cbar_t``
as ``\\overline{c^{(t)}}``, ``c_t_3`` (three steps back) as ``c^{(t-3)}``, ``sigmoid`` as ``\\sigma``,
and the vector form's elementwise products as ``\\odot``.
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text
from sympy.printing.latex import LatexPrinter

from handnets.derive.model import Derivation, Equation
from handnets.render.checks import render_checks

__all__ = ["symbol_latex", "latex", "equation_latex", "render_derivation", "render_section", "derivation_json", "proof_document"]

_WHEN = {"t": "(t)", "prev": "(t-1)", "prev2": "(t-2)", "next": "(t+1)"}
_NAME = re.compile(r"^(?P<base>[a-z]+?)(?P<bar>bar)?_(?P<when>t|prev2|prev|next)(?:_(?P<lag>\d+))?$")
_SPECIAL = {
    "dL_dh_t": r"\frac{\partial L}{\partial h^{(t)}}",
    "yhat_t": r"\hat{y}^{(t)}",
    "y_t": r"y^{(t)}",
    "w_y": r"w_{y}",
    "b_h": r"b_{h}",
}


def symbol_latex(name: str) -> str:
    """The homework notation for one vocabulary name.

    >>> symbol_latex("cbar_next"), symbol_latex("c_t_3"), symbol_latex("w_xi")
    ('\\\\overline{c^{(t+1)}}', 'c^{(t-3)}', 'w_{xi}')
    """
    if name in _SPECIAL:
        return _SPECIAL[name]
    if name.startswith("vector_"):
        return symbol_latex(name.removeprefix("vector_"))
    if name.endswith("_bar") and name.startswith(("w_", "W_", "b_")):  # a weight's step-t summand
        return rf"\overline{{{symbol_latex(name.removesuffix('_bar'))}}}^{{(t)}}"
    match = _NAME.match(name)
    if match:
        when = f"(t-{match['lag']})" if match["lag"] else _WHEN[match["when"]]
        core = f"{match['base']}^{{{when}}}"
        return rf"\overline{{{core}}}" if match["bar"] else core
    if name.startswith(("w_", "W_")) and "_" not in name[2:]:
        return f"{name[0]}_{{{name[2:]}}}"
    return name.replace("_", r"\_")


class _HomeworkLatex(LatexPrinter):
    """sympy's LaTeX printer with the homework's names; ``hadamard`` turns products into ``\\odot``."""

    def __init__(self, hadamard: bool = False):
        super().__init__({"mul_symbol": "dot" if not hadamard else None})
        self._hadamard = hadamard

    def _print_Symbol(self, expr, style="plain"):
        return symbol_latex(expr.name)

    def _print_Mul(self, expr):
        if not self._hadamard:
            return super()._print_Mul(expr)
        coeff, factors = expr.as_coeff_mul()
        parts = [self.parenthesize(f, sympy.printing.precedence.PRECEDENCE["Mul"]) for f in factors]
        body = r" \odot ".join(parts)
        if coeff == -1:
            return "- " + body
        return body if coeff == 1 else f"{self._print(coeff)} {body}"

    def _print_Derivative(self, expr):
        (variable, count), = expr.variable_count
        power = "" if count == 1 else f"^{{{count}}}"
        return rf"\frac{{\partial{power} {self._print(expr.expr)}}}{{\partial {self._print(variable)}{power}}}"

    def _print_transpose_times(self, expr):
        w, v = expr.args
        return rf"{self._print(w)}^{{\top}} \left({self._print(v)}\right)"

    def _print_outer(self, expr):
        u, v = expr.args
        return rf"\left({self._print(u)}\right) \left({self._print(v)}\right)^{{\top}}"


def latex(expr: sympy.Basic, *, hadamard: bool = False) -> str:
    """``expr`` in homework-notation LaTeX.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> latex(S["cbar_next"] * S["f_next"])
    '\\\\overline{c^{(t+1)}} \\\\cdot f^{(t+1)}'
    """
    return _HomeworkLatex(hadamard).doprint(expr)


def equation_latex(equation: Equation, *, hadamard: bool = False) -> str:
    """``lhs = rhs`` in LaTeX, the lhs read from the equation's name."""
    return f"{_lhs_latex(equation.name)} = {latex(equation.rhs, hadamard=hadamard)}"


def _lhs_latex(name: str) -> str:
    if name in ("c_t_from_c_prev2", "c_t_from_c_t_k", "c_t_forget_zero"):
        return "c^{(t)}"
    if name == "cbar_t_k":
        return r"\overline{c^{(t-k)}}"
    if name == "cbar_prev2_full":
        return r"\overline{c^{(t-2)}}"
    if name == "cbar_prev_forget_zero":
        return r"\overline{c^{(t-1)}}"
    if name == "cbar_t_no_recurrent":
        return r"\overline{c^{(t)}}_{\text{wrong}}"
    return symbol_latex(name)


def _hadamard(derivation: Derivation) -> bool:
    return derivation.topic.endswith("vector")


# ------------------------------------------------------------------------------------- rich


def _equation_block(equation: Equation) -> Group:
    parts: list[RenderableType] = [Text(f"{equation.name} =", style="bold cyan"), _pretty(equation.rhs)]
    if equation.note:
        parts.append(Text(equation.note, style="italic"))
    if len(equation.steps) > 1:
        lines = [f"  {step.reason}: {_text(step.lhs)} = {_text(step.rhs)}" for step in equation.steps[:-1]]
        parts.append(Text("\n".join(lines), style="dim"))
    return Group(*parts)


PRETTY_COLUMNS = 88  # sympy breaks long formulas itself, so rich never wraps a 2-D formula mid-glyph


def _pretty(expr: sympy.Basic) -> Text:
    return Text(sympy.pretty(expr, use_unicode=True, wrap_line=True, num_columns=PRETTY_COLUMNS), no_wrap=True, overflow="ignore")


_DERIVATIVE = re.compile(r"Derivative\((\w+), (\w+)\)")


def _text(expr: sympy.Basic) -> str:
    """sympy's str form, with ``Derivative(u, v)`` written ``du/dv``."""
    return _DERIVATIVE.sub(r"d\1/d\2", sympy.sstr(expr))


def render_derivation(derivation: Derivation) -> Panel:
    """One panel: the claim, every equation with its chain-rule working, and the verdict of its checks."""
    parts: list[RenderableType] = [Text(derivation.claim, style="italic")]
    for note in derivation.notes:
        parts.append(Text("· " + note, style="dim"))
    for equation in derivation.equations:
        parts.append(Text(""))
        parts.append(_equation_block(equation))
    if derivation.checks:
        parts.append(Text(""))
        parts.append(render_checks(derivation.checks, title="proved before printed"))
    style = "green" if derivation.passed else "red"
    return Panel(Group(*parts), title=f"[bold]{escape(derivation.title)}", border_style=style, expand=False)


def render_section(derivation: Derivation) -> RenderableType:
    """The catalogue's view of one derivation (``python -m handnets.verify``)."""
    return render_derivation(derivation)


def render_latex(derivation: Derivation) -> str:
    """Every equation as a LaTeX display line, for ``handnets derive ... --latex``."""
    return "\n".join(rf"\[ {equation_latex(eq, hadamard=_hadamard(derivation))} \]" for eq in derivation.equations)


# -------------------------------------------------------------------------------------- JSON


def derivation_json(derivation: Derivation) -> dict[str, Any]:
    """``{"equations": [{name, rhs, latex}], "checks": [{name, passed, method}]}``; rhs is ``str(expr)``."""
    return {
        "topic": derivation.topic,
        "equations": [
            {"name": eq.name, "rhs": sympy.sstr(eq.rhs), "latex": latex(eq.rhs, hadamard=_hadamard(derivation))} for eq in derivation.equations
        ],
        "checks": [{"name": c.name, "passed": c.passed, "method": c.method} for c in derivation.checks],
    }


# ---------------------------------------------------------------------------------- proofs/


def proof_document(derivation: Derivation) -> tuple[str, str]:
    """The ``proofs/<topic>.md`` document: claim, derivation steps in LaTeX, the evidence. Deterministic."""
    hadamard = _hadamard(derivation)
    lines = [f"# {derivation.title}", "", "Generated by `python -m handnets.verify --write-proofs proofs/`; do not edit.", ""]
    lines += ["## Claim", "", derivation.claim, ""]
    if derivation.notes:
        lines += [f"- {note}" for note in derivation.notes] + [""]
    lines += ["## Derivation", ""]
    for eq in derivation.equations:
        lines += [f"### `{eq.name}`", ""]
        if eq.note:
            lines += [eq.note, ""]
        for step in eq.steps:
            if step.reason == "result":  # printed once, below
                continue
            lines += [f"{step.reason}:", "", f"$$ {latex(step.lhs, hadamard=hadamard)} = {latex(step.rhs, hadamard=hadamard)} $$", ""]
        lines += ["Result:", "", f"$$ {equation_latex(eq, hadamard=hadamard)} $$", "", f"In the vocabulary: `{sympy.sstr(eq.rhs)}`", ""]
    lines += ["## Evidence", "", "| verdict | check | method |", "|---|---|---|"]
    for check in derivation.checks:
        verdict = "PASS" if check.passed else "FAIL"
        cells = (check.name.replace("|", r"\|"), check.method.replace("|", r"\|"))  # ||W|| must not split the row
        lines.append(f"| {verdict} | {cells[0]} | {cells[1]} |")
    lines.append("")
    return f"{derivation.topic}.md", "\n".join(lines)
