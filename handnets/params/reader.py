"""Read model-building code with ``ast`` (never executed) into a list of ``Layer``s.

Understood: Keras ``Sequential([...])``, ``model.add(...)``, ``Input(shape=...)``, functional
chains ``Dense(8)(x)``, ``input_shape=`` / ``input_length=``; PyTorch ``nn.Sequential(...)`` and
layer constructors anywhere (a module's ``__init__``). Arguments are read as literals: numbers,
strings, tuples, and names bound to literals earlier in the file (``vocab = 1000``) with ``+ - * //``
between integers. Anything inside ``Sequential``/``add`` that is not a known layer becomes a layer of
kind ``unknown``, and so does an unknown ``nn.X(...)`` or ``layers.X(...)``; the rest of the code
(training loops, prints) is ignored. Malformed code raises ``InvalidSpec`` naming the line.

Code is untrusted text: a NUL byte, an integer literal past Python's 4,300-digit limit, operators
chained 100,000 times, attributes nested past the recursion limit, or 99,000 layers each end in
one ``InvalidSpec`` with the reason, in time linear in the text (at most ``MAX_LAYERS`` layers are
read, and the tree is checked to be at most ``MAX_DEPTH`` deep, without recursion, before any
recursive reading).
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from handnets.errors import InvalidSpec
from handnets.params.layers import FRAMEWORKS, Layer

__all__ = ["ModelCode", "read_model", "read_models", "KERAS_LAYERS", "TORCH_LAYERS", "MAX_LAYERS", "MAX_DEPTH", "MAX_CODE_CHARACTERS"]

MAX_LAYERS = 2_000  # ResNet-152 written out call by call is about 500
MAX_DEPTH = 100  # syntax-tree levels; the readers below recurse a few frames per level
MAX_CODE_CHARACTERS = 256_000  # ast needs about 700 bytes per character of dense code: keep it under 200 MB
_MAX_INT = 10**15
_MAX_ITEMS = 64


@dataclass(frozen=True, slots=True)
class ModelCode:
    """The layers found in one piece of code, in source order, and the dialect it is written in."""

    layers: tuple[Layer, ...]
    dialect: str
    source: str = "<spec>"

    def __post_init__(self) -> None:
        if self.dialect not in FRAMEWORKS:
            raise ValueError(f"dialect must be keras or pytorch, got {self.dialect!r}")


@dataclass(frozen=True, slots=True)
class _Unreadable:
    text: str


class _Context:
    def __init__(self, source: str, constants: dict[str, Any], dialect: str):
        self.source = source
        self.constants = constants
        self.dialect = dialect

    def fail(self, node: ast.AST, message: str, field: str | None = None) -> InvalidSpec:
        """An error that names the line; ``field`` is kept on the exception, the line says where."""
        error = InvalidSpec(f"line {getattr(node, 'lineno', '?')}: {message}", source=self.source)
        error.field = field
        return error


def read_model(text: str, *, source: str = "<spec>", framework: str | None = None) -> ModelCode:
    """Find the layers in model code (or one constructor call) without running it.

    ``framework`` settles the dialect of bare names both frameworks use (``LSTM``, ``Embedding``)
    when the code's imports and other layers do not.

    >>> [layer.kind for layer in read_model("Sequential([Embedding(1000, 16), LSTM(32), Dense(1)])").layers]
    ['embedding', 'lstm', 'dense']
    >>> read_model("nn.LSTM(7, 13, num_layers=2)").layers[0].options[:2]
    (('input_size', 7), ('units', 13))
    """
    if not isinstance(text, str):
        raise InvalidSpec(f"expected model code as text, got {type(text).__name__}", source=source)
    if len(text) > MAX_CODE_CHARACTERS:
        raise InvalidSpec(f"code of {len(text):,} characters is longer than the {MAX_CODE_CHARACTERS:,} allowed", source=source)
    tree = _parse(text, source)
    dialect = _file_dialect(tree, framework)
    context = _Context(source, {}, dialect)
    context.constants = _constants(tree, context)
    collector = _Collector(context)
    try:
        collector.visit(tree)
    except RecursionError:  # _check_depth should make this unreachable; never a traceback for input
        raise InvalidSpec(f"code nested too deeply to read (more than {MAX_DEPTH} levels)", source=source) from None
    return ModelCode(tuple(collector.layers), dialect, source)


def _parse(text: str, source: str) -> ast.Module:
    """``ast.parse`` with every way it can fail on hostile text turned into one reason."""
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InvalidSpec(f"line {line}: a NUL byte: this is not Python source text", source=source)
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like: the code's business, not ours
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=source)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "") if exc.lineno else "somewhere"
        message = exc.msg
        if "integer string conversion" in message or "Exceeds the limit" in message:
            message = "an integer literal of more than 4,300 digits"
        line = (exc.text or "").strip()
        shown = f": {line[:80]}" if line else ""
        raise InvalidSpec(f"{where}: not valid Python ({message[:200]}){shown}", source=source) from None
    except RecursionError:
        raise InvalidSpec(
            f"expressions nested or chained too deeply to parse (more than {MAX_DEPTH} levels, e.g. a+a+a+... "
            "thousands of times)",
            source=source,
        ) from None
    except MemoryError:
        raise InvalidSpec("too large to parse in the memory allowed", source=source) from None
    except (ValueError, OverflowError) as exc:
        raise InvalidSpec(f"cannot be parsed: {str(exc)[:200] or type(exc).__name__}", source=source) from None
    _check_depth(tree, source)
    return tree


def _check_depth(tree: ast.AST, source: str) -> None:
    """Refuse trees deeper than ``MAX_DEPTH`` (walked with a stack, so the check itself cannot recurse)."""
    stack = [(tree, 0, 1)]
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)  # contexts (Load, Store) carry no line: the parent's
        if depth > MAX_DEPTH:
            raise InvalidSpec(f"line {line}: expressions nested or chained more than {MAX_DEPTH} levels deep", source=source)
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))


def read_models(texts: Sequence[tuple[str, str]], *, framework: str | None = None) -> ModelCode:
    """Read several pieces of code (``(source, text)`` pairs) as one model, layers in order."""
    models = [read_model(text, source=source, framework=framework) for source, text in texts]
    if not models:
        raise InvalidSpec("no model code given")
    if sum(len(m.layers) for m in models) > MAX_LAYERS:
        raise InvalidSpec(f"more than {MAX_LAYERS:,} layers in all: this reader counts hand-written models")
    dialects = {m.dialect for m in models if m.layers}
    dialect = framework if framework in FRAMEWORKS else (dialects.pop() if len(dialects) == 1 else models[0].dialect)
    return ModelCode(tuple(layer for m in models for layer in m.layers), dialect, ", ".join(m.source for m in models))


# --- dialect -----------------------------------------------------------------------------------


def _file_dialect(tree: ast.Module, framework: str | None) -> str:
    torch = keras = 0
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Call):
            dotted = _dotted(node.func)
            if dotted:
                prefix, _, name = dotted.rpartition(".")
                torch += _prefix_dialect(prefix) == "pytorch" or (not prefix and name in _TORCH_ONLY)
                keras += _prefix_dialect(prefix) == "keras" or (not prefix and name in _KERAS_ONLY)
        for module in modules:
            root = module.split(".")[0]
            torch += 10 * (root == "torch")
            keras += 10 * (root in ("keras", "tensorflow", "tf_keras"))
    if torch > keras:
        return "pytorch"
    if keras > torch:
        return "keras"
    return framework if framework in FRAMEWORKS else "keras"


def _prefix_dialect(prefix: str) -> str | None:
    parts = prefix.split(".") if prefix else []
    if not parts:
        return None
    if parts[-1] == "nn" or parts[0] == "torch":
        return "pytorch"
    if parts[-1] == "layers" or "keras" in parts:
        return "keras"
    return None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


# --- literals ----------------------------------------------------------------------------------


def _constants(tree: ast.Module, context: _Context) -> dict[str, Any]:
    """Names bound once to a literal (``vocab_size = 1000``); names bound twice are not trusted."""
    seen: dict[str, int] = {}
    candidates: list[tuple[str, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    seen[target.id] = seen.get(target.id, 0) + 1
                    candidates.append((target.id, node.value))
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name):
            seen[node.target.id] = seen.get(node.target.id, 0) + 1
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                candidates.append((node.target.id, node.value))
    constants: dict[str, Any] = {}
    for _ in range(3):  # names defined through other names: a few rounds settle them
        for name, value_node in candidates:
            if seen[name] == 1 and name not in constants:
                probe = _Context(context.source, constants, context.dialect)
                value = _literal(value_node, probe)
                if not _contains_unreadable(value):
                    constants[name] = value
    return constants


def _contains_unreadable(value: Any) -> bool:
    if isinstance(value, _Unreadable):
        return True
    if isinstance(value, tuple):
        return any(_contains_unreadable(v) for v in value)
    return False


def _literal(node: ast.AST, context: _Context, depth: int = 0) -> Any:
    """A literal value, or ``_Unreadable`` for anything that would need running code."""
    if depth > 8:
        return _Unreadable("too deeply nested")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float, str, bool)) or node.value is None:
            if isinstance(node.value, int) and not isinstance(node.value, bool) and abs(node.value) > _MAX_INT:
                return _Unreadable(f"{node.value} is too large")
            return node.value
        return _Unreadable(repr(node.value)[:40])
    if isinstance(node, (ast.Tuple, ast.List)):
        if len(node.elts) > _MAX_ITEMS:
            return _Unreadable(f"a sequence of {len(node.elts)} items")
        return tuple(_literal(e, context, depth + 1) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, context, depth + 1)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
        left, right = _literal(node.left, context, depth + 1), _literal(node.right, context, depth + 1)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (left, right)):
            if isinstance(node.op, ast.FloorDiv) and right == 0:
                return _Unreadable("division by zero")
            result = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right, ast.Mult: lambda: left * right, ast.FloorDiv: lambda: left // right}[type(node.op)]()
            return result if abs(result) <= _MAX_INT else _Unreadable("a number that is too large")
    if isinstance(node, ast.Name) and node.id in context.constants:
        return context.constants[node.id]
    return _Unreadable(_snippet(node))


def _snippet(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # unparse of odd nodes: only for messages
        text = type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


# --- collecting layers -------------------------------------------------------------------------

_CONTAINERS = {"Sequential", "ModuleList"}
_NOT_LAYERS = {"Module", "Parameter", "ParameterList", "ParameterDict", "ModuleDict", "Model", "Layer", "InputSpec"}


class _Collector(ast.NodeVisitor):
    def __init__(self, context: _Context):
        self.context = context
        self.layers: list[Layer] = []

    def visit_Call(self, node: ast.Call) -> None:
        dotted = _dotted(node.func)
        if dotted is None:
            self.generic_visit(node)
            return
        prefix, _, name = dotted.rpartition(".")
        if name in _CONTAINERS and (not prefix or _prefix_dialect(prefix) or prefix in ("keras", "models", "tf.keras")):
            self._container(node)
        elif name == "add" and prefix and len(node.args) == 1 and _looks_like_layer(node.args[0]):
            self._add(node.args[0], explicit=True)
        elif self._is_layer_call(prefix, name):
            self._add(node, explicit=True)
        else:
            self.generic_visit(node)

    def _is_layer_call(self, prefix: str, name: str) -> bool:
        known = name in KERAS_LAYERS or name in TORCH_LAYERS or name == "Bidirectional"
        if not prefix:
            return known
        if _prefix_dialect(prefix) is None:
            return False
        if prefix.split(".")[-1] in ("nn", "layers"):
            # a layer namespace: unknown capitalised names there are layers this reader cannot count
            return known or (name[:1].isupper() and name not in _NOT_LAYERS)
        return known  # keras.Input, tf.keras.layers... but never keras.optimizers.Adam

    def _container(self, node: ast.Call) -> None:
        elements: list[ast.AST] = []
        for arg in node.args:
            if isinstance(arg, (ast.List, ast.Tuple)):
                elements.extend(arg.elts)
            elif isinstance(arg, ast.Call) and _dotted(arg.func) in ("OrderedDict", "collections.OrderedDict") and arg.args:
                pairs = arg.args[0]
                if isinstance(pairs, (ast.List, ast.Tuple)):
                    elements.extend(p.elts[1] for p in pairs.elts if isinstance(p, ast.Tuple) and len(p.elts) == 2)
            else:
                elements.append(arg)
        for keyword in node.keywords:
            if keyword.arg == "layers" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                elements.extend(keyword.value.elts)
        for element in elements:
            self._add(element, explicit=True)

    def _add(self, node: ast.AST, *, explicit: bool) -> None:
        if len(self.layers) >= MAX_LAYERS:  # stop at once: reading 99,000 layers would take minutes
            raise self.context.fail(node, f"more than {MAX_LAYERS:,} layers: this reader counts hand-written models")
        if isinstance(node, ast.Starred):
            self.layers.append(_unknown(node, _snippet(node), self.context))
            return
        if not isinstance(node, ast.Call):
            if explicit:
                self.layers.append(_unknown(node, _snippet(node), self.context))
            return
        dotted = _dotted(node.func)
        if dotted is None:
            # ``Dense(8)(x)`` or ``make_layer()(x)``: the layer is the inner call
            self.generic_visit(node)
            return
        prefix, _, name = dotted.rpartition(".")
        if name in _CONTAINERS:
            self._container(node)
            return
        self.layers.append(_build_layer(node, prefix, name, self.context))


def _looks_like_layer(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    dotted = _dotted(node.func)
    return dotted is not None and dotted.rpartition(".")[2][:1].isupper()


def _unknown(node: ast.AST, name: str, context: _Context) -> Layer:
    return Layer("unknown", name, context.dialect, (), getattr(node, "lineno", 0), _snippet(node))


def _call_dialect(prefix: str, name: str, context: _Context) -> str:
    dialect = _prefix_dialect(prefix)
    if dialect:
        return dialect
    if name in _KERAS_ONLY:
        return "keras"
    if name in _TORCH_ONLY:
        return "pytorch"
    return context.dialect


def _build_layer(node: ast.Call, prefix: str, name: str, context: _Context) -> Layer:
    dialect = _call_dialect(prefix, name, context)
    if name == "Bidirectional" and dialect == "keras":
        return _bidirectional(node, name, context)
    ambiguous = not _prefix_dialect(prefix) and name in KERAS_LAYERS and name in TORCH_LAYERS
    if not ambiguous:
        return _construct(node, name, dialect, context)
    # A bare name both frameworks use (LSTM, Embedding): the file's dialect first; if the call does
    # not fit that signature (``LSTM(32)`` lacks PyTorch's hidden_size), the other framework's.
    try:
        return _construct(node, name, dialect, context)
    except InvalidSpec as first:
        other = "pytorch" if dialect == "keras" else "keras"
        try:
            return _construct(node, name, other, context)
        except InvalidSpec:
            raise first from None


def _construct(node: ast.Call, name: str, dialect: str, context: _Context) -> Layer:
    table = KERAS_LAYERS if dialect == "keras" else TORCH_LAYERS
    entry = table.get(name)
    if entry is None:
        return Layer("unknown", name, dialect, (), node.lineno, _snippet(node))
    kind, parameters, normalise = entry
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        raise context.fail(node, f"{name}: *args and **kwargs cannot be read without running the code")
    if len(node.args) > len(parameters):
        raise context.fail(node, f"{name} takes at most {len(parameters)} positional arguments ({', '.join(parameters) or 'none'}), got {len(node.args)}")
    raw: dict[str, ast.AST] = dict(zip(parameters, node.args))
    for keyword in node.keywords:
        if keyword.arg in raw:
            raise context.fail(node, f"{name}: {keyword.arg} given twice", field=keyword.arg)
        raw[keyword.arg] = keyword.value
    args = _Args(name, node, raw, context)
    options = normalise(args)
    options = {key: value for key, value in options.items() if value is not None}
    return Layer(kind, name, dialect, tuple(options.items()), node.lineno, _snippet(node))


class _Args:
    """The arguments of one call, read on demand so that unreadable unused ones do no harm."""

    def __init__(self, name: str, node: ast.Call, raw: dict[str, ast.AST], context: _Context):
        self.name, self.node, self.raw, self.context = name, node, raw, context

    def present(self, key: str) -> bool:
        return key in self.raw

    def value(self, key: str, default: Any = None) -> Any:
        if key not in self.raw:
            return default
        value = _literal(self.raw[key], self.context)
        if _contains_unreadable(value):
            raise self.context.fail(self.node, f"{self.name}: {key}={_snippet(self.raw[key])} is not a literal this reader can evaluate", field=key)
        return value

    def soft(self, key: str, default: Any = None) -> Any:
        """A value that only matters for display; unreadable becomes the default."""
        if key not in self.raw:
            return default
        value = _literal(self.raw[key], self.context)
        return default if _contains_unreadable(value) else value

    def integer(self, key: str, default: Any = None, *, least: int = 1) -> Any:
        value = self.value(key, default)
        if value is None or value is default:
            return value
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise self.context.fail(self.node, f"{self.name}: {key} must be an integer >= {least}, got {value!r}", field=key)
        return value

    def required(self, key: str) -> int:
        if key not in self.raw:
            raise self.context.fail(self.node, f"{self.name} needs {key}", field=key)
        return self.integer(key)

    def flag(self, key: str, default: bool) -> bool:
        value = self.value(key, default)
        if not isinstance(value, bool):
            raise self.context.fail(self.node, f"{self.name}: {key} must be True or False, got {value!r}", field=key)
        return value

    def tuple_of(self, key: str, rank: int, default: Any, *, least: int = 1) -> tuple[int, ...] | None:
        value = self.value(key, default)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = (value,) * rank
        if not isinstance(value, tuple) or len(value) != rank or not all(isinstance(v, int) and not isinstance(v, bool) and v >= least for v in value):
            raise self.context.fail(self.node, f"{self.name}: {key} must be an integer >= {least} or {rank} of them, got {value!r}", field=key)
        return value

    def padding(self, key: str, rank: int, default: Any) -> Any:
        value = self.value(key, default)
        if isinstance(value, str):
            lowered = value.lower()
            if lowered not in ("valid", "same"):
                raise self.context.fail(self.node, f"{self.name}: {key} must be 'valid', 'same' or integers, got {value!r}", field=key)
            return lowered
        return self.tuple_of(key, rank, default, least=0)

    def shape(self, key: str) -> tuple[int, ...] | None:
        value = self.value(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = (value,)
        if not isinstance(value, tuple) or not all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1) for v in value):
            raise self.context.fail(self.node, f"{self.name}: {key} must be a tuple of positive integers, got {value!r}", field=key)
        return value


# --- the two tables of constructors --------------------------------------------------------------

Normaliser = Callable[[_Args], dict[str, Any]]


def _keras_common(args: _Args) -> dict[str, Any]:
    shape = args.shape("input_shape")
    batch_shape = args.shape("batch_input_shape")
    if shape is None and batch_shape:
        shape = batch_shape[1:]
    if shape is None and args.present("input_dim") and args.name not in ("Embedding",):
        shape = (args.integer("input_dim"),)
    return {"input_shape": shape}


def _k_dense(args: _Args) -> dict[str, Any]:
    return {"units": args.required("units"), "bias": args.flag("use_bias", True), **_keras_common(args)}


def _k_embedding(args: _Args) -> dict[str, Any]:
    out = {"input_dim": args.required("input_dim"), "output_dim": args.required("output_dim"), "input_length": args.integer("input_length")}
    shape = args.shape("input_shape")
    return {**out, "input_shape": shape}


def _k_recurrent(args: _Args) -> dict[str, Any]:
    common = _keras_common(args)
    if args.present("input_dim") and not args.present("input_shape"):
        # Keras 1/2's input_dim / input_length on a recurrent layer: (timesteps, features)
        common["input_shape"] = (args.integer("input_length"), args.integer("input_dim"))
    out = {
        "units": args.required("units"),
        "bias": args.flag("use_bias", True),
        "return_sequences": args.flag("return_sequences", False),
        **common,
    }
    if args.name == "GRU":
        out["reset_after"] = args.flag("reset_after", True)
    return out


def _k_conv(rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        return {
            "rank": rank,
            "filters": args.required("filters"),
            "kernel": args.tuple_of("kernel_size", rank, None) or _missing(args, "kernel_size"),
            "stride": args.tuple_of("strides", rank, 1),
            "padding": args.padding("padding", rank, "valid"),
            "dilation": args.tuple_of("dilation_rate", rank, 1),
            "groups": args.integer("groups", 1),
            "bias": args.flag("use_bias", True),
            "data_format": args.soft("data_format"),
            **_keras_common(args),
        }

    return normalise


def _k_pool(op: str, rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        size = args.tuple_of("pool_size", rank, 2)
        return {
            "op": op,
            "rank": rank,
            "kernel": size,
            "stride": args.tuple_of("strides", rank, None) or size,
            "padding": args.padding("padding", rank, "valid"),
            "data_format": args.soft("data_format"),
            **_keras_common(args),
        }

    return normalise


def _k_global_pool(op: str, rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        return {"op": op, "rank": rank, "keepdims": args.flag("keepdims", False), "data_format": args.soft("data_format"), **_keras_common(args)}

    return normalise


def _k_batchnorm(args: _Args) -> dict[str, Any]:
    axis = args.value("axis", -1)
    return {"axis": axis, "center": args.flag("center", True), "scale": args.flag("scale", True), **_keras_common(args)}


def _k_layernorm(args: _Args) -> dict[str, Any]:
    axis = args.value("axis", -1)
    if axis not in (-1, (-1,)):
        raise args.context.fail(args.node, f"{args.name}: only axis=-1 (the last axis) is supported, got {axis!r}", field="axis")
    return {"center": args.flag("center", True), "scale": args.flag("scale", True), **_keras_common(args)}


def _k_input(args: _Args) -> dict[str, Any]:
    shape = args.shape("shape")
    if shape is None:
        shape = args.shape("input_shape")
    if shape is None and args.present("batch_shape"):
        shape = (args.shape("batch_shape") or (None,))[1:]
    if shape is None:
        raise args.context.fail(args.node, f"{args.name} needs shape=", field="shape")
    return {"shape": shape}


def _k_reshape(args: _Args) -> dict[str, Any]:
    value = args.value("target_shape")
    if value is None:
        _missing(args, "target_shape")
    if isinstance(value, int):
        value = (value,)
    if not isinstance(value, tuple) or not all(isinstance(v, int) and not isinstance(v, bool) and (v >= 1 or v == -1) for v in value):
        raise args.context.fail(args.node, f"{args.name}: target_shape must be a tuple of positive integers (one may be -1), got {value!r}")
    return {"target_shape": value, **_keras_common(args)}


def _k_plain(args: _Args) -> dict[str, Any]:
    return _keras_common(args)


def _missing(args: _Args, key: str) -> Any:
    raise args.context.fail(args.node, f"{args.name} needs {key}", field=key)


def _t_linear(args: _Args) -> dict[str, Any]:
    return {"input_size": args.required("in_features"), "units": args.required("out_features"), "bias": args.flag("bias", True)}


def _t_embedding(args: _Args) -> dict[str, Any]:
    return {"input_dim": args.required("num_embeddings"), "output_dim": args.required("embedding_dim")}


def _t_recurrent(args: _Args) -> dict[str, Any]:
    out = {
        "input_size": args.required("input_size"),
        "units": args.required("hidden_size"),
        "num_layers": args.integer("num_layers", 1),
        "bias": args.flag("bias", True),
        "batch_first": args.flag("batch_first", False),
        "bidirectional": args.flag("bidirectional", False),
        "return_sequences": True,
    }
    if args.name == "LSTM":
        out["proj_size"] = args.integer("proj_size", 0, least=0)
    return out


def _t_conv(rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        return {
            "rank": rank,
            "in_channels": args.required("in_channels"),
            "filters": args.required("out_channels"),
            "kernel": args.tuple_of("kernel_size", rank, None) or _missing(args, "kernel_size"),
            "stride": args.tuple_of("stride", rank, 1),
            "padding": args.padding("padding", rank, 0),
            "dilation": args.tuple_of("dilation", rank, 1),
            "groups": args.integer("groups", 1),
            "bias": args.flag("bias", True),
        }

    return normalise


def _t_pool(op: str, rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        size = args.tuple_of("kernel_size", rank, None) or _missing(args, "kernel_size")
        return {
            "op": op,
            "rank": rank,
            "kernel": size,
            "stride": args.tuple_of("stride", rank, None) or size,
            "padding": args.padding("padding", rank, 0),
            "dilation": args.tuple_of("dilation", rank, 1),
            "ceil_mode": args.flag("ceil_mode", False),
        }

    return normalise


def _t_adaptive(op: str, rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        return {"op": op, "rank": rank, "output_size": args.tuple_of("output_size", rank, None) or _missing(args, "output_size")}

    return normalise


def _t_batchnorm(args: _Args) -> dict[str, Any]:
    affine = args.flag("affine", True)
    return {"features": args.required("num_features"), "center": affine, "scale": affine, "track_running_stats": args.flag("track_running_stats", True)}


def _t_layernorm(args: _Args) -> dict[str, Any]:
    shape = args.shape("normalized_shape")
    if shape is None:
        _missing(args, "normalized_shape")
    affine = args.flag("elementwise_affine", True)
    return {"normalized_shape": shape, "scale": affine, "center": affine and args.flag("bias", True)}


def _t_flatten(args: _Args) -> dict[str, Any]:
    start = args.value("start_dim", 1)
    end = args.value("end_dim", -1)
    if not (isinstance(start, int) and isinstance(end, int)):
        raise args.context.fail(args.node, f"{args.name}: start_dim and end_dim must be integers")
    return {"start_dim": start, "end_dim": end}


def _t_plain(args: _Args) -> dict[str, Any]:
    return {}


_ACTIVATIONS_BOTH = ("ReLU", "Softmax", "LeakyReLU", "ELU")
_KERAS_ACTIVATIONS = _ACTIVATIONS_BOTH + ("Activation", "ThresholdedReLU")
_TORCH_ACTIVATIONS = _ACTIVATIONS_BOTH + ("Tanh", "Sigmoid", "LogSoftmax", "GELU", "SiLU", "Identity", "Hardtanh", "Softplus", "Mish", "ReLU6", "SELU", "CELU", "Hardswish", "Hardsigmoid", "Softsign", "Tanhshrink")

KERAS_LAYERS: dict[str, tuple[str, tuple[str, ...], Normaliser]] = {
    "Dense": ("dense", ("units", "activation", "use_bias"), _k_dense),
    "Embedding": ("embedding", ("input_dim", "output_dim"), _k_embedding),
    "SimpleRNN": ("rnn", ("units", "activation", "use_bias"), _k_recurrent),
    "LSTM": ("lstm", ("units", "activation", "recurrent_activation", "use_bias"), _k_recurrent),
    "GRU": ("gru", ("units", "activation", "recurrent_activation", "use_bias"), _k_recurrent),
    "Conv1D": ("conv", ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias"), _k_conv(1)),
    "Conv2D": ("conv", ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias"), _k_conv(2)),
    "BatchNormalization": ("batchnorm", ("axis", "momentum", "epsilon", "center", "scale"), _k_batchnorm),
    "LayerNormalization": ("layernorm", ("axis", "epsilon", "center", "scale"), _k_layernorm),
    "Flatten": ("flatten", ("data_format",), _k_plain),
    "Reshape": ("reshape", ("target_shape",), _k_reshape),
    "Input": ("input", ("shape", "batch_size", "name", "dtype"), _k_input),
    "InputLayer": ("input", ("input_shape", "batch_size", "dtype"), _k_input),
    "Dropout": ("dropout", ("rate", "noise_shape", "seed"), _k_plain),
    "SpatialDropout1D": ("dropout", ("rate",), _k_plain),
    "SpatialDropout2D": ("dropout", ("rate", "data_format"), _k_plain),
    "GaussianNoise": ("dropout", ("stddev",), _k_plain),
    "GaussianDropout": ("dropout", ("rate",), _k_plain),
    "AlphaDropout": ("dropout", ("rate",), _k_plain),
}
for _name in _KERAS_ACTIVATIONS:
    KERAS_LAYERS[_name] = ("activation", ("activation",) if _name == "Activation" else (), _k_plain)
for _rank in (1, 2):
    for _op, _names in (("max", ("MaxPooling", "MaxPool")), ("avg", ("AveragePooling", "AvgPool"))):
        for _base in _names:
            KERAS_LAYERS[f"{_base}{_rank}D"] = ("pool", ("pool_size", "strides", "padding", "data_format"), _k_pool(_op, _rank))
    for _op, _names in (("max", ("GlobalMaxPooling", "GlobalMaxPool")), ("avg", ("GlobalAveragePooling", "GlobalAvgPool"))):
        for _base in _names:
            KERAS_LAYERS[f"{_base}{_rank}D"] = ("global_pool", ("data_format",), _k_global_pool(_op, _rank))

TORCH_LAYERS: dict[str, tuple[str, tuple[str, ...], Normaliser]] = {
    "Linear": ("dense", ("in_features", "out_features", "bias"), _t_linear),
    "Embedding": ("embedding", ("num_embeddings", "embedding_dim", "padding_idx", "max_norm"), _t_embedding),
    "RNN": ("rnn", ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout", "bidirectional"), _t_recurrent),
    "LSTM": ("lstm", ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"), _t_recurrent),
    "GRU": ("gru", ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"), _t_recurrent),
    "Conv1d": ("conv", ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"), _t_conv(1)),
    "Conv2d": ("conv", ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"), _t_conv(2)),
    "BatchNorm1d": ("batchnorm", ("num_features", "eps", "momentum", "affine", "track_running_stats"), _t_batchnorm),
    "BatchNorm2d": ("batchnorm", ("num_features", "eps", "momentum", "affine", "track_running_stats"), _t_batchnorm),
    "LayerNorm": ("layernorm", ("normalized_shape", "eps", "elementwise_affine", "bias"), _t_layernorm),
    "Flatten": ("flatten", ("start_dim", "end_dim"), _t_flatten),
    "Dropout": ("dropout", ("p", "inplace"), _t_plain),
    "Dropout1d": ("dropout", ("p", "inplace"), _t_plain),
    "Dropout2d": ("dropout", ("p", "inplace"), _t_plain),
    "AlphaDropout": ("dropout", ("p", "inplace"), _t_plain),
}
for _name in _TORCH_ACTIVATIONS:
    TORCH_LAYERS[_name] = ("activation", ("dim",) if "Softmax" in _name else ("arg0", "arg1", "arg2"), _t_plain)
for _rank in (1, 2):
    TORCH_LAYERS[f"MaxPool{_rank}d"] = ("pool", ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"), _t_pool("max", _rank))
    TORCH_LAYERS[f"AvgPool{_rank}d"] = ("pool", ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"), _t_pool("avg", _rank))
    TORCH_LAYERS[f"AdaptiveAvgPool{_rank}d"] = ("adaptive_pool", ("output_size",), _t_adaptive("avg", _rank))
    TORCH_LAYERS[f"AdaptiveMaxPool{_rank}d"] = ("adaptive_pool", ("output_size", "return_indices"), _t_adaptive("max", _rank))

_KERAS_ONLY = (frozenset(KERAS_LAYERS) | {"Bidirectional"}) - frozenset(TORCH_LAYERS)
_TORCH_ONLY = frozenset(TORCH_LAYERS) - frozenset(KERAS_LAYERS)


def _bidirectional(node: ast.Call, name: str, context: _Context) -> Layer:
    """``Bidirectional(LSTM(32))``: the inner layer, twice (``bidirectional=True``), merged as asked."""
    inner_node = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "layer"), None)
    if not isinstance(inner_node, ast.Call) or _dotted(inner_node.func) is None:
        raise context.fail(node, f"{name} needs a recurrent layer written in place, e.g. Bidirectional(LSTM(32))", field="layer")
    inner_prefix, _, inner_name = _dotted(inner_node.func).rpartition(".")
    inner = _build_layer(inner_node, inner_prefix, inner_name, context)
    if inner.kind not in ("rnn", "lstm", "gru"):
        raise context.fail(node, f"{name} wraps a recurrent layer (SimpleRNN, LSTM, GRU), got {inner.name}", field="layer")
    merge = "concat"
    for position, keyword in ((1, "merge_mode"),):
        raw = node.args[position] if len(node.args) > position else next((k.value for k in node.keywords if k.arg == keyword), None)
        if raw is not None:
            merge = _literal(raw, context)
            if merge not in ("concat", "sum", "mul", "ave", None):
                raise context.fail(node, f"{name}: merge_mode must be 'concat', 'sum', 'mul', 'ave' or None, got {merge!r}", field="merge_mode")
    options = dict(inner.options)
    options.update(bidirectional=True, merge_mode=merge)
    outer_shape = _literal(next((k.value for k in node.keywords if k.arg == "input_shape"), ast.Constant(None)), context)
    if isinstance(outer_shape, tuple):
        options["input_shape"] = outer_shape
    return Layer(inner.kind, f"{name}({inner.name})", inner.dialect, tuple(options.items()), node.lineno, _snippet(node))
