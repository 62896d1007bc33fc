"""The hostile corpus, end to end: every case run as a real ``handnets`` process on every command it reaches.

Each run is a subprocess in a fresh working folder, with its address space capped (``RLIMIT_AS``, set
in ``preexec_fn``) and a wall-clock timeout, in a session of its own. After each run the harness
checks that nothing printed a traceback, that no process of the session is left, and that no file
appeared or changed outside the run's ``--out`` (the whole temporary tree is snapshotted before and
after). For grading runs it checks that every other answer on the sheet and every other sheet was
graded. To stay within a few minutes, the answer cases of the batch and single-sheet paths are
batched into a few runs (one sheet per case); ``--format gradescope``, ``check``, ``template`` and
``gradescope build`` run one process per case.

Classes (issue 9): memory from tiny answers, huge decimals, code execution and expression bombs,
markup and control characters in names, file names and answers, formula injection, duplicate and
non-ASCII names, file names that are not UTF-8, FIFOs and devices among the sheets, broken sheets,
hostile keys for ``template``, hostile output paths. Killing in the write phase and concurrent runs
are in tests/test_hostile_writes.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from test_grading_hostile import BROKEN_SHEETS, hostile_answers, write_sheet

ROOT = Path(__file__).resolve().parents[1]
KEY = str(ROOT / "tests" / "data" / "small_key.toml")
MEMORY = 3 * 1024**3  # the harness's cap on each run (the workers cap themselves lower)
TIME_LIMIT = "1"  # per answer; the hard limit is then 2 * 1 + 5 = 7 s
WALL = 600  # seconds per run, far above what any run needs: a hang shows as a failure, not a stuck suite
GOOD = {"count": 6272, "gate": "hbar_t*tanh(c_t)", "shape": [28, 28, 8], "pick": "b"}
SENTINEL = "SENTINEL"  # a code-execution answer would create this file in the run's working folder


# ------------------------------------------------------------------------------ the harness


@dataclass
class Run:
    code: int
    out: str
    err: str
    outside: list[str]  # files created or changed outside --out
    left: bool  # processes of the run's session still alive after it exited


def _snapshot(root: Path) -> dict[str, str]:
    seen = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            try:
                info = os.lstat(path)
                digest = hashlib.sha1(open(path, "rb").read()).hexdigest() if os.path.isfile(path) and not os.path.islink(path) else str(info.st_mode)
            except OSError:
                digest = "?"
            seen[os.fsdecode(path)] = digest
    return seen


def _limits() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_handnets(args: list[str], cwd: Path, *, out: Path | None = None, timeout: float = WALL) -> Run:
    """Run ``python -m handnets ARGS`` under the harness's limits and checks (``out``: where it may write)."""
    before = _snapshot(cwd)
    process = subprocess.Popen([sys.executable, "-m", "handnets", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}, preexec_fn=_limits,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += b"\nHARNESS: the run did not finish within the wall-clock timeout"
    left = False
    deadline = time.monotonic() + 10
    while True:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        if time.monotonic() > deadline:
            left = True
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    after = _snapshot(cwd)
    allowed = os.fsdecode(out) if out is not None else None
    outside = sorted(p for p, digest in after.items() if before.get(p) != digest and not (allowed and (p == allowed or p.startswith(allowed + os.sep))))
    return Run(process.returncode, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), outside, left)


def assert_clean(run: Run) -> None:
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err[-3000:]
    assert "HARNESS" not in run.err, run.err[-2000:]
    assert not run.left, "processes were left behind"
    assert run.outside == [], f"files outside --out: {run.outside[:5]}"
    assert "\x1b" not in run.out and "\x1b" not in run.err  # nothing from a file reaches the terminal raw


# ------------------------------------------------------------------------------ the cases


