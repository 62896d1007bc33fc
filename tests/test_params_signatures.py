"""The constructor signatures the reader checks keywords against are the frameworks' own.

``handnets/params/signatures.py`` is generated from ``inspect.signature`` of the real classes; here
the committed table is compared with whichever of PyTorch and Keras is installed (skipped when
neither is), and every layer the reader counts has its signature tabled.
"""

from __future__ import annotations

import inspect
import os

import pytest

from handnets.params.reader import KERAS_LAYERS, TORCH_LAYERS
from handnets.params.signatures import KERAS_SIGNATURES, TORCH_SIGNATURES, signature


def _parameters(target) -> tuple[str, ...]:
    sig = inspect.signature(target if inspect.isfunction(target) else target.__init__)
    return tuple(p.name for p in sig.parameters.values() if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))


def test_signatures_every_counted_layer_is_tabled():
    assert set(TORCH_LAYERS) <= set(TORCH_SIGNATURES)
    untabled = set(KERAS_LAYERS) - set(KERAS_SIGNATURES)
    assert untabled <= {"ThresholdedReLU"}  # removed in Keras 3; Keras 2 code still reads


def test_signatures_match_installed_torch():
    torch = pytest.importorskip("torch")
    for name, recorded in TORCH_SIGNATURES.items():
        cls = getattr(torch.nn, name)
        if name in ("RNN", "LSTM", "GRU"):  # *args, **kwargs handed to RNNBase(mode, ...)
            base = _parameters(torch.nn.RNNBase)[1:]
            assert set(recorded) <= set(base) | {"nonlinearity"}, name
            continue
        assert _parameters(cls) == recorded, name


def test_signatures_match_installed_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    for name, recorded in KERAS_SIGNATURES.items():
        assert _parameters(getattr(keras.layers, name)) == recorded, name


def test_signatures_keras_layers_take_the_base_keywords():
    _, accepted = signature("keras", "Dense")
    assert {"name", "dtype", "trainable", "input_shape", "input_dim", "batch_input_shape"} <= accepted
    _, accepted = signature("pytorch", "Linear")
    assert "name" not in accepted and {"device", "dtype"} <= accepted
