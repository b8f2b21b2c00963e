"""``modelcensus audit``: one JSON document on stdout, one line per unreadable target on stderr,
exit 0 / 1 / 2, every output format, and a real process for the CycloneDX file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from modelcensus.cli.main import run
from modelcensus.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from audit_fixtures import add_snapshot, hub_record, make_folder  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "census.duckdb"
    with Store(path) as s:
        add_snapshot(s, [hub_record("Qwen/Qwen2.5-7B"), hub_record("acme/ft", base="Qwen/Qwen2.5-7B"),
                         hub_record("meta-llama/Llama-3.1-8B", license="llama3.1")])
    return path


def test_json_output_and_exit_codes(db: Path, tmp_path: Path, capsys) -> None:
    code = run(["--db", str(db), "audit", "meta-llama/Llama-3.1-8B", "--policy", "no-prc-roots", "--format", "json"])
    out = capsys.readouterr()
    assert code == 0
    doc = json.loads(out.out)
    assert doc["audit"]["counts"] == {"pass": 1, "warn": 0, "fail": 0, "error": 0}
    assert out.err == ""
    code = run(["--db", str(db), "audit", "acme/ft", "meta-llama/Llama-3.1-8B", "--policy", "no-prc-roots",
                "--format", "json"])
    out = capsys.readouterr()
    assert code == 1
    assert [m["verdict"]["status"] for m in json.loads(out.out)["models"]] == ["fail", "pass"]
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\0\0\0")
    code = run(["--db", str(db), "audit", "acme/ft", str(bad), "--format", "json"])
    out = capsys.readouterr()
    assert code == 2
    assert json.loads(out.out)["errors"][0]["error"].startswith("GGUF bad.gguf: truncated")
    assert out.err.splitlines() == [
        "modelcensus audit: " + str(bad) + ": GGUF bad.gguf: truncated (only 8 bytes)",
        "modelcensus: audit: 1 target(s) could not be read; the other 1 were audited"]


def test_inventory_markdown_and_out_file(db: Path, tmp_path: Path, capsys) -> None:
    make_folder(tmp_path, "local", "llama3", card={"base_model": "meta-llama/Llama-3.1-8B", "license": "llama3.1"})
    inv = tmp_path / "inventory.csv"
    inv.write_text("model,revision\nacme/ft,abc123\nlocal,\n")
    out_md = tmp_path / "audit.md"
    code = run(["--db", str(db), "audit", "--inventory", str(inv), "--format", "md", "--out", str(out_md)])
    assert code == 0
    md = out_md.read_text()
    assert "## acme/ft" in md and "## local" in md and "Revision: abc123" in md
    assert capsys.readouterr().out == ""


def test_usage_errors(db: Path, tmp_path: Path, capsys) -> None:
    assert run(["--db", str(db), "audit"]) == 2
    assert "at least one TARGET" in " ".join(capsys.readouterr().err.split())
    assert run(["--db", str(db), "audit", "acme/ft", "--format", "xml"]) == 2
    assert "--format 'xml'" in capsys.readouterr().err
    pol = tmp_path / "p.yaml"
    pol.write_text("root_countries: {deny: [China]}\n")
    assert run(["--db", str(db), "audit", "acme/ft", "--policy", str(pol)]) == 2
    # (main.run's stderr console wraps long lines; compare the words)
    assert "'China' is not an ISO 3166-1 alpha-2" in " ".join(capsys.readouterr().err.split())


def test_cyclonedx_from_a_real_process(db: Path, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    out = tmp_path / "bom.json"
    exe = REPO / ".venv" / "bin" / "modelcensus"
    if not exe.exists():
        pytest.skip("the modelcensus entry point is not installed in .venv")
    proc = subprocess.run([str(exe), "--db", str(db), "audit", "acme/ft@v1", "--format", "cyclonedx",
                           "--out", str(out), "--policy", "no-prc-roots"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert json.loads(text)["components"][0]["name"] == "acme/ft"


@pytest.mark.parametrize("fmt", ["table", "json", "md"])
def test_unwritable_out_is_exit_2_naming_it(db: Path, tmp_path: Path, capsys, fmt: str) -> None:
    """--out at a folder was an exit-3 'internal error: IsADirectoryError'; a missing parent is made."""
    code = run(["--db", str(db), "audit", "meta-llama/Llama-3.1-8B", "--format", fmt, "--out", str(tmp_path)])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"modelcensus: --out {tmp_path}: cannot write (Is a directory)"]
    nested = tmp_path / "new" / f"audit.{fmt}"
    assert run(["--db", str(db), "audit", "meta-llama/Llama-3.1-8B", "--format", fmt, "--out", str(nested)]) == 0
    assert "meta-llama/Llama-3.1-8B" in nested.read_text()
