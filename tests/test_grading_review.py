"""Invalid is not wrong: final grading flags an invalid answer for review, a resubmittable setting sends it back.

The oracle is the sheet itself: each test writes answers whose verdicts are known by construction
(an unclosed bracket is invalid, the key's own answer is correct), and checks what every output
(terminal, --json, summary, Gradescope) does with them.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from handnets.cli import main

ROOT = Path(__file__).resolve().parents[1]
KEY = str(ROOT / "tests" / "data" / "small_key.toml")  # count (2 points) = 6272, shape = [28, 28, 8], 13 points in all


def _sheet(tmp_path: Path, name: str = "s1", **answers: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text("[answers]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in answers.items()), encoding="utf-8")
    return path


def _run(*args: str, width: int = 100) -> tuple[int, str]:
    buffer = io.StringIO()
    try:
        code = main(list(args), out=Console(file=buffer, width=width, color_system=None))
    except SystemExit as exc:
        code = int(exc.code)
    return code, buffer.getvalue()


@pytest.fixture
def typo(tmp_path):
    """One right answer (count, 2 points) and one unreadable answer (shape, 1 point)."""
    return _sheet(tmp_path, count="4*(16*32 + 32*32 + 32)", shape="[28, 28, 8")


def _points(key: str = KEY) -> dict[str, int]:
    import tomllib

    data = tomllib.loads(Path(key).read_text(encoding="utf-8"))
    return {q["id"]: q.get("points", 1) for q in data["questions"]}


def test_grade_json_final_scores_invalid_zero_and_flags_it_for_review(typo):
    code, out = _run("grade", "--key", KEY, str(typo), "--json")
    payload = json.loads(out)
    points = _points()
    assert code == 0
    assert payload["setting"] == "final"
    assert payload["review"] == ["shape"] and payload["sent_back"] == []
    assert payload["score"] == points["count"] and payload["max_score"] == sum(points.values())
    shape = next(q for q in payload["questions"] if q["id"] == "shape")
    assert (shape["verdict"], shape["score"], shape["counted"], shape["review"], shape["sent_back"]) == ("invalid", 0, True, True, False)


def test_grade_json_resubmittable_sends_invalid_back_uncounted(typo):
    code, out = _run("grade", "--key", KEY, str(typo), "--json", "--resubmittable")
    payload = json.loads(out)
    points = _points()
    assert code == 0
    assert payload["setting"] == "resubmittable"
    assert payload["sent_back"] == ["shape"] and payload["review"] == []
    assert payload["score"] == points["count"]
    assert payload["max_score"] == sum(points.values()) - points["shape"]  # neither its points nor its maximum
    shape = next(q for q in payload["questions"] if q["id"] == "shape")
    assert (shape["counted"], shape["review"], shape["sent_back"]) == (False, False, True)
    assert "expected a shape" in shape["feedback"]  # the message goes back with it


def test_grade_terminal_final_says_flagged_for_review(typo):
    code, text = _run("grade", "--key", KEY, str(typo))
    text = " ".join(text.split())
    assert code == 0
    assert str(typo) in text  # the heading names the file whole
    assert "1 answer flagged for review (1 invalid)" in text and "not counted as incorrect: shape" in text
    assert f"{_points()['count']} / {sum(_points().values())}" in text


def test_grade_terminal_resubmittable_says_sent_back_and_shows_the_counted_total(typo):
    code, text = _run("grade", "--key", KEY, str(typo), "--resubmittable")
    text = " ".join(text.split())
    total = sum(_points().values())
    assert code == 0
    assert f"1 answer sent back, not counted (out of {total - 1} instead of {total})" in text
    assert f"{_points()['count']} / {total - 1}" in text
    assert "- / 1" in text  # the sent-back answer's own line: no score
    assert "for review" not in text


def test_undecided_is_for_review_in_both_settings():
    from fractions import Fraction

    from handnets.grading.grade import Verdict
    from handnets.render.grading import disposition

    undecided = Verdict("q", "undecided", Fraction(0), Fraction(1), "undecided", "too slow", "x")
    invalid = Verdict("q", "invalid", Fraction(0), Fraction(1), "invalid", "never closed", "(x")
    wrong = Verdict("q", "incorrect", Fraction(0), Fraction(1), "incorrect", "no", "y")
    assert [disposition(v, "final") for v in (undecided, invalid, wrong)] == ["for review", "for review", None]
    assert [disposition(v, "resubmittable") for v in (undecided, invalid, wrong)] == ["for review", "sent back", None]


def test_check_is_a_self_check_an_invalid_answer_is_sent_back():
    code, out = _run("check", "--key", KEY, "shape", "[28, 28, 8", "--json")
    payload = json.loads(out)
    assert code == 1
    assert (payload["verdict"], payload["sent_back"], payload["counted"], payload["review"]) == ("invalid", True, False, False)
    code, text = _run("check", "--key", KEY, "shape", "[28, 28, 8")
    assert code == 1 and "sent back: not counted" in text and "for review" not in text


def test_check_and_grade_help_document_the_policy(capsys):
    for command in ("grade", "check"):
        with pytest.raises(SystemExit):
            main([command, "--help"], out=Console(file=io.StringIO()))
        text = " ".join(capsys.readouterr().out.split())
        assert "sent back" in text
    with pytest.raises(SystemExit):
        main(["grade", "--help"], out=Console(file=io.StringIO()))
    text = " ".join(capsys.readouterr().out.split())
    assert "--resubmittable" in text and "flagged for review" in text and "apart from incorrect" in text


def test_resubmittable_batch_is_refused(typo, tmp_path, capsys):
    code, _ = _run("grade", "--key", KEY, str(typo), "--out", str(tmp_path / "out"), "--resubmittable")
    assert code == 2
    assert "final grading" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_gradescope_final_flags_invalid_for_the_ta(typo, tmp_path):
    code, _ = _run("grade", "--key", KEY, str(typo), "--format", "gradescope", "--out", str(tmp_path / "gs"))
    results = json.loads((tmp_path / "gs" / "results.json").read_text())
    shape = next(t for t in results["tests"] if t["name"] == "shape")
    assert code == 0
    assert shape["score"] == 0 and shape["max_score"] == 1 and shape["status"] == "failed"
    assert "flagged for the TA" in shape["output"] and "expected a shape" in shape["output"]
    assert "1 answer(s) flagged for the TA to review" in results["output"] and "shape" in results["output"]
    assert results["score"] == _points()["count"]


def test_gradescope_resubmittable_says_sent_back(typo, tmp_path):
    code, _ = _run("grade", "--key", KEY, str(typo), "--format", "gradescope", "--out", str(tmp_path / "gs"), "--resubmittable")
    results = json.loads((tmp_path / "gs" / "results.json").read_text())
    shape = next(t for t in results["tests"] if t["name"] == "shape")
    assert code == 0
    assert "sent back: not counted" in shape["output"] and "flagged" not in shape["output"]
    assert "not counted: fix and resubmit: shape" in results["output"]


def test_batch_summary_shows_the_review_queue_apart_from_incorrect(tmp_path):
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    # 25 students: each writes one unreadable shape and a wrong count; one more writes all right answers
    for n in range(25):
        _sheet(sheets, f"s{n:02d}", count="6273", shape=f"[28, 28, {n}")
    _sheet(sheets, "zz", count="6272", shape="[28, 28, 8]")
    code, text = _run("grade", "--key", KEY, str(sheets), "--out", str(tmp_path / "out"), width=80)
    assert code == 0
    assert "Review queue: 25 answer(s) await a person (25 invalid, 0 undecided)" in " ".join(text.split())
    assert "counted apart from incorrect" in " ".join(text.split())
    assert "and 5 more in summary.json" in text  # 20 rows shown
    rows = [line for line in text.splitlines() if "│ invalid │" in line]
    assert len(rows) == 20
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(summary["review_queue"]) == 25
    shape = next(q for q in summary["questions"] if q["id"] == "shape")
    count = next(q for q in summary["questions"] if q["id"] == "count")
    assert shape["counts"]["invalid"] == 25 and shape["counts"]["incorrect"] == 0
    assert count["counts"]["incorrect"] == 25 and count["counts"]["invalid"] == 0
    import csv

    with open(tmp_path / "out" / "grades.csv", newline="") as file:
        status = {row["student"]: row["status"] for row in csv.DictReader(file)}
    assert status["s00"] == "graded; for review: shape" and status["zz"] == "graded"


def test_batch_summary_without_invalid_answers_has_no_review_queue(tmp_path):
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    _sheet(sheets, "a", count="6272")
    code, text = _run("grade", "--key", KEY, str(sheets), "--out", str(tmp_path / "out"))
    assert code == 0 and "Review queue" not in text


def test_single_sheet_at_80_columns_crops_no_id_or_note():
    from handnets.grading.key import load_key

    code, text = _run("grade", "--key", "homework", str(ROOT / "examples" / "sheets" / "s042.toml"), width=80)
    assert code == 0
    assert "…" not in text
    flat = text.replace("│", " ")
    for question in load_key("homework").questions:
        assert question.id in flat, question.id
    assert "recurrence.one-forget-gate" in "".join(text.split()).replace("│", "")  # a note may fold, never crop


def test_batch_at_80_columns_crops_no_question_id(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_grading import generate

    from handnets.grading.key import load_key

    sheets = tmp_path / "sheets"
    sheets.mkdir()
    generate(sheets, 12, seed=3)
    code, text = _run("grade", "--key", "homework", str(sheets), "--out", str(tmp_path / "out"), width=80)
    assert code == 0
    head = text.split("Most common wrong answers")[0].split("Review queue")[0]  # the per-question table
    assert "…" not in head
    for question in load_key("homework").questions:
        assert question.id in head, question.id
    assert all(len(line) <= 80 for line in text.splitlines())
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    notes = {w["note"] for q in summary["questions"] for w in [w for w in q["common_wrong"] if w["count"] >= 2][:3]}
    assert notes and all(f" {note} " in text for note in notes)  # whole, on one line
