"""Definitions in judging: every adjoint relation and the forward pass, in both directions, at every step.

The oracle is an explicit two-step LSTM written out below with ``math`` (it shares nothing with
``handnets.derive``): the forward pass from t-3 to t+1 from drawn inputs, and every error signal at
step t by central differences of a loss whose incoming signals from t+1 are fixed. An answer is
right exactly when its value at the explicit forward pass equals the finite-difference value; the
tests check that the grader agrees, for answers written with definitions substituted either way.
"""

from __future__ import annotations

import math
import random

import pytest
import sympy

from handnets.errors import InvalidKey
from handnets.grading.equivalence import Definitions, judge_expression, substitute_definitions
from handnets.grading.parse import parse_expression
from handnets.grading.grade import judge_answer
from handnets.grading.key import load_key
from handnets.vocabulary import SYMBOLS as S

KEY = load_key("homework")
STEPS = ("prev2", "prev", "t", "next")  # the steps the forward pass computes (t-2 reads h_prev3, c_prev3)
GATES = ("i", "f", "o", "g")
EPS = 1e-6


def _sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _forward(seed: int, nudge: tuple[str, float] | None = None, *, ce: bool = False) -> tuple[dict, float]:
    """The forward pass and the loss; ``nudge`` adds a small amount to one node at step t (after computing it)."""
    rng = random.Random(seed)
    v: dict[str, float] = {f"w_{s}{g}": rng.uniform(-1, 1) for g in GATES for s in "xh"}
    v["w_y"] = rng.uniform(-1.5, 1.5)
    v["h_prev3"], v["c_prev3"] = rng.uniform(-0.9, 0.9), rng.uniform(-1, 1)
    for step in STEPS:
        v[f"x_{step}"] = rng.uniform(-1.5, 1.5)
    previous = {"prev2": "prev3", "prev": "prev2", "t": "prev", "next": "t"}
    for step in STEPS:
        back = previous[step]
        for gate in GATES:
            z = v[f"w_x{gate}"] * v[f"x_{step}"] + v[f"w_h{gate}"] * v[f"h_{back}"]
            v[f"{gate}_{step}"] = math.tanh(z) if gate == "g" else _sig(z)
            if step == "t" and nudge and nudge[0] == gate:
                v[f"{gate}_{step}"] += nudge[1]
        v[f"c_{step}"] = v[f"f_{step}"] * v[f"c_{back}"] + v[f"i_{step}"] * v[f"g_{step}"]
        if step == "t" and nudge and nudge[0] == "c":
            v["c_t"] += nudge[1]
        v[f"h_{step}"] = v[f"o_{step}"] * math.tanh(v[f"c_{step}"])
        if step == "t" and nudge and nudge[0] == "h":
            v["h_t"] += nudge[1]
    # the loss: the step's own part, and fixed incoming signals from t+1 on (what later steps pass back)
    a, b, e = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)
    v["y_t"] = rng.uniform(0.1, 0.9)
    if ce:
        yhat = _sig(v["w_y"] * v["h_t"])
        v["yhat_t"] = yhat
        own = -(v["y_t"] * math.log(yhat) + (1 - v["y_t"]) * math.log(1 - yhat))
        v["dL_dh_t"] = v["w_y"] * (yhat - v["y_t"])
    else:
        own = a * v["h_t"]
        v["dL_dh_t"] = a
    loss = own + b * v["h_next"] + e * v["c_next"]
    # the incoming error signals the derivation takes as given: dL/dh_next and dL/dc_next
    v["hbar_next"] = b
    v["cbar_next"] = b * v["o_next"] * (1 - math.tanh(v["c_next"]) ** 2) + e
    for gate, local in (("o", math.tanh(v["c_next"])), ("g", v["i_next"]), ("f", v["c_t"]), ("i", v["g_next"])):
        v[f"{gate}bar_next"] = (v["hbar_next"] if gate == "o" else v["cbar_next"]) * local
    return v, loss


def _oracle(seed: int, *, ce: bool = False) -> dict[str, float]:
    """Every value at step t, and each bar at t by central differences of the loss."""
    values, _ = _forward(seed, ce=ce)
    for node in ("h", "c", "o", "g", "f", "i"):
        up = _forward(seed, (node, EPS), ce=ce)[1]
        down = _forward(seed, (node, -EPS), ce=ce)[1]
        values[f"{node}bar_t"] = (up - down) / (2 * EPS)
    return values


