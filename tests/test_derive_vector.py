"""The vector form (LSTM, RNN): lifted equations against finite differences on random matrices."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sympy

from handnets.derive.rnn import derive_rnn
from handnets.derive.vector import check_lstm_vector, derive_lstm_vector, matrix_symbol, outer, transpose_times
from handnets.vocabulary import SYMBOLS as S


def test_lstm_vector_every_check_passes():
    assert all(check.passed for check in derive_lstm_vector().checks)


def test_lstm_vector_delta_w_ix_is_a_sum_of_outer_products():
    expected = outer(S["ibar_t"] * S["i_t"] * (1 - S["i_t"]), S["x_t"])
    assert derive_lstm_vector(checked=False).equation("W_ix_bar") == expected


def test_lstm_vector_hbar_flows_back_through_transposed_matrices():
    hbar = derive_lstm_vector(checked=False).equation("hbar_t")
    heads = {arg.args[0].name for arg in sympy.Add.make_args(hbar) if isinstance(arg, transpose_times)}
    assert heads == {"W_ih", "W_fh", "W_oh", "W_gh"}


@pytest.mark.parametrize("sizes", [((5, 2),), ((2, 6), (6, 1))])
def test_lstm_vector_holds_for_other_sizes(sizes):
    assert all(check.passed for check in check_lstm_vector(derive_lstm_vector(checked=False), sizes=sizes, steps=7))


@pytest.mark.parametrize(
    "name, wrong",
    [
        ("W_ix_bar", outer(S["ibar_t"] * S["i_t"] * (1 - S["i_t"]), S["h_prev"])),
        ("hbar_t", S["dL_dh_t"]),
        ("cbar_t", S["hbar_t"] * S["o_t"] * (1 - sympy.tanh(S["c_t"]) ** 2) + S["cbar_next"] * S["f_t"]),
    ],
)
def test_check_lstm_vector_fails_a_wrong_equation(name, wrong):
    derivation = derive_lstm_vector(checked=False)
    equations = tuple(replace(eq, rhs=wrong) if eq.name == name else eq for eq in derivation.equations)
    checks = check_lstm_vector(replace(derivation, equations=equations), sizes=((2, 3),))
    assert not all(check.passed for check in checks if name in check.name)


@pytest.mark.parametrize("weight, matrix", [("w_xi", "W_ix"), ("w_hg", "W_gh"), ("w_hh", "W_hh"), ("w_xh", "W_xh")])
def test_matrix_symbol_names_gate_first(weight, matrix):
    assert matrix_symbol(weight).name == matrix


def test_rnn_equations_and_checks():
    derivation = derive_rnn()
    assert derivation.equation("hbar_t") == S["dL_dh_t"] + S["hbar_next"] * S["w_hh"] * (1 - S["h_next"] ** 2)
    assert derivation.equation("dh_t_dh_prev2") == S["w_hh"] ** 2 * (1 - S["h_t"] ** 2) * (1 - S["h_prev"] ** 2)
    assert all(check.passed for check in derivation.checks), [c for c in derivation.checks if not c.passed]
