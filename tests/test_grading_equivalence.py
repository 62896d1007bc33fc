"""Judging answers: a STACK-style fixture table of answers to LSTM questions, numbers, big-O, fingerprints."""

from __future__ import annotations

import signal
import threading
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.errors import InvalidKey
from handnets.grading.equivalence import (
    Equivalence,
    fingerprint,
    judge_big_o,
    judge_expression,
    judge_integer,
    judge_number,
    substitute_definitions,
)
from handnets.grading.parse import ParseFailure, make_vocabulary, parse_big_o, parse_expression
from handnets.vocabulary import SYMBOLS as S
from handnets.vocabulary import sigmoid

tanh = sympy.tanh


# --------------------------------------------------------------------------- the definitions


def _gates(x: sympy.Symbol, h: sympy.Symbol, step: str) -> dict[sympy.Symbol, sympy.Expr]:
    return {
        S[f"i_{step}"]: sigmoid(S["w_xi"] * x + S["w_hi"] * h),
        S[f"f_{step}"]: sigmoid(S["w_xf"] * x + S["w_hf"] * h),
        S[f"o_{step}"]: sigmoid(S["w_xo"] * x + S["w_ho"] * h),
        S[f"g_{step}"]: tanh(S["w_xg"] * x + S["w_hg"] * h),
    }


GATES = {**_gates(S["x_t"], S["h_prev"], "t"), **_gates(S["x_next"], S["h_t"], "next")}
CELLS = {
    S["c_t"]: S["f_t"] * S["c_prev"] + S["i_t"] * S["g_t"],
    S["h_t"]: S["o_t"] * tanh(S["c_t"]),
    S["c_next"]: S["f_next"] * S["c_t"] + S["i_next"] * S["g_next"],
    S["h_next"]: S["o_next"] * tanh(S["c_next"]),
}
LSTM = {**GATES, **CELLS}
# Two-step recurrences: the gates at t-1 stay free symbols, and c_t/c_prev must not be substituted
# (the question asks for c_t in terms of c_{t-2}).
RECURRENCE = _gates(S["x_t"], S["h_prev"], "t")

BIG_O = make_vocabulary(["d", "k", "H", "W"], base={})

# question id -> (kind, expected (text in the vocabulary or a number), lhs, definitions, options)
QUESTIONS = {
    "lstm.hbar_t": ("expression", "dL_dh_t + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
                    " + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg", "hbar_t", LSTM),
    "lstm.cbar_t": ("expression", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "cbar_t", LSTM),
    "lstm.obar_t": ("expression", "hbar_t*tanh(c_t)", "obar_t", LSTM),
    "lstm.gbar_t": ("expression", "cbar_t*i_t", "gbar_t", LSTM),
    "lstm.fbar_t": ("expression", "cbar_t*c_prev", "fbar_t", LSTM),
    "lstm.ibar_t": ("expression", "cbar_t*g_t", "ibar_t", LSTM),
    "lstm.w_xi_bar": ("expression", "ibar_t*i_t*(1 - i_t)*x_t", "w_xi_bar", LSTM),
    "lstm.i_prime": ("expression", "i_t*(1 - i_t)", None, LSTM),
    "recurrence.c_t_from_c_prev2": ("expression", "f_t*(f_prev*c_prev2 + i_prev*g_prev) + i_t*g_t", "c_t", RECURRENCE),
    "recurrence.cbar_prev2": ("expression", "cbar_t*f_t*f_prev", "cbar_prev2", RECURRENCE),
    "params.rnn_20_128_10": ("integer", 20 * 128 + 128 * 128 + 128 * 10 + 128 + 10, None, None),
    "conv.params": ("integer", 8 * (5 * 5 * 3 + 1), None, None),
    "pool.mean": ("number", Fraction(1, 4), None, None),
    "lr.approx": ("tolerance", Fraction(1, 3), None, None),
    "pixelcnn.connections": ("big-O", "d*k**2*H*W", None, None),
}


def grade(question: str, answer: str) -> tuple[str, str]:
    """A miniature grader over the public API: (correct|incorrect|invalid|undecided, message)."""
    kind, expected, lhs, definitions = QUESTIONS[question]
    if kind == "big-O":
        parsed = parse_big_o(answer, vocabulary=BIG_O)
        expected_expr = sympy.parse_expr(expected, local_dict=dict(BIG_O))
    else:
        parsed = parse_expression(answer, lhs=lhs, vocabulary=None if kind == "expression" else {})
    if isinstance(parsed, ParseFailure):
        return "invalid", parsed.message
    if kind == "expression":
        expected_expr = parse_expression(expected).expr
        outcome = judge_expression(expected_expr, parsed.expr, definitions=definitions, seed=question)
    elif kind == "integer":
        outcome = judge_integer(expected, parsed.expr)
    elif kind == "number":
        outcome = judge_number(expected, parsed.expr)
    elif kind == "tolerance":
        outcome = judge_number(expected, parsed.expr, abs_tol="0.01")
    else:
        outcome = judge_big_o(expected_expr, parsed.expr, seed=question)
    verdict = {"equivalent": "correct", "different": "incorrect", "undecided": "undecided"}[outcome.verdict]
    return verdict, outcome.detail


