"""Cold-start wall time of ``python -m handnets.verify`` next to a bare ``python -c "import sympy"``.

Run from the repository root: ``python benchmarks/bench_verify.py [--runs N]``. Each run is a fresh
interpreter (cold start); the figures are the median and best of N runs, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

DERIVE_SECTIONS = ("lstm", "lstm-vector", "lstm-ce", "rnn", "recurrence", "gradient-flow")


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    commands = {
        "import sympy": [sys.executable, "-c", "import sympy"],
        "handnets.verify": [sys.executable, "-m", "handnets.verify"],
        "handnets.verify (derive sections only)": [sys.executable, "-m", "handnets.verify", *DERIVE_SECTIONS],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so a slow moment of the machine hits every command alike
        for name, command in commands.items():
            times[name].append(wall(command))
    base = statistics.median(times["import sympy"])
    print(f"{'command':42} {'median s':>9} {'best s':>8} {'x import sympy':>15}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:42} {median:9.3f} {min(values):8.3f} {median / base:15.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
