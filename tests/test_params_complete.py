"""Never silently short: every way a count used to come out too small without a word, as a regression test.

An unknown layer (a bare name among several specs, a typo), a keyword the framework's constructor
does not take, a size nobody gave, ``1,000`` pasted from prose: each is named in the output and in
``--json`` (``"complete": false`` with a reason per layer), and the exit code is 1.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.errors import InvalidSpec
from handnets.params import summarize_code
from handnets.params.reader import KERAS_LAYERS, TORCH_LAYERS
from handnets.params.signatures import KERAS_SIGNATURES, TORCH_SIGNATURES, signature


def payload(result):
    return json.loads(result.out)


def test_complete_issue_mha_after_dense_is_counted_as_keras_does(cli):
    result = cli("params", "Dense(8)", "MultiHeadAttention(num_heads=2, key_dim=4)", "--input-shape", "10,8", "--json")
    assert (result.code, payload(result)["total"], payload(result)["complete"]) == (0, 360, True)  # Keras: 360


def test_complete_issue_conv_transpose_after_conv_is_counted(cli):
    result = cli("params", "Conv2D(8, 3)", "Conv2DTranspose(4, 3)", "--input-shape", "32,32,3", "--json")
    assert (result.code, payload(result)["total"]) == (0, 516)  # Keras: 516


@pytest.mark.parametrize("spec", ["Mystery(4)", "Transformer2(8)", "layers.NotALayer(3)"])
def test_complete_bare_unknown_name_among_specs_is_named_exit_1(cli, spec):
    result = cli("params", "Dense(8)", spec, "--input-shape", "10,8", "--json")
    data = payload(result)
    assert result.code == 1 and data["complete"] is False
    assert [layer["known"] for layer in data["layers"]] == [True, False]
    assert data["problems"][0]["reason"].startswith("unknown layer")


def test_complete_typo_gets_did_you_mean_and_is_not_wired_past(cli):
    result = cli("params", "Embedding(1000, 16)", "LTSM(32)", "Dense(1)", "--json")
    data = payload(result)
    assert result.code == 1 and data["complete"] is False
    reasons = {p["layer"]: p["reason"] for p in data["problems"]}
    assert reasons["ltsm"] == "unknown layer LTSM: did you mean LSTM?"
    # the Dense is not wired to the embedding: its input size comes from the unknown layer
    assert data["layers"][2]["trainable"] is None and "ltsm" in reasons["dense"] and "input shape" not in reasons["dense"]


def test_complete_typo_text_output_names_it(cli):
    result = cli("params", "Embedding(1000, 16)", "LTSM(32)", "Dense(1)")
    assert "INCOMPLETE" in result.out and "did you mean LSTM?" in result.out


@pytest.mark.parametrize(
    "code, shape, spelled",
    [
        ("Conv2D(8, (5,5), stride=2)", "32,32,3", "unknown keyword stride (Keras spells it strides)"),
        ("nn.Conv2d(3, 8, 5, strides=2)", "3,32,32", "unknown keyword strides (PyTorch spells it stride)"),
        ("LSTM(32, return_sequence=True)", "10,4", "unknown keyword return_sequence (Keras spells it return_sequences)"),
        ("nn.LSTM(4, 8, batchfirst=True)", None, "unknown keyword batchfirst (PyTorch spells it batch_first)"),
        ("Dense(8, use_bais=False)", "4", "unknown keyword use_bais (Keras spells it use_bias)"),
        ("nn.Linear(4, 8, bias_=False)", None, "unknown keyword bias_ (PyTorch spells it bias)"),
        ("MaxPooling2D(pool=2)", "8,8,3", "unknown keyword pool"),
    ],
)
def test_complete_unknown_keyword_named_with_the_framework_spelling(cli, code, shape, spelled):
    result = cli("params", code, *(("--input-shape", shape) if shape else ()), "--json")
    data = payload(result)
    assert result.code == 1 and data["complete"] is False
    assert data["layers"][0]["problems"][0].startswith(spelled)


def test_complete_missing_size_is_not_a_total_of_zero(cli):
    result = cli("params", "Conv2D(8, 5)")
    assert result.code == 1
    assert "Total params: 0 counted, INCOMPLETE" in result.out and "needs c_in" in result.out
    data = payload(cli("params", "Conv2D(8, 5)", "--json"))
    assert data["complete"] is False and data["problems"][0]["reason"].startswith("needs c_in: no input shape given")


FILE_WITH_UNKNOWN = """\
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, 3),
    MyAttentionBlock(8),
    layers.Flatten(),
    layers.Dense(10),
])
"""


def test_complete_file_with_unknown_layer_blames_it_not_the_input_shape(tmp_path, cli):
    path = tmp_path / "model.py"
    path.write_text(FILE_WITH_UNKNOWN)
    data = payload(cli("params", str(path), "--json"))
    assert data["complete"] is False
    dense = next(p for p in data["problems"] if p["layer"] == "dense")
    assert "my_attention_block" in dense["reason"] and "line 4" in dense["reason"] and "--input-shape" not in dense["reason"]


def test_complete_comma_thousands_hint_when_the_call_fails(cli):
    result = cli("params", 'Embedding(1,000, 16, input_length=200)')
    assert result.code == 2
    assert "1,000 is two arguments in Python (1 and 000): write 1000 or 1_000" in result.err


def test_complete_comma_thousands_hint_when_the_call_reads(cli):
    data = payload(cli("params", "Dense(1,000)", "--input-shape", "4", "--json"))
    assert data["complete"] is False and "1,000 is two arguments" in data["layers"][0]["problems"][0]


def test_complete_imported_bare_name_is_a_layer():
    code = "from tensorflow.keras.layers import Dense, FancyLayer\nmodel = Sequential([Dense(4, input_shape=(3,))])\nFancyLayer(3)\n"
    summary = summarize_code(code)
    assert [r.layer.name for r in summary.rows] == ["Dense", "FancyLayer"] and not summary.complete


def test_complete_imported_module_class_is_named_not_dropped():
    code = """
