"""Judging a submitted answer against the expected one, in layers, as a careful human grader would.

For expressions (``judge_expression``):

(a) structural: the two trees are equal, or (when both use the same names) equal after ``expand``;
(b) the key's definitions are substituted into both sides (``Definitions``: each defined symbol's
    closure is computed once, so a substitution is one ``xreplace``, and the expected answer's is
    kept), so a student may write a gate or its definition, ``obar_t`` or ``hbar_t*tanh(c_t)``;
(c) numeric: both sides at several deterministic random points (values drawn per symbol name from
    a hash of the seed, gates in (0, 1)), in machine floats first; floats that differ are confirmed
    with mpmath at 50 digits before "different", floats that agree are confirmed at 50 digits at one
    point, and a point where floats fail is left to mpmath. Every power and exp has its size bounded
    before it is computed (|exponent * log(base)| at most 1e5), so ``pi**(pi**(pi**20))`` is refused
    in microseconds instead of filling memory; a point where either side is undefined is replaced;
    ``sum_over_t(X)`` is X summed over two steps (weights held, everything indexed by time redrawn);
(d) symbolic: ``simplify`` of the difference, rewritten in ``exp``, under a time limit enforced
    with ``SIGALRM`` (only on the main thread of the main interpreter; elsewhere this layer is
    skipped and the verdict is "undecided").

Numbers (``judge_number``, ``judge_integer``) are compared exactly (integers of any length, never
through ``str()``) or within a tolerance; big-O answers (``judge_big_o``) by their class with every
size at least 1: terms dominated by others are dropped, and a looser true bound is told apart from
a wrong class (``growth_relation``); ``fingerprint`` gives a stable numeric signature of an
expression's meaning, so equivalent wrong answers can be grouped.

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
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeVar

import mpmath
import sympy

from handnets.errors import InvalidKey, InvalidNumber
from handnets.exact import to_fraction
from handnets.vocabulary import OFFSETS, has_sum_over_t, is_sum_over_t, sigmoid

__all__ = [
    "Equivalence",
    "Definitions",
    "LooseBound",
    "WrittenOut",
    "VERDICTS",
    "judge_expression",
    "judge_number",
    "judge_integer",
    "judge_big_o",
    "growth_relation",
    "describe_number",
    "fingerprint",
    "substitute_definitions",
]

VERDICTS = ("equivalent", "different", "undecided")
_DPS = 50  # digits of the mpmath evaluation that settles what floats cannot
_TOLERANCE = mpmath.mpf(10) ** -30  # relative (and absolute below 1) agreement of equal expressions at 50 digits
_FLOAT_TOLERANCE = 1e-9  # the same for machine floats (15-16 digits, some lost to rounding)
_MAX_ATTEMPTS = 8  # fresh points tried when a side is undefined at one
_EXPAND_NODES = 400  # larger expressions skip the expand layer (the numeric layer decides)
_SYMBOLIC_NODES = 3000  # larger expressions skip simplify, which can take far longer than its timer
_EXP_LIMIT = 10**5  # |log| of a power or exp beyond this is refused before computing (the point is undefined)
_SHOWN_BITS = 14_000  # numbers longer than this (about 4,200 digits) are described, not printed: str() refuses past 4,300


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


class Definitions(Mapping):
    """Definitions (symbol -> expression) ready to substitute: each symbol's closure computed once.

    The closure of a symbol is its definition with every defined symbol in it replaced by that
    symbol's own closure, so substituting an answer is one ``xreplace`` whatever the depth of the
    definitions, and the closures share their subtrees. Substituted expressions are kept (the key's
    expected answer and its mistakes are substituted once per question, not once per answer).
    A cycle (``a -> b``, ``b -> a``) is the key's fault: ``InvalidKey``.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> Definitions({S["h_t"]: S["o_t"] * S["c_t"], S["c_t"]: 2 * S["c_prev"]}).closure[S["h_t"]]
    2*c_prev*o_t
    """

    __slots__ = ("_definitions", "closure", "_memo")
    _MEMO_SIZE = 4096

    def __init__(self, definitions: Mapping[sympy.Symbol, sympy.Expr]):
        for key, value in definitions.items():
            if not isinstance(key, sympy.Symbol) or not isinstance(value, sympy.Basic):
                raise InvalidKey(f"a definition must map a symbol to an expression, got {key!r} -> {value!r}")
        self._definitions = dict(definitions)
        self.closure = MappingProxyType(_closures(self._definitions))
        self._memo: dict[sympy.Basic, sympy.Basic] = {}

    def __getitem__(self, key: sympy.Symbol) -> sympy.Expr:
        return self._definitions[key]

    def __iter__(self):
        return iter(self._definitions)

    def __len__(self) -> int:
        return len(self._definitions)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __reduce__(self):
        # the closures and the memo are rebuilt in the other process; only the definitions travel
        return (Definitions, (self._definitions,))

    def substitute(self, expr: sympy.Basic) -> sympy.Basic:
        """``expr`` with every defined symbol replaced by its closure (remembered for the next call)."""
        # least recently used first: the key's expected answers and mistakes, used for every answer to
        # their question, stay while a course's stream of one-off answers passes through
        found = self._memo.pop(expr, None)
        if found is None:
            found = expr.xreplace(self.closure) if _symbols(expr) & self.closure.keys() else expr
            if len(self._memo) >= self._MEMO_SIZE:
                del self._memo[next(iter(self._memo))]
        self._memo[expr] = found
        return found


def _closures(definitions: Mapping[sympy.Symbol, sympy.Expr]) -> dict[sympy.Symbol, sympy.Expr]:
    """Each defined symbol's fully substituted definition, in dependency order (a cycle is InvalidKey)."""
    done: dict[sympy.Symbol, sympy.Expr] = {}
    for root in definitions:
        if root in done:
            continue
        # iterative depth-first search: definitions may chain deeper than Python's recursion allows
        stack: list[tuple[sympy.Symbol, bool]] = [(root, False)]
        open_: set[sympy.Symbol] = set()
        while stack:
            symbol, children_done = stack.pop()
            if symbol in done:
                continue
            needs = [s for s in definitions[symbol].free_symbols if s in definitions and s not in done]
            if children_done or not needs:
                definition = definitions[symbol]
                done[symbol] = definition.xreplace({s: done[s] for s in definition.free_symbols if s in done})
                open_.discard(symbol)
                continue
            if symbol in open_:
                raise InvalidKey(f"the definitions are cyclic: {symbol} depends on itself")
            open_.add(symbol)
            stack.append((symbol, True))
            for s in needs:
                if s in open_:
                    raise InvalidKey(f"the definitions are cyclic: {s} depends on itself")
                stack.append((s, False))
    return done


