"""The key's policy: framework conventions, known alternative answers, the cross-entropy variant's four
questions, the VGG-like count, sum versus summand, names to write out, and the fields that say so."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy

from handnets.errors import InvalidKey
from handnets.safeio import loads_toml
from handnets.grading.equivalence import judge_expression
from handnets.grading.grade import judge_answer
from handnets.grading.key import SUM_NOTES, WRITE_OUT_NOTE, key_from_mapping, load_key
from handnets.grading.references import derived
from handnets.vocabulary import SYMBOLS as S
from handnets.vocabulary import sum_over_t

KEY = load_key("homework")


# ------------------------------------------------------------------------ framework conventions


@pytest.mark.parametrize(
    ("question", "answer"),
    [("params.classifier.lstm", 6400), ("params.classifier.total", 31105), ("params.rnn_20_128_10", 20490)],
)
def test_policy_other_framework_count_is_incorrect_with_partial_credit(question, answer):
    verdict = judge_answer(KEY.question(question), answer)
    assert verdict.verdict == "incorrect" and verdict.note == "params.pytorch-two-biases"
    assert 0 < verdict.score < verdict.max_score
    assert "PyTorch" in verdict.feedback


def test_policy_channels_first_shape_is_incorrect_with_partial_credit():
    verdict = judge_answer(KEY.question("conv.output_shape"), [8, 28, 28])
    assert (verdict.verdict, verdict.note) == ("incorrect", "conv.channels-first") and 0 < verdict.score < 1


def test_policy_no_mistake_of_the_homework_key_gives_full_credit_as_incorrect():
    # full credit is reserved for answers judged correct: a convention the question excludes is partial
    assert all(m.credit < 1 for q in KEY.questions for m in q.mistakes)


# ------------------------------------------------------------------- per-step loss (seed 001)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("lstm_ce.cbar_t", "w_y*(yhat_t - y_t)*o_t*(1 - tanh(c_t)**2)"),
        ("lstm_ce.cbar_t", r"\delta c_t = w_y (\hat{y}_t - y_t) o_t (1 - \tanh^2(c_t))"),
        ("lstm.cbar_t", "dL_dh_t*o_t*(1 - tanh(c_t)**2)"),
    ],
)
def test_policy_per_step_loss_is_a_known_alternative(question, answer):
    verdict = judge_answer(KEY.question(question), answer)
    assert (verdict.verdict, verdict.note) == ("incorrect", "cbar.per-step-loss")
    assert "step t alone" in verdict.feedback


def test_policy_per_step_loss_differs_from_the_no_recurrent_mistake():
    question = KEY.question("lstm_ce.cbar_t")
    per_step = derived("lstm_ce.cbar_t_step_loss")
    no_recurrent = derived("lstm_ce.cbar_t_no_recurrent")
    assert judge_expression(no_recurrent, per_step, definitions=question.definition_map()).verdict == "different"


# ------------------------------------------------------------ the cross-entropy variant's questions


@pytest.mark.parametrize("name", ["lstm_ce.cbar_t", "lstm_ce.obar_t", "lstm_ce.ibar_t", "lstm_ce.fbar_t"])
def test_policy_cross_entropy_variant_asks_four_bars(name):
    question = KEY.question(name)
    assert question.definitions == "lstm_ce" and question.mistakes and "yhat_t - y_t" in question.prompt


@pytest.mark.parametrize(
    ("question", "answer", "credit"),
    [
        ("lstm_ce.cbar_t", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", Fraction(1, 4)),
        ("lstm_ce.fbar_t", "cbar_t*c_prev", Fraction(1, 4)),
        ("lstm_ce.obar_t", "hbar_t*tanh(c_t)", Fraction(1, 4)),
    ],
)
def test_policy_answer_not_in_terms_of_yhat_is_not_written_out(question, answer, credit):
    verdict = judge_answer(KEY.question(question), answer)
    assert (verdict.verdict, verdict.note) == ("incorrect", WRITE_OUT_NOTE)
    assert verdict.score == credit * verdict.max_score


def test_policy_write_out_mistakes_recognised_in_either_form():
    question = KEY.question("lstm_ce.ibar_t")
    # the pre-activation mistake, once with cbar_t standing and once written out in yhat_t
    standing = judge_answer(question, "cbar_t*g_t*i_t*(1 - i_t)")
    written = judge_answer(question, "(w_y*(yhat_t - y_t)*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"
                                     " + (ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
                                     " + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg)*o_t*(1 - tanh(c_t)**2))"
                                     "*g_t*i_t*(1 - i_t)")
    assert standing.note == written.note == "bar.pre-activation"


# ------------------------------------------------------------------------------------ VGG-like


def _vgg_like_oracle() -> int:
    """Sizes of the tensors Keras allocates, layer by layer, with the spatial size tracked by hand."""
    tensors, side, channels = [], 224, 3
    for filters in (64, 128, 256, 512):
        tensors += [(3, 3, channels, filters), (filters,)]  # 'same' padding keeps the side
        channels, side = filters, side // 2  # then the 2x2 max-pool with stride 2
    inputs = side * side * channels
    for units in (4096, 4096, 1000):
        tensors += [(inputs, units), (units,)]
        inputs = units
    return sum(math.prod(shape) for shape in tensors)


def test_policy_vgg_like_count_from_the_model_code():
    assert derived("params.vgg_like") == _vgg_like_oracle() == 433_475_176
    assert derived("params.vgg16") == 138_357_544


def test_policy_vgg_like_prompt_names_every_layer():
    prompt = KEY.question("params.vgg_like").prompt
    for layer in ("Conv2D(64", "Conv2D(128", "Conv2D(256", "Conv2D(512", "Dense(4096)", "Dense(1000)", "224x224x3", "Flatten"):
        assert layer in prompt
    assert prompt.count("MaxPool") == 4


# ------------------------------------------------------------------------------ sum or summand


def test_policy_sum_over_t_is_two_steps_with_weights_held():
    a, x, h = S["w_xi"], S["x_t"], S["h_t"]
    assert judge_expression(a * sum_over_t(x), sum_over_t(a * x)).verdict == "equivalent"
    assert judge_expression(sum_over_t(x) + sum_over_t(h), sum_over_t(x + h)).verdict == "equivalent"
    assert judge_expression(x * sum_over_t(h), sum_over_t(x * h)).verdict == "different"  # x_t is not constant in t
    assert judge_expression(2 * x, sum_over_t(x)).verdict == "different"


def test_policy_whole_sum_for_the_summand_question_is_incorrect_with_a_note():
    question = KEY.question("lstm.w_xi_bar")
    assert question.asks == "summand"
    whole = sum_over_t(question.expected)
    definitions = question.definition_map()
    assert judge_expression(question.expected, whole, definitions=definitions).verdict == "different"
    first = next(m for m in question.mistakes
                 if judge_expression(m.answer, whole, definitions=definitions, seed=question.id).verdict == "equivalent")
    assert first.note == SUM_NOTES["summand"] and first.credit == 0


def test_policy_whole_sum_written_in_latex_grades_with_the_note():
    question = KEY.question("lstm.w_xi_bar")
    verdict = judge_answer(question, r"\sum_t \bar{i}_t i_t (1 - i_t) x_t")
    assert (verdict.verdict, verdict.note) == ("incorrect", SUM_NOTES["summand"])


# ------------------------------------------------------------------------------ the key's fields


def _key(text: str):
    return key_from_mapping(loads_toml(text, source="test"), name="test", source="test")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[questions]]\nid='a'\ntype='integer'\nexpected=1\nasks='sum'\n", "asks"),
        ("[[questions]]\nid='a'\ntype='expression'\nexpected='x_t'\nasks='total'\n", "asks"),
        ("[[questions]]\nid='a'\ntype='expression'\nexpected='x_t'\nasks='sum'\n", "not a sum over t"),
        ("[[questions]]\nid='a'\ntype='integer'\nexpected=1\n[questions.loose_bound]\ncredit=0.5\n", "loose_bound"),
        ("[[questions]]\nid='a'\ntype='big_o'\nexpected='d'\nvocabulary=['d']\n[questions.loose_bound]\ncredit=1\n", "below 1"),
        ("[[questions]]\nid='a'\ntype='expression'\nexpected='x_t'\ndefinitions='lstm'\n[questions.write_out]\nnames=['nope']\n",
         "not defined"),
        ("[[questions]]\nid='a'\ntype='expression'\nexpected='x_t'\n[questions.write_out]\nnames=['hbar_t']\n", "definitions"),
    ],
)
def test_policy_key_fields_are_checked(text, fragment):
    with pytest.raises(InvalidKey) as raised:
        _key(text)
    assert fragment in str(raised.value)


def test_policy_loose_bound_field_makes_the_last_mistake():
    key = _key("[[questions]]\nid='a'\ntype='big_o'\nexpected='d + H'\nvocabulary=['d', 'H']\n"
               "[questions.loose_bound]\ncredit=0.5\nfeedback='loose'\n")
    question = key.questions[0]
    verdict = judge_answer(question, "O(d*H)")
    assert (verdict.note, verdict.score, verdict.feedback) == ("big_o.loose-bound", Fraction(1, 2), "loose")
    assert judge_answer(question, "O(d)").note == "incorrect"


def test_policy_sum_helpers_are_the_parsers_function():
    assert sum_over_t(S["x_t"]) == sympy.Function("sum_over_t")(S["x_t"])


def test_policy_sum_recognised_whatever_its_assumptions():
    real_sum = sympy.Function("sum_over_t", real=True)
    assert judge_expression(sum_over_t(S["x_t"]), real_sum(S["x_t"])).verdict == "equivalent"
    assert judge_expression(S["x_t"], real_sum(S["x_t"])).method == "sum or summand"
