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
from handnets.errors import HandnetsError, InvalidExport, InvalidRequest, InvalidSheet, UsageError
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


LMS_FORMATS = ("canvas", "canvas-new", "moodle", "prairielearn", "forms")  # handnets.lms.FORMATS (not imported: --help stays light)
EXIT_PROBLEMS = 3  # a batch was graded and written, but it has problems a TA must look at


def add_export_arguments(parser, *, required: bool) -> None:
    """--from, --map and --attempt: reading answers from an LMS export (``ingest`` and ``grade``)."""
    parser.add_argument("--from", dest="source_format", choices=LMS_FORMATS, required=required, metavar="FORMAT",
                        help=f"the export's platform: {', '.join(LMS_FORMATS)}")
    parser.add_argument("--map", type=Path, metavar="MAP.toml",
                        help='which column answers which question: "<the platform\'s name>" = "<question id>", one per line')
    parser.add_argument("--attempt", choices=("last", "best", "all"), default="last",
                        help="which attempt of a student counts (default last; best by the platform's score; all: one sheet each)")


def register(subparsers) -> None:
    grade = subparsers.add_parser("grade", help=HELP["grade"])
    grade.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    grade.add_argument("sheets", nargs="+", metavar="SHEET_OR_DIR",
                       help="answer sheet TOML files, or directories of them; with --from, one LMS export")
    grade.add_argument("--out", type=Path, metavar="DIR", help="grade as a batch and write grades.csv, summary.json and one JSON per student here")
    grade.add_argument("--jobs", type=_jobs, default=1, metavar="N", help="worker processes for a batch (default 1)")
    grade.add_argument("--format", choices=tuple(_FORMATS), default="handnets",
                       help="gradescope: results.json in Gradescope's autograder schema (one submission); canvas-gradebook: "
                            "also canvas-gradebook.csv, a Canvas Gradebook import; prairielearn: also prairielearn-upload.csv, "
                            "the manual-grading CSV with score_perc, feedback and partial_scores (needs --from prairielearn "
                            "or a folder made by handnets ingest); html: also index.html and "
                            "students/<name>.html, the math in MathML")
    grade.add_argument("--assignment", metavar="NAME", help="canvas-gradebook: the column, e.g. 'Quiz 1 (87568490)' (default: the key's title)")
    add_export_arguments(grade, required=False)
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
    build.add_argument("--wheels", type=Path, metavar="DIR",
                       help="bundle these wheels (pip download -d DIR sympy numpy rich tomli, for the image's Python): "
                            "setup.sh then installs without the network")
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
    if args.source_format is None and (args.map is not None or args.attempt != "last"):
        raise UsageError("--map and --attempt read an LMS export: give its format with --from")
    return _FORMATS[args.format](args, out)


def _run_handnets(args: argparse.Namespace, out: Console) -> int:
    if args.out is None and args.source_format is None:
        return _run_single(args, out)
    return _run_batch(args, out, {})


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


def _run_batch(args: argparse.Namespace, out: Console, uploads: dict) -> int:
    """Grade a course into --out: grades.csv, summary.json, students/, and the files ``uploads(batch, course)`` adds."""
    from handnets.grading.analytics import analyse
    from handnets.grading.batch import batch_problems, grade_batch
    from handnets.render.batch import format_grades_csv, render_batch, report_files, summary_json
    from handnets.render.text import clean

    if args.out is None:
        raise UsageError(f"--format {args.format} writes a folder: give it with --out DIR")
    folder = ResultFolder(args.out).open()  # before grading: an unusable --out fails now, not after the work
    try:
        with _course(args, out) as course:
            with progress_bar(out, "grading", len(course.sheets), enabled=not args.json) as progress:
                try:
                    batch = grade_batch(args.key, course.sheets, jobs=args.jobs, limits=_limits(args.time_limit), progress=progress)
                except InvalidRequest as exc:
                    raise _usage(exc) from None
            batch = course.relabel(batch)
        analytics = analyse(batch.reports)
        summary = summary_json(batch, analytics)
        # the small files first: if the disk fills up, the gradebook is what survives in the staging folder
        folder.write("grades.csv", format_grades_csv(batch))
        extra = uploads(batch, course) if callable(uploads) else {}
        for name, text in extra.items():
            folder.write(name, text)
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
    problems = batch_problems(batch)
    if args.json:
        out.file.write(json.dumps(summary) + "\n")
    else:
        out.print(render_batch(batch, analytics))
        written = ", ".join(str(directory / name) for name in ("grades.csv", *(e for e in extra if "/" not in e), "summary.json"))
        out.print(Text(clean(f"wrote {written} and {len(batch.reports)} files in {directory / 'students'}")))
        if problems:
            out.print(Text(f"{len(problems)} problem(s) to look at (listed above): exit code {EXIT_PROBLEMS}"))
    return EXIT_PROBLEMS if problems else 0


_FLAGS = {"jobs": "--jobs", "seconds": "--time-limit", "max_len": "--max-len"}


