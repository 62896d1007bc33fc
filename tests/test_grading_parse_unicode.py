"""Equation-editor Unicode, LaTeX text commands, code comments, remarks and notations with two readings.

Every expected reading is built here from the vocabulary's symbols and sympy's functions, never by the
parser under test; every ambiguous notation is a failure whose message names the fix.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.grading.parse import ParseFailure, ParseSuccess, make_vocabulary, parse_big_o, parse_expression
from handnets.grading.parse.numbers import read_number
from handnets.grading.parse.tables import read_matrix
from handnets.grading.parse.unicode import fold
from handnets.vocabulary import SYMBOLS, sigmoid

S = SYMBOLS
tanh = sympy.tanh
R = sympy.Rational
c_t, h_t, o_t, f_t, i_t, g_t, x_t = (S[n] for n in ("c_t", "h_t", "o_t", "f_t", "i_t", "g_t", "x_t"))
hbar_t, cbar_t, cbar_next, f_next, obar_t = (S[n] for n in ("hbar_t", "cbar_t", "cbar_next", "f_next", "obar_t"))
c_prev, f_prev, c_prev2, c_next, dL_dh_t = (S[n] for n in ("c_prev", "f_prev", "c_prev2", "c_next", "dL_dh_t"))
i_prev, g_prev = S["i_prev"], S["g_prev"]
SECH2 = 1 - tanh(c_t) ** 2
CBAR = hbar_t * o_t * SECH2 + cbar_next * f_next


def read(text: str, **kwargs) -> sympy.Expr:
    result = parse_expression(text, **kwargs)
    assert isinstance(result, ParseSuccess), result
    return result.expr


def refused(text: str, **kwargs) -> str:
    result = parse_expression(text, **kwargs)
    assert isinstance(result, ParseFailure), result
    return result.message


# ------------------------------------------------------------------------ equation-editor text

WORD_MATH = [
    # Word's equation editor: math italic letters, combining overline, subscripts, U+2061 after tanh
    ("𝑐̅ₜ = ℎ̅ₜ 𝑜ₜ (1 − tanh²\u2061𝑐ₜ) + 𝑐̅ₜ₊₁ 𝑓ₜ₊₁", {"lhs": "cbar_t"}, CBAR),
    ("𝑜̅ₜ = ℎ̅ₜ tanh\u2061(𝑐ₜ)", {"lhs": "obar_t"}, hbar_t * tanh(c_t)),
    ("𝑐ₜ = 𝑓ₜ𝑓ₜ₋₁𝑐ₜ₋₂ + 𝑓ₜ𝑖ₜ₋₁𝑔ₜ₋₁ + 𝑖ₜ𝑔ₜ", {"lhs": "c_t"}, f_t * f_prev * c_prev2 + f_t * i_prev * g_prev + i_t * g_t),
    ("𝐡ₜ", {}, h_t),  # bold
    ("𝒉_t", {}, h_t),  # bold italic
    ("𝕩_t", {}, x_t),  # double-struck
    ("𝗈_t", {}, o_t),  # sans-serif
    ("𝚌_t", {}, c_t),  # monospace
    ("𝟐𝑐ₜ", {}, 2 * c_t),  # bold digit
    ("ℎ_t", {}, h_t),  # U+210E PLANCK CONSTANT is Word's italic h
    ("𝜎(𝑥ₜ)", {}, sigmoid(x_t)),  # math italic sigma
    ("𝝈(x_t)", {}, sigmoid(x_t)),  # bold italic sigma
    ("𝛿h_t", {}, hbar_t),  # math italic delta
    ("h_t\u2062o_t", {}, h_t * o_t),  # INVISIBLE TIMES
    ("tanh\u2061(c_t)", {}, tanh(c_t)),  # FUNCTION APPLICATION
    ("h_t \u2063 o_t", {}, h_t * o_t),  # INVISIBLE SEPARATOR
    ("cbar_t ∙ i_t", {}, cbar_t * i_t),  # U+2219 BULLET OPERATOR
    ("cbar_t ∗ i_t", {}, cbar_t * i_t),  # U+2217 ASTERISK OPERATOR
    ("cbar_t ⋅ i_t", {}, cbar_t * i_t),  # U+22C5 DOT OPERATOR
    ("c_t⁄2", {}, c_t / 2),  # U+2044 FRACTION SLASH
    ("c̄_t", {}, cbar_t),  # combining macron
    ("c̅_t", {}, cbar_t),  # combining overline
    ("𝑐̄ₜ", {}, cbar_t),
]


@pytest.mark.parametrize(("text", "kwargs", "expected"), WORD_MATH)
def test_parse_unicode_equation_editor_text_reads_as_typed_letters(text, kwargs, expected):
    assert sympy.simplify(read(text, **kwargs) - expected) == 0


def test_parse_unicode_script_o_is_a_big_o():
    vocabulary = make_vocabulary("dkHW", base={})
    d, k, H, W = (vocabulary[n] for n in "dkHW")
    result = parse_big_o("𝒪(dkHW)", vocabulary=vocabulary)
    assert result.ok and result.expr == d * k * H * W


LOOKALIKES = [
    "с_t",  # Cyrillic es
    "ο_t",  # Greek omicron
    "һ_t",  # Cyrillic shha
    "𝜌_t",  # math italic rho: folded to rho, which is not a letter of the notation
    "𝛼 x_t",  # math italic alpha
    "ℝ",  # double-struck R is not in the math block: not folded
]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_parse_unicode_lookalike_letters_stay_refused(text):
    assert refused(text)


@pytest.mark.parametrize("ch", ["с", "о", "р", "ο", "ρ", "ν", "α", "ℓ"])
def test_parse_unicode_fold_leaves_other_scripts_alone(ch):
    # ℓ alone is folded to the letter l, never to a Cyrillic or Greek letter; the rest are not folded
    assert fold(ch) == ("l" if ch == "ℓ" else ch)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=30))
def test_parse_unicode_fold_keeps_length_and_ascii(text):
    folded = fold(text)
    assert len(folded) == len(text)
    assert all(a == b for a, b in zip(text, folded) if a.isascii())


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["c_t", "h_t", "o_t", "x_t", "f_t"]), st.sampled_from(["italic", "bold", "monospace", "sans"]))
def test_parse_unicode_every_math_style_of_a_name_reads_as_the_name(name, style):
    base = {"italic": 0x1D44E, "bold": 0x1D41A, "monospace": 0x1D68A, "sans": 0x1D5BA}[style]
    letter = name[0]
    styled = chr(base + ord(letter) - ord("a"))
    if letter == "h" and style == "italic":
        styled = "ℎ"  # the one hole in the italic alphabet
    assert read(styled + name[1:]) == S[name]


# -------------------------------------------------------------------------------- LaTeX

LATEX = [
    (r"\frac{\partial \ell_t}{\partial h_t}", dL_dh_t),
    (r"\partial \ell_t / \partial h_t", dL_dh_t),
    ("∂ℓ_t/∂h_t", dL_dh_t),
    (r"\texttt{dL\_dh\_t}", dL_dh_t),
    (r"\text{dL\_dh\_t}", dL_dh_t),
    (r"dL\_dh\_t", dL_dh_t),
    (r"\texttt{h\_t} o_t", h_t * o_t),
    (r"\mathtt{c_t}", c_t),
    (r"\bar{h}_t o_t \cosh^{-2}(c_t) + \bar{c}_{t+1} f_{t+1}", CBAR),
    (r"\cosh^{-2}c_t", SECH2),
    ("cosh^-2(c_t)", SECH2),
    (r"\sech^{2}(c_t)", SECH2),
    (r"\operatorname{sech}^2(c_t)", SECH2),
    (r"\tanh^{-2}(c_t)", tanh(c_t) ** -2),
    (r"\sigma^{-2}(x_t)", sigmoid(x_t) ** -2),
]


@pytest.mark.parametrize(("text", "expected"), LATEX)
def test_parse_unicode_latex_loss_terms_text_commands_and_negative_powers(text, expected):
    assert sympy.simplify(read(text) - expected) == 0


@pytest.mark.parametrize("text", [r"\tanh^{-1}(c_t)", r"\sigma^{-1}(x_t)", "tanh^-1(c_t)", r"\cosh^{-1}(c_t)",
                                  "tanh⁻¹(c_t)", "σ⁻¹(x_t)"])
def test_parse_unicode_inverse_function_is_refused(text):
    assert "inverse" in refused(text)


# ----------------------------------------------------------------------------------- code

CODE = [
    ("di_t = dc_t * g_t  # elementwise", {"lhs": "ibar_t"}, cbar_t * g_t),
    ("cbar_t*g_t # elementwise", {}, cbar_t * g_t),
    ("c_(t-1)*cbar_t", {}, c_prev * cbar_t),
    ("f_(t+1) * cbar_(t+1)", {}, f_next * cbar_next),
    ("c_(t+1)", {}, c_next),
    ("(c_(t-1))", {}, c_prev),
    ("o_t (1 - tanh(c_t)^2)", {}, o_t * SECH2),  # a bracket that is not after '_' is unchanged
]


@pytest.mark.parametrize(("text", "kwargs", "expected"), CODE)
def test_parse_unicode_code_comments_and_paren_subscripts(text, kwargs, expected):
    assert sympy.simplify(read(text, **kwargs) - expected) == 0


def test_parse_unicode_a_comment_is_noted():
    result = parse_expression("cbar_t*g_t  # elementwise")
    assert result.ok and any("# elementwise" in note for note in result.notes)


def test_parse_unicode_double_slash_is_refused_not_read_as_a_comment():
    assert refused("x_t // 2")


# -------------------------------------------------------------------------------- remarks

REMARKS = [
    (r"c_t = i_t \odot \tilde{c}_t \quad (\text{since } f_t = 0)", {"lhs": "c_t"}, i_t * g_t),
    (r"i_t \odot \tilde{c}_t \quad \text{since } f_t = 0", {}, i_t * g_t),
    ("i_t g_t (since f_t = 0)", {}, i_t * g_t),
    ("i_t g_t (because f_t = 0).", {}, i_t * g_t),
    ("cbar_t g_t (elementwise)", {}, cbar_t * g_t),
]


@pytest.mark.parametrize(("text", "kwargs", "expected"), REMARKS)
def test_parse_unicode_closing_remark_is_dropped_with_a_note(text, kwargs, expected):
    result = parse_expression(text, **kwargs)
    assert result.ok, result
    assert sympy.simplify(result.expr - expected) == 0
    assert any("ignored" in note for note in result.notes)


@pytest.mark.parametrize("text", [
    "x_t (f_t)",  # a product, not a remark
    r"c_{t-1} \cdot \bar{c}_t \text{ with } \bar{c}_t \text{ from above}",  # a definition left out: not a remark
    "(since f_t = 0)",  # nothing before the remark
])
def test_parse_unicode_not_every_parenthesis_is_a_remark(text):
    result = parse_expression(text)
    assert not result.ok or not result.notes


BIG_O = [
    ("O(d) sequential steps (one per layer)", "d"),
    ("O(d) steps", "d"),
    (r"\mathcal{O}(d) sequential steps", "d"),
]


@pytest.mark.parametrize(("text", "expected"), BIG_O)
def test_parse_unicode_words_after_a_big_o_are_ignored(text, expected):
    vocabulary = make_vocabulary("dkHW", base={})
    result = parse_big_o(text, vocabulary=vocabulary)
    assert result.ok and result.expr == vocabulary[expected]
    assert result.notes


@pytest.mark.parametrize("text", ["O(d) per layer", "O(d) times O(k)", "O(d) steps for each k", "O(d) and O(k)"])
def test_parse_unicode_words_that_change_a_big_o_are_not_ignored(text):
    result = parse_big_o(text, vocabulary=make_vocabulary("dkHW", base={}))
    assert not result.ok


# --------------------------------------------------------------------------- ambiguities

@pytest.mark.parametrize(("text", "fix"), [
    ("cbar_t * c_t-1", "c_{t-1}"),
    ("c_t+1 f_t", "c_{t+1}"),
    (r"\bar{c}_t-1", "_{t-1}"),
    ("h_t-1", "(h_t) - 1"),
])
def test_parse_unicode_unbraced_step_subscript_is_refused(text, fix):
    assert fix in refused(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("c_t - 1", c_t - 1), ("c_{t-1}", c_prev), ("o_t*(1-i_t)", o_t * (1 - i_t)), ("c_t-1.5", c_t - R(3, 2)),
    ("cₜ₋₁", c_prev),
])
def test_parse_unicode_spaced_or_braced_step_reads(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize("text", [r"\bar{i}_t \sigma^\prime x_t", "σ' x_t", r"\sigma^{\prime} x_t", "tanh' c_t"])
def test_parse_unicode_primed_function_without_bracket_is_refused(text):
    assert "of what" in refused(text)


def test_parse_unicode_primed_function_with_bracket_reads():
    assert sympy.simplify(read("σ'(x_t)") - sigmoid(x_t) * (1 - sigmoid(x_t))) == 0


# ------------------------------------------------------------------------------- numbers

NUMBERS = [
    ("½", R(1, 2)), ("3½", R(7, 2)), ("¼ + ¾", 1), ("⅓", R(1, 3)), ("2⅔", R(8, 3)), ("-1½", R(-3, 2)),
    ("20490 – 128", 20362), ("20490 – 128 = 20362", 20362), ("2.5–1.5", 1),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_parse_unicode_number_vulgar_fractions_and_differences(text, expected):
    result = read_number(text, integer=False)
    assert result.ok, result
    assert result.expr == expected


@pytest.mark.parametrize(("text", "word"), [
    ("20362–20490", "range"), ("20,362—20,490", "range"), ("1.5–2.5", "range"),
    ("600 (+8 if bias)", "two values"), ("608 ± 8", "two values"), ("600 (+ 8 with bias)", "two values"),
    ("3 1/2", "mixed number"), (r"3\frac{1}{2}", "mixed number"), (r"3 \dfrac{1}{2}", "mixed number"),
    ("2.5½", "mixed number"), ("½½", "side by side"),
])
def test_parse_unicode_number_with_two_readings_is_refused(text, word):
    result = read_number(text, integer=False)
    assert not result.ok
    assert word in result.message


MATRICES = [
    (r"\matrix{4 & 4 \cr 0 & 0}", ((4, 4), (0, 0))),
    (r"\pmatrix{1 & 2 \cr 3 & 4}", ((1, 2), (3, 4))),
    (r"$\matrix{1 & 0 \cr 0 & 1}$", ((1, 0), (0, 1))),
    ("[[3½, 2], [1½, 3¾]]", ((R(7, 2), 2), (R(3, 2), R(15, 4)))),
    ("[[½, ¼], [¾, 1]]", ((R(1, 2), R(1, 4)), (R(3, 4), 1))),
]


@pytest.mark.parametrize(("text", "expected"), MATRICES)
def test_parse_unicode_matrix_plain_tex_and_vulgar_fractions(text, expected):
    assert read_matrix(text) == expected


@pytest.mark.parametrize("text", [
    r"\begin{bmatrix} 3\frac{1}{2} & 2 \\ 1\frac{1}{2} & 3\frac{3}{4} \end{bmatrix}",
    "[[3 1/2, 2], [1 1/2, 3 3/4]]",
    "[3 1/2; 1 2]",
])
def test_parse_unicode_matrix_mixed_numbers_are_refused(text):
    result = read_matrix(text)
    assert isinstance(result, ParseFailure) and "mixed number" in result.message


# ------------------------------------------------------------------------------ \prod bodies

f_prev_t = S["f_prev"] * f_t


@pytest.mark.parametrize(("text", "expected"), [
    (r"\prod_{s=t-1}^{t} f_s \, \bar{c}_t", f_prev_t * cbar_t),  # the constant factor is outside the product
    (r"\prod_{s=t-1}^{t} f_s \bar{c}_t", f_prev_t * cbar_t),
    (r"\bar{c}_t \prod_{k=t-1}^{t} f_k", f_prev_t * cbar_t),
    (r"\prod_{s=t}^{t+1} f_s c_s", f_t * f_next * c_t * c_next),  # every factor with the index is inside
    (r"\prod_{s=t-1}^{t} 2 f_s", 4 * f_prev_t),  # a leading factor is the product's own
    (r"\prod_{s=t}^{t} f_s \bar{c}_t", f_t * cbar_t),
])
def test_parse_unicode_product_body_ends_at_a_factor_without_its_index(text, expected):
    assert sympy.expand(read(text) - expected) == 0


def test_parse_unicode_product_index_used_after_a_constant_factor_is_refused():
    assert refused(r"\prod_{s=t-1}^{t} f_s \bar{c}_t f_s")


# ------------------------------------------------------------------------------ in the grader

def test_parse_unicode_grader_tells_the_student_a_comment_was_ignored():
    from handnets.grading.grade import judge_answer
    from handnets.grading.key import load_key

    question = load_key("homework").question("lstm.ibar_t")
    verdict = judge_answer(question, "di_t = dc_t * g_t  # elementwise")
    assert verdict.verdict == "correct"
    assert "# elementwise" in verdict.feedback and "ignored" in verdict.feedback


@pytest.mark.parametrize(("question_id", "answer"), [
    ("params.rnn_20_128_10", "20362–20490"),
    ("conv.params", "600 (+8 if bias)"),
    ("lstm.fbar_t", "cbar_t * c_t-1"),
    ("lstm.w_xi_bar", r"\bar{i}_t \sigma^\prime x_t"),
])
def test_parse_unicode_grader_marks_two_readings_invalid(question_id, answer):
    from handnets.grading.grade import judge_answer
    from handnets.grading.key import load_key

    question = load_key("homework").question(question_id)
    assert judge_answer(question, answer).verdict == "invalid"


@pytest.mark.parametrize("text", ["2 ½", "3  ¾", "x_t + 2 ½"])
def test_parse_unicode_spaced_fraction_after_a_number_is_refused(text):
    result = parse_expression(text)
    assert not result.ok and "side by side" in result.message and "VULGAR FRACTION" in result.message


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="x_t (since)#\\quadtext{}=+1 \n", max_size=60), st.booleans())
def test_parse_unicode_dropping_remarks_keeps_every_position(text, big_o):
    from handnets.grading.parse.unicode import drop_remarks

    cleaned, notes = drop_remarks(text, big_o=big_o)
    assert len(cleaned) == len(text)
    assert all(a == b or b == " " for a, b in zip(text, cleaned))  # only blanked, never rewritten
    assert cleaned == text or notes  # nothing is left out without a note


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_parse_unicode_any_text_is_a_result_never_an_exception(text):
    for result in (parse_expression(text), read_number(text, integer=False)):
        assert isinstance(result, ParseSuccess | ParseFailure)
    assert isinstance(read_matrix(text), tuple | ParseFailure)


@pytest.mark.parametrize("text", [r"\dot\sigma x_t", r"\dot{\sigma} x_t", r"\dot\tanh c_t"])
def test_parse_unicode_dotted_function_without_bracket_is_refused(text):
    assert "of what" in refused(text)


def test_parse_unicode_dotted_function_with_bracket_reads():
    assert sympy.simplify(read(r"\dot\sigma(x_t)") - sigmoid(x_t) * (1 - sigmoid(x_t))) == 0
