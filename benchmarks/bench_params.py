"""Benchmark ``handnets params``: reading, counting and costing model files, as ratios to ``ast.parse``.

Run: python benchmarks/bench_params.py [--repeat 20]

For each model file (VGG-16 as a Keras Sequential, read by the plain-stack reader; a Keras ResNet
block and a PyTorch ResNet, read by following tensors through functional code and ``forward``),
it times ``summarize_code`` (read, wire, count), then ``forward_cost`` on the summary, against the
baseline of ``ast.parse`` of the same text in the same run (the part no reader can skip). Printed:
milliseconds per model (best of the repeats) and the ratio to the baseline; ratios are what to
compare between runs, since the machine's speed cancels out.
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handnets.params import summarize_code  # noqa: E402
from handnets.params.cost import forward_cost  # noqa: E402

MODELS = [
    ("VGG-16, Keras Sequential", ROOT / "examples" / "vgg16_keras.py", None),
    ("ResNet block, Keras functional", ROOT / "tests" / "data" / "params_models" / "keras_resnet_block.py", None),
    ("ResNet, PyTorch forward", ROOT / "tests" / "data" / "params_models" / "torch_resnet.py", (3, 32, 32)),
]


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    repeat = parser.parse_args().repeat
    print(f"best of {repeat}; ms per model, ratio to ast.parse of the same text")
    for title, path, shape in MODELS:
        text = path.read_text(encoding="utf-8")
        baseline = best(lambda: ast.parse(text), repeat)
        summary = summarize_code(text, input_shape=shape)
        count = best(lambda: summarize_code(text, input_shape=shape), repeat)
        cost = best(lambda: forward_cost(summary), repeat)
        print(f"{title:32} {len(summary.rows):4} rows  ast.parse {1000 * baseline:7.2f}  summarize {1000 * count:7.2f} ({count / baseline:5.1f}x)  forward_cost {1000 * cost:7.2f} ({cost / baseline:5.1f}x)")


if __name__ == "__main__":
    main()
