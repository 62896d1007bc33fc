"""The built-in examples of problem P4, checked for ``python -m handnets.verify``.

Each example is model code read by the same reader a student's file goes through, summarised,
and compared with an oracle that does not use the formulas: the list of tensors the framework
allocates for that model (shapes as the framework's documentation gives them, sized with numpy),
or a published total (VGG-16's 138,357,544). The unrolled-graph argument and the PixelCNN versus
multidimensional-RNN asymptotics are checked here too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handnets.checks import Check
from handnets.params.cost import forward_cost
from handnets.params.asymptotics import MDRNN, PIXELCNN, Asymptotics, analyse, enumerate_connections, longest_chain
from handnets.params.model import Summary, summarize_code
from handnets.params.unroll import UnrolledGraph, unroll_vanilla_rnn

__all__ = ["Example", "ParamsReport", "EXAMPLES", "check_examples", "example"]

VANILLA_RNN = """\
model = keras.Sequential([
    keras.Input(shape=(None, 20)),
    layers.SimpleRNN(128, return_sequences=True),  # W_xh, W_hh, b_h
    layers.Dense(10),                              # W_hy, b_y
])
"""

KERAS_CLASSIFIER = """\
model = keras.Sequential()
model.add(layers.Embedding(1000, 16, input_length=200))
model.add(layers.LSTM(32, dropout=0.1, recurrent_dropout=0.1))
model.add(layers.Flatten())
model.add(layers.Dropout(0.1))
model.add(layers.Dense(256, activation="sigmoid"))
model.add(layers.Dense(1, activation="sigmoid"))
"""

CONV_8_FILTERS = """\
model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(8, (5, 5), strides=1, padding="valid"),
])
"""


RESIDUAL_BLOCK = """\
inputs = keras.Input(shape=(32, 32, 16))
x = layers.Conv2D(16, 3, padding="same")(inputs)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
y = layers.Conv2D(16, 3, padding="same")(x)
x = layers.Add()([x, y])                       # the residual: two inputs, no weights
outputs = layers.GlobalAveragePooling2D()(x)
model = keras.Model(inputs, outputs)
"""


def _vgg16_keras() -> str:
    lines = ["model = keras.Sequential([", "    keras.Input(shape=(224, 224, 3)),"]
    for filters, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        lines += [f'    layers.Conv2D({filters}, 3, padding="same", activation="relu"),'] * convs
        lines.append("    layers.MaxPooling2D(pool_size=2, strides=2),")
    lines += ["    layers.Flatten(),", '    layers.Dense(4096, activation="relu"),', '    layers.Dense(4096, activation="relu"),', '    layers.Dense(1000, activation="softmax"),', "])", ""]
    return "\n".join(lines)


VGG16_KERAS = _vgg16_keras()

# What the frameworks allocate, written from their documentation (not from the formulas):
# Keras SimpleRNN: kernel (in, u), recurrent_kernel (u, u), bias (u); Dense: kernel (in, out), bias (out);
# Embedding: embeddings (V, E); LSTM: kernel (in, 4u), recurrent_kernel (u, 4u), bias (4u);
# Conv2D: kernel (kh, kw, c_in, filters), bias (filters).
_ORACLE_TENSORS = {
    "vanilla_rnn": (("W_xh = kernel", (20, 128)), ("W_hh = recurrent_kernel", (128, 128)), ("b_h", (128,)), ("W_hy = dense kernel", (128, 10)), ("b_y", (10,))),
    "keras_classifier": (
        ("embeddings", (1000, 16)),
        ("lstm kernel", (16, 128)),
        ("lstm recurrent_kernel", (32, 128)),
        ("lstm bias", (128,)),
        ("dense kernel", (32, 256)),
        ("dense bias", (256,)),
        ("dense_1 kernel", (256, 1)),
        ("dense_1 bias", (1,)),
    ),
    "conv_8_filters": (("kernel", (5, 5, 3, 8)), ("bias", (8,))),
    # BatchNormalization: gamma, beta, moving_mean, moving_variance (C,) each
    "residual_block": (
        ("conv2d kernel", (3, 3, 16, 16)),
        ("conv2d bias", (16,)),
        ("gamma", (16,)),
        ("beta", (16,)),
        ("moving_mean", (16,)),
        ("moving_variance", (16,)),
        ("conv2d_1 kernel", (3, 3, 16, 16)),
        ("conv2d_1 bias", (16,)),
    ),
}
VGG16_RECEPTIVE_FIELD = 212  # pool5 of VGG-16, as the receptive-field tables (e.g. Araujo et al., Distill 2019) give it
VGG16_PUBLISHED_TOTAL = 138_357_544  # keras.applications.VGG16(include_top=True).count_params()


@dataclass(frozen=True, slots=True)
class Example:
    """One built-in model: its code, its summary, and the oracle's total."""

    name: str
    title: str
    code: str
    input_shape: tuple[int | None, ...] | None
    summary: Summary
    expected_total: int
    oracle: str


