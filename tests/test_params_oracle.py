"""Parameter formulas against the sizes of the weight arrays the frameworks allocate, for random sizes.

The oracle below builds numpy arrays with exactly the shapes each framework documents for each layer
(PyTorch ``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, H or proj), ``bias_ih``/``bias_hh``,
``weight_hr`` for proj_size; Keras ``kernel`` (in, G*u), ``recurrent_kernel`` (u, G*u), ``bias`` (G*u) or
(2, 3u) for GRU with reset_after; BatchNorm's trainable gamma/beta, non-trainable moving statistics,
PyTorch buffers). It never uses handnets' formulas; the layers reach handnets as code text.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.params import SIZES, layer_formula, summarize_code
from handnets.params.layers import Layer

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TORCH_NAME = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
KERAS_NAME = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def arrays(*shapes):
    return [np.empty(shape, dtype=np.int8) for shape in shapes]


def size(tensors) -> int:
    return int(sum(t.size for t in tensors))


# --- the oracle: what the frameworks allocate ------------------------------------------------------


def torch_recurrent(kind, n_in, hidden, num_layers=1, bias=True, bidirectional=False, proj_size=0):
    gates = GATES[kind]
    real_hidden = proj_size or hidden
    directions = 2 if bidirectional else 1
    params = []
    for layer in range(num_layers):
        layer_input = n_in if layer == 0 else directions * real_hidden
        for _ in range(directions):
            params += arrays((gates * hidden, layer_input), (gates * hidden, real_hidden))  # weight_ih_l{k}, weight_hh_l{k}
            if bias:
                params += arrays((gates * hidden,), (gates * hidden,))  # bias_ih_l{k}, bias_hh_l{k}
            if proj_size:
                params += arrays((proj_size, hidden))  # weight_hr_l{k}
    return params


def keras_recurrent(kind, n_in, units, use_bias=True, reset_after=True, bidirectional=False):
    gates = GATES[kind]
    weights = []
    for _ in range(2 if bidirectional else 1):
        weights += arrays((n_in, gates * units), (units, gates * units))  # kernel, recurrent_kernel
        if use_bias:
            weights += arrays((2, 3 * units) if kind == "gru" and reset_after else (gates * units,))
    return weights


def torch_batchnorm(features, affine=True, track_running_stats=True):
    params = arrays((features,), (features,)) if affine else []  # weight, bias
    buffers = arrays((features,), (features,), ()) if track_running_stats else []  # running_mean, running_var, num_batches_tracked
    return params, buffers


def keras_batchnorm(features, center=True, scale=True):
    trainable = arrays(*([(features,)] * (int(center) + int(scale))))  # gamma, beta
    return trainable, arrays((features,), (features,))  # moving_mean, moving_variance


# --- hypothesis: formula == oracle ------------------------------------------------------------------

sizes = st.integers(1, 40)
flags = st.booleans()


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["rnn", "lstm", "gru"]), n_in=sizes, hidden=st.integers(2, 40), num_layers=st.integers(1, 4), bias=flags, bidirectional=flags, proj=st.integers(0, 39))
def test_oracle_torch_recurrent_matches_allocated_arrays(kind, n_in, hidden, num_layers, bias, bidirectional, proj):
    proj_size = proj % hidden if kind == "lstm" else 0
    code = f"nn.{TORCH_NAME[kind]}({n_in}, {hidden}, num_layers={num_layers}, bias={bias}, bidirectional={bidirectional}" + (f", proj_size={proj_size})" if kind == "lstm" else ")")
    row = summarize_code(code, framework="pytorch").rows[0]
    expected = size(torch_recurrent(kind, n_in, hidden, num_layers, bias, bidirectional, proj_size))
    assert (row.trainable, row.non_trainable, row.buffers) == (expected, 0, 0)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["rnn", "lstm", "gru"]), n_in=sizes, units=sizes, steps=sizes, use_bias=flags, reset_after=flags, bidirectional=flags)
def test_oracle_keras_recurrent_matches_allocated_arrays(kind, n_in, units, steps, use_bias, reset_after, bidirectional):
    layer = f"{KERAS_NAME[kind]}({units}, use_bias={use_bias}" + (f", reset_after={reset_after})" if kind == "gru" else ")")
    code = f"Bidirectional({layer})" if bidirectional else layer
    row = summarize_code(code, framework="keras", input_shape=(steps, n_in)).rows[0]
    expected = size(keras_recurrent(kind, n_in, units, use_bias, reset_after, bidirectional))
    assert (row.trainable, row.non_trainable) == (expected, 0)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["rnn", "lstm", "gru"]), n_in=sizes, hidden=sizes, bidirectional=flags)
def test_oracle_keras_code_under_pytorch_convention_counts_two_biases(kind, n_in, hidden, bidirectional):
    layer = f"{KERAS_NAME[kind]}({hidden})"
    code = f"Bidirectional({layer})" if bidirectional else layer
    row = summarize_code(code, framework="pytorch", input_shape=(5, n_in)).rows[0]
    assert row.trainable == size(torch_recurrent(kind, n_in, hidden, bidirectional=bidirectional))


@settings(max_examples=50, deadline=None)
@given(n_in=sizes, units=sizes, bias=flags)
def test_oracle_dense_and_linear(n_in, units, bias):
    keras = summarize_code(f"Dense({units}, use_bias={bias})", input_shape=(n_in,)).rows[0]
    torch = summarize_code(f"nn.Linear({n_in}, {units}, bias={bias})").rows[0]
    assert keras.trainable == size(arrays((n_in, units), *([(units,)] if bias else [])))
    assert torch.trainable == size(arrays((units, n_in), *([(units,)] if bias else [])))


@settings(max_examples=30, deadline=None)
@given(vocab=st.integers(1, 5000), dim=sizes, length=sizes)
def test_oracle_embedding(vocab, dim, length):
    keras = summarize_code(f"Embedding({vocab}, {dim}, input_length={length})").rows[0]
    torch = summarize_code(f"nn.Embedding({vocab}, {dim})").rows[0]
    assert keras.trainable == torch.trainable == size(arrays((vocab, dim)))
    assert keras.output_shape == (length, dim)


@settings(max_examples=60, deadline=None)
@given(group_count=st.integers(1, 4), per_in=st.integers(1, 6), per_out=st.integers(1, 6), kh=st.integers(1, 5), kw=st.integers(1, 5), bias=flags, rank=st.sampled_from([1, 2]))
def test_oracle_convolution_with_groups(group_count, per_in, per_out, kh, kw, bias, rank):
    c_in, c_out = group_count * per_in, group_count * per_out
    kernel = (kh, kw) if rank == 2 else (kh,)
    kernel_text = f"({kh}, {kw})" if rank == 2 else f"{kh}"
    torch = summarize_code(f"nn.Conv{rank}d({c_in}, {c_out}, {kernel_text}, groups={group_count}, bias={bias})").rows[0]
    spatial = (9,) * rank
    keras = summarize_code(f"Conv{rank}D({c_out}, {kernel_text}, groups={group_count}, use_bias={bias})", input_shape=(*spatial, c_in)).rows[0]
    bias_arrays = [(c_out,)] if bias else []
    assert torch.trainable == size(arrays((c_out, c_in // group_count, *kernel), *bias_arrays))
    assert keras.trainable == size(arrays((*kernel, c_in // group_count, c_out), *bias_arrays))


@settings(max_examples=40, deadline=None)
@given(features=sizes, affine=flags, track=flags, center=flags, scale=flags)
def test_oracle_batchnorm_both_conventions(features, affine, track, center, scale):
    torch = summarize_code(f"nn.BatchNorm2d({features}, affine={affine}, track_running_stats={track})").rows[0]
    params, buffers = torch_batchnorm(features, affine, track)
    assert (torch.trainable, torch.non_trainable, torch.buffers) == (size(params), 0, size(buffers))
    keras = summarize_code(f"BatchNormalization(center={center}, scale={scale})", input_shape=(4, 4, features)).rows[0]
    trainable, moving = keras_batchnorm(features, center, scale)
    assert (keras.trainable, keras.non_trainable, keras.buffers) == (size(trainable), size(moving), 0)


@settings(max_examples=30, deadline=None)
@given(features=sizes, rows=sizes)
def test_oracle_layernorm(features, rows):
    torch = summarize_code(f"nn.LayerNorm(({rows}, {features}))").rows[0]
    assert torch.trainable == size(arrays((rows, features), (rows, features)))
    keras = summarize_code("LayerNormalization()", input_shape=(rows, features)).rows[0]
    assert keras.trainable == size(arrays((features,), (features,)))


@pytest.mark.parametrize(
    "code",
    ["MaxPooling2D()", "AveragePooling2D(2)", "GlobalAveragePooling2D()", "Flatten()", "Dropout(0.5)", "Activation('relu')", "ReLU()", "SpatialDropout2D(0.1)"],
)
def test_oracle_zero_parameter_layers(code):
    row = summarize_code(code, input_shape=(8, 8, 3)).rows[0]
    assert (row.trainable, row.non_trainable, row.formula.terms) == (0, 0, ())


# --- closed forms as the textbooks write them ------------------------------------------------------

n, h = SIZES["n_in"], SIZES["h"]


@pytest.mark.parametrize(
    "kind, framework, options, textbook",
    [
        ("rnn", "keras", {}, h * (n + h + 1)),
        ("rnn", "pytorch", {}, h * (n + h + 2)),
        ("lstm", "keras", {}, 4 * (n * h + h * h + h)),
        ("lstm", "pytorch", {}, 4 * (n * h + h * h + 2 * h)),
        ("gru", "keras", {"reset_after": True}, 3 * (n * h + h * h + 2 * h)),
        ("gru", "keras", {"reset_after": False}, 3 * (n * h + h * h + h)),
        ("gru", "pytorch", {}, 3 * (n * h + h * h + 2 * h)),
    ],
)
def test_formula_recurrent_closed_form_matches_textbook(kind, framework, options, textbook):
    layer = Layer(kind, kind.upper(), framework, (("units", 7), ("input_size", 3), *options.items()))
    assert sympy.expand(layer_formula(layer, framework).expression() - textbook) == 0


def test_formula_terms_name_the_tensors_and_sum_to_the_value():
    layer = Layer("lstm", "LSTM", "pytorch", (("units", 13), ("input_size", 7), ("num_layers", 2), ("bidirectional", True), ("proj_size", 5)))
    formula = layer_formula(layer, "pytorch")
    assert [t.tensors for t in formula.terms] == ["weight_ih_l0", "weight_ih_l{k}, k >= 1", "weight_hh_l{k}", "bias_ih_l{k} + bias_hh_l{k}", "weight_hr_l{k}"]
    assert sum(formula.evaluate(t.count) for t in formula.terms) == formula.value() == size(torch_recurrent("lstm", 7, 13, 2, True, True, 5))


def test_formula_unknown_size_stays_symbolic():
    formula = layer_formula(Layer("dense", "Dense", "keras", (("units", 8),)), "keras")
    assert formula.value() is None
    assert formula.missing == ("n_in",)
    assert str(formula.compact()) == "n_out*(n_in + 1)"
