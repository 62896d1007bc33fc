"""Cells nobody wrote by hand: hypothesis-generated cells derived and proved; the GRU against torch's autograd."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handnets.derive.cellcheck import run_backward
from handnets.derive.cellderive import derive_cell
from handnets.derive.cellfile import cell_from_table, load_cell
from handnets.derive.evaluate import NUMPY
from handnets.derive.reference import random_point


@st.composite
def cells(draw):
    """A random cell: 1..3 activation nodes over x_t, h_{t-1}, earlier nodes and their products, then the states.

    Sums and products inside sigmoid and tanh, a gated or squashed h, and sometimes a second state c
    carried by a gate (so every state stays bounded over the 30 steps of the finite differences).
    """
    names = ["a", "b", "d"][: draw(st.integers(1, 3))]
    two_states = draw(st.booleans())
    nodes: dict[str, str] = {}
    kinds: dict[str, str] = {}
    counter = iter(range(100))

    def term(earlier: list[str]) -> str:
        sources = ["x_t", "h_{t-1}", *(f"{e}_t" for e in earlier)] + (["c_{t-1}"] if two_states else [])
        first = draw(st.sampled_from(sources))
        second = draw(st.one_of(st.none(), st.sampled_from(sources)))
        factor = first if second is None else f"{first} {second}"
        return f"w_{next(counter)} {factor}"

    for k, name in enumerate(names):
        activation = draw(st.sampled_from(["sigma", "tanh"]))
        kinds[name] = activation
        terms = [term(names[:k]) for _ in range(draw(st.integers(1, 3)))]
        nodes[name] = f"{activation}({' + '.join(terms)})"
    gates = [n for n in names if kinds[n] == "sigma"]
    if two_states:
        carry = draw(st.sampled_from(gates)) if gates else None
        fresh = draw(st.sampled_from(names))
        nodes["c"] = f"{carry}_t c_{{t-1}} + (1 - {carry}_t) {fresh}_t" if carry else f"tanh(w_cc c_{{t-1}} + {fresh}_t)"
    reads_c = " + c_t" if two_states else ""
    if gates and draw(st.booleans()):
        g, m = draw(st.sampled_from(gates)), draw(st.sampled_from(names))
        nodes["h"] = f"(1 - {g}_t) h_{{t-1}} + {g}_t tanh({m}_t{reads_c})"
    else:
        nodes["h"] = f"tanh({' + '.join(term(names) for _ in range(2))}{reads_c})"
    return cell_from_table({"name": "generated", "states": ["h", "c"] if two_states else ["h"], "nodes": nodes}, source="generated")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells())
def test_cell_generated_cells_are_derived_and_proved(cell):
    derivation = derive_cell(cell, steps=2)
    failed = [(check.name, check.detail) for check in derivation.checks if not check.passed]
    assert not failed, (cell.nodes, failed)


# --------------------------------------------------------------------------- torch


def test_cell_gru_pytorch_matches_torch_grucell_autograd():
    """gru-pytorch's derived bars and weight gradients against torch.nn.GRUCell's autograd (float64)."""
    torch = pytest.importorskip("torch")
    cell = load_cell("gru-pytorch")
    point = random_point(cell, 8, seed=21)
    w = {name: float(value) for name, value in point.weights}
    gru = torch.nn.GRUCell(1, 1, dtype=torch.float64)
    f64 = lambda values: torch.tensor(values, dtype=torch.float64)  # noqa: E731  (torch.tensor alone is float32)
    with torch.no_grad():  # torch's gate order is r, z, n
        gru.weight_ih.copy_(f64([[w["w_xr"]], [w["w_xz"]], [w["w_xn"]]]))
        gru.weight_hh.copy_(f64([[w["w_hr"]], [w["w_hz"]], [w["w_hn"]]]))
        gru.bias_ih.copy_(f64([w["b_ir"], w["b_iz"], w["b_in"]]))
        gru.bias_hh.copy_(f64([w["b_hr"], w["b_hz"], w["b_hn"]]))
    h = torch.tensor([[float(dict(point.initial)["h"])]], dtype=torch.float64)
    loss = torch.zeros((), dtype=torch.float64)
    states = []
    for t in range(point.steps):
        h = gru(torch.tensor([[float(point.inputs[t][0][1])]], dtype=torch.float64), h)
        h.retain_grad()
        states.append(h)
        loss = loss + float(point.a[t]) * h[0, 0] + float(point.b[t]) * h[0, 0] ** 2
    loss.backward()
    derived = run_backward(cell, derive_cell(cell, checked=False), point, NUMPY)
    for t, state in enumerate(states):
        assert derived[t]["hbar_t"] == pytest.approx(float(state.grad[0, 0]), rel=1e-10, abs=1e-12)
    total = {name: sum(step[f"{name}_bar"] for step in derived) for name in cell.weights}
    rows = {"r": 0, "z": 1, "n": 2}
    for gate, row in rows.items():
        assert total[f"w_x{gate}"] == pytest.approx(float(gru.weight_ih.grad[row, 0]), rel=1e-10, abs=1e-12)
        assert total[f"w_h{gate}"] == pytest.approx(float(gru.weight_hh.grad[row, 0]), rel=1e-10, abs=1e-12)
        assert total[f"b_i{gate}"] == pytest.approx(float(gru.bias_ih.grad[row]), rel=1e-10, abs=1e-12)
        assert total[f"b_h{gate}"] == pytest.approx(float(gru.bias_hh.grad[row]), rel=1e-10, abs=1e-12)


def test_cell_gru_cho_is_not_torch_grucell():
    """The other placement of the reset gate gives a different h_t (so the torch test above can tell them apart)."""
    torch = pytest.importorskip("torch")
    from handnets.derive.reference import forward

    cell = load_cell("gru-cho")
    point = random_point(cell, 4, seed=21)
    w = {name: float(value) for name, value in point.weights}
    gru = torch.nn.GRUCell(1, 1, dtype=torch.float64)
    f64 = lambda values: torch.tensor(values, dtype=torch.float64)  # noqa: E731
    with torch.no_grad():
        gru.weight_ih.copy_(f64([[w["w_xr"]], [w["w_xz"]], [w["w_xn"]]]))
        gru.weight_hh.copy_(f64([[w["w_hr"]], [w["w_hz"]], [w["w_hn"]]]))
        gru.bias_ih.copy_(f64([w["b_r"], w["b_z"], w["b_n"]]))
        gru.bias_hh.copy_(f64([0.0, 0.0, 0.5]))  # a hidden bias on n: inside r in torch, absent in Cho's
    h0 = float(dict(point.initial)["h"])
    x0 = float(point.inputs[0][0][1])
    ours = forward(cell, point, NUMPY)[0][0]["h_t"]
    theirs = gru(f64([[x0]]), f64([[h0]])).detach()[0, 0].item()
    assert abs(ours - theirs) > 1e-6


# ----------------------------------------------------------------------------- vector form


def test_cell_vector_lstm_equals_the_lstm_vector_topic():
    from handnets.derive.vector import derive_lstm_vector

    generic = derive_cell(load_cell("lstm-vector"), checked=False)
    topic = derive_lstm_vector(checked=False)
    for eq in topic.equations:
        assert generic.equation(eq.name) == eq.rhs, eq.name


@pytest.mark.parametrize("name", ["gru-pytorch-vector", "gru-cho-vector", "lstm-vector", "lstm-peephole-vector"])
def test_cell_vector_builtin_is_proved(name):
    derivation = derive_cell(load_cell(name))
    assert derivation.checks and derivation.passed, [c for c in derivation.checks if not c.passed]


def test_cell_vector_wrong_transpose_fails():
    import dataclasses

    from handnets.derive.cellvector import check_vector_cell
    from handnets.derive.model import Equation
    from handnets.derive.vector import transpose_times

    cell = load_cell("gru-cho-vector")
    derivation = derive_cell(cell, checked=False)
    # W_hn (r ⊙ h) sends back r ⊙ W^T(...) to h; the PyTorch placement's W^T(r ⊙ ...) is wrong here
    rhs = derivation.equation("hbar_t")
    wrong = rhs.replace(transpose_times, lambda W, v: transpose_times(W, v * (2 if str(W) == "W_hn" else 1)))
    equations = tuple(Equation(eq.name, wrong) if eq.name == "hbar_t" else eq for eq in derivation.equations)
    checks = check_vector_cell(cell, dataclasses.replace(derivation, equations=equations))
    assert not all(check.passed for check in checks)


def test_cell_vector_gru_pytorch_matches_torch_grucell_autograd():
    """gru-pytorch-vector against torch.nn.GRUCell(m, n) in float64: every bar and every weight gradient."""
    torch = pytest.importorskip("torch")
    import numpy as np

    from handnets.derive.cellvector import VECTOR_STEPS, vector_backward, vector_params

    cell = load_cell("gru-pytorch-vector")
    n, m = 3, 2
    p = vector_params(cell, n, m, seed=5)
    f64 = lambda a: torch.tensor(np.asarray(a), dtype=torch.float64)  # noqa: E731
    gru = torch.nn.GRUCell(m, n, dtype=torch.float64)
    with torch.no_grad():  # torch stacks the gates r, z, n
        gru.weight_ih.copy_(f64(np.vstack([p["W_ir"], p["W_iz"], p["W_in"]])))
        gru.weight_hh.copy_(f64(np.vstack([p["W_hr"], p["W_hz"], p["W_hn"]])))
        gru.bias_ih.copy_(f64(np.concatenate([p["b_ir"], p["b_iz"], p["b_in"]])))
        gru.bias_hh.copy_(f64(np.concatenate([p["b_hr"], p["b_hz"], p["b_hn"]])))
    h = f64(p["initial_h"])[None]
    loss, states = torch.zeros((), dtype=torch.float64), []
    for t in range(VECTOR_STEPS):
        h = gru(f64(p["input_x"][t])[None], h)
        h.retain_grad()
        states.append(h)
        loss = loss + (h[0] * f64(p["a"][t])).sum() + 0.5 * (h[0] * h[0]).sum()
    loss.backward()
    bars, sums = vector_backward(cell, derive_cell(cell, checked=False), p, n)
    for t, state in enumerate(states):
        np.testing.assert_allclose(bars[t]["hbar_t"], state.grad[0].numpy(), rtol=1e-10, atol=1e-12)
    for k, gate in enumerate("rzn"):
        rows = slice(k * n, (k + 1) * n)
        np.testing.assert_allclose(sums[f"W_i{gate}_bar"], gru.weight_ih.grad[rows].numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(sums[f"W_h{gate}_bar"], gru.weight_hh.grad[rows].numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(sums[f"b_i{gate}_bar"], gru.bias_ih.grad[rows].numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(sums[f"b_h{gate}_bar"], gru.bias_hh.grad[rows].numpy(), rtol=1e-10, atol=1e-12)


def test_cell_vector_two_matrices_in_a_product_is_named():
    from handnets.errors import InputError

    with pytest.raises(InputError, match="nodes.h: node h: matrices"):
        cell_from_table({"vector": True, "states": ["h"], "nodes": {"h": "tanh(W_a W_b h_{t-1})"}}, source="v")
