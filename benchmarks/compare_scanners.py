"""Side by side: modelcensus audit (default policy) vs picklescan vs ModelAudit, on picklescan's public
corpus and on the generated adversarial cases of tests/audit/adversarial_cases.py; then scan time
per pickle MB against picklescan on the same files in the same run (a ratio, never a bare time).

    .venv/bin/python benchmarks/compare_scanners.py [--corpus ../shared/data/picklescan_corpus]
        [--out benchmarks/results/compare_scanners.json] [--no-modelaudit]

What "caught" means is what a CI step sees: a non-zero exit code (1 = findings, 2 = scan error) for
a malicious / unscannable / must-fail sample; a benign sample with a non-zero exit is a false
positive; a not-a-pickle file is "called malicious" on exit 1. Each scanner runs in this process
through its library (picklescan: ``scan_file_path``/``scan_directory_path`` with its CLI's exit
rule; ModelAudit: ``scan_model_directory_or_file`` + ``determine_exit_code``, cache and telemetry
off). FIFO/link/zip-bomb cases run the peers' CLIs in a subprocess instead, with a 30 s timeout and a 2 GiB
address-space cap (picklescan's genops list reached 8.7 GB RSS on the 80 MiB bomb before it was stopped).
ModelAudit is not a dependency: ``pip install modelaudit`` into the venv to include it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("PROMPTFOO_DISABLE_TELEMETRY", "1")  # ModelAudit phones home otherwise
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "audit"))
TIMEOUT = 30
ISOLATED_MEMORY = 2 << 30


def run_modelcensus(path: Path, registry: Any) -> dict[str, Any]:
    from modelcensus.audit import audit

    report = audit([str(path)], registry=registry)
    codes = sorted({f.code for d in report.dossiers for f in d.flags
                    if f.code in ("pickle_dangerous_globals", "unscanned_content")})
    return {"exit": report.exit_code, "detail": codes or [e.message[:80] for e in report.errors]}


def run_picklescan(path: Path) -> dict[str, Any]:
    from picklescan.scanner import scan_directory_path, scan_file_path

    try:
        res = scan_directory_path(str(path)) if path.is_dir() else scan_file_path(str(path))
    except Exception as exc:  # noqa: BLE001 - the CLI maps any exception to exit 2
        return {"exit": 2, "detail": [f"{type(exc).__name__}"]}
    dangerous = sorted({f"{g.module}.{g.name}" for g in res.globals if g.safety.value == "dangerous"})
    return {"exit": 2 if res.scan_err else 1 if res.issues_count else 0, "detail": dangerous[:3]}


def run_modelaudit(path: Path) -> dict[str, Any]:
    from modelaudit.core import scan_model_directory_or_file
    from modelaudit.core_results import determine_exit_code

    try:
        res = scan_model_directory_or_file(str(path), cache_enabled=False, timeout=TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        return {"exit": 2, "detail": [f"{type(exc).__name__}"]}
    sev = sorted({str(getattr(i, "severity", "")).rsplit(".", 1)[-1].lower() for i in res.issues or []})
    return {"exit": determine_exit_code(res), "detail": sev}


def _limits() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY, ISOLATED_MEMORY))


def run_cli(argv: list[str]) -> dict[str, Any]:
    """A peer's CLI in a subprocess: 30 s and 2 GiB of address space at most (the machine is shared)."""
    try:
        p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False, preexec_fn=_limits,
                           env={**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1"})
    except subprocess.TimeoutExpired:
        return {"exit": "timeout", "detail": [f"no answer in {TIMEOUT} s (blocked)"]}
    err = p.stderr.decode(errors="replace")
    return {"exit": p.returncode, "detail": ["MemoryError"] if "MemoryError" in err else []}


def samples(corpus: Path | None, work: Path) -> list[dict[str, Any]]:
    from adversarial_cases import CASES, build

    out = []
    if corpus is not None and (corpus / "labels.csv").is_file():
        with (corpus / "labels.csv").open(newline="") as fh:
            for r in csv.DictReader(fh):
                expect = {"malicious": "fail", "unscannable": "fail", "benign": "clean"}.get(r["label"],
                                                                                            "not_malicious")
                out.append({"set": "picklescan corpus", "name": r["path"], "path": corpus / r["path"],
                            "expect": expect, "special": False})
    for c in CASES:
        out.append({"set": "adversarial", "name": c.name, "path": build(c, work), "expect": c.expect,
                    "special": c.special})
    return out


def timed(fn, *a) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    r = fn(*a)
    return r, time.perf_counter() - t0


def compare(items: list[dict[str, Any]], registry: Any, with_modelaudit: bool) -> dict[str, Any]:
    tools = ["modelcensus", "picklescan"] + (["modelaudit"] if with_modelaudit else [])
    rows = []
    for it in items:
        row = {"set": it["set"], "name": it["name"], "expect": it["expect"]}
        for tool in tools:
            p = it["path"]
            if tool == "modelcensus":
                res, dt = timed(run_modelcensus, p, registry)
            elif it["special"]:
                exe = REPO / ".venv" / "bin" / ("picklescan" if tool == "picklescan" else "modelaudit")
                argv = [str(exe), "-p", str(p)] if tool == "picklescan" else [str(exe), "scan", "--no-cache", str(p)]
                res, dt = timed(run_cli, argv)
            elif tool == "picklescan":
                res, dt = timed(run_picklescan, p)
            else:
                res, dt = timed(run_modelaudit, p)
            row[tool] = {**res, "seconds": round(dt, 4)}
        rows.append(row)
        print(f"{it['set'][:11]:11} {it['name'][:44]:44} {it['expect']:13} "
              + " ".join(f"{t}={row[t]['exit']}" for t in tools), flush=True)
    return {"tools": tools, "rows": rows}


def summarise(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for set_name in ("picklescan corpus", "adversarial"):
        rows = [r for r in result["rows"] if r["set"] == set_name]
        if not rows:
            continue
        for tool in result["tools"]:
            must = [r for r in rows if r["expect"] == "fail"]
            benign = [r for r in rows if r["expect"] == "clean"]
            notp = [r for r in rows if r["expect"] == "not_malicious"]
            times = [r[tool]["seconds"] for r in rows]
            out.append({
                "set": set_name, "tool": tool, "must_fail": len(must),
                "caught_exit1": sum(r[tool]["exit"] == 1 for r in must),
                "caught_exit2": sum(r[tool]["exit"] == 2 for r in must),
                "passed_exit0": sum(r[tool]["exit"] == 0 for r in must),
                "hung": sum(r[tool]["exit"] == "timeout" for r in rows),
                "benign": len(benign), "false_positives": sum(r[tool]["exit"] != 0 for r in benign),
                "not_pickle": len(notp), "called_malicious": sum(r[tool]["exit"] == 1 for r in notp),
                "median_ms": round(1000 * statistics.median(times), 1), "total_s": round(sum(times), 2)})
    return out


def misses(result: dict[str, Any]) -> dict[str, list[str]]:
    """Samples a peer catches that modelcensus passes, and false positives a peer avoids."""
    peers = [t for t in result["tools"] if t != "modelcensus"]
    worse, fp, better = [], [], []
    for r in result["rows"]:
        mc = r["modelcensus"]["exit"]
        if r["expect"] == "fail" and mc == 0 and any(r[p]["exit"] not in (0,) for p in peers):
            worse.append(r["name"])
        if r["expect"] == "clean" and mc != 0 and any(r[p]["exit"] == 0 for p in peers):
            fp.append(r["name"])
        if r["expect"] == "fail" and mc != 0 and all(r[p]["exit"] in (0, "timeout") for p in peers):
            better.append(r["name"])
    return {"peer_catches_modelcensus_passes": worse, "fp_a_peer_avoids": fp, "only_modelcensus_catches": better}


def per_mb(registry: Any, work: Path, repeats: int = 3) -> list[dict[str, Any]]:
    """Scan time per pickle MB: modelcensus (scan only, and the whole audit) vs picklescan, interleaved."""
    from picklescan.scanner import scan_file_path

    from modelcensus.audit import audit
    from modelcensus.audit.pickles import scan_pickle_file

    out = []
    for n in (20_000, 80_000, 160_000):
        obj = [{"w": [float(i), float(i) / 3, 1.5], "n": f"layer{i}", "k": (i, i + 1)} for i in range(n)]
        p = work / f"dense_{n}.pkl"
        p.write_bytes(pickle.dumps(obj, protocol=4))
        mb = p.stat().st_size / 1e6
        best = {"picklescan": [], "modelcensus_scan": [], "modelcensus_audit": []}
        for _ in range(repeats):
            best["picklescan"].append(timed(scan_file_path, str(p))[1])
            best["modelcensus_scan"].append(timed(scan_pickle_file, p)[1])
            best["modelcensus_audit"].append(timed(lambda q: audit([str(q)], registry=registry), p)[1])
        b = {k: min(v) for k, v in best.items()}
        out.append({"file": p.name, "mb": round(mb, 2), **{f"{k}_s_per_mb": round(v / mb, 3) for k, v in b.items()},
                    "ratio_scan": round(b["modelcensus_scan"] / b["picklescan"], 2),
                    "ratio_audit": round(b["modelcensus_audit"] / b["picklescan"], 2)})
        print(out[-1], flush=True)
    return out


def markdown(summary: list[dict[str, Any]], mb: list[dict[str, Any]], gaps: dict[str, list[str]]) -> str:
    lines = ["| Set | Scanner | must fail: caught exit 1 / exit 2 / passed | hung | benign: false positives "
             "| not a pickle: called malicious | median ms/file | total s |", "|---|---|---|---|---|---|---|---|"]
    for s in summary:
        lines.append(f"| {s['set']} | {s['tool']} | {s['caught_exit1']} / {s['caught_exit2']} / {s['passed_exit0']} "
                     f"(of {s['must_fail']}) | {s['hung']} | {s['false_positives']} of {s['benign']} | "
                     f"{s['called_malicious']} of {s['not_pickle']} | {s['median_ms']} | {s['total_s']} |")
    lines += ["", "| Pickle | MB | picklescan s/MB | modelcensus scan s/MB | ratio | full audit s/MB | ratio |",
              "|---|---|---|---|---|---|---|"]
    for m in mb:
        lines.append(f"| {m['file']} | {m['mb']} | {m['picklescan_s_per_mb']} | {m['modelcensus_scan_s_per_mb']} | "
                     f"{m['ratio_scan']}x | {m['modelcensus_audit_s_per_mb']} | {m['ratio_audit']}x |")
    lines += ["", *(f"- {k}: {', '.join(v) if v else 'none'}" for k, v in gaps.items())]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data" / "picklescan_corpus")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "compare_scanners.json")
    ap.add_argument("--no-modelaudit", action="store_true")
    args = ap.parse_args()
    from modelcensus.lineage.registry import load_registry

    with_ma = not args.no_modelaudit
    if with_ma:
        try:
            import modelaudit  # noqa: F401
        except ImportError:
            print("modelaudit is not installed: comparing with picklescan only", file=sys.stderr)
            with_ma = False
    registry = load_registry()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        result = compare(samples(args.corpus, work / "cases"), registry, with_ma)
        mb = per_mb(registry, work)
    summary, gaps = summarise(result), misses(result)
    for r in result["rows"]:
        r["name"] = str(r["name"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    versions = {"picklescan": _version("picklescan"), "modelaudit": _version("modelaudit") if with_ma else None}
    args.out.write_text(json.dumps({"versions": versions, "summary": summary, "per_mb": mb, "gaps": gaps,
                                    "rows": result["rows"]}, indent=1, default=str))
    print(markdown(summary, mb, gaps))
    print(f"versions: {versions}; written {args.out}")


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
