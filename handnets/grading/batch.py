"""Grade a whole course: many sheets in parallel worker processes, each answer under a hard time limit.

Isolation: every sheet is graded in a worker process. Before judging each answer the worker tells
the parent which one it is on; inside the worker each answer runs under a soft time limit
(``SIGALRM``) and a memory limit (``RLIMIT_AS``), so a slow or greedy answer becomes ``undecided``
and the sheet goes on. If an answer still does not come back (stuck in C code, or the worker
crashed), the parent kills the worker after the hard limit, records that answer as ``undecided``
with the reason, starts a fresh worker and grades the rest of the sheet there. Unreadable sheets
are listed with the reason; every other sheet is graded.

Results never depend on ``jobs`` or on the order the workers finish: they are sorted by the
sheet's path, and judging is deterministic (seeded by question id).

``grade_isolated`` gives one sheet (``handnets grade`` without ``--out``, ``--format gradescope``) or
one command-line answer (``handnets check``) the same three limits: it forks one worker from the
running process (nothing to import again, so it costs milliseconds) and keeps the results in the
order given.
"""

from __future__ import annotations

import difflib
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from handnets.errors import InputError, InvalidRequest
from handnets.grading.grade import Report, Verdict, VerdictMemo, alarm_guard, grade_answers
from handnets.grading.key import Key, load_key
from handnets.grading.sheet import Sheet, load_sheet

__all__ = ["Limits", "default_memory_bytes", "Unreadable", "Batch", "Problem", "PROBLEM_KINDS", "batch_problems", "find_sheets",
           "grade_batch", "grade_isolated", "run_worker"]

SheetLoader = Callable[[], Sheet]  # reads a sheet inside the worker (a path, or a command-line answer)


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-answer limits inside a worker."""

    seconds: float = 10.0  # soft limit: SIGALRM interrupts the answer
    hard_seconds: float = 20.0  # the parent kills the worker if one answer takes longer than this
    startup_seconds: float = 300.0  # starting a worker and reading a sheet, before its first answer
    memory_bytes: int = field(default_factory=lambda: default_memory_bytes())  # RLIMIT_AS of each worker

    def __post_init__(self) -> None:
        values = (self.seconds, self.hard_seconds, self.startup_seconds)
        if not all(math.isfinite(v) for v in values) or not 0 < self.seconds <= self.hard_seconds:
            raise InvalidRequest(f"expected finite 0 < seconds <= hard_seconds, got {self.seconds:g} and {self.hard_seconds:g}",
                                 field="seconds")


_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def _own_cgroup_limits(proc: str = "/proc/self/cgroup") -> tuple[str, ...]:
    """The memory-limit files of this process's own cgroup and its ancestors, innermost first: cgroup v2
    (``0::/path`` -> ``/sys/fs/cgroup/path/memory.max``) and v1 (``N:memory:/path`` ->
    ``/sys/fs/cgroup/memory/path/memory.limit_in_bytes``)."""
    try:
        with open(proc) as file:
            lines = file.read(10_000).splitlines()
    except OSError:
        return ()
    found: list[str] = []
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        if fields[0] == "0" and fields[1] == "":
            base, name = "/sys/fs/cgroup", "memory.max"
        elif "memory" in fields[1].split(","):
            base, name = "/sys/fs/cgroup/memory", "memory.limit_in_bytes"
        else:
            continue
        parts = [p for p in fields[2].split("/") if p and p not in (".", "..")]
        found += ["/".join([base, *parts[:n], name]) for n in range(len(parts), 0, -1)]
    return tuple(found)


def default_memory_bytes(cap: int = 2 * 1024**3, *, limits: Sequence[str] | None = None) -> int:
    """Each worker's address-space limit: 2 GiB, or less inside a smaller container (Gradescope: 768 MB).

    The tightest memory limit over this process's cgroup and its ancestors, and the container's own
    (cgroup v2 ``memory.max``, or v1 ``memory.limit_in_bytes``), less 256 MiB for the parent, but never
    under 512 MiB (a warm worker maps about 190 MB before judging anything).

    >>> import tempfile, os
    >>> limit = os.path.join(tempfile.mkdtemp(), "memory.max")
    >>> _ = open(limit, "w").write(str(768 * 1024**2))
    >>> default_memory_bytes(limits=[limit]) // 1024**2, default_memory_bytes(limits=["/nonexistent"]) // 1024**2
    (512, 2048)
    """
    found = []
    for name in (limits if limits is not None else (*_own_cgroup_limits(), *_CGROUP_LIMITS)):
        try:
            with open(name) as file:
                text = file.read(100).strip()
        except OSError:
            continue
        if text.isdigit():
            found.append(int(text))
    if found:
        return min(cap, max(512 * 1024**2, min(found) - 256 * 1024**2))
    return cap


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A sheet that could not be read at all, and why."""

    source: str
    reason: str


