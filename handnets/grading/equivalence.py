"""Judging a submitted answer against the expected one, in layers, as a careful human grader would.

For expressions (``judge_expression``), after the key's definitions are substituted into both
sides (so a student may write a gate or its definition, ``sigmoid(z)*(1 - sigmoid(z))`` or
``i_t*(1 - i_t)``):

(a) structural: the two trees are equal, or equal after ``expand`` (time-limited);
(b) numeric: both sides evaluated with mpmath at 50 digits at several deterministic random points
    (values drawn per symbol name from a hash of the seed, gates in (0, 1)); a point where either
    side is undefined is replaced by another; one disagreeing point proves the answers different;
(c) symbolic: ``simplify`` of the difference, rewritten in ``exp``, under a time limit enforced
    with ``SIGALRM`` (only on the main thread of the main interpreter; elsewhere this layer is
    skipped and the verdict is "undecided").

Numbers (``judge_number``, ``judge_integer``) are compared exactly or within a tolerance, big-O
answers (``judge_big_o``) up to a positive constant factor, and ``fingerprint`` gives a stable
numeric signature of an expression's meaning, so equivalent wrong answers can be grouped.

Every outcome is an ``Equivalence`` value; nothing here raises for a student's answer. Bad
definitions (a key's fault: cyclic, not symbols) raise ``InvalidKey``.

>>> from handnets.vocabulary import SYMBOLS as S, sigmoid
>>> z = S["w_xi"] * S["x_t"] + S["w_hi"] * S["h_prev"]
>>> definitions = {S["i_t"]: sigmoid(z)}
>>> judge_expression(S["i_t"] * (1 - S["i_t"]), sigmoid(z) * (1 - sigmoid(z)), definitions=definitions).verdict
'equivalent'
>>> judge_expression(S["i_t"] * (1 - S["i_t"]), S["i_t"], definitions=definitions).verdict
'different'
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

import mpmath
import sympy

from handnets.errors import InvalidKey, InvalidNumber
from handnets.exact import to_fraction
from handnets.vocabulary import sigmoid

__all__ = [
    "Equivalence",
    "VERDICTS",
    "judge_expression",
    "judge_number",
    "judge_integer",
    "judge_big_o",
    "fingerprint",
    "substitute_definitions",
]

VERDICTS = ("equivalent", "different", "undecided")
_DPS = 50  # working digits for numeric evaluation
_TOLERANCE = mpmath.mpf(10) ** -30  # relative (and absolute below 1) agreement of equal expressions
_MAX_ATTEMPTS = 8  # fresh points tried when a side is undefined at one
_EXPAND_OPS = 600  # larger expressions skip the expand layer (the numeric layer decides)
_EXP_LIMIT = 10**5  # exp of more than this is treated as overflow (the point is undefined)


@dataclass(frozen=True, slots=True)
class Equivalence:
    """The judgement of one answer: a verdict, the method that settled it, and a detail for feedback.

    >>> Equivalence("equivalent", "structural").verdict
    'equivalent'
    """

    verdict: str
    method: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {self.verdict!r}")
        if not self.method:
            raise ValueError("an equivalence needs the method that decided it")


# ---------------------------------------------------------------------------------- definitions


def substitute_definitions(expr: sympy.Expr, definitions: Mapping[sympy.Symbol, sympy.Expr] | None,
                           *, max_rounds: int = 16) -> sympy.Expr:
    """Replace defined symbols by their definitions until none is left (at most ``max_rounds`` rounds).

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> substitute_definitions(S["h_t"], {S["h_t"]: S["o_t"] * S["c_t"], S["c_t"]: 2 * S["c_prev"]})
    2*c_prev*o_t
    """
    if not definitions:
        return expr
    for key, value in definitions.items():
        if not isinstance(key, sympy.Symbol) or not isinstance(value, sympy.Basic):
            raise InvalidKey(f"a definition must map a symbol to an expression, got {key!r} -> {value!r}")
    defined = set(definitions)
    current = expr
    for _ in range(max_rounds):
        if not (current.free_symbols & defined):
            return current
        current = current.xreplace(dict(definitions))
    raise InvalidKey(f"the definitions do not settle after {max_rounds} substitutions; are they cyclic?")


# ------------------------------------------------------------------------------- sample points


def _unit(seed: str, name: str, k: int, attempt: int) -> Fraction:
    """A number in [0, 1) fixed by (seed, name, k, attempt): the same in every process and run."""
    digest = hashlib.sha256(f"{seed}\x00{name}\x00{k}\x00{attempt}".encode()).digest()
    return Fraction(int.from_bytes(digest[:8], "big"), 2**64)


def _range(symbol: sympy.Symbol, positive: bool) -> tuple[Fraction, Fraction]:
    """Where a symbol's sample values lie: gates in (0, 1), candidates in (-1, 1), sizes positive."""
    head = symbol.name.split("_")[0]
    if positive or symbol.is_positive:
        return Fraction(1, 2), Fraction(4)
    if head in ("i", "f", "o", "yhat", "y"):
        return Fraction(1, 20), Fraction(19, 20)
    if head == "g":
        return Fraction(-19, 20), Fraction(19, 20)
    return Fraction(-3, 2), Fraction(3, 2)


