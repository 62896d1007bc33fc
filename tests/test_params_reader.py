"""Reading model code with ``ast``: real snippets in both frameworks, unknown layers, malformed code."""

from __future__ import annotations


import pytest

from handnets.errors import InvalidSpec
from _bounded import run_bounded
from handnets.params import count_parameters, read_model, summarize_code
from handnets.params.reader import MAX_CODE_CHARACTERS, MAX_LAYERS

FUNCTIONAL = """
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(8, 5, activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, epochs=3)
print(model.summary())
"""

TORCH_MODULE = """
import torch
import torch.nn as nn
import torch.nn.functional as F

HIDDEN = 64

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, kernel_size=5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(6 * 12 * 12, HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))
"""

ORDERED = """
from collections import OrderedDict
from torch import nn
model = nn.Sequential(OrderedDict([
    ("fc", nn.Linear(4, 8)),
    ("act", nn.ReLU()),
    ("out", nn.Linear(8, 2)),
]))
"""


def test_reader_keras_functional_chain_in_source_order():
    summary = summarize_code(FUNCTIONAL)
    assert [r.layer.kind for r in summary.rows] == ["input", "conv", "pool", "flatten", "dense"]
    assert [r.output_shape for r in summary.rows] == [(32, 32, 3), (28, 28, 8), (14, 14, 8), (1568,), (10,)]
    assert summary.total == 608 + 1568 * 10 + 10


def test_reader_pytorch_module_init_constructors_with_constants():
    summary = summarize_code(TORCH_MODULE)
    assert summary.framework == "pytorch"
    assert [r.layer.name for r in summary.rows] == ["Conv2d", "MaxPool2d", "Flatten", "Linear", "Linear"]  # forward's order, torch.flatten a layer
    assert summary.total == (6 * 25 + 6) + (864 * 64 + 64) + (64 * 10 + 10)


def test_reader_pytorch_module_shapes_from_input_shape():
    summary = summarize_code(TORCH_MODULE, input_shape=(1, 28, 28))
    assert summary.rows[1].output_shape == (6, 12, 12)


def test_reader_sequential_ordered_dict():
    assert [layer.name for layer in read_model(ORDERED).layers] == ["Linear", "ReLU", "Linear"]
    assert count_parameters(ORDERED) == 40 + 18


def test_reader_keras_input_shape_keyword_and_sequential_list():
    code = "model = Sequential([LSTM(32, input_shape=(200, 16)), Dense(1)])"
    summary = summarize_code(code)
    assert [r.trainable for r in summary.rows] == [6272, 33]


def test_reader_bidirectional_wraps_the_inner_layer():
    summary = summarize_code("Bidirectional(LSTM(8, return_sequences=True), merge_mode='sum')", input_shape=(5, 3))
    row = summary.rows[0]
    assert row.layer.name == "Bidirectional(LSTM)"
    assert row.trainable == 2 * 4 * (3 * 8 + 8 * 8 + 8)
    assert row.output_shape == (5, 8)


def test_reader_unknown_layers_listed_and_known_still_summed():
    code = "model = nn.Sequential(nn.Linear(4, 8), MyBlock(8), nn.Bilinear(8, 8, 8), nn.Linear(8, 2))"
    summary = summarize_code(code)
    kinds = [(r.layer.kind, r.layer.name) for r in summary.rows]
    assert kinds == [("dense", "Linear"), ("unknown", "MyBlock"), ("unknown", "Bilinear"), ("dense", "Linear")]
    assert summary.total == 40 + 18
    assert [r.name for r in summary.uncounted] == ["my_block", "bilinear"]
    assert not summary.complete


def test_reader_keras_layer_after_unknown_is_listed_but_not_counted():
    summary = summarize_code("Sequential([Dense(8, input_shape=(4,)), Custom(), Dense(2)])")
    assert [r.trainable for r in summary.rows] == [40, None, None]
    assert summary.total == 40
    assert summary.rows[2].problems == ("needs n_in: the input comes from custom (Custom, line 1), an unknown layer",)


def test_reader_ignores_calls_that_are_not_layers():
    code = "import torch\nx = torch.zeros(3, 4)\nprint(x)\nF.relu(x)\nnn.init.xavier_uniform_(w)\nlayer = nn.Linear(3, 4)"
    assert [layer.name for layer in read_model(code).layers] == ["Linear"]


@pytest.mark.parametrize(
    "code, dialect",
    [
        ("from torch import nn\nLSTM(4, 8)", "pytorch"),
        ("from tensorflow.keras.layers import LSTM\nLSTM(8)", "keras"),
        ("Linear(3, 4)\nLSTM(4, 8)", "pytorch"),
        ("Dense(3)\nLSTM(8)", "keras"),
        ("LSTM(8)", "keras"),
    ],
)
def test_reader_dialect_from_imports_and_names(code, dialect):
    model = read_model(code)
    assert model.layers[-1].dialect == dialect


