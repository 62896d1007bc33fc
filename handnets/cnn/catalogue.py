"""The built-in hand-computed CNN blocks of problem P5, checked for ``python -m handnets.verify``.

The oracle is numpy on integers with a different algorithm: a convolution as a sum of shifted,
scaled copies of the padded input (no windows), pooling by reshaping into blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from handnets.checks import Check
from handnets.cnn.grid import Matrix, Step, avg_pool, from_ints, max_pool
from handnets.cnn.resnet import P5_INPUT, P5_W1, P5_W2, ResNetBlock, p5_resnet

__all__ = ["CnnReport", "check_examples", "POOL_INPUT"]

POOL_INPUT = ((1, 3, 2, 1), (4, 6, 5, 0), (3, 1, 1, 2), (0, 2, 4, 8))


@dataclass(frozen=True, slots=True)
class CnnReport:
    """The P5 ResNet block (both skip placements), the pooling examples, and the verdicts."""

    resnet: ResNetBlock
    resnet_after: ResNetBlock
    pools: tuple[Step, ...]
    checks: tuple[Check, ...]


def _oracle_conv(x: np.ndarray, kernel: np.ndarray, padding: int, stride: int) -> np.ndarray:
    padded = np.pad(x, padding)
    kh, kw = kernel.shape
    full_h, full_w = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    acc = np.zeros((full_h, full_w), dtype=np.int64)
    for a in range(kh):
        for b in range(kw):
            acc += kernel[a, b] * padded[a : a + full_h, b : b + full_w]
    return acc[::stride, ::stride]


def _oracle_resnet(skip: str) -> tuple[np.ndarray, np.ndarray]:
    x, w1, w2 = (np.array(m, dtype=np.int64) for m in (P5_INPUT, P5_W1, P5_W2))
    a1 = np.maximum(_oracle_conv(x, w1, 1, 1), 0)
    z2 = _oracle_conv(a1, w2, 1, 1)
    a2 = np.maximum(z2 + x, 0) if skip == "before_relu" else np.maximum(z2, 0) + x
    return a1, a2


def _same(matrix: Matrix, array: np.ndarray) -> bool:
    return np.array(matrix, dtype=object).shape == array.shape and all(Fraction(int(v)) == m for v, m in zip(array.ravel().tolist(), (c for row in matrix for c in row)))


def _show(matrix: Matrix) -> str:
    return "[" + ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in matrix) + "]"


def check_examples() -> CnnReport:
    """Compute the P5 blocks and check them against the numpy oracle and the hand-stated answers."""
    block = p5_resnet()
    after = p5_resnet("after_relu")
    checks = []
    for value, skip in ((block, "before_relu"), (after, "after_relu")):
        a1, a2 = _oracle_resnet(skip)
        checks.append(
            Check(
                f"cnn: P5 ResNet block ({skip.replace('_', ' ')}) a^[l+1] = {_show(value.a1)}, a^[l+2] = {_show(value.a2)}",
                _same(value.a1, a1) and _same(value.a2, a2),
                "numpy: convolution as a sum of shifted copies of the padded input",
                f"oracle a^[l+1] = {a1.tolist()}, a^[l+2] = {a2.tolist()}",
            )
        )
    expected_a1, expected_a2 = ((4, 4), (0, 0)), ((0, 0), (1, 1))
    checks.append(
        Check(
            "cnn: P5 answer: a^[l+1] = [[4, 4], [0, 0]], a^[l+2] = [[0, 0], [1, 1]]; 2x2 kept",
            block.a1 == from_ints(expected_a1) and block.a2 == from_ints(expected_a2) and all(len(s.output) == 2 and len(s.output[0]) == 2 for s in block.steps),
            "the values worked by hand in the problem set's solution",
            "zero padding 1 and stride 1 keep the 2x2 shape: (2 - 3 + 2)/1 + 1 = 2",
        )
    )
    grid = from_ints(POOL_INPUT)
    pools = (max_pool(grid, 2, label="max pool 2x2, stride 2"), avg_pool(grid, 2, label="average pool 2x2, stride 2"))
    blocks = np.array(POOL_INPUT, dtype=np.int64).reshape(2, 2, 2, 2).swapaxes(1, 2).reshape(2, 2, 4)
    max_oracle = blocks.max(axis=2)
    avg_oracle = [[Fraction(int(s), 4) for s in row] for row in blocks.sum(axis=2).tolist()]
    checks.append(
        Check(
            f"cnn: 2x2 pooling of a 4x4 matrix: max {_show(pools[0].output)}, average {_show(pools[1].output)}",
            _same(pools[0].output, max_oracle) and [list(r) for r in pools[1].output] == avg_oracle,
            "numpy: reshape into 2x2 blocks, max and exact sum / 4",
            f"oracle max {max_oracle.tolist()}",
        )
    )
    return CnnReport(block, after, pools, tuple(checks))
