"""Following tensors through functional code and ``forward`` without running it, and its bounds."""

from __future__ import annotations

import pytest

from _bounded import run_bounded
from handnets.errors import InvalidSpec
from handnets.params import read_model, summarize_code
from handnets.params.flow import MAX_CALL_DEPTH, MAX_UNROLL


def test_flow_residual_add_reads_both_branches():
    code = "i = keras.Input(shape=(8,))\na = layers.Dense(8)(i)\nb = layers.Dense(8)(a)\nc = layers.Add()([a, b])\n"
    summary = summarize_code(code)
    add = summary.rows[-1]
    assert [summary.rows[k].name for k in add.inputs] == ["dense", "dense_1"] and add.output_shape == (8,)


def test_flow_projection_shortcut_reads_the_input_not_the_previous_line():
    code = """
i = keras.Input(shape=(16, 16, 8))
s = layers.Conv2D(4, 1)(i)
x = layers.Conv2D(4, 3, padding="same")(i)
"""
    rows = summarize_code(code).rows
    # the second convolution reads the 8-channel input, not the 4-channel shortcut written above it
    assert [r.trainable for r in rows[1:]] == [8 * 4 + 4, 9 * 8 * 4 + 4]


def test_flow_concatenate_sums_the_axis():
    code = "i = keras.Input(shape=(4, 4, 3))\na = layers.Conv2D(5, 1)(i)\nm = layers.Concatenate()([a, i])\n"
    assert summarize_code(code).rows[-1].output_shape == (4, 4, 8)


def test_flow_concatenate_mismatch_is_a_note_not_a_guess():
    code = "i = keras.Input(shape=(4, 4, 3))\na = layers.Conv2D(5, 3)(i)\nm = layers.Concatenate()([a, i])\nd = layers.Dense(2)(m)\n"
    summary = summarize_code(code)
    assert summary.rows[2].output_shape is None and not summary.complete


def test_flow_helper_function_literals_bind_per_call():
    code = "def block(x, n):\n    return layers.Dense(n)(x)\n\ni = keras.Input(shape=(3,))\nx = block(i, 4)\nx = block(x, 5)\n"
    assert [r.trainable for r in summarize_code(code).rows[1:]] == [16, 25]


def test_flow_loop_is_unrolled():
    code = "x = keras.Input(shape=(4,))\nfor _ in range(3):\n    x = layers.Dense(4)(x)\n"
    assert len(summarize_code(code).rows) == 4


def test_flow_shared_layer_counted_once():
    code = "i = keras.Input(shape=(6,))\nd = layers.Dense(6)\nx = d(i)\nx = d(x)\n"
    summary = summarize_code(code)
    assert [r.trainable for r in summary.rows] == [0, 42, 0] and summary.rows[2].shared_with == 1


def test_flow_torch_forward_order_not_init_order():
    code = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 2)
        self.body = nn.Linear(4, 8)

    def forward(self, x):
        return self.head(self.body(x))
"""
    assert [r.name for r in summarize_code(code, input_shape=(4,)).rows] == ["linear", "linear_1"]
    assert [r.layer.option("units") for r in summarize_code(code).rows] == [8, 2]


def test_flow_lstm_last_step_and_sequence_first_shapes():
    code = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[-1])
"""
    rows = summarize_code(code, input_shape=(7, 3)).rows
    assert (rows[0].output_shape, rows[0].batch_axis) == ((7, 5), 1)  # torch: (T, N, 5)
    assert rows[-1].output_shape == (2,) and rows[-1].batch_axis == 0


def test_flow_undecided_if_flags_the_layers_it_builds():
    code = """
class Net(nn.Module):
    def __init__(self, use_extra):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        if use_extra:
            self.extra = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)
"""
    summary = summarize_code(code)
    assert not summary.complete and "cannot decide" in summary.doubtful[0].problems[0]


def test_flow_recursion_is_bounded():
    code = "def f(x):\n    return f(x)\n\ni = keras.Input(shape=(3,))\ny = layers.Dense(2)(f(i))\n"
    with pytest.raises(InvalidSpec, match=f"nested more than {MAX_CALL_DEPTH}"):
        read_model(code)


def test_flow_huge_loop_is_refused():
    code = "x = keras.Input(shape=(3,))\nfor _ in range(1000000):\n    x = layers.Dense(3)(x)\n"
    with pytest.raises(InvalidSpec, match=f"at most {MAX_UNROLL}"):
        read_model(code)


def test_flow_loop_of_unreadable_count_flags_its_layers():
    code = "x = keras.Input(shape=(3,))\nfor _ in range(depth):\n    x = layers.Dense(3)(x)\n"
    summary = summarize_code(code)
    assert not summary.complete and "cannot read; counted once" in summary.rows[1].problems[0]


def test_flow_nested_loops_stay_bounded_in_a_child():
    inner = "x = keras.Input(shape=(3,))\n" + "".join("    " * i + f"for _{i} in range(60):\n" for i in range(6)) + "    " * 6 + "y = layers.Dense(3)\n"
    done = run_bounded(f"from handnets.params import read_model\ntry:\n    read_model({inner!r})\nexcept Exception as e:\n    print(type(e).__name__, e)\n", seconds=60)
    assert done.returncode == 0 and "InvalidSpec" in done.stdout


def test_flow_code_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    code = f"""
import os
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        os.system("touch {marker}")
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        open("{marker}", "w").write("x")
        return self.fc(x)
"""
    assert summarize_code(code).total == 6
    assert not marker.exists()


def test_flow_literal_if_picks_its_branch_and_unbound_is_not_none():
    code = """
class Net(nn.Module):
    def __init__(self, norm, width=4):
        super().__init__()
        if width > 3 and not False:
            self.fc = nn.Linear(4, 4)
        else:
            self.fc = nn.Linear(4, 9)
        if norm is None:  # norm was never given: this cannot be decided
            self.extra = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)
"""
    summary = summarize_code(code)
    assert [(r.layer.option("units"), bool(r.problems)) for r in summary.rows] == [(4, False), (4, True)]


def test_flow_attention_keywords_in_any_order():
    # Keras 3.15: this model's count_params() is 194, output (None, 5, 8)
    code = "q = keras.Input(shape=(5, 8))\nv = keras.Input(shape=(7, 6))\no = layers.MultiHeadAttention(num_heads=2, key_dim=3)(value=v, query=q)\n"
    row = summarize_code(code).rows[-1]
    assert (row.trainable, row.output_shape) == (194, (5, 8))
