"""Benchmark: printing a long metric table on the terminal, with Rich drawing every cell (the baseline) and with
``print_table`` writing plain rows itself (``terminal_tables.py``), side by side in one run.

    .venv/bin/python benchmarks/bench_terminal_table.py [--rows 63000] [--store STORE.duckdb] [--repeat 2]
                                                        [--out FILE]

In process: the same rows (a RAM-like table of ``--rows`` rows: model id, age, size class, downloads, share)
printed both ways into a 120-column console, best of ``--repeat``; the two outputs must be equal, or the run
fails. With ``--store``: ``metrics ram`` on it as CLI processes, the table against ``--format json`` (the same
metric with no table: the baseline), so the table's share of the command is visible.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

from _common import loadavg, machine, run_child

HERE = Path(__file__).resolve().parent


def _rows(n: int) -> list[list[str]]:
    return [[f"org{i % 997}/model-{i}-instruct-v{i % 7}", str(i % 24), ["<1B", "1-5B", "7-9B", "10-50B"][i % 4],
             f"{i * 37 % 1_000_003:,}", f"{(i % 1000) / 10:.1f} %"] for i in range(n)]


def _time(fn: object, repeat: int) -> tuple[float, str]:
    from rich.console import Console

    best, text = float("inf"), ""
    for _ in range(repeat):
        console = Console(file=io.StringIO(), width=120)
        t0 = time.perf_counter()
        fn(console)  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
        text = console.file.getvalue()  # type: ignore[attr-defined]
    return best, text


def in_process(n: int, repeat: int) -> dict:
    from modelcensus.terminal_tables import Col, fit_table, print_table

    cols = [Col("model"), Col("age_months", right=True), Col("size_class"), Col("downloads", right=True),
            Col("share", right=True)]
    rows = _rows(n)

    def rich_every_cell(console: object) -> None:
        table, _ = fit_table(cols, rows, 120, title="ram")
        console.print(table, soft_wrap=False)  # type: ignore[attr-defined]

    def rows_written_here(console: object) -> None:
        print_table(console, cols, rows, title="ram")  # type: ignore[arg-type]

    base, want = _time(rich_every_cell, repeat)
    new, got = _time(rows_written_here, repeat)
    if got != want:
        raise SystemExit("print_table's output differs from Rich's: the benchmark refuses to time a wrong answer")
    return {"rows": n, "rich_every_cell_s": round(base, 3), "print_table_s": round(new, 3),
            "speedup": round(base / new, 1), "same_output": True}


def cli(store: str) -> dict:
    mc = [sys.executable, "-m", "modelcensus", "--db", store, "metrics", "ram"]
    env = {**os.environ, "COLUMNS": "120"}
    js = run_child("metrics ram --format json", [*mc, "--format", "json"], env=env)
    table = run_child("metrics ram (table)", mc, env=env)
    rows = len(json.loads(js.stdout)["rows"])
    return {"rows": rows, "json_s": round(js.seconds, 2), "table_s": round(table.seconds, 2),
            "table_over_json": round(table.seconds / js.seconds, 2),
            "table_peak_gib": round(table.peak_rss_bytes / 2**30, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=63_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--store")
    ap.add_argument("--out", default=str(HERE / "results" / "terminal_table.json"))
    args = ap.parse_args()
    doc: dict = {"machine": machine(), "load_before": loadavg()}
    doc["in_process"] = in_process(args.rows, args.repeat)
    print(json.dumps(doc["in_process"]), flush=True)
    if args.store:
        doc["cli"] = cli(args.store)
        print(json.dumps(doc["cli"]), flush=True)
    doc["load_after"] = loadavg()
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
