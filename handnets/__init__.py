"""handnets: prove hand-designed networks, derive and check gradients, grade students' answers.

The public API is kept short; the subpackages hold the rest:
``handnets.threshold`` (threshold networks as automata), ``handnets.derive`` (symbolic derivations),
``handnets.params`` and ``handnets.cnn`` (parameter counts, shapes, CNN arithmetic),
``handnets.grading`` (safe parsing and judging of students' answers). Rendering and the CLI sit at
the edge, in ``handnets.render`` and ``handnets.cli``.
"""

from handnets.errors import HandnetsError, InputError, InvalidWeights
from handnets.threshold import ThresholdRNN, check_adder, classic_adder, load_weights, prove

__version__ = "0.1.0"

__all__ = [
    "HandnetsError",
    "InputError",
    "InvalidWeights",
    "ThresholdRNN",
    "check_adder",
    "classic_adder",
    "load_weights",
    "prove",
    "__version__",
]
