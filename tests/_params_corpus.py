"""The params corpus, and its cases rebuilt by the installed frameworks once per test session."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import warnings
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CASES = json.loads((DATA / "params_corpus.json").read_text(encoding="utf-8"))["cases"]


def _generator():
    spec = importlib.util.spec_from_file_location("params_corpus_generate", DATA / "params_corpus_generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=1)
def rebuilt_torch() -> tuple[dict, ...]:
    """Every PyTorch case built and counted again by torch (call only where torch is installed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(_generator().run_torch())


@functools.lru_cache(maxsize=1)
def rebuilt_keras() -> tuple[dict, ...]:
    """Every Keras case built again by Keras (call only where Keras is installed)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(_generator().run_keras())
