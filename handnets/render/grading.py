"""Render grading results: a rich report per sheet, the JSON schema, and blank answer-sheet templates.

Text from a sheet or a key (student names, sources, ids, notes, feedback, answers) is never
interpreted as rich markup and never sends control characters: it goes into ``Text(clean(...))``
(``handnets.render.text``), because answers contain ``[`` and file names contain ``ESC``.

Every renderer of a sheet takes the grading ``setting`` (``handnets.grading.analytics.Setting``):
in ``final`` grading an invalid answer scores 0 and is flagged for review (with the undecided
ones); in a ``resubmittable`` setting (a self-check) it is sent back with its message and counted
neither in the score nor in the maximum.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from handnets import notation
from handnets.exact import format_fraction
from handnets.grading.analytics import Setting, counted_score
from handnets.grading.grade import Report, Verdict
from handnets.render.text import clean

__all__ = ["render_report", "render_verdict", "report_json", "verdict_json", "format_score", "json_number",
           "render_key_check", "disposition", "read_as_pretty", "read_as_latex", "IfItFits"]

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


def disposition(verdict: Verdict, setting: Setting | str = Setting.FINAL) -> str | None:
    """What happens to an answer beyond its verdict: ``"for review"`` (final grading, invalid or
    undecided: a person reads it), ``"sent back"`` (resubmittable, invalid: not counted), or None."""
    if verdict.verdict == "invalid":
        return "sent back" if Setting(setting) is Setting.RESUBMITTABLE else "for review"
    if verdict.verdict == "undecided":
        return "for review"
    return None


def _shown_score(verdict: Verdict, setting: Setting | str) -> str:
    if disposition(verdict, setting) == "sent back":
        return f"- / {format_score(verdict.max_score)}"  # not counted: neither the points nor the maximum
    return f"{format_score(verdict.score)} / {format_score(verdict.max_score)}"


_DISPOSITION_NOTE = {
    "for review": "flagged for review: scores 0 until a person reads it (counted apart from incorrect)",
    "sent back": "sent back: not counted; fix it as the feedback says and submit again",
}


def render_verdict(verdict: Verdict, setting: Setting | str = Setting.FINAL) -> Group:
    """One question, in detail: verdict, score, how the answer was read, feedback, and its disposition.

    The question id heads its own line (ids are long: a label column as wide as the id would leave
    the answer a narrow strip at 80 columns); the details follow under short labels, wrapped."""
    head = Text()
    head.append(clean(verdict.id), style="bold")
    head.append("  ")
    head.append(verdict.verdict.upper(), style=_STYLES[verdict.verdict])
    head.append(f"  {_shown_score(verdict, setting)}")
    if verdict.note not in (verdict.verdict, "correct"):
        head.append(f"  [{clean(verdict.note)}]", style="dim")
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, width=8)
    table.add_column(overflow="fold")
    if (what := disposition(verdict, setting)) is not None:
        table.add_row("", Text(_DISPOSITION_NOTE[what], style=_STYLES[verdict.verdict]))
    if verdict.submitted:
        table.add_row("answer", Text(clean(verdict.submitted, lines=True)))
    if verdict.read_as is not None and verdict.read_as.plain and verdict.read_as.plain != verdict.submitted:
        table.add_row("read as", Text(clean(verdict.read_as.plain, lines=True)))
    if "\n" in (picture := read_as_pretty(verdict)):
        table.add_row("", IfItFits(Text(clean(picture, lines=True), no_wrap=True)))
    if verdict.feedback and verdict.feedback != "correct":
        table.add_row("feedback", Text(clean(verdict.feedback, lines=True)))
    return Group(head, table) if table.row_count else Group(head)


def read_as_pretty(verdict: Verdict) -> str:
    """The unicode picture of how the answer was read ("" when it was not read as an expression)."""
    expr = verdict.read_as.expr if verdict.read_as is not None else None
    return notation.pretty(expr) if expr is not None else ""


def read_as_latex(verdict: Verdict) -> str:
    """The homework LaTeX of how the answer was read ("" when it was not read as an expression)."""
    expr = verdict.read_as.expr if verdict.read_as is not None else None
    return notation.latex(expr) if expr is not None else ""


class IfItFits:
    """A drawing shown only when it fits the width: a wrapped 2-D formula is unreadable, and the
    one-line form above it says the same."""

    def __init__(self, text: Text):
        self.text = text

    def _width(self) -> int:
        return max((len(line) for line in self.text.plain.split("\n")), default=0)

    def __rich_console__(self, console, options):
        if self._width() <= options.max_width:
            yield self.text

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement(0, min(options.max_width, self._width()))


def render_report(report: Report, setting: Setting | str = Setting.FINAL) -> Group:
    """The whole sheet: a summary table, then each question that needs the student's attention in detail."""
    # the heading is a line of its own, not the table's title: a title is cut to the table's width, and the path matters
    heading = Text(clean(f"{report.student}  ({report.source}, key {report.key})"), style="italic")
    summary = Table()
    # ids are never cropped (a TA looks them up): the id column is as wide as the longest, the note wraps
    summary.add_column("question", no_wrap=True, min_width=min(40, max((len(clean(v.id)) for v in report.verdicts), default=8)),
                       overflow="fold")
    summary.add_column("verdict", no_wrap=True)
    summary.add_column("score", justify="right", no_wrap=True)
    summary.add_column("note", overflow="fold")
    for verdict in report.verdicts:
        summary.add_row(
            Text(clean(verdict.id)),
            Text(verdict.verdict, style=_STYLES[verdict.verdict]),
            _shown_score(verdict, setting),
            _note_cell(verdict, setting),
        )
    summary.add_section()
    score, max_score = counted_score(report, setting)
    summary.add_row("total", "", f"{format_score(score)} / {format_score(max_score)}", "", style="bold")
    parts: list[Any] = [heading, summary]
    flagged = [v for v in report.verdicts if disposition(v, setting) == "for review"]
    returned = [v for v in report.verdicts if disposition(v, setting) == "sent back"]
    if flagged:
        parts.append(Text(clean(f"{_answers(len(flagged))} flagged for review ({_split(flagged)}): "
                                f"scored 0 until a person reads {'it' if len(flagged) == 1 else 'them'}; "
                                f"not counted as incorrect: {', '.join(v.id for v in flagged)}"), style="yellow"))
    if returned:
        parts.append(Text(clean(f"{_answers(len(returned))} sent back, not counted (out of {format_score(max_score)} "
                                f"instead of {format_score(report.max_score)}): fix the notation and submit again: "
                                f"{', '.join(v.id for v in returned)}"), style="yellow"))
    for verdict in report.verdicts:
        if verdict.verdict not in ("missing",):
            parts.append(render_verdict(verdict, setting))
    if report.unknown_answers:
        parts.append(Text(clean("answers to questions the key does not have (ignored): " + ", ".join(report.unknown_answers)), style="yellow"))
    return Group(*parts)


