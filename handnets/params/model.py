"""A model summary: every layer's output shape and parameter count, like Keras' ``model.summary()``.

Shapes travel from layer to layer without the batch axis (``(200, 16)`` for Keras'
``(None, 200, 16)``), laid out as the code that wrote the layer lays them out: Keras
channels-last, PyTorch channels-first. Sizes a Keras layer infers from its input (a Dense's input
features, a BatchNormalization's channels) come from the shape that reaches it; PyTorch layers
carry them in their constructor, and a mismatch with the incoming shape is noted, not hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import prod

from handnets.errors import InvalidSpec
from handnets.params.formulas import Formula, layer_formula
from handnets.params.layers import FRAMEWORKS, Layer
from handnets.params.reader import MODEL_INPUT, UNFOLLOWED, ModelCode, read_model, read_models
from handnets.params.rules import MORE_RULES as _MORE_RULES
from handnets.params.rules import ShapeProblem as _ShapeProblem
from handnets.params.shapes import conv_output_length

__all__ = ["Row", "Summary", "summarize", "summarize_code", "count_parameters"]

Shape = tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class Row:
    """One layer of the summary: its shape out, its formula, and its counts (None when unknown)."""

    name: str
    layer: Layer
    output_shape: Shape | None
    formula: Formula | None
    trainable: int | None
    non_trainable: int | None
    buffers: int | None
    notes: tuple[str, ...] = ()
    # why the total may not be the framework's because of this layer (empty: this row is sure)
    problems: tuple[str, ...] = ()
    batch_axis: int = 0  # where the batch axis sits in the framework's own shape: 1 for sequence-first PyTorch
    inputs: tuple[int, ...] = ()  # the rows it reads (empty: the model's input)
    shared_with: int | None = None  # an earlier row whose weights this one reuses
    input_shapes: tuple[Shape | None, ...] = ()  # the shapes that reached it, one per input

    @property
    def known(self) -> bool:
        return self.layer.kind != "unknown"

    @property
    def counted(self) -> bool:
        return self.trainable is not None

    @property
    def complete(self) -> bool:
        return self.counted and not self.problems


@dataclass(frozen=True, slots=True)
class Summary:
    """A whole model under one framework's counting convention.

    ``total`` is what the framework reports as its parameter count: Keras' "Total params"
    (trainable + non-trainable weights); PyTorch's ``sum(p.numel() for p in model.parameters())``,
    which leaves the buffers (``running_mean``, ...) out; those are in ``buffers``.
    """

    framework: str
    rows: tuple[Row, ...]
    input_shape: Shape | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.framework not in FRAMEWORKS:
            raise ValueError(f"framework must be keras or pytorch, got {self.framework!r}")

    @property
    def trainable(self) -> int:
        return sum(r.trainable for r in self.rows if r.trainable is not None)

    @property
    def non_trainable(self) -> int:
        return sum(r.non_trainable for r in self.rows if r.non_trainable is not None)

    @property
    def buffers(self) -> int:
        return sum(r.buffers for r in self.rows if r.buffers is not None)

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def uncounted(self) -> tuple[Row, ...]:
        """Rows left out of the totals: unknown layers, or known ones whose sizes are unknown."""
        return tuple(r for r in self.rows if not r.counted)

    @property
    def doubtful(self) -> tuple[Row, ...]:
        """Rows that keep the total from being the framework's: not counted, or written in a way it refuses."""
        return tuple(r for r in self.rows if not r.complete)

    @property
    def complete(self) -> bool:
        """True when every layer is counted and nothing in the code makes the total doubtful."""
        return not self.doubtful

    @property
    def output_shape(self) -> Shape | None:
        return self.rows[-1].output_shape if self.rows else self.input_shape


def count_parameters(code: str, *, framework: str | None = None, input_shape: Shape | None = None) -> int:
    """Total parameter count of model code (or one constructor call), read without running it.

    >>> count_parameters("Sequential([Embedding(1000, 16, input_length=200), LSTM(32), Dense(1)])")
    22305
    >>> count_parameters("nn.LSTM(16, 32)"), count_parameters("LSTM(32)", input_shape=(200, 16))
    (6400, 6272)
    """
    return summarize_code(code, framework=framework, input_shape=input_shape).total


def summarize_code(code: str | list[str] | tuple[str, ...], *, framework: str | None = None, input_shape: Shape | None = None, source: str = "<spec>") -> Summary:
    """Read model code (one text, or several read as one model in order) and summarise it.

    >>> summarize_code("Conv2D(8, 5)", input_shape=(32, 32, 3)).rows[0].output_shape
    (28, 28, 8)
    """
    if framework is not None and framework not in FRAMEWORKS:
        raise InvalidSpec(f"framework must be keras or pytorch, got {framework!r}")
    if isinstance(code, str):
        model = read_model(code, source=source, framework=framework)
    else:
        model = read_models([(f"{source}[{i}]", text) for i, text in enumerate(code)], framework=framework)
    return summarize(model, framework=framework, input_shape=input_shape)