# ------------------------------------------------------------------------------ the fixtures

CORRECT, INCORRECT, INVALID = "correct", "incorrect", "invalid"

FIXTURES = [
    # (question, answer, expected verdict, fragment of the message or "")
    # --- cbar_t: equivalent rewrites
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", CORRECT, "same expression"),
    ("lstm.cbar_t", "cbar_next*f_next + hbar_t*o_t*(1 - tanh(c_t)**2)", CORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t - hbar_t*o_t*tanh(c_t)**2 + f_next*cbar_next", CORRECT, "expanding"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t))*(1 + tanh(c_t)) + cbar_next*f_next", CORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*tanh'(c_t) + cbar_next*f_next", CORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - (h_t/o_t)**2) + cbar_next*f_next", CORRECT, ""),
    ("lstm.cbar_t", "hbar_t*sigmoid(w_xo*x_t + w_ho*h_prev)*(1 - tanh(c_t)**2) + cbar_next*f_next", CORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(f_t*c_prev + i_t*g_t)**2) + cbar_next*f_next", CORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*sigma(w_xf x_next + w_hf h_t)", CORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*4/(exp(c_t) + exp(-c_t))**2 + cbar_next*f_next", CORRECT, "random points"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - (2*sigmoid(2*c_t) - 1)**2) + cbar_next*f_next", CORRECT, "random points"),
    ("lstm.cbar_t", "cbar_t = hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", CORRECT, ""),
    # --- cbar_t: notation variants
    ("lstm.cbar_t", r"\bar{h}_t o_t (1-\tanh^2(c_t)) + \bar{c}_{t+1} f_{t+1}", CORRECT, ""),
    ("lstm.cbar_t", r"\overline{h^{(t)}} o^{(t)} (1 - \tanh^2(c^{(t)})) + \overline{c^{(t+1)}} f^{(t+1)}", CORRECT, ""),
    ("lstm.cbar_t", r"\overline{c^{(t)}} = \overline{h^{(t)}} \odot o^{(t)} \odot (1 - \tanh^2(c^{(t)})) + \overline{c^{(t+1)}} \odot f^{(t+1)}", CORRECT, ""),
    ("lstm.cbar_t", r"\delta c_t = \delta h_t \cdot o_t \cdot (1-\tanh^{2}(C_t)) + \delta C_{t+1} \cdot f_{t+1}", CORRECT, ""),
    ("lstm.cbar_t", r"\frac{\partial L}{\partial h_t} o_t (1 - \tanh^2 c_t) + \frac{\partial L}{\partial c_{t+1}} f_{t+1}", CORRECT, ""),
    ("lstm.cbar_t", "dL/dh_t * o_t * (1 - tanh(c_t)^2) + dL/dc_{t+1} * f_{t+1}", CORRECT, ""),
    ("lstm.cbar_t", "δh_t o_t (1 - tanh²(c_t)) + δc_{t+1} f_{t+1}", CORRECT, ""),
    ("lstm.cbar_t", "hbar[t] o[t] (1 - tanh(c[t])^2) + cbar[t+1] f[t+1]", CORRECT, ""),
    ("lstm.cbar_t", "hbar(t) o(t) (1 - tanh(C(t))^2) + cbar(t+1) f(t+1)", CORRECT, ""),
    ("lstm.cbar_t", "hbar_t ⊙ o_t ⊙ (1 − tanh(c_t)^2) + cbar_next ⊙ f_next", CORRECT, ""),
    ("lstm.cbar_t", "$\\bar{h}_t o_t \\left(1 - \\tanh^2(c_t)\\right) + \\bar{c}_{t+1} f_{t+1}$", CORRECT, ""),
    ("lstm.cbar_t", r"Cbar_t = Hbar_t O_t (1 - tanh^2(C_t)) + Cbar_{t+1} F_{t+1}", CORRECT, ""),
    # --- cbar_t: classic mistakes
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2)", INCORRECT, "at a sample point"),
    ("lstm.cbar_t", "hbar_t*o_t*tanh(c_t) + cbar_next*f_next", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)) + cbar_next*f_next", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 + tanh(c_t)**2) + cbar_next*f_next", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) - cbar_next*f_next", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_t", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*(1 - tanh(c_t)**2) + cbar_next*f_next", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*o_t*(1 - o_t) + cbar_next*f_next", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next*c_t", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next + y_t",
     INCORRECT, "uses y_t, which the expected answer does not depend on"),
    ("lstm.cbar_t", "hbar_next*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_prev)**2) + cbar_next*f_next", INCORRECT, ""),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - sigmoid(c_t)**2) + cbar_next*f_next", INCORRECT, ""),
    # --- cbar_t: invalid
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2 + cbar_next*f_next", INVALID, "never closed"),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(ct)**2) + cbar_next*f_next", INVALID, "unknown name 'ct'"),
    ("lstm.cbar_t", "hbar*o_t", INVALID, "unknown name 'hbar'"),
    ("lstm.cbar_t", "hbar_t = o_t", INVALID, "the left-hand side reads as hbar_t"),
    ("lstm.cbar_t", "cbar_t == hbar_t", INVALID, "expected an expression"),
    ("lstm.cbar_t", "c\u0307_t", INVALID, "U+0307"),  # a combining dot is not read (a macron is a bar)
    # --- obar_t
    ("lstm.obar_t", "hbar_t*tanh(c_t)", CORRECT, ""),
    ("lstm.obar_t", r"\overline{h^{(t)}} \tanh(c^{(t)})", CORRECT, ""),
    ("lstm.obar_t", "h_t*hbar_t/o_t", CORRECT, ""),
    ("lstm.obar_t", "obar_t = hbar_t tanh(c_t)", CORRECT, ""),
    ("lstm.obar_t", r"\delta o_t = \delta h_t \odot \tanh(C_t)", CORRECT, ""),
    ("lstm.obar_t", "hbar_t*tanh(c_t)*o_t*(1 - o_t)", INCORRECT, ""),
    ("lstm.obar_t", "hbar_t*(1 - tanh(c_t)**2)", INCORRECT, ""),
    ("lstm.obar_t", "hbar_t*o_t", INCORRECT, ""),
    ("lstm.obar_t", "hbar_t*tanh(c_prev)", INCORRECT, ""),
    ("lstm.obar_t", "-hbar_t*tanh(c_t)", INCORRECT, ""),
    # --- gbar_t, ibar_t, fbar_t
    ("lstm.gbar_t", "cbar_t*i_t", CORRECT, ""),
    ("lstm.gbar_t", r"\bar{c}_t \odot i_t", CORRECT, ""),
    ("lstm.gbar_t", r"\delta \tilde{C}_t = \delta C_t \cdot i_t", CORRECT, ""),
    ("lstm.gbar_t", "cbar_t*sigmoid(w_xi*x_t + w_hi*h_prev)", CORRECT, ""),
    ("lstm.gbar_t", "cbar_t*g_t", INCORRECT, ""),
    ("lstm.gbar_t", "cbar_t*i_t*(1 - g_t**2)", INCORRECT, ""),
    ("lstm.ibar_t", "cbar_t*g_t", CORRECT, ""),
    ("lstm.ibar_t", r"\bar{c}_t \tilde{c}_t", CORRECT, ""),
    ("lstm.ibar_t", r"\delta C_t \odot \tilde{C}_t", CORRECT, ""),
    ("lstm.ibar_t", "cbar_t*tanh(w_xg x_t + w_hg h_{t-1})", CORRECT, ""),
    ("lstm.ibar_t", "cbar_t*tanh(w_xg x_t + w_hg h_t)", INCORRECT, ""),
    ("lstm.ibar_t", "cbar_t*g_t*i_t*(1 - i_t)", INCORRECT, ""),
    ("lstm.ibar_t", "cbar_t*i_t", INCORRECT, ""),
    ("lstm.fbar_t", "cbar_t*c_prev", CORRECT, ""),
    ("lstm.fbar_t", r"\bar{c}_t c_{t-1}", CORRECT, ""),
    ("lstm.fbar_t", r"\overline{c^{(t)}} c^{(t-1)}", CORRECT, ""),
    ("lstm.fbar_t", "cbar_t c(t-1)", CORRECT, ""),
    ("lstm.fbar_t", "cbar_t*c_t", INCORRECT, ""),
    ("lstm.fbar_t", "cbar_t*c_prev*f_t", INCORRECT, ""),
    ("lstm.fbar_t", "cbar_next*c_prev", INCORRECT, ""),
    # --- hbar_t: the long one
    ("lstm.hbar_t", "dL_dh_t + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
                    " + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg", CORRECT, ""),
    ("lstm.hbar_t", "dL_dh_t + w_hi ibar_next sigma'(w_xi x_next + w_hi h_t) + w_hf fbar_next sigma'(w_xf x_next + w_hf h_t)"
                    " + w_ho obar_next sigma'(w_xo x_next + w_ho h_t) + w_hg gbar_next tanh'(w_xg x_next + w_hg h_t)", CORRECT, ""),
    ("lstm.hbar_t", r"dL_dh_t + \bar{i}_{t+1} i_{t+1}(1-i_{t+1}) w_{hi} + \bar{f}_{t+1} f_{t+1}(1-f_{t+1}) w_{hf}"
                    r" + \bar{o}_{t+1} o_{t+1}(1-o_{t+1}) w_{ho} + \bar{g}_{t+1}(1-g_{t+1}^2) w_{hg}", CORRECT, ""),
    ("lstm.hbar_t", r"\frac{\partial L_t}{\partial h_t} + \delta i_{t+1} \sigma'(w_{xi} x_{t+1} + w_{hi} h_t) w_{hi}"
                    r" + \delta f_{t+1} f_{t+1} (1 - f_{t+1}) w_{hf} + \delta o_{t+1} o_{t+1} (1 - o_{t+1}) w_{ho}"
                    r" + \delta \tilde{C}_{t+1} (1 - \tilde{C}_{t+1}^2) w_{hg}",
     CORRECT, ""),
    ("lstm.hbar_t", r"\frac{\partial L}{\partial h_t} + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
                    " + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg", INCORRECT, ""),
    ("lstm.hbar_t", "dL_dh_t + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
                    " + obar_next*o_next*(1 - o_next)*w_ho", INCORRECT, ""),
    ("lstm.hbar_t", "dL_dh_t + ibar_next*i_next*(1 - i_next)*w_xi + fbar_next*f_next*(1 - f_next)*w_xf"
                    " + obar_next*o_next*(1 - o_next)*w_xo + gbar_next*(1 - g_next**2)*w_xg", INCORRECT, ""),
    ("lstm.hbar_t", "ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
                    " + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg", INCORRECT, ""),
    ("lstm.hbar_t", "dL_dh_t + ibar_next*w_hi + fbar_next*w_hf + obar_next*w_ho + gbar_next*w_hg", INCORRECT, ""),
    # --- w_xi update summand
    ("lstm.w_xi_bar", "ibar_t*i_t*(1 - i_t)*x_t", CORRECT, ""),
    ("lstm.w_xi_bar", "w_xi_bar = ibar_t i_t (1 - i_t) x_t", CORRECT, ""),
    ("lstm.w_xi_bar", "(ibar_t*x_t)*(i_t - i_t^2)", CORRECT, ""),
    ("lstm.w_xi_bar", r"\bar{i}_t \sigma'(w_{xi} x_t + w_{hi} h_{t-1}) x_t", CORRECT, ""),
    ("lstm.w_xi_bar", "ibar_t*i_t*(1 - i_t)*h_prev", INCORRECT, ""),
    ("lstm.w_xi_bar", "ibar_t*x_t", INCORRECT, ""),
    ("lstm.w_xi_bar", "ibar_t*i_t*(1 - i_t)*x_t*w_xi", INCORRECT, ""),
    # --- sigmoid derivative: the gate or its definition
    ("lstm.i_prime", "i_t*(1 - i_t)", CORRECT, ""),
    ("lstm.i_prime", "i_t (1 - i_t)", CORRECT, ""),
    ("lstm.i_prime", "i_t - i_t^2", CORRECT, ""),
    ("lstm.i_prime", "sigmoid(w_xi*x_t + w_hi*h_prev)*(1 - sigmoid(w_xi*x_t + w_hi*h_prev))", CORRECT, ""),
    ("lstm.i_prime", r"\sigma(w_{xi}x_t + w_{hi}h_{t-1})(1 - \sigma(w_{xi}x_t + w_{hi}h_{t-1}))", CORRECT, ""),
    ("lstm.i_prime", "σ(w_xi x_t + w_hi h_prev)(1 - σ(w_xi x_t + w_hi h_prev))", CORRECT, ""),
    ("lstm.i_prime", "sigma'(w_xi x_t + w_hi h_prev)", CORRECT, ""),
    ("lstm.i_prime", r"\sigma'(w_{xi} x_t + w_{hi} h_{t-1})", CORRECT, ""),
    ("lstm.i_prime", "sigmoid(w_xi x_t + w_hi h_prev) sigmoid(-w_xi x_t - w_hi h_prev)", CORRECT, "random points"),
    ("lstm.i_prime", "exp(-w_xi x_t - w_hi h_prev)/(1 + exp(-w_xi x_t - w_hi h_prev))^2", CORRECT, "random points"),
    ("lstm.i_prime", "i_t*(1 + i_t)", INCORRECT, ""),
    ("lstm.i_prime", "i_t", INCORRECT, ""),
    ("lstm.i_prime", "1 - i_t**2", INCORRECT, ""),
    ("lstm.i_prime", "sigma'(w_xi x_t + w_hi h_t)", INCORRECT, ""),
    ("lstm.i_prime", "sigma(z)(1 - sigma(z))", INVALID, "unknown name 'z'"),
    # --- recurrence: c_t in terms of c_{t-2}
    ("recurrence.c_t_from_c_prev2", "f_t*(f_prev*c_prev2 + i_prev*g_prev) + i_t*g_t", CORRECT, ""),
    ("recurrence.c_t_from_c_prev2", "f_t f_prev c_prev2 + f_t i_prev g_prev + i_t g_t", CORRECT, ""),
    ("recurrence.c_t_from_c_prev2", "c_t = f_t (f_{t-1} c_{t-2} + i_{t-1} g_{t-1}) + i_t g_t", CORRECT, ""),
    ("recurrence.c_t_from_c_prev2", r"C_t = f_t \odot (f_{t-1} \odot C_{t-2} + i_{t-1} \odot \tilde{C}_{t-1}) + i_t \odot \tilde{C}_t", CORRECT, ""),
    ("recurrence.c_t_from_c_prev2", "f^{(t)} f^{(t-1)} c^{(t-2)} + f^{(t)} i^{(t-1)} g^{(t-1)} + i^{(t)} g^{(t)}", CORRECT, ""),
    ("recurrence.c_t_from_c_prev2", "f_t*c_prev + i_t*g_t", INCORRECT, ""),
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2 + i_t*g_t", INCORRECT, ""),
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2 + i_prev*g_prev + i_t*g_t", INCORRECT, ""),
    ("recurrence.c_t_from_c_prev2", "c_{t-4}", INVALID, "unknown name 'c_t-4'"),
    # --- recurrence: delta c_{t-2} along the cell path
    ("recurrence.cbar_prev2", "cbar_t*f_t*f_prev", CORRECT, ""),
    ("recurrence.cbar_prev2", r"\delta C_{t-2} = \delta C_t f_t f_{t-1}", CORRECT, ""),
    ("recurrence.cbar_prev2", r"\delta c_t \odot f_t \odot f_{t-1}", CORRECT, ""),
    ("recurrence.cbar_prev2", "dE/dC_t * f_t * f_{t-1}", CORRECT, ""),
    ("recurrence.cbar_prev2", "cbar_t*f_t", INCORRECT, ""),
    ("recurrence.cbar_prev2", "cbar_t*f_t*f_next", INCORRECT, ""),
    ("recurrence.cbar_prev2", "cbar_t*f_prev*f_prev", INCORRECT, ""),
    ("recurrence.cbar_prev2", r"\delta C_{t-1} = \delta C_t f_t", INVALID, "the left-hand side reads as cbar_prev"),
    # --- integers: exact, arithmetic accepted
    ("params.rnn_20_128_10", "20362", CORRECT, ""),
    ("params.rnn_20_128_10", "20*128 + 128*128 + 128*10 + 128 + 10", CORRECT, ""),
    ("params.rnn_20_128_10", "(20 + 128 + 1)*128 + (128 + 1)*10", CORRECT, ""),
    ("params.rnn_20_128_10", "20224", INCORRECT, "expected 20362, got 20224"),
    ("params.rnn_20_128_10", "20362.5", INCORRECT, "expected a whole number"),
    ("params.rnn_20_128_10", "20362.0", CORRECT, ""),
    ("params.rnn_20_128_10", "2.0362e4", CORRECT, ""),
    ("params.rnn_20_128_10", "20,362", INVALID, "unexpected ','"),
    ("params.rnn_20_128_10", "n", INVALID, "unknown name 'n'"),
    ("params.rnn_20_128_10", "10**10**10", INVALID, "too large"),
    ("params.rnn_20_128_10", "factorial(10**7)", INVALID, "factorial"),
    ("conv.params", "608", CORRECT, ""),
    ("conv.params", "8*(5*5*3 + 1)", CORRECT, ""),
    ("conv.params", "600", INCORRECT, ""),
    ("conv.params", "8*5*5*3", INCORRECT, ""),
    # --- exact numbers and tolerance
    ("pool.mean", "0.25", CORRECT, ""),
    ("pool.mean", "1/4", CORRECT, ""),
    ("pool.mean", r"\frac{1}{4}", CORRECT, ""),
    ("pool.mean", "(1 + 0 + 0 + 0)/4", CORRECT, ""),
    ("pool.mean", "0.2500001", INCORRECT, ""),
    ("pool.mean", "sqrt(1/16)", CORRECT, ""),
    ("lr.approx", "0.333", CORRECT, ""),
    ("lr.approx", "0.34", CORRECT, ""),
    ("lr.approx", "1/3", CORRECT, ""),
    ("lr.approx", "0.35", INCORRECT, ""),
    ("lr.approx", "sqrt(2)/4", INCORRECT, ""),
    ("lr.approx", "NaN", INVALID, "unknown name 'NaN'"),
    ("lr.approx", "1/0", INVALID, "division by zero"),
    # --- big-O: the same class (sizes at least 1): constant factors and dominated terms dropped
    ("pixelcnn.connections", "O(d*k^2*H*W)", CORRECT, "same growth rate"),
    ("pixelcnn.connections", r"\mathcal{O}(d k^2 H W)", CORRECT, ""),
    ("pixelcnn.connections", "O(9 d k^2 H W)", CORRECT, "same growth rate"),
    ("pixelcnn.connections", "Θ(H W d k k)", CORRECT, ""),
    ("pixelcnn.connections", "dk^2HW", CORRECT, ""),
    ("pixelcnn.connections", "O(d k H W)", INCORRECT, "not an upper bound"),
    ("pixelcnn.connections", "O(d k^2 H W + H W)", CORRECT, "dominated"),
    ("pixelcnn.connections", "O(d k^2 H W + d k H W)", CORRECT, "dominated"),
    ("pixelcnn.connections", "O(d k^2 H^2 W)", INCORRECT, "looser bound"),
    ("pixelcnn.connections", "O(-d k^2 H W)", INCORRECT, "not positive"),
    ("pixelcnn.connections", "O(n)", INVALID, "unknown name 'n'"),
    ("pixelcnn.connections", "O(d k^2 H W", INVALID, "never closed"),
]


