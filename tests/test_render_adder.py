"""Rendering of adder values, compared with golden text."""

from __future__ import annotations

import io

from rich.console import Console

from handnets.render.adder import proof_document, render_network, render_trace
from handnets.threshold import check_adder, classic_adder, trace_addition


def render(renderable) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(renderable)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())


TRACE_1_PLUS_1 = """\
1 + 1, LSB first
┏━━━┳━━━━━┳━━━━━┳━━━━━┳━━━━┳━━━━━━┳━━━━┳━━━━━━┳━━━━┳━━━━━━┳━━━━━┳━━━━━━━━━━┓
┃ t ┃ a_t ┃ b_t ┃  z1 ┃ h1 ┃   z2 ┃ h2 ┃   z3 ┃ h3 ┃  z_y ┃ y_t ┃ expected ┃
┡━━━╇━━━━━╇━━━━━╇━━━━━╇━━━━╇━━━━━━╇━━━━╇━━━━━━╇━━━━╇━━━━━━╇━━━━━╇━━━━━━━━━━┩
│ 1 │   1 │   1 │ 3/2 │  1 │  1/2 │  1 │ -1/2 │  0 │ -1/2 │   0 │        0 │
│ 2 │   0 │   0 │ 1/2 │  1 │ -1/2 │  0 │ -3/2 │  0 │  1/2 │   1 │        1 │
└───┴─────┴─────┴─────┴────┴──────┴────┴──────┴────┴──────┴─────┴──────────┘
produced 2, expected 2: right"""

NETWORK = """\
threshold 'ge': step(z) = 1 iff z >= 0
┏━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━┓
┃ unit ┃ W_xh (a_t, b_t) ┃ W_hh (h_1..h_3) ┃ bias ┃ h0 ┃
┡━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━┩
│ h1   │ 1 1             │ 0 1 0           │ -1/2 │  0 │
│ h2   │ 1 1             │ 0 1 0           │ -3/2 │  0 │
│ h3   │ 1 1             │ 0 1 0           │ -5/2 │  0 │
│ y1   │                 │ 1 -1 1          │ -1/2 │    │
└──────┴─────────────────┴─────────────────┴──────┴────┘"""


def test_render_trace_golden():
    assert render(render_trace(trace_addition(classic_adder(), 1, 1))) == TRACE_1_PLUS_1


def test_render_network_golden():
    assert render(render_network(classic_adder())) == NETWORK


def test_proof_document_is_deterministic_markdown():
    name, first = proof_document(check_adder(classic_adder(), max_len=4))
    _, second = proof_document(check_adder(classic_adder(), max_len=4))
    assert name == "adder.md" and first == second
    assert first.startswith("# P1: the hard-threshold RNN that adds binary numbers")
    assert "| 4 | 64 | 0 | 0 |" in first