def _point(symbols: list[sympy.Symbol], seed: str, k: int, attempt: int, positive: bool) -> dict[sympy.Symbol, Any]:
    point = {}
    for symbol in symbols:
        low, high = _range(symbol, positive)
        value = low + (high - low) * _unit(seed, symbol.name, k, attempt)
        point[symbol] = mpmath.mpf(value.numerator) / value.denominator
    return point


# ---------------------------------------------------------------------------- numeric evaluation


class _Undefined(Exception):
    """The expression has no real value at this point (division by zero, log of a negative, ...)."""


class _Unsupported(Exception):
    """The expression contains a node the evaluator does not know."""


def _evaluate(expr: sympy.Basic, point: Mapping[sympy.Symbol, Any]) -> Any:
    """The value of ``expr`` at ``point`` as an mpmath number (at the current precision)."""
    cache: dict[sympy.Basic, Any] = {}

    def value(node: sympy.Basic) -> Any:
        found = cache.get(node)
        if found is not None:
            return found
        result = compute(node)
        if isinstance(result, mpmath.mpc) or not mpmath.isfinite(result):
            raise _Undefined
        cache[node] = result
        return result

    def compute(node: sympy.Basic) -> Any:
        if node.is_Symbol:
            if node not in point:
                raise _Unsupported
            return point[node]
        if node.is_Rational:
            return mpmath.mpf(int(node.p)) / int(node.q)
        if node is sympy.pi:
            return +mpmath.pi
        if node is sympy.E:
            return +mpmath.e
        if node.is_Float:
            return mpmath.mpf(str(node))
        if node.is_Add:
            return mpmath.fsum(value(arg) for arg in node.args)
        if node.is_Mul:
            product = mpmath.mpf(1)
            for arg in node.args:
                product *= value(arg)
            return product
        if node.is_Pow:
            base, exponent = value(node.base), value(node.exp)
            if base == 0 and exponent <= 0:
                raise _Undefined
            if base < 0 and not mpmath.isint(exponent):
                raise _Undefined
            return mpmath.power(base, exponent)
        if isinstance(node, sigmoid):
            arg = value(node.args[0])
            if abs(arg) > _EXP_LIMIT:
                return mpmath.mpf(1) if arg > 0 else mpmath.mpf(0)
            return 1 / (1 + mpmath.exp(-arg))
        if isinstance(node, sympy.tanh):
            return mpmath.tanh(value(node.args[0]))
        if isinstance(node, sympy.exp):
            arg = value(node.args[0])
            if arg > _EXP_LIMIT:
                raise _Undefined
            return mpmath.exp(arg)
        if isinstance(node, sympy.log):
            arg = value(node.args[0])
            if arg <= 0:
                raise _Undefined
            return mpmath.log(arg)
        if isinstance(node, sympy.Abs):
            return abs(value(node.args[0]))
        if isinstance(node, sympy.factorial):
            arg = value(node.args[0])
            if not mpmath.isint(arg) or arg < 0 or arg > 1000:
                raise _Undefined
            return mpmath.factorial(arg)
        raise _Unsupported

    try:
        return value(expr)
    except (ZeroDivisionError, OverflowError, ValueError, RecursionError):
        raise _Undefined from None


def _close(a: Any, b: Any) -> bool:
    return abs(a - b) <= _TOLERANCE * max(1, abs(a), abs(b))


def _show(value: Any) -> str:
    return mpmath.nstr(value, 6)


# --------------------------------------------------------------------------------- time limits


class _Timeout(BaseException):
    """Raised inside a time-limited block when its alarm fires.

    A BaseException, so that sympy code catching ``Exception`` cannot swallow it and run on.
    """


