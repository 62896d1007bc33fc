"""Follow tensors through model code without running it: the functional API and ``forward``.

Keras' functional API (``x = layers.Conv2D(16, 3)(x)``, a residual ``layers.Add()([x, y])``),
a PyTorch module's ``forward`` (modules built in ``__init__``, applied as ``self.conv(x)``), a
Keras subclassed model's ``call``, and helper functions (``def res_block(x, filters): ...``) are
read statement by statement: each name is bound to what it holds (a tensor, a layer not yet
applied, a module instance, a literal), a layer applied to tensors becomes one entry of the graph
with the entries it reads, and a module applied twice shares its weights. What cannot be followed
(a tensor passed through an unknown function) becomes a tensor of unknown shape, never a guess.

Evaluation is bounded: calls nest at most ``MAX_CALL_DEPTH`` deep, a ``for _ in range(n)`` loop is
unrolled at most ``MAX_UNROLL`` times, and at most ``MAX_STEPS`` statements are read in all.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from handnets.errors import InvalidSpec
from handnets.params.layers import Layer

if TYPE_CHECKING:  # the reader imports this module; the types only name its classes
    from handnets.params.reader import _Context

__all__ = ["flow_graph", "MAX_CALL_DEPTH", "MAX_UNROLL", "MAX_STEPS", "UNFOLLOWED", "MODEL_INPUT"]

MAX_CALL_DEPTH = 16
MAX_UNROLL = 64
MAX_STEPS = 50_000
UNFOLLOWED = -1  # an input index for a tensor this reader could not follow (its shape is unknown)

_SAME_SHAPE = frozenset(
    "relu relu6 leaky_relu elu selu celu gelu silu mish sigmoid tanh softmax log_softmax softplus hardtanh hardswish "
    "dropout dropout1d dropout2d dropout3d alpha_dropout contiguous clone detach float double half".split()
)
_POOLS = {f"{op}_pool{rank}d": f"{name}Pool{rank}d" for rank in (1, 2, 3) for op, name in (("max", "Max"), ("avg", "Avg"), ("adaptive_max", "AdaptiveMax"), ("adaptive_avg", "AdaptiveAvg"))}
_STACKS = {"TransformerEncoder": ("encoder_layer", "transformer_encoder"), "TransformerDecoder": ("decoder_layer", "transformer_decoder")}
_KERAS_MERGES = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "average": "Average", "maximum": "Maximum", "minimum": "Minimum", "concatenate": "Concatenate"}


@dataclass(frozen=True, slots=True)
class _Tensor:
    entry: int  # index of the entry that produced it; () input is -2, unfollowed -1


_MODEL_INPUT = MODEL_INPUT = -2  # an input index for the model's own input (forward's argument)


@dataclass(eq=False, slots=True)
class _LayerObject:
    layer: Layer
    first: int | None = None  # the entry of its first application


@dataclass(eq=False, slots=True)
class _SequenceObject:
    items: list[Any]


@dataclass(eq=False, slots=True)
class _Instance:
    cls: ast.ClassDef
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Function:
    node: ast.FunctionDef


class _Unbound:
    """A parameter nobody gave a value (``Net()`` built here with its required arguments missing)."""

    def __repr__(self) -> str:
        return "<unbound>"


_UNBOUND = _Unbound()


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


def flow_graph(tree: ast.Module, context: _Context) -> tuple[list[Layer], list[tuple[int, ...] | None], list[int | None]] | None:
    """The graph of functional or ``forward`` code, or None when the code is a plain stack of layers."""
    flow = _Flow(context)
    for statement in tree.body:
        flow.statement(statement, flow.globals, 0)
    for instance in flow.root_instances(tree):
        flow.apply_instance(instance, [_Tensor(_MODEL_INPUT)], 0, top=True)
    if not flow.applied:
        return None
    flow.append_unapplied()
    return flow.layers, flow.inputs, flow.shared


class _Flow:
    def __init__(self, context: _Context):
        self.context = context
        self.globals: dict[str, Any] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.layers: list[Layer] = []
        self.inputs: list[tuple[int, ...] | None] = []
        self.shared: list[int | None] = []
        self.created: list[_LayerObject] = []
        self.instances: list[_Instance] = []
        self.applied = False
        self.steps = 0
        self.undecided: list[str] = []  # the tests of the ifs being read that could not be decided

    # --- the graph --------------------------------------------------------------------------

    def emit(self, layer: Layer, inputs: tuple[int, ...], shared: int | None) -> _Tensor:
        from handnets.params.reader import MAX_LAYERS

        if len(self.layers) >= MAX_LAYERS:
            raise InvalidSpec(f"more than {MAX_LAYERS:,} layers: this reader counts hand-written models", source=self.context.source)
        self.layers.append(layer)
        self.inputs.append(tuple(inputs))
        self.shared.append(shared)
        return _Tensor(len(self.layers) - 1)

    def apply_layer(self, obj: _LayerObject, tensors: list[_Tensor]) -> Any:
        self.applied = True
        shared = obj.first
        result = self.emit(obj.layer, tuple(t.entry for t in tensors), shared)
        if obj.first is None:
            obj.first = result.entry
        if obj.layer.dialect == "pytorch" and obj.layer.kind in ("rnn", "lstm", "gru", "attention"):
            return (result, None)  # output, hidden state (or attention weights)
        return result

    def synthesize(self, name: str, node: ast.Call, args: list[ast.AST], keywords: list[ast.keyword], tensors: list[_Tensor], dialect: str, local: dict[str, Any]) -> _Tensor:
        """A layer the code wrote as a function (``F.max_pool2d(x, 2)``, ``torch.cat``, ``x + y``)."""
        from handnets.params.reader import _construct

        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=keywords)
        ast.copy_location(call, node)
        call.end_lineno, call.end_col_offset = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        layer = _construct(call, name, dialect, self.scope(local))
        self.applied = True
        return self.emit(layer, tuple(t.entry for t in tensors), None)

    def append_unapplied(self) -> None:
        """Layers built but never applied still hold weights (PyTorch counts them): listed after the graph."""
        for obj in self.created:
            if obj.first is None:
                obj.first = len(self.layers)
                self.layers.append(obj.layer.with_options(never_called=True) if obj.layer.kind != "unknown" else obj.layer)
                self.inputs.append((UNFOLLOWED,))
                self.shared.append(None)

    # --- scope ------------------------------------------------------------------------------

    def scope(self, local: dict[str, Any]) -> _Context:
        """The reader's context with the literals bound here (a helper's ``filters=64``) added."""
        from handnets.params.reader import _Context

        literals = {k: v for k, v in {**self.globals, **local}.items() if _is_literal(v)}
        child = _Context(self.context.source, {**self.context.constants, **literals}, self.context.dialect, self.context.text)
        child.imported, child.classes = self.context.imported, self.context.classes
        return child

    def lookup(self, name: str, local: dict[str, Any]) -> Any:
        if name in local:
            return local[name]  # _UNBOUND stays itself: unknown, and never equal to None
        if name in self.globals:
            return self.globals[name]
        return self.context.constants.get(name)

    # --- statements -------------------------------------------------------------------------

    def statement(self, node: ast.stmt, local: dict[str, Any], depth: int) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise InvalidSpec(f"more than {MAX_STEPS:,} statements to follow: this reader counts hand-written models", source=self.context.source)
        if isinstance(node, ast.Assign):
            # ``self.block = Block(64)`` on a module: a submodule, counted or named as unknown, never dropped
            submodule = isinstance(node.value, ast.Call) and any(
                isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and isinstance(self.lookup(t.value.id, local), _Instance) for t in node.targets
            )
            value = self.call(node.value, local, depth, explicit=True) if submodule else self.expression(node.value, local, depth)
            for target in node.targets:
                self.bind(target, value, local)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.bind(node.target, self.expression(node.value, local, depth), local)
        elif isinstance(node, ast.AugAssign):
            left = self.expression(node.target, local, depth)
            right = self.expression(node.value, local, depth)
            self.bind(node.target, self.binary(node, node.op, left, right, local), local)
        elif isinstance(node, ast.Expr):
            self.expression(node.value, local, depth)
        elif isinstance(node, ast.Return):
            raise _Return(None if node.value is None else self.expression(node.value, local, depth))
        elif isinstance(node, ast.FunctionDef):
            local[node.name] = _Function(node)
        elif isinstance(node, ast.ClassDef):
            self.classes[node.name] = node
        elif isinstance(node, ast.For):
            self.loop(node, local, depth)
        elif isinstance(node, ast.If):
            test = self.expression(node.test, local, depth)
            if _decided(test):  # a test on literals (``if stride != 1:``) picks its branch
                for child in node.body if test else node.orelse:
                    self.statement(child, local, depth)
                return
            # anything else is read as taken, and every layer built there says so: the total is in doubt
            self.undecided.append(f"built under `if {_snippet(node.test)}:`, which this reader cannot decide; counted as if true")
            try:
                for child in node.body:
                    self.statement(child, local, depth)
            finally:
                self.undecided.pop()
        elif isinstance(node, (ast.With, ast.Try)):
            for child in node.body:
                self.statement(child, local, depth)

    def loop(self, node: ast.For, local: dict[str, Any], depth: int) -> None:
        iterations: list[Any] = [None]
        if isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name) and node.iter.func.id == "range":
            bounds = [self.expression(a, local, depth) for a in node.iter.args]
            if bounds and all(type(b) is int for b in bounds):
                span = range(*bounds) if len(bounds) <= 3 and (len(bounds) < 3 or bounds[2] != 0) else range(0)
                if len(span) > MAX_UNROLL:
                    raise InvalidSpec(f"line {node.lineno}: a loop of {len(span)} iterations: this reader unrolls at most {MAX_UNROLL}", source=self.context.source)
                iterations = list(span)
        elif isinstance(node.iter, (ast.List, ast.Tuple)):
            iterations = [self.expression(e, local, depth) for e in node.iter.elts][:MAX_UNROLL]
        else:
            sequence = self.expression(node.iter, local, depth)
            if isinstance(sequence, _SequenceObject):  # for block in self.blocks: the ModuleList's items
                iterations = list(sequence.items)[:MAX_UNROLL]
        unknown = iterations == [None]
        if unknown:  # read once, and every layer built there says the count is in doubt
            self.undecided.append(f"built in `for ... in {_snippet(node.iter)}:`, whose count this reader cannot read; counted once")
        try:
            for value in iterations:
                self.bind(node.target, value, local)
                for child in node.body:
                    self.statement(child, local, depth)
        finally:
            if unknown:
                self.undecided.pop()

    def bind(self, target: ast.AST, value: Any, local: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            local[target.id] = value
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            owner = self.lookup(target.value.id, local)
            if isinstance(owner, _Instance):
                owner.attrs[target.attr] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value if isinstance(value, tuple) and len(value) == len(target.elts) else (None,) * len(target.elts)
            for element, item in zip(target.elts, values):
                self.bind(element, item, local)

    # --- expressions ------------------------------------------------------------------------

    def expression(self, node: ast.AST, local: dict[str, Any], depth: int) -> Any:
        from handnets.params.reader import _Unreadable, _literal

        if isinstance(node, ast.Name):
            return self.lookup(node.id, local)
        if isinstance(node, ast.Attribute):
            owner = self.expression(node.value, local, depth)
            if isinstance(owner, _Instance):
                return owner.attrs.get(node.attr)
            return None
        if isinstance(node, (ast.Tuple, ast.List)):
            items = tuple(self.expression(e, local, depth) for e in node.elts)
            return items
        if isinstance(node, ast.Call):
            return self.call(node, local, depth)
        if isinstance(node, ast.BinOp):
            left = self.expression(node.left, local, depth)
            right = self.expression(node.right, local, depth)
            return self.binary(node, node.op, left, right, local)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, local, depth)
        if isinstance(node, ast.IfExp):
            test = self.expression(node.test, local, depth)
            if _decided(test):
                return self.expression(node.body if test else node.orelse, local, depth)
            return None
        if isinstance(node, ast.Compare):
            return _compare(node, [self.expression(node.left, local, depth), *(self.expression(c, local, depth) for c in node.comparators)])
        if isinstance(node, ast.BoolOp):
            values = [self.expression(v, local, depth) for v in node.values]
            if not all(_decided(v) for v in values):
                return None
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            value = self.expression(node.operand, local, depth)
            return (not value) if _decided(value) else None
        value = _literal(node, self.scope(local))
        return None if isinstance(value, _Unreadable) else value

    def binary(self, node: ast.AST, op: ast.operator, left: Any, right: Any, local: dict[str, Any]) -> Any:
        if isinstance(left, _Tensor) and isinstance(right, _Tensor):
            names = {ast.Add: "Add", ast.Sub: "Subtract", ast.Mult: "Multiply"}
            if type(op) in names:  # a residual ``x + identity``: an Add with two inputs
                return self.synthesize(names[type(op)], node, [], [], [left, right], "keras", local)
            return _Tensor(UNFOLLOWED)
        if isinstance(left, _Tensor) or isinstance(right, _Tensor):
            return left if isinstance(left, _Tensor) else right  # x * 0.5: same shape
        if type(left) is int and type(right) is int:
            operations = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right, ast.Mult: lambda: left * right, ast.FloorDiv: lambda: left // right if right else None}
            if type(op) in operations:
                result = operations[type(op)]()
                return result if result is None or abs(result) <= 10**15 else None
        return None

    def subscript(self, node: ast.Subscript, local: dict[str, Any], depth: int) -> Any:
        value = self.expression(node.value, local, depth)
        if isinstance(value, tuple):
            index = self.expression(node.slice, local, depth)
            return value[index] if type(index) is int and -len(value) <= index < len(value) else None
        if not isinstance(value, _Tensor):
            return None
        # out[:, -1, :] or out[:, -1]: one integer index among full slices drops that axis
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        picks = [i for i, p in enumerate(parts) if not (isinstance(p, ast.Slice) and p.lower is None and p.upper is None and p.step is None)]
        if len(picks) == 1 and picks[0] > 0:
            index = self.expression(parts[picks[0]], local, depth)
            if type(index) is int:
                layer = Layer("index", "select", "pytorch", (("axis", picks[0]), ("index", index)), node.lineno, _snippet(node))
                self.applied = True
                return self.emit(layer, (value.entry,), None)
        return _Tensor(UNFOLLOWED)

    def call(self, node: ast.Call, local: dict[str, Any], depth: int, *, explicit: bool = False) -> Any:
        from handnets.params.reader import _CONTAINERS, _dotted, _prefix_dialect

        if depth > MAX_CALL_DEPTH:
            raise InvalidSpec(f"line {node.lineno}: calls nested more than {MAX_CALL_DEPTH} deep", source=self.context.source)
        if isinstance(node.func, ast.Call):  # Conv2D(16, 3)(x): build the layer (known or not), then apply it
            target = self.call(node.func, local, depth, explicit=True)
            return self.apply(target, self.tensor_arguments(node, local, depth), depth)
        dotted = _dotted(node.func)
        if isinstance(node.func, ast.Attribute):
            owner = self.expression(node.func.value, local, depth)
            if isinstance(owner, _Instance):
                callee = owner.attrs.get(node.func.attr)
                if callee is not None:
                    return self.apply(callee, self.tensor_arguments(node, local, depth), depth)
                method = _method(owner.cls, node.func.attr)
                if method is not None:
                    return self.invoke(method, [owner, *self.arguments(node, local, depth)], self.keywords(node, local, depth), depth + 1)
                return None
            if isinstance(owner, _SequenceObject) and node.func.attr in ("add", "append") and node.args:
                owner.items.append(self.element(node.args[0], local, depth))
                return None
            if isinstance(owner, _Tensor):
                return self.tensor_method(node, node.func.attr, owner, local)
            if isinstance(owner, _LayerObject):
                return None
        if dotted is None:
            return None
        prefix, _, name = dotted.rpartition(".")
        if not prefix:
            callee = self.lookup(name, local)
            if isinstance(callee, (_LayerObject, _SequenceObject, _Instance)):
                return self.apply(callee, self.tensor_arguments(node, local, depth), depth)
            if isinstance(callee, _Function):
                return self.invoke(callee.node, self.arguments(node, local, depth), self.keywords(node, local, depth), depth + 1)
            if name in self.classes:
                return self.instantiate(self.classes[name], self.arguments(node, local, depth), self.keywords(node, local, depth), depth + 1)
        if name in _CONTAINERS and (not prefix or _prefix_dialect(prefix) or prefix in ("keras", "models", "tf.keras")):
            items: list[Any] = []
            for arg in node.args:
                elements = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
                items.extend(self.element(e, local, depth) for e in elements)
            for keyword in node.keywords:
                if keyword.arg == "layers" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                    items.extend(self.element(e, local, depth) for e in keyword.value.elts)
            sequence = _SequenceObject([i for i in items if i is not None])
            return sequence
        if name in _STACKS and _prefix_dialect(prefix) == "pytorch":
            stacked = self.stack(node, name, local, depth)
            if stacked is not None:
                return stacked
        functional = prefix in ("torch", "F", "nn.functional", "torch.nn.functional")
        if functional or not name[:1].isupper():
            tensors = self.tensor_arguments(node, local, depth)
            return self.function(node, prefix, name, tensors, local) if tensors else None
        if self.is_layer(prefix, name, explicit):
            from handnets.params.reader import MAX_LAYERS, _build_layer

            if len(self.created) >= MAX_LAYERS:  # stop at once, as the plain reader does
                raise InvalidSpec(f"line {node.lineno}: more than {MAX_LAYERS:,} layers: this reader counts hand-written models", source=self.context.source)

            layer = _build_layer(node, prefix, name, self.scope(local))
            if layer.kind == "input":  # keras.Input is a tensor; only applying a layer to it makes a graph
                return self.emit(layer, (_MODEL_INPUT,), None)
            if self.undecided:
                layer = replace(layer, problems=(*layer.problems, self.undecided[-1]))
            obj = _LayerObject(layer)
            self.created.append(obj)
            return obj
        tensors = self.tensor_arguments(node, local, depth)
        return _Tensor(UNFOLLOWED) if tensors else None

    def stack(self, node: ast.Call, name: str, local: dict[str, Any], depth: int) -> _LayerObject | None:
        """``nn.TransformerEncoder(layer, num_layers=6)``: torch deep-copies the layer N times."""
        args = self.arguments(node, local, depth)
        keywords = self.keywords(node, local, depth)
        inner_key, kind = _STACKS[name]
        inner = args[0] if args else keywords.get(inner_key)
        count = args[1] if len(args) > 1 else keywords.get("num_layers")
        if not isinstance(inner, _LayerObject) or inner.layer.kind != kind or type(count) is not int or count < 1:
            return None
        if inner in self.created and inner.first is None:
            self.created.remove(inner)  # a local layer: only its N copies belong to the model
        layer = replace(inner.layer.with_options(repeats=count), name=f"{name}({inner.layer.name})", line=node.lineno, text=_snippet(node))
        obj = _LayerObject(layer)
        self.created.append(obj)
        return obj

    def is_layer(self, prefix: str, name: str, explicit: bool) -> bool:
        from handnets.params.reader import _NOT_LAYERS, _is_layer_name

        if name in _NOT_LAYERS or name == "Model":
            return False
        return _is_layer_name(prefix, name, self.context) or explicit and not prefix

    def element(self, node: ast.AST, local: dict[str, Any], depth: int) -> Any:
        """One item of a Sequential: a call there is a layer even when its name is unknown."""
        from handnets.params.reader import _unknown

        if isinstance(node, ast.Call):
            value = self.call(node, local, depth, explicit=True)
        else:
            value = self.expression(node, local, depth)
        if value is None or value is _UNBOUND or _is_literal(value):
            obj = _LayerObject(_unknown(node, _snippet(node), self.context))
            self.created.append(obj)
            return obj
        return value

    def arguments(self, node: ast.Call, local: dict[str, Any], depth: int) -> list[Any]:
        return [self.expression(a, local, depth) for a in node.args if not isinstance(a, ast.Starred)]

    def keywords(self, node: ast.Call, local: dict[str, Any], depth: int) -> dict[str, Any]:
        return {k.arg: self.expression(k.value, local, depth) for k in node.keywords if k.arg is not None}

    def tensor_arguments(self, node: ast.Call, local: dict[str, Any], depth: int) -> list[_Tensor]:
        """The tensors a call reads, in order: positional ones, then query / value / key / inputs."""
        values = self.arguments(node, local, depth)
        order = ("inputs", "input", "query", "value", "key")  # attention reads (query, value, key) whatever the keyword order
        named = sorted((k for k in node.keywords if k.arg in order), key=lambda k: order.index(k.arg))
        values += [self.expression(k.value, local, depth) for k in named]
        return [t for t in _flatten_values(values) if isinstance(t, _Tensor)]

    def function(self, node: ast.Call, prefix: str, name: str, tensors: list[_Tensor], local: dict[str, Any]) -> Any:
        """``F.relu(x)``, ``F.max_pool2d(x, 2)``, ``torch.cat([a, b], 1)``, ``layers.add([x, y])``."""
        from handnets.params.reader import _prefix_dialect

        if name in _SAME_SHAPE:
            return tensors[0]
        if name in _POOLS and prefix in ("F", "nn.functional", "torch.nn.functional"):
            return self.synthesize(_POOLS[name], node, node.args[1:], node.keywords, tensors[:1], "pytorch", local)
        if name == "flatten" and prefix == "torch":
            return self.synthesize("Flatten", node, node.args[1:2], [k for k in node.keywords if k.arg in ("start_dim", "end_dim")], tensors[:1], "pytorch", local)
        if name in ("cat", "concat") and prefix == "torch":
            axis = self.expression(node.args[1], local, 0) if len(node.args) > 1 else next((self.expression(k.value, local, 0) for k in node.keywords if k.arg in ("dim", "axis")), 0)
            keyword = [ast.keyword(arg="axis", value=ast.Constant(axis if type(axis) is int else -1))]
            return self.synthesize("Concatenate", node, [], keyword, tensors, "keras", local)
        if name in _KERAS_MERGES and _prefix_dialect(prefix) == "keras":
            return self.synthesize(_KERAS_MERGES[name], node, [], [k for k in node.keywords if k.arg == "axis"], tensors, "keras", local)
        return _Tensor(UNFOLLOWED)  # an unknown function of a tensor: its shape is not followed

    def tensor_method(self, node: ast.Call, method: str, tensor: _Tensor, local: dict[str, Any]) -> Any:
        if method in _SAME_SHAPE:
            return tensor
        if method == "flatten":
            return self.synthesize("Flatten", node, node.args[:1], [k for k in node.keywords if k.arg in ("start_dim", "end_dim")], [tensor], "pytorch", local)
        if method in ("view", "reshape") and len(node.args) == 2:
            first, second = node.args
            # x.view(x.size(0), -1) or x.view(-1, 16 * 5 * 5): all but the batch axis in one
            if _is_batch_size(first) and _is_minus_one(second) or _is_minus_one(first):
                return self.synthesize("Flatten", node, [], [], [tensor], "pytorch", local)
        if method == "size" or method == "dim":
            return None
        return _Tensor(UNFOLLOWED)

    def apply(self, target: Any, tensors: list[_Tensor], depth: int) -> Any:
        if isinstance(target, _LayerObject):
            return self.apply_layer(target, tensors or [_Tensor(UNFOLLOWED)])
        if isinstance(target, _SequenceObject):
            current: Any = tensors[0] if tensors else _Tensor(UNFOLLOWED)
            for item in target.items:
                current = self.apply(item, [current] if isinstance(current, _Tensor) else [_Tensor(UNFOLLOWED)], depth)
                if isinstance(current, tuple):
                    current = current[0]
            return current
        if isinstance(target, _Instance):
            return self.apply_instance(target, tensors, depth + 1)
        return _Tensor(UNFOLLOWED) if tensors else None

    # --- functions, classes -----------------------------------------------------------------

    def invoke(self, function: ast.FunctionDef, args: list[Any], keywords: dict[str, Any], depth: int) -> Any:
        if depth > MAX_CALL_DEPTH:
            raise InvalidSpec(f"line {function.lineno}: calls nested more than {MAX_CALL_DEPTH} deep", source=self.context.source)
        local: dict[str, Any] = {}
        parameters = [*function.args.posonlyargs, *function.args.args]
        defaults = [None] * (len(parameters) - len(function.args.defaults)) + list(function.args.defaults)
        for parameter, default in zip(parameters, defaults):
            local[parameter.arg] = _UNBOUND if default is None else self.expression(default, {}, depth)
        for parameter, default in zip(function.args.kwonlyargs, function.args.kw_defaults):
            local[parameter.arg] = _UNBOUND if default is None else self.expression(default, {}, depth)
        for parameter, value in zip(parameters, args):
            local[parameter.arg] = value
        for key, value in keywords.items():
            local[key] = value
        try:
            for statement in function.body:
                self.statement(statement, local, depth)
        except _Return as returned:
            return returned.value
        return None

    def instantiate(self, cls: ast.ClassDef, args: list[Any], keywords: dict[str, Any], depth: int) -> _Instance:
        instance = _Instance(cls)
        self.instances.append(instance)
        init = _method(cls, "__init__")
        if init is not None:
            self.invoke(init, [instance, *args], keywords, depth)
        return instance

    def apply_instance(self, instance: _Instance, tensors: list[_Tensor], depth: int, *, top: bool = False) -> Any:
        method = _method(instance.cls, "forward") or _method(instance.cls, "call")
        if method is None:
            return _Tensor(UNFOLLOWED)
        self.applied = True
        count = len([*method.args.posonlyargs, *method.args.args]) - 1
        feed = tensors if not top else [_Tensor(_MODEL_INPUT)] * max(count, 1)
        return self.invoke(method, [instance, *feed], {}, depth)

    def root_instances(self, tree: ast.Module) -> list[_Instance]:
        """The models to follow: module instances built at the top level, else classes no other class builds."""
        built = [i for i in self.instances if _method(i.cls, "forward") or _method(i.cls, "call")]
        used_inside = {i.cls.name for i in self.instances if i not in built}
        tops = [v for v in self.globals.values() if isinstance(v, _Instance)]
        if tops:
            return [i for i in dict.fromkeys(tops) if not any(i is t.attrs.get(k) for t in tops for k in t.attrs)]
        built_by_others = set(used_inside)
        for cls in self.classes.values():
            for node in ast.walk(cls):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.classes and node.func.id != cls.name:
                    built_by_others.add(node.func.id)
        roots = []
        for cls in self.classes.values():
            if cls.name in built_by_others or not (_method(cls, "forward") or _method(cls, "call")):
                continue
            roots.append(self.instantiate(cls, [], {}, 1))
        return roots


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == name), None)


def _flatten_values(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, tuple):
            out.extend(_flatten_values(list(value)))
        else:
            out.append(value)
    return out


def _decided(value: Any) -> bool:
    """A test value this reader knows: a literal bool, number, string or None (not a tensor, not unknown)."""
    return isinstance(value, (bool, int, float, str))


def _compare(node: ast.Compare, values: list[Any]) -> Any:
    """``stride != 1 or in_planes != planes``: comparisons of literals, else unknown (None)."""
    identity = all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops)  # ``norm is None`` may compare None
    if not all(isinstance(v, (bool, int, float, str)) or identity and v is None for v in values):
        return None
    operations = {
        ast.Eq: lambda a, b: a == b,
        ast.NotEq: lambda a, b: a != b,
        ast.Lt: lambda a, b: a < b,
        ast.LtE: lambda a, b: a <= b,
        ast.Gt: lambda a, b: a > b,
        ast.GtE: lambda a, b: a >= b,
        ast.Is: lambda a, b: a is b,
        ast.IsNot: lambda a, b: a is not b,
    }
    result = True
    for op, left, right in zip(node.ops, values, values[1:]):
        if type(op) not in operations:
            return None
        try:
            result = result and operations[type(op)](left, right)
        except TypeError:  # 3 < "a"
            return None
    return result


def _is_literal(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return value is None or isinstance(value, (int, float, str, bool))


def _is_minus_one(node: ast.AST) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) and node.operand.value == 1


def _is_batch_size(node: ast.AST) -> bool:
    """``x.size(0)``, ``x.shape[0]``, ``batch_size``: the leading axis, kept by a flattening view."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "size":
        return len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and node.args[0].value == 0
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
        return isinstance(node.slice, ast.Constant) and node.slice.value == 0
    return isinstance(node, ast.Name) and node.id in ("batch_size", "batch", "bs", "B", "N", "n")


def _snippet(node: ast.AST) -> str:
    from handnets.params.reader import _snippet as snippet

    return snippet(node)
