"""The query files of the declared edge rules (``lineage/sql/declared``): the values the build passes reach them
(parsing, headers and Spark transpiling of every lineage query file: test_query_files.py)."""

from __future__ import annotations

from typing import Any

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


# decl0: which declared parents a child keeps, with their relation, grade and evidence. Each child below is one
# rule; the expected rows were written from the rules (lineage.md "declared edges") before the file was run.
# _lin_decl_res rows: child, parent_id, relation, src_rank (0 card, 1 Hub or tag with a relation, 2 plain tag or
# GGUF), source, resolved (the id the snapshot holds), canonical_id (a registry legacy alias), valid
_DECL_RES = [
    ("a/c1", "p/base1", "finetune", 0, "card", "p/base1", None, True),   # the card beats the Hub
    ("a/c1", "p/base2", "adapter", 1, "hub", "p/base2", None, True),
    ("a/c2", "p/base1", None, 1, "hub", "p/base1", None, True),          # Hub + tag on one parent: tag's relation
    ("a/c2", "p/base1", "quantized", 1, "tag", "p/base1", None, True),
    ("a/c3", "p/base2", "adapter", 1, "tag", "p/base2", None, True),     # a tag with a relation beats plain ones
    ("a/c3", "p/base3", None, 2, "tag", "p/base3", None, True),
    ("a/c3", "p/base1", None, 2, "gguf", "p/base1", None, True),
    ("a/c4", "p/base1", None, 2, "tag", "p/base1", None, True),          # two plain parents: a merge
    ("a/c4", "x/gone", None, 2, "gguf", None, None, True),
    ("a/c5", "p/base1", None, 2, "tag", "p/base1", None, True),          # a GGUF-tagged child: quantized
    ("a/c6", "p/base1", None, 0, "card", "p/base1", None, True),         # an adapter by its files
    ("a/c7", "p/base1", "finetune", 1, "hub", "p/base1", None, True),    # each parent its own relation
    ("a/c7", "p/base2", "adapter", 1, "tag", "p/base2", None, True),
    ("a/c8", "p/base1", None, 1, "hub", "p/base1", None, True),          # no relation of its own: the child's
    ("a/c8", "p/base2", "adapter", 1, "tag", "p/base2", None, True),
    ("a/c9", "A/C9", None, 0, "card", "a/c9", None, True),               # itself and an invalid id: not edges,
    ("a/c9", "not an id", None, 0, "card", None, None, False),           # so the Hub's parent is the tier
    ("a/c9", "p/base3", None, 1, "hub", "p/base3", None, True),
    ("a/c10", "gpt2", None, 0, "card", None, "openai-community/gpt2", True),  # a legacy alias, not in the snapshot
    # (review22 R22-1) a parent of a weaker source makes no merge, but its relation is the model's:
    ("a/c11", "p/base1", None, 0, "card", "p/base1", None, True),        # one card parent, the Hub's aside
    ("a/c11", "p/base2", None, 1, "hub", "p/base2", None, True),
    ("a/c12", "p/base1", None, 0, "card", "p/base1", None, True),        # the Hub's relation for the model
    ("a/c12", "p/base2", "adapter", 1, "tag", "p/base2", None, True),
    ("a/c13", "X/Gone", None, 1, "hub", None, "x/gone", True),           # present as the chosen source says
    ("a/c13", "x/gone", None, 2, "gguf", "x/gone", None, True),
    ("a/c14", "p/base1", "adapter", 0, "card", "p/base1", None, True),   # the card's relation is the model's
    ("a/c14", "p/base2", None, 0, "card", "p/base2", None, True),
]
_MODELS = {  # id -> (tags, base_name differs from name, has_quant, files, library_name)
    "a/c1": ([], False, False, [], None), "a/c2": ([], False, False, [], None), "a/c3": ([], False, False, [], None),
    "a/c4": ([], False, False, [], None), "a/c5": (["gguf"], False, False, [], None),
    "a/c6": ([], False, False, ["adapter_config.json"], None), "a/c7": ([], False, False, [], None),
    "a/c8": ([], False, False, [], None), "a/c9": ([], False, False, [], None), "a/c10": ([], False, False, [], None),
    "a/c11": ([], False, False, [], None), "a/c12": ([], False, False, [], None),
    "a/c13": ([], False, False, [], None), "a/c14": ([], False, False, [], None),
}
_EXPECTED = {  # (child, parent) -> (present, relation, grade, evidence)
    ("a/c1", "p/base1"): (True, "finetune", "declared", "card base_model"),
    ("a/c2", "p/base1"): (True, "quantized", "hub", "Hub baseModels"),
    ("a/c3", "p/base2"): (True, "adapter", "hub", "Hub tag base_model:<relation>"),
    ("a/c4", "p/base1"): (True, "merge", "tag", "tag base_model; relation: several parents"),
    ("a/c4", "x/gone"): (False, "merge", "tag",
                         "GGUF general.base_model; relation: several parents; parent not in snapshot"),
    ("a/c5", "p/base1"): (True, "quantized", "tag", "tag base_model; relation not declared"),
    ("a/c6", "p/base1"): (True, "adapter", "declared", "card base_model; relation not declared"),
    ("a/c7", "p/base1"): (True, "finetune", "hub", "Hub baseModels"),
    ("a/c7", "p/base2"): (True, "adapter", "hub", "Hub tag base_model:<relation>"),
    ("a/c8", "p/base1"): (True, "adapter", "hub", "Hub baseModels"),
    ("a/c8", "p/base2"): (True, "adapter", "hub", "Hub tag base_model:<relation>"),
    ("a/c9", "p/base3"): (True, "finetune", "hub", "Hub baseModels; relation not declared"),
    ("a/c10", "openai-community/gpt2"): (False, "finetune", "declared",
                                         "card base_model; relation not declared; parent not in snapshot"),
    ("a/c11", "p/base1"): (True, "finetune", "declared", "card base_model; relation not declared"),
    ("a/c12", "p/base1"): (True, "adapter", "declared", "card base_model"),
    ("a/c13", "x/gone"): (False, "finetune", "hub", "Hub baseModels; relation not declared; parent not in snapshot"),
    ("a/c14", "p/base1"): (True, "adapter", "declared", "card base_model"),
    ("a/c14", "p/base2"): (True, "adapter", "declared", "card base_model"),
}


