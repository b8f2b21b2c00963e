"""The engine seam's first slice: the same metrics from the same .sql files on DuckDB and on Spark (local
mode), over one small series of hub-stats files, equal to each other and to the store path (the same
files imported with the existing importer). Spark tests skip, saying why, without pyspark or java; one
Spark session serves the whole module (start-up is ~10 s)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from folder_history import rounded

from modelcensus import api
from modelcensus.errors import InputError
from modelcensus.lineage.registry import load_registry
from modelcensus.metrics import compute_metric
from modelcensus.metrics.queries import store_queries
from modelcensus.metrics.snapshot_folder import FolderCensus
from modelcensus.sources import hubstats
from modelcensus.store import Store
from modelcensus.store.engine import NotStableError, open_engine, scratch, to_dialect
from modelcensus.store.files import folder_files

DAYS = ("2024-01-31", "2024-02-29", "2024-03-31")
# id, createdAt, downloads (30d) per file, downloadsAllTime per file (None = absent from that file)
MODELS = [
    ("meta-llama/Llama-3-8B", "2024-01-05", [100, 150, 120], [1000, 1150, 1270]),
    ("Qwen/Qwen2-7B", "2024-01-20", [80, 90, 300], [500, 590, 890]),
    ("THUDM/glm-4-9b", "2024-02-03", [None, 40, 60], [None, 40, 100]),       # a renamed namespace (zai-org)
    ("gpt2", "2022-03-02", [500, 400, 450], [90000, 90400, 90850]),           # a legacy id: a registry alias
    ("someone/finetune", "2024-02-10", [None, 10, 5], [None, 10, 15]),       # not in the registry
    ("someone/gone", "2024-01-11", [7, 3, None], [7, 10, None]),              # deleted before the last file
    ("Someone/Gone", "2024-02-11", [None, 2, 2], [None, 2, 4]),               # a case twin in one snapshot
    ("google/gemma-2b", "2024-03-01", [None, None, 20], [None, None, 20]),
    ("mistralai/Mistral-7B", "2024-01-02", [60, 50, 40], [600, 650, 500]),    # an all-time drop (recount)
    ("someone/no-30d", "2024-03-05", [None, None, None], [None, None, 5]),   # no 30-day count: a note says so
]
# name -> (metric, arguments): every metric of the slice, with publisher keys and options
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "downloads_country": ("downloads", {"by": "publisher_country"}),
    "downloads_publisher_all_time": ("downloads", {"by": "publisher", "field": "downloads_all_time"}),
    "downloads_org": ("downloads", {"by": "org", "attribution": "publisher"}),
    "cumulative_country": ("downloads_cumulative", {"by": "publisher_country"}),
    "monthly_country": ("downloads_monthly", {"by": "publisher_country"}),
    "monthly_org_assign": ("downloads_monthly", {"by": "org", "attribution": "publisher", "gaps": "assign"}),
    "concentration_series": ("concentration", {"by": "publisher_country", "series": True}),
    "concentration_org": ("concentration", {"by": "org", "attribution": "publisher", "k": "1,2",
                                            "include_unknown": True}),
    "new_models_country": ("new_models", {"by": "publisher_country"}),
    "new_models_org_type": ("new_models", {"by": "org_type", "attribution": "publisher"}),
}
# Spark runs one case per metric (each costs seconds of job scheduling even on tiny data); the publisher
# keys differ only in the grouping column credit.sql is given, which the DuckDB cases cover against the store
SPARK_CASES = ("downloads_org", "cumulative_country", "monthly_country", "concentration_series",
               "new_models_country")


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def write_series(folder: Path) -> Path:
    """Three tiny monthly files in the hub-stats layout, plus a rejected row and a duplicate in each."""
    folder.mkdir(parents=True, exist_ok=True)
    for m, day in enumerate(DAYS):
        rows = [(i, c, d[m], a[m]) for i, c, d, a in MODELS if a[m] is not None]
        ids = [r[0] for r in rows] + ["bad id!", "Qwen/Qwen2-7B"]  # rejected by staging; a later duplicate
        n = len(ids)
        pq.write_table(pa.table({
            "id": ids,
            "author": [i.split("/")[0] if "/" in i else None for i in ids],
            "createdAt": pa.array([_ts(r[1]) for r in rows] + [_ts("2024-01-01")] * 2, pa.timestamp("us", tz="UTC")),
            "lastModified": pa.array([_ts(day)] * n, pa.timestamp("us", tz="UTC")),
            "downloads": pa.array([r[2] for r in rows] + [1, 99999], pa.int64()),
            "downloadsAllTime": pa.array([r[3] for r in rows] + [1, 99999], pa.int64()),
            "likes": pa.array([1] * n, pa.int64()),
            "pipeline_tag": ["text-generation"] * n,
            "library_name": ["transformers"] * n,
            "tags": [["transformers"]] * n,
            "cardData": ['{"license": "apache-2.0"}'] * n,
        }), folder / f"{day}.parquet")
    (folder / f"{DAYS[0]}.json").write_text("{}", encoding="utf-8")  # a sidecar: ignored
    return folder


@pytest.fixture(scope="module")
def registry() -> Any:
    return load_registry()


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_series(tmp_path_factory.mktemp("series") / "history")


def _folder_results(series: Path, engine: Any, registry: Any, cases: tuple[str, ...]) -> dict[str, Any]:
    with Store(":memory:") as probe, FolderCensus(
            series, engine=engine, registry=registry,
            row_select=lambda p: hubstats.staging_select(p, hubstats.describe_file(probe, p))) as census:
        return {case: census.metric(CASES[case][0], **dict(CASES[case][1])) for case in cases}


@pytest.fixture(scope="module")
def duck(series: Path, registry: Any) -> dict[str, Any]:
    eng = open_engine("duckdb")
    try:
        return _folder_results(series, eng, registry, tuple(CASES))
    finally:
        eng.close()



@pytest.fixture(scope="module")
def spark(series: Path, registry: Any, spark_engine: Any) -> dict[str, Any]:
    return _folder_results(series, spark_engine, registry, SPARK_CASES)


@pytest.fixture(scope="module")
def store(series: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The same files imported into a store with the existing importer, observed on their file dates."""
    st = Store(tmp_path_factory.mktemp("store") / "census.duckdb")
    for day, path in folder_files(series):
        api.import_hubstats_parquet(st, path, observed_at=day.isoformat())
    yield st
    st.close()


