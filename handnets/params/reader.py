"""Read model-building code with ``ast`` (never executed) into a list of ``Layer``s.

Understood: Keras ``Sequential([...])``, ``model.add(...)``, ``Input(shape=...)``, the functional
API (``x = Conv2D(16, 3)(x)``, ``Add()([x, y])``, helper functions, loops over ``range``) and
subclassed models, ``input_shape=`` / ``input_length=``; PyTorch ``nn.Sequential(...)`` and
modules built in ``__init__`` and composed in ``forward`` (``handnets.params.flow`` follows the
tensors). Arguments are read as literals: numbers, strings, tuples, and names bound to literals
earlier in the file (``vocab = 1000``) with ``+ - * //`` between integers.

Never silently short: a constructor this reader cannot count (a bare name in a spec, inside
``Sequential``, applied to a tensor, assigned to ``self.x``, or imported from a layer namespace) is a
layer of kind ``unknown`` with the reason and the nearest known name (``LTSM``: did you mean
LSTM?); a keyword the framework's real constructor does not take (``handnets.params.signatures``)
is a problem of the layer, with the framework's spelling; ``Embedding(1,000, 16)`` gets a hint
that ``1,000`` is two arguments. The rest of the code (training loops, prints) is ignored.
Malformed code raises ``InvalidSpec`` naming the line.

Code is untrusted text: a NUL byte, an integer literal past Python's 4,300-digit limit, operators
chained 100,000 times, attributes nested past the recursion limit, or 99,000 layers each end in
one ``InvalidSpec`` with the reason, in time linear in the text (at most ``MAX_LAYERS`` layers are
read, and the tree is checked to be at most ``MAX_DEPTH`` deep, without recursion, before any
recursive reading).
"""

from __future__ import annotations

import ast
import difflib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from handnets.errors import InvalidSpec
from handnets.params.flow import MODEL_INPUT, UNFOLLOWED, flow_graph
from handnets.params.layers import FRAMEWORKS, Layer
from handnets.params.signatures import signature

__all__ = ["ModelCode", "read_model", "read_models", "KERAS_LAYERS", "TORCH_LAYERS", "MAX_LAYERS", "MAX_DEPTH", "MAX_CODE_CHARACTERS", "MODEL_INPUT", "UNFOLLOWED"]

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
    # The wiring, parallel to ``layers`` (empty: a plain stack). ``inputs[i]`` is None when layer i
    # reads the layer before it, ``()`` when it reads the model's input, else the indices it reads
    # (two for ``Add()([x, y])``; ``MODEL_INPUT`` the model's input, ``UNFOLLOWED`` a tensor whose
    # shape this reader could not follow). ``shared[i]`` is the index of an earlier entry whose weights layer i
    # reuses (the same module called twice in ``forward``), else None.
    inputs: tuple[tuple[int, ...] | None, ...] = ()
    shared: tuple[int | None, ...] = ()

    def __post_init__(self) -> None:
        if self.dialect not in FRAMEWORKS:
            raise ValueError(f"dialect must be keras or pytorch, got {self.dialect!r}")
        for name, wiring in (("inputs", self.inputs), ("shared", self.shared)):
            if wiring and len(wiring) != len(self.layers):
                raise ValueError(f"{name} must have one entry per layer ({len(self.layers)}), got {len(wiring)}")

    def inputs_of(self, index: int) -> tuple[int, ...] | None:
        return self.inputs[index] if self.inputs else None

    def shared_with(self, index: int) -> int | None:
        return self.shared[index] if self.shared else None


@dataclass(frozen=True, slots=True)
class _Unreadable:
    text: str


