"""``handnets lint``: every answer read as the grader reads it, never judged.

Oracle: the realistic corpus (tests/data/realistic_answers.toml), whose verdicts were decided by its
author and an independent referee, not by handnets: an answer is unreadable to lint exactly when the
corpus calls it invalid. Lint against the public key must say the same as against the private one.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from handnets.cli import main
from handnets.grading.key import load_key
from handnets.grading.lint import lint_sheet, read_answer
from handnets.grading.parse import ParseFailure
from handnets.grading.public import key_from_public, public_toml
from handnets.grading.sheet import Sheet, loads_sheet
from handnets.safeio import load_toml, loads_toml

KEY = load_key("homework")
PUBLIC = key_from_public(loads_toml(public_toml(KEY), source="public"), name="public", source="public")
CASES = load_toml(Path(__file__).parent / "data" / "realistic_answers.toml", what="corpus")["case"]


def _status(key, question_id, answer) -> str:
    sheet = Sheet(student="s", answers={question_id: answer}, source="corpus")
    (line,) = [line for line in lint_sheet(key, sheet).lines if line.id == question_id]
    return line.status


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['question']}:{c.get('cls', '')}")
def test_lint_reads_exactly_the_answers_the_corpus_calls_readable(case):
    expected = "unreadable" if case["verdict"] == "invalid" else "read"
    assert _status(PUBLIC, case["question"], case["answer"]) == expected, case["answer"]


@pytest.mark.parametrize("case", CASES[::7], ids=lambda c: f"{c['question']}:{c.get('cls', '')}")
def test_lint_public_and_private_keys_read_alike(case):
    question_public = PUBLIC.question(case["question"])
    question_private = KEY.question(case["question"])
    try:
        a = read_answer(question_public, case["answer"])
    except Exception as exc:  # noqa: BLE001 - the same refusal must come from both
        with pytest.raises(type(exc)):
            read_answer(question_private, case["answer"])
        return
    b = read_answer(question_private, case["answer"])
    if isinstance(a, ParseFailure):
        assert (a.message, a.position) == (b.message, b.position)
    else:
        assert (a.plain, a.expr) == (b.plain, b.expr)


def _sheet(text: str) -> Sheet:
    return loads_sheet(text, source="sheet.toml")


def test_lint_unknown_id_suggests_the_nearest():
    result = lint_sheet(PUBLIC, _sheet('[answers]\n"lstm.cbar" = "x_t"\n'))
    (line,) = [line for line in result.lines if line.status == "unknown"]
    assert line.id == "lstm.cbar" and line.suggestions == ("lstm.cbar_t",)
    assert not result.readable


def test_lint_unreadable_answer_has_the_caret():
    result = lint_sheet(PUBLIC, _sheet('[answers]\n"lstm.obar_t" = "hbar_t * tanh(c_t))"\n'))
    line = next(line for line in result.lines if line.id == "lstm.obar_t")
    assert line.status == "unreadable" and line.caret.splitlines()[1].index("^") == len("hbar_t * tanh(c_t)")


def test_lint_latex_in_double_quotes_is_flagged_with_the_fix():
    result = lint_sheet(PUBLIC, _sheet('[answers]\n"lstm.obar_t" = "\\bar{h}_t \\tanh(c_t)"\n'))
    line = next(line for line in result.lines if line.id == "lstm.obar_t")
    assert line.status == "damaged" and "single quotes" in line.message


def test_lint_missing_answers_are_listed_but_do_not_fail():
    result = lint_sheet(PUBLIC, _sheet('[answers]\n"lstm.obar_t" = "hbar_t*tanh(c_t)"\n'))
    assert result.readable and result.count("missing") == len(KEY.questions) - 1


def test_lint_never_judges_a_wrong_answer():
    # cbar_t*g_t*i_t*(1 - i_t) is a known mistake: lint reads it, says nothing of its correctness
    result = lint_sheet(PUBLIC, _sheet('[answers]\n"lstm.ibar_t" = "cbar_t*g_t*i_t*(1 - i_t)"\n'))
    assert result.readable and next(line for line in result.lines if line.id == "lstm.ibar_t").status == "read"


def _run(*args: str, width: int = 80) -> tuple[int, str]:
    buffer = io.StringIO()
    code = main(list(args), out=Console(file=buffer, width=width, color_system=None))
    return code, buffer.getvalue()


@pytest.fixture
def public_file(tmp_path):
    path = tmp_path / "public.toml"
    path.write_text(public_toml(KEY), encoding="utf-8")
    return path


def test_lint_cli_exit_0_when_every_answer_reads(public_file, tmp_path):
    sheet = tmp_path / "s.toml"
    sheet.write_text('[answers]\n"lstm.obar_t" = \'\\overline{h^{(t)}} \\tanh(c^{(t)})\'\n', encoding="utf-8")
    code, text = _run("lint", "--key", str(public_file), str(sheet))
    assert code == 0 and "hbar_t*tanh(c_t)" in text and "Every answer is readable" in text


def test_lint_cli_exit_1_and_text_escaped(public_file, tmp_path):
    sheet = tmp_path / "s.toml"
    sheet.write_text('[answers]\n"lstm.obar_t" = "[red]x_t(("\n"nope" = "\\u001b[31m"\n', encoding="utf-8")
    code, text = _run("lint", "--key", str(public_file), str(sheet))
    assert code == 1 and "[red]x_t((" in text and "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_lint_cli_json(public_file, tmp_path):
    sheet = tmp_path / "s.toml"
    sheet.write_text('[answers]\n"lstm.cbar_t" = "hbar_t o_t (1 - tanh(c_t)^2) + cbar_next f_next"\n', encoding="utf-8")
    code, text = _run("lint", "--key", str(public_file), str(sheet), "--json")
    payload = json.loads(text)
    line = next(a for a in payload["answers"] if a["id"] == "lstm.cbar_t")
    assert code == 0 and line["status"] == "read" and line["read_as"]["latex"].startswith(r"\overline{c^{(t+1)}}")


def test_lint_cli_unreadable_sheet_exits_2(public_file, tmp_path, capsys):
    sheet = tmp_path / "s.toml"
    sheet.write_text("[answers\n", encoding="utf-8")
    code, _ = _run("lint", "--key", str(public_file), str(sheet))
    assert code == 2 and capsys.readouterr().err.startswith("error:")


def test_lint_template_header_mentions_lint():
    from handnets.render.template import format_template

    assert "handnets lint --key" in format_template(KEY).split("[answers]")[0]