@pytest.mark.parametrize(("question", "answer", "verdict", "fragment"), FIXTURES)
def test_grade_fixture_table(question: str, answer: str, verdict: str, fragment: str) -> None:
    got, message = grade(question, answer)
    assert got == verdict, message
    assert fragment in message


def test_fixture_table_is_large_and_covers_every_verdict() -> None:
    assert len(FIXTURES) >= 120
    assert {row[2] for row in FIXTURES} == {CORRECT, INCORRECT, INVALID}


@pytest.mark.parametrize("question", [q for q, spec in QUESTIONS.items() if spec[0] == "expression"])
def test_grade_expected_answer_is_correct(question: str) -> None:
    assert grade(question, QUESTIONS[question][1])[0] == CORRECT


# ------------------------------------------------------------------------------ the oracle


def test_lstm_cbar_formula_matches_sympy_diff_of_one_step() -> None:
    # independent check of the expected answer used above: d/dc_t of a loss through h_t and c_next
    c_t, c_next, h_t = sympy.symbols("c_t c_next h_t")
    loss_h, loss_c = sympy.Function("Lh"), sympy.Function("Lc")
    o_t, f_next, i_next, g_next = S["o_t"], S["f_next"], S["i_next"], S["g_next"]
    loss = loss_h(o_t * tanh(c_t)) + loss_c(f_next * c_t + i_next * g_next)
    derivative = sympy.diff(loss, c_t)
    hbar = sympy.Subs(sympy.Derivative(loss_h(h_t), h_t), h_t, o_t * tanh(c_t)).doit()
    cbar_next = sympy.Subs(sympy.Derivative(loss_c(c_next), c_next), c_next, f_next * c_t + i_next * g_next).doit()
    formula = hbar * o_t * (1 - tanh(c_t) ** 2) + cbar_next * f_next
    assert sympy.simplify(derivative - formula) == 0