def substitute_definitions(expr: sympy.Expr, definitions: Mapping[sympy.Symbol, sympy.Expr] | None) -> sympy.Expr:
    """Replace defined symbols by their definitions until none is left.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> substitute_definitions(S["h_t"], {S["h_t"]: S["o_t"] * S["c_t"], S["c_t"]: 2 * S["c_prev"]})
    2*c_prev*o_t
    """
    if not definitions:
        return expr
    prepared = definitions if isinstance(definitions, Definitions) else Definitions(definitions)
    return prepared.substitute(expr)


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


def _in_time(symbol: sympy.Symbol) -> bool:
    """Whether a symbol takes a new value at every step (x_t, c_prev, ...), unlike a weight."""
    return symbol.name.rpartition("_")[2] in OFFSETS


class _Point:
    """Exact sample values; ``later`` holds the values of the time-indexed symbols at a second step
    (drawn only when a sum over t asks for them)."""

    __slots__ = ("values", "_draw", "_later")

    def __init__(self, values: Mapping[sympy.Symbol, Fraction], draw: Callable[[], dict] | None = None):
        self.values = values
        self._draw = draw
        self._later: Mapping[sympy.Symbol, Fraction] | None = None if draw else values

    @property
    def later(self) -> Mapping[sympy.Symbol, Fraction]:
        if self._later is None:
            self._later = self._draw()
        return self._later


def _point(symbols: list[sympy.Symbol], seed: str, k: int, attempt: int, positive: bool) -> _Point:
    values = {}
    for symbol in symbols:
        low, high = _range(symbol, positive)
        values[symbol] = low + (high - low) * _unit(seed, symbol.name, k, attempt)

    def draw() -> dict:
        later = dict(values)
        for symbol in symbols:
            if _in_time(symbol):
                low, high = _range(symbol, positive)
                later[symbol] = low + (high - low) * _unit(seed, symbol.name, k, attempt + 1000)
        return later

    return _Point(values, draw)


# ---------------------------------------------------------------------------- numeric evaluation


class _Undefined(Exception):
    """The expression has no real value at this point (division by zero, log of a negative, ...)."""


class _TooLarge(_Undefined):
    """A value at this point is too large (or too small) to compute within the memory bound."""


class _Unsupported(Exception):
    """The expression contains a node the evaluator does not know."""


class _Escalate(Exception):
    """Machine floats cannot settle this value (overflow, rounding to 0 or inf): use mpmath."""


_MAG_LIMIT = 10**6  # |log2| of any intermediate value: beyond it the point is refused, before computing


class _FloatMath:
    """Machine floats: fast, for the first pass. Anything doubtful escalates to mpmath."""

    name = "float"

    @staticmethod
    def constant(p: int, q: int) -> float:
        try:
            return p / q
        except OverflowError:
            raise _Escalate from None

    @staticmethod
    def convert(value: Fraction) -> float:
        return value.numerator / value.denominator

    pi = math.pi
    e = math.e

    @staticmethod
    def check(value: Any) -> float:
        if not isinstance(value, float) or not math.isfinite(value):
            raise _Escalate
        return value

    @staticmethod
    def power(base: float, exponent: float) -> float:
        if base == 0 or (base < 0 and not float(exponent).is_integer()):
            raise _Escalate  # mpmath decides whether the point is really undefined
        try:
            return math.pow(base, exponent)
        except (OverflowError, ValueError):
            raise _Escalate from None

    @staticmethod
    def exp(arg: float) -> float:
        if arg > 700 or arg < -700:
            raise _Escalate
        return math.exp(arg)

    @staticmethod
    def log(arg: float) -> float:
        if arg <= 0:
            raise _Escalate
        return math.log(arg)

    @staticmethod
    def tanh(arg: float) -> float:
        return math.tanh(arg)

    @staticmethod
    def float_from(node: sympy.Float) -> float:
        value = float(node)
        if not math.isfinite(value):
            raise _Escalate
        return value


