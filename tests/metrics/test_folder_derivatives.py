"""``metrics derivatives --snapshots DIR``: derivatives counted over a history folder from its lineage build (the
edges of the latest file say which models are derivatives), by the same query files the store path runs, so
the two paths give the same rows and the same notes over the same files, Spark equal to DuckDB; what the folder
path cannot do (parent credit, a missing lineage) exits 2 and says so.

Expectations written before the first run: the last file has some derivatives' downloadsAllTime and createdAt
blanked, so the notes' counts (derivatives without the filter's field, undated ones) are not zero and must be
the store path's; the rows of every case equal the store path's to 9 digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from folder_history import import_folder, rounded, write_history

from modelcensus import api
from modelcensus.errors import InputError
from modelcensus.lineage.folder_build import lineage_files
from modelcensus.lineage.registry import load_registry
from modelcensus.metrics import compute_metric
from modelcensus.store import Store
from modelcensus.store.files import folder_files

CASES: dict[str, dict[str, Any]] = {
    "root_country": {"by": "root_country"},
    "org_atom_filter": {"by": "org", "min_downloads": 5},
    "family_30d_filter_all_time": {"by": "family", "min_downloads": "0", "min_downloads_field": "downloads_30d",
                                   "period": "all"},
    "relation": {"by": "relation"},
    "publisher_country": {"by": "publisher_country"},
}
BLANKED = 7  # derivatives of the last file whose downloadsAllTime and createdAt are blanked


@pytest.fixture(scope="module")
def registry() -> Any:
    return load_registry()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, registry: Any) -> Path:
    """Two monthly files of a synthetic Hub; in the last, BLANKED derivatives lose downloadsAllTime and createdAt."""
    out = tmp_path_factory.mktemp("history")
    paths = write_history(out, n_models=600, seed=9, months=2)
    api.build_folder_lineage(out, registry=registry)
    last = folder_files(out)[-1][0]
    edges = pq.read_table(lineage_files(out, last)["edges"]).to_pylist()
    # declared parents: a re-upload (mirror) edge is inferred from createdAt order, so blanking createdAt drops it
    # (the first version of this test picked any derivative and counted 5 of 7; both paths agreed on 5)
    children = sorted({e["child_id"] for e in edges if e["structural"] and not e["inferred"]})
    blank = pa.array(children[:BLANKED])
    t = pq.read_table(paths[-1])
    hit = pc.is_in(t.column("id"), value_set=blank)
    for col in ("downloadsAllTime", "createdAt"):
        i = t.schema.get_field_index(col)
        t = t.set_column(i, col, pc.if_else(hit, pa.scalar(None, t.schema.field(col).type), t.column(col)))
    pq.write_table(t, paths[-1])
    res = api.build_folder_lineage(out, registry=registry)  # the last file changed: its lineage is rebuilt
    assert [i.status for i in res.items] == ["present", "built"]
    return out


@pytest.fixture(scope="module")
def store(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    st = import_folder(tmp_path_factory.mktemp("store") / "census.duckdb", folder)
    yield st
    st.close()


@pytest.fixture(scope="module")
def duck(folder: Path, registry: Any) -> dict[str, Any]:
    return {case: api.folder_metric(folder, "derivatives", registry=registry, **dict(args))
            for case, args in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_folder_derivatives_equal_the_store_path(duck: dict[str, Any], store: Store, registry: Any,
                                                 case: str) -> None:
    args = dict(CASES[case])
    theirs = compute_metric(store, "derivatives", by=args.pop("by"), registry=registry, **args)
    ours = duck[case]
    assert ours.columns == theirs.columns == ["month", ours.by, "derivatives", "share"]
    assert rounded(ours.to_json()["rows"]) == rounded(theirs.to_json()["rows"])
    assert len(ours.rows) >= 3 and any(r[ours.by] for r in ours.rows)
    # the same notes in the same order (review22 R22-3), the folder's own (where the files came from) aside
    assert [n for n in ours.notes if not n.startswith("computed on")] == theirs.notes


def test_the_notes_count_what_was_blanked(duck: dict[str, Any]) -> None:
    """BLANKED derivatives lack downloadsAllTime (the ATOM filter leaves them out, and says how many) and createdAt
    (month null when no filter drops them)."""
    filtered = duck["org_atom_filter"].notes
    assert f"ATOM filter: only derivatives with downloads_all_time > 5; {BLANKED} derivative(s) without that field " \
           "were excluded" in filtered
    assert not any("month null" in n for n in filtered)  # the blanked ones are the ones the filter dropped
    plain = duck["root_country"]
    assert f"{BLANKED} derivative(s) without createdAt are in month null" in plain.notes
    assert sum(r["derivatives"] for r in plain.rows if r["month"] is None) == pytest.approx(BLANKED)
    by_all = duck["family_30d_filter_all_time"]
    assert {r["month"] for r in by_all.rows} == {"all"}
    assert sum(r["share"] for r in by_all.rows) == pytest.approx(1.0)


def test_derivatives_count_only_models_with_a_parent(duck: dict[str, Any], folder: Path) -> None:
    """Every model with a structural parent edge in the latest file counts once (weights sum to 1 per model)."""
    last = folder_files(folder)[-1][0]
    edges = pq.read_table(lineage_files(folder, last)["edges"]).to_pylist()
    children = {e["child_id"] for e in edges if e["structural"]}
    total = sum(r["derivatives"] for r in duck["root_country"].rows)
    assert total == pytest.approx(len(children))
    assert {r["relation"] for r in duck["relation"].rows} <= {"finetune", "quantized", "adapter", "merge", "distill",
                                                                "mirror", "format", "intermediate"} | {
        e["relation"] for e in edges}


def test_what_the_folder_path_cannot_do_is_said(folder: Path, registry: Any, tmp_path: Path, store: Store) -> None:
    with pytest.raises(InputError, match="credit=parent is not on the --snapshots path"):
        api.folder_metric(folder, "derivatives", registry=registry, credit="parent")
    with pytest.raises(InputError, match="option min_downloads='lots': expected a whole number"):
        api.folder_metric(folder, "derivatives", registry=registry, min_downloads="lots")
    with pytest.raises(InputError, match="min_downloads -1: expected 0 or more"):
        api.folder_metric(folder, "derivatives", registry=registry, min_downloads=-1)
    for text in ("", "1_0", "\u0661", "9" * 39, "+5"):  # review11 F5/F6, review13 R13-5: plain digits in BIGINT
        with pytest.raises(InputError, match="expected a whole number"):
            api.folder_metric(folder, "derivatives", registry=registry, min_downloads=text)
        with pytest.raises(InputError, match="expected a whole number"):  # the store path, the same values
            compute_metric(store, "derivatives", registry=registry, min_downloads=text)
    for credit in ("bogus", "Parent", ""):  # review11 F2: checked as the store path checks it
        with pytest.raises(InputError, match="credit .*expected one of root, parent"):
            api.folder_metric(folder, "derivatives", registry=registry, credit=credit)
    with pytest.raises(InputError, match="takes no download field"):
        api.folder_metric(folder, "derivatives", registry=registry, field="downloads_30d")
    for _day, path in folder_files(folder):  # the same files without their lineage
        (tmp_path / path.name).write_bytes(path.read_bytes())
    with pytest.raises(InputError, match=r"derivatives need the lineage .* missing or stale for 1 file\(s\)"):
        api.folder_metric(tmp_path, "derivatives", by="publisher_country", registry=registry)


def test_cli_runs_it_and_exits_2_on_parent_credit(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from modelcensus.cli.main import run

    capsys.readouterr()
    assert run(["metrics", "derivatives", "--snapshots", str(folder), "--format", "json", "-o", "min_downloads=5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["metric"] == "derivatives" and doc["by"] == "relation" and doc["rows"]  # the store's default
    assert run(["metrics", "derivatives", "--snapshots", str(folder), "-o", "credit=parent"]) == 2
    assert "credit=parent is not on the --snapshots path" in capsys.readouterr().err
    # review13 R13-10: --max-age was ignored on --snapshots (the report refused it)
    assert run(["metrics", "derivatives", "--snapshots", str(folder), "--max-age", "10"]) == 2
    assert "--max-age not supported with --snapshots" in capsys.readouterr().err


SHARE_CASES: dict[str, dict[str, Any]] = {"default": {}, "org_atom_filter": {"by": "org", "min_downloads": 5},
                                          "relation_all_time": {"by": "relation", "period": "all"}}


@pytest.fixture(scope="module")
def shares(folder: Path, registry: Any) -> dict[str, Any]:
    return {case: api.folder_metric(folder, "derivative_share", registry=registry, **dict(args))
            for case, args in SHARE_CASES.items()}


@pytest.mark.parametrize("case", list(SHARE_CASES))
def test_folder_derivative_share_equals_the_store_path(shares: dict[str, Any], store: Store, registry: Any,
                                                       case: str) -> None:
    """derivative_share is derivatives by family unless told (ATOM's derivative share), on both paths alike.
    Labelled first: the default key is family on both, and rows and notes equal the store path's."""
    args = dict(SHARE_CASES[case])
    theirs = compute_metric(store, "derivative_share", by=args.pop("by", None), registry=registry, **args)
    ours = shares[case]
    assert ours.metric == theirs.metric == "derivative_share"
    assert ours.by == theirs.by == SHARE_CASES[case].get("by", "family")
    assert ours.rows and rounded(ours.to_json()["rows"]) == rounded(theirs.to_json()["rows"])
    # the same notes in the same order, as for derivatives
    assert [n for n in ours.notes if not n.startswith("computed on")] == theirs.notes


def test_spark_equals_duckdb(duck: dict[str, Any], folder: Path, registry: Any, spark_engine: Any) -> None:
    from modelcensus.metrics.snapshot_folder import FolderCensus
    from modelcensus.sources import hubstats

    with Store(":memory:") as probe, FolderCensus(
            folder, engine=spark_engine, registry=registry,
            row_select=lambda p: hubstats.staging_select(p, hubstats.describe_file(probe, p))) as census:
        for case in ("org_atom_filter", "relation"):
            args = dict(CASES[case])
            spark = census.metric("derivatives", by=args.pop("by"), **args)
            assert rounded(spark.to_json()["rows"]) == rounded(duck[case].to_json()["rows"]), case
            def own(notes: list[str]) -> list[str]:
                return [n for n in notes if not n.startswith("computed on")]
            assert own(spark.notes) == own(duck[case].notes), case
        spark = census.metric("derivative_share")
        assert spark.by == "family"
        assert rounded(spark.to_json()["rows"]) == rounded(
            api.folder_metric(folder, "derivative_share", registry=registry).to_json()["rows"])


_IN_ANOTHER_ZONE = """
import json, sys
from modelcensus import api
from modelcensus.metrics import compute_metric
from modelcensus.store import Store
from modelcensus.store.files import folder_files
from modelcensus.server.census import Census
with Store(sys.argv[2]) as st:
    for day, path in folder_files(sys.argv[1]):
        api.import_hubstats_parquet(st, path, observed_at=day.isoformat())
    zone = st.con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0]
    rows = compute_metric(st, "derivatives", by="root_country").to_json()["rows"]
    for snap in st.snapshots():  # the web server serves only a store whose lineage is built
        api.ensure_lineage(st, snap.id, api.load_registry())
# the web server reads through per-thread cursors, which start from the global settings (review12 R12-1)
served = Census(sys.argv[2])
served_zone = served.reader().con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0]
print(json.dumps({"zone": zone, "rows": rows, "served_zone": served_zone,
                  "served": served.metric("derivatives", by="root_country").to_json()["rows"]}))
"""


def test_store_months_are_utc_months_whatever_the_machine_zone(duck: dict[str, Any], folder: Path,
                                                               tmp_path: Path) -> None:
    """Review11 F1: the store's DuckDB took the machine's zone, so on a UTC+14 machine strftime put a derivative
    made late on a month's last day (UTC) in the next month, and the store path's rows left the folder path's.
    Labelled first: in Pacific/Kiritimati the store path's rows, and the web server's (review12 R12-1: its
    cursors kept the machine's zone), equal the folder path's (UTC) rows."""
    import os
    import subprocess
    import sys

    created = pc.drop_null(pq.read_table(folder_files(folder)[-1][1], columns=["createdAt"]).column("createdAt"))
    shifted = pc.add(created, pa.scalar(14 * 3600 * 10**6, pa.duration("us")).cast(pa.duration(created.type.unit)))
    month = "%Y-%m"
    moved = pc.sum(pc.not_equal(pc.strftime(created, month), pc.strftime(shifted, month))).as_py()
    assert moved, "no model is made within 14 h of a month's end: the zone could not change a month here"
    env = {**os.environ, "TZ": "Pacific/Kiritimati"}
    out = subprocess.run([sys.executable, "-c", _IN_ANOTHER_ZONE, str(folder), str(tmp_path / "kiritimati.duckdb")],
                         capture_output=True, text=True, timeout=300, env=env, check=True)
    got = __import__("json").loads(out.stdout)
    assert got["zone"] == got["served_zone"] == "UTC"
    assert rounded(got["rows"]) == rounded(got["served"]) == rounded(duck["root_country"].to_json()["rows"])