# ----------------------------------------------------------------------------- the layers


def test_judge_expression_structural_after_definitions() -> None:
    outcome = judge_expression(S["h_t"], S["o_t"] * tanh(S["c_t"]), definitions=LSTM)
    assert outcome == Equivalence("equivalent", "structural", "the same expression after substituting the definitions")


def test_judge_expression_symbolic_layer_when_no_point_is_defined() -> None:
    x = S["x_t"]
    root = sympy.sqrt(-1 - x**2)  # no real value anywhere: the numeric layer cannot decide
    outcome = judge_expression(root * tanh(x), root * (sympy.exp(2 * x) - 1) / (sympy.exp(2 * x) + 1))
    assert (outcome.verdict, outcome.method) == ("equivalent", "symbolic")


def test_judge_expression_undecided_off_the_main_thread() -> None:
    x = S["x_t"]
    root = sympy.sqrt(-1 - x**2)
    outcomes: list[Equivalence] = []
    worker = threading.Thread(target=lambda: outcomes.append(
        judge_expression(root * tanh(x), root * (sympy.exp(2 * x) - 1) / (sympy.exp(2 * x) + 1))))
    worker.start()
    worker.join()
    assert outcomes[0].verdict == "undecided" and "no timer" in outcomes[0].detail


def test_judge_expression_timeout_gives_undecided() -> None:
    x = S["x_t"]
    root = sympy.sqrt(-1 - x**2)
    outcome = judge_expression(root * tanh(x), root * (sympy.exp(2 * x) - 1) / (sympy.exp(2 * x) + 1), timeout=1e-4)
    assert outcome.verdict == "undecided"


