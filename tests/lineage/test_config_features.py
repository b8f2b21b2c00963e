"""The config features edge inference reads (``lineage/sql/edges/lin_m.sql``): the same on DuckDB and Spark.

A size is read only from whole-number text (TRY_CAST read '4096.0' and '1e3' on DuckDB and not on Spark) and
a model counts as quantized only when its config describes the quantization with an object: a
``"quantization_config": null`` made DuckDB call a plain fine-tune quantized, where Spark did not.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from modelcensus.lineage.edge_sql import edge_files, name_columns_sql
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.sql_files import Fragment

# id -> (config, expected (vocab, hidden, has_quant)); labelled before the run
CASES: dict[str, tuple[Any, tuple[int | None, int | None, bool]]] = {
    "a/plain": ({"vocab_size": 32000, "hidden_size": 4096}, (32000, 4096, False)),
    "a/nested": ({"text_config": {"vocab_size": 262144, "hidden_size": 2560}}, (262144, 2560, False)),
    "a/quant": ({"vocab_size": 151936, "quantization_config": {"bits": 4}}, (151936, None, True)),
    "a/quant-null": ({"vocab_size": 151936, "quantization_config": None}, (151936, None, False)),
    "a/quant-text": ({"quantization_config": "gptq"}, (None, None, False)),
    "a/float-size": ({"vocab_size": 4096.0, "hidden_size": 1e3}, (None, None, False)),
    "a/text-size": ({"vocab_size": "32000", "hidden_size": "2.5"}, (32000, None, False)),
    "a/negative": ({"vocab_size": -1, "hidden_size": 10**20}, (None, None, False)),
    "a/no-config": (None, (None, None, False)),
    "a/tok-str": ({"tokenizer_config": {"bos_token": "<s>", "eos_token": "</s>", "pad_token": None}},
                  (None, None, False)),
    "a/tok-obj": ({"tokenizer_config": {"bos_token": {"content": "<|begin|>", "lstrip": False}, "eos_token": "<|end|>",
                                        "additional_special_tokens": ["<|im_start|>", "<|im_end|>", "<|end|>"]}},
                  (None, None, False)),
    "a/special-object": ({"special_tokens": {"a": 1}, "tokenizer_config": {"unk_token": "<unk>"}},
                         (None, None, False)),
    "a/special-list": ({"special_tokens": ["<a>", None, "<b>"]}, (None, None, False)),
}
# id -> the special tokens (a sorted set; a token given as an object counts by its content and by its JSON
# text); every config not listed here has none ([]), a model without a config None; labelled before the run
TOKENS: dict[str, list[str] | None] = {
    "a/no-config": None,
    "a/tok-str": ["</s>", "<s>"],
    "a/tok-obj": ["<|begin|>", "<|end|>", "<|im_end|>", "<|im_start|>", '{"content":"<|begin|>","lstrip":false}'],
    "a/special-object": ["<unk>"],
    "a/special-list": ["<a>", "<b>"],
}


def _models() -> pa.Table:
    ids = list(CASES)
    return pa.table({"snapshot_id": [1] * len(ids), "id": ids, "id_lower": [i.lower() for i in ids],
                     "created_at": pa.array([None] * len(ids), pa.timestamp("us", tz="UTC")),
                     "tags": pa.array([[]] * len(ids), pa.list_(pa.string())),
                     "files": pa.array([[]] * len(ids), pa.list_(pa.string())),
                     "library_name": [None] * len(ids), "model_type": [None] * len(ids),
                     "architectures": pa.array([None] * len(ids), pa.list_(pa.string())),
                     "params": pa.array([None] * len(ids), pa.int64()),
                     "config": [None if c is None else json.dumps(c) for c, _ in CASES.values()]})


def _features(engine: Any) -> dict[str, tuple[Any, Any, Any]]:
    engine.register_arrow("models", _models())
    try:
        edge_files().make(engine, "lin_m", {"sid": 1, "name_columns": Fragment(name_columns_sql("m.id"))},
                          name="cfg_lin_m")
        rows = engine.query("SELECT id, vocab, hidden, has_quant, tokens FROM cfg_lin_m").to_pylist()
    finally:
        for name in ("cfg_lin_m", "models"):
            engine.drop(name)
    return {r["id"]: (r["vocab"], r["hidden"], r["has_quant"], r["tokens"]) for r in rows}


def _expected() -> dict[str, tuple[Any, Any, Any, Any]]:
    return {k: (*want, TOKENS.get(k, [])) for k, (_, want) in CASES.items()}


def test_duckdb_reads_the_labelled_features() -> None:
    engine = DuckDBEngine()
    try:
        assert _features(engine) == _expected()
    finally:
        engine.close()


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_spark_reads_the_same(spark_engine: Any) -> None:
    assert _features(spark_engine) == _expected()
