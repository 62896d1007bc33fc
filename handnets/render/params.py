"""Render parameter summaries: a Keras-summary-like table with a formula column, terms, JSON, proofs."""

from __future__ import annotations

from typing import Any

import sympy
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from handnets.params.formulas import SIZE_MEANINGS
from handnets.params.model import Row, Summary
from handnets.render.checks import render_checks
from handnets.render.layout import MARK, PlainFormula

__all__ = [
    "format_shape",
    "format_formula",
    "total_line",
    "render_summary",
    "render_terms",
    "render_side_by_side",
    "summary_payload",
    "render_cost",
    "cost_payload",
    "render_section",
    "proof_document",
]


def format_shape(shape: tuple[int | None, ...] | None, batch_axis: int = 0) -> str:
    """Keras' way: the batch axis as None, first unless the layer is sequence-first. ``?`` when unknown.

    >>> format_shape((28, 28, 8)), format_shape((30, 26), batch_axis=1)
    ('(None, 28, 28, 8)', '(30, None, 26)')
    """
    if shape is None:
        return "?"
    full = ["None" if d is None else str(d) for d in shape]
    full.insert(batch_axis, "None")
    return "(" + ", ".join(full) + ")"


def _with_batch(row: Row) -> list[int | None]:
    full: list[int | None] = list(row.output_shape or ())
    full.insert(row.batch_axis, None)
    return full


def format_formula(row: Row) -> str:
    if row.formula is None:
        return "unknown layer"
    if not row.formula.terms:
        return "0"
    return sympy.sstr(row.formula.compact())


def _sizes(row: Row) -> str:
    if row.formula is None:
        return ""
    used = set().union(*(t.count.free_symbols for t in row.formula.terms)) if row.formula.terms else set()
    return ", ".join(f"{sym}={'?' if value is None else value}" for sym, value in row.formula.sizes if sym in used)


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _layer_label(row: Row) -> Text:
    label = Text(f"{row.name} ({row.layer.name})" if row.known else f"{row.name} (unknown: {row.layer.text or row.layer.name})")
    if not row.known:
        label.stylize("yellow")
    for problem in row.problems:
        label.append("\n" + problem, style="yellow")
    for note in row.notes:
        label.append("\n" + note, style="dim")
    return label


def render_summary(summary: Summary, *, title: str | None = None) -> Group:
    """The model as Keras prints it, plus the closed form of each layer's count and the totals."""
    table = Table(title=escape(title or f"{summary.source or 'model'} ({summary.framework} convention)"), header_style="bold")
    table.add_column("Layer (type)", overflow="fold")
    table.add_column("Output Shape", no_wrap=True)
    table.add_column("Param #", justify="right", no_wrap=True)
    table.add_column("Formula", overflow="fold")
    for row in summary.rows:
        params = row.trainable + row.non_trainable if row.trainable is not None and row.non_trainable is not None else None
        formula: list[RenderableType] = [_formula_cell(format_formula(row))]
        sizes = _sizes(row)
        if sizes:
            formula.append(Text(sizes, style="dim"))
        if row.buffers:
            formula.append(Text(f"+ {row.buffers:,} in buffers (not parameters)", style="dim"))
        table.add_row(_layer_label(row), format_shape(row.output_shape, row.batch_axis), _count(params), Group(*formula))
    return Group(table, _totals(summary))


def _formula_cell(text: str, *, first: str = "") -> PlainFormula:
    """A formula in a table cell: broken at operators when the column is narrow, never folded mid-name."""
    return PlainFormula(text, first=first, later=f"{MARK} ")


def total_line(summary: Summary) -> str:
    """``Total params: 608``, or what was counted and that it is incomplete."""
    if summary.complete:
        return f"Total params: {summary.total:,}"
    doubtful = len(summary.doubtful)
    return f"Total params: {summary.total:,} counted, INCOMPLETE ({doubtful} layer{'s' if doubtful > 1 else ''} below)"


def _totals(summary: Summary) -> Text:
    text = Text()
    text.append(total_line(summary) + "\n", style="bold")
    text.append(f"Trainable params: {summary.trainable:,}\n")
    text.append(f"Non-trainable params: {summary.non_trainable:,}")
    if summary.framework == "pytorch":
        text.append(f"\nBuffers (not parameters): {summary.buffers:,}")
    for row in summary.doubtful:
        verdict = "not counted" if not row.counted else "doubtful"
        reasons = "; ".join(row.problems) or "not counted"
        text.append(f"\n{verdict}: {row.name} ({row.layer.name}, line {row.layer.line}): {reasons}", style="yellow")
    return text