@dataclass(frozen=True)
class AnswerCase:
    """One hostile answer to one question, on a sheet whose other answers are right."""

    id: str
    question: str
    answer: object
    student: str = ""
    expect: tuple[str, ...] = ("invalid", "incorrect", "undecided")
    unreadable_ok: bool = False  # the sheet itself may be refused (a TOML number no reader takes)


class Raw(str):
    """A TOML value written as is (a number literal too long for ``int``/``str`` round trips)."""

    def __str__(self) -> str:
        return str.__str__(self)


def _answer_cases() -> list[AnswerCase]:
    cases = [AnswerCase(f"old{i:03d}", q, a) for i, (q, a) in enumerate(hostile_answers(SENTINEL))]
    new = [
        # memory from tiny answers: each extra power doubles the work of a naive numeric check
        ("gate", "pi**(pi**(pi**20))"), ("gate", "pi**(pi**(pi**(pi**20)))"), ("gate", "pi**pi**pi**pi**pi"),
        ("gate", "E**(E**(E**20))"), ("gate", "exp(exp(exp(exp(9))))"), ("gate", "x_t**exp(99999)"),
        ("gate", "hbar_t**(pi**(pi**20))"), ("gate", "tanh(c_t)**(10**(10**5))"), ("gate", "(1 + 1/10**9)**(10**12)"),
        ("gate", "9**9**9**9"), ("count", "pi**(pi**(pi**20))"), ("count", "2**(2**(2**40))"),
        ("rate", "pi**(pi**(pi**20))"), ("rate", "exp(exp(exp(99)))"), ("rate", "10**(10**(10**10))"),
        ("growth", "O(d**(d**(d**20)))"), ("growth", "O(pi**(pi**(pi**20)) * d)"),
        # huge decimals and integers, as strings and as TOML numbers
        ("rate", "0." + "1" * 990_000), ("count", "9" * 990_000), ("rate", "1" + "0" * 600_000 + ".5"),
        ("gate", "0." + "3" * 500_000 + "*hbar_t"), ("count", "1e" + "9" * 5000), ("rate", "1" * 4400 + "/" + "3" * 4400),
        # markup, control and bidi characters inside answers
        ("gate", "[bold red]FAKE 100/100[/bold red]"), ("gate", "[/]"), ("gate", "[link=http://evil]x[/link]"),
        ("gate", "\x1b]52;c;aGVsbG8=\x07hbar_t"), ("gate", "\x1b]8;;http://evil\x1b\\hbar_t\x1b]8;;\x1b\\"),
        ("gate", "\x1b[2J\x1b[Hhbar_t"), ("gate", "\x9b2Jhbar_t"), ("gate", "hbar_t\u202e)t_c(hnat*"), ("gate", "\x07\x08\x7f"),
        ("why", "[bold red]FAKE 100/100[/bold red] \x1b]52;c;aGk=\x07 \x1b[2J"), ("why", "\u202e" * 50 + "[/]"),
        ("pick", "[/]"), ("pick", "\x1b[31mb"), ("shape", "[/]"), ("matrix", [["[/]", "\x1b[2J"], [0, 0]]),
        ("growth", "O([/])"), ("count", "=1+1"), ("count", "@SUM(A1)"), ("gate", "=HYPERLINK(\"http://evil\")"),
    ]
    cases += [AnswerCase(f"new{i:03d}", q, a) for i, (q, a) in enumerate(new)]
    numbers = [  # huge decimals and integers as TOML numbers, not strings
        ("rate", Raw("0." + "1" * 990_000)), ("rate", Raw("1" * 200_000 + ".5")), ("rate", Raw("1e-999999")), ("rate", Raw("9e999999")),
        ("count", Raw("9" * 5000)), ("count", Raw("1" * 4301)), ("matrix", Raw("[[" + "9" * 5000 + ", 0], [0, 0]]")),
        ("matrix", Raw("[[0." + "3" * 500_000 + ", 0], [0, 0]]")),
    ]
    cases += [AnswerCase(f"num{i:03d}", q, a, unreadable_ok=True) for i, (q, a) in enumerate(numbers)]
    cases.append(AnswerCase("why-markup-manual", "why", "[bold]FAKE[/bold]"))
    # free text is kept for a human (manual) unless it is not text at all (invalid)
    return [AnswerCase(c.id, c.question, c.answer, c.student, ("manual", "invalid")) if c.question == "why" else c for c in cases]


