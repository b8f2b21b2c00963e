"""The query files of the declared edge rules (``lineage/sql/declared``): the values the build passes reach them
(parsing, headers and Spark transpiling of every lineage query file: test_query_files.py)."""

from __future__ import annotations

import pyarrow as pa

from modelcensus.lineage import stated
from modelcensus.lineage.edges_declared import FULL_WEIGHTS, MOE_MODEL_TYPE, URL_PREFIX, VOCAB_SLACK, declared_files
from modelcensus.store.engine import scratch
from modelcensus.store.engine_duckdb import DuckDBEngine

FOLDER = declared_files()


def _text(stem: str, dialect: str) -> str:
    return FOLDER.text(stem, dialect, {"sid": 7})


def test_the_folder_holds_the_rules_files() -> None:
    assert set(FOLDER.files) == {"decl_raw", "decl_res", "invalid_decl", "decl0", "cx", "contra", "decl",
                                 "contra_problems", "stated_nodes", "stated_raw", "decl_stated"}


def test_code_values_reach_the_files_unchanged() -> None:
    raw, cx, contra = _text("decl_raw", "duckdb"), _text("cx", "duckdb"), _text("contra", "duckdb")
    assert "'" + URL_PREFIX + "'" in raw and "snapshot_id = 7" in raw and "'finetune', 'adapter'" in raw
    assert "'" + FULL_WEIGHTS + "'" in cx and f"> {VOCAB_SLACK}" in cx
    assert "'" + MOE_MODEL_TYPE + "'" in contra
    assert "regexp_full_match(r.parent_id" in _text("decl_res", "duckdb")
    assert "json_type(card_data, '$.base_model')" in _text("invalid_decl", "duckdb")


def test_stated_list_registers_one_row_per_base() -> None:
    sf = stated.StatedFile(version="t", models=[
        stated.StatedModel(id="Lab/Model-7B", bases=["a/base", "b/base"], evidence=["one", "two"])])
    engine = DuckDBEngine()
    try:
        with scratch(engine) as area:
            stated.register(area, sf)
            got = engine.query("SELECT * FROM reg_stated ORDER BY base_id").to_pylist()
            stated.register(area, stated.StatedFile(version="empty", models=[]))
            empty = engine.query("SELECT * FROM reg_stated")
    finally:
        engine.close()
    assert got == [{"model_id_lower": "lab/model-7b", "model_id": "Lab/Model-7B", "base_id": b, "teacher_id": None,
                    "evidence": "one; two"} for b in ("a/base", "b/base")]
    assert empty.num_rows == 0 and empty.schema.field("teacher_id").type == pa.string()