class _Context:
    def __init__(self, source: str, constants: dict[str, Any], dialect: str, text: str = ""):
        self.source = source
        self.constants = constants
        self.dialect = dialect
        self.text = text  # the code itself, for hints that depend on how an argument was spelled
        self.lines = text.splitlines()
        self.imported: set[str] = set()  # bare names imported from a layer namespace (from keras.layers import X)
        self.classes: dict[str, int] = {}  # classes defined in the code itself, with their line

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
    context = _Context(source, {}, dialect, text)
    context.constants = _constants(tree, context)
    context.imported, context.classes = _names_in_scope(tree)
    try:
        graph = flow_graph(tree, context)  # functional code or forward(): follow the tensors
        if graph is not None:
            layers, inputs, shared = graph
            return ModelCode(tuple(layers), dialect, source, tuple(inputs), tuple(shared))
        collector = _Collector(context)  # a plain stack: Sequential, model.add, constructors in order
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
    layers = tuple(layer for m in models for layer in m.layers)
    if len(models) == 1 or all(not m.inputs and not m.shared for m in models):
        return ModelCode(layers, dialect, ", ".join(m.source for m in models), models[0].inputs if len(models) == 1 else (), models[0].shared if len(models) == 1 else ())
    inputs: list[tuple[int, ...] | None] = []
    shared: list[int | None] = []
    for m in models:  # a later piece reads what the earlier pieces produced last: its model input is the layer before
        offset = len(inputs)
        for i in range(len(m.layers)):
            wiring = m.inputs_of(i)
            if wiring is None or (wiring == () and offset):
                inputs.append(None)
            else:
                inputs.append(tuple(j + offset if j >= 0 else (offset - 1 if j == MODEL_INPUT and offset else j) for j in wiring))
            reused = m.shared_with(i)
            shared.append(None if reused is None else reused + offset)
    return ModelCode(layers, dialect, ", ".join(m.source for m in models), tuple(inputs), tuple(shared))


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
# loss modules hold no parameters (BCEWithLogitsLoss's pos_weight is a buffer): not layers of the model
_NOT_LAYERS |= {f"{name}Loss" for name in ("CrossEntropy", "MSE", "NLL", "BCE", "BCEWithLogits", "L1", "SmoothL1", "Huber", "KLDiv", "CTC", "CosineEmbedding", "MarginRanking", "TripletMargin")}


class _Collector(ast.NodeVisitor):
    def __init__(self, context: _Context):
        self.context = context
        self.layers: list[Layer] = []
        self._module_depth = 0  # inside a class that subclasses nn.Module / keras Layer or Model

    def visit_Module(self, node: ast.Module) -> None:
        # one expression that is a call (what a command-line spec is): that call is a layer, known or not
        if len(node.body) == 1 and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Call):
            call = node.body[0].value
            dotted = _dotted(call.func)
            if dotted is not None and dotted.rpartition(".")[2] not in _CONTAINERS and dotted.rpartition(".")[2][:1].isupper():
                self._add(call, explicit=True)
                return
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        is_module = any((_dotted(base) or "").rpartition(".")[2] in _MODULE_BASES for base in node.bases)
        self._module_depth += is_module
        self.generic_visit(node)
        self._module_depth -= is_module

    def visit_Assign(self, node: ast.Assign) -> None:
        # ``self.block = Block(64)`` in a module's __init__: a submodule, counted or named as unknown
        if self._module_depth and isinstance(node.value, ast.Call) and _looks_like_layer(node.value) and any(
            isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self" for t in node.targets
        ):
            name = _dotted(node.value.func).rpartition(".")[2]
            if name not in _NOT_LAYERS and name not in _CONTAINERS:
                self._add(node.value, explicit=True)
                return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Call) and _looks_like_layer(node.func) and _dotted(node.func.func).rpartition(".")[2] not in _NOT_LAYERS:
            # ``Conv2D(16, 3)(x)``: the functional API; the inner call is a layer even when its name is unknown
            self._add(node.func, explicit=True)
            for child in [*node.args, *node.keywords]:
                self.visit(child)
            return
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
        return _is_layer_name(prefix, name, self.context)

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


def _is_layer_name(prefix: str, name: str, context: _Context) -> bool:
    """A constructor this reader treats as a layer: known, imported from a layer namespace, or ``nn.X`` / ``layers.X``."""
    known = name in KERAS_LAYERS or name in TORCH_LAYERS or name in _WRAPPERS
    if not prefix:
        return known or name in context.imported
    if _prefix_dialect(prefix) is None:
        return False
    if prefix.split(".")[-1] in ("nn", "layers"):
        # a layer namespace: unknown capitalised names there are layers this reader cannot count
        return known or (name[:1].isupper() and name not in _NOT_LAYERS)
    return known  # keras.Input, tf.keras.layers... but never keras.optimizers.Adam


