"""Stage 2: the notations students write (sympy-like, LaTeX, unicode) to Python syntax over vocabulary names.

A recursive-descent reader over the lexer's tokens. It writes ``Piece``s: the Python text, each with
the span of the answer it came from, so later stages can point at the student's own characters.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from collections.abc import Mapping

import sympy

from handnets.grading.parse.lexer import OPENERS, Token
from handnets.grading.parse.names import BIG_O_WRAPPERS, CONSTANTS, LOSS_WORDS, PRIMES, TIME_SUFFIX, TIME_WORDS
from handnets.grading.parse.values import MAX_DIGITS, MAX_PRODUCT_STEPS, MAX_RECURSION, MAX_SIDES, Refusal

# ---------------------------------------------------------------------------------- the reader


@dataclass(frozen=True, slots=True)
class Piece:
    """One token of the Python text the reader writes, with the source span it came from."""

    text: str
    start: int
    end: int


@dataclass(slots=True)
class _Var:
    """A variable as written: its base (``c``, ``w_xi``), time offset and decorations."""

    base: str
    start: int
    end: int
    offset: int | None = None
    bar: bool = False
    hat: bool = False
    tilde: bool = False
    local: bool = False  # the derivative of one step's own loss: dL_t/dh_t is dL_dh_t


def _split_ident(ident: str) -> _Var:
    """Read a name like ``C_t``, ``c_bar_next``, ``yhat_t``, ``delta_c_t`` into its parts."""
    parts = ident.split("_")
    var = _Var(base="", start=0, end=0)
    if len(parts) > 1 and parts[-1] in TIME_WORDS:
        var.offset = TIME_WORDS[parts.pop()]
    if len(parts) > 1 and parts[-1] == "bar":
        parts.pop()
        var.bar = True
    if len(parts) > 1 and parts[-1] == "hat":
        parts.pop()
        var.hat = True
    if len(parts) > 1 and parts[0] == "delta":
        parts.pop(0)
        var.bar = True
    base = "_".join(parts)
    if not var.bar and len(base) > 3 and base.endswith("bar"):
        base, var.bar = base[:-3], True
    if not var.hat and len(base) > 3 and base.endswith("hat"):
        base, var.hat = base[:-3], True
    var.base = base
    return var


class Reader:
    """Recursive-descent reader from tokens to Python-syntax tokens over vocabulary names."""

    def __init__(self, tokens: list[Token], vocabulary: Mapping[str, sympy.Basic],
                 functions: Mapping[str, str], big_o: bool, bracket_products_only: bool = False):
        self.tokens = tokens
        # In a number answer juxtaposition is a product only where a bracket touches: 8(75 + 1), (a)(b).
        # 8 (75 + 1), 2\frac{1}{2}, 2e, {2}{3} are refused: working, a mixed number, a typo, never a silent product.
        self.bracket_products_only = bracket_products_only
        self.i = 0
        self.depth = 0
        self.vocabulary = vocabulary
        self.functions = functions  # alias -> canonical name
        self.big_o = big_o
        # What a transpose (w_y^T, x^{(t)T}, ^\top, w_y') means. The univariate problems have only
        # scalars, where it is the identity; a vector question may later read it as a real transpose.
        self.transposes = "identity"
        self.index: tuple[str, int] | None = None  # the index of a \prod being expanded, and its value

    # -- token helpers
    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def at_op(self, value: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == "op" and tok.value == value

    def take(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def expect_op(self, value: str, opener: Token | None = None) -> Token:
        tok = self.peek()
        if tok.kind == "op" and tok.value == value:
            return self.take()
        if opener is not None:
            raise Refusal(f"expected '{value}' to close the '{opener.value}' at position {opener.start}, "
                        f"got {_show(tok)}", tok.start)
        raise Refusal(f"expected '{value}', got {_show(tok)}", tok.start)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_RECURSION:
            raise Refusal("the expression is nested too deeply", self.peek().start)

    def leave(self) -> None:
        self.depth -= 1

    # -- grammar
    def read(self) -> list[list[Piece]]:
        """The whole answer: the sides of an ``=`` chain (one side when there is no '=')."""
        sides = [self.read_sum()]
        self.equals: list[int] = []  # where each '=' stands, for messages about the left-hand side
        while self.at_op("="):
            self.equals.append(self.take().start)
            if len(sides) >= MAX_SIDES:
                raise Refusal(f"more than {MAX_SIDES} sides joined by '='", self.peek().start)
            sides.append(self.read_sum())
        tok = self.peek()
        if tok.kind != "eof":
            raise Refusal(f"unexpected {_show(tok)}", tok.start)
        return sides

    def read_sum(self) -> list[Piece]:
        self.enter()
        tok = self.peek()
        if tok.kind == "eof" or (tok.kind == "op" and tok.value in ")]},="):
            raise Refusal(f"expected an expression, got {_show(tok)}", tok.start)
        out = self.read_product()
        while self.at_op("+") or self.at_op("-"):
            op = self.take()
            out = out + [Piece(op.value, op.start, op.end)] + self.read_product()
        self.leave()
        return out

    def read_product(self) -> list[Piece]:
        out = self.read_unary()
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value in "*/":
                self.take()
                out = out + [Piece(tok.value, tok.start, tok.end)] + self.read_unary()
            elif self.starts_atom(tok):
                # juxtaposition: 2x, o_t tanh(c_t), (a)(b)
                if self.bracket_products_only:
                    self.check_bracket_product(tok)
                out = out + [Piece("*", tok.start, tok.start)] + self.read_power()
            else:
                return out

    def check_bracket_product(self, tok: Token) -> None:
        if tok.kind == "ident" and tok.value not in self.vocabulary and tok.value not in self.functions:
            return  # an unknown word ("20362 or 20490") is refused as one, by name
        before = self.tokens[self.i - 1]
        touching = before.end == tok.start
        bracket = (before.kind == "op" and before.value == ")") or (tok.kind == "op" and tok.value == "(")
        if touching and bracket:
            return
        if bracket:
            raise Refusal("a number next to a bracket with a space between is ambiguous: it may be a product or "
                          "working; write * or × for a product, or '=' before the working", tok.start)
        raise Refusal("two numbers side by side are ambiguous (a product? a mixed number? a typo?); "
                      "write * or × between them, or give one number", tok.start)

    def starts_atom(self, tok: Token) -> bool:
        if tok.kind in ("num", "ident"):
            return True
        if tok.kind == "cmd":
            return tok.value not in ("prime", "top")
        return tok.kind == "op" and tok.value in "([{"

    def read_unary(self) -> list[Piece]:
        tok = self.peek()
        if tok.kind == "op" and tok.value in "+-":
            self.enter()
            self.take()
            out = [Piece(tok.value, tok.start, tok.end)] + self.read_unary()
            self.leave()
            return out
        return self.read_power()

    def read_power(self) -> list[Piece]:
        base = self.read_transposes(self.read_atom())
        if self.at_op("^"):
            tok = self.take()
            return base + [Piece("**", tok.start, tok.end)] + self.read_exponent()
        return base

    def at_transpose(self) -> int:
        """How many tokens a transpose mark takes here: ', ^T, ^{T}, ^\\top, ^{\\intercal}; 0 if none."""
        if self.at_op("'"):
            return 1
        if not self.at_op("^"):
            return 0
        if self.is_transpose_letter(self.peek(1)):
            return 2
        if self.at_op("{", 1) and self.is_transpose_letter(self.peek(2)) and self.at_op("}", 3):
            return 4
        return 0

    def is_transpose_letter(self, tok: Token) -> bool:
        return (tok.kind == "cmd" and tok.value == "top") or (
            tok.kind == "ident" and tok.value == "T" and "T" not in self.vocabulary)

    def read_transposes(self, operand: list[Piece]) -> list[Piece]:
        """``operand`` and the transpose marks after it; on scalars a transpose changes nothing."""
        while True:
            width = self.at_transpose()
            if not width:
                return operand
            mark = self.peek()
            self.i += width
            if self.transposes != "identity":
                raise Refusal("a transpose is not read in this question", mark.start)

    def read_exponent(self) -> list[Piece]:
        self.enter()
        tok = self.peek()
        if tok.kind == "op" and tok.value in "+-":
            self.take()
            out = [Piece(tok.value, tok.start, tok.end)] + self.read_exponent()
        elif tok.kind == "num" and self.peek(1).kind == "ident" and len(tok.value) == 1:
            # LaTeX x^2y is x^2 y: a bare exponent is one token
            out = self.read_atom()
        else:
            out = self.read_power()
        self.leave()
        return out

    def read_group(self) -> list[Piece]:
        """( expr ), [ expr ], { expr } (LaTeX braces group too), written as ( expr )."""
        self.enter()
        opener = self.take()
        if self.at_op(OPENERS[opener.value]):
            raise Refusal("empty brackets", opener.start)
        inner = self.read_sum()
        if self.at_op(","):
            raise Refusal("unexpected ','; a comma only separates the arguments of a function", self.peek().start)
        closer = self.expect_op(OPENERS[opener.value], opener)
        self.leave()
        return [Piece("(", opener.start, opener.end), *inner, Piece(")", closer.start, closer.end)]

    def read_atom(self) -> list[Piece]:
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            return _number(tok)
        if tok.kind == "op" and tok.value == "{" and self.peek(1).kind == "cmd" and self.peek(1).value in _DECORATIONS:
            braced = self.read_braced_var()
            if braced is not None:
                return braced
        if tok.kind == "op" and tok.value in "([{":
            return self.read_group()
        if tok.kind == "cmd":
            return self.read_command(tok)
        if tok.kind == "ident":
            return self.read_name(tok)
        if tok.kind == "op" and tok.value == "_":
            raise Refusal("a subscript '_' needs a name before it", tok.start)
        raise Refusal(f"expected a number, a name or '(', got {_show(tok)}", tok.start)

    def read_braced_var(self) -> list[Piece] | None:
        """{\\bar{h}}_t: a decorated variable in braces with its index outside; None if it is not one."""
        save = self.i
        self.take()
        try:
            var = self.read_var()
            closer = self.expect_op("}")
        except Refusal:
            self.i = save
            return None
        var.end = closer.end
        return self.emit_var(self.finish_var(var))

    def read_command(self, tok: Token) -> list[Piece]:
        name = tok.value
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            return self.read_frac()
        if name == "sqrt":
            return self.read_sqrt()
        if name in ("sigma", "tanh", "exp", "log", "ln", "cosh", "sinh", "sech"):
            self.take()
            return self.read_call(self.functions[name], tok)
        if name in ("max", "min") and name in self.functions:
            self.take()
            return self.read_call(self.functions[name], tok)
        if name == "sum":
            return self.read_sum_over_t()
        if name == "prod":
            return self.read_product_over_steps()
        if name == "dot":
            return self.read_dotted()
        if name == "nabla":
            return self.read_nabla()
        if name == "Theta" and self.big_o:
            self.take()
            return self.read_call("O", tok)
        if name in ("bar", "overline", "tilde", "widetilde", "hat", "widehat", "delta"):
            return self.emit_var(self.read_var())
        if name == "partial":
            var = self.try_loss_derivative()
            if var is not None:
                return self.emit_var(var)
            raise Refusal("write a derivative as \\partial L / \\partial c_t", tok.start)
        raise Refusal(f"'\\{name}' is not allowed here", tok.start)

    def read_frac(self) -> list[Piece]:
        frac = self.take()
        save = self.i
        if self.at_op("{"):
            # \frac{\partial L}{\partial c_t} and \frac{dL}{dc_t} are error signals
            self.take()
            loss = self.read_loss_marker()
            if loss and self.at_op("}") and self.at_op("{", 1):
                self.i += 2
                var = self.read_differential()
                if var is not None and self.at_op("}"):
                    self.take()
                    return self.emit_var(_of_loss(var, loss))
            self.i = save
        numerator = self.read_frac_argument(frac)
        denominator = self.read_frac_argument(frac)
        return [Piece("(", frac.start, frac.end), *numerator, Piece("/", frac.start, frac.end),
                *denominator, Piece(")", frac.start, frac.end)]

    def read_frac_argument(self, frac: Token) -> list[Piece]:
        tok = self.peek()
        if self.at_op("{"):
            return self.read_group()
        if tok.kind == "num" and tok.value.isdigit():
            # \frac12: each argument is one digit
            self.take()
            first = Token("num", tok.value[0], tok.start, tok.start + 1)
            if len(tok.value) > 1:
                self.i -= 1
                self.tokens[self.i] = Token("num", tok.value[1:], tok.start + 1, tok.end)
            return _number(first)
        if tok.kind == "ident" and len(tok.value) == 1:
            self.take()
            return self.read_name(tok, consumed=True)
        raise Refusal("\\frac needs two arguments in braces, as in \\frac{a}{b}", frac.start)

    def read_sqrt(self) -> list[Piece]:
        tok = self.take()
        root: list[Piece] | None = None
        if self.at_op("["):
            root = self.read_group()
        if not self.at_op("{"):
            raise Refusal("\\sqrt needs its argument in braces, as in \\sqrt{x}", tok.start)
        inner = self.read_group()
        if root is None:
            return [Piece("sqrt", tok.start, tok.end), *inner]
        return [Piece("(", tok.start, tok.end), *inner, Piece(")", tok.start, tok.end), Piece("**", tok.start, tok.end),
                Piece("(", tok.start, tok.end), Piece("1", tok.start, tok.end), Piece("/", tok.start, tok.end),
                *root, Piece(")", tok.start, tok.end)]

    def read_call(self, canonical: str, name_tok: Token) -> list[Piece]:
        """A function applied: f(x), f'(x), f^2(x), \\tanh c_t (one bare argument)."""
        prime = self.take_prime()
        if prime is not None:
            if canonical not in PRIMES:
                raise Refusal(f"a prime is only read on sigma or tanh, not on {canonical}", prime.start)
            canonical = PRIMES[canonical]
            if not (self.peek().kind == "op" and self.peek().value in "([{"):  # σ' x_t: of what?
                raise Refusal(f"{name_tok.value}' of what? Write its argument in brackets, as in {name_tok.value}'(z)", self.peek().start)
        power: list[Piece] | None = None
        if self.at_op("^"):
            caret = self.take()
            tok = self.peek()
            value = None
            if tok.kind == "num":
                self.take()
                value = tok.value
            elif self.at_op("{") and self.peek(1).kind == "num" and self.at_op("}", 2):
                value = self.peek(1).value
                self.i += 3
            else:
                value = self.take_negative_power(name_tok, caret)
            if value is None or not value.lstrip("-").isdigit() or not 1 <= abs(int(value)) <= 9:
                raise Refusal("a power on a function name must be a whole number from 1 to 9, as in tanh^2(c)",
                            caret.start)
            power = [Piece("**", caret.start, caret.end), Piece(str(int(value)), tok.start, tok.end)]
        tok = self.peek()
        if tok.kind == "op" and tok.value in "([{":
            self.enter()
            opener = self.take()
            if self.at_op(OPENERS[opener.value]):
                raise Refusal(f"{canonical} needs an argument", opener.start)
            args = [self.read_sum()]
            while self.at_op(","):
                self.take()
                args.append(self.read_sum())
            closer = self.expect_op(OPENERS[opener.value], opener)
            self.leave()
            inner: list[Piece] = []
            for index, arg in enumerate(args):
                if index:
                    inner.append(Piece(",", arg[0].start, arg[0].start))
                inner += arg
            call = [Piece(canonical, name_tok.start, name_tok.end), Piece("(", opener.start, opener.end),
                    *inner, Piece(")", closer.start, closer.end)]
        elif self.starts_atom(tok):
            self.enter()
            arg = self.read_power()
            self.leave()
            call = [Piece(canonical, name_tok.start, name_tok.end), Piece("(", tok.start, tok.start), *arg,
                    Piece(")", tok.start, tok.start)]
        else:
            raise Refusal(f"{canonical} needs an argument, as in {canonical}(x)", tok.start)
        if power is None:
            return call
        return [Piece("(", name_tok.start, name_tok.start), *call, Piece(")", name_tok.start, name_tok.start), *power]

    def take_negative_power(self, name_tok: Token, caret: Token) -> str | None:
        """cosh^{-2}(c) is cosh(c)**-2; f^{-1} is the inverse function, refused; None if not ^{-k} or ^-k."""
        braced = self.at_op("{")
        at = 1 if braced else 0
        if not (self.at_op("-", at) and self.peek(at + 1).kind == "num" and (not braced or self.at_op("}", at + 2))):
            return None
        value = "-" + self.peek(at + 1).value
        if value == "-1":
            raise Refusal(f"a power on a function name must be a whole number from 1 to 9 (or -2 to -9): "
                          f"{name_tok.value}^{{-1}} is the inverse function; write 1/{name_tok.value}(x) for the "
                          "reciprocal", caret.start)
        self.i += at + 2 + (1 if braced else 0)
        return value

    def take_prime(self) -> Token | None:
        """A derivative mark after a function name: ', ^', ^{'}, ^\\prime, ^{\\prime}; None if there is none."""
        if self.at_op("'"):
            return self.take()
        if self.at_op("^") and self.at_op("'", 1):
            self.i += 2
            return self.tokens[self.i - 1]
        if self.at_op("^") and self.at_op("{", 1) and self.at_op("'", 2) and self.at_op("}", 3):
            self.i += 4
            return self.tokens[self.i - 2]
        return None

    def read_dotted(self) -> list[Piece]:
        """\\dot\\sigma(z), \\dot{\\sigma}(z): Newton's dot for the derivative of sigma or tanh."""
        dot = self.take()
        braced = self.at_op("{")
        if braced:
            self.take()
        tok = self.peek()
        if not (tok.kind == "cmd" and tok.value in ("sigma", "tanh")) and not (
                tok.kind == "ident" and self.functions.get(tok.value) in PRIMES):
            raise Refusal("\\dot is read only on sigma or tanh, as in \\dot\\sigma(z)", dot.start)
        self.take()
        if braced:
            self.expect_op("}")
        canonical = self.functions[tok.value]
        if canonical not in PRIMES:
            raise Refusal(f"\\dot is read only on sigma or tanh, not on {canonical}", dot.start)
        if not (self.peek().kind == "op" and self.peek().value in "([{"):  # \dot\sigma x_t: of what?
            raise Refusal(f"\\dot\\{tok.value} of what? Write its argument in brackets, as in \\dot\\{tok.value}(z)",
                          self.peek().start)
        return self.read_call(PRIMES[canonical], tok)

    def read_nabla(self) -> list[Piece]:
        """\\nabla_{c_t} L: the gradient of the loss with respect to c_t, its error signal."""
        nabla = self.take()
        if not self.at_op("_"):
            raise Refusal("write a gradient as \\nabla_{c_t} L", nabla.start)
        self.take()
        if self.at_op("{"):
            opener = self.take()
            var = self.read_var()
            self.expect_op("}", opener)
        else:
            var = self.read_var()
        tok = self.peek()
        if tok.kind == "ident" and tok.value in LOSS_WORDS and LOSS_WORDS[tok.value] == "total":
            self.take()  # the loss named after the gradient (optional)
        return self.emit_var(_with_bar(var))

    def skip_limits(self, opener: Token, allow_equals: bool) -> list[Token]:
        """The _{...} and ^{...} after \\sum or \\prod, as tokens (braces dropped); ``opener`` for messages."""
        found: list[Token] = []
        for mark in ("_", "^"):
            if not self.at_op(mark):
                continue
            self.take()
            if self.at_op("{"):
                brace = self.take()
                depth = 1
                while depth:
                    tok = self.take()
                    if tok.kind == "eof":
                        raise Refusal("this brace is never closed", brace.start)
                    if tok.kind == "op" and tok.value == "{":
                        depth += 1
                    elif tok.kind == "op" and tok.value == "}":
                        depth -= 1
                    if depth:
                        found.append(tok)
                found.append(Token("op", mark, brace.start, brace.start))
            elif self.peek().kind in ("ident", "num"):
                found += [self.take(), Token("op", mark, opener.start, opener.start)]
            else:
                raise Refusal(f"expected a limit after '{mark}', got {_show(self.peek())}", self.peek().start)
        return found

    def read_sum_over_t(self) -> list[Piece]:
        """\\sum_t X, \\sum_{t=1}^{T} X, sum_t X: the sum over time steps of the product X that follows.

        The sum is kept whole, as ``sum_over_t(X)``: whether the question asks for it or for its
        summand is the judge's to say.
        """
        opener = self.take()
        limits = self.skip_limits(opener, allow_equals=True)
        if not limits or limits[0].value != "t":
            raise Refusal("a sum is read only over the time step t, as in \\sum_t or \\sum_{t=1}^{T}", opener.start)
        self.enter()
        if self.peek().kind == "eof" or (self.peek().kind == "op" and self.peek().value in ")]}=+-"):
            raise Refusal("a sum needs a summand after it", self.peek().start)
        body = self.read_product()
        self.leave()
        return [Piece("sum_over_t", opener.start, opener.end), Piece("(", opener.start, opener.start), *body,
                Piece(")", opener.end, opener.end)]

    def read_product_over_steps(self) -> list[Piece]:
        """\\prod_{k=t-1}^{t} f_k: a product over a few time steps, written out factor by factor."""
        opener = self.take()
        if self.index is not None:
            raise Refusal("a product inside a product is not read; write its factors", opener.start)
        bounds = self.read_product_limits(opener)
        name, first, last = bounds
        if not 0 <= last - first < MAX_PRODUCT_STEPS:
            raise Refusal(f"a product is read over 1 to {MAX_PRODUCT_STEPS} steps; write its factors", opener.start)
        start = self.i
        factors: list[list[Piece]] = []
        end = None
        self.enter()
        for value in range(first, last + 1):
            self.i, self.index = start, (name, value)
            try:
                factors.append(self.read_product_body(name, first, last))
            finally:
                self.index = None
            if end is not None and self.i != end:  # cannot happen: the same tokens read the same way
                raise Refusal("the factor of this product could not be read", opener.start)
            end = self.i
        self.leave()
        out: list[Piece] = [Piece("(", opener.start, opener.start)]
        for k, factor in enumerate(factors):
            if k:
                out.append(Piece("*", opener.start, opener.start))
            out += [Piece("(", opener.start, opener.start), *factor, Piece(")", opener.end, opener.end)]
        return out + [Piece(")", opener.end, opener.end)]

    def read_product_body(self, name: str, first: int, last: int) -> list[Piece]:
        """The factors after \\prod up to the first one that does not use its index:
        \\prod_{s=t-1}^{t} f_s \\, \\bar{c}_t is (f_{t-1} f_t) \\bar{c}_t, not f_{t-1} \\bar{c}_t f_t \\bar{c}_t."""
        out = self.read_unary()
        index = self.index
        while True:
            tok = self.peek()
            explicit = tok.kind == "op" and tok.value in "*/"
            if not (explicit or self.starts_atom(tok)):
                return out
            save = self.i
            if explicit:
                self.take()
            at_factor = self.i
            self.index = (name, first)
            low = self.read_power()
            self.i, self.index = at_factor, (name, last)
            high = self.read_power()
            self.index = index
            if first != last and low == high:  # the same for every step: a factor outside the product
                self.i = save
                return out
            self.i = at_factor
            factor = self.read_power()
            out = out + [Piece(tok.value if explicit else "*", tok.start, tok.start if not explicit else tok.end)] + factor

    def read_product_limits(self, opener: Token) -> tuple[str, int, int]:
        """_{k=t-1}^{t}: the index name and its first and last time offsets."""
        message = "write a product over steps as \\prod_{k=t-1}^{t} f_k, with limits t-2 to t+1"
        if not (self.at_op("_") and self.at_op("{", 1) and self.peek(2).kind == "ident" and self.at_op("=", 3)):
            raise Refusal(message, opener.start)
        name = self.peek(2).value
        if name == "t" or name in self.vocabulary:
            raise Refusal(f"the index of a product must be a new letter, not {name}", self.peek(2).start)
        self.i += 4
        first = self.read_index_at(self.i)
        if first is None or not self.at_op("}", first[1] - self.i):
            raise Refusal(message, opener.start)
        self.i = first[1] + 1
        if not self.at_op("^"):
            raise Refusal(message, opener.start)
        self.take()
        braced = self.at_op("{")
        if braced:
            self.take()
        last = self.read_index_at(self.i)
        if last is None:
            raise Refusal(message, opener.start)
        self.i = last[1]
        if braced:
            self.expect_op("}")
        return name, first[0], last[0]

    def split_ident(self, word: str) -> _Var:
        """``_split_ident``, with the index of a \\prod being expanded read as its step (f_k)."""
        if self.index is not None and word.endswith("_" + self.index[0]) and len(word) > len(self.index[0]) + 1:
            var = _split_ident(word[: -len(self.index[0]) - 1])
            if var.offset is None:
                var.offset = self.index[1]
                return var
        return _split_ident(word)

    def read_name(self, tok: Token, consumed: bool = False) -> list[Piece]:
        """A name: a vocabulary symbol, a function, a constant, or the start of dL/dc_t."""
        word = tok.value
        if word in self.vocabulary:
            if not consumed:
                self.take()
            # c(t) and c[t] only matter for a base that is not a name itself; the exact name wins
            return [Piece(word, tok.start, tok.end)]
        if not consumed:
            var = self.try_loss_derivative()
            if var is not None:
                return self.emit_var(var)
        if word in ("sum", "sum_t") and not consumed and (word == "sum_t" or self.at_op("_", 1)):
            if word == "sum_t":  # sum_t X as one name: the same as \\sum_t X
                self.tokens[self.i:self.i + 1] = [Token("ident", "sum", tok.start, tok.start + 3),
                                                  Token("op", "_", tok.start + 3, tok.start + 4),
                                                  Token("ident", "t", tok.start + 4, tok.end)]
            return self.read_sum_over_t()
        if word in self.functions:
            if not consumed:
                self.take()
            return self.read_call(self.functions[word], tok)
        if self.big_o and word in BIG_O_WRAPPERS:
            if not consumed:
                self.take()
            return self.read_call("O", tok)
        if word in CONSTANTS:
            if not consumed:
                self.take()
            return [Piece(word, tok.start, tok.end)]
        if word == "delta" and self.peek(1).kind in ("ident", "cmd") and not consumed:
            # delta c_t is an error signal, written out in words
            return self.emit_var(self.read_var())
        split = self.split_letters(word)
        if split is not None:
            if not consumed:
                self.take()
            out: list[Piece] = []
            for k, letter in enumerate(split):
                if k:
                    out.append(Piece("*", tok.start + k, tok.start + k))
                out.append(Piece(letter, tok.start + k, tok.start + k + 1))
            return out
        if consumed:
            return self.emit_var(self.finish_var(_with_span(self.split_ident(word), tok)))
        latex = self.latex_subscripts(tok)
        if latex is not None:
            self.tokens[self.i:self.i + 1] = latex
            return self.read_name(latex[0])
        return self.emit_var(self.read_var())

    def latex_subscripts(self, tok: Token) -> list[Token] | None:
        """``i_tg_t`` as LaTeX reads it, ``i_t g_t`` (an unbraced subscript is one character), when the
        name as written is unknown and every piece of that reading is a name; else None.

        Code names the vocabulary knows (``w_xi``, ``h_prev``, ``dL_dh_t``) are never split.
        """
        word = tok.value
        if "_" not in word or self.resolve(self.split_ident(word)) is not None:
            return None
        pieces, current, k = [], "", 0
        while k < len(word):
            if word[k] == "_" and k + 1 < len(word):
                pieces.append((current + word[k:k + 2], k - len(current)))
                current, k = "", k + 2
            else:
                current, k = current + word[k], k + 1
        if current:
            pieces.append((current, len(word) - len(current)))
        if len(pieces) < 2:
            return None
        for index, (piece, _) in enumerate(pieces):
            last = index == len(pieces) - 1
            if "_" not in piece:  # f_tc_{t-1}: the last letter takes the subscript that follows
                if not (last and piece.isalpha() and self.peek(1).kind == "op" and self.peek(1).value == "_"
                        and self.peek(1).start == tok.end):
                    return None
            elif self.resolve(self.split_ident(piece)) is None and not (
                    last and self.at_op("_", 1) and self.peek(1).start == tok.end):
                return None
        return [Token("ident", piece, tok.start + at, tok.start + at + len(piece)) for piece, at in pieces]

    def split_letters(self, word: str) -> list[str] | None:
        """``xy`` is x*y when it is not a name and every letter is one (as sympy's split_symbols)."""
        if len(word) < 2 or "_" in word or not word.isalpha():
            return None
        if all(letter in self.vocabulary for letter in word):
            return list(word)
        return None

    # -- variables
    def read_var(self) -> _Var:
        """A (possibly decorated) variable with its time index, as written."""
        self.enter()
        tok = self.peek()
        decorations = {"bar": "bar", "overline": "bar", "delta": "bar", "tilde": "tilde",
                       "widetilde": "tilde", "hat": "hat", "widehat": "hat"}
        if (tok.kind == "cmd" and tok.value in decorations) or (tok.kind == "ident" and tok.value == "delta"):
            self.take()
            kind = decorations[tok.value]
            if self.at_op("_") and kind == "bar":
                self.take()  # \delta_{c_t}
            if self.at_op("{"):
                opener = self.take()
                inner = self.read_var()
                self.expect_op("}", opener)
            elif self.peek().kind in ("ident", "cmd"):
                inner = self.read_var()
            else:
                raise Refusal(f"'{tok.value}' needs a variable after it", self.peek().start)
            if getattr(inner, kind):
                raise Refusal(f"two '{tok.value}' decorations on one variable", tok.start)
            setattr(inner, kind, True)
            inner.start = tok.start
            var = self.finish_var(inner)
        elif tok.kind == "ident":
            self.take()
            var = self.finish_var(_with_span(self.split_ident(tok.value), tok))
        else:
            raise Refusal(f"expected a variable, got {_show(tok)}", tok.start)
        self.leave()
        return var

    def finish_var(self, var: _Var) -> _Var:
        """Time indices after a variable: _t, _{t-1}, _{xi}, ^{(t)}, [t], (t)."""
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value == "_":
                self.take()
                self.read_subscript(var)
                continue
            if var.offset is None and tok.kind == "op" and tok.value in "^[(":
                found = self.match_time_index(var)
                if found is not None:
                    var.offset, self.i = found
                    var.end = self.tokens[self.i - 1].end
                    continue
            return var

    def read_subscript(self, var: _Var) -> None:
        tok = self.peek()
        if self.at_op("{"):
            opener = self.take()
            index = self.read_index_at(self.i)
            if index is not None and self.at_op("}", index[1] - self.i):
                offset, self.i = index
                self.set_offset(var, offset, tok)
            elif self.peek().kind in ("ident", "num") and self.at_op("}", 1):
                self.extend_base(var, self.take().value)
            else:
                raise Refusal("a subscript should be a time index such as t, t-1 or t+1, or a name", tok.start)
            var.end = self.expect_op("}", opener).end
            return
        if tok.kind == "ident" and self.one_character_subscript(var, tok):
            return
        if tok.kind in ("ident", "num"):
            self.take()
            if self.index is not None and tok.value == self.index[0]:
                self.set_offset(var, self.index[1], tok)
            elif tok.value in TIME_WORDS:
                self.set_offset(var, TIME_WORDS[tok.value], tok)
            else:
                self.extend_base(var, tok.value)
            var.end = tok.end
            return
        raise Refusal(f"expected a subscript after '_', got {_show(tok)}", tok.start)

    def one_character_subscript(self, var: _Var, tok: Token) -> bool:
        """``\bar{h}_to_t`` as LaTeX reads it: the unbraced subscript is ``t``, and ``o_t`` a factor of its own.

        Only when the subscript run as a whole makes no known name and the reading has a time index
        and a name after it; the rest is put back as a token of its own (True when so).
        """
        word = tok.value
        if len(word) < 2 or word in TIME_WORDS or word[0] not in TIME_WORDS or var.offset is not None:
            return False
        whole = _Var(var.base, var.start, var.end, var.offset, var.bar, var.hat, var.tilde, var.local)
        extended = self.split_ident(word)
        whole.base, whole.offset = f"{whole.base}_{extended.base}", extended.offset
        if self.resolve(whole) is not None:
            return False
        rest = word[1:]
        rest_var = self.split_ident(rest)
        if not rest[0].isalpha() or (self.resolve(rest_var) is None and rest not in self.vocabulary):
            return False
        self.tokens[self.i:self.i + 1] = [Token("ident", word[0], tok.start, tok.start + 1),
                                          Token("ident", rest, tok.start + 1, tok.end)]
        self.take()
        self.set_offset(var, TIME_WORDS[word[0]], tok)
        var.end = tok.start + 1
        return True

    def set_offset(self, var: _Var, offset: int, tok: Token) -> None:
        if var.offset is not None:
            raise Refusal("two time indices on one variable", tok.start)
        var.offset = offset

    def extend_base(self, var: _Var, word: str) -> None:
        if var.offset is not None:
            raise Refusal("a subscript after the time index", self.peek().start)
        inner = self.split_ident(word)
        var.base = f"{var.base}_{inner.base}"
        if inner.offset is not None:
            var.offset = inner.offset
        var.bar = var.bar or inner.bar

    def read_index_at(self, j: int) -> tuple[int, int] | None:
        """A time index starting at token j: t, t-1, t+1, t-2, prev, next, prev2; (offset, next j)."""
        tok = self.tokens[j]
        if tok.kind != "ident":
            return None
        base = 0
        if self.index is not None and tok.value == self.index[0]:
            base = self.index[1]  # f_{k-1} inside \\prod_{k=...}: k stands for a step
        elif tok.value in TIME_WORDS and tok.value != "t":
            return TIME_WORDS[tok.value], j + 1
        elif tok.value != "t":
            return None
        sign, number = self.tokens[j + 1], self.tokens[min(j + 2, len(self.tokens) - 1)]
        if sign.kind == "op" and sign.value in "+-" and number.kind == "num" and number.value.isdigit() \
                and len(number.value) <= 3:
            offset = int(number.value) * (1 if sign.value == "+" else -1)
            return base + offset, j + 3
        return base, j + 1

    def match_time_index(self, var: _Var) -> tuple[int, int] | None:
        """^{(t)}, ^(t), ^{<t>}, [t], (t) after a variable, taken only when the result is a vocabulary name."""
        j = self.i
        tokens = self.tokens
        closers: list[str] = []
        if tokens[j].value == "^":
            j += 1
            if tokens[j].kind == "op" and tokens[j].value == "{":
                closers.append("}")
                j += 1
            if not (tokens[j].kind == "op" and tokens[j].value in "(<"):
                return None
        if tokens[j].kind != "op" or tokens[j].value not in "([<":
            return None
        closers.append(">" if tokens[j].value == "<" else OPENERS[tokens[j].value])  # Ng's a^{<t>}
        index = self.read_index_at(j + 1)
        if index is None:
            return None
        offset, j = index
        for closer in reversed(closers):
            if closer == "}" and self.is_transpose_letter(tokens[j]):
                j += 1  # x^{(t)T}: the step, then a transpose (the identity on scalars)
            if not (tokens[j].kind == "op" and tokens[j].value == closer):
                return None
            j += 1
        trial = _Var(var.base, var.start, var.end, offset, var.bar, var.hat, var.tilde)
        if self.resolve(trial) is None:
            return None
        return offset, j

    def try_loss_derivative(self) -> _Var | None:
        """dL/dc_t, d L / d c_t, \\partial L/\\partial c_t: the error signal of c_t.

        With the loss of one step, dL_t/dh_t, it is that step's own term: ``dL_dh_t``.
        """
        save = self.i
        loss = self.read_loss_marker()
        if not loss or not self.at_op("/"):
            self.i = save
            return None
        self.take()
        var = self.read_differential()
        if var is None:
            self.i = save
            return None
        return _of_loss(var, loss)

    def read_loss_marker(self) -> str:
        """Consume dL, d L, \\partial L (-> "total") or dL_t, \\partial L_{t} (-> "local"); "" if none."""
        tok = self.peek()
        if tok.kind == "ident" and tok.value[:1] == "d" and tok.value[1:] in LOSS_WORDS:
            self.take()
            return LOSS_WORDS[tok.value[1:]]
        after = self.peek(1)
        is_d = (tok.kind == "ident" and tok.value == "d") or (tok.kind == "cmd" and tok.value == "partial")
        if not (is_d and after.kind == "ident" and after.value in LOSS_WORDS):
            return ""
        self.i += 2
        kind = LOSS_WORDS[after.value]
        if kind == "total" and self.at_op("_"):
            # L_{t} or L_t written with a separate subscript
            if self.peek(1).kind == "ident" and self.peek(1).value == "t":
                self.i += 2
                return "local"
            if self.at_op("{", 1) and self.peek(2).value == "t" and self.at_op("}", 3):
                self.i += 4
                return "local"
        return kind

    def read_differential(self) -> _Var | None:
        tok = self.peek()
        if (tok.kind == "ident" and tok.value == "d") or (tok.kind == "cmd" and tok.value == "partial"):
            self.take()
            if self.peek().kind not in ("ident", "cmd"):
                return None
            return self.read_var()
        if tok.kind == "ident" and len(tok.value) > 1 and tok.value[0] == "d":
            self.take()
            rest = Token("ident", tok.value[1:], tok.start + 1, tok.end)
            return self.finish_var(_with_span(self.split_ident(rest.value), rest))
        return None

    def resolve(self, var: _Var) -> str | None:
        """The vocabulary name a variable means, or None.

        Code's ``dX`` for dL/dX (``dc_t``, ``dh[t]``, ``dW_xi``) is an error signal, read only when the
        name without the ``d`` is a variable and the name with it is not (``d`` alone, or ``dk`` in a
        big-O answer, is untouched).
        """
        found = self.resolve_as_written(var)
        if found is not None or var.bar or var.local or len(var.base) < 2 or var.base[0] != "d":
            return found
        code_style = _Var(var.base[1:], var.start, var.end, var.offset, True, var.hat, var.tilde)
        return self.resolve_as_written(code_style)

    def resolve_as_written(self, var: _Var) -> str | None:
        bases = [var.base]
        if var.base != var.base.lower():
            bases.append(var.base.lower())
        swapped = re.fullmatch(r"[wW]_([ifogIFOG])([xhXH])", var.base)
        if swapped:
            bases.append(f"w_{swapped.group(2).lower()}{swapped.group(1).lower()}")
        for base in bases:
            if var.tilde:
                if base.lower() != "c":
                    continue
                base = "g"
            core = base + ("hat" if var.hat else "") + ("bar" if var.bar else "")
            if var.offset is None and var.bar and "_" in base and f"{base}_bar" in self.vocabulary:
                name = f"{base}_bar"  # \\overline{w_{xi}} is w_xi_bar
            elif var.offset is None:
                name = core
            elif var.offset in TIME_SUFFIX:
                name = f"{core}_{TIME_SUFFIX[var.offset]}"
            else:
                continue
            if var.local:
                name = f"dL_d{name}"
            if name in self.vocabulary:
                return name
        return None

    def emit_var(self, var: _Var) -> list[Piece]:
        name = self.resolve(var)
        if name is None:
            raise Refusal(self.unknown_message(var), var.start)
        return [Piece(name, var.start, var.end)]

    def unknown_message(self, var: _Var) -> str:
        written = _describe_var(var)
        if var.base in self.functions and var.offset is None and not (var.bar or var.hat or var.tilde):
            return f"{var.base} needs an argument, as in {var.base}(x)"
        candidates = sorted(set(self.vocabulary) | set(self.functions))
        guesses = difflib.get_close_matches(written, candidates, n=3, cutoff=0.6)
        if not guesses:
            guesses = [name for name in self.vocabulary if name.startswith(written.split("_")[0] + "_")][:3]
        if var.tilde and var.base.lower() != "c":
            return f"unknown name '{written}': a tilde is read only on c (the candidate g_t)"
        message = f"unknown name '{written}'"
        if self.at_op("("):
            message = f"unknown function '{written}'"
            guesses = difflib.get_close_matches(written, sorted(self.functions), n=3, cutoff=0.6)
        if guesses:
            message += "; did you mean " + " or ".join(repr(g) for g in guesses) + "?"
        return message


