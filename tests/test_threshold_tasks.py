"""Tasks: every built-in reference machine against integer arithmetic written here, task files read safely.

The oracle (``tests/_threshold_oracle.py``) computes each task's outputs from the operands with Python integers (a + b, a - b,
a > b on the low bits, popcount, 3a) and decides validity from the numbers; it shares nothing with
the tables or the ``expected_bit`` definitions in ``handnets.threshold.tasks``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _threshold_oracle import oracle_outputs, oracle_valid, words

from handnets.errors import InputError, InvalidTask
from handnets.threshold.enumerate import check_definition
from handnets.threshold.reference import BinaryAddition
from handnets.threshold.tasks import TASKS, as_task, builtin_task, load_task, resolve_task, task_from_mapping


@pytest.mark.parametrize("name", TASKS)
def test_tasks_reference_machine_matches_integer_arithmetic_on_every_word(name):
    task = builtin_task(name)
    longest = 7 if task.inputs == 2 else 12
    for n in range(1, longest + 1):
        for word in words(task.inputs, n):
            operands = task.decode(word)
            assert [y[0] for y in task.outputs_of(word)] == oracle_outputs(name, operands, n), (name, operands, n)


@pytest.mark.parametrize("name", TASKS)
def test_tasks_validity_matches_the_stated_convention(name):
    task = builtin_task(name)
    longest = 6 if task.inputs == 2 else 10
    for n in range(1, longest + 1):
        for word in words(task.inputs, n):
            assert task.is_valid(word) == oracle_valid(name, task.decode(word), n), (name, word)


@pytest.mark.parametrize("name", TASKS)
def test_tasks_direct_definition_agrees_with_the_table(name):
    words_compared, differ = check_definition(builtin_task(name), 6)
    assert words_compared > 0 and differ == 0


def test_tasks_definition_check_catches_a_wrong_table():
    task = builtin_task("add")
    table = {q: dict(row) for q, row in task.table.items()}
    table[1][(1, 1)] = (1, (0,))  # 1 + 1 + carry written as 0
    broken = type(task)(**{**{f: getattr(task, f) for f in task.__dataclass_fields__}, "table": table})
    assert check_definition(broken, 3)[1] > 0


ADD_FILE = """
inputs = 2
start = "c0"
padding = "00"
[transitions.c0]
"00" = ["c0", 0]
"10" = ["c0", 1]
"01" = ["c0", 1]
"11" = ["c1", 0]
[transitions.c1]
"00" = ["c0", 1]
"10" = ["c1", 0]
"01" = ["c1", 0]
"11" = ["c1", 1]
"""


def test_tasks_file_reads_addition_as_the_builtin_computes_it(tmp_path):
    path = tmp_path / "add.toml"
    path.write_text(ADD_FILE, encoding="utf-8")
    task = load_task(path)
    add = builtin_task("add")
    for n in range(1, 6):
        for word in words(2, n):
            assert task.outputs_of(word) == add.outputs_of(word)
            assert task.is_valid(word) == add.is_valid(word)
    assert task.name == "add" and task.padding == (0, 0) and task.padding_steps == 1


def test_tasks_resolve_reads_names_and_files(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(ADD_FILE, encoding="utf-8")
    assert resolve_task("parity").name == "parity"
    assert resolve_task(str(path)).inputs == 2


@pytest.mark.parametrize(
    ("text", "field", "words_in_message"),
    [
        ('start = "s"\n[transitions.s]\n"0" = ["s", 0]\n"1" = ["s", 1]\n', "inputs", "missing"),
        ('inputs = 1\nstart = "s"\nstates = 2\n[transitions.s]\n"0" = ["s", 0]\n"1" = ["s", 1]\n', "states", "unknown key"),
        ('inputs = 1\nstrat = "s"\n[transitions.s]\n"0" = ["s", 0]\n"1" = ["s", 1]\n', "strat", "did you mean start"),
        ('inputs = 1\nstart = "s"\n[transitions.s]\n"0" = ["s", 0]\n', "transitions.s", "no transition for input 1"),
        ('inputs = 1\nstart = "s"\n[transitions.s]\n"0" = ["t", 0]\n"1" = ["s", 1]\n', "transitions.s.0", "next state 't'"),
        ('inputs = 1\nstart = "s"\n[transitions.s]\n"0" = ["s", 2]\n"1" = ["s", 1]\n', "transitions.s.0", "output 2"),
        ('inputs = 1\nstart = "s"\n[transitions.s]\n"0" = ["s", 0]\n"1" = ["s", 1]\n"2" = ["s", 1]\n', "transitions.s.2", "expected 1 bits"),
        ('inputs = 1\nstart = "s"\n[transitions.s]\n"0" = ["s", "01"]\n"1" = ["s", 1]\n', "transitions.s.1", "expected 2 output"),
        ('inputs = 0\nstart = "s"\n[transitions.s]\n', "inputs", "from 1 to 6"),
        ('inputs = true\nstart = "s"\n[transitions.s]\n', "inputs", "whole number"),
        ('inputs = 1\nstart = "x"\n[transitions.s]\n"0" = ["s", 0]\n"1" = ["s", 1]\n', "start", "no [transitions.x]"),
        ('inputs = 2\nstart = "s"\npadding = "0"\n[transitions.s]\n"00" = ["s", 0]\n"01" = ["s", 0]\n"10" = ["s", 0]\n"11" = ["s", 0]\n',
         "padding", "expected 2 bits"),
        ('inputs = 1\nstart = "s"\npadding_steps = 2\n[transitions.s]\n"0" = ["s", 0]\n"1" = ["s", 1]\n', "padding_steps", "needs padding"),
        ('inputs = 1\nstart = "s"\n[transitions.s]\n"0" = "s"\n"1" = ["s", 1]\n', "transitions.s.0", "[next state, output]"),
    ],
)
def test_tasks_file_errors_name_the_field(tmp_path, text, field, words_in_message):
    path = tmp_path / "task.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidTask) as info:
        load_task(path)
    assert info.value.field == field and words_in_message in info.value.message
    assert "task.toml: " in str(info.value)


def test_tasks_file_not_toml_is_one_clear_error(tmp_path):
    path = tmp_path / "task.toml"
    path.write_text("inputs = [", encoding="utf-8")
    with pytest.raises(InvalidTask, match="not valid TOML"):
        load_task(path)


def test_tasks_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        load_task(tmp_path / "absent.toml")


def test_tasks_unknown_name_suggests_the_nearest():
    with pytest.raises(InvalidTask, match="did you mean parity"):
        resolve_task("parrity")


def test_tasks_a_mealy_machine_becomes_the_addition_task():
    task = as_task(BinaryAddition())
    assert task.name == "add" and task.outputs_of([(1, 1), (0, 0)]) == ((0,), (1,))


def test_tasks_several_outputs_from_a_file():
    data = {"inputs": 1, "start": "s", "transitions": {"s": {"0": ["s", "01"], "1": ["s", "10"]}}}
    task = task_from_mapping(data, source="two.toml")
    assert task.outputs == 2 and task.outputs_of([(1,), (0,)]) == ((1, 0), (0, 1))


def test_tasks_examples_folder_files_load():
    folder = Path(__file__).resolve().parents[1] / "examples" / "tasks"
    for path in sorted(folder.glob("*.toml")):
        assert load_task(path).table
