"""``handnets grade``, ``handnets check``, ``handnets template`` and ``handnets gradescope``: grading on the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import tomllib
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from handnets.cli._progress import progress_bar
from handnets.errors import HandnetsError, InvalidSheet, UsageError
from handnets.grading.grade import grade_sheet, judge_answer
from handnets.grading.key import load_key
from handnets.grading.sheet import load_sheet

__all__ = ["register", "write_atomic"]


def register(subparsers) -> None:
    grade = subparsers.add_parser("grade", help="grade answer sheets against a key")
    grade.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    grade.add_argument("sheets", nargs="+", metavar="SHEET_OR_DIR", help="answer sheet TOML files, or directories of them")
    grade.add_argument("--out", type=Path, metavar="DIR", help="grade as a batch and write grades.csv, summary.json and one JSON per student here")
    grade.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes for a batch (default 1)")
    grade.add_argument("--format", choices=("handnets", "gradescope"), default="handnets",
                       help="gradescope: write results.json in Gradescope's autograder schema into --out")
    grade.add_argument("--time-limit", type=float, default=10.0, metavar="S", help="seconds allowed per answer (default 10)")
    grade.add_argument("--json", action="store_true", help="print JSON (one object per sheet, one per line)")
    grade.set_defaults(func=run_grade)

    check = subparsers.add_parser("check", help="judge one answer typed on the command line")
    check.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    check.add_argument("question", help="the question id, e.g. lstm.cbar_t")
    check.add_argument("answer", help='the answer: an expression, a number, or a TOML value such as "[28, 28, 8]"')
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=run_check)

    template = subparsers.add_parser("template", help="write a blank answer sheet for a key")
    template.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    template.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    template.set_defaults(func=run_template)

    gradescope = subparsers.add_parser("gradescope", help="Gradescope autograder bundles")
    actions = gradescope.add_subparsers(dest="gradescope_command", metavar="ACTION", parser_class=type(gradescope))
    actions.required = True
    build = actions.add_parser("build", help="write an autograder.zip that grades submissions with handnets")
    build.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    build.add_argument("-o", "--output", type=Path, default=Path("autograder.zip"), help="the zip to write (default autograder.zip)")
    build.set_defaults(func=run_gradescope_build)


_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read the process umask (os.umask can only be read by setting it)


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that a reader (or an interrupted run) never sees it half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; reports are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_grade(args: argparse.Namespace, out: Console) -> int:
    if args.format == "gradescope":
        return _run_gradescope(args, out)
    if args.out is None:
        return _run_single(args, out)
    return _run_batch(args, out)


def _run_single(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.grading import render_report, report_json

    key = load_key(args.key)
    for path in args.sheets:
        if Path(path).is_dir():
            raise UsageError(f"{path} is a directory: grade a directory as a batch with --out DIR")
    unreadable = 0
    for path in args.sheets:
        try:
            sheet = load_sheet(path)
        except InvalidSheet as exc:  # report it and grade the other sheets
            sys.stderr.write(f"error: {exc}\n")
            unreadable += 1
            continue
        report = grade_sheet(key, sheet, limit_seconds=args.time_limit)
        if args.json:
            out.file.write(json.dumps(report_json(report)) + "\n")
        else:
            out.print(render_report(report))
    return 2 if unreadable else 0


def _run_batch(args: argparse.Namespace, out: Console) -> int:
    from handnets.grading.analytics import analyse
    from handnets.grading.batch import Limits, find_sheets, grade_batch
    from handnets.render.batch import format_grades_csv, render_batch, report_files, summary_json

    if args.time_limit <= 0:
        raise UsageError(f"--time-limit must be positive, got {args.time_limit}")
    sheets = find_sheets(args.sheets)
    limits = Limits(seconds=args.time_limit, hard_seconds=2 * args.time_limit + 5)
    with progress_bar(out, "grading", len(sheets), enabled=not args.json) as progress:
        batch = grade_batch(args.key, sheets, jobs=args.jobs, limits=limits, progress=progress)
    analytics = analyse(batch.reports)
    directory: Path = args.out
    for name, payload in report_files(batch).items():
        write_atomic(directory / "students" / name, json.dumps(payload, indent=2) + "\n")
    write_atomic(directory / "summary.json", json.dumps(summary_json(batch, analytics), indent=2) + "\n")
    write_atomic(directory / "grades.csv", format_grades_csv(batch))
    if args.json:
        out.file.write(json.dumps(summary_json(batch, analytics)) + "\n")
    else:
        out.print(render_batch(batch, analytics))
        out.print(f"wrote {directory / 'grades.csv'}, {directory / 'summary.json'} and {len(batch.reports)} files in {directory / 'students'}")
    return 0


def _run_gradescope(args: argparse.Namespace, out: Console) -> int:
    """Grade one submission into DIR/results.json; the file is valid whatever happens."""
    from handnets.render.batch import gradescope_error_json, gradescope_json

    if args.out is None:
        raise UsageError("--format gradescope needs --out DIR (Gradescope reads DIR/results.json)")
    target = args.out / "results.json"
    try:
        if len(args.sheets) != 1:
            raise UsageError(f"--format gradescope grades one submission, got {len(args.sheets)}")
        report = grade_sheet(load_key(args.key), load_sheet(args.sheets[0]), limit_seconds=args.time_limit)
        payload = gradescope_json(report)
        code = 0
    except HandnetsError as exc:
        payload, code = gradescope_error_json(str(exc)), 2
        sys.stderr.write(f"error: {exc}\n")
    write_atomic(target, json.dumps(payload, indent=2) + "\n")
    if not args.json:
        out.print(f"wrote {target} (score {payload['score']})")
    return code


def _answer_value(text: str):
    """A command-line answer: a TOML value when it reads as one (numbers, lists, inline tables), else the text."""
    try:
        return tomllib.loads(f"value = {text}", parse_float=Decimal)["value"]
    except tomllib.TOMLDecodeError:
        return text


def run_check(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.grading import render_verdict, verdict_json

    key = load_key(args.key)
    try:
        question = key.question(args.question)
    except KeyError:
        raise UsageError(f"the key {key.name} has no question {args.question!r}; it has {', '.join(q.id for q in key.questions)}") from None
    verdict = judge_answer(question, _answer_value(args.answer), source="command line")
    if args.json:
        out.file.write(json.dumps(verdict_json(verdict)) + "\n")
    else:
        out.print(render_verdict(verdict))
    return 0 if verdict.verdict == "correct" else 1


def run_template(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.grading import format_template

    text = format_template(load_key(args.key))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    return 0


def run_gradescope_build(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.gradescope import build_autograder

    load_key(args.key)  # refuse to build a bundle around a key that cannot be read
    data = build_autograder(args.key)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.output)
    out.print(f"wrote {args.output} ({len(data):,} bytes): upload it as the autograder of a Gradescope programming assignment")
    return 0
