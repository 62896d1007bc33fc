"""``handnets grade`` (one sheet), ``handnets check`` and ``handnets template`` on the command line."""

from __future__ import annotations

import json
from handnets.safeio import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.py310

from handnets.grading.key import load_key
from handnets.grading.sheet import load_sheet

KEY = str(Path(__file__).resolve().parent / "data" / "small_key.toml")


@pytest.fixture
def sheet_file(tmp_path):
    path = tmp_path / "s042.toml"
    path.write_text(
        '[answers]\ncount = "4*(16*32 + 32*32 + 32)"\ngate = \'\\overline{h^{(t)}} \\tanh(c^{(t)})\'\n'
        'shape = [8, 28, 28]\nmatrix = [[4, 4], [0, 1]]\npick = "[b]"\nrate = "x_t"\n'
    )
    return path


def test_grade_json_schema(cli, sheet_file):
    result = cli("grade", "--key", KEY, str(sheet_file), "--json")
    assert result.code == 0
    payload = json.loads(result.out)
    assert payload["student"] == "s042"
    assert set(payload) >= {"student", "score", "max_score", "questions"}
    assert payload["max_score"] == 13
    by_id = {q["id"]: q for q in payload["questions"]}
    for question in payload["questions"]:
        assert set(question) >= {"id", "verdict", "score", "max_score", "note", "feedback"}
        assert question["verdict"] in ("correct", "incorrect", "invalid", "undecided", "missing", "manual")
    assert by_id["count"]["verdict"] == "correct" and by_id["count"]["read_as"]["plain"] == "6272"
    assert by_id["gate"]["verdict"] == "correct" and by_id["gate"]["read_as"]["plain"] == "hbar_t*tanh(c_t)"
    assert by_id["shape"]["verdict"] == "incorrect"
    assert by_id["matrix"]["score"] == 1.5 and by_id["matrix"]["note"] == "matrix.partial"
    assert by_id["pick"]["verdict"] == "invalid"
    assert by_id["rate"]["verdict"] == "invalid"  # a number question knows no names
    assert by_id["adder"]["verdict"] == "missing"
    assert payload["score"] == 2 + 1 + 1.5


def test_grade_report_escapes_student_text(cli, sheet_file):
    result = cli("grade", "--key", KEY, str(sheet_file))
    assert result.code == 0
    assert "[b]" in result.out  # printed as written, not swallowed as rich markup


