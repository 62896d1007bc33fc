"""The Gradescope autograder bundle: a zip with setup.sh, run_autograder, the key and handnets itself.

Gradescope unpacks the zip into /autograder/source, runs ``setup.sh`` once when the image is built
(installing handnets from the bundled source, with its dependencies from PyPI), and for every
submission runs ``run_autograder``, which grades the first ``*.toml`` sheet in
/autograder/submission into /autograder/results/results.json. The results file is written even when
the submission has no sheet or cannot be read.
"""

from __future__ import annotations

import io
import zipfile
from importlib import metadata, resources
from pathlib import Path

from handnets.errors import InvalidKey
from handnets.grading.key import BUILTIN_KEYS
from handnets.safeio import MAX_FILE_BYTES as MAX_KEY_BYTES, read_bytes

__all__ = ["build_autograder", "SETUP_SH", "RUN_AUTOGRADER"]

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update && apt-get install -y python3 python3-pip python3-venv
fi
python3 -m pip install --upgrade pip || true
python3 -m pip install /autograder/source/handnets-src
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; it must leave /autograder/results/results.json behind.
set -uo pipefail
mkdir -p /autograder/results
sheet=$(find /autograder/submission -type f -name '*.toml' | sort | head -n 1)
if [ -z "$sheet" ]; then
  cat > /autograder/results/results.json <<'JSON'
{"score": 0, "tests": [], "output": "No answer sheet found: submit one .toml file (see the template your course gave you).", "visibility": "visible"}
JSON
  exit 0
fi
python3 -m handnets grade --key /autograder/source/key.toml "$sheet" --format gradescope --out /autograder/results
if [ ! -s /autograder/results/results.json ]; then
  cat > /autograder/results/results.json <<'JSON'
{"score": 0, "tests": [], "output": "The autograder failed before it could grade this submission; your instructor has been told.", "visibility": "visible"}
JSON
fi
exit 0
"""

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "handnets"
version = "{version}"
requires-python = ">=3.11"
dependencies = {dependencies}

[tool.setuptools.packages.find]
include = ["handnets*"]

[tool.setuptools.package-data]
handnets = ["data/*.toml", "data/keys/*.toml"]
"""


def _package_files() -> dict[str, bytes]:
    """handnets' own source files (Python and data), as found where it is installed."""
    root = Path(str(resources.files("handnets")))
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            files[f"handnets-src/handnets/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    return files


def _dependencies() -> list[str]:
    try:
        requires = metadata.requires("handnets") or []
    except metadata.PackageNotFoundError:
        requires = []
    runtime = [r for r in requires if "extra ==" not in r]
    return runtime or ["sympy>=1.12", "numpy>=1.24", "rich>=13"]


def _version() -> str:
    try:
        return metadata.version("handnets")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def build_autograder(key_source: str) -> bytes:
    """The zip's bytes. The key is copied in as key.toml (a built-in key as its own TOML text)."""
    if str(key_source) in BUILTIN_KEYS:
        key_text = resources.files("handnets.data").joinpath(f"keys/{key_source}.toml").read_bytes()
    else:
        key_text = read_bytes(key_source, limit=MAX_KEY_BYTES, error=InvalidKey, what="a key file")
    entries: dict[str, bytes] = {
        "setup.sh": SETUP_SH.encode(),
        "run_autograder": RUN_AUTOGRADER.encode(),
        "key.toml": key_text,
        "handnets-src/pyproject.toml": _PYPROJECT.format(version=_version(), dependencies=_toml_list(_dependencies())).encode(),
        **_package_files(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(entries.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed: the same key gives the same zip
            info.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return buffer.getvalue()


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join('"' + item.replace('"', '\\"') + '"' for item in items) + "]"