PROBLEM_KINDS = ("unreadable", "export-row", "duplicate-student", "unknown-question", "no-answers")


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Something in a batch a TA must look at: the grades were written, but this sheet needs a person.

    ``kind`` is one of ``PROBLEM_KINDS``; ``student`` is the sheet's student (an unreadable sheet's
    file name without extension); ``detail`` says what and, for an unknown question, what was meant.
    """

    kind: str
    source: str
    student: str
    detail: str

    def __post_init__(self) -> None:
        if self.kind not in PROBLEM_KINDS:
            raise ValueError(f"kind must be one of {', '.join(PROBLEM_KINDS)}, got {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Batch:
    """Every sheet's report (sorted by source) and every unreadable sheet."""

    key: Key
    reports: tuple[Report, ...]
    unreadable: tuple[Unreadable, ...]
    problems: tuple[Problem, ...] = ()  # found before grading (an export's rows that could not be read)


def batch_problems(batch: Batch) -> tuple[Problem, ...]:
    """Every problem of a batch, in a fixed order: unreadable sheets, duplicate students, answers to
    questions the key does not have (with a did-you-mean), sheets without one answer.

    >>> from handnets.grading.grade import Report
    >>> from handnets.grading.key import load_key
    >>> key = load_key("homework")
    >>> reports = (Report("s1", "a.toml", "homework", (), ("lstm.cbar",)), Report("s1", "b.toml", "homework", ()))
    >>> [(p.kind, p.detail) for p in batch_problems(Batch(key, reports, ()))][:2]
    [('duplicate-student', 'student s1 also in a.toml'), ('unknown-question', 'answers.lstm.cbar: the key has no such question (did you mean lstm.cbar_t?)')]
    """
    problems = list(batch.problems) + [Problem(kind="unreadable", source=u.source, student=_file_student(u.source), detail=u.reason)
                for u in batch.unreadable]
    first: dict[str, str] = {}
    for report in batch.reports:
        folded = report.student.casefold()
        if folded in first:
            problems.append(Problem(kind="duplicate-student", source=report.source, student=report.student,
                                    detail=f"student {report.student} also in {first[folded]}"))
        else:
            first[folded] = report.source
    ids = [q.id for q in batch.key.questions]
    for report in batch.reports:
        for name in report.unknown_answers:
            close = difflib.get_close_matches(name, ids, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem(kind="unknown-question", source=report.source, student=report.student,
                                    detail=f"answers.{name}: the key has no such question{hint}"))
    for report in batch.reports:
        if not report.unknown_answers and all(v.verdict == "missing" for v in report.verdicts):
            problems.append(Problem(kind="no-answers", source=report.source, student=report.student,
                                    detail="the sheet answers no question of the key"))
    return tuple(problems)


def _file_student(source: str) -> str:
    """An unreadable sheet's row keeps its file name (without extension) as the student."""
    return Path(source).stem or source


def find_sheets(paths: Iterable[str | Path]) -> tuple[Path, ...]:
    """Expand directories into their ``*.toml`` files; sorted, duplicates removed.

    A path that does not exist, or a directory without sheets, is an ``InvalidRequest`` naming the
    path (the CLI words it as a usage error).
    """
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            entries = sorted(p for p in path.iterdir() if p.suffix == ".toml" and not p.name.startswith("."))
            if not entries:
                raise InvalidRequest("no .toml answer sheets in this directory", source=str(path))
            for entry in entries:
                found.setdefault(str(entry), entry)
        elif path.exists():
            found.setdefault(str(path), path)
        else:
            raise InvalidRequest("no such file or directory", source=str(path))
    return tuple(sorted(found.values(), key=str))


# ------------------------------------------------------------------------------ the worker


_warm = False


def _warm_up() -> None:
    """Import and initialise what judging loads lazily (parser, printers, evaluators), so that the first
    answer a worker judges is not charged for it against its time limit. Once per process (a forked
    worker inherits a warm parent)."""
    global _warm
    if _warm:
        return
    _warm = True
    from handnets.grading.equivalence import judge_expression
    from handnets.grading.parse import parse_expression
    from handnets.threshold.check import check_adder
    from handnets.threshold.designs import classic_adder

    parsed = parse_expression(r"\overline{h^{(t)}} \tanh(c^{(t)}) + 2")
    judge_expression(parsed.expr, parsed.expr + 1, seed="warm-up")
    check_adder(classic_adder(), max_len=2, accuracy_len=2)


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent dies (even by ``kill -9``): no orphan keeps judging."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker still exits when its pipe closes
        pass


