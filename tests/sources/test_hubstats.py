"""hub-stats models.parquet: set-based import, both nested encodings, observation time rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus.errors import InputError
from modelcensus.sources.hubstats import import_hubstats_parquet
from modelcensus.sources.ingest import import_path

TS = pa.timestamp("us", tz="UTC")


def _rows() -> list[dict]:
    return [
        {"id": "Qwen/Qwen2.5-7B", "author": "Qwen", "createdAt": datetime(2024, 9, 15, tzinfo=UTC),
         "lastModified": datetime(2024, 9, 25, 12, 0, 1, 250000, tzinfo=UTC), "downloads": 1000,
         "downloadsAllTime": 50000, "likes": 10, "trendingScore": 1.5, "pipeline_tag": "text-generation",
         "library_name": "transformers", "tags": ["transformers", "license:apache-2.0"],
         "baseModels": None, "safetensors": {"total": 7_615_616_512},
         "gguf": None, "cardData": json.dumps({"license": "apache-2.0"}),
         "config": json.dumps({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}),
         "gated": "False"},
        {"id": "someone/Qwen2.5-7B-GGUF", "author": "someone", "createdAt": datetime(2024, 10, 1, tzinfo=UTC),
         "lastModified": datetime(2024, 10, 2, tzinfo=UTC), "downloads": 50, "downloadsAllTime": 70, "likes": 0,
         "trendingScore": None, "pipeline_tag": None, "library_name": "gguf",
         "tags": ["gguf", "base_model:quantized:Qwen/Qwen2.5-7B"],
         "baseModels": {"relation": "quantized", "models": [{"id": "Qwen/Qwen2.5-7B"}]},
         "safetensors": None, "gguf": json.dumps({"architecture": "qwen2", "total": 7615616512}),
         "cardData": json.dumps({"base_model": "Qwen/Qwen2.5-7B", "license": "MIT"}), "config": None,
         "gated": "manual"},
        {"id": "bad/negative", "author": "bad", "createdAt": None, "lastModified": None, "downloads": -5,
         "downloadsAllTime": 0, "likes": 0, "trendingScore": None, "pipeline_tag": None, "library_name": None,
         "tags": [], "baseModels": None, "safetensors": None, "gguf": None, "cardData": None, "config": None,
         "gated": None},
        {"id": "merger/m1", "author": "merger", "createdAt": datetime(2025, 1, 1, tzinfo=UTC),
         "lastModified": datetime(2025, 1, 3, tzinfo=UTC), "downloads": 3, "downloadsAllTime": 3, "likes": 1,
         "trendingScore": 0.0, "pipeline_tag": "text-generation", "library_name": "transformers", "tags": None,
         "baseModels": {"relation": "merge", "models": [{"id": "a/x"}, {"id": "b/y"}]},
         "safetensors": None, "gguf": None, "cardData": "not json {", "config": None, "gated": "False"},
    ]


STRUCT_SCHEMA = pa.schema([
    ("id", pa.string()), ("author", pa.string()), ("createdAt", TS), ("lastModified", TS),
    ("downloads", pa.int64()), ("downloadsAllTime", pa.int64()), ("likes", pa.int64()),
    ("trendingScore", pa.float64()), ("pipeline_tag", pa.string()), ("library_name", pa.string()),
    ("tags", pa.list_(pa.string())),
    ("baseModels", pa.struct([("relation", pa.string()), ("models", pa.list_(pa.struct([("id", pa.string())])))])),
    ("safetensors", pa.struct([("total", pa.int64())])), ("gguf", pa.string()), ("cardData", pa.string()),
    ("config", pa.string()), ("gated", pa.string()),
])


def write_struct_layout(path: Path, rows: list[dict] | None = None, metadata: dict | None = None) -> Path:
    table = pa.Table.from_pylist(rows or _rows(), schema=STRUCT_SCHEMA)
    if metadata:
        table = table.replace_schema_metadata(metadata)
    pq.write_table(table, path)
    return path


def write_json_layout(path: Path) -> Path:
    """The same rows with every nested field as JSON text and timestamps as ISO strings."""
    rows = []
    for r in _rows():
        r = dict(r)
        for k in ("baseModels", "safetensors"):
            r[k] = json.dumps(r[k]) if r[k] is not None else None
        r["tags"] = json.dumps(r["tags"]) if r["tags"] is not None else None
        for k in ("createdAt", "lastModified"):
            r[k] = r[k].isoformat().replace("+00:00", "Z") if r[k] else None
        rows.append(r)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _models(store, sid):
    return {r[0]: r for r in store.con.execute(
        "SELECT id, downloads_30d, downloads_all_time, params, license, gated, base_model_relation, "
        "base_models, last_modified, trending_score FROM models WHERE snapshot_id = ?", [sid]).fetchall()}


@pytest.mark.parametrize("writer", [write_struct_layout, write_json_layout], ids=["structs", "json-text"])
def test_import_maps_both_nested_encodings(store, tmp_path, writer):
    path = writer(tmp_path / "models.parquet")
    res = import_hubstats_parquet(store, path, observed_at="2025-01-05")
    snap = res.snapshot
    assert (snap.source, snap.row_count, snap.skipped_count) == ("hub-stats", 2, 2)
    assert snap.observed_at == datetime(2025, 1, 5, tzinfo=UTC)
    assert sorted(res.skipped.reasons.items()) == [("absurd downloads value", 1), ("card data is not JSON", 1)]
    m = _models(store, snap.id)
    assert m["Qwen/Qwen2.5-7B"][1:6] == (1000, 50000, 7_615_616_512, "apache-2.0", "false")
    assert m["Qwen/Qwen2.5-7B"][8] == datetime(2024, 9, 25, 12, 0, 1, 250000, tzinfo=UTC)
    assert m["Qwen/Qwen2.5-7B"][9] == 1.5
    gguf = m["someone/Qwen2.5-7B-GGUF"]
    assert gguf[4:8] == ("mit", "manual", "quantized", ["Qwen/Qwen2.5-7B"])
    decl = store.con.execute(
        "SELECT child_id, parent_id, relation, source FROM declarations WHERE snapshot_id = ? ORDER BY source",
        [snap.id]).fetchall()
    assert decl == [("someone/Qwen2.5-7B-GGUF", "Qwen/Qwen2.5-7B", None, "card"),
                    ("someone/Qwen2.5-7B-GGUF", "Qwen/Qwen2.5-7B", "quantized", "hub"),
                    ("someone/Qwen2.5-7B-GGUF", "Qwen/Qwen2.5-7B", "quantized", "tag")]


def test_reimport_is_idempotent(store, tmp_path):
    path = write_struct_layout(tmp_path / "models.parquet")
    first = import_hubstats_parquet(store, path, observed_at="2025-01-05")
    again = import_path(store, path, observed_at="2025-01-05")
    assert again[0].already_present and again[0].snapshot.id == first.snapshot.id
    assert store._one("SELECT count(*) FROM snapshots")[0] == 1
    other_day = import_hubstats_parquet(store, path, observed_at="2025-02-05")
    assert not other_day.already_present and other_day.snapshot.id != first.snapshot.id


def test_observed_at_from_file_metadata(store, tmp_path):
    path = write_struct_layout(tmp_path / "m.parquet", metadata={"observed_at": "2025-03-01T06:00:00Z"})
    snap = import_hubstats_parquet(store, path).snapshot
    assert snap.observed_at == datetime(2025, 3, 1, 6, tzinfo=UTC)
    assert snap.notes["observed_at_from"] == "file key-value metadata 'observed_at'"


def test_observed_at_estimated_from_last_modified_says_so(store, tmp_path):
    snap = import_hubstats_parquet(store, write_struct_layout(tmp_path / "m.parquet")).snapshot
    assert snap.observed_at == datetime(2025, 1, 3, tzinfo=UTC)  # newest lastModified
    assert snap.notes["observed_at_from"].startswith("estimate")
    assert "lower bound" in snap.notes["observed_at_estimate"]


def test_missing_columns_are_tolerated(store, tmp_path):
    path = tmp_path / "thin.parquet"
    pq.write_table(pa.table({"id": ["a/b", "c/d", None], "downloads": [1, 2, 3]}), path)
    res = import_hubstats_parquet(store, path, observed_at="2025-01-01")
    assert (res.snapshot.row_count, res.skipped.reasons) == (2, {"missing id": 1})


def test_no_id_column_is_a_clear_error(store, tmp_path):
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"name": ["x"]}), path)
    with pytest.raises(InputError, match=r"other\.parquet: Parquet without an id column"):
        import_hubstats_parquet(store, path, observed_at="2025-01-01")
    assert store.snapshots() == []


def test_synthetic_files_make_synthetic_snapshots(store, tmp_path):
    path = write_struct_layout(tmp_path / "syn.parquet",
                               metadata={"synthetic": "true", "modelcensus.observed_at": "2025-12-31"})
    snap = import_hubstats_parquet(store, path).snapshot
    assert snap.synthetic is True and snap.as_dict()["synthetic"] is True
    assert snap.observed_at == datetime(2025, 12, 31, tzinfo=UTC)


def test_many_bad_rows_are_counted_in_sql_and_duplicates_keep_the_first(store, tmp_path):
    n = 5000
    path = tmp_path / "big.parquet"
    ids = [f"org/m{i}" for i in range(n)] + ["org/m7", "org/m8"]  # two repeated ids at the end
    downloads = [-1 if i % 5 < 3 else i for i in range(n)] + [999_999, 999_999]
    pq.write_table(pa.table({"id": ids, "downloads": downloads}), path)
    res = import_hubstats_parquet(store, path, observed_at="2025-01-01")
    assert res.skipped.count == 3000 and res.skipped.reasons == {"absurd downloads value": 3000}
    assert [e["position"] for e in res.skipped.examples] == [1, 2, 3, 6, 7, 8, 11, 12, 13, 16]
    assert res.snapshot.row_count == 2001
    # org/m7 was rejected at its first occurrence, so its later good row lands; org/m8 keeps its first
    got = dict(store.con.execute("SELECT id, downloads_30d FROM models WHERE id IN ('org/m7', 'org/m8')").fetchall())
    assert got == {"org/m7": 999_999, "org/m8": 8}


@pytest.mark.parametrize("writer", [write_struct_layout, write_json_layout], ids=["structs", "json-text"])
def test_spark_stages_both_nested_encodings_as_duckdb(tmp_path, writer, spark_engine):
    """The importer's mapping runs on Spark too (lineage build --engine spark): baseModels, tags and safetensors
    as JSON text went through from_json with DuckDB's structure string, which Spark could not parse."""
    from modelcensus.sources.hubstats import describe_file, stage_file, staging_select
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    path = writer(tmp_path / "models.parquet")
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        duck = probe.con.sql(staging_select(path, describe_file(probe, path))).to_arrow_table().to_pylist()
        spark = area.query(f"SELECT * FROM {stage_file(area, path, probe)}").to_pylist()

    def key(rows):
        cols = ("id", "tags", "base_models", "safetensors_total", "files", "_problem")
        return sorted((r["_pos"], *(json.loads(r[c]) if c == "base_models" and r[c] else r[c] for c in cols))
                      for r in rows)

    assert key(spark) == key(duck) and len(duck) == 4


