"""Keys on cells: derived expected answers, cell definitions, and per-student variants chosen by a documented hash."""

from __future__ import annotations

import hashlib

import pytest

from handnets.derive.cellkey import Variant, cell_definitions, cell_reference
from handnets.errors import InvalidKey
from handnets.grading.grade import grade_sheet, judge_answer
from handnets.grading.key import key_from_mapping
from handnets.grading.sheet import loads_sheet


def _key(**question):
    base = {"id": "q", "type": "expression", "points": 2}
    return key_from_mapping({"title": "cells", "questions": [{**base, **question}]}, name="k", source="k.toml")


def test_cell_key_derived_expected_and_definitions_grade_a_gru_answer():
    question = _key(expected={"derived": "cell:gru.zbar_t"}, definitions="cell:gru", lhs="zbar_t").question("q")
    assert judge_answer(question, "hbar_t (h_{t-1} - n_t)").verdict == "correct"
    assert judge_answer(question, r"\overline{h^{(t)}} (h^{(t-1)} - \tanh(w_{xn} x_t + w_{hn} r_t h_{t-1}))").verdict == "correct"
    assert judge_answer(question, "hbar_t (n_t - h_{t-1})").verdict == "incorrect"


def test_cell_key_hbar_with_the_next_step_written_either_way():
    question = _key(expected={"derived": "cell:gru.hbar_t"}, definitions="cell:gru", lhs="hbar_t").question("q")
    named = "dL_dh_t + hbar_next z_next + nbar_next r_next w_hn (1 - n_next^2) + rbar_next r_next (1 - r_next) w_hr + zbar_next z_next (1 - z_next) w_hz"
    written = named.replace("nbar_next", "(hbar_next (1 - z_next))")
    assert judge_answer(question, named).verdict == "correct"
    assert judge_answer(question, written).verdict == "correct"
    assert judge_answer(question, "dL_dh_t + hbar_next z_next").verdict == "incorrect"


def test_cell_key_mistake_from_another_cell_is_recognised():
    question = _key(
        expected={"derived": "cell:gru-pytorch.rbar_t"}, definitions="cell:gru-pytorch", lhs="rbar_t",
        mistakes=[{"note": "gru.cho-placement", "answer": "h_prev nbar_t w_hn (1 - n_t^2)", "credit": 0.5}],
    ).question("q")
    verdict = judge_answer(question, "h_{t-1} w_hn nbar_t (1 - n_t^2)")
    assert verdict.note == "gru.cho-placement"
    assert judge_answer(question, "(w_hn h_{t-1} + b_hn) nbar_t (1 - n_t^2)").verdict == "correct"


@pytest.mark.parametrize(
    "question, message",
    [
        ({"expected": {"derived": "cell:nonesuch.hbar_t"}}, "not cell:<built-in cell>"),
        ({"expected": {"derived": "cell:gru.qbar_t"}}, "has no equation 'qbar_t'"),
        ({"expected": {"derived": "cell:gru"}}, "no equation"),
        ({"expected": "hbar_t", "definitions": "cell:nonesuch"}, "not cell:<built-in cell>"),
        ({"type": "integer", "expected": {"derived": "cell:gru.parameters.3x2"}}, "vector form"),
    ],
)
def test_cell_key_bad_references_are_named(question, message):
    with pytest.raises(InvalidKey) as caught:
        _key(**question)
    assert message in str(caught.value) and "question q" in str(caught.value)


def test_cell_key_parameter_count_of_a_vector_cell():
    # torch.nn.GRUCell(m, n) holds 3 (n m + n n + 2 n) numbers; an LSTM without biases 4 (n m + n n)
    assert cell_reference("cell:gru-pytorch-vector.parameters.3x2") == 3 * (3 * 2 + 3 * 3 + 2 * 3)
    assert cell_reference("cell:lstm-vector.parameters.4x5") == 4 * (4 * 5 + 4 * 4)


def test_cell_key_definitions_leave_the_next_states_free():
    names = {symbol.name for symbol in cell_definitions("cell:lstm")}
    assert {"ibar_next", "obar_t", "hbar_t", "cbar_t", "c_prev", "i_next"} <= names
    assert not {"hbar_next", "cbar_next", "dL_dh_t"} & names


# ------------------------------------------------------------------------------ variants


