"""``handnets derive lstm|lstm-vector|lstm-ce|rnn|recurrence|gradient-flow|cell FILE_OR_NAME``: print a derivation
proved before printing (a rich panel, LaTeX, JSON, or with ``--html FILE`` a self-contained page with the math in
MathML)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.text import Text

from handnets.cli._commands import HELP
from handnets.errors import UsageError

__all__ = ["register", "run"]

TOPICS = ("lstm", "lstm-vector", "lstm-ce", "rnn", "recurrence", "gradient-flow", "cell")


def register(subparsers) -> None:
    parser = subparsers.add_parser("derive", help=HELP["derive"], description=__doc__)
    parser.add_argument("topic", choices=TOPICS, help="what to derive")
    parser.add_argument("cell", nargs="?", metavar="FILE_OR_NAME", help="cell: a cell file (TOML) or a built-in cell (lstm, gru-pytorch, ...)")
    parser.add_argument("--steps", type=int, default=2, metavar="K",
                        help="recurrence: unroll K steps back (default 2, 1..64); cell: the state Jacobian K steps back (1..4)")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--latex", action="store_true", help="print the equations as LaTeX in homework notation")
    form.add_argument("--json", action="store_true", help="print one JSON object")
    form.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML page (math as MathML) to FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: Console) -> int:
    if args.topic == "cell" or args.cell is not None:
        return _run_cell(args, out)
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
        _write_html(args.html, derivation, out)
    elif args.latex:
        out.file.write(render_latex(derivation) + "\n")
    else:
        out.print(render_derivation(derivation))
    return 0 if derivation.passed else 1


def _write_html(path: Path, derivation, out: Console) -> None:
    from handnets.outdir import write_file
    from handnets.render.html import derivation_page
    from handnets.render.text import clean

    write_file(path, derivation_page(derivation))
    out.print(Text(clean(f"wrote {path}")))


def _run_cell(args: argparse.Namespace, out: Console) -> int:
    """``handnets derive cell FILE_OR_NAME``: one cell's derivation, proved (issue 15)."""
    from handnets.derive.cellderive import MAX_STEPS_BACK, derive_cell
    from handnets.derive.cellfile import builtin_cells, load_cell
    from handnets.render.cell import cell_json, cell_latex, render_cell

    if args.topic != "cell":
        raise UsageError(f"a cell file or name goes with 'derive cell', got it with {args.topic!r}")
    if args.cell is None:
        raise UsageError(f"derive cell needs a cell file or one of the built-in cells: {', '.join(builtin_cells())}")
    if not 1 <= args.steps <= MAX_STEPS_BACK:
        raise UsageError(f"--steps for a cell must be between 1 and {MAX_STEPS_BACK}, got {args.steps}")
    cell = load_cell(args.cell)
    derivation = derive_cell(cell, steps=args.steps)
    if args.json:
        out.file.write(json.dumps(cell_json(cell, derivation)) + "\n")
    elif args.html is not None:
        _write_html(args.html, derivation, out)
    elif args.latex:
        out.file.write(cell_latex(cell, derivation) + "\n")
    else:
        out.print(render_cell(cell, derivation))
    return 0 if derivation.passed else 1
