"""What each command imports: ``handnets --help`` needs neither sympy nor numpy, the adder never sympy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from handnets.cli._commands import COMMANDS, HELP

PROBE = """
import sys
from handnets.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print("HEAVY:", " ".join(sorted(m for m in ("sympy", "numpy", "rich") if m in sys.modules)))
"""


def heavy_modules(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=list(argv))], capture_output=True, text=True, timeout=120)
    marker = [line for line in done.stdout.splitlines() if line.startswith("HEAVY:")]
    assert marker, done.stderr
    return set(marker[-1].split()[1:])


def test_cli_help_imports_no_sympy_numpy_or_rich():
    assert heavy_modules("--help") == set()


def test_cli_unknown_command_imports_nothing_heavy():
    assert heavy_modules("nosuch") == set()


@pytest.mark.parametrize("argv", [("adder", "--help"), ("adder", "check", "--max-len", "3", "--json")])
def test_cli_adder_never_imports_sympy(argv):
    assert "sympy" not in heavy_modules(*argv)


def test_cli_every_command_has_a_module_and_a_help_line():
    assert set(COMMANDS) == set(HELP)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cli_command_help_is_complete_when_chosen(cli, command):
    # the chosen command's own module registers it in full: its --help lists its own options
    result = cli(command, "--help")
    assert result.code == 0 and "-h, --help" in result.out and f"handnets {command}" in result.out
