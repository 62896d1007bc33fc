"""The notation layer: every form of every name reads back through the grader, MathML agrees with sympy's.

Oracles: the grader's reader (``handnets.grading.parse``), which shares no code with the printers, must
land on the same symbol or expression from each printed form; sympy's own presentation MathML printer
must produce the same tree once the homework's names are put in place of sympy's.
"""

from __future__ import annotations

import dataclasses
import io
import re
import xml.dom.minidom

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sympy.printing.mathml import MathMLPresentationPrinter

from handnets import notation
from handnets.derive import derive_topic
from handnets.derive.vector import outer, transpose_times
from handnets.grading.parse import ParseSuccess, parse_expression
from handnets.render.derive import render_derivation
from handnets.vocabulary import NAMES, SYMBOLS, sigmoid

S = SYMBOLS
# names the grader reads as something else on purpose: dL_dh_t in words is the error signal hbar_t
READABLE = [name for name in NAMES if name != "dL_dh_t"]


def read(text: str) -> sympy.Expr:
    result = parse_expression(text)
    assert isinstance(result, ParseSuccess), (text, getattr(result, "message", ""))
    return result.expr


def same(a: sympy.Expr, b: sympy.Expr) -> bool:
    return a == b or sympy.expand(a - b) == 0


# ------------------------------------------------------------------------------------ names


@pytest.mark.parametrize("name", READABLE)
def test_notation_latex_of_every_name_reads_back(name):
    assert read(notation.latex(S[name])) == S[name]


@pytest.mark.parametrize("name", READABLE)
def test_notation_pretty_of_every_name_reads_back(name):
    assert read(notation.pretty(S[name])) == S[name]


def test_notation_loss_derivative_reads_back_as_itself_not_as_hbar():
    assert read(notation.latex(S["dL_dh_t"])) == S["dL_dh_t"]


@pytest.mark.parametrize(
    ("name", "pretty", "latex"),
    [
        ("c_prev", "cₜ₋₁", "c^{(t-1)}"),
        ("c_prev2", "cₜ₋₂", "c^{(t-2)}"),
        ("cbar_next", "c̅ₜ₊₁", r"\overline{c^{(t+1)}}"),
        ("yhat_t", "ŷₜ", r"\hat{y}^{(t)}"),
        ("w_hf", "w_hf", "w_{hf}"),
        ("W_fh", "W_fh", "W_{fh}"),
        ("c_t_3", "cₜ₋₃", "c^{(t-3)}"),
        ("w_xi_bar", "w_xi_bar", r"\overline{w_{xi}}^{(t)}"),
    ],
)
def test_notation_names_in_homework_form(name, pretty, latex):
    symbol = sympy.Symbol(name, real=True)
    assert (notation.pretty(symbol), notation.latex(symbol)) == (pretty, latex)


def test_notation_unknown_name_falls_back_to_sympy():
    x1 = sympy.Symbol("x1")
    assert notation.latex(x1) == sympy.latex(x1) and notation.read_name("x1").kind == "other"


# ------------------------------------------------------------------------------------ order


def test_notation_positive_terms_first_in_every_form():
    expr = S["w_y"] * (S["yhat_t"] - S["y_t"])
    assert sympy.sstr(expr) == "w_y*(-y_t + yhat_t)"  # sympy's own order, which the homework never writes
    assert notation.plain(expr) == "w_y*(yhat_t - y_t)"
    assert notation.pretty(expr) == "w_y⋅(ŷₜ - yₜ)"
    assert notation.latex(expr) == r"w_{y} \cdot \left(\hat{y}^{(t)} - y^{(t)}\right)"
    assert "<mo>(</mo><mrow><msup><mi>ŷ</mi>" in notation.mathml(expr)  # ŷ first inside the parentheses


def test_notation_plain_reads_back_with_sympy():
    expr = S["w_y"] * (S["yhat_t"] - S["y_t"]) - 1 + S["c_t"]
    assert sympy.parse_expr(notation.plain(expr), local_dict=dict(S)) == expr


def test_notation_vector_functions_print_as_the_homework_writes_them():
    w, v, u = sympy.Symbol("W_fh"), S["fbar_next"], S["x_t"]
    expr = transpose_times(w, v) + outer(S["ibar_t"], u)
    for text in (notation.plain(expr), notation.pretty(expr), notation.latex(expr), notation.mathml(expr)):
        assert "transpose_times" not in text and "outer" not in text
    assert notation.pretty(transpose_times(w, v)) == "W_fhᵀ⋅(f̅ₜ₊₁)"
    assert notation.latex(outer(S["ibar_t"], u)) == r"\left(\overline{i^{(t)}}\right) \left(x^{(t)}\right)^{\top}"