def test_judge_expression_rearms_an_outer_timer() -> None:
    x = S["x_t"]
    root = sympy.sqrt(-1 - x**2)
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        judge_expression(root * tanh(x), root * (sympy.exp(2 * x) - 1) / (sympy.exp(2 * x) + 1))
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert 0 < remaining <= 30 and not fired


def test_judge_expression_different_is_deterministic() -> None:
    first = judge_expression(S["o_t"], S["f_t"], definitions=LSTM, seed="q")
    assert first == judge_expression(S["o_t"], S["f_t"], definitions=LSTM, seed="q")
    assert first.verdict == "different"


def test_substitute_definitions_refuses_cycles() -> None:
    a, b = S["x_t"], S["h_t"]
    with pytest.raises(InvalidKey, match="cyclic"):
        substitute_definitions(a, {a: b + 1, b: a + 1})


def test_substitute_definitions_refuses_non_symbol_keys() -> None:
    with pytest.raises(InvalidKey):
        substitute_definitions(S["x_t"], {S["x_t"] + 1: S["h_t"]})


def test_equivalence_refuses_unknown_verdicts() -> None:
    with pytest.raises(ValueError):
        Equivalence("maybe", "numeric")


# ---------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("expected", "submitted", "options", "verdict"),
    [
        (Fraction(1, 10), sympy.Rational(1, 10), {}, "equivalent"),
        ("0.1", sympy.Rational(1, 10), {}, "equivalent"),
        (1, sympy.Rational(1000001, 1000000), {}, "different"),
        (1, sympy.Rational(1000001, 1000000), {"rel_tol": "1e-5"}, "equivalent"),
        (100, sympy.Integer(101), {"rel_tol": "0.01"}, "equivalent"),
        (100, sympy.Integer(102), {"rel_tol": "0.01"}, "different"),
        (0, sympy.Rational(1, 1000), {"abs_tol": "0.001"}, "equivalent"),
        (sympy.sqrt(2), sympy.Rational(14142, 10000), {"abs_tol": "0.0001"}, "equivalent"),
        (sympy.sqrt(2), sympy.Rational(14, 10), {"abs_tol": "0.0001"}, "different"),
        (sympy.sqrt(2), sympy.sqrt(8) / 2, {}, "equivalent"),
        (2, S["x_t"], {}, "different"),
    ],
)
def test_judge_number(expected, submitted, options, verdict) -> None:
    assert judge_number(expected, submitted, **options).verdict == verdict


