"""``handnets threshold``: any task through the CLI, synth and repair JSON, one-line errors, light imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_imports import heavy_modules

from handnets.threshold.weights import load_weights

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = ROOT / "examples" / "threshold"
TASKS = ROOT / "examples" / "tasks"


@pytest.mark.parametrize("task", ["subtract", "compare", "parity", "times3"])
def test_threshold_check_example_designs_exit_0(cli, task):
    result = cli("threshold", "check", "--task", task, str(DESIGNS / f"{task}.toml"), "--max-len", "6", "--json")
    payload = json.loads(result.out)
    assert result.code == 0 and payload["correct"] and payload["methods_agree"] and payload["task"] == task
    assert payload["definition"]["differ"] == 0


def test_threshold_check_task_file(cli):
    result = cli("threshold", "check", "--task", str(TASKS / "mod3.toml"), str(DESIGNS / "mod3.toml"), "--max-len", "8")
    assert result.code == 0 and "Correct for every input of every length." in result.out


def test_threshold_check_wrong_task_for_a_design_is_a_counterexample(cli):
    result = cli("threshold", "check", "--task", "subtract", str(ROOT / "examples" / "adder" / "classic.toml"), "--json", "--max-len", "4")
    payload = json.loads(result.out)
    assert result.code == 1 and payload["counterexample"]["a"] >= payload["counterexample"]["b"]


def test_threshold_adder_is_the_add_task(cli):
    adder = json.loads(cli("adder", "check", "--json", "--max-len", "5").out)
    threshold = json.loads(cli("threshold", "check", "--json", "--max-len", "5").out)
    assert adder == threshold


def test_threshold_synth_json_as_specified(cli):
    result = cli("threshold", "synth", "add", "--json")
    payload = json.loads(result.out)
    assert result.code == 0
    assert {"task", "hidden_units", "margin", "proved", "design"} <= set(payload)
    assert payload["task"] == "add" and payload["hidden_units"] == 3 and payload["proved"] is True
    assert set(payload["design"]) == {"threshold", "W_xh", "W_hh", "b_h", "W_hy", "b_y", "h0"}
    assert all(len(row) == 2 for row in payload["design"]["W_xh"])  # one column per input bit
    assert payload["margin"] == "1/2" and "no design with fewer than 3" in payload["fewer_units"]


def test_threshold_synth_writes_a_weights_file_that_checks(cli, tmp_path):
    out = tmp_path / "parity.toml"
    assert cli("threshold", "synth", "parity", "-o", str(out)).code == 0
    load_weights(out, inputs=1, outputs=1)
    assert cli("threshold", "check", "--task", "parity", str(out), "--max-len", "6").code == 0


def test_threshold_repair_json_as_specified(cli):
    result = cli("threshold", "repair", str(DESIGNS / "add_one_edit.toml"), "--json")
    payload = json.loads(result.out)
    assert result.code == 0 and payload["proved"] is True
    assert payload["edits"] == [{"param": "W_hy", "index": [0, 2], "from": "0", "to": "1"}]
    assert payload["design"]["W_hy"] == [[1, -1, 1]]


def test_threshold_repair_nothing_within_the_bound_exits_1(cli):
    result = cli("threshold", "repair", str(ROOT / "examples" / "adder" / "forgot_carry.toml"), "--max-edits", "1", "--json")
    payload = json.loads(result.out)
    assert result.code == 1 and payload["edits"] is None and payload["searched"]["edits"][0]["candidates"] > 0


def test_threshold_run_traces_one_input(cli):
    result = cli("threshold", "run", "--task", "times3", str(DESIGNS / "times3.toml"), "5", "--json")
    payload = json.loads(result.out)
    assert result.code == 0 and payload["produced"] == 15 and payload["correct"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("threshold", "check", "--task", "parrity", "x.toml"), "did you mean parity"),
        (("threshold", "check", "--task", "parity"), "no built-in design for task parity"),
        (("threshold", "check", "--task", "parity", str(DESIGNS / "subtract.toml")), "W_xh: expected a 3x1"),
        (("threshold", "run", "--task", "subtract", str(DESIGNS / "subtract.toml"), "1", "2"), "not a valid input of subtract"),
        (("threshold", "synth", "add", "--units", "0"), "--units"),
        (("threshold", "repair", str(DESIGNS / "add_one_edit.toml"), "--max-edits", "7"), "--max-edits"),
    ],
)
def test_threshold_bad_requests_are_one_line_errors(cli, argv, message):
    result = cli(*argv)
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1 and "Traceback" not in result.err


def test_threshold_bad_task_file_is_one_line_error(cli, tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('inputs = 1\nstart = "s"\n[transitions.s]\n"0" = ["s", 0]\n', encoding="utf-8")
    result = cli("threshold", "check", "--task", str(path), str(DESIGNS / "parity.toml"))
    assert result.code == 2 and "transitions.s: no transition for input 1" in result.err


def test_threshold_tasks_lists_every_task(cli):
    result = cli("threshold", "tasks")
    assert result.code == 0 and all(name in result.out for name in ("add", "subtract", "compare", "parity", "times3"))


@pytest.mark.parametrize("argv", [("threshold", "check", "--max-len", "3", "--json"),
                                  ("threshold", "repair", str(DESIGNS / "add_one_edit.toml"), "--json")])
def test_threshold_commands_never_import_sympy(argv):
    assert "sympy" not in heavy_modules(*argv)
