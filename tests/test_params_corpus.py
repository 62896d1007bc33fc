"""handnets against counts real Keras 3 and PyTorch gave for 160 layers and models (no framework needed).

``tests/data/params_corpus.json`` was written by ``tests/data/params_corpus_generate.py``, which
builds every case in the framework and records what it reports: ``count_params()`` and the
trainable / non-trainable weights for Keras, ``parameters()`` and ``buffers()`` for PyTorch, and the
output shape of a forward pass (the batch axis as null, where the framework puts it). Where
PyTorch or Keras is installed, the cases are rebuilt and compared with the file, so the numbers
are the frameworks' and not copied from handnets.
"""

from __future__ import annotations

import os

import pytest

from _params_corpus import CASES, rebuilt_keras, rebuilt_torch
from handnets.params import summarize_code


def shape_with_batch(row) -> list | None:
    if row.output_shape is None:
        return None
    full = list(row.output_shape)
    full.insert(row.batch_axis, None)
    return full


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_count_and_shape_match_the_framework(case):
    shape = tuple(case["input_shape"]) if case["input_shape"] else None
    summary = summarize_code(case["code"], framework=case["framework"], input_shape=shape)
    assert summary.complete, [(r.name, r.problems) for r in summary.doubtful]
    assert summary.total == case["total"]
    if case["framework"] == "keras":
        assert (summary.trainable, summary.non_trainable) == (case["trainable"], case["non_trainable"])
    else:
        assert summary.buffers == case["buffers"]
    last = [r for r in summary.rows if not r.layer.option("never_called")][-1]  # modules built but not called come last
    assert shape_with_batch(last) == case["output_shape"]


def test_corpus_is_larger_than_the_issue_asks():
    assert len(CASES) >= 150
    assert {c["framework"] for c in CASES} == {"keras", "pytorch"}


def test_corpus_pytorch_numbers_are_what_torch_reports():
    pytest.importorskip("torch")
    recorded = [c for c in CASES if c["framework"] == "pytorch"]
    assert [(c["id"], c["total"], c["buffers"], c["output_shape"]) for c in rebuilt_torch()] == [(c["id"], c["total"], c["buffers"], c["output_shape"]) for c in recorded]


def test_corpus_keras_numbers_are_what_keras_reports():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("keras")
    recorded = [c for c in CASES if c["framework"] == "keras"]
    assert [(c["id"], c["total"], c["non_trainable"], c["output_shape"]) for c in rebuilt_keras()] == [(c["id"], c["total"], c["non_trainable"], c["output_shape"]) for c in recorded]
