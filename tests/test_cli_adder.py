"""``handnets adder``: exit codes, JSON schema, traces, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "adder"


def test_adder_check_builtin_exits_0(cli):
    result = cli("adder", "check", "--max-len", "6")
    assert result.code == 0
    assert "Correct for every input of every length." in result.out
    assert "Reachable hidden states (4): 000, 100, 110, 111" in result.out


def test_adder_check_json_schema(cli):
    result = cli("adder", "check", "--json", "--max-len", "5")
    payload = json.loads(result.out)
    assert payload["correct"] is True
    assert payload["threshold"] == "ge"
    assert payload["hidden_units"] == 3
    assert payload["reachable_states"] == 4
    assert payload["margin"] == "1/2"
    assert payload["counterexample"] is None
    assert payload["exhaustive"] == {"max_len": 5, "pairs": 341, "failures": 0, "requested_len": None}
    assert payload["proved"] is True and payload["note"] is None


def test_adder_check_wrong_design_exits_1_with_counterexample(cli):
    result = cli("adder", "check", str(EXAMPLES / "forgot_carry.toml"), "--json", "--max-len", "6")
    assert result.code == 1
    cx = json.loads(result.out)["counterexample"]
    assert {k: cx[k] for k in ("a", "b", "steps", "step", "expected", "got")} == {
        "a": 1, "b": 0, "steps": 2, "step": 2, "expected": [1, 0], "got": [1, 1]
    }


@pytest.mark.parametrize(("threshold", "code"), [("ge", 0), ("gt", 1)])
def test_adder_check_threshold_flag_overrides_file(cli, threshold, code):
    result = cli("adder", "check", str(EXAMPLES / "integer_thresholds.toml"), "--threshold", threshold, "--json", "--max-len", "4")
    payload = json.loads(result.out)
    assert result.code == code
    assert payload["threshold"] == threshold
    assert payload["margin"] == "0" and payload["convention_sensitive"] is True
    assert payload["other_threshold"]["correct"] is (threshold == "gt")


def test_adder_check_margin_zero_is_explained(cli):
    result = cli("adder", "check", str(EXAMPLES / "integer_thresholds.toml"), "--max-len", "4")
    assert "verdict hangs on step(0)" in result.out
    assert "Under threshold 'gt' instead: wrong" in result.out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("adder", "check", "/nonexistent/w.toml"), "error: /nonexistent/w.toml: no such file"),
        (("adder", "check", "--max-len", "0"), "error: --max-len must be between 1 and 24, got 0"),
        (("adder", "check", "--threshold", "eq"), "invalid choice"),
        (("adder", "run", "1"), "error: expected [FILE] A B"),
        (("adder", "run", "-3", "4"), "error: A must be non-negative"),
        (("adder", "run", "x", "4"), "error: A must be a non-negative integer"),
        (("adder",), "error:"),
    ],
)
def test_adder_bad_usage_exits_2_with_one_line(cli, args, fragment):
    result = cli(*args)
    assert result.code == 2
    assert fragment in result.err
    assert "Traceback" not in result.err


def test_adder_bad_weights_file_exits_2_naming_key(cli, tmp_path):
    path = tmp_path / "w.toml"
    path.write_text("W_xh = [[1, 1], [1, 1]]\nW_hh = [[0, 1, 0]]\nb_h = [1, 2, 3]\nW_hy = [1, 1, 1]\nb_y = 0\n")
    result = cli("adder", "check", str(path))
    assert result.code == 2
    assert result.err == f"error: {path}: W_xh: expected a 3x2 (one row per hidden unit, one column per input) matrix, got 2x2\n"


def test_adder_run_trace_table_and_verdict(cli):
    result = cli("adder", "run", "45", "58")
    assert result.code == 0
    assert "produced 103, expected 103: right" in result.out


def test_adder_run_wrong_design_exits_1(cli):
    result = cli("adder", "run", str(EXAMPLES / "forgot_carry.toml"), "1", "0", "--json")
    payload = json.loads(result.out)
    assert result.code == 1
    assert payload["produced"] == 3 and payload["correct"] is False
    assert payload["steps"][0]["h_pre"] == ["1/2", "-1/2", "-3/2"]


def test_adder_accuracy_json_exact(cli):
    result = cli("adder", "accuracy", str(EXAMPLES / "forgot_carry.toml"), "--max-len", "3", "--json")
    lengths = json.loads(result.out)["lengths"]
    assert result.code == 1
    assert [(x["length"], x["wrong_pairs"], x["digit_accuracy"]) for x in lengths] == [(1, 0, "1"), (2, 2, "3/4"), (3, 11, "31/48")]


def test_python_dash_m_handnets_is_the_cli():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "handnets", "adder", "run", "1", "1", "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert json.loads(done.stdout)["produced"] == 2


def test_adder_check_many_files_one_row_each_bad_file_does_not_stop(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("W_xh = 1\n")
    files = [str(EXAMPLES / name) for name in ("classic.toml", "forgot_carry.toml", "integer_thresholds.toml")]
    result = cli("adder", "check", *files, str(bad), "--max-len", "5", "--json")
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert result.code == 2  # one file could not be read
    assert [r["file"] for r in rows] == [*files, str(bad)]
    assert [r.get("correct") for r in rows] == [True, False, True, None]
    assert rows[1]["counterexample"]["a"] == 1 and rows[2]["other_threshold"]["correct"] is False
    assert rows[3]["error"].startswith(f"{bad}: W_hh: missing")


def test_adder_check_many_files_exit_1_when_one_is_wrong(cli):
    result = cli("adder", "check", str(EXAMPLES / "classic.toml"), str(EXAMPLES / "forgot_carry.toml"), "--max-len", "4")
    assert result.code == 1
    assert "wrong" in result.out and "a=1, b=0 (2 steps)" in result.out
