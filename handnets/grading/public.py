"""The public half of a key: what a student may see to check a sheet, and nothing that gives an answer away.

A public key keeps each question's id, prompt, points, answer type, its left-hand side, the extra
names an answer may use (``vocabulary``), which definitions it is judged under and, for a choice, the
choices; it drops the expected answers, the known mistakes, every feedback and every option. It is
written as TOML with ``public = true`` at the top::

    public = true
    title = "RNN homework"

    [[questions]]
    id = "lstm.cbar_t"
    prompt = "P2. The error signal cbar_t = dL/dc_t, including the path from step t+1."
    points = 2
    type = "expression"
    lhs = "cbar_t"

``load_any_key`` reads either kind; a public key grades nothing (its questions have no expected answer),
so only ``handnets lint`` takes one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from handnets.errors import InvalidKey, InvalidNumber
from handnets.exact import to_fraction
from handnets.grading.key import ANSWER_TYPES, BUILTIN_KEYS, Key, Options, Question, load_key
from handnets.grading.references import known_definitions
from handnets.safeio import latex_damage, load_toml

__all__ = ["PUBLIC_FIELDS", "public_toml", "key_from_public", "load_any_key"]

PUBLIC_FIELDS = ("id", "prompt", "points", "type", "lhs", "vocabulary", "definitions", "asks", "choices")


def _string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's (``\\uXXXX`` for anything unprintable)."""
    return json.dumps(value, ensure_ascii=True)


def _points(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else _string(f"{value.numerator}/{value.denominator}")


def _bare(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _string(name)


def public_toml(key: Key) -> str:
    """``key`` without its answers, as a public TOML key (``handnets key public``).

    >>> text = public_toml(load_key("homework"))
    >>> "public = true" in text and "expected" not in text and "mistakes" not in text
    True
    """
    lines = ["# The public half of a key: prompts, ids, types and names, no answers.",
             "# Check an answer sheet against it with: handnets lint --key THIS_FILE SHEET.toml", "",
             "public = true", f"title = {_string(key.title)}"]
    for question in key.questions:
        lines += ["", "[[questions]]", f"id = {_string(question.id)}", f"prompt = {_string(question.prompt)}",
                  f"points = {_points(question.points)}", f"type = {_string(question.type)}"]
        if question.lhs is not None:
            lines.append(f"lhs = {_string(question.lhs)}")
        if question.vocabulary:
            lines.append(f"vocabulary = [{', '.join(_string(v) for v in question.vocabulary)}]")
        if question.definitions is not None:
            lines.append(f"definitions = {_string(question.definitions)}")
        if question.asks is not None:
            lines.append(f"asks = {_string(question.asks)}")
        if question.options.choices:
            lines.append(f"choices = [{', '.join(_string(c) for c in question.options.choices)}]")
    return "\n".join(lines) + "\n"


def _strings(raw: Mapping[str, Any], name: str, where: str, source: str) -> tuple[str, ...]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidKey(f"{name}: expected a list of strings", source=source, field=where)
    return tuple(value)


def _public_question(raw: Any, index: int, source: str) -> Question:
    if not isinstance(raw, dict):
        raise InvalidKey("expected a table", source=source, field=f"questions[{index}]")
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise InvalidKey("expected a non-empty string id", source=source, field=f"questions[{index}].id")
    where = f"question {qid}"
    unknown = set(raw) - set(PUBLIC_FIELDS)
    if unknown:
        raise InvalidKey(f"unknown field(s) {', '.join(sorted(unknown))} in a public key (expected only "
                         f"{', '.join(PUBLIC_FIELDS)})", source=source, field=where)
    kind = raw.get("type")
    if kind not in ANSWER_TYPES:
        raise InvalidKey(f"type: expected one of {', '.join(ANSWER_TYPES)}, got {kind!r}", source=source, field=where)
    for name in ("prompt", "lhs", "definitions", "asks"):
        if name in raw and (not isinstance(raw[name], str) or latex_damage(raw[name]) is not None):
            raise InvalidKey(f"{name}: expected a string", source=source, field=where)
    if raw.get("definitions") is not None and raw["definitions"] not in known_definitions():
        raise InvalidKey(f"definitions: expected one of {', '.join(known_definitions())}", source=source, field=where)
    try:
        points = to_fraction(raw.get("points", 1))
    except InvalidNumber as exc:
        raise InvalidKey(f"points: {exc.message}", source=source, field=where) from None
    if points < 0:
        raise InvalidKey("points must not be negative", source=source, field=where)
    try:
        return Question(id=qid, prompt=raw.get("prompt", ""), points=points, type=kind, expected=None, expected_text="",
                        lhs=raw.get("lhs"), definitions=raw.get("definitions"),
                        vocabulary=_strings(raw, "vocabulary", where, source),
                        options=Options(choices=_strings(raw, "choices", where, source)), asks=raw.get("asks"))
    except ValueError as exc:
        raise InvalidKey(str(exc), source=source, field=where) from None


def key_from_public(data: Mapping[str, Any], *, name: str, source: str) -> Key:
    """Validate a parsed public key: only public fields, every problem naming the question and the field."""
    unknown = set(data) - {"public", "title", "questions"}
    if unknown:
        raise InvalidKey(f"unknown top-level key(s) {', '.join(sorted(unknown))}; expected public, title and [[questions]]",
                         source=source)
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise InvalidKey("expected at least one [[questions]] table", source=source, field="questions")
    parsed = [_public_question(raw, index, source) for index, raw in enumerate(questions)]
    title = data.get("title", name)
    if not isinstance(title, str):
        raise InvalidKey("expected a string", source=source, field="title")
    try:
        return Key(name=name, title=title, questions=tuple(parsed), source=source)
    except ValueError as exc:
        raise InvalidKey(str(exc), source=source, field="questions") from None


def load_any_key(name_or_path: str | Path) -> Key:
    """A built-in key, a key file, or a public key file (``public = true``)."""
    if str(name_or_path) in BUILTIN_KEYS:
        return load_key(name_or_path)
    path = Path(name_or_path)
    if not path.exists():
        return load_key(name_or_path)  # its error names the file and the built-in keys
    data = load_toml(path, error=InvalidKey, what="a TOML key")
    if data.get("public") is True:
        return key_from_public(data, name=path.stem, source=str(path))
    return load_key(path)