def _raise_timeout(signum: int, frame: Any) -> None:
    raise _Timeout


@contextmanager
def _time_limit(seconds: float) -> Iterator[bool]:
    """Run the block under a SIGALRM time limit; yields whether the limit is enforced.

    The limit is only possible on the main thread of the main interpreter (where signal handlers
    may be installed). An outer timer that was already running is honoured and re-armed after.
    """
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield False
        return
    try:
        previous_handler = signal.signal(signal.SIGALRM, _raise_timeout)
    except ValueError:  # not the main interpreter
        yield False
        return
    started = time.monotonic()
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    limit = min(seconds, outer_delay) if outer_delay > 0 else seconds
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if outer_delay > 0:
            remaining = outer_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-6), outer_interval)


_T = TypeVar("_T")


def _limited(compute: Callable[[], _T], seconds: float) -> tuple[bool, _T | None]:
    """(True, result) when ``compute`` finished within ``seconds``; (False, None) on timeout or no timer."""
    with _time_limit(seconds) as enforced:
        if not enforced:
            return False, None
        try:
            return True, compute()
        except _Timeout:
            return False, None


# ------------------------------------------------------------------------------------ judging


def _as_expr(value: Any, role: str) -> sympy.Expr:
    if isinstance(value, sympy.Expr):
        return value
    if isinstance(value, bool):
        raise TypeError(f"{role} must be a sympy expression or a number, got a boolean")
    if isinstance(value, (int, Fraction, Decimal, str)):
        exact = to_fraction(value, field=role)
        return sympy.Rational(exact.numerator, exact.denominator)
    raise TypeError(f"{role} must be a sympy expression or a number, got {type(value).__name__}")


def _default_seed(expected: sympy.Expr) -> str:
    return "handnets:" + sympy.srepr(expected)


def judge_expression(expected: sympy.Expr, submitted: sympy.Expr, *,
                     definitions: Mapping[sympy.Symbol, sympy.Expr] | None = None, seed: str = "",
                     points: int = 6, timeout: float = 2.0) -> Equivalence:
    """Judge ``submitted`` against ``expected``: structural, then numeric, then time-limited symbolic.

    ``definitions`` (symbol -> expression) are substituted into both sides first. ``seed`` (the
    question id, by default the expected expression) fixes the sample points; ``points`` is how many
    must agree; ``timeout`` bounds each expensive layer in seconds.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> judge_expression(S["o_t"] * (1 - S["c_t"]), S["o_t"] - S["o_t"] * S["c_t"]).method
    'expanded'
    >>> judge_expression(S["o_t"], S["f_t"]).detail[:40]
    'at a sample point the expected answer is'
    """
    expected = substitute_definitions(_as_expr(expected, "expected"), definitions)
    submitted = substitute_definitions(_as_expr(submitted, "submitted"), definitions)
    if expected == submitted:
        return Equivalence("equivalent", "structural", "the same expression after substituting the definitions")
    if sympy.count_ops(expected) + sympy.count_ops(submitted) <= _EXPAND_OPS:
        finished, difference = _limited(lambda: sympy.expand(expected - submitted), min(timeout, 1.0))
        if finished and difference == 0:
            return Equivalence("equivalent", "expanded", "equal after expanding both sides")
    numeric = _judge_numerically(expected, submitted, seed or _default_seed(expected), points)
    if numeric.verdict != "undecided":
        return numeric
    symbolic = _judge_symbolically(expected, submitted, timeout)
    return symbolic if symbolic.verdict == "equivalent" else Equivalence(
        "undecided", numeric.method, f"{numeric.detail}; {symbolic.detail}")


def _judge_numerically(expected: sympy.Expr, submitted: sympy.Expr, seed: str, points: int,
                       *, positive: bool = False) -> Equivalence:
    symbols = sorted(expected.free_symbols | submitted.free_symbols, key=lambda s: s.name)
    extra = sorted(s.name for s in submitted.free_symbols - expected.free_symbols)
    agreed = 0
    with mpmath.workdps(_DPS):
        for k in range(points):
            for attempt in range(_MAX_ATTEMPTS):
                point = _point(symbols, seed, k, attempt, positive)
                try:
                    a, b = _evaluate(expected, point), _evaluate(submitted, point)
                except _Undefined:
                    continue
                except _Unsupported:
                    return Equivalence("undecided", "numeric",
                                       "the expression contains a part that cannot be evaluated")
                if not _close(a, b):
                    detail = f"at a sample point the expected answer is {_show(a)} and the submitted one is {_show(b)}"
                    if extra:
                        detail += f"; the answer uses {', '.join(extra)}, which the expected answer does not depend on"
                    return Equivalence("different", "numeric", detail)
                agreed += 1
                break
    if agreed == points:
        return Equivalence("equivalent", "numeric", f"equal at {points} random points (50 digits)")
    return Equivalence("undecided", "numeric", f"could be evaluated at only {agreed} of {points} points")


