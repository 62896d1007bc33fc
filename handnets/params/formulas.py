"""Closed-form parameter counts per layer, in named sizes, with where each term comes from.

Each formula is a sum of ``Term``s, one per group of tensors the framework allocates (an LSTM's
``kernel``, ``recurrent_kernel`` and ``bias`` in Keras; ``weight_ih_l{k}``, ``weight_hh_l{k}``,
``bias_ih_l{k}`` and ``bias_hh_l{k}`` in PyTorch). The two conventions differ where the frameworks
do: PyTorch recurrent layers carry two bias vectors per gate (input and recurrent), Keras LSTM and
SimpleRNN one, Keras GRU two only with ``reset_after=True`` (its default); Keras keeps
BatchNormalization's moving statistics as non-trainable weights, PyTorch as buffers that are not
parameters at all. The sizes are sympy symbols built once in ``SIZES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from types import MappingProxyType

import sympy

from handnets.errors import InvalidSpec
from handnets.params.layers import FRAMEWORKS, Layer

__all__ = ["SIZES", "Term", "Formula", "layer_formula", "ROLES"]

ROLES = ("trainable", "non_trainable", "buffer")

_SIZE_NAMES = {
    "n_in": "input features",
    "n_out": "output features (units)",
    "h": "hidden units",
    "p": "projection size (PyTorch proj_size)",
    "L": "stacked layers (num_layers)",
    "D": "directions (2 when bidirectional)",
    "V": "vocabulary size (input_dim)",
    "E": "embedding dimension",
    "c_in": "input channels",
    "c_out": "output channels (filters)",
    "g": "groups",
    "k": "kernel length",
    "k_h": "kernel height",
    "k_w": "kernel width",
    "k_d": "kernel depth",
    "C": "normalised features",
    "m": "depth multiplier",
    "H": "attention heads",
    "d_k": "key size per head (key_dim)",
    "d_v": "value size per head (value_dim)",
    "E_q": "query features",
    "E_k": "key features (kdim)",
    "E_v": "value features (vdim)",
    "E_o": "output features of the attention",
    "F": "feed-forward width (dim_feedforward)",
    "N_e": "encoder layers",
    "N_d": "decoder layers",
}
SIZES = MappingProxyType({name: sympy.Symbol(name, integer=True, positive=True) for name in _SIZE_NAMES})
SIZE_MEANINGS = MappingProxyType(dict(_SIZE_NAMES))

_GATES = {"rnn": (1, "1 cell"), "lstm": (4, "4 gates"), "gru": (3, "3 gates")}
_KERNEL_SYMBOLS = {1: ("k",), 2: ("k_h", "k_w"), 3: ("k_d", "k_h", "k_w")}


@dataclass(frozen=True, slots=True)
class Term:
    """One group of tensors: their framework names, how many numbers they hold, and why.

    >>> Term("bias", SIZES["n_out"], "trainable", "one per output").role
    'trainable'
    """

    tensors: str
    count: sympy.Expr
    role: str
    why: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")


@dataclass(frozen=True, slots=True)
class Formula:
    """A layer's count as a sum of terms in named sizes, and the sizes' values (None if not known)."""

    terms: tuple[Term, ...]
    sizes: tuple[tuple[sympy.Symbol, int | None], ...]

    def expression(self, role: str | None = None) -> sympy.Expr:
        """The closed form: the sum of the terms (of one role, or all)."""
        return sympy.Add(*(t.count for t in self.terms if role is None or t.role == role))

    @property
    def missing(self) -> tuple[str, ...]:
        used = set().union(*(t.count.free_symbols for t in self.terms)) if self.terms else set()
        return tuple(str(sym) for sym, value in self.sizes if value is None and sym in used)

    def evaluate(self, expr: sympy.Expr) -> int | None:
        known = {sym: sympy.Integer(value) for sym, value in self.sizes if value is not None}
        result = sympy.Add(expr).xreplace(known)  # Add() turns a plain 0 into sympy zero
        return int(result) if result.is_Integer else None

    def value(self, role: str | None = None) -> int | None:
        """The count once the sizes are put in; None while a size is unknown."""
        return self.evaluate(self.expression(role))

    def compact(self, roles: tuple[str, ...] = ("trainable", "non_trainable")) -> sympy.Expr:
        """The closed form of the weights (buffers apart), factored for the summary's formula column."""
        # factor_terms pulls out common factors but keeps the terms' own grouping, e.g. (L - 1)
        return sympy.factor_terms(sympy.Add(*(t.count for t in self.terms if t.role in roles)))


