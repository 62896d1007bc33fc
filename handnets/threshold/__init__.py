"""Hard-threshold networks as automata: simulate, prove for every length, enumerate, synthesise, repair."""

from handnets.threshold.check import (
    AdderCheck,
    TaskCheck,
    Trace,
    check_adder,
    check_builtin,
    check_task,
    trace_addition,
    trace_task,
)
from handnets.threshold.designs import classic_adder
from handnets.threshold.enumerate import Enumeration, enumerate_adder, enumerate_task
from handnets.threshold.network import ThresholdRNN, step
from handnets.threshold.prove import Counterexample, LengthAccuracy, Proof, digit_accuracy, prove
from handnets.threshold.reference import BinaryAddition, MealyMachine
from handnets.threshold.tasks import TASKS, Task, builtin_task, load_task
from handnets.threshold.weights import load_weights, weights_from_mapping

# synthesis and repair load on first use: synthesis may import scipy
_LAZY = {"synthesise": "handnets.threshold.synth", "Synthesis": "handnets.threshold.synth",
         "repair": "handnets.threshold.repair", "Repair": "handnets.threshold.repair", "Edit": "handnets.threshold.repair"}

__all__ = [
    "AdderCheck",
    "BinaryAddition",
    "Counterexample",
    "Edit",
    "Enumeration",
    "LengthAccuracy",
    "MealyMachine",
    "Proof",
    "Repair",
    "Synthesis",
    "TASKS",
    "Task",
    "TaskCheck",
    "ThresholdRNN",
    "Trace",
    "builtin_task",
    "check_adder",
    "check_builtin",
    "check_task",
    "classic_adder",
    "digit_accuracy",
    "enumerate_adder",
    "enumerate_task",
    "load_task",
    "load_weights",
    "prove",
    "repair",
    "step",
    "synthesise",
    "trace_addition",
    "trace_task",
    "weights_from_mapping",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'handnets.threshold' has no attribute {name!r}")
