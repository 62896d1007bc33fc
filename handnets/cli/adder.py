"""``handnets adder check|run|accuracy``: the hard-threshold adder verifier on the command line.

``handnets adder`` is ``handnets threshold ... --task add``; the run functions here serve both
(``args.task`` is absent for ``adder``), so the two commands can never drift apart.
"""

from __future__ import annotations

import argparse
import json

from typing import TYPE_CHECKING

from handnets.cli._commands import HELP
from handnets.errors import InputError, InvalidRequest, UsageError
from handnets.safeio import display_name
from handnets.threshold.check import DEFAULT_MAX_LEN, check_task, trace_task
from handnets.threshold.designs import classic_adder
from handnets.threshold.enumerate import MAX_ENUMERATION_LENGTH
from handnets.threshold.network import ThresholdRNN
from handnets.threshold.prove import MAX_STATES, MAX_STATES_LIMIT, MIN_STATES, digit_accuracy
from handnets.threshold.tasks import Task, builtin_task, resolve_task
from handnets.threshold.weights import load_weights

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["register"]

_MAX_ACCURACY_LEN = 5000
_PROGRESS_FROM = 4**11  # pairs; below this the enumeration takes well under a second


def register(subparsers) -> None:
    parser = subparsers.add_parser("adder", help=HELP["adder"],
                                   description="The hard-threshold adder verifier: handnets adder is handnets threshold "
                                               "... --task add.")
    commands = parser.add_subparsers(dest="adder_command", metavar="ACTION", parser_class=type(parser))
    commands.required = True

    check = commands.add_parser("check", help="prove a design for every length and enumerate all pairs up to a length")
    check.add_argument("files", nargs="*", metavar="FILE", help="weights TOML file(s) (none: the built-in classic design); several: one summary row each")
    check.add_argument("--threshold", choices=("ge", "gt"), help="step convention, overriding the file's")
    check.add_argument("--max-len", type=int, default=DEFAULT_MAX_LEN, metavar="N", help=f"enumerate lengths 1..N (default {DEFAULT_MAX_LEN})")
    check.add_argument(
        "--max-states", type=int, default=MAX_STATES, metavar="N",
        help=f"search at most N product states for the proof (default {MAX_STATES:,}); beyond it: enumeration only",
    )
    check.add_argument("--json", action="store_true", help="print one JSON object (several files: one per line)")
    check.set_defaults(func=run_check)

    run = commands.add_parser("run", help="trace a design adding two integers, step by step")
    run.add_argument("operands", nargs="+", metavar="[FILE] A B", help="weights file (optional) and two non-negative integers")
    run.add_argument("--threshold", choices=("ge", "gt"), help="step convention, overriding the file's")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.set_defaults(func=run_trace)

    accuracy = commands.add_parser("accuracy", help="exact wrong-pair counts and digit accuracy for every length")
    accuracy.add_argument("file", nargs="?", help="weights TOML file (omitted: the built-in classic design)")
    accuracy.add_argument("--threshold", choices=("ge", "gt"), help="step convention, overriding the file's")
    accuracy.add_argument("--max-len", type=int, default=256, metavar="N", help="lengths 1..N (default 256)")
    accuracy.add_argument(
        "--max-states", type=int, default=MAX_STATES, metavar="N", help=f"search at most N product states (default {MAX_STATES:,})"
    )
    accuracy.add_argument("--json", action="store_true", help="print one JSON object")
    accuracy.set_defaults(func=run_accuracy)


def task_of(args: argparse.Namespace) -> Task:
    """The task asked for (``--task``), addition for ``handnets adder``; read once per run."""
    cached = getattr(args, "_task", None)
    if cached is None:
        cached = resolve_task(args.task) if getattr(args, "task", None) else builtin_task("add")
        args._task = cached
    return cached


def _network(path: str | None, threshold: str | None, task: Task | None = None) -> ThresholdRNN:
    task = task or builtin_task("add")
    if path is None:
        if task.name != "add":
            raise UsageError(f"there is no built-in design for task {task.name}: give a weights FILE "
                             f"(handnets threshold synth {task.name} -o FILE writes one)")
        network = classic_adder()
    else:
        network = load_weights(path, inputs=task.inputs, outputs=task.outputs)
    return network.with_threshold(threshold) if threshold else network


def _check_limits(args: argparse.Namespace, max_len: int = MAX_ENUMERATION_LENGTH) -> None:
    if not 1 <= args.max_len <= max_len:
        raise UsageError(f"--max-len must be between 1 and {max_len}, got {args.max_len}")
    if not MIN_STATES <= args.max_states <= MAX_STATES_LIMIT:
        raise UsageError(f"--max-states must be between {MIN_STATES} and {MAX_STATES_LIMIT:,}, got {args.max_states:,}")


