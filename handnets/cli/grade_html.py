"""``handnets grade --format html --out DIR``: grade a batch and write one HTML page per student and a course index.

The pages come from ``handnets.render.html``; they are written as one result set (``handnets.outdir``):
DIR holds the old pages or all of the new ones, never a mix.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.text import Text

from handnets.errors import InvalidRequest, UsageError
from handnets.outdir import OutputError, ResultFolder

__all__ = ["run_grade_html"]


def run_grade_html(args: argparse.Namespace, out: Console, limits) -> int:
    from handnets.grading.analytics import analyse
    from handnets.grading.batch import find_sheets, grade_batch
    from handnets.render.batch import student_filenames
    from handnets.render.html import course_pages
    from handnets.render.text import clean

    if args.out is None:
        raise UsageError("--format html needs --out DIR (the pages are written there: index.html and students/)")
    if args.resubmittable:
        raise UsageError("--format html writes a course's final grading; --resubmittable grades one sheet on the terminal")
    try:
        sheets = find_sheets(args.sheets)
    except InvalidRequest as exc:
        raise UsageError(str(exc)) from None
    folder = ResultFolder(args.out).open()  # before grading: an unusable --out fails now, not after the work
    try:
        batch = grade_batch(args.key, sheets, jobs=args.jobs, limits=limits)
        names = [name.removesuffix(".json") for name in student_filenames(batch.reports)]
        pages = course_pages(batch.reports, names, batch.key, analyse(batch.reports), batch.unreadable)
        for name, text in sorted(pages.items()):
            folder.write(name, text)
        folder.commit()
    except OutputError as exc:
        kept = folder.abandon()
        raise OutputError(f"{exc}{f'; the pages written so far are in {kept}' if kept is not None else ''}") from None
    except BaseException:
        folder.abandon()
        raise
    out.print(Text(clean(f"wrote {args.out / 'index.html'} and {len(batch.reports)} pages in {args.out / 'students'}")))
    return 0
