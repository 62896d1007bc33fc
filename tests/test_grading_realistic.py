"""The grader on realistic student answers (``tests/data/realistic_answers.toml``).

Every case is graded with the homework key and must get the corpus's verdict (and credit, where the
key's policy fixes it). The corpus's verdicts are not handnets' own: an independent referee
(``realistic_oracle.py``: an explicit LSTM at 40 digits with derivatives by central differences, and
plain arithmetic for counts, shapes and matrices) must agree with every one of them. Cases for
questions the key does not have yet are skipped, and un-skip when the key grows.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from realistic_figures import judge_case
from realistic_oracle import (
    EXPRESSION_QUESTIONS,
    SEEDS,
    T,
    load_cases,
    lstm_run,
    referee,
    truth_tables,
    weight_gradient,
)

from handnets.grading.grade import judge_answer
from handnets.grading.key import key_from_mapping, load_key

CASES = load_cases()
VERDICTS = ("correct", "incorrect", "invalid")
FIELDS = {"question", "answer", "verdict", "reference", "credit", "partial", "cls", "note"}


@pytest.fixture(scope="module")
def key():
    return load_key("homework")


def _id(index: int, case: dict) -> str:
    return f"{index:03d}-{case['question']}-{case['cls']}"


def _indexed(keep=lambda case: True):
    """The corpus's cases as parameters, each named by its index in the corpus, its question and its class."""
    return [pytest.param(case, id=_id(i, case)) for i, case in enumerate(CASES) if keep(case)]


@pytest.mark.parametrize("case", _indexed())
def test_grading_realistic_answer_gets_the_corpus_verdict(key, case):
    outcome = judge_case(key, case)
    if outcome.got == "skipped":
        pytest.skip(outcome.feedback)
    assert outcome.got == case["verdict"], (
        f"{case['answer']!r}: expected {case['verdict']}, got {outcome.got}: {outcome.feedback}")
    assert not outcome.credit_problem, f"{case['answer']!r}: {outcome.credit_problem}: {outcome.feedback}"


def test_grading_realistic_no_wrong_answer_gets_credit_as_correct(key):
    accepted = []
    for i, case in enumerate(CASES):
        if case["verdict"] == "correct":
            continue
        outcome = judge_case(key, case, i)
        if outcome.false_accept:
            accepted.append(f"#{i:03d} {case['question']}: {case['answer']!r} ({case['verdict']}) got {outcome.got}")
    assert not accepted, "false accepts:\n" + "\n".join(accepted)


@pytest.mark.parametrize("case", _indexed(lambda case: case["verdict"] != "invalid"))
def test_realistic_corpus_verdict_agrees_with_the_referee(case):
    judgement = referee(case["question"], case["reference"])
    assert judgement.verdict == case["verdict"], f"{case['answer']!r} read as {case['reference']!r}: {judgement.detail}"


def test_realistic_corpus_cases_are_well_formed():
    known = set(EXPRESSION_QUESTIONS) | set(truth_tables())
    for i, case in enumerate(CASES):
        where = _id(i, case)
        assert set(case) <= FIELDS, f"{where}: unknown fields {set(case) - FIELDS}"
        assert case["question"] in known, f"{where}: no referee for this question"
        assert case["verdict"] in VERDICTS, where
        assert ("reference" in case) == (case["verdict"] != "invalid"), f"{where}: a reference iff readable"
        assert case["cls"], where
        if "credit" in case:
            assert case["verdict"] == "incorrect" and 0 <= Fraction(str(case["credit"])) < 1, where
        if case.get("partial"):
            assert case["verdict"] == "incorrect" and "credit" not in case, where


def test_realistic_corpus_covers_the_key_in_proportion(key):
    gradable = {q.id for q in key.questions if q.type not in ("adder", "text")}
    asked = {case["question"] for case in CASES}
    assert gradable <= asked, f"no cases for {sorted(gradable - asked)}"
    verdicts = [case["verdict"] for case in CASES]
    assert len(CASES) >= 400
    assert 0.3 <= verdicts.count("incorrect") / len(CASES) <= 0.5
    assert 0.05 <= verdicts.count("invalid") / len(CASES) <= 0.12
    distinct = {(case["question"], repr(case["answer"])) for case in CASES}
    assert len(distinct) == len(CASES), "a case is repeated"


# ------------------------------------------------------------------ the referee can fail, and is right


@pytest.mark.parametrize("loss", ["squared", "ce"])
def test_realistic_referee_step_contributions_sum_to_the_weight_gradient(loss):
    for seed in SEEDS:
        run = lstm_run(seed, loss)
        whole = weight_gradient(seed, loss, "w_xi")
        assert abs(sum(run.w_xi_step.values()) - whole) < 1e-18 * max(1, abs(whole))


@pytest.mark.parametrize("loss", ["squared", "ce"])
def test_realistic_referee_last_step_error_signal_is_the_local_loss_derivative(loss):
    for seed in SEEDS:
        run = lstm_run(seed, loss)
        assert abs(run.bars[("h", T)] - run.local[T]) < 1e-18
        assert all(abs(run.bars[(node, T + 1)]) < 1e-18 for node in ("i", "f", "o", "g", "c", "h"))


@pytest.mark.parametrize(("question", "reference"), [
    ("lstm.cbar_t", "(hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next)*(1 + 1e-12)"),
    ("lstm.w_xi_bar", "ibar_t*i_t*(1 - i_t)*x_t + 1e-14"),
    ("recurrence.c_t_from_c_prev2", "f_t*c_prev + i_t*g_t"),  # true in value, but not in terms of c_prev2
    ("params.classifier.lstm", ["4*(16*32 + 32*32 + 32)", "6273"]),
    ("asymptotics.mdrnn.steps", "d*(H + W)"),
    ("resnet.a_l2", [[0, 0], [1, 2]]),
])
def test_realistic_referee_rejects_a_near_miss(question, reference):
    assert referee(question, reference).verdict == "incorrect"


def test_realistic_referee_counts_agree_with_published_figures():
    truth = truth_tables()
    assert truth["params.vgg16"] == 138_357_544  # Keras applications' VGG16 summary
    assert truth["params.classifier.total"] == 30_977  # 16,000 + 6,272 + 8,448 + 257, as Keras' summary counts
    assert truth["conv.output_shape"] == (28, 28, 8)


# --------------------------------------------------- digit groups, over the space of counts a student may type

_SEPARATORS = st.sampled_from([",", " ", "\u2009", "\u202f", "\u00a0"])  # comma, space, thin, narrow and no-break spaces


def _count_question(expected: int):
    key = key_from_mapping({"questions": [{"id": "count", "type": "integer", "points": 1, "expected": expected}]},
                           name="counts", source="<test>")
    return key.question("count")


def _grouped(n: int, separator: str) -> str:
    return f"{n:,}".replace(",", separator)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1_000, 10**10), separator=_SEPARATORS)
def test_grading_realistic_digit_groups_of_three_are_one_number(n, separator):
    assert judge_answer(_count_question(n), _grouped(n, separator)).verdict == "correct"
    assert judge_answer(_count_question(n + 1), _grouped(n, separator)).verdict == "incorrect"


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1_000, 10**10), separator=_SEPARATORS, data=st.data())
def test_grading_realistic_misplaced_digit_group_is_invalid_never_another_number(n, separator, data):
    digits = str(n)
    cut = data.draw(st.sampled_from([p for p in range(1, len(digits)) if (len(digits) - p) % 3]))
    verdict = judge_answer(_count_question(n), digits[:cut] + separator + digits[cut:])
    assert verdict.verdict == "invalid", verdict.feedback
