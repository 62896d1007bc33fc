"""Stage 4: the builder of the sympy expression from a checked Python AST, keeping the size bounds.

Nothing is ever eval'd: ``ast.parse`` only parses, ``check`` (stage 3) refuses every node type and
name not on the lists, and the builder makes each sympy node by hand.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import sympy

from handnets.grading.parse.check import check
from handnets.grading.parse.names import VARIADIC
from handnets.grading.parse.translate import Piece
from handnets.grading.parse.values import MAX_BITS, MAX_EXPONENT, MAX_FACTORIAL, MAX_NODES, Refusal

class Builder:
    """Builds the sympy expression from an allow-listed Python AST; nothing is ever eval'd."""

    def __init__(self, positions: list[int], names: Mapping[str, sympy.Basic],
                 functions: Mapping[str, Callable[[sympy.Expr], sympy.Expr]]):
        self.positions = positions
        self.names = names
        self.functions = functions

    def where(self, node: ast.AST) -> int | None:
        col = getattr(node, "col_offset", None)
        if col is None or not self.positions:
            return None
        return self.positions[min(col, len(self.positions) - 1)]

    def build(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            return sympy.Integer(node.value)
        if isinstance(node, ast.Name):
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Add):
                return self.bounded(left + right, node)
            if isinstance(node.op, ast.Sub):
                return self.bounded(left - right, node)
            if isinstance(node.op, ast.Mult):
                return self.bounded(left * right, node)
            if isinstance(node.op, ast.Div):
                if right.is_zero:
                    raise Refusal("division by zero", self.where(node.right))
                return self.bounded(left / right, node)
            return self.power(left, right, node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            name = node.func.id
            if name in VARIADIC:
                result = self.functions[name](*(self.build(arg) for arg in node.args))
                check_size(result, self.where(node))
                return self.bounded(result, node)
            arg = self.build(node.args[0])
            if name == "factorial":
                if not (arg.is_Integer and 0 <= int(arg) <= MAX_FACTORIAL):
                    raise Refusal(f"factorial is read only for whole numbers from 0 to {MAX_FACTORIAL}", self.where(node))
            if name in ("sqrt", "log") and arg.is_Rational and bit_length(arg) > 256:
                raise Refusal(f"the argument of {name} is too large", self.where(node))
            result = self.functions[name](arg)
            check_size(result, self.where(node))
            return self.bounded(result, node)
        raise Refusal(f"{type(node).__name__} is not allowed in an answer", self.where(node))

    def power(self, base: sympy.Expr, exponent: sympy.Expr, node: ast.AST) -> sympy.Expr:
        where = self.where(node)
        if exponent.is_Rational:
            if base.is_Rational:
                if base.is_zero and exponent.is_negative:
                    raise Refusal("division by zero (0 to a negative power)", where)
                if exponent.q > 16 or abs(exponent.p) > MAX_BITS:
                    raise Refusal(f"the number is too large (more than {MAX_BITS} bits)", where)
                size = bit_length(base)
                if abs(exponent) * size > MAX_BITS or (not exponent.is_Integer and size > 256):
                    raise Refusal(f"the number is too large (more than {MAX_BITS} bits)", where)
            elif abs(exponent.p) > MAX_EXPONENT or exponent.q > 16:
                raise Refusal(f"the exponent is too large (at most {MAX_EXPONENT} on an expression)", where)
        return self.bounded(sympy.Pow(base, exponent), node)

    def bounded(self, value: sympy.Expr, node: ast.AST) -> sympy.Expr:
        if value.is_Rational and bit_length(value) > MAX_BITS:
            raise Refusal(f"the number is too large (more than {MAX_BITS} bits)", self.where(node))
        return value


def bit_length(value: sympy.Rational) -> int:
    return max(abs(int(value.p)).bit_length(), int(value.q).bit_length())


def check_size(expr: sympy.Basic, position: int | None) -> None:
    """Fail when the expression has more than MAX_NODES nodes (stops counting there)."""
    count = 0
    stack = [expr]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise Refusal(f"the expression is too large (more than {MAX_NODES} parts)", position)
        if node.is_Pow and node.exp.is_Rational and not node.base.is_number and abs(node.exp.p) > MAX_EXPONENT:
            # sympy folds x*x*...*x into one power; expand must stay cheap when it is judged
            raise Refusal(f"a power above {MAX_EXPONENT}", position)
        stack.extend(node.args)


_NOT_FINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)


def build(out: list[Piece], names: Mapping[str, sympy.Basic], functions: Mapping[str, Callable]) -> sympy.Expr:
    pieces: list[str] = []
    positions: list[int] = []
    for token in out:
        if pieces:
            pieces.append(" ")
            positions.append(token.start)
        pieces.append(token.text)
        positions.extend([token.start] * len(token.text))
    source = "".join(pieces)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        offset = getattr(exc, "offset", None)
        position = positions[min(offset - 1, len(positions) - 1)] if offset and positions else None
        raise Refusal("the expression could not be read", position) from None
    builder = Builder(positions, names, functions)
    check(tree, names, functions, builder.where)
    expr = builder.build(tree)
    check_size(expr, None)
    if expr.has(*_NOT_FINITE):
        raise Refusal("the expression is not finite (a division by zero or an infinity)", None)
    if not isinstance(expr, sympy.Expr):
        raise Refusal("the answer is not an expression", None)
    return expr

