"""Train the small models the tests of ``handnets.trained`` check; run once, commit the .safetensors files.

Run: python tests/data/trained/make_models.py   (needs torch and safetensors; about a minute on 2 cores)

Every model is the homework's: ``nn.RNN(2, H, nonlinearity="relu", batch_first=True)`` then
``nn.Linear(H, 1)``, trained with binary cross-entropy on the logits. Inputs follow handnets'
padding convention: a pair of length n has a, b < 2**(n-1), read least-significant digit first,
so the n output digits are exactly the digits of a + b.

- ``good.safetensors``: 10 units, random lengths 1..16 (the homework's setting).
- ``short.safetensors``: 10 units, trained on lengths 1..4 only (too-short inputs).
- ``long_fail.safetensors``: the good model with its recurrent weights scaled up by a little, so the
  hidden state drifts with every step: right on short inputs, wrong from some length on. A trained
  model perturbed on purpose, because training alone does not reliably give this shape.
- ``msb.safetensors``: the second variant, read n pairs most-significant digit first while the output
  is ignored, then n steps of input (0, 0) emitting the sum most-significant digit first; 32 units
  (the homework says 100; 32 keeps the file and the tests small), lengths 1..5.
- ``hand_relu.safetensors``: not trained: an exact ReLU adder built by hand (see ``hand_relu``), whose
  reachable hidden states are known (four points, one per value of a_t + b_t + carry).

The seeds are fixed, but torch does not promise the same floats on another machine: the committed
files, not this script's next run, are what the tests pin.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

HERE = Path(__file__).resolve().parent


class Adder(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.rnn = nn.RNN(2, hidden, nonlinearity="relu", batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.fc(h).squeeze(-1)


def lsb_batch(rng: np.random.Generator, n: int, size: int):
    a = rng.integers(0, 2 ** (n - 1), size) if n > 1 else np.zeros(size, dtype=np.int64)
    b = rng.integers(0, 2 ** (n - 1), size) if n > 1 else np.zeros(size, dtype=np.int64)
    t = np.arange(n)
    x = np.stack([(a[:, None] >> t) & 1, (b[:, None] >> t) & 1], axis=-1).astype(np.float32)
    y = (((a + b)[:, None] >> t) & 1).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


def msb_batch(rng: np.random.Generator, n: int, size: int):
    x, y = lsb_batch(rng, n, size)
    x = torch.cat([x.flip(1), torch.zeros_like(x)], dim=1)  # read MSB first, then n answer steps
    return x, y.flip(1)


def train(hidden: int, max_len: int, steps: int, seed: int, batch=lsb_batch, lr=0.003) -> Adder:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Adder(hidden)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    for step in range(steps):
        n = int(rng.integers(1, max_len + 1))
        x, y = batch(rng, n, 128)
        logits = model(x)[:, -y.shape[1]:]  # the MSB variant answers in the last n steps only
        loss = loss_fn(logits, y)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # ReLU RNNs on 16 steps diverge without it
        optimiser.step()
        if step % 500 == 0:
            print(f"  step {step:5d}  loss {loss.item():.4f}")
    return model


def hand_relu() -> dict[str, torch.Tensor]:
    """s = a_t + b_t + carry; u0 = relu(s), u1 = relu(s - 1), u2 = relu(s - 2); carry = u1 - u2; digit = s mod 2."""
    return {
        "rnn.weight_ih_l0": torch.tensor([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]),
        "rnn.weight_hh_l0": torch.tensor([[0.0, 1.0, -1.0], [0.0, 1.0, -1.0], [0.0, 1.0, -1.0]]),  # + carry
        "rnn.bias_ih_l0": torch.tensor([0.0, -1.0, -2.0]),
        "rnn.bias_hh_l0": torch.zeros(3),
        "fc.weight": torch.tensor([[1.0, -2.0, 2.0]]),  # s - 2 carry: the parity, 0 or 1
        "fc.bias": torch.tensor([-0.5]),
    }


def save(name: str, tensors: dict[str, torch.Tensor]) -> None:
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, str(HERE / f"{name}.safetensors"))
    print(f"wrote {name}.safetensors")


def main() -> None:
    torch.set_num_threads(1)
    print("good: 10 units, lengths 1..16")
    good = train(10, 16, 3000, seed=3)
    save("good", good.state_dict())
    long_fail = {k: v.clone() for k, v in good.state_dict().items()}
    long_fail["rnn.weight_hh_l0"] *= 1.04  # right up to length 8, wrong on one pair of length 9
    save("long_fail", long_fail)
    print("short: 10 units, lengths 1..4")
    save("short", train(10, 4, 1500, seed=5).state_dict())
    print("msb: 32 units, lengths 1..5, MSB first")
    save("msb", train(32, 5, 4000, seed=7, batch=msb_batch, lr=0.005).state_dict())
    save("hand_relu", hand_relu())


if __name__ == "__main__":
    main()
