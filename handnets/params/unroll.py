"""The unrolled graph of a vanilla RNN: its parameter count does not depend on the number of steps.

``unroll_vanilla_rnn`` builds the computation graph of
``h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)``, ``y_t = W_hy h_t + b_y`` for T steps, every step
pointing at the same five parameter tensors. Counting the distinct parameters reachable from the
outputs gives the same number for every T, while the number of parameter *uses* grows with T (that
is what a network with separate weights per step would have to learn).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from handnets.errors import InvalidSpec

__all__ = ["Parameter", "Node", "UnrolledGraph", "unroll_vanilla_rnn"]


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter tensor of the network: its name and shape (rows, columns)."""

    name: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return prod(self.shape)


@dataclass(frozen=True, slots=True)
class Node:
    """One operation of the unrolled graph; ``inputs`` name other nodes or parameters."""

    name: str
    op: str
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnrolledGraph:
    """The graph for ``steps`` steps, the parameter pool, and what the outputs actually reach."""

    steps: int
    nodes: tuple[Node, ...]
    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]

    def reached_parameters(self) -> tuple[Parameter, ...]:
        """The distinct parameters on some path into an output, found by walking the graph back."""
        by_name = {node.name: node for node in self.nodes}
        pool = {p.name: p for p in self.parameters}
        seen_nodes: set[str] = set()
        reached: dict[str, Parameter] = {}
        stack = list(self.outputs)
        while stack:
            name = stack.pop()
            if name in pool:
                reached[name] = pool[name]
            elif name in by_name and name not in seen_nodes:
                seen_nodes.add(name)
                stack.extend(by_name[name].inputs)
        return tuple(sorted(reached.values(), key=lambda p: p.name))

    @property
    def distinct_count(self) -> int:
        """The parameter count: each distinct tensor once, however many steps use it."""
        return sum(p.size for p in self.reached_parameters())

    @property
    def parameter_uses(self) -> int:
        """How many times some node reads some parameter tensor (grows with the steps)."""
        pool = {p.name for p in self.parameters}
        return sum(1 for node in self.nodes for name in node.inputs if name in pool)

    @property
    def unshared_count(self) -> int:
        """What the count would be with separate weights at every use (the contrast)."""
        pool = {p.name: p for p in self.parameters}
        return sum(pool[name].size for node in self.nodes for name in node.inputs if name in pool)


def unroll_vanilla_rnn(n_in: int, n_hidden: int, n_out: int, steps: int) -> UnrolledGraph:
    """Build the unrolled graph of the course's vanilla RNN (one hidden bias, one output bias).

    >>> g5, g10 = unroll_vanilla_rnn(20, 128, 10, 5), unroll_vanilla_rnn(20, 128, 10, 10)
    >>> g5.distinct_count, g10.distinct_count, g5.parameter_uses, g10.parameter_uses
    (20362, 20362, 25, 50)
    """
    for label, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out), ("steps", steps)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidSpec(f"{label} must be a positive integer, got {value!r}")
    parameters = (
        Parameter("W_xh", (n_hidden, n_in)),
        Parameter("W_hh", (n_hidden, n_hidden)),
        Parameter("b_h", (n_hidden,)),
        Parameter("W_hy", (n_out, n_hidden)),
        Parameter("b_y", (n_out,)),
    )
    nodes = [Node("h_0", "zeros", ())]
    outputs = []
    for t in range(1, steps + 1):
        nodes += [
            Node(f"x_{t}", "input", ()),
            Node(f"a_{t}", "matmul", ("W_xh", f"x_{t}")),
            Node(f"r_{t}", "matmul", ("W_hh", f"h_{t - 1}")),
            Node(f"z_{t}", "add", (f"a_{t}", f"r_{t}", "b_h")),
            Node(f"h_{t}", "tanh", (f"z_{t}",)),
            Node(f"o_{t}", "matmul", ("W_hy", f"h_{t}")),
            Node(f"y_{t}", "add", (f"o_{t}", "b_y")),
        ]
        outputs.append(f"y_{t}")
    return UnrolledGraph(steps, tuple(nodes), parameters, tuple(outputs))
