"""Shared fixtures: run the CLI in-process and capture what it prints."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

try:
    import tomllib  # noqa: F401
except ModuleNotFoundError:  # Python 3.10 (CI runs the py310 subset there): tests read TOML through tomli
    import tomli

    sys.modules["tomllib"] = tomli

import pytest
from rich.console import Console

from handnets.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Call ``handnets ARGS...`` and return its exit code, stdout (rendered at width 100) and stderr."""

    def run(*args: str) -> Result:
        buffer = io.StringIO()
        console = Console(file=buffer, width=100, color_system=None)
        try:
            code = main(list(args), out=console)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code)
        captured = capsys.readouterr()
        return Result(code, buffer.getvalue() + captured.out, captured.err)

    return run
