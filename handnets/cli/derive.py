"""``handnets derive lstm|lstm-vector|lstm-ce|rnn|recurrence|gradient-flow``: print a derivation proved before printing
(a rich panel, LaTeX, JSON, or with ``--html FILE`` a self-contained page with the math in MathML)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.text import Text

from handnets.cli._commands import HELP
from handnets.errors import UsageError

__all__ = ["register", "run"]

TOPICS = ("lstm", "lstm-vector", "lstm-ce", "rnn", "recurrence", "gradient-flow")


def register(subparsers) -> None:
    parser = subparsers.add_parser("derive", help=HELP["derive"], description=__doc__)
    parser.add_argument("topic", choices=TOPICS, help="what to derive")
    parser.add_argument("--steps", type=int, default=2, metavar="K", help="recurrence: unroll K steps back (default 2, 1..64)")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--latex", action="store_true", help="print the equations as LaTeX in homework notation")
    form.add_argument("--json", action="store_true", help="print one JSON object")
    form.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML page (math as MathML) to FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: Console) -> int:
    if not 1 <= args.steps <= 64:
        raise UsageError(f"--steps must be between 1 and 64, got {args.steps}")
    if args.steps != 2 and args.topic != "recurrence":
        raise UsageError(f"--steps applies to 'recurrence' only, got it with {args.topic!r}")
    from handnets.derive import derive_topic
    from handnets.render.derive import derivation_json, render_derivation, render_latex

    derivation = derive_topic(args.topic, steps=args.steps)
    if args.json:
        out.file.write(json.dumps(derivation_json(derivation)) + "\n")
    elif args.html is not None:
        from handnets.outdir import write_file
        from handnets.render.html import derivation_page
        from handnets.render.text import clean

        write_file(args.html, derivation_page(derivation))
        out.print(Text(clean(f"wrote {args.html}")))
    elif args.latex:
        out.file.write(render_latex(derivation) + "\n")
    else:
        out.print(render_derivation(derivation))
    return 0 if derivation.passed else 1
