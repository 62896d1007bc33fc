"""``python -m handnets.verify``: the catalogue runs, passes, and its proofs/ documents are fresh."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from handnets import verify

PROOFS = Path(__file__).resolve().parents[1] / "proofs"


@pytest.fixture(scope="module")
def results():
    return verify.run_catalogue()


def test_verify_every_section_passes(results):
    failed = [(r.section.name, c.name) for r in results for c in r.value.checks if not c.passed]
    assert failed == []
    assert {r.section.name for r in results} == {s.name for s in verify.SECTIONS}


def test_verify_proofs_directory_is_up_to_date(results):
    documents = verify.proof_documents(results)
    assert documents, "the catalogue produced no proofs/ documents"
    stale = [name for name, text in documents.items() if not (PROOFS / name).exists() or (PROOFS / name).read_text(encoding="utf-8") != text]
    assert stale == [], f"stale proofs/ documents {stale}: run python -m handnets.verify --write-proofs proofs/"
    committed = {p.name for p in PROOFS.glob("*.md")}
    assert committed - set(documents) == set(), "proofs/ holds documents the code no longer generates"


def test_verify_json_lists_every_check():
    buffer = io.StringIO()
    code = verify.main(["adder", "--json"], out=Console(file=buffer, width=100, color_system=None))
    payload = json.loads(buffer.getvalue())
    assert code == 0 and payload["passed"] is True
    assert [s["name"] for s in payload["sections"]] == ["adder"]
    assert all(c["passed"] for c in payload["sections"][0]["checks"])


def test_verify_unknown_section_is_usage_error(capsys):
    assert verify.main(["nonsense"]) == 2
    assert "unknown section nonsense" in capsys.readouterr().err


def test_verify_exits_1_when_a_check_fails(monkeypatch):
    from handnets.threshold import check as adder_check
    from handnets.threshold import ThresholdRNN

    broken = ThresholdRNN.from_rows(W_xh=[[1, 1]] * 3, W_hh=[[1, 0, 0]] * 3, b_h=[-0.5, -1.5, -2.5], W_hy=[[1, -1, 1]], b_y=[-0.5])
    monkeypatch.setattr(adder_check, "check_builtin", lambda: adder_check.check_adder(broken, max_len=4))
    buffer = io.StringIO()
    assert verify.main(["adder"], out=Console(file=buffer, width=100, color_system=None)) == 1
    assert "FAIL" in buffer.getvalue()


def test_verify_runs_as_module_without_warnings():
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "handnets.verify", "adder", "--json"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "RuntimeWarning" not in done.stderr


def test_verify_write_proofs_never_follows_a_planted_symlink(tmp_path, results):
    target = tmp_path / "elsewhere.md"
    target.write_text("untouched\n")
    name = sorted(verify.proof_documents(results))[0]
    (tmp_path / "proofs").mkdir()
    (tmp_path / "proofs" / f"{name}.tmp").symlink_to(target)  # the old writer's fixed temporary name
    written = verify.write_proofs(results, tmp_path / "proofs")
    assert target.read_text() == "untouched\n"
    assert (tmp_path / "proofs" / name).read_text(encoding="utf-8") == verify.proof_documents(results)[name]
    assert len(written) == len(verify.proof_documents(results))


def test_verify_write_proofs_into_a_file_exits_2(tmp_path, capsys):
    blocker = tmp_path / "proofs"
    blocker.write_text("a file, not a folder\n")
    assert verify.main(["adder", "--write-proofs", str(blocker)], out=Console(file=io.StringIO(), width=100)) == 2
    assert "error:" in capsys.readouterr().err
