"""Read threshold-network weights from untrusted TOML (a weights file or an answer sheet's table).

The format graders and students write::

    threshold = "ge"            # optional, default "ge"; "gt" means step(0) = 0
    W_xh = [[1, 1], [1, 1], [1, 1]]
    W_hh = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
    b_h  = [-0.5, -1.5, -2.5]
    W_hy = [[1, -1, 1]]         # a flat list [1, -1, 1] is accepted too
    b_y  = -0.5                 # or [-0.5]
    h0   = [0, 0, 0]            # optional

Numbers are ints, decimals read exactly as written (0.1 is 1/10) or strings such as "-3/2".
Every problem raises ``InvalidWeights`` naming the source, the key, what was expected and what came.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from handnets.errors import InvalidNumber, InvalidWeights
from handnets.exact import to_fraction
from handnets.safeio import display_name, load_toml
from handnets.threshold.network import ThresholdRNN

__all__ = ["load_weights", "weights_from_mapping", "KEYS"]

KEYS = ("threshold", "W_xh", "W_hh", "b_h", "W_hy", "b_y", "h0")
_REQUIRED = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
_THRESHOLD_ALIASES = {"ge": "ge", ">=": "ge", "gt": "gt", ">": "gt"}
_MAX_UNITS = 64  # far beyond any hand design; keeps a hostile file from asking for 2**10**6 states


def load_weights(path: str | Path, *, inputs: int | None = None, outputs: int | None = None) -> ThresholdRNN:
    """Read a weights file; ``inputs``/``outputs`` pin the expected sizes (the adder wants 2 and 1)."""
    data = load_toml(path, error=InvalidWeights, what="a TOML weights file")
    return weights_from_mapping(data, source=display_name(path), inputs=inputs, outputs=outputs)


def weights_from_mapping(
    data: Mapping[str, Any], *, source: str, inputs: int | None = None, outputs: int | None = None
) -> ThresholdRNN:
    """Validate a parsed mapping into a ``ThresholdRNN``.

    >>> net = weights_from_mapping({"W_xh": [[1, 1]], "W_hh": [[0]], "b_h": [Decimal("-0.5")],
    ...                             "W_hy": [1], "b_y": Decimal("-0.5")}, source="demo")
    >>> net.b_h, net.W_hy
    ((Fraction(-1, 2),), ((Fraction(1, 1),),))
    """
    if not isinstance(data, Mapping):
        raise InvalidWeights(f"expected a table of weights, got {type(data).__name__}", source=source)
    for key in data:
        if key not in KEYS:
            hint = difflib.get_close_matches(str(key), KEYS, n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise InvalidWeights(f"unknown key{suggestion}; expected only {', '.join(KEYS)}", source=source, field=str(key))
    for key in _REQUIRED:
        if key not in data:
            raise InvalidWeights("missing; expected " + _DESCRIPTIONS[key], source=source, field=key)

    threshold = _threshold(data.get("threshold", "ge"), source)
    b_h = _vector(data["b_h"], "b_h", source)
    k = len(b_h)
    if not 1 <= k <= _MAX_UNITS:
        raise InvalidWeights(f"expected 1 to {_MAX_UNITS} hidden units, got {k}", source=source, field="b_h")
    W_xh = _matrix(data["W_xh"], "W_xh", source, rows=k, cols=inputs, what="one row per hidden unit, one column per input")
    W_hh = _matrix(data["W_hh"], "W_hh", source, rows=k, cols=k, what="one row and one column per hidden unit")
    W_hy = _output_matrix(data["W_hy"], source, k=k, outputs=outputs)
    b_y = _output_bias(data["b_y"], source, outputs=len(W_hy))
    h0 = _bits(data.get("h0", [0] * k), "h0", source, k)
    return ThresholdRNN(W_xh=W_xh, W_hh=W_hh, b_h=b_h, W_hy=W_hy, b_y=b_y, h0=h0, threshold=threshold)


_DESCRIPTIONS = {
    "W_xh": "a matrix with one row per hidden unit and one column per input, e.g. [[1, 1], [1, 1], [1, 1]]",
    "W_hh": "a square matrix with one row per hidden unit, e.g. [[0, 1, 0], [0, 1, 0], [0, 1, 0]]",
    "b_h": "a list with one bias per hidden unit, e.g. [-0.5, -1.5, -2.5]",
    "W_hy": "a matrix with one row per output (or a flat list for one output), e.g. [[1, -1, 1]]",
    "b_y": "one bias per output, a number or a list, e.g. -0.5",
}


def _threshold(value: Any, source: str) -> str:
    if isinstance(value, str) and value.strip() in _THRESHOLD_ALIASES:
        return _THRESHOLD_ALIASES[value.strip()]
    raise InvalidWeights(f'expected "ge" (step(0) = 1) or "gt" (step(0) = 0), got {value!r}', source=source, field="threshold")


def _number(value: Any, field: str, source: str) -> Fraction:
    try:
        return to_fraction(value, source=source, field=field)
    except InvalidNumber as exc:
        raise InvalidWeights(exc.message, source=source, field=field) from None


def _shape(value: Any) -> str:
    if isinstance(value, list):
        if value and all(isinstance(row, list) for row in value):
            widths = sorted({len(row) for row in value})
            return f"{len(value)}x{widths[0]}" if len(widths) == 1 else f"{len(value)} rows of lengths {', '.join(map(str, widths))}"
        return f"a flat list of {len(value)}"
    if isinstance(value, (int, Decimal, float, str)) and not isinstance(value, bool):
        return f"the number {value}" if not isinstance(value, str) else f"the string {value!r}"
    return type(value).__name__


def _vector(value: Any, field: str, source: str) -> tuple[Fraction, ...]:
    if not isinstance(value, list) or any(isinstance(v, (list, dict)) for v in value):
        raise InvalidWeights(f"expected a flat list of numbers, got {_shape(value)}", source=source, field=field)
    return tuple(_number(v, f"{field}[{i}]", source) for i, v in enumerate(value))


def _matrix(value: Any, field: str, source: str, *, rows: int, cols: int | None, what: str) -> tuple[tuple[Fraction, ...], ...]:
    expected = f"{rows}x{cols if cols is not None else 'N'} ({what})"
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise InvalidWeights(f"expected a {expected} matrix, got {_shape(value)}", source=source, field=field)
    widths = {len(row) for row in value}
    if len(value) != rows or len(widths) != 1 or (cols is not None and widths != {cols}) or widths == {0}:
        raise InvalidWeights(f"expected a {expected} matrix, got {_shape(value)}", source=source, field=field)
    return tuple(
        tuple(_number(v, f"{field}[{i}][{j}]", source) for j, v in enumerate(row)) for i, row in enumerate(value)
    )


def _output_matrix(value: Any, source: str, *, k: int, outputs: int | None) -> tuple[tuple[Fraction, ...], ...]:
    if isinstance(value, list) and value and not any(isinstance(v, list) for v in value):
        value = [value]  # a flat list is the one row of a single-output network
    if outputs is None:
        outputs = len(value) if isinstance(value, list) and value else 1
    return _matrix(value, "W_hy", source, rows=outputs, cols=k, what="one row per output, one column per hidden unit")


def _output_bias(value: Any, source: str, *, outputs: int) -> tuple[Fraction, ...]:
    if not isinstance(value, list):
        value = [value]
    b_y = _vector(value, "b_y", source)
    if len(b_y) != outputs:
        raise InvalidWeights(f"expected {outputs} bias(es), one per output, got {len(b_y)}", source=source, field="b_y")
    return b_y


def _bits(value: Any, field: str, source: str, k: int) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) != k or any(isinstance(v, bool) or v not in (0, 1) for v in value):
        raise InvalidWeights(f"expected {k} bits (0 or 1), one per hidden unit, got {_shape(value) if isinstance(value, list) else value!r}", source=source, field=field)
    return tuple(int(v) for v in value)
