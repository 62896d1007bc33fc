"""``handnets derive``: every topic, the three output forms, exit codes."""

from __future__ import annotations

import json

import pytest
import sympy

from handnets.derive import TOPICS
from handnets.derive.vector import outer, transpose_times
from handnets.vocabulary import SYMBOLS, sigmoid

LOCAL = {**SYMBOLS, "sigmoid": sigmoid, "tanh": sympy.tanh, "transpose_times": transpose_times, "outer": outer}


@pytest.mark.parametrize("topic", TOPICS)
def test_derive_json_shape_and_parseable_rhs(cli, topic):
    result = cli("derive", topic, "--json")
    assert result.code == 0, result.err
    payload = json.loads(result.out)
    assert payload["equations"] and payload["checks"]
    for entry in payload["equations"]:
        assert set(entry) == {"name", "rhs", "latex"}
        sympy.parse_expr(entry["rhs"], local_dict=LOCAL)
    assert all(check["passed"] for check in payload["checks"])


def test_derive_lstm_json_cbar(cli):
    payload = json.loads(cli("derive", "lstm", "--json").out)
    cbar = {e["name"]: e for e in payload["equations"]}["cbar_t"]
    assert sympy.parse_expr(cbar["rhs"], local_dict=LOCAL) == SYMBOLS["cbar_next"] * SYMBOLS["f_next"] + SYMBOLS["hbar_t"] * SYMBOLS["o_t"] * (1 - sympy.tanh(SYMBOLS["c_t"]) ** 2)
    assert r"\overline{c^{(t+1)}}" in cbar["latex"]


def test_derive_latex_prints_display_math(cli):
    result = cli("derive", "recurrence", "--latex")
    assert result.code == 0
    assert r"\[ c^{(t)} = c^{(t-2)} \cdot f^{(t-1)} \cdot f^{(t)} + f^{(t)} \cdot g^{(t-1)} \cdot i^{(t-1)} + g^{(t)} \cdot i^{(t)} \]" in result.out


def test_derive_recurrence_steps(cli):
    payload = json.loads(cli("derive", "recurrence", "--steps", "4", "--json").out)
    closed = {e["name"]: e["rhs"] for e in payload["equations"]}["c_t_from_c_t_k"]
    assert "c_t_4*f_t*f_t_1*f_t_2*f_t_3" in closed


def test_derive_rich_panel_has_the_verdicts(cli):
    result = cli("derive", "gradient-flow")
    assert result.code == 0
    assert "Gradient flow through the LSTM state" in result.out and "PASS" in result.out and "FAIL" not in result.out


@pytest.mark.parametrize(
    "args, message",
    [
        (("derive", "recurrence", "--steps", "0"), "--steps must be between 1 and 64, got 0"),
        (("derive", "lstm", "--steps", "3"), "--steps applies to 'recurrence' only"),
    ],
)
def test_derive_bad_usage_exits_2(cli, args, message):
    result = cli(*args)
    assert result.code == 2 and message in result.err


def test_derive_unknown_topic_exits_2(cli):
    assert cli("derive", "gru").code == 2


def test_derive_failed_check_exits_1(cli, monkeypatch):
    import handnets.derive as derive
    from handnets.checks import Check

    broken = derive.derive_lstm().with_checks((Check("broken", False, "test"),))
    monkeypatch.setattr(derive, "derive_topic", lambda topic, steps=2: broken)
    result = cli("derive", "lstm")
    assert result.code == 1 and "FAIL" in result.out


def test_verify_exits_1_and_shows_fail_when_a_derivation_check_fails(monkeypatch):
    import io

    from rich.console import Console

    import handnets.derive.lstm as lstm
    from handnets.checks import Check
    from handnets.verify import main

    broken = lstm.derive_lstm(checked=False).with_checks((Check("lstm: broken on purpose", False, "test"),))
    monkeypatch.setattr(lstm, "derive_lstm", lambda: broken)
    buffer = io.StringIO()
    assert main(["lstm"], out=Console(file=buffer, width=100, color_system=None)) == 1
    assert "FAIL" in buffer.getvalue() and "lstm: broken on purpose" in buffer.getvalue()