class _MpMath:
    """mpmath at the working precision, every operation's size bounded before it runs."""

    name = "mpmath"

    @staticmethod
    def constant(p: int, q: int) -> Any:
        return mpmath.mpf(p) / q

    @staticmethod
    def convert(value: Fraction) -> Any:
        return mpmath.mpf(value.numerator) / value.denominator

    @property
    def pi(self) -> Any:
        return +mpmath.pi

    @property
    def e(self) -> Any:
        return +mpmath.e

    @staticmethod
    def check(value: Any) -> Any:
        if isinstance(value, mpmath.mpc) or not mpmath.isfinite(value):
            raise _Undefined
        if value and abs(mpmath.mag(value)) > _MAG_LIMIT:
            raise _TooLarge
        return value

    @staticmethod
    def power(base: Any, exponent: Any) -> Any:
        if base == 0:
            if exponent <= 0:
                raise _Undefined
            return mpmath.mpf(0)
        if base < 0 and not mpmath.isint(exponent):
            raise _Undefined
        # |exponent * log|base|| bounds the size of the result: estimate it at low precision first
        with mpmath.workprec(53):
            size = abs(exponent) * abs(mpmath.log(abs(base)))
        if size > _EXP_LIMIT:
            raise _TooLarge
        return mpmath.power(base, exponent)

    @staticmethod
    def exp(arg: Any) -> Any:
        if arg > _EXP_LIMIT:
            raise _TooLarge
        if arg < -_EXP_LIMIT:
            return mpmath.mpf(0)
        return mpmath.exp(arg)

    @staticmethod
    def log(arg: Any) -> Any:
        if arg <= 0:
            raise _Undefined
        return mpmath.log(arg)

    @staticmethod
    def tanh(arg: Any) -> Any:
        if abs(arg) > _EXP_LIMIT:
            return mpmath.mpf(1) if arg > 0 else mpmath.mpf(-1)
        return mpmath.tanh(arg)

    @staticmethod
    def float_from(node: sympy.Float) -> Any:
        return mpmath.mpf(node._mpf_)


_FLOATS, _MPMATH = _FloatMath(), _MpMath()


def _evaluate(expr: sympy.Basic, point: _Point, math_: Any = _MPMATH, *, later: bool = False) -> Any:
    """The value of ``expr`` at ``point`` (``later``: at the point's second step) in floats or mpmath.

    ``sum_over_t(X)`` is X at the point's step plus X at its second step: a real sum over two steps,
    in which the weights keep their values and everything indexed by time takes new ones.
    """
    values = point.later if later else point.values
    cache: dict[sympy.Basic, Any] = {}
    check = math_.check

    def value(node: sympy.Basic) -> Any:
        found = cache.get(node)
        if found is not None:
            return found
        result = check(compute(node))
        cache[node] = result
        return result

    def compute(node: sympy.Basic) -> Any:
        if node.is_Symbol:
            if node not in values:
                raise _Unsupported
            return math_.convert(values[node])
        if node.is_Rational:
            return math_.constant(int(node.p), int(node.q))
        if node is sympy.pi:
            return math_.pi
        if node is sympy.E:
            return math_.e
        if node.is_Float:
            return math_.float_from(node)
        if node.is_Add:
            total = value(node.args[0])
            for arg in node.args[1:]:
                total = check(total + value(arg))
            return total
        if node.is_Mul:
            product = value(node.args[0])
            for arg in node.args[1:]:
                product = check(product * value(arg))
            return product
        if node.is_Pow:
            return math_.power(value(node.base), value(node.exp))
        if isinstance(node, sigmoid):
            arg = value(node.args[0])
            if abs(arg) > _EXP_LIMIT:
                return math_.constant(1, 1) if arg > 0 else math_.constant(0, 1)
            return 1 / (1 + math_.exp(-arg))
        if isinstance(node, sympy.tanh):
            return math_.tanh(value(node.args[0]))
        if isinstance(node, (sympy.cosh, sympy.sinh, sympy.sech)):
            # through exp, so that the size bound on exp holds: cosh = (e^a + e^-a)/2, sech = 1/cosh
            arg = value(node.args[0])
            up, down = math_.exp(arg), math_.exp(-arg)
            if isinstance(node, sympy.sinh):
                return (up - down) / 2
            return (up + down) / 2 if isinstance(node, sympy.cosh) else 2 / (up + down)
        if isinstance(node, (sympy.Max, sympy.Min)):
            args = [value(arg) for arg in node.args]
            return max(args) if isinstance(node, sympy.Max) else min(args)
        if isinstance(node, sympy.exp):
            return math_.exp(value(node.args[0]))
        if isinstance(node, sympy.log):
            return math_.log(value(node.args[0]))
        if isinstance(node, sympy.Abs):
            return abs(value(node.args[0]))
        if isinstance(node, sympy.factorial):
            if math_ is _FLOATS:
                raise _Escalate
            arg = value(node.args[0])
            if not mpmath.isint(arg) or arg < 0 or arg > 1000:
                raise _Undefined
            return mpmath.factorial(arg)
        if is_sum_over_t(node):
            if later:
                raise _Unsupported  # a sum inside a sum has no meaning here
            return value(node.args[0]) + _evaluate(node.args[0], point, math_, later=True)
        raise _Unsupported

    try:
        return value(expr)
    except (ZeroDivisionError, OverflowError, ValueError, RecursionError):
        raise (_Escalate if math_ is _FLOATS else _Undefined) from None


