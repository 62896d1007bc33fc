"""The ``handnets`` command line: parse arguments, call one function, render, pick the exit code.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``run(args, out) -> int`` as the parser's default ``func``.
Only the module of the command being run is imported (``_commands.COMMANDS`` says which); the
others appear in ``handnets --help`` by their help line alone, so ``--help`` imports neither sympy
nor numpy, and ``handnets adder ...`` never imports sympy.
Exit codes: 0 all checks passed, 1 a check failed, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from handnets.cli._commands import COMMANDS, HELP
from handnets.errors import HandnetsError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors become HandnetsError-style exit 2 with one line on stderr, and a command's
    description (its module docstring) shown without the docstring's reStructuredText quotes."""

    def __init__(self, *args, **kwargs):
        if isinstance(kwargs.get("description"), str):
            kwargs["description"] = kwargs["description"].replace("``", "")
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the chosen command's module registers it in full, the rest by name and help.

    With no ``argv`` every module is imported and every command is complete.
    """
    parser = _Parser(prog="handnets", description="Prove hand-designed networks, derive gradients, grade answers.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    if argv is None:
        chosen = set(COMMANDS.values())
    else:  # the top-level parser has no options but -h, so the first other word is the command
        first = next((word for word in argv if not word.startswith("-")), None)
        chosen = {COMMANDS[first]} if first in COMMANDS else set()
    registered: set[str] = set()
    for command, module in COMMANDS.items():
        if module in chosen:
            if module not in registered:
                importlib.import_module(module).register(subparsers)
                registered.add(module)
        else:
            subparsers.add_parser(command, help=HELP[command], add_help=False)
    return parser


def main(argv: Sequence[str] | None = None, *, out: Console | None = None) -> int:
    """Run the CLI; returns the exit code (``handnets`` the console script raises SystemExit with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    if out is None:
        from rich.console import Console

        out = Console()
    try:
        return args.func(args, out)
    except HandnetsError as exc:
        from handnets.render.text import clean

        sys.stderr.write(f"error: {clean(str(exc))}\n")  # file names and answers may carry ESC
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. piped into head: the reader has gone, nothing is wrong
        sys.stderr.close()
        return 0
