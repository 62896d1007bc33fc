"""Batch grading: workers, hard limits, unreadable sheets, determinism, outputs, analytics, Gradescope."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.py310

from handnets.grading.analytics import analyse
from handnets.grading.batch import Limits, find_sheets, grade_batch
from handnets.grading.grade import grade_sheet
from handnets.grading.key import load_key
from handnets.grading.sheet import loads_sheet

KEY = str(Path(__file__).resolve().parent / "data" / "small_key.toml")

CLASSIC = """
[answers.adder]
W_xh = [[1, 1], [1, 1], [1, 1]]
W_hh = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
b_h  = [-0.5, -1.5, -2.5]
W_hy = [[1, -1, 1]]
b_y  = -0.5
"""


def sheet(student: str, **answers) -> str:
    lines = [f'student = "{student}"', "[answers]"]
    for name, value in answers.items():
        lines.append(f"{name} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def course(tmp_path):
    """Twelve sheets: right, wrong in shared and unshared ways, one unreadable, one hostile."""
    directory = tmp_path / "sheets"
    directory.mkdir()
    for i in range(10):
        answers = {"count": 6272, "gate": "hbar_t*tanh(c_t)", "shape": "28x28x8", "why": "because"}
        if i in (3, 7):  # s3 and s7 share two uncommon wrong answers
            answers |= {"count": 6100, "shape": [27, 27, 8]}
        if i in (1, 2, 5):  # a common, recognised mistake, written three different ways
            answers["gate"] = ["hbar_t*tanh(c_t)*o_t*(1 - o_t)", "o_t*(1-o_t)*hbar_t*tanh(c_t)", "hbar_t tanh(c_t) (o_t - o_t^2)"][i % 3]
        (directory / f"s{i}.toml").write_text(sheet(f"s{i}", **answers) + (CLASSIC if i % 2 == 0 else ""))
    (directory / "broken.toml").write_text("student = 'x'\n[answers\n")
    (directory / "evil.toml").write_text(sheet("evil", count="10**10**10", gate="__import__('os').system('touch SENTINEL')"))
    return directory


def test_find_sheets_expands_directories_sorted(course):
    names = [p.name for p in find_sheets([course])]
    assert names == sorted(names) and "broken.toml" in names and len(names) == 12


def test_find_sheets_missing_path_is_a_domain_error(tmp_path):
    from handnets.errors import InvalidRequest, UsageError

    with pytest.raises(InvalidRequest, match="no such file") as caught:
        find_sheets([tmp_path / "nope"])
    assert not isinstance(caught.value, UsageError)  # computation knows no command line (REVIEW.md item 5)
    assert caught.value.source == str(tmp_path / "nope")


def test_find_sheets_empty_directory_is_a_domain_error(tmp_path):
    from handnets.errors import InvalidRequest

    with pytest.raises(InvalidRequest, match="no .toml answer sheets"):
        find_sheets([tmp_path])


def test_batch_grades_every_readable_sheet_and_lists_unreadable(course):
    batch = grade_batch(KEY, find_sheets([course]), jobs=2)
    assert len(batch.reports) == 11
    assert [u.source for u in batch.unreadable] == [str(course / "broken.toml")]
    assert "line 3, column" in batch.unreadable[0].reason or "line 2" in batch.unreadable[0].reason
    evil = next(r for r in batch.reports if r.student == "evil")
    assert {v.id: v.verdict for v in evil.verdicts}["gate"] == "invalid"


def test_batch_results_do_not_depend_on_jobs_or_order(course):
    sheets = find_sheets([course])
    one = grade_batch(KEY, sheets, jobs=1)
    two = grade_batch(KEY, tuple(reversed(sheets)), jobs=2)
    assert one == two


def test_batch_matches_single_sheet_grading(course):
    batch = grade_batch(KEY, find_sheets([course / "s1.toml"]), jobs=1)
    key = load_key(KEY)
    from handnets.grading.sheet import load_sheet

    assert batch.reports[0] == grade_sheet(key, load_sheet(course / "s1.toml"))


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("HANG", "took longer than 3 s; the worker was stopped"),
        ("CRASH", "crashed the worker"),
        ("SLOW", "took longer than 1 s"),
        ("HOG", "needed more memory than allowed"),
    ],
)
def test_batch_answer_that_hangs_or_crashes_becomes_undecided(tmp_path, answer, reason):
    from batch_workers import misbehaving_worker

    (tmp_path / "a.toml").write_text(sheet("a", count=6272, gate=answer, shape="28x28x8"))
    (tmp_path / "b.toml").write_text(sheet("b", count=6400))
    batch = grade_batch(KEY, find_sheets([tmp_path]), jobs=2, limits=Limits(seconds=1, hard_seconds=3), worker=misbehaving_worker)
    a, b = batch.reports
    verdicts = {v.id: v for v in a.verdicts}
    assert verdicts["gate"].verdict == "undecided"
    assert reason in verdicts["gate"].feedback
    assert verdicts["count"].verdict == "correct" and verdicts["shape"].verdict == "correct"
    assert {v.id: v.verdict for v in b.verdicts}["count"] == "correct"


def test_analytics_groups_wrong_answers_by_meaning(course):
    batch = grade_batch(KEY, find_sheets([course]), jobs=1)
    stats = {q.question: q for q in analyse(batch.reports).questions}
    gate = stats["gate"]
    assert gate.common_wrong[0].count == 3  # three spellings, one meaning
    assert gate.common_wrong[0].note == "pre-activation"
    assert dict(gate.counts)["correct"] == 7


def test_answer_sharing_pairs_rare_shared_wrong_answers(course):
    batch = grade_batch(KEY, find_sheets([course]), jobs=1)
    analytics = analyse(batch.reports)
    top = analytics.pairs[0]
    assert top.students == ("s3", "s7")
    assert {s.question for s in top.shared} == {"count", "shape"}
    assert analytics.clusters == ()  # two shared answers: a pair, not yet a cluster (default: three)
    assert ("s3", "s7") in analyse(batch.reports, min_shared=2).clusters
    # the pre-activation mistake, three of eleven, is too common to count as sharing
    assert all(p.rarity <= top.rarity for p in analytics.pairs)


def test_answer_sharing_tells_apart_sheets_with_the_same_student_name():
    key = load_key(KEY)
    wrong = sheet("s1", count=6100, gate="hbar_t", shape=[1, 2, 3])
    reports = [grade_sheet(key, loads_sheet(wrong, source=f"{name}.toml")) for name in ("a", "b")]
    reports += [grade_sheet(key, loads_sheet(sheet(f"x{i}", count=6272), source=f"x{i}.toml")) for i in range(8)]
    top = analyse(reports).pairs[0]
    assert top.students == ("s1 (a.toml)", "s1 (b.toml)") and len(top.shared) == 3


def test_identical_correct_answers_never_count_as_sharing():
    key = load_key(KEY)
    reports = [grade_sheet(key, loads_sheet(sheet(f"s{i}", count=6272, gate="hbar_t*tanh(c_t)"))) for i in range(5)]
    assert analyse(reports).pairs == ()


def test_cli_batch_writes_outputs_atomically(cli, course, tmp_path):
    out = tmp_path / "out"
    result = cli("grade", "--key", KEY, str(course), "--out", str(out), "--jobs", "2")
    assert result.code == 3, result.err  # graded and written; broken.toml is a problem to look at
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert len(rows) == 12 and rows[-1]["status"].startswith("unreadable") and rows[-1]["student"] == "broken"
    s0 = next(r for r in rows if r["student"] == "s0")
    assert s0["total"] == "7" and s0["adder"] == "3"  # count 2 + gate 1 + shape 1 + adder 3; "why" waits for a human
    summary = json.loads((out / "summary.json").read_text())
    assert summary["students"] == 11 and summary["answer_sharing"]["pairs"][0]["students"] == ["s3", "s7"]
    student = json.loads((out / "students" / "s0.json").read_text())
    assert set(student) >= {"student", "score", "max_score", "questions"}
    assert not list(out.rglob("*.tmp"))
    first = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    cli("grade", "--key", KEY, str(course), "--out", str(out), "--jobs", "1")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first  # re-running gives identical files


def test_cli_gradescope_results_schema(cli, course, tmp_path):
    result = cli("grade", "--key", KEY, str(course / "s1.toml"), "--format", "gradescope", "--out", str(tmp_path))
    payload = json.loads((tmp_path / "results.json").read_text())
    assert result.code == 0
    assert isinstance(payload["score"], (int, float)) and payload["tests"]
    for number, test in enumerate(payload["tests"], start=1):
        assert set(test) >= {"name", "number", "score", "max_score", "output", "output_format", "visibility"}
        assert test["number"] == str(number) and test["output_format"] == "md"
        if test["name"] == "why":  # graded by a person: pending, neither passed nor failed, not in this score
            assert "status" not in test and test["max_score"] == 0 and "pending" in test["output"]
        else:
            assert test["status"] in ("passed", "failed")
    assert payload["output_format"] == "md"


def test_cli_gradescope_unreadable_submission_still_writes_valid_results(cli, course, tmp_path):
    result = cli("grade", "--key", KEY, str(course / "broken.toml"), "--format", "gradescope", "--out", str(tmp_path))
    payload = json.loads((tmp_path / "results.json").read_text())
    assert result.code == 2
    assert payload["score"] == 0 and "could not be graded" in payload["output"]


def test_gradescope_build_bundle(cli, tmp_path):
    target = tmp_path / "autograder.zip"
    result = cli("gradescope", "build", "--key", KEY, "-o", str(target))
    assert result.code == 0, result.err
    with zipfile.ZipFile(target) as bundle:
        names = set(bundle.namelist())
        assert {"setup.sh", "run_autograder", "key.toml", "handnets-src/pyproject.toml", "handnets-src/handnets/__init__.py"} <= names
        assert 'results="$root/results/results.json"' in bundle.read("run_autograder").decode()
        assert "requirements.txt" in names and "tomli" in bundle.read("requirements.txt").decode()
        assert bundle.getinfo("run_autograder").external_attr >> 16 == 0o755
        assert bundle.read("key.toml") == Path(KEY).read_bytes()


def test_gradescope_bundle_installs_and_grades(tmp_path):
    """The bundle's handnets-src is a real installable project, and run_autograder's command grades."""
    import subprocess
    import sys

    from handnets.render.gradescope import build_autograder

    with zipfile.ZipFile(io.BytesIO(build_autograder(KEY))) as bundle:
        bundle.extractall(tmp_path / "source")
    submission = tmp_path / "s.toml"
    submission.write_text(sheet("s", count=6272))
    done = subprocess.run(
        [sys.executable, "-m", "handnets", "grade", "--key", str(tmp_path / "source" / "key.toml"), str(submission),
         "--format", "gradescope", "--out", str(tmp_path / "results")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path / "source" / "handnets-src",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "results" / "results.json").read_text())["tests"][0]["status"] == "passed"


def test_written_reports_are_ordinary_readable_files(cli, course, tmp_path):
    out = tmp_path / "out"
    cli("grade", "--key", KEY, str(course / "s1.toml"), "--out", str(out))
    assert (out / "grades.csv").stat().st_mode & 0o044 == 0o044  # group and others may read, as with any file


def test_gradescope_bundle_reads_the_key_as_a_bounded_regular_file(tmp_path):
    import os

    from handnets.errors import InvalidKey
    from handnets.render.gradescope import build_autograder

    fifo = tmp_path / "key.toml"
    os.mkfifo(fifo)  # Path.read_bytes() would block here forever
    with pytest.raises(InvalidKey, match="key.toml"):
        build_autograder(str(fifo))
    with pytest.raises(InvalidKey, match="no such file"):
        build_autograder(str(tmp_path / "absent.toml"))


# ------------------------------------------------------------------------------ problems, usage, domain errors


def test_batch_problems_name_duplicates_typos_and_empty_sheets(tmp_path):
    from handnets.grading.batch import batch_problems

    (tmp_path / "a.toml").write_text(sheet("dup", count=6272))
    (tmp_path / "b.toml").write_text(sheet("DUP", count=6272))
    (tmp_path / "c.toml").write_text(sheet("typo", cuont=6272, shpae="28x28x8"))
    (tmp_path / "d.toml").write_text('student = "empty"\n[answers]\n')
    (tmp_path / "e.toml").write_text("[answers\n")
    batch = grade_batch(KEY, find_sheets([tmp_path]))
    got = [(p.kind, p.student, p.detail) for p in batch_problems(batch)]
    assert got[0][:2] == ("unreadable", "e")
    assert got[1:] == [
        ("duplicate-student", "DUP", f"student DUP also in {tmp_path / 'a.toml'}"),
        ("unknown-question", "typo", "answers.cuont: the key has no such question (did you mean count?)"),
        ("unknown-question", "typo", "answers.shpae: the key has no such question (did you mean shape?)"),
        ("no-answers", "empty", "the sheet answers no question of the key"),
    ]


def test_cli_batch_problems_in_summary_and_exit_code(cli, tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.toml").write_text(sheet("a", shpae="x"))
    result = cli("grade", "--key", KEY, str(tmp_path / "s"), "--out", str(tmp_path / "o"))
    assert result.code == 3 and "did you mean" in result.out and "exit code 3" in result.out
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert [p["kind"] for p in summary["problems"]] == ["unknown-question"]


def test_cli_clean_batch_exits_0(cli, tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.toml").write_text(sheet("a", count=6272))
    assert cli("grade", "--key", KEY, str(tmp_path / "s"), "--out", str(tmp_path / "o")).code == 0


def test_cli_stale_files_never_survive_a_rerun(cli, tmp_path):
    (tmp_path / "s").mkdir()
    for name in ("a", "b"):
        (tmp_path / "s" / f"{name}.toml").write_text(sheet(name, count=6272))
    out = tmp_path / "o"
    assert cli("grade", "--key", KEY, str(tmp_path / "s"), "--out", str(out)).code == 0
    (tmp_path / "s" / "b.toml").unlink()
    assert cli("grade", "--key", KEY, str(tmp_path / "s"), "--out", str(out)).code == 0
    assert sorted(p.name for p in (out / "students").iterdir()) == ["a.json"]


def test_cli_out_holding_other_files_is_refused_untouched(cli, tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.toml").write_text(sheet("a", count=6272))
    result = cli("grade", "--key", KEY, str(tmp_path / "s"), "--out", str(tmp_path / "s"))
    assert result.code == 2 and result.err.startswith("error: ") and "did not write" in result.err
    assert (tmp_path / "s" / "a.toml").exists()


@pytest.mark.parametrize("flags, message", [
    (["--jobs", "0"], "--jobs"), (["--time-limit", "-1"], "--time-limit"), (["--time-limit", "nan"], "--time-limit"),
])
def test_cli_bad_numbers_are_usage_errors(cli, tmp_path, flags, message):
    (tmp_path / "a.toml").write_text(sheet("a", count=6272))
    result = cli("grade", "--key", KEY, str(tmp_path / "a.toml"), "--out", str(tmp_path / "o"), *flags)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_cli_out_is_a_file_is_one_error_line(cli, tmp_path):
    (tmp_path / "a.toml").write_text(sheet("a", count=6272))
    (tmp_path / "f").write_text("x")
    result = cli("grade", "--key", KEY, str(tmp_path / "a.toml"), "--out", str(tmp_path / "f"))
    assert result.code == 2 and result.err.count("\n") == 1 and result.err.startswith("error: ")


def test_grade_batch_jobs_is_a_domain_error_naming_no_flag():
    from handnets.errors import InvalidRequest, UsageError

    with pytest.raises(InvalidRequest) as caught:
        grade_batch(KEY, [], jobs=0)
    assert caught.value.field == "jobs" and "--" not in str(caught.value) and not isinstance(caught.value, UsageError)
    with pytest.raises(InvalidRequest):
        Limits(seconds=-1)


def test_default_memory_follows_the_tightest_cgroup(tmp_path):
    from handnets.grading.batch import default_memory_bytes

    (tmp_path / "outer").write_text(str(4 * 1024**3))
    (tmp_path / "inner").write_text(str(768 * 1024**2))  # Gradescope's default
    (tmp_path / "none").write_text("max")
    assert default_memory_bytes(limits=[str(tmp_path / n) for n in ("none", "outer", "inner")]) == 512 * 1024**2


def test_gradescope_visibility_comes_from_the_key(cli, tmp_path):
    text = Path(KEY).read_text().replace('expected = 6272\n', 'expected = 6272\nvisibility = "after_due_date"\n', 1)
    (tmp_path / "k.toml").write_text(text)
    (tmp_path / "a.toml").write_text(sheet("a", count=6400))
    cli("grade", "--key", str(tmp_path / "k.toml"), str(tmp_path / "a.toml"), "--format", "gradescope", "--out", str(tmp_path / "r"))
    tests = {t["name"]: t for t in json.loads((tmp_path / "r" / "results.json").read_text())["tests"]}
    assert tests["count"]["visibility"] == "after_due_date" and tests["gate"]["visibility"] == "visible"


def test_own_cgroup_limit_files_for_v1_and_v2(tmp_path):
    from handnets.grading.batch import _own_cgroup_limits

    (tmp_path / "cgroup").write_text("4:memory:/docker/abc\n3:cpu:/docker/abc\n0::/gs/job\n")
    assert _own_cgroup_limits(str(tmp_path / "cgroup")) == (
        "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "/sys/fs/cgroup/memory/docker/memory.limit_in_bytes",
        "/sys/fs/cgroup/gs/job/memory.max", "/sys/fs/cgroup/gs/memory.max")
    assert _own_cgroup_limits(str(tmp_path / "absent")) == ()
