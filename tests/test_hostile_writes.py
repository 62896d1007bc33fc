"""Result folders under kill -9 and concurrent runs: --out holds one run's complete results, never a mix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY = str(ROOT / "tests" / "data" / "small_key.toml")
STUDENTS = 300


def _course(directory: Path, count: int) -> Path:
    directory.mkdir()
    for i in range(STUDENTS):
        (directory / f"s{i:03d}.toml").write_text(f'student = "s{i:03d}"\n[answers]\ncount = {count}\nshape = [28, 28, 8]\n')
    return directory


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _start(sheets: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "handnets", "grade", "--key", KEY, str(sheets), "--out", str(out), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            start_new_session=True)


def _grade(sheets: Path, out: Path) -> None:
    process = _start(sheets, out)
    assert process.wait(timeout=600) == 0, process.stderr.read()


def _staged_files(parent: Path, name: str) -> int:
    total = 0
    for staging in parent.glob(f".{name}.new-*"):
        try:
            total += sum(1 for _ in os.scandir(staging / "students"))
        except OSError:
            pass
    return total


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=60)
    deadline = time.monotonic() + 30  # the workers die with their parent (PR_SET_PDEATHSIG); wait for them
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError("processes of the killed run were left behind")


@pytest.fixture(scope="module")
def two_results(tmp_path_factory):
    """An old and a new course, and the complete result folder of each (graded once, as references)."""
    root = tmp_path_factory.mktemp("writes")
    old_sheets, new_sheets = _course(root / "old", 1), _course(root / "new", 6272)
    _grade(old_sheets, root / "ref-old")
    _grade(new_sheets, root / "ref-new")
    return root, new_sheets, _snapshot(root / "ref-old"), _snapshot(root / "ref-new")


def test_kill_9_in_the_write_phase_leaves_old_or_new_never_a_mix(two_results, tmp_path):
    root, new_sheets, old, new = two_results
    assert old != new and sum(name.startswith("students/") for name in new) == STUDENTS
    out = tmp_path / "out"
    mid_write = 0
    for attempt in range(3):
        subprocess.run(["cp", "-a", str(root / "ref-old"), str(out)], check=True)
        process = _start(new_sheets, out)
        threshold = 1 + attempt * STUDENTS // 3  # kill after more and more of the new files are staged
        while process.poll() is None and _staged_files(tmp_path, "out") < threshold:
            pass
        if process.poll() is None:
            mid_write += 1
        _kill_group(process)
        assert _snapshot(out) in (old, new), f"attempt {attempt}: a mix of two runs"
        subprocess.run(["rm", "-rf", str(out)], check=True)
    assert mid_write >= 1  # at least one kill landed in the write phase itself
    _grade(new_sheets, out)  # the killed runs left no lock behind, and their staging folders are swept
    assert _snapshot(out) == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_second_concurrent_run_is_refused_and_the_first_completes(two_results, tmp_path):
    root, new_sheets, _, new = two_results
    out = tmp_path / "out"
    first = _start(new_sheets, out)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.lock")) and time.monotonic() < deadline:  # the first run holds the lock
        time.sleep(0.01)
    second = _start(new_sheets, out)
    assert second.wait(timeout=300) == 2
    assert "another handnets run is writing" in second.stderr.read().decode()
    assert first.wait(timeout=600) == 0
    assert _snapshot(out) == new