_VALUES: dict[tuple, Any] = {}  # values of the key's expressions at sample points (they recur for every answer)
_VALUES_SIZE = 50_000


def _value_at(expr: sympy.Basic, point: _Point, math_: Any, where: tuple, remember: bool) -> Any:
    """``_evaluate`` at one sample point; ``remember`` keeps the result (or its failure) for the next answer."""
    if not remember:
        return _evaluate(expr, point, math_)
    memo_key = (expr, math_.name, mpmath.mp.prec, *where)
    found = _VALUES.get(memo_key)
    if found is None:
        try:
            found = ("value", _evaluate(expr, point, math_))
        except (_Undefined, _Unsupported, _Escalate) as exc:
            found = ("raise", type(exc))
        if len(_VALUES) >= _VALUES_SIZE:
            _VALUES.clear()
        _VALUES[memo_key] = found
    kind, result = found
    if kind == "raise":
        raise result
    return result


def _close(a: Any, b: Any) -> bool:
    return abs(a - b) <= _TOLERANCE * max(1, abs(a), abs(b))


def _float_close(a: float, b: float) -> bool:
    return abs(a - b) <= _FLOAT_TOLERANCE * max(1.0, abs(a), abs(b))


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
    # the alarm may also fire after compute returned, while the timer is being cancelled: catch it outside
    # and it may fire where Python cannot raise (a gc callback prints the exception and goes on):
    # then compute runs on, and its result came after the limit all the same
    started = time.monotonic()
    try:
        with _time_limit(seconds) as enforced:
            if not enforced:
                return False, None
            result = compute()
    except _Timeout:
        return False, None
    if time.monotonic() - started >= seconds:
        return False, None
    return True, result


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
    try:
        return "handnets:" + sympy.srepr(expected)
    except ValueError:  # an integer too long for str(): the symbols fix the points well enough
        return "handnets:" + ",".join(sorted(s.name for s in expected.free_symbols))


_SYMBOLS_SEEN: dict[sympy.Basic, frozenset] = {}


def _symbols(expr: sympy.Basic) -> frozenset:
    """The free symbols of ``expr``, visiting each shared subtree once (sympy's free_symbols walks the tree,
    and substituted definitions share their subtrees: the tree can be exponentially larger than the graph)."""
    found = _SYMBOLS_SEEN.get(expr)
    if found is not None:
        return found
    seen: set[int] = set()
    symbols = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.is_Symbol:
            symbols.add(node)
        else:
            stack.extend(node.args)
    if len(_SYMBOLS_SEEN) >= _VALUES_SIZE:
        _SYMBOLS_SEEN.clear()
    found = _SYMBOLS_SEEN[expr] = frozenset(symbols)
    return found


def _small(expr: sympy.Basic, limit: int) -> bool:
    """Whether ``expr`` has at most ``limit`` nodes (counted as a tree, stopping early)."""
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > limit:
            return False
    return True


def _sum_forms(expected: sympy.Expr, submitted: sympy.Expr) -> Equivalence | None:
    """A whole sum over t against a summand (or the reverse) is a different answer, said plainly."""
    in_expected, in_submitted = has_sum_over_t(expected), has_sum_over_t(submitted)
    if in_expected == in_submitted:
        return None
    if in_submitted:
        return Equivalence("different", "sum or summand", "the answer is a sum over t, the expected answer is one step's summand")
    return Equivalence("different", "sum or summand", "the answer is one step's summand, the expected answer is the sum over t")


@dataclass(frozen=True, slots=True)
class WrittenOut:
    """A key's answer judged after the names a question asks to write out are substituted into the answer.

    A question that asks for cbar_t "in terms of (yhat_t - y_t)" does not define hbar_t for the grader (so
    an answer that leaves it standing is not the expected one); its mistakes are ``WrittenOut`` so that they
    are recognised in either form, and ``names_used`` marks the one that is right only through the names.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> rule = WrittenOut(2 * S["x_t"], Definitions({S["hbar_t"]: 2 * S["x_t"]}), "hbar_t", names_used=True)
    >>> judge_expression(rule, S["hbar_t"]).verdict, judge_expression(rule, 2 * S["x_t"]).verdict
    ('equivalent', 'different')
    """

    expr: sympy.Expr
    names: Definitions
    example: str  # the answer as a key writes it (the names left standing)
    names_used: bool = False  # equivalent only if the answer names one of them