def _oracle_choice(salt, student, cells, sizes):
    """The hash of the documentation, recomputed here."""
    h = int.from_bytes(hashlib.sha256(f"{salt}:{student}".encode()).digest()[:8], "big")
    return cells[h % len(cells)], *sizes[(h // len(cells)) % len(sizes)]


@pytest.mark.parametrize("student", ["s001", "s002", "ada", "grace", "s042", "élève"])
def test_cell_variant_follows_the_documented_hash(student):
    cells, sizes = ("gru-cho", "gru-pytorch", "mgu", "lstm"), ((2, 3), (3, 2), (4, 4))
    assert Variant(cells, sizes, "hw3").choose(student) == _oracle_choice("hw3", student, cells, sizes)


def test_cell_variant_deals_every_cell_across_a_class():
    variant = Variant(("gru-cho", "gru-pytorch", "mgu"), ((1, 1),), "2026")
    assert {variant.choose(f"s{k:03}")[0] for k in range(60)} == {"gru-cho", "gru-pytorch", "mgu"}


VARIANT_KEY = {
    "title": "your own cell",
    "variant": {"cells": ["gru-cho", "gru-pytorch", "mgu"], "sizes": [[2, 3], [3, 2]], "salt": "hw3"},
    "questions": [
        {"id": "cell.hbar", "type": "expression", "prompt": "Your cell is {variant.cell}: give hbar_t.",
         "expected": {"derived": "cell:{variant.cell}.hbar_t"}, "definitions": "cell:{variant.cell}", "lhs": "hbar_t"},
        {"id": "cell.nbar", "type": "expression", "prompt": "Your cell is {variant.cell}: give the error signal of n_t.",
         "expected": {"derived": "cell:{variant.cell}.nbar_t"}, "definitions": "cell:{variant.cell}", "lhs": "nbar_t"},
        {"id": "cell.size", "type": "integer", "prompt": "Parameters of the vector form at n={variant.n}, m={variant.m}?",
         "expected": {"derived": "cell:gru-pytorch-vector.parameters.{variant.n}x{variant.m}"}},
    ],
}


def _student_on(cell_name):
    variant = Variant(("gru-cho", "gru-pytorch", "mgu"), ((2, 3), (3, 2)), "hw3")
    return next(f"s{k:03}" for k in range(500) if variant.choose(f"s{k:03}")[0] == cell_name)


def _grade(key, student, answers):
    lines = [f'student = "{student}"', "[answers]"] + [f'"{k}" = "{v}"' for k, v in answers.items()]
    return {v.id: v.verdict for v in grade_sheet(key, loads_sheet("\n".join(lines))).verdicts}


def test_cell_variant_key_grades_each_student_on_their_own_cell():
    key = key_from_mapping(VARIANT_KEY, name="v", source="v.toml")
    for cell_name in ("gru-cho", "gru-pytorch", "mgu"):
        student = _student_on(cell_name)
        own = key.for_student(student)
        assert cell_name in own.question("cell.hbar").prompt
        answers = {qid: own.question(qid).as_answer(own.question(qid).expected) for qid in ("cell.hbar", "cell.nbar")}
        assert _grade(key, student, answers) == {"cell.hbar": "correct", "cell.nbar": "correct", "cell.size": "missing"}


def test_cell_variant_key_refuses_a_neighbours_answer():
    """mgu's n_t is gated by f_t, the GRUs' by z_t: an answer copied from a neighbour on another cell is wrong."""
    key = key_from_mapping(VARIANT_KEY, name="v", source="v.toml")
    mgu, gru = _student_on("mgu"), _student_on("gru-cho")
    theirs = key.for_student(gru).question("cell.nbar")
    copied = theirs.as_answer(theirs.expected)
    assert _grade(key, mgu, {"cell.nbar": copied})["cell.nbar"] != "correct"
    assert _grade(key, gru, {"cell.nbar": copied})["cell.nbar"] == "correct"


def test_cell_variant_key_sizes_reach_the_integer_question():
    key = key_from_mapping(VARIANT_KEY, name="v", source="v.toml")
    student = "s007"
    _, n, m = Variant(("gru-cho", "gru-pytorch", "mgu"), ((2, 3), (3, 2)), "hw3").choose(student)
    assert key.for_student(student).question("cell.size").expected == 3 * (n * m + n * n + 2 * n)


@pytest.mark.parametrize(
    "variant, message",
    [
        ({"cells": []}, "cells"),
        ({"cells": ["nonesuch"]}, "not built-in cells"),
        ({"cells": ["gru"], "sizes": [[0, 2]]}, "sizes"),
        ({"cells": ["gru"], "colour": 1}, "expected a table"),
    ],
)
def test_cell_variant_bad_tables_are_named(variant, message):
    with pytest.raises(InvalidKey) as caught:
        key_from_mapping({**VARIANT_KEY, "variant": variant}, name="v", source="v.toml")
    assert message in str(caught.value) and caught.value.field == "variant"
