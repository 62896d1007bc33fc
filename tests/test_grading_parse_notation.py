"""The notations students really write, one table per class, each read compared with an expression built here.

The expected readings are built directly from the vocabulary's symbols and sympy's functions, never by
the parser under test; the round-trip property prints random expressions in several notations (sympy's
own printers) and reads them back.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets import notation
from handnets.grading.parse import SUM_OVER_T, ParseFailure, ParseSuccess, parse_expression
from handnets.vocabulary import SYMBOLS, sigmoid

S = SYMBOLS
tanh = sympy.tanh
c_t, h_t, o_t, f_t, i_t, g_t, x_t = (S[n] for n in ("c_t", "h_t", "o_t", "f_t", "i_t", "g_t", "x_t"))
hbar_t, cbar_t, cbar_next, f_next, ibar_t = (S[n] for n in ("hbar_t", "cbar_t", "cbar_next", "f_next", "ibar_t"))
w_xi, w_hi, h_prev = S["w_xi"], S["w_hi"], S["h_prev"]
CBAR = hbar_t * o_t * (1 - tanh(c_t) ** 2) + cbar_next * f_next


def read(text: str, **kwargs) -> sympy.Expr:
    result = parse_expression(text, **kwargs)
    assert isinstance(result, ParseSuccess), result
    return result.expr


FUNCTIONS = [
    # hyperbolic functions are read through tanh, so sech^2 is exactly 1 - tanh^2
    ("sech(c_t)^2", 1 - tanh(c_t) ** 2),
    (r"\text{sech}^2(c_t)", 1 - tanh(c_t) ** 2),
    (r"\operatorname{sech}^2(c_t)", 1 - tanh(c_t) ** 2),
    (r"\mathrm{sech}^{2}(c_t)", 1 - tanh(c_t) ** 2),
    ("sech^2(c_t)", 1 - tanh(c_t) ** 2),
    ("1/cosh(c_t)^2", 1 - tanh(c_t) ** 2),
    (r"\frac{1}{\cosh^2(c_t)}", 1 - tanh(c_t) ** 2),
    ("sinh(x_t)/cosh(x_t)", tanh(x_t)),
    ("1-tanh(c_t)^2", 1 - tanh(c_t) ** 2),
    ("tanh²(c_t)", tanh(c_t) ** 2),
    (r"\tanh^2 c_t", tanh(c_t) ** 2),
    ("(tanh c_t)^2", tanh(c_t) ** 2),
    ("e^{-x_t}", sympy.exp(-x_t)),
    (r"\exp(-x_t)", sympy.exp(-x_t)),
    (r"\frac{1}{1+e^{-x_t}}", 1 / (1 + sympy.exp(-x_t))),
    (r"\max(x_t, 0)", sympy.Max(x_t, 0)),
    ("max(x_t, h_t, 1)", sympy.Max(x_t, h_t, 1)),
    (r"\min(x_t, h_t)", sympy.Min(x_t, h_t)),
    (r"\boldsymbol{\sigma}(x_t)", sigmoid(x_t)),
    (r"\mathbf{\sigma}(x_t)", sigmoid(x_t)),
]

PRIMES = [
    (r"\sigma^{\prime}(x_t)", sigmoid(x_t) * (1 - sigmoid(x_t))),
    (r"\sigma^\prime(x_t)", sigmoid(x_t) * (1 - sigmoid(x_t))),
    ("σ'(x_t)", sigmoid(x_t) * (1 - sigmoid(x_t))),
    (r"\sigma'(x_t)", sigmoid(x_t) * (1 - sigmoid(x_t))),
    ("sigma^{'}(x_t)", sigmoid(x_t) * (1 - sigmoid(x_t))),
    (r"\dot\sigma(x_t)", sigmoid(x_t) * (1 - sigmoid(x_t))),
    (r"\dot{\sigma}(x_t)", sigmoid(x_t) * (1 - sigmoid(x_t))),
    (r"\tanh^{\prime}(c_t)", 1 - tanh(c_t) ** 2),
    ("tanh'(c_t)", 1 - tanh(c_t) ** 2),
]

TRANSPOSES = [
    # the univariate problems have scalars only: a transpose is the identity
    ("w_hi^T ibar_t", w_hi * ibar_t),
    ("w_hi^{T} ibar_t", w_hi * ibar_t),
    (r"w_{hi}^\top \bar{i}_t", w_hi * ibar_t),
    (r"w_{hi}^{\intercal} \bar{i}_t", w_hi * ibar_t),
    (r"w_{hi}^{\top} \bar{i}_t", w_hi * ibar_t),
    ("w_hi' ibar_t", w_hi * ibar_t),
    (r"ibar_t x^{(t)T}", ibar_t * x_t),
    ("ibar_t x_t^T", ibar_t * x_t),
    ("(w_hi ibar_t)^T", w_hi * ibar_t),
    ("w_hi^T^T ibar_t", w_hi * ibar_t),
]

MARKS = [
    # combining marks (NFD) and precomposed letters (NFC) both
    ("h̄_t", hbar_t),
    ("h\u0305_t", hbar_t),
    ("ō_t", S["obar_t"]),
    ("o\u0304_t", S["obar_t"]),
    ("C̃_t", g_t),
    ("ŷ_t", S["yhat_t"]),
    ("y\u0302_t", S["yhat_t"]),
    ("ĥ_t", S["hhat_t"]) if "hhat_t" in S else ("ī_t", ibar_t),
    ("δC̃_t", S["gbar_t"]),
    ("c̄_{t+1}", cbar_next),
    (r"\hat{y}_t", S["yhat_t"]),
    (r"\widehat{y}_t", S["yhat_t"]),
    (r"\widetilde{C}_t", g_t),
]

SUMS = [
    (r"\sum_t \bar{i}_t x_t", SUM_OVER_T(ibar_t * x_t)),
    (r"\sum_{t} \bar{i}_t x_t", SUM_OVER_T(ibar_t * x_t)),
    (r"\sum_{t=1}^{T} \bar{i}_t i_t (1 - i_t) x_t", SUM_OVER_T(ibar_t * i_t * (1 - i_t) * x_t)),
    (r"\sum_{t=1}^T \bar{i}_t x_t + x_t", SUM_OVER_T(ibar_t * x_t) + x_t),
    ("sum_t ibar_t x_t", SUM_OVER_T(ibar_t * x_t)),
    ("2 sum_t (ibar_t + x_t)", 2 * SUM_OVER_T(ibar_t + x_t)),
    (r"\delta C_t \prod_{k=t-1}^{t} f_k", cbar_t * S["f_prev"] * f_t),
    (r"\prod_{j=t}^{t+1} f_{j}", f_t * f_next),
    (r"\prod_{k=t-1}^{t} f_k h_{k-1}", S["f_prev"] * f_t * h_prev * S["h_prev2"]),
]

LATEX_SPACING = [
    (r"\bar{h}_t \, o_t \left( 1 - \tanh^2(c_t) \right) + \bar{c}_{t+1}\; f_{t+1}", CBAR),
    (r"\Big( \bar{h}_t \Big) o_t \Bigl(1 - \tanh^{2}(c_t)\Bigr) + \bar{c}_{t+1} \! f_{t+1}", CBAR),
    (r"\bar{h}_t \cdot o_t \odot (1 − \tanh^2(c_t)) + \bar{c}_{t+1} \circ f_{t+1}", CBAR),
    ("h̄_t ⊙ o_t ∘ (1 – tanh²(c_t)) + c̄_{t+1} · f_{t+1}", CBAR),
    (r"\bar{h}_t \times o_t (1 - \tanh^2(c_t)) + \bar{c}_{t+1} \quad f_{t+1}", CBAR),
    (r"\left. \bar{h}_t o_t (1 - \tanh^2(c_t)) + \bar{c}_{t+1} f_{t+1} \right.", CBAR),
    (r"\mathbf{h}_t", h_t),
    (r"\boldsymbol{x}_t", x_t),
    ("o_t tanh(c_t).", o_t * tanh(c_t)),
    ("o_t tanh(c_t),", o_t * tanh(c_t)),
    ("`o_t*tanh(c_t)`", o_t * tanh(c_t)),
    ("$o_t \\tanh(c_t)$", o_t * tanh(c_t)),
    ("$$o_t \\tanh(c_t)$$", o_t * tanh(c_t)),
    (r"\(o_t \tanh(c_t)\)", o_t * tanh(c_t)),
    (r"\[o_t \tanh(c_t)\]", o_t * tanh(c_t)),
]

CODE_STYLE = [
    # dX for dL/dX, as in code (only where X is a variable and dX is not a name)
    ("dc_t", cbar_t),
    ("dh[t] * o[t]", hbar_t * o_t),
    ("dc[t+1] * f[t+1]", cbar_next * f_next),
    ("do_t", S["obar_t"]),
    ("df[t]", S["fbar_t"]),
    ("dc[t-2]", S["cbar_prev2"]),
    ("dL_dh_t", S["dL_dh_t"]),
    ("np.tanh(c[t])", tanh(c_t)),
    ("torch.sigmoid(x_t)", sigmoid(x_t)),
    ("math.exp(x_t)", sympy.exp(x_t)),
]

LEFT_SIDES = [
    (r"\bar{c}_t = " + "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "cbar_t"),
    (r"\overline{c_t} = " + "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "cbar_t"),
    (r"\frac{\partial L}{\partial c_t} = " + "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "cbar_t"),
    ("dL/dc_t = hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "cbar_t"),
    ("δc_t = hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "cbar_t"),
    ("c̄_t = hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "cbar_t"),
    ("cbar_t += hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "cbar_t"),
]


@pytest.mark.parametrize(("text", "expected"), FUNCTIONS)
def test_parse_functions_read_as_built(text: str, expected: sympy.Expr) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), PRIMES)
def test_parse_primes_read_as_derivatives(text: str, expected: sympy.Expr) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), TRANSPOSES)
def test_parse_transposes_are_the_identity_on_scalars(text: str, expected: sympy.Expr) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), MARKS)
def test_parse_combining_marks_decorate_their_letter(text: str, expected: sympy.Expr) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), SUMS)
def test_parse_sums_stay_whole_and_products_expand(text: str, expected: sympy.Expr) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), LATEX_SPACING)
def test_parse_latex_spacing_and_wrappers_change_nothing(text: str, expected: sympy.Expr) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), CODE_STYLE)
def test_parse_code_style_names_read_as_error_signals(text: str, expected: sympy.Expr) -> None:
    assert read(text) == expected


def test_parse_code_style_d_leaves_big_o_sizes_alone() -> None:
    from handnets.grading.parse import make_vocabulary, parse_big_o

    d, k = sympy.Symbol("d", positive=True), sympy.Symbol("k", positive=True)
    result = parse_big_o("O(dk + d)", vocabulary=make_vocabulary("dkHW", base={}))
    assert isinstance(result, ParseSuccess) and result.expr == d * k + d


@pytest.mark.parametrize(("text", "lhs"), LEFT_SIDES)
def test_parse_left_side_naming_the_question_is_dropped(text: str, lhs: str) -> None:
    result = parse_expression(text, lhs=lhs)
    assert isinstance(result, ParseSuccess) and result.sides == (CBAR,)


@pytest.mark.parametrize("text", [r"\overline{w_{xi}} = \bar{i}_t x_t", "dW_xi += di[t] * x[t]", "w_xi_bar += ibar_t x_t",
                                  r"\frac{\partial L}{\partial w_{xi}} = \bar{i}_t x_t"])
def test_parse_weight_bar_left_side_reads_as_its_name(text: str) -> None:
    result = parse_expression(text, lhs="w_xi_bar")
    assert isinstance(result, ParseSuccess) and result.sides == (ibar_t * x_t,)


def test_judge_question_without_lhs_takes_its_own_quantity_from_its_id() -> None:
    from handnets.grading.grade import judge_answer
    from handnets.grading.key import load_key

    question = load_key("homework").question("lstm.w_xi_bar")
    assert judge_answer(question, r"\overline{w_{xi}} = \bar{i}_t i_t (1-i_t) x_t").verdict == "correct"
    assert judge_answer(question, r"\overline{w_{hi}} = \bar{i}_t i_t (1-i_t) x_t").verdict == "invalid"


def test_parse_equals_chain_keeps_every_side() -> None:
    result = parse_expression("cbar_t = hbar_t o_t sech^2(c_t) + cbar_next f_next = " + sympy.sstr(CBAR), lhs="cbar_t")
    assert isinstance(result, ParseSuccess) and result.sides == (CBAR, CBAR)


REFUSED = [
    # (text, lhs, what the message says, where it points)
    ("hbar_t = o_t", "cbar_t", "the left-hand side reads as hbar_t, but this answer is for cbar_t", 0),
    ("x_t = 1", None, "without a left-hand side", 4),
    (r"\sum_k x_t", None, "only over the time step t", 0),
    (r"\sum_t", None, "a sum needs a summand", 6),
    (r"\prod_{k=1}^{T} f_k", None, "write a product over steps", 0),
    (r"\prod_{k=t-3}^{t+1} f_k", None, "over 1 to 4 steps", 0),
    (r"\prod_{t=t-1}^{t} f_t", None, "must be a new letter", 7),
    (r"\prod_{k=t-1}^{t} \prod_{j=t-1}^{t} f_k", None, "a product inside a product", 18),
    (r"\dot{x}_t", None, "\\dot is read only on sigma or tanh", 0),
    ("max(x_t)", None, "takes two or more arguments", 0),
    ("\u0304x_t", None, "must follow a letter", 0),
    ("c\u0307_t", None, "U+0307", 1),
    (r"\exp'(x_t)", None, "a prime is only read on sigma or tanh", 4),
    ("x_t = " * 8 + "x_t", None, "more than 8 sides", 48),
]


@pytest.mark.parametrize(("text", "lhs", "message", "position"), REFUSED)
def test_parse_refusals_say_what_was_expected_and_where(text: str, lhs: str | None, message: str, position: int) -> None:
    result = parse_expression(text, lhs=lhs)
    assert isinstance(result, ParseFailure), result
    assert message in result.message and result.position == position


@pytest.mark.parametrize(
    "text",
    [r"\sum_t " * 300 + "x_t", r"\left(" * 100 + "x_t" + r"\right)" * 100, "ŷ" * 3000, r"\prod_{k=t-1}^{t} (" * 50 + "f_k"],
)
def test_parse_new_syntax_keeps_the_bounds(text: str) -> None:
    result = parse_expression(text)
    assert isinstance(result, ParseFailure)


def test_parse_many_sums_in_a_row_stay_within_the_size_bound() -> None:
    result = parse_expression(" + ".join([r"\sum_t x_t h_t"] * 400))
    assert isinstance(result, ParseSuccess) or "too large" in result.message or "characters long" in result.message


# ------------------------------------------------------------------------------ round trips

_LEAVES = [c_t, h_t, o_t, f_t, i_t, x_t, hbar_t, cbar_next, f_next, S["c_prev"], S["h_prev"], w_xi]


def same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Equal up to sympy's own rearrangements (-(a + b) * c is built as (-a - b) * c when read)."""
    return a == b or sympy.expand(a - b) == 0


