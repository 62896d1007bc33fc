r"""Untrusted input files, read with bounds: the one way handnets opens a sheet, key, weights or code file.

Every file a student or a colleague hands over may be something other than a small text file:
a FIFO (opening it would wait for a writer forever), a symlink to ``/dev/zero`` (reading it
never ends), a directory named ``x.toml``, several gigabytes, or bytes that are not UTF-8.
``read_text`` opens without blocking, checks after opening that it holds a regular file,
reads at most ``limit + 1`` bytes, strips a UTF-8 byte-order mark and decodes strictly; every
failure is one ``InputError`` (or the subclass asked for) naming the file and what was expected.

TOML from such files goes through ``loads_toml``: a linear pre-scan refuses what makes
``tomllib`` recurse, quadratic or raise (arrays nested 3,000 deep, 5,000-digit integers,
dotted keys of 30,000 parts) before the parser sees it, and any error the parser still
raises becomes "not valid TOML: why (line, column)". LaTeX typed into a double-quoted
string, where TOML reads ``\b`` as a backspace and ``\s`` as an error, gets its one-line fix.

>>> loads_toml(r"x = '\bar{c}'", source="demo")
{'x': '\\bar{c}'}
>>> latex_damage(loads_toml(r'x = "\bar{c}"', source="demo")["x"])
"LaTeX in a double-quoted string: use single quotes ('\\bar{c}') so the backslashes are kept"
"""

from __future__ import annotations

import os
import re
import stat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from handnets.errors import InputError
from handnets.printable import clean

__all__ = [
    "TomlLimits",
    "read_bytes",
    "read_text",
    "decode_text",
    "load_toml",
    "loads_toml",
    "display_name",
    "latex_damage",
    "MAX_FILE_BYTES",
]

MAX_FILE_BYTES = 1_000_000  # a homework sheet, a key or a weights file is a few kilobytes
_CHUNK = 1 << 16
_BOM = b"\xef\xbb\xbf"


def display_name(path: str | os.PathLike) -> str:
    """A file name as it can be printed: undecodable bytes and control characters escaped, never dropped.

    >>> display_name(os.fsdecode(b"caf\\xe9.toml")), display_name("a\\x1b[2Jb.toml")
    ('caf\\\\xe9.toml', 'a\\\\x1b[2Jb.toml')
    """
    return clean(os.fsdecode(os.fspath(path)))


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a plain file"


def _size(limit: int) -> str:
    if limit >= 1_000_000 and limit % 1_000_000 == 0:
        return f"{limit // 1_000_000} MB"
    if limit >= 1000 and limit % 1000 == 0:
        return f"{limit // 1000} kB"
    return f"{limit:,} bytes"


def read_bytes(
    path: str | os.PathLike, *, limit: int = MAX_FILE_BYTES, error: type[InputError] = InputError, what: str = "a text file"
) -> bytes:
    """At most ``limit`` bytes of a regular file; anything else raises ``error`` naming the file.

    Opened with ``O_NONBLOCK`` so that a FIFO cannot stall the open, then ``fstat`` on the open
    descriptor (not the name, which could be swapped in between) decides whether it is a file.
    """
    source = display_name(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(f"no such file, expected {what}", source=source) from None
    except PermissionError:
        raise error("cannot be read: permission denied", source=source) from None
    except OSError as exc:  # ELOOP, ENAMETOOLONG, ENXIO (a socket), ...
        raise error(f"cannot be opened: {exc.strerror or exc}", source=source) from None
    except ValueError:  # a NUL byte in the name
        raise error("cannot be opened: the name contains a NUL byte", source=source) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"not a regular file ({_kind(info.st_mode)}), expected {what}", source=source)
        if info.st_size > limit:
            raise error(f"is {info.st_size:,} bytes, more than the {_size(limit)} allowed", source=source)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:  # the size can lie (/proc, a file still growing): read at most limit + 1
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise error(f"holds more than the {_size(limit)} allowed", source=source)
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot be read: {exc.strerror or exc}", source=source) from None
    finally:
        os.close(fd)


def decode_text(data: bytes, *, source: str, error: type[InputError] = InputError) -> str:
    """UTF-8, strictly, without a leading byte-order mark; a bad byte is named by its offset.

    >>> decode_text(b"\\xef\\xbb\\xbfx = 1", source="s")
    'x = 1'
    """
    if data.startswith(_BOM):
        data = data[len(_BOM):]
        offset = len(_BOM)
    else:
        offset = 0
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise error(f"not UTF-8 text (byte {exc.start + offset}: 0x{byte:02x}); save the file as UTF-8", source=source) from None


