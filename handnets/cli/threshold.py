"""``handnets threshold check|run|accuracy|synth|repair|tasks``: threshold RNNs for any sequence task.

TASK is a built-in name (add, subtract, compare, parity, times3) or a task TOML file.
"""

from __future__ import annotations

import argparse
import json

from typing import TYPE_CHECKING

from handnets.cli import adder as _adder
from handnets.cli._commands import HELP
from handnets.errors import InvalidRequest, UsageError
from handnets.safeio import display_name
from handnets.threshold.check import DEFAULT_MAX_LEN
from handnets.threshold.prove import MAX_STATES
from handnets.threshold.weights import load_weights

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["register"]

_TASK_HELP = "add, subtract, compare, parity, times3, or a task TOML file (default add)"


def register(subparsers) -> None:
    parser = subparsers.add_parser("threshold", help=HELP["threshold"],
                                   description="Threshold RNNs for any sequence task. TASK is a built-in name (add, "
                                               "subtract, compare, parity, times3) or a task TOML file.")
    commands = parser.add_subparsers(dest="threshold_command", metavar="ACTION", parser_class=type(parser))
    commands.required = True

    check = commands.add_parser("check", help="prove designs for every length and enumerate every input up to a length")
    check.add_argument("files", nargs="*", metavar="FILE", help="weights TOML file(s) (none: the built-in adder); several: one row each")
    check.add_argument("--task", default="add", metavar="TASK", help=_TASK_HELP)
    check.add_argument("--threshold", choices=("ge", "gt"), help="step convention, overriding the file's")
    check.add_argument("--max-len", type=int, default=DEFAULT_MAX_LEN, metavar="N", help=f"enumerate lengths 1..N (default {DEFAULT_MAX_LEN})")
    check.add_argument("--max-states", type=int, default=MAX_STATES, metavar="N",
                       help=f"search at most N product states for the proof (default {MAX_STATES:,})")
    check.add_argument("--json", action="store_true", help="print one JSON object (several files: one per line)")
    check.set_defaults(func=_adder.run_check)

    run = commands.add_parser("run", help="trace a design on one input, step by step")
    run.add_argument("operands", nargs="+", metavar="[FILE] N", help="weights file (optional for add) and one number per input")
    run.add_argument("--task", default="add", metavar="TASK", help=_TASK_HELP)
    run.add_argument("--threshold", choices=("ge", "gt"), help="step convention, overriding the file's")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.set_defaults(func=_adder.run_trace)

    accuracy = commands.add_parser("accuracy", help="exact wrong-input counts and digit accuracy for every length")
    accuracy.add_argument("file", nargs="?", help="weights TOML file (omitted: the built-in adder)")
    accuracy.add_argument("--task", default="add", metavar="TASK", help=_TASK_HELP)
    accuracy.add_argument("--threshold", choices=("ge", "gt"), help="step convention, overriding the file's")
    accuracy.add_argument("--max-len", type=int, default=256, metavar="N", help="lengths 1..N (default 256)")
    accuracy.add_argument("--max-states", type=int, default=MAX_STATES, metavar="N", help=f"search at most N product states (default {MAX_STATES:,})")
    accuracy.add_argument("--json", action="store_true", help="print one JSON object")
    accuracy.set_defaults(func=_adder.run_accuracy)

    synth = commands.add_parser("synth", help="synthesise a design with the fewest hidden units found, proved")
    synth.add_argument("task", metavar="TASK", help=_TASK_HELP.replace(" (default add)", ""))
    synth.add_argument("--units", type=int, metavar="K", help="exactly K hidden units")
    synth.add_argument("--max-units", type=int, default=8, metavar="N", help="try at most N hidden units (default 8)")
    synth.add_argument("-o", "--output", metavar="FILE", help="write the design as a weights TOML file")
    synth.add_argument("--json", action="store_true", help="print one JSON object")
    synth.set_defaults(func=run_synth)

    repair = commands.add_parser("repair", help="the fewest single-weight edits that make a wrong design right, proved")
    repair.add_argument("file", metavar="FILE", help="weights TOML file")
    repair.add_argument("--task", default="add", metavar="TASK", help=_TASK_HELP)
    repair.add_argument("--threshold", choices=("ge", "gt"), help="step convention, overriding the file's")
    repair.add_argument("--max-edits", type=int, default=2, metavar="N", help="at most N edits (default 2, at most 3)")
    repair.add_argument("--json", action="store_true", help="print one JSON object")
    repair.set_defaults(func=run_repair)

    tasks = commands.add_parser("tasks", help="list the built-in tasks and their input conventions")
    tasks.set_defaults(func=run_tasks)


def run_synth(args: argparse.Namespace, out: Console) -> int:
    from handnets.outdir import write_file
    from handnets.render.threshold_json import synthesis_json, weights_toml
    from handnets.threshold.synth import synthesise

    task = _adder.task_of(args)
    try:
        result = synthesise(task, units=args.units, max_units=args.max_units)
    except InvalidRequest as exc:
        raise _adder._flags(exc) from None
    if result.found and args.output:
        proof = result.proof
        comments = [
            f"handnets threshold synth {task.name}: {task.title}; valid inputs: {task.convention}",
            f"proved right for every length: {len(proof.reachable)} reachable hidden states, margin {proof.margin}",
            f"fewer units: {result.lower_bound_note}",
        ]
        write_file(args.output, weights_toml(result.network, comments))
    if args.json:
        out.file.write(json.dumps(synthesis_json(result)) + "\n")
    else:
        from handnets.render.threshold import render_synthesis

        out.print(render_synthesis(result))
        if result.found and args.output:
            out.print(f"wrote {display_name(args.output)}", markup=False)
    return 0 if result.found else 1


def run_repair(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.threshold_json import repair_json
    from handnets.threshold.repair import MAX_EDITS, repair

    if not 0 <= args.max_edits <= MAX_EDITS:
        raise UsageError(f"--max-edits must be between 0 and {MAX_EDITS}, got {args.max_edits}")
    task = _adder.task_of(args)
    network = load_weights(args.file, inputs=task.inputs, outputs=task.outputs)
    if args.threshold:
        network = network.with_threshold(args.threshold)
    try:
        result = repair(network, task, max_edits=args.max_edits)
    except InvalidRequest as exc:
        raise _adder._flags(exc) from None
    if args.json:
        out.file.write(json.dumps(repair_json(result)) + "\n")
    else:
        from handnets.render.threshold import render_repair

        out.print(render_repair(result))
    return 0 if result.already_correct or result.found else 1


def run_tasks(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.threshold import render_tasks

    out.print(render_tasks())
    return 0