_DECORATIONS = frozenset({"bar", "overline", "tilde", "widetilde", "hat", "widehat", "delta"})


def _with_span(var: _Var, tok: Token) -> _Var:
    var.start, var.end = tok.start, tok.end
    return var


def _of_loss(var: _Var, loss: str) -> _Var:
    if loss == "local":
        if var.bar:
            raise Refusal("the derivative of an error signal is not an error signal", var.start)
        var.local = True
        return var
    return _with_bar(var)


def _with_bar(var: _Var) -> _Var:
    if var.bar:
        raise Refusal("the derivative of an error signal is not an error signal", var.start)
    var.bar = True
    return var


def _describe_var(var: _Var) -> str:
    core = ("dL_d" if var.local else "") + ("tilde " if var.tilde else "") + var.base + ("hat" if var.hat else "") \
        + ("bar" if var.bar else "")
    if var.offset is None:
        return core
    suffix = TIME_SUFFIX.get(var.offset, f"t{var.offset:+d}")
    return f"{core}_{suffix}"


def _show(tok: Token) -> str:
    if tok.kind == "eof":
        return "the end of the answer"
    if tok.kind == "cmd":
        return f"'\\{tok.value}'"
    return f"'{tok.value}'"


def _number(tok: Token) -> list[Piece]:
    """A written number as exact Python text: 0.1 is (1/10), never a float."""
    digits = sum(ch.isdigit() for ch in tok.value)
    if digits > MAX_DIGITS:
        raise Refusal(f"a number of more than {MAX_DIGITS} digits", tok.start)
    try:
        value = Decimal(tok.value)
    except InvalidOperation:
        raise Refusal(f"cannot read the number {tok.value!r}", tok.start) from None
    if abs(value.adjusted()) > MAX_DIGITS:
        raise Refusal(f"a number beyond 10^{MAX_DIGITS}", tok.start)
    exact = Fraction(value)
    if exact.denominator == 1:
        return [Piece(str(exact.numerator), tok.start, tok.end)]
    return [Piece("(", tok.start, tok.start), Piece(str(exact.numerator), tok.start, tok.end),
            Piece("/", tok.start, tok.end), Piece(str(exact.denominator), tok.start, tok.end),
            Piece(")", tok.end, tok.end)]

