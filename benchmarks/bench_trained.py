"""Benchmark ``handnets rnn check``'s enumeration against straightforward loops over all pairs, in one process.

Run: python benchmarks/bench_trained.py [--max-len 12] [--repeat 3] [--model tests/data/trained/good.safetensors]

Every method counts the wrong pairs of every length 1..max_len of a trained 10-unit ReLU RNN. The
straightforward versions are what one writes first: for each length, all 4**(n-1) pairs, one forward
pass per batch of pairs (torch's nn.RNN + nn.Linear, or the same in numpy float32), digits compared
with a + b. handnets walks the tree of shared prefixes (one step per prefix, the recurrent product
shared by the four children) and merges prefixes that reach the same float32 state with the same
carry. All methods must agree on the counts; the script stops if they do not. ``--agreement`` also
measures how many logits are bit-identical to torch's forward and the largest difference.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handnets.trained.enumerate import enumerate_task  # noqa: E402
from handnets.trained.load import load_model  # noqa: E402
from handnets.trained.prove import prove_adder  # noqa: E402

BATCH = 1 << 16


def pairs_of(n: int, start: int, stop: int):
    index = np.arange(start, stop)
    half = n - 1
    return index >> half, index & ((1 << half) - 1)  # a, b < 2**(n-1)


def inputs(a, b, n):
    t = np.arange(n)
    return np.stack([(a[:, None] >> t) & 1, (b[:, None] >> t) & 1], axis=-1).astype(np.float32)


def wrong_of(digits, a, b, n):
    truth = (((a + b)[:, None] >> np.arange(n)) & 1).astype(bool)
    return int((digits != truth).any(axis=1).sum())


def numpy_loop(model, max_len):
    """All pairs of each length in batches, numpy float32, one matrix product per step."""
    layer = model.layers[0]
    counts = []
    for n in range(1, max_len + 1):
        wrong = 0
        for start in range(0, 4 ** (n - 1), BATCH):
            a, b = pairs_of(n, start, min(start + BATCH, 4 ** (n - 1)))
            x = inputs(a, b, n)
            h = np.zeros((len(a), layer.hidden), np.float32)
            digits = np.empty((len(a), n), bool)
            for t in range(n):
                h = np.maximum((h @ layer.W_hh.T + layer.b_hh) + (x[:, t] @ layer.W_ih.T + layer.b_ih), 0)
                digits[:, t] = (h @ model.W_out.T + model.b_out)[:, 0] > 0
            wrong += wrong_of(digits, a, b, n)
        counts.append(wrong)
    return counts


def torch_loop(path, max_len):
    """The same with torch's own nn.RNN + nn.Linear forward, one call per batch of pairs."""
    import torch
    from safetensors.torch import load_file

    state = load_file(str(path))
    hidden = state["rnn.weight_hh_l0"].shape[1]
    rnn = torch.nn.RNN(2, hidden, nonlinearity="relu", batch_first=True)
    fc = torch.nn.Linear(hidden, 1)
    rnn.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("rnn.")})
    fc.load_state_dict({k[3:]: v for k, v in state.items() if k.startswith("fc.")})
    counts = []
    with torch.no_grad():
        for n in range(1, max_len + 1):
            wrong = 0
            for start in range(0, 4 ** (n - 1), BATCH):
                a, b = pairs_of(n, start, min(start + BATCH, 4 ** (n - 1)))
                digits = (fc(rnn(torch.from_numpy(inputs(a, b, n)))[0]).squeeze(-1) > 0).numpy()
                wrong += wrong_of(digits, a, b, n)
            counts.append(wrong)
    return counts


def best(function, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def agreement(path, max_len):
    import torch

    sys.path.insert(0, str(ROOT / "tests"))
    from test_trained_torch import all_inputs, ours, torch_net

    model, net = load_model(path), torch_net(Path(path))
    same = total = differ = 0
    worst = 0.0
    for n in range(1, max_len + 1):
        x, _, _ = all_inputs(n, "add")
        with torch.no_grad():
            theirs = net(torch.from_numpy(x)).numpy()
        mine = ours(model, x)
        same += int((mine == theirs).sum())
        total += mine.size
        differ += int(((mine > 0) != (theirs > 0)).sum())
        worst = max(worst, float(np.abs(mine - theirs).max()))
    print(f"agreement with torch, lengths 1..{max_len}: {total:,} logits, {100 * same / total:.1f}% bit-identical, "
          f"largest difference {worst:.2g}, digits that differ: {differ}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-len", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default=str(ROOT / "tests/data/trained/good.safetensors"))
    parser.add_argument("--agreement", action="store_true")
    args = parser.parse_args()
    model = load_model(args.model)
    pairs = sum(4 ** (n - 1) for n in range(1, args.max_len + 1))
    print(f"{Path(args.model).name}: {model.hidden[0]} units; lengths 1..{args.max_len}: {pairs:,} valid pairs (best of {args.repeat})")
    rows = []
    mine_time, mine = best(lambda: enumerate_task(model, "add", args.max_len), args.repeat)
    expected = [r.wrong_pairs for r in mine.lengths]
    plain_time, plain = best(lambda: enumerate_task(model, "add", args.max_len, merge=False), args.repeat)
    numpy_time, numpy_counts = best(lambda: numpy_loop(model, args.max_len), args.repeat)
    rows += [("straightforward numpy float32", numpy_time, numpy_counts)]
    try:
        torch_time, torch_counts = best(lambda: torch_loop(args.model, args.max_len), args.repeat)
        rows.append(("straightforward torch forward", torch_time, torch_counts))
    except ImportError:
        torch_time = None
    rows += [("handnets, every prefix", plain_time, [r.wrong_pairs for r in plain.lengths]), ("handnets enumerate_task", mine_time, expected)]
    for name, seconds, counts in rows:
        if counts != expected:
            sys.exit(f"{name} disagrees: {counts} != {expected}")
        print(f"  {name:30s}: {seconds:8.3f} s  {pairs / seconds:14,.0f} pairs/s")
    print(f"  ratio vs numpy loop           : {numpy_time / mine_time:8.1f} x")
    if torch_time is not None:
        print(f"  ratio vs torch loop           : {torch_time / mine_time:8.1f} x")
    start = time.perf_counter()
    proof = prove_adder(model)
    print(f"proof attempt                   : {time.perf_counter() - start:8.3f} s  ({'proved' if proof.proved else 'not proved'})")
    if args.agreement:
        agreement(args.model, min(args.max_len, 10))


if __name__ == "__main__":
    main()
