"""The README's promises: its two fresh-machine commands, and CI running the test one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def commands(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_readme_opens_with_verify_and_test_commands():
    blocks = shell_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    verify, tests = commands(blocks[0]), commands(blocks[1])
    assert len(verify) == 1 and verify[0].endswith("-m handnets.verify") and "pip install" in verify[0]
    assert len(tests) == 1 and tests[0].endswith("-m pytest") and "'.[test]'" in tests[0]


def test_ci_runs_the_readme_test_command_verbatim():
    readme_test = commands(shell_blocks((ROOT / "README.md").read_text(encoding="utf-8"))[1])[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_test in ci.splitlines()
