"""Benchmark batch grading: generated answer sheets of the full built-in key, with --jobs 1 and 2.

Run: python benchmarks/bench_grading.py [--sheets 1000] [--jobs 1 2] [--seed 7]

The sheets are a realistic mix, drawn per question with a fixed seed: mostly right answers in
several spellings (sympy syntax, expanded, the homework LaTeX), the key's known mistakes, other
wrong answers, unreadable ones, a few blanks; adder weights right, convention-sensitive or wrong.
Prints the time, sheets per second for each --jobs, and the ratio between them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sympy  # noqa: E402

from handnets import notation  # noqa: E402
from handnets.grading.batch import find_sheets, grade_batch  # noqa: E402
from handnets.grading.parse import parse_expression  # noqa: E402
from handnets.grading.key import Question, load_key  # noqa: E402

ADDERS = {
    "classic": {"W_xh": [[1, 1]] * 3, "W_hh": [[0, 1, 0]] * 3, "b_h": ["-1/2", "-3/2", "-5/2"], "W_hy": [1, -1, 1], "b_y": "-1/2"},
    "integer": {"W_xh": [[1, 1]] * 3, "W_hh": [[0, 1, 0]] * 3, "b_h": [-1, -2, -3], "W_hy": [1, -1, 1], "b_y": -1},
    "forgot-carry": {"W_xh": [[1, 1]] * 3, "W_hh": [[1, 0, 0]] * 3, "b_h": ["-1/2", "-3/2", "-5/2"], "W_hy": [1, -1, 1], "b_y": "-1/2"},
    "scaled": {"W_xh": [[2, 2]] * 3, "W_hh": [[0, 2, 0]] * 3, "b_h": [-1, -3, -5], "W_hy": [2, -2, 2], "b_y": -1},
}


def _pools(question: Question, rng: random.Random) -> tuple[list, list, list]:
    """(right, wrong, unreadable) answers for one question."""
    kind = question.type
    mistakes = [m.answer for m in question.mistakes]
    written = question.as_answer
    if kind == "expression":
        expected = question.expected
        latex = notation.latex(parse_expression(written(expected), vocabulary=question.names()).expr)
        right = [written(expected), written(sympy.expand(expected)), latex]
        if question.lhs:
            right.append(f"{question.lhs} = {written(expected)}")
        wrong = [written(m) for m in mistakes] + [written(2 * expected), written(expected + sympy.Symbol("x_t"))]
        return right, wrong, [sympy.sstr(expected) + " +", "cbar_nxt*f_next", "__import__('os')"]
    if kind == "integer":
        value = question.expected
        return [value, str(value), f"{value - 1} + 1"], [*mistakes, value + 1, value * 2], ["lots", "x*3"]
    if kind == "shape":
        return [written(question.expected), "x".join(map(str, question.expected))], [written(m) for m in mistakes] + [[1, 2, 3]], ["big"]
    if kind == "matrix":
        off_by_one = tuple(tuple(v + 1 for v in row) for row in question.expected)
        return [written(question.expected)], [written(m) for m in mistakes] + [written(off_by_one)], [[["a"]]]
    if kind == "big_o":
        return [written(question.expected), written(3 * question.expected)], [written(m) for m in mistakes] + ["O(d)", "O(H*W)"], ["O("]
    if kind == "text":
        return ["The forget gate near 1 carries cbar back unchanged; o near 0 cuts the h paths."], [], []
    if kind == "adder":
        return [ADDERS["classic"], ADDERS["scaled"]], [ADDERS["integer"], ADDERS["forgot-carry"]], [{"W_xh": 1}]
    raise ValueError(kind)


def generate(directory: Path, count: int, seed: int) -> None:
    key = load_key("homework")
    rng = random.Random(seed)
    pools = {q.id: _pools(q, rng) for q in key.questions}
    for n in range(count):
        answers = {}
        adder = None
        for question in key.questions:
            right, wrong, unreadable = pools[question.id]
            roll = rng.random()
            pool = right if roll < 0.6 else wrong if roll < 0.85 else unreadable if roll < 0.93 else None
            if not pool:
                continue  # blank
            answer = rng.choice(pool)
            if question.type == "adder":
                adder = answer
            else:
                answers[question.id] = answer
        lines = [f'student = "s{n:04d}"', "[answers]"]
        lines += [f"{json.dumps(qid)} = {json.dumps(value)}" for qid, value in answers.items()]
        if adder is not None:
            lines.append("[answers.adder]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in adder.items()]
        (directory / f"s{n:04d}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=1000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        generate(directory, args.sheets, args.seed)
        sheets = find_sheets([directory])
        timings = {}
        results = {}
        for jobs in args.jobs:
            start = time.perf_counter()
            batch = grade_batch("homework", sheets, jobs=jobs)
            timings[jobs] = time.perf_counter() - start
            results[jobs] = batch
            verdicts = [v.verdict for r in batch.reports for v in r.verdicts]
            mix = {v: verdicts.count(v) for v in sorted(set(verdicts))}
            print(f"--jobs {jobs}: {len(sheets)} sheets in {timings[jobs]:6.2f} s = {len(sheets) / timings[jobs]:7.1f} sheets/s   {mix}")
        first = args.jobs[0]
        for jobs in args.jobs[1:]:
            same = results[jobs].reports == results[first].reports
            print(f"--jobs {jobs} vs --jobs {first}: {timings[first] / timings[jobs]:.2f}x faster; identical results: {same}")


if __name__ == "__main__":
    main()