from torch import nn
from mylib import Block

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block(64)
        self.fc = nn.Linear(64, 2)

    def forward(self, x):
        return self.fc(self.block(x))
"""
    summary = summarize_code(code)
    assert [(r.layer.name, r.counted) for r in summary.rows] == [("Block", False), ("Linear", True)]
    assert not summary.complete


def test_complete_both_conventions_exit_1_when_incomplete(cli):
    result = cli("params", "Dense(8)", "Mystery()", "--input-shape", "4", "--framework", "both")
    assert result.code == 1 and "unknown layer Mystery" in result.out


def test_complete_known_layers_exit_0(cli):
    assert cli("params", "LSTM(32)", "--input-shape", "200,16").code == 0


def test_complete_class_defined_in_file_without_forward_is_named():
    summary = summarize_code("class Custom(keras.layers.Layer):\n    pass\n\nmodel = Sequential([Dense(3, input_shape=(2,)), Custom()])")
    assert "a class defined in this code (line 1)" in summary.rows[1].problems[0]


def _mutations(word: str) -> list[str]:
    drops = [word[:i] + word[i + 1 :] for i in range(len(word))]
    swaps = [word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)]
    return [w for w in drops + swaps + [word + "s"] if w and w.isidentifier()]


_KERAS_CASES = [(name, param) for name, params in KERAS_SIGNATURES.items() if name in KERAS_LAYERS for param in params]
_TORCH_CASES = [(name, param) for name, params in TORCH_SIGNATURES.items() if name in TORCH_LAYERS for param in params]


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(_KERAS_CASES + _TORCH_CASES), pick=st.integers(0, 10_000), torch_side=st.booleans())
def test_complete_any_misspelled_keyword_is_never_silently_accepted(case, pick, torch_side):
    name, parameter = case
    dialect = "pytorch" if (name, parameter) in _TORCH_CASES and (torch_side or (name, parameter) not in _KERAS_CASES) else "keras"
    _, accepted = signature(dialect, name)
    candidates = [w for w in _mutations(parameter) if w not in accepted and w not in ("True", "False", "None")]
    if not candidates:
        return
    typo = candidates[pick % len(candidates)]
    prefix = "nn." if dialect == "pytorch" else "layers."
    try:
        layer = next(layer for layer in __import__("handnets.params.reader", fromlist=["read_model"]).read_model(f"{prefix}{name}({typo}=1)", framework=dialect).layers)
    except InvalidSpec:
        return  # the call cannot be read at all (a required argument missing): exit 2, not a silent count
    assert any(typo in problem for problem in layer.problems)
