"""Run a snippet of Python in a child process under a memory cap and a time limit.

Used by the tests of hostile input: a regression that hangs or eats memory fails the test
(timeout, MemoryError) instead of stalling the suite or the machine. No timing is asserted.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bounded(code: str, *, seconds: float = 60, memory: int = 1 << 30, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -c code`` with RLIMIT_AS = ``memory``; fails the test if it runs past ``seconds``."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=seconds, preexec_fn=limit, env=env, cwd=cwd
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {seconds} s: {code[:200]}")


def run_cli_bounded(*args: str, seconds: float = 60, memory: int = 1 << 30, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``handnets ARGS...`` in a bounded child process."""
    return run_bounded(
        f"import sys; from handnets.cli import main; sys.exit(main({list(args)!r}))", seconds=seconds, memory=memory, cwd=cwd
    )
