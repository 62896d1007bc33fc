"""Render derivations: rich panels, homework-notation LaTeX, JSON, proofs/ Markdown.

Every expression is printed by the notation layer (``handnets.notation``): the panel shows its pretty
form (``c̅ₜ₊₁⋅fₜ₊₁``) and the working its plain form; LaTeX follows the homework sets (``c^{(t-1)}``,
``\\overline{c^{(t)}}``, ``\\sigma``, and the vector form's elementwise products as ``\\odot``). JSON's
``rhs`` stays sympy's own string form, which ``sympy.parse_expr`` reads back.

The rich panel lays every formula out for the width it is printed at (``render/layout.py``): an equation
too wide is broken between terms and continued on a ``↳`` line, never cropped at the panel's edge.
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from handnets import notation
from handnets.derive.model import Derivation, Equation
from handnets.render.checks import render_checks
from handnets.render.layout import CONTINUE, PlainFormula, PrettyFormula

__all__ = ["symbol_latex", "latex", "equation_latex", "equation_lhs", "render_derivation", "render_section", "derivation_json", "proof_document"]

def symbol_latex(name: str) -> str:
    """The homework notation for one vocabulary name (``handnets.notation``; other names escaped).

    >>> symbol_latex("cbar_next"), symbol_latex("c_t_3"), symbol_latex("w_xi")
    ('\\\\overline{c^{(t+1)}}', 'c^{(t-3)}', 'w_{xi}')
    """
    written = notation.name_latex(name)
    return written if written is not None else name.replace("_", r"\_")


def latex(expr: sympy.Basic, *, hadamard: bool = False) -> str:
    """``expr`` in homework-notation LaTeX (``handnets.notation.latex``).

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> latex(S["cbar_next"] * S["f_next"])
    '\\\\overline{c^{(t+1)}} \\\\cdot f^{(t+1)}'
    """
    return notation.latex(expr, hadamard=hadamard)


def equation_latex(equation: Equation, *, hadamard: bool = False) -> str:
    """``lhs = rhs`` in LaTeX, the lhs read from the equation's name."""
    return f"{_lhs_latex(equation.name)} = {latex(equation.rhs, hadamard=hadamard)}"


# equation names that are another quantity's value under a condition: the quantity they give
_SAME_AS = {"c_t_from_c_prev2": "c_t", "c_t_from_c_t_k": "c_t", "c_t_forget_zero": "c_t", "cbar_prev2_full": "cbar_prev2",
            "cbar_prev_forget_zero": "cbar_prev", "vector_hbar_t": "hbar_t"}
_STATE_NAME = r"[a-z]+(?:bar)?_(?:t|prev\d?|next)"
_JACOBIAN = re.compile(rf"d(?P<of>{_STATE_NAME})_d(?P<by>{_STATE_NAME})")


def equation_lhs(name: str) -> tuple[sympy.Expr, str]:
    """What an equation named ``name`` gives, as an expression, and a qualifier ("", "wrong" or "limit").

    ``dh_t_dh_prev`` is the derivative of h_t by h_prev; ``hbar_t_limit`` is hbar_t in the limit the
    derivation states; ``cbar_t_no_recurrent`` is the classic wrong cbar_t.

    >>> equation_lhs("dh_t_dc_prev_limit"), equation_lhs("c_t_forget_zero")
    ((Derivative(h_t, c_prev), 'limit'), (c_t, ''))
    """
    qualifier = ""
    if name.endswith("_limit"):
        name, qualifier = name.removesuffix("_limit"), "limit"
    if name == "cbar_t_no_recurrent":
        name, qualifier = "cbar_t", "wrong"
    name = _SAME_AS.get(name, name)
    if match := _JACOBIAN.fullmatch(name):
        return sympy.Derivative(sympy.Symbol(match["of"]), sympy.Symbol(match["by"]), evaluate=False), qualifier
    return sympy.Symbol(name), qualifier


