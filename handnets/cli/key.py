"""``handnets key init|show|public``: start a key from a built-in one, read one, or publish its public half.

- ``key init --from homework -o key.toml``: the built-in key's TOML, to edit (an existing file is kept);
- ``key show KEY``: every question with its expected answer and its known mistakes (for the grader's eyes);
- ``key public KEY -o public.toml``: the key without expected answers, mistakes or feedback, for students'
  ``handnets lint`` (``handnets.grading.public``).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from handnets.cli._commands import HELP
from handnets.errors import UsageError

__all__ = ["register"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("key", help=HELP["key"], description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="key_command", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    init = actions.add_parser("init", help="write a built-in key's TOML to a file, to edit")
    init.add_argument("--from", dest="source", required=True, metavar="NAME", help="a built-in key (homework)")
    init.add_argument("-o", "--output", type=Path, required=True, help="the file to write (never overwritten)")
    init.set_defaults(func=run_init)
    show = actions.add_parser("show", help="list a key's questions, expected answers and known mistakes")
    show.add_argument("key", help="a key file, or the name of a built-in key (homework)")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(func=run_show)
    public = actions.add_parser("public", help="write the key without answers, mistakes or feedback (for handnets lint)")
    public.add_argument("key", help="a key file, or the name of a built-in key (homework)")
    public.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    public.set_defaults(func=run_public)


def run_init(args: argparse.Namespace, out: Console) -> int:
    from handnets.grading.key import BUILTIN_KEYS
    from handnets.outdir import write_file
    from handnets.render.text import clean

    if args.source not in BUILTIN_KEYS:
        raise UsageError(f"--from: expected a built-in key ({', '.join(BUILTIN_KEYS)}), got {args.source!r}")
    if args.output.exists():
        raise UsageError(f"{args.output} exists; it is kept (write the key to a new file)")
    text = resources.files("handnets.data").joinpath(f"keys/{args.source}.toml").read_text(encoding="utf-8")
    write_file(args.output, text)
    out.print(Text(clean(f"wrote {args.output} (the built-in key {args.source}); "
                         f"check it with: handnets key show {args.output}")))
    return 0


def run_show(args: argparse.Namespace, out: Console) -> int:
    from handnets.grading.public import load_any_key
    from handnets.render.grading import format_score
    from handnets.render.text import clean, json_safe

    key = load_any_key(args.key)  # a public key shows its questions, with no answers to show
    if args.json:
        payload = {"name": key.name, "title": key.title, "questions": [
            {"id": q.id, "type": q.type, "points": format_score(q.points), "expected": q.expected_text,
             "mistakes": [m.note for m in q.mistakes]} for q in key.questions]}
        out.file.write(json.dumps(json_safe(payload)) + "\n")
        return 0
    parts: list = [Text(clean(f"{key.title}  ({key.source}): {len(key.questions)} questions, "
                              f"{format_score(key.max_score)} points"), style="bold")]
    for q in key.questions:  # one block per question: expected answers are long, a table column would fold them
        head = Text()
        head.append(clean(q.id), style="bold")
        head.append(f"  {q.type}, {format_score(q.points)} points")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True, width=8)
        grid.add_column(overflow="fold")
        grid.add_row("expected", Text(clean(q.expected_text or "-", lines=True)))
        for m in q.mistakes:
            credit = f"{format_score(m.credit * q.points)} of {format_score(q.points)} points"
            grid.add_row("mistake", Text(clean(f"{m.note}: {credit}")))
        parts += [Text(""), head, grid]
    out.print(Group(*parts))
    return 0


def run_public(args: argparse.Namespace, out: Console) -> int:
    from handnets.grading.key import load_key
    from handnets.grading.public import public_toml
    from handnets.outdir import write_file
    from handnets.render.text import clean

    text = public_toml(load_key(args.key))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_file(args.output, text)
        out.print(Text(clean(f"wrote {args.output}: no expected answers, mistakes or feedback; students check a sheet "
                             f"with: handnets lint --key {args.output} SHEET.toml")))
    return 0
