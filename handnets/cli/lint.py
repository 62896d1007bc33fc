"""``handnets lint --key public.toml SHEET.toml``: how each answer will be read, before it is submitted.

Reads every answer as the grader would and shows the reading; flags unreadable answers (with the caret),
LaTeX that TOML damaged in double quotes, answers under ids the key does not have (with the nearest
id) and unanswered questions. It never judges correctness. Exit 0 when every answer is readable,
1 when one is not (or sits under an unknown id), 2 when the sheet or the key cannot be read at all.
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from handnets.cli._commands import HELP

__all__ = ["register"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("lint", help=HELP["lint"], description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True, help="a public key (handnets key public), a key file, or a built-in key")
    parser.add_argument("sheet", help="the answer sheet (TOML)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: Console) -> int:
    from handnets.grading.lint import lint_sheet
    from handnets.grading.public import load_any_key
    from handnets.grading.sheet import load_sheet
    from handnets.render.lint import lint_json, render_lint
    from handnets.render.text import json_safe

    result = lint_sheet(load_any_key(args.key), load_sheet(args.sheet))
    if args.json:
        out.file.write(json.dumps(json_safe(lint_json(result))) + "\n")
    else:
        out.print(render_lint(result))
    return 0 if result.readable else 1
