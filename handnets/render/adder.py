"""Render checks and traces of threshold designs for any task: rich renderables, JSON-ready dicts, the proofs/ document."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from handnets.exact import format_fraction
from handnets.render.checks import render_checks
from handnets.render.text import clean
from handnets.render.threshold_json import _names, accuracy_json, adder_json, trace_json
from handnets.threshold.check import TaskCheck, Trace
from handnets.threshold.network import ThresholdRNN
from handnets.threshold.prove import Counterexample, Proof
from handnets.threshold.tasks import Task, builtin_task

AdderCheck = TaskCheck

__all__ = [
    "render_network",
    "render_check",
    "render_verify",
    "render_trace",
    "render_many",
    "render_accuracy",
    "adder_json",
    "trace_json",
    "accuracy_json",
    "proof_document",
]

_ACCURACY_ROWS = (1, 2, 3, 4, 8, 12, 16, 32, 64, 128, 256, 512, 1024)


def _f(value: Fraction | int) -> str:
    return format_fraction(value)


def _bits(bits) -> str:
    return "".join(str(b) for b in bits)


def _states(states, most: int = 16) -> str:
    shown = ", ".join(_bits(h) for h in states[:most])
    return shown if len(states) <= most else f"{shown} and {len(states) - most:,} more"


def render_network(network: ThresholdRNN, task: Task | None = None) -> Table:
    """The weights, one row per unit: what it reads and its bias."""
    k = network.hidden_units
    task = task if task is not None else (builtin_task("add") if network.inputs == 2 else None)
    table = Table(title=f"threshold '{network.threshold}': step(z) = 1 iff z {'>=' if network.threshold == 'ge' else '>'} 0", title_justify="left")
    table.add_column("unit")
    table.add_column(f"W_xh ({', '.join(n + '_t' for n in _names(task, network.inputs))})")
    table.add_column("W_hh (h_1..h_%d)" % k)
    table.add_column("bias", justify="right")
    table.add_column("h0", justify="right")
    for j in range(k):
        table.add_row(
            f"h{j + 1}",
            " ".join(_f(v) for v in network.W_xh[j]),
            " ".join(_f(v) for v in network.W_hh[j]),
            _f(network.b_h[j]),
            str(network.h0[j]),
        )
    for j in range(network.outputs):
        table.add_row(f"y{j + 1}", "", " ".join(_f(v) for v in network.W_hy[j]), _f(network.b_y[j]), "", style="cyan")
    return table


def _proof_text(proof: Proof, other: Proof | None, task: Task) -> Text:
    text = Text()
    if proof.correct:
        text.append("Correct for every input of every length.\n", style="bold green")
    elif proof.unproved:
        text.append(f"Not proved: {proof.limit_note} (raise --max-states to search further).\n", style="bold yellow")
    else:
        cx = proof.counterexample
        text.append(f"Wrong: shortest counterexample has {cx.steps} steps.\n", style="bold red")
    text.append(f"Reachable hidden states ({len(proof.reachable)}): {_states(proof.reachable)}\n")
    text.append(f"Valid inputs: {task.convention}.\n")
    text.append(f"Product states with the {task.name} machine: {proof.product_states}; transitions checked: {proof.transitions}\n")
    text.append(f"Margin: {_f(proof.margin)}")
    if proof.convention_sensitive:
        spots = ", ".join(f"{s.unit} on h={_bits(s.h_prev)}" + (f", x={_bits(s.x)}" if s.x else "") for s in proof.tight[:6])
        more = f" and {len(proof.tight) - 6} more" if len(proof.tight) > 6 else ""
        text.append(" — some reachable pre-activation is exactly 0, so the verdict hangs on step(0).\n", style="yellow")
        text.append(f"Pre-activations at 0: {spots}{more}\n", style="yellow")
        if other is not None:
            verdict = "correct for every length" if other.correct else f"wrong (shortest counterexample: {other.counterexample.steps} steps, {task.describe_operands(other.counterexample.operands)})"
            text.append(f"Under threshold '{other.threshold}' instead: {verdict}.", style="yellow")
    else:
        text.append(" — no reachable threshold sits at 0: the verdict is the same under both conventions.")
    return text


def render_counterexample(cx: Counterexample, task: Task | None = None) -> Group:
    task = task if task is not None else builtin_task("add")
    names = _names(task, len(cx.word[0]))
    head = Text()
    head.append(", ".join(f"{name} = {value} (bits {cx.bits(i)}{', LSB first' if i == 0 else ''})"
                          for i, (name, value) in enumerate(zip(names, cx.operands))) + f", {cx.steps} steps\n")
    head.append(f"first wrong output at step {cx.step}: expected {_bits(cx.expected[cx.step - 1])}, got {_bits(cx.got[cx.step - 1])}\n")
    head.append(f"expected outputs {''.join(_bits(e) for e in cx.expected)}, produced {''.join(_bits(g) for g in cx.got)}")
    table = Table(show_header=True, header_style="bold")
    for column in ("t", *(f"{name}_t" for name in names), "h_t", "y_t", "expected"):
        table.add_column(column, justify="right")
    for t, (s, e) in enumerate(zip(cx.run, cx.expected), start=1):
        style = "red" if s.y != e else ""
        table.add_row(str(t), *(str(bit) for bit in s.x), _bits(s.h), _bits(s.y), _bits(e), style=style)
    return Group(head, table)


def render_enumeration(result: TaskCheck) -> Table:
    method = "" if result.enumeration.method == "table" else " (stepped per input: too many reachable codes to tabulate)"
    table = Table(title=f"Exhaustive enumeration, lengths 1..{result.enumeration.max_len}{method}", title_justify="left")
    table.add_column("n", justify="right")
    table.add_column("valid inputs", justify="right")
    table.add_column("wrong", justify="right")
    table.add_column("wrong (automaton DP)", justify="right")
    table.add_column("first wrong input", justify="right")
    for count, exact in zip(result.enumeration.lengths, result.accuracy):
        first = "" if count.first_failure is None else result.task.describe_operands(count.first_failure)
        style = "red" if count.failures != exact.wrong_pairs else ""
        table.add_row(str(count.length), f"{count.pairs:,}", f"{count.failures:,}", f"{exact.wrong_pairs:,}", first, style=style)
    return table


def render_accuracy(accuracy, *, rows=_ACCURACY_ROWS) -> Table:
    """Exact per-length figures: wrong pairs and digit accuracy (exact fraction and percentage)."""
    table = Table(title="Exact accuracy by length (dynamic programming over the product automaton)", title_justify="left")
    table.add_column("n", justify="right")
    table.add_column("valid inputs", justify="right")
    table.add_column("wrong inputs", justify="right")
    table.add_column("digits right", justify="right")
    table.add_column("digit accuracy", justify="right")
    wanted = set(rows) | {accuracy[-1].length}
    for item in accuracy:
        if item.length not in wanted:
            continue
        table.add_row(
            str(item.length),
            _big(item.pairs),
            _big(item.wrong_pairs),
            _short_fraction(item.digit_accuracy),
            f"{float(item.digit_accuracy):.6%}",
        )
    return table


def _big(n: int) -> str:
    return f"{n:,}" if n < 10**15 else f"{n:.6e} (exact: {len(str(n))} digits)"


def _short_fraction(value: Fraction) -> str:
    text = _f(value)
    return text if len(text) <= 24 else f"{value.numerator % 10**6}.../{len(str(value.denominator))}-digit"


def render_check(result: TaskCheck) -> Group:
    """The whole report of one design: weights, proof, counterexample, enumeration, accuracy, checks."""
    proof, task = result.proof, result.task
    parts: list[RenderableType] = [
        Panel(render_network(proof.network, task), title=f"Design for {task.name}: {task.title}", title_align="left"),
        Panel(_proof_text(proof, result.other, task), title="Proof for every length", title_align="left", border_style="green" if proof.correct else "red"),
    ]
    if proof.counterexample is not None:
        parts.append(Panel(render_counterexample(proof.counterexample, task), title="Shortest counterexample", title_align="left", border_style="red"))
    parts.append(render_enumeration(result))
    if not proof.correct:
        parts.append(render_accuracy(result.accuracy))
    parts.append(render_checks(result.checks, title="Checks"))
    return Group(*parts)


def render_many(results) -> Table:
    """One row per weights file: verdict, margin, shortest counterexample, or why the file is unreadable."""
    table = Table(title=f"{len(results)} designs", title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("verdict")
    table.add_column("margin", justify="right")
    table.add_column("states", justify="right")
    table.add_column("shortest counterexample / problem", ratio=1)
    for path, result, error in results:
        if result is None:
            table.add_row(Text(clean(path)), Text("unreadable", style="bold yellow"), "", "", Text(clean(error)))
            continue
        proof = result.proof
        cx = proof.counterexample
        verdict = Text("right", style="bold green") if proof.correct else Text("wrong", style="bold red")
        if proof.unproved:
            verdict = Text("not proved", style="bold yellow") if not result.enumeration.failures else verdict
            cx = None
        if proof.correct and result.other is not None and not result.other.correct:
            verdict = Text(f"right under '{proof.threshold}' only", style="bold yellow")
        detail = "" if cx is None else f"{result.task.describe_operands(cx.operands)} ({cx.steps} steps), wrong at step {cx.step}"
        if proof.unproved:
            found = result.enumeration.shortest_failure
            detail = proof.limit_note + ("" if found is None else f"; wrong on {found.failures:,} inputs of length {found.length}")
        if not result.methods_agree:
            detail = "proof and enumeration DISAGREE: a bug in handnets"
        table.add_row(Text(clean(path)), verdict, _f(proof.margin), str(len(proof.reachable)), detail)
    return table


def render_verify(result: AdderCheck) -> Group:
    """The catalogue's adder section: the built-in design's proof and enumeration."""
    return Group(Text("P1: the classic 3-unit hard-threshold RNN that adds binary numbers, LSB first.", style="bold"), render_check(result))


def render_trace(trace: Trace) -> Group:
    """``handnets adder run``: every step's pre-activations and outputs next to the expected bits."""
    net, task = trace.network, trace.task
    names = _names(task, net.inputs)
    title = f"{trace.a} + {trace.b}, LSB first" if task.name == "add" else f"{task.name}: {task.describe_operands(trace.operands)}, LSB first"
    table = Table(title=title, title_justify="left")
    for column in ("t", *(f"{name}_t" for name in names)):
        table.add_column(column, justify="right")
    for j in range(net.hidden_units):
        table.add_column(f"z{j + 1}", justify="right")
        table.add_column(f"h{j + 1}", justify="right")
    table.add_column("z_y", justify="right")
    table.add_column("y_t", justify="right")
    table.add_column("expected", justify="right")
    for t, (s, e) in enumerate(zip(trace.run, trace.expected), start=1):
        cells = [str(t), *(str(bit) for bit in s.x)]
        for z, h in zip(s.h_pre, s.h):
            cells += [_f(z), str(h)]
        cells += [" ".join(_f(z) for z in s.y_pre), _bits(s.y), _bits(e)]
        table.add_row(*cells, style="" if s.y == e else "red")
    verdict = Text()
    verdict.append(f"produced {trace.produced}, expected {trace.wanted}: ")
    verdict.append("right" if trace.correct else "WRONG", style="bold green" if trace.correct else "bold red")
    return Group(table, verdict)