def _store_result(store: Store, registry: Any, case: str) -> Any:
    name, args = CASES[case]
    args = dict(args)
    by, field = args.pop("by"), args.pop("field", None)
    return compute_metric(store, name, by=by, field=field, registry=registry, **args)


def _store_new_models(store: Store, registry: Any, column: str) -> list[dict[str, Any]]:
    """New models per createdAt month on the latest snapshot: the same query file (metric_new_models.sql) run
    on the store, its credit read off the store's models and lineage origins (the store path has no new_models
    metric yet; test_slice_figures_by_hand checks the file's figures by hand)."""
    compute_metric(store, "downloads", by="publisher_country", registry=registry)  # builds the lineage
    sid = store.snapshot(None).id
    with store_queries(store) as q:
        q.define("credit", f"""
            SELECT m.snapshot_id, m.id AS model_id, m.created_at, o.grp, CAST(1 AS DOUBLE) AS w
            FROM models m LEFT JOIN (SELECT DISTINCT model_id, {column} AS grp FROM origins
                                     WHERE snapshot_id = {sid}) o ON o.model_id = m.id
            WHERE m.snapshot_id = {sid}""")
        q.run(["metric_new_models"], {"snapshot": sid})
        return q.rows("SELECT * FROM metric_new_models ORDER BY month NULLS LAST, models DESC, grp NULLS LAST")


@pytest.mark.parametrize("case", list(CASES))
def test_duckdb_folder_equals_store_path(duck: dict[str, Any], store: Store, registry: Any, case: str) -> None:
    """--snapshots DIR on DuckDB gives the store path's rows and model counts for the same files."""
    ours = duck[case]
    name, args = CASES[case]
    if name == "new_models":
        column = {"publisher_country": "publisher_country", "org_type": "publisher_org_type"}[args["by"]]
        want = [{"month": r["month"], args["by"]: r["grp"], "models": r["models"], "share": r["share"]}
                for r in _store_new_models(store, registry, column)]
        assert rounded(ours.to_json()["rows"]) == rounded(api.MetricResult(
            "x", None, [], "all", None, ours.columns, want).to_json()["rows"])
        return
    theirs = _store_result(store, registry, case)
    assert ours.columns == theirs.columns
    assert rounded(ours.to_json()["rows"]) == rounded(theirs.to_json()["rows"])
    assert ours.coverage["models"] == theirs.coverage["models"]
    assert [p["models"] for p in ours.coverage["per_snapshot"]] == \
        [p["models"] for p in theirs.coverage["per_snapshot"]]
    for mine, store_snap in zip(ours.snapshots, theirs.snapshots, strict=True):
        assert {k: mine[k] for k in ("observed_at", "rows", "skipped", "scope", "synthetic")} == \
            {k: store_snap[k] for k in ("observed_at", "rows", "skipped", "scope", "synthetic")}
    assert ours.warnings == theirs.warnings
    assert (ours.trend or {}).get("comparable") == (theirs.trend or {}).get("comparable")
    # the same notes (review20 R20-8: downloads lacked the 30-day note, concentration worded its own), the folder's
    # own (where the files came from) aside
    assert [n for n in ours.notes if not n.startswith("computed on")] == theirs.notes