def judge_expression(expected: sympy.Expr, submitted: sympy.Expr, *,
                     definitions: Mapping[sympy.Symbol, sympy.Expr] | None = None, seed: str = "",
                     points: int = 6, timeout: float = 2.0) -> Equivalence:
    """Judge ``submitted`` against ``expected``: structural, then numeric, then time-limited symbolic.

    ``definitions`` (symbol -> expression; a ``Definitions`` keeps its substitutions) are substituted
    into both sides first. ``seed`` (the question id, by default the expected expression) fixes the
    sample points; ``points`` is how many must agree; ``timeout`` bounds each expensive layer in seconds.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> judge_expression(S["o_t"] * (1 - S["c_t"]), S["o_t"] - S["o_t"] * S["c_t"]).method
    'expanded'
    >>> judge_expression(S["o_t"], S["f_t"]).detail[:40]
    'at a sample point the expected answer is'
    """
    if isinstance(expected, WrittenOut):
        submitted = _as_expr(submitted, "submitted")
        if expected.names_used and not (submitted.free_symbols & expected.names.keys()):
            return Equivalence("different", "names", "the answer writes out what it was asked to")
        return judge_expression(expected.expr, expected.names.substitute(submitted), definitions=definitions,
                                seed=seed, points=points, timeout=timeout)
    expected, submitted = _as_expr(expected, "expected"), _as_expr(submitted, "submitted")
    if expected == submitted:
        return Equivalence("equivalent", "structural", "the same expression")
    forms = _sum_forms(expected, submitted)
    if forms is not None:
        return forms
    # expanding is cheap on answers as written, before the definitions make them large
    # (only when both use the same names: a difference in names is for the definitions to settle)
    same_names = expected.free_symbols == submitted.free_symbols
    if same_names and _small(expected, _EXPAND_NODES) and _small(submitted, _EXPAND_NODES):
        finished, difference = _limited(lambda: sympy.expand(expected - submitted), min(timeout, 1.0))
        if finished and difference == 0:
            return Equivalence("equivalent", "expanded", "equal after expanding both sides")
    expected = substitute_definitions(expected, definitions)
    submitted = substitute_definitions(submitted, definitions)
    if expected == submitted:
        return Equivalence("equivalent", "structural", "the same expression after substituting the definitions")
    numeric = _judge_numerically(expected, submitted, seed or _default_seed(expected), points)
    if numeric.verdict != "undecided" or numeric.method == "too large":
        return numeric
    symbolic = _judge_symbolically(expected, submitted, timeout)
    return symbolic if symbolic.verdict == "equivalent" else Equivalence(
        "undecided", numeric.method, f"{numeric.detail}; {symbolic.detail}")


def _judge_numerically(expected: sympy.Expr, submitted: sympy.Expr, seed: str, points: int,
                       *, positive: bool = False) -> Equivalence:
    """Compare at ``points`` sample points: machine floats first, mpmath at 50 digits to settle.

    Floats that differ clearly are confirmed at 50 digits before "different" (rounding can fool
    floats); floats that agree everywhere are confirmed at 50 digits at one point (a tiny constant
    can fool them). A point where floats fail (overflow, a pole) is evaluated by mpmath alone.
    """
    symbols = sorted(_symbols(expected) | _symbols(submitted), key=lambda s: s.name)
    agreed, confirmed, too_large = 0, False, False
    first_point: tuple | None = None
    with mpmath.workdps(_DPS):
        for k in range(points):
            for attempt in range(_MAX_ATTEMPTS):
                point = _point(symbols, seed, k, attempt, positive)
                where = (seed, k, attempt, positive)
                try:
                    outcome = _compare_at(expected, submitted, point, where)
                except _TooLarge:
                    too_large = True
                    continue
                except _Undefined:
                    continue
                except _Unsupported:
                    return Equivalence("undecided", "numeric", "the expression contains a part that cannot be evaluated")
                if outcome[0] == "different":
                    return _different(expected, submitted, outcome[1], outcome[2])
                confirmed = confirmed or outcome[0] == "confirmed"
                if first_point is None:
                    first_point = (point, where)
                agreed += 1
                break
        if agreed == points and not confirmed and first_point is not None:
            point, where = first_point
            try:
                a = _value_at(expected, point, _MPMATH, where, True)
                b = _value_at(submitted, point, _MPMATH, where, False)
            except (_Undefined, _Unsupported):
                a = b = None
            if a is not None and not _close(a, b):
                return _different(expected, submitted, a, b)
    if agreed == points:
        return Equivalence("equivalent", "numeric", f"equal at {points} random points (confirmed at {_DPS} digits)")
    if too_large and agreed == 0:
        return Equivalence("undecided", "too large", "a value of the answer is too large to compute at any sample point")
    return Equivalence("undecided", "numeric", f"could be evaluated at only {agreed} of {points} points")


def _compare_at(expected: sympy.Expr, submitted: sympy.Expr, point: _Point, where: tuple) -> tuple:
    """("agreed" | "confirmed" | "different", expected value, submitted value) at one point."""
    try:
        a = _value_at(expected, point, _FLOATS, where, True)
        b = _value_at(submitted, point, _FLOATS, where, False)
        if _float_close(a, b):
            return ("agreed", a, b)
    except _Escalate:
        pass
    a = _value_at(expected, point, _MPMATH, where, True)
    b = _value_at(submitted, point, _MPMATH, where, False)
    return ("confirmed", a, b) if _close(a, b) else ("different", a, b)