def _judge_symbolically(expected: sympy.Expr, submitted: sympy.Expr, timeout: float) -> Equivalence:
    def difference_is_zero() -> bool:
        difference = (expected - submitted).rewrite(sympy.exp)
        return sympy.simplify(difference) == 0

    finished, is_zero = _limited(difference_is_zero, timeout)
    if not finished:
        return Equivalence("undecided", "symbolic",
                           f"no symbolic check within {timeout:g} s (or no timer on this thread)")
    if is_zero:
        return Equivalence("equivalent", "symbolic", "the difference simplifies to 0")
    return Equivalence("undecided", "symbolic", "the difference did not simplify to 0")


# ------------------------------------------------------------------------------------ numbers


def _number_or_none(value: sympy.Expr) -> Any:
    """The value of a numeric expression as an mpmath number, or None if it has none."""
    if value.free_symbols:
        return None
    with mpmath.workdps(_DPS):
        try:
            return _evaluate(value, {})
        except (_Undefined, _Unsupported):
            return None


def judge_number(expected: Any, submitted: Any, *, abs_tol: Any = 0, rel_tol: Any = 0) -> Equivalence:
    """Judge a number: exact by default, else within ``abs_tol`` or ``rel_tol`` (as math.isclose).

    Tolerances are exact numbers (``"0.01"``, ``Fraction(1, 100)``); a submitted expression such as
    ``4*(16*32 + 32*32 + 32)`` or ``sqrt(2)`` is a number too.

    >>> judge_number("0.1", sympy.Rational(1, 10)).verdict
    'equivalent'
    >>> judge_number(3, sympy.Rational(314, 100), abs_tol="0.2").method
    'tolerance'
    """
    expected = _as_expr(expected, "expected")
    submitted = _as_expr(submitted, "submitted")
    absolute, relative = to_fraction(abs_tol, field="abs_tol"), to_fraction(rel_tol, field="rel_tol")
    if absolute < 0 or relative < 0:
        raise InvalidNumber("tolerances must not be negative", field="abs_tol" if absolute < 0 else "rel_tol")
    if submitted.free_symbols:
        names = ", ".join(sorted(s.name for s in submitted.free_symbols))
        return Equivalence("different", "number", f"expected a number, got an expression in {names}")
    exact = absolute == 0 and relative == 0
    if expected.is_Rational and submitted.is_Rational:
        gap = abs(expected - submitted)
        if exact:
            return Equivalence("equivalent" if gap == 0 else "different", "exact", _number_detail(expected, submitted))
        allowed = max(sympy.Rational(absolute.numerator, absolute.denominator),
                      sympy.Rational(relative.numerator, relative.denominator) * max(abs(expected), abs(submitted)))
        return Equivalence("equivalent" if gap <= allowed else "different", "tolerance",
                           _number_detail(expected, submitted))
    with mpmath.workdps(_DPS):
        a, b = _number_or_none(expected), _number_or_none(submitted)
        if a is None or b is None:
            return Equivalence("undecided", "number", "the number could not be evaluated")
        if exact:
            verdict = "equivalent" if _close(a, b) else "different"
            return Equivalence(verdict, "numeric", f"expected {_show(a)}, got {_show(b)}")
        allowed = max(mpmath.mpf(absolute.numerator) / absolute.denominator,
                      mpmath.mpf(relative.numerator) / relative.denominator * max(abs(a), abs(b)))
        verdict = "equivalent" if abs(a - b) <= allowed else "different"
        return Equivalence(verdict, "tolerance", f"expected {_show(a)}, got {_show(b)}")


def _number_detail(expected: sympy.Expr, submitted: sympy.Expr) -> str:
    return f"expected {expected}, got {submitted}"


