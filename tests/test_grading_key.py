"""Keys and sheets: the built-in key's coverage, derived expected answers, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from handnets.errors import InvalidKey, InvalidSheet
from handnets.grading.key import ANSWER_TYPES, load_key
from handnets.grading.references import derived, known_references
from handnets.grading.sheet import load_sheet, loads_sheet

DATA = Path(__file__).resolve().parent / "data"

HOMEWORK_IDS = [
    "adder", "lstm.hbar_t", "lstm.cbar_t", "lstm.gbar_t", "lstm.obar_t", "lstm.fbar_t", "lstm.ibar_t",
    "lstm.w_xi_bar", "lstm_ce.cbar_t", "recurrence.c_t_from_c_prev2", "recurrence.cbar_prev2",
    "params.rnn_20_128_10", "params.classifier.embedding", "params.classifier.lstm", "params.classifier.dense",
    "params.classifier.total", "conv.params", "conv.output_shape", "resnet.a_l1", "resnet.a_l2",
]


def test_homework_key_has_every_required_question():
    ids = [q.id for q in load_key("homework").questions]
    assert set(HOMEWORK_IDS) <= set(ids)
    assert len(ids) == len(set(ids))


def test_homework_key_expected_answers_are_derived_not_typed():
    text = (Path(__file__).resolve().parents[1] / "handnets" / "data" / "keys" / "homework.toml").read_text()
    import tomllib

    for question in tomllib.loads(text)["questions"]:
        if question["type"] not in ("adder", "text"):
            assert set(question["expected"]) == {"derived"}, question["id"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("params.rnn_20_128_10", 20362),
        ("params.classifier.embedding", 16000),
        ("params.classifier.lstm", 6272),
        ("params.classifier.dense", 8705),
        ("params.classifier.total", 30977),
        ("conv.params", 608),
        ("conv.output_shape", (28, 28, 8)),
        ("params.vgg16", 138357544),
    ],
)
def test_derived_values_are_the_homework_values(name, value):
    assert derived(name) == value


def test_every_reference_resolves():
    for name in known_references():
        assert derived(name) is not None, name


def test_small_key_loads_every_answer_type():
    key = load_key(DATA / "small_key.toml")
    # trained_rnn answers are model files next to the sheet: their key is in tests/test_trained_grading.py
    assert {q.type for q in key.questions} == set(ANSWER_TYPES) - {"trained_rnn"}
    assert key.max_score == 13


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("title = 'x'\n", "expected at least one [[questions]] table"),
        ("[[questions]]\nprompt = 'p'\ntype = 'integer'\nexpected = 1\n", "questions[0].id: expected a non-empty string id"),
        ("[[questions]]\nid = 'a'\ntype = 'integr'\nexpected = 1\n", "type: expected one of integer"),
        ("[[questions]]\nid = 'a'\ntype = 'integer'\n", "expected: missing"),
        ("[[questions]]\nid = 'a'\ntype = 'integer'\nexpected = 1.5\n", "expected a whole number"),
        ("[[questions]]\nid = 'a'\ntype = 'expression'\nexpected = 'x_t +'\n", "cannot read 'x_t +'"),
        ("[[questions]]\nid = 'a'\ntype = 'expression'\nexpected = { derived = 'nope' }\n", "unknown derived result 'nope'"),
        ("[[questions]]\nid = 'a'\ntype = 'integer'\nexpected = 1\n[[questions]]\nid = 'a'\ntype = 'integer'\nexpected = 2\n", "appears twice"),
        ("[[questions]]\nid = 'a'\ntype = 'integer'\nexpected = 1\ncolour = 'red'\n", "unknown field(s) colour"),
        ("[[questions]]\nid = 'a'\ntype = 'integer'\nexpected = 1\n[questions.options]\nabs_tol = 1\n", "do not apply to integer answers"),
        ("[[questions]]\nid = 'a'\ntype = 'integer'\nexpected = 1\n[[questions.mistakes]]\nanswer = 2\n", "note: expected a stable id"),
        ("[[questions]]\nid = 'a'\ntype = 'integer'\nexpected = 1\n[[questions.mistakes]]\nnote = 'n'\nanswer = 2\ncredit = 2\n", "between 0 and 1"),
        ("[[questions]]\nid = 'a'\ntype = 'expression'\nexpected = 'x_t'\ndefinitions = 'gru'\n", "definitions: expected one of"),
        ("[[questions]]\nid = 'a'\ntype = 'adder'\nexpected = 1\n", "adder questions take no expected answer"),
        ("[[questions]]\nid = 'a'\ntype = 'integer'\nexpected = 1\npoints = 'many'\n", "points"),
        ("[[questions]]\nid = 'a\n", "not valid TOML"),
    ],
)
def test_bad_key_names_question_and_field(tmp_path, text, fragment):
    path = tmp_path / "key.toml"
    path.write_text(text)
    with pytest.raises(InvalidKey) as info:
        load_key(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_unknown_key_name_lists_builtin_keys():
    with pytest.raises(InvalidKey, match="built-in: homework"):
        load_key("homewrk")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"student = 's'\n[answers\n", "line 2, column"),
        (b"\xff\xfe", "not UTF-8"),
        (b"", "no [answers] table"),
        (b"student = 's'\n", "no [answers] table"),
        (b"answers = 3\n", "expected a table of answers"),
        (b"student = 3\n[answers]\n", "expected a short printable string"),
        (b"grade = 'A'\n[answers]\n", "unknown top-level key(s) grade"),
    ],
)
def test_unreadable_sheet_says_why(tmp_path, content, fragment):
    path = tmp_path / "s.toml"
    path.write_bytes(content)
    with pytest.raises(InvalidSheet) as info:
        load_sheet(path)
    assert fragment in str(info.value)


def test_sheet_student_defaults_to_file_name(tmp_path):
    path = tmp_path / "s042.toml"
    path.write_text("[answers]\nx = 1\n")
    assert load_sheet(path).student == "s042"


def test_enormous_sheet_is_refused(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"[answers]\nx = '" + b"a" * 2_000_000 + b"'\n")
    with pytest.raises(InvalidSheet, match="more than"):
        load_sheet(path)


def test_loads_sheet_keeps_decimals_exact():
    from decimal import Decimal

    assert loads_sheet('[answers]\nrate = 0.1\n').answers["rate"] == Decimal("0.1")


@pytest.mark.parametrize(
    ("field", "line"),
    [
        ("feedback", 'feedback = "half is \\frac{1}{2}"'),  # \f: a form feed
        ("expected", 'expected = "\\bar{c}_t"'),  # \b: a backspace
        ("prompt", 'prompt = "write \\tanh(c_t)"'),  # \t then a LaTeX command: a tab
    ],
)
def test_key_latex_in_double_quotes_is_refused_naming_question_and_field(tmp_path, field, line):
    path = tmp_path / "key.toml"
    path.write_text("\n".join(["[[questions]]", "id = 'q1'", "type = 'expression'", line,
                               *([] if field == "expected" else ["expected = 'x_t'"])]) + "\n")
    with pytest.raises(InvalidKey) as info:
        load_key(path)
    assert str(info.value).startswith(f"{path}: question q1: {field}: LaTeX in a double-quoted string: use single quotes")


def test_key_latex_in_a_mistake_names_the_mistake(tmp_path):
    path = tmp_path / "key.toml"
    path.write_text("[[questions]]\nid = 'q1'\ntype = 'expression'\nexpected = 'x_t'\n"
                    "[[questions.mistakes]]\nnote = 'half'\nanswer = 'x_t/2'\ncredit = 0\nfeedback = \"\\frac{1}{2}\"\n")
    with pytest.raises(InvalidKey, match=r"question q1: mistakes\[0\]\.feedback: LaTeX in a double-quoted string"):
        load_key(path)


def test_key_single_quoted_latex_and_plain_newlines_are_accepted(tmp_path):
    path = tmp_path / "key.toml"
    path.write_text("[[questions]]\nid = 'q1'\ntype = 'expression'\nexpected = 'x_t'\n"
                    "prompt = \"first line\\nsecond line\"\nfeedback = '\\frac{1}{2} \\bar{c}_t'\n")
    question = load_key(path).question("q1")
    assert question.feedback == "\\frac{1}{2} \\bar{c}_t"
    assert question.prompt == "first line\nsecond line"


def test_builtin_key_has_no_latex_damage():
    # every string of the raw file, read without load_key (which would refuse a damaged key itself)
    import tomllib
    from importlib import resources

    from handnets.safeio import latex_damage

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    raw = tomllib.loads(resources.files("handnets.data").joinpath("keys/homework.toml").read_text(encoding="utf-8"))
    found = list(strings(raw))
    assert len(found) > 100 and [text for text in found if latex_damage(text)] == []
