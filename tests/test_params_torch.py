"""An extra oracle when PyTorch is installed: real ``torch.nn`` modules for random sizes.

Skipped without torch; the numpy oracle in test_params_oracle.py covers the same ground always.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.params import summarize_code

torch = pytest.importorskip("torch")
nn = torch.nn

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported:UserWarning")

sizes = st.integers(1, 24)
flags = st.booleans()


def numel(tensors) -> int:
    return sum(t.numel() for t in tensors)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["RNN", "LSTM", "GRU"]), n_in=sizes, hidden=st.integers(2, 24), layers=st.integers(1, 3), bias=flags, bidirectional=flags, proj=st.integers(0, 23))
def test_torch_recurrent_parameter_count(kind, n_in, hidden, layers, bias, bidirectional, proj):
    extra = {"proj_size": proj % hidden} if kind == "LSTM" else {}
    module = getattr(nn, kind)(n_in, hidden, num_layers=layers, bias=bias, bidirectional=bidirectional, **extra)
    code = f"nn.{kind}({n_in}, {hidden}, num_layers={layers}, bias={bias}, bidirectional={bidirectional}" + "".join(f", {k}={v}" for k, v in extra.items()) + ")"
    row = summarize_code(code).rows[0]
    assert row.trainable == numel(module.parameters())
    out, _ = module(torch.zeros(3, 1, n_in))  # (T, N, features): T and features are what the summary shows
    assert row.output_shape == (None, out.shape[-1])


@settings(max_examples=40, deadline=None)
@given(groups=st.integers(1, 3), per_in=st.integers(1, 4), per_out=st.integers(1, 4), kh=st.integers(1, 4), kw=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2), dilation=st.integers(1, 2), bias=flags, side=st.integers(9, 16))
def test_torch_conv2d_count_and_shape(groups, per_in, per_out, kh, kw, stride, padding, dilation, bias, side):
    c_in, c_out = groups * per_in, groups * per_out
    module = nn.Conv2d(c_in, c_out, (kh, kw), stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    code = f"nn.Conv2d({c_in}, {c_out}, ({kh}, {kw}), stride={stride}, padding={padding}, dilation={dilation}, groups={groups}, bias={bias})"
    summary = summarize_code(code, input_shape=(c_in, side, side + 1))
    assert summary.total == numel(module.parameters())
    assert summary.output_shape == tuple(module(torch.zeros(1, c_in, side, side + 1)).shape[1:])


@settings(max_examples=40, deadline=None)
@given(kernel=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2), dilation=st.integers(1, 2), ceil_mode=flags, side=st.integers(8, 15))
def test_torch_maxpool_shape(kernel, stride, padding, dilation, ceil_mode, side):
    padding = min(padding, kernel // 2)  # torch requires padding <= kernel / 2
    module = nn.MaxPool2d(kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    code = f"nn.MaxPool2d({kernel}, stride={stride}, padding={padding}, dilation={dilation}, ceil_mode={ceil_mode})"
    summary = summarize_code(code, input_shape=(2, side, side))
    assert summary.output_shape == tuple(module(torch.zeros(1, 2, side, side)).shape[1:])


@settings(max_examples=30, deadline=None)
@given(features=sizes, affine=flags, track=flags)
def test_torch_batchnorm_parameters_and_buffers(features, affine, track):
    module = nn.BatchNorm2d(features, affine=affine, track_running_stats=track)
    row = summarize_code(f"nn.BatchNorm2d({features}, affine={affine}, track_running_stats={track})").rows[0]
    assert (row.trainable, row.buffers) == (numel(module.parameters()), numel(module.buffers()))


@settings(max_examples=30, deadline=None)
@given(n_in=sizes, n_out=sizes, bias=flags, vocab=st.integers(1, 500), rows=sizes)
def test_torch_linear_embedding_layernorm(n_in, n_out, bias, vocab, rows):
    assert summarize_code(f"nn.Linear({n_in}, {n_out}, bias={bias})").total == numel(nn.Linear(n_in, n_out, bias=bias).parameters())
    assert summarize_code(f"nn.Embedding({vocab}, {n_out})").total == numel(nn.Embedding(vocab, n_out).parameters())
    assert summarize_code(f"nn.LayerNorm(({rows}, {n_in}))").total == numel(nn.LayerNorm((rows, n_in)).parameters())


def test_torch_vgg16_example_matches_module():
    from pathlib import Path

    layers: list = []
    channels = 3
    for width, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(convs):
            layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    layers += [nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 1000)]
    code = (Path(__file__).resolve().parents[1] / "examples" / "vgg16_torch.py").read_text()
    assert summarize_code(code).total == numel(nn.Sequential(*layers).parameters())
