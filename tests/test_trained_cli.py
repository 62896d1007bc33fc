"""``handnets rnn check`` on the command line: the --json object exactly as documented, exit codes, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from handnets.cli import main
from handnets.render.trained import render_enumeration
from handnets.trained.designs import hand_relu_adder
from handnets.trained.enumerate import enumerate_task

DATA = Path(__file__).resolve().parent / "data" / "trained"


def save_npz(net, path: Path) -> Path:
    layer = net.layers[0]
    np.savez(path, **{"rnn.weight_ih_l0": layer.W_ih, "rnn.weight_hh_l0": layer.W_hh, "rnn.bias_ih_l0": layer.b_ih,
                      "rnn.bias_hh_l0": layer.b_hh, "fc.weight": net.W_out, "fc.bias": net.b_out})
    return path


def run(args, capsys):
    code = main(args, out=Console(file=io.StringIO(), width=80))  # text output is not what these tests read
    return code, capsys.readouterr()


def run_json(args, capsys):
    out = io.StringIO()
    code = main([*args, "--json"], out=Console(file=out, width=80))
    return code, json.loads(out.getvalue())


def test_cli_json_has_exactly_the_documented_keys(capsys):
    code, payload = run_json(["rnn", "check", str(DATA / "long_fail.safetensors"), "--max-len", "9"], capsys)
    assert code == 1
    assert list(payload) == ["task", "max_len", "per_length", "shortest_failure", "proof"]
    assert list(payload["per_length"][0]) == ["n", "pairs", "wrong_pairs", "digits", "wrong_digits", "digit_accuracy"]
    assert list(payload["shortest_failure"]) == ["a", "b", "steps", "step", "expected", "got"]
    assert list(payload["proof"]) == ["proved", "method", "detail"]
    assert payload["shortest_failure"] == {"a": 255, "b": 127, "steps": 9, "step": 8,
                                           "expected": [0, 1, 1, 1, 1, 1, 1, 0, 1], "got": [0, 1, 1, 1, 1, 1, 1, 1, 1]}
    assert payload["per_length"][8] == {"n": 9, "pairs": 65536, "wrong_pairs": 1, "digits": 589824, "wrong_digits": 1,
                                        "digit_accuracy": 589823 / 589824}
    assert payload["proof"]["proved"] is False


def test_cli_forgetful_adder_json_matches_number_theory(tmp_path, capsys):
    path = save_npz(hand_relu_adder(carry_gain=0.0), tmp_path / "forgot.npz")
    code, payload = run_json(["rnn", "check", str(path), "--max-len", "5"], capsys)
    assert code == 1 and payload["task"] == "add" and payload["max_len"] == 5
    assert [r["wrong_pairs"] for r in payload["per_length"]] == [4 ** (n - 1) - 3 ** (n - 1) for n in range(1, 6)]
    assert payload["shortest_failure"] == {"a": 1, "b": 1, "steps": 2, "step": 2, "expected": [0, 1], "got": [0, 0]}


def test_cli_proved_design_exits_0_with_proof(tmp_path, capsys):
    code, payload = run_json(["rnn", "check", str(DATA / "hand_relu.safetensors"), "--max-len", "6"], capsys)
    assert code == 0 and payload["shortest_failure"] is None
    assert payload["proof"]["proved"] is True and payload["proof"]["detail"].startswith("proved for every length")


def test_cli_msb_task_reports_answer_steps(capsys):
    code, payload = run_json(["rnn", "check", str(DATA / "msb.safetensors"), "--task", "add-msb", "--max-len", "4"], capsys)
    failure = payload["shortest_failure"]
    assert code == 1 and payload["task"] == "add-msb" and failure["steps"] == 2 * len(failure["expected"])
    assert failure["step"] > len(failure["expected"])  # the first wrong digit is in the answer phase
    assert payload["proof"]["proved"] is False and payload["proof"]["method"] == "none"


@pytest.mark.parametrize("args, message", [
    (["--max-len", "0"], "--max-len must be between 1 and"),
    (["--answer-input", "1,1"], "--answer-input applies to --task add-msb only"),
    (["--task", "add-msb", "--answer-input", "x,1"], "two finite numbers"),
    (["--task", "add-msb", "--answer-input", "nan,1"], "two finite numbers"),
    (["--task", "add-msb", "--max-len", "14"], "--max-len: lengths 1..14"),
])
def test_cli_bad_requests_exit_2_with_one_line(args, message, capsys):
    code, captured = run(["rnn", "check", str(DATA / "msb.safetensors"), *args], capsys)
    assert code == 2 and captured.err.startswith("error: ") and message in captured.err and captured.err.count("\n") == 1


def test_cli_text_report_states_the_zero_logit_convention(capsys):
    out = io.StringIO()
    assert main(["rnn", "check", str(DATA / "good.safetensors"), "--max-len", "3"], out=Console(file=out, width=80)) == 0
    text = out.getvalue()
    assert "a logit of exactly 0 gives 0" in text and "Checked up to length 3 only." in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_render_enumeration_golden():
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(render_enumeration(enumerate_task(hand_relu_adder(carry_gain=0.0), "add", 3)))
    assert console.file.getvalue() == GOLDEN


def test_cli_several_models_one_row_each_and_a_bad_file_does_not_stop_the_rest(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    files = [str(DATA / "good.safetensors"), str(bad), str(DATA / "short.safetensors")]
    out = io.StringIO()
    assert main(["rnn", "check", *files, "--max-len", "5", "--json"], out=Console(file=out, width=80)) == 2
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["file"].rsplit("/", 1)[-1] for row in rows] == ["good.safetensors", "bad.safetensors", "short.safetensors"]
    assert "not a model file" in rows[1]["error"] and rows[2]["shortest_failure"]["a"] == 7
    text = io.StringIO()
    assert main(["rnn", "check", files[0], files[2], "--max-len", "5"], out=Console(file=text, width=80)) == 1
    assert "wrong at length 4:" in text.getvalue() and "right up to length 5" in text.getvalue()


GOLDEN = """\
add: n steps, (a_t, b_t) LSB first, digit t of a + b at step t; a, b < 2^(n-1)
┏━━━┳━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┓
┃ n ┃ pairs ┃ wrong pairs ┃ wrong digits ┃ digit accuracy ┃
┡━━━╇━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━┩
│ 1 │     1 │           0 │            0 │           100% │
│ 2 │     4 │           1 │            1 │       87.5000% │
│ 3 │    16 │           7 │           10 │       79.1667% │
└───┴───────┴─────────────┴──────────────┴────────────────┘
shortest failure: a=1, b=1 (length 2, 2 steps); first wrong digit at step 2: expected 01, got 00 \n(LSB first)
smallest |logit| of a scored digit: 0.5
"""
