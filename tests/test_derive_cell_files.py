"""Cell files: malformed cells get one clear error naming the node; hostile text is never evaluated."""

from __future__ import annotations

import pytest

from handnets.derive.cellfile import cell_from_table, load_cell
from handnets.errors import InputError


def _table(**nodes):
    return {"name": "bad", "states": ["h"], "nodes": nodes}


@pytest.mark.parametrize(
    "nodes, field, message",
    [
        ({"z": "sigma(w_xz x_t + q_t)", "h": "z_t h_{t-1}"}, "nodes.z", "unknown name 'q_t'"),
        ({"z": "sigma(w_xz x_t + y)", "h": "z_t h_{t-1}"}, "nodes.z", "unknown name 'y'"),
        ({"z": "sigma(h_t)", "h": "tanh(z_t)"}, "nodes.z", "cycle at step t: z -> h -> z"),
        ({"z": "sigma(z_t)", "h": "tanh(z_t)"}, "nodes.z", "reads itself at step t"),
        ({"z": "sigma(n_t)", "n": "tanh(x_t)", "h": "z_t n_t"}, "nodes.z", "uses n_t before it is defined"),
        ({"z": "sigma(w_xz x_t +)", "h": "z_t"}, "nodes.z", "not an expression"),
        ({"z": "x_t = 3", "h": "z_t"}, "nodes.z", "not an expression"),
        ({"z": "sigma(x_t)", "h": "[1, 2]"}, "nodes.h", "not an expression"),
        ({"z": "sigma(z_{t-1})", "h": "z_t"}, "nodes.z", "z is not a state"),
        ({"z": "sigma(x_{t-1})", "h": "z_t"}, "nodes.z", "x is an input"),
        ({"z": "sigma(h_{t+1})", "h": "z_t"}, "nodes.z", "cannot read step t+1"),
        ({"z": "sigma(h_{t-2})", "h": "z_t"}, "nodes.z", "the step before only"),
        ({"z": "sigma(hbar_t)", "h": "z_t"}, "nodes.z", "error signal"),
        ({"z": 3, "h": "z_t"}, "nodes.z", "as a string"),
        ({"z": "log(x_t)", "h": "z_t"}, "nodes.z", "unknown function 'log'"),
        ({"z": "__import__('os').system('true')", "h": "z_t"}, "nodes.z", "not an expression"),
        ({"z": "sigma(x_t)" + " + x_t" * 200, "h": "z_t"}, "nodes.z", "longer than"),
        ({"Z": "sigma(x_t)", "h": "Z_t"}, "nodes.Z", "not a node name"),
        ({"zbar": "sigma(x_t)", "h": "x_t"}, "nodes.zbar", "not a node name"),
    ],
)
def test_cell_file_malformed_node_is_named(nodes, field, message):
    with pytest.raises(InputError) as caught:
        cell_from_table(_table(**nodes), source="bad.toml")
    assert caught.value.field == field
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"bad.toml: {field}: ")


@pytest.mark.parametrize(
    "table, field, message",
    [
        ({"states": ["h"]}, "nodes", "table [nodes]"),
        ({"states": ["c"], "nodes": {"h": "tanh(x_t)"}}, "states", "no equation"),
        ({"states": [], "nodes": {"h": "tanh(x_t)"}}, "states", "at least one state"),
        ({"states": "h", "nodes": {"h": "tanh(x_t)"}}, "states", "list of names"),
        ({"states": ["h"], "nodes": {"h": "tanh(x_t)"}, "output": "y"}, "output", "name of a node"),
        ({"states": ["h"], "nodes": {"h": "tanh(x_t)"}, "vector": "yes"}, "vector", "true or false"),
        ({"states": ["h"], "nodes": {"h": "tanh(w_a x_t)"}, "weights": ["w_a", "w_b"]}, "weights", "no equation uses"),
        ({"states": ["h"], "nodes": {"h": "tanh(w_a x_t + q)"}, "weights": ["w_a"]}, "nodes.h", "unknown name 'q'"),
        ({"states": ["h"], "nodes": {"h": "tanh(x_t)"}, "weights": ["h_t"]}, "weights", "not a weight name"),
        ({"states": ["h"], "nodes": {"h": "tanh(x_t)"}, "colour": 1}, None, "unknown keys ['colour']"),
        ({"states": ["h"], "inputs": ["h"], "nodes": {"h": "tanh(x_t)"}}, "inputs", "both inputs and nodes"),
        ({"states": ["h"], "nodes": {f"a{k}": "x_t" for k in range(20)} | {"h": "x_t"}}, "nodes", "at most"),
    ],
)
def test_cell_file_malformed_table_names_the_field(table, field, message):
    with pytest.raises(InputError) as caught:
        cell_from_table(table, source="bad.toml")
    assert caught.value.field == field
    assert message in str(caught.value)


