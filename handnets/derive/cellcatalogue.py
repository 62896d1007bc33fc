"""The catalogue's cells section: every built-in cell derived and proved (``python -m handnets.verify cells``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from handnets.checks import Check
from handnets.derive.cell import Cell
from handnets.derive.cellderive import derive_cell
from handnets.derive.cellfile import builtin_cells, load_cell
from handnets.derive.model import Derivation

__all__ = ["CellCatalogue", "check_builtin_cells"]


@dataclass(frozen=True, slots=True)
class CellCatalogue:
    """Each built-in cell with its proved derivation; ``checks`` is all of theirs, in order."""

    cells: tuple[tuple[Cell, Derivation], ...]

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(check for _, derivation in self.cells for check in derivation.checks)


@cache
def check_builtin_cells() -> CellCatalogue:
    """Derive and prove every built-in cell.

    >>> catalogue = check_builtin_cells()
    >>> all(check.passed for check in catalogue.checks), len(catalogue.cells) >= 7
    (True, True)
    """
    return CellCatalogue(tuple((cell, derive_cell(cell)) for cell in (load_cell(name) for name in builtin_cells())))
