"""Integer and number answers as typed: separators, units, magnitudes, working lines, ambiguity refused.

Each reading is compared with the number written here by hand; the verdicts on working lines come
from ``judge_answer`` on the built-in key, whose expected counts are fixed by the problems.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from handnets.grading.grade import judge_answer
from handnets.grading.key import load_key
from handnets.grading.parse import ParseFailure, ParseSuccess
from handnets.grading.parse.numbers import read_number

READ = [
    ("20362", (20362,)),
    ("20 362", (20362,)),
    ("20\u2009362", (20362,)),
    ("20\u202f362", (20362,)),
    ("20\u00a0362", (20362,)),
    ("20,362", (20362,)),
    ("1 000 000", (1000000,)),
    ("1,000,000", (1000000,)),
    ("2 560 + 16 384 + 1 280 + 128 + 10", (20362,)),
    ("16 000 + 6 272 + 8 448 + 257", (30977,)),
    ("6,272 parameters", (6272,)),
    ("6272 params", (6272,)),
    ("30 977 trainable parameters.", (30977,)),
    ("Total params: 30,977", (30977,)),
    ("20,362 (W_xh 2560, W_hh 16384, W_hy 1280, b_h 128, b_y 10)", (20362,)),
    ("608.", (608,)),
    ("≈ 608", (608,)),
    ("~608", (608,)),
    ("about 608", (608,)),
    ("`608`", (608,)),
    ("**608**", (608,)),
    ("$608$", (608,)),
    ("138M", (138000000,)),
    ("138 million", (138000000,)),
    ("1.2k", (1200,)),
    ("1.2e6", (1200000,)),
    ("5x5x3x8 + 8", (608,)),
    ("5 x 5 x 3 x 8 + 8", (608,)),
    (r"5 \times 5 \times 3 \times 8 + 8", (608,)),
    (r"5 \cdot 5 \cdot 3 \cdot 8 + 8", (608,)),
    ("5·5·3·8 + 8", (608,)),
    ("(8 × 5 × 5 × 3) + 8 = 608", (608, 608)),
    ("2560 + 16384 = 18000 = 20362", (18944, 18000, 20362)),
    ("8 448 + 257 = 8 705", (8705, 8705)),
    ("20 × 128 + 128 × 128 ≈ 19 000", (18944, 19000)),
    ("2**3", (8,)),
    ("20_362", (20362,)),
    ("8 filters × (5×5×3 weights + 1 bias) = 608", (608, 608)),
    ("608 params (600 weights + 8 biases)", (608,)),
    ("138.357.544", (138357544,)),
    ("13,83,57,544", (138357544,)),
    ("= 20362", (20362,)),
    ("20362;", (20362,)),
    ("Total params = 30,977", (30977,)),
    ("4*(16*32 + 32*32 + 32)", (6272,)),
]


@pytest.mark.parametrize(("text", "sides"), READ)
def test_read_number_reads_every_side(text: str, sides: tuple[int, ...]) -> None:
    result = read_number(text)
    assert isinstance(result, ParseSuccess), result
    assert result.sides == tuple(sympy.Integer(s) for s in sides)


def test_read_number_reads_a_decimal_in_a_number_answer() -> None:
    result = read_number("16.000", integer=False)
    assert isinstance(result, ParseSuccess) and result.expr == 16


AMBIGUOUS = [
    # (text, what the message names, where it points)
    ("20 36", "'20 36' is ambiguous", 0),
    ("2036 2", "'2036 2' is ambiguous", 0),
    ("62 72", "groups of three", 0),
    ("1,00", "a comma between digits", 0),
    ("1, 000", "a comma followed by a space", 1),
    ("1,000 000", "spaces and commas", 0),
    ("20  362", "a single space", 0),
    ("20\t362", "a single space", 0),
    ("16.000", "the point may be a decimal point or a thousands separator", 0),
    ("3 + 20 36", "'20 36' is ambiguous", 4),
    ("lots", "unknown name 'lots'", 0),
    ("lambda: 1", "", None),
    ("twenty thousand", "unknown name", 0),
    ("20362 (or 20490 with PyTorch)", "give one answer", 6),
    ("20362 or 20490", "unknown name 'or'", 6),
    ("1.234.5", "a second decimal point", 5),
]


@pytest.mark.parametrize(("text", "message", "position"), AMBIGUOUS)
def test_read_number_refuses_ambiguous_text_with_a_message(text: str, message: str, position: int | None) -> None:
    result = read_number(text)
    assert isinstance(result, ParseFailure), result
    assert message in result.message
    if position is not None:
        assert result.position == position


@given(st.integers(0, 10**12), st.sampled_from([" ", ",", "\u2009", "\u202f", "\u00a0"]))
def test_read_number_reads_any_grouping_in_threes(value: int, separator: str) -> None:
    digits = str(value)
    head = len(digits) % 3 or 3
    grouped = separator.join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])
    result = read_number(grouped)
    assert isinstance(result, ParseSuccess) and result.expr == value


@given(st.integers(1, 999), st.integers(0, 99))
def test_read_number_never_reads_a_short_group_as_one_number(head: int, tail: int) -> None:
    # 20 36 is neither 2036 nor 20*36: refused
    assert isinstance(read_number(f"{head} {tail}"), ParseFailure)


# ------------------------------------------------------------------------------ verdicts


@pytest.fixture(scope="module")
def key():
    return load_key("homework")


VERDICTS = [
    ("params.rnn_20_128_10", "20 362", "correct", "correct"),
    ("params.rnn_20_128_10", "2 560 + 16 384 + 1 280 + 128 + 10", "correct", "correct"),
    ("params.rnn_20_128_10", "20 × 128 + 128 × 128 + 128 × 10 + 128 + 10 = 20,362", "correct", "correct"),
    ("params.rnn_20_128_10", "2560 + 16384 = 18000 = 20362", "incorrect", "chain.step"),
    ("params.rnn_20_128_10", "20 36", "invalid", "invalid"),
    ("conv.params", "(8 × 5 × 5 × 3) + 8 = 608", "correct", "correct"),
    ("conv.params", "8*5*5*3 = 600 + 8 = 608", "incorrect", "chain.step"),
    ("conv.params", "608 parameters", "correct", "correct"),
    ("conv.params", "601 = 601", "incorrect", "incorrect"),
    ("params.classifier.lstm", "6272 / 6400", "invalid", "invalid"),
    ("params.rnn_20_128_10", 20362.0, "correct", "correct"),
]


@pytest.mark.parametrize(("question", "answer", "verdict", "note"), VERDICTS)
def test_judge_number_answers_as_typed(key, question: str, answer: str, verdict: str, note: str) -> None:
    result = judge_answer(key.question(question), answer)
    assert (result.verdict, result.note) == (verdict, note), result.feedback


def test_judge_working_line_names_the_wrong_step(key) -> None:
    result = judge_answer(key.question("params.rnn_20_128_10"), "2560 + 16384 = 18000 = 20362")
    assert result.feedback.startswith("step 1 of the working line is wrong: 18944 is not 18000")
    assert result.score == Fraction(0)


def test_judge_number_refusal_points_into_the_answer(key) -> None:
    result = judge_answer(key.question("params.rnn_20_128_10"), "3 + 20 36")
    assert result.verdict == "invalid" and "at character 5" in result.feedback


def test_judge_rounded_count_within_the_keys_tolerance() -> None:
    from dataclasses import replace

    question = load_key("homework").question("params.vgg16")
    rounded = replace(question, options=replace(question.options, rel_tol=Fraction(1, 100)))
    assert [judge_answer(rounded, text).verdict for text in ("138M", "138 million", "1.38e8", "140M")] == \
        ["correct", "correct", "correct", "incorrect"]
    assert judge_answer(question, "138M").verdict == "incorrect"  # exact unless the key says otherwise


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [("O(d k^2 H W) = O(d k^2 W H)", "correct"), ("O(dkHW) = O(d k^2 H W)", "incorrect"),
     ("O(d) = O(d k^2 H W)", "incorrect")],
)
def test_judge_big_o_chain_needs_every_side(key, answer: str, verdict: str) -> None:
    assert judge_answer(key.question("asymptotics.connections"), answer).verdict == verdict
