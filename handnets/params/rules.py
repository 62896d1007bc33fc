"""Output shapes of the layers that are not a window sliding over an input: wiring, attention, padding.

Each rule takes the layer, the shape reaching it (without the batch axis, laid out as its
framework lays it out), notes to add to, and every input's shape (two for ``Add()([x, y])``), and
returns the layer with the sizes it infers filled in and its output shape (None when unknown).
Transposed convolutions follow the frameworks' own formulas: PyTorch
``(n - 1)s - 2p + d(k - 1) + output_padding + 1``; Keras ``n·s + max(k - s, 0)`` for ``'valid'`` and
``n·s`` for ``'same'`` when no ``output_padding`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from handnets.errors import InvalidSpec
from handnets.params.layers import Layer

__all__ = ["MORE_RULES", "ShapeProblem", "transposed_length"]

Shape = tuple[int | None, ...]


class ShapeProblem(InvalidSpec):
    """A shape that does not work out (a window larger than its input): noted, not fatal."""


def transposed_length(n: int, kernel: int, *, stride: int, padding: int | str, output_padding: int | None, dilation: int, framework: str) -> int:
    """Length of one axis after a transposed convolution.

    >>> transposed_length(8, 5, stride=2, padding=0, output_padding=0, dilation=1, framework="pytorch")
    19
    >>> transposed_length(8, 3, stride=2, padding="same", output_padding=None, dilation=1, framework="keras")
    16
    """
    span = dilation * (kernel - 1) + 1
    if framework == "pytorch":
        length = (n - 1) * stride - 2 * int(padding) + span - 1 + (output_padding or 0) + 1
    elif output_padding is None:
        length = n * stride + max(span - stride, 0) if padding == "valid" else n * stride
    else:
        pad = span // 2 if padding == "same" else 0
        length = (n - 1) * stride + span - 2 * pad + output_padding
    if length < 1:
        raise ShapeProblem(f"a transposed convolution of {n} with kernel {kernel} and stride {stride} has no output")
    return length


def _channels(layer: Layer, shape: Shape) -> tuple[int | None, Shape]:
    if layer.channels_last:
        return shape[-1], shape[:-1]
    return shape[0], shape[1:]


def _assemble(layer: Layer, channels: int | None, spatial: Shape) -> Shape:
    return (*spatial, channels) if layer.channels_last else (channels, *spatial)


def _agree(layer: Layer, key: str, incoming: int | None, notes: list[str], what: str) -> Layer:
    written = layer.option(key)
    if written is None:
        return layer.with_options(**{key: incoming}) if incoming is not None else layer
    if incoming is not None and incoming != written:
        notes.append(f"{what}: constructor says {written}, the previous layer gives {incoming}")
    return layer


def _spatial_ok(layer: Layer, shape: Shape | None, notes: list[str]) -> bool:
    rank = layer.option("rank")
    if shape is None:
        return False
    if rank is not None and len(shape) != rank + 1:
        notes.append(f"shape: expects {rank} spatial axes and a channel axis, got {shape}")
        return False
    return True


def _conv_transpose(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    if not _spatial_ok(layer, shape, notes):
        return layer, None
    channels, spatial = _channels(layer, shape)
    layer = _agree(layer, "in_channels", channels, notes, "input channels")
    rank = layer.option("rank")
    padding = layer.option("padding", 0)
    paddings = (padding,) * rank if isinstance(padding, (int, str)) else padding
    output_padding = layer.option("output_padding") or (None if layer.dialect == "keras" else (0,) * rank)
    out = tuple(
        None if n is None else transposed_length(n, k, stride=s, padding=p, output_padding=None if output_padding is None else op, dilation=d, framework=layer.dialect)
        for n, k, s, p, d, op in zip(spatial, layer.option("kernel"), layer.option("stride") or (1,) * rank, paddings, layer.option("dilation") or (1,) * rank, output_padding or (None,) * rank)
    )
    return layer, _assemble(layer, layer.option("filters"), out)


def _groupnorm(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    if shape is None:
        return layer, None
    incoming = shape[-1] if layer.dialect == "keras" else shape[0]
    layer = _agree(layer, "features", incoming, notes, "channels")
    features, groups = layer.option("features"), layer.option("groups")
    if features is not None and groups and features % groups:
        notes.append(f"{features} channels do not split into {groups} groups: the framework refuses this layer")
    return layer, shape


def _attention(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    query = shapes[0] if shapes else None
    value = shapes[1] if len(shapes) > 1 else query
    key = shapes[2] if len(shapes) > 2 else value
    if layer.dialect == "keras":
        last = lambda s: None if s is None else s[-1]  # noqa: E731 - three one-line reads
        layer = layer.with_options(**{k: v for k, v in (("query_features", last(query)), ("value_features", last(value)), ("key_features", last(key))) if v is not None})
        if query is None:
            return layer, None
        return layer, (*query[:-1], layer.option("output_dim") or query[-1])
    if query is None:
        return layer, None
    embed = layer.option("embed_dim")
    if query[-1] is not None and query[-1] != embed:
        notes.append(f"embed_dim: constructor says {embed}, the query has {query[-1]} features")
    return layer, (*query[:-1], embed)


def _dot_attention(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    query = shapes[0] if shapes else None
    value = shapes[1] if len(shapes) > 1 else query
    if query is not None and query[-1] is not None:
        layer = layer.with_options(query_features=query[-1])
    if query is None or value is None:
        return layer, None
    return layer, (*query[:-1], value[-1])


def _transformer(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    target = shapes[1] if layer.kind == "transformer" and len(shapes) > 1 else shape
    if target is None:
        return layer, None
    return layer, (*target[:-1], layer.option("embed_dim"))


def _upsample(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    if shape is None:
        return layer, None
    channels, spatial = _channels(layer, shape)
    if layer.dialect == "keras":
        if not _spatial_ok(layer, shape, notes):
            return layer, None
        factors = layer.option("factor")
        return layer, _assemble(layer, channels, tuple(None if n is None else n * f for n, f in zip(spatial, factors)))
    size, factor = layer.option("size"), layer.option("factor")
    rank = len(spatial)
    if size is not None:
        sizes = (size,) * rank if isinstance(size, int) else size
        if len(sizes) != rank:
            notes.append(f"shape: size {size} does not match {rank} spatial axes")
            return layer, None
        return layer, (channels, *sizes)
    factors = (factor,) * rank if isinstance(factor, int) else factor
    if len(factors) != rank:
        notes.append(f"shape: scale_factor {factor} does not match {rank} spatial axes")
        return layer, None
    return layer, (channels, *(None if n is None else n * f for n, f in zip(spatial, factors)))


def _pad(sign: int) -> Callable[[Layer, Shape | None, list[str], list[Shape | None]], tuple[Layer, Shape | None]]:
    def rule(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
        if not _spatial_ok(layer, shape, notes):
            return layer, None
        channels, spatial = _channels(layer, shape)
        out = tuple(None if n is None else n + sign * (a + b) for n, (a, b) in zip(spatial, layer.option("pads")))
        if any(n is not None and n < 1 for n in out):
            raise ShapeProblem(f"cropping {layer.option('pads')} leaves nothing of {spatial}")
        return layer, _assemble(layer, channels, out)

    return rule


def _merge(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    if any(s is None for s in shapes):
        return layer, None
    if len(shapes) < 2:
        notes.append("a merge layer needs at least two inputs")
    op = layer.option("op")
    if op != "concat":
        first = shapes[0]
        for other in shapes[1:]:
            if len(other) != len(first) or any(a is not None and b is not None and a != b for a, b in zip(first, other)):
                raise ShapeProblem(f"cannot {op} shapes {first} and {other}: they must be equal")
        return layer, first
    axis = layer.option("axis", -1)
    rank = len(shapes[0])
    position = axis - 1 if axis > 0 else rank + axis  # the axis counts the batch axis as 0
    if not 0 <= position < rank or any(len(s) != rank for s in shapes):
        raise ShapeProblem(f"cannot concatenate {shapes} on axis {axis}")
    for other in shapes[1:]:
        if any(i != position and a is not None and b is not None and a != b for i, (a, b) in enumerate(zip(shapes[0], other))):
            raise ShapeProblem(f"cannot concatenate {shapes[0]} and {other} on axis {axis}: the other axes must agree")
    lengths = [s[position] for s in shapes]
    total = None if None in lengths else sum(lengths)
    return layer, tuple(total if i == position else d for i, d in enumerate(shapes[0]))


def _permute(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    dims = layer.option("dims")
    if shape is None:
        return layer, None
    if len(dims) != len(shape):
        raise ShapeProblem(f"dims {dims} do not match a {len(shape)}-axis input")
    return layer, tuple(shape[d - 1] for d in dims)


def _repeat(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None]) -> tuple[Layer, Shape | None]:
    if shape is None:
        return layer, None
    if len(shape) != 1:
        raise ShapeProblem(f"RepeatVector expects (features,), got {shape}")
    return layer, (layer.option("times"), shape[0])


MORE_RULES: dict[str, Callable[[Layer, Shape | None, list[str], list[Shape | None]], tuple[Layer, Shape | None]]] = {
    "conv_transpose": _conv_transpose,
    "groupnorm": _groupnorm,
    "attention": _attention,
    "dot_attention": _dot_attention,
    "transformer_encoder": _transformer,
    "transformer_decoder": _transformer,
    "transformer": _transformer,
    "upsample": _upsample,
    "zeropad": _pad(+1),
    "crop": _pad(-1),
    "merge": _merge,
    "permute": _permute,
    "repeat": _repeat,
}
