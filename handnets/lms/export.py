"""What every LMS export is read into: a bounded CSV table, the students' attempts, and per-row errors.

An export is hostile input like a sheet: it is read by ``handnets.safeio`` (a regular file, at most
``MAX_EXPORT_BYTES``), must be text (a NUL byte means a binary file), UTF-8 with or without a BOM, or
UTF-16 with its BOM (Excel's "Unicode text"); anything else stops with the byte offset. A row that
cannot be read (too many cells, no student id, an answer over ``MAX_ANSWER_CHARS``) is reported with
its row number and the reason, and the other rows go on. Row numbers count CSV records as a
spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from handnets.errors import InvalidExport
from handnets.safeio import display_name, read_bytes

__all__ = ["MAX_EXPORT_BYTES", "MAX_ANSWER_CHARS", "Table", "Column", "Identity", "Attempt", "RowError", "Export",
           "read_table", "parse_score"]

MAX_EXPORT_BYTES = 64 * 1024**2  # a 2,000-student course with long essays is a few MB
MAX_ANSWER_CHARS = 20_000  # one answer; a sheet holds at most 1 MB
_MAX_COLUMNS = 5_000
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class Table:
    """A CSV file as read: the header and each data row with its row number (the header is row 1)."""

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    errors: tuple[RowError, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    """A question's answer column: ``label`` is what the platform calls it (the key a --map file or
    ``[questions.source]`` uses), ``text`` the question as the export shows it (for matching by prompt)."""

    label: str
    text: str = ""
    aliases: tuple[str, ...] = ()  # other names a mapping may use (a Moodle slot number, a PrairieLearn qid alone)


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """Who a row belongs to: ``student`` names the sheet; the rest is what a gradebook upload needs."""

    student: str
    name: str = ""
    lms_id: str = ""  # Canvas user id, PrairieLearn uin
    sis_id: str = ""
    login: str = ""  # SIS login or e-mail
    section: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One student's answers from one attempt (one row, or PrairieLearn's rows of one student)."""

    rows: tuple[int, ...]
    identity: Identity
    number: int  # the platform's attempt number, else the order of the student's rows
    score: Fraction | None  # the platform's own score (for --attempt best), when it gives one
    answers: Mapping[str, Any]  # column label -> the answer as the student wrote it
    submissions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # PrairieLearn: label -> submission_id


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reason: str


@dataclass(frozen=True, slots=True)
class Export:
    """An export read: its question columns, every attempt, and the rows that could not be read."""

    format: str
    source: str
    columns: tuple[Column, ...]
    attempts: tuple[Attempt, ...]
    errors: tuple[RowError, ...]
    table: Table


def read_table(path: str, *, limit: int = MAX_EXPORT_BYTES) -> Table:
    """Read a CSV export, bounded; ragged rows and oversized answers become row errors.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "e.csv")
    >>> _ = open(path, "wb").write("\\ufeffa,b\\n1,2\\n\\n3,4,5\\n".encode())
    >>> table = read_table(path)
    >>> table.header, table.rows, table.errors
    (('a', 'b'), ((2, ('1', '2')),), (RowError(row=4, reason='3 cells, but the header has 2'),))
    """
    source = display_name(path)
    data = read_bytes(path, limit=limit, error=InvalidExport, what="a CSV export")
    text = _decode(data, source)
    if not text.strip():
        raise InvalidExport("the export is empty", source=source)
    csv.field_size_limit(max(csv.field_size_limit(), limit))  # the file is bounded; one answer is checked below
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InvalidExport(f"the header row is not CSV: {exc}", source=source) from None
    header = [cell.strip() for cell in header]
    if len(header) > _MAX_COLUMNS:
        raise InvalidExport(f"{len(header):,} columns, more than the {_MAX_COLUMNS:,} allowed", source=source)
    if len(header) < 2:
        raise InvalidExport("expected a CSV export with a header row of several columns, got one column", source=source)
    rows: list[tuple[int, tuple[str, ...]]] = []
    errors: list[RowError] = []
    number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the rest of the file cannot be split into records
            errors.append(RowError(number + 1, f"not CSV from here on: {exc}"))
            break
        number += 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            errors.append(RowError(number, f"{len(cells)} cells, but the header has {len(header)}"))
            continue
        cells = cells + [""] * (len(header) - len(cells))  # trailing empty cells are often left out
        rows.append((number, tuple(cells)))
    return Table(source=source, header=tuple(header), rows=tuple(rows), errors=tuple(errors))


def _delimiter(text: str) -> str:
    """The export's separator, from its header line: a comma, or the tab of Excel's "Unicode text" or
    the semicolon of a spreadsheet saved where the comma is the decimal mark, when they outnumber commas.

    >>> _delimiter("a,b;c\\n"), _delimiter("a\\tb\\tc\\n"), _delimiter("Name;Note/10,00;Antwort 1\\n")
    (',', '\\t', ';')
    """
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(("\t", ";"), key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _decode(data: bytes, source: str) -> str:
    if data.startswith(_UTF16):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidExport(f"not UTF-16 text after its byte-order mark (byte {exc.start})", source=source) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InvalidExport(f"a binary file (a NUL byte at byte {nul:,}), expected a CSV export", source=source)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidExport(f"not UTF-8 text (byte {exc.start:,}: 0x{data[exc.start]:02x}); export or save it as CSV UTF-8",
                            source=source) from None


_SCORE = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:/\s*(\d+(?:[.,]\d+)?)\s*)?$")


def parse_score(text: str) -> Fraction | None:
    """A platform's score cell as a number, or None (``-``, empty, anything else).

    >>> parse_score("28.00 / 30"), parse_score("7,5"), parse_score("-"), parse_score("n/a")
    (Fraction(28, 1), Fraction(15, 2), None, None)
    """
    match = _SCORE.match(text or "")
    if match is None or len(text) > 40:
        return None
    return Fraction(match.group(1).replace(",", "."))


def cell(cells: tuple[str, ...], index: int | None) -> str:
    """The cell at ``index`` stripped, or "" when the column is absent."""
    return cells[index].strip() if index is not None and index < len(cells) else ""


def answer_or_error(text: str, label: str, row: int, errors: list[RowError]) -> str | None:
    """An answer cell as kept (None when empty or too long; the too-long one is a row error)."""
    if len(text) > MAX_ANSWER_CHARS:
        errors.append(RowError(row, f"{label}: an answer of {len(text):,} characters, more than the {MAX_ANSWER_CHARS:,} "
                                    "allowed; left out"))
        return None
    return text if text.strip() else None