def read_text(
    path: str | os.PathLike, *, limit: int = MAX_FILE_BYTES, error: type[InputError] = InputError, what: str = "a text file"
) -> str:
    """The text of a small UTF-8 file, read with ``read_bytes``' bounds."""
    return decode_text(read_bytes(path, limit=limit, error=error, what=what), source=display_name(path), error=error)


# ------------------------------------------------------------------------------ TOML


@dataclass(frozen=True, slots=True)
class TomlLimits:
    """What the pre-scan allows; far beyond any hand-written file, far below what hurts the parser."""

    depth: int = 32  # nested arrays and inline tables
    key_parts: int = 64  # dots between two separators (a.b.c = ...)
    token: int = 1000  # characters in one bare word (key, number, date) outside strings
    digits: int = 1000  # digits in one number (tomllib refuses ints over 4,300)
    size: int = MAX_FILE_BYTES  # characters of the whole text


_SEPARATORS = frozenset("=,[]{}\n")
_BLANKS = frozenset(" \t\r")


@dataclass(frozen=True, slots=True)
class _Suspect:
    """A backslash followed by letters inside a double-quoted string: LaTeX that TOML will mangle."""

    index: int  # where the backslash is (its line is counted only if a parse error needs it)
    text: str  # the line of the string holding it, as written, shortened


