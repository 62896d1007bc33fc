"""``handnets key public``: the public key holds nothing of the private key's answers; ``key init`` and ``key show``.

The leak test greps the public file for every string the private key holds about its answers: each
expected answer as the report writes it, as sympy writes it and in homework LaTeX, each literal the key
file types under ``expected`` or ``answer``, each mistake's answer and note, and every feedback.
"""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
import sympy

from handnets import notation
from handnets.errors import InvalidKey
from handnets.grading.key import load_key
from handnets.grading.public import key_from_public, load_any_key, public_toml
from handnets.safeio import loads_toml
from handnets.vocabulary import NAMES

KEY = load_key("homework")
PUBLIC = public_toml(KEY)
RAW = loads_toml(resources.files("handnets.data").joinpath("keys/homework.toml").read_text(encoding="utf-8"), source="homework")
PROMPTS = " ".join(q.prompt for q in KEY.questions)


def _raw_strings(value, inside: str = ""):
    """Every string the raw key file holds under an answer-bearing field (expected, answer, feedback, example)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _raw_strings(item, name if name in ("expected", "answer", "feedback", "example", "mistakes",
                                                            "loose_bound", "write_out", "derived") or inside else "")
    elif isinstance(value, list):
        for item in value:
            yield from _raw_strings(item, inside)
    elif isinstance(value, str) and inside:
        yield value


def _secrets() -> set[str]:
    found: set[str] = set(_raw_strings(RAW["questions"]))
    for question in KEY.questions:
        found |= {question.expected_text, question.feedback}
        if isinstance(question.expected, sympy.Basic):
            found |= {sympy.sstr(question.expected), notation.plain(question.expected), notation.latex(question.expected)}
        for mistake in question.mistakes:
            found |= {mistake.note, mistake.feedback, str(question.as_answer(mistake.answer))}
    # derived = "lstm.cbar_t" names the question itself (its id is public), a lone name such as "cbar_t" is
    # vocabulary every prompt uses, and shorter strings are small numbers and words
    public_words = {q.id for q in KEY.questions} | set(NAMES)
    return {s for s in found if len(s) >= 4 and s not in public_words}


SECRETS = sorted(_secrets())


def test_key_public_leak_test_has_material():
    assert len(SECRETS) > 100  # every question's answers and mistakes: the test below greps for all of them


@pytest.mark.parametrize("secret", SECRETS)
def test_key_public_contains_no_answer_mistake_or_feedback(secret):
    if secret in PROMPTS:  # a prompt is public by design (none of the homework's prompts holds an answer)
        pytest.fail(f"a prompt gives away {secret!r}")
    assert secret not in PUBLIC


def test_key_public_has_no_answer_fields():
    data = loads_toml(PUBLIC, source="public")
    fields = {name for question in data["questions"] for name in question}
    assert data["public"] is True
    assert fields <= {"id", "prompt", "points", "type", "lhs", "vocabulary", "definitions", "asks", "choices"}
    assert not re.search(r"^\s*(expected|mistakes|feedback|answer|credit|note)\s*=", PUBLIC, re.M)


def test_key_public_keeps_every_question_readable_the_same_way():
    public = key_from_public(loads_toml(PUBLIC, source="public"), name="public", source="public")
    assert [(q.id, q.type, q.points, q.lhs, q.vocabulary, q.options.choices) for q in public.questions] == \
        [(q.id, q.type, q.points, q.lhs, q.vocabulary, q.options.choices) for q in KEY.questions]
    assert all(q.expected is None and not q.mistakes and not q.feedback for q in public.questions)
    assert [q.names() for q in public.questions] == [q.names() for q in KEY.questions]


def test_key_public_file_is_refused_by_the_grader(tmp_path, cli):
    path = tmp_path / "public.toml"
    path.write_text(PUBLIC, encoding="utf-8")
    sheet = tmp_path / "s.toml"
    sheet.write_text('[answers]\n"lstm.obar_t" = "hbar_t*tanh(c_t)"\n', encoding="utf-8")
    result = cli("grade", "--key", str(path), str(sheet))
    assert result.code == 2 and "error:" in result.err and "public" in result.err


def test_key_public_with_an_answer_field_is_refused(tmp_path):
    path = tmp_path / "leaky.toml"
    path.write_text(PUBLIC.replace('type = "expression"', 'type = "expression"\nexpected = "x_t"', 1), encoding="utf-8")
    with pytest.raises(InvalidKey, match="expected"):
        load_any_key(path)


def test_key_public_cli_writes_the_file(cli, tmp_path):
    target = tmp_path / "public.toml"
    result = cli("key", "public", "homework", "-o", str(target))
    assert result.code == 0 and target.read_text(encoding="utf-8") == PUBLIC
    assert "handnets lint --key" in result.out


def test_key_public_cli_to_stdout(cli):
    result = cli("key", "public", "homework")
    assert result.code == 0 and result.out == PUBLIC


def test_key_init_writes_the_builtin_key_and_keeps_an_existing_file(cli, tmp_path):
    target = tmp_path / "key.toml"
    assert cli("key", "init", "--from", "homework", "-o", str(target)).code == 0
    assert load_key(target).questions == KEY.questions
    target.write_text("mine", encoding="utf-8")
    result = cli("key", "init", "--from", "homework", "-o", str(target))
    assert result.code == 2 and "exists" in result.err and target.read_text(encoding="utf-8") == "mine"


def test_key_init_unknown_builtin_is_a_usage_error(cli, tmp_path):
    result = cli("key", "init", "--from", "nope", "-o", str(tmp_path / "k.toml"))
    assert result.code == 2 and "built-in" in result.err


def test_key_show_lists_expected_answers_and_mistakes(cli):
    result = cli("key", "show", "homework")
    assert result.code == 0 and "cbar.no-recurrent-term" in result.out and "lstm.cbar_t" in result.out
    payload = json.loads(cli("key", "show", "homework", "--json").out)
    assert [q["id"] for q in payload["questions"]] == [q.id for q in KEY.questions]


def test_key_show_at_80_columns_fits(capsys):
    import io

    from rich.console import Console

    from handnets.cli import main

    buffer = io.StringIO()
    assert main(["key", "show", "homework"], out=Console(file=buffer, width=80, color_system=None)) == 0
    assert max(len(line) for line in buffer.getvalue().splitlines()) <= 80
