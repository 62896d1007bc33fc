"""An independent referee for the realistic-answer corpus (``tests/data/realistic_answers.toml``).

Nothing here imports handnets. Each case carries a ``reference``: the corpus author's own reading of
what the student wrote, as Python. The referee decides the verdict from that reading alone:

- expressions (the LSTM questions of P2 and P3): an explicit univariate LSTM (and its sigmoid +
  cross-entropy variant) run forward over T steps in mpmath at 40 digits, random weights and inputs
  from fixed seeds, a loss that depends on every h_t. The true error signals dL/d(node) come from
  central differences: the node's value at step t is nudged and the rest of the run is re-computed.
  The reference is evaluated over the values of the run at several steps and seeds and compared with
  the truth; a reference that uses a name the question rules out (its own quantity, c_prev when c_t is
  asked in terms of c_prev2, ...) is wrong whatever its value;
- integers: every side of the reading (one side, or each side of an ``=`` chain) must equal the count,
  computed here with plain arithmetic;
- shapes and matrices: the convolution arithmetic and a cross-correlation by loops;
- big-O: the class of a polynomial in d, k, H, W (all at least 1) is its set of maximal monomials.

The corpus's own data is evaluated (``eval`` of the test's references over a dict of numbers), never
student text.
"""

from __future__ import annotations

import ast
import random
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import mpmath

mpmath.mp.dps = 40

__all__ = ["Judgement", "referee", "load_cases", "CORPUS", "EXPRESSION_QUESTIONS", "truth_tables", "lstm_run",
           "weight_gradient", "T", "SEEDS"]

CORPUS = Path(__file__).resolve().parent / "data" / "realistic_answers.toml"

T = 6  # steps that carry a loss; step T+1 is run too, so every *_next quantity exists at t = T
STEPS = (3, 4, 5)  # where a reference is compared: t-2 >= 1 and every *_next bar non-zero
SEEDS = (11, 23, 47)
EPS = mpmath.mpf("1e-15")
TOLERANCE = mpmath.mpf("1e-18")
GATES = ("i", "f", "o", "g")
NODES = ("i", "f", "o", "g", "c", "h")
WEIGHTS = tuple(f"w_{src}{gate}" for gate in GATES for src in ("x", "h"))


@dataclass(frozen=True)
class Judgement:
    verdict: str  # "correct" or "incorrect"
    detail: str


def load_cases(path: Path = CORPUS) -> list[dict]:
    """The corpus's cases, read as answer sheets are (TOML floats as Decimal)."""
    with Path(path).open("rb") as handle:
        return tomllib.load(handle, parse_float=Decimal)["case"]


# ------------------------------------------------------------------------------------ the LSTM


@dataclass(frozen=True)
class Model:
    loss: str  # "squared" (l_t = (h_t - y_t)^2 / 2 + h_t^3 / 3) or "ce" (yhat_t = sigmoid(w_y h_t), BCE)
    w: Mapping[str, Any]
    w_y: Any
    x: tuple  # x[0] unused; x[1..T+1]
    y: tuple  # targets y[1..T], in (0, 1)
    h0: Any
    c0: Any


def _model(seed: int, loss: str) -> Model:
    rng = random.Random(seed)

    def r(lo: float, hi: float):
        return mpmath.mpf(rng.uniform(lo, hi))

    return Model(
        loss=loss,
        w={name: r(-1.5, 1.5) for name in WEIGHTS},
        w_y=r(-2, 2),
        x=(None, *(r(-2, 2) for _ in range(T + 1))),
        y=(None, *(r(0.05, 0.95) for _ in range(T))),
        h0=r(-0.8, 0.8),
        c0=r(-1.5, 1.5),
    )


def sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def _step_loss(model: Model, t: int, h):
    y = model.y[t]
    if model.loss == "ce":
        yhat = sigmoid(model.w_y * h)
        return -(y * mpmath.log(yhat) + (1 - y) * mpmath.log(1 - yhat))
    return (h - y) ** 2 / 2 + h**3 / 3


