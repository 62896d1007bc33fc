"""Benchmark reading an LMS export: handnets' ingest of a large Canvas Classic export, as a ratio to a bare
``csv.reader`` pass over the same file in the same run.

Run: python benchmarks/bench_ingest.py [--students 2000] [--questions 10] [--runs 3]

The export is generated here: one row per attempt (two attempts per student), every answer cell a
Canvas-style answer (escaped commas, a ``[LaTeX: ...] (/equation_images/...)`` snippet on every third).
Timed: ``handnets.lms.ingest`` (read, decode, split, match by map, pick the last attempt, build sheets)
and the sheets written as TOML text; the baseline only splits the decoded text into rows.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handnets.grading.key import load_key  # noqa: E402
from handnets.lms import ingest, sheet_toml  # noqa: E402

KEY_IDS = ["lstm.cbar_t", "params.classifier.lstm", "conv.output_shape", "lstm.obar_t", "conv.params"]


def write_export(path: Path, students: int, questions: int) -> None:
    header = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted", "attempt"]
    for q in range(questions):
        header += [f"{1000 + q}: Question {q} about the LSTM", "1"]
    header += ["n correct", "n incorrect", "score"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for s in range(students):
        for attempt in (1, 2):
            row = [f"Student {s}, Test", str(10_000 + s), f"sis{s}", "A", "1", "SA", "2026-04-06 17:23:43 UTC", str(attempt)]
            for q in range(questions):
                answer = (rf"[LaTeX: \overline{{h}}_t\:o_t\:({q}-\tanh^2(c_t))] (/equation_images/x{q})" if q % 3 == 0
                          else rf"28\,28\,{q}" if q % 3 == 1 else f"hbar_t*o_t*(1 - tanh(c_t)**2) + {s}*cbar_next")
                row += [answer, "1"]
            row += ["1", "1", str(attempt)]
            writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def best(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    key = load_key("homework")
    folder = Path(tempfile.mkdtemp())
    export = folder / "export.csv"
    write_export(export, args.students, args.questions)
    (folder / "map.toml").write_text("".join(f'"{1000 + q}" = "{KEY_IDS[q] if q < len(KEY_IDS) else ""}"\n'
                                             for q in range(args.questions)))
    size = export.stat().st_size
    baseline = best(args.runs, lambda: sum(1 for _ in csv.reader(io.StringIO(export.read_text(encoding="utf-8")))))
    handnets = best(args.runs, lambda: ingest("canvas", str(export), key, map_path=str(folder / "map.toml")))
    got = ingest("canvas", str(export), key, map_path=str(folder / "map.toml"))
    writing = best(args.runs, lambda: [sheet_toml(sheet) for sheet in got.sheets])
    rows = args.students * 2
    print(f"Canvas export: {rows:,} rows ({args.students:,} students x 2 attempts), {args.questions} questions, "
          f"{size / 1e6:.1f} MB (best of {args.runs})")
    print(f"  csv.reader over the text      : {baseline * 1e3:8.1f} ms   {rows / baseline:12,.0f} rows/s")
    print(f"  handnets ingest               : {handnets * 1e3:8.1f} ms   {rows / handnets:12,.0f} rows/s")
    print(f"  ratio to csv.reader           : {handnets / baseline:8.2f} x")
    print(f"  {len(got.sheets):,} sheets as TOML text    : {writing * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
