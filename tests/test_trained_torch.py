"""Every output of handnets' float32 evaluation against torch's own nn.RNN / nn.Linear forward pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from handnets.trained.enumerate import enumerate_task  # noqa: E402
from handnets.trained.load import load_model, model_from_tensors  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "trained"


class Net(torch.nn.Module):
    def __init__(self, hidden, layers=1, nonlinearity="relu"):
        super().__init__()
        self.rnn = torch.nn.RNN(2, hidden, num_layers=layers, nonlinearity=nonlinearity, batch_first=True)
        self.fc = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc(self.rnn(x)[0]).squeeze(-1)


def torch_net(path: Path, nonlinearity="relu") -> Net:
    from safetensors.torch import load_file

    state = load_file(str(path))
    hidden = state["rnn.weight_hh_l0"].shape[1]
    layers = sum(1 for k in state if k.startswith("rnn.weight_hh_l"))
    net = Net(hidden, layers, nonlinearity)
    net.load_state_dict(state)
    return net.eval()


def all_inputs(n: int, task: str) -> np.ndarray:
    """Every valid pair of length n as input sequences (pairs, steps, 2), in the enumeration's convention."""
    a, b = np.meshgrid(np.arange(2 ** (n - 1)), np.arange(2 ** (n - 1)), indexing="ij")
    a, b = a.ravel(), b.ravel()
    t = np.arange(n)
    x = np.stack([(a[:, None] >> t) & 1, (b[:, None] >> t) & 1], axis=-1).astype(np.float32)
    if task == "add-msb":
        x = np.concatenate([x[:, ::-1], np.zeros_like(x)], axis=1)
    return x, a, b


def ours(model, x: np.ndarray) -> np.ndarray:
    state = model.initial(len(x))
    out = []
    for t in range(x.shape[1]):
        state, logit = model.step(state, x[:, t])
        out.append(logit)
    return np.stack(out, axis=1)


@pytest.mark.parametrize("name", ["good", "short", "long_fail", "msb", "hand_relu"])
def test_torch_every_logit_matches_torch_forward(name):
    path = DATA / f"{name}.safetensors"
    model, net = load_model(path), torch_net(path)
    task = "add-msb" if name == "msb" else "add"
    for n in range(1, 7 if name != "msb" else 5):
        x, _, _ = all_inputs(n, task)
        with torch.no_grad():
            theirs = net(torch.from_numpy(x)).numpy()
        mine = ours(model, x)
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)  # BLAS orders differ: see README
        assert np.array_equal(mine > 0, theirs > 0)  # every digit the same


@pytest.mark.parametrize("name, max_len", [("good", 8), ("long_fail", 9), ("short", 8)])
def test_torch_per_length_counts_match_a_torch_loop(name, max_len):
    """The straightforward oracle: one torch forward over all pairs of each length, digits compared with a + b."""
    path = DATA / f"{name}.safetensors"
    net = torch_net(path)
    expected = []
    for n in range(1, max_len + 1):
        x, a, b = all_inputs(n, "add")
        with torch.no_grad():
            digits = (net(torch.from_numpy(x)) > 0).numpy()
        truth = (((a + b)[:, None] >> np.arange(n)) & 1).astype(bool)
        wrong = (digits != truth).sum(axis=1)
        expected.append((int((wrong > 0).sum()), int(wrong.sum())))
    got = enumerate_task(load_model(path), "add", max_len)
    assert [(r.wrong_pairs, r.wrong_digits) for r in got.lengths] == expected


@pytest.mark.parametrize("layers, nonlinearity, hidden", [(2, "tanh", 5), (3, "relu", 4), (1, "tanh", 16)])
def test_torch_random_deep_networks_match_torch(layers, nonlinearity, hidden):
    torch.manual_seed(layers * 10 + hidden)
    net = Net(hidden, layers, nonlinearity).eval()
    model = model_from_tensors({k: v.detach().numpy() for k, v in net.state_dict().items()}, nonlinearity=nonlinearity)
    x, _, _ = all_inputs(5, "add")
    with torch.no_grad():
        theirs = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(model, x), theirs, rtol=1e-5, atol=1e-6)


def test_torch_sigmoid_of_a_zero_logit_is_not_above_one_half():
    """The convention handnets states: a logit of exactly 0 is digit 0, as sigmoid(0) > 0.5 and round(0.5) say."""
    zero = torch.zeros(1)
    assert not bool(torch.sigmoid(zero) > 0.5) and float(torch.round(torch.sigmoid(zero))) == 0.0


def test_torch_saved_state_dict_loads_with_weights_only(tmp_path):
    net = torch_net(DATA / "good.safetensors")
    path = tmp_path / "model.pt"
    torch.save(net.state_dict(), path)
    checkpoint = tmp_path / "checkpoint.pth"
    torch.save({"state_dict": net.state_dict(), "epoch": 3}, checkpoint)
    reference = ours(load_model(DATA / "good.safetensors"), all_inputs(4, "add")[0])
    for p in (path, checkpoint):
        assert np.array_equal(ours(load_model(p), all_inputs(4, "add")[0]), reference)


def test_torch_saved_module_is_refused_not_unpickled(tmp_path):
    from handnets.errors import InvalidWeights

    path = tmp_path / "whole.pt"
    torch.save(torch_net(DATA / "good.safetensors"), path)  # a pickled module: weights_only refuses it
    with pytest.raises(InvalidWeights, match="weights_only=True"):
        load_model(path)
