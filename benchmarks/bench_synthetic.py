"""Benchmark: writing the synthetic 2.2M-row hub-stats Parquet, against a baseline in the same run.

Baseline: pyarrow writing a table of the same row count and row-group size made of random int64
columns (one per hub-stats column), i.e. the cost of the Parquet writer alone. Each measurement runs
in its own subprocess so its peak memory (ru_maxrss) and CPU time are its own; CPU time is reported
beside wall time because the machine may be shared (CPU time includes interpreter start and imports).

    .venv/bin/python benchmarks/bench_synthetic.py [N_MODELS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
n, what, out = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
t = time.perf_counter()
if what == "synthetic":
    from modelcensus.sources.synthetic import write_hubstats_parquet
    write_hubstats_parquet(out, n_models=n, seed=7)
else:
    import numpy as np, pyarrow as pa, pyarrow.parquet as pq
    from modelcensus.sources.synthetic.columns import HUBSTATS_SCHEMA
    rng = np.random.default_rng(7)
    schema = pa.schema([(f.name, pa.int64()) for f in HUBSTATS_SCHEMA])
    with pq.ParquetWriter(out, schema, compression="zstd") as w:
        for lo in range(0, n, 100_000):
            k = min(100_000, n - lo)
            w.write_table(pa.table({f.name: rng.integers(0, 1 << 40, k) for f in schema}, schema=schema))
secs = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"what": what, "seconds": secs, "cpu_seconds": ru.ru_utime + ru.ru_stime,
                  "peak_mb": ru.ru_maxrss / 1024, "bytes": out.stat().st_size}))
"""


def measure(n: int, what: str, out: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, str(n), what, str(out)], check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_200_000
    with tempfile.TemporaryDirectory() as d:
        base = measure(n, "baseline", Path(d) / "ints.parquet")
        syn = measure(n, "synthetic", Path(d) / "models.parquet")
    report = {"rows": n, "baseline_random_int64_write": base, "synthetic_hubstats_write": syn,
              "ratio_to_baseline": syn["seconds"] / base["seconds"],
              "cpu_ratio_to_baseline": syn["cpu_seconds"] / base["cpu_seconds"],
              "rows_per_second": n / syn["seconds"],
              "synthetic": True, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
