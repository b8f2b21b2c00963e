"""The staging query files (store/sql/staging) make the same models and declarations on every engine.

The reference is the DuckDB importer (``api.import_path`` into a store), which runs the same files wrapped in
INSERT; the engine function (``staging_engine.make_store_rows``) is run on an in-memory DuckDB and on Spark
over the rows the importer staged, and every table is compared as a sorted row set.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus import api
from modelcensus.errors import InputError
from modelcensus.sources import hubstats
from modelcensus.sources.synthetic import write_hubstats_parquet
from modelcensus.store import staging
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.staging_engine import make_store_rows

JSON_COLUMNS = ("config", "gguf", "card_data")


def _hostile(i: int, **row: Any) -> dict[str, Any]:
    base = {"id": f"hostile/model-{i}", "author": None, "downloads": 3, "downloadsAllTime": 9, "likes": 1,
            "tags": ["transformers"], "cardData": None, "config": None, "baseModels": None}
    return {**base, **row}


HOSTILE = [
    _hostile(1, cardData='{"license": "mit", '),  # not JSON: rejected
    _hostile(2, cardData=json.dumps({"base_model": ["org/a", "https://huggingface.co/org/b", " org/c ", 12, None,
                                                    "not a valid id!!", {"id": "x/y"}],
                                     "base_model_relation": "Finetune", "license": ["MIT", "x"]})),
    _hostile(3, cardData='{"base_model": "https://www.huggingface.co/Org/Parent", "license": " Apache-2.0 "}'),
    _hostile(4, tags=["base_model:adapter:org/p1", "base_model:org/p2", "base_model:finetune:",
                      "base_model:quantized:https://huggingface.co/org/p3", "license:BSD-3", "base_model:merge:a:b"]),
    _hostile(5, baseModels={"relation": "ADAPTER", "models": [{"id": "https://huggingface.co/org/hp"},
                                                              {"id": "bad id"}, {"id": "org/hq"}]}),
    _hostile(6, downloads=7), _hostile(6, downloads=8),  # a repeated id: the first occurrence wins
    _hostile(7, id=None), _hostile(8, id="a b"), _hostile(9, downloads=-5),
    _hostile(10, config='{"model_type": "llama", "architectures": "LlamaForCausalLM"}',
             cardData='{"base_model": {"x": 1}, "license": 7}'),
    _hostile(11, config='{"model_type": 3, "architectures": ["A", null, {"b": 1}]}', cardData="null"),
    _hostile(12, cardData='{"base_model": [], "base_model_relation": ""}', tags=None),
]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~400 synthetic models plus the hostile rows, in the hub-stats layout."""
    path = tmp_path_factory.mktemp("hub") / "models.parquet"
    write_hubstats_parquet(path, n_models=400, seed=11)
    table = pq.read_table(path)
    rows = table.to_pylist() + [{c: r.get(c) for c in table.column_names} for r in HOSTILE]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    return path


@pytest.fixture(scope="module")
def imported(hub: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The DuckDB importer's tables, its snapshot id, and the rows it staged (Arrow, staging layout)."""
    with api.open_store(tmp_path_factory.mktemp("store") / "s.duckdb") as store:
        api.import_path(store, hub, source="hub-stats", observed_at="2025-06-30")
        sid = store.con.execute("SELECT max(id) FROM snapshots").fetchall()[0][0]
        tables = {t: store.con.sql(f"SELECT * FROM {t} WHERE snapshot_id = {sid}").to_arrow_table()
                  for t in ("models", "declarations")}
        staged = store.con.sql(hubstats.staging_select(hub, hubstats.describe_file(store, hub))).to_arrow_table()
    return {"sid": sid, "staged": staged, **tables}


def _value(column: str, v: Any) -> Any:
    if column in JSON_COLUMNS and v is not None:
        return json.loads(v)  # DuckDB's JSON type re-serialises the text, Spark keeps the source's: same document
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC)
    return v


def _rows(table: pa.Table) -> list[str]:
    return sorted(json.dumps({c: _value(c, v) for c, v in row.items()}, default=str, sort_keys=True)
                  for row in table.to_pylist())


