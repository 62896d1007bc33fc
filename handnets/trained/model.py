"""A trained recurrent network as float32 arrays, and its step computed the way PyTorch computes it.

``nn.RNN`` on the CPU computes, per layer and step (``aten/src/ATen/native/RNN.cpp``, ``SimpleCell``
with the input projection computed first for the whole sequence)::

    h_t = act((h_{t-1} @ W_hh.T + b_hh) + (x_t @ W_ih.T + b_ih))

and the output layer ``logit_t = h_t @ W_out.T + b_out``. Everything here is numpy float32 in that
order. The order of the additions inside a matrix product is the BLAS library's, in torch as in
numpy, so the last bit of a logit can differ between the two; the tests measure how often.

A digit is 1 iff its logit is > 0, i.e. sigmoid(logit) > 1/2: a logit of exactly 0 (sigmoid 0.5)
gives digit 0, as ``torch.sigmoid(y) > 0.5`` and ``torch.round(torch.sigmoid(y))`` (half to even) do.
A NaN logit (a state that overflowed) gives 0 as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Layer", "TrainedRNN", "SYMBOLS"]

SYMBOLS = ((0, 0), (1, 0), (0, 1), (1, 1))  # symbol index = a_t + 2 b_t


def _frozen(array: np.ndarray) -> np.ndarray:
    out = np.array(array, dtype=np.float32, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer of ``nn.RNN``: W_ih (H x inputs), W_hh (H x H), b_ih and b_hh (H)."""

    W_ih: np.ndarray
    W_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray

    def __post_init__(self):
        for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        H = self.W_hh.shape[0]
        if self.W_hh.shape != (H, H) or self.W_ih.ndim != 2 or self.W_ih.shape[0] != H:
            raise ValueError(f"layer shapes do not fit: W_ih {self.W_ih.shape}, W_hh {self.W_hh.shape}")
        if self.b_ih.shape != (H,) or self.b_hh.shape != (H,):
            raise ValueError(f"biases must have {H} entries, got {self.b_ih.shape} and {self.b_hh.shape}")

    @property
    def hidden(self) -> int:
        return self.W_hh.shape[0]


@dataclass(frozen=True, slots=True)
class TrainedRNN:
    """``nn.RNN`` (any number of layers) followed by one ``nn.Linear(H, 1)``, in float32.

    >>> net = TrainedRNN(layers=(Layer(np.ones((1, 2)), np.zeros((1, 1)), np.zeros(1), np.zeros(1)),),
    ...                  W_out=np.ones((1, 1)), b_out=np.array([-1.5]))
    >>> net.digits([(1, 0), (1, 1)])
    [0, 1]
    """

    layers: tuple[Layer, ...]
    W_out: np.ndarray
    b_out: np.ndarray
    nonlinearity: str = "relu"
    source: str = ""
    names: tuple[str, ...] = ()  # the tensors read, for the report

    def __post_init__(self):
        object.__setattr__(self, "W_out", _frozen(self.W_out))
        object.__setattr__(self, "b_out", _frozen(self.b_out))
        if self.nonlinearity not in ("relu", "tanh"):
            raise ValueError(f"nonlinearity must be relu or tanh, got {self.nonlinearity!r}")
        if not self.layers:
            raise ValueError("at least one layer")
        if self.W_out.shape != (1, self.layers[-1].hidden) or self.b_out.shape != (1,):
            raise ValueError(f"output layer must be 1 x {self.layers[-1].hidden}, got {self.W_out.shape}")

    @property
    def inputs(self) -> int:
        return self.layers[0].W_ih.shape[1]

    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(layer.hidden for layer in self.layers)

    def act(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, np.float32(0)) if self.nonlinearity == "relu" else np.tanh(z)

    def initial(self, count: int) -> tuple[np.ndarray, ...]:
        """The zero state of ``count`` sequences, one (count, H) array per layer."""
        return tuple(np.zeros((count, layer.hidden), dtype=np.float32) for layer in self.layers)

    def step(self, state: tuple[np.ndarray, ...], x: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        """One step for a batch: ``x`` is (count, inputs) float32; returns the new state and the logits (count,)."""
        new = []
        inp = x
        for layer, h in zip(self.layers, state):
            inp = self.act((h @ layer.W_hh.T + layer.b_hh) + (inp @ layer.W_ih.T + layer.b_ih))
            new.append(inp)
        return tuple(new), self.logits(inp)

    def logits(self, h_last: np.ndarray) -> np.ndarray:
        return h_last @ self.W_out[0] + self.b_out[0]  # a matrix-vector product: one output unit

    def forward(self, xs) -> np.ndarray:
        """The logits of one input sequence ``xs`` (steps x inputs)."""
        xs = np.asarray(xs, dtype=np.float32).reshape(-1, self.inputs)
        state = self.initial(1)
        out = []
        for x in xs:
            state, logit = self.step(state, x[None, :])
            out.append(logit[0])
        return np.array(out, dtype=np.float32)

    def digits(self, xs) -> list[int]:
        """The output digits of one input sequence: 1 iff the logit is > 0 (a logit of 0 gives 0)."""
        return [int(v > 0) for v in self.forward(xs)]