def test_judge_integer_big_numbers_exactly() -> None:
    assert judge_integer(2**200, sympy.Integer(2) ** 200).verdict == "equivalent"
    assert judge_integer(2**200, sympy.Integer(2) ** 200 + 1).verdict == "different"


def test_judge_integer_refuses_non_integer_keys() -> None:
    with pytest.raises(InvalidKey):
        judge_integer(Fraction(1, 2), sympy.Integer(1))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ big-O


def test_judge_big_o_sees_constant_ratios_through_logs() -> None:
    n = sympy.Symbol("n", positive=True)
    assert judge_big_o(n * sympy.log(n), n * sympy.log(n**2)).verdict == "equivalent"
    assert judge_big_o(n * sympy.log(n), n).verdict == "different"


# ------------------------------------------------------------------------------ fingerprints


def test_fingerprint_is_pinned() -> None:
    # stable across processes and runs: sha256-derived points, never Python's hash()
    assert fingerprint(S["x_t"]) == ("-0.397817147", "0.337143202", "0.365489991", "0.113123831")


def test_fingerprint_groups_equivalent_wrong_answers() -> None:
    wrong = [parse_expression(text).expr for text in
             ["hbar_t*o_t*(1 - tanh(c_t)**2)", "o_t hbar_t (1 - tanh^2(c_t))", r"\bar{h}_t o_t - \bar{h}_t o_t \tanh^2(c_t)",
              "hbar_t*o_t*tanh'(c_t)"]]
    other = parse_expression("hbar_t*o_t*tanh(c_t)").expr
    prints = {fingerprint(expr, LSTM) for expr in wrong}
    assert len(prints) == 1 and fingerprint(other, LSTM) not in prints


