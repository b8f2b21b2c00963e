"""Do two versions of the code build the same lineage? Row-for-row comparison of ``edges`` and ``origins``.

Used while moving the lineage build behind the engine seam (issue 12): a port must change where the SQL
lives, not one edge or origin. The same stores are built by the code under ``--old-src`` (e.g. a
``git worktree`` of the commit before the port) and by this checkout, each in its own process, and the two
tables are compared row for row (every column, sorted).

Stores: the synthetic Hub (``--models``, hub-stats layout, imported through ``api.import_path``) and the
real cards and trees of the lineage benchmark (``benchmarks/lineage_truth``, labelled and held-out models)
when ``../shared/data`` is present.

    python benchmarks/compare_lineage_builds.py --old-src /work/base/src [--models 30000]

Exit 0 when every table is equal, 1 when one differs (the first differing rows are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEW_SRC = HERE.parent / "src"
SHARED = HERE.parent.parent / "shared"
TABLES = ("edges", "origins")


def _prepare(work: Path, models: int) -> list[Path]:
    """The stores both versions build, imported once by this checkout's code."""
    sys.path[:0] = [str(NEW_SRC), str(HERE / "lineage_truth")]
    from modelcensus import api
    from modelcensus.sources.synthetic import write_hubstats_parquet

    stores = []
    hub = work / "synthetic.parquet"
    write_hubstats_parquet(hub, n_models=models, seed=11)
    db = work / "synthetic.duckdb"
    with api.open_store(db) as store:
        api.import_path(store, hub, source="hub-stats", observed_at="2025-06-30")
    stores.append(db)
    if (SHARED / "data").is_dir():
        import records as R
        import score

        labels = [*score.read_labels(HERE / "lineage_truth" / "labels.csv"),
                  *score.read_labels(HERE / "lineage_truth" / "heldout_labels.csv")]
        data = work / "truth.jsonl"
        with data.open("w", encoding="utf-8") as fh:
            for rec in R.benchmark_records(SHARED / "data", labels):
                fh.write(json.dumps(rec, default=str, ensure_ascii=False) + "\n")
        db = work / "truth.duckdb"
        with api.open_store(db) as store:
            api.import_path(store, data, source="lineage-truth", observed_at="2025-04-30")
        stores.append(db)
    else:
        print(f"note: {SHARED / 'data'} absent: only the synthetic Hub is compared", file=sys.stderr)
    return stores


_CHILD = """
import sys
from pathlib import Path
from modelcensus import api
db, out = Path(sys.argv[1]), Path(sys.argv[2])
with api.open_store(db) as store:
    reg = api.load_registry()
    for s in store.snapshots():
        api.ensure_lineage(store, s.id, reg, force=True)
    for t in ("edges", "origins"):
        store.con.execute(f"COPY (SELECT * FROM {t} ORDER BY ALL) TO '{out / t}.parquet' (FORMAT parquet)")
"""


def _build(src: Path, db: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    copy = out / db.name
    shutil.copy(db, copy)
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", _CHILD, str(copy), str(out)], check=True, env=env)
    copy.unlink()


def _compare(old: Path, new: Path, table: str) -> bool:
    import duckdb

    con = duckdb.connect()
    a, b = f"read_parquet('{old / table}.parquet')", f"read_parquet('{new / table}.parquet')"
    n_old, n_new = (con.execute(f"SELECT count(*) FROM {x}").fetchall()[0][0] for x in (a, b))
    only_old = con.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b} LIMIT 5").fetchall()
    only_new = con.execute(f"SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a} LIMIT 5").fetchall()
    same = not only_old and not only_new and n_old == n_new
    print(f"  {table}: old {n_old:,} rows, new {n_new:,} rows: {'EQUAL' if same else 'DIFFERENT'}")
    for label, rows in (("only old", only_old), ("only new", only_new)):
        for r in rows:
            print(f"    {label}: {r}")
    return same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-src", type=Path, required=True, help="the src/ folder of the code to compare with")
    ap.add_argument("--models", type=int, default=30_000, help="synthetic Hub size")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="lineage-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    ok = True
    for db in _prepare(work, args.models):
        print(f"{db.stem}:")
        _build(args.old_src, db, work / "old" / db.stem)
        _build(NEW_SRC, db, work / "new" / db.stem)
        for t in TABLES:
            ok &= _compare(work / "old" / db.stem, work / "new" / db.stem, t)
    print("all equal" if ok else "DIFFERENT")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
