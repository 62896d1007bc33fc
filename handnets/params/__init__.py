"""Parameter counts and shapes: closed-form formulas per layer, model code read with ``ast``, summaries.

>>> from handnets.params import count_parameters
>>> count_parameters("SimpleRNN(128)", input_shape=(None, 20)) + count_parameters("Dense(10)", input_shape=(128,))
20362
"""

from handnets.params.formulas import SIZES, Formula, Term, layer_formula
from handnets.params.layers import Layer
from handnets.params.model import Row, Summary, count_parameters, summarize, summarize_code
from handnets.params.reader import ModelCode, read_model
from handnets.params.shapes import conv_output_length, conv_output_shape
from handnets.params.unroll import UnrolledGraph, unroll_vanilla_rnn

__all__ = [
    "SIZES",
    "Formula",
    "Term",
    "layer_formula",
    "Layer",
    "Row",
    "Summary",
    "count_parameters",
    "summarize",
    "summarize_code",
    "ModelCode",
    "read_model",
    "conv_output_length",
    "conv_output_shape",
    "UnrolledGraph",
    "unroll_vanilla_rnn",
]
