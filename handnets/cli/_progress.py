"""A progress bar for long work, shown only on a terminal and only when the work is big enough."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(out: Console, label: str, total: int, *, enabled: bool = True, minimum: int = 2) -> Iterator[Callable[[int, int], None] | None]:
    """Yield ``update(done, total)`` for a transient bar, or None when no bar is wanted."""
    if not enabled or not out.is_terminal or total < minimum:
        yield None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=out, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, _total: bar.update(task, completed=done)