def _note_cell(verdict: Verdict, setting: Setting | str) -> Text:
    cell = Text(clean(verdict.note) if verdict.note != verdict.verdict else "", style="dim")
    if (what := disposition(verdict, setting)) is not None:
        cell.append(("; " if cell.plain else "") + what, style=_STYLES[verdict.verdict])
    return cell


def _answers(count: int) -> str:
    return f"{count} answer{'' if count == 1 else 's'}"


def _split(verdicts: list[Verdict]) -> str:
    counts = {v: sum(x.verdict == v for x in verdicts) for v in ("invalid", "undecided")}
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n)


def verdict_json(verdict: Verdict, setting: Setting | str = Setting.FINAL) -> dict[str, Any]:
    """One answer: the verdict, and ``counted``, ``review`` (a person must read it) and ``sent_back``
    under ``setting``."""
    what = disposition(verdict, setting)
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
        else {"plain": verdict.read_as.plain, "pretty": read_as_pretty(verdict), "latex": read_as_latex(verdict)},
        "method": verdict.method,
        "counted": what != "sent back",
        "review": what == "for review",
        "sent_back": what == "sent back",
    }


def report_json(report: Report, setting: Setting | str = Setting.FINAL) -> dict[str, Any]:
    """The ``handnets grade --json`` object for one sheet: score and max_score as counted under ``setting``."""
    score, max_score = counted_score(report, setting)
    return {
        "student": report.student,
        "source": report.source,
        "key": report.key,
        "setting": str(Setting(setting)),
        "score": json_number(score),
        "max_score": json_number(max_score),
        "review": [v.id for v in report.verdicts if disposition(v, setting) == "for review"],
        "sent_back": [v.id for v in report.verdicts if disposition(v, setting) == "sent back"],
        "questions": [verdict_json(v, setting) for v in report.verdicts],
        "unknown_answers": list(report.unknown_answers),
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


def render_key_check(result) -> Group:
    """The catalogue's grading section: the key's own answers, graded."""
    from handnets.render.checks import render_checks

    passed = sum(c.passed for c in result.checks)
    return Group(
        Text(f"The built-in key '{result.key.name}': {len(result.key.questions)} questions; "
             f"expected answers and known mistakes graded as if a student wrote them ({passed}/{len(result.checks)} as intended).", style="bold"),
        render_checks([c for c in result.checks if not c.passed], title="Failures") if passed < len(result.checks) else Text("All as intended.", style="green"),
    )
