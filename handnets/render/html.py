"""Render HTML pages: derivations, the catalogue, and graded sheets, with the math as MathML.

Every page is one self-contained file: styles inline, math as MathML from the notation layer
(``handnets.notation.mathml``: MathML Core, which current browsers draw without scripts), no script,
no image, no font, no link that leaves the page. The Content-Security-Policy in each page's head says
the same to the browser (``default-src 'none'``), so even a page that were edited by hand could not
fetch anything. Text that comes from outside (answers, names, prompts, feedback, file names) is
escaped with ``html.escape`` before it is put into a page; MathML is printed from expressions, never
from text.
"""

from __future__ import annotations

import html
from urllib.parse import quote
from collections.abc import Iterable, Sequence
from typing import Any

import sympy
from rich.console import Console

from handnets import notation
from handnets.checks import Check
from handnets.derive.model import Derivation, Equation
from handnets.grading.analytics import Analytics, Setting, counted_score
from handnets.grading.grade import VERDICTS, Report, Verdict
from handnets.grading.key import Key
from handnets.render.derive import equation_lhs
from handnets.render.grading import disposition, format_score
from handnets.render.text import clean

__all__ = ["page", "derivation_page", "catalogue_pages", "student_page", "course_pages", "lhs_mathml"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #1b1b1b; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1.05rem; margin: 1.4rem 0 .3rem; }
math { font-size: 1.1em; }
.equation { margin: .3rem 0 .5rem 1rem; }
.line { margin: .15rem 0; } .line.more { margin-left: 3rem; }
.working { color: #555; margin-left: 1rem; font-size: .95em; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .55rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.pass, .correct { color: #146c2e; font-weight: 600; } .fail, .incorrect { color: #b3261e; font-weight: 600; }
.invalid { color: #8a5a00; font-weight: 600; } .undecided { color: #7b1fa2; font-weight: 600; }
.missing { color: #777; } .manual { color: #00639b; font-weight: 600; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .92em; }
pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; }
.question { border-top: 1px solid #ddd; padding-top: .4rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { font-weight: 600; } dd { margin: 0; }
"""

# no request of any kind may leave the page: not a script, not a style sheet, not a font, not an image
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"


def _e(text: Any) -> str:
    """Outside text for a page: control characters shown (``render.text.clean``), then HTML-escaped."""
    return html.escape(clean(str(text), lines=True))


def page(title: str, body: str) -> str:
    """A whole HTML document around ``body`` (already HTML), titled ``title`` (plain text)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------------------- derivations

def lhs_mathml(name: str) -> str:
    """The left-hand side of an equation named ``name`` (``render.derive.equation_lhs``), as MathML content."""
    expr, qualifier = equation_lhs(name)
    if expr.is_Symbol and notation.read_name(expr.name).kind == "other":
        return f"<mi>{html.escape(name)}</mi>"
    inner = notation.mathml(expr)[len("<math>"):-len("</math>")]
    return f"<msub><mrow>{inner}</mrow><mtext>{html.escape(qualifier)}</mtext></msub>" if qualifier else inner


_ROW = 80  # characters of the plain form per line of display math: about 60rem of MathML at the page's size


def _inner(expr: sympy.Basic, hadamard: bool) -> str:
    return notation.mathml(expr, hadamard=hadamard)[len("<math>"):-len("</math>")]


def _tokens(expr: sympy.Basic, hadamard: bool, room: int) -> list[tuple[str, int, bool]]:
    """``expr`` as MathML pieces ``(markup, width, a line may break before it)``: split at the terms of a sum
    and the factors of a product only when it is wider than ``room`` (widths are plain-form characters).

    MathML Core has no line breaking of its own, so a long equation is cut here, the way
    ``render.layout`` cuts it for a terminal, and each line is a ``<math>`` element of its own.
    """
    width = len(notation.plain(expr))
    if width <= room or not (expr.is_Add or expr.is_Mul):
        return [(_inner(expr, hadamard), width, False)]
    if expr.is_Add:
        tokens: list[tuple[str, int, bool]] = []
        for index, term in enumerate(notation.MathMLNotation()._as_ordered_terms(expr)):
            negative = term.could_extract_minus_sign()
            if negative or index:
                tokens.append((f"<mo>{'-' if negative else '+'}</mo>", 3, index > 0))
            tokens += _tokens(-term if negative else term, hadamard, room)
        return tokens
    coeff, factors = expr.as_coeff_mul()
    if coeff != 1 or any(f.is_Pow and f.exp.is_negative for f in factors):  # a fraction or a sign: kept whole
        return [(_inner(expr, hadamard), width, False)]
    dot = "⊙" if hadamard else "·"
    tokens = []
    for index, factor in enumerate(sympy.Mul(*factors).as_ordered_factors()):
        if index:
            tokens.append((f"<mo>{dot}</mo>", 1, True))
        if factor.is_Add:
            tokens += [("<mo>(</mo>", 1, False), *_tokens(factor, hadamard, room), ("<mo>)</mo>", 1, False)]
        else:
            tokens += _tokens(factor, hadamard, room)
    return tokens


def _display(lhs: str, expr: sympy.Basic, hadamard: bool, room: int = _ROW) -> str:
    """``lhs = expr`` as display math, one ``<math>`` per line, continuation lines indented."""
    chunks: list[list[tuple[str, int]]] = []  # a token a line may break before, and the tokens glued to it
    for markup, width, breakable in _tokens(expr, hadamard, room):
        if breakable or not chunks:
            chunks.append([])
        chunks[-1].append((markup, width))
    lines: list[list[str]] = [[]]
    used = 0
    for chunk in chunks:
        width = sum(w for _, w in chunk)
        if used + width > room and lines[-1]:
            lines.append([])
            used = 0
            head, first = chunk[0]
            chunk = [(head.replace("<mo>", '<mo form="infix">', 1), first), *chunk[1:]]  # a line's leading + keeps its spacing
        lines[-1] += [markup for markup, _ in chunk]
        used += width
    rows = [f'<div class="line"><math displaystyle="true"><mrow>{lhs}<mo>=</mo>{"".join(lines[0])}</mrow></math></div>']
    rows += [f'<div class="line more"><math displaystyle="true"><mrow>{"".join(line)}</mrow></math></div>'
             for line in lines[1:]]
    return '<div class="equation">' + "".join(rows) + "</div>"


def _equation_html(equation: Equation, hadamard: bool) -> str:
    parts = [f"<h3><code>{_e(equation.name)}</code></h3>", _display(lhs_mathml(equation.name), equation.rhs, hadamard)]
    if equation.note:
        parts.append(f"<p>{_e(equation.note)}</p>")
    for step in equation.steps[:-1]:  # the last step is the result, shown above
        working = _display(_inner(step.lhs, hadamard), step.rhs, hadamard, 90)
        parts.append(f'<div class="working">{_e(step.reason)}:{working}</div>')
    parts.append(f"<p>In the vocabulary: <code>{_e(notation.plain(equation.rhs))}</code></p>")
    return "\n".join(parts)


def _checks_html(checks: Iterable[Check], caption: str = "") -> str:
    rows = [f"<caption>{_e(caption)}</caption>" if caption else "", "<tr><th></th><th>check</th><th>evidence</th></tr>"]
    for check in checks:
        verdict = '<span class="pass">PASS</span>' if check.passed else '<span class="fail">FAIL</span>'
        detail = f"<br><small>{_e(check.detail)}</small>" if check.detail else ""
        rows.append(f"<tr><td>{verdict}</td><td>{_e(check.name)}</td><td>{_e(check.method)}{detail}</td></tr>")
    return "<table>\n" + "\n".join(r for r in rows if r) + "\n</table>"


def _derivation_body(derivation: Derivation) -> str:
    hadamard = derivation.topic.endswith("vector")
    parts = [f"<h1>{_e(derivation.title)}</h1>", f"<p><em>{_e(derivation.claim)}</em></p>"]
    if derivation.notes:
        parts.append("<ul>" + "".join(f"<li>{_e(note)}</li>" for note in derivation.notes) + "</ul>")
    parts += [_equation_html(equation, hadamard) for equation in derivation.equations]
    if derivation.checks:
        parts += ["<h2>Proved before printed</h2>", _checks_html(derivation.checks)]
    return "\n".join(parts)


def derivation_page(derivation: Derivation) -> str:
    """``handnets derive TOPIC --html FILE``: the derivation, every equation and step in MathML, and its checks.

    >>> from handnets.derive import derive_topic
    >>> text = derivation_page(derive_topic("lstm"))
    >>> "<math" in text and "<script" not in text
    True
    """
    return page(derivation.title, _derivation_body(derivation))


# --------------------------------------------------------------------------------- catalogue


def _rich_html(renderable: Any) -> str:
    """A section without math of its own (the adder, parameter counts, CNN blocks), as its text report."""
    console = Console(record=True, width=100, file=_Discard(), color_system=None)
    console.print(renderable)
    return f"<pre>{html.escape(console.export_text())}</pre>"


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def catalogue_pages(results: Sequence[Any]) -> dict[str, str]:
    """``python -m handnets.verify --html DIR``: ``index.html`` with the summary, one page per section."""
    pages: dict[str, str] = {}
    rows = ["<tr><th>section</th><th>checks</th><th>failed</th><th></th></tr>"]
    for result in results:
        name = result.section.name
        checks = result.value.checks
        failed = sum(not c.passed for c in checks)
        verdict = '<span class="pass">PASS</span>' if failed == 0 else '<span class="fail">FAIL</span>'
        rows.append(f'<tr><td><a href="{html.escape(name)}.html">{_e(name)}</a></td><td>{len(checks)}</td>'
                    f"<td>{failed}</td><td>{verdict}</td></tr>")
        if isinstance(result.value, Derivation):
            body = _derivation_body(result.value)
        else:
            body = f"<h1>{_e(name)}</h1>\n" + _rich_html(result.section.load("render")(result.value)) + "\n" + \
                _checks_html(checks, "checks")
        pages[f"{name}.html"] = page(f"handnets.verify: {name}", '<p><a href="index.html">all sections</a></p>\n' + body)
    passed = all(result.passed for result in results)
    summary = f"<h1>handnets.verify</h1>\n<p>{'Every check held.' if passed else 'A check failed.'}</p>\n"
    pages["index.html"] = page("handnets.verify", summary + "<table>\n" + "\n".join(rows) + "\n</table>")
    return pages


# ----------------------------------------------------------------------------------- grading


def _read_as_html(verdict: Verdict) -> str:
    if verdict.read_as is None:
        return ""
    if verdict.read_as.expr is not None:
        return f'<math displaystyle="true">{_inner(verdict.read_as.expr, False)}</math>'
    return f"<code>{_e(verdict.read_as.plain)}</code>" if verdict.read_as.plain else ""


def _score(verdict: Verdict, setting: Setting | str) -> str:
    if disposition(verdict, setting) == "sent back":
        return f"- / {format_score(verdict.max_score)} (sent back, not counted)"
    return f"{format_score(verdict.score)} / {format_score(verdict.max_score)}"


def _question_html(verdict: Verdict, prompt: str, setting: Setting | str) -> str:
    if verdict.verdict == "missing":  # one line: a sheet that answers few questions stays short
        return (f'<section class="question"><h3><code>{_e(verdict.id)}</code> <span class="missing">missing, '
                f"0 / {format_score(verdict.max_score)}</span></h3>\n<p>{_e(prompt)}</p></section>")
    rows = [f'<dt>verdict</dt><dd><span class="{verdict.verdict}">{verdict.verdict}</span>'
            + (f" ({_e(what)})" if (what := disposition(verdict, setting)) else "") + "</dd>",
            f"<dt>score</dt><dd>{_e(_score(verdict, setting))}</dd>"]
    if verdict.submitted:
        rows.append(f"<dt>answer as typed</dt><dd><code>{_e(verdict.submitted)}</code></dd>")
    if read := _read_as_html(verdict):
        rows.append(f"<dt>read as</dt><dd>{read}</dd>")
    if verdict.feedback and verdict.feedback != "correct":
        rows.append(f"<dt>feedback</dt><dd>{_e(verdict.feedback)}</dd>")
    return (f'<section class="question"><h3><code>{_e(verdict.id)}</code></h3>\n<p>{_e(prompt)}</p>\n'
            f"<dl>{''.join(rows)}</dl></section>")


def student_page(report: Report, key: Key, setting: Setting | str = Setting.FINAL) -> str:
    """One student's graded sheet: each question, the answer as typed and as read (MathML), verdict, score, feedback."""
    prompts = {q.id: q.prompt for q in key.questions}
    score, max_score = counted_score(report, setting)
    parts = [f"<h1>{_e(report.student)}</h1>",
             f"<p>{_e(report.source)}: key <code>{_e(report.key)}</code>, score <strong>{format_score(score)} / "
             f"{format_score(max_score)}</strong></p>"]
    parts += [_question_html(v, prompts.get(v.id, ""), setting) for v in report.verdicts]
    if report.unknown_answers:
        parts.append("<p>Answers to questions the key does not have (ignored): "
                     + ", ".join(f"<code>{_e(a)}</code>" for a in report.unknown_answers) + "</p>")
    return page(f"{report.student}: {key.title}", "\n".join(parts))


def course_pages(reports: Sequence[Report], names: Sequence[str], key: Key, analytics: Analytics,
                 unreadable: Sequence[Any] = ()) -> dict[str, str]:
    """``handnets grade --format html --out DIR``: ``index.html`` (the summary table and the most common wrong
    answers) and ``students/<name>.html`` for each report (``names`` are the reports' safe file stems)."""
    pages = {f"students/{name}.html": student_page(report, key) for report, name in zip(reports, names)}
    head = "<tr><th>student</th><th>score</th>" + "".join(f"<th>{v}</th>" for v in VERDICTS) + "</tr>"
    rows = [head]
    for report, name in zip(reports, names):
        score, max_score = counted_score(report, Setting.FINAL)
        counts = [sum(v.verdict == kind for v in report.verdicts) for kind in VERDICTS]
        rows.append(f'<tr><td><a href="students/{html.escape(quote(name))}.html">{_e(report.student)}</a></td>'
                    f"<td>{format_score(score)} / {format_score(max_score)}</td>"
                    + "".join(f"<td>{n}</td>" for n in counts) + "</tr>")
    parts = [f"<h1>{_e(key.title)}</h1>", f"<p>{len(reports)} sheets graded; key <code>{_e(key.name)}</code>.</p>",
             "<h2>Students</h2>", "<table>\n" + "\n".join(rows) + "\n</table>"]
    wrong = [w for stats in analytics.questions for w in stats.common_wrong if w.count > 1 or len(reports) == 1]
    wrong.sort(key=lambda w: (-w.count, w.question, w.example))
    if wrong:
        parts += ["<h2>Most common wrong answers</h2>",
                  "<table>\n<tr><th>question</th><th>students</th><th>example answer</th><th>read as</th><th>note</th></tr>\n"
                  + "\n".join(f"<tr><td><code>{_e(w.question)}</code></td><td>{w.count}</td>"
                              f"<td><code>{_e(w.example)}</code></td><td><code>{_e(w.read_as)}</code></td>"
                              f"<td>{_e(w.note)}</td></tr>" for w in wrong[:20])
                  + "\n</table>"]
    if unreadable:
        parts += ["<h2>Sheets that could not be read</h2>",
                  "<ul>" + "".join(f"<li><code>{_e(u.source)}</code>: {_e(u.reason)}</li>" for u in unreadable) + "</ul>"]
    pages["index.html"] = page(key.title, "\n".join(parts))
    return pages