Hook = Callable[[int, str, Any], Any]


def _no_hook(t: int, name: str, value):
    return value


def _forward(model: Model, hook: Hook = _no_hook) -> tuple[Any, dict[tuple[str, int], Any]]:
    """Run steps 1..T+1; the loss sums l_t(h_t) over 1..T. ``hook`` may replace any value as it is made."""
    values: dict[tuple[str, int], Any] = {("h", 0): model.h0, ("c", 0): model.c0}
    h, c, loss = model.h0, model.c0, mpmath.mpf(0)
    for t in range(1, T + 2):
        x = model.x[t]
        w = {name: hook(t, name, value) for name, value in model.w.items()}  # the copies used at step t
        gate = {}
        for name in GATES:
            z = w[f"w_x{name}"] * x + w[f"w_h{name}"] * h
            gate[name] = hook(t, name, mpmath.tanh(z) if name == "g" else sigmoid(z))
        c = hook(t, "c", gate["f"] * c + gate["i"] * gate["g"])
        h = hook(t, "h", gate["o"] * mpmath.tanh(c))
        values.update({(name, t): v for name, v in gate.items()})
        values[("c", t)], values[("h", t)], values[("x", t)] = c, h, x
        if t <= T:
            loss += _step_loss(model, t, h)
    return loss, values


def _nudged(model: Model, step: int, node: str) -> Any:
    """dL/d(node at step) by central differences: nudge the value where it is made, re-run the rest."""

    def run(delta):
        def hook(t, name, value):
            return value + delta if (t, name) == (step, node) else value

        return _forward(model, hook)[0]

    return (run(EPS) - run(-EPS)) / (2 * EPS)


@dataclass(frozen=True)
class Run:
    model: Model
    values: Mapping[tuple[str, int], Any]
    bars: Mapping[tuple[str, int], Any]  # true dL/d(node) at every step 1..T+1
    local: Mapping[int, Any]  # dL_dh_t: the derivative of the loss's own term l_t at h_t
    w_xi_step: Mapping[int, Any]  # the contribution of step t to dL/dw_xi (its copy at t nudged)


@cache
def lstm_run(seed: int, loss: str) -> Run:
    model = _model(seed, loss)
    _, values = _forward(model)
    bars = {(node, t): _nudged(model, t, node) for t in range(1, T + 2) for node in NODES}
    local = {}
    for t in range(1, T + 1):
        h = values[("h", t)]
        local[t] = (_step_loss(model, t, h + EPS) - _step_loss(model, t, h - EPS)) / (2 * EPS)
    w_xi_step = {t: _nudged(model, t, "w_xi") for t in range(1, T + 1)}
    return Run(model, values, bars, local, w_xi_step)


def weight_gradient(seed: int, loss: str, name: str):
    """dL/dw for one weight shared by every step (all its copies nudged together), by central differences."""
    model = _model(seed, loss)

    def run(delta):
        def hook(t, node, value):
            return value + delta if node == name else value

        return _forward(model, hook)[0]

    return (run(EPS) - run(-EPS)) / (2 * EPS)


_SUFFIX = {"_prev2": -2, "_prev": -1, "_t": 0, "_next": 1}


def _environment(run: Run, t: int) -> dict[str, Any]:
    env: dict[str, Any] = dict(run.model.w)
    env["w_y"] = run.model.w_y
    for suffix, shift in _SUFFIX.items():
        s = t + shift
        for node in (*NODES, "x"):
            if (node, s) in run.values:
                env[node + suffix] = run.values[(node, s)]
            if (node, s) in run.bars:
                env[node + "bar" + suffix] = run.bars[(node, s)]
    env["dL_dh_t"] = run.local[t]
    env["y_t"] = run.model.y[t]
    env["yhat_t"] = sigmoid(run.model.w_y * run.values[("h", t)])
    env.update(_FUNCTIONS)

    def sum_t(summand: str):
        """The whole sum over t = 1..T of a per-step expression (for answers that give the sum)."""
        return sum((_evaluate(summand, _environment(run, s)) for s in range(1, T + 1)), mpmath.mpf(0))

    env["SUM_T"] = sum_t
    return env