def _lhs_latex(name: str) -> str:
    expr, qualifier = equation_lhs(name)
    written = symbol_latex(expr.name) if expr.is_Symbol else notation.latex(expr)
    return f"{{{written}}}_{{\\text{{{qualifier}}}}}" if qualifier else written


def _hadamard(derivation: Derivation) -> bool:
    return derivation.topic.endswith("vector")


# ------------------------------------------------------------------------------------- rich


def _equation_block(equation: Equation) -> Group:
    parts: list[RenderableType] = [Text(f"{equation.name} =", style="bold cyan"), PrettyFormula(equation.rhs)]
    if equation.note:
        parts.append(Text(equation.note, style="italic"))
    for step in equation.steps[:-1]:  # the last step is the result, printed above
        parts.append(_Working(step.reason, f"{_text(step.lhs)} = {_text(step.rhs)}"))
    return Group(*parts)


class _Working:
    """One step of working, ``  reason: lhs = rhs``; too wide, the reason on its own line and the
    equation under it, broken at operators."""

    def __init__(self, reason: str, equation: str):
        self.reason, self.equation = reason, equation

    @property
    def _one_line(self) -> str:
        return f"  {self.reason}: {self.equation}"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if cell_len(self._one_line) <= options.max_width:
            yield Text(self._one_line, style="dim", no_wrap=True)
            return
        yield Padding(Text(self.reason + ":", style="dim"), (0, 0, 0, 2))
        yield PlainFormula(self.equation, first="    ", later="    " + CONTINUE, style="dim")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(cell_len(self._one_line), 24), cell_len(self._one_line)).clamp(max_width=options.max_width)


def _bullet(note: str) -> Table:
    """``· note``, the note's wrapped lines indented under its first word."""
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text("· ", style="dim"), Text(note, style="dim"))
    return grid


def _text(expr: sympy.Basic) -> str:
    """The one-line form of the working (``handnets.notation.plain``: ``Derivative(u, v)`` as ``du/dv``)."""
    return notation.plain(expr)


def render_derivation(derivation: Derivation) -> RenderableType:
    """One panel: the claim, every equation with its chain-rule working, and the verdict of its checks."""
    parts: list[RenderableType] = [Text(derivation.claim, style="italic")]
    parts += [_bullet(note) for note in derivation.notes]
    for equation in derivation.equations:
        parts.append(Text(""))
        parts.append(_equation_block(equation))
    if derivation.checks:
        parts.append(Text(""))
        parts.append(render_checks(derivation.checks, title="proved before printed"))
    return _TitledPanel(derivation.title, Group(*parts), border_style="green" if derivation.passed else "red")


class _TitledPanel:
    """A panel with its title in the top border, or (too narrow for that) on the first line inside.

    rich crops a border title that is wider than the panel.
    """

    def __init__(self, title: str, body: RenderableType, *, border_style: str):
        self.title, self.body, self.border_style = title, body, border_style

    def _panel(self, width: int) -> Panel:
        if cell_len(self.title) + 6 <= width:  # the corners, a rule each side, a space each side
            return Panel(self.body, title=f"[bold]{escape(self.title)}", border_style=self.border_style, expand=False)
        return Panel(Group(Text(self.title, style="bold"), self.body), border_style=self.border_style, expand=False)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._panel(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._panel(options.max_width))


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
        lines += ["Result:", "", f"$$ {equation_latex(eq, hadamard=hadamard)} $$", "", f"In the vocabulary: `{notation.plain(eq.rhs)}`", ""]
    lines += ["## Evidence", "", "| verdict | check | method |", "|---|---|---|"]
    for check in derivation.checks:
        verdict = "PASS" if check.passed else "FAIL"
        cells = (check.name.replace("|", r"\|"), check.method.replace("|", r"\|"))  # ||W|| must not split the row
        lines.append(f"| {verdict} | {cells[0]} | {cells[1]} |")
    lines.append("")
    return f"{derivation.topic}.md", "\n".join(lines)
