"""Render hand-computed CNN work: rich tables (each cell's window, products, sum), LaTeX, Markdown, JSON."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from handnets.cnn.grid import Matrix, Step
from handnets.cnn.resnet import ResNetBlock
from handnets.cnn.spec import Pipeline
from handnets.exact import format_fraction
from handnets.render.checks import render_checks
from handnets.render.layout import MARK, PlainFormula

__all__ = [
    "matrix_text",
    "render_step",
    "render_resnet",
    "render_pipeline",
    "latex_matrix",
    "latex_step",
    "latex_resnet",
    "latex_pipeline",
    "pipeline_payload",
    "render_section",
    "proof_document",
]

_OUTPUT_SYMBOL = {"conv": "z", "maxpool": "p", "avgpool": "p", "relu": "a", "add": "s"}


def matrix_text(matrix: Matrix) -> str:
    """A matrix as aligned rows in brackets: ``[-1 -1]`` over ``[ 1  1]``."""
    cells = [[format_fraction(v) for v in row] for row in matrix]
    width = max(len(c) for row in cells for c in row)
    return "\n".join("[" + " ".join(c.rjust(width) for c in row) + "]" for row in cells)


def _operands(step: Step) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    shown: list[tuple[str, Matrix]] = []
    if step.op == "add":
        shown += [("left", step.inputs[0]), ("right", step.inputs[1])]
    else:
        shown.append(("input", step.inputs[0]))
    if step.padded is not None and step.padding:
        shown.append((f"padded (p={step.padding})", step.padded))
    if step.kernel is not None:
        shown.append(("kernel", step.kernel))
    shown.append(("output", step.output))
    for title, _ in shown:
        table.add_column(Text(title), no_wrap=True)
    table.add_row(*(Text(matrix_text(m)) for _, m in shown))
    return table


def _how(step: Step) -> str:
    if step.op == "conv":
        bias = f" + bias {format_fraction(step.bias)}" if step.bias else ""
        return f"stride {step.stride}, zero padding {step.padding}: each cell sums window x kernel{bias}"
    if step.op in ("maxpool", "avgpool"):
        return f"{step.size}x{step.size} windows, stride {step.stride}: each cell is the {'largest entry' if step.op == 'maxpool' else 'mean'} of its window"
    if step.op == "relu":
        return "each cell is max(0, value)"
    return "cell by cell"


def _cell(symbol: str, cell: Any) -> Text:
    return Text(f"{symbol}[{cell.row + 1},{cell.col + 1}]")


def render_step(step: Step) -> Group:
    """One operation: its operands side by side, then one row of work per output cell."""
    symbol = _OUTPUT_SYMBOL[step.op]
    work = Table(header_style="bold", show_lines=step.op in ("conv", "maxpool", "avgpool"))
    cell_width = max(len(_cell(symbol, c).plain) for c in step.cells)
    work.add_column("cell", no_wrap=True, min_width=cell_width)
    window_width = max(len(line) for c in step.cells for line in matrix_text(c.window).splitlines())
    if step.op == "conv":
        product_width = max(len(line) for c in step.cells for line in matrix_text(c.products).splitlines())
        # the matrices keep their width; the sum column is the one that breaks (at a +) on a narrow terminal
        work.add_column("window", no_wrap=True, min_width=window_width)
        work.add_column("window x kernel", no_wrap=True, min_width=product_width)
        work.add_column("sum", ratio=1)
        for cell in step.cells:
            terms = " + ".join(f"({format_fraction(v)})" for row in cell.products for v in row)
            bias = f" + ({format_fraction(step.bias)})" if step.bias else ""
            work.add_row(_cell(symbol, cell), Text(matrix_text(cell.window)), Text(matrix_text(cell.products)), Group(PlainFormula(terms + bias, later=f"{MARK} "), Text(f"= {format_fraction(cell.value)}")))
    elif step.op in ("maxpool", "avgpool"):
        work.add_column("window", no_wrap=True, min_width=window_width)
        work.add_column("max" if step.op == "maxpool" else "mean")
        for cell in step.cells:
            values = [format_fraction(v) for row in cell.window for v in row]
            how = f"max({', '.join(values)})" if step.op == "maxpool" else f"({' + '.join(values)}) / {len(values)}"
            work.add_row(_cell(symbol, cell), Text(matrix_text(cell.window)), Text(f"{how} = {format_fraction(cell.value)}"))
    else:
        work.add_column("value")
        for cell in step.cells:
            a = cell.window[0]
            how = f"max(0, {format_fraction(a[0])})" if step.op == "relu" else f"{format_fraction(a[0])} + ({format_fraction(a[1])})"
            work.add_row(_cell(symbol, cell), Text(f"{how} = {format_fraction(cell.value)}"))
    return Group(Text(step.label, style="bold"), Text(_how(step), style="dim"), _operands(step), work)


def render_resnet(block: ResNetBlock) -> Group:
    """The ResNet block step by step, then a^[l+1] and a^[l+2]."""
    where = "before" if block.skip == "before_relu" else "after"
    parts: list[Any] = [Text(f"ResNet block: skip connection added {where} the last ReLU; padding {block.padding}, stride {block.stride}", style="bold")]
    parts += [render_step(step) for step in block.steps]
    result = Table(show_header=True, header_style="bold", box=None)
    result.add_column(Text("a^[l+1]"), no_wrap=True)
    result.add_column(Text("a^[l+2]"), no_wrap=True)
    result.add_row(Text(matrix_text(block.a1)), Text(matrix_text(block.a2)))
    parts.append(result)
    return Group(*parts)


def render_pipeline(pipeline: Pipeline) -> Group:
    """Every stage of a conv file, in order."""
    parts: list[Any] = [Text(pipeline.title, style="bold underline")]
    for stage in pipeline.stages:
        parts.append(render_resnet(stage) if isinstance(stage, ResNetBlock) else render_step(stage))
    if not pipeline.parallel:
        parts.append(Text("output\n" + matrix_text(pipeline.output), style="bold"))
    return Group(*parts)


# --- LaTeX ---------------------------------------------------------------------------------------


def _latex_number(value: Fraction) -> str:
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def latex_matrix(matrix: Matrix) -> str:
    """``\\begin{bmatrix} ... \\end{bmatrix}`` with exact entries."""
    rows = " \\\\ ".join(" & ".join(_latex_number(v) for v in row) for row in matrix)
    return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}"


def _paren(value: Fraction) -> str:
    text = _latex_number(value)
    return f"({text})" if value < 0 else text


def latex_step(step: Step, *, name: str | None = None) -> str:
    """An ``aligned`` block: the operands, then one line per output cell with its work."""
    symbol = name or _OUTPUT_SYMBOL[step.op]
    lines = []
    if step.op == "conv":
        lines.append(f"{symbol} &= {latex_matrix(step.inputs[0])} \\star {latex_matrix(step.kernel)}" + (f" + {_latex_number(step.bias)}" if step.bias else "") + f" \\quad (\\text{{padding }} {step.padding}, \\text{{stride }} {step.stride})")
        for cell in step.cells:
            products = " + ".join(f"{_paren(a)} \\cdot {_paren(w)}" for wrow, krow in zip(cell.window, step.kernel) for a, w in zip(wrow, krow))
            bias = f" + {_paren(step.bias)}" if step.bias else ""
            lines.append(f"{symbol}_{{{cell.row + 1},{cell.col + 1}}} &= \\textstyle\\sum {latex_matrix(cell.window)} \\odot W = {products}{bias} = {_latex_number(cell.value)}")
    elif step.op in ("maxpool", "avgpool"):
        for cell in step.cells:
            values = [v for row in cell.window for v in row]
            if step.op == "maxpool":
                how = "\\max(" + ", ".join(_latex_number(v) for v in values) + ")"
            else:
                how = "\\tfrac{1}{" + str(len(values)) + "}(" + " + ".join(_paren(v) for v in values) + ")"
            lines.append(f"{symbol}_{{{cell.row + 1},{cell.col + 1}}} &= {how} = {_latex_number(cell.value)}")
    elif step.op == "relu":
        lines.append(f"{symbol} &= \\operatorname{{ReLU}}{latex_matrix(step.inputs[0])}")
    else:
        lines.append(f"{symbol} &= {latex_matrix(step.inputs[0])} + {latex_matrix(step.inputs[1])}")
    lines.append(f"{symbol} &= {latex_matrix(step.output)}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


_RESNET_NAMES = {
    "before_relu": ("z^{[l+1]}", "a^{[l+1]}", "z^{[l+2]}", "z^{[l+2]} + a^{[l]}", "a^{[l+2]}"),
    "after_relu": ("z^{[l+1]}", "a^{[l+1]}", "z^{[l+2]}", "\\operatorname{ReLU}(z^{[l+2]})", "a^{[l+2]}"),
}


def latex_resnet(block: ResNetBlock) -> list[str]:
    """One LaTeX block per step of the ResNet block."""
    return [latex_step(step, name=name) for step, name in zip(block.steps, _RESNET_NAMES[block.skip])]


def latex_pipeline(pipeline: Pipeline) -> list[str]:
    blocks: list[str] = []
    for stage in pipeline.stages:
        blocks += latex_resnet(stage) if isinstance(stage, ResNetBlock) else [latex_step(stage)]
    return blocks


# --- JSON ----------------------------------------------------------------------------------------


def _json_matrix(matrix: Matrix | None) -> Any:
    return None if matrix is None else [[format_fraction(v) for v in row] for row in matrix]


def _step_payload(step: Step) -> dict[str, Any]:
    return {
        "op": step.op,
        "label": step.label,
        "inputs": [_json_matrix(m) for m in step.inputs],
        "kernel": _json_matrix(step.kernel),
        "padding": step.padding,
        "stride": step.stride,
        "output": _json_matrix(step.output),
        "cells": [{"row": c.row + 1, "col": c.col + 1, "window": _json_matrix(c.window), "products": _json_matrix(c.products), "value": format_fraction(c.value)} for c in step.cells],
    }


def pipeline_payload(pipeline: Pipeline) -> dict[str, Any]:
    """``handnets conv --json``: exact numbers as strings ("7/2"), cells 1-based."""
    stages = []
    for stage in pipeline.stages:
        if isinstance(stage, ResNetBlock):
            stages.append({"op": "resnet", "skip": stage.skip, "a1": _json_matrix(stage.a1), "a2": _json_matrix(stage.a2), "steps": [_step_payload(s) for s in stage.steps]})
        else:
            stages.append(_step_payload(stage))
    return {"title": pipeline.title, "input": _json_matrix(pipeline.input), "parallel": pipeline.parallel, "stages": stages, "output": _json_matrix(pipeline.output)}


# --- the catalogue section -------------------------------------------------------------------------


def render_section(report: Any) -> Group:
    """The cnn section of ``python -m handnets.verify``: the P5 block worked out, pooling, checks."""
    parts: list[Any] = [render_resnet(report.resnet)]
    parts += [render_step(pool) for pool in report.pools]
    parts.append(render_checks(report.checks, title="cnn checks"))
    return Group(*parts)


def proof_document(report: Any) -> tuple[str, str]:
    """``proofs/cnn.md``: the P5 ResNet block and the pooling example, every cell worked in LaTeX."""
    lines = ["# Hand-computed CNN blocks (P5)", "", "Generated by `python -m handnets.verify --write-proofs proofs/`; do not edit.", ""]
    lines += [
        "## ResNet block",
        "",
        "Input $a^{[l]}$, filters $W_1$ and $W_2$; cross-correlation ($\\star$) with zero padding 1 and stride 1,",
        "no bias, ReLU; the skip connection is added before the last ReLU:",
        "$a^{[l+2]} = \\operatorname{ReLU}(W_2 \\star a^{[l+1]} + a^{[l]})$. With padding 1 and stride 1 a 3x3 filter keeps",
        "the 2x2 shape: $(2 - 3 + 2 \\cdot 1)/1 + 1 = 2$.",
        "",
    ]
    for block_latex in latex_resnet(report.resnet):
        lines += ["$$", block_latex, "$$", ""]
    lines += [f"**Answer:** $a^{{[l+1]}} = {latex_matrix(report.resnet.a1)}$, $a^{{[l+2]}} = {latex_matrix(report.resnet.a2)}$.", ""]
    lines += ["### The other placement: skip added after the last ReLU", "", f"$a^{{[l+2]}} = \\operatorname{{ReLU}}(z^{{[l+2]}}) + a^{{[l]}} = {latex_matrix(report.resnet_after.a2)}$.", ""]
    lines += ["## Pooling with 2x2 windows, stride 2", ""]
    for pool in report.pools:
        lines += [f"### {pool.label}", "", "$$", latex_step(pool), "$$", ""]
    lines += ["## Checks", ""]
    for check in report.checks:
        lines.append(f"- {'PASS' if check.passed else 'FAIL'} {check.name} ({check.method}; {check.detail})")
    return "cnn.md", "\n".join(lines) + "\n"