def test_spark_writes_struct_json_columns_as_duckdb(tmp_path, spark_engine):
    """config / cardData stored as structs become JSON text on both engines; a field that is null stays in the
    text on both (Spark's to_json dropped it by default, DuckDB keeps it: ``{"quantization_config": null}``
    then read as JSON null on one engine and as a missing key on the other)."""
    from modelcensus.sources.hubstats import describe_file, stage_file, staging_select
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    config = pa.struct([("model_type", pa.string()), ("quantization_config", pa.struct([("bits", pa.int64())])),
                        ("vocab_size", pa.int64())])
    card = pa.struct([("base_model", pa.string()), ("license", pa.string())])
    table = pa.table({
        "id": ["a/x", "b/y", "c/z"], "downloads": [1, 2, 3],
        "config": pa.array([{"model_type": "llama", "quantization_config": None, "vocab_size": 32000},
                            {"model_type": None, "quantization_config": {"bits": 4}, "vocab_size": None},
                            None], config),
        "cardData": pa.array([{"base_model": "m/base", "license": None}, None,
                              {"base_model": None, "license": "mit"}], card),
    })
    path = tmp_path / "models.parquet"
    pq.write_table(table, path)
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        duck = probe.con.sql(staging_select(path, describe_file(probe, path))).to_arrow_table().to_pylist()
        spark = area.query(f"SELECT * FROM {stage_file(area, path, probe)}").to_pylist()
    cols = [c for c in ("config", "card_data") if c in duck[0]]
    assert cols == ["config", "card_data"]
    got = {r["id"]: [r[c] for c in cols] for r in spark}
    want = {r["id"]: [r[c] for c in cols] for r in duck}
    assert got == want
    assert json.loads(want["a/x"][0]) == {"model_type": "llama", "quantization_config": None, "vocab_size": 32000}


