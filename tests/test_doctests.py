"""Every docstring example in the package runs and prints what it says (STYLE: docstrings are doctests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import handnets

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(handnets.__path__, prefix="handnets.")
    if name not in ("handnets.__main__",)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_docstring_examples_exist():
    finder = doctest.DocTestFinder()
    examples = sum(len(test.examples) for name in MODULES for test in finder.find(importlib.import_module(name)))
    assert examples >= 100