def _flags(exc: InvalidRequest) -> UsageError:
    """A computation's refusal, worded with the flag that asked for it."""
    flag = {"max_len": "--max-len", "max_states": "--max-states", "task": "--task", "units": "--units",
            "max_units": "--max-units", "max_edits": "--max-edits"}.get(exc.field or "")
    return UsageError(f"{flag}: {exc.message}" if flag else exc.message)


def run_check(args: argparse.Namespace, out: Console) -> int:
    _check_limits(args)
    if len(args.files) > 1:
        return _check_many(args, out)
    task = task_of(args)
    network = _network(args.files[0] if args.files else None, args.threshold, task)
    symbols = len(task.alphabet)
    total = sum(symbols**t for t in range(0, args.max_len - task.padding_steps + 1))
    if args.json:  # no progress bar and no rich tables: neither is imported
        from handnets.render.threshold_json import adder_json

        try:
            result = check_task(network, task, max_len=args.max_len, max_states=args.max_states)
        except InvalidRequest as exc:
            raise _flags(exc) from None
        out.file.write(json.dumps(adder_json(result)) + "\n")
        return 0 if result.correct and result.methods_agree else 1
    from handnets.cli._progress import progress_bar
    from handnets.render.adder import render_check

    with progress_bar(out, "enumerating", total, minimum=_PROGRESS_FROM) as progress:
        try:
            result = check_task(network, task, max_len=args.max_len, progress=progress, max_states=args.max_states)
        except InvalidRequest as exc:
            raise _flags(exc) from None
    out.print(render_check(result))
    return 0 if result.correct and result.methods_agree else 1


def _check_many(args: argparse.Namespace, out: Console) -> int:
    """A grader's pass over many students' weight files: one verdict each, a bad file never stops the rest."""
    from handnets.render.threshold_json import adder_json

    results = []
    task = task_of(args)
    for path in args.files:
        shown = display_name(path)
        try:
            network = _network(path, args.threshold, task)
        except InputError as exc:  # unreadable, not a file, not TOML, bad weights: this file only
            results.append((shown, None, str(exc)))
            continue
        except MemoryError:
            results.append((shown, None, f"{shown}: too large to read"))
            continue
        try:
            results.append((shown, check_task(network, task, max_len=args.max_len, max_states=args.max_states), None))
        except InvalidRequest as exc:
            raise _flags(exc) from None
    if args.json:
        for path, result, error in results:
            payload = {"file": path, "error": error} if result is None else {"file": path, **adder_json(result)}
            out.file.write(json.dumps(payload) + "\n")
    else:
        from handnets.render.adder import render_many

        out.print(render_many(results))
    if any(result is None for _, result, _ in results):
        return 2
    return 0 if all(result.correct and result.methods_agree for _, result, _ in results) else 1


def _integer(text: str, name: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise UsageError(f"{name} must be a non-negative integer (decimal, 0b..., 0x...), got {text!r}") from None
    if value < 0:
        raise UsageError(f"{name} must be non-negative, got {value}")
    return value


def run_trace(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.threshold_json import trace_json

    task = task_of(args)
    n = task.inputs
    if len(args.operands) not in (n, n + 1):
        names = " ".join(name.upper() for name in (task.operand_names or [f"x{i + 1}" for i in range(n)]))
        raise UsageError(f"expected [FILE] {names} for task {task.name}, got {len(args.operands)} arguments")
    path = args.operands[0] if len(args.operands) == n + 1 else None
    names = [name.upper() for name in (task.operand_names or [f"X{i + 1}" for i in range(n)])]
    operands = tuple(_integer(text, name) for text, name in zip(args.operands[-n:], names))
    try:
        trace = trace_task(_network(path, args.threshold, task), task, operands)
    except InvalidRequest as exc:
        raise _flags(exc) from None
    if args.json:
        out.file.write(json.dumps(trace_json(trace)) + "\n")
    else:
        from handnets.render.adder import render_trace

        out.print(render_trace(trace))
    return 0 if trace.correct else 1


def run_accuracy(args: argparse.Namespace, out: Console) -> int:
    _check_limits(args, _MAX_ACCURACY_LEN)
    from handnets.render.threshold_json import accuracy_json

    task = task_of(args)
    accuracy = digit_accuracy(_network(args.file, args.threshold, task), args.max_len, task, max_states=args.max_states)
    short = len(accuracy) < args.max_len
    note = (
        f"exact up to length {len(accuracy)} only: longer inputs reach more than {args.max_states:,} states "
        "or more work than the bound allows (raise --max-states)"
    )
    if args.json:
        payload = {"lengths": accuracy_json(accuracy)}
        if short:
            payload["note"] = note
        out.file.write(json.dumps(payload) + "\n")
    else:
        from handnets.render.adder import render_accuracy

        out.print(render_accuracy(accuracy))
        if short:
            out.print(note, markup=False)
    if all(a.wrong_pairs == 0 for a in accuracy):
        return 0 if not short else 1
    return 1
