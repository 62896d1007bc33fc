"""A ResNet block computed by hand: two convolutions, ReLU, and the skip connection.

    z1 = W1 * a_l,  a_{l+1} = ReLU(z1),  z2 = W2 * a_{l+1},
    a_{l+2} = ReLU(z2 + a_l)          (skip="before_relu", the default and the original ResNet)
    a_{l+2} = ReLU(z2) + a_l          (skip="after_relu")

``*`` is cross-correlation with zero padding and stride; with a 3x3 filter, padding 1 and stride 1
the output keeps the input's shape, which the skip connection needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from handnets.cnn.grid import Matrix, Step, add, cross_correlate, from_ints, relu, shape_of
from handnets.errors import InvalidSpec

__all__ = ["ResNetBlock", "resnet_block", "p5_resnet", "SKIPS", "P5_INPUT", "P5_W1", "P5_W2"]

SKIPS = ("before_relu", "after_relu")

P5_INPUT = ((-1, -1), (1, 1))
P5_W1 = ((1, 1, 1), (-1, -1, -1), (1, 1, 1))
P5_W2 = ((1, -1, 1), (1, -1, 1), (1, -1, 1))


@dataclass(frozen=True, slots=True)
class ResNetBlock:
    """The block's input, filters, every step with its work, and a^[l+1], a^[l+2]."""

    x: Matrix
    w1: Matrix
    w2: Matrix
    padding: int
    stride: int
    skip: str
    steps: tuple[Step, ...]

    @property
    def a1(self) -> Matrix:
        """a^[l+1] = ReLU(W1 * a^[l])."""
        return self.steps[1].output

    @property
    def a2(self) -> Matrix:
        """a^[l+2], the block's output."""
        return self.steps[-1].output


def resnet_block(x: Matrix, w1: Matrix, w2: Matrix, *, padding: int = 1, stride: int = 1, skip: str = "before_relu", bias1: Fraction | int = 0, bias2: Fraction | int = 0) -> ResNetBlock:
    """Compute a ResNet block exactly; the skip connection adds a^[l] before (default) or after the last ReLU.

    >>> block = p5_resnet()
    >>> [[int(v) for v in row] for row in block.a1], [[int(v) for v in row] for row in block.a2]
    ([[4, 4], [0, 0]], [[0, 0], [1, 1]])
    """
    if skip not in SKIPS:
        raise InvalidSpec(f"skip must be one of {', '.join(SKIPS)}, got {skip!r}", field="skip")
    z1 = cross_correlate(x, w1, padding=padding, stride=stride, bias=bias1, label="z^[l+1] = W1 * a^[l]")
    a1 = relu(z1.output, label="a^[l+1] = ReLU(z^[l+1])")
    z2 = cross_correlate(a1.output, w2, padding=padding, stride=stride, bias=bias2, label="z^[l+2] = W2 * a^[l+1]")
    if shape_of(z2.output) != shape_of(x):
        raise InvalidSpec(
            f"the skip connection needs z^[l+2] to keep the input's shape {shape_of(x)}, got {shape_of(z2.output)}: "
            "use stride 1 and padding (k - 1)/2",
            field="padding",
        )
    if skip == "before_relu":
        summed = add(z2.output, x, label="z^[l+2] + a^[l]")
        out = relu(summed.output, label="a^[l+2] = ReLU(z^[l+2] + a^[l])")
        steps = (z1, a1, z2, summed, out)
    else:
        activated = relu(z2.output, label="ReLU(z^[l+2])")
        out = add(activated.output, x, label="a^[l+2] = ReLU(z^[l+2]) + a^[l]")
        steps = (z1, a1, z2, activated, out)
    return ResNetBlock(x, w1, w2, padding, stride, skip, steps)


def p5_resnet(skip: str = "before_relu") -> ResNetBlock:
    """The ResNet block of problem P5: input [[-1, -1], [1, 1]], two 3x3 filters, padding 1, stride 1."""
    return resnet_block(from_ints(P5_INPUT), from_ints(P5_W1), from_ints(P5_W2), padding=1, stride=1, skip=skip)
