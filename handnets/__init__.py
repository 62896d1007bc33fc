"""handnets: prove hand-designed networks, derive and check gradients, grade students' answers.

The public API is kept short; the subpackages hold the rest:
``handnets.threshold`` (threshold networks as automata), ``handnets.derive`` (symbolic derivations),
``handnets.params`` and ``handnets.cnn`` (parameter counts, shapes, CNN arithmetic),
``handnets.grading`` (safe parsing and judging of students' answers). Rendering and the CLI sit at
the edge, in ``handnets.render`` and ``handnets.cli``.
"""

from handnets.errors import HandnetsError, InputError, InvalidWeights

# The threshold API is imported on first use (PEP 562), so that ``import handnets`` and
# ``handnets --help`` cost no numpy.
_LAZY = {name: "handnets.threshold" for name in ("ThresholdRNN", "check_adder", "check_task", "classic_adder", "load_task",
                                                 "load_weights", "prove", "repair", "synthesise")}

__version__ = "0.1.0"

__all__ = [
    "HandnetsError",
    "InputError",
    "InvalidWeights",
    "ThresholdRNN",
    "check_adder",
    "check_task",
    "classic_adder",
    "load_task",
    "load_weights",
    "prove",
    "repair",
    "synthesise",
    "__version__",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'handnets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