# student names (and the file names they come from): every one graded, every one kept apart and reversible
NAME_CASES = [
    ("markup", "[bold red]FAKE 100/100[/bold red]"), ("markup-close", "[/]"), ("markup-link", "[link=http://evil]x[/link]"),
    ("formula-eq", "=HYPERLINK(\"http://evil\",\"x\")"), ("formula-plus", "+1"), ("formula-minus", "-1"), ("formula-at", "@SUM(A1)"),
    ("formula-tab", "\t=1"), ("dup-a", "dup"), ("dup-b", "dup"), ("dup-2", "dup-2"), ("dup-case", "DUP"),
    ("student", "student"), ("student-2", "student-2"), ("cjk-a", "张伟"), ("cjk-b", "张伟"), ("arabic", "محمد"),
    ("dots", ".."), ("slash", "a/../../b"), ("percent", "100%"), ("tilde", "dup~2"), ("space", "  spaced  "),
    ("long", "x" * 200), ("long-escaped", "/" * 200), ("emoji", "🙂"),
]

# file names: the student defaults to the file's stem
FILE_CASES = [
    ("fname-markup", b"[bold]F[XX].toml"), ("fname-markup-close", b"[bold]x[_].toml"), ("fname-formula", b"=1+1.toml"), ("fname-esc", b"\x1b]52;c;aGk=\x07.toml"),
    ("fname-csi", b"\x1b[2J.toml"), ("fname-bidi", "\u202eevil.toml".encode()), ("fname-latin1", b"caf\xe9.toml"),
    ("fname-bytes", b"\xff\xfe.toml"), ("fname-c1", b"\xc2\x9b2J.toml"), ("fname-newline", b"a\nb.toml"),
]


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string (escapes included)