def _type(t: pa.DataType) -> str:
    """An Arrow type up to names that do not change a value: the zone's spelling, the list item's field name."""
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}, {'UTC' if t.tz in ('UTC', 'Etc/UTC') else t.tz}]"
    if pa.types.is_list(t):
        return f"list<{_type(t.value_type)}>"
    return str(t)


def _assert_same(made: dict[str, pa.Table], imported: dict[str, Any]) -> None:
    for t in ("models", "declarations"):
        assert made[t].column_names == imported[t].column_names, t
        assert [_type(f.type) for f in made[t].schema] == [_type(f.type) for f in imported[t].schema], t
        want, got = _rows(imported[t]), _rows(made[t])
        assert len(got) == len(want), (t, len(got), len(want))
        assert got == want, (t, next((g, w) for g, w in zip(got, want, strict=True) if g != w))


def _make(engine: Any, imported: dict[str, Any]) -> dict[str, Any]:
    engine.register_arrow("hub_staged", imported["staged"])
    counts = make_store_rows(engine, "hub_staged", imported["sid"])
    return {"counts": counts, **{t: engine.query(f"SELECT * FROM {t}") for t in ("models", "declarations")}}


def test_the_importer_runs_the_files_on_the_hostile_rows(imported: dict[str, Any]) -> None:
    models = {r["id"]: r for r in imported["models"].to_pylist()}
    assert "hostile/model-1" not in models and "a b" not in models and "hostile/model-9" not in models
    assert models["hostile/model-6"]["downloads_30d"] == 7
    assert models["hostile/model-2"]["base_models"] == ["org/a", "org/b", "org/c", "12"]
    assert models["hostile/model-2"]["license"] == "mit" and models["hostile/model-3"]["license"] == "apache-2.0"
    assert models["hostile/model-3"]["base_models"] == ["Org/Parent"]
    assert models["hostile/model-4"]["license"] == "bsd-3"
    assert models["hostile/model-4"]["base_model_relation"] == "adapter"
    assert models["hostile/model-10"]["architectures"] is None and models["hostile/model-10"]["base_models"] is None
    decl = {(r["child_id"], r["parent_id"], r["relation"], r["source"]) for r in imported["declarations"].to_pylist()}
    assert {("hostile/model-4", "org/p1", "adapter", "tag"), ("hostile/model-4", "org/p2", None, "tag"),
            ("hostile/model-4", "org/p3", "quantized", "tag"), ("hostile/model-5", "org/hp", "adapter", "hub"),
            ("hostile/model-5", "org/hq", "adapter", "hub"), ("hostile/model-2", "org/b", "finetune", "card")} <= decl
    assert not any(r[0] == "hostile/model-5" and r[1] == "bad id" for r in decl)


def test_the_engine_function_on_duckdb_equals_the_importer(imported: dict[str, Any]) -> None:
    engine = DuckDBEngine()
    try:
        made = _make(engine, imported)
    finally:
        engine.close()
    _assert_same(made, imported)
    assert made["counts"]["rejected"] == {"absurd downloads value": 1, "card data is not JSON": 1,
                                          "id is not a Hub model id": 1, "missing id": 1}


def test_spark_makes_the_importers_models_and_declarations(imported: dict[str, Any]) -> None:
    from modelcensus.store.engine_spark import SparkEngine, spark_available

    why = spark_available()
    if why:
        pytest.skip(f"Spark cannot run here: {why}")
    engine = SparkEngine.shared()
    try:
        made = _make(engine, imported)
    finally:
        for name in ("hub_staged", "models", "declarations"):
            engine.drop(name)
    _assert_same(made, imported)
    assert made["counts"]["models"] == imported["models"].num_rows


def test_bad_arguments_are_input_errors() -> None:
    engine = DuckDBEngine()
    try:
        with pytest.raises(InputError, match="snapshot id"):
            make_store_rows(engine, "x", -1)
        with pytest.raises(InputError, match="table name"):
            make_store_rows(engine, "x; DROP TABLE y", 1)
    finally:
        engine.close()


def test_every_file_has_a_spark_form() -> None:
    files = staging.staging_files()
    for stem in files.files:
        assert "SELECT" in files.text(stem, "spark").upper()