def _usage(exc: InvalidRequest) -> UsageError:
    """A computation's refusal of an argument, worded in terms of the command line's flag."""
    flag = _FLAGS.get(exc.field or "")
    where = flag or exc.source or exc.field
    return UsageError(f"{where}: {exc.message}" if where else exc.message)


class _Course:
    """The sheets of a batch, and what the uploads need to know of where they came from."""

    def __init__(self, sheets, *, names=None, ingested=None, manifest=None, tmp=None, problems=()):
        self.sheets = sheets
        self.problems = problems  # found before grading: the export's rows that could not be read
        self.names = names or {}  # a temporary sheet's path -> what the reports call it (the export's rows)
        self.ingested = ingested  # handnets.lms.Ingested, with --from
        self.manifest = manifest  # ingest.json of a folder handnets ingest wrote
        self.tmp = tmp

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.tmp is not None:
            self.tmp.cleanup()

    def relabel(self, batch):
        """Reports of sheets read from a temporary folder named by the export's rows instead."""
        from dataclasses import replace

        if not self.names:
            return batch
        return replace(batch, problems=self.problems, reports=tuple(replace(r, source=self.names.get(r.source, r.source)) for r in batch.reports),
                       unreadable=tuple(replace(u, source=self.names.get(u.source, u.source),
                                                reason=u.reason.replace(u.source, self.names.get(u.source, u.source)))
                                        for u in batch.unreadable))

    def identity(self, student: str):
        from handnets.lms.export import Identity

        if self.ingested is not None and student in self.ingested.identities:
            return self.ingested.identities[student]
        entry = (self.manifest or {}).get("students", {}).get(student)
        if isinstance(entry, dict):
            fields = {k: str(entry.get(k, "")) for k in ("name", "lms_id", "sis_id", "login", "section")}
            return Identity(student=student, **fields)
        return Identity(student=student, lms_id=student)


def _course(args: argparse.Namespace, out: Console) -> _Course:
    from handnets.grading.batch import find_sheets

    if args.source_format is None:
        try:
            sheets = find_sheets(args.sheets)
        except InvalidRequest as exc:  # a path on the command line: the user's request, not a sheet's content
            raise UsageError(str(exc)) from None
        manifest = _manifest(args.sheets)
        return _Course(sheets, manifest=manifest)
    import tempfile

    from handnets.grading.batch import Problem
    from handnets.lms import sheet_toml

    ingested = _ingest(args, out)
    tmp = tempfile.TemporaryDirectory(prefix="handnets-ingest-")
    names, paths = {}, []
    for number, sheet in enumerate(ingested.sheets):
        path = Path(tmp.name) / f"{number:06d}.toml"
        path.write_text(sheet_toml(sheet), encoding="utf-8")
        names[str(path)] = sheet.source
        paths.append(path)
    problems = tuple(Problem(kind="export-row", source=f"{ingested.export.source}: row {e.row}", student="", detail=e.reason)
                     for e in ingested.errors)
    return _Course(tuple(paths), names=names, ingested=ingested, tmp=tmp, problems=problems)


def _manifest(paths) -> dict | None:
    """ingest.json of the one folder given, when handnets ingest wrote it (identities for the uploads)."""
    from handnets.safeio import read_text

    if len(paths) != 1 or not Path(paths[0]).is_dir() or not (Path(paths[0]) / "ingest.json").is_file():
        return None
    try:
        data = json.loads(read_text(Path(paths[0]) / "ingest.json", limit=256 * 1024**2, error=InvalidExport, what="ingest.json"))
    except ValueError as exc:
        raise InvalidExport(f"not JSON: {str(exc)[:80]}", source=str(Path(paths[0]) / "ingest.json")) from None
    return data if isinstance(data, dict) else None


def _ingest(args: argparse.Namespace, out: Console):
    """``handnets.lms.ingest`` for the command line: an uncertain matching prints its table, then stops."""
    from handnets.lms import UncertainMatching, ingest
    from handnets.render.batch import render_matching

    if len(args.sheets) != 1:
        raise UsageError(f"--from {args.source_format} reads one export file, got {len(args.sheets)}")
    key = load_key(args.key)
    try:
        return ingest(args.source_format, str(args.sheets[0]), key, map_path=None if args.map is None else str(args.map),
                      attempt=args.attempt)
    except UncertainMatching as exc:
        if exc.matching is not None and getattr(args, "json", False):
            out.file.write(json.dumps({"error": exc.message, "columns": [
                {"label": m.column.label, "text": m.column.text, "question": m.question, "how": m.how, "certain": m.certain}
                for m in exc.matching.matches], "unanswered": list(exc.matching.unanswered)}) + "\n")
        elif exc.matching is not None:
            out.print(render_matching(exc.matching, key))
        raise


