"""The one ASCII vocabulary of handnets: every symbol a derivation prints and a grader accepts.

Derivations (``handnets.derive``) express their results in these names, and the grader
(``handnets.grading``) reads students' answers into the same symbols, so a derived equation
and a student's answer can be compared directly. Symbols are built here, once, and passed in.

Names:
- at step t: ``x_t, h_t, c_t, i_t, f_t, o_t, g_t``; at t-1: ``h_prev, c_prev`` (and ``x_prev`` and
  the gates ``i_prev, f_prev, o_prev, g_prev`` for two-step recurrences); at t-2: ``c_prev2, h_prev2``
  (and ``x_prev2`` and the gates ``i_prev2, ...``); at t-3: ``x_prev3, h_prev3, c_prev3`` (what the
  gates at t-2 read);
  at t+1: ``x_next, h_next, c_next, i_next, f_next, o_next, g_next``;
- weights ``w_xi, w_hi, w_xf, w_hf, w_xo, w_ho, w_xg, w_hg`` (and ``w_y`` for the sigmoid output);
- error signals ``hbar_t, cbar_t, gbar_t, obar_t, fbar_t, ibar_t`` and the same with ``_next``
  (and ``cbar_prev, cbar_prev2``); ``dL_dh_t`` is the loss's own derivative at h_t;
- ``y_t, yhat_t`` for the cross-entropy variant;
- ``w_xh, w_hh, b_h`` for the vanilla RNN ``h_t = tanh(w_xh x_t + w_hh h_prev + b_h)``;
- functions ``sigmoid`` and ``tanh``.

>>> SYMBOLS["c_prev"], FUNCTIONS["sigmoid"](SYMBOLS["x_t"])
(c_prev, sigmoid(x_t))
"""

from __future__ import annotations

from types import MappingProxyType

import sympy

__all__ = ["SYMBOLS", "FUNCTIONS", "GATES", "WEIGHTS", "NAMES", "OFFSETS", "sigmoid", "sum_over_t", "is_sum_over_t",
           "has_sum_over_t", "symbol"]

GATES = ("i", "f", "o", "g")
WEIGHTS = tuple(f"w_{src}{gate}" for gate in GATES for src in ("x", "h"))  # w_xi, w_hi, w_xf, ...

_STATE = ("x", "h", "c", *GATES)
# the time suffixes of the names and the step each one means, relative to t
OFFSETS = MappingProxyType({"prev3": -3, "prev2": -2, "prev": -1, "t": 0, "next": 1})
_BARS = ("hbar", "cbar", "gbar", "obar", "fbar", "ibar")


def _names() -> tuple[str, ...]:
    names: list[str] = []
    for base in _STATE:
        names += [f"{base}_t", f"{base}_prev", f"{base}_next", f"{base}_prev2"]
    names += ["x_prev3", "h_prev3", "c_prev3"]  # read by the gates at t-2
    for bar in _BARS:
        names += [f"{bar}_t", f"{bar}_next", f"{bar}_prev", f"{bar}_prev2"]
    names += list(WEIGHTS)
    names += ["w_y", "y_t", "yhat_t", "dL_dh_t"]
    names += ["w_xh", "w_hh", "b_h"]  # the vanilla RNN (handnets.derive.rnn)
    return tuple(dict.fromkeys(names))


NAMES: tuple[str, ...] = _names()

# All real-valued: gates, states and weights are real numbers in every course that sets these problems.
SYMBOLS = MappingProxyType({name: sympy.Symbol(name, real=True) for name in NAMES})


class sigmoid(sympy.Function):
    """The logistic function, kept as a named function so printed results read ``sigmoid(z)``.

    It carries no printing hook: ``handnets.notation`` writes it ``\\sigma`` in LaTeX and ``σ`` in pictures.

    >>> sigmoid(0)
    1/2
    >>> sympy.diff(sigmoid(SYMBOLS["x_t"]), SYMBOLS["x_t"])
    (1 - sigmoid(x_t))*sigmoid(x_t)
    """

    @classmethod
    def eval(cls, arg):
        if arg == 0:
            return sympy.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sympy.exp(-arg))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_evalf(self, prec):
        arg = self.args[0]._eval_evalf(prec)
        if arg is None:
            return None
        return (1 / (1 + sympy.exp(-arg)))._eval_evalf(prec)


FUNCTIONS = MappingProxyType({"sigmoid": sigmoid, "tanh": sympy.tanh})

# ``\sum_t X`` as read from an answer: the whole sum over the time steps, kept apart from its summand X
# (a question asks for one or the other). An undefined function: equal by name to the parser's own.
sum_over_t = sympy.Function("sum_over_t")


def is_sum_over_t(expr: sympy.Basic) -> bool:
    """Whether ``expr`` is a whole sum over t (by name: a reader may build the function with assumptions).

    >>> is_sum_over_t(sum_over_t(SYMBOLS["x_t"])), is_sum_over_t(SYMBOLS["x_t"])
    (True, False)
    """
    return isinstance(expr, sympy.Function) and getattr(expr.func, "__name__", "") == "sum_over_t" and len(expr.args) == 1


def has_sum_over_t(expr: sympy.Basic) -> bool:
    """Whether a sum over t appears anywhere in ``expr``."""
    return any(is_sum_over_t(node) for node in expr.atoms(sympy.Function))


def symbol(name: str) -> sympy.Symbol:
    """The vocabulary's symbol for ``name``; unknown names are a KeyError that lists nothing secret.

    >>> symbol("hbar_next")
    hbar_next
    """
    return SYMBOLS[name]
