"""``handnets grade``, ``handnets check``, ``handnets template`` and ``handnets gradescope``: grading on the command line.

Every path judges each answer under the batch's three limits (a soft time limit, a memory limit,
and a hard limit enforced by the parent, which kills the worker): a batch with ``--jobs`` workers,
one sheet, ``--format gradescope`` and ``check`` with one forked worker (``grading.batch``).
Results are written without ever leaving a mix behind (``handnets.outdir``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from handnets.cli._commands import HELP
from handnets.cli._progress import progress_bar
from handnets.errors import HandnetsError, InvalidRequest, InvalidSheet, UsageError
from handnets.grading.key import load_key
from handnets.grading.sheet import Sheet, load_sheet
from handnets.outdir import OutputError, ResultFolder, write_file

__all__ = ["register"]


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse type: anything else is a usage error, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of seconds, got {text!r}")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(subparsers) -> None:
    grade = subparsers.add_parser("grade", help=HELP["grade"])
    grade.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    grade.add_argument("sheets", nargs="+", metavar="SHEET_OR_DIR", help="answer sheet TOML files, or directories of them")
    grade.add_argument("--out", type=Path, metavar="DIR", help="grade as a batch and write grades.csv, summary.json and one JSON per student here")
    grade.add_argument("--jobs", type=_jobs, default=1, metavar="N", help="worker processes for a batch (default 1)")
    grade.add_argument("--format", choices=("handnets", "gradescope", "html"), default="handnets",
                       help="gradescope: write results.json in Gradescope's autograder schema into --out; "
                            "html: write index.html and students/<name>.html (math as MathML) into --out")
    grade.add_argument("--time-limit", type=_seconds, default=10.0, metavar="S", help="seconds allowed per answer (default 10)")
    grade.add_argument("--resubmittable", action="store_true",
                       help="the student may resubmit (a practice round, an autograder open for resubmission): an invalid "
                            "(unreadable) answer is sent back with its message and counted neither in the score nor in "
                            "the maximum. Without it grading is final: an invalid answer scores 0 and is flagged for "
                            "review with the undecided ones, counted apart from incorrect. One sheet or --format "
                            "gradescope only: a batch written with --out is final grading")
    grade.add_argument("--json", action="store_true", help="print JSON (one object per sheet, one per line)")
    grade.set_defaults(func=run_grade)

    check = subparsers.add_parser("check", help=HELP["check"], description=(
        "A student's self-check of one answer. It is resubmittable by nature: an invalid (unreadable) answer is "
        "sent back with the message saying how to fix it, and is not counted (exit 1, like any answer that is "
        "not correct)."))
    check.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    check.add_argument("question", help="the question id, e.g. lstm.cbar_t")
    check.add_argument("answer", help='the answer: an expression, a number, or a TOML value such as "[28, 28, 8]"')
    check.add_argument("--time-limit", type=_seconds, default=10.0, metavar="S", help="seconds allowed for the answer (default 10)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=run_check)

    template = subparsers.add_parser("template", help=HELP["template"])
    template.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    template.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    template.set_defaults(func=run_template)

    gradescope = subparsers.add_parser("gradescope", help=HELP["gradescope"])
    actions = gradescope.add_subparsers(dest="gradescope_command", metavar="ACTION", parser_class=type(gradescope))
    actions.required = True
    build = actions.add_parser("build", help="write an autograder.zip that grades submissions with handnets")
    build.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    build.add_argument("-o", "--output", type=Path, default=Path("autograder.zip"), help="the zip to write (default autograder.zip)")
    build.set_defaults(func=run_gradescope_build)


def _limits(seconds: float):
    from handnets.grading.batch import Limits

    return Limits(seconds=seconds, hard_seconds=2 * seconds + 5)


def _setting(args: argparse.Namespace):
    from handnets.grading.analytics import Setting

    return Setting.RESUBMITTABLE if args.resubmittable else Setting.FINAL


def run_grade(args: argparse.Namespace, out: Console) -> int:
    if args.resubmittable and args.out is not None and args.format != "gradescope":
        raise UsageError("--resubmittable grades one sheet (or a Gradescope submission); a batch written with --out is "
                         "final grading: invalid answers score 0 and are listed in the review queue")
    if args.format == "gradescope":
        return _run_gradescope(args, out)
    if args.format == "html":
        from handnets.cli.grade_html import run_grade_html

        return run_grade_html(args, out, _limits(args.time_limit))
    if args.out is None:
        return _run_single(args, out)
    return _run_batch(args, out)


def _grade_isolated(key_source: str, paths: list[str], seconds: float):
    """Each sheet's Report (or Unreadable), in order, graded in a worker under the batch's limits."""
    from handnets.grading.batch import grade_isolated

    key = load_key(key_source)
    loaders = [lambda path=path: load_sheet(path) for path in paths]
    return grade_isolated(key if _can_fork() else key_source, loaders, paths, limits=_limits(seconds))


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _run_single(args: argparse.Namespace, out: Console) -> int:
    from handnets.grading.batch import Unreadable
    from handnets.render.grading import render_report, report_json
    from handnets.render.text import clean, json_safe

    for path in args.sheets:
        if Path(path).is_dir():
            raise UsageError(f"{path} is a directory: grade a directory as a batch with --out DIR")
    unreadable = 0
    for result in _grade_isolated(args.key, [str(p) for p in args.sheets], args.time_limit):
        if isinstance(result, Unreadable):  # report it and grade the other sheets
            sys.stderr.write(f"error: {clean(result.reason)}\n")
            unreadable += 1
        elif args.json:
            out.file.write(json.dumps(json_safe(report_json(result, _setting(args)))) + "\n")
        else:
            out.print(render_report(result, _setting(args)))
    return 2 if unreadable else 0


def _run_batch(args: argparse.Namespace, out: Console) -> int:
    from handnets.grading.analytics import analyse
    from handnets.grading.batch import find_sheets, grade_batch
    from handnets.render.batch import format_grades_csv, render_batch, report_files, summary_json
    from handnets.render.text import clean

    try:
        sheets = find_sheets(args.sheets)
    except InvalidRequest as exc:  # a path on the command line: the user's request, not a sheet's content
        raise UsageError(str(exc)) from None
    folder = ResultFolder(args.out).open()  # before grading: an unusable --out fails now, not after the work
    try:
        with progress_bar(out, "grading", len(sheets), enabled=not args.json) as progress:
            batch = grade_batch(args.key, sheets, jobs=args.jobs, limits=_limits(args.time_limit), progress=progress)
        analytics = analyse(batch.reports)
        summary = summary_json(batch, analytics)
        # the small files first: if the disk fills up, the gradebook is what survives in the staging folder
        folder.write("grades.csv", format_grades_csv(batch))
        folder.write("summary.json", json.dumps(summary, indent=2) + "\n")
        for name, payload in report_files(batch).items():
            folder.write(f"students/{name}", json.dumps(payload, indent=2) + "\n")
        folder.commit()
    except OutputError as exc:
        kept = folder.abandon()
        where = f"; the results written so far are in {kept}" if kept is not None else ""
        raise OutputError(f"{exc}{where}") from None
    except BaseException:
        folder.abandon()
        raise
    directory: Path = args.out
    if args.json:
        out.file.write(json.dumps(summary) + "\n")
    else:
        out.print(render_batch(batch, analytics))
        out.print(Text(clean(f"wrote {directory / 'grades.csv'}, {directory / 'summary.json'} and "
                             f"{len(batch.reports)} files in {directory / 'students'}")))
    return 0


def _run_gradescope(args: argparse.Namespace, out: Console) -> int:
    """Grade one submission into DIR/results.json; the file is valid whatever happens."""
    from handnets.grading.batch import Unreadable
    from handnets.render.batch import gradescope_error_json, gradescope_json
    from handnets.render.text import clean

    if args.out is None:
        raise UsageError("--format gradescope needs --out DIR (Gradescope reads DIR/results.json)")
    target = args.out / "results.json"
    _check_folder(args.out)  # before grading: an unusable --out fails now
    try:
        if len(args.sheets) != 1:
            raise UsageError(f"--format gradescope grades one submission, got {len(args.sheets)}")
        (result,) = _grade_isolated(args.key, [str(args.sheets[0])], args.time_limit)
        if isinstance(result, Unreadable):
            raise InvalidSheet(result.reason)
        payload = gradescope_json(result, _setting(args))
        code = 0
    except HandnetsError as exc:
        payload, code = gradescope_error_json(str(exc)), 2
        sys.stderr.write(f"error: {clean(str(exc))}\n")
    write_file(target, json.dumps(payload, indent=2) + "\n")
    if not args.json:
        out.print(Text(clean(f"wrote {target} (score {payload['score']})")))
    return code


def _check_folder(folder: Path) -> None:
    """Refuse early a results folder that is a file or cannot be written."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the folder: {exc.strerror}") from None
    import os

    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: the folder is not writable")


