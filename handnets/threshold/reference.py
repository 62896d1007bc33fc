"""Reference Mealy machines: what a network is proved against. Binary addition is the first instance."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["MealyMachine", "BinaryAddition"]

Symbol = tuple[int, ...]


class MealyMachine(Protocol):
    """A deterministic finite transducer over bit-vector symbols.

    Valid inputs are any word over ``alphabet`` followed by at least one ``padding`` symbol;
    ``decode`` turns a valid input word into the numbers it spells, for reporting.
    """

    name: str
    initial: Hashable
    alphabet: tuple[Symbol, ...]
    padding: Symbol

    def transition(self, state: Hashable, symbol: Symbol) -> tuple[Hashable, Symbol]:
        """(next state, output symbol)."""
        ...

    def decode(self, word: Sequence[Symbol]) -> tuple[int, ...]:
        ...


@dataclass(frozen=True, slots=True)
class BinaryAddition:
    """Serial binary addition, least-significant bit first: the state is the carry.

    >>> adder = BinaryAddition()
    >>> adder.transition(1, (1, 0))
    (1, (0,))
    >>> adder.decode([(1, 0), (1, 1), (0, 0)])
    (3, 2)
    """

    name: str = "binary addition"
    initial: int = 0
    alphabet: tuple[Symbol, ...] = ((0, 0), (1, 0), (0, 1), (1, 1))
    padding: Symbol = (0, 0)

    def transition(self, state: int, symbol: Symbol) -> tuple[int, Symbol]:
        total = state + symbol[0] + symbol[1]
        return total >> 1, (total & 1,)

    def decode(self, word: Sequence[Symbol]) -> tuple[int, ...]:
        a = sum(bit[0] << t for t, bit in enumerate(word))
        b = sum(bit[1] << t for t, bit in enumerate(word))
        return a, b

    def encode(self, a: int, b: int, steps: int) -> tuple[Symbol, ...]:
        """The input word for a + b over ``steps`` steps (LSB first)."""
        return tuple(((a >> t) & 1, (b >> t) & 1) for t in range(steps))
