"""What a layer is, independent of the framework that wrote it: a kind plus its sizes and switches.

A ``Layer`` is what the model-code reader produces from one constructor call such as
``LSTM(32, return_sequences=True)`` or ``nn.Conv2d(3, 8, 5)``. The options are normalised to one
vocabulary (``units``, ``input_size``, ``kernel``, ...), so the same layer can be counted under
either framework's convention; ``dialect`` records whose argument order the call used, which
also fixes the tensor layout (Keras channels-last, PyTorch channels-first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Layer", "KINDS", "FRAMEWORKS"]

FRAMEWORKS = ("keras", "pytorch")

KINDS = (
    "input",
    "dense",
    "embedding",
    "rnn",
    "lstm",
    "gru",
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "separable_conv",
    "batchnorm",
    "layernorm",
    "groupnorm",
    "attention",
    "dot_attention",
    "transformer_encoder",
    "transformer_decoder",
    "transformer",
    "pool",
    "global_pool",
    "adaptive_pool",
    "flatten",
    "reshape",
    "upsample",
    "zeropad",
    "crop",
    "merge",
    "permute",
    "repeat",
    "index",
    "dropout",
    "activation",
    "unknown",
)

_MISSING = object()


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer as written: its kind, the constructor name, the dialect and normalised options.

    >>> Layer("lstm", "LSTM", "keras", (("units", 32),)).option("units")
    32
    """

    kind: str
    name: str  # the constructor as written, without the module prefix: "LSTM", "Conv2d"
    dialect: str  # "keras" or "pytorch": whose signature and layout the call follows
    options: tuple[tuple[str, Any], ...] = ()
    line: int = 0  # 1-based line in the source, 0 when built by hand
    text: str = ""  # the call as written
    # why a count from this call may not be the framework's: an unknown keyword, ``1,000`` as two arguments
    problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"layer kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.dialect not in FRAMEWORKS:
            raise ValueError(f"dialect must be keras or pytorch, got {self.dialect!r}")
        keys = [key for key, _ in self.options]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate options in {keys}")

    def option(self, key: str, default: Any = None) -> Any:
        """The value of one normalised option, or ``default`` when the call did not set it."""
        for name, value in self.options:
            if name == key:
                return value
        return default

    def has(self, key: str) -> bool:
        return any(name == key for name, _ in self.options)

    def with_options(self, **changes: Any) -> Layer:
        """A copy with some options replaced or added (used to fill in inferred sizes)."""
        merged = dict(self.options)
        merged.update(changes)
        return Layer(self.kind, self.name, self.dialect, tuple(merged.items()), self.line, self.text, self.problems)

    @property
    def channels_last(self) -> bool:
        """Keras puts channels last unless ``data_format='channels_first'``; PyTorch puts them first."""
        if self.dialect == "pytorch":
            return False
        return self.option("data_format", "channels_last") != "channels_first"