def decl0_rows(engine: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    """decl0.sql run on ``engine`` over the tables above: (child, parent) -> (present, relation, grade, evidence)."""
    cols = ("child_id", "parent_id", "relation", "src_rank", "source", "resolved", "canonical_id", "valid")
    res = pa.table({c: pa.array([r[i] for r in _DECL_RES], pa.bool_() if c == "valid" else
                                pa.int32() if c == "src_rank" else pa.string()) for i, c in enumerate(cols)})
    ids = list(_MODELS)
    models = pa.table({
        "id": ids, "id_lower": [i.lower() for i in ids],
        "tags": pa.array([_MODELS[i][0] for i in ids], pa.list_(pa.string())),
        "name_lower": [i.split("/")[1] for i in ids],
        "base_name": [i.split("/")[1] + ("-x" if _MODELS[i][1] else "") for i in ids],
        "has_quant": [_MODELS[i][2] for i in ids],
        "files": pa.array([_MODELS[i][3] for i in ids], pa.list_(pa.string())),
        "library_name": pa.array([_MODELS[i][4] for i in ids], pa.string())})
    with scratch(engine) as area:
        area.register_arrow("_lin_decl_res", res)
        area.register_arrow("_lin_m", models)
        FOLDER.make(area, "decl0")
        rows = area.query("SELECT child_id, parent_id, present, relation, inferred, grade, evidence "
                          "FROM _lin_decl0").to_pylist()
    assert not any(r["inferred"] for r in rows)
    got = {(r["child_id"], r["parent_id"]): (r["present"], r["relation"], r["grade"], r["evidence"]) for r in rows}
    assert len(got) == len(rows)  # one row per (child, parent)
    return got


def test_decl0_keeps_the_strongest_source_with_its_relation_and_evidence() -> None:
    engine = DuckDBEngine()
    try:
        assert decl0_rows(engine) == _EXPECTED
    finally:
        engine.close()


def test_decl0_on_spark_gives_the_same_rows(spark_engine: Any) -> None:
    assert decl0_rows(spark_engine) == _EXPECTED