def test_spark_stages_the_real_2022_listing_as_duckdb(tmp_path, shared_data, spark_engine):
    """Data we did not write: 3,000 records of the real 2022 Hub listing (hf_hub_snapshot_2022), written as a
    hub-stats file, pass the engine check on Spark (no false alarm) and stage the same rows on both engines."""
    import gzip
    from itertools import islice

    from modelcensus.sources.hubstats import describe_file, stage_file, staging_select
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    with gzip.open(shared_data / "hf_hub_snapshot_2022" / "models_2022-02.jsonl.gz", "rt") as fh:
        recs = [json.loads(line) for line in islice(fh, 3000)]

    def config(r):
        if r["config_model_type"] is None and r["config_architectures"] is None:
            return None
        return json.dumps({"model_type": r["config_model_type"], "architectures": r["config_architectures"]})

    path = tmp_path / "2022-02-15.parquet"
    pq.write_table(pa.table({
        "id": [r["modelId"] for r in recs], "author": [r["author"] for r in recs], "sha": [r["sha"] for r in recs],
        "lastModified": [r["lastModified"] for r in recs], "downloads": [r.get("downloads") for r in recs],
        "likes": [r["likes"] for r in recs], "pipeline_tag": [r["pipeline_tag"] for r in recs],
        "library_name": [r["library_name"] for r in recs], "tags": [r["tags"] for r in recs],
        "private": [r["private"] for r in recs], "config": [config(r) for r in recs]}), path)
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        duck = probe.con.sql(staging_select(path, describe_file(probe, path))).to_arrow_table().to_pylist()
        spark = area.query(f"SELECT * FROM {stage_file(area, path, probe)}").to_pylist()
    cols = ("id", "author", "last_modified", "downloads", "likes", "pipeline_tag", "library_name", "tags",
            "config", "private", "_problem")
    assert len(duck) == len(spark) == 3000
    assert sorted(tuple(str(r[c]) for c in cols) for r in spark) == sorted(tuple(str(r[c]) for c in cols) for r in duck)


