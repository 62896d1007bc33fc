"""The public readers: ``parse_expression`` and ``parse_big_o``, the four stages run in order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import sympy

from handnets.grading.parse.build import build
from handnets.grading.parse.lexer import lex
from handnets.grading.parse.names import ALLOWED_FUNCTIONS, CONSTANTS, FUNCTION_ALIASES
from handnets.grading.parse.translate import Reader
from handnets.grading.parse.unicode import drop_remarks, fold, refuse_ambiguous
from handnets.grading.parse.values import MAX_LENGTH, ParseFailure, ParseResult, ParseSuccess, Refusal
from handnets.vocabulary import SYMBOLS

# ------------------------------------------------------------------------------------- public


def parse_expression(text: str, *, vocabulary: Mapping[str, sympy.Basic] | None = None,
                     functions: Mapping[str, Callable[[sympy.Expr], sympy.Expr]] | None = None,
                     lhs: str | None = None) -> ParseResult:
    """Read one untrusted answer into a sympy expression over ``vocabulary``; never raises.

    ``vocabulary`` maps allowed names to symbols (default: ``handnets.vocabulary.SYMBOLS``);
    ``functions`` maps function names to one-argument sympy callables (default: sigmoid, tanh,
    their derivatives, exp, log, sqrt, Abs, factorial). ``lhs`` names the question's own quantity:
    an answer written as ``cbar_t = ...`` (in any accepted notation) then has that side stripped;
    any other left-hand side, or one given without ``lhs``, is a failure.

    >>> from handnets.grading.parse import make_vocabulary
    >>> parse_expression("2x", vocabulary=make_vocabulary(["x"], base={})).normalized
    '2*x'
    >>> parse_expression(r"\\bar{c}_t = \\delta h_t o_t", lhs="cbar_t").normalized
    'hbar_t*o_t'
    >>> parse_expression("10**10**10").message
    'the number is too large (more than 4096 bits)'
    """
    vocabulary = SYMBOLS if vocabulary is None else vocabulary
    functions = ALLOWED_FUNCTIONS if functions is None else functions
    return _noted(text, False, lambda cleaned: _parse(cleaned, vocabulary, functions, big_o=False, lhs=lhs))


def parse_big_o(text: str, *, vocabulary: Mapping[str, sympy.Basic],
                functions: Mapping[str, Callable[[sympy.Expr], sympy.Expr]] | None = None) -> ParseResult:
    """Read a big-O answer: ``O(d*k*H*W)``, ``\\mathcal{O}(dkHW)``, ``\\Theta(...)`` or the bare expression.

    The wrapper is read as its argument, so the result is the growth expression itself.

    >>> from handnets.grading.parse import make_vocabulary
    >>> parse_big_o(r"\\mathcal{O}(d k H W)", vocabulary=make_vocabulary("dkHW", base={})).normalized
    'H*W*d*k'
    """
    functions = ALLOWED_FUNCTIONS if functions is None else functions
    return _noted(text, True, lambda cleaned: _parse(cleaned, vocabulary, functions, big_o=True, lhs=None))


def parse_arithmetic(text: str) -> ParseResult:
    """Read arithmetic over numbers only (what a number answer tidies into): no names but ``e`` and ``pi``,
    and juxtaposition a product only where a bracket touches, as in ``8(75 + 1)``.

    >>> parse_arithmetic("8(75 + 1)").expr, parse_arithmetic("8 (75 + 1)").ok
    (608, False)
    """
    return _parse(text, {}, ALLOWED_FUNCTIONS, big_o=False, lhs=None, bracket_products_only=True)


def _parse(text: str, vocabulary: Mapping[str, sympy.Basic], functions: Mapping[str, Callable],
           *, big_o: bool, lhs: str | None, bracket_products_only: bool = False) -> ParseResult:
    shown = text if isinstance(text, str) else repr(text)
    try:
        sides = _read(text, vocabulary, functions, big_o, lhs, bracket_products_only)
        return ParseSuccess(expr=sides[-1], text=shown, sides=sides)
    except Refusal as failure:
        position = failure.position
        if position is not None:
            position = max(0, min(position, len(shown)))
        return ParseFailure(message=failure.message, position=position, text=shown)
    except RecursionError:
        return ParseFailure(message="the expression is nested too deeply", position=None, text=shown)


def _read(text: str, vocabulary: Mapping[str, sympy.Basic], functions: Mapping[str, Callable],
          big_o: bool, lhs: str | None, bracket_products_only: bool = False) -> tuple[sympy.Expr, ...]:
    """Every side of the answer's ``=`` chain, the question's own left-hand side (``lhs``) left out."""
    if not isinstance(text, str):
        raise Refusal(f"expected text, got {type(text).__name__}", None)
    if len(text) > MAX_LENGTH:
        raise Refusal(f"the answer is {len(text)} characters long, more than the {MAX_LENGTH} allowed", MAX_LENGTH)
    tokens = lex(text)
    if tokens[0].kind == "eof":
        raise Refusal("the answer is empty", 0)
    aliases = {alias: canonical for alias, canonical in FUNCTION_ALIASES.items() if canonical in functions}
    aliases.update({name: name for name in functions})
    names: dict[str, sympy.Basic] = {k: v for k, v in CONSTANTS.items() if k not in vocabulary}
    names.update(vocabulary)
    lhs_vocabulary = names
    if lhs is not None and lhs not in names:
        lhs_vocabulary = {**names, lhs: sympy.Symbol(lhs)}
    # the reader knows the lhs name (so `w_xi_bar = ...` reads); the right side is checked against `names`
    reader = Reader(tokens, lhs_vocabulary, aliases, big_o, bracket_products_only)
    pieces = reader.read()
    all_functions = dict(functions)
    if big_o:
        all_functions["O"] = lambda arg: arg  # O(...) and Theta(...) are read as their argument
    stripped = False
    if len(pieces) > 1 and lhs is not None:
        # the left side may be written in any notation: it is the question's own quantity when it reads as lhs
        try:
            left = build(pieces[0], lhs_vocabulary, all_functions)
        except Refusal:
            left = None
        if left is not None and left == lhs_vocabulary[lhs]:
            pieces, stripped = pieces[1:], True
        elif left is not None and left.is_Symbol:
            raise Refusal(f"the left-hand side reads as {left}, but this answer is for {lhs}", pieces[0][0].start)
    sides = tuple(build(side, names, all_functions) for side in pieces)
    if len(sides) > 1 and sides[0].is_Symbol and not stripped and not big_o:
        # a bare name before '=' is a left-hand side, and not the question's own
        if lhs is None:
            raise Refusal("write only the expression, without a left-hand side and '='", reader.equals[0])
        raise Refusal(f"the left-hand side reads as {sides[0]}, but this answer is for {lhs}", pieces[0][0].start)
    return sides


def _noted(text: str, big_o: bool, read: Callable[[str], ParseResult]) -> ParseResult:
    """``read`` run on ``text`` with comments and closing remarks blanked out (``unicode.drop_remarks``),
    after notations with two readings are refused; the result shows the text as typed, with a note for
    each thing left out. Positions hold: the blanking keeps every character's place."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return read(text)  # refused there, with the reason
    try:
        cleaned, notes = drop_remarks(fold(text), big_o=big_o)
        refuse_ambiguous(cleaned)
    except Refusal as failure:
        return ParseFailure(message=failure.message, position=failure.position, text=text)
    result = read(cleaned)
    if isinstance(result, ParseSuccess):
        return replace(result, text=text, notes=notes)
    return replace(result, text=text)
