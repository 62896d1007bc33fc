"""Benchmark the threshold tools against baselines run in the same process.

Run: python benchmarks/bench_threshold.py [--repeat 3] [--quick]

1. The proof: handnets' search (integer-scaled weights) against the old path, which stepped the
   network in ``Fraction`` arithmetic per transition (``ThresholdRNN.transition``), per product state.
2. The enumeration of all inputs of lengths 1..12: handnets against a straightforward packed-code
   table version (successors of all 2**k codes tabulated, prefixes walked level by level, the sum
   a + b carried along), at several numbers of hidden units; and handnets' peak memory.
3. Whole-process time of ``handnets threshold check --max-len 1`` against ``python -c "import numpy"``,
   and whether sympy or rich's tables are imported by ``--json``.
4. Repair of a 3-unit adder two edits from right; synthesis of the adder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import tracemalloc
from collections import deque
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handnets.threshold.designs import classic_adder  # noqa: E402
from handnets.threshold.enumerate import enumerate_adder  # noqa: E402
from handnets.threshold.network import ThresholdRNN  # noqa: E402
from handnets.threshold.prove import prove  # noqa: E402
from handnets.threshold.reference import BinaryAddition  # noqa: E402

HALF = Fraction(1, 2)


def shift_register(k: int) -> ThresholdRNN:
    """The classic adder plus k - 3 units copying a_t down a chain: right, 4 * 2**(k-4)-ish reachable states."""
    W_xh = [[1, 1], [1, 1], [1, 1], [1, 0]] + [[0, 0]] * (k - 4)
    W_hh = [[0, 1, 0] + [0] * (k - 3)] * 3 + [[0] * k]
    W_hh += [[1 if c == r - 1 else 0 for c in range(k)] for r in range(4, k)]
    b_h = [-HALF, -3 * HALF, -5 * HALF] + [-HALF] * (k - 3)
    return ThresholdRNN.from_rows(W_xh=W_xh, W_hh=W_hh, b_h=b_h, W_hy=[[1, -1, 1] + [0] * (k - 3)], b_y=[-HALF])


def fraction_proof(network: ThresholdRNN) -> int:
    """The old path: breadth-first search of the product, each transition stepped in Fractions."""
    machine = BinaryAddition()
    start = (network.h0, machine.initial)
    depth = {start: 0}
    queue = deque([start])
    wrong = 0
    while queue:
        h, q = queue.popleft()
        for x in machine.alphabet:
            s = network.transition(h, x)
            q_next, expected = machine.transition(q, x)
            wrong += s.y != expected
            nxt = (s.h, q_next)
            if nxt not in depth:
                depth[nxt] = depth[(h, q)] + 1
                queue.append(nxt)
    return len(depth)


def table_version(net: ThresholdRNN, max_len: int) -> int:
    """A straightforward packed-code table enumeration: every code's successors, the sum carried along."""
    k = net.hidden_units
    scale = 2  # every weight here is a multiple of 1/2
    W = np.array([[int(v * scale) for v in (*wx, *wh, b)] for wx, wh, b in zip(net.W_xh, net.W_hh, net.b_h)], dtype=np.int64)
    Wy = np.array([int(v * scale) for v in (*net.W_hy[0], net.b_y[0])], dtype=np.int64)
    codes = np.arange(2**k, dtype=np.int64)
    bits = (codes[None, :] >> np.arange(k)[:, None]) & 1
    succ = np.empty((4, 2**k), dtype=np.int64)
    for s, (a, b) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1))):
        fired = (W[:, 2 : 2 + k] @ bits + (W[:, 0] * a + W[:, 1] * b + W[:, -1])[:, None]) >= 0
        succ[s] = (fired.astype(np.int64) << np.arange(k)[:, None]).sum(axis=0)
    out = (Wy[:k] @ bits + Wy[-1]) >= 0
    failures = 0
    state, total, ok = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), np.ones(1, dtype=bool)
    for t in range(max_len):
        padded = succ[0][state]  # score the inputs of length t + 1: this prefix, then (0, 0)
        failures += int(np.count_nonzero(~(ok & (out[padded] == ((total >> t) & 1).astype(bool)))))
        if t + 1 == max_len:
            break
        children = []
        for s, (a, b) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1))):
            nxt = succ[s][state]
            total_next = total + ((a + b) << t)
            children.append((nxt, total_next, ok & (out[nxt] == ((total_next >> t) & 1).astype(bool))))
        state, total, ok = (np.concatenate([c[i] for c in children]) for i in range(3))
    return failures


def best_of(repeat: int, fn, *args, **kwargs):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times), result


