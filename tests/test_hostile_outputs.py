"""Output under attack: result names, CSV cells, control characters, markup, output folders, isolation.

The subprocess corpus (tests/test_hostile_corpus.py) runs the same classes end to end; these tests pin
each guarantee on its own, in-process, with oracles that do not share the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
import unicodedata
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.grading import grade
from handnets.grading.grade import Report
from handnets.outdir import OutputError, ResultFolder, write_file
from handnets.render.batch import student_filenames
from handnets.render.text import clean, csv_cell, escape_filename, unescape_filename

ROOT = Path(__file__).resolve().parents[1]
KEY = str(ROOT / "tests" / "data" / "small_key.toml")

# every character a terminal acts on: C0 (but newline and tab in multi-line text), DEL, C1, bidi, separators, surrogates
_ACTIVE = set(range(0x00, 0x20)) | set(range(0x7F, 0xA0)) | {0x61C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029}


def _active(text: str, allowed: str = "") -> list[str]:
    return [c for c in text if (ord(c) in _ACTIVE or 0xD800 <= ord(c) <= 0xDFFF) and c not in allowed]


def _report(student: str) -> Report:
    return Report(student=student, source=f"{student}.toml", key="k", verdicts=())


def _strip_suffix(name: str) -> str:
    stem = name.removesuffix(".json")
    return stem.rsplit("~", 1)[0] if "~" in stem else stem


# ------------------------------------------------------------------------------ result names


# what a student id can be: any TOML string (no surrogates), or a file name as os.listdir decodes it
names = st.text(st.one_of(st.characters(exclude_categories=("Cs",)), st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF)),
                min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(names, min_size=1, max_size=12))
def test_result_names_unique_without_case_and_reversible(students):
    files = student_filenames(tuple(_report(s) for s in students))
    folded = [unicodedata.normalize("NFC", f).casefold() for f in files]
    assert len(set(folded)) == len(files)
    for student, name in zip(students, files):
        assert "/" not in name and not name.startswith(".") and "\x00" not in name
        assert len(name.encode("utf-8", "surrogateescape")) <= 255
        if "~h" not in name:  # an id too long once escaped is cut and hashed (its file says who it is)
            assert unescape_filename(_strip_suffix(name)) == student


@given(names)
def test_escape_filename_inverts(student):
    assert unescape_filename(escape_filename(student)) == student
    assert "~" not in escape_filename(student)


def test_result_names_duplicates_never_overwrite():
    assert student_filenames(tuple(_report(s) for s in ("dup", "dup", "dup-2"))) == ["dup.json", "dup~2.json", "dup-2.json"]
    assert student_filenames(tuple(_report(s) for s in ("Dup", "dup"))) == ["Dup.json", "dup~2.json"]


def test_result_names_keep_non_ascii_students_apart():
    assert student_filenames(tuple(_report(s) for s in ("张伟", "student-2", "Łukasz", "student"))) == [
        "张伟.json", "student-2.json", "Łukasz.json", "student.json"]


def test_result_names_long_ids_fit_a_file_system():
    files = student_filenames(tuple(_report(s) for s in ("/" * 200, "/" * 199 + "x")))
    assert len(set(files)) == 2 and all(len(f.encode()) <= 255 for f in files)


# ------------------------------------------------------------------------------ text on every output


@given(st.text(st.characters(codec=None, exclude_categories=())))
def test_clean_leaves_nothing_a_terminal_acts_on(text):
    assert _active(clean(text)) == []
    assert _active(clean(text, lines=True), allowed="\n\t") == []


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),  # OSC 52: writes the clipboard
    ("\x1b]8;;http://evil\x1b\\link", "\\x1b]8;;http://evil\\x1b\\link"),  # OSC 8: a hidden link
    ("\x1b[2J", "\\x1b[2J"),  # clears the screen
    ("\x9b2J", "\\x9b2J"),  # the C1 CSI
    ("abc\u202edcba", "abc\\u202edcba"),
    ("e\udcff", "e\\xff"),  # a non-UTF-8 byte of a file name
    ("a\rb", "a\\x0db"),
])
def test_clean_shows_control_sequences(raw, shown):
    assert clean(raw) == shown


@settings(max_examples=300)
@given(st.text(st.characters(codec=None, exclude_categories=())))
def test_csv_cell_never_starts_a_formula_or_carries_controls(text):
    cell = csv_cell(text)
    row = next(csv.reader(io.StringIO(_csv_line([cell]))))
    assert row == [cell]
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert _active(cell) == []


def _csv_line(cells):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _grades(out: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))


def test_grades_csv_defuses_every_column(cli, tmp_path, monkeypatch):
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    monkeypatch.chdir(sheets)  # sources are the paths as given: relative, they start with the file name
    (sheets / '=HYPERLINK("https:evil","y").toml').write_text('student = "@SUM(A1)"\n[answers]\ncount = 6272\n')
    (sheets / "+1.toml").write_text("[answers]\ncount = 1\n")
    (sheets / "-2\x1b[2J.toml").write_text("[answers\n")  # unreadable: its reason goes in the status column
    result = cli("grade", "--key", KEY, ".", "--out", str(tmp_path / "out"))
    assert result.code == 3, result.err  # graded and written; the unreadable sheet is a problem to look at
    rows = _grades(tmp_path / "out")
    assert len(rows) == 4
    assert any(row[1] == "'=HYPERLINK(\"https:evil\",\"y\").toml" for row in rows)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
            assert _active(cell) == [], row
    assert {row[0] for row in rows[1:]} == {"'@SUM(A1)", "'+1", "'-2\\x1b[2J"}  # the unreadable row keeps its file name


def test_non_utf8_file_name_is_graded_and_written(cli, tmp_path):
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    raw = os.fsencode(sheets) + b"/caf\xe9.toml"  # Latin-1, as Windows zips often hold
    with open(raw, "wb") as file:
        file.write(b'student = "cafe"\n[answers]\ncount = 6272\n')
    with open(os.fsencode(sheets) + b"/\xff.toml", "wb") as file:  # its student defaults to a name that is not text
        file.write(b"[answers]\ncount = 6272\n")
    out = tmp_path / "out"
    result = cli("grade", "--key", KEY, str(sheets), "--out", str(out), "--json")
    assert result.code == 0, result.err
    rows = _grades(out)
    assert len(rows) == 3 and any(row[1].endswith("caf\\xe9.toml") for row in rows)
    json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for path in (out / "students").iterdir():
        json.loads(path.read_text(encoding="utf-8"))


MARKUP = "[bold red]FAKE 100/100[/bold red]"


def test_markup_and_escapes_in_a_sheet_print_literally(cli, tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(f'student = "{MARKUP}"\n[answers]\ncount = "[/] \\u001b[2J 1"\ngate = "[/]"\n')
    result = cli("grade", "--key", KEY, str(path))
    assert result.code == 0, result.err
    assert MARKUP in result.out and "[/]" in result.out
    assert "\x1b" not in result.out and "\\x1b[2J" in result.out


def test_markup_in_key_ids_and_notes_prints_literally(cli, tmp_path):
    key = tmp_path / "key.toml"
    key.write_text(f"title = '{MARKUP}'\n[[questions]]\nid = 'q[/]'\nprompt = 'p'\npoints = 1\ntype = 'integer'\nexpected = 1\n"
                   f"[[questions.mistakes]]\nnote = '{MARKUP}'\nanswer = 2\ncredit = 0.5\nfeedback = '[/] \\u001b]52;c;aGk=\\u0007'\n")
    sheet = tmp_path / "s.toml"
    sheet.write_text("[answers]\n'q[/]' = 2\n")
    result = cli("grade", "--key", str(key), str(sheet))
    assert result.code == 0, result.err
    assert "q[/]" in result.out and MARKUP in result.out and "\x1b" not in result.out
    batch = cli("grade", "--key", str(key), str(sheet), "--out", str(tmp_path / "out"))
    assert batch.code == 0, batch.err
    assert "q[/]" in batch.out and "\x1b" not in batch.out


def test_error_lines_show_escapes_not_send_them(cli, tmp_path):
    path = tmp_path / "\x1b]52;c;aGk=\x07.toml"
    path.write_text("[answers\n")
    result = cli("grade", "--key", KEY, str(path))
    assert result.code == 2 and "\x1b" not in result.err and "\\x1b]52" in result.err


# ------------------------------------------------------------------------------ templates


def test_template_of_a_key_with_a_newline_title_is_valid_toml(cli, tmp_path):
    key = tmp_path / "key.toml"
    key.write_text('title = "line one\\nanswers = 1\\r\\n[evil]"\n[[questions]]\nid = "a.b"\nprompt = "x\\ny = 2\\u001b"\npoints = 1\n'
                   'type = "integer"\nexpected = 1\n')
    target = tmp_path / "blank.toml"
    assert cli("template", "--key", str(key), "-o", str(target)).code == 0
    assert tomllib.loads(target.read_text(encoding="utf-8")) == {"answers": {}}


@pytest.mark.parametrize("where", ["file/x", "dir"])
def test_template_to_an_impossible_place_exits_2(cli, tmp_path, where):
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    result = cli("template", "--key", KEY, "-o", str(tmp_path / where))
    assert result.code == 2 and result.err.startswith("error: ") and len(result.err.splitlines()) == 1
    assert (tmp_path / "file").read_text() == "x"


# ------------------------------------------------------------------------------ usage


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "1e999", "x"])
@pytest.mark.parametrize("command", ["grade", "check"])
def test_time_limit_must_be_positive_and_finite(cli, tmp_path, value, command):
    args = ["grade", "--key", KEY, "s.toml"] if command == "grade" else ["check", "--key", KEY, "count", "1"]
    result = cli(*args, f"--time-limit={value}")
    assert result.code == 2 and "--time-limit" in result.err


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_jobs_must_be_positive(cli, value):
    result = cli("grade", "--key", KEY, "s.toml", "--out", "o", f"--jobs={value}")
    assert result.code == 2 and "--jobs" in result.err


# ------------------------------------------------------------------------------ output folders


@pytest.fixture
def sheets(tmp_path):
    directory = tmp_path / "sheets"
    directory.mkdir()
    for i in range(4):
        (directory / f"s{i}.toml").write_text(f'student = "s{i}"\n[answers]\ncount = {6272 if i % 2 else 1}\n')
    return directory


def test_out_that_is_a_file_exits_2_before_grading(cli, sheets, tmp_path):
    target = tmp_path / "out"
    target.write_text("keep me")
    result = cli("grade", "--key", KEY, str(sheets), "--out", str(target))
    assert result.code == 2 and result.err.startswith("error: ") and len(result.err.splitlines()) == 1
    assert target.read_text() == "keep me"


def test_out_that_is_a_symlink_is_refused(cli, sheets, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").symlink_to(elsewhere)
    result = cli("grade", "--key", KEY, str(sheets), "--out", str(tmp_path / "out"))
    assert result.code == 2 and list(elsewhere.iterdir()) == []


def test_second_run_into_a_locked_out_is_refused(cli, sheets, tmp_path):
    out = tmp_path / "out"
    assert cli("grade", "--key", KEY, str(sheets), "--out", str(out)).code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    holder = ResultFolder(out).open()  # another run, mid-way
    try:
        result = cli("grade", "--key", KEY, str(sheets), "--out", str(out))
    finally:
        holder.abandon()
    assert result.code == 2 and "another handnets run" in result.err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert cli("grade", "--key", KEY, str(sheets), "--out", str(out)).code == 0  # the lock is gone with its run


def test_rerun_replaces_stale_files(cli, sheets, tmp_path):
    out = tmp_path / "out"
    assert cli("grade", "--key", KEY, str(sheets), "--out", str(out)).code == 0
    (out / "students" / "gone.json").write_text("{}")
    assert cli("grade", "--key", KEY, str(sheets), "--out", str(out)).code == 0
    assert sorted(p.name for p in (out / "students").iterdir()) == ["s0.json", "s1.json", "s2.json", "s3.json"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["out", "sheets"]  # no lock, no staging left beside it


def test_write_failure_keeps_the_old_results_and_says_where_the_new_are(cli, sheets, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert cli("grade", "--key", KEY, str(sheets), "--out", str(out)).code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = ResultFolder.write

    def full_disk(self, name, data):
        if name.startswith("students/"):
            raise OutputError(f"{self.staging / name}: cannot be written: No space left on device")
        real(self, name, data)

    monkeypatch.setattr(ResultFolder, "write", full_disk)
    result = cli("grade", "--key", KEY, str(sheets), "--out", str(out))
    assert result.code == 2 and len(result.err.splitlines()) == 1 and "No space left" in result.err
    kept = Path(result.err.rsplit(" in ", 1)[1].strip())
    assert (kept / "grades.csv").exists() and kept.parent == out.parent
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def _can_mount() -> bool:
    import shutil

    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=16k none /mnt"], capture_output=True)
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs a private mount namespace (unshare -m) to make a small or read-only disk")


def _grade_on_small_disk(tmp_path: Path, sheets: Path, setup: str) -> subprocess.CompletedProcess:
    """Run ``handnets grade`` with tmp_path/disk a fresh tmpfs; ``setup`` runs in it first (sh)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    command = f'mount -t tmpfs -o size=48k none "$1" && cd "$1" && {setup} && exec "$2" -m handnets grade --key "$3" "$4" --out "$1/out"'
    return subprocess.run(["unshare", "-m", "sh", "-c", command, "sh", str(disk), sys.executable, KEY, str(sheets)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


@needs_mount
def test_read_only_out_exits_2_before_grading(tmp_path, sheets):
    done = _grade_on_small_disk(tmp_path, sheets, 'mkdir out && mount -o remount,ro "$1"')
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1 and "not writable" in done.stderr


@needs_mount
def test_full_disk_exits_2_and_says_where_the_results_are(tmp_path):
    sheets = tmp_path / "many"
    sheets.mkdir()
    for i in range(60):  # about 2 kB of JSON each: more than the 48 kB disk holds
        (sheets / f"s{i:02d}.toml").write_text(f'student = "s{i:02d}"\n[answers]\ncount = 6272\n')
    setup = 'mkdir out && echo old > out/grades.csv'
    done = _grade_on_small_disk(tmp_path, sheets, setup)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1, done.stderr
    assert "No space left on device" in done.stderr and "the results written so far are in" in done.stderr
    assert "Traceback" not in done.stderr


def test_write_file_never_follows_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    target = tmp_path / "autograder.zip"
    for planted in ("autograder.zip.tmp", ".autograder.zip.tmp"):
        (tmp_path / planted).symlink_to(victim)
    write_file(target, b"zip")
    assert victim.read_text() == "precious" and target.read_bytes() == b"zip"


def test_gradescope_build_ignores_a_planted_tmp_symlink(cli, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "X.tmp").symlink_to(victim)
    result = cli("gradescope", "build", "--key", KEY, "-o", str(tmp_path / "X"))
    assert result.code == 0, result.err
    assert victim.read_text() == "precious" and zipfile.is_zipfile(tmp_path / "X")


def test_written_files_follow_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        write_file(tmp_path / "a", "x")
        folder = ResultFolder(tmp_path / "out").open()
        folder.write("b", "y")
        folder.commit()
    finally:
        os.umask(previous)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o750 and (tmp_path / "out" / "b").stat().st_mode & 0o777 == 0o640


# ------------------------------------------------------------------------------ isolation outside batches


@pytest.fixture
def misbehaving(monkeypatch):
    """Answers that hang where no signal reaches, exhaust memory or kill the process: a forked worker inherits it."""
    original = grade.judge_answer

    def judge_answer(question, submitted, source="answer", memo=None, folder=None):
        if submitted == "HANG":
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(600)
        if submitted == "HOG":
            bytearray(16 * 1024**3)
        if submitted == "CRASH":
            os._exit(3)
        return original(question, submitted, source=source)

    monkeypatch.setattr(grade, "judge_answer", judge_answer)


@pytest.mark.parametrize(("answer", "reason"), [("HANG", "worker was stopped"), ("HOG", "more memory"), ("CRASH", "crashed the worker")])
def test_single_sheet_survives_what_kills_an_answer(cli, tmp_path, misbehaving, answer, reason):
    path = tmp_path / "s.toml"
    path.write_text(f'[answers]\ngate = "{answer}"\ncount = 6272\nshape = [28, 28, 8]\n')
    result = cli("grade", "--key", KEY, str(path), "--json", "--time-limit", "0.5")
    assert result.code == 0, result.err
    verdicts = {q["id"]: q for q in json.loads(result.out)["questions"]}
    assert verdicts["gate"]["verdict"] == "undecided" and reason in verdicts["gate"]["feedback"]
    assert verdicts["count"]["verdict"] == verdicts["shape"]["verdict"] == "correct"


@pytest.mark.parametrize("answer", ["HANG", "HOG", "CRASH"])
def test_gradescope_survives_what_kills_an_answer(cli, tmp_path, misbehaving, answer):
    path = tmp_path / "s.toml"
    path.write_text(f'[answers]\ngate = "{answer}"\ncount = 6272\n')
    result = cli("grade", "--key", KEY, str(path), "--format", "gradescope", "--out", str(tmp_path / "r"), "--time-limit", "0.5")
    assert result.code == 0, result.err
    payload = json.loads((tmp_path / "r" / "results.json").read_text())
    status = {t["name"]: t["status"] for t in payload["tests"]}
    assert payload["score"] == 2 and (status["gate"], status["count"]) == ("failed", "passed")


@pytest.mark.parametrize("answer", ["HANG", "HOG", "CRASH"])
def test_check_survives_what_kills_an_answer(cli, misbehaving, answer):
    result = cli("check", "--key", KEY, "gate", answer, "--json", "--time-limit", "0.5")
    assert result.code == 1, result.err
    assert json.loads(result.out)["verdict"] == "undecided"


def test_check_has_a_time_limit(cli):
    result = cli("check", "--key", "homework", "lstm.cbar_t", "x_t**exp(99999)", "--json", "--time-limit", "1")
    assert result.code == 1
    assert json.loads(result.out)["verdict"] in ("undecided", "invalid")


def test_limits_refuse_infinite_and_nan():
    from handnets.grading.batch import Limits

    for bad in (float("inf"), float("nan"), 0, -1):
        with pytest.raises(ValueError):
            Limits(seconds=bad, hard_seconds=10)
    assert Limits(seconds=Fraction(1, 2), hard_seconds=1).seconds == Fraction(1, 2)


@pytest.mark.parametrize(("content", "expected"), [
    ("max\n", 2 * 1024**3),  # no container limit
    (f"{768 * 1000**2}\n", 512 * 1024**2),  # Gradescope's default container
    (f"{2 * 1024**3}\n", 2 * 1024**3 - 256 * 1024**2),
    (f"{256 * 1024**2}\n", 512 * 1024**2),  # never below what a warm worker needs
    (f"{64 * 1024**3}\n", 2 * 1024**3),
])
def test_worker_memory_follows_the_container(tmp_path, content, expected):
    from handnets.grading.batch import default_memory_bytes

    limit = tmp_path / "memory.max"
    limit.write_text(content)
    assert default_memory_bytes(limits=(str(tmp_path / "absent"), str(limit))) == expected
