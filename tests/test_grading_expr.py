"""Reading students' expressions: notation variants, failures with positions, hostile input, fuzzing."""

from __future__ import annotations

import ast
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from sympy.parsing.sympy_parser import rationalize, standard_transformations

from handnets import notation
from handnets.errors import InvalidKey
from handnets.grading import parse as parse_package
from handnets.grading.parse.check import check
from handnets.grading.parse.values import Refusal
from handnets.grading.parse import (
    MAX_LENGTH,
    ParseFailure,
    ParseSuccess,
    make_vocabulary,
    parse_big_o,
    parse_expression,
)
from handnets.vocabulary import FUNCTIONS, SYMBOLS


def oracle(text: str) -> sympy.Expr:
    """The expected reading, built by sympy's own parser from trusted test text (an independent oracle)."""
    transformations = (*standard_transformations, rationalize)
    return sympy.parse_expr(text, local_dict={**SYMBOLS, **FUNCTIONS}, transformations=transformations)


@contextmanager
def hang_guard(seconds: int = 20) -> Iterator[None]:
    """Turn a hang into a test failure (not a timing assertion: a safety net on the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fail(signum, frame):
        raise AssertionError(f"did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------------------------ read as ...

READ_AS = [
    # the same quantity: c_t, c_{t}, c^{(t)}, c[t], c(t), C_t
    ("c_t", "c_t"),
    ("c_{t}", "c_t"),
    ("c^{(t)}", "c_t"),
    ("c^(t)", "c_t"),
    ("c[t]", "c_t"),
    ("c(t)", "c_t"),
    ("C_t", "c_t"),
    ("C_{t}", "c_t"),
    (r"\mathbf{c}_t", "c_t"),
    # the step before, two before, the step after
    ("c_{t-1}", "c_prev"),
    ("c_{t - 1}", "c_prev"),
    ("c^{(t-1)}", "c_prev"),
    ("c_prev", "c_prev"),
    ("c(t-1)", "c_prev"),
    ("C_{t-1}", "c_prev"),
    (r"c_{\text{prev}}", "c_prev"),
    ("h_{t-1}", "h_prev"),
    ("c_{t-2}", "c_prev2"),
    ("c_prev2", "c_prev2"),
    ("c_{t+1}", "c_next"),
    ("c^{(t+1)}", "c_next"),
    ("c_next", "c_next"),
    ("f_{t+1}", "f_next"),
    # error signals
    (r"\bar{c}_t", "cbar_t"),
    (r"\bar c_t", "cbar_t"),
    (r"\overline{c^{(t)}}", "cbar_t"),
    (r"\overline{c}^{(t)}", "cbar_t"),
    (r"\overline{c_t}", "cbar_t"),
    (r"\delta c_t", "cbar_t"),
    (r"\delta C_t", "cbar_t"),
    ("δc_t", "cbar_t"),
    ("delta c_t", "cbar_t"),
    ("dL/dc_t", "cbar_t"),
    ("dE/dC_t", "cbar_t"),
    ("d L / d c_t", "cbar_t"),
    (r"\partial L/\partial c_t", "cbar_t"),
    ("∂L/∂c_t", "cbar_t"),
    (r"\frac{\partial L}{\partial c^{(t)}}", "cbar_t"),
    (r"\frac{dL}{dc_t}", "cbar_t"),
    (r"\mathrm{d}L/\mathrm{d}c_t", "cbar_t"),
    ("cbar_t", "cbar_t"),
    ("Cbar_t", "cbar_t"),
    ("c_bar_t", "cbar_t"),
    (r"\overline{c^{(t+1)}}", "cbar_next"),
    (r"\bar{c}_{t+1}", "cbar_next"),
    (r"\delta C_{t-2}", "cbar_prev2"),
    ("cbar_{t+1}", "cbar_next"),
    (r"\bar{h}_t", "hbar_t"),
    ("dL_dh_t", "dL_dh_t"),
    # the loss of one step, L_t, is that step's own term, not the error signal
    ("dL_t/dh_t", "dL_dh_t"),
    (r"\frac{\partial L_t}{\partial h^{(t)}}", "dL_dh_t"),
    (r"\partial L_{t}/\partial h_t", "dL_dh_t"),
    ("dL/dh_t", "hbar_t"),
    # the candidate and the output
    (r"\tilde{c}_t", "g_t"),
    (r"\tilde{C}_t", "g_t"),
    (r"\widetilde{C}_{t}", "g_t"),
    (r"\delta \tilde{C}_{t+1}", "gbar_next"),
    (r"\overline{\tilde{c}^{(t)}}", "gbar_t"),
    (r"\hat{y}_t", "yhat_t"),
    (r"\hat{y}^{(t)}", "yhat_t"),
    ("y_hat_t", "yhat_t"),
    # weights: w_xi, w_{xi}, W_{xi}, and the (gate, source) order W_ix
    ("w_xi", "w_xi"),
    ("w_{xi}", "w_xi"),
    ("W_{xi}", "w_xi"),
    ("W_{ix}", "w_xi"),
    ("W_fh", "w_hf"),
    # products: *, \cdot, \odot, \times, juxtaposition, unicode
    ("f_t*c_prev", "f_t*c_prev"),
    (r"f_t \cdot c_{t-1}", "f_t*c_prev"),
    (r"f_t \odot c_{t-1}", "f_t*c_prev"),
    (r"f_t \times c_{t-1}", "f_t*c_prev"),
    ("f_t c_{t-1}", "f_t*c_prev"),
    ("f_t ⊙ c_{t-1}", "f_t*c_prev"),
    ("f_t·c_prev", "f_t*c_prev"),
    ("(f_t)(c_prev)", "f_t*c_prev"),
    ("2x_t", "2*x_t"),
    ("o_t tanh(c_t)", "o_t*tanh(c_t)"),
    ("o_t(1 - o_t)", "o_t*(1 - o_t)"),
    ("o_t [1 - tanh^2(c_t)]", "o_t*(1 - tanh(c_t)**2)"),
    # functions: sigma, \sigma, σ, tanh^2, primes
    ("sigma(x_t)", "sigmoid(x_t)"),
    (r"\sigma(x_t)", "sigmoid(x_t)"),
    ("σ(x_t)", "sigmoid(x_t)"),
    (r"\sigma\left(w_{xi} x_t + w_{hi} h_{t-1}\right)", "sigmoid(w_xi*x_t + w_hi*h_prev)"),
    ("tanh^2(c_t)", "tanh(c_t)**2"),
    (r"\tanh^{2}(c^{(t)})", "tanh(c_t)**2"),
    (r"1 - \tanh^2 c_t", "1 - tanh(c_t)**2"),
    ("tanh(c_t)^2", "tanh(c_t)**2"),
    ("tanh(c_t)**2", "tanh(c_t)**2"),
    ("sigma'(x_t)", "sigmoid(x_t)*(1 - sigmoid(x_t))"),
    (r"\sigma'(x_t)", "sigmoid(x_t)*(1 - sigmoid(x_t))"),
    ("tanh'(c_t)", "1 - tanh(c_t)**2"),
    ("σ(x_t)(1 - σ(x_t))", "sigmoid(x_t)*(1 - sigmoid(x_t))"),
    # LaTeX structure
    (r"\frac{x_t}{2}", "x_t/2"),
    (r"\frac12 x_t", "x_t/2"),
    (r"\frac{1}{1+e^{-x_t}}", "1/(1 + exp(-x_t))"),
    (r"\left( x_t \right) \cdot h_{t-1}", "x_t*h_prev"),
    (r"\sqrt{x_t}", "sqrt(x_t)"),
    (r"\sqrt[3]{x_t}", "x_t**(1/3)"),
    ("$x_t$", "x_t"),
    (r"x_t \, h_prev", "x_t*h_prev"),
    ("x_t²", "x_t**2"),
    ("x_t − h_prev", "x_t - h_prev"),
    # exact numbers
    ("0.1*x_t", "x_t/10"),
    (".5x_t", "x_t/2"),
    ("1e-3", "1/1000"),
    ("4*(16*32 + 32*32 + 32)", "6272"),
    ("2^-1", "1/2"),
    ("x_t^2y_t", "x_t**2*y_t"),
    ("-x_t^2", "-(x_t**2)"),
    ("2^3^2", "512"),
    # whole answers
    (r"\overline{h^{(t)}} \tanh(c^{(t)})", "hbar_t*tanh(c_t)"),
    (r"\bar{h}_t o_t (1-\tanh^2(c_t)) + \bar{c}_{t+1} f_{t+1}", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"),
    (r"\delta h_t \odot o_t \odot (1 - \tanh^2(C_t)) + \delta C_{t+1} \odot f_{t+1}",
     "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"),
]


@pytest.mark.parametrize(("text", "expected"), READ_AS)
def test_parse_expression_reads_notation_variants(text: str, expected: str) -> None:
    result = parse_expression(text)
    assert isinstance(result, ParseSuccess), result
    assert result.expr == oracle(expected)


# ------------------------------------------------------------------------------- failures

FAILURES = [
    # (text, fragment of the message, position or None)
    ("x", "did you mean 'x_t'", 0),
    ("tanhh(c_t)", "unknown function 'tanhh'; did you mean 'tanh'", 0),
    ("o_t * tnah(c_t)", "did you mean 'tanh'", 6),
    ("c_t + hbar", "unknown name 'hbar'", 6),
    ("c_{t+2}", "unknown name 'c_t+2'", 0),
    (r"\tilde{x}_t", "a tilde is read only on c", 0),
    (r"\bar{\bar{c}}_t", "two 'bar' decorations", 0),
    ("x_t, h_prev", "unexpected ','", 3),
    ("(x_t", "never closed", 0),
    ("x_t)", "unexpected ')'", 3),
    ("(x_t]", "expected ')' to close the '('", 4),
    (r"\frac{x_t}", "\\frac needs two arguments", 0),
    (r"\foo x_t", "unknown LaTeX command '\\foo'", 0),
    ("x_t = 1", "without a left-hand side", 4),
    ("", "empty", 0),
    ("   ", "empty", 0),
    ("tanh", "tanh needs an argument", 4),
    ("tanh()", "needs an argument", 4),
    ("tanh(x_t, h_prev)", "takes one argument, got 2", 0),
    ("tanh^{-1}(x_t)", "a power on a function name", 4),
    ("exp'(x_t)", "a prime is only read on sigma or tanh", 3),
    ("|x_t|", "write Abs(x)", 0),
    ("5!", "write factorial(n)", 1),
    ("x_t % 2", "no remainder operator", 4),
    ("x_t // 2", "expected a number, a name or '('", 5),
    ("x_t == 1", "expected an expression", 5),
    ("x_t @ h_prev", "unexpected character '@'", 4),
    ("*x_t", "expected a number, a name or '('", 0),
    ("1j", "unknown name 'j'", 1),
    ("x_t/0", "division by zero", 4),
    ("0**-1", "division by zero", 0),
    ("log(0)", "not finite", None),
    ("1e999999", "a number beyond", 0),
    ("9" * 150, "more than 100 digits", 0),
    ("x_t**1000", "the exponent is too large", 0),
    ("(x_t + h_prev)" + "*(x_t + h_prev)" * 70, "a power above 64", None),
    ("factorial(x_t)", "factorial is read only for whole numbers", 0),
    ("factorial(101)", "factorial is read only for whole numbers", 0),
    ("2**5000", "too large", 0),
    ("1/2**5000", "too large", 2),
    # hostile input: code, dunders, keywords, strings, attributes, subscripts, comprehensions
    ("__import__('os').system('ls')", "names cannot start with '_'", 0),
    ("().__class__.__bases__", "unexpected character '.'", 2),
    ("()", "empty brackets", 0),
    ("x_t.__class__", "unexpected character '.'", 3),
    ("_x", "names cannot start with '_'", 0),
    ("x_t + _", "a subscript '_' needs a name before it", 6),
    ("lambda: 1", "unexpected character ':'", 6),
    ("lambda x", "unknown name 'lambda'", 0),
    ("eval('1')", "unknown function 'eval'", 0),
    ("exec(x_t)", "unknown function 'exec'", 0),
    ("open('f')", "unknown function 'open'", 0),
    ("globals()", "unknown function 'globals'", 0),
    ("x_t.real", "unexpected character '.'", 3),
    ("[x for x in y]", "unknown name 'x'", 1),
    ("{1: 2}", "unexpected character ':'", 2),
    ('"x_t"', "text in quotes", 0),
    ("f'{x_t}'", "unknown name 'f'", 0),
    ("x_t if 1 else 2", "unknown name 'if'", 4),
    ("sigmoid(x=1)", "unknown name 'x'", 8),
    ("sigmoid(*[x_t])", "expected a number, a name or '('", 8),
    ("Symbol('x')", "unknown function 'Symbol'", 0),
    # expression bombs
    ("10**10**10", "too large", 0),
    ("factorial(10**7)", "factorial is read only for whole numbers", 0),
    ("2**2**2**2**2", "too large", 0),
    ("9**9**9**9", "too large", 3),
    ("sigma'(" * 14 + "x_t" + ")" * 14, "the expression is too large", 35),
    ("(" * 1000 + "x_t" + ")" * 1000, "nested more than 40 deep", 40),
    ("(" * 10_000 + ")" * 10_000, f"more than the {MAX_LENGTH} allowed", MAX_LENGTH),
    ("-" * 3000 + "x_t", "nested too deeply", 199),
    ("x_t+" * 300_000 + "x_t", f"more than the {MAX_LENGTH} allowed", MAX_LENGTH),
    # unicode tricks
    ("c\u200b_t", "invisible character U+200B ZERO WIDTH SPACE", 1),
    ("x_t\u202e + h_prev", "RIGHT-TO-LEFT OVERRIDE", 3),
    ("x_t\u200f", "RIGHT-TO-LEFT MARK", 3),
    ("\ufeffx_t", "ZERO WIDTH NO-BREAK SPACE", 0),
    ("с_t", "looks like the Latin letter 'c'", 0),
    ("x_t + о_t", "looks like the Latin letter 'o'", 6),
    ("ｃ_t", "did you mean 'c'", 0),
    ("x_t\x00", "control character", 3),
    ("x_t\x1b[31m", "control character", 3),
    ("٣", "ARABIC-INDIC DIGIT THREE", 0),
    # NaN and infinities
    ("nan", "unknown name 'nan'", 0),
    ("NaN", "unknown name 'NaN'", 0),
    ("inf", "unknown name 'inf'", 0),
    ("oo", "unknown name 'oo'", 0),
    ("zoo", "unknown name 'zoo'", 0),
    ("1e309", "a number beyond", 0),
]


@pytest.mark.parametrize(("text", "fragment", "position"), FAILURES)
def test_parse_expression_fails_with_message_and_position(text: str, fragment: str, position: int | None) -> None:
    with hang_guard():
        result = parse_expression(text)
    assert isinstance(result, ParseFailure), result
    assert fragment in result.message
    assert result.position == position


def test_parse_failure_caret_points_at_the_character() -> None:
    failure = parse_expression("o_t * tanh(c_t) + c_tt")
    assert isinstance(failure, ParseFailure)
    assert failure.caret == "o_t * tanh(c_t) + c_tt\n                  ^"


def test_parse_failure_caret_is_empty_without_position() -> None:
    failure = parse_expression("log(0)")
    assert isinstance(failure, ParseFailure) and failure.caret == ""


def test_parse_failure_caret_windows_long_lines() -> None:
    text = "x_t + " * 30 + "c_tt"
    failure = parse_expression(text)
    assert isinstance(failure, ParseFailure)
    line, caret = failure.caret.split("\n")
    assert len(line) <= 60 and line[caret.index("^") :].startswith("c_tt")


def test_parse_expression_refuses_non_text() -> None:
    result = parse_expression(12)  # type: ignore[arg-type]
    assert isinstance(result, ParseFailure) and "expected text" in result.message


# --------------------------------------------------------------------------- echo and lhs


def test_parse_success_echoes_how_the_answer_was_read() -> None:
    result = parse_expression(r"\overline{h^{(t)}} \tanh(c^{(t)}) + 0.5 \bar{c}_{t+1}")
    assert isinstance(result, ParseSuccess)
    assert result.normalized == "cbar_next/2 + hbar_t*tanh(c_t)"
    assert notation.latex(result.expr) == r"\frac{\overline{c^{(t+1)}}}{2} + \overline{h^{(t)}} \cdot \tanh{\left(c^{(t)} \right)}"
    assert [row.rstrip() for row in notation.pretty(result.expr).split("\n")] == ["c̅ₜ₊₁", "──── + h̅ₜ⋅tanh(cₜ)", " 2"]


@pytest.mark.parametrize(
    "text",
    ["cbar_t = hbar_t*o_t", r"\overline{c^{(t)}} = hbar_t o_t", r"\delta c_t = \delta h_t o_t", "dL/dc_t = hbar_t*o_t",
     "C_t bar = hbar_t o_t".replace("C_t bar", "Cbar_t")],
)
def test_parse_expression_strips_the_question_own_lhs(text: str) -> None:
    result = parse_expression(text, lhs="cbar_t")
    assert isinstance(result, ParseSuccess), result
    assert result.expr == oracle("hbar_t*o_t")


def test_parse_expression_refuses_another_lhs() -> None:
    result = parse_expression("hbar_t = o_t", lhs="cbar_t")
    assert isinstance(result, ParseFailure)
    assert result.message == "the left-hand side reads as hbar_t, but this answer is for cbar_t"
    assert result.position == 0


def test_parse_expression_accepts_lhs_outside_the_vocabulary() -> None:
    result = parse_expression("w_xi_bar = ibar_t i_t (1 - i_t) x_t", lhs="w_xi_bar")
    assert isinstance(result, ParseSuccess) and result.expr == oracle("ibar_t*i_t*(1 - i_t)*x_t")


def test_parse_expression_reads_every_side_of_an_equals_chain() -> None:
    result = parse_expression("cbar_t = x_t = h_t", lhs="cbar_t")
    assert isinstance(result, ParseSuccess) and result.sides == (oracle("x_t"), oracle("h_t"))


# ------------------------------------------------------------------------------ vocabularies


def test_make_vocabulary_adds_positive_symbols_and_splits_letters() -> None:
    vocabulary = make_vocabulary(["k", "d", "H", "W"], base={})
    result = parse_expression("dkHW + 2k", vocabulary=vocabulary)
    k, d, h, w = (vocabulary[name] for name in "kdHW")
    assert isinstance(result, ParseSuccess) and result.expr == d * k * h * w + 2 * k
    assert all(vocabulary[name].is_positive for name in "kdHW")


@pytest.mark.parametrize("name", ["tanh", "_x", "1x", "lambda", "e", "x-y"])
def test_make_vocabulary_refuses_bad_names(name: str) -> None:
    with pytest.raises(InvalidKey):
        make_vocabulary([name])


def test_parse_expression_vocabulary_limits_names() -> None:
    vocabulary = make_vocabulary(["x"], base={})
    assert isinstance(parse_expression("x_t", vocabulary=vocabulary), ParseFailure)
    assert parse_expression("2x", vocabulary=vocabulary).expr == 2 * vocabulary["x"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("O(d*k*H*W)", "d*k*H*W"), (r"\mathcal{O}(dkHW)", "d*k*H*W"), (r"\Theta(d k H W)", "d*k*H*W"),
     ("Θ(k^2 d)", "k**2*d"), ("dkHW", "d*k*H*W"), (r"O\left(d \cdot k\right)", "d*k")],
)
def test_parse_big_o_reads_the_growth_inside_the_wrapper(text: str, expected: str) -> None:
    vocabulary = make_vocabulary("dkHW", base={})
    result = parse_big_o(text, vocabulary=vocabulary)
    assert isinstance(result, ParseSuccess), result
    assert result.expr == sympy.parse_expr(expected, local_dict=dict(vocabulary))


def test_parse_expression_does_not_know_big_o() -> None:
    vocabulary = make_vocabulary("dk", base={})
    result = parse_expression("O(d k)", vocabulary=vocabulary)
    assert isinstance(result, ParseFailure) and "unknown function 'O'" in result.message


# ------------------------------------------------------------------------ allow-list itself


@pytest.mark.parametrize(
    "source",
    ["x_t.real", "x_t[0]", "(lambda: 1)()", "[x_t for x_t in y]", "'a'", "f'{x_t}'", "tanh(x=1)",
     "tanh(*x_t)", "x_t if x_t else x_t", "x_t < 1", "x_t % 2", "x_t @ x_t", "not x_t", "eval(x_t)", "1.5"],
)
def test_builder_allow_list_rejects_other_python(source: str) -> None:
    # the reader never writes these; the allow-list must stop them anyway (defence in depth)
    with pytest.raises(Refusal):
        check(ast.parse(source, mode="eval"), SYMBOLS, parse_package.ALLOWED_FUNCTIONS, lambda node: 0)


# ---------------------------------------------------------------------- never runs any code

HOSTILE = [
    "__import__('os').system('touch {sentinel}')",
    "__import__(\"os\").system(\"touch {sentinel}\")",
    "().__class__.__bases__[0].__subclasses__()",
    "open('{sentinel}', 'w').write('x')",
    "eval(\"open('{sentinel}','w')\")",
    "exec('import os; os.system(\"touch {sentinel}\")')",
    "(lambda: __import__('os').system('touch {sentinel}'))()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "sympify('__import__(\"os\").system(\"touch {sentinel}\")')",
    "parse_expr('open(\"{sentinel}\",\"w\")')",
    "Function('system')('touch {sentinel}')",
    r"\input{{{sentinel}}}",
    r"\write18{{touch {sentinel}}}",
    "x_t.__globals__['os'].system('touch {sentinel}')",
    "getattr(x_t, '__class__')",
    "breakpoint()",
    "__builtins__",
    "c_t = __import__('os').system('touch {sentinel}')",
    "O(__import__('os').system('touch {sentinel}'))",
]


def test_hostile_input_never_creates_the_sentinel_file(tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel"
    vocabulary = make_vocabulary(["d", "k"])
    with hang_guard():
        for template in HOSTILE:
            text = template.format(sentinel=sentinel)
            results = [parse_expression(text), parse_expression(text, lhs="c_t"),
                       parse_big_o(text, vocabulary=vocabulary)]
            assert all(isinstance(result, ParseFailure) for result in results), (text, results)
    assert not sentinel.exists()


# ------------------------------------------------------------------------------------ fuzzing

PIECES = [
    "c_t", "x", "h_prev", "o_t", "(", ")", "[", "]", "{", "}", "^", "**", "*", "/", "+", "-", "_", ",", "=", "'",
    "2", "0.5", "10", "t", "t-1", r"\frac", r"\bar", r"\overline", r"\delta", r"\tilde", r"\sigma", r"\tanh",
    r"\left(", r"\right)", r"\cdot", "tanh", "sigma", "σ", "δ", "dL/d", "^{(t)}", "_{t+1}", " ", "!", ".", "\\",
    "factorial", "9**9", "e", "sqrt", r"\sqrt", "\u200b", "с",
]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_expression_never_raises_on_random_text(text: str) -> None:
    result = parse_expression(text)
    assert isinstance(result, (ParseSuccess, ParseFailure))
    if isinstance(result, ParseFailure) and result.position is not None:
        assert 0 <= result.position <= len(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_parse_expression_never_raises_on_notation_soup(text: str) -> None:
    with hang_guard():
        result = parse_expression(text, lhs="c_t")
        big_o = parse_big_o(text, vocabulary=make_vocabulary(["d", "k"]))
    for outcome in (result, big_o):
        assert isinstance(outcome, (ParseSuccess, ParseFailure))
        if isinstance(outcome, ParseSuccess):
            assert outcome.expr.free_symbols <= set(SYMBOLS.values()) | set(make_vocabulary(["d", "k"]).values())
        else:
            assert outcome.message and (outcome.position is None or 0 <= outcome.position <= len(text))


@settings(max_examples=150, deadline=None)
@given(st.recursive(
    st.sampled_from(["x_t", "h_prev", "c_t", "2", "0.5", "w_xi"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        inner.map(lambda s: f"tanh({s})"),
        inner.map(lambda s: f"sigmoid({s})"),
        inner.map(lambda s: f"-({s})"),
    ),
    max_leaves=12,
))
def test_parse_expression_agrees_with_sympy_on_plain_syntax(text: str) -> None:
    # plain sympy syntax must read exactly as sympy itself reads it (trusted generated text)
    result = parse_expression(text)
    expected = oracle(text)
    if expected.has(sympy.zoo, sympy.nan):
        assert isinstance(result, ParseFailure)
    else:
        assert isinstance(result, ParseSuccess) and result.expr == expected


def test_grading_never_calls_eval_sympify_or_parse_expr() -> None:
    package = Path(parse_package.__file__).parent.parent
    for module in package.rglob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
        names = {func.id for func in calls if isinstance(func, ast.Name)}
        attributes = {func.attr for func in calls if isinstance(func, ast.Attribute)}
        assert not names & {"eval", "exec", "compile", "sympify", "parse_expr", "lambdify", "__import__"}, module
        assert not attributes & {"sympify", "parse_expr", "lambdify", "parse_latex"}, module
