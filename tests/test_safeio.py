"""handnets.safeio: files that are not small text files, and TOML that hurts the standard parser."""

from __future__ import annotations

import os
import unicodedata
import threading
import tomllib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _bounded import run_bounded
from handnets.errors import InputError, InvalidKey, InvalidSheet
from handnets.safeio import (
    MAX_FILE_BYTES,
    TomlLimits,
    decode_text,
    display_name,
    latex_damage,
    load_toml,
    loads_toml,
    read_bytes,
    read_text,
)


def _within(seconds: float, function, *args, **kwargs):
    """Call ``function`` in a thread; fail (instead of hanging the suite) if it has not returned in time."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{function.__name__} blocked for more than {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# ------------------------------------------------------------------------------ files that are not files


def test_read_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "sheet.toml"
    os.mkfifo(fifo)
    with pytest.raises(InvalidSheet, match=r"sheet\.toml: not a regular file \(a FIFO\)"):
        _within(10, read_text, fifo, error=InvalidSheet)


def test_read_symlink_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match=r"not a regular file \(a character device\)"):
        _within(10, read_bytes, link)


def test_read_symlink_to_regular_file_is_followed(tmp_path):
    target = tmp_path / "real.toml"
    target.write_text("x = 1\n", encoding="utf-8")
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    assert read_text(link) == "x = 1\n"


def test_read_directory_is_refused(tmp_path):
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(InputError, match=r"not a regular file \(a directory\)"):
        read_text(folder)


def test_read_missing_file_says_so(tmp_path):
    with pytest.raises(InvalidKey, match=r"nowhere\.toml: no such file"):
        read_text(tmp_path / "nowhere.toml", error=InvalidKey)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_read_unreadable_permissions_says_so(tmp_path):
    path = tmp_path / "secret.toml"
    path.write_text("x = 1\n", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        read_text(path)


def test_read_dangling_symlink_is_no_such_file(tmp_path):
    link = tmp_path / "dangling.toml"
    link.symlink_to(tmp_path / "gone.toml")
    with pytest.raises(InputError, match="no such file"):
        read_text(link)


def test_read_symlink_loop_is_refused(tmp_path):
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    with pytest.raises(InputError, match="cannot be opened"):
        read_text(loop)


# ------------------------------------------------------------------------------ sizes


def test_read_limit_exactly_is_accepted(tmp_path):
    path = tmp_path / "exact.toml"
    path.write_bytes(b"#" * 100)
    assert len(read_bytes(path, limit=100)) == 100


def test_read_limit_one_over_is_refused(tmp_path):
    path = tmp_path / "over.toml"
    path.write_bytes(b"#" * 101)
    with pytest.raises(InputError, match="101 bytes, more than the 100 bytes allowed"):
        read_bytes(path, limit=100)


def test_read_default_limit_is_one_megabyte(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(InputError, match="more than the 1 MB allowed"):
        read_bytes(path)


def test_read_file_growing_past_its_size_stops_at_the_limit():
    # /proc files report size 0 and may hold more: the read itself must stop at limit + 1
    with pytest.raises(InputError, match="more than the 10 bytes allowed"):
        read_bytes("/proc/self/maps", limit=10)


# ------------------------------------------------------------------------------ decoding


def test_decode_strips_byte_order_mark():
    assert decode_text(b"\xef\xbb\xbfstudent = 's1'\n", source="s") == "student = 's1'\n"


def test_decode_non_utf8_names_byte_offset():
    with pytest.raises(InputError, match=r"s: not UTF-8 text \(byte 4: 0xff\)"):
        decode_text(b"x = \xff\n", source="s")


def test_decode_offset_counts_the_byte_order_mark():
    with pytest.raises(InputError, match=r"byte 7: 0xfe"):
        decode_text(b"\xef\xbb\xbfx = \xfe", source="s")


def test_decode_utf16_is_refused():
    with pytest.raises(InputError, match="not UTF-8"):
        decode_text("x = 1".encode("utf-16"), source="s")


@given(st.text(max_size=200))
def test_decode_roundtrips_any_text(text):
    assert decode_text(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode(), source="s") == text.encode(
        "utf-8", "surrogatepass"
    ).decode("utf-8", "replace").removeprefix("\ufeff")


def test_display_name_escapes_undecodable_bytes():
    assert display_name(os.fsdecode(b"\xc9l\xe8ve.toml")) == "\\xc9l\\xe8ve.toml"


def test_display_name_escapes_terminal_controls():
    assert display_name("x\x1b]52;c;ZXZpbA==\x07.toml") == "x\\x1b]52;c;ZXZpbA==\\x07.toml"


@given(st.binary(min_size=1, max_size=60).filter(lambda b: b"\0" not in b and b"/" not in b))
def test_display_name_is_printable_for_any_file_name(raw):
    # printable, but for spaces of other widths (U+3000), which are kept as they are
    assert all(ch.isprintable() or unicodedata.category(ch) == "Zs" for ch in display_name(os.fsdecode(raw)))


# ------------------------------------------------------------------------------ TOML bombs


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x = " + "[" * 3000 + "]" * 3000, "nested more than 32 deep"),
        ("x = " + "{a = " * 3000 + "1" + "}" * 3000, "nested more than 32 deep"),
        ("x = " + "9" * 5000, "more than 1000 digits"),
        ("x = -" + "1_0" * 2000, "longer than 1000 characters"),
        ("a" + ".a" * 30_000 + " = 1", "more than 64 parts"),
        ('"a"' + '."a"' * 20_000 + " = 1", "more than 64 parts"),
        ("[" + "a." * 30_000 + "a]", "more than 64 parts"),
        ("[[" + "a." * 30_000 + "a]]", "more than 64 parts"),
        ("k" * 5000 + " = 1", "longer than 1000 characters"),
    ],
    ids=["arrays", "inline-tables", "int", "int-underscores", "dotted-key", "quoted-dotted-key", "table-header", "array-header", "long-key"],
)
def test_toml_bomb_is_refused_before_parsing(text, fragment):
    with pytest.raises(InputError, match="refused before parsing") as info:
        loads_toml(text, source="bomb.toml")
    assert fragment in str(info.value) and "line 1, column" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 3000 + "]" * 3000,
        "x = " + "{a = " * 3000 + "1" + "}" * 3000,
        "x = " + "9" * 5000,
        "a" + ".a" * 30_000 + " = 1",
    ],
    ids=["arrays", "inline-tables", "int", "dotted-key"],
)
def test_toml_bomb_is_bounded_in_a_child_process(text):
    # the child would need gigabytes or minutes if the pre-scan let the bomb through to tomllib
    code = (
        "from handnets.safeio import loads_toml\nfrom handnets.errors import InputError\n"
        f"try:\n    loads_toml({text!r}, source='b')\nexcept InputError as exc:\n    print('refused', exc)\n"
    )
    done = run_bounded(code, seconds=30, memory=512 << 20)
    assert done.returncode == 0 and done.stdout.startswith("refused"), done.stderr[-500:]


def test_toml_at_the_limits_is_accepted():
    limits = TomlLimits()
    text = (
        "x = " + "[" * (limits.depth - 1) + "1" + "]" * (limits.depth - 1) + "\n"
        + "y = " + "9" * limits.digits + "\n"
        + ".".join(["k"] * (limits.key_parts - 1)) + " = 1\n"
    )
    data = loads_toml(text, source="ok.toml")
    assert data["y"] == int("9" * limits.digits)


def test_toml_strings_may_hold_anything_the_scan_counts():
    text = 'x = "' + "[{" * 100 + '"\ny = \'' + "a." * 200 + "'\nz = \"\"\"\n" + "9" * 2000 + '\n"""\n# [[[[[[' + "[" * 100 + "\n"
    data = loads_toml(text, source="ok.toml")
    assert data["x"] == "[{" * 100 and data["y"] == "a." * 200