@pytest.mark.parametrize("case", SPARK_CASES)
def test_spark_equals_duckdb(duck: dict[str, Any], spark: dict[str, Any], case: str) -> None:
    """The same .sql files on Spark local mode give DuckDB's figures."""
    a, b = duck[case].to_json(), spark[case].to_json()
    assert rounded(a["rows"]) == rounded(b["rows"])
    assert a["coverage"] == b["coverage"] and a["warnings"] == b["warnings"] and a.get("trend") == b.get("trend")
    assert [n for n in a["notes"] if not n.startswith("computed on")] == \
        [n for n in b["notes"] if not n.startswith("computed on")]
    assert [{**s, "imported_at": None} for s in a["snapshots"]] == [{**s, "imported_at": None} for s in b["snapshots"]]


def test_slice_figures_by_hand(duck: dict[str, Any]) -> None:
    """A few figures checked by hand, so the engines and the store cannot agree on a wrong answer."""
    rows = {r["publisher_country"]: r for r in duck["downloads_country"].to_json()["rows"]}
    # last file: US = Llama 120 + gpt2 (alias of openai-community) 450 + gemma 20; CN = Qwen 300 + GLM (THUDM
    # renamed to zai-org) 60; unknown = someone/finetune 5 + Someone/Gone 2 + someone/no-30d (no count: 0); the
    # duplicate Qwen row is ignored
    assert (rows["US"]["downloads"], rows["US"]["models"]) == (590, 3)
    assert (rows["CN"]["downloads"], rows["CN"]["models"]) == (360, 2)
    assert (rows[None]["downloads"], rows[None]["models"]) == (7, 3)
    # 9 models in the last file (someone/gone left), one without a 30-day count
    assert "1 of 9 model(s) have no downloads_30d value and count as 0" in duck["downloads_country"].notes
    cum = [r for r in duck["cumulative_country"].to_json()["rows"] if r["snapshot"] == 3 and r["publisher_country"]
           is None]
    # someone/gone left after file 2 and keeps its last level 10: 15 + 4 + 10 + someone/no-30d's 5
    assert cum[0]["downloads"] == 34 and cum[0]["models"] == 4
    notes = " ".join(duck["cumulative_country"].notes)  # metrics.series.series_notes over the folder's panel
    assert "1 negative all-time delta(s)" in notes and "mistralai/Mistral-7B" in notes
    assert "1 model(s) absent from later snapshots" in notes
    # new repos created in February 2024 and still there in the last file: GLM (CN), someone/finetune and
    # Someone/Gone (unknown); someone/gone (January) was deleted before it
    feb = {r["publisher_country"]: (r["models"], r["share"]) for r in duck["new_models_country"].to_json()["rows"]
           if r["month"] == "2024-02"}
    assert feb == {"CN": (1, round(1 / 3, 10)), None: (2, round(2 / 3, 10))}


def test_files_of_different_layouts_in_one_folder(tmp_path: Path, registry: Any) -> None:
    """Files whose schemas differ (an older dump without some columns, narrower integers) are read in
    groups of one layout each, and still give the store path's figures."""
    folder = write_series(tmp_path / "mixed")
    old = pq.read_table(folder / f"{DAYS[0]}.parquet").drop_columns(["likes", "library_name", "cardData"])
    old = old.set_column(old.schema.get_field_index("downloads"), "downloads", old["downloads"].cast(pa.int32()))
    pq.write_table(old, folder / f"{DAYS[0]}.parquet")
    with Store(tmp_path / "s.duckdb") as st:
        for day, path in folder_files(folder):
            api.import_hubstats_parquet(st, path, observed_at=day.isoformat())
        for name in ("downloads_cumulative", "downloads_monthly"):
            want = compute_metric(st, name, by="publisher_country", registry=registry).to_json()["rows"]
            got = api.folder_metric(folder, name, registry=registry).to_json()["rows"]
            assert rounded(got) == rounded(want)