def _value(text: str, values: dict[str, float]) -> float:
    """An answer's value at the explicit forward pass (parsed, then evaluated by sympy at those numbers)."""
    expr = parse_expression(text).expr
    return float(expr.xreplace({s: sympy.Float(values[s.name], 30) for s in expr.free_symbols}).evalf(30))


HBAR = "dL_dh_t + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg"
CBAR = f"(({HBAR})*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next)"

# (question, answer, right?) -- written with a definition substituted in one direction or the other
CASES = [
    ("lstm.fbar_t", "c_prev*(hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next)", True),
    ("lstm.fbar_t", f"c_prev*{CBAR}", True),
    ("lstm.fbar_t", "c_prev*(hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_t)", False),
    ("lstm.fbar_t", "c_t*cbar_t", False),
    ("lstm.ibar_t", "g_t*(hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next)", True),
    ("lstm.ibar_t", "tanh(w_xg*x_t + w_hg*h_prev)*cbar_t", True),
    ("lstm.ibar_t", "tanh(w_xg*x_t + w_hg*h_prev2)*cbar_t", False),
    ("lstm.gbar_t", "sigmoid(w_xi*x_t + w_hi*o_prev*tanh(c_prev))*cbar_t", True),
    ("lstm.gbar_t", "i_t*(obar_t/tanh(c_t)*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next)", True),
    ("lstm.obar_t", f"tanh(c_t)*({HBAR})", True),
    ("lstm.obar_t", "(h_t/o_t)*hbar_t", True),
    ("lstm.obar_t", "tanh(f_t*c_prev + i_t*g_t)*hbar_t", True),
    ("lstm.obar_t", "tanh(f_t*c_prev2 + i_t*g_t)*hbar_t", False),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + fbar_next/c_t*f_next", True),
    ("lstm.cbar_t", "obar_t*o_t*(1 - tanh(c_t)**2)/tanh(c_t) + cbar_next*f_next", True),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*sigmoid(w_xf*x_next + w_hf*o_t*tanh(c_t))", True),
    ("lstm.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*sigmoid(w_xf*x_t + w_hf*h_prev)", False),
    ("lstm.hbar_t", "dL_dh_t + cbar_next*g_next*i_next*(1 - i_next)*w_hi + cbar_next*c_t*f_next*(1 - f_next)*w_hf"
                    " + hbar_next*tanh(c_next)*o_next*(1 - o_next)*w_ho + cbar_next*i_next*(1 - g_next**2)*w_hg", True),
    ("lstm.hbar_t", "dL_dh_t + cbar_next*g_next*i_next*(1 - i_next)*w_hi + cbar_next*c_prev*f_next*(1 - f_next)*w_hf"
                    " + hbar_next*tanh(c_next)*o_next*(1 - o_next)*w_ho + cbar_next*i_next*(1 - g_next**2)*w_hg", False),
    ("lstm.w_xi_bar", "cbar_t*g_t*i_t*(1 - i_t)*x_t", True),
    ("lstm.w_xi_bar", "(hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next)*g_t*i_t*(1 - i_t)*x_t", True),
    ("lstm.w_xi_bar", "cbar_t*g_t*i_t*(1 - i_t)*h_prev", False),
]


@pytest.mark.parametrize(("question", "answer", "right"), CASES)
def test_definitions_answer_judged_as_the_explicit_forward_pass_says(question, answer, right):
    target = question.split(".")[1].replace("_bar", "")
    values = _oracle(seed=7)
    if target == "w_xi":
        truth = values["ibar_t"] * values["i_t"] * (1 - values["i_t"]) * values["x_t"]
    else:
        truth = values[target]
    assert math.isclose(_value(answer, values), truth, rel_tol=1e-6, abs_tol=1e-9) is right  # the oracle's verdict
    verdict = judge_answer(KEY.question(question), answer)
    assert verdict.verdict == ("correct" if right else "incorrect"), verdict.feedback


CE_CASES = [
    ("lstm_ce.fbar_t", "c_prev*((w_y*(yhat_t - y_t) + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
                       " + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg)*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next)", True),
    ("lstm_ce.obar_t", "tanh(c_t)*(w_y*(sigmoid(w_y*h_t) - y_t) + cbar_next*g_next*i_next*(1 - i_next)*w_hi"
                       " + cbar_next*c_t*f_next*(1 - f_next)*w_hf + hbar_next*tanh(c_next)*o_next*(1 - o_next)*w_ho"
                       " + cbar_next*i_next*(1 - g_next**2)*w_hg)", True),
    ("lstm_ce.obar_t", "w_y*(yhat_t - y_t)*tanh(c_t)", False),
    ("lstm_ce.ibar_t", "g_t*w_y*(yhat_t - y_t)*o_t*(1 - tanh(c_t)**2)", False),
]