def test_spark_check_passes_doubles_both_engines_stage_alike(tmp_path, spark_engine):
    """Native double scores are staged as the same doubles on both engines; the check must not refuse them
    (review: round(v, 6) and decimal casts differ between the engines on 0.1234565, 2.6750005, 5e-07, ...)."""
    from modelcensus.sources.hubstats import stage_file
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    scores = [0.1234565, 2.6750005, 5e-07, 1234567890.123, -3.25, 1e16, float("nan"), 0.1 + 0.2, None]
    path = tmp_path / "models.parquet"
    pq.write_table(pa.table({"id": [f"o/m{i}" for i in range(len(scores))], "downloads": list(range(len(scores))),
                             "trendingScore": pa.array(scores, pa.float64())}), path)
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        name = stage_file(area, path, probe)  # raises InputError if the check refuses the file
        assert area.query(f"SELECT count(*) AS n FROM {name}").column(0)[0].as_py() == len(scores)


def test_spark_check_compares_dates_to_the_microsecond_and_large_scores(tmp_path, spark_engine):
    """Labelled before the fix: a native createdAt of 1969-12-31 23:59:59.5 is staged alike by both engines and
    must pass (whole seconds were compared, and DuckDB's floor(epoch()) gave -1 where Spark's
    FLOOR(UNIX_TIMESTAMP()) gave 0: "created_at staged differently"); a date one engine stages 1 microsecond
    later, and a trending score of 1e20 staged as the next double, must fail naming their rows (whole seconds
    did not see the one, scores of 1e15 or more were only counted). No cast we probed stages a date differently
    on the two engines, so Spark reads a copy of the file with those values moved."""
    import math

    from modelcensus.sources.engine_check import check_engines_agree
    from modelcensus.sources.hubstats import describe_file, stage_file
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    created = [datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
               datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC),
               datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), None]
    scores = [-2.5e16, 3.7e25, 1e20, 1e300]
    ids = ["a/x", "b/y", "c/z", "d/w"]
    path, moved, moved_score = (tmp_path / f"{n}.parquet" for n in ("models", "moved", "moved_score"))

    def write(where):
        pq.write_table(pa.table({"id": ids, "downloads": [1, 2, 3, 4], "createdAt": pa.array(created, TS),
                                 "trendingScore": pa.array(scores, pa.float64())}), where)

    write(path)
    created[1] = datetime(2025, 3, 4, 5, 6, 7, 123457, tzinfo=UTC)
    write(moved)
    created[1], scores[2] = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC), math.nextafter(1e20, math.inf)
    write(moved_score)
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        name = stage_file(area, path, probe)  # raised InputError before: created_at staged differently
        assert area.query(f"SELECT count(*) AS n FROM {name}").column(0)[0].as_py() == 4
        cols = describe_file(probe, path)
        for view, file, named in (("moved_date", moved, r"row 1 \(id 'b/y'\): created_at"),
                                  ("moved_score", moved_score, r"row 2 \(id 'c/z'\): trending_score")):
            area.register_parquet(view, file, row_number="file_row_number")
            with pytest.raises(InputError, match=rf"1 row\(s\) .* {named} staged differently"):
                check_engines_agree(area, view, path, cols, probe)


