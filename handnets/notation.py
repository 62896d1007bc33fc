"""The one notation layer: how an expression over the vocabulary is printed, in four forms.

This is the only module that knows how the homework writes a vocabulary name: that ``c_prev`` is
``c^{(t-1)}``, ``cbar_next`` is ``\\overline{c^{(t+1)}}``, ``yhat_t`` is ``\\hat{y}^{(t)}``, ``sigmoid``
is ``\\sigma``, and that a vector derivation's products are ``\\odot``. Following sympy's own design
(``sympy/printing/printer.py``: printing belongs to printers, apart from the objects), each form is a
printer subclass and the objects carry no printing hooks:

- ``plain``: one line of ASCII in the vocabulary's names (``cbar_next*f_next``), for people and for the
  grader to read back; a derivative is written ``dc_next/dc_t``;
- ``pretty``: sympy's unicode picture with the homework's subscripts (``c̅ₜ₊₁⋅fₜ₊₁``, ``ŷₜ``, ``σ``),
  which the grader also reads back;
- ``latex``: the homework's LaTeX;
- ``mathml``: MathML (presentation, MathML Core elements only) for HTML pages.

Every form writes a sum the way the homework does, the positive terms first: ``(ŷ_t - y_t)``, not
``(-y_t + yhat_t)``; and an internal function of a derivation (``transpose_times(W, v)``, ``outer(u, v)``)
as the homework's ``W^T v`` and ``u v^T``.

>>> from handnets.vocabulary import SYMBOLS as S, sigmoid
>>> e = S["w_y"] * (S["yhat_t"] - S["y_t"])
>>> plain(e), pretty(e)
('w_y*(yhat_t - y_t)', 'w_y⋅(ŷₜ - yₜ)')
>>> latex(sigmoid(S["c_prev"]) * S["cbar_next"])
'\\\\overline{c^{(t+1)}} \\\\cdot \\\\sigma\\\\left(c^{(t-1)}\\\\right)'
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.pretty_symbology import pretty_use_unicode
from sympy.printing.pretty.stringpict import prettyForm, stringPict
from sympy.printing.str import StrPrinter

__all__ = ["Name", "read_name", "plain", "pretty", "latex", "mathml", "name_latex", "name_pretty",
           "PlainPrinter", "PrettyNotation", "LatexNotation", "MathMLNotation", "pretty_printer"]

# ------------------------------------------------------------------------------------- names

_STEP = {"t": "t", "prev": "t-1", "prev2": "t-2", "prev3": "t-3", "next": "t+1"}
_STATE = re.compile(r"(?P<base>[A-Za-z]+?)(?P<hat>hat)?(?P<bar>bar)?_(?P<when>t|prev3|prev2|prev|next)(?:_(?P<lag>\d+|k))?")
_WEIGHT = re.compile(r"(?P<letter>[wWb])_(?P<sub>[a-z]{1,2})")
_SUBSCRIPT = str.maketrans("tk0123456789+-", "ₜₖ₀₁₂₃₄₅₆₇₈₉₊₋")
_BAR, _HAT = "\u0305", "\u0302"  # combining overline and circumflex: c̅, ŷ (the grader reads both back)


@dataclass(frozen=True, slots=True)
class Name:
    """A vocabulary name taken apart: what it is, its letter, the step it is at, and its marks.

    ``kind`` is ``"state"`` (``c_prev``: a quantity at a step), ``"weight"`` (``w_xi``, ``W_fh``, ``b_h``),
    ``"summand"`` (``w_xi_bar``: a weight's gradient at step t), ``"loss"`` (``dL_dh_t``: the loss's own
    derivative at h_t) or ``"other"`` (a name the homework does not write specially).

    >>> read_name("cbar_next"), read_name("c_t_3").step
    (Name(kind='state', letter='c', step='t+1', bar=True, hat=False, sub=''), 't-3')
    """

    kind: str
    letter: str
    step: str = ""
    bar: bool = False
    hat: bool = False
    sub: str = ""  # a weight's subscript: "xi" of w_xi


@lru_cache(maxsize=1024)
def read_name(name: str) -> Name:
    """The parts of one vocabulary name (``vector_`` prefixes of the vector form dropped)."""
    name = name.removeprefix("vector_")
    if name.startswith("dL_d") and (inner := _STATE.fullmatch(name[4:])) and not inner["bar"]:
        return Name("loss", inner["base"], _step(inner))
    if name.endswith("_bar") and (weight := _WEIGHT.fullmatch(name.removesuffix("_bar"))):
        return Name("summand", weight["letter"], "t", bar=True, sub=weight["sub"])
    if weight := _WEIGHT.fullmatch(name):
        return Name("weight", weight["letter"], sub=weight["sub"])
    if state := _STATE.fullmatch(name):
        return Name("state", state["base"], _step(state), bar=bool(state["bar"]), hat=bool(state["hat"]))
    return Name("other", name)


def _step(match: re.Match) -> str:
    return f"t-{match['lag']}" if match["lag"] else _STEP[match["when"]]


def name_latex(name: str) -> str | None:
    """The homework LaTeX of one vocabulary name, or None when the homework does not write it specially.

    >>> name_latex("cbar_next"), name_latex("w_xi_bar"), name_latex("dL_dh_t")
    ('\\\\overline{c^{(t+1)}}', '\\\\overline{w_{xi}}^{(t)}', '\\\\frac{\\\\partial L_{t}}{\\\\partial h^{(t)}}')
    """
    part = read_name(name)
    if part.kind == "other":
        return None
    if part.kind in ("weight", "summand"):
        core = f"{part.letter}_{{{part.sub}}}"
        return rf"\overline{{{core}}}^{{({part.step})}}" if part.bar else core
    if part.kind == "loss":
        return rf"\frac{{\partial L_{{t}}}}{{\partial {part.letter}^{{({part.step})}}}}"
    core = rf"\hat{{{part.letter}}}" if part.hat else part.letter
    core = f"{core}^{{({part.step})}}"
    return rf"\overline{{{core}}}" if part.bar else core


def name_pretty(name: str) -> str:
    """The unicode form of one vocabulary name: ``cₜ₋₁``, ``c̅ₜ₊₁``, ``ŷₜ``; weights stay ``w_xi``.

    Unicode has no subscript f or g, so weights keep their ASCII names (``wₕᵢ`` next to ``w_hf`` would
    read as two notations).

    >>> name_pretty("cbar_next"), name_pretty("yhat_t"), name_pretty("w_hf"), name_pretty("c_t_3")
    ('c̅ₜ₊₁', 'ŷₜ', 'w_hf', 'cₜ₋₃')
    """
    part = read_name(name)
    if part.kind != "state" or len(part.letter) != 1:
        return name.removeprefix("vector_")
    marks = (_HAT if part.hat else "") + (_BAR if part.bar else "")
    marked = unicodedata.normalize("NFC", part.letter + marks)  # ŷ is one glyph
    return marked + part.step.translate(_SUBSCRIPT)


# ------------------------------------------------------------------------------------ order


class _HomeworkOrder:
    """A sum printed as the homework writes it: positive terms first (``ŷ - y``, ``x - 1``), else sympy's order."""

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)
        return sorted(terms, key=lambda term: term.could_extract_minus_sign())  # stable: sympy's order within each sign