@pytest.mark.parametrize(("question", "answer", "right"), CE_CASES)
def test_definitions_cross_entropy_answer_judged_as_the_explicit_forward_pass_says(question, answer, right):
    values = _oracle(seed=11, ce=True)
    truth = values[question.split(".")[1]]
    assert math.isclose(_value(answer, values), truth, rel_tol=1e-6, abs_tol=1e-9) is right
    assert judge_answer(KEY.question(question), answer).verdict == ("correct" if right else "incorrect")


GATE_CASES = [
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2 + f_t*i_prev*tanh(w_xg*x_prev + w_hg*h_prev2) + i_t*g_t", True),
    ("recurrence.c_t_from_c_prev2", "f_t*sigmoid(w_xf*x_prev + w_hf*h_prev2)*c_prev2 + f_t*i_prev*g_prev + i_t*g_t", True),
    ("recurrence.c_t_from_c_prev2", "sigmoid(w_xf*x_t + w_hf*h_prev)*f_prev*c_prev2 + f_t*i_prev*g_prev + i_t*g_t", True),
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2 + f_t*i_prev*tanh(w_xg*x_prev + w_hg*h_prev) + i_t*g_t", False),
    ("recurrence.c_t_from_c_prev2", "f_t*f_prev*c_prev2 + f_t*i_prev*tanh(w_xg*x_t + w_hg*h_prev2) + i_t*g_t", False),
    ("recurrence.cbar_prev2", "cbar_t*f_t*sigmoid(w_xf*x_prev + w_hf*h_prev2)", True),
    ("recurrence.c_t_forget_zero", "sigmoid(w_xi*x_t + w_hi*h_prev)*tanh(w_xg*x_t + w_hg*h_prev)", True),
]


@pytest.mark.parametrize(("question", "answer", "right"), GATE_CASES)
def test_definitions_recurrence_gates_at_every_step(question, answer, right):
    values = _oracle(seed=3)
    expected = {
        "recurrence.c_t_from_c_prev2": values["c_t"],
        # along the cell path alone: dc_t/dc_{t-2} with the gates held = f_t f_{t-1}
        "recurrence.cbar_prev2": values["f_t"] * values["f_prev"],
        "recurrence.c_t_forget_zero": values["i_t"] * values["g_t"],
    }[question]
    values = {**values, "cbar_t": 1.0}
    assert math.isclose(_value(answer, values), expected, rel_tol=1e-9) is right
    assert judge_answer(KEY.question(question), answer).verdict == ("correct" if right else "incorrect")


def test_definitions_recurrence_keeps_the_one_step_answer_wrong():
    # c_t = f_t c_prev + i_t g_t is true, but not in terms of c_{t-2}: the cell state is not a definition there
    verdict = judge_answer(KEY.question("recurrence.c_t_from_c_prev2"), "f_t*c_prev + i_t*g_t")
    assert (verdict.verdict, verdict.note) == ("incorrect", "recurrence.one-step")


@pytest.mark.parametrize("question", [q for q in KEY.questions if q.definitions and q.lhs], ids=lambda q: q.id)
def test_definitions_leave_out_the_question_own_quantity(question):
    # an answer that restates the quantity asked for is not judged equal to its definition
    assert S[question.lhs] not in question.definition_map()
    verdict = judge_answer(question, question.lhs)
    assert verdict.verdict == "incorrect", verdict.feedback


def test_definitions_substitution_is_cached_per_question():
    question = KEY.question("lstm.cbar_t")
    definitions = question.definition_map()
    assert definitions is question.definition_map()
    first = definitions.substitute(question.expected)
    assert definitions.substitute(question.expected) is first


def test_definitions_closure_leaves_no_defined_symbol():
    definitions = KEY.question("lstm.w_xi_bar").definition_map()
    for value in definitions.closure.values():
        assert not value.free_symbols & set(definitions)


def test_definitions_cycle_is_a_key_error():
    with pytest.raises(InvalidKey):
        Definitions({S["h_t"]: S["c_t"] + 1, S["c_t"]: 2 * S["h_t"]})