def _write_pandas_nanoseconds(path: Path) -> list[str]:
    """A hub-stats file as pandas writes it: createdAt timestamp[ns, UTC], lastModified timestamp[ns] (naive),
    with nanosecond digits, before 1970 too; returns createdAt to the microsecond, earlier (the staged value)."""
    import pandas as pd

    created = pd.to_datetime(["1969-12-31 23:59:59.999999999", "2025-03-04 05:06:07.123456789",
                              "1969-12-31 23:59:59.000000001", None], utc=True)
    pd.DataFrame({"id": ["a/x", "b/y", "c/z", "d/w"], "downloads": [1, 2, 3, 4], "createdAt": created,
                  "lastModified": created.tz_localize(None) + pd.Timedelta(days=1)}).to_parquet(path)
    assert pq.read_schema(path).field("createdAt").type == pa.timestamp("ns", tz="UTC")
    return ["1969-12-31 23:59:59.999999", "2025-03-04 05:06:07.123456", "1969-12-31 23:59:59.000000", None]


def test_pandas_nanosecond_dates_are_imported(store, tmp_path):
    """DuckDB reads a pandas-written timestamp[ns, UTC] as TIMESTAMPTZ_NS, which the mapping wrote as text
    ending '+00+00': every createdAt was staged NULL (lastModified, naive, kept 9 digits the cast truncated)."""
    path = tmp_path / "models.parquet"
    want = _write_pandas_nanoseconds(path)
    sid = import_hubstats_parquet(store, path, observed_at="2025-06-30").snapshot.id
    got = dict(store.con.execute("SELECT id, strftime(created_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%f') "
                                 "FROM models WHERE snapshot_id = ?", [sid]).fetchall())
    assert [got[m] for m in ("a/x", "b/y", "c/z", "d/w")] == want


def test_spark_stages_pandas_nanosecond_dates_as_duckdb(tmp_path, spark_engine):
    """Spark refused such a file (PARQUET_TYPE_ILLEGAL: INT64 (TIMESTAMP(NANOS,true))) that DuckDB builds: now it
    reads the nanoseconds as longs and turns them into the timestamps DuckDB reads (to the microsecond, earlier),
    and the staged rows are the same on both engines."""
    from modelcensus.sources.hubstats import describe_file, stage_file, staging_select
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    path = tmp_path / "models.parquet"
    want = _write_pandas_nanoseconds(path)
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        duck = probe.con.sql(staging_select(path, describe_file(probe, path))).to_arrow_table().to_pylist()
        spark = area.query(f"SELECT * FROM {stage_file(area, path, probe)}").to_pylist()
    duck.sort(key=lambda r: r["_pos"])
    assert sorted(spark, key=lambda r: r["_pos"]) == duck
    assert [r["created_at"] for r in duck] == [w and f"{w}+00" for w in want]
