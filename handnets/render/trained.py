"""Render a trained adder's check: rich renderables for people, the ``--json`` object for machines."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from handnets.render.text import clean
from handnets.trained.check import TrainedCheck
from handnets.trained.enumerate import Enumeration, Failure
from handnets.trained.model import TrainedRNN

__all__ = ["render_model", "render_enumeration", "render_check", "render_many", "trained_json"]


def _bits(bits) -> str:
    return "".join(str(b) for b in bits)


def _percent(result) -> str:
    accuracy = result.digit_accuracy
    if accuracy == 1:
        return "100%"
    return f"{100 * float(accuracy):.4f}%"


def render_model(model: TrainedRNN) -> Text:
    layers = len(model.layers)
    text = Text()
    text.append(f"{clean(model.source) or 'model'}: nn.RNN, {layers} layer{'s' * (layers > 1)} of "
                f"{'+'.join(map(str, model.hidden))} {model.nonlinearity} units, then nn.Linear({model.hidden[-1]}, 1)\n")
    if model.names:
        text.append("tensors: " + ", ".join(clean(name) for name in model.names) + "\n")
    text.append("digit = 1 iff logit > 0 (sigmoid > 1/2; a logit of exactly 0 gives 0); float32 throughout")
    return text


def _task_line(enumeration: Enumeration, answer_input) -> str:
    if enumeration.task == "add":
        return "add: n steps, (a_t, b_t) LSB first, digit t of a + b at step t; a, b < 2^(n-1)"
    fill = f"({answer_input[0]:g}, {answer_input[1]:g})"
    return f"add-msb: n steps reading MSB first, then n steps of input {fill} emitting a + b MSB first; a, b < 2^(n-1)"


def _failure_text(failure: Failure, task: str) -> str:
    n = len(failure.expected)
    order = "LSB first" if task == "add" else "MSB first, after the n reading steps"
    return (
        f"shortest failure: a={failure.a}, b={failure.b} (length {n}, {failure.steps} steps); first wrong digit "
        f"at step {failure.step}: expected {_bits(failure.expected)}, got {_bits(failure.got)} ({order})"
    )


def render_enumeration(enumeration: Enumeration, answer_input=(0.0, 0.0)) -> Group:
    table = Table()
    for name in ("n", "pairs", "wrong pairs", "wrong digits", "digit accuracy"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in enumeration.lengths:  # digits = n * pairs
        table.add_row(str(r.n), f"{r.pairs:,}", f"{r.wrong_pairs:,}", f"{r.wrong_digits:,}", _percent(r),
                      style="red" if r.wrong_pairs else None)
    lines = Text()
    if enumeration.shortest_failure is None:
        lines.append(f"Every valid pair of lengths 1..{enumeration.max_len} is right (n digits per pair).", style="bold green")
    else:
        lines.append(_failure_text(enumeration.shortest_failure, enumeration.task), style="bold red")
    lines.append(f"\nsmallest |logit| of a scored digit: {enumeration.smallest_logit:.4g}")
    if enumeration.zero_logit:
        lines.append(" (some logits exactly 0, read as digit 0)")
    if enumeration.requested_len is not None:
        lines.append(f"\nlengths {enumeration.max_len + 1}..{enumeration.requested_len} not enumerated: more work than the "
                     "bound allows for a model this size (ask for --max-len explicitly to be told the limit)", style="yellow")
    return Group(Text(_task_line(enumeration, answer_input)), table, lines)


def render_check(result: TrainedCheck) -> Group:
    enumeration = result.enumeration
    proof = result.proof
    proof_text = Text()
    if proof.proved:
        proof_text.append("Proved for every length.\n", style="bold green")
        proof_text.append(proof.detail)
        for region in proof.regions[:12]:
            proof_text.append(f"\n  carry {region.carry}, {_history(region.history)}: {_box(region)}")
        if len(proof.regions) > 12:
            proof_text.append(f"\n  ... {len(proof.regions) - 12} more regions")
    else:
        proof_text.append(f"Checked up to length {enumeration.max_len} only.\n", style="bold yellow")
        proof_text.append(proof.detail)
    return Group(
        Panel(render_model(result.model), title="Model", title_align="left"),
        Panel(render_enumeration(enumeration, result.answer_input), title=f"Every input up to length {enumeration.max_len}", title_align="left"),
        Panel(proof_text, title="Proof for every length", title_align="left"),
    )


def _history(history) -> str:
    if not history:
        return "h_0 (no input yet)"
    inputs = " ".join(f"{index & 1}{index >> 1}" for _, index in history)
    return f"after {inputs} from carry {history[0][0]}"


def _box(region) -> str:
    if region.lo == region.hi:
        return "the point (" + ", ".join(f"{v:g}" for v in region.lo) + ")"
    widest = max(h - l for l, h in zip(region.lo, region.hi))
    return f"a box of widest side {widest:.3g}"


def trained_json(result: TrainedCheck) -> dict[str, Any]:
    """The ``handnets rnn check --json`` object, keys exactly as documented."""
    enumeration = result.enumeration
    failure = enumeration.shortest_failure
    return {
        "task": enumeration.task,
        "max_len": enumeration.max_len,
        "per_length": [
            {"n": r.n, "pairs": r.pairs, "wrong_pairs": r.wrong_pairs, "digits": r.digits, "wrong_digits": r.wrong_digits,
             "digit_accuracy": float(r.digit_accuracy)}
            for r in enumeration.lengths
        ],
        "shortest_failure": None if failure is None else {
            "a": failure.a, "b": failure.b, "steps": failure.steps, "step": failure.step,
            "expected": list(failure.expected), "got": list(failure.got),
        },
        "proof": {"proved": result.proof.proved, "method": result.proof.method, "detail": result.proof.detail},
    }


def render_many(results) -> Table:
    """One row per model file: (name, TrainedCheck or None, error or None)."""
    table = Table()
    table.add_column("model", overflow="fold")
    table.add_column("verdict", ratio=1)
    table.add_column("worst accuracy", no_wrap=True)
    table.add_column("proof", no_wrap=True)
    for shown, result, error in results:
        if result is None:
            table.add_row(clean(shown), Text(f"unreadable: {clean(error)}", style="red"), "", "")
            continue
        enumeration = result.enumeration
        failure = enumeration.shortest_failure
        if failure is None:
            verdict = Text(f"right up to length {enumeration.max_len}", style="green")
        else:
            verdict = Text(f"wrong at length {len(failure.expected)}: a={failure.a}, b={failure.b}", style="red")
        worst = min(enumeration.lengths, key=lambda r: (r.digit_accuracy, -r.n))
        table.add_row(clean(shown), verdict, f"{_percent(worst)} (n={worst.n})", "proved" if result.proof.proved else "not proved")
    return table
