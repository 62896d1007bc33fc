"""Exact numbers from untrusted input: ints, decimals read as written, and "p/q" strings.

Threshold weights decide a hard threshold, so no float may ever stand in for them. TOML
files are read with ``parse_float=Decimal`` (``handnets.safeio.load_toml``) so that ``0.1`` arrives as
the text the author wrote and becomes ``Fraction(1, 10)``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from handnets.errors import InvalidNumber

__all__ = ["to_fraction", "format_fraction"]

# An optional sign, digits, an optional decimal part, an optional "/ denominator".
_RATIONAL = re.compile(r"\s*([+-]?)\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,4}))?\s*(?:/\s*(\d+(?:\.\d*)?|\.\d+)\s*)?")
_MAX_DIGITS = 400  # longer numbers are not weights anyone writes by hand


def to_fraction(value: Any, *, source: str | None = None, field: str | None = None) -> Fraction:
    """Read one exact number: int, Fraction, Decimal (as written) or a string like "-3/2" or "0.25".

    Floats are refused unless they are exactly representable as small dyadic rationals that a TOML
    reader without ``parse_float=Decimal`` would have produced; NaN, infinities and bools never pass.

    >>> to_fraction("-3/2"), to_fraction(Decimal("0.1")), to_fraction(4)
    (Fraction(-3, 2), Fraction(1, 10), Fraction(4, 1))
    """
    if isinstance(value, bool):
        raise InvalidNumber(f"expected a number, got a boolean ({str(value).lower()})", source=source, field=field)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidNumber(f"expected a finite number, got {value}", source=source, field=field)
        if abs(value.adjusted()) > _MAX_DIGITS:
            raise InvalidNumber(f"expected a number of at most {_MAX_DIGITS} digits, got {value}", source=source, field=field)
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidNumber(f"expected a finite number, got {value}", source=source, field=field)
        # A float that came from somewhere we do not control: read it as its shortest repr,
        # which is what its author typed (0.1 -> "0.1" -> 1/10).
        return to_fraction(repr(value), source=source, field=field)
    if isinstance(value, str):
        return _parse_rational(value, source=source, field=field)
    raise InvalidNumber(f"expected a number, got {_describe(value)}", source=source, field=field)


def _parse_rational(text: str, *, source: str | None, field: str | None) -> Fraction:
    if len(text) > _MAX_DIGITS:
        raise InvalidNumber(f"expected a number, got a string of {len(text)} characters", source=source, field=field)
    match = _RATIONAL.fullmatch(text)
    if match is None:
        raise InvalidNumber(f'expected a number such as 2, -0.5 or "-3/2", got {text!r}', source=source, field=field)
    sign, numerator, exponent, denominator = match.groups()
    value = Fraction(Decimal(numerator))
    if exponent:
        value *= Fraction(10) ** int(exponent)
    if denominator is not None:
        den = Fraction(Decimal(denominator))
        if den == 0:
            raise InvalidNumber(f"division by zero in {text!r}", source=source, field=field)
        value /= den
    return -value if sign == "-" else value


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type(value).__name__} {value!r}"


def format_fraction(value: Fraction | int) -> str:
    """Write an exact number the way a person reads it: ``3``, ``-1/2``.

    >>> format_fraction(Fraction(-1, 2)), format_fraction(Fraction(6, 2))
    ('-1/2', '3')
    """
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