def render_terms(summary: Summary) -> Table:
    """Where every term of every formula comes from: tensors, count in named sizes, value, reason."""
    table = Table(title=f"terms ({summary.framework} convention)", header_style="bold")
    table.add_column("layer", overflow="fold")
    table.add_column("tensors", overflow="fold")
    table.add_column("count")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("kind", overflow="fold")
    table.add_column("why", overflow="fold")
    for row in summary.rows:
        if row.formula is None:
            continue
        for term in row.formula.terms:
            value = row.formula.evaluate(term.count)
            table.add_row(Text(row.name), Text(term.tensors), _formula_cell(sympy.sstr(term.count)), _count(value), term.role.replace("_", "-"), Text(term.why))
    return table


def render_side_by_side(keras: Summary, pytorch: Summary) -> Group:
    """Both conventions for the same layers, one row per layer."""
    table = Table(title=escape(f"{keras.source or 'model'}: Keras and PyTorch conventions"), header_style="bold")
    table.add_column("Layer (type)", overflow="fold")
    table.add_column("Output Shape", no_wrap=True)
    table.add_column("Keras formula")
    table.add_column("Keras", justify="right", no_wrap=True)
    table.add_column("PyTorch formula")
    table.add_column("PyTorch", justify="right", no_wrap=True)
    for left, right in zip(keras.rows, pytorch.rows):
        k_params = None if left.trainable is None else left.trainable + (left.non_trainable or 0)
        table.add_row(_layer_label(left), format_shape(left.output_shape, left.batch_axis), _formula_cell(format_formula(left)), _count(k_params), _formula_cell(format_formula(right)), _count(right.trainable))
    table.add_section()
    table.add_row("Total params", "", "", f"{keras.total:,}" + ("" if keras.complete else "+?"), "", f"{pytorch.total:,}" + ("" if pytorch.complete else "+?"))
    table.add_row("Non-trainable / buffers", "", "", f"{keras.non_trainable:,}", "", f"{pytorch.buffers:,}")
    parts: list[RenderableType] = [table]
    if not keras.complete or not pytorch.complete:
        parts.append(_totals(keras if not keras.complete else pytorch))
    return Group(*parts)


def summary_payload(summary: Summary) -> dict[str, Any]:
    """The ``--json`` object: the specified keys plus a few more (type, line, sizes, terms, buffers)."""
    layers = []
    rows_by_index = [row.name for row in summary.rows]
    for row in summary.rows:
        layers.append(
            {
                "name": row.name,
                "type": row.layer.name,
                "line": row.layer.line,
                "known": row.known,
                "output_shape": None if row.output_shape is None else _with_batch(row),
                "formula": format_formula(row) if row.known else None,
                "sizes": {} if row.formula is None else {str(s): v for s, v in row.formula.sizes},
                "trainable": row.trainable,
                "non_trainable": row.non_trainable,
                "buffers": row.buffers,
                "terms": []
                if row.formula is None
                else [{"tensors": t.tensors, "count": sympy.sstr(t.count), "value": row.formula.evaluate(t.count), "kind": t.role, "why": t.why} for t in row.formula.terms],
                "notes": list(row.notes),
                "complete": row.complete,
                "problems": list(row.problems),
                "inputs": [rows_by_index[i] for i in row.inputs],
                "shared_with": None if row.shared_with is None else rows_by_index[row.shared_with],
            }
        )
    return {
        "framework": summary.framework,
        "layers": layers,
        "trainable": summary.trainable,
        "non_trainable": summary.non_trainable,
        "buffers": summary.buffers,
        "total": summary.total,
        "complete": summary.complete,
        # one entry per reason the total is not the framework's: the layer, its line, why
        "problems": [{"layer": r.name, "type": r.layer.name, "line": r.layer.line, "counted": r.counted, "reason": p} for r in summary.doubtful for p in (r.problems or ("not counted",))],
    }


def render_section(report: Any) -> Group:
    """The params section of ``python -m handnets.verify``."""
    parts: list[Any] = []
    for example in report.examples:
        if example.name == "vgg16":
            parts.append(Text(f"{example.title}: {example.summary.total:,} parameters in {len(example.summary.rows)} layers ({example.oracle})"))
            continue
        parts.append(render_summary(example.summary, title=example.title))
    unrolled = Table(title="unrolled vanilla RNN 20-128-10", header_style="bold")
    for column in ("steps", "nodes", "parameter uses", "tensors reached", "count", "count without sharing"):
        unrolled.add_column(column, justify="right", overflow="fold")
    for graph in report.unrolled:
        unrolled.add_row(str(graph.steps), str(len(graph.nodes)), str(graph.parameter_uses), ", ".join(p.name for p in graph.reached_parameters()), f"{graph.distinct_count:,}", f"{graph.unshared_count:,}")
    parts.append(unrolled)
    parts.append(_asymptotics_table(report.asymptotics))
    parts.append(render_checks(report.checks, title="params checks"))
    return Group(*parts)


