"""Forward-pass cost: MACs and FLOPs per layer, activation memory, receptive fields.

Oracles: the FLOPs ``torch.utils.flop_counter.FlopCounterMode`` counted on the real modules of the
corpus (recorded in ``tests/data/params_corpus.json``, recounted where torch is installed); an
``nn.LSTMCell`` unrolled by hand for ``nn.LSTM``, which the counter reports as 0 FLOPs (it has no
formula for the fused ``aten.lstm``, though it sees an LSTM with ``proj_size``); brute-force index sets for receptive fields; forward hooks
for activation sizes. The convention difference is the factor 2: the counter counts a
multiply-accumulate as 2 FLOPs, ``--convention mac`` as 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _params_corpus import CASES as ALL_CASES
from _params_corpus import rebuilt_torch
from handnets.params import summarize_code
from handnets.params.cost import forward_cost

CASES = [c for c in ALL_CASES if c["framework"] == "pytorch"]
# nn.LSTM runs the fused aten.lstm, which the counter has no formula for (it counts 0); with
# proj_size torch decomposes the cell into matrix products, which the counter does see
LSTMS = [c for c in CASES if "LSTM" in c["code"] and "proj_size" not in c["code"]]
COUNTED = [c for c in CASES if c not in LSTMS]


def cost_of(case):
    summary = summarize_code(case["code"], input_shape=tuple(case["input_shape"]))
    return forward_cost(summary, batch=case["batch"], seq_len=case["input_shape"][0])


@pytest.mark.parametrize("case", COUNTED, ids=[c["id"] for c in COUNTED])
def test_cost_flops_match_torch_flop_counter(case):
    cost = cost_of(case)
    assert cost.complete
    assert 2 * cost.macs == case["flops_counter"]  # the counter's convention: 2 FLOPs per MAC


def test_cost_counter_reports_nothing_for_lstm_which_is_why_it_is_checked_by_hand():
    assert all(c["flops_counter"] < 2 * cost_of(c).macs for c in LSTMS)
    assert [c["flops_counter"] for c in LSTMS if c["code"].startswith("nn.LSTM")] == [0, 0, 0]


@settings(max_examples=12, deadline=None)
@given(n_in=st.integers(1, 9), hidden=st.integers(1, 9), layers=st.integers(1, 3), bidirectional=st.booleans(), bias=st.booleans(), steps=st.integers(1, 6), batch=st.integers(1, 3))
def test_cost_lstm_matches_unrolled_cells_under_the_counter(n_in, hidden, layers, bidirectional, bias, steps, batch):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    directions = 2 if bidirectional else 1
    with FlopCounterMode(display=False) as counter:
        for layer in range(layers):
            cell = torch.nn.LSTMCell(n_in if layer == 0 else directions * hidden, hidden, bias=bias)
            for _ in range(directions * steps):
                cell(torch.zeros(batch, cell.input_size))
    code = f"nn.LSTM({n_in}, {hidden}, num_layers={layers}, bidirectional={bidirectional}, bias={bias})"
    cost = forward_cost(summarize_code(code, input_shape=(steps, n_in)), batch=batch)
    assert 2 * cost.macs == counter.get_total_flops()


def test_cost_recount_with_torch_matches_the_recorded_numbers():
    pytest.importorskip("torch")
    assert {c["id"]: c["flops_counter"] for c in rebuilt_torch()} == {c["id"]: c["flops_counter"] for c in CASES}


def test_cost_recurrent_layers_count_per_step_times_t():
    one = forward_cost(summarize_code("LSTM(32)", input_shape=(1, 16)))
    many = forward_cost(summarize_code("LSTM(32)", input_shape=(200, 16)))
    assert one.macs == 4 * 32 * (16 + 32) and many.macs == 200 * one.macs


def test_cost_seq_len_fills_a_free_time_axis():
    summary = summarize_code("SimpleRNN(128)", input_shape=(None, 20))
    assert forward_cost(summary).macs is None
    assert forward_cost(summary, seq_len=10).macs == 10 * 128 * (20 + 128)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 64))
def test_cost_is_linear_in_batch(batch):
    summary = summarize_code((Path(__file__).resolve().parents[1] / "examples" / "keras_classifier.py").read_text())
    assert forward_cost(summary, batch=batch).macs == batch * forward_cost(summary).macs


def test_cost_formula_is_symbolic_in_named_sizes():
    cost = forward_cost(summarize_code("Conv2D(8, 5)", input_shape=(32, 32, 3)))
    assert str(cost.layers[0].macs) == "B*H_out*W_out*c_in*c_out*k_h*k_w"
    assert cost.macs == 28 * 28 * 8 * 3 * 25


def _field_brute_force(stack):
    """Input positions one output position depends on, walked back layer by layer as index sets."""
    positions = {0}
    for kernel, stride, dilation in reversed(stack):
        positions = {o * stride + i * dilation for o in positions for i in range(kernel)}
    return max(positions) - min(positions) + 1


@settings(max_examples=60, deadline=None)
@given(stack=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=5))
def test_cost_receptive_field_matches_brute_force(stack):
    lines = [f"nn.Conv1d(2, 2, {k}, stride={s}, dilation={d})" for k, s, d in stack]
    cost = forward_cost(summarize_code("nn.Sequential(" + ", ".join(lines) + ")"))
    assert cost.receptive_field == (_field_brute_force(stack),)


def test_cost_receptive_field_of_vgg_blocks():
    code = "Sequential([Conv2D(8, 3, padding='same'), Conv2D(8, 3, padding='same'), MaxPooling2D(2), Conv2D(8, 3, padding='same')])"
    assert forward_cost(summarize_code(code, input_shape=(32, 32, 3))).receptive_field == (10, 10)


def test_cost_activation_memory_matches_forward_hooks():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 15 * 15, 10))
    sizes = []
    for module in model:
        module.register_forward_hook(lambda m, i, o: sizes.append(o.numel()))
    model(torch.zeros(4, 3, 32, 32))
    code = "nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 15 * 15, 10))"
    cost = forward_cost(summarize_code(code, input_shape=(3, 32, 32)), batch=4)
    assert [c.activations for c in cost.layers] == sizes


def test_cost_cli_json_has_macs_and_flops_integers_and_formulas(cli):
    result = cli("params", "nn.Conv2d(3, 8, 5)", "--input-shape", "3,32,32", "--flops", "--batch", "2", "--memory", "--json")
    data = json.loads(result.out)
    assert result.code == 0
    assert data["macs"]["value"] == 2 * 28 * 28 * 8 * 75 and data["flops"]["value"] == 2 * data["macs"]["value"]
    layer = data["cost"][0]
    assert layer["macs"]["formula"] == "B*H_out*W_out*c_in*c_out*k_h*k_w" and layer["flops"]["formula"].startswith("2*")
    assert data["memory"]["activation_values"] == 2 * 8 * 28 * 28 and data["convention"] == "flop"
    assert data["total"] == 608  # the parameter summary is still there


def test_cost_cli_text_states_the_convention(cli):
    mac = cli("params", "Dense(10)", "--input-shape", "20", "--flops", "--convention", "mac")
    flop = cli("params", "Dense(10)", "--input-shape", "20", "--flops")
    assert "Total MACs: 200" in mac.out and "fvcore" in mac.out
    assert "Total FLOPs: 400" in flop.out and "torch.utils.flop_counter" in flop.out


def test_cost_cli_incomplete_cost_exit_1(cli):
    result = cli("params", "LSTM(8)", "--input-shape", "None,4", "--flops")
    assert result.code == 1 and "INCOMPLETE" in result.out


def test_cost_cli_flops_with_both_frameworks_is_usage_error(cli):
    result = cli("params", "Dense(3)", "--flops", "--framework", "both")
    assert result.code == 2 and "error:" in result.err


def test_cost_never_called_module_costs_nothing_but_still_counts():
    code = next(c["code"] for c in CASES if c["id"] == "torch_unused_module_still_counted")
    summary = summarize_code(code, input_shape=(8,))
    spare = next(r for r in summary.rows if r.layer.option("never_called"))
    assert spare.trainable == 16 * 16 + 16
    assert forward_cost(summary).macs == 8 * 16 + 16 * 4


def test_cost_time_distributed_is_the_inner_cost_times_the_steps():
    dense = forward_cost(summarize_code("TimeDistributed(Dense(8))", input_shape=(5, 4)))
    assert dense.macs == 5 * 4 * 8
    wrapped = forward_cost(summarize_code("TimeDistributed(Conv2D(4, 3))", input_shape=(3, 10, 10, 2)))
    assert wrapped.macs == 3 * forward_cost(summarize_code("Conv2D(4, 3)", input_shape=(10, 10, 2))).macs


def test_cost_cli_total_formula_is_in_batch_and_steps(cli):
    data = json.loads(cli("params", str(Path(__file__).resolve().parents[1] / "examples" / "vanilla_rnn.py"), "--flops", "--seq-len", "50", "--json").out)
    # per step: 128 x (20 + 128) recurrent MACs and 128 x 10 output MACs = 20,224
    assert (data["macs"]["formula"], data["flops"]["formula"]) == ("20224*B*T", "40448*B*T")
    assert data["macs"]["value"] == 20224 * 50