def proof_document(result: TaskCheck) -> tuple[str, str]:
    """``proofs/adder.md``: claim, method, evidence, generated from the check itself."""
    proof = result.proof
    net = proof.network
    lines = [
        "# P1: the hard-threshold RNN that adds binary numbers",
        "",
        "_Generated by `python -m handnets.verify --write-proofs proofs/`; do not edit by hand._",
        "",
        "## Claim",
        "",
        "The classic design, with hidden units that fire when at least one, at least two and all three of "
        "$a_t$, $b_t$ and the carry are 1, outputs bit $t$ of $a + b$ at every step $t$, for every pair "
        "$a, b < 2^{n-1}$ and every length $n$, under both step conventions.",
        "",
        "## The design",
        "",
        "$$h_t = \\operatorname{step}(W_{xh} x_t + W_{hh} h_{t-1} + b_h), \\qquad y_t = \\operatorname{step}(W_{hy} h_t + b_y), \\qquad h_0 = 0$$",
        "",
        "| unit | $W_{xh}$ | $W_{hh}$ | bias |",
        "|---|---|---|---|",
    ]
    for j in range(net.hidden_units):
        lines.append(f"| $h_{j + 1}$ | {' '.join(_f(v) for v in net.W_xh[j])} | {' '.join(_f(v) for v in net.W_hh[j])} | {_f(net.b_h[j])} |")
    lines.append(f"| $y$ | | {' '.join(_f(v) for v in net.W_hy[0])} | {_f(net.b_y[0])} |")
    lines += [
        "",
        "## Proof for every length",
        "",
        "Every prefix of a valid input is an arbitrary word over $\\{0,1\\}^2$, and every transition from a "
        "reachable state is used by some valid input (append the padding $(0,0)$). So the design is right "
        "for every length iff, in the product of its reachable hidden states with the carry automaton, no "
        "reachable transition produces an output different from the automaton's. Breadth-first search over "
        "that product:",
        "",
        f"- reachable hidden states ({len(proof.reachable)}): {', '.join('`' + _bits(h) + '`' for h in proof.reachable)}",
        f"- reachable product states: {proof.product_states}; transitions checked: {proof.transitions}",
        f"- wrong transitions found: {'none' if proof.correct else 'yes'}",
        f"- margin (smallest $|z|$ over every reachable pre-activation): {_f(proof.margin)}, so no threshold "
        "sits at 0 and step(0) never decides an output: the same verdict holds with step(0) = 0."
        if not proof.convention_sensitive
        else "- margin: 0 — the verdict depends on step(0).",
        "",
        "## Independent evidence",
        "",
        f"Exhaustive enumeration of all {result.enumeration.pairs:,} valid pairs of lengths 1 to "
        f"{result.enumeration.max_len}, run in integer numpy on the network's own hidden codes (found by a closure "
        "in numpy, not by the proof's search) against the carry table, itself compared with integer $a + b$ on "
        f"all {result.definition[0]:,} words of lengths 1 to 8; and exact per-length counts by dynamic programming "
        "over the product automaton:",
        "",
        "| n | pairs | wrong (enumeration) | wrong (automaton) |",
        "|---|---|---|---|",
    ]
    for count, exact in zip(result.enumeration.lengths, result.accuracy):
        lines.append(f"| {count.length} | {count.pairs:,} | {count.failures:,} | {exact.wrong_pairs:,} |")
    lines += ["", "## Checks", ""]
    for check in result.checks:
        lines.append(f"- {'PASS' if check.passed else 'FAIL'}: {check.name} ({check.method})")
    lines.append("")
    return "adder.md", "\n".join(lines)
