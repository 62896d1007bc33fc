"""Read a trained model's weights from an untrusted file and find its RNN and output layer by PyTorch name.

Formats, told apart by their first bytes (the suffix only words the error):

- ``.safetensors``: read into numpy by the ``safetensors`` package, no torch needed;
- ``.npz``: each member read by numpy with ``allow_pickle=False``, its size bounded before it is
  decompressed (a zip bomb stops at the bound);
- a ``torch.save``d state dict (``.pt``, ``.pth``): only when torch is installed, and only with
  ``torch.load(..., weights_only=True)``, which refuses to unpickle anything but tensors and
  containers. Nothing is ever unpickled otherwise.

Tensors are found by name whatever the module prefix (``rnn.``, ``model.encoder.``, none):
``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` for each layer k, and one
``<prefix>weight`` (with an optional ``<prefix>bias``) of shape (1, H) as the output ``nn.Linear``.
The gate multiple of ``weight_hh`` tells the cell: H rows ``nn.RNN``, 3H ``nn.GRU``, 4H ``nn.LSTM``.
Anything that does not fit (two RNNs, two candidate output layers, tensors left over, a shape off
by one) is one ``InvalidWeights`` error that lists every tensor found with its shape.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping

import numpy as np

from handnets.errors import InvalidWeights
from handnets.safeio import display_name, read_bytes
from handnets.trained.model import Layer, TrainedRNN

__all__ = ["load_model", "model_from_tensors", "MAX_MODEL_BYTES", "MAX_HIDDEN", "MAX_LAYERS"]

MAX_MODEL_BYTES = 64_000_000  # a 100-unit RNN is 50 kB; a 1024-unit four-layer one about 30 MB
MAX_HIDDEN = 1024
MAX_LAYERS = 8
MAX_TENSORS = 256
_RNN_NAME = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<param>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d{1,3})(?P<reverse>_reverse)?$")
_CELLS = {1: "nn.RNN", 3: "nn.GRU", 4: "nn.LSTM"}
_STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model", "net", "module")


def load_model(path, *, nonlinearity: str = "relu") -> TrainedRNN:
    """The RNN and output layer in the model file at ``path``; ``InvalidWeights`` naming the file if not.

    >>> import tempfile, os, numpy as np
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "m.npz")
    >>> np.savez(p, **{"rnn.weight_ih_l0": np.ones((3, 2)), "rnn.weight_hh_l0": np.eye(3),
    ...                "fc.weight": np.ones((1, 3)), "fc.bias": np.zeros(1)})
    >>> load_model(p).hidden
    (3,)
    """
    source = display_name(path)
    data = read_bytes(path, limit=MAX_MODEL_BYTES, error=InvalidWeights, what="a model file (.safetensors, .npz, .pt)")
    tensors = _read_tensors(data, source, str(path))
    return model_from_tensors(tensors, source=source, nonlinearity=nonlinearity)


def _read_tensors(data: bytes, source: str, path: str) -> dict[str, np.ndarray]:
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise InvalidWeights(f"not a readable zip archive ({exc})", source=source) from None
        if any(name.endswith("data.pkl") for name in names):
            return _read_torch(data, source)
        return _read_npz(data, source)
    if len(data) >= 9 and data[8:9] == b"{":
        return _read_safetensors(data, source)
    if data[:1] == b"\x80":
        return _read_torch(data, source)
    raise InvalidWeights(  # the bytes are not echoed: a grader's feedback must not show a file's content
        "not a model file: expected .safetensors, .npz or a torch.save'd state dict", source=source
    )


def _read_safetensors(data: bytes, source: str) -> dict[str, np.ndarray]:
    try:
        from safetensors.numpy import load
    except ImportError:
        raise InvalidWeights("a .safetensors file needs the safetensors package (pip install safetensors)", source=source) from None
    try:
        return dict(load(data))
    except Exception as exc:  # the parser's own errors (SafetensorError, bfloat16 in numpy, ...): the file is bad
        raise InvalidWeights(f"not a readable .safetensors file: {str(exc)[:200]}", source=source) from None


def _read_npz(data: bytes, source: str) -> dict[str, np.ndarray]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = archive.infolist()
    if len(members) > MAX_TENSORS:
        raise InvalidWeights(f"holds {len(members)} arrays, more than the {MAX_TENSORS} allowed", source=source)
    tensors = {}
    budget = 4 * MAX_MODEL_BYTES
    for info in members:
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        try:
            with archive.open(info) as member:
                raw = member.read(budget + 1)  # never more than the bound, whatever the header claims
            if len(raw) > budget:
                raise InvalidWeights(f"array {name!r} decompresses to more than {budget:,} bytes", source=source)
            budget -= len(raw)
            tensors[name] = np.load(io.BytesIO(raw), allow_pickle=False)
        except InvalidWeights:
            raise
        except (ValueError, OSError, zipfile.BadZipFile, EOFError, RuntimeError) as exc:  # object arrays included
            raise InvalidWeights(f"array {name!r} cannot be read as a plain .npy array: {str(exc)[:200]}", source=source) from None
    return tensors


def _read_torch(data: bytes, source: str) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise InvalidWeights(
            "a torch.save'd file needs torch to read; without torch, save the state dict as .safetensors "
            "(safetensors.torch.save_file(model.state_dict(), 'model.safetensors'))",
            source=source,
        ) from None
    try:
        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # weights_only refuses modules and arbitrary objects: say so, no traceback
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise InvalidWeights(
            f"torch.load(weights_only=True) refused it ({first}); save model.state_dict(), not the model",
            source=source,
        ) from None
    state = _state_dict(loaded)
    if state is None:
        raise InvalidWeights(f"holds a {type(loaded).__name__}, expected a state dict of tensors", source=source)
    tensors = {}
    for name, value in state.items():
        if isinstance(value, torch.Tensor):
            if value.is_floating_point() and value.dtype not in (torch.float32, torch.float64, torch.float16):
                value = value.float()  # bfloat16 has no numpy dtype
            tensors[str(name)] = value.detach().cpu().numpy()
    return tensors


def _state_dict(loaded) -> Mapping | None:
    if isinstance(loaded, Mapping):
        inner = [loaded[key] for key in _STATE_DICT_KEYS if isinstance(loaded.get(key), Mapping)]
        if len(inner) == 1 and not any(_RNN_NAME.match(str(k)) for k in loaded):
            return inner[0]  # a checkpoint {"state_dict": ..., "epoch": ...}
        return loaded
    return None


def _listing(tensors: Mapping[str, np.ndarray]) -> str:
    shown = [f"{name} {'x'.join(map(str, np.shape(t))) or 'scalar'}" for name, t in list(tensors.items())[:24]]
    more = f", ... ({len(tensors) - 24} more)" if len(tensors) > 24 else ""
    return "found: " + (", ".join(shown) + more if shown else "no tensors")


def model_from_tensors(tensors: Mapping[str, np.ndarray], *, source: str = "", nonlinearity: str = "relu") -> TrainedRNN:
    """The RNN layers and output layer among named arrays (PyTorch state-dict names, any prefix)."""
    if len(tensors) > MAX_TENSORS:
        raise InvalidWeights(f"holds {len(tensors)} tensors, more than the {MAX_TENSORS} allowed", source=source)
    found = _listing(tensors)

    def fail(message: str):
        raise InvalidWeights(f"{message}; {found}", source=source)

    groups: dict[str, dict[tuple[str, int], str]] = {}
    for name in tensors:
        match = _RNN_NAME.match(name)
        if match:
            if match["reverse"]:
                fail(f"{name}: a bidirectional RNN, expected a one-directional one")
            if match["param"] == "weight_hr":
                fail(f"{name}: an LSTM with projections (proj_size), expected none")
            groups.setdefault(match["prefix"], {})[(match["param"], int(match["layer"]))] = name
    if not groups:
        fail("no recurrent layer: expected PyTorch names weight_ih_l0, weight_hh_l0 (bias_ih_l0, bias_hh_l0)")
    if len(groups) > 1:
        fail(f"several recurrent modules ({', '.join(repr(p.rstrip('.')) or 'no prefix' for p in sorted(groups))}), expected one")
    prefix, params = next(iter(groups.items()))
    depth = 1 + max(layer for _, layer in params)
    if depth > MAX_LAYERS:
        fail(f"{depth} layers, more than the {MAX_LAYERS} allowed")
    used = set(params.values())
    layer_list: list[Layer] = []
    for k in range(depth):
        gates, layer = _layer(tensors, params, prefix, k, layer_list[-1].hidden if layer_list else 2, fail)
        if layer is None:
            fail(f"{prefix}weight_hh_l{k} has {gates}H rows: an {_CELLS[gates]}; only nn.RNN (H rows) is evaluated so far")
        layer_list.append(layer)
    layer_list = tuple(layer_list)
    H = layer_list[-1].hidden
    W_out, b_out, out_names = _output_layer(tensors, used, H, fail)
    left = [name for name in tensors if name not in used | set(out_names)]
    if left:
        fail(f"tensors left over ({', '.join(left[:6])}): expected one nn.RNN and one nn.Linear(H, 1), nothing else")
    return TrainedRNN(
        layers=layer_list, W_out=W_out, b_out=b_out, nonlinearity=nonlinearity, source=source,
        names=tuple(sorted(used)) + tuple(out_names),
    )


def _float(tensors, name, fail) -> np.ndarray:
    value = tensors[name]
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        fail(f"{name}: expected floating-point numbers, got {getattr(value, 'dtype', type(value).__name__)}")
    if not np.all(np.isfinite(value)):
        fail(f"{name}: holds NaN or infinity")
    with np.errstate(over="ignore"):
        value32 = value.astype(np.float32)
    if not np.all(np.isfinite(value32)):
        fail(f"{name}: a value too large for float32")
    return value32


def _layer(tensors, params, prefix: str, k: int, below: int, fail) -> tuple[int, Layer]:
    names = {param: params.get((param, k)) for param in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    for param in ("weight_ih", "weight_hh"):
        if names[param] is None:
            fail(f"layer {k}: {prefix}{param}_l{k} is missing")
    W_ih = _float(tensors, names["weight_ih"], fail)
    W_hh = _float(tensors, names["weight_hh"], fail)
    if W_hh.ndim != 2 or not 1 <= W_hh.shape[1] <= MAX_HIDDEN:
        fail(f"{names['weight_hh']}: expected a (gates*H) x H matrix with 1 <= H <= {MAX_HIDDEN}, got {W_hh.shape}")
    H = W_hh.shape[1]
    gates, rest = divmod(W_hh.shape[0], H)
    if rest or gates not in _CELLS:
        fail(f"{names['weight_hh']}: {W_hh.shape[0]} rows for H = {H}, expected H (RNN), 3H (GRU) or 4H (LSTM)")
    if gates != 1:
        return gates, None  # type: ignore[return-value]
    if W_ih.ndim != 2 or W_ih.shape != (H, below):
        why = "2 inputs a_t, b_t" if k == 0 else f"the {below} units of layer {k - 1}"
        fail(f"layer {k}: {names['weight_ih']}: expected {H} x {below} ({why}), got {'x'.join(map(str, W_ih.shape))}")
    biases = []
    for param in ("bias_ih", "bias_hh"):
        if names[param] is None:
            biases.append(np.zeros(gates * H, dtype=np.float32))  # bias=False
            continue
        bias = _float(tensors, names[param], fail)
        if bias.shape != (gates * H,):
            fail(f"{names[param]}: expected {gates * H} entries, got shape {'x'.join(map(str, bias.shape)) or 'scalar'}")
        biases.append(bias)
    return gates, Layer(W_ih=W_ih, W_hh=W_hh, b_ih=biases[0], b_hh=biases[1])


def _output_layer(tensors, used: set[str], H: int, fail):
    candidates = [
        name for name in tensors
        if name not in used and (name == "weight" or name.endswith(".weight")) and np.ndim(tensors[name]) == 2
    ]
    fitting = [name for name in candidates if np.shape(tensors[name])[1] == H]
    if not fitting:
        fail(f"no output layer: expected one nn.Linear with weight of shape 1 x {H} (fc.weight, out.weight, ...)")
    if len(fitting) > 1:
        fail(f"several candidate output layers ({', '.join(fitting)}), expected one nn.Linear(H, 1)")
    weight_name = fitting[0]
    W_out = _float(tensors, weight_name, fail)
    if W_out.shape != (1, H):
        fail(f"{weight_name}: expected 1 x {H} (one output digit), got {'x'.join(map(str, W_out.shape))}")
    bias_name = weight_name[: -len("weight")] + "bias"
    if bias_name in tensors:
        b_out = _float(tensors, bias_name, fail)
        if b_out.shape != (1,):
            fail(f"{bias_name}: expected 1 entry, got shape {'x'.join(map(str, b_out.shape)) or 'scalar'}")
        return W_out, b_out, (weight_name, bias_name)
    return W_out, np.zeros(1, dtype=np.float32), (weight_name,)
