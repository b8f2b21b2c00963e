"""Load on the web server: model look-ups, searches and metric queries against a running ``modelcensus serve``.

The server runs in its own process (``modelcensus serve``) on loopback; this process drives it with
keep-alive HTTP connections from a few threads for a fixed time per kind of request and records
every latency. The baseline, measured side by side in the same run, is the server's cheapest route
(``/favicon.ico``, 204, no work): the HTTP stack's own ceiling on this machine, so each kind's
throughput is also reported as a ratio to it. Server memory (RSS) is read before and after.

    python benchmarks/bench_web_load.py --store STORE.duckdb   # a store with lineage prepared
    python benchmarks/bench_web_load.py --models 2200000       # generate, import and prepare one first
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
CLI = [sys.executable, "-m", "modelcensus"]


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read()


def drive(port: int, paths: list[str], seconds: float, threads: int) -> dict:
    """GET the paths round-robin from ``threads`` keep-alive connections for ``seconds``."""
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        i = k
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += threads
            t = time.perf_counter()
            try:
                status, _ = _get(conn, path)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(f"{path}: {type(exc).__name__}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - t)
            if status >= 500 or status == 0:
                with lock:
                    errors.append(f"{path}: HTTP {status}")
        conn.close()
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    q = (lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2)) if lat else (lambda p: None)
    return {"requests": len(lat), "seconds": round(wall, 2), "rps": round(len(lat) / wall, 1),
            "p50_ms": q(0.50), "p99_ms": q(0.99), "max_ms": round(lat[-1] * 1000, 2) if lat else None,
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else None,
            "errors": len(errors), "error_examples": errors[:5]}


def prepare_store(models: int, work: Path) -> Path:
    from modelcensus import api
    from modelcensus.sources.hubstats import import_hubstats_parquet
    from modelcensus.sources.synthetic import write_hubstats_parquet
    from modelcensus.store import Store

    src, db = work / "models.parquet", work / "store.duckdb"
    write_hubstats_parquet(src, n_models=models, seed=7)
    with Store(db, memory_limit="4GB") as store:
        import_hubstats_parquet(store, src)
    src.unlink()
    api.prepare_serving(str(db))
    return db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", help="a store whose lineage is prepared (modelcensus serve --prepare)")
    ap.add_argument("--models", type=int, default=2_200_000, help="models to generate when no --store is given")
    ap.add_argument("--seconds", type=float, default=30.0, help="seconds per kind of request")
    ap.add_argument("--threads", type=int, default=4, help="client connections")
    ap.add_argument("--port", type=int, default=8791)
    ap.add_argument("--out", default=str(HERE / "results" / "web_load.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_web_") as tmp:
        db = Path(args.store) if args.store else prepare_store(args.models, Path(tmp))
        env = {**os.environ, "MODELCENSUS_MEMORY_LIMIT": os.environ.get("MODELCENSUS_MEMORY_LIMIT", "4GB")}
        t0 = time.perf_counter()
        server = subprocess.Popen([*CLI, "--db", str(db), "serve", "--port", str(args.port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            conn = None
            while True:
                if server.poll() is not None:
                    raise SystemExit("server exited: " + server.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                    status, body = _get(conn, "/api/snapshots")
                    if status == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            startup = time.perf_counter() - t0
            snap = json.loads(body)[-1]
            rng = random.Random(1)
            ids = [json.loads(_get(conn, f"/api/search?q={q}&limit=100")[1])["results"]
                   for q in ("qwen", "llama", "mistral", "gemma", "bert", "phi", "deepseek", "gguf", "lora")]
            model_ids = sorted({h["id"] for res in ids for h in res if h["kind"] == "model"})
            conn.close()
            # random look-ups over the whole snapshot: ids drawn by the server's own search of two-letter prefixes
            lookups = [f"/api/models/{quote(rng.choice(model_ids), safe='/')}" for _ in range(2000)]
            lookups += [f"/api/models/nobody/missing-{i}" for i in range(50)]  # 404s count as answered
            rng.shuffle(lookups)
            words = ["qwen", "llama-3", "instruct", "gguf", "mistral-7b", "r1-distill", "bert-base", "lora",
                     "xq", "zz-no-such", "coder", "awq", "7b", "phi-3", "gemma-2", "sd", "whisper"]
            searches = [f"/api/search?q={quote(w)}&limit=20" for w in words]
            metrics = ["/api/metrics/downloads?by=root_country", "/api/metrics/downloads?by=publisher_country",
                       "/api/metrics/downloads?by=org", "/api/metrics/derivative_share?by=root_country"]
            rss_before = _rss_mb(server.pid)
            for m in metrics:  # first computation (then cached): timed separately
                c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=600)
                _get(c, m)
                c.close()
            results = {"baseline_noop": drive(args.port, ["/favicon.ico"], args.seconds, args.threads),
                       "model_lookups": drive(args.port, lookups, args.seconds, args.threads),
                       "searches": drive(args.port, searches, args.seconds, args.threads),
                       "metric_queries": drive(args.port, metrics, args.seconds, args.threads)}
            rss_after = _rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(20)
    base = results["baseline_noop"]["rps"] or 1
    doc = {
        "benchmark": "web server under load (loopback, separate client process)", "synthetic": True,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "store": {"models": snap.get("rows"), "snapshot": snap.get("id")},
        "startup_seconds": round(startup, 2), "threads": args.threads, "seconds_per_kind": args.seconds,
        "server_rss_mb": {"before": round(rss_before, 1), "after": round(rss_after, 1)},
        "results": results,
        "ratios_to_noop_rps": {k: round(v["rps"] / base, 3) for k, v in results.items()},
    }
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
