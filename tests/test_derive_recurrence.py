"""Unrolled recurrences and gradient flow against repeated substitution, sympy.diff and finite differences."""

from __future__ import annotations

import pytest
import sympy

from handnets.derive.gradient_flow import derive_gradient_flow, state_jacobian
from handnets.derive.recurrence import cell_path_bar, closed_form, derive_recurrence, lagged, unrolled_cell
from handnets.vocabulary import SYMBOLS as S


@pytest.mark.parametrize("k", range(1, 13))
def test_closed_form_equals_repeated_substitution(k):
    assert sympy.expand(closed_form(k) - unrolled_cell(k)) == 0


@pytest.mark.parametrize("k", range(1, 9))
def test_cell_path_bar_is_the_derivative_of_the_unrolled_cell(k):
    assert sympy.diff(unrolled_cell(k), lagged("c", k)) * S["cbar_t"] == cell_path_bar(k)


def test_derive_recurrence_two_steps_in_the_vocabulary():
    derivation = derive_recurrence()
    assert derivation.equation("c_t_from_c_prev2") == S["f_t"] * S["f_prev"] * S["c_prev2"] + S["f_t"] * S["i_prev"] * S["g_prev"] + S["i_t"] * S["g_t"]
    assert derivation.equation("cbar_prev2") == S["cbar_t"] * S["f_t"] * S["f_prev"]
    assert derivation.equation("c_t_forget_zero") == S["i_t"] * S["g_t"]
    assert all(check.passed for check in derivation.checks)


def test_derive_recurrence_full_bar_adds_the_paths_through_h():
    full = derive_recurrence(checked=False).equation("cbar_prev2_full")
    cell = derive_recurrence(checked=False).equation("cbar_prev2")
    through_h = sympy.expand(full - cell)
    assert {S["hbar_prev"], S["hbar_prev2"]} <= through_h.free_symbols
    assert S["cbar_t"] not in through_h.free_symbols


@pytest.mark.parametrize("steps", [1, 3, 8])
def test_derive_recurrence_k_steps(steps):
    derivation = derive_recurrence(steps)
    assert derivation.equation("c_t_from_c_t_k") == closed_form(steps)
    assert all(check.passed for check in derivation.checks)


@pytest.mark.parametrize("steps", [0, 65])
def test_derive_recurrence_refuses_steps_out_of_range(steps):
    with pytest.raises(ValueError, match="steps must be between 1 and 64"):
        derive_recurrence(steps)


def test_full_bar_check_fails_when_a_path_is_dropped():
    from handnets.derive.recurrence import _check_full_numerically

    cell_only = derive_recurrence(checked=False).equation("cbar_prev2")
    assert not _check_full_numerically(cell_only).passed


def test_gradient_flow_limit_keeps_cbar_and_kills_h_paths():
    derivation = derive_gradient_flow()
    assert derivation.equation("dc_t_dc_prev_limit") == 1
    assert [derivation.equation(n) for n in ("dh_t_dh_prev_limit", "dh_t_dc_prev_limit", "dc_t_dh_prev_limit")] == [0, 0, 0]
    assert derivation.equation("cbar_t_limit") == S["cbar_next"]
    assert derivation.equation("hbar_t_limit") == S["dL_dh_t"]
    assert all(check.passed for check in derivation.checks)


def test_state_jacobian_cell_entry_is_the_forget_gate():
    assert state_jacobian()[1, 1] == S["f_t"]
    assert state_jacobian()[0, 1] == S["o_t"] * S["f_t"] * (1 - sympy.tanh(S["c_t"]) ** 2)
