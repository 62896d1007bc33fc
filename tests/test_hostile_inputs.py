"""Hostile input files through the real command line: sheets, keys, weights, model code, conv specs.

Every case plants one hostile file (a FIFO, a link to /dev/zero, a TOML bomb, bytes that are not
UTF-8, ...) among good ones and runs one command over all of them. Each must end with the exit code
the README promises, one ``error:`` line naming the hostile file (or its row in a multi-file
report), no traceback anywhere, and every good file in the same command still reported. Each
command runs in a thread with a deadline, so a regression that blocks fails instead of hanging.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from handnets.safeio import display_name

KEY = str(Path(__file__).resolve().parent / "data" / "small_key.toml")
CLASSIC = "W_xh = [[1, 1], [1, 1], [1, 1]]\nW_hh = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]\nb_h = [-0.5, -1.5, -2.5]\nW_hy = [1, -1, 1]\nb_y = -0.5\n"
GOOD_SHEET = "[answers]\ncount = 6272\nrate = 3\n"
GOOD_CODE = "model = Sequential([Input(shape=(20,)), Dense(8)])\n"
GOOD_CONV = "input = [[1, 2], [3, 4]]\nfilters = [[[1]]]\n"


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def _write(data: bytes | str) -> Callable[[Path], None]:
    raw = data.encode("utf-8") if isinstance(data, str) else data

    def make(path: Path) -> None:
        path.write_bytes(raw)

    return make


def _link(target: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.symlink_to(target)

    return make


def _loop(path: Path) -> None:
    path.symlink_to(path)


# Files that are hostile whatever command reads them.
GENERIC: dict[str, Callable[[Path], None]] = {
    "fifo": os.mkfifo,
    "link-dev-zero": _link("/dev/zero"),
    "link-dev-urandom": _link("/dev/urandom"),
    "link-dev-null": _link("/dev/null"),
    "link-dangling": _link("/nonexistent/nowhere"),
    "link-loop": _loop,
    "link-proc-dir": _link("/proc/self"),
    "socket": _socket,
    "directory": os.mkdir,
    "empty": _write(b""),
    "only-bom": _write(b"\xef\xbb\xbf"),
    "not-utf8": _write(b"x = '\xff\xfe'\n"),
    "latin1": _write("x = 'élève'\n".encode("latin-1")),
    "utf16": _write("x = 1\n".encode("utf-16")),
    "nul-bytes": _write(b"x = 1\x00\x00\n"),
    "binary": _write(bytes(range(256)) * 8),
    "zip": _write(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64),
    "too-big": _write(b"#" * 1_000_001),
    "deep-arrays": _write("x = " + "[" * 3000 + "]" * 3000 + "\n"),
    "deep-inline-tables": _write("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"),
    "int-5000-digits": _write("x = " + "9" * 5000 + "\n"),
    "dotted-key-60kb": _write("a" + ".a" * 30_000 + " = 1\n"),
    "dotted-header": _write("[" + "a." * 30_000 + "a]\n"),
    "long-bare-key": _write("k" * 50_000 + " = 1\n"),
    "syntax-error": _write("[answers\n"),
    "duplicate-key": _write("x = 1\nx = 2\n"),
    "latex-invalid-escape": _write('x = "\\sigma(c_t)"\n'),
    "terminal-escapes": _write("\x1b]52;c;ZXZpbA==\x07\x1b[2J = 1\n"),
    "bom-then-garbage": _write(b"\xef\xbb\xbf[[[[\n"),
}

_SHEET_ONLY_GENERIC = {"directory", "link-proc-dir"}  # single-sheet mode refuses a directory argument as a usage error


def _run(cli, *args: str):
    """The command in a thread: a command that blocks (a FIFO opened for reading) fails the test."""
    outcome: dict = {}

    def target() -> None:
        outcome["result"] = cli(*args)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(120)
    if thread.is_alive():
        pytest.fail(f"handnets {' '.join(args)} blocked for more than 120 s")
    return outcome["result"]


def _assert_refused(result, hostile: Path, *, code: int = 2) -> None:
    assert "Traceback" not in result.out + result.err
    assert result.code == code, (result.out[-800:], result.err[-800:])
    errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.err
    assert display_name(hostile) in errors[0], errors[0]


# ------------------------------------------------------------------------------ answer sheets


@pytest.mark.parametrize("kind", sorted(set(GENERIC) - _SHEET_ONLY_GENERIC))
def test_hostile_sheet_is_reported_and_the_others_graded(cli, tmp_path, kind):
    before, after = tmp_path / "before.toml", tmp_path / "after.toml"
    before.write_text(GOOD_SHEET, encoding="utf-8")
    after.write_text(GOOD_SHEET, encoding="utf-8")
    hostile = tmp_path / f"{kind}.toml"
    GENERIC[kind](hostile)
    result = _run(cli, "grade", "--key", KEY, str(before), str(hostile), str(after), "--json")
    _assert_refused(result, hostile)
    reports = [json.loads(line) for line in result.out.splitlines() if line.startswith("{")]
    assert [r["student"] for r in reports] == ["before", "after"]


SHEETS: dict[str, str | bytes] = {
    "no-answers-table": "student = 's1'\n",
    "answers-not-a-table": "answers = 3\n",
    "unknown-top-level": "[answers]\ncount = 1\n[extra]\nx = 1\n",
    "student-not-a-string": "student = 42\n[answers]\ncount = 1\n",
    "student-control-chars": "student = \"\\u001b[2J\"\n[answers]\ncount = 1\n",
    "student-too-long": f"student = '{'s' * 500}'\n[answers]\ncount = 1\n",
    "latex-in-key-line": '[answers]\ngate = "\\overline{h_t}"\n',
    "latex-unicode-escape": '[answers]\ngate = "\\underline{h}"\n',
    "answers-deep-arrays": "[answers]\nmatrix = " + "[" * 100 + "]" * 100 + "\n",
    "answers-int-5000": "[answers]\ncount = " + "1" * 5000 + "\n",
    "answers-dotted": "[answers]\n" + ".".join(["q"] * 5000) + " = 1\n",
}


@pytest.mark.parametrize("kind", sorted(SHEETS))
def test_malformed_sheet_is_reported_and_the_others_graded(cli, tmp_path, kind):
    good = tmp_path / "good.toml"
    good.write_text(GOOD_SHEET, encoding="utf-8")
    hostile = tmp_path / f"{kind}.toml"
    data = SHEETS[kind]
    hostile.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    result = _run(cli, "grade", "--key", KEY, str(hostile), str(good), "--json")
    _assert_refused(result, hostile)
    assert [json.loads(line)["student"] for line in result.out.splitlines() if line.startswith("{")] == ["good"]


@pytest.mark.parametrize(
    ("written", "restored"),
    [("\\bar{h}_t \\tanh(c_t)", "\\bar{h}_t \\tanh(c_t)"), ("\\frac{1}{2}", "\\frac{1}{2}"), ("h_t \\times 2", "h_t \\times 2")],
)
def test_sheet_latex_read_as_escapes_invalidates_that_answer_only(cli, tmp_path, written, restored):
    sheet = tmp_path / "s1.toml"
    sheet.write_text(f'[answers]\ncount = 6272\ngate = "{written}"\n', encoding="utf-8")
    result = _run(cli, "grade", "--key", KEY, str(sheet), "--json")
    assert result.code == 0 and "Traceback" not in result.err
    by_id = {q["id"]: q for q in json.loads(result.out)["questions"]}
    assert by_id["count"]["verdict"] == "correct"
    assert by_id["gate"]["verdict"] == "invalid"
    assert f"use single quotes ('{restored}')" in by_id["gate"]["feedback"]


def test_sheet_latex_breaking_toml_names_the_line_and_the_fix(cli, tmp_path):
    sheet = tmp_path / "s1.toml"
    sheet.write_text('[answers]\ncount = 6272\ngate = "\\sigma(c_t)"\n', encoding="utf-8")
    result = _run(cli, "grade", "--key", KEY, str(sheet))
    assert result.code == 2
    assert result.err == (
        f"error: {sheet}: line 3: LaTeX in a double-quoted string: use single quotes ('\\sigma(c_t)') so the backslashes are kept\n"
    )


def test_sheet_with_byte_order_mark_is_graded(cli, tmp_path):
    sheet = tmp_path / "notepad.toml"
    sheet.write_bytes(b"\xef\xbb\xbf" + GOOD_SHEET.encode())
    result = _run(cli, "grade", "--key", KEY, str(sheet), "--json")
    assert result.code == 0 and json.loads(result.out)["student"] == "notepad"


def test_sheet_with_non_utf8_file_name_is_graded_under_an_escaped_name(cli, tmp_path):
    sheet = Path(os.fsdecode(bytes(tmp_path) + b"/\xc9l\xe8ve.toml"))
    sheet.write_text(GOOD_SHEET, encoding="utf-8")
    result = _run(cli, "grade", "--key", KEY, str(sheet), "--json")
    assert result.code == 0 and "Traceback" not in result.err
    assert json.loads(result.out)["student"] == "\\xc9l\\xe8ve"


def test_sheet_folder_of_hostile_files_grades_the_good_ones(cli, tmp_path):
    folder = tmp_path / "sheets"
    folder.mkdir()
    (folder / "good.toml").write_text(GOOD_SHEET, encoding="utf-8")
    Path(os.fsdecode(bytes(folder) + b"/\xc9l\xe8ve.toml")).write_text(GOOD_SHEET, encoding="utf-8")  # a zip from Windows
    hostile = ["fifo", "link-dev-zero", "directory", "not-utf8", "deep-arrays", "dotted-key-60kb", "int-5000-digits", "too-big"]
    for kind in hostile:
        GENERIC[kind](folder / f"{kind}.toml")
    result = _run(cli, "grade", "--key", KEY, str(folder), "--out", str(tmp_path / "out"), "--jobs", "1", "--json")
    assert result.code == 3 and "Traceback" not in result.out + result.err  # 3: graded, with unreadable sheets listed
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    text = json.dumps(summary)
    for kind in hostile:
        assert f"{kind}.toml" in text
    assert "good" in text and "\\\\xc9l\\\\xe8ve" in text
    assert "\\xc9l\\xe8ve" in (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ keys


@pytest.mark.parametrize("kind", sorted(GENERIC))
def test_hostile_key_is_refused_naming_it(cli, tmp_path, kind):
    sheet = tmp_path / "s1.toml"
    sheet.write_text(GOOD_SHEET, encoding="utf-8")
    hostile = tmp_path / f"key-{kind}.toml"
    GENERIC[kind](hostile)
    result = _run(cli, "grade", "--key", str(hostile), str(sheet))
    _assert_refused(result, hostile)


# ------------------------------------------------------------------------------ weights


WEIGHTS: dict[str, str] = {
    "missing-everything": "threshold = 'ge'\n",
    "unknown-key": CLASSIC + "W_xx = 1\n",
    "wrong-shape": CLASSIC.replace("W_xh = [[1, 1], [1, 1], [1, 1]]", "W_xh = [[1, 1, 1], [1, 1, 1]]"),
    "ragged": CLASSIC.replace("W_hh = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]", "W_hh = [[0, 1], [0, 1, 0], [0]]"),
    "65-units": f"W_xh = {[[1, 1]] * 65}\nW_hh = {[[0] * 65] * 65}\nb_h = {[0] * 65}\nW_hy = {[0] * 65}\nb_y = 0\n",
    "nan": CLASSIC.replace("b_y = -0.5", "b_y = nan"),
    "inf": CLASSIC.replace("b_y = -0.5", "b_y = -inf"),
    "boolean": CLASSIC.replace("b_y = -0.5", "b_y = true"),
    "string-garbage": CLASSIC.replace("b_y = -0.5", "b_y = 'minus a half'"),
    "division-by-zero": CLASSIC.replace("b_y = -0.5", "b_y = '1/0'"),
    "500-digit-number": CLASSIC.replace("b_y = -0.5", "b_y = " + "9" * 500 + ".5"),
    "huge-exponent": CLASSIC.replace("b_y = -0.5", "b_y = 1e999999"),
    "table-for-vector": CLASSIC.replace("b_h = [-0.5, -1.5, -2.5]", "b_h = {a = 1}"),
    "nested-too-deep": CLASSIC.replace("W_hy = [1, -1, 1]", "W_hy = [[[1, -1, 1]]]"),
    "h0-not-bits": CLASSIC + "h0 = [2, 0, 0]\n",
    "threshold-unknown": "threshold = 'maybe'\n" + CLASSIC,
    "three-outputs": CLASSIC.replace("W_hy = [1, -1, 1]\nb_y = -0.5", "W_hy = [[1, -1, 1], [1, 1, 1]]\nb_y = [0, 0]"),
    "latex-weights": 'threshold = "\\geq"\n' + CLASSIC,
}


@pytest.mark.parametrize("kind", sorted(GENERIC))
def test_hostile_weights_file_is_listed_and_the_others_checked(cli, tmp_path, kind):
    first, last = tmp_path / "first.toml", tmp_path / "last.toml"
    first.write_text(CLASSIC, encoding="utf-8")
    last.write_text(CLASSIC, encoding="utf-8")
    hostile = tmp_path / f"{kind}.toml"
    GENERIC[kind](hostile)
    result = _run(cli, "adder", "check", str(first), str(hostile), str(last), "--max-len", "3", "--json")
    assert "Traceback" not in result.out + result.err
    assert result.code == 2
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [row["file"] for row in rows] == [str(first), display_name(hostile), str(last)]
    assert rows[0]["correct"] and rows[2]["correct"]
    assert rows[1]["error"].startswith(display_name(hostile) + ": ")


@pytest.mark.parametrize("kind", sorted(WEIGHTS))
def test_malformed_weights_file_is_refused_naming_it(cli, tmp_path, kind):
    hostile = tmp_path / f"{kind}.toml"
    hostile.write_text(WEIGHTS[kind], encoding="utf-8")
    result = _run(cli, "adder", "check", str(hostile), "--max-len", "3")
    _assert_refused(result, hostile)


@pytest.mark.parametrize("command", [("accuracy", "--max-len", "4"), ("run", "FILE", "3", "5")])
@pytest.mark.parametrize("kind", ["fifo", "link-dev-zero", "deep-arrays", "not-utf8"])
def test_hostile_weights_file_in_other_adder_commands(cli, tmp_path, kind, command):
    hostile = tmp_path / f"{kind}.toml"
    GENERIC[kind](hostile)
    args = [str(hostile) if part == "FILE" else part for part in command]
    if "FILE" not in command:
        args.insert(1, str(hostile))
    result = _run(cli, "adder", *args)
    _assert_refused(result, hostile)


# ------------------------------------------------------------------------------ model code (params)


CODE: dict[str, str | bytes] = {
    "chain-100k": "x = " + "+".join(["1"] * 100_000) + "\nDense(8)\n",
    "chain-900": "Dense(" + "+".join(["1"] * 900) + ")\n",
    "attribute-chain": "a" + ".b" * 900 + "(8)\n",
    "attribute-chain-20k": "a" + ".b" * 20_000 + "\n",
    "unary-5000": "Dense(" + "-" * 5000 + "8)\n",
    "parens-5000": "f(" * 5000 + ")" * 5000 + "\n",
    "lists-3000": "Dense(" + "[" * 3000 + "]" * 3000 + ")\n",
    "int-5000-digits": "Dense(" + "9" * 5000 + ")\n",
    "99000-layers": "\n".join(f"Dense({i % 50 + 1})" for i in range(99_000)) + "\n",
    "nul-byte": b"Dense(8)\x00\n",
    "no-layers": "print('hello')\n",
    "syntax-error": "model = Sequential([Dense(8)\n",
    "star-args": "Dense(*sizes)\n",
    "power-tower": "n = 10**10**10\nDense(n)\n",
    "lambda": "Dense((lambda: 8)())\n",
}


@pytest.mark.parametrize("kind", sorted(GENERIC))
def test_hostile_code_file_is_refused_naming_it(cli, tmp_path, kind):
    hostile = tmp_path / f"{kind}.py"
    GENERIC[kind](hostile)
    result = _run(cli, "params", str(hostile))
    _assert_refused(result, hostile)


@pytest.mark.parametrize("kind", sorted(CODE))
def test_malformed_code_file_is_refused_with_a_reason(cli, tmp_path, kind):
    hostile = tmp_path / f"{kind}.py"
    data = CODE[kind]
    hostile.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    result = _run(cli, "params", str(hostile))
    _assert_refused(result, hostile)
    reason = result.err.split(f"{hostile}: ", 1)[1].strip()
    assert len(reason) > 10  # a real reason, never an empty one


# ------------------------------------------------------------------------------ conv specs


@pytest.mark.parametrize("kind", sorted(GENERIC))
def test_hostile_conv_spec_is_refused_naming_it(cli, tmp_path, kind):
    hostile = tmp_path / f"{kind}.toml"
    GENERIC[kind](hostile)
    result = _run(cli, "conv", str(hostile))
    _assert_refused(result, hostile)


def test_hostile_corpus_is_large_enough():
    per_command = len(GENERIC) * 4 + len(GENERIC) - len(_SHEET_ONLY_GENERIC)
    assert per_command + len(SHEETS) + len(WEIGHTS) + len(CODE) >= 120


def _shift_register_table(k: int) -> str:
    """The classic adder plus k - 3 units copying a_t down a chain: right, but 2**(k-3) states."""
    W_xh = [[1, 1], [1, 1], [1, 1], [1, 0]] + [[0, 0]] * (k - 4)
    W_hh = [[0, 1, 0] + [0] * (k - 3)] * 3 + [[0] * k] + [[1 if c == r - 1 else 0 for c in range(k)] for r in range(4, k)]
    b_h = ", ".join(["-0.5", "-1.5", "-2.5"] + ["-0.5"] * (k - 3))
    return f"[answers.adder]\nW_xh = {W_xh}\nW_hh = {W_hh}\nb_h = [{b_h}]\nW_hy = {[1, -1, 1] + [0] * (k - 3)}\nb_y = -0.5\n"


def test_sheet_adder_answer_too_large_to_prove_is_undecided(cli, tmp_path):
    sheet = tmp_path / "s1.toml"
    sheet.write_text(_shift_register_table(40), encoding="utf-8")
    result = _run(cli, "grade", "--key", KEY, str(sheet), "--json")
    assert result.code == 0 and "Traceback" not in result.err
    adder = {q["id"]: q for q in json.loads(result.out)["questions"]}["adder"]
    assert adder["verdict"] == "undecided"
    assert "not proved, enumeration only" in adder["feedback"]