def judge_integer(expected: int, submitted: Any) -> Equivalence:
    """Judge a whole number exactly (big integers welcome); a fraction or an expression is different.

    >>> judge_integer(6272, sympy.Integer(4) * (16 * 32 + 32 * 32 + 32)).verdict
    'equivalent'
    """
    if isinstance(expected, bool) or not isinstance(expected, (int, sympy.Integer)):
        raise InvalidKey(f"an integer answer must be a whole number, got {expected!r}")
    submitted = _as_expr(submitted, "submitted")
    if submitted.free_symbols:
        names = ", ".join(sorted(s.name for s in submitted.free_symbols))
        return Equivalence("different", "exact", f"expected a whole number, got an expression in {names}")
    if not submitted.is_Integer:
        return Equivalence("different", "exact", f"expected a whole number, got {submitted}")
    verdict = "equivalent" if int(submitted) == int(expected) else "different"
    return Equivalence(verdict, "exact", f"expected {int(expected)}, got {int(submitted)}")


# ------------------------------------------------------------------------------------- big-O


def judge_big_o(expected: sympy.Expr, submitted: sympy.Expr, *, seed: str = "", points: int = 5) -> Equivalence:
    """Judge a growth rate: equal up to a positive constant factor (``O(2dkHW) = O(dkHW)``).

    Lower-order terms make a different answer: the ratio must be a constant, not just tend to one.

    >>> d, k = sympy.symbols("d k", positive=True)
    >>> judge_big_o(d * k**2, 3 * k * d * k).verdict, judge_big_o(d * k, d + k).verdict
    ('equivalent', 'different')
    """
    expected = _as_expr(expected, "expected")
    submitted = _as_expr(submitted, "submitted")
    if expected.is_zero or submitted.is_zero:
        verdict = "equivalent" if expected.is_zero and submitted.is_zero else "different"
        return Equivalence(verdict, "ratio", "a growth rate of 0")
    ratio = sympy.cancel(sympy.expand_log(submitted / expected, force=True))
    if not ratio.free_symbols:
        value = _number_or_none(ratio)
        if value is not None and value > 0:
            return Equivalence("equivalent", "ratio", f"equal up to the constant factor {sympy.sstr(ratio)}")
        return Equivalence("different", "ratio",
                           f"the ratio to the expected growth is {sympy.sstr(ratio)}, not positive")
    # the ratio may still be a constant that cancel cannot see (logs of powers): test it numerically
    symbols = sorted(ratio.free_symbols, key=lambda s: s.name)
    values = []
    with mpmath.workdps(_DPS):
        for k in range(points):
            try:
                values.append(_evaluate(ratio, _point(symbols, seed or _default_seed(expected), k, 0, True)))
            except (_Undefined, _Unsupported):
                return Equivalence("undecided", "ratio", f"the ratio {sympy.sstr(ratio)} could not be evaluated")
        constant = all(_close(v, values[0]) for v in values) and values[0] > 0
    if constant:
        return Equivalence("equivalent", "numeric ratio",
                           "the ratio is the same positive constant at every sample point")
    return Equivalence("different", "ratio", f"the ratio to the expected growth is {sympy.sstr(ratio)}, not a constant")


# -------------------------------------------------------------------------------- fingerprints

_FINGERPRINT_SEED = "handnets.fingerprint.v1"


def fingerprint(expr: sympy.Expr, definitions: Mapping[sympy.Symbol, sympy.Expr] | None = None, *,
                points: int = 4, digits: int = 12) -> tuple[str, ...]:
    """A stable signature of what ``expr`` means: its values at fixed points, rounded to ``digits``.

    Equivalent expressions get the same signature (in every process and run), so equivalent wrong
    answers can be grouped without comparing strings. Values are drawn per symbol name, so
    expressions in different symbols are still comparable.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> fingerprint(S["o_t"] * (1 - S["o_t"])) == fingerprint(S["o_t"] - S["o_t"] ** 2)
    True
    """
    expr = substitute_definitions(_as_expr(expr, "expr"), definitions)
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    signature: list[str] = []
    with mpmath.workdps(_DPS):
        for k in range(points):
            for attempt in range(_MAX_ATTEMPTS):
                try:
                    value = _evaluate(expr, _point(symbols, _FINGERPRINT_SEED, k, attempt, False))
                except _Undefined:
                    continue
                except _Unsupported:
                    signature.append("unsupported")
                    break
                # an exact zero computed with rounding error must not depend on its sign
                signature.append("0" if abs(value) < mpmath.mpf(10) ** -(_DPS // 2) else mpmath.nstr(value, digits))
                break
            else:
                signature.append("undefined")
    return tuple(signature)