def test_lineage_metrics_and_keys_say_so(series: Path) -> None:
    """A metric or key that needs the lineage build fails with a message that says it (exit 2), not a guess."""
    with pytest.raises(InputError, match="lineage build"):
        api.folder_metric(series, "derivatives")
    with pytest.raises(InputError, match="lineage build --snapshots"):  # the folder's lineage is not built
        api.folder_metric(series, "downloads", by="root_country")
    with pytest.raises(InputError, match="lineage build --snapshots"):
        api.folder_metric(series, "downloads", by="org")  # attribution root: the lineage root's org
    with pytest.raises(InputError, match="not on the --snapshots path yet"):
        api.folder_metric(series, "downloads", by="relation")
    with pytest.raises(InputError, match="not supported with --snapshots"):
        api.folder_metric(series, "downloads", gaps="assign")


def test_command_line(series: Path, duck: dict[str, Any], tmp_path: Path) -> None:
    """``modelcensus metrics NAME --snapshots DIR`` prints the API's result; a lineage key exits 2 in one line."""
    import json
    import subprocess
    import sys

    mc = Path(sys.executable).with_name("modelcensus")
    env = {"MODELCENSUS_DB": str(tmp_path / "never.duckdb"), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(mc), "metrics", *args, "--snapshots", str(series)], capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL, env=env)

    ok = run("downloads", "--by", "publisher_country", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["rows"] == duck["downloads_country"].to_json()["rows"]
    bad = run("downloads", "--by", "root_country")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.count("\n") == 1
    assert "root keys need the lineage of the latest file" in bad.stderr and "lineage build --snapshots" in bad.stderr
    assert not (tmp_path / "never.duckdb").exists()  # no store is created or read


def test_bad_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        api.folder_metric(tmp_path / "missing", "downloads")
    with pytest.raises(InputError, match="no YYYY-MM-DD.parquet"):
        api.folder_metric(tmp_path, "downloads")
    (tmp_path / "latest.parquet").write_bytes(b"x")
    with pytest.raises(InputError, match="latest.parquet is not named"):
        api.folder_metric(tmp_path, "downloads")
    (tmp_path / "latest.parquet").unlink()
    (tmp_path / "2024-01-31.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="2024-01-31.parquet"):
        api.folder_metric(tmp_path, "downloads")


# -- the seam itself, on both engines -----------------------------------------------------------------------

@pytest.fixture(params=["duckdb", "spark"])
def engine(request: pytest.FixtureRequest) -> Any:
    if request.param == "spark":
        yield request.getfixturevalue("spark_engine")
        return
    eng = open_engine("duckdb")
    yield eng
    eng.close()


def test_repeat_until_stable_pointer_doubling(engine: Any) -> None:
    """Roots of a 9-node chain by pointer doubling: log2(8) + 1 rounds, every node pointing at node 1."""
    chain = pa.table({"node": list(range(1, 10)), "p": [1, *range(1, 9)]})
    step = "SELECT a.node, b.p FROM ptr a JOIN ptr b ON b.node = a.p"
    left = "SELECT count(*) AS n FROM ptr a JOIN ptr b ON b.node = a.p WHERE b.p <> a.p"
    with scratch(engine) as area:
        area.register_arrow("ptr", chain)
        rounds = area.repeat_until_stable("ptr", to_dialect(step, engine.dialect), to_dialect(left, engine.dialect))
        roots = area.query(to_dialect("SELECT DISTINCT p FROM ptr", engine.dialect)).column(0).to_pylist()
        assert roots == [1] and rounds <= 4
        area.register_arrow("ptr", chain)
        with pytest.raises(NotStableError, match="ptr: still changing after 1 rounds"):
            area.repeat_until_stable("ptr", to_dialect(step, engine.dialect), to_dialect(left, engine.dialect),
                                     max_rounds=1)


def test_scratch_and_failed_transaction_leave_nothing(engine: Any) -> None:
    with scratch(engine) as area:
        area.materialise("mc_scratch_t", "SELECT 1 AS x")
        assert area.query("SELECT x FROM mc_scratch_t").column(0).to_pylist() == [1]
    with pytest.raises(InputError):
        engine.query("SELECT x FROM mc_scratch_t")
    with pytest.raises(RuntimeError), engine.transaction():
        engine.materialise("mc_tx_t", "SELECT 2 AS x")
        raise RuntimeError("boom")
    with pytest.raises(InputError):
        engine.query("SELECT x FROM mc_tx_t")


def test_duckdb_engine_on_a_store_leaves_the_store_open(store: Store) -> None:
    """DuckDBEngine.from_store runs on the store's connection; closing the engine drops only its own tables."""
    from modelcensus.store.engine_duckdb import DuckDBEngine

    eng = DuckDBEngine.from_store(store)
    eng.materialise("mc_engine_probe", "SELECT count(*) AS n FROM models")
    assert eng.query("SELECT n FROM mc_engine_probe").column(0).to_pylist() == [sum(s.row_count
                                                                                  for s in store.snapshots())]
    eng.close()
    assert store.con.execute("SELECT count(*) FROM snapshots").fetchall() == [(len(DAYS),)]
    with pytest.raises(InputError):
        DuckDBEngine.from_store(store).query("SELECT * FROM mc_engine_probe")


def test_missing_spark_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without java (or pyspark), --engine spark is an InputError naming the extra and Java 17."""
    import modelcensus.store.engine_spark as es

    monkeypatch.setattr(es.shutil, "which", lambda _name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.setattr(es.SparkEngine, "_sessions", {})
    with pytest.raises(InputError, match=r"pip install modelcensus\[spark\].*Java 17"):
        open_engine("spark", spark_master="local[1]")


def test_a_latest_file_of_no_model_reads_the_same_on_both_paths(tmp_path: Path, registry: Any) -> None:
    """Review22 R22-4, labelled first: when the latest file holds no accepted row, both paths give the same notes
    and warnings, and the store path does not call a snapshot of no model one without lineage."""
    folder = write_series(tmp_path / "history")
    last = folder / f"{DAYS[-1]}.parquet"
    rows = pq.read_table(last)
    pq.write_table(rows.filter(pa.array([i == "bad id!" for i in rows.column("id").to_pylist()])), last)
    with Store(tmp_path / "census.duckdb") as st:
        for day, path in folder_files(folder):
            api.import_hubstats_parquet(st, path, observed_at=day.isoformat())
        eng = open_engine("duckdb")
        try:
            with Store(":memory:") as probe, FolderCensus(
                    folder, engine=eng, registry=registry,
                    row_select=lambda p: hubstats.staging_select(p, hubstats.describe_file(probe, p))) as census:
                for name, args in (("downloads", {}), ("downloads", {"field": "downloads_all_time"}),
                                   ("concentration", {}), ("concentration", {"series": True})):
                    ours = census.metric(name, by="publisher_country", **args)
                    extra = dict(args)
                    theirs = compute_metric(st, name, by="publisher_country", field=extra.pop("field", None),
                                            registry=registry, **extra)
                    assert [n for n in ours.notes if not n.startswith("computed on")] == theirs.notes, name
                    assert ours.warnings == theirs.warnings, name
                    assert not any(n.startswith("no lineage") for n in theirs.notes), theirs.notes
                    if not args.get("series"):
                        assert [w["code"] for w in theirs.warnings] == ["no_models"]
        finally:
            eng.close()


def test_concentration_of_a_snapshot_without_downloads_on_both_engines(spark_engine: Any) -> None:
    """A snapshot whose groups have no downloads has no HHI or Gini (NULL), on Spark too: there every row's share
    inside the aggregates is computed before the CASE that looks at the total, and a division by zero is an
    error under ANSI (review30 R30-4). The other snapshot's figures are unchanged."""
    from modelcensus.metrics.queries import query_files

    groups = pa.table({"snapshot_id": [7, 7, 7, 9, 9], "grp": ["a", "b", None, "a", "b"],
                       "x": [0.0, 0.0, 0.0, 30.0, 10.0]})
    days = [datetime(2025, 1, 31, tzinfo=UTC), datetime(2025, 2, 28, tzinfo=UTC)]
    index = pa.table({"k": [1, 2], "snapshot_id": [7, 9], "observed_at": days})
    results = []
    for engine in (open_engine("duckdb"), spark_engine):
        engine.register_arrow("concentration_groups", groups)
        engine.register_arrow("snapshot_index", index)
        try:
            sql = query_files()["metric_concentration"].text(
                "spark" if engine is spark_engine else "duckdb", {"include_unknown": 0, "first_k": 1})
            results.append(sorted(engine.query(sql).to_pylist(), key=lambda r: r["k"]))
        finally:
            engine.drop("concentration_groups")
            engine.drop("snapshot_index")
    duck, spark = results
    assert (duck[0]["hhi"], duck[0]["gini"], duck[0]["unknown_share"]) == (None, None, None)
    assert duck[1]["hhi"] == pytest.approx(0.625) and duck[1]["gini"] == pytest.approx(0.25)
    assert rounded(spark) == rounded(duck)
