"""The P4 catalogue section: examples, the unrolled-graph argument, the asymptotics, the proofs document."""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from handnets.params.asymptotics import MDRNN, PIXELCNN, analyse, big_o, enumerate_connections, longest_chain
from handnets.params.catalogue import check_examples, example
from handnets.params.unroll import unroll_vanilla_rnn
from handnets.render.params import proof_document


def test_catalogue_params_all_checks_pass():
    report = check_examples()
    failed = [c.name for c in report.checks if not c.passed]
    assert failed == []
    assert len(report.checks) == 14


def test_catalogue_example_lookup():
    assert example("vanilla_rnn").total == 20362
    assert example("keras_classifier", "pytorch").total == 31105


@settings(max_examples=40, deadline=None)
@given(n_in=st.integers(1, 30), hidden=st.integers(1, 30), n_out=st.integers(1, 30), steps=st.integers(1, 25))
def test_unroll_distinct_count_does_not_depend_on_steps(n_in, hidden, n_out, steps):
    graph = unroll_vanilla_rnn(n_in, hidden, n_out, steps)
    expected = hidden * n_in + hidden * hidden + hidden + n_out * hidden + n_out
    assert graph.distinct_count == expected
    assert graph.parameter_uses == 5 * steps
    assert graph.unshared_count == steps * expected


def test_unroll_homework_5_and_10_steps():
    counts = [unroll_vanilla_rnn(20, 128, 10, t).distinct_count for t in (5, 10)]
    assert counts == [20362, 20362]


@settings(max_examples=30, deadline=None)
@given(layers=st.integers(1, 4), channels=st.integers(1, 3), height=st.integers(1, 7), width=st.integers(1, 7), structure=st.sampled_from([PIXELCNN, MDRNN]))
def test_asymptotics_closed_forms_match_grid_enumeration(layers, channels, height, width, structure):
    result = analyse(structure)
    values = {sympy.Symbol(name, integer=True, positive=True): v for name, v in (("d", layers), ("k", channels), ("H", height), ("W", width))}
    assert int(result.steps.subs(values)) == longest_chain(structure, layers, height, width)
    assert int(result.connections.subs(values)) == enumerate_connections(structure, layers, channels, height, width)


def test_asymptotics_orders():
    pixel, mdrnn = analyse(PIXELCNN), analyse(MDRNN)
    assert (str(pixel.connections_order), str(pixel.steps_order)) == ("H*W*d*k**2", "d")
    assert (str(mdrnn.connections_order), str(mdrnn.steps_order)) == ("H*W*d*k**2", "H + W + d")


def test_big_o_keeps_every_undominated_monomial():
    d, k, H, W = sympy.symbols("d k H W", integer=True, positive=True)
    assert big_o(2 * H * W + 3 * d + 7) == H * W + d


def test_proof_document_params_is_deterministic():
    name, first = proof_document(check_examples())
    _, second = proof_document(check_examples())
    assert name == "params.md" and first == second
    assert "| lstm | recurrent_kernel | `4*h**2` | 4,096 |" in first
    assert "FAIL" not in first


def test_params_docstring_examples_run():
    import doctest
    import importlib

    for name in ("formulas", "layers", "model", "reader", "shapes", "unroll", "asymptotics"):
        module = importlib.import_module(f"handnets.params.{name}")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, name
    import handnets.params

    assert doctest.testmod(handnets.params).failed == 0
