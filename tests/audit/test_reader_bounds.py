"""Reader bounds (issue 10 item 6): memory and CPU follow the bytes really read, not what a sparse file
claims, per file and per target; whatever a bound stops is an unscanned_content flag (high), never a
silent skip. Each hostile case runs in its own process so its peak RSS and time are measured."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modelcensus.audit import limits
from modelcensus.audit.inspect_safetensors import read_safetensors_header
from modelcensus.audit.inspect_tokenizer import read_tokenizer

RUNNER = """
import json, sys, time
from pathlib import Path
from modelcensus.audit import audit
from modelcensus.lineage.registry import load_registry

def hwm():  # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec (it would be pytest's peak)
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

reg = load_registry()
base = hwm()
t0 = time.perf_counter()
rep = audit([sys.argv[1]], registry=reg)
out = {"seconds": time.perf_counter() - t0, "base_mb": base, "peak_mb": hwm(),
       "errors": [e.message for e in rep.errors],
       "flags": [[f.code, f.message] for d in rep.dossiers for f in d.flags],
       "inspections": [d.inspections for d in rep.dossiers]}
print(json.dumps(out, default=str))
"""


def run_audit(target: Path) -> dict:
    """Audit ``target`` in a fresh interpreter: (its result, peak RSS in MB above the imports, seconds)."""
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(target)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["growth_mb"] = out["peak_mb"] - out["base_mb"]
    return out


def unscanned(out: dict) -> list[str]:
    return [m for c, m in out["flags"] if c == "unscanned_content"]


def _kv_key(fh, key: str, vtype: int) -> None:
    k = key.encode()
    fh.write(struct.pack("<Q", len(k)) + k + struct.pack("<I", vtype))


def sparse_gguf(path: Path, strings: int, length: int) -> Path:
    """A GGUF whose metadata holds ``strings`` strings of ``length`` bytes each, written as holes."""
    with path.open("wb") as fh:
        fh.write(b"GGUF" + struct.pack("<IQQ", 3, 0, strings + 1))
        _kv_key(fh, "general.architecture", 8)
        fh.write(struct.pack("<Q", 5) + b"llama")
        for i in range(strings):
            _kv_key(fh, "general.name" if i == 0 else f"general.x{i}", 8)
            fh.write(struct.pack("<Q", length))
            fh.seek(length, os.SEEK_CUR)
        fh.truncate(fh.tell())
    return path


def test_sparse_gguf_with_64_mib_strings_stays_small(tmp_path: Path) -> None:
    """The issue's case: 64 MiB strings in a sparse file reached 4.6 GB and ~50 s per sparse GB."""
    p = sparse_gguf(tmp_path / "model.gguf", strings=80, length=60 * 1024 * 1024)
    assert p.stat().st_size > 5_000_000_000 and p.stat().st_blocks * 512 < 10_000_000  # sparse
    out = run_audit(p)
    assert out["errors"] == []
    assert any("header read only to byte" in m and "reading limit" in m for m in unscanned(out))
    assert out["growth_mb"] < 200, out
    assert out["seconds"] < 20, out
    assert len(out["inspections"][0]["gguf"][0]["name"]) == limits.GGUF_TEXT_CHARS  # cut, not 60 MiB


def test_gguf_value_count_bomb_is_cut_and_flagged(tmp_path: Path) -> None:
    """Three arrays of 2M empty strings (48 MB of holes): the walk stops at 4M values."""
    p = tmp_path / "values.gguf"
    with p.open("wb") as fh:
        fh.write(b"GGUF" + struct.pack("<IQQ", 3, 0, 3))
        for i in range(3):
            _kv_key(fh, f"tokenizer.ggml.x{i}", 9)
            fh.write(struct.pack("<IQ", 8, 2_000_000))
            fh.seek(8 * 2_000_000, os.SEEK_CUR)
        fh.truncate(fh.tell())
    out = run_audit(p)
    assert any(f"more than {limits.GGUF_VALUES:,} values" in m for m in unscanned(out))
    assert out["seconds"] < 20 and out["growth_mb"] < 200, out


def _safetensors(path: Path, header: dict | bytes) -> Path:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0\0")
    return path


def _big_header(meta_bytes: int) -> dict:
    return {"__metadata__": {"format": "pt", "blob": "x" * meta_bytes},
            "model.embed_tokens.weight": {"dtype": "F16", "shape": [1, 1], "data_offsets": [0, 2]}}


