"""Big-O classes with every size at least 1: same class, looser true bound, or wrong class.

The oracle does not use the judge's linear programme: it evaluates log f - log g along many
directions in log-space at growing scales (sizes = exp(s*u), s up to 4000) and calls a ratio
bounded when it stops growing. f = O(g) iff log(f/g) stays bounded along every direction.
"""

from __future__ import annotations

import itertools
import math
import random

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.grading.equivalence import judge_big_o, growth_relation
from handnets.grading.grade import judge_answer
from handnets.grading.key import LOOSE_NOTE, load_key

d, k, H, W = sympy.symbols("d k H W", positive=True)
x, y, z = sympy.symbols("x y z", positive=True)
KEY = load_key("homework")


def _log_value(expr: sympy.Expr, symbols, u, s: float) -> float:
    """log expr at sizes exp(s*u): log-sum-exp over the expanded terms (no overflow)."""
    terms = []  # (sign, log |term|)
    for term in sympy.Add.make_args(sympy.expand(expr.replace(sympy.Max, lambda *a: sympy.Add(*a)))):
        coefficient, rest = term.as_coeff_Mul()
        powers = rest.as_powers_dict()
        exponent = s * sum(float(powers.get(v, 0)) * ui for v, ui in zip(symbols, u))
        terms.append((1 if coefficient > 0 else -1, math.log(abs(float(coefficient))) + exponent))
    top = max(log for _, log in terms)
    return top + math.log(sum(sign * math.exp(log - top) for sign, log in terms))


def _directions(n: int):
    grid = [u for u in itertools.product(range(13), repeat=n) if sum(u) == 12]
    rng = random.Random(5)
    extra = []
    for _ in range(300):
        w = [rng.random() for _ in range(n)]
        extra.append([v / sum(w) for v in w])
    return [[v / 12 for v in u] for u in grid] + extra


def _bounded(f: sympy.Expr, g: sympy.Expr, symbols) -> bool:
    """Whether f/g stays bounded: the worst log-ratio does not grow from s = 1000 to s = 4000."""
    worst = {s: max(_log_value(f, symbols, u, s) - _log_value(g, symbols, u, s) for u in _directions(len(symbols)))
             for s in (1000.0, 4000.0)}
    return worst[4000.0] < 50 and worst[4000.0] - worst[1000.0] < 1


def _oracle_relation(f: sympy.Expr, g: sympy.Expr, symbols) -> str:
    f_in_g, g_in_f = _bounded(f, g, symbols), _bounded(g, f, symbols)
    return {(True, True): "same", (True, False): "looser", (False, True): "tighter", (False, False): "other"}[(f_in_g, g_in_f)]


TABLE = [
    (d * k**2 * H * W, d * k**2 * H * W + d * k * H * W, "same"),
    (d * k**2 * H * W, d * k**2 * H * W + H * W, "same"),
    (d * k**2 * H * W, 9 * d * k**2 * H * W + 7, "same"),
    (d + H + W, H + W + d - 2, "same"),
    (d + H + W, d + sympy.Max(H, W), "same"),
    (d + H + W, d * (H + W), "looser"),
    (d + H + W, d * H * W, "looser"),
    (d + H + W, H + W, "tighter"),
    (d + H + W, H * W, "other"),
    (d * k**2 * H * W, d * k * H * W, "tighter"),
    (d * k**2 * H * W, d * k**2 * H**2 * W**2, "looser"),
    (x**2 + y**2, x**2 + x * y + y**2, "same"),  # x*y <= (x^2 + y^2)/2: dominated by the sum, not by one term
    (x * y, x**2 + y**2, "looser"),
    (x**3 + y**3, x**2 * y + y**3, "tighter"),  # x^2 y <= (2x^3 + y^3)/3, but x^3 outgrows x^2 y + y^3
    (x**3 + y, x**2 * y**2, "other"),
    (x + y + z, x * y * z, "looser"),
]


@pytest.mark.parametrize(("expected", "submitted", "relation"), TABLE)
def test_big_o_relation_matches_the_brute_force_limits(expected, submitted, relation):
    symbols = sorted(expected.free_symbols | submitted.free_symbols, key=lambda s: s.name)
    assert _oracle_relation(expected, submitted, symbols) == relation  # the oracle agrees with the table
    assert growth_relation(expected, submitted) == relation


@pytest.mark.parametrize(("expected", "submitted", "relation"), TABLE)
def test_big_o_only_the_same_class_is_equivalent(expected, submitted, relation):
    assert (judge_big_o(expected, submitted).verdict == "equivalent") is (relation == "same")


_monomial = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(st.lists(_monomial, min_size=1, max_size=3), st.lists(_monomial, min_size=1, max_size=3))
def test_big_o_relation_matches_brute_force_on_random_sums(f_terms, g_terms):
    def build(terms):
        return sympy.Add(*(c * x**a * y**b for a, b, c in terms))

    f, g = build(f_terms), build(g_terms)
    assert growth_relation(f, g) == _oracle_relation(f, g, [x, y])


@pytest.mark.parametrize(
    ("answer", "verdict", "note"),
    [
        ("O(d + H + W)", "correct", "correct"),
        ("O(H + W + d - 2)", "correct", "correct"),
        ("O(d (H + W))", "incorrect", LOOSE_NOTE),
        ("O(d H + d W)", "incorrect", LOOSE_NOTE),
        ("O(d H W)", "incorrect", "asymptotics.mdrnn-product"),
        ("O(H + W)", "incorrect", "asymptotics.mdrnn-no-layers"),
        ("O(H W)", "incorrect", "incorrect"),
        ("O(d)", "incorrect", "incorrect"),
    ],
)
def test_big_o_mdrnn_steps_loose_bound_gets_partial_credit(answer, verdict, note):
    question = KEY.question("asymptotics.mdrnn.steps")
    got = judge_answer(question, answer)
    assert (got.verdict, got.note) == (verdict, note), got.feedback
    if note == LOOSE_NOTE:
        assert 0 < got.score < question.points and "anti-diagonal" in got.feedback
    if note == "incorrect":
        assert got.score == 0


@pytest.mark.parametrize("answer", ["O(dk²HW + HW)", "O(d k^2 H W + d k H W)", "O(2 d k^2 H W)"])
def test_big_o_connections_dominated_terms_dropped(answer):
    assert judge_answer(KEY.question("asymptotics.connections"), answer).verdict == "correct"


@pytest.mark.parametrize(
    "submitted",
    [2 * sympy.pi * d + sympy.sqrt(2) * H + W, sympy.pi ** (sympy.pi ** (sympy.pi**20)) * (d + H + W)],
    ids=["irrational factors", "a tower as the factor"],
)
def test_big_o_constant_factors_of_any_size_are_dropped(submitted):
    assert judge_big_o(d + H + W, submitted).verdict == "equivalent"


def test_big_o_negative_growth_is_different():
    assert judge_big_o(d * H, -d * H).verdict == "different"


def test_big_o_huge_power_is_undecided_without_expanding():
    # expanding (d + H)**(10**6) would need gigabytes: the term count is bounded before anything expands
    verdict = judge_big_o(d + H, (d + H) ** (10**6))
    assert verdict.verdict == "undecided"