def test_fingerprint_marks_undefined_points() -> None:
    assert fingerprint(sympy.log(-1 - S["x_t"] ** 2)) == ("undefined",) * 4


# ------------------------------------------------------------------------- random rewrites

HBAR = ["hbar_t", r"\bar{h}_t", r"\overline{h^{(t)}}", r"\delta h_t", "dL/dh_t", "hbar[t]"]
O_T = ["o_t", "o^{(t)}", "sigma(w_xo*x_t + w_ho*h_prev)", r"\sigma(w_{xo} x_t + w_{ho} h_{t-1})", "(h_t/tanh(c_t))"]
TANH_PRIME = ["(1 - tanh(c_t)**2)", r"(1-\tanh^2(c^{(t)}))", "tanh'(c_t)", "(1 - tanh(c_t))*(1 + tanh(c_t))",
              "(1 - (h_t/o_t)^2)", "(1 - tanh(f_t c_prev + i_t g_t)^2)"]
CBAR_NEXT = ["cbar_next", r"\bar{c}_{t+1}", r"\overline{c^{(t+1)}}", r"\delta C_{t+1}", "cbar(t+1)"]
F_NEXT = ["f_next", "f_{t+1}", "f^{(t+1)}", "sigma(w_xf x_next + w_hf h_t)", "sigmoid(w_xf*x_{t+1} + w_hf*o_t*tanh(c_t))"]
TIMES = ["*", " ", r" \cdot ", r" \odot ", " ⊙ "]


