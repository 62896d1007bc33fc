"""Stage 3: the allow-list check of the Python AST the translation wrote (defence in depth).

The translation never writes attributes, subscripts, lambdas, comprehensions, strings or keywords;
this check refuses them anyway, with every name and function not on the lists, before anything is built.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import sympy

from handnets.grading.parse.names import VARIADIC
from handnets.grading.parse.values import MAX_RECURSION, Refusal

__all__ = ["check", "ALLOWED_NODES"]

ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Load, ast.Constant,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd,
)


def check(root: ast.AST, names: Mapping[str, sympy.Basic], functions: Mapping[str, Callable],
          where: Callable[[ast.AST], int | None]) -> None:
    """Every node on the allow-list, every name known, every call a known function with its number of arguments.

    ``where`` maps a node to its position in the student's text, for the failure.
    """
    stack: list[tuple[ast.AST, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > 3 * MAX_RECURSION:
            raise Refusal("the expression is nested too deeply", where(node))
        if not isinstance(node, ALLOWED_NODES):
            raise Refusal(f"{type(node).__name__} is not allowed in an answer", where(node))
        if isinstance(node, ast.Constant) and (type(node.value) is not int):
            raise Refusal("only numbers are allowed as constants", where(node))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in functions:
                raise Refusal("only the allowed functions may be called", where(node))
            if node.keywords:
                raise Refusal("keyword arguments are not allowed", where(node))
            if node.func.id in VARIADIC:
                if len(node.args) < 2:
                    raise Refusal(f"{node.func.id.lower()} takes two or more arguments, got {len(node.args)}",
                                  where(node))
            elif len(node.args) != 1:
                raise Refusal(f"{node.func.id} takes one argument, got {len(node.args)}", where(node))
            stack.extend((arg, depth + 1) for arg in node.args)
            continue
        if isinstance(node, ast.Name) and node.id not in names:
            raise Refusal(f"unknown name '{node.id}'", where(node))
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
