"""Evaluate a derived expression numerically: a small tree walk over sympy's Add/Mul/Pow and the activations.

Used by the oracles to run a derived adjoint recurrence at a point, with mpmath numbers (50 digits),
numpy float64 scalars, or numpy vectors (products are then elementwise, the Hadamard product of the
vector form). No code generation, so it costs nothing to set up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy

__all__ = ["Library", "MPMATH", "NUMPY", "evaluate"]


@dataclass(frozen=True, slots=True)
class Library:
    """The numeric functions an expression may call, by sympy function name."""

    name: str
    functions: Mapping[str, Callable[..., Any]]
    number: Callable[[sympy.Rational], Any]


def _mpmath() -> Library:
    import mpmath

    return Library(
        "mpmath",
        {"tanh": mpmath.tanh, "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)), "log": mpmath.log, "exp": mpmath.exp},
        lambda q: mpmath.mpf(int(q.p)) / int(q.q),
    )


def _numpy() -> Library:
    import numpy as np

    return Library(
        "numpy",
        {
            "tanh": np.tanh,
            "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
            "log": np.log,
            "exp": np.exp,
            "transpose_times": lambda w, v: w.T @ v,
            "outer": np.outer,
        },
        lambda q: int(q.p) / int(q.q),
    )


MPMATH = _mpmath()
NUMPY = _numpy()


def evaluate(expr: sympy.Basic, env: Mapping[str, Any], library: Library) -> Any:
    """The value of ``expr`` with symbols read from ``env`` by name.

    >>> from handnets.vocabulary import SYMBOLS as S, sigmoid
    >>> float(evaluate(S["c_t"] * (1 - sigmoid(S["x_t"])), {"c_t": 2.0, "x_t": 0.0}, NUMPY))
    1.0
    """
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Rational:
        return library.number(expr)
    args = [evaluate(arg, env, library) for arg in expr.args]
    if expr.is_Add:
        total = args[0]
        for value in args[1:]:
            total = total + value
        return total
    if expr.is_Mul:
        product = args[0]
        for value in args[1:]:
            product = product * value
        return product
    if expr.is_Pow:
        base, exponent = args
        if expr.exp.is_Integer and int(expr.exp) >= 1:
            result = base
            for _ in range(int(expr.exp) - 1):
                result = result * base
            return result
        return base**exponent
    name = type(expr).__name__
    if name in library.functions:
        return library.functions[name](*args)
    raise TypeError(f"cannot evaluate {name} with {library.name}")
