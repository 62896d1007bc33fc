"""Rendering derivations: the rich panel (wide and narrow), homework LaTeX, the JSON shape, the proofs/ document."""

from __future__ import annotations

import io

import pytest
import sympy
from rich.console import Console

from handnets.checks import Check
from handnets.derive.lstm import derive_lstm
from handnets.derive.model import Derivation, Equation, Step
from handnets.render.derive import derivation_json, latex, proof_document, render_derivation, symbol_latex
from handnets.vocabulary import SYMBOLS as S
from handnets.vocabulary import sigmoid


def _demo(passed: bool = True) -> Derivation:
    working = Step("chain rule", S["gbar_t"], S["cbar_t"] * sympy.Derivative(S["c_t"], S["g_t"]))
    result = Step("result", S["gbar_t"], S["cbar_t"] * S["i_t"])
    return Derivation(
        "demo", "Demo", "gbar_t from the cell update.", (Equation("gbar_t", S["cbar_t"] * S["i_t"], (working, result)),), (), (Check("demo: gbar_t", passed, "sympy.diff"),)
    )


def _text(renderable, width: int = 100) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(renderable)
    return buffer.getvalue()


GOLDEN = """\
╭───────────────── Demo ──────────────────╮
│ gbar_t from the cell update.            │
│                                         │
│ gbar_t =                                │
│ c̅ₜ⋅iₜ                                   │
│   chain rule: gbar_t = cbar_t*dc_t/dg_t │
│                                         │
│        proved before printed            │
│ ┏━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓    │
│ ┃      ┃ check        ┃ evidence   ┃    │
│ ┡━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩    │
│ │ PASS │ demo: gbar_t │ sympy.diff │    │
│ └──────┴──────────────┴────────────┘    │
╰─────────────────────────────────────────╯
"""


def test_render_derivation_golden():
    assert _text(render_derivation(_demo())) == GOLDEN


def _wide() -> Derivation:
    rhs = S["dL_dh_t"] + S["gbar_next"] * S["w_hg"] * (1 - S["g_next"] ** 2) + sum(
        S[f"{g}bar_next"] * S[f"{g}_next"] * S[f"w_h{g}"] * (1 - S[f"{g}_next"]) for g in "io"
    )
    working = Step("chain rule over the nodes that read h_t", S["hbar_t"], rhs)
    equation = Equation("hbar_t", rhs, (working, Step("result", S["hbar_t"], rhs)))
    return Derivation("wide", "A wide one", "hbar_t, too wide for the panel.", (equation,), ())


GOLDEN_NARROW = """\
╭───────────────── A wide one ─────────────────╮
│ hbar_t, too wide for the panel.              │
│                                              │
│ hbar_t =                                     │
│                     ⎛        2⎞              │
│ dL_dh_t + g̅ₜ₊₁⋅w_hg⋅⎝1 - gₜ₊₁ ⎠              │
│   ↳ + iₜ₊₁⋅i̅ₜ₊₁⋅w_hi⋅(1 - iₜ₊₁)              │
│   ↳ + oₜ₊₁⋅o̅ₜ₊₁⋅w_ho⋅(1 - oₜ₊₁)              │
│   chain rule over the nodes that read h_t:   │
│     hbar_t = dL_dh_t                         │
│       ↳ + gbar_next*w_hg*(1 - g_next**2)     │
│       ↳ + i_next*ibar_next*w_hi*(1 - i_next) │
│       ↳ + o_next*obar_next*w_ho*(1 - o_next) │
╰──────────────────────────────────────────────╯
"""


def test_render_derivation_breaks_a_wide_equation_between_terms():
    assert _text(render_derivation(_wide()), width=48) == GOLDEN_NARROW


GOLDEN_60 = """\
╭─────────────────────── A wide one ───────────────────────╮
│ hbar_t, too wide for the panel.                          │
│                                                          │
│ hbar_t =                                                 │
│                     ⎛        2⎞                          │
│ dL_dh_t + g̅ₜ₊₁⋅w_hg⋅⎝1 - gₜ₊₁ ⎠                          │
│   ↳ + iₜ₊₁⋅i̅ₜ₊₁⋅w_hi⋅(1 - iₜ₊₁)                          │
│   ↳ + oₜ₊₁⋅o̅ₜ₊₁⋅w_ho⋅(1 - oₜ₊₁)                          │
│   chain rule over the nodes that read h_t:               │
│     hbar_t = dL_dh_t + gbar_next*w_hg*(1 - g_next**2)    │
│       ↳ + i_next*ibar_next*w_hi*(1 - i_next)             │
│       ↳ + o_next*obar_next*w_ho*(1 - o_next)             │
╰──────────────────────────────────────────────────────────╯
"""