def _different(expected: sympy.Expr, submitted: sympy.Expr, a: Any, b: Any) -> Equivalence:
    detail = f"at a sample point the expected answer is {_show(a)} and the submitted one is {_show(b)}"
    extra = sorted(s.name for s in _symbols(submitted) - _symbols(expected))
    if extra:
        detail += f"; the answer uses {', '.join(extra)}, which the expected answer does not depend on"
    return Equivalence("different", "numeric", detail)


def _judge_symbolically(expected: sympy.Expr, submitted: sympy.Expr, timeout: float) -> Equivalence:
    def difference_is_zero() -> bool:
        difference = (expected - submitted).rewrite(sympy.exp)
        return sympy.simplify(difference) == 0

    if not (_small(expected, _SYMBOLIC_NODES) and _small(submitted, _SYMBOLIC_NODES)):
        return Equivalence("undecided", "symbolic", "too large for a symbolic check")
    finished, is_zero = _limited(difference_is_zero, timeout)
    if not finished:
        return Equivalence("undecided", "symbolic",
                           f"no symbolic check within {timeout:g} s (or no timer on this thread)")
    if is_zero:
        return Equivalence("equivalent", "symbolic", "the difference simplifies to 0")
    return Equivalence("undecided", "symbolic", "the difference did not simplify to 0")


# ------------------------------------------------------------------------------------ numbers


def describe_number(value: Any) -> str:
    """A number as a reader sees it, without ``str()`` of a huge integer (Python refuses past 4,300 digits).

    >>> describe_number(sympy.Integer(6272)), describe_number(sympy.Integer(10) ** 5000)
    ('6272', 'a 5001-digit number, about 1.0e+5000')
    """
    if isinstance(value, (int, sympy.Integer)) and not isinstance(value, bool):
        n = int(value)
        if n.bit_length() <= _SHOWN_BITS:
            return str(n)
        digits = _digit_count(n)
        with mpmath.workdps(15):
            return f"a {digits}-digit number, about {mpmath.nstr(mpmath.mpf(n), 2)}"
    if isinstance(value, sympy.Rational):
        if max(int(value.p).bit_length(), int(value.q).bit_length()) <= _SHOWN_BITS:
            return str(value)
        with mpmath.workdps(15):
            return f"a fraction of about {mpmath.nstr(mpmath.mpf(int(value.p)) / int(value.q), 6)}"
    try:
        return sympy.sstr(value)
    except ValueError:
        return "a number too long to print"


def _digit_count(n: int) -> int:
    """Decimal digits of |n| (n != 0), from its bit length and one exact comparison."""
    n = abs(n)
    guess = int((n.bit_length() - 1) * 0.30102999566398120) + 1  # floor(log10(2**(b-1))) + 1 <= digits
    return guess + 1 if n >= 10**guess else guess


def _number_or_none(value: sympy.Expr) -> Any:
    """The value of a numeric expression as an mpmath number, or None if it has none (or is too large)."""
    if value.free_symbols:
        return None
    with mpmath.workdps(_DPS):
        try:
            return _evaluate(value, _Point({}))
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
            return Equivalence("undecided", "number", "the number could not be evaluated (undefined or too large)")
        if exact:
            verdict = "equivalent" if _close(a, b) else "different"
            return Equivalence(verdict, "numeric", f"expected {_show(a)}, got {_show(b)}")
        allowed = max(mpmath.mpf(absolute.numerator) / absolute.denominator,
                      mpmath.mpf(relative.numerator) / relative.denominator * max(abs(a), abs(b)))
        verdict = "equivalent" if abs(a - b) <= allowed else "different"
        return Equivalence(verdict, "tolerance", f"expected {_show(a)}, got {_show(b)}")


def _number_detail(expected: sympy.Expr, submitted: sympy.Expr) -> str:
    return f"expected {describe_number(expected)}, got {describe_number(submitted)}"


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
        return Equivalence("different", "exact", f"expected a whole number, got {describe_number(submitted)}")
    verdict = "equivalent" if int(submitted) == int(expected) else "different"
    return Equivalence(verdict, "exact", f"expected {describe_number(expected)}, got {describe_number(submitted)}")


# ------------------------------------------------------------------------------------- big-O


@dataclass(frozen=True, slots=True)
class LooseBound:
    """Stands for "any true upper bound strictly looser than ``expr``" among a key's big-O mistakes.

    >>> d, H = sympy.symbols("d H", positive=True)
    >>> judge_big_o(LooseBound(d + H), d * H).verdict
    'equivalent'
    """

    expr: sympy.Expr