def summarize(model: ModelCode, *, framework: str | None = None, input_shape: Shape | None = None) -> Summary:
    """Walk the layers in order: shapes forward along the wiring, sizes filled in, each layer counted.

    A layer that cannot be counted, or a count that may not be the framework's, is never dropped
    quietly: its row carries the reason in ``problems`` and the summary is not ``complete``.
    """
    framework = framework or model.dialect
    if framework not in FRAMEWORKS:
        raise InvalidSpec(f"framework must be keras or pytorch, got {framework!r}")
    given = _check_shape(input_shape) if input_shape is not None else None
    rows: list[Row] = []
    why_unknown: list[str] = []  # per row: why its output shape is unknown ("" when known)
    used: dict[str, int] = {}
    no_shape = "no input shape given (--input-shape)"
    for index, layer in enumerate(model.layers):
        notes: list[str] = []
        problems: list[str] = list(layer.problems)
        wiring = model.inputs_of(index)
        sources: tuple[int, ...]
        if wiring is None:
            sources = (index - 1,) if index else ()
        else:
            sources = wiring
        shapes: list[Shape | None] = []
        axes: list[int] = []
        reasons: list[str] = []
        for source in sources or (MODEL_INPUT,):
            if source == MODEL_INPUT:
                shapes.append(given), axes.append(0), reasons.append("" if given is not None else no_shape)
            elif source == UNFOLLOWED or not 0 <= source < len(rows):
                shapes.append(None), axes.append(0), reasons.append("its input passes through code this reader does not follow")
            else:
                shapes.append(rows[source].output_shape), axes.append(rows[source].batch_axis), reasons.append(why_unknown[source])
        shape = shapes[0]
        if layer.kind == "input":
            shape = given if (given is not None and index == 0) else layer.option("shape")
        elif shape is None and layer.option("input_shape") is not None:
            shape = layer.option("input_shape")
        elif shape is None and layer.kind == "embedding" and layer.option("input_length"):
            shape = (layer.option("input_length"),)
        if shape is not None:
            shapes[0] = shape
        reason = next((r for r, s in zip(reasons, shapes) if s is None and r), "")
        name = _row_name(layer, used)
        source_rows = tuple(s for s in sources if s >= 0)
        if layer.kind == "unknown":
            why = f"the input comes from {name} ({layer.name}, line {layer.line}), an unknown layer"
            rows.append(Row(name, layer, None, None, None, None, None, ("not counted; shapes after it are unknown",), tuple(problems) or ("unknown layer",), 0, source_rows))
            why_unknown.append(why)
            continue
        try:
            resolved, out, batch_axis = _resolve_any(layer, shapes, axes[0], notes)
        except InvalidSpec as exc:
            if not _is_shape_problem(exc):
                raise
            resolved, out, batch_axis = layer, None, 0
            notes.append(f"shape: {exc.message}")
        formula = layer_formula(resolved, framework)
        values = [formula.value(role) for role in ("trainable", "non_trainable", "buffer")]
        shared = model.shared_with(index)
        if layer.option("never_called"):
            notes.append("built but never applied to the input: its weights still count (PyTorch counts every module it holds)")
        if values[0] is None:
            missing = ", ".join(formula.missing)
            problems.append(f"needs {missing}: {reason or 'a size the code does not give'}")
        elif shared is not None:
            values = [0, 0, 0]
            notes.append(f"the same layer as {rows[shared].name}: its weights are counted once")
        rows.append(Row(name, resolved, out, formula, *values, tuple(notes), tuple(problems), batch_axis, source_rows, shared, tuple(shapes)))
        why_unknown.append("" if out is not None else (reason or f"the output shape of {name} could not be worked out"))
    return Summary(framework, tuple(rows), given, model.source)


def _resolve_any(layer: Layer, shapes: list[Shape | None], batch_axis: int, notes: list[str]) -> tuple[Layer, Shape | None, int]:
    """The layer with its inferred sizes, its output shape, and where the batch axis sits in it."""
    shape = shapes[0]
    if layer.option("time_distributed"):
        if shape is None:
            inner, _ = _resolve(layer, None, notes, shapes)
            return inner, None, 0
        inner, out = _resolve(layer, tuple(shape[1:]), notes, [tuple(shape[1:])])
        return inner, (None if out is None else (shape[0], *out)), 0
    if layer.kind == "index":
        out, axis = _select(layer, shape, batch_axis)
        return layer, out, axis
    resolved, out = _resolve(layer, shape, notes, shapes)
    sequence_first = layer.dialect == "pytorch" and layer.kind in ("rnn", "lstm", "gru", "attention", "transformer_encoder", "transformer_decoder", "transformer") and not layer.option("batch_first")
    if sequence_first:
        return resolved, out, 1
    if layer.kind in ("dense", "dropout", "activation", "layernorm", "merge"):
        return resolved, out, batch_axis  # elementwise or last-axis layers keep a sequence-first layout
    return resolved, out, 0


