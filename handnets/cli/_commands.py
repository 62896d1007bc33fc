"""Which module of ``handnets.cli`` owns each command, and the one-line help ``handnets --help`` shows.

Kept apart from the modules so that ``handnets --help`` and a command's own run import only what
that command needs: ``handnets adder check`` never imports sympy, ``--help`` imports neither sympy
nor numpy. Each module takes its help line from here, so the two can never disagree.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["COMMANDS", "HELP"]

# command -> module that registers it (a module may own several commands)
COMMANDS = MappingProxyType({
    "adder": "handnets.cli.adder",
    "threshold": "handnets.cli.threshold",
    "params": "handnets.cli.params",
    "conv": "handnets.cli.conv",
    "grade": "handnets.cli.grade",
    "check": "handnets.cli.grade",
    "template": "handnets.cli.grade",
    "gradescope": "handnets.cli.grade",
    "ingest": "handnets.cli.ingest",
    "derive": "handnets.cli.derive",
    "rnn": "handnets.cli.rnn",
    "key": "handnets.cli.key",
    "lint": "handnets.cli.lint",
})

HELP = MappingProxyType({
    "adder": "prove a hard-threshold RNN adds binary numbers",
    "threshold": "threshold RNNs for any sequence task: check, synthesise, repair",
    "params": "parameter counts and output shapes of model code (read, never run)",
    "conv": "hand-computed convolution / pooling / ResNet block from a TOML file",
    "grade": "grade answer sheets against a key",
    "check": "judge one answer typed on the command line",
    "template": "write a blank answer sheet for a key",
    "gradescope": "Gradescope autograder bundles",
    "ingest": "answer sheets from a Canvas, Moodle, PrairieLearn or Google Forms export",
    "derive": "derive and prove LSTM/RNN BPTT, recurrences, gradient flow",
    "rnn": "check a trained RNN adder on every input up to a length, and try a proof",
    "key": "start, show, or publish (without answers) a grading key",
    "lint": "check how an answer sheet will be read, without grading it",
})
