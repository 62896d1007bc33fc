"""``handnets conv FILE``: convolution, pooling, ReLU and ResNet blocks from a TOML file, every cell worked."""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from handnets.cli._commands import HELP
from handnets.cnn.spec import load_conv

__all__ = ["register", "run"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("conv", help=HELP["conv"], description=__doc__)
    parser.add_argument("file", help="TOML file: input = [[...]], filters = [...] or [[layers]] (see examples/conv.toml)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object (numbers as exact strings)")
    output.add_argument("--latex", action="store_true", help="print the work as LaTeX")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.cnn import latex_pipeline, pipeline_payload, render_pipeline

    pipeline = load_conv(args.file)
    if args.json:
        out.file.write(json.dumps(pipeline_payload(pipeline)) + "\n")
    elif args.latex:
        out.file.write("\n\n".join(latex_pipeline(pipeline)) + "\n")
    else:
        out.print(render_pipeline(pipeline))
    return 0