def _select(layer: Layer, shape: Shape | None, batch_axis: int) -> tuple[Shape | None, int]:
    """``out[:, -1]`` (batch first) or ``out[-1]`` (sequence first): one axis of the full shape dropped."""
    axis = layer.option("axis")
    if shape is None or axis == batch_axis or not 0 <= axis <= len(shape):
        return None, 0
    full = list(shape)
    full.insert(batch_axis, None)
    length, index = full[axis], layer.option("index")
    if length is not None and not -length <= index < length:
        raise _ShapeProblem(f"index {index} is out of range for an axis of {length}")
    del full[axis]
    batch = batch_axis - 1 if axis < batch_axis else batch_axis
    del full[batch]
    return tuple(full), batch


def _is_shape_problem(exc: InvalidSpec) -> bool:
    return isinstance(exc, _ShapeProblem)


def _check_shape(shape: Shape) -> Shape:
    shape = tuple(shape)
    if not shape or not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 1) for d in shape):
        raise InvalidSpec(f"an input shape is positive integers without the batch axis, e.g. 200,16; got {shape!r}", field="input_shape")
    return shape


def _snake_case(name: str) -> str:
    """Keras' ``to_snake_case``: ``Conv2D`` -> ``conv2d``, ``SimpleRNN`` -> ``simple_rnn``, ``ReLU`` -> ``re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _row_name(layer: Layer, used: dict[str, int]) -> str:
    """Keras' naming: snake case of the class, then ``_1``, ``_2`` for repeats."""
    base = _snake_case(layer.name.split("(")[0]) or "layer"
    count = used.get(base, 0)
    used[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _last(shape: Shape | None) -> int | None:
    return shape[-1] if shape else None


def _agree(layer: Layer, key: str, incoming: int | None, notes: list[str], what: str) -> Layer:
    """Use the constructor's size if it has one (noting a clash), else the incoming one."""
    written = layer.option(key)
    if written is None:
        return layer.with_options(**{key: incoming}) if incoming is not None else layer
    if incoming is not None and incoming != written:
        notes.append(f"{what}: constructor says {written}, the previous layer gives {incoming}")
    return layer


def _resolve(layer: Layer, shape: Shape | None, notes: list[str], shapes: list[Shape | None] | None = None) -> tuple[Layer, Shape | None]:
    kind = layer.kind
    if kind == "input":
        return layer, shape
    if kind in ("dropout", "activation"):
        return layer, shape
    if kind in _MORE_RULES:
        return _MORE_RULES[kind](layer, shape, notes, shapes or [shape])
    if kind == "dense":
        if shape is None and layer.option("input_size") is not None:
            shape = (layer.option("input_size"),)
        layer = _agree(layer, "input_size", _last(shape), notes, "input features")
        return layer, (*shape[:-1], layer.option("units")) if shape else None
    if kind == "embedding":
        return layer, (*shape, layer.option("output_dim")) if shape else None
    if kind in ("rnn", "lstm", "gru"):
        return _resolve_recurrent(layer, shape, notes)
    if kind in ("conv", "pool", "depthwise_conv", "separable_conv"):
        return _resolve_window(layer, shape, notes)
    if kind == "global_pool":
        if shape is None:
            return layer, None
        channels = shape[-1] if layer.channels_last else shape[0]
        rank = layer.option("rank")
        if layer.option("keepdims"):
            return layer, ((1,) * rank + (channels,)) if layer.channels_last else ((channels,) + (1,) * rank)
        return layer, (channels,)
    if kind == "adaptive_pool":
        return layer, ((shape[0], *layer.option("output_size")) if shape else None)
    if kind == "flatten":
        return layer, _flatten(layer, shape)
    if kind == "reshape":
        return layer, _reshape(layer, shape)
    if kind == "batchnorm":
        if shape is None:
            return layer, None
        if layer.dialect == "keras":
            axis = layer.option("axis", -1)
            if not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
                raise InvalidSpec(f"line {layer.line}: {layer.name}: axis {axis!r} does not exist in a {len(shape)}-axis input", field="axis")
            incoming = shape[axis] if axis < 0 else shape[axis - 1]  # Keras counts the batch axis as 0
        else:
            incoming = shape[0]
        return _agree(layer, "features", incoming, notes, "features"), shape
    if kind == "layernorm":
        if layer.option("normalized_shape") is None and shape is not None and shape[-1] is not None:
            layer = layer.with_options(normalized_shape=(shape[-1],))
        elif shape is not None and layer.option("normalized_shape") is not None:
            normalized = tuple(layer.option("normalized_shape"))
            if tuple(shape[-len(normalized):]) != normalized:
                notes.append(f"normalized_shape {normalized} does not match the trailing axes of {shape}")
        return layer, shape
    raise InvalidSpec(f"no shape rule for layer kind {kind!r}")  # pragma: no cover - every kind is handled


def _resolve_recurrent(layer: Layer, shape: Shape | None, notes: list[str]) -> tuple[Layer, Shape | None]:
    if shape is not None and len(shape) != 2:
        notes.append(f"expects (timesteps, features), got {shape}")
    layer = _agree(layer, "input_size", _last(shape), notes, "input features")
    units = layer.option("units")
    width = layer.option("proj_size") or units
    directions = 2 if layer.option("bidirectional") else 1
    if layer.dialect == "keras":
        merge = layer.option("merge_mode", "concat")
        if directions == 2 and merge is None:
            notes.append("merge_mode=None returns two tensors; the shape shown is one of them")
        out = width * (2 if directions == 2 and merge == "concat" else 1)
        if not layer.option("return_sequences"):
            return layer, (out,)
    else:
        out = width * directions
    steps = shape[0] if shape is not None and len(shape) == 2 else None
    return layer, (steps, out)


def _resolve_window(layer: Layer, shape: Shape | None, notes: list[str]) -> tuple[Layer, Shape | None]:
    rank = layer.option("rank")
    if shape is None:
        return layer, None
    if len(shape) != rank + 1:
        notes.append(f"shape: expects {rank} spatial axes and a channel axis, got {shape}")
        return layer, None
    channels_last = layer.channels_last
    channels = shape[-1] if channels_last else shape[0]
    spatial = shape[:-1] if channels_last else shape[1:]
    if layer.kind in ("conv", "depthwise_conv", "separable_conv"):
        layer = _agree(layer, "in_channels", channels, notes, "input channels")
    kernel = layer.option("kernel")
    stride = layer.option("stride") or (1,) * rank
    dilation = layer.option("dilation") or (1,) * rank
    padding = layer.option("padding", 0)
    paddings = (padding,) * rank if isinstance(padding, (int, str)) else padding
    ceil_mode = bool(layer.option("ceil_mode"))
    try:
        out_spatial = tuple(
            None
            if n is None
            else conv_output_length(n + d * (k - 1), k, stride=s, dilation=d, framework=layer.dialect)  # Keras pads d(k-1) on the left
            if p == "causal"
            else conv_output_length(n, k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode, framework=layer.dialect)
            for n, k, s, d, p in zip(spatial, kernel, stride, dilation, paddings)
        )
    except InvalidSpec as exc:
        notes.append(f"shape: {exc.message}")
        return layer, None
    if layer.kind == "depthwise_conv":
        out_channels = None if channels is None else channels * layer.option("multiplier", 1)
    else:
        out_channels = layer.option("filters") if layer.kind in ("conv", "separable_conv") else channels
    return layer, (*out_spatial, out_channels) if channels_last else (out_channels, *out_spatial)


def _flatten(layer: Layer, shape: Shape | None) -> Shape | None:
    if shape is None:
        return None
    full = (None, *shape)  # the batch axis counts in PyTorch's start_dim / end_dim
    start = layer.option("start_dim", 1)
    end = layer.option("end_dim", -1)
    start = start % len(full)
    end = end % len(full)
    if not 0 <= start <= end < len(full):
        raise InvalidSpec(f"line {layer.line}: {layer.name}: start_dim/end_dim do not fit a {len(full)}-axis input")
    merged = full[start : end + 1]
    size = None if any(d is None for d in merged) else prod(merged)
    result = (*full[:start], size, *full[end + 1 :])
    return result[1:] if start > 0 else result


def _reshape(layer: Layer, shape: Shape | None) -> Shape | None:
    target = layer.option("target_shape")
    if -1 not in target:
        if shape is not None and None not in shape and prod(shape) != prod(target):
            raise _ShapeProblem(f"cannot reshape {shape} ({prod(shape)} values) to {target}")
        return target
    if shape is None or None in shape:
        return tuple(None if d == -1 else d for d in target)
    known = prod(d for d in target if d != -1)
    if prod(shape) % known:
        raise _ShapeProblem(f"cannot reshape {shape} to {target}")
    return tuple(prod(shape) // known if d == -1 else d for d in target)
