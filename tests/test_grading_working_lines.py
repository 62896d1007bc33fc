"""The verdict on labelled working lines names the line that is wrong, not only 'step 1'."""

from __future__ import annotations

import pytest

from handnets.grading.grade import judge_answer
from handnets.grading.key import load_key

QUESTION = load_key("homework").question("params.rnn_20_128_10")  # 20*128 + 128*128 + 128*10 + 128 + 10


@pytest.mark.parametrize(
    ("answer", "verdict", "named"),
    [
        ("W_xh: 20*128 = 2560\nW_hh: 128*128 = 16384\nW_hy: 128*10 = 1280\nb_h: 128\nb_y: 10\ntotal: 20362", "correct", None),
        ("W_xh: 20*128 = 2561\nW_hh: 128*128 = 16384\nW_hy: 128*10 = 1280\nb_h: 128\nb_y: 10\ntotal: 20362", "incorrect",
         "W_xh: 20*128 = 2561"),
        ("W_xh: 20*128 = 2560\nW_hh: 128*128 = 16384\nW_hy: 128*10 = 1280\nb_h: 128\nb_y: 10\ntotal: 20352", "incorrect",
         "the parts sum to 20362"),
    ],
)
def test_working_lines_verdict_names_the_wrong_line(answer, verdict, named):
    outcome = judge_answer(QUESTION, answer)
    assert outcome.verdict == verdict
    if named:
        assert named in outcome.feedback and outcome.score == 0
