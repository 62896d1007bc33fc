"""Hard-threshold recurrent networks, exactly: the one type and the step function of the engine.

h_t = step(W_xh x_t + W_hh h_{t-1} + b_h),  y_t = step(W_hy h_t + b_y).

Weights are ``Fraction`` (ints are Fractions with denominator 1); no float ever decides a threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

__all__ = ["Threshold", "ThresholdRNN", "Step", "step", "other_threshold", "THRESHOLDS"]

Threshold = Literal["ge", "gt"]
THRESHOLDS: tuple[Threshold, ...] = ("ge", "gt")

Matrix = tuple[tuple[Fraction, ...], ...]
Vector = tuple[Fraction, ...]
Bits = tuple[int, ...]


def step(z: Fraction, threshold: Threshold) -> int:
    """The hard threshold: ``ge`` fires iff z >= 0 (the default), ``gt`` iff z > 0.

    >>> step(Fraction(0), "ge"), step(Fraction(0), "gt")
    (1, 0)
    """
    return int(z >= 0) if threshold == "ge" else int(z > 0)


def other_threshold(threshold: Threshold) -> Threshold:
    return "gt" if threshold == "ge" else "ge"


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a run: the pre-activations and outputs of every unit."""

    x: Bits
    h_pre: Vector
    h: Bits
    y_pre: Vector
    y: Bits


@dataclass(frozen=True, slots=True)
class ThresholdRNN:
    """A threshold RNN with any number of inputs, hidden units and outputs.

    >>> net = ThresholdRNN.from_rows(W_xh=[[1]], W_hh=[[0]], b_h=[Fraction(-1, 2)], W_hy=[[1]], b_y=[Fraction(-1, 2)])
    >>> [s.y for s in net.run([(1,), (0,)])]
    [(1,), (0,)]
    """

    W_xh: Matrix
    W_hh: Matrix
    b_h: Vector
    W_hy: Matrix
    b_y: Vector
    h0: Bits
    threshold: Threshold = "ge"

    def __post_init__(self) -> None:
        k = len(self.b_h)
        if k == 0:
            raise ValueError("a threshold RNN needs at least one hidden unit")
        if len(self.W_xh) != k or len({len(row) for row in self.W_xh}) != 1 or not self.W_xh[0]:
            raise ValueError(f"W_xh must be {k}xN with N >= 1")
        if len(self.W_hh) != k or any(len(row) != k for row in self.W_hh):
            raise ValueError(f"W_hh must be {k}x{k}")
        if not self.b_y or len(self.W_hy) != len(self.b_y) or any(len(row) != k for row in self.W_hy):
            raise ValueError(f"W_hy must be {len(self.b_y)}x{k}")
        if len(self.h0) != k or any(bit not in (0, 1) for bit in self.h0):
            raise ValueError(f"h0 must be {k} bits")
        if self.threshold not in THRESHOLDS:
            raise ValueError(f"threshold must be 'ge' or 'gt', got {self.threshold!r}")
        for row in (*self.W_xh, *self.W_hh, *self.W_hy, self.b_h, self.b_y):
            if any(type(value) is not Fraction for value in row):
                raise TypeError("weights must be Fractions (exact)")

    @classmethod
    def from_rows(
        cls,
        *,
        W_xh: Sequence[Sequence[int | Fraction]],
        W_hh: Sequence[Sequence[int | Fraction]],
        b_h: Sequence[int | Fraction],
        W_hy: Sequence[Sequence[int | Fraction]],
        b_y: Sequence[int | Fraction],
        h0: Sequence[int] | None = None,
        threshold: Threshold = "ge",
    ) -> ThresholdRNN:
        """Build from nested lists of ints and Fractions (trusted input; files go through ``load_weights``)."""

        def matrix(rows):
            return tuple(tuple(Fraction(v) for v in row) for row in rows)

        return cls(
            W_xh=matrix(W_xh),
            W_hh=matrix(W_hh),
            b_h=tuple(Fraction(v) for v in b_h),
            W_hy=matrix(W_hy),
            b_y=tuple(Fraction(v) for v in b_y),
            h0=tuple(int(v) for v in (h0 if h0 is not None else [0] * len(b_h))),
            threshold=threshold,
        )

    @property
    def hidden_units(self) -> int:
        return len(self.b_h)

    @property
    def inputs(self) -> int:
        return len(self.W_xh[0])

    @property
    def outputs(self) -> int:
        return len(self.b_y)

    def with_threshold(self, threshold: Threshold) -> ThresholdRNN:
        return replace(self, threshold=threshold)

    def hidden_pre(self, h_prev: Bits, x: Bits) -> Vector:
        """W_xh x + W_hh h_prev + b_h, exactly."""
        return tuple(
            sum((w * xi for w, xi in zip(wx, x)), b) + sum((w for w, hi in zip(wh, h_prev) if hi), Fraction(0))
            for wx, wh, b in zip(self.W_xh, self.W_hh, self.b_h)
        )

    def output_pre(self, h: Bits) -> Vector:
        """W_hy h + b_y, exactly."""
        return tuple(sum((w for w, hi in zip(wy, h) if hi), b) for wy, b in zip(self.W_hy, self.b_y))

    def transition(self, h_prev: Bits, x: Bits) -> Step:
        """One step from hidden state ``h_prev`` on input ``x``."""
        h_pre = self.hidden_pre(h_prev, x)
        h = tuple(step(z, self.threshold) for z in h_pre)
        y_pre = self.output_pre(h)
        return Step(x=tuple(x), h_pre=h_pre, h=h, y_pre=y_pre, y=tuple(step(z, self.threshold) for z in y_pre))

    def run(self, xs: Sequence[Bits]) -> tuple[Step, ...]:
        """Run from h0 over the inputs; one ``Step`` per input."""
        steps = []
        h = self.h0
        for x in xs:
            s = self.transition(h, tuple(x))
            steps.append(s)
            h = s.h
        return tuple(steps)
