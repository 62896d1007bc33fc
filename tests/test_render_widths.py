"""Everything prints completely at 60, 80 and 200 columns: no glyph cropped, folded away or cut off by an ellipsis.

The oracle is the same renderable printed at 400 columns, where nothing wraps: the letters and digits
printed at a narrow width must be exactly those (as a multiset; borders, continuation marks and spaces are
not letters). Wrapped formulas must still read as the same formula: a plain one joined back and parsed
by sympy (only handnets' own derived text is parsed), a pretty one joined back row by row into sympy's
own picture of the whole formula.
"""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from handnets import notation
from handnets import derive
from handnets.derive import derive_topic
from handnets.render.derive import _text, render_derivation
from handnets.render.layout import CONTINUE, MARK, Line, break_plain, fit_pretty
from handnets.verify import SECTIONS, run_catalogue

WIDTHS = (60, 80, 200)
TOPICS = derive.TOPICS  # every topic `handnets derive` knows, a new one included
PANEL = 4  # a panel's two borders and two spaces of padding


def _print(renderable, width: int) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(renderable)
    return buffer.getvalue()


def _letters(text: str) -> Counter:
    return Counter(char for char in text if char.isalnum())


@pytest.fixture(scope="module")
def catalogue():
    return {result.section.name: result for result in run_catalogue()}


@pytest.fixture(scope="module")
def derivations():
    return {topic: derive_topic(topic) for topic in TOPICS}


def _section(catalogue, name):
    result = catalogue[name]
    return result.section.load("render")(result.value)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [section.name for section in SECTIONS])
def test_verify_section_prints_every_letter_at_width(catalogue, name, width):
    renderable = _section(catalogue, name)
    assert _letters(_print(renderable, width)) == _letters(_print(renderable, 400))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [section.name for section in SECTIONS])
def test_verify_section_no_line_wider_than_the_console(catalogue, name, width):
    lines = _print(_section(catalogue, name), width).splitlines()
    assert max(cell_len(line) for line in lines) <= width


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("topic", TOPICS)
def test_derive_topic_prints_every_letter_at_width(derivations, topic, width):
    text = _print(render_derivation(derivations[topic]), width)
    assert max(cell_len(line) for line in text.splitlines()) <= width
    assert _letters(text) == _letters(_print(render_derivation(derivations[topic]), 400))


def _joined_lines(text: str) -> list[str]:
    """The panel's content lines, each continuation (``↳``) appended to the line it continues."""
    joined: list[str] = []
    for line in text.splitlines():
        content = re.sub(r"^[│╭╰]\s?|\s?[│╮╯]$", "", line).rstrip()
        if content.lstrip().startswith(MARK) and joined:
            joined[-1] += " " + content.lstrip().removeprefix(MARK).lstrip()
        else:
            joined.append(content)
    return joined


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _parses(text: str) -> bool:
    try:
        sympy.parse_expr(text)
    except (SyntaxError, TypeError, ValueError):  # names such as prod_{j<k} are for reading, not parsing
        return False
    return True


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("topic", TOPICS)
def test_derive_working_lines_join_back_to_the_same_text(derivations, topic, width):
    lines = _joined_lines(_print(render_derivation(derivations[topic]), width))
    for equation in derivations[topic].equations:
        for step in equation.steps[:-1]:
            lhs, rhs = _text(step.lhs), _text(step.rhs)
            tails = [line.rpartition(f"{lhs} = ")[2] for line in lines if f"{lhs} = " in line]
            assert _squash(rhs) in {_squash(tail) for tail in tails}, (equation.name, step.reason)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("topic", TOPICS)
def test_derive_working_lines_join_back_to_the_same_expression(derivations, topic, width):
    lines = _joined_lines(_print(render_derivation(derivations[topic]), width))
    for equation in derivations[topic].equations:
        for step in equation.steps[:-1]:
            lhs, rhs = _text(step.lhs), _text(step.rhs)
            if not _parses(rhs):
                continue
            tails = [line.rpartition(f"{lhs} = ")[2] for line in lines if f"{lhs} = " in line]
            assert any(_parses(tail) and sympy.parse_expr(tail) == sympy.parse_expr(rhs) for tail in tails), (equation.name, step.reason)


def _stack(lines: tuple[Line, ...]) -> list[str]:
    """Lines put back side by side on their baselines, the continuation marks taken off: the oracle's join."""
    pieces = []
    for index, line in enumerate(lines):
        rows = list(line.rows)
        if index:
            assert rows[line.baseline].startswith(CONTINUE)
            assert all(row[: len(CONTINUE)].isspace() for k, row in enumerate(rows) if k != line.baseline)
            rows = [row[len(CONTINUE) :] for row in rows]
            if rows[line.baseline].startswith(("+ ", "- ")):  # " + " inside a line, "+ " starting one
                rows = [" " + row for row in rows]
        pieces.append((rows, line.baseline))
    above = max(baseline for _, baseline in pieces)
    below = max(len(rows) - baseline for rows, baseline in pieces)
    stacked = [""] * (above + below)
    for rows, baseline in pieces:
        blank = " " * cell_len(rows[0])
        padded = [blank] * (above - baseline) + rows + [blank] * (below - (len(rows) - baseline))
        stacked = [left + right for left, right in zip(stacked, padded)]
    return stacked


