"""A trained model file as a graded answer: where the file may be, and the key's rule for credit.

The answer is a path to the student's model file, relative to the answer sheet's folder (or to the
folder grading runs in when the sheet is not a file), without ``..`` and not absolute: an answer
can name its own file, not the grader's. Credit: full when the digit accuracy at every length
1..max_len is at least ``min_accuracy`` (exact fractions), none otherwise; a proof for every length is
reported as a bonus note in the feedback, it adds no points.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePath

from handnets.errors import InputError
from handnets.trained.check import check_trained
from handnets.trained.load import load_model

__all__ = ["Assessment", "assess_model", "model_path"]


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the grader needs: the fraction of the points, a stable note, feedback and how the model read."""

    credit: Fraction
    note: str  # "correct", "trained.accuracy", "undecided"
    feedback: str
    reading: str


def model_path(submitted: object, folder: str | None) -> Path:
    """The file an answer names, inside ``folder`` (the sheet's; the working folder if None); ``InputError`` if
    the name would leave it."""
    if not isinstance(submitted, str) or not submitted.strip() or len(submitted) > 300 or "\x00" in submitted:
        raise InputError("expected the path of a model file (.safetensors, .npz, .pt), as a short string")
    relative = PurePath(submitted.strip())
    if relative.is_absolute() or ".." in relative.parts:
        raise InputError(f"expected a path relative to the answer sheet's folder, without '..', got {submitted.strip()!r}")
    return (Path(folder) if folder else Path.cwd()) / relative


def assess_model(path: Path, *, max_len: int, min_accuracy: Fraction, task: str = "add", nonlinearity: str = "relu") -> Assessment:
    """Check the model on every valid pair up to ``max_len`` and apply the rule (``InvalidWeights`` if unreadable)."""
    model = load_model(path, nonlinearity=nonlinearity)
    result = check_trained(model, task, max_len)
    enumeration = result.enumeration
    reading = f"{'+'.join(map(str, model.hidden))} {model.nonlinearity} units, checked on every pair of lengths 1..{enumeration.max_len}"
    if enumeration.requested_len is not None:
        return Assessment(Fraction(0), "undecided", (
            f"too big to check up to length {max_len} in the time allowed (stopped at {enumeration.max_len}); "
            "flagged for a human grader"), reading)
    worst = min(enumeration.lengths, key=lambda r: (r.digit_accuracy, -r.n))
    bonus = " Bonus: proved right for every length." if result.proof.proved else ""
    if worst.digit_accuracy >= min_accuracy:
        summary = "every digit right" if worst.digit_accuracy == 1 else f"digit accuracy at least {_percent(worst.digit_accuracy)} at every length"
        return Assessment(Fraction(1), "correct", f"{summary} up to length {enumeration.max_len}.{bonus}", reading)
    failure = enumeration.shortest_failure
    return Assessment(Fraction(0), "trained.accuracy", (
        f"digit accuracy {_percent(worst.digit_accuracy)} at length {worst.n}, below the {_percent(min_accuracy)} asked; "
        f"the shortest wrong input is a = {failure.a}, b = {failure.b} ({len(failure.expected)} digits), first wrong at step "
        f"{failure.step}: expected {''.join(map(str, failure.expected))}, got {''.join(map(str, failure.got))}"), reading)


def _percent(value: Fraction) -> str:
    return f"{100 * float(value):.2f}%" if value != 1 else "100%"
