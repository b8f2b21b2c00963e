"""Benchmark: Spark folder metrics with the engine-check verdicts kept (sources/check_verdicts.py) against the
same commands with them off (``MODELCENSUS_CACHE_DIR=off``), side by side in one run.

    .venv/bin/python benchmarks/bench_check_verdicts.py [--models 50000] [--months 6] [--rounds 2]

A folder of ``--months`` monthly hub-stats files (the suite's ``task_history``, SYNTHETIC) is written once.
Each round runs two metric commands, each a fresh process on Spark local mode (``--snapshots DIR --engine
spark``): once with a new, empty cache directory (the first command checks every file and keeps the verdicts,
the second finds them) and once with the cache off (both check every file). The order of the two modes flips
every round. Both modes must print the same figures (asserted). Reported: each command's wall and CPU time and
the ratios on/off; raw figures in ``benchmarks/results/check_verdicts.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import loadavg, machine, run_child  # noqa: E402

MC = [sys.executable, "-m", "modelcensus"]
COMMANDS = (("downloads by publisher_country", ["downloads", "--by", "publisher_country"]),
            ("concentration by publisher_country", ["concentration", "--by", "publisher_country"]))


def _figures(stdout: str) -> object:
    doc = json.loads(stdout)
    return doc.get("rows")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=50_000)
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "check_verdicts.json")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="mc-verdicts-"))
    folder = work / f"history-{args.models}-{args.months}"
    run_child("history files", [sys.executable, str(HERE / "run_suite.py"), "--task", "history", str(folder),
                                str(args.models), str(args.months), "7"])
    started, load_before = datetime.now(UTC), loadavg()
    runs: list[dict] = []
    outputs: dict[str, object] = {}
    for r in range(args.rounds):
        for mode in (("on", "off") if r % 2 == 0 else ("off", "on")):
            cache = tempfile.mkdtemp(prefix="cache-", dir=work) if mode == "on" else "off"
            env = {**os.environ, "MODELCENSUS_CACHE_DIR": cache}
            for k, (label, cmd) in enumerate(COMMANDS):
                run = run_child(f"{mode} {label}", [*MC, "metrics", *cmd, "--snapshots", str(folder), "--engine",
                                                    "spark", "--format", "json"], env=env)
                figures = _figures(run.stdout)
                assert outputs.setdefault(label, figures) == figures, f"{label}: figures differ with cache {mode}"
                runs.append({"round": r, "mode": mode, "command": k + 1, "label": label,
                             "seconds": round(run.seconds, 2), "cpu_seconds": round(run.cpu_seconds, 2)})
                print(f"round {r} cache {mode:3s} command {k + 1} ({label}): {run.seconds:.1f} s", flush=True)

    def med(mode: str, k: int, what: str = "seconds") -> float:
        return statistics.median(x[what] for x in runs if x["mode"] == mode and x["command"] == k)

    ratios = {f"command {k}": {"on_s": med("on", k), "off_s": med("off", k), "on/off": round(med("on", k) /
                                                                                            med("off", k), 3)}
              for k in (1, 2)}
    doc = {"started": started.isoformat(), "finished": datetime.now(UTC).isoformat(), "machine": machine(),
           "load_before": load_before, "load_after": loadavg(), "models": args.models, "months": args.months,
           "rounds": args.rounds, "runs": runs, "median_ratios": ratios}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(ratios, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
