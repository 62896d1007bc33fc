"""The ``handnets`` command line: parse arguments, call one function, render, pick the exit code.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``run(args, out) -> int`` as the parser's default ``func``.
Exit codes: 0 all checks passed, 1 a check failed, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console

from handnets.errors import HandnetsError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

# One module per subcommand family; each has register(subparsers).
_COMMAND_MODULES = (
    "handnets.cli.adder",
    "handnets.cli.params",
    "handnets.cli.conv",
    "handnets.cli.grade",
    "handnets.cli.derive",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors become HandnetsError-style exit 2 with one line on stderr."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = _Parser(prog="handnets", description="Prove hand-designed networks, derive gradients, grade answers.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *, out: Console | None = None) -> int:
    """Run the CLI; returns the exit code (``handnets`` the console script raises SystemExit with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = out or Console()
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