def test_reader_bare_name_that_fits_only_one_signature():
    # asked to read ambiguous names as PyTorch, LSTM(32) still cannot be nn.LSTM (no hidden_size)
    layer = read_model("LSTM(32)", framework="pytorch").layers[0]
    assert (layer.dialect, layer.option("units")) == ("keras", 32)


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("model = Sequential([\n    Dense(8),\n    Dense(4\n])", "line 4"),
        ("Dense(units)", "line 1: Dense: units=units is not a literal"),
        ("x = 1\n\nnn.Linear(3, 4, True, 5, 6, 7)", "line 3: Linear takes at most 5 positional arguments"),
        ("nn.LSTM(8)", "LSTM needs hidden_size"),
        ("Dense(-3)", "units must be an integer >= 1, got -3"),
        ("Dense(8, use_bias='yes')", "use_bias must be True or False"),
        ("Conv2D(8, (3, 3, 3))", "kernel_size must be an integer >= 1 or 2 of them"),
        ("Conv2D(8, 3, padding='full')", "padding must be 'valid', 'same' or integers"),
        ("Dense(10**10**10)", "not a literal"),
        ("Dense(999999999 * 999999999)", "not a literal"),
        ("n = 4\nn = 5\nDense(n)", "not a literal"),
        ("nn.Linear(*sizes)", "*args and **kwargs"),
        ("Bidirectional(Dense(3))", "wraps a recurrent layer"),
        ("nn.Linear(3, in_features=4)", "in_features given twice"),
        ("Input()", "Input needs shape="),
        ("nn.Conv2d(3, 8, 3, groups=2)", "divisible by groups=2"),
    ],
)
def test_reader_malformed_code_names_the_line(code, fragment):
    with pytest.raises(InvalidSpec) as info:
        summarize_code(code)
    assert fragment in str(info.value)


def test_reader_syntax_error_message_shows_line_and_text():
    with pytest.raises(InvalidSpec) as info:
        read_model("model = Sequential()\nmodel.add(Dense(8)\n", source="bad.py")
    message = str(info.value)
    assert message.startswith("bad.py: line 2") and "not valid Python" in message


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("Dense(" + "9" * 5000 + ")", "an integer literal of more than 4,300 digits"),
        ("x" * (MAX_CODE_CHARACTERS + 1), "longer than the 256,000 allowed"),
        ("x = " + "+".join(["1"] * 100_000) + "\nDense(8)", "too deeply to parse"),
        ("Dense(" + "+".join(["1"] * 900) + ")", "line 1: expressions nested or chained more than 100 levels deep"),
        ("a" + ".b" * 900 + "(8)", "line 1: expressions nested or chained more than 100 levels deep"),
        ("Dense(8)\x00", "line 1: a NUL byte"),
        ("\n".join(["Dense(4)"] * (MAX_LAYERS + 1)), f"line {MAX_LAYERS + 1}: more than 2,000 layers"),
    ],
    ids=["int-5000", "too-long", "chain-100k", "chain-900", "attributes-900", "nul", "too-many-layers"],
)
def test_reader_hostile_input_gets_a_real_reason(code, fragment):
    with pytest.raises(InvalidSpec) as info:
        summarize_code(code)
    assert fragment in str(info.value)


def test_reader_layers_at_the_cap_are_read():
    assert len(read_model("\n".join(["Dense(4)"] * MAX_LAYERS)).layers) == MAX_LAYERS


@pytest.mark.parametrize(("layers", "fragment"), [(25_000, "more than 2,000 layers"), (99_000, "longer than the 256,000 allowed")])
def test_reader_many_layers_are_refused_in_a_bounded_child(layers, fragment):
    code = (
        "from handnets.params.reader import read_model\nfrom handnets.errors import InvalidSpec\n"
        f"text = '\\n'.join(f'Dense({{i % 9 + 1}})' for i in range({layers}))\n"
        "try:\n    read_model(text)\nexcept InvalidSpec as exc:\n    print(exc)\n"
    )
    done = run_bounded(code, seconds=60, memory=1 << 30)
    assert fragment in done.stdout, done.stderr[-400:]


def test_reader_tree_within_the_depth_limit_reaches_the_literal_reader():
    # 50 chained terms pass the depth check; the literal reader then declines them with its own reason
    with pytest.raises(InvalidSpec, match="is not a literal this reader can evaluate"):
        read_model("Dense(" + "+".join(["1"] * 50) + ")")


def test_reader_constants_through_arithmetic():
    code = "VOCAB = 1000\nDIM = 2 * 8\nmodel = Sequential([Embedding(VOCAB, DIM, input_length=VOCAB // 5), LSTM(DIM * 2)])"
    summary = summarize_code(code)
    assert [r.trainable for r in summary.rows] == [16000, 6272]
    assert summary.rows[0].output_shape == (200, 16)


def test_reader_no_layers_is_an_empty_model():
    assert read_model("x = 1\nprint(x)").layers == ()


def test_reader_legacy_input_dim_on_recurrent_and_dense():
    summary = summarize_code("Sequential([SimpleRNN(128, input_dim=20, return_sequences=True), Dense(10)])")
    assert [(r.output_shape, r.trainable) for r in summary.rows] == [((None, 128), 19072), ((None, 10), 1290)]
    assert count_parameters("Sequential([Dense(8, input_dim=4)])") == 40