@dataclass
class Course:
    folder: Path
    cases: list[AnswerCase]
    sheet_of: dict[str, Path] = field(default_factory=dict)  # case id -> sheet path


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    folder = tmp_path_factory.mktemp("corpus") / "sheets"
    folder.mkdir()
    cases = _answer_cases()
    course = Course(folder, cases)
    for case in cases:
        path = folder / f"{case.id}.toml"
        write_sheet(path, case.id, case.question, case.answer)
        course.sheet_of[case.id] = path
    for name, student in NAME_CASES:
        path = folder / f"name-{name}.toml"
        path.write_text(f"student = {_toml_string(student)}\n[answers]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in GOOD.items()))
        course.sheet_of[f"name-{name}"] = path
    for name, raw in FILE_CASES:
        with open(os.fsencode(folder) + b"/" + raw, "wb") as file:
            file.write(b"[answers]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in GOOD.items()).encode())
        course.sheet_of[name] = Path(os.fsdecode(os.fsencode(folder) + b"/" + raw))
    for name, content in BROKEN_SHEETS:
        (folder / f"broken-{name}.toml").write_bytes(content)
    os.mkfifo(folder / "fifo.toml")  # nobody ever writes: reading it must not stall the batch
    os.symlink("/dev/zero", folder / "zero.toml")  # endless: reading it must be bounded
    os.symlink(folder / "missing-target", folder / "dangling.toml")
    (folder / "dir.toml").mkdir()
    return course


UNREADABLE = [f"broken-{name}.toml" for name, _ in BROKEN_SHEETS] + ["fifo.toml", "zero.toml", "dangling.toml", "dir.toml"]


def _check_report(case: AnswerCase, report: dict | None, refused: str | None = None) -> None:
    if report is None:  # the whole sheet was refused: only where the case allows it, and with a reason
        assert case.unreadable_ok and refused, (case.id, "sheet lost")
        return
    verdicts = {q["id"]: q for q in report["questions"]}
    assert verdicts[case.question]["verdict"] in case.expect, (case.id, verdicts[case.question])
    # a hostile answer is an ordinary input: never a crash of handnets itself
    assert "internal error" not in verdicts[case.question]["feedback"], (case.id, verdicts[case.question]["feedback"])
    for other in GOOD:
        if other != case.question:
            assert verdicts[other]["verdict"] == "correct", (case.id, other, verdicts[other]["feedback"])


# ------------------------------------------------------------------------------ grade, batch


@pytest.fixture(scope="module")
def batch_run(course, tmp_path_factory):
    cwd = course.folder.parent
    out = cwd / "out"
    run = run_handnets(["grade", "--key", KEY, str(course.folder), "--out", str(out), "--jobs", "2", "--time-limit", TIME_LIMIT, "--json"], cwd, out=out)
    return run, out


def test_corpus_is_large_enough(course):
    total = (len(course.cases) * 2 + len(GRADESCOPE_CASES) + len(CHECK_CASES) + len(NAME_CASES) * 2 + len(FILE_CASES) * 2
             + len(UNREADABLE) * 2 - 1 + len(TEMPLATE_KEYS) + len(OUTPUT_CASES))
    assert len(course.cases) + len(NAME_CASES) + len(FILE_CASES) + len(UNREADABLE) + len(TEMPLATE_KEYS) + len(OUTPUT_CASES) >= 150
    assert total >= 300  # (case, command) pairs


def test_batch_run_is_clean(batch_run, course):
    run, out = batch_run
    assert run.code == 3, run.err[-3000:]  # graded and written; its unreadable sheets are problems to look at
    assert_clean(run)
    assert not (course.folder.parent / SENTINEL).exists()


def _batch_reports(out: Path) -> dict[str, dict]:
    """Every student file, by the source sheet it came from."""
    reports = {}
    for path in (out / "students").iterdir():
        payload = json.loads(path.read_text(encoding="utf-8"))
        reports[payload["source"]] = payload
    return reports


def _shown(path: Path) -> str:
    """How a source path is written in the results (control characters and undecodable bytes shown as escapes)."""
    from handnets.printable import clean

    return clean(str(path))


@pytest.mark.parametrize("case", _answer_cases(), ids=lambda c: c.id)
def test_batch_answer(batch_run, course, case):
    _, out = batch_run
    source = str(course.sheet_of[case.id])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    refused = next((u["reason"] for u in summary["unreadable"] if u["source"] == source), None)
    _check_report(case, _batch_reports(out).get(source), refused)


@pytest.mark.parametrize(("name", "student"), NAME_CASES, ids=[n for n, _ in NAME_CASES])
def test_batch_student_name(batch_run, course, name, student):
    from handnets.render.text import unescape_filename

    _, out = batch_run
    source = str(course.sheet_of[f"name-{name}"])
    files = [p for p in (out / "students").iterdir() if json.loads(p.read_text(encoding="utf-8"))["source"] == source]
    if not files:  # a name the sheet reader refuses (a tab, say): listed with the reason, never lost
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert any(u["source"] == source and u["reason"] for u in summary["unreadable"]), name
        return
    assert len(files) == 1  # one file per sheet: no name overwrote another
    payload = json.loads(files[0].read_text(encoding="utf-8"))
    assert payload["student"] == student.strip() and payload["score"] == 5
    stem = files[0].name.removesuffix(".json")
    if "~h" not in stem:  # (an id too long for a file name once escaped is cut and hashed: its file says who)
        assert unescape_filename(stem.rsplit("~", 1)[0] if "~" in stem else stem) == student.strip()
    rows = [r for r in csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))) if r[1] == _csv_shown(source)]
    assert len(rows) == 1 and not rows[0][0].startswith(("=", "+", "-", "@", "\t", "\r"))