# ------------------------------------------------------------------------------------ plain


class PlainPrinter(_HomeworkOrder, StrPrinter):
    """sympy's string form in the vocabulary's names, sums in homework order, ``Derivative(u, v)`` as ``du/dv``."""

    def _print_Derivative(self, expr):
        (variable, count), = expr.variable_count
        if count == 1 and expr.expr.is_Symbol:
            return f"d{self._print(expr.expr)}/d{self._print(variable)}"
        return super()._print_Derivative(expr)

    def _print_transpose_times(self, expr):
        w, v = expr.args
        return f"{self._print(w)}^T*({self._print(v)})"

    def _print_outer(self, expr):
        u, v = expr.args
        return f"({self._print(u)})*({self._print(v)})^T"


# ----------------------------------------------------------------------------------- pretty


class PrettyNotation(_HomeworkOrder, PrettyPrinter):
    """sympy's unicode pretty printer with the homework's names, ``σ``, ``Wᵀ⋅(v)`` and ``(u)⋅vᵀ``."""

    def __init__(self, settings=None):
        super().__init__({"use_unicode": True, "wrap_line": False, **(settings or {})})

    def _print_Symbol(self, e, bold_name=False):
        return prettyForm(name_pretty(e.name))

    def _print_sigmoid(self, e):
        return self._print_Function(e, func_name="σ")

    def _print_transpose_times(self, e):
        w, v = e.args
        transposed = prettyForm(*self._print(w).right("ᵀ"))
        body = prettyForm(*stringPict.next(transposed, "⋅", prettyForm(*self._print(v).parens())))
        body.binding = prettyForm.MUL
        return body

    def _print_outer(self, e):
        u, v = e.args
        right = self._print(v)
        if v.is_Add or v.is_Mul:
            right = prettyForm(*right.parens())
        left = prettyForm(*self._print(u).parens())
        body = prettyForm(*stringPict.next(left, "⋅", prettyForm(*right.right("ᵀ"))))
        body.binding = prettyForm.MUL
        return body