def test_toml_decimals_stay_exact():
    assert loads_toml("b = -0.1", source="s") == {"b": Decimal("-0.1")}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x = ", "not valid TOML"),
        ("x = 'unterminated\n", "not valid TOML"),
        ("x = 1\nx = 2\n", "not valid TOML"),
        ("[a]\n[a]\n", "not valid TOML"),
        ("x = \x00\n", "not valid TOML"),
        ("x = 1979-13-45\n", "not valid TOML"),
    ],
)
def test_toml_errors_name_source_and_reason(text, fragment):
    with pytest.raises(InputError) as info:
        loads_toml(text, source="bad.toml")
    assert str(info.value).startswith(f"bad.toml: {fragment}: ")


@given(st.text(max_size=300))
def test_toml_any_text_parses_or_raises_input_error(text):
    try:
        loads_toml(text, source="any")
    except InputError:
        pass


@given(st.text(alphabet="[]{}=,.\"'a1 \n#\\", max_size=300))
def test_toml_scan_agrees_with_tomllib_on_small_inputs(text):
    # below every limit, the pre-scan must never refuse what tomllib reads
    try:
        expected = tomllib.loads(text, parse_float=Decimal)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return
    assert loads_toml(text, source="s", limits=TomlLimits(depth=1000, key_parts=1000)) == expected


