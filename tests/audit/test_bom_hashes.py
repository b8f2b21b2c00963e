"""The BOM pins what was audited: every local file carries the SHA-256 of its whole content (streamed,
under a byte budget); a file past the budget, or one that changes while read, gets a note, never a
partial hash."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from audit_fixtures import make_folder

from modelcensus.audit import audit, limits
from modelcensus.audit.filehash import HashBudget, hash_files, sha256_file
from modelcensus.audit.render import render_text


def _bom(report) -> dict:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = render_text(report, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    return json.loads(text)


def test_bom_file_hashes_match_hashlib(tmp_path: Path, registry) -> None:
    folder = make_folder(tmp_path, "m", "qwen2")
    (folder / "extra.bin.txt").write_bytes(os.urandom(3 * 1024 * 1024 + 7))  # several 1 MiB blocks
    report = audit([str(folder)], registry=registry)
    files = {c["name"]: c for c in _bom(report)["components"][0]["components"]}
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert sorted(files) == on_disk
    for name, comp in files.items():
        assert comp["type"] == "file"
        assert comp["hashes"] == [{"alg": "SHA-256",
                                   "content": hashlib.sha256((folder / name).read_bytes()).hexdigest()}]
    assert all(f["sha256"] for f in report.dossiers[0].files)


def test_single_file_target_is_hashed(tmp_path: Path, registry) -> None:
    folder = make_folder(tmp_path, "m", "qwen2")
    st = next(folder.glob("*.safetensors"))
    comp = _bom(audit([str(st)], registry=registry))["components"][0]["components"]
    assert [c["hashes"][0]["content"] for c in comp] == [hashlib.sha256(st.read_bytes()).hexdigest()]


def test_files_past_the_budget_get_a_note_not_a_hash(tmp_path: Path, registry, monkeypatch) -> None:
    folder = make_folder(tmp_path, "m", "qwen2")
    big = folder / "big.safetensors.part"
    big.write_bytes(b"\0" * 4_000_000)  # the largest file: hashed last, past the budget
    sizes = {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}
    monkeypatch.setattr(limits, "HASH_BYTES", sum(sizes.values()) - sizes["big.safetensors.part"])
    report = audit([str(folder)], registry=registry)
    d = report.dossiers[0]
    by_name = {f["name"]: f for f in d.files}
    assert by_name["big.safetensors.part"]["sha256"] is None
    assert "hash budget" in by_name["big.safetensors.part"]["hash_note"]
    assert all(f["sha256"] for n, f in by_name.items() if n != "big.safetensors.part")  # smallest first
    assert any("carry no SHA-256" in n for n in d.notes)
    comp = {c["name"]: c for c in _bom(report)["components"][0]["components"]}
    assert "hashes" not in comp["big.safetensors.part"]
    props = {p["name"]: p["value"] for p in comp["big.safetensors.part"]["properties"]}
    assert "hash budget" in props["modelcensus:hash:skipped"]


def test_no_partial_hash_for_a_file_whose_size_lies() -> None:
    """/proc files report size 0 but have content: the digest of what was read is never given."""
    digest, note = sha256_file(Path("/proc/self/status"), HashBudget(), "status")
    assert digest is None and "changed while it was read" in note


def test_a_fifo_is_never_opened_for_hashing(tmp_path: Path) -> None:
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    t0 = time.perf_counter()
    files = [{"name": "model.safetensors", "size": 0}]
    notes = hash_files(files, tmp_path, HashBudget(), single=False)
    assert time.perf_counter() - t0 < 2
    assert files[0]["sha256"] is None and "not a regular file" in files[0]["hash_note"] and notes
