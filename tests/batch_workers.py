"""Worker functions for the batch tests: the real worker, with answers that hang or crash it on purpose.

Module level and importable, because each worker process imports the function it runs.
"""

from __future__ import annotations

import os
import signal
import time

from handnets.grading import batch, grade


def misbehaving_worker(conn, key_source, limits):
    original = grade.judge_answer

    def judge_answer(question, submitted, source="answer", memo=None, folder=None):
        if submitted == "HANG":  # stuck where no signal reaches: only the parent's hard limit ends it
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(600)
        if submitted == "SLOW":  # slow but interruptible: the worker's own soft limit ends it
            time.sleep(600)
        if submitted == "CRASH":
            os._exit(3)
        if submitted == "HOG":  # more memory than the worker's RLIMIT_AS allows
            bytearray(8 * 1024**3)
        return original(question, submitted, source=source, memo=memo)

    grade.judge_answer = judge_answer
    batch.run_worker(conn, key_source, limits)
