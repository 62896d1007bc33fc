"""The names an answer may use: functions and their spellings, constants, time words, vocabularies."""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import sympy

from handnets.errors import InvalidKey
from handnets.vocabulary import FUNCTIONS, SYMBOLS, sigmoid, sum_over_t

# ------------------------------------------------------------------------------ the vocabulary


def _sigmoid_prime(z: sympy.Expr) -> sympy.Expr:
    return sigmoid(z) * (1 - sigmoid(z))


def _tanh_prime(z: sympy.Expr) -> sympy.Expr:
    return 1 - sympy.tanh(z) ** 2


# The hyperbolic functions are written through tanh (exact for real arguments, where cosh > 0), so
# 1/cosh(c)^2 and sech^2(c) read as 1 - tanh(c)**2 and are judged by the same evaluator as tanh.
def _sech(z: sympy.Expr) -> sympy.Expr:
    return sympy.sqrt(1 - sympy.tanh(z) ** 2)


def _cosh(z: sympy.Expr) -> sympy.Expr:
    return 1 / sympy.sqrt(1 - sympy.tanh(z) ** 2)


def _sinh(z: sympy.Expr) -> sympy.Expr:
    return sympy.tanh(z) / sympy.sqrt(1 - sympy.tanh(z) ** 2)


# A sum over time steps (\sum_t, \sum_{t=1}^{T}, sum_t) is kept unevaluated around its summand;
# the judge decides what it means for a question that asks for the summand. One definition, the vocabulary's.
SUM_OVER_T = sum_over_t
VARIADIC = frozenset({"Max", "Min"})  # functions of two or more arguments

# Every allowed function but those in VARIADIC takes exactly one argument; ``sigmoid_prime`` is what sigma'(z) reads as.
ALLOWED_FUNCTIONS: Mapping[str, Callable[[sympy.Expr], sympy.Expr]] = MappingProxyType(
    {
        **FUNCTIONS,
        "sigmoid_prime": _sigmoid_prime,
        "tanh_prime": _tanh_prime,
        "sech": _sech,
        "cosh": _cosh,
        "sinh": _sinh,
        "exp": sympy.exp,
        "log": sympy.log,
        "sqrt": sympy.sqrt,
        "Abs": sympy.Abs,
        "factorial": sympy.factorial,
        "Max": sympy.Max,
        "Min": sympy.Min,
        "sum_over_t": SUM_OVER_T,
    }
)

# How a function may be written -> its canonical name above.
FUNCTION_ALIASES = MappingProxyType(
    {
        "sigmoid": "sigmoid",
        "sigma": "sigmoid",
        "logistic": "sigmoid",
        "sigm": "sigmoid",
        "tanh": "tanh",
        "sigmoid_prime": "sigmoid_prime",
        "tanh_prime": "tanh_prime",
        "sech": "sech",
        "cosh": "cosh",
        "sinh": "sinh",
        "exp": "exp",
        "log": "log",
        "ln": "log",
        "sqrt": "sqrt",
        "abs": "Abs",
        "Abs": "Abs",
        "factorial": "factorial",
        "max": "Max",
        "Max": "Max",
        "min": "Min",
        "Min": "Min",
    }
)
PRIMES = MappingProxyType({"sigmoid": "sigmoid_prime", "tanh": "tanh_prime"})
CONSTANTS = MappingProxyType({"pi": sympy.pi, "e": sympy.E})
BIG_O_WRAPPERS = frozenset({"O", "Theta"})

TIME_SUFFIX = MappingProxyType({0: "t", -1: "prev", -2: "prev2", -3: "prev3", 1: "next"})
TIME_WORDS = MappingProxyType({"t": 0, "prev": -1, "prev2": -2, "prev3": -3, "next": 1, "tm1": -1, "tm2": -2, "tm3": -3, "tp1": 1})
LOSS_WORDS = MappingProxyType({"L": "total", "E": "total", "J": "total",
                                "L_t": "local", "E_t": "local", "J_t": "local"})


def make_vocabulary(extra: Iterable[str] = (), *, base: Mapping[str, sympy.Symbol] = SYMBOLS,
                    positive: bool = True) -> Mapping[str, sympy.Symbol]:
    """A vocabulary for ``parse_expression``: ``base`` plus the extra names a key declares.

    Extra names become symbols (positive by default: sizes such as k, d, H, W in a big-O answer).
    A name that is not an identifier, starts with '_' or shadows a function is a bad key.

    >>> sorted(make_vocabulary(["k", "d"], base={}))
    ['d', 'k']
    """
    names = dict(base)
    for name in extra:
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or keyword.iskeyword(name):
            raise InvalidKey(f"a vocabulary name must be an identifier not starting with '_', got {name!r}")
        if name in FUNCTION_ALIASES or name in CONSTANTS:
            raise InvalidKey(f"vocabulary name {name!r} is already a function or constant")
        names[name] = sympy.Symbol(name, positive=True) if positive else sympy.Symbol(name, real=True)
    return MappingProxyType(names)

