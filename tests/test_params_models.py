"""Whole model files as courses write them, read by handnets and built by the real framework.

The files in ``tests/data/params_models/`` (a ResNet block with a helper function and a loop, a
U-Net with skip connections, a tagger with TimeDistributed, a PyTorch ResNet composed in
``forward``, a sequence-first GRU) are counted by handnets without running them; where Keras or
PyTorch is installed, the same file is executed (it is this repository's own code, not a
student's) and its count and output shape compared. Without the frameworks the expected numbers
below, recorded from them, are still checked.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from handnets.params import summarize_code

MODELS = Path(__file__).resolve().parent / "data" / "params_models"

# file: (framework, input shape for the count, total, buffers, output shape as the framework gives it)
EXPECTED = {
    "keras_resnet_block.py": ("keras", None, 96778, 0, [None, 10]),
    "keras_unet_small.py": ("keras", None, 68257, 0, [None, 64, 64, 1]),
    "keras_seq_tagger.py": ("keras", None, 75621, 0, [None, 40, 5]),
    "torch_resnet.py": ("pytorch", (3, 32, 32), 19994, 294, [None, 10]),
    "torch_gru_seq_first.py": ("pytorch", (35,), 366568, 0, [35, None, 1000]),
}


def full_shape(row):
    shape = list(row.output_shape)
    shape.insert(row.batch_axis, None)
    return shape


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_models_file_counts_and_shape(name):
    framework, shape, total, buffers, output = EXPECTED[name]
    summary = summarize_code((MODELS / name).read_text(), input_shape=shape)
    assert summary.framework == framework and summary.complete
    assert (summary.total, summary.buffers) == (total, buffers)
    assert full_shape(summary.rows[-1]) == output


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e[0] == "keras"))
def test_models_keras_builds_the_same_file(name):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("keras")
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile((MODELS / name).read_text(), name, "exec"), namespace)  # noqa: S102 - our own file
    model = namespace["model"]
    _, _, total, _, output = EXPECTED[name]
    assert (model.count_params(), list(model.output_shape)) == (total, output)


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e[0] == "pytorch"))
def test_models_torch_builds_the_same_file(name):
    torch = pytest.importorskip("torch")
    namespace: dict = {}
    exec(compile((MODELS / name).read_text(), name, "exec"), namespace)  # noqa: S102 - our own file
    model = namespace["model"]
    _, shape, total, buffers, output = EXPECTED[name]
    assert sum(p.numel() for p in model.parameters()) == total
    assert sum(b.numel() for b in model.buffers()) == buffers
    batch = 13
    if name == "torch_gru_seq_first.py":
        out = model(torch.zeros(shape[0], batch, dtype=torch.long))[0]
    else:
        out = model.eval()(torch.zeros(batch, *shape))
    assert [None if d == batch else d for d in out.shape] == output


# FLOPs for a batch of 2 as torch.utils.flop_counter counts them (2 per multiply-accumulate)
TORCH_FLOPS = {"torch_resnet.py": 35_325_184, "torch_gru_seq_first.py": 42_004_480}


@pytest.mark.parametrize("name", sorted(TORCH_FLOPS))
def test_models_torch_file_flops_match_the_counter(name):
    from handnets.params.cost import forward_cost

    _, shape, *_ = EXPECTED[name]
    cost = forward_cost(summarize_code((MODELS / name).read_text(), input_shape=shape), batch=2)
    assert cost.complete and 2 * cost.macs == TORCH_FLOPS[name]


@pytest.mark.parametrize("name", sorted(TORCH_FLOPS))
def test_models_torch_counter_agrees_with_the_recorded_flops(name):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    namespace: dict = {}
    exec(compile((MODELS / name).read_text(), name, "exec"), namespace)  # noqa: S102 - our own file
    shape = EXPECTED[name][1]
    x = torch.zeros(shape[0], 2, dtype=torch.long) if name == "torch_gru_seq_first.py" else torch.zeros(2, *shape)
    with FlopCounterMode(display=False) as counter:
        namespace["model"](x)
    assert counter.get_total_flops() == TORCH_FLOPS[name]
