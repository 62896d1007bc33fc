"""The numeric check: sizes bounded before computing, huge exact numbers as ordinary inputs, floats first.

The memory bound is proved by running the judge in a child process whose address space is capped
(RLIMIT_AS): a tower such as pi**(pi**(pi**20)) needs gigabytes without the bound.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

from handnets.grading.equivalence import describe_number, fingerprint, judge_expression, judge_integer, judge_number
from handnets.grading.grade import judge_answer
from handnets.grading.key import load_key
from handnets.vocabulary import SYMBOLS as S

ROOT = Path(__file__).resolve().parents[1]
KEY = load_key("homework")
pi = sympy.pi
TOWERS = [
    pi ** (pi ** (pi**20)),
    pi ** (pi ** (pi ** (pi**20))),
    sympy.exp(sympy.exp(sympy.exp(30))),
    S["x_t"] ** sympy.exp(99999),
    sympy.tanh(pi ** (pi**20)) * S["x_t"],
    sympy.Integer(2) ** (pi**30),
]


def test_numeric_towers_stay_within_a_memory_cap():
    # every path that evaluates numbers: expressions, numbers, integers, fingerprints
    script = textwrap.dedent(
        """
        import resource, sympy
        resource.setrlimit(resource.RLIMIT_AS, (600 * 2**20, 600 * 2**20))
        from handnets.grading.equivalence import fingerprint, judge_expression, judge_number, judge_integer
        from handnets.vocabulary import SYMBOLS as S
        pi = sympy.pi
        towers = [pi**(pi**(pi**20)), pi**(pi**(pi**(pi**20))), sympy.exp(sympy.exp(sympy.exp(30))),
                  S["x_t"]**sympy.exp(99999), sympy.Integer(2)**(pi**30)]
        for tower in towers:
            print(judge_expression(S["x_t"], tower).verdict, judge_number(3, tower).verdict,
                  judge_integer(3, tower).verdict, len(fingerprint(tower)))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={"PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.split("\n")[:-1]
    assert len(lines) == 5 and all(line.split()[0] in ("undecided", "different") for line in lines), done.stdout


@pytest.mark.parametrize("tower", TOWERS, ids=str)
def test_numeric_tower_is_never_equivalent(tower):
    assert judge_expression(S["x_t"], tower).verdict != "equivalent"


def test_numeric_answer_too_large_is_undecided_not_wrong():
    verdict = judge_answer(KEY.question("lstm.cbar_t"), "pi**(pi**(pi**20))")
    assert verdict.verdict == "undecided" and "too large" in verdict.feedback


BIG = 10**5000 + 7  # more digits than Python's str() of an int allows (4,300)


def test_numeric_huge_integers_compare_exactly():
    assert judge_integer(BIG, sympy.Integer(BIG)).verdict == "equivalent"
    different = judge_integer(BIG, sympy.Integer(BIG + 1))
    assert different.verdict == "different" and "5001-digit" in different.detail


def test_numeric_huge_rationals_and_tolerances():
    assert judge_number(Fraction(BIG, 3), sympy.Rational(BIG, 3)).verdict == "equivalent"
    assert judge_number(Fraction(BIG, 3), sympy.Rational(BIG + 1, 3)).verdict == "different"
    assert judge_number(BIG, sympy.Integer(BIG + 1), rel_tol="0.001").verdict == "equivalent"


def test_numeric_huge_constant_in_an_expression():
    expr = S["x_t"] + sympy.Integer(BIG) - sympy.Integer(BIG)
    assert judge_expression(S["x_t"], expr).verdict == "equivalent"
    assert judge_expression(S["x_t"], S["x_t"] * sympy.Integer(BIG)).verdict == "different"
    assert len(fingerprint(S["x_t"] * sympy.Integer(BIG))) == 4


def test_numeric_huge_integer_answer_to_an_integer_question():
    verdict = judge_answer(KEY.question("params.vgg16"), BIG)
    assert verdict.verdict == "incorrect" and "digit" in verdict.feedback


@pytest.mark.parametrize(("make", "shown"), [
    (lambda: 6272, "6272"),
    (lambda: -5, "-5"),
    (lambda: 10**70, "1" + "0" * 70),
    (lambda: -(10**4400), "a 4401-digit number, about -1.0e+4400"),
], ids=["small", "negative", "70 digits", "4401 digits"])
def test_numeric_describe_number(make, shown):
    assert describe_number(sympy.Integer(make())) == shown


def test_numeric_float_cancellation_settled_at_50_digits():
    # floats lose everything here (e^40 * h cancels); the 50-digit check proves the two equal
    e40 = sympy.exp(40)
    submitted = e40 * (S["h_t"] + S["x_t"] / e40) - e40 * S["h_t"]
    assert judge_expression(S["x_t"], submitted).verdict == "equivalent"


@pytest.mark.parametrize("tiny", [sympy.Rational(1, 10**12), sympy.Rational(1, 10**20)])
def test_numeric_near_equal_answer_is_different(tiny):
    # floats agree to their last digits; the 50-digit confirmation tells them apart
    assert judge_expression(S["x_t"], S["x_t"] + tiny * S["h_t"]).verdict == "different"


def test_numeric_pole_of_floats_is_left_to_mpmath():
    # 1/(x_t - x_t**1) is a pole everywhere: undefined points, never a verdict of equal
    submitted = S["x_t"] + 1 / (S["h_t"] - S["h_t"] ** 1)
    assert judge_expression(S["x_t"], submitted).verdict != "equivalent"


@pytest.mark.parametrize(
    ("expected", "submitted", "verdict"),
    [
        (1 - sympy.tanh(S["c_t"]) ** 2, 1 / sympy.cosh(S["c_t"]) ** 2, "equivalent"),
        (1 - sympy.tanh(S["c_t"]) ** 2, sympy.sech(S["c_t"]) ** 2, "equivalent"),
        (1 - sympy.tanh(S["c_t"]) ** 2, sympy.sech(S["c_t"]), "different"),
        (sympy.tanh(S["c_t"]), sympy.sinh(S["c_t"]) / sympy.cosh(S["c_t"]), "equivalent"),
        (sympy.Max(0, S["x_t"]), (S["x_t"] + sympy.Abs(S["x_t"])) / 2, "equivalent"),
        (sympy.Min(0, S["x_t"]), (S["x_t"] + sympy.Abs(S["x_t"])) / 2, "different"),
    ],
)
def test_numeric_hyperbolic_and_max_are_evaluated(expected, submitted, verdict):
    assert judge_expression(expected, submitted).verdict == verdict


def test_numeric_definitions_survive_pickling():
    import pickle

    definitions = KEY.question("lstm.cbar_t").definition_map()
    copy = pickle.loads(pickle.dumps(definitions))
    assert dict(copy) == dict(definitions) and copy.closure == definitions.closure
