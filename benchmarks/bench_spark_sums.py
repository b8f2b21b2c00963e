"""Benchmark: the Spark form of ``fsum`` (exact integer pieces) against Spark's plain DOUBLE sum, side by side.

    .venv/bin/python benchmarks/bench_spark_sums.py [--rows 20000000] [--groups 1000] [--rounds 2]
        [--out benchmarks/results/spark_sums.json]

One Spark local-mode session; a Parquet file of ``--rows`` fractional values spread over many orders of size
(written once, in a temporary folder). Each round reads it in 4 and in 64 partitions and runs, per width, the
grouped and the whole sum, and each row's share of its group's sum (a window; again over the values' whole
parts, which take a cheaper path), written the two ways:
``sum(CAST(x AS DOUBLE))`` (the rewrite before) and ``to_dialect("fsum(x)", "spark")`` (the shipped rewrite).
Reported: each form's time per query pair and per window query, the ratios exact / plain in the same round,
and whether each form gave the same figures at both widths (the point of the change: a DOUBLE sum depends on the
order Spark merges partitions in).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import loadavg, machine


def _digest(rows: list[tuple[object, ...]]) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    from modelcensus.store.dialect import to_dialect
    from modelcensus.store.engine import open_engine

    engine = open_engine("spark")
    spark = engine.spark  # type: ignore[attr-defined]
    def spark_form(call: str) -> str:
        return to_dialect(f"SELECT {call} FROM t", "spark").split("SELECT ", 1)[1].rsplit(" FROM t", 1)[0]

    forms = {"plain": "sum(CAST(x AS DOUBLE))", "exact": spark_form("fsum(x)")}
    windowed = {"plain": "sum(CAST(x AS DOUBLE)) OVER (PARTITION BY g)",
                "exact": spark_form("fsum(x) OVER (PARTITION BY g)")}
    started = datetime.now(UTC)
    load_before = loadavg()
    results: dict[str, list[dict[str, object]]] = {name: [] for name in forms}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "values.parquet")
        spark.range(0, args.rows).selectExpr(f"id % {args.groups} AS g",
                                             "rand(7) * pow(10, floor(rand(11) * 12) - 3) AS x") \
            .write.parquet(path)
        for rnd in range(args.rounds):
            order = list(forms) if rnd % 2 == 0 else list(reversed(forms))
            for name in order:
                per_width = {}
                for width in (4, 64):
                    spark.read.parquet(path).repartition(width).createOrReplaceTempView("t")
                    t0 = time.perf_counter()
                    grouped = spark.sql(f"SELECT g, {forms[name]} AS v FROM t GROUP BY g ORDER BY g").collect()
                    whole = spark.sql(f"SELECT {forms[name]} AS v FROM t").collect()[0][0]
                    seconds = time.perf_counter() - t0
                    t0 = time.perf_counter()  # every row's share of its group: the sum once per row, in a window
                    shares = spark.sql(f"SELECT g, max(try_divide(x, w)) AS top FROM (SELECT g, x, {windowed[name]} "
                                       "AS w FROM t) GROUP BY g ORDER BY g").collect()
                    window_seconds = time.perf_counter() - t0
                    t0 = time.perf_counter()  # the same over whole numbers (counts, downloads)
                    whole_shares = spark.sql(f"SELECT g, max(try_divide(x, w)) AS top FROM (SELECT g, x, "
                                             f"{windowed[name]} AS w FROM (SELECT g, floor(x) AS x FROM t)) "
                                             "GROUP BY g ORDER BY g").collect()
                    per_width[width] = {"seconds": round(seconds, 3), "whole": whole,
                                        "grouped": _digest([tuple(r) for r in grouped]),
                                        "window_seconds": round(window_seconds, 3),
                                        "windowed": _digest([tuple(r) for r in shares]),
                                        "whole_window_seconds": round(time.perf_counter() - t0, 3),
                                        "whole_windowed": _digest([tuple(r) for r in whole_shares])}
                results[name].append({
                    "round": rnd, "seconds_4": per_width[4]["seconds"], "seconds_64": per_width[64]["seconds"],
                    "whole_4": per_width[4]["whole"], "whole_64": per_width[64]["whole"],
                    "window_seconds_4": per_width[4]["window_seconds"],
                    "window_seconds_64": per_width[64]["window_seconds"],
                    "whole_window_seconds_4": per_width[4]["whole_window_seconds"],
                    "whole_window_seconds_64": per_width[64]["whole_window_seconds"],
                    "same_at_both_widths": per_width[4]["whole"] == per_width[64]["whole"]
                    and per_width[4]["grouped"] == per_width[64]["grouped"],
                    "windowed_same_at_both_widths": per_width[4]["windowed"] == per_width[64]["windowed"],
                    "whole_windowed_same_at_both_widths":
                        per_width[4]["whole_windowed"] == per_width[64]["whole_windowed"]})
    engine.close()
    out = {"benchmark": "spark_sums", "started": started.isoformat(), "finished": datetime.now(UTC).isoformat(),
           "machine": machine(), "loadavg_before": load_before, "loadavg_after": loadavg(), "rows": args.rows,
           "groups": args.groups, "forms": forms, "results": results,
           "ratio_exact_to_plain": [round((e["seconds_4"] + e["seconds_64"]) / (p["seconds_4"] + p["seconds_64"]), 2)
                                    for e, p in zip(results["exact"], results["plain"], strict=True)],
           "window_ratio_exact_to_plain": [
               round((e["window_seconds_4"] + e["window_seconds_64"])
                     / (p["window_seconds_4"] + p["window_seconds_64"]), 2)
               for e, p in zip(results["exact"], results["plain"], strict=True)],
           "whole_window_ratio_exact_to_plain": [
               round((e["whole_window_seconds_4"] + e["whole_window_seconds_64"])
                     / (p["whole_window_seconds_4"] + p["whole_window_seconds_64"]), 2)
               for e, p in zip(results["exact"], results["plain"], strict=True)]}
    text = json.dumps(out, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