def _csv_shown(text: str) -> str:
    from handnets.render.text import csv_cell

    return csv_cell(text)


@pytest.mark.parametrize(("name", "raw"), FILE_CASES, ids=[n for n, _ in FILE_CASES])
def test_batch_file_name(batch_run, course, name, raw):
    _, out = batch_run
    source = str(course.sheet_of[name])
    rows = [r for r in csv.reader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))) if r[1] == _csv_shown(source)]
    assert len(rows) == 1, name
    row = rows[0]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) < 0xA0 and c not in "\u202e" for cell in row for c in cell)
    # graded (its file name is a valid student) or listed as unreadable with the reason: never lost
    assert row[-1] == "graded" and row[-3] == "5" or row[-1].startswith("unreadable: ")


@pytest.mark.parametrize("name", UNREADABLE)
def test_batch_unreadable_sheet_is_listed(batch_run, course, name):
    _, out = batch_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    reasons = {Path(u["source"]).name: u["reason"] for u in summary["unreadable"]}
    assert reasons.get(name), (name, sorted(reasons))


# ------------------------------------------------------------------------------ grade, one sheet at a time (no --out)


@pytest.fixture(scope="module")
def single_runs(course):
    """The answer cases and the name cases, graded on the single-sheet path in a few runs of many sheets."""
    ids = [c.id for c in course.cases] + [f"name-{n}" for n, _ in NAME_CASES] + [n for n, _ in FILE_CASES]
    results: dict[str, dict] = {}
    runs = []
    cwd = course.folder.parent
    for start in range(0, len(ids), 60):
        chunk = ids[start:start + 60]
        run = run_handnets(["grade", "--key", KEY, *[str(course.sheet_of[i]) for i in chunk], "--json", "--time-limit", TIME_LIMIT], cwd)
        runs.append(run)
        for line in run.out.splitlines():
            payload = json.loads(line)
            results[payload["source"]] = payload
    return runs, results


def test_single_runs_are_clean(single_runs, course):
    runs, _ = single_runs
    for run in runs:
        assert run.code in (0, 2), run.err[-3000:]
        assert_clean(run)
    assert not (course.folder.parent / SENTINEL).exists()


@pytest.mark.parametrize("case", _answer_cases(), ids=lambda c: c.id)
def test_single_answer(single_runs, course, case):
    runs, results = single_runs
    source = str(course.sheet_of[case.id])
    refused = next((line for run in runs for line in run.err.splitlines() if line.startswith(f"error: {source}")), None)
    _check_report(case, results.get(source), refused)


@pytest.mark.parametrize(("name", "student"), NAME_CASES, ids=[n for n, _ in NAME_CASES])
def test_single_student_name(single_runs, course, name, student):
    runs, results = single_runs
    source = str(course.sheet_of[f"name-{name}"])
    if source not in results:  # refused by the sheet reader: said on stderr, never lost
        assert any(line.startswith("error: ") and source in line for run in runs for line in run.err.splitlines()), name
        return
    payload = results[source]
    assert payload["student"] == student.strip() and payload["score"] == 5


@pytest.mark.parametrize(("name", "raw"), FILE_CASES, ids=[n for n, _ in FILE_CASES])
def test_single_file_name(single_runs, course, name, raw):
    runs, results = single_runs
    from handnets.render.text import clean

    source = _shown(course.sheet_of[name])
    graded = source in results and results[source]["score"] == 5
    reported = any(line.startswith("error: ") and clean(str(course.sheet_of[name])) in line for run in runs for line in run.err.splitlines())
    assert graded or reported


