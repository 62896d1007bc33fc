"""Benchmark the adder checks: handnets' enumeration against a straightforward float numpy version.

Run: python benchmarks/bench_adder.py [--max-len 12] [--repeat 3]

Both enumerate every valid pair (a, b < 2**(n-1)) of every length 1..max_len in the same process
and compare the outputs with a + b. The straightforward version is how one would first write it:
for each length, all pairs at once, one float matrix product per step. Prints pairs per second
for both, their ratio, and the time of the proof for every length.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handnets.threshold.designs import classic_adder  # noqa: E402
from handnets.threshold.enumerate import enumerate_adder  # noqa: E402
from handnets.threshold.prove import digit_accuracy, prove  # noqa: E402


def straightforward(net, max_len: int) -> tuple[int, int]:
    """All pairs of each length, float weights, one matrix product per step, as one first writes it.

    States are stored one row per pair, (pairs, units), so each step is ``X @ W_xh.T + H @ W_hh.T``.
    numpy runs these products with tiny inner dimensions in its generic loop, not in BLAS.
    """
    W_xh, W_hh, b_h, W_hy, b_y = _float_weights(net)
    pairs = failures = 0
    for n in range(1, max_len + 1):
        a, b = _all_pairs(n)
        total = a + b
        H = np.zeros((len(a), len(b_h)))
        wrong = np.zeros(len(a), dtype=bool)
        for t in range(n):
            X = np.stack([(a >> t) & 1, (b >> t) & 1], axis=1).astype(float)
            H = (X @ W_xh.T + H @ W_hh.T + b_h >= 0).astype(float)
            y = (H @ W_hy.T + b_y >= 0)[:, 0]
            wrong |= y != ((total >> t) & 1).astype(bool)
        pairs += len(a)
        failures += int(wrong.sum())
    return pairs, failures


def straightforward_columns(net, max_len: int) -> tuple[int, int]:
    """The same algorithm with states stored one row per unit, (units, pairs): ``W_hh @ H``.

    One layout change makes numpy's products an order of magnitude faster; a fairer baseline.
    """
    W_xh, W_hh, b_h, W_hy, b_y = _float_weights(net)
    pairs = failures = 0
    for n in range(1, max_len + 1):
        a, b = _all_pairs(n)
        total = a + b
        H = np.zeros((len(b_h), len(a)))
        wrong = np.zeros(len(a), dtype=bool)
        for t in range(n):
            X = np.stack([(a >> t) & 1, (b >> t) & 1]).astype(float)
            H = (W_xh @ X + W_hh @ H + b_h[:, None] >= 0).astype(float)
            y = (W_hy @ H + b_y[:, None] >= 0)[0]
            wrong |= y != ((total >> t) & 1).astype(bool)
        pairs += len(a)
        failures += int(wrong.sum())
    return pairs, failures


def _float_weights(net):
    return tuple(np.array(w, dtype=float) for w in (net.W_xh, net.W_hh, net.b_h, net.W_hy, net.b_y))


def _all_pairs(n: int):
    limit = 2 ** (n - 1)
    return (x.ravel() for x in np.meshgrid(np.arange(limit), np.arange(limit), indexing="ij"))


def best_of(repeat: int, fn, *args):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-len", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    net = classic_adder()

    base_time, (base_pairs, base_failures) = best_of(args.repeat, straightforward, net, args.max_len)
    blas_time, (_, blas_failures) = best_of(args.repeat, straightforward_columns, net, args.max_len)
    fast_time, enumeration = best_of(args.repeat, enumerate_adder, net, args.max_len)
    assert enumeration.pairs == base_pairs and enumeration.failures == base_failures == blas_failures == 0
    proof_time, proof = best_of(max(args.repeat, 20), prove, net)
    dp_time, _ = best_of(args.repeat, digit_accuracy, net, 300)

    print(f"lengths 1..{args.max_len}: {base_pairs:,} valid pairs (best of {args.repeat})")
    print(f"  straightforward float numpy : {base_time:8.3f} s  {base_pairs / base_time:14,.0f} pairs/s")
    print(f"  same, one row per unit      : {blas_time:8.3f} s  {base_pairs / blas_time:14,.0f} pairs/s")
    print(f"  handnets enumerate_adder    : {fast_time:8.3f} s  {base_pairs / fast_time:14,.0f} pairs/s")
    print(f"  ratio vs straightforward    : {base_time / fast_time:8.1f} x")
    print(f"  ratio vs one row per unit   : {blas_time / fast_time:8.1f} x")
    print(f"proof for every length        : {proof_time * 1e3:8.3f} ms  ({proof.product_states} product states)")
    print(f"exact accuracy, lengths 1..300: {dp_time * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
