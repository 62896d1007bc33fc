"""Render check verdicts: a table of checks, and the catalogue's closing summary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from handnets.checks import Check

__all__ = ["verdict_text", "render_checks", "render_summary"]


def verdict_text(passed: bool) -> Text:
    return Text("PASS", style="bold green") if passed else Text("FAIL", style="bold red")


def render_checks(checks: Iterable[Check], *, title: str | None = None) -> Table:
    """One row per check: verdict, claim, method, detail."""
    table = Table(title=title, show_header=True, header_style="bold", expand=False)
    table.add_column("", no_wrap=True)
    # words wrap at spaces; fold only a word longer than its column, never cut it off with an ellipsis
    table.add_column("check", overflow="fold")
    table.add_column("evidence", overflow="fold")
    for check in checks:
        claim = Text(check.name, style="" if check.passed else "red")
        evidence = Text(check.method)
        if check.detail:
            evidence.append("\n" + check.detail, style="dim" if check.passed else "red")
        table.add_row(verdict_text(check.passed), claim, evidence)
    return table


def render_summary(results: Sequence[Any]) -> Table:
    """The closing table of ``python -m handnets.verify``: one row per section."""
    table = Table(title="handnets.verify", show_header=True, header_style="bold")
    table.add_column("section", overflow="fold")
    table.add_column("checks", justify="right", no_wrap=True)
    table.add_column("failed", justify="right", no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    total = failed_total = 0
    for result in results:
        checks = result.value.checks
        failed = sum(not c.passed for c in checks)
        total += len(checks)
        failed_total += failed
        table.add_row(result.section.name, str(len(checks)), str(failed), f"{result.seconds:.3f}", verdict_text(failed == 0))
    table.add_section()
    table.add_row("all", str(total), str(failed_total), "", verdict_text(failed_total == 0))
    return table