def test_cell_file_declared_weights_may_have_any_identifier():
    cell = cell_from_table({"states": ["h"], "nodes": {"h": "tanh(alpha x_t + beta h_{t-1})"}, "weights": ["alpha", "beta"]}, source="t")
    assert cell.weights == ("alpha", "beta")


def test_cell_file_latex_and_sympy_spellings_read_the_same():
    latex = cell_from_table({"states": ["h"], "nodes": {"z": r"\sigma(w_{xz} x^{(t)} + w_{hz} h^{(t-1)})", "h": r"z^{(t)} h^{(t-1)}"}}, source="a")
    plain = cell_from_table({"states": ["h"], "nodes": {"z": "sigmoid(w_xz*x_t + w_hz*h_prev)", "h": "z_t*h_prev"}}, source="b")
    assert latex.nodes == plain.nodes and latex.weights == plain.weights


def test_cell_file_bad_files_are_named(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(InputError, match="not a built-in cell"):
        load_cell(str(missing))
    broken = tmp_path / "broken.toml"
    broken.write_text("states = [h\n", encoding="utf-8")
    with pytest.raises(InputError, match="broken.toml"):
        load_cell(str(broken))
    damaged = tmp_path / "damaged.toml"
    damaged.write_text('states = ["h"]\n[nodes]\nh = "\\tanh(x_t)"\n', encoding="utf-8")
    with pytest.raises(InputError, match="single quotes"):
        load_cell(str(damaged))


def test_cell_file_cli_error_is_one_line_exit_2(cli, tmp_path):
    path = tmp_path / "cycle.toml"
    path.write_text("states = ['h']\n[nodes]\nz = 'sigma(h_t)'\nh = 'tanh(z_t)'\n", encoding="utf-8")
    result = cli("derive", "cell", str(path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("error: ")
    assert "nodes.z" in result.err and "cycle" in result.err


def test_cell_file_too_large_to_prove_is_refused_in_bounded_time():
    # each node reads every node before it twice: the substituted step doubles per node
    nodes = {"a0": "tanh(w_x x_t)"}
    for j in range(1, 8):
        nodes[f"a{j}"] = "tanh(" + " + ".join(f"w_{j}{i} a{i}_t a{i}_t" for i in range(j)) + ")"
    nodes["h"] = "tanh(a7_t + h_{t-1})"
    with pytest.raises(InputError, match="too large to prove") as caught:
        cell_from_table({"states": ["h"], "nodes": nodes}, source="big.toml")
    assert caught.value.field.startswith("nodes.a")


def test_cell_file_name_defaults_to_a_safe_file_stem(tmp_path):
    path = tmp_path / ".odd name!.toml"
    path.write_text("states = ['h']\n[nodes]\nh = 'tanh(w_hh h_{t-1})'\n", encoding="utf-8")
    assert load_cell(str(path)).name == "cell"
    plain = tmp_path / "my cell.toml"
    plain.write_text("states = ['h']\n[nodes]\nh = 'tanh(w_hh h_{t-1})'\n", encoding="utf-8")
    assert load_cell(str(plain)).name == "my_cell"
