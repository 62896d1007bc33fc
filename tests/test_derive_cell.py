"""Cells as data: the built-in cells derived and proved, agreement with the hand-built LSTM and RNN, checks that fail."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import sympy

from handnets.derive.cell import Cell, barred, timed
from handnets.derive.cellcheck import check_cell, run_backward
from handnets.derive.cellderive import derive_cell, state_jacobian, steps_back_jacobian
from handnets.derive.cellfile import builtin_cells, cell_from_table, load_cell
from handnets.derive.evaluate import NUMPY
from handnets.derive.lstm import derive_lstm, lstm_cell
from handnets.derive.model import Equation
from handnets.derive.reference import difference_gradients, forward, random_point
from handnets.derive.rnn import derive_rnn
from handnets.vocabulary import SYMBOLS as S

BUILT_IN = ("gru", "gru-cho", "gru-pytorch", "lstm", "lstm-bias", "lstm-peephole", "mgu", "rnn")


def test_cell_builtins_are_the_documented_ones():
    assert set(BUILT_IN) <= set(builtin_cells())


@pytest.mark.parametrize("name", BUILT_IN)
def test_cell_builtin_derivation_is_proved(name):
    derivation = derive_cell(load_cell(name))
    assert derivation.checks
    assert derivation.passed, [c for c in derivation.checks if not c.passed]


@pytest.mark.parametrize("name", BUILT_IN)
def test_cell_every_node_and_weight_has_a_proved_equation(name):
    cell = load_cell(name)
    derivation = derive_cell(cell)
    proved = " ".join(check.name for check in derivation.checks)
    for base in cell.node_names:
        assert f"{base}bar_t" in derivation.names and f"{base}bar_t = " in proved
    for weight in cell.weights:
        assert f"{weight}_bar" in derivation.names and f"{weight}_bar = " in proved


def test_cell_lstm_file_is_the_hand_built_cell():
    assert load_cell("lstm").pairs() == lstm_cell()


def test_cell_lstm_derivation_equals_derive_lstm():
    """The generic assembly on the cell file gives the LSTM topic's equations, term for term."""
    generic = derive_cell(load_cell("lstm"), checked=False)
    for eq in derive_lstm(checked=False).equations:
        assert generic.equation(eq.name) == eq.rhs, eq.name


def test_cell_rnn_derivation_equals_derive_rnn():
    generic = derive_cell(load_cell("rnn"), checked=False)
    topic = derive_rnn(checked=False)
    for name in ("hbar_t", "w_xh_bar", "w_hh_bar", "b_h_bar"):
        assert generic.equation(name) == topic.equation(name)
    assert generic.equation("dh_t_dh_prev") == topic.equation("dh_t_dh_prev")


def test_cell_gru_bars_read_like_a_solution_set():
    derivation = derive_cell(load_cell("gru"), checked=False)
    h_prev, n_t, z_t, hbar_t = S["h_prev"], timed("n", 0), timed("z", 0), S["hbar_t"]
    assert derivation.equation("zbar_t") == hbar_t * (h_prev - n_t)
    assert derivation.equation("nbar_t") == hbar_t * (1 - z_t)
    # h_t is read at t+1 by all four nodes: the direct loss term and four paths back
    assert len(sympy.Add.make_args(derivation.equation("hbar_t"))) == 5


def test_cell_gru_reset_placements_differ_where_the_bias_sits():
    cho = derive_cell(load_cell("gru-cho"), checked=False).equation("rbar_t")
    torch_like = derive_cell(load_cell("gru-pytorch"), checked=False).equation("rbar_t")
    b_hn = sympy.Symbol("b_hn", real=True)
    assert b_hn in torch_like.free_symbols and b_hn not in cho.free_symbols
    assert sympy.expand(cho.subs(sympy.Symbol("b_n", real=True), 0) - torch_like.subs(b_hn, 0)) == 0


def test_cell_lstm_jacobian_limit_carries_the_cell_state():
    derivation = derive_cell(load_cell("lstm"), checked=False)
    assert derivation.equation("J_t_limit[i=0, f=1, o=0]") == sympy.Matrix([[0, 0], [0, 1]])
    assert state_jacobian(load_cell("lstm"))[1, 1] == S["f_t"]


def test_cell_gru_update_gate_at_one_carries_h_unchanged():
    derivation = derive_cell(load_cell("gru"), checked=False)
    assert derivation.equation("J_t_limit[z=1, r=0]") == 1
    assert derivation.equation("J_t_limit[z=0, r=0]") == 0


def test_cell_two_step_jacobian_is_the_shifted_product():
    cell = load_cell("rnn")
    one = state_jacobian(cell)[0, 0]
    assert steps_back_jacobian(cell, 2)[0, 0] == one * cell.shift(one, -1)
    assert steps_back_jacobian(cell, 3)[0, 0] == one * cell.shift(one, -1) * cell.shift(one, -2)