@pytest.fixture(scope="module")
def single_unreadable(course):
    """Every unreadable sheet but the folder (a usage error on this path), between two good ones, in one run."""
    good = str(course.sheet_of["name-student"])
    names = [n for n in UNREADABLE if n != "dir.toml"]
    run = run_handnets(["grade", "--key", KEY, good, *[str(course.folder / n) for n in names], good, "--json", "--time-limit", TIME_LIMIT],
                       course.folder.parent)
    return run


def test_single_unreadable_run_is_clean_and_grades_the_others(single_unreadable):
    assert_clean(single_unreadable)
    assert single_unreadable.code == 2
    assert [json.loads(line)["score"] for line in single_unreadable.out.splitlines()] == [5, 5]


@pytest.mark.parametrize("name", [n for n in UNREADABLE if n != "dir.toml"])
def test_single_unreadable_sheet_is_named(single_unreadable, course, name):
    lines = [line for line in single_unreadable.err.splitlines() if line.startswith(f"error: {course.folder / name}")]
    assert len(lines) == 1, single_unreadable.err


def test_single_folder_is_a_usage_error(course):
    run = run_handnets(["grade", "--key", KEY, str(course.folder / "dir.toml"), "--json"], course.folder.parent)
    assert_clean(run)
    assert run.code == 2 and run.err.startswith("error: ") and "is a directory" in run.err


# ------------------------------------------------------------------------------ --format gradescope: one process per submission


def _gradescope_cases() -> list[AnswerCase]:
    wanted = {"new000", "new002", "new005", "new017", "new018", "new023", "new024", "new026", "old025", "old035", "old000"}
    return [c for c in _answer_cases() if c.id in wanted]


GRADESCOPE_CASES = _gradescope_cases() + [AnswerCase(n, "", None) for n in ("fifo.toml", "zero.toml", "broken-binary.toml")]


@pytest.mark.parametrize("case", GRADESCOPE_CASES, ids=lambda c: c.id)
def test_gradescope_submission(course, case, tmp_path):
    out = tmp_path / "results"
    sheet = course.folder / case.id if case.id.endswith(".toml") else course.sheet_of[case.id]
    run = run_handnets(["grade", "--key", KEY, str(sheet), "--format", "gradescope", "--out", str(out), "--time-limit", TIME_LIMIT],
                       course.folder.parent, out=out)
    assert_clean(run)
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert set(payload) >= {"score", "tests", "output"}
    if case.id.endswith(".toml"):  # unreadable: a valid results file that says so
        assert run.code == 2 and payload["score"] == 0 and "could not be graded" in payload["output"]
        return
    assert run.code == 0, run.err
    status = {t["name"]: t for t in payload["tests"]}
    assert status[case.question]["status"] == "failed"
    assert all(status[q]["status"] == "passed" for q in GOOD if q != case.question)
    assert "\x1b" not in json.dumps(payload, ensure_ascii=False)


# ------------------------------------------------------------------------------ check: one answer on the command line


def _check_cases() -> list[AnswerCase]:
    wanted = {"new000", "new003", "new005", "new010", "new013", "new023", "new024", "new026", "old025", "old027", "old000", "old014"}
    # the command line holds at most 128 kB per argument: the huge decimals are cut to fit
    return [c if not isinstance(c.answer, str) or len(c.answer) < 100_000 else AnswerCase(c.id, c.question, c.answer[:100_000], c.student, c.expect)
            for c in _answer_cases() if c.id in wanted]


CHECK_CASES = _check_cases() + [
    AnswerCase("check-deep-list", "matrix", "[" * 3000 + "]" * 3000), AnswerCase("check-deep-table", "adder", "{a = " * 2000 + "1" + "}" * 2000),
    AnswerCase("check-dotted-key", "adder", "{" + ".".join(["a"] * 20000) + " = 1}"), AnswerCase("check-big-int", "count", "9" * 5000),
]


