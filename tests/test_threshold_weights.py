"""Weights files: exact numbers, every accepted form, and a clear error for every malformed one."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from handnets.errors import InvalidWeights
from handnets.threshold import classic_adder, load_weights, prove, weights_from_mapping

CLASSIC = """\
threshold = "ge"
W_xh = [[1, 1], [1, 1], [1, 1]]
W_hh = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
b_h  = [-0.5, -1.5, -2.5]
W_hy = [[1, -1, 1]]
b_y  = -0.5
h0   = [0, 0, 0]
"""


def write(tmp_path: Path, text: str, name: str = "w.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_weights_classic_file_equals_builtin(tmp_path):
    assert load_weights(write(tmp_path, CLASSIC), inputs=2, outputs=1) == classic_adder()


def test_weights_example_file_equals_builtin():
    path = Path(__file__).resolve().parents[1] / "examples" / "adder" / "classic.toml"
    assert load_weights(path) == classic_adder()


@pytest.mark.parametrize(
    ("replace", "by"),
    [
        ("W_hy = [[1, -1, 1]]", "W_hy = [1, -1, 1]"),
        ("b_y  = -0.5", "b_y = [-0.5]"),
        ("b_y  = -0.5", 'b_y = "-1/2"'),
        ("b_h  = [-0.5, -1.5, -2.5]", 'b_h = ["-1/2", "-3/2", -2.5]'),
        ("b_h  = [-0.5, -1.5, -2.5]", "b_h = [-5e-1, -15e-1, -2.50]"),
        ('threshold = "ge"\n', ""),
        ("h0   = [0, 0, 0]\n", ""),
    ],
)
def test_weights_accepted_forms_read_the_same(tmp_path, replace, by):
    assert replace in CLASSIC
    assert load_weights(write(tmp_path, CLASSIC.replace(replace, by))) == classic_adder()


def test_weights_decimal_read_as_written():
    net = weights_from_mapping(
        {"W_xh": [[Decimal("0.1"), Decimal("0.2")]], "W_hh": [[0]], "b_h": [Decimal("-0.3")], "W_hy": [1], "b_y": 0},
        source="t",
    )
    assert net.W_xh[0] == (Fraction(1, 10), Fraction(1, 5))
    # 0.1 + 0.2 - 0.3 is exactly 0 with exact decimals (and 5.55e-17 in floats)
    assert net.hidden_pre((0,), (1, 1)) == (0,)


def test_weights_decimal_sum_exactly_zero_is_convention_sensitive(tmp_path):
    # unit 1 reads 0.1 a + 0.2 b - 0.3: on a = b = 1 it sits exactly at 0
    text = CLASSIC.replace("W_xh = [[1, 1], [1, 1], [1, 1]]", "W_xh = [[0.1, 0.2], [1, 1], [1, 1]]").replace(
        "b_h  = [-0.5, -1.5, -2.5]", "b_h = [-0.3, -1.5, -2.5]"
    )
    net = load_weights(write(tmp_path, text))
    ge, gt = prove(net.with_threshold("ge")), prove(net.with_threshold("gt"))
    assert ge.margin == 0 and gt.margin == 0
    assert ge.convention_sensitive


@pytest.mark.parametrize(
    ("replace", "by", "field", "fragment"),
    [
        ("W_xh = [[1, 1], [1, 1], [1, 1]]\n", "", "W_xh", "missing"),
        ("b_y  = -0.5\n", "", "b_y", "missing"),
        ("W_xh = [[1, 1], [1, 1], [1, 1]]", "W_xh = [[1, 1, 1], [1, 1, 1]]", "W_xh", "expected a 3x2"),
        ("W_xh = [[1, 1], [1, 1], [1, 1]]", "W_xh = [[1, 1], [1], [1, 1]]", "W_xh", "rows of lengths 1, 2"),
        ("W_xh = [[1, 1], [1, 1], [1, 1]]", "W_xh = [1, 1]", "W_xh", "got a flat list of 2"),
        ("W_hh = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]", "W_hh = [[0, 1], [0, 1]]", "W_hh", "expected a 3x3"),
        ("W_hy = [[1, -1, 1]]", "W_hy = [[1, -1]]", "W_hy", "expected a 1x3"),
        ("W_hy = [[1, -1, 1]]", "W_hy = [[1, -1, 1], [1, 1, 1]]", "W_hy", "expected a 1x3"),
        ("b_y  = -0.5", "b_y = [-0.5, 1]", "b_y", "expected 1 bias"),
        ("b_y  = -0.5", "b_y = nan", "b_y[0]", "finite"),
        ("b_y  = -0.5", "b_y = inf", "b_y[0]", "finite"),
        ("b_y  = -0.5", "b_y = -inf", "b_y[0]", "finite"),
        ("b_y  = -0.5", "b_y = true", "b_y[0]", "boolean"),
        ("b_y  = -0.5", 'b_y = "half"', "b_y[0]", "expected a number"),
        ("b_y  = -0.5", 'b_y = "1/0"', "b_y[0]", "division by zero"),
        ("b_y  = -0.5", "b_y = 1979-05-27", "b_y[0]", "expected a number"),
        ("b_h  = [-0.5, -1.5, -2.5]", "b_h = -0.5", "b_h", "flat list"),
        ("b_h  = [-0.5, -1.5, -2.5]", "b_h = [[-0.5], [-1.5], [-2.5]]", "b_h", "flat list"),
        ("W_hh = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]", 'W_hh = [[0, 1, 0], [0, "x", 0], [0, 1, 0]]', "W_hh[1][1]", "expected a number"),
        ('threshold = "ge"', 'threshold = ">="', None, None),
        ('threshold = "ge"', 'threshold = "geq"', "threshold", '"ge"'),
        ('threshold = "ge"', "threshold = 0", "threshold", '"gt"'),
        ("h0   = [0, 0, 0]", "h0 = [0, 2, 0]", "h0", "3 bits"),
        ("h0   = [0, 0, 0]", "h0 = [0, 0]", "h0", "3 bits"),
        ("h0   = [0, 0, 0]", "h0 = [true, false, false]", "h0", "3 bits"),
        ("h0   = [0, 0, 0]", "W_hx = [[1, 1]]", "W_hx", "did you mean W_xh"),
        ("b_h  = [-0.5, -1.5, -2.5]", "b_h = []", "b_h", "hidden units"),
    ],
)
def test_weights_malformed_file_names_field_and_expectation(tmp_path, replace, by, field, fragment):
    assert replace in CLASSIC
    path = write(tmp_path, CLASSIC.replace(replace, by))
    if field is None:
        load_weights(path, inputs=2, outputs=1)  # accepted alias
        return
    with pytest.raises(InvalidWeights) as info:
        load_weights(path, inputs=2, outputs=1)
    error = info.value
    assert error.source == str(path)
    assert error.field == field
    assert fragment in error.message
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"W_xh = [[1, 1]\n", "not valid TOML"),
        (b"\xff\xfe\x00W", "not UTF-8"),
        (b"", "missing"),
    ],
)
def test_weights_unreadable_file_is_invalid(tmp_path, content, fragment):
    path = tmp_path / "w.toml"
    path.write_bytes(content)
    with pytest.raises(InvalidWeights, match=fragment):
        load_weights(path)


def test_weights_missing_file_is_invalid(tmp_path):
    with pytest.raises(InvalidWeights, match="no such file"):
        load_weights(tmp_path / "nope.toml")


def test_weights_enormous_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * 2_000_001)
    with pytest.raises(InvalidWeights, match="more than"):
        load_weights(path)


def test_weights_too_many_hidden_units_refused():
    k = 65
    with pytest.raises(InvalidWeights, match="1 to 64 hidden units"):
        weights_from_mapping({"W_xh": [[1, 1]] * k, "W_hh": [[0] * k] * k, "b_h": [0] * k, "W_hy": [0] * k, "b_y": 0}, source="t")


def test_weights_error_is_a_value_error():
    with pytest.raises(ValueError):
        weights_from_mapping({}, source="t")