def test_twenty_links_to_one_63_mb_header_are_parsed_once(tmp_path: Path) -> None:
    """The issue's case: 20 links to one 63 MB header held 7 GB; headers are now summarised, released,
    and a file reached twice (same inode) is parsed once."""
    folder = tmp_path / "links"
    folder.mkdir()
    first = _safetensors(folder / "model-00001-of-00020.safetensors", _big_header(63_000_000))
    for i in range(2, 21):
        os.link(first, folder / f"model-{i:05d}-of-00020.safetensors")
    out = run_audit(folder)
    assert out["errors"] == [] and unscanned(out) == []
    assert len(out["inspections"][0]["safetensors"]) == 8  # the dossier lists the first 8 summaries
    assert out["growth_mb"] < 400, out


def _tensor_header(n: int, tag: int) -> dict:
    return {f"model.layers.{i}.mlp.experts.{tag}.down_proj.weight": {"dtype": "BF16", "shape": [7168, 2048],
            "data_offsets": [0, 0]} for i in range(n)}


def test_headers_are_released_after_each_file(tmp_path: Path) -> None:
    """What a folder keeps per shard is a summary: after three 10,000-tensor headers, the summaries held
    take < 100 kB while parsing one peaks at megabytes (the old reader kept every parsed header)."""
    import tracemalloc

    paths = [_safetensors(tmp_path / f"model-{i:05d}-of-00003.safetensors", _tensor_header(10_000, i))
             for i in range(3)]
    tracemalloc.start()
    with limits.read_budget():
        kept = [read_safetensors_header(p) for p in paths]
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [h.tensor_count for h in kept] == [10_000] * 3 and kept[0].parameters == 10_000 * 7168 * 2048
    assert held < 100_000 and peak > 20 * held, (held, peak)


def test_headers_past_the_target_budget_are_unscanned_content(tmp_path: Path, registry, monkeypatch) -> None:
    from modelcensus.audit import audit

    folder = tmp_path / "copies"
    folder.mkdir()
    blob = json.dumps(_big_header(10_000)).encode()
    for i in range(5):
        _safetensors(folder / f"model-{i:05d}.safetensors", blob)
    monkeypatch.setattr(limits, "TARGET_READ_BYTES", 3 * len(blob) + 100)
    d = audit([str(folder)], registry=registry).dossiers[0]
    refused = [f for f in d.flags if f.code == "unscanned_content"]
    assert len(refused) == 2 and all("read budget of this target" in f.message for f in refused)
    assert refused[0].severity == "high" and d.verdict.status == "fail"


def test_safetensors_header_with_too_many_items_is_not_parsed(tmp_path: Path) -> None:
    body = b"{" + b",".join(b'"t%d":{}' % i for i in range(limits.JSON_ITEMS + 2)) + b"}"
    p = _safetensors(tmp_path / "items.safetensors", body)
    out = run_audit(p)
    assert any("JSON items" in m for m in unscanned(out))
    assert out["growth_mb"] < 150, out  # parsed, it would take ~400 MB


def test_reader_limits_keep_what_was_read(tmp_path: Path) -> None:
    """A budget that is spent makes later files unscanned, not errors; nothing is read past it."""
    p = _safetensors(tmp_path / "a.safetensors", _big_header(1000))
    with limits.read_budget(limit=500) as budget:
        h = read_safetensors_header(p)
    assert h.tensor_count == 0 and h.unscanned and "read budget" in h.unscanned[0] and budget.used == 0
    with limits.read_budget() as budget:
        h = read_safetensors_header(p)
    assert h.tensor_count == 1 and h.embedding() == ("model.embed_tokens.weight", [1, 1]) and budget.used > 1000


def test_tokenizer_files_past_their_bounds_are_unscanned(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_bytes(b"[" + b"0," * (limits.JSON_ITEMS + 1) + b"0]")
    os.mkfifo(tmp_path / "chat_template.jinja")
    t0 = time.perf_counter()
    info = read_tokenizer(tmp_path)
    assert time.perf_counter() - t0 < 5  # the FIFO is never opened
    assert info is not None and len(info.unscanned) == 2
    assert "JSON items" in info.unscanned[0] and "chat_template.jinja" in info.unscanned[1]


@pytest.mark.parametrize("name", ["model.safetensors", "model.gguf"])
def test_header_readers_refuse_fifos_without_blocking(tmp_path: Path, name: str) -> None:
    from modelcensus.audit.inspect_gguf import read_gguf
    from modelcensus.errors import InputError

    fifo = tmp_path / name
    os.mkfifo(fifo)
    reader = read_safetensors_header if name.endswith("safetensors") else read_gguf
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="not a regular file"):
        reader(fifo)
    assert time.perf_counter() - t0 < 2
