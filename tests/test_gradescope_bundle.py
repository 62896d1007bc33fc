"""The Gradescope bundle end to end, laid out as Gradescope lays it out, under Python 3.10.

In a private mount namespace (``unshare -m``) a fresh root is assembled from the machine's system
folders (read-only binds) with ``/autograder/source`` (the unzipped bundle), ``/autograder/submission``
and ``/autograder/results``, and ``python3`` on PATH is a Python 3.10; then ``setup.sh`` and
``run_autograder`` run inside it, chrooted, as Gradescope runs them. setup.sh installs from the
bundled wheels (no network): the wheels come from ``HANDNETS_WHEELS_310`` (a folder of cp310 wheels:
``pip download -d DIR sympy numpy rich safetensors tomli`` with Python 3.10, as ``.ci/run`` makes). Skipped
cleanly without Python 3.10, the wheels, ``unshare`` or the right to mount.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.py310

PY310 = Path(os.environ.get("HANDNETS_PY310", "/root/.pyenv/versions/3.10.13"))
WHEELS = os.environ.get("HANDNETS_WHEELS_310", "")
KEY = str(Path(__file__).resolve().parent / "data" / "small_key.toml")

_SCRIPT = r"""
set -euo pipefail
new="$1"; python_home="$2"; bundle="$3"; submission="$4"; results="$5"
mount -t tmpfs tmpfs "$new"
for dir in usr bin sbin lib lib64 lib32 libx32 etc; do
  if [ -e "/$dir" ] && [ ! -L "/$dir" ]; then
    mkdir -p "$new/$dir" && mount --rbind -o ro "/$dir" "$new/$dir" 2>/dev/null || mount --rbind "/$dir" "$new/$dir"
  elif [ -L "/$dir" ]; then
    cp -P "/$dir" "$new/$dir"
  fi
done
mkdir -p "$new/dev" "$new/proc" "$new/tmp" "$new/sys" "$new$python_home" "$new/py310/bin"
mount --rbind /dev "$new/dev"
mount -t proc proc "$new/proc" 2>/dev/null || mount --rbind /proc "$new/proc"
mount --rbind /sys "$new/sys"
mount --bind -o ro "$python_home" "$new$python_home" 2>/dev/null || mount --bind "$python_home" "$new$python_home"
ln -s "$python_home/bin/python3.10" "$new/py310/bin/python3"
mkdir -p "$new/autograder/source" "$new/autograder/submission" "$new/autograder/results"
mount --bind "$bundle" "$new/autograder/source"
mount --bind "$submission" "$new/autograder/submission"
mount --bind "$results" "$new/autograder/results"
cp "$bundle/run_autograder" "$new/autograder/run_autograder"
chroot "$new" /usr/bin/env -i PATH=/py310/bin:/usr/local/bin:/usr/bin:/bin HOME=/tmp PIP_NO_INDEX=1 \
  PIP_DISABLE_PIP_VERSION_CHECK=1 /bin/bash -c 'cd /autograder/source && bash ./setup.sh && cd /autograder && ./run_autograder'
