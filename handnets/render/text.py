"""Text from files made safe for every output: terminals, CSV cells, JSON, and file names.

Students choose their names, file names and answers; a key's author chooses ids and notes. None of
that may act on whoever reads the output:

- ``clean`` shows control characters instead of sending them: ``ESC`` (which starts the terminal's
  OSC 52 clipboard writes, OSC 8 links, ``CSI 2J`` screen clears), every other C0 and C1 character,
  DEL, the bidirectional overrides and isolates that reorder what is shown (``U+202E``), line and
  paragraph separators, and lone surrogates (a file name that is not UTF-8, as ``os.listdir`` gives
  it) all become visible escapes such as ``\\x1b`` or ``\\u202e``. Nothing is dropped.
- ``Text(clean(...))`` is how renderers print such text: rich never reads it as markup, so
  ``[bold red]FAKE 100/100[/bold red]`` prints literally and ``[/]`` cannot crash the run.
- ``csv_cell`` adds the apostrophe a spreadsheet needs before ``= + - @``, tab and CR.
- ``json_safe`` replaces lone surrogates in a JSON payload (JSON itself escapes control characters).
- ``escape_filename`` / ``unescape_filename``: a reversible file name for any student id.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from handnets.printable import _visible, clean

__all__ = ["clean", "csv_cell", "json_safe", "escape_filename", "unescape_filename"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: control characters escaped, formulas defused.

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("-1"), csv_cell(3)
    ("'=HYPERLINK(1)", "'-1", '3')
    """
    text = value if isinstance(value, str) else str(value)
    # a spreadsheet runs a cell starting with = + - @ (or a tab or CR before them) as a formula
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return clean(text)


def json_safe(value: Any) -> Any:
    """``value`` with lone surrogates in its strings made visible (strict JSON readers reject them)."""
    if isinstance(value, str):
        return _SURROGATE.sub(_visible, value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _kept(char: str) -> bool:
    if char.isascii():
        return char.isalnum() or char in "_-."
    return char.isalnum() and unicodedata.category(char)[0] in "LN"  # letters and digits of any script


def escape_filename(name: str) -> str:
    """A file name for ``name``: letters and digits of any script kept, everything else percent-escaped.

    Injective (``unescape_filename`` inverts it), never empty, never hidden (a leading dot is escaped),
    never ``~`` (left free for de-duplicating suffixes).

    >>> escape_filename("张伟"), escape_filename("a/b c"), escape_filename(".."), escape_filename("dup~2")
    ('张伟', 'a%2Fb%20c', '%2E.', 'dup%7E2')
    >>> unescape_filename(escape_filename("x%\\udcff"))
    'x%\\udcff'
    """
    parts = []
    for index, char in enumerate(name):
        if _kept(char) and not (index == 0 and char == "."):
            parts.append(char)
        else:
            try:
                raw = char.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:  # a surrogate no file name can hold (none reach here from a file)
                raw = "\ufffd".encode("utf-8")
            parts.append("".join(f"%{byte:02X}" for byte in raw))
    return "".join(parts) or "%"


def unescape_filename(escaped: str) -> str:
    """The name ``escape_filename`` was given (the bare ``%`` stands for the empty name)."""
    if escaped == "%":
        return ""
    raw = re.sub(rb"%([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), escaped.encode("utf-8"))
    return raw.decode("utf-8", "surrogateescape")