def _console(renderable, width=80) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(renderable)
    return buffer.getvalue()


def test_derive_lstm_vector_output_has_no_internal_names_in_its_equations():
    derivation = dataclasses.replace(derive_topic("lstm-vector"), notes=(), claim="")
    text = _console(render_derivation(derivation))
    assert "transpose_times" not in text and "outer(" not in text
    assert "W_fhᵀ⋅" in text


def test_derive_lstm_ce_output_writes_yhat_minus_y():
    text = _console(render_derivation(derive_topic("lstm-ce")))
    assert "(ŷₜ - yₜ)" in text and "-yₜ + ŷₜ" not in text


# ---------------------------------------------------------------------------- expressions

_LEAVES = [S[n] for n in ("c_t", "c_prev", "cbar_next", "hbar_t", "o_t", "yhat_t", "y_t", "w_xi", "f_next")]


def _expressions(leaves=_LEAVES, functions=(sympy.tanh, sigmoid)) -> st.SearchStrategy[sympy.Expr]:
    base = st.one_of(st.sampled_from(leaves), st.integers(1, 9).map(sympy.Integer))

    def extend(children):
        return st.one_of(
            st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
            st.tuples(children, st.integers(2, 3)).map(lambda ab: ab[0] ** ab[1]),
            *[children.map(f) for f in functions],
        )

    return st.recursive(base, extend, max_leaves=8)


@settings(max_examples=80, deadline=None)
@given(_expressions())
def test_notation_every_form_reads_back_to_the_same_expression(expr):
    for text in (notation.plain(expr), notation.latex(expr), notation.latex(expr, hadamard=True)):
        assert same(read(text), expr), text
    picture = notation.pretty(expr)
    if "\n" not in picture:
        assert same(read(picture), expr), picture


def _sympy_mathml(expr) -> str:
    """sympy's own presentation MathML, names unsplit (``<mi>c_prev</mi>``)."""
    return MathMLPresentationPrinter({"mul_symbol": "dot", "disable_split_super_sub": True}).doprint(expr)


def _in_homework_order(expr) -> bool:
    return all(list(a.as_ordered_terms()) == sorted(a.as_ordered_terms(), key=lambda t: t.could_extract_minus_sign())
               for a in sympy.preorder_traversal(expr) if a.is_Add)


@settings(max_examples=80, deadline=None)
@given(_expressions(functions=(sympy.tanh, sympy.exp)))
def test_notation_mathml_is_sympys_tree_with_the_homework_names(expr):
    assume(_in_homework_order(expr))  # sympy's order is the homework's here: the trees must be equal
    expected = _sympy_mathml(expr)
    for symbol in sorted(expr.free_symbols, key=lambda s: -len(s.name)):
        expected = expected.replace(f"<mi>{symbol.name}</mi>", notation.mathml(symbol)[len("<math>"):-len("</math>")])
    assert notation.mathml(expr) == f"<math>{expected}</math>"


@settings(max_examples=60, deadline=None)
@given(_expressions())
def test_notation_mathml_is_well_formed_and_uses_mathml_core_only(expr):
    document = xml.dom.minidom.parseString(notation.mathml(expr, display=True))
    tags = {node.tagName for node in document.getElementsByTagName("*")}
    assert tags <= {"math", "mrow", "mi", "mn", "mo", "msup", "msub", "mfrac", "mover", "msqrt", "mroot", "mtext", "mspace"}


def test_notation_mathml_sigmoid_and_hadamard():
    expr = sigmoid(S["x_t"]) * S["cbar_t"]
    assert "<mi>σ</mi>" in notation.mathml(expr) and "sigmoid" not in notation.mathml(expr)
    assert "<mo>⊙</mo>" in notation.mathml(expr, hadamard=True)


def test_notation_mathml_escapes_every_text_node():
    hostile = sympy.Symbol("<script>alert(1)</script>&amp;")
    text = notation.mathml(hostile * 2)
    assert "<script" not in text and "&amp;amp;" in text
    xml.dom.minidom.parseString(text)


def test_notation_mathml_keeps_sympys_own_entities():
    assert "<mo>&#xB7;</mo>" in notation.mathml(S["c_t"] * S["o_t"])  # sympy's middle dot, not escaped to &amp;
    assert "<mo>∂</mo>" in notation.mathml(sympy.Derivative(S["c_next"], S["c_t"]))


def test_notation_latex_has_no_printing_hook_on_sigmoid():
    assert not hasattr(sigmoid, "_latex")
    assert notation.latex(sigmoid(S["x_t"]) ** 2) == r"\sigma^{2}\left(x^{(t)}\right)"
    assert re.fullmatch(r"σ\(xₜ\)", notation.pretty(sigmoid(S["x_t"])))
