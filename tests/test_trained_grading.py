"""A trained model file as an answer (``type = "trained_rnn"``): credit by the key's rule, files confined to the sheet's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from handnets.errors import InvalidKey
from handnets.grading.grade import VerdictMemo, grade_answers, judge_answer
from handnets.grading.key import key_from_mapping
from handnets.grading.sheet import load_sheet
from handnets.safeio import loads_toml

DATA = Path(__file__).resolve().parent / "data" / "trained"

KEY = """
title = "trained adder"
[[questions]]
id = "rnn.trained"
prompt = "Upload your trained adder's weights."
points = 4
type = "trained_rnn"
[questions.options]
max_len = 6
min_accuracy = "{accuracy}"
"""


def loads_key(text: str):
    return key_from_mapping(loads_toml(text, source="key", error=InvalidKey), name="key", source="key")


def key(accuracy="99/100"):
    return loads_key(KEY.format(accuracy=accuracy))


def sheet_with(tmp_path: Path, model: str | None, answer: str = "model.safetensors", folder: str = "alice") -> Path:
    where = tmp_path / folder
    where.mkdir()
    if model is not None:
        shutil.copy(DATA / f"{model}.safetensors", where / "model.safetensors")
    (where / "sheet.toml").write_text(f'[answers]\n"rnn.trained" = "{answer}"\n', encoding="utf-8")
    return where / "sheet.toml"


def grade(key_, sheet: Path, memo=None):
    return grade_answers(key_, load_sheet(sheet), memo=memo).verdicts[0]


def test_grading_good_model_gets_full_credit(tmp_path):
    verdict = grade(key(), sheet_with(tmp_path, "good"))
    assert (verdict.verdict, verdict.score, verdict.note) == ("correct", 4, "correct")
    assert "every digit right up to length 6" in verdict.feedback


def test_grading_hand_built_model_gets_the_proof_as_a_bonus_note(tmp_path):
    verdict = grade(key(), sheet_with(tmp_path, "hand_relu"))
    assert verdict.score == 4 and "Bonus: proved right for every length." in verdict.feedback


def test_grading_short_model_follows_the_accuracy_rule(tmp_path):
    """short is 99.61% right at length 4, 99.06% at 5 and 98.23% at 6 (see test_trained_enumerate)."""
    sheet = sheet_with(tmp_path, "short")
    strict = grade(key("99/100"), sheet)
    assert (strict.verdict, strict.score, strict.note) == ("incorrect", 0, "trained.accuracy")
    assert "98.23% at length 6" in strict.feedback and "a = 7, b = 3" in strict.feedback
    assert grade(key("98/100"), sheet).score == 4


@pytest.mark.parametrize("answer, message", [
    ("/etc/passwd", "relative to the answer sheet's folder"),
    ("../bob/model.safetensors", "without '..'"),
    ("missing.safetensors", "no such file"),
    ("sheet.toml", "not a model file"),
])
def test_grading_answers_that_name_no_readable_model_are_invalid(tmp_path, answer, message):
    verdict = grade(key(), sheet_with(tmp_path, "good", answer=answer))
    assert verdict.verdict == "invalid" and message in verdict.feedback


def test_grading_same_path_on_two_sheets_is_two_files_even_with_a_memo(tmp_path):
    memo = VerdictMemo()
    good = grade(key(), sheet_with(tmp_path, "good", folder="alice"), memo)
    short = grade(key(), sheet_with(tmp_path, "short", folder="bob"), memo)
    assert (good.score, short.score) == (4, 0)


def test_grading_key_options_are_checked():
    with pytest.raises(InvalidKey, match="min_accuracy"):
        loads_key(KEY.format(accuracy="3/2"))
    with pytest.raises(InvalidKey, match="task"):
        loads_key(KEY.format(accuracy="1") + 'task = "add-lsb"\n')
    with pytest.raises(InvalidKey, match="expected"):
        loads_key(KEY.format(accuracy="1").replace('type = "trained_rnn"', 'type = "trained_rnn"\nexpected = "x"'))


def test_grading_a_non_string_answer_is_invalid():
    verdict = judge_answer(key().questions[0], 42)
    assert verdict.verdict == "invalid" and "path of a model file" in verdict.feedback


def test_grading_finds_the_model_next_to_a_sheet_whose_path_prints_otherwise(tmp_path):
    # the sheet's shown name escapes control characters; the model is looked up in its real folder
    sheet = sheet_with(tmp_path, "good", folder="al\x1bice: answers.x")
    assert load_sheet(sheet).source != str(sheet)
    verdict = grade(key(), sheet)
    assert (verdict.verdict, verdict.score) == ("correct", 4), verdict.feedback


def test_grading_a_model_path_without_a_sheet_is_read_from_the_working_folder(tmp_path, monkeypatch):
    shutil.copy(DATA / "good.safetensors", tmp_path / "m.safetensors")
    monkeypatch.chdir(tmp_path)
    verdict = judge_answer(key().questions[0], "m.safetensors")
    assert verdict.verdict == "correct", verdict.feedback