def _dsigmoid(z):
    return sigmoid(z) * (1 - sigmoid(z))


def _dtanh(z):
    return 1 - mpmath.tanh(z) ** 2


_FUNCTIONS = {
    "sigmoid": sigmoid,
    "tanh": mpmath.tanh,
    "sech": mpmath.sech,
    "cosh": mpmath.cosh,
    "exp": mpmath.exp,
    "log": mpmath.log,
    "dsigmoid": _dsigmoid,
    "dtanh": _dtanh,
}


def _evaluate(reference: str, env: Mapping[str, Any]):
    return eval(compile(reference, "<reference>", "eval"), {"__builtins__": {}}, dict(env))  # noqa: S307 (test data)


def _names(reference: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(reference, mode="eval")) if isinstance(node, ast.Name)}


# ------------------------------------------------------------------- the truth of each question


def _bar(node: str) -> Callable[[Run, int], Any]:
    return lambda run, t: run.bars[(node, t)]


def _cell_path(run: Run, t: int):
    """cbar_t times dc_t/dc_{t-2} with every gate held at its value (the cell path alone)."""

    def c_t(delta):
        v = run.values
        c_prev = v[("f", t - 1)] * (v[("c", t - 2)] + delta) + v[("i", t - 1)] * v[("g", t - 1)]
        return v[("f", t)] * c_prev + v[("i", t)] * v[("g", t)]

    return run.bars[("c", t)] * (c_t(EPS) - c_t(-EPS)) / (2 * EPS)


def _forget_zero(run: Run, t: int):
    """c_t re-computed with the forget gate at step t set to 0 (everything before it unchanged)."""

    def hook(s, name, value):
        return mpmath.mpf(0) if (s, name) == (t, "f") else value

    return _forward(run.model, hook)[1][("c", t)]


@dataclass(frozen=True)
class ExpressionQuestion:
    loss: str
    truth: Callable[[Run, int], Any]
    forbidden: frozenset[str]  # names an answer may not use (its own quantity, what it must be written without)


_CE_FORBIDDEN = frozenset({"hbar_t", "dL_dh_t"})  # "in terms of (yhat_t - y_t)"
EXPRESSION_QUESTIONS: Mapping[str, ExpressionQuestion] = {
    "lstm.hbar_t": ExpressionQuestion("squared", _bar("h"), frozenset({"hbar_t"})),
    "lstm.cbar_t": ExpressionQuestion("squared", _bar("c"), frozenset({"cbar_t"})),
    "lstm.gbar_t": ExpressionQuestion("squared", _bar("g"), frozenset({"gbar_t"})),
    "lstm.obar_t": ExpressionQuestion("squared", _bar("o"), frozenset({"obar_t"})),
    "lstm.fbar_t": ExpressionQuestion("squared", _bar("f"), frozenset({"fbar_t"})),
    "lstm.ibar_t": ExpressionQuestion("squared", _bar("i"), frozenset({"ibar_t"})),
    "lstm.w_xi_bar": ExpressionQuestion("squared", lambda run, t: run.w_xi_step[t], frozenset()),
    "lstm_ce.cbar_t": ExpressionQuestion("ce", _bar("c"), _CE_FORBIDDEN | {"cbar_t"}),
    "lstm_ce.obar_t": ExpressionQuestion("ce", _bar("o"), _CE_FORBIDDEN | {"obar_t"}),
    "lstm_ce.ibar_t": ExpressionQuestion("ce", _bar("i"), _CE_FORBIDDEN | {"ibar_t"}),
    "lstm_ce.fbar_t": ExpressionQuestion("ce", _bar("f"), _CE_FORBIDDEN | {"fbar_t"}),
    "recurrence.c_t_from_c_prev2": ExpressionQuestion(
        "squared", lambda run, t: run.values[("c", t)], frozenset({"c_t", "c_prev", "h_t"})),
    "recurrence.cbar_prev2": ExpressionQuestion(
        "squared", _cell_path, frozenset({"cbar_prev2", "cbar_prev"})),
    "recurrence.c_t_forget_zero": ExpressionQuestion("squared", _forget_zero, frozenset({"c_t"})),
}