def process_time(argv: list[str], repeat: int) -> float:
    """Best of ``repeat`` runs, after one untimed run, with bytecode caching on (as an installed package has it:
    PYTHONDONTWRITEBYTECODE=1 would time compiling every module on each run)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller designs and lengths")
    args = parser.parse_args()
    r = args.repeat

    print("1. proof for every length, per product state")
    for k in ((3, 10) if args.quick else (3, 10, 13)):
        net = classic_adder() if k == 3 else shift_register(k)
        old_time, states = best_of(1 if k > 10 else r, fraction_proof, net)
        new_time, proof = best_of(r, prove, net, max_states=1 << 20)
        assert proof.correct and proof.product_states == states
        print(f"  {k:2d} units, {states:6,} states: Fraction {old_time / states * 1e6:8.1f} us/state, "
              f"integers {new_time / states * 1e6:7.2f} us/state, {old_time / new_time:6.1f}x")

    max_len = 10 if args.quick else 12
    print(f"2. enumeration, all pairs of lengths 1..{max_len}")
    for k in ((3, 8) if args.quick else (3, 8, 13, 16)):
        net = classic_adder() if k == 3 else shift_register(k)
        base_time, base_failures = best_of(r, table_version, net, max_len)
        fast_time, enumeration = best_of(r, enumerate_adder, net, max_len)
        assert enumeration.failures == base_failures == 0
        pairs = enumeration.pairs
        print(f"  {k:2d} units: table version {pairs / base_time / 1e6:7.1f} M pairs/s, handnets {pairs / fast_time / 1e6:7.1f} M pairs/s "
              f"({enumeration.method}), ratio {base_time / fast_time:5.2f}x")
    for k in (17, 24):
        net = shift_register(k)
        tracemalloc.start()
        start = time.perf_counter()
        enumeration = enumerate_adder(net, max_len)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {k:2d} units: handnets {elapsed:6.2f} s, peak traced memory {peak / 2**20:6.1f} MB, "
              f"lengths 1..{enumeration.max_len} ({enumeration.method})")

    print("3. whole process (best of 5)")
    numpy_time = process_time([sys.executable, "-c", "import numpy"], 5)
    check_time = process_time([sys.executable, "-m", "handnets", "threshold", "check", "--max-len", "1", "--json"], 5)
    text_time = process_time([sys.executable, "-m", "handnets", "threshold", "check", "--max-len", "1"], 5)
    print(f"  python -c 'import numpy'                        {numpy_time:6.3f} s")
    print(f"  handnets threshold check --max-len 1 --json     {check_time:6.3f} s  ({check_time / numpy_time:4.2f}x)")
    print(f"  handnets threshold check --max-len 1            {text_time:6.3f} s  ({text_time / numpy_time:4.2f}x)")
    probe = ("import sys; from handnets.cli import main; main(['threshold', 'check', '--max-len', '1', '--json']); "
             "print(' '.join(m for m in ('sympy', 'rich.table', 'rich.panel', 'scipy') if m in sys.modules) or 'none', file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    print(f"  heavy modules imported by --json: {done.stderr.strip().splitlines()[-1]}")

    print("4. repair and synthesis")
    from handnets.threshold.repair import Edit, _with, repair
    from handnets.threshold.synth import synthesise
    from handnets.threshold.tasks import builtin_task

    broken = _with(classic_adder(), [Edit("W_hy", (0, 2), Fraction(1), Fraction(0)), Edit("b_h", (1,), -3 * HALF, -HALF)])
    repair_time, fix = best_of(r, repair, broken, max_edits=2)
    print(f"  repair, 3 units two edits from right: {repair_time:6.3f} s, {len(fix.edits)} edits, "
          f"{sum(c for _, c in fix.searched):,} candidates, {fix.proved_candidates} proved")
    nowhere = _with(classic_adder(), [Edit("W_hh", (0, 1), Fraction(1), Fraction(0)), Edit("W_hh", (1, 1), Fraction(1), Fraction(0)),
                                      Edit("W_hh", (2, 1), Fraction(1), Fraction(0))])
    none_time, none = best_of(1, repair, nowhere, max_edits=2)
    print(f"  repair, 3 units, nothing within two edits: {none_time:6.3f} s, {sum(c for _, c in none.searched):,} candidates, "
          f"found: {none.found}")
    import scipy.optimize  # noqa: F401  (imported once, outside the timing)

    synth_time, result = best_of(1, synthesise, builtin_task("add"))
    print(f"  synthesis of add: {synth_time:6.3f} s, {result.network.hidden_units} units, margin {result.proof.margin}")


if __name__ == "__main__":
    main()
