"""A blank answer sheet for a key that gives nothing away.

Each question gets its prompt and one example of the syntax its answer type accepts; the example is
the first of a few candidates that scores nothing on every question of the key (judged as a
student's answer would be), so a template never shows a question's own answer, a listed mistake
with credit, or a hint that contains one. Question ids are quoted keys (``"lstm.cbar_t" = ...``,
``[answers."q1.adder"]``): a dotted bare key would be a nested table in TOML.
"""

from __future__ import annotations

import json

from handnets.grading.grade import judge_answer
from handnets.grading.key import Key, Question
from handnets.render.grading import _VOCABULARY_NOTE, _comment, format_score
from handnets.render.text import json_safe

__all__ = ["format_template", "EXAMPLES"]

# per answer type: (value written in the sheet, what the comment says about it), the first that answers nothing wins
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "integer": (('"3*(4*5 + 6)"', "a whole number; arithmetic and 1 000 or 1,000 are read too"),
                ('"7*(11*13 + 2)"', "a whole number; arithmetic is read too")),
    "number": (('"1/7"', 'a number; "0.25" and "sqrt(2)" are read too'), ('"3/11"', "a number")),
    "expression": (("'2*x_t*(1 - sigmoid(h_prev))'", r"or LaTeX such as '\frac{x_t}{2} \odot \sigma(h_{t-1})'"),
                   ("'x_t**3 + h_prev'", r"or LaTeX such as 'x_t^3 + h_{t-1}'")),
    "matrix": (("[[7, 0], [0, 7]]", 'entries may be "7/2" or 3.5'), ("[[9, 1], [1, 9]]", "")),
    "shape": (("[5, 5, 2]", 'or "5x5x2"'), ("[9, 9, 1]", 'or "9x9x1"')),
    "big_o": (('"O(n*log(n))"', "big-O in the question's sizes"), ('"O(n**3)"', "big-O in the question's sizes")),
    "choice": (('""', "one of: {choices}"),),
    "text": (('"..."', "free text, read by a person"),),
}


def _gives_away(value_text: str, questions: tuple[Question, ...]) -> bool:
    """Whether the example scores anything on any question (it would then be that question's answer or a hint)."""
    from handnets.safeio import loads_toml

    value = loads_toml(f"v = {value_text}", source="template")["v"]
    for question in questions:
        if question.type in ("text", "adder", "choice"):
            continue
        if judge_answer(question, value).score > 0:
            return True
    return False


def _example(question: Question, key: Key, verdicts: dict[tuple[str, str], bool]) -> str:
    """``verdicts`` keeps each (type, candidate)'s judgement: the same for every question of the type."""
    same_type = tuple(q for q in key.questions if q.type == question.type)
    candidates = EXAMPLES[question.type]
    for value, note in candidates:
        if (question.type, value) not in verdicts:
            verdicts[question.type, value] = question.type not in ("text", "choice") and _gives_away(value, same_type)
        if not verdicts[question.type, value]:
            note = note.format(choices=", ".join(question.options.choices)) if question.type == "choice" else note
            return f"{_quoted(question.id)} = {value}   # {note}".rstrip(" #")
    return f'{_quoted(question.id)} = ""   # an answer of type {question.type}'


def _quoted(question_id: str) -> str:
    return json.dumps(json_safe(question_id), ensure_ascii=False)  # a JSON string of scalars is a TOML basic string


def format_template(key: Key) -> str:
    """A blank answer sheet for ``key``: every prompt as a comment, an example of accepted syntax per type."""
    lines = [_comment(f"Answer sheet for: {key.title}"), "",
             "# Check your sheet before you submit it: handnets lint --key public.toml SHEET.toml",
             "# (public.toml is the key without its answers, from your course staff).", "",
             '# student = "your id"   # optional: defaults to the file name', "", _VOCABULARY_NOTE.rstrip("\n"),
             "# The examples below show the syntax only: none of them answers a question.", "", "[answers]"]
    adders = []
    verdicts: dict[tuple[str, str], bool] = {}
    for question in key.questions:
        if question.type == "adder":
            adders.append(question)
            continue
        lines.append("")
        lines.append(_comment(f"{question.prompt} ({format_score(question.points)} points)"))
        if question.vocabulary:
            lines.append(_comment(f"names you may use: {', '.join(question.vocabulary)}"))
        lines.append(_comment(_example(question, key, verdicts)))
    for adder in adders:
        lines += [
            "",
            _comment(f"{adder.prompt} ({format_score(adder.points)} points)"),
            "# (uncomment the table and fill it in; numbers may be ints, decimals or \"p/q\" strings)",
            f"# [answers.{_quoted(adder.id)}]",
            '# threshold = "ge"            # optional: "ge" (step(0) = 1) or "gt" (step(0) = 0)',
            "# W_xh = [[0, 0], [0, 0], [0, 0]]",
            "# W_hh = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]",
            "# b_h  = [0, 0, 0]",
            "# W_hy = [[0, 0, 0]]",
            "# b_y  = 0",
        ]
    return "\n".join(lines) + "\n"