def test_grade_unreadable_sheet_exits_2(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[answers\n")
    result = cli("grade", "--key", KEY, str(path))
    assert result.code == 2
    assert result.err.startswith(f"error: {path}: not valid TOML") and "line 1, column" in result.err


def test_grade_unreadable_key_exits_2(cli, sheet_file, tmp_path):
    key = tmp_path / "key.toml"
    key.write_text("[[questions]]\nid = 'a'\n")
    result = cli("grade", "--key", str(key), str(sheet_file))
    assert result.code == 2 and "type: expected one of" in result.err


@pytest.mark.parametrize(
    ("question", "answer", "code", "verdict"),
    [
        ("count", "6272", 0, "correct"),
        ("count", "4*(16*32 + 32*32 + 32)", 0, "correct"),
        ("count", "6144", 1, "incorrect"),
        ("gate", r"\overline{h^{(t)}} \tanh(c^{(t)})", 0, "correct"),
        ("gate", "hbar_t*tanh(c_t", 1, "invalid"),
        ("shape", "[28, 28, 8]", 0, "correct"),
        ("shape", "28x28x8", 0, "correct"),
        ("matrix", "[[4, 4], [0, 0]]", 0, "correct"),
        ("adder", '{W_xh = [[1, 1], [1, 1], [1, 1]], W_hh = [[0, 1, 0], [0, 1, 0], [0, 1, 0]], b_h = [-0.5, -1.5, -2.5], W_hy = [1, -1, 1], b_y = -0.5}', 0, "correct"),
        ("adder", '{W_xh = [[1, 1], [1, 1], [1, 1]], W_hh = [[1, 0, 0], [1, 0, 0], [1, 0, 0]], b_h = [-0.5, -1.5, -2.5], W_hy = [1, -1, 1], b_y = -0.5}', 1, "incorrect"),
    ],
)
def test_check_one_answer(cli, question, answer, code, verdict):
    result = cli("check", "--key", KEY, question, answer, "--json")
    assert result.code == code
    assert json.loads(result.out)["verdict"] == verdict


def test_check_adder_feedback_gives_counterexample(cli):
    answer = '{W_xh = [[1, 1], [1, 1], [1, 1]], W_hh = [[1, 0, 0], [1, 0, 0], [1, 0, 0]], b_h = [-0.5, -1.5, -2.5], W_hy = [1, -1, 1], b_y = -0.5}'
    payload = json.loads(cli("check", "--key", KEY, "adder", answer, "--json").out)
    assert payload["note"] == "adder.counterexample"
    assert "a = 1, b = 0" in payload["feedback"] and "at step 2" in payload["feedback"]


def test_check_unknown_question_exits_2(cli):
    result = cli("check", "--key", KEY, "nope", "1")
    assert result.code == 2 and "has no question 'nope'" in result.err


def test_template_is_valid_toml_listing_every_prompt(cli, tmp_path):
    target = tmp_path / "blank.toml"
    assert cli("template", "--key", KEY, "-o", str(target)).code == 0
    text = target.read_text()
    assert tomllib.loads(text)["answers"] == {}
    for question in load_key(KEY).questions:
        assert question.prompt.splitlines()[0] in text
    report_sheet = load_sheet(target)
    assert report_sheet.answers == {}


def test_template_of_builtin_key_mentions_vocabulary(cli, capsys):
    result = cli("template", "--key", "homework")
    assert result.code == 0
    assert "hbar_t cbar_t" in result.out and '# "lstm.cbar_t" = ' in result.out
    assert "handnets lint --key public.toml SHEET.toml" in result.out


def _template_examples(text: str) -> str:
    """The template's example lines, uncommented: a sheet answering every question with its example."""
    lines = ["[answers]"]
    for line in text.splitlines():
        if line.startswith('# "') and " = " in line:
            lines.append(line[2:].split("   # ", 1)[0])
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("key", ["homework", KEY])
def test_template_examples_answer_no_question(cli, key):
    from handnets.grading.grade import grade_sheet
    from handnets.grading.sheet import loads_sheet

    text = cli("template", "--key", key).out
    sheet = loads_sheet(_template_examples(text))
    loaded = load_key(key)
    assert len(sheet.answers) == sum(q.type != "adder" for q in loaded.questions)
    report = grade_sheet(loaded, sheet)
    assert [(v.id, v.score) for v in report.verdicts if v.score > 0] == []
    # and none is an expected answer or a listed mistake, as written
    shown = {str(v) for v in sheet.answers.values()}
    for question in loaded.questions:
        if question.expected is not None:
            assert str(question.as_answer(question.expected)) not in shown


def test_template_no_longer_shows_the_old_giveaways(cli):
    text = cli("template", "--key", "homework").out
    assert "\\overline{h^{(t)}} \\tanh(c^{(t)})" not in text  # lstm.obar_t's answer
    assert "4*(16*32 + 32*32 + 32)" not in text  # params.classifier.lstm's answer


def test_template_quotes_dotted_ids(cli, tmp_path):
    key = tmp_path / "k.toml"
    key.write_text("[[questions]]\nid = 'q1.adder'\nprompt = 'Adder.'\ntype = 'adder'\n"
                   "[[questions]]\nid = 'q2.count'\nprompt = 'Count.'\ntype = 'integer'\nexpected = 78\n")
    text = cli("template", "--key", str(key)).out
    assert '# [answers."q1.adder"]' in text and '# "q2.count" = "7*(11*13 + 2)"' in text  # 3*(4*5 + 6) is 78: skipped


def test_example_sheet_grades_as_the_readme_shows(cli):
    sheet = Path(__file__).resolve().parents[1] / "examples" / "sheets" / "s042.toml"
    payload = json.loads(cli("grade", "--key", "homework", str(sheet), "--json").out)
    notes = {q["id"]: (q["verdict"], q["note"]) for q in payload["questions"] if q["verdict"] != "missing"}
    assert notes == {
        "adder": ("incorrect", "adder.margin-zero"),
        "lstm.cbar_t": ("correct", "correct"),
        "lstm.obar_t": ("correct", "correct"),
        "lstm.ibar_t": ("incorrect", "bar.pre-activation"),
        "lstm.w_xi_bar": ("correct", "correct"),
        "lstm.gradient_flow": ("manual", "manual"),
        "recurrence.c_t_from_c_prev2": ("correct", "correct"),
        "recurrence.cbar_prev2": ("incorrect", "recurrence.one-forget-gate"),
        "params.classifier.lstm": ("correct", "correct"),
        "params.classifier.total": ("correct", "correct"),
        "conv.output_shape": ("correct", "correct"),
        "conv.params": ("incorrect", "conv.no-biases"),
        "resnet.a_l2": ("correct", "correct"),
        "asymptotics.mdrnn.steps": ("incorrect", "asymptotics.mdrnn-product"),
    }
    assert (payload["score"], payload["max_score"]) == (15.25, 45)  # judge: five more points of questions


def test_grade_several_sheets_one_unreadable_still_grades_the_others(cli, sheet_file, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[answers\n")
    result = cli("grade", "--key", KEY, str(bad), str(sheet_file), "--json")
    assert result.code == 2
    assert [json.loads(line)["student"] for line in result.out.splitlines()] == ["s042"]
    assert result.err.startswith(f"error: {bad}: not valid TOML")
