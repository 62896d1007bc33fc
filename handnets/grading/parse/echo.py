"""Echoes of how an answer was read (plain, pretty, homework LaTeX), printed only when asked for.

Parsing never prints: ``ParseSuccess`` computes these on demand, and a verdict served from the
memo carries the ones already made. (Issue 11 moves all printing into one notation layer.)
"""

from __future__ import annotations

import re
from functools import lru_cache
from types import MappingProxyType

import sympy
from sympy.printing.latex import LatexPrinter

class HomeworkLatex(LatexPrinter):
    """sympy's LaTeX printer with sigmoid written as \\sigma (also under a power: \\sigma^{2}(z))."""

    printmethod = "_handnets_latex"  # so _print_sigmoid below is used, not sigmoid._latex

    def _print_sigmoid(self, expr: sympy.Expr, exp: str | None = None) -> str:
        power = f"^{{{exp}}}" if exp is not None else ""
        return rf"\sigma{power}\left({self._print(expr.args[0])}\right)"


_LATEX_TIME = MappingProxyType({"t": "t", "prev": "t-1", "prev2": "t-2", "prev3": "t-3", "next": "t+1"})
_LATEX_NAME = re.compile(r"([A-Za-z]+?)(hat)?(bar)?_(t|prev|prev2|prev3|next)")


def latex_names(expr: sympy.Expr) -> dict[sympy.Symbol, str]:
    """Homework notation for vocabulary names: c^{(t)}, \\overline{c^{(t+1)}}, w_{xi}, \\hat{y}^{(t)}."""
    names: dict[sympy.Symbol, str] = {}
    for symbol in expr.free_symbols:
        name = symbol.name
        match = _LATEX_NAME.fullmatch(name)
        if match:
            base, hat, bar, time = match.groups()
            core = rf"\hat{{{base}}}" if hat else base
            core = f"{core}^{{({_LATEX_TIME[time]})}}"
            names[symbol] = rf"\overline{{{core}}}" if bar else core
        elif name.startswith("dL_d") and _LATEX_NAME.fullmatch(name[4:]):
            inner = latex_names(sympy.Symbol(name[4:]))
            names[symbol] = rf"\frac{{\partial L_t}}{{\partial {next(iter(inner.values()))}}}"
        elif re.fullmatch(r"w_[a-z]{2}", name):
            names[symbol] = f"w_{{{name[2:]}}}"
    return names


@lru_cache(maxsize=4096)  # answers repeat across a course; a report may print one many times
def plain(expr: sympy.Expr) -> str:
    """sympy's string form of ``expr`` (what ``sympy.parse_expr`` reads back)."""
    return sympy.sstr(expr)


@lru_cache(maxsize=4096)
def pretty(expr: sympy.Expr) -> str:
    """The unicode picture of ``expr``, on as many lines as it needs (never wrapped)."""
    return sympy.pretty(expr, use_unicode=True, wrap_line=False)


@lru_cache(maxsize=4096)
def latex(expr: sympy.Expr) -> str:
    """``expr`` in the homework's LaTeX: ``c^{(t)}``, ``\\overline{h^{(t)}}``, ``\\sigma``."""
    return HomeworkLatex({"symbol_names": latex_names(expr)}).doprint(expr)
