"""Render a sheet's self-check (``handnets lint``): how each answer reads, and what to fix before submitting.

Answers, ids and messages are outside text: they go into ``Text(clean(...))`` (``handnets.render.text``),
never into markup. An expression is shown in its one-line plain form and, when it is a picture on
several lines that fits the width, in the notation layer's pretty form under it.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from handnets import notation
from handnets.grading.lint import LintLine, LintResult
from handnets.render.grading import IfItFits
from handnets.render.text import clean

__all__ = ["render_lint", "lint_json"]

_LABEL = {"read": ("read", "green"), "unreadable": ("UNREADABLE", "bold yellow"), "unknown": ("UNKNOWN ID", "bold red"),
          "damaged": ("DAMAGED", "bold yellow")}


def _summary(result: LintResult) -> str:
    parts = [f"{result.count('read')} read"]
    for status, words in (("unreadable", "unreadable"), ("damaged", "damaged by TOML"), ("unknown", "under an unknown id"),
                          ("missing", "unanswered")):
        if n := result.count(status):
            parts.append(f"{n} {words}")
    return ", ".join(parts)


def _line(line: LintLine) -> RenderableType:
    label, style = _LABEL[line.status]
    head = Text()
    head.append(clean(line.id), style="bold")
    head.append("  ")
    head.append(label, style=style)
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, width=7)
    table.add_column(overflow="fold")
    if line.submitted:
        table.add_row("answer", Text(clean(line.submitted, lines=True)))
    if line.reading is not None:
        table.add_row("read as", Text(clean(line.reading.plain, lines=True)))
        if line.reading.expr is not None and "\n" in (picture := notation.pretty(line.reading.expr)):
            table.add_row("", IfItFits(Text(clean(picture, lines=True), no_wrap=True)))
    if line.message:
        table.add_row("why", Text(clean(line.message, lines=True)))
    if line.caret:
        table.add_row("where", IfItFits(Text(clean(line.caret, lines=True), no_wrap=True)))
    if line.status == "unknown":
        hint = f"did you mean {line.suggestions[0]}?" if line.suggestions else "check the id against the template"
        table.add_row("why", Text(clean(f"the key has no question with this id, so it would not be graded; {hint}")))
    return Group(head, table)


def render_lint(result: LintResult) -> Group:
    """The whole self-check: a summary line, each answer, the unanswered questions, and the outcome."""
    parts: list[RenderableType] = [
        Text(clean(f"{result.student}  ({result.source}, key {result.key}): {_summary(result)}"), style="italic")]
    parts += [_line(line) for line in result.lines if line.status != "missing"]
    missing = [line.id for line in result.lines if line.status == "missing"]
    if missing:
        parts.append(Text(clean(f"unanswered ({len(missing)}): {', '.join(missing)}"), style="dim"))
    if result.readable:
        parts.append(Text("Every answer is readable. (Nothing was judged: this check never looks at correctness.)",
                          style="green"))
    else:
        parts.append(Text("Fix the answers marked above before you submit: as they are, they would not be graded.",
                          style="yellow"))
    return Group(*parts)


def lint_json(result: LintResult) -> dict[str, Any]:
    """``handnets lint --json``: the lines with their status, reading (plain, pretty, LaTeX) and messages."""
    def reading(line: LintLine) -> dict[str, str] | None:
        if line.reading is None:
            return None
        expr = line.reading.expr
        return {"plain": line.reading.plain, "pretty": notation.pretty(expr) if expr is not None else "",
                "latex": notation.latex(expr) if expr is not None else ""}

    return {
        "student": result.student,
        "source": result.source,
        "key": result.key,
        "readable": result.readable,
        "answers": [{"id": line.id, "status": line.status, "submitted": line.submitted, "read_as": reading(line),
                     "message": line.message, "caret": line.caret, "suggestions": list(line.suggestions)}
                    for line in result.lines],
    }
