"""The values a derivation returns: equations (with the chain-rule steps behind them) and checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sympy

from handnets.checks import Check

__all__ = ["Step", "Equation", "Derivation"]


@dataclass(frozen=True, slots=True)
class Step:
    """One line of working: ``lhs = rhs`` with a short reason (``"chain rule"``, ``"local derivative"``)."""

    reason: str
    lhs: sympy.Basic
    rhs: sympy.Basic


@dataclass(frozen=True, slots=True)
class Equation:
    """A derived result: ``name = rhs`` in the vocabulary, and the steps that lead to it."""

    name: str
    rhs: sympy.Basic
    steps: tuple[Step, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("an equation needs a name")
        if not isinstance(self.rhs, sympy.Basic):
            raise TypeError(f"rhs of {self.name} must be a sympy expression, got {type(self.rhs).__name__}")


@dataclass(frozen=True, slots=True)
class Derivation:
    """One topic's derived equations, the definitions they rest on, and the checks that proved them.

    ``checks`` is empty when the derivation was asked for unchecked (``checked=False``).
    """

    topic: str
    title: str
    claim: str
    equations: tuple[Equation, ...]
    definitions: tuple[tuple[sympy.Symbol, sympy.Basic], ...]
    checks: tuple[Check, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [equation.name for equation in self.equations]
        if len(set(names)) != len(names):
            raise ValueError(f"equation names must be unique in {self.topic}: {names}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(equation.name for equation in self.equations)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def get(self, name: str) -> Equation:
        """The equation called ``name``; KeyError naming the known ones otherwise."""
        for equation in self.equations:
            if equation.name == name:
                return equation
        raise KeyError(f"{self.topic} has no equation {name!r}; known: {', '.join(self.names)}")

    def equation(self, name: str) -> sympy.Basic:
        """The right-hand side of the equation called ``name`` (a sympy expression in the vocabulary)."""
        return self.get(name).rhs

    def definition_map(self) -> Mapping[sympy.Symbol, sympy.Basic]:
        """The definitions as a read-only mapping symbol -> expression."""
        return MappingProxyType(dict(self.definitions))

    def with_checks(self, checks: tuple[Check, ...]) -> Derivation:
        return Derivation(self.topic, self.title, self.claim, self.equations, self.definitions, tuple(checks), self.notes)