# ------------------------------------------------------------------------------ LaTeX in double quotes


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (r'a = "\sigma(x)"', r"'\sigma(x)'"),
        (r'a = "\overline{c_t}"', r"'\overline{c_t}'"),
        (r'a = "\partial L / \partial c_t"', r"'\partial L / \partial c_t'"),
        (r'a = "\underline{h}"', r"'\underline{h}'"),
    ],
)
def test_toml_latex_that_breaks_parsing_gets_the_fix(line, shown):
    with pytest.raises(InputError) as info:
        loads_toml("x = 1\n" + line + "\n", source="sheet.toml")
    assert str(info.value) == f"sheet.toml: line 2: LaTeX in a double-quoted string: use single quotes ({shown}) so the backslashes are kept"


@pytest.mark.parametrize(
    ("written", "restored"),
    [
        (r"\bar{c}_t", r"\bar{c}_t"),
        (r"\frac{1}{2}", r"\frac{1}{2}"),
        (r"1 - \tanh(c_t)^2", r"1 - \tanh(c_t)^2"),
        (r"\nabla L", r"\nabla L"),
        (r"\rho + \times", r"\rho + \times"),
    ],
)
def test_latex_damage_detects_escapes_tomllib_accepted(written, restored):
    value = loads_toml(f'a = "{written}"', source="s")["a"]
    assert latex_damage(value) == f"LaTeX in a double-quoted string: use single quotes ('{restored}') so the backslashes are kept"


@pytest.mark.parametrize("value", ["line one\nline two", "a\tb", "tanh(c_t)", r"\bar{c}", "x\n\ty", "\u00e9"])
def test_latex_damage_leaves_ordinary_strings_alone(value):
    assert latex_damage(value) is None


def test_load_toml_reads_a_file_through_every_bound(tmp_path):
    path = tmp_path / "w.toml"
    path.write_bytes(b"\xef\xbb\xbfb_y = -0.5\n")
    assert load_toml(path) == {"b_y": Decimal("-0.5")}


def test_toml_latex_hint_in_a_multiline_string_names_the_backslash_line():
    with pytest.raises(InputError) as info:
        loads_toml('x = """\nfirst\n\\sigma(c)\n"""\n', source="s")
    assert str(info.value) == "s: line 3: LaTeX in a double-quoted string: use single quotes ('\\sigma(c)') so the backslashes are kept"


def test_toml_real_escapes_do_not_earn_the_latex_hint():
    with pytest.raises(InputError) as info:
        loads_toml('x = "a\\nb" y\n', source="s")
    assert "LaTeX" not in str(info.value) and "not valid TOML" in str(info.value)