def test_cell_reference_forward_matches_a_hand_written_gru():
    """The reference pass of gru-pytorch against the GRU written out here in numpy (nothing shared)."""
    cell = load_cell("gru-pytorch")
    point = random_point(cell, 6, seed=3)
    trace, _ = forward(cell, point, NUMPY)
    w = {k: float(v) for k, v in point.weights}
    h = float(dict(point.initial)["h"])
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    for t, step in enumerate(trace):
        x = float(point.inputs[t][0][1])
        r = sig(w["w_xr"] * x + w["b_ir"] + w["w_hr"] * h + w["b_hr"])
        z = sig(w["w_xz"] * x + w["b_iz"] + w["w_hz"] * h + w["b_hz"])
        n = np.tanh(w["w_xn"] * x + w["b_in"] + r * (w["w_hn"] * h + w["b_hn"]))
        h = (1 - z) * n + z * h
        assert step["h_t"] == pytest.approx(h, abs=1e-14)


# ------------------------------------------------------------------------ checks that fail


def _with(derivation, name, rhs):
    equations = tuple(Equation(eq.name, rhs) if eq.name == name else eq for eq in derivation.equations)
    return dataclasses.replace(derivation, equations=equations, checks=())


@pytest.mark.parametrize(
    "name, mutate",
    [
        ("hbar_t", lambda rhs: rhs.subs(barred("h", 1), 0)),  # the path from t+1 forgotten
        ("nbar_t", lambda rhs: rhs * 2),
        ("w_hz_bar", lambda rhs: rhs.subs(S["h_prev"], S["h_t"])),  # the classic index slip
        ("dh_t_dh_prev", lambda rhs: rhs + timed("z", 0) / 100),
        ("J_t_prev2", lambda rhs: rhs * sympy.Rational(101, 100)),
        ("J_t_limit[z=1, r=0]", lambda rhs: rhs - 1),
    ],
)
def test_cell_checks_fail_on_a_wrong_equation(name, mutate):
    cell = load_cell("gru")
    derivation = derive_cell(cell, checked=False)
    wrong = _with(derivation, name, mutate(derivation.equation(name)))
    failed = [check.name for check in check_cell(cell, wrong) if not check.passed]
    assert failed, name


def test_cell_finite_differences_agree_with_the_derived_bars_at_t30():
    cell = load_cell("lstm-peephole")
    point = random_point(cell, 30, seed=12)
    fd = difference_gradients(cell, point)
    bars = run_backward(cell, derive_cell(cell, checked=False), point, NUMPY)
    for base in cell.node_names:
        for t in (0, 14, 29):
            assert bars[t][f"{base}bar_t"] == pytest.approx(fd[(base, t)], rel=1e-6, abs=1e-8)


# ------------------------------------------------------------------------------- the CLI


def test_cell_cli_prints_the_cell_and_the_checks(cli):
    result = cli("derive", "cell", "gru")
    assert result.code == 0, result.err
    assert "cell gru: states h; loss reads h" in result.out
    assert "proved before printed" in result.out and "FAIL" not in result.out


def test_cell_cli_json_is_complete(cli):
    payload = json.loads(cli("derive", "cell", "mgu", "--json").out)
    assert payload["cell"]["states"] == ["h"] and payload["passed"]
    names = {entry["name"] for entry in payload["equations"]}
    assert {"fbar_t", "nbar_t", "hbar_t", "w_hn_bar", "dh_t_dh_prev", "J_t_prev2"} <= names
    assert [node["name"] for node in payload["cell"]["nodes"]] == ["f", "n", "h"]


def test_cell_cli_latex_uses_homework_notation(cli):
    out = cli("derive", "cell", "gru", "--latex").out
    assert r"\[ \overline{n^{(t)}} = \overline{h^{(t)}} \cdot \left(1 - z^{(t)}\right) \]" in out
    assert r"\lim_{z^{(t)} \to 1, r^{(t)} \to 0}" in out


def test_cell_cli_reads_a_cell_file(cli, tmp_path):
    path = tmp_path / "coupled.toml"
    path.write_text(
        "name = 'coupled'\nstates = ['h', 'c']\n[nodes]\n"
        "f = '\\sigma(w_{xf} x_t + w_{hf} h_{t-1})'\n"
        "g = 'tanh(w_xg x_t + w_hg h_{t-1})'\n"
        "c = 'f_t c_{t-1} + (1 - f_t) g_t'\n"
        "h = 'tanh(c_t)'\n",
        encoding="utf-8",
    )
    result = cli("derive", "cell", str(path), "--steps", "3")
    assert result.code == 0, result.err
    assert "J_t_prev3" in result.out


@pytest.mark.parametrize(
    "args, message",
    [
        (("derive", "cell"), "needs a cell file"),
        (("derive", "cell", "nonesuch"), "not a built-in cell"),
        (("derive", "lstm", "gru"), "goes with 'derive cell'"),
        (("derive", "cell", "gru", "--steps", "7"), "between 1 and 4"),
    ],
)
def test_cell_cli_usage_errors_exit_2(cli, args, message):
    result = cli(*args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err


def test_cell_is_hashable_and_built_from_text():
    cell = Cell.build("tiny", inputs=("x",), states=("h",), nodes=(("h", "tanh(w_xh x_t + w_hh h_{t-1})"),))
    assert hash(cell) == hash(load_cell("rnn").__class__.build("tiny", inputs=("x",), states=("h",), nodes=(("h", "tanh(w_xh x_t + w_hh h_{t-1})"),)))
    assert cell_from_table({"states": ["h"], "nodes": {"h": "tanh(w_hh h_{t-1})"}}, source="t").weights == ("w_hh",)
