"""The derived LSTM equations: the homework convention, both oracles, and checks that can fail."""

from __future__ import annotations

from dataclasses import replace

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.derive.evaluate import MPMATH, NUMPY
from handnets.derive.lstm import derive_lstm, derive_lstm_ce, lstm_ce_definitions, lstm_definitions
from handnets.derive.model import Derivation, Equation
from handnets.derive.oracles import NODES, check_lstm, check_lstm_ce, numpy_gradients, random_point, run_adjoint
from handnets.vocabulary import SYMBOLS as S
from handnets.vocabulary import WEIGHTS, sigmoid

CONVENTION = {
    "obar_t": "hbar_t*tanh(c_t)",
    "cbar_t": "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next",
    "gbar_t": "cbar_t*i_t",
    "fbar_t": "cbar_t*c_prev",
    "ibar_t": "cbar_t*g_t",
    "hbar_t": "dL_dh_t + ibar_next*i_next*(1-i_next)*w_hi + fbar_next*f_next*(1-f_next)*w_hf"
    " + obar_next*o_next*(1-o_next)*w_ho + gbar_next*(1-g_next**2)*w_hg",
    "w_xi_bar": "ibar_t*i_t*(1 - i_t)*x_t",
}


def _typed(text: str) -> sympy.Expr:
    return sympy.parse_expr(text, local_dict={**S, "tanh": sympy.tanh, "sigmoid": sigmoid})


@pytest.mark.parametrize("name", sorted(CONVENTION))
def test_derive_lstm_follows_the_homework_convention(name):
    assert sympy.expand(derive_lstm(checked=False).equation(name) - _typed(CONVENTION[name])) == 0


def test_derive_lstm_every_check_passes():
    derivation = derive_lstm()
    assert len(derivation.checks) == 14
    assert all(check.passed for check in derivation.checks), [c for c in derivation.checks if not c.passed]


def test_derive_lstm_equations_use_only_the_vocabulary():
    for eq in derive_lstm(checked=False).equations:
        assert all(s.name in S and s == S[s.name] for s in eq.rhs.free_symbols), eq.name


def _mutated(derivation: Derivation, name: str, rhs: sympy.Expr) -> Derivation:
    equations = tuple(replace(eq, rhs=rhs) if eq.name == name else eq for eq in derivation.equations)
    return replace(derivation, equations=equations, checks=())


@pytest.mark.parametrize(
    "name, wrong",
    [
        ("cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_t"),
        ("cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2)"),
        ("gbar_t", "cbar_t*i_t*(1 - g_t**2)"),
        ("fbar_t", "cbar_t*c_t"),
        ("hbar_t", "dL_dh_t + ibar_next*w_hi + fbar_next*w_hf + obar_next*w_ho + gbar_next*w_hg"),
        ("w_xi_bar", "ibar_t*x_t"),
        ("w_hg_bar", "gbar_t*h_prev"),
    ],
)
def test_check_lstm_fails_a_wrong_equation(name, wrong):
    checks = check_lstm(_mutated(derive_lstm(checked=False), name, _typed(wrong)))
    failed = [c.name for c in checks if not c.passed]
    assert any(name in c for c in failed), failed


def test_check_lstm_ce_fails_a_wrong_local_loss():
    wrong = _mutated(derive_lstm_ce(checked=False), "dL_dh_t", S["w_y"] * (S["y_t"] - S["yhat_t"]))
    assert not check_lstm_ce(wrong)[0].passed


