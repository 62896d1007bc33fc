"""``handnets params SPEC_OR_FILE...``: parameter counts and output shapes of model code, never run.

Each argument is a file of model-building code or one constructor call as written in code
(``"LSTM(32)"``, ``"nn.LSTM(7, 13, num_layers=2, bidirectional=True)"``); several are read as one
model, in order. ``--framework both`` shows the Keras and PyTorch conventions side by side.

Exit codes: 0 every layer counted; 1 the total is INCOMPLETE (a layer this reader does not know, a
keyword the framework's constructor does not take, or a size nobody gave): the output names each
one and ``--json`` has ``"complete": false`` with the reasons; 2 the code or the arguments cannot
be read.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from rich.console import Console

from handnets.cli._commands import HELP
from handnets.errors import InvalidSpec, UsageError
from handnets.params.model import summarize
from handnets.params.reader import MAX_CODE_CHARACTERS, read_models
from handnets.safeio import display_name, read_text

__all__ = ["register", "run", "parse_input_shape", "read_arguments", "INCOMPLETE"]

_MAX_BYTES = MAX_CODE_CHARACTERS * 4  # UTF-8; the reader then counts characters
INCOMPLETE = 1  # the exit code when the total is not the framework's: something named was not counted


def register(subparsers) -> None:
    parser = subparsers.add_parser("params", help=HELP["params"], description=__doc__)
    parser.add_argument("specs", nargs="+", metavar="SPEC_OR_FILE", help='a file of model code, or a constructor call such as "LSTM(32)"')
    parser.add_argument("--framework", choices=("keras", "pytorch", "both"), help="counting convention (default: the code's own)")
    parser.add_argument("--input-shape", metavar="200,16", help="input shape without the batch axis (None for a free axis)")
    parser.add_argument("--terms", action="store_true", help="also show where every term of every formula comes from")
    parser.add_argument("--flops", action="store_true", help="also the cost of a forward pass: MACs or FLOPs per layer, receptive fields")
    parser.add_argument("--convention", choices=("mac", "flop"), default="flop", help="with --flops: count multiply-accumulates, or FLOPs = 2 x MACs (torch.utils.flop_counter's; the default)")
    parser.add_argument("--seq-len", type=_positive, metavar="T", help="with --flops: time steps where the input shape leaves them free")
    parser.add_argument("--batch", type=_positive, metavar="B", help="with --flops: batch size (default 1)")
    parser.add_argument("--memory", action="store_true", help="with --flops: activation memory of a forward pass (float32)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1 or len(text.strip()) > 9:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def parse_input_shape(text: str | None) -> tuple[int | None, ...] | None:
    """``"200,16"`` -> ``(200, 16)``; ``"None,20"`` -> ``(None, 20)``; brackets are allowed."""
    if text is None:
        return None
    parts = [p.strip() for p in text.strip().strip("()[]").split(",") if p.strip()]
    shape: list[int | None] = []
    for part in parts:
        if part.lower() in ("none", "?"):
            shape.append(None)
        elif part.isdigit() and int(part) >= 1:
            shape.append(int(part))
        else:
            raise UsageError(f"--input-shape takes positive integers (or None) separated by commas, e.g. 200,16; got {text!r}")
    if not shape:
        raise UsageError(f"--input-shape needs at least one axis, got {text!r}")
    return tuple(shape)


def read_arguments(specs: list[str]) -> list[tuple[str, str]]:
    """Each argument as (source, code): a file's text, or the argument itself as code."""
    pieces = []
    for index, spec in enumerate(specs):
        path = Path(spec)
        looks_like_file = spec.endswith((".py", ".txt")) or "/" in spec and "(" not in spec
        if _exists(path):  # a FIFO or a device too: safeio refuses it by name, without blocking
            pieces.append((display_name(spec), read_text(path, limit=_MAX_BYTES, error=InvalidSpec, what="a file of model code")))
        elif looks_like_file:
            raise InvalidSpec("no such file", source=spec)
        else:
            short = "\n" not in spec and len(spec) <= 60
            pieces.append((spec if len(specs) == 1 and short else f"spec {index + 1}", spec))
    return pieces


def _exists(path: Path) -> bool:
    try:
        return os.path.lexists(path) and "\n" not in str(path)
    except (OSError, ValueError):  # a name too long, a NUL byte: not a file name, so code
        return False


def run(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.params import render_side_by_side, render_summary, render_terms, summary_payload

    shape = parse_input_shape(args.input_shape)
    if args.framework == "both" and (args.flops or args.memory or args.seq_len or args.batch):
        raise UsageError("--flops counts one framework's model: give --framework keras or pytorch, not both")
    chosen = None if args.framework in (None, "both") else args.framework
    model = read_models(read_arguments(args.specs), framework=chosen)
    if not model.layers:
        raise InvalidSpec("no layers found: expected constructor calls such as Dense(8) or nn.Linear(4, 8)", source=model.source)
    if args.framework == "both":
        keras, pytorch = (summarize(model, framework=f, input_shape=shape) for f in ("keras", "pytorch"))
        if args.json:
            out.file.write(json.dumps({"keras": summary_payload(keras), "pytorch": summary_payload(pytorch)}) + "\n")
        else:
            out.print(render_side_by_side(keras, pytorch))
            if args.terms:
                out.print(render_terms(keras))
                out.print(render_terms(pytorch))
        return 0 if keras.complete and pytorch.complete else INCOMPLETE
    summary = summarize(model, framework=chosen, input_shape=shape)
    if args.flops or args.memory or args.seq_len or args.batch:
        return _run_cost(args, summary, out)
    if args.json:
        out.file.write(json.dumps(summary_payload(summary)) + "\n")
        return 0 if summary.complete else INCOMPLETE
    out.print(render_summary(summary))
    if args.terms or sum(1 for r in summary.rows if r.formula is not None and r.formula.terms) == 1:
        out.print(render_terms(summary))
    return 0 if summary.complete else INCOMPLETE


def _run_cost(args: argparse.Namespace, summary, out: Console) -> int:
    from handnets.params.cost import forward_cost
    from handnets.render.params import cost_payload, render_cost, summary_payload

    cost = forward_cost(summary, batch=args.batch, seq_len=args.seq_len)
    if args.json:
        out.file.write(json.dumps({**summary_payload(summary), **cost_payload(cost, args.convention, memory=args.memory)}) + "\n")
    else:
        out.print(render_cost(cost, args.convention, memory=args.memory))
    return 0 if cost.complete else INCOMPLETE