def _asymptotics_table(results: Any) -> Table:
    table = Table(title="d layers over an H x W image with k channels", header_style="bold")
    table.add_column("network", overflow="fold")
    table.add_column("connections")
    table.add_column("sequential steps")
    for result in results:
        connections = Group(_formula_cell(sympy.sstr(sympy.factor(result.connections))), _formula_cell(f"O({sympy.sstr(result.connections_order)})", first="= "))
        steps = Group(_formula_cell(sympy.sstr(result.steps)), _formula_cell(f"O({sympy.sstr(result.steps_order)})", first="= "))
        table.add_row(Text(result.structure.name), connections, steps)
    return table


def _markdown_summary(summary: Summary) -> list[str]:
    lines = ["| Layer (type) | Output Shape | Param # | Formula | Sizes |", "|---|---|---:|---|---|"]
    for row in summary.rows:
        params = None if row.trainable is None else row.trainable + (row.non_trainable or 0)
        lines.append(f"| {row.name} ({row.layer.name}) | {format_shape(row.output_shape, row.batch_axis)} | {_count(params)} | `{format_formula(row)}` | {_sizes(row)} |")
    lines += ["", f"{total_line(summary)} (trainable {summary.trainable:,}, non-trainable {summary.non_trainable:,})", ""]
    return lines


def proof_document(report: Any) -> tuple[str, str]:
    """``proofs/params.md``: the P4 answers with their formulas, terms and checks (deterministic)."""
    lines = ["# Parameter counts and shapes (P4)", "", "Generated by `python -m handnets.verify --write-proofs proofs/`; do not edit.", ""]
    lines += ["Sizes: " + "; ".join(f"`{name}` {meaning}" for name, meaning in SIZE_MEANINGS.items()) + ".", ""]
    for example in report.examples:
        lines += [f"## {example.title}", "", "```python", example.code.rstrip(), "```", ""]
        lines += _markdown_summary(example.summary)
        if example.name != "vgg16":
            lines += ["| layer | tensors | count | value | why |", "|---|---|---|---:|---|"]
            for row in example.summary.rows:
                if row.formula is None:
                    continue
                for term in row.formula.terms:
                    lines.append(f"| {row.name} | {term.tensors} | `{sympy.sstr(term.count)}` | {_count(row.formula.evaluate(term.count))} | {term.why} |")
            lines.append("")
        lines += [f"Oracle: {example.oracle}: {example.expected_total:,}.", ""]
    lines += ["## The classifier under the PyTorch convention", ""]
    lines += _markdown_summary(report.pytorch_classifier)
    lines += ["PyTorch's recurrent layers carry two bias vectors per gate (`bias_ih`, `bias_hh`), Keras' LSTM one.", ""]
    lines += ["## The unrolled graph", "", "| steps | nodes | parameter uses | distinct parameters | count | without sharing |", "|---:|---:|---:|---|---:|---:|"]
    for graph in report.unrolled:
        names = ", ".join(f"{p.name} {p.shape}" for p in graph.reached_parameters())
        lines.append(f"| {graph.steps} | {len(graph.nodes)} | {graph.parameter_uses} | {names} | {graph.distinct_count:,} | {graph.unshared_count:,} |")
    lines += ["", "Every step reads the same five tensors, so the count does not depend on how far the network is unrolled.", ""]
    lines += ["## PixelCNN versus multidimensional RNN", "", "| network | structure | connections | steps |", "|---|---|---|---|"]
    for result in report.asymptotics:
        lines.append(
            f"| {result.structure.name} | {result.structure.description} | `{sympy.sstr(sympy.factor(result.connections))}` = O({sympy.sstr(result.connections_order)}) | `{sympy.sstr(result.steps)}` = O({sympy.sstr(result.steps_order)}) |"
        )
    lines += ["", "## Checks", ""]
    for check in report.checks:
        lines.append(f"- {'PASS' if check.passed else 'FAIL'} {check.name} ({check.method}; {check.detail})")
    return "params.md", "\n".join(lines) + "\n"


def _cost_values(cost: Any, convention: str) -> tuple[str, Any]:
    return ("MACs", lambda c: c.macs_value) if convention == "mac" else ("FLOPs", lambda c: c.flops_value)


