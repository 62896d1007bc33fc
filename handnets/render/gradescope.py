"""The Gradescope autograder bundle: a zip with setup.sh, run_autograder, the key, handnets and (optionally) wheels.

Gradescope unpacks the zip into /autograder/source and runs ``setup.sh`` once, as root, when it
builds the image: on Ubuntu 22.04 (Python 3.10) and 24.04 (Python 3.12, whose system pip PEP 668
refuses) alike it makes a virtual environment of its own, /autograder/handnets-venv, and installs
handnets' dependencies into it from the bundle's ``wheels/`` when they are there and fit this
Python (``--wheels DIR`` at build time), else from the package registry. handnets itself runs from
the bundled source (``handnets-src``, put on ``PYTHONPATH``), so nothing needs building. For every
submission ``run_autograder`` grades the first ``*.toml`` sheet in /autograder/submission (sorted by
name) into /autograder/results/results.json, and writes a valid file whatever happens: no sheet,
an unreadable one, or handnets not running at all. The system ``python3`` the harness uses is never
touched. Each answer's worker gets the container's memory limit (cgroup) less 256 MiB, so the kernel
never kills the run before handnets' own limit settles the answer as undecided.

``HANDNETS_AUTOGRADER_ROOT`` (default /autograder) moves the whole layout, for tests.
"""

from __future__ import annotations

import io
import zipfile
from importlib import metadata, resources
from pathlib import Path

from handnets.errors import InvalidKey, InvalidRequest
from handnets.grading.key import BUILTIN_KEYS
from handnets.safeio import MAX_FILE_BYTES as MAX_KEY_BYTES, read_bytes

__all__ = ["build_autograder", "SETUP_SH", "RUN_AUTOGRADER"]

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# handnets gets a virtual environment of its own: the system python3 stays as the harness needs it,
# and PEP 668 (Ubuntu 24.04) has nothing to refuse.
set -euo pipefail
root="${HANDNETS_AUTOGRADER_ROOT:-/autograder}"
source_dir="$root/source"
venv="$root/handnets-venv"
python=""
for candidate in python3 python3.13 python3.12 python3.11 python3.10; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  echo "setup.sh: no Python 3.10 or newer; installing python3 from the distribution" >&2
  apt-get update && apt-get install -y python3 python3-venv
  python=python3
fi
echo "setup.sh: using $("$python" --version 2>&1) at $(command -v "$python")"
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
  # Debian and Ubuntu ship venv's pip (ensurepip) apart, as python3.X-venv
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  apt-get update && { apt-get install -y "python${version}-venv" || apt-get install -y python3-venv; }
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
if compgen -G "$source_dir/wheels/*.whl" >/dev/null \\
   && "$venv/bin/python" -m pip install --no-index --find-links "$source_dir/wheels" -r "$source_dir/requirements.txt"; then
  echo "setup.sh: dependencies installed from the bundled wheels"
else
  echo "setup.sh: dependencies from the package registry"
  "$venv/bin/python" -m pip install -r "$source_dir/requirements.txt"
fi
PYTHONPATH="$source_dir/handnets-src" "$venv/bin/python" -m handnets --help >/dev/null
echo "setup.sh: handnets runs"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; it must leave results/results.json behind, valid, always.
set -uo pipefail
root="${HANDNETS_AUTOGRADER_ROOT:-/autograder}"
results="$root/results/results.json"
python="$root/handnets-venv/bin/python"
mkdir -p "$root/results"
sheet=$(find "$root/submission" -type f -name '*.toml' 2>/dev/null | LC_ALL=C sort | head -n 1)
if [ -z "$sheet" ]; then
  cat > "$results" <<'JSON'
{"score": 0, "tests": [], "output_format": "md", "visibility": "visible",
 "output": "No answer sheet found: submit one `.toml` file (start from the template your course gave you)."}
JSON
  exit 0
fi
rm -f "$results"
PYTHONPATH="$root/source/handnets-src" "$python" -m handnets grade --key "$root/source/key.toml" "$sheet" \\
  --format gradescope --out "$root/results"
if ! "$python" -c 'import json, sys; data = json.load(open(sys.argv[1])); sys.exit(not isinstance(data.get("tests"), list))' \\
     "$results" 2>/dev/null; then
  cat > "$results" <<'JSON'
{"score": 0, "tests": [], "output_format": "md", "visibility": "visible",
 "output": "The autograder failed before it could grade this submission. Ask your instructor: the autograder's own output says why."}
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
requires-python = ">=3.10"
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
    return runtime or list(_SOURCE_DEPENDENCIES)


# pyproject.toml's [project] dependencies, for a bundle built from a source tree that is not installed
# (tests/test_gradescope_cases.py keeps the two equal)
_SOURCE_DEPENDENCIES = ("sympy>=1.12", "numpy>=1.24", "rich>=13", "safetensors>=0.4", "tomli>=1.1; python_version < '3.11'")


def _version() -> str:
    try:
        return metadata.version("handnets")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def build_autograder(key_source: str, wheels: str | Path | None = None) -> bytes:
    """The zip's bytes. The key is copied in as key.toml (a built-in key as its own TOML text); the
    ``*.whl`` files of the folder ``wheels`` (``pip download -d DIR ...`` for the image's Python) go
    into ``wheels/``, so that setup.sh needs no network."""
    if str(key_source) in BUILTIN_KEYS:
        key_text = resources.files("handnets.data").joinpath(f"keys/{key_source}.toml").read_bytes()
    else:
        key_text = read_bytes(key_source, limit=MAX_KEY_BYTES, error=InvalidKey, what="a key file")
    entries: dict[str, bytes] = {
        "setup.sh": SETUP_SH.encode(),
        "run_autograder": RUN_AUTOGRADER.encode(),
        "key.toml": key_text,
        "handnets-src/pyproject.toml": _PYPROJECT.format(version=_version(), dependencies=_toml_list(_dependencies())).encode(),
        "requirements.txt": ("\n".join(_dependencies()) + "\n").encode(),
        **_package_files(),
        **_wheels(wheels),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(entries.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed: the same key gives the same zip
            info.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return buffer.getvalue()


def _wheels(folder: str | Path | None) -> dict[str, bytes]:
    if folder is None:
        return {}
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidRequest("not a folder of wheels", source=str(folder), field="wheels")
    found = sorted(p for p in folder.iterdir() if p.name.endswith(".whl") and p.is_file())
    if not found:
        raise InvalidRequest("no .whl files in this folder", source=str(folder), field="wheels")
    return {f"wheels/{p.name}": read_bytes(p, limit=512 * 1024**2, error=InvalidRequest, what="a wheel") for p in found}


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join('"' + item.replace('"', '\\"') + '"' for item in items) + "]"