def _expressions() -> st.SearchStrategy[sympy.Expr]:
    leaves = st.one_of(st.sampled_from(_LEAVES), st.integers(1, 9).map(sympy.Integer))

    def extend(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
        return st.one_of(
            st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
            children.map(sympy.tanh),
            children.map(sigmoid),
            children.map(lambda a: a**2),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(_expressions())
def test_parse_reads_back_sympy_and_homework_latex(expr: sympy.Expr) -> None:
    # the printers are sympy's (an independent writer); the reader must land on the same expression
    for text in (sympy.sstr(expr), notation.latex(expr)):
        assert same(read(text), expr), text


@settings(max_examples=40, deadline=None)
@given(_expressions())
def test_parse_reads_back_unicode_operators_and_latex_spacing(expr: sympy.Expr) -> None:
    text = notation.latex(expr).replace(" ", r"\, ").replace("-", "−")
    assert same(read(text), expr), text


@settings(max_examples=40, deadline=None)
@given(_expressions())
def test_parse_reads_back_carets_and_juxtaposition(expr: sympy.Expr) -> None:
    # o_t*tanh(c_t)**2 written as o_t tanh(c_t)^2, the way it is typed in a web form
    text = sympy.sstr(expr).replace("**", "^").replace("*", " ")
    assert same(read(text), expr), text


@settings(max_examples=60, deadline=None)
@given(_expressions())
def test_parse_reads_back_the_one_line_pretty_print(expr: sympy.Expr) -> None:
    # what handnets' own reports show (cₜ, h̅ₜ, ⋅): a student may paste it back
    text = notation.pretty(expr)
    if "\n" not in text:
        assert same(read(text), expr), text


UNICODE_SUBSCRIPTS = [
    ("cₜ", c_t),
    ("hₜ₋₁", h_prev),
    ("c̅ₙₑₓₜ", cbar_next),
    ("h̅ₜ⋅tanh(cₜ)", hbar_t * tanh(c_t)),
    ("w_yᵀ hₜ", S["w_y"] * h_t),
    ("c^{<t>}", c_t),
    (r"c^{\langle t+1 \rangle}", c_next := S["c_next"]),
    (r"{\bar{h}}_t", hbar_t),
    (r"\nabla_{c_t} L", cbar_t),
    (r"\nabla_{c_{t+1}} \mathcal{L}", cbar_next),
]


@pytest.mark.parametrize(("text", "expected"), UNICODE_SUBSCRIPTS)
def test_parse_unicode_subscripts_and_other_index_styles(text: str, expected: sympy.Expr) -> None:
    assert read(text) == expected