def test_definitions_deep_chain_settles_without_recursion():
    chain = [sympy.Symbol(f"a{n}") for n in range(5000)]
    definitions = {chain[n]: chain[n + 1] + 1 for n in range(len(chain) - 1)}
    assert substitute_definitions(chain[0], definitions) == chain[-1] + len(chain) - 1


def test_definitions_a_wrong_substitution_is_still_different():
    definitions = KEY.question("lstm.fbar_t").definition_map()
    wrong = S["c_prev"] * (S["hbar_t"] * S["o_t"] * (1 - sympy.tanh(S["c_t"]) ** 2) + S["cbar_next"] * S["f_t"])
    assert judge_expression(KEY.question("lstm.fbar_t").expected, wrong, definitions=definitions).verdict == "different"


# ------------------------------------------------------------------ no false accept, by mutation

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from handnets.derive.adjoint import shift  # noqa: E402
from handnets.vocabulary import sigmoid  # noqa: E402

LSTM_QUESTIONS = [q for q in KEY.questions if q.type == "expression" and q.definitions == "lstm"]


def _mutate(expr: sympy.Expr, draw) -> sympy.Expr:
    """One slip a student makes: a factor at the wrong step, a term dropped, a sign, the wrong function."""
    kind = draw(st.sampled_from(["step", "drop", "sign", "function", "square"]))
    terms = sympy.Add.make_args(sympy.expand(expr))
    if kind == "step":
        symbols = sorted((s for s in expr.free_symbols if s.name.endswith("_t") and not s.name.startswith("dL")), key=lambda s: s.name)
        if not symbols:
            return expr
        symbol = draw(st.sampled_from(symbols))
        return expr.xreplace({symbol: shift(symbol, draw(st.sampled_from([-1, 1])))})
    if kind == "drop" and len(terms) > 1:
        return sympy.Add(*(t for i, t in enumerate(terms) if i != draw(st.integers(0, len(terms) - 1))))
    if kind == "sign" and len(terms) > 1:
        flipped = draw(st.integers(0, len(terms) - 1))
        return sympy.Add(*(-t if i == flipped else t for i, t in enumerate(terms)))
    if kind == "function":
        return expr.replace(sympy.tanh, lambda arg: sigmoid(arg)) if expr.has(sympy.tanh) else expr * S["o_t"]
    return expr * expr if kind == "square" else -expr


def _at_forward_pass(expr: sympy.Expr, values: dict[str, float]) -> float:
    return float(expr.xreplace({s: sympy.Float(values[s.name], 30) for s in expr.free_symbols}).evalf(30))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_definitions_no_mutated_answer_is_accepted(data):
    question = data.draw(st.sampled_from(LSTM_QUESTIONS), label="question")
    mutated = _mutate(question.expected, data.draw)
    values = _oracle(seed=5)
    assume(all(s.name in values for s in mutated.free_symbols))  # the oracle computes steps t-3 .. t+1 only
    truth, got = _at_forward_pass(question.expected, values), _at_forward_pass(mutated, values)
    if math.isclose(truth, got, rel_tol=1e-9, abs_tol=1e-12):
        return  # the slip changed nothing at this point: not a wrong answer the oracle can tell
    verdict = judge_answer(question, sympy.sstr(mutated))
    assert verdict.verdict != "correct" and verdict.score < question.points, (question.id, sympy.sstr(mutated))


# ------------------------------------------------------------------- one source: the derivation

from handnets.derive.lstm import BAR_ORDER, derive_lstm, gate_definitions, grading_definitions, lstm_cell  # noqa: E402


def test_definitions_are_the_derivation_equations():
    derivation = derive_lstm(checked=False)
    definitions = grading_definitions()
    for name in BAR_ORDER:
        assert definitions[S[name]] == derivation.equation(name)
    for node, definition in lstm_cell():
        assert definitions[node] == definition
        assert definitions[shift(node, -1)] == shift(definition, -1)


def test_definitions_gates_at_t_minus_2_read_t_minus_3():
    assert gate_definitions()[S["g_prev2"]] == sympy.tanh(S["w_xg"] * S["x_prev2"] + S["w_hg"] * S["h_prev3"])


def test_definitions_shift_refuses_a_step_without_a_name():
    with pytest.raises(ValueError):
        shift(S["hbar_prev2"], -1)