def _judge_expression(question: ExpressionQuestion, reference: str) -> Judgement:
    used = _names(reference) & question.forbidden
    if used:
        return Judgement("incorrect", f"uses {', '.join(sorted(used))}, which the question rules out")
    for seed in SEEDS:
        run = lstm_run(seed, question.loss)
        for t in STEPS:
            got = _evaluate(reference, _environment(run, t))
            want = question.truth(run, t)
            if abs(got - want) > TOLERANCE * max(1, abs(want)):
                return Judgement("incorrect", f"seed {seed}, t = {t}: {mpmath.nstr(got, 12)} != {mpmath.nstr(want, 12)}")
    return Judgement("correct", f"equal at t in {STEPS} for seeds {SEEDS}")


# ------------------------------------------------------------------ counts, shapes and matrices


def _conv(fin: int, fout: int, k: int = 3) -> int:
    return k * k * fin * fout + fout


def _vgg(stack: list, dense: list[int], size: int = 224, channels: int = 3) -> int:
    total = 0
    for layer in stack:
        if layer == "M":
            size //= 2
        else:
            total += _conv(channels, layer)
            channels = layer
    inputs = size * size * channels
    for units in dense:
        total += inputs * units + units
        inputs = units
    return total


def _cross_correlate(image: list[list[int]], kernel: list[list[int]]) -> list[list[int]]:
    """Zero padding 1, stride 1, no kernel flip (what every deep-learning library calls convolution)."""
    n, m = len(image), len(image[0])
    padded = [[0] * (m + 2) for _ in range(n + 2)]
    for i in range(n):
        for j in range(m):
            padded[i + 1][j + 1] = image[i][j]
    return [[sum(kernel[u][v] * padded[i + u][j + v] for u in range(3) for v in range(3)) for j in range(m)]
            for i in range(n)]


def _relu(matrix):
    return [[max(0, v) for v in row] for row in matrix]


def _pool(matrix, reduce):
    return [[reduce([matrix[i][j], matrix[i][j + 1], matrix[i + 1][j], matrix[i + 1][j + 1]])
             for j in range(0, len(matrix[0]), 2)] for i in range(0, len(matrix), 2)]