@st.composite
def cbar_rewrites(draw) -> tuple[str, str, str]:
    """(left-hand side or "", the h-path term, the c-path term), each in a random notation and order."""
    times = draw(st.sampled_from(TIMES))
    first = draw(st.permutations([draw(st.sampled_from(HBAR)), draw(st.sampled_from(O_T)), draw(st.sampled_from(TANH_PRIME))]))
    second = draw(st.permutations([draw(st.sampled_from(CBAR_NEXT)), draw(st.sampled_from(F_NEXT))]))
    # dL/dh_t is a quotient: bracket it so a following factor is not read into the denominator
    h_term = times.join(f"({factor})" if factor.startswith("dL/") else factor for factor in first)
    c_term = times.join(second)
    lhs = draw(st.sampled_from(["", r"\overline{c^{(t)}} = ", "cbar_t = ", r"\delta C_t = "]))
    return lhs, h_term, c_term


@settings(max_examples=60, deadline=None)
@given(cbar_rewrites(), st.booleans())
def test_random_rewrites_of_cbar_t_are_correct(rewrite: tuple[str, str, str], swap: bool) -> None:
    lhs, h_term, c_term = rewrite
    text = lhs + (f"{c_term} + {h_term}" if swap else f"{h_term} + {c_term}")
    verdict, message = grade("lstm.cbar_t", text)
    assert verdict == CORRECT, (text, message)


@settings(max_examples=40, deadline=None)
@given(cbar_rewrites(), st.sampled_from(["drop the c path", "sign", "extra tanh", "h_t for h_prev"]))
def test_random_rewrites_with_a_classic_mistake_are_incorrect(rewrite: tuple[str, str, str], mistake: str) -> None:
    lhs, h_term, c_term = rewrite
    if mistake == "drop the c path":
        text = lhs + h_term
    elif mistake == "sign":
        text = f"{lhs}{h_term} - ({c_term})"
    elif mistake == "extra tanh":
        text = f"{lhs}{h_term} + {c_term} + tanh(c_t)"
    else:
        text = f"{lhs}({h_term}) * sigma(w_xo x_t + w_ho h_t) / o_t + {c_term}"
    verdict, message = grade("lstm.cbar_t", text)
    assert verdict == INCORRECT, (text, message)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["i_t", "(1 - i_t)", "w_xi", "x_t", "ibar_t"]), min_size=1, max_size=5),
       st.permutations(range(5)), st.booleans())
def test_random_products_commute_and_distribute(factors: list[str], order: tuple[int, ...], distribute: bool) -> None:
    expected = parse_expression("*".join(factors)).expr
    shuffled = [factors[i] for i in order if i < len(factors)]
    text = " ".join(shuffled)
    if distribute and "(1 - i_t)" in shuffled:
        rest = [f for f in shuffled if f != "(1 - i_t)"] + [f for f in shuffled if f == "(1 - i_t)"][1:]
        product = "*".join(rest) or "1"
        text = f"{product} - {product}*i_t"
    submitted = parse_expression(text).expr
    assert judge_expression(expected, submitted, definitions=LSTM).verdict == "equivalent"
