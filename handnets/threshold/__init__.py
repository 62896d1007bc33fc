"""Hard-threshold networks as automata: simulate, prove for every length, enumerate exhaustively."""

from handnets.threshold.check import AdderCheck, Trace, check_adder, check_builtin, trace_addition
from handnets.threshold.designs import classic_adder
from handnets.threshold.enumerate import Enumeration, enumerate_adder
from handnets.threshold.network import ThresholdRNN, step
from handnets.threshold.prove import Counterexample, LengthAccuracy, Proof, digit_accuracy, prove
from handnets.threshold.reference import BinaryAddition, MealyMachine
from handnets.threshold.weights import load_weights, weights_from_mapping

__all__ = [
    "AdderCheck",
    "BinaryAddition",
    "Counterexample",
    "Enumeration",
    "LengthAccuracy",
    "MealyMachine",
    "Proof",
    "ThresholdRNN",
    "Trace",
    "check_adder",
    "check_builtin",
    "classic_adder",
    "digit_accuracy",
    "enumerate_adder",
    "load_weights",
    "prove",
    "step",
    "trace_addition",
    "weights_from_mapping",
]
