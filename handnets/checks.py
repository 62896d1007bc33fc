"""The verdict of one check in the catalogue: a value, never an exception."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Check"]


@dataclass(frozen=True, slots=True)
class Check:
    """One claim and whether its independent evidence held.

    >>> Check("adder: proof agrees with enumeration", True, "brute force, lengths 1..12").passed
    True
    """

    name: str
    passed: bool
    method: str
    detail: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a check needs a name")
