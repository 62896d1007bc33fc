"""Render grading results: a rich report per sheet, the JSON schema, and blank answer-sheet templates.

Text from a sheet or a key (student names, sources, ids, notes, feedback, answers) is never
interpreted as rich markup and never sends control characters: it goes into ``Text(clean(...))``
(``handnets.render.text``), because answers contain ``[`` and file names contain ``ESC``.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from handnets.exact import format_fraction
from handnets.grading.grade import Report, Verdict
from handnets.grading.key import Key, Question
from handnets.render.text import clean, json_safe

__all__ = ["render_report", "render_verdict", "report_json", "verdict_json", "format_score", "format_template", "json_number", "render_key_check"]

_STYLES = {
    "correct": "bold green",
    "incorrect": "bold red",
    "invalid": "bold yellow",
    "undecided": "bold magenta",
    "missing": "dim",
    "manual": "bold cyan",
}


def format_score(value: Fraction) -> str:
    """Scores print as integers or short decimals; exact fractions that need more stay fractions."""
    if value.denominator == 1:
        return str(value.numerator)
    decimal = float(value)
    return f"{decimal:g}" if Fraction(repr(decimal)) == value else format_fraction(value)


def json_number(value: Fraction) -> int | float:
    """A score for JSON: an int when whole, else a float (scores are sums of simple fractions of points)."""
    return value.numerator if value.denominator == 1 else float(value)


def render_verdict(verdict: Verdict) -> Table:
    """One question, in detail: verdict, score, how the answer was read, feedback."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    head = Text()
    head.append(verdict.verdict.upper(), style=_STYLES[verdict.verdict])
    head.append(f"  {format_score(verdict.score)} / {format_score(verdict.max_score)}")
    if verdict.note not in (verdict.verdict, "correct"):
        head.append(f"  [{clean(verdict.note)}]", style="dim")
    table.add_row(Text(clean(verdict.id)), head)
    if verdict.submitted:
        table.add_row("answer", Text(clean(verdict.submitted, lines=True)))
    if verdict.read_as is not None and verdict.read_as.plain and verdict.read_as.plain != verdict.submitted:
        table.add_row("read as", Text(clean(verdict.read_as.plain, lines=True)))
    if verdict.read_as is not None and verdict.read_as.pretty and "\n" in verdict.read_as.pretty:
        table.add_row("", Text(clean(verdict.read_as.pretty, lines=True)))
    if verdict.feedback and verdict.feedback != "correct":
        table.add_row("feedback", Text(clean(verdict.feedback, lines=True)))
    return table


def render_report(report: Report) -> Group:
    """The whole sheet: a summary table, then each question that needs the student's attention in detail."""
    summary = Table(title=Text(clean(f"{report.student}  ({report.source}, key {report.key})")), title_justify="left")
    summary.add_column("question")
    summary.add_column("verdict")
    summary.add_column("score", justify="right")
    summary.add_column("note")
    for verdict in report.verdicts:
        summary.add_row(
            Text(clean(verdict.id)),
            Text(verdict.verdict, style=_STYLES[verdict.verdict]),
            f"{format_score(verdict.score)} / {format_score(verdict.max_score)}",
            Text(clean(verdict.note), style="dim"),
        )
    summary.add_section()
    summary.add_row("total", "", f"{format_score(report.score)} / {format_score(report.max_score)}", "", style="bold")
    parts: list[Any] = [summary]
    for verdict in report.verdicts:
        if verdict.verdict not in ("missing",):
            parts.append(render_verdict(verdict))
    if report.unknown_answers:
        parts.append(Text(clean("answers to questions the key does not have (ignored): " + ", ".join(report.unknown_answers)), style="yellow"))
    return Group(*parts)


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "id": verdict.id,
        "verdict": verdict.verdict,
        "score": json_number(verdict.score),
        "max_score": json_number(verdict.max_score),
        "note": verdict.note,
        "feedback": verdict.feedback,
        "submitted": verdict.submitted,
        "read_as": None
        if verdict.read_as is None
        else {"plain": verdict.read_as.plain, "pretty": verdict.read_as.pretty, "latex": verdict.read_as.latex},
        "method": verdict.method,
    }


def report_json(report: Report) -> dict[str, Any]:
    """The ``handnets grade --json`` object for one sheet."""
    return {
        "student": report.student,
        "source": report.source,
        "key": report.key,
        "score": json_number(report.score),
        "max_score": json_number(report.max_score),
        "questions": [verdict_json(v) for v in report.verdicts],
        "unknown_answers": list(report.unknown_answers),
    }


