"""Render synthesis and repair results: text for people, JSON-ready dicts, and weights files."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from handnets.render.adder import render_network
from handnets.render.threshold_json import _number, design_json, repair_json, synthesis_json, weights_toml
from handnets.threshold.network import ThresholdRNN
from handnets.threshold.repair import Repair
from handnets.threshold.synth import Synthesis
from handnets.threshold.tasks import TASKS, Task, builtin_task

__all__ = ["design_json", "weights_toml", "synthesis_json", "render_synthesis", "repair_json", "render_repair", "render_tasks"]


def render_synthesis(result: Synthesis) -> Group:
    task = result.task
    head = Text()
    head.append(f"Task {task.name}: {task.title}; valid inputs: {task.convention}.\n")
    head.append(f"Minimal reference machine: {result.states} states; {result.classes} classes "
                "(state after the step, output) that the hidden code must tell apart.\n")
    search = Table(title="Search", title_justify="left")
    search.add_column("units", justify="right")
    search.add_column("outcome")
    search.add_column("why", ratio=1)
    for a in result.attempts:
        style = "green" if a.outcome == "found" else ("" if a.proven else "yellow")
        search.add_row(str(a.units), a.outcome + ("" if a.proven or a.outcome == "found" else " (not proved)"), a.reason, style=style)
    parts = [head, search]
    if result.found:
        proof = result.proof
        parts.append(render_network(result.network, task))
        verdict = Text()
        verdict.append(f"Proved right for every valid input of every length: {len(proof.reachable)} reachable hidden states, "
                       f"{proof.product_states} product states, margin {_number(proof.margin)}.\n", style="bold green")
        verdict.append(f"Fewer units: {result.lower_bound_note}.")
        parts.append(verdict)
    else:
        parts.append(Text("No design found within the search bounds (raise --max-units).", style="bold red"))
    return Group(*parts)


def render_repair(result: Repair) -> Group:
    text = Text()
    if result.already_correct:
        text.append("The design is already right for every length: nothing to repair.", style="bold green")
        return Group(text)
    if result.original_proof.unproved:
        text.append(f"Not repaired: {result.original_proof.limit_note}.", style="bold yellow")
        return Group(text)
    cx = result.original_proof.counterexample
    text.append(f"The design is wrong: shortest counterexample {result.task.describe_operands(cx.operands)} "
                f"({cx.steps} steps), wrong at step {cx.step}.\n")
    searched = ", ".join(f"{c:,} candidates with {n} edit{'s' if n > 1 else ''}" for n, c in result.searched)
    low, high = result.values[0], result.values[-1]
    text.append(f"Searched: {searched}; values {_number(low)}..{_number(high)} in steps of 1/2; "
                f"{result.proved_candidates} candidate(s) proved, {result.counterexamples} counterexample(s) used to prune.\n")
    if result.edits is None:
        text.append("No repair within that many edits.", style="bold red")
        return Group(text)
    text.append(f"Smallest repair, {len(result.edits)} edit{'s' if len(result.edits) > 1 else ''}:\n", style="bold green")
    for edit in result.edits:
        text.append(f"  {edit}\n", style="bold")
    proof = result.proof
    text.append(f"Proved right for every valid input of every length ({len(proof.reachable)} reachable hidden states, "
                f"margin {_number(proof.margin)}).")
    return Group(text, render_network(result.network, result.task))


def render_tasks() -> Table:
    table = Table(title="Built-in tasks (inputs read LSB first)", title_justify="left")
    table.add_column("task")
    table.add_column("inputs", justify="right")
    table.add_column("computes")
    table.add_column("valid inputs", ratio=1)
    for name in TASKS:
        task: Task = builtin_task(name)
        table.add_row(name, str(task.inputs), task.title, task.convention)
    return table