def layer_formula(layer: Layer, framework: str) -> Formula:
    """The parameter formula of one layer under one framework's convention.

    Sizes the layer does not carry itself (Keras' input features) must have been filled in as
    options (``input_size``, ``in_channels``, ``features``) by the caller; missing ones stay symbolic.

    >>> f = layer_formula(Layer("lstm", "LSTM", "keras", (("units", 32), ("input_size", 16))), "keras")
    >>> f.compact(), f.value()
    (4*h*(h + n_in + 1), 6272)
    """
    if framework not in FRAMEWORKS:
        raise InvalidSpec(f"framework must be keras or pytorch, got {framework!r}")
    builder = _BUILDERS.get(layer.kind)
    if builder is None:
        return Formula((), ())
    return builder(layer, framework)


def _size(layer: Layer, key: str, what: str) -> int | None:
    value = layer.option(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidSpec(f"{layer.name}: {what} must be a positive integer, got {value!r}", field=key)
    return value


def _dense(layer: Layer, framework: str) -> Formula:
    n_in, n_out = SIZES["n_in"], SIZES["n_out"]
    keras = framework == "keras"
    terms = [Term("kernel (n_in, n_out)" if keras else "weight (n_out, n_in)", n_in * n_out, "trainable", "one weight per input-output pair")]
    if layer.option("bias", True):
        terms.append(Term("bias (n_out)", n_out, "trainable", "one bias per output unit"))
    return Formula(tuple(terms), ((n_in, _size(layer, "input_size", "input features")), (n_out, _size(layer, "units", "units"))))


def _embedding(layer: Layer, framework: str) -> Formula:
    V, E = SIZES["V"], SIZES["E"]
    name = "embeddings (V, E)" if framework == "keras" else "weight (V, E)"
    return Formula(
        (Term(name, V * E, "trainable", "one E-vector per vocabulary entry"),),
        ((V, _size(layer, "input_dim", "input_dim")), (E, _size(layer, "output_dim", "output_dim"))),
    )


def _recurrent(layer: Layer, framework: str) -> Formula:
    gates, gate_words = _GATES[layer.kind]
    h, n_in, p = SIZES["h"], SIZES["n_in"], SIZES["p"]
    units = _size(layer, "units", "units / hidden_size")
    layers = _size(layer, "num_layers", "num_layers") or 1
    proj = layer.option("proj_size", 0) or 0
    if not isinstance(proj, int) or isinstance(proj, bool) or proj < 0:
        raise InvalidSpec(f"{layer.name}: proj_size must be an integer >= 0, got {proj!r}", field="proj_size")
    if proj and layer.kind != "lstm":
        raise InvalidSpec(f"{layer.name}: proj_size exists only for LSTM")
    if proj and units is not None and proj >= units:
        raise InvalidSpec(f"{layer.name}: proj_size must be smaller than hidden_size, got {proj} >= {units}", field="proj_size")
    bidirectional = bool(layer.option("bidirectional", False))
    L = SIZES["L"] if layers > 1 else sympy.Integer(1)
    D = SIZES["D"] if bidirectional else sympy.Integer(1)
    R = p if proj else h  # what the recurrent weights read: the hidden state, or its projection
    if not layer.option("bias", True):
        bias_vectors = 0
    elif framework == "pytorch":
        bias_vectors = 2
    elif layer.kind == "gru" and layer.option("reset_after", True):
        bias_vectors = 2
    else:
        bias_vectors = 1
    keras = framework == "keras"
    per = f"{gate_words} × h units"
    where = []
    if bidirectional:
        where.append("× D directions")
    terms = [
        Term(
            "kernel" if keras else "weight_ih_l0",
            D * gates * h * n_in,
            "trainable",
            " ".join([f"{per} × n_in inputs", *where]),
        )
    ]
    if layers > 1:
        terms.append(
            Term(
                "kernel of layers 2..L" if keras else "weight_ih_l{k}, k >= 1",
                (L - 1) * D * gates * h * (D * R),
                "trainable",
                f"{per} × D·{R} inputs (later layers read the previous layer's output) × D directions × (L - 1) layers",
            )
        )
    terms.append(
        Term(
            "recurrent_kernel" if keras else "weight_hh_l{k}",
            L * D * gates * h * R,
            "trainable",
            " ".join([f"{per} × {R} recurrent inputs", *where] + (["× L layers"] if layers > 1 else [])),
        )
    )
    if bias_vectors:
        if keras:
            label = "bias (2 rows: input and recurrent)" if bias_vectors == 2 else "bias"
        else:
            label = "bias_ih_l{k} + bias_hh_l{k}"
        terms.append(
            Term(
                label,
                L * D * bias_vectors * gates * h,
                "trainable",
                " ".join([f"{bias_vectors} bias vector{'s' if bias_vectors > 1 else ''} × {per}", *where] + (["× L layers"] if layers > 1 else [])),
            )
        )
    if proj:
        terms.append(Term("weight_hr_l{k}", L * D * p * h, "trainable", "projection p × h " + " ".join(where + (["× L layers"] if layers > 1 else []))))
    sizes = [(n_in, _size(layer, "input_size", "input size")), (h, units)]
    if proj:
        sizes.append((p, proj))
    if layers > 1:
        sizes.append((SIZES["L"], layers))
    if bidirectional:
        sizes.append((SIZES["D"], 2))
    return Formula(tuple(terms), tuple(sizes))


def _conv(layer: Layer, framework: str) -> Formula:
    kernel = layer.option("kernel")
    if not kernel:
        raise InvalidSpec(f"{layer.name}: needs a kernel size", field="kernel_size")
    rank = len(kernel)
    k_syms = tuple(SIZES[name] for name in _KERNEL_SYMBOLS[rank])
    c_in, c_out, g = SIZES["c_in"], SIZES["c_out"], SIZES["g"]
    groups = _size(layer, "groups", "groups") or 1
    in_channels = _size(layer, "in_channels", "input channels")
    filters = _size(layer, "filters", "filters / out_channels")
    for label, value in (("input channels", in_channels), ("output channels", filters)):
        if value is not None and value % groups:
            raise InvalidSpec(f"{layer.name}: {label} must be divisible by groups={groups}, got {value}", field="groups")
    G = g if groups > 1 else sympy.Integer(1)
    window = sympy.Mul(*k_syms)
    ks = ", ".join(map(str, k_syms))
    per_group = "c_in/g" if groups > 1 else "c_in"
    name = f"kernel ({ks}, {per_group}, c_out)" if framework == "keras" else f"weight (c_out, {per_group}, {ks})"
    terms = [Term(name, c_out * (c_in / G) * window, "trainable", f"each of c_out filters spans {' × '.join(map(str, k_syms))} × {per_group} inputs")]
    if layer.option("bias", True):
        terms.append(Term("bias (c_out)", c_out, "trainable", "one bias per filter"))
    sizes = [(c_in, in_channels), (c_out, filters), *zip(k_syms, kernel)]
    if groups > 1:
        sizes.append((g, groups))
    return Formula(tuple(terms), tuple(sizes))


def _batchnorm(layer: Layer, framework: str) -> Formula:
    C = SIZES["C"]
    scale = layer.option("scale", True)
    center = layer.option("center", True)
    stats = layer.option("track_running_stats", True)
    terms = []
    if framework == "keras":
        if scale:
            terms.append(Term("gamma (C)", C, "trainable", "a learned scale per feature"))
        if center:
            terms.append(Term("beta (C)", C, "trainable", "a learned shift per feature"))
        terms.append(Term("moving_mean, moving_variance", 2 * C, "non_trainable", "running statistics, updated by averaging, not by gradients"))
    else:
        if scale:
            terms.append(Term("weight (C)", C, "trainable", "a learned scale per feature (affine)"))
        if center:
            terms.append(Term("bias (C)", C, "trainable", "a learned shift per feature (affine)"))
        if stats:
            terms.append(Term("running_mean, running_var", 2 * C, "buffer", "running statistics: buffers, not parameters"))
            terms.append(Term("num_batches_tracked", sympy.Integer(1), "buffer", "one integer counter buffer"))
    return Formula(tuple(terms), ((C, _size(layer, "features", "features")),))


def _layernorm(layer: Layer, framework: str) -> Formula:
    C = SIZES["C"]
    terms = []
    keras = framework == "keras"
    if layer.option("scale", True):
        terms.append(Term("gamma (C)" if keras else "weight (normalized_shape)", C, "trainable", "a learned scale per normalised element"))
    if layer.option("center", True):
        terms.append(Term("beta (C)" if keras else "bias (normalized_shape)", C, "trainable", "a learned shift per normalised element"))
    shape = layer.option("normalized_shape")
    features = prod(shape) if shape else None
    return Formula(tuple(terms), ((C, features),))


def _conv_transpose(layer: Layer, framework: str) -> Formula:
    kernel = layer.option("kernel")
    k_syms = tuple(SIZES[name] for name in _KERNEL_SYMBOLS[len(kernel)])
    c_in, c_out, g = SIZES["c_in"], SIZES["c_out"], SIZES["g"]
    groups = _size(layer, "groups", "groups") or 1
    G = g if groups > 1 else sympy.Integer(1)
    ks = ", ".join(map(str, k_syms))
    per_group = "c_out/g" if groups > 1 else "c_out"
    name = f"kernel ({ks}, c_out, c_in)" if framework == "keras" else f"weight (c_in, {per_group}, {ks})"
    terms = [Term(name, c_in * (c_out / G) * sympy.Mul(*k_syms), "trainable", f"each of c_in inputs spreads over a {' × '.join(map(str, k_syms))} window of {per_group} outputs")]
    if layer.option("bias", True):
        terms.append(Term("bias (c_out)", c_out, "trainable", "one bias per output channel"))
    sizes = [(c_in, _size(layer, "in_channels", "input channels")), (c_out, _size(layer, "filters", "filters / out_channels")), *zip(k_syms, kernel)]
    if groups > 1:
        sizes.append((g, groups))
    return Formula(tuple(terms), tuple(sizes))


def _depthwise(layer: Layer, framework: str) -> Formula:
    """Keras DepthwiseConv / SeparableConv: m filters per input channel, then (separable) a 1x1 mix."""
    kernel = layer.option("kernel")
    k_syms = tuple(SIZES[name] for name in _KERNEL_SYMBOLS[len(kernel)])
    c_in, c_out, m = SIZES["c_in"], SIZES["c_out"], SIZES["m"]
    ks = ", ".join(map(str, k_syms))
    window = sympy.Mul(*k_syms)
    terms = [Term(f"depthwise_kernel ({ks}, c_in, m)", c_in * m * window, "trainable", f"m filters of {' × '.join(map(str, k_syms))} per input channel, each reading only its channel")]
    separable = layer.kind == "separable_conv"
    if separable:
        terms.append(Term("pointwise_kernel (1, .., c_in*m, c_out)", c_in * m * c_out, "trainable", "a 1 × 1 convolution mixing the c_in·m depthwise outputs into c_out"))
    if layer.option("bias", True):
        terms.append(Term("bias (c_out)" if separable else "bias (c_in*m)", c_out if separable else c_in * m, "trainable", "one bias per output channel"))
    sizes = [(c_in, _size(layer, "in_channels", "input channels")), (m, _size(layer, "multiplier", "depth_multiplier")), *zip(k_syms, kernel)]
    if separable:
        sizes.append((c_out, _size(layer, "filters", "filters")))
    return Formula(tuple(terms), tuple(sizes))


def _groupnorm(layer: Layer, framework: str) -> Formula:
    C = SIZES["C"]
    keras = framework == "keras"
    terms = []
    if layer.option("scale", True):
        terms.append(Term("gamma (C)" if keras else "weight (C)", C, "trainable", "a learned scale per channel (shared statistics per group)"))
    if layer.option("center", True):
        terms.append(Term("beta (C)" if keras else "bias (C)", C, "trainable", "a learned shift per channel"))
    return Formula(tuple(terms), ((C, _size(layer, "features", "channels")),))


def _attention(layer: Layer, framework: str) -> Formula:
    if layer.dialect == "keras":
        return _keras_mha(layer)
    return Formula(tuple(_torch_mha_terms(layer, "")), ((SIZES["E"], _size(layer, "embed_dim", "embed_dim")), (SIZES["E_k"], layer.option("kdim") or layer.option("embed_dim")), (SIZES["E_v"], layer.option("vdim") or layer.option("embed_dim"))))


def _keras_mha(layer: Layer) -> Formula:
    """Keras MultiHeadAttention: query, key, value and output dense layers over (heads, size) axes."""
    H, d_k, d_v = SIZES["H"], SIZES["d_k"], SIZES["d_v"]
    E_q, E_k, E_v, E_o = SIZES["E_q"], SIZES["E_k"], SIZES["E_v"], SIZES["E_o"]
    bias = layer.option("bias", True)
    terms = []
    for label, features, size in (("query", E_q, d_k), ("key", E_k, d_k), ("value", E_v, d_v)):
        terms.append(Term(f"{label}/kernel ({features}, H, {size})", features * H * size, "trainable", f"{label} projection: {features} inputs to H heads of {size}"))
        if bias:
            terms.append(Term(f"{label}/bias (H, {size})", H * size, "trainable", f"one bias per head and {label} unit"))
    terms.append(Term("attention_output/kernel (H, d_v, E_o)", H * d_v * E_o, "trainable", "output projection: H heads of d_v to E_o"))
    if bias:
        terms.append(Term("attention_output/bias (E_o)", E_o, "trainable", "one bias per output feature"))
    value_dim = layer.option("value_dim") or layer.option("key_dim")
    query, key, value = layer.option("query_features"), layer.option("key_features"), layer.option("value_features")
    sizes = (
        (H, _size(layer, "heads", "num_heads")),
        (d_k, _size(layer, "key_dim", "key_dim")),
        (d_v, value_dim),
        (E_q, query),
        (E_k, key),
        (E_v, value),
        (E_o, layer.option("output_dim") or query),
    )
    return Formula(tuple(terms), sizes)


def _torch_mha_terms(layer: Layer, prefix: str, *, times: sympy.Expr = sympy.Integer(1), where: str = "") -> list[Term]:
    """nn.MultiheadAttention: one packed (3E, E) in-projection when kdim = vdim = E, else three."""
    E, E_k, E_v = SIZES["E"], SIZES["E_k"], SIZES["E_v"]
    bias = layer.option("bias", True)
    embed = layer.option("embed_dim")
    packed = (layer.option("kdim") or embed) == embed and (layer.option("vdim") or embed) == embed
    terms = []
    if packed:
        terms.append(Term(f"{prefix}in_proj_weight (3E, E)", times * 3 * E**2, "trainable", f"query, key and value projections packed in one matrix{where}"))
    else:
        terms.append(Term(f"{prefix}q_proj_weight, k_proj_weight, v_proj_weight", times * E * (E + E_k + E_v), "trainable", f"E × E, E × E_k, E × E_v projections{where}"))
    if bias:
        terms.append(Term(f"{prefix}in_proj_bias (3E)", times * 3 * E, "trainable", f"query, key and value biases{where}"))
    if layer.option("bias_kv"):
        terms.append(Term(f"{prefix}bias_k, bias_v (1, 1, E)", times * 2 * E, "trainable", f"a learned key and value appended to the sequence{where}"))
    terms.append(Term(f"{prefix}out_proj.weight (E, E)", times * E**2, "trainable", f"output projection{where}"))
    if bias:
        terms.append(Term(f"{prefix}out_proj.bias (E)", times * E, "trainable", f"output bias{where}"))
    return terms


def _transformer_block(layer: Layer, decoder: bool, times: sympy.Expr, where: str, prefix: str = "") -> list[Term]:
    E, F = SIZES["E"], SIZES["F"]
    bias = layer.option("bias", True)
    terms = _torch_mha_terms(layer, f"{prefix}self_attn.", times=times, where=where)
    if decoder:
        terms += _torch_mha_terms(layer, f"{prefix}multihead_attn.", times=times, where=where)
    terms.append(Term(f"{prefix}linear1.weight (F, E), linear2.weight (E, F)", times * 2 * E * F, "trainable", f"the feed-forward block E → F → E{where}"))
    if bias:
        terms.append(Term(f"{prefix}linear1.bias (F), linear2.bias (E)", times * (F + E), "trainable", f"feed-forward biases{where}"))
    norms = 3 if decoder else 2
    terms.append(Term(f"{prefix}norm1..{norms} weight" + (" and bias" if bias else ""), times * norms * (2 if bias else 1) * E, "trainable", f"{norms} LayerNorms over E{where}"))
    return terms


def _transformer(layer: Layer, framework: str) -> Formula:
    E, F = SIZES["E"], SIZES["F"]
    sizes: list[tuple[sympy.Symbol, int | None]] = [(E, _size(layer, "embed_dim", "d_model")), (F, _size(layer, "feedforward", "dim_feedforward"))]
    if layer.kind in ("transformer_encoder", "transformer_decoder"):
        decoder = layer.kind == "transformer_decoder"
        repeats = _size(layer, "repeats", "num_layers") or 1
        if repeats == 1:
            return Formula(tuple(_transformer_block(layer, decoder, sympy.Integer(1), "")), tuple(sizes))
        N = SIZES["N_d"] if decoder else SIZES["N_e"]  # nn.TransformerEncoder: N deep copies of the layer
        terms = _transformer_block(layer, decoder, N, f" × {N} layers", "layers.k.")
        return Formula(tuple(terms), (*sizes, (N, repeats)))
    N_e, N_d = SIZES["N_e"], SIZES["N_d"]
    bias = layer.option("bias", True)
    terms = _transformer_block(layer, False, N_e, " × N_e encoder layers", "encoder.layers.k.")
    terms.append(Term("encoder.norm", (2 if bias else 1) * E, "trainable", "the encoder's final LayerNorm"))
    terms += _transformer_block(layer, True, N_d, " × N_d decoder layers", "decoder.layers.k.")
    terms.append(Term("decoder.norm", (2 if bias else 1) * E, "trainable", "the decoder's final LayerNorm"))
    sizes += [(N_e, _size(layer, "encoder_layers", "num_encoder_layers")), (N_d, _size(layer, "decoder_layers", "num_decoder_layers"))]
    return Formula(tuple(terms), tuple(sizes))


def _dot_attention(layer: Layer, framework: str) -> Formula:
    terms = []
    if layer.option("additive"):
        E = SIZES["E_q"]
        if layer.option("use_scale", True):
            terms.append(Term("scale (E_q)", E, "trainable", "a learned scale per feature of the additive score"))
        return Formula(tuple(terms), ((E, layer.option("query_features")),))
    if layer.option("use_scale"):
        terms.append(Term("scale ()", sympy.Integer(1), "trainable", "one learned scalar multiplying the scores"))
    if layer.option("score_mode") == "concat":
        terms.append(Term("concat_score_weight ()", sympy.Integer(1), "trainable", "one learned scalar of the concat score"))
    return Formula(tuple(terms), ())


def _zero(layer: Layer, framework: str) -> Formula:
    return Formula((), ())


_BUILDERS = {
    "dense": _dense,
    "embedding": _embedding,
    "rnn": _recurrent,
    "lstm": _recurrent,
    "gru": _recurrent,
    "conv": _conv,
    "conv_transpose": _conv_transpose,
    "depthwise_conv": _depthwise,
    "separable_conv": _depthwise,
    "groupnorm": _groupnorm,
    "attention": _attention,
    "dot_attention": _dot_attention,
    "transformer_encoder": _transformer,
    "transformer_decoder": _transformer,
    "transformer": _transformer,
    "batchnorm": _batchnorm,
    "layernorm": _layernorm,
    "input": _zero,
    "pool": _zero,
    "global_pool": _zero,
    "adaptive_pool": _zero,
    "flatten": _zero,
    "reshape": _zero,
    "dropout": _zero,
    "activation": _zero,
    "upsample": _zero,
    "zeropad": _zero,
    "crop": _zero,
    "merge": _zero,
    "permute": _zero,
    "repeat": _zero,
    "index": _zero,
}
