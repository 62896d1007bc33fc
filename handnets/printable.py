"""Text from files shown, never obeyed: control and invisible characters made visible as escapes.

One function, ``clean``, used wherever a name or an answer from a file is printed or stored for
printing: ``handnets.safeio.display_name`` (the file names that errors and results carry) and
``handnets.render.text`` (terminals, CSV cells, JSON). Two escapers would show the same name two
ways, and a result could not be matched to its file.

It shows ``ESC`` (which starts the terminal's OSC 52 clipboard writes, OSC 8 links, ``CSI 2J``
screen clears), every other C0 and C1 character, DEL, the bidirectional overrides and isolates that
reorder what is shown (``U+202E``), zero-width and every other format character (category Cf), line and
paragraph separators, and lone surrogates (a file name that is not UTF-8, as ``os.listdir`` gives
it, shown as the byte it really had), and code points that are unassigned or for private use. Spaces
of every width are kept: they are harmless and appear in real answers (``20\u2009362``). Nothing is
dropped.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean"]

_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u2028\u2029\ufeff"
)
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}\ud800-\udfff]")
_UNSAFE_BLOCK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}\ud800-\udfff]")  # keeps \t and \n


_HIDDEN = frozenset({"Cf", "Cn", "Co", "Zl", "Zp"})


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte the file name really had
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, *, lines: bool = False) -> str:
    r"""Every unsafe character shown as an escape; ``lines=True`` keeps newlines and tabs.

    >>> clean("a\x1b]52;c;aGk=\x07b")
    'a\\x1b]52;c;aGk=\\x07b'
    >>> clean("\u202eevil")
    '\\u202eevil'
    >>> clean("two\nlines", lines=True)
    'two\nlines'
    """
    pattern = _UNSAFE_BLOCK if lines else _UNSAFE_LINE
    if pattern.search(text):
        text = pattern.sub(_visible, text)
    if text.isascii() or text.isprintable():
        return text
    # every other format character is invisible too (U+0600, U+FFF9, tags); for unassigned and
    # private-use code points a font may draw anything, or nothing
    return "".join(_escape(ch) if unicodedata.category(ch) in _HIDDEN else ch for ch in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
