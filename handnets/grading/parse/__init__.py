"""Safe reading of students' answers: untrusted text in, a sympy expression (or number, matrix, shape) out.

Nothing a student writes reaches ``eval``, ``sympify`` or ``parse_expr``. An expression goes through
four stages, one module each, every one bounded in size and depth (the approach of PrairieLearn's
``sympy_utils.py``, with the final evaluation done by hand instead of by ``eval``):

1. ``lexer``: the text becomes tokens with their positions; invisible and look-alike characters,
   unknown LaTeX commands and anything that is not part of the notation are refused;
2. ``translate``: the common notations (sympy-like and LaTeX, see ../shared/problems.md "Notation a
   grader meets") become plain Python syntax over the vocabulary's names: ``c^{(t)}``, ``c_{t}``,
   ``c[t]``, ``c(t)``, ``C_t`` become ``c_t``; ``\\overline{c^{(t+1)}}``, ``\\delta c_{t+1}``,
   ``dL/dc_{t+1}`` become ``cbar_next``; ``\\tilde{C}_t`` becomes ``g_t``; ``\\sigma``, ``σ`` become
   ``sigmoid``; ``tanh^2(c)`` becomes ``tanh(c)**2``; implicit products become ``*``;
3. ``check``: the ``ast.parse(mode="eval")`` tree is checked against an allow-list of node types
   and names (no ``Attribute``, ``Subscript``, ``Lambda``, comprehensions, keywords, strings, ...);
4. ``build``: the sympy expression is built node by node, with bounds on numbers, exponents,
   factorials and the size of the result.

``expression`` runs the four stages (``parse_expression``, ``parse_big_o``); ``values`` holds the
results and the bounds, ``names`` the functions and vocabularies. Nothing here prints an expression:
that is ``handnets.notation``'s job.

``numbers`` reads integer and number answers (thousands separators, units, working lines with
``=``), ``tables`` reads matrices and shapes typed as text. The outcome is always a value:
``ParseSuccess`` or ``ParseFailure`` (with the position of the offending character); no reader
raises for any text.

>>> parse_expression("o_t (1 - tanh^2(c_t))").normalized
'o_t*(1 - tanh(c_t)**2)'
>>> parse_expression(r"\\overline{h^{(t)}} \\tanh(c^{(t)})").normalized
'hbar_t*tanh(c_t)'
>>> print(parse_expression("__import__('os')").message)
names cannot start with '_'
"""

from handnets.grading.parse.expression import parse_big_o, parse_expression
from handnets.grading.parse.names import ALLOWED_FUNCTIONS, SUM_OVER_T, make_vocabulary
from handnets.grading.parse.values import (
    MAX_BITS,
    MAX_EXPONENT,
    MAX_FACTORIAL,
    MAX_LENGTH,
    MAX_NESTING,
    MAX_NODES,
    ParseFailure,
    ParseResult,
    ParseSuccess,
)

__all__ = [
    "ParseSuccess",
    "ParseFailure",
    "ParseResult",
    "parse_expression",
    "parse_big_o",
    "make_vocabulary",
    "ALLOWED_FUNCTIONS",
    "SUM_OVER_T",
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_NODES",
    "MAX_BITS",
    "MAX_EXPONENT",
    "MAX_FACTORIAL",
]