def render_cost(cost: Any, convention: str, *, memory: bool = False) -> Group:
    """Per layer: the cost formula and its value under the named convention, activations, receptive field."""
    from handnets.params.cost import BYTES_PER_VALUE, CONVENTIONS

    unit, value_of = _cost_values(cost, convention)
    summary = cost.summary
    table = Table(title=escape(f"{summary.source or 'model'}: forward pass ({summary.framework}, B={cost.batch or 1})"), header_style="bold")
    table.add_column("Layer (type)", overflow="fold")
    table.add_column("Output Shape", no_wrap=True)
    table.add_column(unit, justify="right", no_wrap=True)
    table.add_column("Formula (MACs)" if convention == "mac" else "Formula (FLOPs)", overflow="fold")
    if memory:
        table.add_column("Activations", justify="right", no_wrap=True)
    fields = any(layer.receptive_field is not None for layer in cost.layers)
    if fields:
        table.add_column("RF", no_wrap=True)
    for row, layer in zip(summary.rows, cost.layers):
        expr = layer.macs if convention == "mac" else layer.flops()
        formula: list[RenderableType] = [_formula_cell(sympy.sstr(expr))]
        sizes = ", ".join(f"{s}={'?' if v is None else v}" for s, v in layer.sizes)
        if sizes:
            formula.append(Text(sizes, style="dim"))
        cells = [_layer_label(row), format_shape(row.output_shape, row.batch_axis), _count(value_of(layer)), Group(*formula)]
        if memory:
            cells.append(_count(layer.activations))
        if fields:
            cells.append("" if layer.receptive_field is None else "x".join(map(str, layer.receptive_field)))
        table.add_row(*cells)
    text = Text()
    total = cost.macs if convention == "mac" else (None if cost.macs is None else 2 * cost.macs)
    counted = cost.counted_macs if convention == "mac" else 2 * cost.counted_macs
    if total is not None:
        text.append(f"Total {unit}: {total:,}", style="bold")
    else:
        text.append(f"Total {unit}: {counted:,} counted, INCOMPLETE (not known for {', '.join(cost.missing)})", style="bold")
    text.append(f"\nconvention: {CONVENTIONS[convention]}")
    if cost.receptive_field is not None:
        text.append(f"\nreceptive field of the convolution stack: {' x '.join(map(str, cost.receptive_field))} input positions")
    if memory:
        activations = cost.activations
        shown = "?" if activations is None else f"{activations:,} values = {activations * BYTES_PER_VALUE:,} bytes"
        text.append(f"\nactivations (every layer's output, float32, B={cost.batch or 1}): {shown}")
        text.append(f"\nparameters and buffers (float32): {cost.parameter_bytes:,} bytes")
    if not summary.complete:
        text.append("\n" + total_line(summary), style="yellow")
        for row in summary.doubtful:
            text.append(f"\n{row.name} ({row.layer.name}, line {row.layer.line}): {'; '.join(row.problems) or 'not counted'}", style="yellow")
    return Group(table, text)


def cost_payload(cost: Any, convention: str, *, memory: bool = False) -> dict[str, Any]:
    """The ``--flops --json`` additions: per layer and in total, MACs and FLOPs as integers and formulas."""
    from handnets.params.cost import BYTES_PER_VALUE, CONVENTIONS

    per_layer = []
    for layer in cost.layers:
        entry: dict[str, Any] = {
            "name": layer.name,
            "macs": {"value": layer.macs_value, "formula": sympy.sstr(layer.macs), "sizes": {str(s): v for s, v in layer.sizes}},
            "flops": {"value": layer.flops_value, "formula": sympy.sstr(layer.flops())},
            "receptive_field": None if layer.receptive_field is None else list(layer.receptive_field),
        }
        if memory:
            entry["activations"] = {"values": layer.activations, "bytes": None if layer.activations is None else layer.activations * BYTES_PER_VALUE}
        per_layer.append(entry)
    total = cost.macs
    payload: dict[str, Any] = {
        "convention": convention,
        "convention_text": CONVENTIONS[convention],
        "batch": cost.batch or 1,
        "seq_len": cost.seq_len,
        "cost": per_layer,
        "macs": {"value": total, "counted": cost.counted_macs, "formula": sympy.sstr(cost.total_formula())},
        "flops": {"value": None if total is None else 2 * total, "counted": 2 * cost.counted_macs, "formula": sympy.sstr(sympy.expand(2 * cost.total_formula()))},
        "cost_complete": cost.complete,
        "receptive_field": None if cost.receptive_field is None else list(cost.receptive_field),
    }
    if memory:
        activations = cost.activations
        payload["memory"] = {"activation_values": activations, "activation_bytes": None if activations is None else activations * BYTES_PER_VALUE, "parameter_bytes": cost.parameter_bytes}
    return payload