def pretty_printer() -> PrettyNotation:
    """A fresh pretty printer (``render.layout`` lays formulas out from its pieces)."""
    return PrettyNotation()


# ------------------------------------------------------------------------------------ LaTeX


class LatexNotation(_HomeworkOrder, LatexPrinter):
    """sympy's LaTeX printer with the homework's names and ``\\sigma``; ``hadamard`` writes products as ``\\odot``."""

    printmethod = "_handnets_latex"  # no object carries a printing hook for this printer

    def __init__(self, hadamard: bool = False):
        super().__init__({"mul_symbol": "dot"})
        self._hadamard = hadamard

    def _print_Symbol(self, expr, style="plain"):
        written = name_latex(expr.name)
        return written if written is not None else super()._print_Symbol(expr, style=style)

    def _print_sigmoid(self, expr, exp=None):
        power = f"^{{{exp}}}" if exp is not None else ""
        return rf"\sigma{power}\left({self._print(expr.args[0])}\right)"

    def _print_Mul(self, expr):
        if not self._hadamard:
            return super()._print_Mul(expr)
        coeff, factors = expr.as_coeff_mul()
        body = r" \odot ".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in factors)
        if coeff == -1:
            return "- " + body
        return body if coeff == 1 else f"{self._print(coeff)} {body}"

    def _print_Derivative(self, expr):
        (variable, count), = expr.variable_count
        power = "" if count == 1 else f"^{{{count}}}"
        return rf"\frac{{\partial{power} {self._print(expr.expr)}}}{{\partial {self._print(variable)}{power}}}"

    def _print_transpose_times(self, expr):
        w, v = expr.args
        return rf"{self._print(w)}^{{\top}} \left({self._print(v)}\right)"

    def _print_outer(self, expr):
        u, v = expr.args
        return rf"\left({self._print(u)}\right) \left({self._print(v)}\right)^{{\top}}"


# ----------------------------------------------------------------------------------- MathML

# sympy writes a few operators as entity references in its text nodes; everything else is escaped here
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]{1,6}|[A-Za-z]{2,20});")


