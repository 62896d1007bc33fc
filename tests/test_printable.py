"""The one escaper for text from files: nothing invisible or controlling survives, nothing is dropped."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from handnets.printable import clean

ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def unescape(text: str) -> str:
    """The inverse of clean for text that held no backslash (an independent reading of the escapes)."""
    return ESCAPE.sub(lambda m: chr(int(m.group(1)[1:], 16)), text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_clean_leaves_only_printable_characters_and_spaces(text):
    assert all(ch.isprintable() or unicodedata.category(ch) == "Zs" for ch in clean(text))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\\"), max_size=80))
def test_clean_drops_nothing(text):
    assert unescape(clean(text)) == text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Cn", "Co", "Zl", "Zp")), max_size=80))
def test_clean_keeps_ordinary_text_as_it_is(text):
    assert clean(text) == text


def test_clean_shows_an_undecodable_file_name_byte_as_the_byte():
    assert clean(b"caf\xe9.toml".decode("utf-8", "surrogateescape")) == "caf\\xe9.toml"
