"""What a forward pass costs: multiply-accumulates per layer, activation memory, receptive fields.

The counters disagree on what to call a FLOP, so the convention is named, never implied:

- a MAC is one multiply-accumulate of a matrix product or a convolution (``W x``);
- ``flops = 2 × macs`` (a multiply and an add), the convention of ``torch.utils.flop_counter``;
  fvcore's "flops" are MACs, and thop and ptflops report MACs (ptflops adds bias and activation
  operations on top);
- bias additions, activations, normalisation, pooling, softmax and embedding lookups are not
  counted (torch's counter does not count them either).

Recurrent layers cost their per-step work times ``T`` steps (every layer of a stack, every
direction). Each count is a sympy expression in the layer's named sizes and ``B`` (batch), ``T``
(steps), ``S`` (key / source length) and the output positions; its value is given once every size is
known (``B`` is 1 unless given). Activation memory is the output of every layer for batch ``B`` in
float32 (torchinfo's "forward pass size" counts the same outputs). The receptive field of a stack of
convolutions and poolings follows ``r += (k - 1)·d·j``, ``j *= s`` per axis, from ``r = j = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod
from types import MappingProxyType

import sympy

from handnets.errors import InvalidSpec
from handnets.params.formulas import SIZES
from handnets.params.model import Row, Summary

__all__ = ["COST_SIZES", "CONVENTIONS", "LayerCost", "Cost", "forward_cost", "BYTES_PER_VALUE"]

CONVENTIONS = MappingProxyType(
    {
        "mac": "MACs: one multiply-accumulate per weight use in a matrix product or convolution "
        "(fvcore's 'flops', thop's and ptflops' MACs); bias, activations, normalisation, pooling not counted",
        "flop": "FLOPs = 2 × MACs (a multiply and an add), as torch.utils.flop_counter counts them; "
        "bias, activations, normalisation, pooling not counted",
    }
)
BYTES_PER_VALUE = 4  # float32

_COST_NAMES = {
    "B": "batch size",
    "T": "time steps / query length",
    "S": "key / source length",
    "P": "positions a dense layer is applied at (the product of its leading axes)",
    "L_out": "output length",
    "H_out": "output height",
    "W_out": "output width",
    "D_out": "output depth",
    "L_in": "input length",
    "H_in": "input height",
    "W_in": "input width",
    "D_in": "input depth",
}
COST_SIZES = MappingProxyType({name: sympy.Symbol(name, integer=True, positive=True) for name in _COST_NAMES})
COST_MEANINGS = MappingProxyType(dict(_COST_NAMES))
_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


@dataclass(frozen=True, slots=True)
class LayerCost:
    """One row's cost: its MACs as a formula and a value, its output's size, its receptive field."""

    name: str
    macs: sympy.Expr
    sizes: tuple[tuple[sympy.Symbol, int | None], ...]
    macs_value: int | None
    activations: int | None  # output values for the batch
    receptive_field: tuple[int, ...] | None
    jump: tuple[int, ...] | None  # the stride of the output grid in input positions

    def flops(self) -> sympy.Expr:
        return 2 * self.macs

    @property
    def flops_value(self) -> int | None:
        return None if self.macs_value is None else 2 * self.macs_value


@dataclass(frozen=True, slots=True)
class Cost:
    """A model's forward pass: per-layer costs, totals, and what was assumed."""

    summary: Summary
    layers: tuple[LayerCost, ...]
    batch: int | None
    seq_len: int | None

    @property
    def macs(self) -> int | None:
        values = [c.macs_value for c in self.layers]
        return None if any(v is None for v in values) else sum(values)

    def total_formula(self) -> sympy.Expr:
        """The total in ``B`` (and ``T`` when ``--seq-len`` gave it): each layer's other sizes put in.

        Layer formulas name their own sizes (every convolution has its own ``H_out``), so only the
        sizes common to the whole pass are left as symbols.
        """
        keep = {COST_SIZES["B"]} | ({COST_SIZES["T"], COST_SIZES["S"]} if self.seq_len is not None else set())
        return sympy.expand(sympy.Add(*(c.macs.xreplace({s: sympy.Integer(v) for s, v in c.sizes if v is not None and s not in keep}) for c in self.layers)))

    @property
    def counted_macs(self) -> int:
        return sum(c.macs_value for c in self.layers if c.macs_value is not None)

    @property
    def complete(self) -> bool:
        return self.macs is not None and self.summary.complete

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.layers if c.macs_value is None)

    @property
    def activations(self) -> int | None:
        values = [c.activations for c in self.layers]
        return None if any(v is None for v in values) else sum(values)

    @property
    def parameter_bytes(self) -> int:
        return BYTES_PER_VALUE * (self.summary.total + self.summary.buffers)

    @property
    def receptive_field(self) -> tuple[int, ...] | None:
        fields = [c.receptive_field for c in self.layers if c.receptive_field is not None]
        return fields[-1] if fields else None