class MathMLNotation(_HomeworkOrder, MathMLPresentationPrinter):
    """sympy's presentation MathML with the homework's names: ``c^{(t-1)}`` as ``<msup>``, bars as ``<mover>``.

    sympy's printer writes its text nodes unescaped (so its ``&#x2202;`` survives); here a text node is
    escaped unless it is exactly one such entity, so no name or number can open a tag.
    """

    printmethod = "_handnets_mathml"

    def __init__(self, hadamard: bool = False):
        super().__init__({"mul_symbol": "dot"})
        self._hadamard = hadamard
        raw = self.dom.createTextNode

        def text(data: str):
            data = str(data)
            return raw(data if _ENTITY.fullmatch(data) else html.escape(data, quote=False))

        self.dom.createTextNode = text

    def doprint(self, expr) -> str:
        # the text as it is, in UTF-8: sympy's own doprint turns every non-ASCII character into a reference
        return self._print(expr).toxml()

    def _element(self, tag: str, *children, text: str | None = None, **attributes):
        node = self.dom.createElement(tag)
        for key, value in attributes.items():
            node.setAttribute(key, value)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        return node

    def _step(self, step: str):
        """``(t-1)`` as an mrow of its tokens."""
        parts = [self._element("mo", text="(")]
        for token in re.findall(r"[a-z]+|\d+|[-+]", step):
            tag = "mn" if token.isdigit() else "mo" if token in "+-" else "mi"
            parts.append(self._element(tag, text=token))
        parts.append(self._element("mo", text=")"))
        return self._element("mrow", *parts)

    def _bar(self, node):
        return self._element("mover", node, self._element("mo", text="\u00af"), accent="true")

    def _print_Symbol(self, sym, style="plain"):
        part = read_name(sym.name)
        if part.kind == "other":
            return super()._print_Symbol(sym, style=style)
        letter = self._element("mi", text=part.letter)
        if part.kind in ("weight", "summand"):
            core = self._element("msub", letter, self._element("mi", text=part.sub))
            return self._element("msup", self._bar(core), self._step(part.step)) if part.bar else core
        if part.kind == "loss":
            top = self._element("mrow", self._element("mo", text="∂"),
                                self._element("msub", self._element("mi", text="L"), self._element("mi", text="t")))
            by = self._element("msup", letter, self._step(part.step))
            bottom = self._element("mrow", self._element("mo", text="∂"), by)
            return self._element("mfrac", top, bottom)
        if part.hat:  # ŷ is one character; a letter with no precomposed form gets a circumflex accent over it
            hatted = unicodedata.normalize("NFC", part.letter + _HAT)
            letter = (self._element("mi", text=hatted) if len(hatted) == 1
                      else self._element("mover", letter, self._element("mo", text="\u02c6"), accent="true"))
        if part.bar:
            letter = self._bar(letter)
        return self._element("msup", letter, self._step(part.step))

    def _print_sigmoid(self, e):
        return self._element("mrow", self._element("mi", text="σ"), self._paren_comma_separated(*e.args))

    def mathml_tag(self, e):
        if self._hadamard and getattr(e, "is_Mul", False):
            return "⊙"
        return super().mathml_tag(e)

    def _print_Derivative(self, e):
        (variable, count), = e.variable_count
        if count != 1:
            return super()._print_Derivative(e)
        top = self._element("mrow", self._element("mo", text="∂"), self._print(e.expr))
        bottom = self._element("mrow", self._element("mo", text="∂"), self._print(variable))
        return self._element("mfrac", top, bottom)

    def _parens(self, node):
        return self._element("mrow", self._element("mo", text="("), node, self._element("mo", text=")"))

    def _print_transpose_times(self, e):
        w, v = e.args
        transposed = self._element("msup", self._print(w), self._element("mi", text="⊤"))
        return self._element("mrow", transposed, self._parens(self._print(v)))

    def _print_outer(self, e):
        u, v = e.args
        return self._element("mrow", self._parens(self._print(u)),
                             self._element("msup", self._parens(self._print(v)), self._element("mi", text="⊤")))


# ------------------------------------------------------------------------------------ forms


@lru_cache(maxsize=4096)  # answers repeat across a course; a report may print one many times
def plain(expr: sympy.Basic) -> str:
    """One line of ASCII in the vocabulary's names, sums in homework order.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> plain(-S["y_t"] + S["yhat_t"])
    'yhat_t - y_t'
    """
    return PlainPrinter().doprint(expr)


@lru_cache(maxsize=4096)
def pretty(expr: sympy.Basic) -> str:
    """The unicode picture in homework names, on as many lines as it needs (never wrapped).

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> pretty(S["cbar_next"] * S["f_next"] + S["hbar_t"])
    'c̅ₜ₊₁⋅fₜ₊₁ + h̅ₜ'
    """
    previous = pretty_use_unicode(True)  # prettyForm's operators read sympy's global flag, as sympy.pretty sets it
    try:
        return PrettyNotation().doprint(expr)
    finally:
        pretty_use_unicode(previous)


@lru_cache(maxsize=4096)
def latex(expr: sympy.Basic, *, hadamard: bool = False) -> str:
    """The homework's LaTeX: ``c^{(t)}``, ``\\overline{h^{(t)}}``, ``\\sigma``; ``\\odot`` when ``hadamard``.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> latex(S["cbar_t"] * S["i_t"], hadamard=True)
    '\\\\overline{c^{(t)}} \\\\odot i^{(t)}'
    """
    return LatexNotation(hadamard).doprint(expr)


@lru_cache(maxsize=4096)
def mathml(expr: sympy.Basic, *, hadamard: bool = False, display: bool = False) -> str:
    """A whole ``<math>`` element (MathML Core) for ``expr`` in the homework's notation.

    >>> from handnets.vocabulary import SYMBOLS as S
    >>> mathml(S["c_prev"])
    '<math><msup><mi>c</mi><mrow><mo>(</mo><mi>t</mi><mo>-</mo><mn>1</mn><mo>)</mo></mrow></msup></math>'
    """
    body = MathMLNotation(hadamard).doprint(expr)
    return f'<math display="block">{body}</math>' if display else f"<math>{body}</math>"