def judge_big_o(expected: Any, submitted: sympy.Expr, *, seed: str = "", points: int = 5) -> Equivalence:
    """Judge a growth rate, every size at least 1: the same class is equivalent (``O(2dkHW) = O(dkHW)``,
    ``O(dk^2HW + dkHW) = O(dk^2HW)``); a looser true bound or a wrong class is different, and says which.

    ``expected`` may be a ``LooseBound``: then exactly the strictly looser true bounds are equivalent.

    >>> d, k = sympy.symbols("d k", positive=True)
    >>> judge_big_o(d * k**2, 3 * k * d * k + d * k).verdict, judge_big_o(d * k, d + k).verdict
    ('equivalent', 'different')
    """
    loose = isinstance(expected, LooseBound)
    expected = _as_expr(expected.expr if loose else expected, "expected")
    submitted = _as_expr(submitted, "submitted")
    if expected.is_zero or submitted.is_zero:
        same = bool(expected.is_zero and submitted.is_zero)
        return Equivalence("equivalent" if same and not loose else "different", "ratio", "a growth rate of 0")
    relation = growth_relation(expected, submitted)
    if relation is None:
        if loose:
            return Equivalence("different", "ratio", "not a sum of powers of the sizes: looseness not decided")
        return _judge_big_o_by_ratio(expected, submitted, seed, points)
    if loose:
        return Equivalence("equivalent" if relation == "looser" else "different", "dominant terms", _GROWTH[relation])
    return Equivalence("equivalent" if relation == "same" else "different", "dominant terms", _GROWTH[relation])


_GROWTH = {
    "same": "the same growth rate once terms dominated by others are dropped",
    "looser": "a true upper bound, but it grows faster than the expected answer (a looser bound)",
    "tighter": "grows more slowly than the expected answer: not an upper bound",
    "other": "a different growth rate: neither bounds the other",
}


def growth_relation(expected: sympy.Expr, submitted: sympy.Expr) -> str | None:
    """How two sums of powers of sizes (all at least 1) compare: same, looser, tighter or other.

    None when either is not a sum of positive multiples of powers of the sizes (then there is no
    decision here). A power x^a is O(sum_j x^b_j) iff a . u <= max_j b_j . u for every direction
    u >= 0 in log-space; that is a linear programme, solved exactly at the vertices of its arrangement
    (so ``x*y`` is O(x^2 + y^2) although neither term dominates it on its own).

    >>> x, y = sympy.symbols("x y", positive=True)
    >>> growth_relation(x**2 + y**2, x**2 + x*y + y**2), growth_relation(x + y, x*y)
    ('same', 'looser')
    """
    symbols = sorted(expected.free_symbols | submitted.free_symbols, key=lambda s: s.name)
    f, g = _exponents(expected, symbols), _exponents(submitted, symbols)
    if f is None or g is None:
        return None
    f_in_g = all(_bounded_by(a, g) for a in f)
    g_in_f = all(_bounded_by(b, f) for b in g)
    relations = {(True, True): "same", (True, False): "looser", (False, True): "tighter", (False, False): "other"}
    return relations[(f_in_g, g_in_f)]


_MAX_TERMS = 200  # terms of an expanded big-O answer; more is not a growth rate a student writes


def _term_bound(expr: sympy.Basic) -> int:
    """An upper bound on the terms ``expand`` would produce, computed without expanding."""
    if expr.is_Add:
        return sum(_term_bound(a) for a in expr.args)
    if expr.is_Mul:
        total = 1
        for a in expr.args:
            total = min(total * _term_bound(a), 10**9)
        return total
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        base = _term_bound(expr.base)
        if base == 1:
            return 1
        if base > _MAX_TERMS or expr.exp > _MAX_TERMS:
            return 10**9  # more than any bound asked: math.comb of huge arguments is itself costly
        n = int(expr.exp)
        return min(math.comb(base + n - 1, n), 10**9)
    return 1


def _exponents(expr: sympy.Expr, symbols: list[sympy.Symbol]) -> list[tuple[Fraction, ...]] | None:
    """The exponent vectors of the terms that set the growth of a sum of multiples of powers of ``symbols``.

    ``max(a, b)`` counts as ``a + b`` (they are within a factor of 2); a negative term strictly dominated
    by a positive one is dropped (``H + W + d - 2`` grows as ``H + W + d``); anything else is None.
    """
    expr = expr.replace(sympy.Max, lambda *args: sympy.Add(*args))
    if _term_bound(expr) > _MAX_TERMS:
        return None
    positive, negative = [], []
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coefficient, rest = term.as_independent(*symbols, as_Add=False)
        # a constant factor of any size (pi, sqrt(2), pi**(pi**20)) needs only its sign, decided symbolically
        if coefficient.free_symbols or coefficient.is_zero or coefficient.is_extended_real is not True \
                or (coefficient.is_positive is not True and coefficient.is_negative is not True):
            return None
        powers = rest.as_powers_dict()
        if any((base not in symbols and base != 1) or not exponent.is_Rational for base, exponent in powers.items()):
            return None
        exponents = (sympy.Rational(powers.get(s, 0)) for s in symbols)
        vector = tuple(Fraction(int(e.p), int(e.q)) for e in exponents)
        (positive if coefficient.is_positive else negative).append(vector)
    for vector in negative:
        if not any(v != vector and all(a <= b for a, b in zip(vector, v)) for v in positive):
            return None  # a negative term that no positive term outgrows: not a growth rate this decides
    return positive or None