def _answer_value(text: str):
    """A command-line answer: a TOML value when it reads as one (numbers, lists, inline tables), else the text.

    Read by the one bounded TOML reader (``handnets.safeio``), inside the worker, under its limits."""
    from handnets.safeio import TomlLimits, loads_toml

    try:
        return loads_toml(f"value = {text}", source="command line", limits=TomlLimits(depth=16))["value"]
    except HandnetsError:
        return text


def run_check(args: argparse.Namespace, out: Console) -> int:
    from handnets.grading.analytics import Setting
    from handnets.grading.batch import Unreadable, grade_isolated
    from handnets.grading.grade import Report
    from handnets.render.grading import render_verdict, verdict_json
    from handnets.render.text import json_safe

    key = load_key(args.key)
    try:
        question = key.question(args.question)
    except KeyError:
        raise UsageError(f"the key {key.name} has no question {args.question!r}; it has {', '.join(q.id for q in key.questions)}") from None
    text = args.answer

    def read() -> Sheet:
        return Sheet(student="command line", answers={question.id: _answer_value(text)}, source="command line")

    (result,) = grade_isolated(_only(key, question.id) if _can_fork() else args.key, [read], ["command line"], limits=_limits(args.time_limit))
    if isinstance(result, Unreadable):
        raise UsageError(result.reason)
    assert isinstance(result, Report)
    verdict = next(v for v in result.verdicts if v.id == question.id)
    if args.json:
        out.file.write(json.dumps(json_safe(verdict_json(verdict, Setting.RESUBMITTABLE))) + "\n")
    else:  # a self-check: an invalid answer goes back to the student, it costs nothing
        out.print(render_verdict(verdict, Setting.RESUBMITTABLE))
    return 0 if verdict.verdict == "correct" else 1


def _only(key, question_id: str):
    """The key with one question (``check`` judges one answer; the others would only be 'missing')."""
    from dataclasses import replace

    return replace(key, questions=tuple(q for q in key.questions if q.id == question_id))


def run_template(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.grading import format_template

    text = format_template(load_key(args.key))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_file(args.output, text)
    return 0


def run_gradescope_build(args: argparse.Namespace, out: Console) -> int:
    from handnets.render.gradescope import build_autograder
    from handnets.render.text import clean

    load_key(args.key)  # refuse to build a bundle around a key that cannot be read
    data = build_autograder(args.key)
    write_file(args.output, data)  # a fresh random name beside it, O_EXCL and O_NOFOLLOW: never a planted X.tmp
    out.print(Text(clean(f"wrote {args.output} ({len(data):,} bytes): upload it as the autograder of a Gradescope programming assignment")))
    return 0