"""


def _can_unshare() -> bool:
    if shutil.which("unshare") is None or shutil.which("chroot") is None:
        return False
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _run_bundle(tmp_path: Path, sheet_text: str | None) -> tuple[subprocess.CompletedProcess, dict]:
    from handnets.render.gradescope import build_autograder

    bundle, submission, results, new = (tmp_path / n for n in ("bundle", "submission", "results", "root"))
    for folder in (bundle, submission, results, new):
        folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(build_autograder(KEY, wheels=WHEELS))) as archive:
        archive.extractall(bundle)
    for name in ("setup.sh", "run_autograder"):
        (bundle / name).chmod(0o755)  # zipfile does not restore modes; Gradescope's unzip does
    if sheet_text is not None:
        (submission / "answers.toml").write_text(sheet_text, encoding="utf-8")
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c", _SCRIPT, "bundle", str(new), str(PY310),
                           str(bundle), str(submission), str(results)], capture_output=True, text=True, timeout=600)
    payload = json.loads((results / "results.json").read_text()) if (results / "results.json").exists() else {}
    return done, payload


needs_everything = pytest.mark.skipif(
    not (PY310 / "bin" / "python3.10").exists() or not WHEELS or not Path(WHEELS).is_dir() or not _can_unshare(),
    reason="needs Python 3.10, HANDNETS_WHEELS_310 (cp310 wheels) and unshare -m with mount rights",
)


@needs_everything
def test_gradescope_bundle_builds_and_grades_under_python_310(tmp_path):
    sheet = '[answers]\ncount = 6400\nshape = "28x28x8"\nwhy = "because the gates"\nlstm_typo = 1\n'
    done, payload = _run_bundle(tmp_path, sheet)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Python 3.10" in done.stdout and "bundled wheels" in done.stdout
    tests = {t["name"]: t for t in payload["tests"]}
    assert payload["output_format"] == "md"
    assert tests["count"]["score"] == 2 and tests["count"]["status"] == "passed"  # the PyTorch count has credit 1 in this key
    assert tests["shape"]["status"] == "passed"
    assert tests["why"]["max_score"] == 0 and "status" not in tests["why"] and "pending" in tests["why"]["output"]
    assert tests["gate"]["status"] == "failed"  # missing


@needs_everything
def test_gradescope_bundle_without_a_sheet_still_writes_valid_results(tmp_path):
    done, payload = _run_bundle(tmp_path, None)
    assert done.returncode == 0, done.stderr[-3000:]
    assert payload["score"] == 0 and payload["tests"] == [] and "No answer sheet" in payload["output"]


# ------------------------------------------------------------------------------ run_autograder alone, rerooted


def _rerooted(tmp_path: Path, sheet_text: str | None, python: str | None) -> dict:
    """run_autograder with HANDNETS_AUTOGRADER_ROOT pointing at a temporary layout (no namespace needed);
    ``python`` stands in for the venv setup.sh would have made (None: setup never ran)."""
    from handnets.render.gradescope import build_autograder

    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(build_autograder(KEY))) as archive:
        archive.extractall(root / "source")
    if python is not None:
        (root / "handnets-venv" / "bin").mkdir(parents=True)
        stand_in = root / "handnets-venv" / "bin" / "python"  # a script, not a link: a venv's python finds its
        stand_in.write_text(f'#!/bin/sh\nexec "{python}" "$@"\n')  # packages from where it really lives
        stand_in.chmod(0o755)
    if sheet_text is not None:
        (root / "submission" / "b.toml").write_text(sheet_text)
        (root / "submission" / "a.toml").write_text("[answers\n")  # the first by name is the one graded
    env = {"PATH": os.environ.get("PATH", ""), "HANDNETS_AUTOGRADER_ROOT": str(root), "HOME": str(tmp_path)}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_grades_the_first_sheet_by_name(tmp_path):
    import sys

    payload = _rerooted(tmp_path, '[answers]\ncount = 6272\n', sys.executable)
    assert payload["score"] == 0 and "could not be graded" in payload["output"] and "submission/a.toml: not valid TOML" in payload["output"]


def test_run_autograder_without_handnets_still_writes_valid_results(tmp_path):
    payload = _rerooted(tmp_path, '[answers]\ncount = 6272\n', None)  # setup.sh never ran: no venv at all
    assert payload == {"score": 0, "tests": [], "output_format": "md", "visibility": "visible",
                       "output": payload["output"]} and "failed before it could grade" in payload["output"]
    assert "told" not in payload["output"]  # no promise that nothing keeps


@pytest.mark.skipif(not (PY310 / "bin" / "python3.10").exists() or not WHEELS or not Path(WHEELS).is_dir() or _can_unshare(),
                    reason="the namespace test above covers setup.sh where unshare works; this one needs 3.10 and the wheels")
def test_setup_sh_rerooted_when_no_mount_namespace(tmp_path):
    from handnets.render.gradescope import build_autograder

    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(build_autograder(KEY, wheels=WHEELS))) as archive:
        archive.extractall(root / "source")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").symlink_to(PY310 / "bin" / "python3.10")
    (root / "submission" / "s.toml").write_text('[answers]\ncount = 6272\n')
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HANDNETS_AUTOGRADER_ROOT": str(root), "HOME": str(tmp_path),
           "PIP_NO_INDEX": "1"}
    for script in ("setup.sh", "run_autograder"):
        done = subprocess.run(["bash", str(root / "source" / script)], cwd=root, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    tests = {t["name"]: t for t in json.loads((root / "results" / "results.json").read_text())["tests"]}
    assert tests["count"]["status"] == "passed"


def test_gradescope_source_dependencies_are_pyprojects():
    """A bundle built from an uninstalled source tree asks for exactly what pyproject.toml's [project] needs."""
    import tomllib

    from handnets.render import gradescope

    declared = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert list(gradescope._SOURCE_DEPENDENCIES) == declared["project"]["dependencies"]