@pytest.mark.parametrize("case", CHECK_CASES, ids=lambda c: c.id)
def test_check_answer(course, case, tmp_path):
    answer = case.answer if isinstance(case.answer, str) else json.dumps(case.answer)
    run = run_handnets(["check", "--key", KEY, case.question, answer, "--json", "--time-limit", TIME_LIMIT], tmp_path)
    assert_clean(run)
    assert run.code in (1, 2), run.err
    if run.code == 1:
        assert json.loads(run.out)["verdict"] in case.expect
    else:
        assert run.err.startswith("error: ") and len(run.err.splitlines()) == 1
    assert not (tmp_path / SENTINEL).exists()


# ------------------------------------------------------------------------------ template: hostile keys


def _key(title: str, *, qid: str = "q", prompt: str = "p", note: str = "n") -> str:
    return (f"title = {_toml_string(title)}\n[[questions]]\nid = {_toml_string(qid)}\nprompt = {_toml_string(prompt)}\n"
            f"points = 1\ntype = \"integer\"\nexpected = 1\n[[questions.mistakes]]\nnote = {_toml_string(note)}\nanswer = 2\ncredit = 0.5\n"
            f"feedback = {_toml_string(note)}\n"
            "[[questions]]\nid = \"adder.q\"\nprompt = \"a\"\npoints = 1\ntype = \"adder\"\n")


TEMPLATE_KEYS = [
    ("title-newline", _key("one\nanswers = 1")), ("title-crlf", _key("one\r\n[answers]\nx = 1")), ("title-esc", _key("\x1b]52;c;aGk=\x07")),
    ("title-markup", _key("[bold red]FAKE[/bold red] [/]")), ("title-bidi", _key("\u202eevil")), ("title-quote", _key('"""\'\'\'')),
    ("prompt-newline", _key("t", prompt="a\n[answers]\nq = 1\n")), ("prompt-cr", _key("t", prompt="a\rb")), ("prompt-del", _key("t", prompt="\x7f\x00")),
    ("id-quote", _key("t", qid='a"b')), ("id-backslash", _key("t", qid="a\\b")), ("id-markup", _key("t", qid="[/]")),
    ("id-space", _key("t", qid="a b")), ("id-unicode", _key("t", qid="张伟")),
]


@pytest.mark.parametrize(("name", "text"), TEMPLATE_KEYS, ids=[n for n, _ in TEMPLATE_KEYS])
def test_template_of_a_hostile_key(tmp_path, name, text):
    (tmp_path / "key.toml").write_text(text, encoding="utf-8")
    target = tmp_path / "blank.toml"
    run = run_handnets(["template", "--key", "key.toml", "-o", str(target)], tmp_path, out=target)
    assert_clean(run)
    if run.code == 2:  # the key itself was refused: one line saying why
        assert run.err.startswith("error: ") and len(run.err.splitlines()) == 1
        return
    assert run.code == 0, run.err
    assert tomllib.loads(target.read_text(encoding="utf-8")) == {"answers": {}}
    if name in ("title-newline", "title-esc", "id-quote"):  # printed to the terminal, too
        printed = run_handnets(["template", "--key", "key.toml"], tmp_path)
        assert_clean(printed)
        assert tomllib.loads(printed.out) == {"answers": {}}


# ------------------------------------------------------------------------------ hostile output paths


