"""``python -m handnets.verify``: run the whole catalogue of checks and print it as a report.

Each section of the catalogue is a triple: a computation that returns a value carrying
``checks`` (a tuple of ``handnets.checks.Check``), a renderer that turns the value into a rich
renderable, and an optional writer of a ``proofs/`` document. Exit code 0 only if every check
of every section held; 1 if any failed; 2 on bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule

__all__ = ["Section", "SECTIONS", "run_catalogue", "main"]


@dataclass(frozen=True, slots=True)
class Section:
    """One entry of the catalogue, named by dotted paths so nothing heavy loads until it runs."""

    name: str
    compute: str  # "module:function" returning a value with a ``checks`` attribute
    render: str  # "module:function" value -> rich renderable
    proof: str | None = None  # "module:function" value -> (file name, Markdown text), for proofs/

    def load(self, attribute: str) -> Callable[..., Any]:
        module, _, function = getattr(self, attribute).partition(":")
        return getattr(importlib.import_module(module), function)


SECTIONS: tuple[Section, ...] = (
    Section("adder", "handnets.threshold.check:check_builtin", "handnets.render.adder:render_verify", "handnets.render.adder:proof_document"),
    Section("params", "handnets.params.catalogue:check_examples", "handnets.render.params:render_section", "handnets.render.params:proof_document"),
    Section("cnn", "handnets.cnn.catalogue:check_examples", "handnets.render.cnn:render_section", "handnets.render.cnn:proof_document"),
    Section("lstm", "handnets.derive.lstm:derive_lstm", "handnets.render.derive:render_section", "handnets.render.derive:proof_document"),
    Section("lstm-vector", "handnets.derive.vector:derive_lstm_vector", "handnets.render.derive:render_section", "handnets.render.derive:proof_document"),
    Section("lstm-ce", "handnets.derive.lstm:derive_lstm_ce", "handnets.render.derive:render_section", "handnets.render.derive:proof_document"),
    Section("rnn", "handnets.derive.rnn:derive_rnn", "handnets.render.derive:render_section", "handnets.render.derive:proof_document"),
    Section("recurrence", "handnets.derive.recurrence:derive_recurrence", "handnets.render.derive:render_section", "handnets.render.derive:proof_document"),
    Section("gradient-flow", "handnets.derive.gradient_flow:derive_gradient_flow", "handnets.render.derive:render_section", "handnets.render.derive:proof_document"),
    Section("cells", "handnets.derive.cellcatalogue:check_builtin_cells", "handnets.render.cell:render_catalogue", "handnets.render.cell:catalogue_proof_document"),
    Section("grading", "handnets.grading.selfcheck:check_homework_key", "handnets.render.grading:render_key_check"),
)


@dataclass(frozen=True, slots=True)
class SectionResult:
    section: Section
    value: Any
    seconds: float

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.value.checks)


def run_catalogue(names: Sequence[str] | None = None) -> tuple[SectionResult, ...]:
    """Compute every section (or the named ones) and return their values."""
    chosen = [s for s in SECTIONS if not names or s.name in names]
    results = []
    for section in chosen:
        start = time.perf_counter()
        value = section.load("compute")()
        results.append(SectionResult(section, value, time.perf_counter() - start))
    return tuple(results)


def proof_documents(results: Sequence[SectionResult]) -> dict[str, str]:
    """The Markdown documents of ``proofs/``, file name -> text, generated from the results."""
    documents: dict[str, str] = {}
    for result in results:
        if result.section.proof is None:
            continue
        produced = result.section.load("proof")(result.value)
        for name, text in produced if isinstance(produced, list) else [produced]:
            documents[name] = text
    return documents


def write_proofs(results: Sequence[SectionResult], directory: Path) -> list[Path]:
    """Each proof document into ``directory``, atomically (``handnets.outdir.write_file``: never through a
    planted symlink or a guessable temporary name)."""
    from handnets.outdir import write_file

    written = []
    for name, text in sorted(proof_documents(results).items()):
        path = directory / name
        write_file(path, text)
        written.append(path)
    return written


def write_html(results: Sequence[SectionResult], directory: Path) -> list[Path]:
    """``index.html`` and one page per section into ``directory`` (``handnets.render.html``), atomically each."""
    from handnets.outdir import write_file
    from handnets.render.html import catalogue_pages

    written = []
    for name, text in sorted(catalogue_pages(results).items()):
        write_file(directory / name, text)
        written.append(directory / name)
    return written


def main(argv: Sequence[str] | None = None, *, out: Console | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handnets.verify", description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"run only these ({', '.join(s.name for s in SECTIONS)})")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--write-proofs", metavar="DIR", type=Path, help="write the proofs/ Markdown documents into DIR")
    parser.add_argument("--html", metavar="DIR", type=Path, help="write DIR/index.html and one self-contained page per section (math as MathML)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sections) - {s.name for s in SECTIONS})
    if unknown:
        sys.stderr.write(f"error: unknown section {', '.join(unknown)}; expected one of {', '.join(s.name for s in SECTIONS)}\n")
        return 2
    out = out or Console()
    results = run_catalogue(args.sections)
    passed = all(r.passed for r in results)
    if args.json:
        payload = {
            "passed": passed,
            "sections": [
                {
                    "name": r.section.name,
                    "seconds": round(r.seconds, 4),
                    "checks": [
                        {"name": c.name, "passed": c.passed, "method": c.method, "detail": c.detail} for c in r.value.checks
                    ],
                }
                for r in results
            ],
        }
        out.file.write(json.dumps(payload, indent=2) + "\n")
    else:
        from handnets.render.checks import render_summary

        for result in results:
            out.print(Rule(f"[bold]{result.section.name}"))
            out.print(result.section.load("render")(result.value))
        out.print(render_summary(results))
    for write, directory in ((write_proofs, args.write_proofs), (write_html, args.html)):
        if directory is None:
            continue
        from handnets.outdir import OutputError

        try:
            written = write(results, directory)
        except OutputError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return 2
        for path in written:
            sys.stderr.write(f"wrote {path}\n")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