def _looks_like_layer(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    dotted = _dotted(node.func)
    return dotted is not None and dotted.rpartition(".")[2][:1].isupper()


def _unknown(node: ast.AST, name: str, context: _Context) -> Layer:
    # not a call (``[nn.Linear(4, 4) for _ in range(3)]``, ``*blocks``): named by what it is, shown as written
    label = name if isinstance(node, ast.Call) else type(node).__name__
    return Layer("unknown", label, context.dialect, (), getattr(node, "lineno", 0), _snippet(node), ("not a layer call this reader can count",))


def _names_in_scope(tree: ast.Module) -> tuple[set[str], dict[str, int]]:
    """Bare names imported from a layer namespace (``from keras.layers import Dense as D``), and the code's own classes."""
    imported: set[str] = set()
    classes: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _prefix_dialect(node.module) is not None:
            if node.module.split(".")[-1] in ("layers", "nn"):
                imported.update(alias.asname or alias.name for alias in node.names if alias.name[:1].isupper())
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = node.lineno
    return imported, classes


def _unknown_reason(name: str, dialect: str, context: _Context) -> str:
    """Why a constructor is not counted, with the nearest name either framework spells."""
    if name in context.classes:
        return f"unknown layer {name}: a class defined in this code (line {context.classes[name]}); its weights are not read"
    own = KERAS_LAYERS if dialect == "keras" else TORCH_LAYERS
    other = TORCH_LAYERS if dialect == "keras" else KERAS_LAYERS
    close = difflib.get_close_matches(name, list(own) + list(_WRAPPERS), n=1, cutoff=0.7)
    lowered = {key.lower(): key for key in own}
    if name.lower() in lowered:
        close = [lowered[name.lower()]]
    if close:
        return f"unknown layer {name}: did you mean {close[0]}?"
    if name in other:
        return f"unknown layer {name}: {name} is {'PyTorch' if dialect == 'keras' else 'Keras'}'s, and this code reads as {'Keras' if dialect == 'keras' else 'PyTorch'}"
    return f"unknown layer {name}: this reader has no formula for it"


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
    if name == "TimeDistributed" and dialect == "keras":
        return _time_distributed(node, name, context)
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
        return Layer("unknown", name, dialect, (), node.lineno, _snippet(node), (_unknown_reason(name, dialect, context),))
    kind, parameters, normalise = entry
    framework_word = "Keras" if dialect == "keras" else "PyTorch"
    tabled = signature(dialect, name)
    accepted: frozenset[str] | None = None
    if tabled is not None:
        parameters, accepted = tabled  # the real constructor's order: a third positional argument is what the framework says
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        raise context.fail(node, f"{name}: *args and **kwargs cannot be read without running the code")
    hints = _comma_number_hints(node, context)
    if len(node.args) > len(parameters):
        raise context.fail(node, f"{name} takes at most {len(parameters)} positional arguments ({', '.join(parameters[:8]) or 'none'}{', ...' if len(parameters) > 8 else ''}), got {len(node.args)}" + "".join(f"; {h}" for h in hints))
    raw: dict[str, ast.AST] = dict(zip(parameters, node.args))
    problems = list(hints)
    for keyword in node.keywords:
        if keyword.arg in raw:
            raise context.fail(node, f"{name}: {keyword.arg} given twice", field=keyword.arg)
        if accepted is not None and keyword.arg not in accepted:
            close = difflib.get_close_matches(keyword.arg, sorted(accepted), n=1, cutoff=0.6)
            spelled = f"{framework_word} spells it {close[0]}" if close else f"{framework_word}'s {name} does not take it"
            problems.append(f"unknown keyword {keyword.arg} ({spelled})")
            continue
        raw[keyword.arg] = keyword.value
    args = _Args(name, node, raw, context)
    try:
        options = normalise(args)
    except InvalidSpec as exc:
        if not hints:
            raise
        hinted = InvalidSpec(f"{exc.message}; {'; '.join(hints)}", source=exc.source)
        hinted.field = exc.field
        raise hinted from None
    options = {key: value for key, value in options.items() if value is not None}
    return Layer(kind, name, dialect, tuple(options.items()), node.lineno, _snippet(node), tuple(problems))


def _comma_number_hints(node: ast.Call, context: _Context) -> list[str]:
    """``Embedding(1,000, 16)``: a thousands separator is an argument separator in Python."""
    hints = []
    for left, right in zip(node.args, node.args[1:]):
        if not (isinstance(left, ast.Constant) and isinstance(right, ast.Constant) and type(left.value) is int and type(right.value) is int):
            continue
        if left.end_lineno != right.lineno or right.lineno is None or right.lineno > len(context.lines):
            continue
        line = context.lines[right.lineno - 1]
        between = line[left.end_col_offset : right.col_offset]
        digits = line[right.col_offset : right.end_col_offset]
        if between == "," and len(digits) == 3 and digits.isdigit():
            written = line[left.col_offset : right.end_col_offset]
            hints.append(f"{written} is two arguments in Python ({line[left.col_offset:left.end_col_offset]} and {digits}): write {written.replace(',', '')} or {written.replace(',', '_')}")
    return hints


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

    def value_is_set(self, key: str) -> bool:
        """The argument is given and is not a literal None."""
        return key in self.raw and not (isinstance(self.raw[key], ast.Constant) and self.raw[key].value is None)

    def padding(self, key: str, rank: int, default: Any) -> Any:
        value = self.value(key, default)
        if isinstance(value, str):
            lowered = value.lower()
            causal = lowered == "causal" and self.name == "Conv1D"  # Keras: left-pad so step t sees only t and before
            if lowered not in ("valid", "same") and not causal:
                allowed = "'valid', 'same', 'causal'" if self.name == "Conv1D" else "'valid', 'same'"
                raise self.context.fail(self.node, f"{self.name}: {key} must be {allowed} or integers, got {value!r}", field=key)
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


def _k_conv_transpose(rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        return {
            "rank": rank,
            "filters": args.required("filters"),
            "kernel": args.tuple_of("kernel_size", rank, None) or _missing(args, "kernel_size"),
            "stride": args.tuple_of("strides", rank, 1),
            "padding": args.padding("padding", rank, "valid"),
            "output_padding": args.tuple_of("output_padding", rank, None, least=0),
            "dilation": args.tuple_of("dilation_rate", rank, 1),
            "bias": args.flag("use_bias", True),
            "data_format": args.soft("data_format"),
            **_keras_common(args),
        }

    return normalise


def _k_depthwise(rank: int, separable: bool) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        out = {
            "rank": rank,
            "kernel": args.tuple_of("kernel_size", rank, None) or _missing(args, "kernel_size"),
            "stride": args.tuple_of("strides", rank, 1),
            "padding": args.padding("padding", rank, "valid"),
            "dilation": args.tuple_of("dilation_rate", rank, 1),
            "multiplier": args.integer("depth_multiplier", 1),
            "bias": args.flag("use_bias", True),
            "data_format": args.soft("data_format"),
            **_keras_common(args),
        }
        if separable:
            out["filters"] = args.required("filters")
        return out

    return normalise


def _k_groupnorm(args: _Args) -> dict[str, Any]:
    axis = args.value("axis", -1)
    if axis not in (-1, (-1,)):
        raise args.context.fail(args.node, f"{args.name}: only axis=-1 (channels last) is supported, got {axis!r}", field="axis")
    return {"groups": args.integer("groups", 32), "center": args.flag("center", True), "scale": args.flag("scale", True), **_keras_common(args)}


def _k_upsample(rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        return {"rank": rank, "factor": args.tuple_of("size", rank, 2), "data_format": args.soft("data_format"), **_keras_common(args)}

    return normalise


def _k_pad(rank: int, key: str, default: int) -> Normaliser:
    """ZeroPadding / Cropping: an int, one int per axis, or a (before, after) pair per axis."""

    def normalise(args: _Args) -> dict[str, Any]:
        value = args.value(key, default)
        pairs = _pad_pairs(value, rank)
        if pairs is None:
            raise args.context.fail(args.node, f"{args.name}: {key} must be an integer, {rank} integers or {rank} (before, after) pairs, got {value!r}", field=key)
        return {"rank": rank, "pads": pairs, "data_format": args.soft("data_format"), **_keras_common(args)}

    return normalise


def _pad_pairs(value: Any, rank: int) -> tuple[tuple[int, int], ...] | None:
    def natural(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if natural(value):
        return ((value, value),) * rank
    if isinstance(value, tuple) and rank == 1 and len(value) == 2 and all(map(natural, value)):
        return ((value[0], value[1]),)
    if isinstance(value, tuple) and len(value) == rank:
        if all(map(natural, value)):
            return tuple((v, v) for v in value)
        if all(isinstance(v, tuple) and len(v) == 2 and all(map(natural, v)) for v in value):
            return tuple((v[0], v[1]) for v in value)
    return None


def _k_mha(args: _Args) -> dict[str, Any]:
    output = args.value("output_shape")
    if isinstance(output, tuple) and len(output) == 1:
        output = output[0]
    if output is not None and not (isinstance(output, int) and not isinstance(output, bool) and output >= 1):
        raise args.context.fail(args.node, f"{args.name}: only an integer output_shape is supported, got {output!r}", field="output_shape")
    return {
        "heads": args.required("num_heads"),
        "key_dim": args.required("key_dim"),
        "value_dim": args.integer("value_dim"),
        "bias": args.flag("use_bias", True),
        "output_dim": output,
        **_keras_common(args),
    }


def _k_dot_attention(additive: bool) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        mode = args.soft("score_mode", "dot")
        return {"additive": additive, "use_scale": args.flag("use_scale", additive), "score_mode": mode, **_keras_common(args)}

    return normalise


def _k_merge(op: str) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        out = {"op": op, **_keras_common(args)}
        if op == "concat":
            axis = args.value("axis", -1)
            if not isinstance(axis, int) or isinstance(axis, bool):
                raise args.context.fail(args.node, f"{args.name}: axis must be an integer, got {axis!r}", field="axis")
            out["axis"] = axis
        return out

    return normalise


def _k_permute(args: _Args) -> dict[str, Any]:
    dims = args.value("dims")
    if not isinstance(dims, tuple) or sorted(dims) != list(range(1, len(dims) + 1)):
        raise args.context.fail(args.node, f"{args.name}: dims must be a permutation of 1..n, got {dims!r}", field="dims")
    return {"dims": dims, **_keras_common(args)}


def _k_repeat(args: _Args) -> dict[str, Any]:
    return {"times": args.required("n"), **_keras_common(args)}


def _t_conv_transpose(rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        return {
            "rank": rank,
            "in_channels": args.required("in_channels"),
            "filters": args.required("out_channels"),
            "kernel": args.tuple_of("kernel_size", rank, None) or _missing(args, "kernel_size"),
            "stride": args.tuple_of("stride", rank, 1),
            "padding": args.tuple_of("padding", rank, 0, least=0),
            "output_padding": args.tuple_of("output_padding", rank, 0, least=0),
            "dilation": args.tuple_of("dilation", rank, 1),
            "groups": args.integer("groups", 1),
            "bias": args.flag("bias", True),
        }

    return normalise


def _t_groupnorm(args: _Args) -> dict[str, Any]:
    affine = args.flag("affine", True)
    return {"groups": args.required("num_groups"), "features": args.required("num_channels"), "scale": affine, "center": affine and args.flag("bias", True)}


def _t_instancenorm(args: _Args) -> dict[str, Any]:
    affine = args.flag("affine", False)
    return {"features": args.required("num_features"), "center": affine, "scale": affine, "track_running_stats": args.flag("track_running_stats", False)}


def _t_mha(args: _Args) -> dict[str, Any]:
    embed = args.required("embed_dim")
    heads = args.required("num_heads")
    if embed % heads:
        raise args.context.fail(args.node, f"{args.name}: embed_dim must be divisible by num_heads, got {embed} and {heads}", field="num_heads")
    return {
        "embed_dim": embed,
        "heads": heads,
        "bias": args.flag("bias", True),
        "bias_kv": args.flag("add_bias_kv", False),
        "kdim": args.integer("kdim"),
        "vdim": args.integer("vdim"),
        "batch_first": args.flag("batch_first", False),
    }


def _t_transformer_layer(args: _Args) -> dict[str, Any]:
    model = args.required("d_model")
    heads = args.required("nhead")
    if model % heads:
        raise args.context.fail(args.node, f"{args.name}: d_model must be divisible by nhead, got {model} and {heads}", field="nhead")
    return {"embed_dim": model, "heads": heads, "feedforward": args.integer("dim_feedforward", 2048), "bias": args.flag("bias", True), "batch_first": args.flag("batch_first", False)}


def _t_transformer(args: _Args) -> dict[str, Any]:
    for custom in ("custom_encoder", "custom_decoder"):
        if args.value_is_set(custom):
            raise args.context.fail(args.node, f"{args.name}: {custom} cannot be counted without running the code", field=custom)
    model = args.integer("d_model", 512)
    heads = args.integer("nhead", 8)
    if model % heads:
        raise args.context.fail(args.node, f"{args.name}: d_model must be divisible by nhead, got {model} and {heads}", field="nhead")
    return {
        "embed_dim": model,
        "heads": heads,
        "encoder_layers": args.integer("num_encoder_layers", 6),
        "decoder_layers": args.integer("num_decoder_layers", 6),
        "feedforward": args.integer("dim_feedforward", 2048),
        "bias": args.flag("bias", True),
        "batch_first": args.flag("batch_first", False),
    }


def _t_upsample(args: _Args) -> dict[str, Any]:
    size, factor = args.value("size"), args.value("scale_factor")
    if (size is None) == (factor is None):
        raise args.context.fail(args.node, f"{args.name}: give exactly one of size and scale_factor", field="scale_factor")
    for label, value in (("size", size), ("scale_factor", factor)):
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool) and value >= 1) and not (
            isinstance(value, tuple) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
        ):
            raise args.context.fail(args.node, f"{args.name}: {label} must be a positive integer or a tuple of them, got {value!r}", field=label)
    return {"size": size, "factor": factor}


def _t_zeropad(rank: int) -> Normaliser:
    def normalise(args: _Args) -> dict[str, Any]:
        value = args.value("padding")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            pairs = ((value, value),) * rank
        elif isinstance(value, tuple) and len(value) == 2 * rank and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
            # PyTorch lists the last axis first: (left, right, top, bottom, front, back)
            pairs = tuple((value[2 * i], value[2 * i + 1]) for i in range(rank))[::-1]
        else:
            raise args.context.fail(args.node, f"{args.name}: padding must be an integer >= 0 or {2 * rank} of them, got {value!r}", field="padding")
        return {"rank": rank, "pads": pairs}

    return normalise


_ACTIVATIONS_BOTH = ("ReLU", "Softmax", "LeakyReLU", "ELU")
_KERAS_ACTIVATIONS = _ACTIVATIONS_BOTH + ("Activation", "ThresholdedReLU", "Identity", "Masking")
_TORCH_ACTIVATIONS = _ACTIVATIONS_BOTH + ("Tanh", "Sigmoid", "LogSoftmax", "GELU", "SiLU", "Identity", "Hardtanh", "Softplus", "Mish", "ReLU6", "SELU", "CELU", "Hardswish", "Hardsigmoid", "Softsign", "Tanhshrink")

# name -> (kind, positional parameters when the signature table lacks the class, normaliser)
KERAS_LAYERS: dict[str, tuple[str, tuple[str, ...], Normaliser]] = {
    "Dense": ("dense", ("units", "activation", "use_bias"), _k_dense),
    "Embedding": ("embedding", ("input_dim", "output_dim"), _k_embedding),
    "SimpleRNN": ("rnn", ("units", "activation", "use_bias"), _k_recurrent),
    "LSTM": ("lstm", ("units", "activation", "recurrent_activation", "use_bias"), _k_recurrent),
    "GRU": ("gru", ("units", "activation", "recurrent_activation", "use_bias"), _k_recurrent),
    "BatchNormalization": ("batchnorm", ("axis", "momentum", "epsilon", "center", "scale"), _k_batchnorm),
    "LayerNormalization": ("layernorm", ("axis", "epsilon", "center", "scale"), _k_layernorm),
    "GroupNormalization": ("groupnorm", ("groups", "axis", "epsilon", "center", "scale"), _k_groupnorm),
    "Flatten": ("flatten", ("data_format",), _k_plain),
    "Reshape": ("reshape", ("target_shape",), _k_reshape),
    "Permute": ("permute", ("dims",), _k_permute),
    "RepeatVector": ("repeat", ("n",), _k_repeat),
    "Input": ("input", ("shape", "batch_size", "name", "dtype"), _k_input),
    "InputLayer": ("input", ("input_shape", "batch_size", "dtype"), _k_input),
    "Dropout": ("dropout", ("rate", "noise_shape", "seed"), _k_plain),
    "SpatialDropout1D": ("dropout", ("rate",), _k_plain),
    "SpatialDropout2D": ("dropout", ("rate", "data_format"), _k_plain),
    "SpatialDropout3D": ("dropout", ("rate", "data_format"), _k_plain),
    "GaussianNoise": ("dropout", ("stddev",), _k_plain),
    "GaussianDropout": ("dropout", ("rate",), _k_plain),
    "AlphaDropout": ("dropout", ("rate",), _k_plain),
    "MultiHeadAttention": ("attention", ("num_heads", "key_dim", "value_dim"), _k_mha),
    "Attention": ("dot_attention", ("use_scale", "score_mode"), _k_dot_attention(False)),
    "AdditiveAttention": ("dot_attention", ("use_scale",), _k_dot_attention(True)),
    "Add": ("merge", (), _k_merge("add")),
    "Subtract": ("merge", (), _k_merge("subtract")),
    "Multiply": ("merge", (), _k_merge("multiply")),
    "Average": ("merge", (), _k_merge("average")),
    "Maximum": ("merge", (), _k_merge("maximum")),
    "Minimum": ("merge", (), _k_merge("minimum")),
    "Concatenate": ("merge", ("axis",), _k_merge("concat")),
}
for _name in _KERAS_ACTIVATIONS:
    KERAS_LAYERS[_name] = ("activation", ("activation",) if _name == "Activation" else (), _k_plain)
for _rank in (1, 2, 3):
    KERAS_LAYERS[f"Conv{_rank}D"] = ("conv", ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias"), _k_conv(_rank))
    KERAS_LAYERS[f"Conv{_rank}DTranspose"] = ("conv_transpose", ("filters", "kernel_size", "strides", "padding"), _k_conv_transpose(_rank))
    KERAS_LAYERS[f"UpSampling{_rank}D"] = ("upsample", ("size",), _k_upsample(_rank))
    KERAS_LAYERS[f"ZeroPadding{_rank}D"] = ("zeropad", ("padding",), _k_pad(_rank, "padding", 1))
    KERAS_LAYERS[f"Cropping{_rank}D"] = ("crop", ("cropping",), _k_pad(_rank, "cropping", 1 if _rank == 1 else 0))
    if _rank < 3:
        KERAS_LAYERS[f"DepthwiseConv{_rank}D"] = ("depthwise_conv", ("kernel_size", "strides", "padding"), _k_depthwise(_rank, False))
        KERAS_LAYERS[f"SeparableConv{_rank}D"] = ("separable_conv", ("filters", "kernel_size", "strides", "padding"), _k_depthwise(_rank, True))
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
    "LayerNorm": ("layernorm", ("normalized_shape", "eps", "elementwise_affine", "bias"), _t_layernorm),
    "GroupNorm": ("groupnorm", ("num_groups", "num_channels", "eps", "affine"), _t_groupnorm),
    "Flatten": ("flatten", ("start_dim", "end_dim"), _t_flatten),
    "Dropout": ("dropout", ("p", "inplace"), _t_plain),
    "Dropout1d": ("dropout", ("p", "inplace"), _t_plain),
    "Dropout2d": ("dropout", ("p", "inplace"), _t_plain),
    "Dropout3d": ("dropout", ("p", "inplace"), _t_plain),
    "AlphaDropout": ("dropout", ("p", "inplace"), _t_plain),
    "MultiheadAttention": ("attention", ("embed_dim", "num_heads"), _t_mha),
    "TransformerEncoderLayer": ("transformer_encoder", ("d_model", "nhead", "dim_feedforward"), _t_transformer_layer),
    "TransformerDecoderLayer": ("transformer_decoder", ("d_model", "nhead", "dim_feedforward"), _t_transformer_layer),
    "Transformer": ("transformer", ("d_model", "nhead", "num_encoder_layers", "num_decoder_layers", "dim_feedforward"), _t_transformer),
    "Upsample": ("upsample", ("size", "scale_factor", "mode"), _t_upsample),
}
for _name in _TORCH_ACTIVATIONS:
    TORCH_LAYERS[_name] = ("activation", ("dim",) if "Softmax" in _name else ("arg0", "arg1", "arg2"), _t_plain)
for _rank in (1, 2, 3):
    TORCH_LAYERS[f"Conv{_rank}d"] = ("conv", ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"), _t_conv(_rank))
    TORCH_LAYERS[f"ConvTranspose{_rank}d"] = ("conv_transpose", ("in_channels", "out_channels", "kernel_size", "stride", "padding"), _t_conv_transpose(_rank))
    TORCH_LAYERS[f"BatchNorm{_rank}d"] = ("batchnorm", ("num_features", "eps", "momentum", "affine", "track_running_stats"), _t_batchnorm)
    TORCH_LAYERS[f"InstanceNorm{_rank}d"] = ("batchnorm", ("num_features", "eps", "momentum", "affine", "track_running_stats"), _t_instancenorm)
    TORCH_LAYERS[f"ZeroPad{_rank}d"] = ("zeropad", ("padding",), _t_zeropad(_rank))
    TORCH_LAYERS[f"MaxPool{_rank}d"] = ("pool", ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"), _t_pool("max", _rank))
    TORCH_LAYERS[f"AvgPool{_rank}d"] = ("pool", ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"), _t_pool("avg", _rank))
    TORCH_LAYERS[f"AdaptiveAvgPool{_rank}d"] = ("adaptive_pool", ("output_size",), _t_adaptive("avg", _rank))
    TORCH_LAYERS[f"AdaptiveMaxPool{_rank}d"] = ("adaptive_pool", ("output_size", "return_indices"), _t_adaptive("max", _rank))

_WRAPPERS = frozenset({"Bidirectional", "TimeDistributed"})  # Keras wrappers around a layer written in place
_MODULE_BASES = frozenset({"Module", "Layer", "Model"})  # nn.Module, keras.layers.Layer, keras.Model
_KERAS_ONLY = (frozenset(KERAS_LAYERS) | _WRAPPERS) - frozenset(TORCH_LAYERS)
_TORCH_ONLY = frozenset(TORCH_LAYERS) - frozenset(KERAS_LAYERS)


def _time_distributed(node: ast.Call, name: str, context: _Context) -> Layer:
    """``TimeDistributed(Dense(8))``: the inner layer applied to every step; its weights once."""
    inner_node = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "layer"), None)
    if not isinstance(inner_node, ast.Call) or _dotted(inner_node.func) is None:
        raise context.fail(node, f"{name} needs a layer written in place, e.g. TimeDistributed(Dense(8))", field="layer")
    inner_prefix, _, inner_name = _dotted(inner_node.func).rpartition(".")
    inner = _build_layer(inner_node, inner_prefix, inner_name, context)
    options = dict(inner.options)
    options["time_distributed"] = True
    outer_shape = _literal(next((k.value for k in node.keywords if k.arg == "input_shape"), ast.Constant(None)), context)
    if isinstance(outer_shape, tuple):
        options["input_shape"] = outer_shape
    return Layer(inner.kind, f"{name}({inner.name})", inner.dialect, tuple(options.items()), node.lineno, _snippet(node), inner.problems)


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
