"""Output shapes: floor division as the frameworks do it, against window positions counted one by one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.errors import InvalidSpec
from handnets.params import conv_output_length, conv_output_shape, summarize_code


def count_windows(n: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """The oracle: slide the dilated window over the zero-padded axis and count where it fits."""
    span = dilation * (kernel - 1) + 1
    start, count = 0, 0
    while start + span <= n + 2 * padding:
        count += 1
        start += stride
    return count


def count_same_windows(n: int, stride: int) -> int:
    """'same' keeps one output per stride step that starts inside the input."""
    return len(range(0, n, stride))


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 60), kernel=st.integers(1, 7), stride=st.integers(1, 4), padding=st.integers(0, 3), dilation=st.integers(1, 3))
def test_shape_conv_length_matches_window_count(n, kernel, stride, padding, dilation):
    expected = count_windows(n, kernel, stride, padding, dilation)
    if expected == 0:
        with pytest.raises(InvalidSpec):
            conv_output_length(n, kernel, stride=stride, padding=padding, dilation=dilation)
    else:
        assert conv_output_length(n, kernel, stride=stride, padding=padding, dilation=dilation) == expected


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 60), kernel=st.integers(1, 7), stride=st.integers(1, 4))
def test_shape_keras_same_padding_is_ceil(n, kernel, stride):
    assert conv_output_length(n, kernel, stride=stride, padding="same", framework="keras") == count_same_windows(n, stride)


def test_shape_pytorch_same_needs_stride_1():
    assert conv_output_length(10, 3, padding="same") == 10
    with pytest.raises(InvalidSpec, match="only with stride 1"):
        conv_output_length(10, 3, stride=2, padding="same")


@pytest.mark.parametrize(
    "n, kernel, stride, padding, expected",
    [(5, 2, 2, 0, 3), (4, 2, 2, 0, 2), (6, 3, 2, 0, 3), (4, 2, 2, 1, 3), (7, 3, 3, 1, 3), (5, 3, 2, 1, 3)],
)
def test_shape_ceil_mode_as_pytorch(n, kernel, stride, padding, expected):
    # values from torch.nn.MaxPool1d(kernel, stride, padding, ceil_mode=True) on length n
    assert conv_output_length(n, kernel, stride=stride, padding=padding, ceil_mode=True) == expected


def test_shape_homework_conv_28x28x8():
    assert conv_output_shape((32, 32), (5, 5)) == (28, 28)
    assert summarize_code("Conv2D(8, 5)", input_shape=(32, 32, 3)).output_shape == (28, 28, 8)
    assert summarize_code("nn.Conv2d(3, 8, 5)", input_shape=(3, 32, 32)).output_shape == (8, 28, 28)


@pytest.mark.parametrize(
    "code, input_shape, expected",
    [
        ("Conv2D(4, 3, strides=2, padding='same')", (7, 7, 1), (4, 4, 4)),
        ("Conv2D(4, 3, dilation_rate=2)", (9, 9, 1), (5, 5, 4)),
        ("Conv2D(4, 3, data_format='channels_first')", (1, 9, 9), (4, 7, 7)),
        ("Conv1D(6, 5, strides=2)", (100, 8), (48, 6)),
        ("nn.Conv1d(8, 6, 5, stride=2, padding=2)", (8, 100), (6, 50)),
        ("MaxPooling2D(pool_size=3, strides=2)", (10, 10, 5), (4, 4, 5)),
        ("AveragePooling2D(padding='same')", (5, 5, 2), (3, 3, 2)),
        ("nn.MaxPool2d(3, stride=2, ceil_mode=True)", (5, 10, 10), (5, 5, 5)),
        ("nn.AdaptiveAvgPool2d((1, 1))", (512, 7, 7), (512, 1, 1)),
        ("GlobalAveragePooling2D()", (7, 7, 512), (512,)),
        ("nn.Flatten()", (512, 7, 7), (25088,)),
        ("nn.Flatten(start_dim=2)", (4, 5, 6), (4, 30)),
        ("Flatten()", (7, 7, 512), (25088,)),
        ("Reshape((-1, 4))", (2, 8), (4, 4)),
        ("LSTM(8, return_sequences=True)", (20, 3), (20, 8)),
        ("Bidirectional(GRU(8))", (20, 3), (16,)),
        ("nn.LSTM(3, 8, bidirectional=True, proj_size=2)", (20, 3), (20, 4)),
        ("Embedding(100, 4)", (12,), (12, 4)),
        ("Dense(5)", (12, 7), (12, 5)),
    ],
)
def test_shape_layers_propagate(code, input_shape, expected):
    assert summarize_code(code, input_shape=input_shape).output_shape == expected


def test_shape_vgg_stack_halves_to_seven():
    code = "\n".join(["Conv2D(64, 3, padding='same')", "MaxPooling2D(2, strides=2)"] * 5)
    summary = summarize_code(code, input_shape=(224, 224, 3))
    assert summary.output_shape == (7, 7, 64)


def test_shape_window_that_does_not_fit_is_a_note_not_a_crash():
    summary = summarize_code("Conv2D(8, 5)", input_shape=(3, 3, 1))
    row = summary.rows[0]
    assert row.output_shape is None
    assert row.trainable == 208
    assert any("does not fit" in note for note in row.notes)


def test_shape_constructor_and_incoming_size_disagree_is_noted():
    summary = summarize_code("nn.Sequential(nn.Linear(4, 8), nn.Linear(7, 2))")
    assert summary.rows[1].notes == ("input features: constructor says 7, the previous layer gives 8",)
