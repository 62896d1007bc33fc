"""How the grader does on the realistic-answer corpus: N/M right, false accepts, false rejects, per class.

Run from a worktree root (the handnets on PYTHONPATH is the one measured)::

    PYTHONPATH=$PWD /work/venv/bin/python tests/realistic_figures.py [--branch-free]

``--branch-free`` leaves out the header naming the code measured (its path and git commit), so the
output can go into the README as it is. The verdicts compared against are the corpus's own
(``tests/data/realistic_answers.toml``), confirmed by ``tests/realistic_oracle.py``, never handnets'.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realistic_oracle import CORPUS, load_cases  # noqa: E402

LIMIT_SECONDS = 10


@dataclass(frozen=True)
class Outcome:
    case: dict
    index: int
    got: str  # the grader's verdict, "skipped" (no such question in the key) or "error"
    score: Fraction | None  # fraction of the points
    feedback: str

    @property
    def expected(self) -> str:
        return self.case["verdict"]

    @property
    def credit_problem(self) -> str:
        """Why the score disagrees with the corpus's credit, or ''."""
        if self.score is None:
            return ""
        if self.expected == "correct" and self.score != 1:
            return f"score {self.score} for a correct answer"
        if "credit" in self.case and self.score != Fraction(str(self.case["credit"])):
            return f"credit {self.score}, expected {self.case['credit']}"
        if self.case.get("partial") and not 0 < self.score < 1:
            return f"credit {self.score}, expected partial credit"
        if self.expected != "correct" and self.score == 1:
            return "full credit for a wrong answer"
        return ""

    @property
    def right(self) -> bool:
        return self.got == self.expected and not self.credit_problem

    @property
    def false_accept(self) -> bool:
        return self.expected != "correct" and (self.got == "correct" or self.score == 1)

    @property
    def false_reject(self) -> bool:
        return self.expected == "correct" and self.got not in ("correct", "skipped")

    @property
    def confusion(self) -> bool:
        """An invalid answer judged wrong, or a wrong one sent back as unreadable."""
        return {self.expected, self.got} == {"invalid", "incorrect"}


class _Timeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Timeout


def judge_case(key, case: dict, index: int = 0) -> Outcome:
    """Grade one corpus case with the handnets on the path, under a time limit of its own."""
    from handnets.grading.grade import judge_answer

    try:
        question = key.question(case["question"])
    except KeyError:
        return Outcome(case, index, "skipped", None, f"the key has no question {case['question']!r} yet")
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, LIMIT_SECONDS)
    try:
        verdict = judge_answer(question, case["answer"])
    except _Timeout:
        return Outcome(case, index, "error", None, f"no verdict within {LIMIT_SECONDS} s")
    except Exception as exc:  # a crash is a misjudgement too; the figures say which
        return Outcome(case, index, "error", None, f"{type(exc).__name__}: {exc}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    score = Fraction(verdict.score) / Fraction(verdict.max_score) if verdict.max_score else Fraction(0)
    return Outcome(case, index, verdict.verdict, score, verdict.feedback)


def grade_corpus(path: Path = CORPUS) -> list[Outcome]:
    from handnets.grading.key import load_key

    key = load_key("homework")
    return [judge_case(key, case, i) for i, case in enumerate(load_cases(path))]


def _header() -> str:
    import handnets

    root = Path(handnets.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        branch = subprocess.run(["git", "-C", str(root), "branch", "--show-current"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, branch = "", ""
    return f"handnets from {root} (branch {branch or '?'}: {commit[:70] or '?'})"


def _short(value, limit: int = 70) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def report(outcomes: list[Outcome]) -> str:
    judged = [o for o in outcomes if o.got != "skipped"]
    skipped = len(outcomes) - len(judged)
    right = sum(o.right for o in judged)
    lines = [
        f"{right}/{len(judged)} right ({100 * right / max(1, len(judged)):.1f}%)"
        + (f"; {skipped} skipped (question not in the key)" if skipped else ""),
        f"false accepts (a wrong or unreadable answer given full credit): {sum(o.false_accept for o in judged)}",
        f"false rejects (a right answer marked incorrect, invalid or undecided): {sum(o.false_reject for o in judged)}",
        f"invalid-vs-incorrect confusions: {sum(o.confusion for o in judged)}",
        f"verdict right, credit wrong: {sum(o.got == o.expected and bool(o.credit_problem) for o in judged)}",
        "",
        "expected \\ got: " + ", ".join(
            f"{e}->{g} {n}" for (e, g), n in sorted(Counter((o.expected, o.got) for o in judged).items())),
        "",
    ]
    by_class: dict[str, list[Outcome]] = defaultdict(list)
    for o in judged:
        by_class[o.case["cls"]].append(o)
    width = max(len(c) for c in by_class) if by_class else 5
    lines.append(f"{'class':<{width}}  {'n':>3}  {'right':>5}  {'FA':>3}  {'FR':>3}")
    for cls in sorted(by_class):
        group = by_class[cls]
        lines.append(f"{cls:<{width}}  {len(group):>3}  {sum(o.right for o in group):>5}  "
                     f"{sum(o.false_accept for o in group):>3}  {sum(o.false_reject for o in group):>3}")
    wrong = [o for o in judged if not o.right]
    if wrong:
        lines += ["", f"misjudged ({len(wrong)}):"]
        for o in wrong:
            got = o.got if not o.credit_problem or o.got != o.expected else f"{o.got} ({o.credit_problem})"
            lines.append(f"  #{o.index:03d} {o.case['question']}: {_short(o.case['answer'])}")
            lines.append(f"       expected {o.expected}, got {got} [{o.case['cls']}]: {_short(o.feedback, 110)}")
            if o.case.get("note"):
                lines.append(f"       note: {_short(o.case['note'], 110)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branch-free", action="store_true", help="leave out the header naming the code measured")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="another corpus in the same format (a held-out set)")
    args = parser.parse_args(argv)
    outcomes = grade_corpus(args.corpus)
    if not args.branch_free:
        print(_header())
    print(report(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