def _where(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _prescan(text: str, limits: TomlLimits, source: str, error: type[InputError]) -> tuple[_Suspect, ...]:
    """One pass over the text, outside strings and comments, counting what makes tomllib suffer."""
    if len(text) > limits.size:
        raise error(f"is {len(text):,} characters, more than the {_size(limits.size)} allowed", source=source)

    def refuse(index: int, message: str) -> InputError:
        line, column = _where(text, index)
        return error(f"refused before parsing: {message} (at line {line}, column {column})", source=source)

    suspects: list[_Suspect] = []
    depth = dots = token = digits = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch in "\"'":
            i = _skip_string(text, i, suspects)
            token += 1
            continue
        if ch in _SEPARATORS:
            if ch in "[{":
                depth += 1
                if depth > limits.depth:
                    raise refuse(i, f"arrays or inline tables nested more than {limits.depth} deep")
            elif ch in "]}":
                depth = max(0, depth - 1)
            dots = token = digits = 0
        elif ch in _BLANKS:
            token = digits = 0
        else:
            if ch.isdigit():
                digits += 1
                if digits > limits.digits:
                    raise refuse(i, f"a number of more than {limits.digits} digits")
            token += 1
            if token > limits.token:
                raise refuse(i, f"a bare word (key, number or date) longer than {limits.token} characters")
            if ch == ".":
                dots += 1
                if dots >= limits.key_parts:
                    raise refuse(i, f"a dotted key of more than {limits.key_parts} parts")
        i += 1
    return tuple(suspects)


_LATEX_AFTER_BACKSLASH = re.compile(r"\\([A-Za-z]{2,})")
_BASIC_SPECIAL = re.compile(r'[\\"\n]')
_LITERAL_SPECIAL = re.compile(r"['\n]")
_HEX = re.compile(r"[0-9A-Fa-f]{4}")


def _skip_string(text: str, start: int, suspects: list[_Suspect]) -> int:
    """The index just past the string that opens at ``start``; LaTeX in basic strings is noted."""
    quote = text[start]
    triple = text.startswith(quote * 3, start)
    opener = quote * 3 if triple else quote
    i = start + len(opener)
    n = len(text)
    special = _BASIC_SPECIAL if quote == '"' else _LITERAL_SPECIAL
    while i < n:
        found = special.search(text, i)  # jump to the next character that matters
        if found is None:
            i = n
            break
        i = found.start()
        ch = text[i]
        if ch == "\\":
            i += 2  # an escape: \" does not close the string
            continue
        if ch == "\n":
            if not triple:
                break  # an unterminated string: tomllib will say so
            i += 1
            continue
        if text.startswith(opener, i):
            end = i + len(opener)
            if triple:  # up to two more quotes may belong to the content
                while end < n and text[end] == quote and end - i < 5:
                    end += 1
            if quote == '"':
                _note_latex(text, start, start + len(opener), end - len(opener), suspects)
            return end
        i += 1
    if quote == '"':
        _note_latex(text, start, start + len(opener), i, suspects)
    return i


def _note_latex(text: str, start: int, begin: int, end: int, suspects: list[_Suspect]) -> None:
    r"""Note a backslash-letters run that TOML cannot read as an escape (\sigma, \overline, \underline):
    the parse will fail there. Runs TOML does read (\bar: a backspace, then "ar") are found after parsing."""
    content = text[begin:end]
    for match in _LATEX_AFTER_BACKSLASH.finditer(content):
        word = match.group(1)
        if word[0] in "btnfr" or word[0] in "uU" and _HEX.match(word, 1):
            continue  # a real escape: \n, \t, \u00e9
        end_of_line = content.find("\n", match.start())
        shown = content[content.rfind("\n", 0, match.start()) + 1 : None if end_of_line < 0 else end_of_line].strip()
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        suspects.append(_Suspect(index=begin + match.start(), text=shown))
        return


def _latex_message(line: int, suspect: _Suspect) -> str:
    return f"line {line}: LaTeX in a double-quoted string: use single quotes ('{suspect.text}') so the backslashes are kept"


def _on_line(text: str, line: int, suspects: tuple[_Suspect, ...]) -> _Suspect | None:
    """The first suspect on ``line`` (1-based), found in one pass over the text."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    return next((suspect for suspect in suspects if start <= suspect.index < end), None)


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def loads_toml(
    text: str, *, source: str, error: type[InputError] = InputError, limits: TomlLimits = TomlLimits()
) -> dict[str, Any]:
    """Parse untrusted TOML text, decimals kept exact (``Decimal``); every failure raises ``error``.

    >>> loads_toml("x = [[[1]]]", source="demo")["x"]
    [[[1]]]
    >>> try:
    ...     loads_toml("x = " + "[" * 40 + "]" * 40, source="demo")
    ... except InputError as exc:
    ...     print(exc)
    demo: refused before parsing: arrays or inline tables nested more than 32 deep (at line 1, column 37)
    """
    suspects = _prescan(text, limits, source, error)
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
    except RecursionError:
        reason = "nested too deeply"
    except MemoryError:
        reason = "too large to parse"
    except (ValueError, OverflowError) as exc:  # e.g. an int beyond the int-string conversion limit
        reason = f"a value cannot be read ({str(exc)[:100]})"
    position = _TOML_POSITION.search(reason)
    if position is not None and suspects:
        line = int(position.group(1))
        suspect = _on_line(text, line, suspects)
        if suspect is not None:
            raise error(_latex_message(line, suspect), source=source)
    raise error(f"not valid TOML: {reason}", source=source)


def load_toml(
    path: str | os.PathLike,
    *,
    error: type[InputError] = InputError,
    max_bytes: int = MAX_FILE_BYTES,
    what: str = "a TOML file",
) -> dict[str, Any]:
    """Read and parse an untrusted TOML file: ``read_text``'s bounds, then ``loads_toml``'s."""
    text = read_text(path, limit=max_bytes, error=error, what=what)
    return loads_toml(text, source=display_name(path), error=error, limits=TomlLimits(size=max_bytes))


# ------------------------------------------------------------------------------ LaTeX read as escapes

# What TOML's escapes \b \t \n \f \r turn the start of a LaTeX command into.
_ESCAPES = {"\b": "b", "\t": "t", "\n": "n", "\f": "f", "\r": "r"}
_COMMANDS = frozenset(
    "tanh tan theta tau times text textrm textbf top tilde to nabla nu neq ne not newline rho right rangle rm "
    "rvert frac bar beta boldsymbol bf big bigl bigr bmatrix".split()
)
_DAMAGE = re.compile(r"([\b\f])|([\t\n\r])([A-Za-z]+)")


def latex_damage(value: str) -> str | None:
    """If a parsed string looks like LaTeX whose ``\\b``, ``\\t``, ... TOML read as escapes, the fix.

    A backspace or form feed is never meant; a tab, newline or carriage return counts only when
    it starts a LaTeX command name (``\\tanh`` read as a tab then ``anh``).

    >>> latex_damage("\\bar{c}_t")
    "LaTeX in a double-quoted string: use single quotes ('\\\\bar{c}_t') so the backslashes are kept"
    >>> latex_damage("first line\\nsecond") is None
    True
    """
    damaged = False
    for match in _DAMAGE.finditer(value):
        if match.group(1) or _ESCAPES[match.group(2)] + match.group(3) in _COMMANDS:
            damaged = True
            break
    if not damaged:
        return None
    restored = "".join("\\" + _ESCAPES[ch] if ch in _ESCAPES else ch for ch in value)
    shown = restored if len(restored) <= 60 else restored[:57] + "..."
    return f"LaTeX in a double-quoted string: use single quotes ('{shown}') so the backslashes are kept"