def _bounded_by(a: tuple[Fraction, ...], bs: list[tuple[Fraction, ...]]) -> bool:
    """Whether x^a = O(sum of x^b) over sizes >= 1: max over the log-space simplex of a.u - max_b b.u is <= 0."""
    if any(all(ai <= bi for ai, bi in zip(a, b)) for b in bs):
        return True  # one term dominates it alone: the common case
    n = len(a)
    if n == 0:
        return True
    # the function is concave and piecewise linear on the simplex {u >= 0, sum u = 1}: its maximum is at a
    # vertex cut out by n - 1 of the hyperplanes u_i = 0 and (b_j - b_k).u = 0
    planes = [tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n)]
    planes += [tuple(x - y for x, y in zip(bj, bk)) for j, bj in enumerate(bs) for bk in bs[j + 1:]]
    planes = list(dict.fromkeys(p for p in planes if any(p)))
    ones = tuple(Fraction(1) for _ in range(n))
    for chosen in combinations(planes, n - 1):
        u = _solve([*chosen, ones], [Fraction(0)] * (n - 1) + [Fraction(1)])
        if u is None or any(x < 0 for x in u):
            continue
        top = max(sum(bi * ui for bi, ui in zip(b, u)) for b in bs)
        if sum(ai * ui for ai, ui in zip(a, u)) > top:
            return False
    return True


def _solve(rows: list[tuple[Fraction, ...]], rhs: list[Fraction]) -> tuple[Fraction, ...] | None:
    """The unique solution of a square linear system in exact fractions, or None if it is singular."""
    n = len(rows)
    m = [list(row) + [r] for row, r in zip(rows, rhs)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if m[r][col] != 0), None)
        if pivot is None:
            return None
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[r][col] != 0:
                factor = m[r][col] / m[col][col]
                m[r] = [x - factor * y for x, y in zip(m[r], m[col])]
    return tuple(m[i][n] / m[i][i] for i in range(n))


def _judge_big_o_by_ratio(expected: sympy.Expr, submitted: sympy.Expr, seed: str, points: int) -> Equivalence:
    """Beyond sums of powers (logs, say): equal up to a positive constant factor, tested by the ratio."""
    if _term_bound(expected) > _MAX_TERMS or _term_bound(submitted) > _MAX_TERMS:
        # cancel would expand them: (d + H)**(10**6) has a million terms
        return Equivalence("undecided", "ratio", "the growth rate is too large an expression to compare")
    ratio = sympy.cancel(sympy.expand_log(submitted / expected, force=True))
    if not ratio.free_symbols:
        value = _number_or_none(ratio)
        if value is None:
            return Equivalence("undecided", "ratio", "the constant ratio to the expected growth could not be evaluated")
        if value > 0:
            return Equivalence("equivalent", "ratio", f"equal up to the constant factor {describe_number(ratio)}")
        return Equivalence("different", "ratio",
                           f"the ratio to the expected growth is {describe_number(ratio)}, not positive")
    # the ratio may still be a constant that cancel cannot see (logs of powers): test it numerically
    symbols = sorted(ratio.free_symbols, key=lambda s: s.name)
    values = []
    with mpmath.workdps(_DPS):
        for k in range(points):
            try:
                values.append(_evaluate(ratio, _point(symbols, seed or _default_seed(expected), k, 0, True)))
            except (_Undefined, _Unsupported):
                return Equivalence("undecided", "ratio", f"the ratio {describe_number(ratio)} could not be evaluated")
        constant = all(_close(v, values[0]) for v in values) and values[0] > 0
    if constant:
        return Equivalence("equivalent", "numeric ratio",
                           "the ratio is the same positive constant at every sample point")
    return Equivalence("different", "ratio", f"the ratio to the expected growth is {describe_number(ratio)}, not a constant")


# -------------------------------------------------------------------------------- fingerprints

_FINGERPRINT_SEED = "handnets.fingerprint.v1"


def fingerprint(expr: sympy.Expr, definitions: Mapping[sympy.Symbol, sympy.Expr] | None = None, *,
                points: int = 4, digits: int = 9) -> tuple[str, ...]:
    """A stable signature of what ``expr`` means: its values at fixed points, rounded to ``digits``.

    Equivalent expressions get the same signature (in every process and run), so equivalent wrong
    answers can be grouped without comparing strings. Values are drawn per symbol name, so
    expressions in different symbols are still comparable.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> fingerprint(S["o_t"] * (1 - S["o_t"])) == fingerprint(S["o_t"] - S["o_t"] ** 2)
    True
    """
    expr = substitute_definitions(_as_expr(expr, "expr"), definitions)
    symbols = sorted(_symbols(expr), key=lambda s: s.name)
    signature: list[str] = []
    with mpmath.workdps(_DPS):
        for k in range(points):
            for attempt in range(_MAX_ATTEMPTS):
                point = _point(symbols, _FINGERPRINT_SEED, k, attempt, False)
                try:
                    try:  # floats carry 15 digits, enough for the 9 kept; mpmath where they fail
                        value = mpmath.mpf(_evaluate(expr, point, _FLOATS))
                        tiny = 1e-12
                    except _Escalate:
                        value, tiny = _evaluate(expr, point), mpmath.mpf(10) ** -(_DPS // 2)
                except _Undefined:
                    continue
                except _Unsupported:
                    signature.append("unsupported")
                    break
                # an exact zero computed with rounding error must not depend on its sign
                signature.append("0" if abs(value) < tiny else mpmath.nstr(value, digits))
                break
            else:
                signature.append("undefined")
    return tuple(signature)
