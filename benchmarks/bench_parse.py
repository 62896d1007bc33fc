"""Benchmark reading answers: per-answer parse cost, as ratios to sympy's own parser in the same run.

Run: python benchmarks/bench_parse.py [--repeat 200]

For each answer of a fixed set (the homework's expression answers in sympy syntax and in LaTeX, number
answers with thousands separators and working lines), it times ``parse_expression`` (or the number
reader) and, as the baseline, ``sympy.parse_expr`` of the same answer written in sympy syntax (trusted
text, written here). It also times a verdict served from a caller's memo against a fresh verdict.
Printed: microseconds per answer and the ratio to the baseline; ratios are what to compare between
two runs or two versions, since the machine's speed cancels out.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sympy.parsing.sympy_parser import parse_expr, standard_transformations  # noqa: E402

from handnets.vocabulary import FUNCTIONS, SYMBOLS  # noqa: E402

try:  # the package since issue 16; the single module before it (so one script measures both)
    from handnets.grading.parse import parse_expression  # noqa: E402
except ImportError:  # pragma: no cover - the old layout
    from handnets.grading.expr import parse_expression  # noqa: E402

# (answer as a student writes it, the same in sympy syntax for the baseline)
EXPRESSIONS = [
    ("hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next", "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"),
    (r"\overline{h^{(t)}} o^{(t)} \left(1 - \tanh^{2}(c^{(t)})\right) + \overline{c^{(t+1)}} f^{(t+1)}",
     "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"),
    (r"\bar{c}_t = \bar{h}_t o_t (1 - \tanh^2(c_t)) + \bar{c}_{t+1} f_{t+1}",
     "hbar_t*o_t*(1 - tanh(c_t)**2) + cbar_next*f_next"),
    ("dL_dh_t + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
     " + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg",
     "dL_dh_t + ibar_next*i_next*(1 - i_next)*w_hi + fbar_next*f_next*(1 - f_next)*w_hf"
     " + obar_next*o_next*(1 - o_next)*w_ho + gbar_next*(1 - g_next**2)*w_hg"),
    ("ibar_t*i_t*(1 - i_t)*x_t", "ibar_t*i_t*(1 - i_t)*x_t"),
    ("f_t*(f_prev*c_prev2 + i_prev*g_prev) + i_t*g_t", "f_t*(f_prev*c_prev2 + i_prev*g_prev) + i_t*g_t"),
    ("cbar_t*tanh(w_xg*x_t + w_hg*h_prev)", "cbar_t*tanh(w_xg*x_t + w_hg*h_prev)"),
]
NUMBERS = [
    ("20362", "20362"),
    ("20 362", "20362"),
    ("2 560 + 16 384 + 1 280 + 128 + 10", "2560 + 16384 + 1280 + 128 + 10"),
    ("4*(16*32 + 32*32 + 32)", "4*(16*32 + 32*32 + 32)"),
    ("(8 × 5 × 5 × 3) + 8 = 608", "(8*5*5*3) + 8"),
    ("6,272 parameters", "6272"),
]
# Answers in the notations issue 16 added, for their own cost (no sympy baseline reads them).
NEW_NOTATIONS = [
    "c̄_t = h̄_t·o_t·(1 − tanh²(c_t)) + c̄_{t+1}·f_{t+1}",
    r"\bar{i}_t \sigma^{\prime}(w_{xi} x_t + w_{hi} h_{t-1}) x_t",
    r"\delta C_t \prod_{k=t-1}^{t} f_k",
    r"\sum_{t=1}^{T} \bar{i}_t i_t (1 - i_t) x_t^\top",
    r"\bar{h}_t o_t \,\text{sech}^2(c_t) + \bar{c}_{t+1} f_{t+1}",
]


def per_call(function, repeat: int) -> float:
    """Median seconds of one call, over ``repeat`` calls in 5 rounds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            function()
        rounds.append((time.perf_counter() - start) / repeat)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    names = {**SYMBOLS, **FUNCTIONS}

    def baseline(text: str):
        return lambda: parse_expr(text, local_dict=names, transformations=standard_transformations)

    try:
        from handnets.grading.parse.numbers import read_number
    except ImportError:  # the old layout read numbers with the expression parser
        def read_number(text, integer=True):
            return parse_expression(text, vocabulary={})

    rows = [("expression", text, lambda t=text: parse_expression(t, lhs="cbar_t"), base) for text, base in EXPRESSIONS]
    rows += [("number", text, lambda t=text: read_number(t), base) for text, base in NUMBERS]
    ratios = {"expression": [], "number": []}
    print(f"{'kind':<11}{'handnets µs':>12}{'parse_expr µs':>15}{'ratio':>8}  answer")
    for kind, text, ours, base in rows:
        if not ours().ok:  # an older version may refuse a notation: nothing to compare
            print(f"{kind:<11}{'refused':>12}{'':>15}{'':>8}  {text[:60]}")
            continue
        mine, theirs = per_call(ours, args.repeat), per_call(baseline(base), args.repeat)
        ratios[kind].append(mine / theirs)
        print(f"{kind:<11}{mine * 1e6:>12.1f}{theirs * 1e6:>15.1f}{mine / theirs:>8.2f}  {text[:60]}")
    for kind, values in ratios.items():
        print(f"geometric mean ratio, {kind}: {statistics.geometric_mean(values):.2f}")
    for text in NEW_NOTATIONS:
        result = parse_expression(text, lhs="cbar_t")
        cost = per_call(lambda t=text: parse_expression(t, lhs="cbar_t"), args.repeat)
        print(f"new notation {cost * 1e6:8.1f} µs  {'read' if result.ok else 'REFUSED'}  {text[:60]}")
    memo_costs()


def memo_costs() -> None:
    """A fresh verdict against one served from the caller's memo (the same raw answer, same question)."""
    from handnets.grading.grade import judge_answer
    from handnets.grading.key import load_key

    question = load_key("homework").question("lstm.cbar_t")
    answer = r"\bar{c}_t = \bar{h}_t o_t (1 - \tanh^2(c_t)) + \bar{c}_{t+1} f_{t+1}"
    fresh = per_call(lambda: judge_answer(question, answer), 10)
    try:
        from handnets.grading.grade import VerdictMemo
    except ImportError:  # the old process-global memo: the second call is the memoised one
        judge_answer(question, answer)
        served = per_call(lambda: judge_answer(question, answer), 200)
    else:
        memo = VerdictMemo()
        judge_answer(question, answer, memo=memo)
        served = per_call(lambda: judge_answer(question, answer, memo=memo), 200)
    print(f"verdict: fresh {fresh * 1e3:.2f} ms, from the memo {served * 1e6:.1f} µs ({fresh / served:.0f}x)")


if __name__ == "__main__":
    main()
