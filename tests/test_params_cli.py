"""``handnets params``: homework values, the JSON schema, both conventions, rendering, and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from handnets.params import count_parameters, summarize_code
from handnets.render.params import render_summary

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    "file, framework, total",
    [
        ("keras_classifier.py", None, 30977),
        ("keras_classifier.py", "pytorch", 31105),
        ("vanilla_rnn.py", None, 20362),
        ("vanilla_rnn.py", "pytorch", 20490),
        ("conv_8_filters.py", None, 608),
        ("vgg16_keras.py", None, 138_357_544),
        ("vgg16_torch.py", None, 138_357_544),
        ("pytorch_tagger.py", None, 320000 + 593920 + 512 + 4369),
    ],
)
def test_params_example_files_totals(file, framework, total):
    assert count_parameters((EXAMPLES / file).read_text(), framework=framework) == total


def test_params_homework_classifier_per_layer():
    summary = summarize_code((EXAMPLES / "keras_classifier.py").read_text())
    assert [(r.name, r.trainable) for r in summary.rows] == [
        ("embedding", 16000),
        ("lstm", 6272),
        ("flatten", 0),
        ("dropout", 0),
        ("dense", 8448),
        ("dense_1", 257),
    ]


def test_params_homework_vanilla_rnn_terms():
    summary = summarize_code((EXAMPLES / "vanilla_rnn.py").read_text())
    terms = [(t.tensors, r.formula.evaluate(t.count)) for r in summary.rows if r.formula for t in r.formula.terms]
    assert terms == [("kernel", 2560), ("recurrent_kernel", 16384), ("bias", 128), ("kernel (n_in, n_out)", 1280), ("bias (n_out)", 10)]


def test_params_cli_json_schema(cli):
    result = cli("params", "LSTM(32)", "--input-shape", "200,16", "--json")
    assert result.code == 0
    payload = json.loads(result.out)
    assert {"layers", "trainable", "non_trainable"} <= set(payload)
    (layer,) = payload["layers"]
    assert {k: layer[k] for k in ("name", "output_shape", "formula", "trainable", "non_trainable")} == {
        "name": "lstm",
        "output_shape": [None, 32],
        "formula": "4*h*(h + n_in + 1)",
        "trainable": 6272,
        "non_trainable": 0,
    }
    assert (payload["trainable"], payload["non_trainable"]) == (6272, 0)


def test_params_cli_file_json_totals(cli):
    payload = json.loads(cli("params", str(EXAMPLES / "keras_classifier.py"), "--json").out)
    assert [layer["output_shape"] for layer in payload["layers"]] == [[None, 200, 16], [None, 32], [None, 32], [None, 32], [None, 256], [None, 1]]
    assert payload["trainable"] == 30977


def test_params_cli_both_conventions_json(cli):
    payload = json.loads(cli("params", "nn.LSTM(7, 13, num_layers=2, bidirectional=True)", "--framework", "both", "--json").out)
    assert payload["pytorch"]["trainable"] == 2 * (4 * 13 * (7 + 13) + 8 * 13) + 2 * (4 * 13 * (26 + 13) + 8 * 13)
    assert payload["keras"]["trainable"] == payload["pytorch"]["trainable"] - 2 * 2 * 4 * 13


def test_params_cli_both_side_by_side_text(cli):
    result = cli("params", str(EXAMPLES / "keras_classifier.py"), "--framework", "both")
    assert result.code == 0
    assert "Keras and PyTorch conventions" in result.out
    assert "30,977" in result.out and "31,105" in result.out


def test_params_cli_several_specs_form_one_model(cli):
    payload = json.loads(cli("params", "Embedding(1000, 16, input_length=200)", "LSTM(32)", "Dense(1)", "--json").out)
    assert [layer["trainable"] for layer in payload["layers"]] == [16000, 6272, 33]


def test_params_cli_batchnorm_buffers_apart(cli):
    payload = json.loads(cli("params", "nn.BatchNorm2d(16)", "--json").out)
    assert (payload["trainable"], payload["non_trainable"], payload["buffers"]) == (32, 0, 33)
    keras = json.loads(cli("params", "BatchNormalization()", "--input-shape", "8,8,16", "--json").out)
    assert (keras["trainable"], keras["non_trainable"]) == (32, 32)


def test_params_cli_single_layer_shows_terms(cli):
    result = cli("params", "GRU(8, reset_after=False)", "--input-shape", "None,3")
    assert "recurrent_kernel" in result.out and "3 gates × h units × n_in inputs" in result.out


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("params", "model = Sequential([\n  Dense(8),\n  Dense(4\n])"), "line 4"),
        (("params", "missing_file.py"), "missing_file.py: no such file"),
        (("params", "Dense(8)", "--input-shape", "0,3"), "--input-shape"),
        (("params", "x = 1"), "no layers found"),
        (("params", "LSTM(32)", "--framework", "jax"), "invalid choice"),
    ],
)
def test_params_cli_bad_input_exits_2_with_one_line(cli, args, fragment):
    result = cli(*args)
    assert result.code == 2
    assert fragment in result.err
    assert "Traceback" not in result.err


def test_params_cli_unknown_layer_listed_exit_1(cli):
    result = cli("params", "nn.Sequential(nn.Linear(4, 8), Mystery(), nn.Linear(8, 2))", "--json")
    payload = json.loads(result.out)
    assert result.code == 1  # the total is incomplete
    assert [(layer["type"], layer["known"], layer["trainable"]) for layer in payload["layers"]] == [("Linear", True, 40), ("Mystery", False, None), ("Linear", True, 18)]
    assert payload["trainable"] == 58 and payload["complete"] is False


def test_render_params_summary_golden():
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(render_summary(summarize_code("LSTM(32)", input_shape=(200, 16))))
    assert buffer.getvalue() == (
        "                  <spec> (keras convention)                   \n"
        "┏━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┓\n"
        "┃ Layer (type) ┃ Output Shape ┃ Param # ┃ Formula            ┃\n"
        "┡━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━┩\n"
        "│ lstm (LSTM)  │ (None, 32)   │   6,272 │ 4*h*(h + n_in + 1) │\n"
        "│              │              │         │ n_in=16, h=32      │\n"
        "└──────────────┴──────────────┴─────────┴────────────────────┘\n"
        "Total params: 6,272\n"
        "Trainable params: 6,272\n"
        "Non-trainable params: 0\n"
    )


def test_render_params_escapes_markup_in_code():
    buffer = io.StringIO()
    summary = summarize_code("nn.Sequential(nn.Linear(2, 2), blocks[bold])")
    Console(file=buffer, width=100, color_system=None).print(render_summary(summary))
    assert "blocks[bold]" in buffer.getvalue()
