"""Check a trained adder the way a hand-built one is checked: every input up to a length, then a proof attempt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handnets.trained.enumerate import MAX_WORK, Enumeration, enumerate_task
from handnets.trained.model import TrainedRNN
from handnets.trained.prove import Proof, prove_adder

__all__ = ["TrainedCheck", "check_trained", "DEFAULT_MAX_LEN"]

DEFAULT_MAX_LEN = 12
# a float32 state takes finitely many values, and add-msb must remember all n digits before answering
_NO_MSB_PROOF = (
    "none for add-msb: it must remember every digit before answering, and a float32 state has finitely "
    "many values, so no float32 network is right for every length; checked up to the length enumerated"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainedCheck:
    model: TrainedRNN
    enumeration: Enumeration
    proof: Proof
    answer_input: tuple[float, float] = (0.0, 0.0)

    @property
    def correct(self) -> bool:
        """Right on every valid pair of every length enumerated."""
        return self.enumeration.wrong_pairs == 0


def check_trained(
    model: TrainedRNN,
    task: str = "add",
    max_len: int = DEFAULT_MAX_LEN,
    *,
    answer_input: tuple[float, float] = (0.0, 0.0),
    strict: bool = False,
    max_work: int = MAX_WORK,
    progress: Callable[[int, int], None] | None = None,
) -> TrainedCheck:
    """Enumerate lengths 1..max_len (fewer if the work bound says so, unless ``strict``) and try the proof (``add``).

    >>> from handnets.trained.designs import hand_relu_adder
    >>> result = check_trained(hand_relu_adder(), max_len=5)
    >>> result.correct, result.proof.proved
    (True, True)
    """
    enumeration = enumerate_task(model, task, max_len, answer_input=answer_input, strict=strict, max_work=max_work, progress=progress)
    if task == "add":
        proof = prove_adder(model)
    else:
        proof = Proof(False, "none", _NO_MSB_PROOF)
    return TrainedCheck(model=model, enumeration=enumeration, proof=proof, answer_input=tuple(answer_input))