@dataclass(frozen=True, slots=True)
class ParamsReport:
    """The P4 examples, the unrolled graphs, the asymptotics, and the verdicts."""

    examples: tuple[Example, ...]
    pytorch_classifier: Summary
    unrolled: tuple[UnrolledGraph, ...]
    asymptotics: tuple[Asymptotics, ...]
    checks: tuple[Check, ...]


EXAMPLES = (
    ("vanilla_rnn", "Vanilla RNN 20-128-10", VANILLA_RNN),
    ("keras_classifier", "Keras text classifier", KERAS_CLASSIFIER),
    ("conv_8_filters", "8 filters of 5x5 over 32x32x3", CONV_8_FILTERS),
    ("residual_block", "A residual block in Keras' functional API", RESIDUAL_BLOCK),
    ("vgg16", "VGG-16 stack over 224x224x3", VGG16_KERAS),
)


def _oracle_total(name: str) -> tuple[int, str]:
    if name == "vgg16":
        return VGG16_PUBLISHED_TOTAL, "published VGG-16 total (Keras VGG16 count_params)"
    tensors = _ORACLE_TENSORS[name]
    total = int(sum(np.zeros(shape, dtype=np.int8).size for _, shape in tensors))
    return total, "sizes of the tensors Keras allocates: " + ", ".join(f"{label} {shape}" for label, shape in tensors)


def example(name: str, framework: str | None = None) -> Summary:
    """The summary of one built-in example by name (``vanilla_rnn``, ``keras_classifier``, ...)."""
    for key, _, code in EXAMPLES:
        if key == name:
            return summarize_code(code, framework=framework, source=name)
    raise KeyError(name)