@cache
def truth_tables() -> dict[str, Any]:
    """The true answer of every question that is not an expression, computed here."""
    x = [[-1, -1], [1, 1]]
    first = [[1, 1, 1], [-1, -1, -1], [1, 1, 1]]
    second = [[1, -1, 1], [1, -1, 1], [1, -1, 1]]
    a1 = _relu(_cross_correlate(x, first))
    z2 = _cross_correlate(a1, second)
    a2 = _relu([[z2[i][j] + x[i][j] for j in range(2)] for i in range(2)])  # skip added before the ReLU
    pooled = [[1, 3, 2, 1], [4, 6, 5, 0], [3, 1, 1, 2], [0, 2, 4, 8]]
    embedding = 1000 * 16
    lstm = 4 * (16 * 32 + 32 * 32 + 32)  # Keras: one bias vector per gate
    dense = (32 * 256 + 256) + (256 * 1 + 1)  # the LSTM returns its last state: 32 features
    vgg16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    return {
        "params.rnn_20_128_10": 20 * 128 + 128 * 128 + 128 * 10 + 128 + 10,
        "params.classifier.embedding": embedding,
        "params.classifier.lstm": lstm,
        "params.classifier.dense": dense,
        "params.classifier.total": embedding + lstm + dense,
        "conv.params": 8 * (5 * 5 * 3 + 1),
        "params.vgg16": _vgg(vgg16, [4096, 4096, 1000]),
        "params.vgg_like": _vgg([64, "M", 128, "M", 256, "M", 512, "M"], [4096, 4096, 1000]),
        "conv.output_shape": ((32 - 5 + 2 * 0) // 1 + 1, (32 - 5 + 2 * 0) // 1 + 1, 8),
        "resnet.a_l1": a1,
        "resnet.a_l2": a2,
        "pooling.max": _pool(pooled, max),
        "pooling.avg": _pool(pooled, lambda v: Fraction(sum(v), len(v))),
        "asymptotics.pixelcnn.steps": "d",
        "asymptotics.mdrnn.steps": "H + W + d",  # one anti-diagonal per step, the layers pipelined
        "asymptotics.connections": "d*k**2*H*W",  # k channels in, k out, a fixed kernel, every position
    }


def _arithmetic(reference: str) -> Fraction:
    """An integer-arithmetic reading (digits, + - * / and parentheses), exactly."""
    tree = ast.parse(reference, mode="eval")

    def value(node) -> Fraction:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return Fraction(str(node.value))
        if isinstance(node, ast.BinOp):
            a, b = value(node.left), value(node.right)
            ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
            if isinstance(node.op, ast.Div):
                return a / b
            if isinstance(node.op, ast.Pow):
                return a ** int(b)
            return ops[type(node.op)]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        raise ValueError(f"not plain arithmetic: {reference!r}")

    return value(tree)


def _big_o_class(polynomial: str) -> frozenset[tuple[int, ...]]:
    import sympy  # the referee's own algebra; never handnets

    d, k, H, W = sympy.symbols("d k H W", positive=True)
    expr = sympy.expand(eval(polynomial, {"__builtins__": {}}, {"d": d, "k": k, "H": H, "W": W}))  # noqa: S307
    monomials = sympy.Poly(expr, d, k, H, W).monoms()
    # with every variable at least 1, a monomial is dominated by any other with every exponent at least as big
    maximal = [m for m in monomials if not any(o != m and all(a >= b for a, b in zip(o, m)) for o in monomials)]
    return frozenset(maximal)


def referee(question: str, reference: Any) -> Judgement:
    """The verdict the corpus author's reading of an answer deserves, decided without handnets."""
    if question in EXPRESSION_QUESTIONS:  # one expression, or every side of an `=` chain
        for side in reference if isinstance(reference, list) else [reference]:
            judgement = _judge_expression(EXPRESSION_QUESTIONS[question], side)
            if judgement.verdict != "correct":
                return Judgement(judgement.verdict, f"{side}: {judgement.detail}")
        return judgement
    truth = truth_tables()[question]
    if question.startswith("asymptotics."):
        same = _big_o_class(reference) == _big_o_class(truth)
        return Judgement("correct" if same else "incorrect", f"class of {reference} vs {truth}")
    if question == "conv.output_shape":
        same = tuple(reference) == truth
        return Judgement("correct" if same else "incorrect", f"{tuple(reference)} vs {truth}")
    if isinstance(truth, list):  # a matrix
        rows = [[Fraction(str(v)) for v in row] for row in reference]
        same = rows == [[Fraction(v) for v in row] for row in truth]
        return Judgement("correct" if same else "incorrect", f"{reference} vs {truth}")
    sides = reference if isinstance(reference, list) else [reference]
    values = [_arithmetic(str(side)) for side in sides]
    wrong = [str(side) for side, v in zip(sides, values) if v != truth]
    if wrong:
        return Judgement("incorrect", f"{', '.join(wrong)} is not {truth}")
    return Judgement("correct", f"every side is {truth}")
