"""Big-O counts of connections and sequential steps, derived from how a layer's positions depend.

A layer over an H x W grid with k channels is described by the offsets it reads: from the layer
below (``input_offsets``) and from its own earlier positions (``recurrent_offsets``). A d-layer
PixelCNN reads a masked window of the layer below and nothing of its own layer; a d-layer
multidimensional RNN reads the same position below and its own left and upper neighbours.

- Connections: every channel of every read position feeds every channel, so a layer has
  ``k**2 * sum over offsets of (H - |di|)(W - |dj|)`` of them (positions where the offset stays
  inside the image).
- Sequential steps: the longest chain of positions that must be computed one after the other. A
  layer without recurrent offsets is one parallel step; unit recurrent moves along an axis add
  (size - 1) along that axis, and chains may turn in any layer, so the total is
  ``d + (H - 1)[reads (-1, 0)] + (W - 1)[reads (0, -1)]``. ``longest_chain`` recomputes it by
  dynamic programming over the actual grid, and the checks compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import sympy

from handnets.errors import InvalidSpec

__all__ = [
    "LayerStructure",
    "Asymptotics",
    "PIXELCNN",
    "MDRNN",
    "analyse",
    "big_o",
    "compare",
    "count_connections",
    "sequential_steps",
    "longest_chain",
    "enumerate_connections",
]

d, k, H, W = sympy.symbols("d k H W", integer=True, positive=True)
DIMENSIONS = (d, k, H, W)


@dataclass(frozen=True, slots=True)
class LayerStructure:
    """Which positions one layer reads: (row, column) offsets into the layer below and into itself."""

    name: str
    input_offsets: tuple[tuple[int, int], ...]
    recurrent_offsets: tuple[tuple[int, int], ...]
    description: str = ""

    def __post_init__(self) -> None:
        for di, dj in self.recurrent_offsets:
            # a position may only read its own layer's positions computed before it (raster order)
            if not (di < 0 or (di == 0 and dj < 0)):
                raise InvalidSpec(f"{self.name}: recurrent offset {(di, dj)} does not point to an earlier position")
        for di, dj in self.recurrent_offsets:
            if (di, dj) not in ((-1, 0), (0, -1)):
                raise InvalidSpec(f"{self.name}: the closed form covers unit recurrent moves (-1, 0) and (0, -1), got {(di, dj)}")


# PixelCNN with 3x3 masked convolutions (mask B: the centre and the positions before it in raster order).
PIXELCNN = LayerStructure(
    "PixelCNN",
    ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0)),
    (),
    "masked 3x3 convolution of the layer below; no dependence within the layer",
)
# Multidimensional (2-D) RNN: the input at the same position, the states left and above.
MDRNN = LayerStructure(
    "multidimensional RNN",
    ((0, 0),),
    ((-1, 0), (0, -1)),
    "input at the same position; recurrent states of the left and upper neighbours in the same layer",
)


@dataclass(frozen=True, slots=True)
class Asymptotics:
    """Exact counts as polynomials in d, k, H, W, and their big-O."""

    structure: LayerStructure
    connections: sympy.Expr
    steps: sympy.Expr
    connections_order: sympy.Expr
    steps_order: sympy.Expr


def count_connections(structure: LayerStructure) -> sympy.Expr:
    """Exact number of connections in d layers (offsets clipped at the border)."""
    per_layer = sympy.Add(*((H - abs(di)) * (W - abs(dj)) for di, dj in structure.input_offsets + structure.recurrent_offsets))
    return sympy.expand(d * k**2 * per_layer)


def sequential_steps(structure: LayerStructure) -> sympy.Expr:
    """Longest chain of dependent computations over d layers (see the module docstring)."""
    moves = set(structure.recurrent_offsets)
    return d + (H - 1) * int((-1, 0) in moves) + (W - 1) * int((0, -1) in moves)


def big_o(expr: sympy.Expr) -> sympy.Expr:
    """The dominant monomials of a polynomial in positive sizes growing together, coefficients dropped.

    >>> big_o(3*d*k**2*H*W - d*k**2*H + 7)
    H*W*d*k**2
    """
    monomials = []
    for term in sympy.Add.make_args(sympy.expand(expr)):
        powers = term.as_powers_dict()
        if any(not (base in DIMENSIONS or base.is_Number) for base in powers):
            raise InvalidSpec(f"big_o expects a polynomial in {', '.join(map(str, DIMENSIONS))}, got the term {term}")
        monomials.append(tuple(int(powers.get(s, 0)) for s in DIMENSIONS))
    dominant = [m for m in monomials if not any(o != m and all(a <= b for a, b in zip(m, o)) for o in monomials)]
    return sympy.Add(*(sympy.Mul(*(s**e for s, e in zip(DIMENSIONS, m))) for m in dominant))


def analyse(structure: LayerStructure) -> Asymptotics:
    """Connections and sequential steps of a d-layer network of this structure.

    >>> a = analyse(MDRNN); a.connections_order, a.steps_order
    (H*W*d*k**2, H + W + d)
    """
    connections = count_connections(structure)
    steps = sequential_steps(structure)
    return Asymptotics(structure, connections, steps, big_o(connections), big_o(steps))


def compare() -> tuple[Asymptotics, Asymptotics]:
    """PixelCNN against the multidimensional RNN (problem P4)."""
    return analyse(PIXELCNN), analyse(MDRNN)


def longest_chain(structure: LayerStructure, layers: int, height: int, width: int) -> int:
    """The longest dependency chain, by dynamic programming over the concrete grid (the oracle)."""
    below = [[0] * width for _ in range(height)]  # the image itself: available at step 0
    longest = 0
    for _ in range(layers):
        here = [[0] * width for _ in range(height)]
        for i, j in product(range(height), range(width)):  # raster order respects the recurrent offsets
            depth = 0
            for di, dj in structure.input_offsets:
                if 0 <= i + di < height and 0 <= j + dj < width:
                    depth = max(depth, below[i + di][j + dj])
            for di, dj in structure.recurrent_offsets:
                if 0 <= i + di < height and 0 <= j + dj < width:
                    depth = max(depth, here[i + di][j + dj])
            here[i][j] = depth + 1
            longest = max(longest, here[i][j])
        below = here
    return longest


def enumerate_connections(structure: LayerStructure, layers: int, channels: int, height: int, width: int) -> int:
    """Connections counted edge by edge on the concrete grid (the oracle)."""
    edges = 0
    for i, j in product(range(height), range(width)):
        for di, dj in structure.input_offsets + structure.recurrent_offsets:
            edges += 0 <= i + di < height and 0 <= j + dj < width
    return layers * channels * channels * edges