def run_worker(conn: Connection, key_source: str | Key, limits: Limits, loaders: Sequence[SheetLoader] | None = None) -> None:
    """Grade sheets sent by the parent until told to stop (None).

    ``key_source`` is a key path or name, or (in a forked worker) the key itself; ``loaders[i]`` reads
    sheet ``i`` when given (forked workers), else the sheet is read from its path."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
    _die_with_parent()
    try:
        _serve(conn, key_source, limits, loaders)
    except BaseException:  # a bug, or a limit hit outside any answer: die quietly, the parent settles the answer
        os._exit(70)


def _serve(conn: Connection, key_source: str | Key, limits: Limits, loaders: Sequence[SheetLoader] | None) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    except (ImportError, ValueError, OSError):  # not on this platform: the hard time limit still holds
        pass
    key = key_source if isinstance(key_source, Key) else load_key(key_source)
    _warm_up()
    timed = alarm_guard(limits.seconds)  # the worker's own soft limit, per answer
    memo = VerdictMemo()  # answers repeat across a course: each is judged once per worker
    while True:
        job = conn.recv()
        if job is None:
            return
        index, source, decided = job
        conn.send(("reading", index, None))  # the parent's limit on reading the sheet counts from here
        try:
            sheet = loaders[index]() if loaders is not None else load_sheet(source)
        except InputError as exc:
            conn.send(("unreadable", index, str(exc)))
            continue
        except (MemoryError, RecursionError):
            conn.send(("unreadable", index, f"{source}: too large or too deeply nested to read"))
            continue

        def guard(question_id: str, judge: Callable[[], Verdict]) -> Verdict:
            conn.send(("answer", index, question_id))  # the parent's hard limit counts from here
            return timed(question_id, judge) if timed is not None else judge()

        report = grade_answers(key, sheet, guard=guard, decided=decided, limit_seconds=limits.seconds, memo=memo)
        conn.send(("report", index, report))


# ------------------------------------------------------------------------------ the parent


@dataclass
class _Slot:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    job: int | None = None  # index of the sheet it is grading
    question: str | None = None  # the answer it is judging now
    reading: bool = False  # reading the sheet (the worker has started)
    since: float = 0.0


class _Scheduler:
    """The parent's bookkeeping: which worker grades which sheet, and what each answer came to."""

    def __init__(self, key_source: str | Key, sources: list[str], jobs: int, limits: Limits, worker: Callable[..., None],
                 *, start_method: str | None = None, loaders: Sequence[SheetLoader] | None = None):
        self.key_source, self.sources, self.limits, self.worker, self.loaders = key_source, sources, limits, worker, loaders
        self.decided: dict[int, dict[str, str]] = {i: {} for i in range(len(sources))}  # settled by the parent
        self.pending = list(range(len(sources) - 1, -1, -1))  # a stack: pop() hands sheets out in order
        self.reports: dict[int, Report] = {}
        self.unreadable: dict[int, Unreadable] = {}
        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = "forkserver" if "forkserver" in methods else "spawn"
        self.context = multiprocessing.get_context(start_method)
        self.slots = [self._start() for _ in range(min(jobs, len(sources)))]

    def _start(self) -> _Slot:
        parent, child = self.context.Pipe()
        args = (child, self.key_source, self.limits) + ((self.loaders,) if self.loaders is not None else ())
        process = self.context.Process(target=self.worker, args=args, daemon=True)
        process.start()
        child.close()
        return _Slot(process, parent)

    def assign(self, slot: _Slot) -> None:
        slot.job, slot.question, slot.reading = None, None, False
        if self.pending:
            index = self.pending.pop()
            slot.job, slot.since = index, time.monotonic()
            slot.conn.send((index, self.sources[index], dict(self.decided[index])))

    @property
    def busy(self) -> bool:
        return any(slot.job is not None for slot in self.slots)

    @property
    def finished(self) -> int:
        return len(self.reports) + len(self.unreadable)

    def receive(self, slot: _Slot) -> bool:
        """Take one message from a worker; True when a sheet finished."""
        try:
            kind, index, payload = slot.conn.recv()
        except (EOFError, OSError):
            self.replace(slot, "crashed the worker")
            return False
        if kind == "answer":
            slot.question, slot.since = payload, time.monotonic()
            return False
        if kind == "reading":
            slot.reading, slot.since = True, time.monotonic()
            return False
        if kind == "report":
            self.reports[index] = payload
        else:
            self.unreadable[index] = Unreadable(self.sources[index], payload)
        self.assign(slot)
        return True

    def police(self) -> None:
        """Stop workers stuck on one answer past the hard limit, and replace dead ones."""
        now = time.monotonic()
        for slot in self.slots:
            if slot.job is None:
                continue
            if not slot.process.is_alive():
                self.replace(slot, "crashed the worker")
            elif slot.question is not None and now - slot.since > self.limits.hard_seconds:
                self.replace(slot, f"took longer than {self.limits.hard_seconds:g} s; the worker was stopped")
            elif slot.question is None and slot.reading and now - slot.since > self.limits.hard_seconds:
                self.replace(slot, f"took longer than {self.limits.hard_seconds:g} s; the worker was stopped")
            elif slot.question is None and now - slot.since > self.limits.startup_seconds:
                self.replace(slot, f"was not read within {self.limits.startup_seconds:g} s; the worker was stopped")

    def replace(self, slot: _Slot, reason: str) -> None:
        """Settle the answer a stuck or dead worker was on, requeue its sheet, and start a fresh worker."""
        index, question = slot.job, slot.question
        slot.process.kill()
        slot.process.join(timeout=5)
        slot.conn.close()
        if question is None:  # it died reading the sheet itself: no answer to blame
            self.unreadable[index] = Unreadable(self.sources[index], f"{self.sources[index]}: reading the sheet {reason}")
        else:
            self.decided[index][question] = reason
            self.pending.append(index)
        fresh = self._start()
        slot.process, slot.conn = fresh.process, fresh.conn
        self.assign(slot)

    def run(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Hand out every sheet and collect every result; the workers are stopped whatever happens."""
        try:
            for slot in self.slots:
                self.assign(slot)
            while self.busy:
                ready = wait([slot.conn for slot in self.slots if slot.job is not None], timeout=0.2)
                for slot in list(self.slots):
                    if slot.job is not None and slot.conn in ready and self.receive(slot) and progress is not None:
                        progress(self.finished, len(self.sources))
                self.police()
        finally:
            self.close()

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot.conn.send(None)
            except (OSError, ValueError):
                pass
        for slot in self.slots:
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()


def grade_batch(
    key_source: str,
    sheets: Sequence[str | Path],
    *,
    jobs: int = 1,
    limits: Limits = Limits(),
    progress: Callable[[int, int], None] | None = None,
    worker: Callable[..., None] | None = None,
) -> Batch:
    """Grade every sheet with ``jobs`` worker processes; ``progress(done, total)`` after each sheet.

    ``key_source`` is a key path or built-in name: each worker loads it itself. ``worker`` replaces
    the function each worker process runs (an importable, module-level function; for tests).
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidRequest(f"expected at least 1 worker, got {jobs!r}", field="jobs")
    key = load_key(key_source)  # fail early, in the parent, on a bad key
    sources = [str(s) for s in sheets]
    scheduler = _Scheduler(str(key_source), sources, jobs, limits, worker or run_worker)
    scheduler.run(progress)
    by_source = lambda item: sources[item[0]]  # noqa: E731
    return Batch(
        key=key,
        reports=tuple(report for _, report in sorted(scheduler.reports.items(), key=by_source)),
        unreadable=tuple(u for _, u in sorted(scheduler.unreadable.items(), key=by_source)),
    )


def grade_isolated(
    key_source: str | Key,
    loaders: Sequence[SheetLoader],
    sources: Sequence[str],
    *,
    limits: Limits = Limits(),
) -> tuple[Report | Unreadable, ...]:
    """Grade a few sheets (read by ``loaders``, named by ``sources``) in one forked worker, in order.

    The guarantees of a batch (soft, memory and hard limits per answer, and per sheet read) for the
    single-sheet paths. Where ``fork`` is missing, a ``forkserver`` or ``spawn`` worker reads the
    sheets from their paths instead (``key_source`` must then be a path or a built-in name).
    """
    sources = [str(s) for s in sources]
    if not sources:
        return ()
    forked = "fork" in multiprocessing.get_all_start_methods()
    if forked:
        _warm_up()  # once, here: every worker forked from now on starts warm
    elif isinstance(key_source, Key):
        raise ValueError("without fork, grade_isolated needs the key's path or name")
    scheduler = _Scheduler(key_source, sources, 1, limits, run_worker,
                           start_method="fork" if forked else None, loaders=list(loaders) if forked else None)
    scheduler.run()
    return tuple(scheduler.reports[i] if i in scheduler.reports else scheduler.unreadable[i] for i in range(len(sources)))