def check_examples() -> ParamsReport:
    """Compute the P4 examples and check each against its oracle."""
    examples = []
    checks = []
    for name, title, code in EXAMPLES:
        summary = summarize_code(code, framework="keras", source=name)
        expected, oracle = _oracle_total(name)
        examples.append(Example(name, title, code, None, summary, expected, oracle))
        checks.append(Check(f"params: {title} has {expected} parameters", summary.complete and summary.total == expected, oracle, f"formulas give {summary.total}"))
    by_name = {e.name: e for e in examples}

    conv = by_name["conv_8_filters"].summary
    shape = conv.output_shape
    checks.append(
        Check(
            "params: 8 filters of 5x5 on 32x32x3 give a 28x28x8 output (6272 values)",
            shape == (28, 28, 8) and int(np.prod(shape)) == 6272,
            "(W - F + 2P)/S + 1 = (32 - 5 + 0)/1 + 1 = 28 per axis, 8 filters",
            f"output shape {shape}",
        )
    )
    vgg = by_name["vgg16"].summary
    pooled = next(r.output_shape for r in reversed(vgg.rows) if r.layer.kind == "pool")
    checks.append(Check("params: VGG-16 feature map before the classifier is 7x7x512", pooled == (7, 7, 512), "224 halved five times is 7", f"last pooling gives {pooled}"))
    residual = by_name["residual_block"].summary
    add = next(r for r in residual.rows if r.layer.kind == "merge")
    checks.append(
        Check(
            "params: the residual Add reads two layers and keeps the 32x32x16 shape",
            [residual.rows[i].name for i in add.inputs] == ["activation", "conv2d_1"] and add.output_shape == (32, 32, 16),
            "x = Add()([x, y]): the wiring of the functional API, followed without running the code",
            f"Add reads {[residual.rows[i].name for i in add.inputs]}, gives {add.output_shape}",
        )
    )
    conv_cost = forward_cost(conv)
    windows = int(np.ones((28, 28, 8), dtype=np.int64).sum()) * int(np.ones((5, 5, 3), dtype=np.int64).sum())
    checks.append(
        Check(
            "params: the 8 filters take 470,400 multiply-accumulates (940,800 FLOPs) on one image",
            conv_cost.macs == windows == 470_400,
            "one MAC per output value (28 x 28 x 8) per weight of its 5 x 5 x 3 window; FLOPs = 2 x MACs",
            f"formula {conv_cost.layers[-1].macs} gives {conv_cost.macs}",
        )
    )
    field = forward_cost(vgg).receptive_field
    checks.append(
        Check(
            "params: VGG-16's last pooling sees 212 x 212 input pixels",
            field == (VGG16_RECEPTIVE_FIELD, VGG16_RECEPTIVE_FIELD),
            "r += (k - 1) j, j *= s through 13 convolutions and 5 poolings, against the published figure",
            f"receptive field {field}",
        )
    )
    vgg_torch = summarize_code(VGG16_KERAS, framework="pytorch", source="vgg16")
    checks.append(Check("params: VGG-16 counts the same under the PyTorch convention", vgg_torch.total == vgg.total, "no recurrent layers, no batch norm: the conventions agree", f"pytorch {vgg_torch.total}"))

    pytorch_classifier = summarize_code(KERAS_CLASSIFIER, framework="pytorch", source="keras_classifier")
    lstm_torch = next(r for r in pytorch_classifier.rows if r.layer.kind == "lstm")
    torch_lstm_oracle = int(sum(np.zeros(s, dtype=np.int8).size for s in ((128, 16), (128, 32), (128,), (128,))))
    checks.append(
        Check(
            "params: the classifier's LSTM has 6400 parameters under the PyTorch convention",
            lstm_torch.trainable == torch_lstm_oracle == 6400,
            "weight_ih_l0 (128, 16), weight_hh_l0 (128, 32), bias_ih_l0 (128), bias_hh_l0 (128)",
            f"formula gives {lstm_torch.trainable}; Keras gives 6272 (one bias vector)",
        )
    )

    unrolled = tuple(unroll_vanilla_rnn(20, 128, 10, steps) for steps in (5, 10))
    counts = [g.distinct_count for g in unrolled]
    uses = [g.parameter_uses for g in unrolled]
    checks.append(
        Check(
            "params: unrolling the vanilla RNN for 5 or 10 steps leaves 20362 distinct parameters",
            counts == [20362, 20362] and uses == [25, 50] and counts[0] == by_name["vanilla_rnn"].summary.total,
            "walk back from y_1..y_T through the unrolled graph and collect the parameter tensors reached",
            f"distinct {counts}; parameter uses {uses}; without sharing it would be {[g.unshared_count for g in unrolled]}",
        )
    )

    asymptotics = (analyse(PIXELCNN), analyse(MDRNN))
    grid_ok = True
    worst = ""
    for result in asymptotics:
        for layers, channels, height, width in ((1, 1, 3, 4), (2, 2, 4, 3), (3, 1, 5, 5)):
            sizes = {"d": layers, "k": channels, "H": height, "W": width}
            subs = {s: sizes[str(s)] for s in result.connections.free_symbols | result.steps.free_symbols}
            steps = int(result.steps.subs(subs))
            connections = int(result.connections.subs(subs))
            if steps != longest_chain(result.structure, layers, height, width) or connections != enumerate_connections(result.structure, layers, channels, height, width):
                grid_ok = False
                worst = f"{result.structure.name} at {sizes}"
    pixel, mdrnn = asymptotics
    checks.append(
        Check(
            "params: PixelCNN O(d k^2 H W) connections in O(d) steps; MD-RNN O(d k^2 H W) in O(d + H + W)",
            grid_ok and str(pixel.steps_order) == "d" and str(mdrnn.steps_order) == "H + W + d" and pixel.connections_order == mdrnn.connections_order,
            "closed forms against edge enumeration and longest-chain dynamic programming on small grids",
            worst or f"PixelCNN {pixel.connections}; MD-RNN {mdrnn.connections}",
        )
    )
    return ParamsReport(tuple(examples), pytorch_classifier, unrolled, asymptotics, tuple(checks))