GOLDEN_36 = """\
╭─────────── A wide one ───────────╮
│ hbar_t, too wide for the panel.  │
│                                  │
│ hbar_t =                         │
│                     ⎛        2⎞  │
│ dL_dh_t + g̅ₜ₊₁⋅w_hg⋅⎝1 - gₜ₊₁ ⎠  │
│   ↳ + iₜ₊₁⋅i̅ₜ₊₁⋅w_hi⋅(1 - iₜ₊₁)  │
│   ↳ + oₜ₊₁⋅o̅ₜ₊₁⋅w_ho⋅(1 - oₜ₊₁)  │
│   chain rule over the nodes that │
│   read h_t:                      │
│     hbar_t = dL_dh_t             │
│       ↳ + gbar_next*w_hg         │
│       ↳ *(1 - g_next**2)         │
│       ↳ + i_next*ibar_next*w_hi  │
│       ↳ *(1 - i_next)            │
│       ↳ + o_next*obar_next*w_ho  │
│       ↳ *(1 - o_next)            │
╰──────────────────────────────────╯
"""


@pytest.mark.parametrize(("width", "golden"), [(60, GOLDEN_60), (36, GOLDEN_36)])
def test_render_derivation_golden_at_other_widths(width, golden):
    assert _text(render_derivation(_wide()), width=width) == golden


def test_render_derivation_failed_check_shows_fail():
    assert "FAIL" in _text(render_derivation(_demo(passed=False)))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("c_t", "c^{(t)}"),
        ("c_prev", "c^{(t-1)}"),
        ("c_prev2", "c^{(t-2)}"),
        ("h_next", "h^{(t+1)}"),
        ("cbar_t", r"\overline{c^{(t)}}"),
        ("hbar_next", r"\overline{h^{(t+1)}}"),
        ("f_t_3", "f^{(t-3)}"),
        ("w_hi", "w_{hi}"),
        ("yhat_t", r"\hat{y}^{(t)}"),
        ("dL_dh_t", r"\frac{\partial L_{t}}{\partial h^{(t)}}"),
        ("w_xi_bar", r"\overline{w_{xi}}^{(t)}"),
        ("vector_W_xh_bar", r"\overline{W_{xh}}^{(t)}"),
        ("cbar_t_2", r"\overline{c^{(t-2)}}"),
    ],
)
def test_symbol_latex_homework_notation(name, expected):
    assert symbol_latex(name) == expected


def test_latex_sigmoid_odot_and_partial():
    assert latex(sigmoid(S["x_t"])) == r"\sigma\left(x^{(t)}\right)"
    assert latex(sympy.Derivative(S["h_next"], S["h_t"])) == r"\frac{\partial h^{(t+1)}}{\partial h^{(t)}}"
    assert r"\odot" in latex(S["cbar_t"] * S["i_t"], hadamard=True)


def test_derivation_json_rhs_parses_back_to_the_equation():
    payload = derivation_json(derive_lstm())
    assert set(payload) == {"topic", "equations", "checks"}
    local = {**S, "sigmoid": sigmoid, "tanh": sympy.tanh}
    for entry, eq in zip(payload["equations"], derive_lstm().equations):
        assert set(entry) == {"name", "rhs", "latex"}
        assert sympy.parse_expr(entry["rhs"], local_dict=local) == eq.rhs
    assert all(set(c) == {"name", "passed", "method"} and c["passed"] for c in payload["checks"])


def test_proof_document_is_deterministic_and_has_the_evidence():
    name, text = proof_document(derive_lstm())
    assert name == "lstm.md"
    assert text == proof_document(derive_lstm())[1]
    assert "## Evidence" in text and "| PASS |" in text and r"\overline{c^{(t)}}" in text


def test_render_derivation_title_wider_than_the_panel_moves_inside():
    derivation = Derivation("demo", "A title far too long to sit in the top border", "Short.", (), ())
    assert _text(render_derivation(derivation), width=30) == (
        "╭────────────────────────────╮\n"
        "│ A title far too long to    │\n"
        "│ sit in the top border      │\n"
        "│ Short.                     │\n"
        "╰────────────────────────────╯\n"
    )
