"""``handnets ingest``: an LMS export in, one ordinary answer sheet per student out (``handnets.lms``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from handnets.cli._commands import HELP
from handnets.cli.grade import EXIT_PROBLEMS, _ingest, add_export_arguments
from handnets.outdir import OutputError, ResultFolder

__all__ = ["register"]


def register(subparsers) -> None:
    ingest = subparsers.add_parser("ingest", help=HELP["ingest"], description=(
        "Read a Canvas, Moodle, PrairieLearn or Google Forms export and write one answer sheet per student "
        "(named by the student id of the export) into SHEETS_DIR, with ingest.json saying who each student is "
        "and which column answered which question. Rows that cannot be read are listed with their row number "
        f"(exit {EXIT_PROBLEMS}); the others are written."))
    ingest.add_argument("export", metavar="EXPORT", help="the export file (CSV)")
    ingest.add_argument("--key", required=True, help="a key file, or the name of a built-in key (homework)")
    ingest.add_argument("-o", "--out", type=Path, required=True, metavar="SHEETS_DIR", help="the folder for the sheets (new, or one ingest wrote)")
    add_export_arguments(ingest, required=True)
    ingest.add_argument("--json", action="store_true", help="print a JSON summary")
    ingest.set_defaults(func=run_ingest)


def run_ingest(args: argparse.Namespace, out: Console) -> int:
    from handnets.lms import sheet_toml
    from handnets.render.batch import render_matching, student_filenames
    from handnets.render.text import clean, json_safe

    args.sheets = [args.export]
    folder = ResultFolder(args.out, kind="sheets", legacy=()).open()  # an unusable --out fails before reading
    try:
        ingested = _ingest(args, out)
        names = [name.removesuffix(".json") + ".toml" for name in student_filenames(ingested.sheets)]
        manifest = _manifest(ingested, names, args.attempt)
        for name, sheet in zip(names, ingested.sheets):
            folder.write(name, sheet_toml(sheet))
        folder.write("ingest.json", json.dumps(json_safe(manifest), indent=2, ensure_ascii=False) + "\n")
        folder.commit()
    except OutputError as exc:
        kept = folder.abandon()
        raise OutputError(f"{exc}" + (f"; the sheets written so far are in {kept}" if kept is not None else "")) from None
    except BaseException:
        folder.abandon()
        raise
    if args.json:
        out.file.write(json.dumps(json_safe({k: manifest[k] for k in ("format", "export", "attempt", "columns", "errors")}
                                            | {"sheets": len(names)})) + "\n")
    else:
        out.print(render_matching(ingested.matching, None))
        if ingested.errors:
            table = Table(title=f"{len(ingested.errors)} row(s) of the export could not be read", title_justify="left")
            table.add_column("row", justify="right", no_wrap=True)
            table.add_column("reason", overflow="fold", ratio=1)
            for error in ingested.errors:
                table.add_row(str(error.row), Text(clean(error.reason)))
            out.print(table)
        out.print(Text(clean(f"wrote {len(names)} sheet(s) and ingest.json into {args.out} "
                             f"({len(ingested.export.attempts)} attempt(s) read, --attempt {args.attempt})")))
    return EXIT_PROBLEMS if ingested.errors else 0


def _manifest(ingested, names: list[str], attempt: str) -> dict:
    """ingest.json: where the sheets came from and who each student is (``handnets grade`` reads it back)."""
    export = ingested.export
    manifest = {
        "format": export.format,
        "export": export.source,
        "attempt": attempt,
        "columns": [{"label": m.column.label, "text": m.column.text, "question": m.question, "how": m.how}
                    for m in ingested.matching.matches],
        "errors": [{"row": e.row, "reason": e.reason} for e in ingested.errors],
        "students": {
            sheet.student: {"file": name, "from": sheet.source,
                            **{k: getattr(ingested.identities[sheet.student], k) for k in ("name", "lms_id", "sis_id", "login", "section")},
                            "submissions": dict(ingested.submissions.get(sheet.student, {}))}
            for name, sheet in zip(names, ingested.sheets)
        },
    }
    if export.format == "prairielearn":  # the upload is the same CSV back: keep it
        manifest["table"] = {"header": list(export.table.header), "rows": [[n, list(c)] for n, c in export.table.rows]}
    return manifest
