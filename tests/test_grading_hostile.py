"""A corpus of hostile and broken answers and sheets, graded as a batch: nothing runs, nothing hangs,
nothing else on the sheet is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handnets.grading.batch import Limits, find_sheets, grade_batch

KEY = str(Path(__file__).resolve().parent / "data" / "small_key.toml")


def hostile_answers(sentinel: str) -> list[tuple[str, object]]:
    """(question, answer) pairs: code execution, bombs, unicode tricks, NaN, wrong types."""
    touch = f"__import__('os').system('touch {sentinel}')"
    answers: list[tuple[str, object]] = [
        # code execution attempts
        ("gate", touch),
        ("gate", f"eval(\"{touch}\")"),
        ("gate", f"exec(\"open('{sentinel}', 'w')\")"),
        ("gate", f"open('{sentinel}', 'w').write('x')"),
        ("gate", "().__class__.__bases__[0].__subclasses__()"),
        ("gate", "[c for c in ().__class__.__base__.__subclasses__()]"),
        ("gate", "(lambda: __import__('os'))()"),
        ("gate", "lambda x: x"),
        ("gate", "hbar_t.__class__"),
        ("gate", "hbar_t.func"),
        ("gate", "globals()"),
        ("gate", "getattr(hbar_t, 'subs')"),
        ("gate", "__builtins__"),
        ("gate", "sympy.sympify('1')"),
        ("gate", "import os"),
        ("gate", "x := 1"),
        ("gate", "f'{1}'"),
        ("gate", "hbar_t; import os"),
        ("gate", "Symbol('x')"),
        ("gate", "S('1')"),
        ("count", touch),
        ("count", "__import__('subprocess').call(['touch', 'x'])"),
        ("growth", touch),
        ("growth", "O(__import__('os'))"),
        ("rate", f"exec('{touch}')"),
        # expression bombs
        ("gate", "10**10**10"),
        ("gate", "2**2**2**2**2**2"),
        ("gate", "hbar_t**(10**9)"),
        ("gate", "factorial(10**7)"),
        ("gate", "factorial(factorial(20))"),
        ("gate", "(" * 10000 + "hbar_t" + ")" * 10000),
        ("gate", "-" * 10000 + "hbar_t"),
        ("gate", "+".join(["hbar_t"] * 5000)),
        ("gate", "*".join(["tanh(c_t)"] * 3000)),
        ("gate", "tanh(" * 500 + "c_t" + ")" * 500),
        ("gate", "x" * 900_000),  # just under the sheet size limit: the answer itself must be refused
        ("gate", "9" * 100_000),
        ("gate", "(hbar_t + c_t)**64 * (hbar_t - c_t)**64"),
        ("count", "9" * 5000),
        ("count", "10**4000 * 10**4000"),
        ("count", "factorial(10**7)"),
        ("rate", "1e999999999"),
        ("rate", "1/0"),
        ("growth", "O(d**(10**10))"),
        # unicode tricks
        ("gate", "hbаr_t*tanh(c_t)"),  # Cyrillic a
        ("gate", "hbar_t*tаnh(c_t)"),  # Cyrillic a in tanh
        ("gate", "hbar_t\u200b*tanh(c_t)"),  # zero-width space
        ("gate", "\u202ehbar_t*tanh(c_t)"),  # right-to-left override
        ("gate", "hbar_t*tanh(c_t)\u200f"),  # right-to-left mark
        ("gate", "\ufeffhbar_t*tanh(c_t)"),  # byte-order mark
        ("gate", "ｈbar_t*tanh(c_t)"),  # full-width h
        ("gate", "hbar_t*tanh(c_t)\x00"),
        ("gate", "hbar_t*tanh(c_t)\x1b[2J"),
        # NaN, inf, zoo
        ("gate", "nan"),
        ("gate", "oo"),
        ("gate", "zoo"),
        ("count", "inf"),
        ("rate", "nan"),
        ("matrix", [[4, "nan"], [0, 0]]),
        ("matrix", [[4, "inf"], [0, 0]]),
        # wrong types in every field
        ("count", [1, 2]),
        ("count", {"a": 1}),
        ("count", True),
        ("gate", [1]),
        ("gate", {"x": "y"}),
        ("shape", {"h": 28}),
        ("shape", "28x28x" + "8" * 10000),
        ("matrix", "[[4, 4], [0, 0" + "]" * 5000),
        ("matrix", r"\begin{bmatrix}" * 2000),
        ("matrix", [[[4]]]),
        ("matrix", [[1] * 300] * 300),
        ("pick", 3),
        ("pick", "d"),
        ("why", [1, 2]),
        ("adder", "W_xh = 1"),
        ("adder", {"W_xh": "__import__('os')"}),
        ("adder", {"W_xh": [[1, 1]] * 100, "W_hh": [[0] * 100] * 100, "b_h": [0] * 100, "W_hy": [0] * 100, "b_y": 0}),
    ]
    return answers


def write_sheet(path: Path, student: str, question: str, answer: object) -> None:
    """A sheet with one hostile answer and, beside it, right answers to every other question it can carry."""
    good = {"count": 6272, "gate": "hbar_t*tanh(c_t)", "shape": [28, 28, 8], "pick": "b"}
    good.pop(question, None)
    lines = [f"student = {json.dumps(student)}", "[answers]"]
    for name, value in good.items():
        lines.append(f"{name} = {json.dumps(value)}")
    if question == "adder" and isinstance(answer, dict):
        lines.append("[answers.adder]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in answer.items()]
    else:
        lines.append(f"{question} = {_toml(answer)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _toml(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string (escapes included)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


BROKEN_SHEETS = [
    ("bad-toml", b"student = 's'\n[answers\ncount = 1\n"),
    ("not-utf8", b"student = '\xff\xfe'\n[answers]\n"),
    ("empty", b""),
    ("no-answers", b"student = 's'\n"),
    ("answers-not-table", b"answers = [1, 2]\n"),
    ("student-not-string", b"student = 12\n[answers]\n"),
    ("student-control-chars", b"student = \"a\\u001b[2Jb\"\n[answers]\n"),
    ("enormous", b"[answers]\ngate = '" + b"x" * 1_200_000 + b"'\n"),
    ("binary", bytes(range(256))),
    ("deep-tables", b"[answers]\n" + b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    sentinel = directory / "SENTINEL"
    answers = hostile_answers(str(sentinel))
    for i, (question, answer) in enumerate(answers):
        write_sheet(directory / f"h{i:03d}.toml", f"h{i:03d}", question, answer)
    for name, content in BROKEN_SHEETS:
        (directory / f"broken-{name}.toml").write_bytes(content)
    batch = grade_batch(KEY, find_sheets([directory]), jobs=2, limits=Limits(seconds=5, hard_seconds=15))
    return directory, sentinel, answers, batch


def test_hostile_corpus_is_large_enough(graded):
    _, _, answers, _ = graded
    assert len(answers) + len(BROKEN_SHEETS) >= 60


def test_hostile_corpus_runs_no_code(graded):
    directory, sentinel, _, _ = graded
    assert not sentinel.exists()
    assert not (Path.cwd() / "x").exists()


def test_hostile_answer_never_correct_and_others_still_graded(graded):
    _, _, answers, batch = graded
    reports = {r.student: r for r in batch.reports}
    assert len(reports) == len(answers)
    for i, (question, _answer) in enumerate(answers):
        verdicts = {v.id: v for v in reports[f"h{i:03d}"].verdicts}
        assert verdicts[question].verdict in ("invalid", "incorrect", "undecided"), (i, question, verdicts[question])
        for other in ("count", "gate", "shape", "pick"):
            if other != question:
                assert verdicts[other].verdict == "correct", (i, other, verdicts[other].feedback)


def test_hostile_answers_are_settled_by_the_worker_not_the_hard_limit(graded):
    _, _, _, batch = graded
    stopped = [(r.student, v.id) for r in batch.reports for v in r.verdicts if "worker was stopped" in v.feedback]
    assert stopped == []


def test_broken_sheets_are_listed_unreadable_with_reasons(graded):
    directory, _, _, batch = graded
    unreadable = {Path(u.source).name: u.reason for u in batch.unreadable}
    assert set(unreadable) == {f"broken-{name}.toml" for name, _ in BROKEN_SHEETS}
    assert "line 2" in unreadable["broken-bad-toml.toml"]
    assert "not UTF-8" in unreadable["broken-not-utf8.toml"]
    assert "more than" in unreadable["broken-enormous.toml"]
    assert all(reason for reason in unreadable.values())