def _gradebook_files(batch, course: _Course, args: argparse.Namespace) -> dict[str, str]:
    from handnets.lms.canvas import gradebook_rows
    from handnets.render.batch import format_rows_csv
    from handnets.render.grading import format_score

    assignment = args.assignment or batch.key.title
    graded = [(course.identity(r.student), format_score(r.score)) for r in batch.reports]
    return {"canvas-gradebook.csv": format_rows_csv(gradebook_rows(graded, assignment))}


def _prairielearn_files(batch, course: _Course, args: argparse.Namespace) -> dict[str, str]:
    from handnets.lms.export import Table
    from handnets.lms.prairielearn import upload_rows
    from handnets.render.batch import format_rows_csv, markdown_feedback

    if course.ingested is not None and course.ingested.export.format == "prairielearn":
        table, submissions = course.ingested.export.table, course.ingested.submissions
        labels = {question: label for label, question in course.ingested.matching.by_label().items()}
    elif course.manifest is not None and course.manifest.get("format") == "prairielearn":
        raw = course.manifest.get("table", {})
        table = Table(str(course.manifest.get("export", "")), tuple(raw.get("header", ())),
                      tuple((int(n), tuple(cells)) for n, cells in raw.get("rows", ())))
        submissions = {s: e.get("submissions", {}) for s, e in course.manifest.get("students", {}).items() if isinstance(e, dict)}
        labels = {c["question"]: c["label"] for c in course.manifest.get("columns", []) if isinstance(c, dict) and c.get("question")}
    else:
        raise UsageError("--format prairielearn writes the PrairieLearn CSV back: grade it --from prairielearn EXPORT, "
                         "or a folder made by handnets ingest --from prairielearn")
    graded: dict[str, dict] = {}
    for report in batch.reports:
        sent = submissions.get(report.student, {})
        for verdict in report.verdicts:
            submission = sent.get(verdict.id)
            if submission:
                graded.setdefault(submission, {})[labels.get(verdict.id, verdict.id)] = (
                    float(verdict.score), float(verdict.max_score), markdown_feedback(verdict))
    return {"prairielearn-upload.csv": format_rows_csv(upload_rows(table, graded), lines=True)}


def _html_files(batch, course: _Course, args: argparse.Namespace) -> dict[str, str]:
    """index.html (the course summary, the most common wrong answers) and one page per student."""
    from handnets.grading.analytics import analyse
    from handnets.render.batch import student_filenames
    from handnets.render.html import course_pages

    names = [name.removesuffix(".json") for name in student_filenames(batch.reports)]
    return dict(sorted(course_pages(batch.reports, names, batch.key, analyse(batch.reports), batch.unreadable).items()))


def _run_upload(write):
    def run(args: argparse.Namespace, out: Console) -> int:
        return _run_batch(args, out, lambda batch, course: write(batch, course, args))

    return run


def _run_gradescope(args: argparse.Namespace, out: Console) -> int:
    """Grade one submission into DIR/results.json; the file is valid whatever happens."""
    from handnets.grading.batch import Unreadable
    from handnets.render.batch import gradescope_error_json, gradescope_json
    from handnets.render.text import clean

    if args.out is None:
        raise UsageError("--format gradescope needs --out DIR (Gradescope reads DIR/results.json)")
    if args.source_format is not None:
        raise UsageError("--format gradescope grades one submission's sheet; an export (--from) is graded with --out DIR")
    target = args.out / "results.json"
    _check_folder(args.out)  # before grading: an unusable --out fails now
    try:
        if len(args.sheets) != 1:
            raise UsageError(f"--format gradescope grades one submission, got {len(args.sheets)}")
        (result,) = _grade_isolated(args.key, [str(args.sheets[0])], args.time_limit)
        if isinstance(result, Unreadable):
            raise InvalidSheet(result.reason)
        payload = gradescope_json(result, _setting(args), load_key(args.key))
        code = 0
    except HandnetsError as exc:
        payload, code = gradescope_error_json(str(exc)), 2
        sys.stderr.write(f"error: {clean(str(exc))}\n")
    write_file(target, json.dumps(payload, indent=2) + "\n")
    if not args.json:
        out.print(Text(clean(f"wrote {target} (score {payload['score']})")))
    return code


_FORMATS = {  # --format NAME -> how `handnets grade` runs and writes it
    "handnets": _run_handnets,
    "gradescope": _run_gradescope,
    "canvas-gradebook": _run_upload(_gradebook_files),
    "prairielearn": _run_upload(_prairielearn_files),
    "html": _run_upload(_html_files),
}


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
    from handnets.render.template import format_template

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
    try:
        data = build_autograder(args.key, wheels=args.wheels)
    except InvalidRequest as exc:
        raise UsageError(f"--wheels {exc.source}: {exc.message}") from None
    write_file(args.output, data)  # a fresh random name beside it, O_EXCL and O_NOFOLLOW: never a planted X.tmp
    out.print(Text(clean(f"wrote {args.output} ({len(data):,} bytes): upload it as the autograder of a Gradescope programming assignment")))
    return 0
