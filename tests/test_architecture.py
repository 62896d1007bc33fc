"""The architecture rules of STYLE.md, kept true by scanning imports, and the pinned public API."""

from __future__ import annotations

import ast
from pathlib import Path

import handnets

PACKAGE = Path(handnets.__file__).resolve().parent
EDGE = ("handnets.render", "handnets.cli", "handnets.verify")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def computation_modules() -> list[Path]:
    return [
        path
        for path in PACKAGE.rglob("*.py")
        if not any(part in ("render", "cli") for part in path.relative_to(PACKAGE).parts)
        and path.name not in ("verify.py", "__main__.py")
    ]


def test_architecture_computation_never_imports_rendering_or_cli():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(m for m in imported_modules(path) if m.startswith(EDGE) or m.split(".")[0] == "rich")
        for path in computation_modules()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_architecture_scan_sees_the_computation_modules():
    names = {str(p.relative_to(PACKAGE)) for p in computation_modules()}
    assert {"threshold/prove.py", "threshold/enumerate.py", "errors.py"} <= names
    assert not any(name.startswith(("render/", "cli/")) for name in names)


def test_architecture_rendering_never_imports_cli():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "render").rglob("*.py")
        if any(m.startswith("handnets.cli") for m in imported_modules(path))
    ]
    assert offenders == []


def test_architecture_init_does_not_import_verify():
    assert not any(m.startswith("handnets.verify") for m in imported_modules(PACKAGE / "__init__.py"))


def test_public_api_is_pinned():
    assert sorted(handnets.__all__) == sorted(
        [
            "HandnetsError",
            "InputError",
            "InvalidWeights",
            "ThresholdRNN",
            "check_adder",
            "check_task",
            "classic_adder",
            "load_task",
            "load_weights",
            "prove",
            "repair",
            "synthesise",
            "__version__",
        ]
    )
    for name in handnets.__all__:
        assert hasattr(handnets, name)


def test_errors_form_one_tree():
    from handnets import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.HandnetsError)
    assert issubclass(errors.InvalidWeights, ValueError)