_EXAMPLES = {
    "integer": '{id} = 0          # a whole number; arithmetic such as "4*(16*32 + 32*32 + 32)" is read too',
    "number": '{id} = 0.0        # a number; "1/3" and "sqrt(2)" are read too',
    "expression": '{id} = ""         # e.g. "hbar_t*o_t*(1 - tanh(c_t)**2)" or LaTeX \'\\overline{{h^{{(t)}}}} \\tanh(c^{{(t)}})\'',
    "matrix": "{id} = [[0, 0], [0, 0]]",
    "shape": "{id} = [0, 0, 0]   # or \"28x28x8\"",
    "big_o": '{id} = ""         # e.g. "O(d*k*H*W)"',
    "choice": '{id} = ""         # one of: {choices}',
    "text": '{id} = "..."      # free text, read by a person',
}

_VOCABULARY_NOTE = """\
# Expressions: write them as in Python/sympy (o_t*tanh(c_t), x**2 or x^2, implicit products such as 2x or
# o_t tanh(c_t)) or in LaTeX (\\overline{c^{(t)}}, c_{t-1}, \\sigma(z), \\odot, \\cdot, \\frac{a}{b}).
# Names: x_t h_t c_t i_t f_t o_t g_t at step t; h_prev c_prev at t-1; c_prev2 at t-2; x_next h_next c_next
# i_next f_next o_next g_next at t+1; weights w_xi w_hi w_xf w_hf w_xo w_ho w_xg w_hg (and w_y);
# error signals hbar_t cbar_t gbar_t obar_t fbar_t ibar_t and hbar_next cbar_next ...; dL_dh_t for the
# loss's own derivative at h_t; y_t and yhat_t; functions sigmoid (also sigma, σ) and tanh.
# An expression answer may repeat its left-hand side: "cbar_t = ...".
"""


def _comment(text: str) -> str:
    """TOML comment lines: every line of ``text`` (a title or prompt with newlines too), control characters shown."""
    return "\n".join("# " + line if line else "#" for line in clean(text, lines=True).replace("\t", " ").split("\n"))


def _toml_key(name: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted (``"lstm.cbar_t"``)."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return name
    return json.dumps(json_safe(name))  # a JSON string of scalar values is a valid TOML basic string


def format_template(key: Key) -> str:
    """A blank answer sheet for ``key``: every prompt as a comment, an example of accepted syntax per type."""
    lines = [_comment(f"Answer sheet for: {key.title}"), "", '# student = "your id"   # optional: defaults to the file name', "", _VOCABULARY_NOTE, "[answers]"]
    adder: Question | None = None
    for question in key.questions:
        if question.type == "adder":
            adder = question
            continue
        lines.append("")
        lines.append(_comment(f"{question.prompt} ({format_score(question.points)} points)"))
        if question.vocabulary:
            lines.append(_comment(f"names you may use: {', '.join(question.vocabulary)}"))
        example = _EXAMPLES[question.type].format(id=json.dumps(json_safe(question.id)), choices=", ".join(question.options.choices))
        lines.append(_comment(example))
    if adder is not None:
        lines += [
            "",
            _comment(f"{adder.prompt} ({format_score(adder.points)} points)"),
            "# (uncomment the table and fill it in; numbers may be ints, decimals or \"p/q\" strings)",
            f"# [answers.{_toml_key(adder.id)}]",
            '# threshold = "ge"            # optional: "ge" (step(0) = 1) or "gt" (step(0) = 0)',
            "# W_xh = [[0, 0], [0, 0], [0, 0]]",
            "# W_hh = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]",
            "# b_h  = [0, 0, 0]",
            "# W_hy = [[0, 0, 0]]",
            "# b_y  = 0",
        ]
    return "\n".join(lines) + "\n"


def render_key_check(result) -> Group:
    """The catalogue's grading section: the key's own answers, graded."""
    from handnets.render.checks import render_checks

    passed = sum(c.passed for c in result.checks)
    return Group(
        Text(f"The built-in key '{result.key.name}': {len(result.key.questions)} questions; "
             f"expected answers and known mistakes graded as if a student wrote them ({passed}/{len(result.checks)} as intended).", style="bold"),
        render_checks([c for c in result.checks if not c.passed], title="Failures") if passed < len(result.checks) else Text("All as intended.", style="green"),
    )