def forward_cost(summary: Summary, *, batch: int | None = None, seq_len: int | None = None) -> Cost:
    """MACs, activation memory and receptive fields of every row of a summary.

    >>> from handnets.params import summarize_code
    >>> cost = forward_cost(summarize_code("nn.LSTM(16, 32)"), seq_len=5, batch=2)
    >>> cost.layers[0].macs, cost.macs
    (4*B*T*h*(h + n_in), 61440)
    """
    for label, value in (("batch", batch), ("seq_len", seq_len)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise InvalidSpec(f"{label} must be a positive integer, got {value!r}", field=label)
    layers: list[LayerCost] = []
    for row in summary.rows:
        macs, extra = _macs(row)
        known = dict(row.formula.sizes) if row.formula is not None else {}
        known.update(extra)
        known[COST_SIZES["B"]] = batch or 1
        if seq_len is not None and known.get(COST_SIZES["T"]) is None:
            known[COST_SIZES["T"]] = seq_len
        if seq_len is not None and COST_SIZES["S"] in known and known[COST_SIZES["S"]] is None:
            known[COST_SIZES["S"]] = seq_len
        macs = sympy.factor_terms(sympy.expand(macs))
        used = macs.free_symbols
        sizes = tuple((sym, value) for sym, value in known.items() if sym in used)
        value = macs.xreplace({s: sympy.Integer(v) for s, v in sizes if v is not None})
        macs_value = int(value) if value.is_Integer else None
        activations = _activations(row, batch or 1, seq_len)
        field, jump = _receptive(row, layers)
        layers.append(LayerCost(row.name, macs, sizes, macs_value, activations, field, jump))
    return Cost(summary, tuple(layers), batch, seq_len)


def _macs(row: Row) -> tuple[sympy.Expr, dict[sympy.Symbol, int | None]]:
    """The MAC formula of one row and the values of the cost sizes it uses."""
    layer = row.layer
    kind = layer.kind
    B = COST_SIZES["B"]
    zero: tuple[sympy.Expr, dict] = (sympy.Integer(0), {})
    if layer.option("never_called"):
        return zero  # held by the module, never run by forward
    if layer.option("time_distributed"):  # the inner layer once per step: T times its cost on one step
        T = COST_SIZES["T"]
        step = lambda shape: None if shape is None else tuple(shape[1:])  # noqa: E731
        inner = replace(row, layer=layer.with_options(time_distributed=False), output_shape=step(row.output_shape), input_shapes=tuple(step(s) for s in row.input_shapes))
        expr, extra = _macs(inner)
        first = row.input_shapes[0] if row.input_shapes else None
        return T * expr, {**extra, T: None if first is None else first[0]}
    if row.formula is None:
        return sympy.Symbol("unknown"), {}
    shape_in = row.input_shapes[0] if row.input_shapes else None
    if kind == "dense":
        P, T = COST_SIZES["P"], COST_SIZES["T"]
        leading = tuple(shape_in[:-1]) if shape_in else None
        if leading == ():
            return B * SIZES["n_in"] * SIZES["n_out"], {}
        if leading is not None and leading.count(None) == 1:  # a free time axis: T of them, T from --seq-len
            return B * T * prod(d for d in leading if d is not None) * SIZES["n_in"] * SIZES["n_out"], {T: None}
        return B * P * SIZES["n_in"] * SIZES["n_out"], {P: None if leading is None or None in leading else prod(leading)}
    if kind in ("rnn", "lstm", "gru"):
        return _recurrent_macs(row)
    if kind in ("conv", "depthwise_conv", "separable_conv", "conv_transpose"):
        return _conv_macs(row)
    if kind == "attention":
        return _attention_macs(row)
    if kind in ("transformer_encoder", "transformer_decoder", "transformer"):
        return _transformer_macs(row)
    if kind == "dot_attention":
        T, S = COST_SIZES["T"], COST_SIZES["S"]
        query = row.input_shapes[0] if row.input_shapes else None
        value = row.input_shapes[1] if len(row.input_shapes) > 1 else query
        e_q, e_v = SIZES["E_q"], SIZES["E_v"]
        extra = {T: query[0] if query else None, S: value[0] if value else None, e_q: query[-1] if query else None, e_v: value[-1] if value else None}
        return B * T * S * (e_q + e_v), extra  # scores q·k, then the weighted sum of values
    return zero


def _recurrent_macs(row: Row) -> tuple[sympy.Expr, dict[sympy.Symbol, int | None]]:
    layer = row.layer
    gates = _GATES[layer.kind]
    h, n_in, p = SIZES["h"], SIZES["n_in"], SIZES["p"]
    B, T = COST_SIZES["B"], COST_SIZES["T"]
    layers = layer.option("num_layers", 1) or 1
    proj = layer.option("proj_size", 0) or 0
    L = SIZES["L"] if layers > 1 else sympy.Integer(1)
    D = SIZES["D"] if layer.option("bidirectional") else sympy.Integer(1)
    R = p if proj else h
    # per step and direction: every gate reads the input and the recurrent state
    first = gates * h * (n_in + R)
    later = (L - 1) * gates * h * (D * R + R)
    projection = L * p * h if proj else 0
    shape_in = row.input_shapes[0] if row.input_shapes else None
    steps = shape_in[0] if shape_in is not None and len(shape_in) == 2 else None
    return B * T * D * (first + later + projection), {T: steps}


def _conv_macs(row: Row) -> tuple[sympy.Expr, dict[sympy.Symbol, int | None]]:
    layer = row.layer
    rank = len(layer.option("kernel"))
    B = COST_SIZES["B"]
    transposed = layer.kind == "conv_transpose"
    suffix = "_in" if transposed else "_out"
    symbols = [COST_SIZES[f"{axis}{suffix}"] for axis in _SPATIAL[rank]]
    grid = row.input_shapes[0] if transposed else row.output_shape
    if grid is not None and len(grid) == rank + 1:
        spatial = grid[:-1] if layer.channels_last else grid[1:]
    else:
        spatial = (None,) * rank
    positions = sympy.Mul(*symbols)
    window = sympy.Mul(*(SIZES[name] for name in (("k",) if rank == 1 else ("k_h", "k_w") if rank == 2 else ("k_d", "k_h", "k_w"))))
    c_in, c_out, g, m = SIZES["c_in"], SIZES["c_out"], SIZES["g"], SIZES["m"]
    G = g if (layer.option("groups", 1) or 1) > 1 else sympy.Integer(1)
    if layer.kind == "conv":
        expr = positions * c_out * (c_in / G) * window
    elif layer.kind == "conv_transpose":  # every input position spreads over a window of outputs
        expr = positions * c_in * (c_out / G) * window
    else:
        expr = positions * c_in * m * window
        if layer.kind == "separable_conv":
            expr += positions * c_in * m * c_out
    return B * expr, dict(zip(symbols, spatial))


def _lengths(row: Row) -> tuple[int | None, int | None]:
    query = row.input_shapes[0] if row.input_shapes else None
    key = row.input_shapes[1] if len(row.input_shapes) > 1 else query
    t = query[0] if query is not None and len(query) >= 2 else None
    s = key[0] if key is not None and len(key) >= 2 else None
    return t, s


def _attention_macs(row: Row) -> tuple[sympy.Expr, dict[sympy.Symbol, int | None]]:
    B, T, S = COST_SIZES["B"], COST_SIZES["T"], COST_SIZES["S"]
    t, s = _lengths(row)
    if row.layer.dialect == "keras":
        H, d_k, d_v = SIZES["H"], SIZES["d_k"], SIZES["d_v"]
        E_q, E_k, E_v, E_o = SIZES["E_q"], SIZES["E_k"], SIZES["E_v"], SIZES["E_o"]
        expr = T * E_q * H * d_k + S * E_k * H * d_k + S * E_v * H * d_v + H * T * S * (d_k + d_v) + T * H * d_v * E_o
        return B * expr, {T: t, S: s}
    E, E_k, E_v = SIZES["E"], SIZES["E_k"], SIZES["E_v"]
    # add_bias_kv appends one learned key and value: the scores and weighted sums see S + 1 of them
    keys = S + 1 if row.layer.option("bias_kv") else S
    # projections, the scores and the weighted sum over all heads (H heads of E/H), the output projection
    expr = T * E * E + S * E * (E_k + E_v) + 2 * T * keys * E + T * E * E
    return B * expr, {T: t, S: s}


def _transformer_macs(row: Row) -> tuple[sympy.Expr, dict[sympy.Symbol, int | None]]:
    B, T, S = COST_SIZES["B"], COST_SIZES["T"], COST_SIZES["S"]
    E, F = SIZES["E"], SIZES["F"]
    t, s = _lengths(row)

    def self_attention(n: sympy.Expr) -> sympy.Expr:
        return 4 * n * E * E + 2 * n * n * E

    feed_forward = 2 * E * F
    repeats = row.layer.option("repeats", 1) or 1
    if row.layer.kind == "transformer_encoder":
        N = SIZES["N_e"] if repeats > 1 else 1
        return B * N * (self_attention(T) + T * feed_forward), {T: t}
    if row.layer.kind == "transformer_decoder":  # self-attention over the target, cross-attention to the memory
        N = SIZES["N_d"] if repeats > 1 else 1
        cross = 2 * T * E * E + 2 * S * E * E + 2 * T * S * E
        return B * N * (self_attention(T) + cross + T * feed_forward), {T: t, S: s}
    N_e, N_d = SIZES["N_e"], SIZES["N_d"]
    source, target = (row.input_shapes[0][0] if row.input_shapes and row.input_shapes[0] else None), (row.input_shapes[1][0] if len(row.input_shapes) > 1 and row.input_shapes[1] else None)
    encoder = N_e * (self_attention(S) + S * feed_forward)
    decoder = N_d * (self_attention(T) + 2 * T * E * E + 2 * S * E * E + 2 * T * S * E + T * feed_forward)
    return B * (encoder + decoder), {T: target, S: source}


def _activations(row: Row, batch: int, seq_len: int | None) -> int | None:
    if row.layer.option("never_called"):
        return 0
    if row.layer.kind == "input" or row.output_shape is None:
        return 0 if row.layer.kind == "input" else None
    dims = [seq_len if d is None else d for d in row.output_shape]
    if any(d is None for d in dims):
        return None
    return batch * prod(dims)


def _receptive(row: Row, earlier: list[LayerCost]) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """The receptive field after this row, along its first input, for conv and pooling stacks."""
    layer = row.layer
    sources = [earlier[i] for i in row.inputs if 0 <= i < len(earlier)]
    previous = [s for s in sources if s.receptive_field is not None]
    if layer.kind not in ("conv", "pool", "depthwise_conv", "separable_conv"):
        if layer.kind in ("activation", "dropout", "batchnorm", "groupnorm", "layernorm", "merge", "zeropad", "crop") and previous:
            fields = [p.receptive_field for p in previous]
            jumps = [p.jump for p in previous]
            best = max(range(len(fields)), key=lambda i: prod(fields[i]))
            return fields[best], jumps[best]
        return None, None
    kernel = layer.option("kernel")
    rank = len(kernel)
    field, jump = (previous[0].receptive_field, previous[0].jump) if previous and len(previous[0].receptive_field) == rank else ((1,) * rank, (1,) * rank)
    stride = layer.option("stride") or (1,) * rank
    dilation = layer.option("dilation") or (1,) * rank
    field = tuple(r + (k - 1) * d * j for r, k, d, j in zip(field, kernel, dilation, jump))
    jump = tuple(j * s for j, s in zip(jump, stride))
    return field, jump
