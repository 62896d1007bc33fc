"""JSON-ready dicts and weights files for threshold checks, traces, synthesis and repair.

Kept apart from the rich renderers so that ``--json`` runs never import rich's tables.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handnets.exact import format_fraction

if TYPE_CHECKING:
    from handnets.threshold.check import TaskCheck, Trace
    from handnets.threshold.prove import Counterexample
    from handnets.threshold.repair import Repair
    from handnets.threshold.synth import Synthesis
    from handnets.threshold.tasks import Task
    from handnets.threshold.network import ThresholdRNN

__all__ = ["adder_json", "accuracy_json", "trace_json", "design_json", "weights_toml", "synthesis_json", "repair_json"]


def _f(value: Fraction | int) -> str:
    return format_fraction(value)


def _names(task: Task | None, inputs: int) -> tuple[str, ...]:
    names = task.operand_names if task is not None and task.operand_names else ()
    return names if len(names) == inputs else tuple(f"x{i + 1}" for i in range(inputs))


def _counterexample_json(cx: Counterexample | None, task: Task) -> dict[str, Any] | None:
    if cx is None:
        return None
    names = _names(task, len(cx.word[0]))
    payload: dict[str, Any] = {name: value for name, value in zip(names, cx.operands)}
    payload.update({f"{name}_bits": cx.bits(i) for i, name in enumerate(names)})
    one = len(cx.expected[0]) == 1  # one output: plain bits, as the adder always wrote them
    payload.update({
        "steps": cx.steps,
        "step": cx.step,
        "expected": [e[0] if one else list(e) for e in cx.expected],
        "got": [g[0] if one else list(g) for g in cx.got],
        "hidden": [list(h) for h in cx.hidden],
    })
    return payload


def adder_json(result: TaskCheck) -> dict[str, Any]:
    """The ``handnets threshold check --json`` object (``adder check`` writes the same, without the task)."""
    proof, task = result.proof, result.task
    words, differ = result.definition
    return {
        "task": task.name,
        "convention": task.convention,
        "correct": proof.correct,
        "proved": proof.complete or proof.counterexample is not None,
        "note": proof.limit_note or None,
        "threshold": proof.threshold,
        "hidden_units": proof.network.hidden_units,
        "reachable_states": len(proof.reachable),
        "margin": _f(proof.margin),
        "counterexample": _counterexample_json(proof.counterexample, task),
        "exhaustive": {
            "max_len": result.enumeration.max_len,
            "pairs": result.enumeration.pairs,
            "failures": result.enumeration.failures,
            "requested_len": result.enumeration.requested_len,
        },
        "methods_agree": result.methods_agree,
        "definition": {"words": words, "differ": differ} if words else None,
        "convention_sensitive": proof.convention_sensitive,
        "other_threshold": None
        if result.other is None
        else {"threshold": result.other.threshold, "correct": result.other.correct,
              "counterexample": _counterexample_json(result.other.counterexample, task)},
    }


def accuracy_json(accuracy) -> list[dict[str, Any]]:
    """Exact per-length figures; big integers as JSON integers, fractions as "p/q" strings."""
    return [
        {
            "length": a.length,
            "pairs": a.pairs,
            "wrong_pairs": a.wrong_pairs,
            "digit_accuracy": _f(a.digit_accuracy),
            "pair_accuracy": _f(a.pair_accuracy),
        }
        for a in accuracy
    ]


def trace_json(trace: Trace) -> dict[str, Any]:
    names = _names(trace.task, trace.network.inputs)
    one = trace.network.outputs == 1
    return {
        **{name: value for name, value in zip(names, trace.operands)},
        "task": trace.task.name,
        "produced": trace.produced,
        "correct": trace.correct,
        "steps": [
            {
                "t": t,
                "x": list(s.x),
                "h_pre": [_f(z) for z in s.h_pre],
                "h": list(s.h),
                "y_pre": _f(s.y_pre[0]) if one else [_f(z) for z in s.y_pre],
                "y": s.y[0] if one else list(s.y),
                "expected": e[0] if one else list(e),
            }
            for t, (s, e) in enumerate(zip(trace.run, trace.expected), start=1)
        ],
    }


def _number(value: Fraction) -> int | str:
    """As in the weights file: an int, or a string such as "-3/2"."""
    return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def design_json(network: ThresholdRNN) -> dict[str, Any]:
    return {
        "threshold": network.threshold,
        "W_xh": [[_number(v) for v in row] for row in network.W_xh],
        "W_hh": [[_number(v) for v in row] for row in network.W_hh],
        "b_h": [_number(v) for v in network.b_h],
        "W_hy": [[_number(v) for v in row] for row in network.W_hy],
        "b_y": [_number(v) for v in network.b_y],
        "h0": list(network.h0),
    }


def _toml_value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)


def weights_toml(network: ThresholdRNN, comments: list[str]) -> str:
    """A weights file ``load_weights`` reads back to the same network."""
    lines = [f"# {line}" for line in comments]
    for key, value in design_json(network).items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def synthesis_json(result: Synthesis) -> dict[str, Any]:
    """``handnets threshold synth --json``."""
    return {
        "task": result.task.name,
        "hidden_units": result.network.hidden_units if result.found else None,
        "margin": _number(result.proof.margin) if result.found else None,
        "proved": result.found,
        "design": design_json(result.network) if result.found else None,
        "classes": result.classes,
        "minimal_states": result.states,
        "search": [
            {"units": a.units, "outcome": a.outcome, "reason": a.reason, "proven": a.proven, "encodings": a.encodings}
            for a in result.attempts
        ],
        "fewer_units": result.lower_bound_note or None,
    }


def repair_json(result: Repair) -> dict[str, Any]:
    """``handnets threshold repair --json``."""
    payload: dict[str, Any] = {
        "task": result.task.name,
        "edits": None if result.edits is None else [
            {"param": e.param, "index": list(e.index), "from": str(_number(e.before)), "to": str(_number(e.after))}
            for e in result.edits
        ],
        "proved": result.proof is not None and result.proof.correct,
        "design": design_json(result.network) if result.network is not None else None,
        "margin": _number(result.proof.margin) if result.proof is not None else None,
        "already_correct": result.already_correct,
        "searched": {
            "values": [str(_number(v)) for v in result.values],
            "edits": [{"edits": n, "candidates": c} for n, c in result.searched],
            "proved_candidates": result.proved_candidates,
            "counterexamples": result.counterexamples,
        },
    }
    if result.original_proof.unproved:
        payload["note"] = result.original_proof.limit_note
    return payload


