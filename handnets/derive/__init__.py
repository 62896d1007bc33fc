"""Symbolic derivations (problems P2, P3): LSTM and RNN BPTT, vector form, cross-entropy, recurrences, gradient flow,
and the same for any recurrent cell given as data (``load_cell``, ``derive_cell``).

Each ``derive_*`` function returns a ``Derivation``: equations as sympy expressions in the shared
vocabulary (``handnets.vocabulary``), the definitions they rest on, and the checks that proved them
against independent oracles before anything is printed.

>>> from handnets.derive import derive_lstm
>>> derive_lstm(checked=False).equation("ibar_t")
cbar_t*g_t
>>> derive_cell(load_cell("mgu"), checked=False).equation("nbar_t")
f_t*hbar_t
"""

from handnets.derive.cell import Cell
from handnets.derive.cellderive import derive_cell
from handnets.derive.cellfile import builtin_cells, load_cell
from handnets.derive.gradient_flow import derive_gradient_flow
from handnets.derive.lstm import derive_lstm, derive_lstm_ce, lstm_ce_definitions, lstm_definitions
from handnets.derive.model import Derivation, Equation, Step
from handnets.derive.recurrence import derive_recurrence
from handnets.derive.rnn import derive_rnn
from handnets.derive.vector import derive_lstm_vector

__all__ = [
    "Cell",
    "derive_cell",
    "load_cell",
    "builtin_cells",
    "Derivation",
    "Equation",
    "Step",
    "derive_lstm",
    "derive_lstm_ce",
    "derive_lstm_vector",
    "derive_rnn",
    "derive_recurrence",
    "derive_gradient_flow",
    "lstm_definitions",
    "lstm_ce_definitions",
    "TOPICS",
    "derive_topic",
]

TOPICS = ("lstm", "lstm-vector", "lstm-ce", "rnn", "recurrence", "gradient-flow")


def derive_topic(topic: str, *, steps: int = 2) -> Derivation:
    """The checked derivation of one topic by its command-line name (``"lstm"``, ``"recurrence"``, ...)."""
    if topic == "lstm":
        return derive_lstm()
    if topic == "lstm-vector":
        return derive_lstm_vector()
    if topic == "lstm-ce":
        return derive_lstm_ce()
    if topic == "rnn":
        return derive_rnn()
    if topic == "recurrence":
        return derive_recurrence(steps)
    if topic == "gradient-flow":
        return derive_gradient_flow()
    raise ValueError(f"unknown topic {topic!r}; expected one of {', '.join(TOPICS)}")