def _explicit_unrolled(point, target):
    """The fully nested unrolled loss as a function of one symbol s (the literal oracle, T small)."""
    s = sympy.Symbol("s")
    q = lambda v: sympy.Rational(v.numerator, v.denominator)  # noqa: E731
    w = {n: q(v) + (s if target == n else 0) for n, v in point.weights}
    h, c, loss = q(point.h0), q(point.c0), 0
    for t, x in enumerate(point.x):
        e = lambda n: s * (t + 1) if target == n else 0  # noqa: E731
        x = q(x)
        i = sigmoid(w["w_xi"] * x + w["w_hi"] * h) + e("i")
        f = sigmoid(w["w_xf"] * x + w["w_hf"] * h) + e("f")
        o = sigmoid(w["w_xo"] * x + w["w_ho"] * h) + e("o")
        g = sympy.tanh(w["w_xg"] * x + w["w_hg"] * h) + e("g")
        c = f * c + i * g + e("c")
        h = o * sympy.tanh(c) + e("h")
        loss += q(point.a[t]) * h + q(point.b[t]) * h**2
    return sympy.diff(loss, s).xreplace({s: 0}).evalf(40)


@pytest.mark.parametrize("steps, targets", [(1, NODES + WEIGHTS), (2, ("h", "c", "w_xi", "w_hg"))])
def test_derive_lstm_matches_sympy_diff_of_the_fully_nested_loss(steps, targets):
    derivation = derive_lstm(checked=False)
    point = random_point(steps, seed=900 + steps)
    with mpmath.workdps(40):
        bars = run_adjoint(derivation, point, MPMATH)
        for target in targets:
            if target in NODES:
                derived = sum((t + 1) * bars[t][f"{target}bar_t"] for t in range(steps))
            else:
                derived = sum(bars[t][f"{target}_bar"] for t in range(steps))
            oracle = _explicit_unrolled(point, target)
            assert abs(derived - mpmath.mpf(str(oracle))) < mpmath.mpf(10) ** -30, target


@settings(max_examples=15, deadline=None)
@given(steps=st.integers(1, 12), seed=st.integers(0, 10**6))
def test_derive_lstm_matches_finite_differences_at_random_points(steps, seed):
    point = random_point(steps, seed)
    fd = numpy_gradients(point)
    bars = run_adjoint(derive_lstm(checked=False), point, NUMPY)
    for node in NODES:
        for t in range(steps):
            assert bars[t][f"{node}bar_t"] == pytest.approx(fd[node][t], rel=1e-6, abs=1e-6)
    for w in WEIGHTS:
        assert sum(bars[t][f"{w}_bar"] for t in range(steps)) == pytest.approx(fd[w], rel=1e-6, abs=1e-6)


def test_lstm_definitions_define_gate_bars_but_not_hbar_cbar():
    assert not {S["hbar_t"], S["cbar_t"], S["dL_dh_t"]} & set(lstm_definitions())
    assert lstm_definitions()[S["ibar_t"]] == derive_lstm(checked=False).equation("ibar_t")
    assert lstm_definitions()[S["i_t"]] == sigmoid(S["w_xi"] * S["x_t"] + S["w_hi"] * S["h_prev"])
    assert lstm_definitions()[S["fbar_next"]] == S["cbar_next"] * S["c_t"]


def test_lstm_definitions_settle_without_cycles():
    definitions = dict(lstm_definitions())
    expr = derive_lstm(checked=False).equation("w_xi_bar")
    for _ in range(10):
        expr = expr.xreplace(definitions)
    assert not set(definitions) & expr.free_symbols


def test_lstm_ce_definitions_add_the_output():
    definitions = lstm_ce_definitions()
    assert definitions[S["yhat_t"]] == sigmoid(S["w_y"] * S["h_t"])
    assert definitions[S["dL_dh_t"]] == S["w_y"] * (S["yhat_t"] - S["y_t"])


def test_derive_lstm_ce_cbar_is_written_with_the_output_error():
    cbar = derive_lstm_ce(checked=False).equation("cbar_t")
    assert S["hbar_t"] not in cbar.free_symbols and {S["yhat_t"], S["y_t"], S["w_y"]} <= cbar.free_symbols
    assert all(c.passed for c in derive_lstm_ce().checks)


def test_derivation_equation_unknown_name_lists_the_known():
    with pytest.raises(KeyError, match="known: hbar_t"):
        derive_lstm(checked=False).equation("nope")


def test_equation_refuses_a_non_sympy_rhs():
    with pytest.raises(TypeError):
        Equation("x", 3)  # type: ignore[arg-type]
