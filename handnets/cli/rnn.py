"""``handnets rnn check``: a trained RNN adder checked on every input up to a length, and a proof attempt."""

from __future__ import annotations

import argparse
import json
import math

from rich.console import Console

from handnets.cli._commands import HELP
from handnets.cli._progress import progress_bar
from handnets.errors import InvalidRequest, UsageError

__all__ = ["register"]

_PROGRESS_FROM = 4**10  # pairs; below this the enumeration takes well under a second


def register(subparsers) -> None:
    parser = subparsers.add_parser("rnn", help=HELP["rnn"], description=__doc__)
    commands = parser.add_subparsers(dest="rnn_command", metavar="ACTION", parser_class=type(parser))
    commands.required = True
    check = commands.add_parser("check", help="every valid pair up to a length in float32, exact digit accuracy, a proof attempt")
    check.add_argument("models", nargs="+", metavar="MODEL",
                       help="weights: .safetensors, .npz, or a torch.save'd state dict (needs torch); several: one summary row each")
    check.add_argument("--max-len", type=int, metavar="N", help="enumerate lengths 1..N (default 12, fewer if the model is too big to finish)")
    check.add_argument("--task", choices=("add", "add-msb"), default="add", help="add: LSB first, one digit per step (default); add-msb: read MSB first, then answer")
    check.add_argument("--nonlinearity", choices=("relu", "tanh"), default="relu", help="the RNN's nonlinearity, not stored in the weights (default relu)")
    check.add_argument("--answer-input", metavar="A,B", help="add-msb: the input pair during the answer steps (default 0,0)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=run_check)


def _pair(text: str | None) -> tuple[float, float]:
    if text is None:
        return (0.0, 0.0)
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2 or not all(math.isfinite(v) for v in values):
        raise UsageError(f"--answer-input must be two finite numbers A,B, got {text!r}")
    return values  # type: ignore[return-value]


def run_check(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.trained import render_check, trained_json
    from handnets.trained.check import DEFAULT_MAX_LEN, check_trained
    from handnets.trained.enumerate import MAX_LEN
    from handnets.trained.load import load_model

    if args.max_len is not None and not 1 <= args.max_len <= MAX_LEN:
        raise UsageError(f"--max-len must be between 1 and {MAX_LEN}, got {args.max_len}")
    if args.answer_input is not None and args.task != "add-msb":
        raise UsageError("--answer-input applies to --task add-msb only")
    answer_input = _pair(args.answer_input)
    max_len = DEFAULT_MAX_LEN if args.max_len is None else args.max_len
    if len(args.models) > 1:
        return _check_many(args, out, max_len, answer_input)
    model = load_model(args.models[0], nonlinearity=args.nonlinearity)
    total = sum(4 ** (n - 1) for n in range(1, max_len + 1))
    with progress_bar(out, "enumerating", total, enabled=not args.json, minimum=_PROGRESS_FROM) as progress:
        try:
            result = check_trained(model, args.task, max_len, answer_input=answer_input, strict=args.max_len is not None, progress=progress)
        except InvalidRequest as exc:
            raise _flags(exc) from None
    if args.json:
        out.file.write(json.dumps(trained_json(result)) + "\n")
    else:
        out.print(render_check(result))
    return 0 if result.correct else 1


def _flags(exc: InvalidRequest) -> UsageError:
    """A computation's refusal, worded with the flag that asked for it."""
    flag = {"max_len": "--max-len", "task": "--task"}.get(exc.field or "", "")
    return UsageError(f"{flag}: {exc.message}" if flag else exc.message)


def _check_many(args: argparse.Namespace, out: Console, max_len: int, answer_input) -> int:
    """A grader's pass over many students' models: one row each, an unreadable file never stops the rest."""
    from handnets.errors import InputError
    from handnets.render.trained import render_many, trained_json
    from handnets.safeio import display_name
    from handnets.trained.check import check_trained
    from handnets.trained.load import load_model

    results = []
    for path in args.models:
        shown = display_name(path)
        try:
            model = load_model(path, nonlinearity=args.nonlinearity)
        except InputError as exc:
            results.append((shown, None, str(exc)))
            continue
        try:
            results.append((shown, check_trained(model, args.task, max_len, answer_input=answer_input, strict=args.max_len is not None), None))
        except InvalidRequest as exc:
            results.append((shown, None, str(_flags(exc))))
    if args.json:
        for shown, result, error in results:
            payload = {"file": shown, "error": error} if result is None else {"file": shown, **trained_json(result)}
            out.file.write(json.dumps(payload) + "\n")
    else:
        out.print(render_many(results))
    if any(result is None for _, result, _ in results):
        return 2
    return 0 if all(result.correct for _, result, _ in results) else 1
