"""Audit readers benchmark: time per GB of sharded safetensors weights, as ratios to plain header
reads and to picklescan on the same files in the same run.

    flock /tmp/modelcensus-bench.lock .venv/bin/python benchmarks/bench_audit_readers.py [--sizes 1 4 16]
        [--repeat 3] [--workdir DIR]

For each size a Llama-shaped model (hidden 4096, intermediate 11008, BF16, as many layers as the size
needs) is written as 2 GB shards with real safetensors headers (8-byte aligned, contiguous offsets) and
an index; the tensor data is a hole (``truncate``), so 16 GB costs no disk. Measured per size, each
in its own child process (peak memory is VmHWM, the child's own), interleaved, best of ``repeat``:

- ``plain``: the minimum any header reader pays: open, 8-byte length, ``json.loads`` of each header;
- ``picklescan``: ``picklescan.scanner.scan_directory_path`` on the folder (what a CI runs today);
- ``audit_headers``: ``modelcensus.audit.audit([folder])`` with the BOM hash budget at 0 (headers,
  content sniffing, templates, flags, verdict);
- ``audit``: the same with the default hash budget (the BOM's SHA-256 of each file, capped at
  ``limits.HASH_BYTES`` per run, so it grows with size up to the cap and then stops).

Headline: seconds per GB and the ratios audit_headers/plain and audit_headers/picklescan. Reading
must not grow with weight size: audit_headers at 16 GB should cost what it costs at 1 GB.
Writes ``benchmarks/results/audit_readers.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "audit_readers.json"
HIDDEN, INTER, VOCAB, BF16 = 4096, 11008, 32000, 2
SHARD_BYTES = 2 * 10**9


def _hwm_mb() -> float:
    """This process's peak RSS (VmHWM): ru_maxrss is carried across fork+exec."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _tensors(size_gb: float) -> list[tuple[str, list[int]]]:
    layer = [("self_attn.q_proj.weight", [HIDDEN, HIDDEN]), ("self_attn.k_proj.weight", [HIDDEN, HIDDEN]),
             ("self_attn.v_proj.weight", [HIDDEN, HIDDEN]), ("self_attn.o_proj.weight", [HIDDEN, HIDDEN]),
             ("mlp.gate_proj.weight", [INTER, HIDDEN]), ("mlp.up_proj.weight", [INTER, HIDDEN]),
             ("mlp.down_proj.weight", [HIDDEN, INTER]), ("input_layernorm.weight", [HIDDEN]),
             ("post_attention_layernorm.weight", [HIDDEN])]
    per_layer = sum(_numel(s) for _, s in layer) * BF16
    fixed = [("model.embed_tokens.weight", [VOCAB, HIDDEN]), ("model.norm.weight", [HIDDEN]),
             ("lm_head.weight", [VOCAB, HIDDEN])]
    layers = max(1, round((size_gb * 1e9 - sum(_numel(s) for _, s in fixed) * BF16) / per_layer))
    out = [fixed[0]]
    for i in range(layers):
        out += [(f"model.layers.{i}.{n}", s) for n, s in layer]
    return out + fixed[1:]


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def make_model(folder: Path, size_gb: float) -> dict:
    """Shards with real headers and hole-filled data; returns what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    shards: list[list[tuple[str, list[int]]]] = [[]]
    used = 0
    for name, shape in _tensors(size_gb):
        nbytes = _numel(shape) * BF16
        if shards[-1] and used + nbytes > SHARD_BYTES:
            shards.append([])
            used = 0
        shards[-1].append((name, shape))
        used += nbytes
    weight_map, total, header_bytes = {}, 0, 0
    for k, tensors in enumerate(shards):
        fname = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        header, off = {"__metadata__": {"format": "pt"}}, 0
        for name, shape in tensors:
            n = _numel(shape) * BF16
            header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + n]}
            off += n
            weight_map[name] = fname
        raw = json.dumps(header, separators=(",", ":")).encode()
        raw += b" " * (-len(raw) % 8)
        with (folder / fname).open("wb") as fh:
            fh.write(struct.pack("<Q", len(raw)) + raw)
            fh.truncate(8 + len(raw) + off)
        total += 8 + len(raw) + off
        header_bytes += len(raw)
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total},
                                                                    "weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                                                    "hidden_size": HIDDEN, "vocab_size": VOCAB}))
    return {"bytes": total, "shards": len(shards), "tensors": len(weight_map), "header_bytes": header_bytes}


# ----------------------------------------------------------------------------- children
# each child times its own work only (imports and the registry load are outside the clock)
def child_plain(folder: str) -> dict:
    t0, n = time.perf_counter(), 0
    shards = sorted(Path(folder).glob("*.safetensors"))
    for p in shards:
        with p.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            n += len(json.loads(fh.read(size))) - 1
    return {"seconds": time.perf_counter() - t0, "tensors": n}


def child_picklescan(folder: str) -> dict:
    from picklescan.scanner import scan_directory_path

    t0 = time.perf_counter()
    r = scan_directory_path(folder)
    return {"seconds": time.perf_counter() - t0, "scanned_files": r.scanned_files, "issues": r.issues_count,
            "infected": r.infected_files}


def child_audit(folder: str, hash_bytes: str) -> dict:
    from modelcensus.audit import audit
    from modelcensus.lineage.registry import load_registry

    reg = load_registry()
    t0 = time.perf_counter()
    rep = audit([folder], registry=reg, hash_bytes=int(hash_bytes))
    seconds = time.perf_counter() - t0
    d = rep.dossiers[0]
    return {"seconds": seconds, "errors": [e.message for e in rep.errors],
            "flags": sorted({f.code for f in d.flags}), "verdict": d.verdict.status if d.verdict else None,
            "hashed": sum(1 for f in d.files if f.get("sha256")), "files": len(d.files),
            "shards_read": len(d.inspections.get("safetensors") or [])}


CHILDREN = {"plain": child_plain, "picklescan": child_picklescan, "audit_headers": child_audit, "audit": child_audit}


def run_child(kind: str, folder: Path) -> dict:
    args = [str(folder)] + (["0"] if kind == "audit_headers" else [str(4 << 30)] if kind == "audit" else [])
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", kind, *args], capture_output=True, text=True,
                          timeout=3600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{kind} child failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = wall
    return out


def _child_main(kind: str, args: list[str]) -> None:
    out = CHILDREN[kind](*args)
    out["peak_mb"] = _hwm_mb()
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 16], help="model sizes in GB")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        _child_main(a.child[0], a.child[1:])
        return
    work = a.workdir or Path(tempfile.mkdtemp(prefix="bench-audit-readers-"))
    rows = []
    for size in a.sizes:
        folder = work / f"llama-{size:g}gb"
        t0 = time.perf_counter()
        made = make_model(folder, size)
        setup = time.perf_counter() - t0
        disk = sum(p.stat().st_blocks * 512 for p in folder.iterdir())
        runs: dict[str, list[dict]] = {k: [] for k in CHILDREN}
        for _ in range(a.repeat):  # interleaved: every method once per round
            for kind in CHILDREN:
                runs[kind].append(run_child(kind, folder))
        best = {k: min(r["seconds"] for r in v) for k, v in runs.items()}
        med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
        gb = made["bytes"] / 1e9
        row = {"size_gb": round(gb, 3), **made, "disk_bytes": disk, "setup_seconds": round(setup, 2),
               "best_seconds": {k: round(v, 4) for k, v in best.items()},
               "median_seconds": {k: round(v, 4) for k, v in med.items()},
               "seconds_per_gb": {k: round(v / gb, 4) for k, v in best.items()},
               "peak_mb": {k: round(max(r["peak_mb"] for r in v), 1) for k, v in runs.items()},
               "ratio_audit_headers_to_plain": round(best["audit_headers"] / best["plain"], 2),
               "ratio_audit_headers_to_picklescan": round(best["audit_headers"] / best["picklescan"], 2),
               "ratio_audit_to_picklescan": round(best["audit"] / best["picklescan"], 2),
               "audit_result": {k: v for k, v in runs["audit"][-1].items() if k not in ("seconds", "peak_mb")},
               "picklescan_result": {k: v for k, v in runs["picklescan"][-1].items()
                                     if k in ("scanned_files", "issues", "infected")},
               "runs": runs}
        rows.append(row)
        print(f"{gb:6.1f} GB {made['shards']:3d} shards  plain {best['plain']:.3f}s  picklescan "
              f"{best['picklescan']:.3f}s  audit(headers) {best['audit_headers']:.3f}s  audit(+hash) "
              f"{best['audit']:.3f}s  -> audit/plain {row['ratio_audit_headers_to_plain']}x, audit/picklescan "
              f"{row['ratio_audit_headers_to_picklescan']}x", flush=True)
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "audit readers on sharded safetensors (sparse data, real headers)",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_at_end": os.getloadavg()[0]},
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "repeat": a.repeat,
        "sizes": rows}, indent=2, default=str))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