def _prepare_output(tmp_path: Path, name: str) -> tuple[list[str], Path, int]:
    """(arguments, the path it may write, the exit code expected) for each hostile output case."""
    (tmp_path / "file").write_text("precious")
    (tmp_path / "victim").write_text("precious")
    sheet = tmp_path / "s.toml"
    sheet.write_text("[answers]\ncount = 6272\n")
    if name == "template-under-file":
        return ["template", "--key", KEY, "-o", "file/x"], tmp_path / "file" / "x", 2
    if name == "template-into-dir":
        (tmp_path / "d").mkdir()
        return ["template", "--key", KEY, "-o", "d"], tmp_path / "d", 2
    if name == "build-planted-tmp":
        (tmp_path / "X.tmp").symlink_to(tmp_path / "victim")
        (tmp_path / ".X.tmp").symlink_to(tmp_path / "victim")
        return ["gradescope", "build", "--key", KEY, "-o", "X"], tmp_path / "X", 0
    if name == "build-over-symlink":
        (tmp_path / "X").symlink_to(tmp_path / "victim")  # replaced by the new file; the target is untouched
        return ["gradescope", "build", "--key", KEY, "-o", "X"], tmp_path / "X", 0
    if name == "build-under-file":
        return ["gradescope", "build", "--key", KEY, "-o", "file/X"], tmp_path / "file" / "X", 2
    if name == "build-into-dir":
        (tmp_path / "d").mkdir()
        return ["gradescope", "build", "--key", KEY, "-o", "d"], tmp_path / "d", 2
    if name == "out-is-file":
        return ["grade", "--key", KEY, str(sheet), "--out", "file"], tmp_path / "file", 2
    if name == "out-under-file":
        return ["grade", "--key", KEY, str(sheet), "--out", "file/out"], tmp_path / "file" / "out", 2
    if name == "out-is-symlink":
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "out").symlink_to(tmp_path / "elsewhere")
        return ["grade", "--key", KEY, str(sheet), "--out", "out"], tmp_path / "out", 2
    if name == "out-lock-symlink":
        (tmp_path / ".out.lock").symlink_to(tmp_path / "victim")  # never opened through: refused
        return ["grade", "--key", KEY, str(sheet), "--out", "out"], tmp_path / "out", 2
    if name == "gradescope-out-is-file":
        return ["grade", "--key", KEY, str(sheet), "--format", "gradescope", "--out", "file"], tmp_path / "file", 2
    if name == "gradescope-planted-tmp":
        (tmp_path / "r").mkdir()
        (tmp_path / "r" / "results.json.tmp").symlink_to(tmp_path / "victim")
        (tmp_path / "r" / ".results.json.tmp").symlink_to(tmp_path / "victim")
        return ["grade", "--key", KEY, str(sheet), "--format", "gradescope", "--out", "r"], tmp_path / "r" / "results.json", 0
    if name in ("time-limit-0", "time-limit-nan", "time-limit-inf", "time-limit-neg"):
        value = {"time-limit-0": "0", "time-limit-nan": "nan", "time-limit-inf": "inf", "time-limit-neg": "-1"}[name]
        return ["grade", "--key", KEY, str(sheet), "--out", "out", f"--time-limit={value}"], tmp_path / "out", 2
    if name == "check-time-limit-nan":
        return ["check", "--key", KEY, "count", "1", "--time-limit=nan"], tmp_path / "none", 2
    raise AssertionError(name)


OUTPUT_CASES = ["template-under-file", "template-into-dir", "build-planted-tmp", "build-over-symlink", "build-under-file", "build-into-dir",
                "out-is-file", "out-under-file", "out-is-symlink", "out-lock-symlink", "gradescope-out-is-file", "gradescope-planted-tmp",
                "time-limit-0", "time-limit-nan", "time-limit-inf", "time-limit-neg", "check-time-limit-nan"]


@pytest.mark.parametrize("name", OUTPUT_CASES)
def test_hostile_output_path(tmp_path, name):
    args, allowed, code = _prepare_output(tmp_path, name)
    run = run_handnets(args, tmp_path, out=allowed)
    assert_clean(run)
    assert run.code == code, run.err
    assert (tmp_path / "file").read_text() == "precious" and (tmp_path / "victim").read_text() == "precious"
    if code == 2:
        lines = [line for line in run.err.splitlines() if line.startswith("error")]  # argparse prints its usage first
        assert len(lines) == 1 and run.err.splitlines()[-1] == lines[0], run.err
    elif name.startswith("build"):
        assert zipfile.is_zipfile(allowed) and not allowed.is_symlink()