def _equations(derivations):
    return [(topic, eq) for topic in TOPICS for eq in derivations[topic].equations]


@pytest.mark.parametrize("width", [w - PANEL for w in WIDTHS])
def test_fit_pretty_every_equation_fits_without_the_plain_fallback(derivations, width):
    for topic, equation in _equations(derivations):
        lines = fit_pretty(equation.rhs, width)
        assert lines is not None, (topic, equation.name)
        assert all(cell_len(row) <= width for line in lines for row in line.rows), (topic, equation.name)


@pytest.mark.parametrize("width", [w - PANEL for w in WIDTHS])
def test_fit_pretty_lines_stack_back_into_sympys_picture(derivations, width):
    for topic, equation in _equations(derivations):
        whole = notation.pretty(equation.rhs).split("\n")
        assert _stack(fit_pretty(equation.rhs, width)) == whole, (topic, equation.name)


def test_fit_pretty_breaks_at_a_term_before_a_factor():
    a, b, c, d = sympy.symbols("a b c d")
    lines = fit_pretty(a * b * c + b * c * d, 12)
    assert [line.rows for line in lines] == [("a⋅b⋅c",), (f"{CONTINUE}+ b⋅c⋅d",)]


def test_fit_pretty_breaks_a_wide_product_between_factors():
    forget, gate, output, weight = sympy.symbols("forget gate output weight")
    lines = fit_pretty(forget * gate * output * (weight + 1), 20)
    assert [line.rows for line in lines] == [("forget⋅gate⋅output",), (f"{CONTINUE}⋅(weight + 1)",)]


def test_break_plain_breaks_before_the_operator_with_the_mark():
    assert break_plain("alpha*beta + gamma*delta", 18, first="  ") == ("  alpha*beta", f"{CONTINUE}+ gamma*delta")


def test_break_plain_never_breaks_a_power_or_a_unary_minus():
    assert break_plain("x**2 + (-y)**3 + z**4", 13) == ("x**2", f"{CONTINUE}+ (-y)**3", f"{CONTINUE}+ z**4")


def test_break_plain_cuts_a_name_wider_than_the_line_and_marks_it():
    assert break_plain("a_very_long_name + b", 12) == ("a_very_long_", f"{CONTINUE}name + b")


_NAMES = sympy.symbols("a_t b_prev c_next w_xi x_t y_t")
_leaves = st.sampled_from(_NAMES) | st.integers(-3, 3).map(sympy.Integer)
_expressions = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=4).map(lambda args: sympy.Add(*args)),
        st.lists(inner, min_size=2, max_size=4).map(lambda args: sympy.Mul(*args)),
        st.tuples(inner, st.integers(2, 3)).map(lambda pair: pair[0] ** pair[1]),
        inner.map(sympy.tanh),
    ),
    max_leaves=14,
)


@settings(max_examples=150, deadline=None)
@given(_expressions, st.integers(24, 90))
def test_break_plain_joins_back_to_the_same_expression(expr, width):
    text = sympy.sstr(expr)
    lines = break_plain(text, width)
    assert all(cell_len(line) <= width for line in lines)
    assert all(line.startswith(CONTINUE) for line in lines[1:])
    joined = " ".join(line.removeprefix(CONTINUE) for line in lines)
    assert sympy.parse_expr(joined) == sympy.parse_expr(text)


@settings(max_examples=150, deadline=None)
@given(_expressions, st.integers(24, 90))
def test_fit_pretty_is_sympys_picture_cut_between_glyphs(expr, width):
    lines = fit_pretty(expr, width)
    if lines is None:  # a single block wider than the line: the caller prints the plain form
        return
    assert all(cell_len(row) <= width for line in lines for row in line.rows)
    assert _stack(lines) == notation.pretty(expr).split("\n")


# ------------------------------------------------------------------- grading reports and lint

_SHEET = """student = "s1"
[answers]
"lstm.cbar_t" = "hbar_t o_t (1 - tanh(c_t)^2)"
"lstm.obar_t" = '\\overline{h^{(t)}} \\tanh(c^{(t)})'
"lstm.ibar_t" = "cbar_t * g_t)"
"params.classifier.lstm" = "4*(16*32 + 32*32 + 32)"
"lstm.gbr_t" = "cbar_t*i_t"
"""


@pytest.fixture(scope="module")
def sheet_renders():
    from handnets.grading.grade import grade_sheet
    from handnets.grading.key import load_key
    from handnets.grading.lint import lint_sheet
    from handnets.grading.sheet import loads_sheet
    from handnets.render.grading import render_report
    from handnets.render.lint import render_lint

    key = load_key("homework")
    sheet = loads_sheet(_SHEET, source="sheet.toml")
    return {"report": render_report(grade_sheet(key, sheet)), "lint": render_lint(lint_sheet(key, sheet))}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["report", "lint"])
def test_grading_output_prints_every_letter_at_width(sheet_renders, name, width):
    text = _print(sheet_renders[name], width)
    assert max(cell_len(line) for line in text.splitlines()) <= width
    assert _letters(text) == _letters(_print(sheet_renders[name], 400))
