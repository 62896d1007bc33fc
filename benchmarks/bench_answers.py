"""Benchmark the cost of one answer and one sheet, as ratios to a bare ``import sympy`` measured in the same run.

Run: python benchmarks/bench_answers.py [--sheets 400] [--runs 5]

The figures issue 16 sets targets for:

- **per sheet on a repeated course**: the generated course of ``bench_grading.py`` (answers repeat, as
  they do), graded as a batch worker grades them (one memo, in-process, no per-answer timer); the cost of a sheet is (time for N sheets - time for one
  sheet) / (N - 1), so the one-off costs (key, derivations, first parse of every question) drop out.
  Printed as milliseconds and as a share of a cold ``import sympy`` in a fresh interpreter.
- **a never-seen expression answer**: every expression answer of the realistic corpus
  (``tests/data/realistic_answers.toml``), each judged once with an empty memo after the key is warm:
  median and 90th percentile, in milliseconds and against ``sympy.parse_expr`` + ``expand`` of the
  same question's expected answer (trusted text, written here).
- **a verdict from the memo**: the same answers judged again with the memo filled.
- **start-up**: ``handnets --help`` and ``python -c pass``, cold, in fresh interpreters.

The machine's speed cancels out of the ratios; compare those between runs and versions.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sympy  # noqa: E402
from sympy.parsing.sympy_parser import parse_expr  # noqa: E402

from bench_grading import generate  # noqa: E402
from handnets.grading.batch import find_sheets  # noqa: E402
from handnets.grading.grade import VerdictMemo, grade_answers, judge_answer  # noqa: E402
from handnets.grading.key import load_key  # noqa: E402
from handnets.grading.sheet import load_sheet  # noqa: E402
from handnets.vocabulary import FUNCTIONS, SYMBOLS  # noqa: E402


def cold(command: list[str], runs: int) -> float:
    """Median wall time of ``command`` in a fresh process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_sheet(count: int) -> tuple[float, float]:
    """(ms per sheet beyond the first, ms for the first) on the generated course, one memo, in-process."""
    key = load_key("homework")
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), count, seed=7)
        sheets = [load_sheet(path) for path in find_sheets([tmp])]
        memo = VerdictMemo()
        start = time.perf_counter()
        grade_answers(key, sheets[0], memo=memo)
        first = time.perf_counter() - start
        start = time.perf_counter()
        for sheet in sheets[1:]:
            grade_answers(key, sheet, memo=memo)
        rest = time.perf_counter() - start
    return 1000 * rest / (count - 1), 1000 * first


def corpus_expressions() -> list[tuple[str, str]]:
    data = tomllib.loads((ROOT / "tests" / "data" / "realistic_answers.toml").read_text(encoding="utf-8"))
    key = load_key("homework")
    ids = {q.id for q in key.questions if q.type == "expression"}
    seen, cases = set(), []
    for case in data["case"]:
        if case["question"] in ids and isinstance(case["answer"], str) and (case["question"], case["answer"]) not in seen:
            seen.add((case["question"], case["answer"]))
            cases.append((case["question"], case["answer"]))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import_sympy = cold([sys.executable, "-c", "import sympy"], args.runs)
    python = cold([sys.executable, "-c", "pass"], args.runs)
    help_ = cold([sys.executable, "-m", "handnets", "--help"], args.runs)

    key = load_key("homework")
    cases = corpus_expressions()
    for question in key.questions:  # warm: the key's expected answers and mistakes, substituted once
        if question.type == "expression":
            judge_answer(question, question.as_answer(question.expected))
    fresh = []
    for qid, answer in cases:
        question = key.question(qid)
        start = time.perf_counter()
        judge_answer(question, answer, memo=VerdictMemo())
        fresh.append(time.perf_counter() - start)
    memo = VerdictMemo()
    for qid, answer in cases:
        judge_answer(key.question(qid), answer, memo=memo)
    hits = []
    for qid, answer in cases:
        question = key.question(qid)
        start = time.perf_counter()
        judge_answer(question, answer, memo=memo)
        hits.append(time.perf_counter() - start)
    baseline = []
    for question in key.questions:
        if question.type == "expression":
            text = sympy.sstr(question.expected)
            start = time.perf_counter()
            sympy.expand(parse_expr(text, local_dict={**SYMBOLS, **FUNCTIONS}))
            baseline.append(time.perf_counter() - start)
    sheet_ms, first_ms = per_sheet(args.sheets)

    median, p90 = statistics.median(fresh), statistics.quantiles(fresh, n=10)[-1]
    base = statistics.median(baseline)
    print(f"{'cold import sympy':<40}: {1000 * import_sympy:8.1f} ms")
    print(f"{f'per sheet, repeated course ({args.sheets} sheets)':<40}: {sheet_ms:8.2f} ms = {sheet_ms / (1000 * import_sympy):6.1%} of import sympy"
          f"   (first sheet {first_ms:.0f} ms)")
    print(f"{f'never-seen expression answer ({len(cases)})':<40}: median {1000 * median:6.2f} ms, p90 {1000 * p90:6.2f} ms"
          f" = {median / base:5.2f}x parse_expr+expand of an expected answer ({1000 * base:.2f} ms)")
    print(f"{'verdict from the memo':<40}: median {1e6 * statistics.median(hits):6.1f} us")
    print(f"{'handnets --help, cold':<40}: {1000 * help_:8.1f} ms = {help_ / python:5.2f}x python -c pass ({1000 * python:.1f} ms),"
          f" {help_ / import_sympy:5.2f}x import sympy")


if __name__ == "__main__":
    main()
