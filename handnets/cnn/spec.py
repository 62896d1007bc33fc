"""Hand-computed CNN work from a small TOML file: an input matrix and what to do to it.

Two shapes of file are read::

    # a bank of filters, each applied to the input
    input = [[-1, -1], [1, 1]]
    filters = [[[1, 1, 1], [-1, -1, -1], [1, 1, 1]]]
    padding = 1
    stride = 1
    block = "resnet"          # optional: two filters as a ResNet block
    skip = "before_relu"      # or "after_relu"

    # or a pipeline, each layer reading the previous one's output
    input = [[1, 3, 2, 1], [4, 6, 5, 0], [3, 1, 1, 2], [0, 2, 4, 8]]
    [[layers]]
    type = "conv"             # conv (kernel, padding, stride, bias), relu, maxpool / avgpool (size, stride),
    kernel = [[1, 0], [0, 1]] # resnet (filters, padding, stride, skip)

Numbers are exact: ints, decimals as written (0.1 is 1/10) and "p/q" strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handnets.cnn.grid import Matrix, Step, as_matrix, avg_pool, cross_correlate, max_pool, relu
from handnets.cnn.resnet import SKIPS, ResNetBlock, resnet_block
from handnets.errors import InvalidSpec
from handnets.exact import to_fraction
from handnets.safeio import load_toml, loads_toml

__all__ = ["Pipeline", "Stage", "run_spec", "load_conv", "loads_conv"]

Stage = Step | ResNetBlock

_TOP_KEYS = {"title", "input", "filters", "padding", "stride", "bias", "block", "skip", "layers"}
_LAYER_KEYS = {
    "conv": {"type", "kernel", "padding", "stride", "bias", "label"},
    "relu": {"type", "label"},
    "maxpool": {"type", "size", "stride", "label"},
    "avgpool": {"type", "size", "stride", "label"},
    "resnet": {"type", "filters", "padding", "stride", "skip", "biases"},
}
_MAX_LAYERS = 16


@dataclass(frozen=True, slots=True)
class Pipeline:
    """What the file asked for, computed: the input, each stage with its work, and the source."""

    title: str
    input: Matrix
    stages: tuple[Stage, ...]
    parallel: bool  # True for a bank of filters each applied to the input; False for a chain
    source: str = ""

    @property
    def output(self) -> Matrix:
        last = self.stages[-1]
        return last.a2 if isinstance(last, ResNetBlock) else last.output


def load_conv(path: str | Path) -> Pipeline:
    """Read and compute a conv TOML file (see the module docstring)."""
    return run_spec(load_toml(path, error=InvalidSpec, what="a TOML conv spec"), source=str(path))


def loads_conv(text: str, *, source: str = "<conv>") -> Pipeline:
    """The same from TOML text.

    >>> loads_conv('input = [[1, 2], [3, 4]]\\nfilters = [[[1, 1], [1, 1]]]').output
    ((Fraction(10, 1),),)
    """
    return run_spec(loads_toml(text, source=source, error=InvalidSpec), source=source)


def _int(data: dict[str, Any], key: str, default: int, least: int, source: str, where: str) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise InvalidSpec(f"{key} must be an integer >= {least}, got {value!r}", source=source, field=f"{where}{key}")
    return value


def _unknown_keys(data: dict[str, Any], allowed: set[str], source: str, where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise InvalidSpec(f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(extra)}; expected some of {', '.join(sorted(allowed))}", source=source, field=where.rstrip(".") or None)


def _filters(value: Any, source: str, field: str) -> tuple[Matrix, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidSpec("expected a non-empty list of filter matrices", source=source, field=field)
    return tuple(as_matrix(f, source=source, field=f"{field}[{i + 1}]") for i, f in enumerate(value))


def run_spec(data: dict[str, Any], *, source: str = "<conv>") -> Pipeline:
    """Compute what a parsed conv file asks for."""
    if not isinstance(data, dict):
        raise InvalidSpec("expected a TOML table", source=source)
    _unknown_keys(data, _TOP_KEYS, source, "")
    if "input" not in data:
        raise InvalidSpec("needs input = [[...], ...]", source=source, field="input")
    x = as_matrix(data["input"], source=source, field="input")
    title = str(data.get("title", Path(source).stem if source else "conv"))
    padding = _int(data, "padding", 0, 0, source, "")
    stride = _int(data, "stride", 1, 1, source, "")
    if "layers" in data:
        if "filters" in data or "block" in data:
            raise InvalidSpec("give either layers = [...] or filters = [...], not both", source=source, field="layers")
        layers = data["layers"]
        if not isinstance(layers, list) or not layers or len(layers) > _MAX_LAYERS:
            raise InvalidSpec(f"layers must be a list of 1 to {_MAX_LAYERS} tables ([[layers]])", source=source, field="layers")
        stages: list[Stage] = []
        current = x
        for index, layer in enumerate(layers):
            stage = _layer(layer, current, index, padding, stride, source)
            stages.append(stage)
            current = stage.a2 if isinstance(stage, ResNetBlock) else stage.output
        return Pipeline(title, x, tuple(stages), False, source)
    if "filters" not in data:
        raise InvalidSpec("needs filters = [...] or [[layers]]", source=source, field="filters")
    filters = _filters(data["filters"], source, "filters")
    block = data.get("block")
    if block is not None:
        if block != "resnet":
            raise InvalidSpec(f"block must be \"resnet\", got {block!r}", source=source, field="block")
        if len(filters) != 2:
            raise InvalidSpec(f"a ResNet block needs exactly 2 filters, got {len(filters)}", source=source, field="filters")
        skip = data.get("skip", "before_relu")
        if skip not in SKIPS:
            raise InvalidSpec(f"skip must be one of {', '.join(SKIPS)}, got {skip!r}", source=source, field="skip")
        block_value = _guard(lambda: resnet_block(x, filters[0], filters[1], padding=padding, stride=stride, skip=skip), source, "filters")
        return Pipeline(title, x, (block_value,), False, source)
    if "skip" in data:
        raise InvalidSpec('skip only applies with block = "resnet"', source=source, field="skip")
    bias = to_fraction(data.get("bias", 0), source=source, field="bias")
    stages = tuple(
        _guard(lambda f=f, i=i: cross_correlate(x, f, padding=padding, stride=stride, bias=bias, label=f"z_{i + 1} = W_{i + 1} * x"), source, f"filters[{i + 1}]")
        for i, f in enumerate(filters)
    )
    return Pipeline(title, x, stages, True, source)


def _guard(compute, source: str, field: str):
    try:
        return compute()
    except InvalidSpec as exc:
        raise InvalidSpec(exc.message, source=source, field=exc.field or field) from None


def _layer(layer: Any, current: Matrix, index: int, padding: int, stride: int, source: str) -> Stage:
    where = f"layers[{index + 1}]."
    if not isinstance(layer, dict):
        raise InvalidSpec("each layer must be a table", source=source, field=where.rstrip("."))
    kind = layer.get("type")
    if kind not in _LAYER_KEYS:
        raise InvalidSpec(f"type must be one of {', '.join(_LAYER_KEYS)}, got {kind!r}", source=source, field=f"{where}type")
    _unknown_keys(layer, _LAYER_KEYS[kind], source, where)
    label = layer.get("label")
    if label is not None and not isinstance(label, str):
        raise InvalidSpec("label must be a string", source=source, field=f"{where}label")
    n = index + 1
    if kind == "conv":
        if "kernel" not in layer:
            raise InvalidSpec("a conv layer needs kernel = [[...]]", source=source, field=f"{where}kernel")
        kernel = as_matrix(layer["kernel"], source=source, field=f"{where}kernel")
        bias = to_fraction(layer.get("bias", 0), source=source, field=f"{where}bias")
        return _guard(
            lambda: cross_correlate(current, kernel, padding=_int(layer, "padding", padding, 0, source, where), stride=_int(layer, "stride", stride, 1, source, where), bias=bias, label=label or f"z_{n} = W_{n} * a_{n - 1}"),
            source,
            where + "kernel",
        )
    if kind == "relu":
        return relu(current, label=label or f"a_{n} = ReLU(a_{n - 1})")
    if kind in ("maxpool", "avgpool"):
        size = _int(layer, "size", 2, 1, source, where)
        pool_stride = _int(layer, "stride", size, 1, source, where)
        pool = max_pool if kind == "maxpool" else avg_pool
        return _guard(lambda: pool(current, size, pool_stride, label=label or f"a_{n} = {'max' if kind == 'maxpool' else 'average'} pool {size}x{size}"), source, where + "size")
    filters = _filters(layer.get("filters"), source, f"{where}filters")
    if len(filters) != 2:
        raise InvalidSpec(f"a ResNet block needs exactly 2 filters, got {len(filters)}", source=source, field=f"{where}filters")
    skip = layer.get("skip", "before_relu")
    if skip not in SKIPS:
        raise InvalidSpec(f"skip must be one of {', '.join(SKIPS)}, got {skip!r}", source=source, field=f"{where}skip")
    biases = layer.get("biases", [0, 0])
    if not isinstance(biases, list) or len(biases) != 2:
        raise InvalidSpec("biases must be a list of two numbers", source=source, field=f"{where}biases")
    b1, b2 = (to_fraction(b, source=source, field=f"{where}biases") for b in biases)
    return _guard(
        lambda: resnet_block(current, filters[0], filters[1], padding=_int(layer, "padding", 1, 0, source, where), stride=_int(layer, "stride", 1, 1, source, where), skip=skip, bias1=b1, bias2=b2),
        source,
        where + "filters",
    )
