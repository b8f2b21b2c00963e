"""The in-memory model index behind the dashboard's look-ups and search, on a hand-made table."""

from __future__ import annotations

import pyarrow as pa

from modelcensus.store.model_index import COLUMNS, ModelIndex

ROWS = [  # id, downloads_30d
    ("Qwen/Qwen2.5-7B", 500), ("someone/qwen-ft", 50), ("meta-llama/Llama-3.1-8B", 900),
    ("bartowski/Qwen2.5-7B-GGUF", 300), ("x/my-qwen-merge", 700), ("nobody/none", None), ("ab/cq", 10),
    ("wen/abc", 5),
]


def _index(rows: list[tuple[str, int | None]] = ROWS) -> ModelIndex:
    data = {c: [None] * len(rows) for c in COLUMNS}
    data["id"] = [r[0] for r in rows]
    data["author"] = [r[0].split("/")[0] for r in rows]
    data["downloads_30d"] = [r[1] for r in rows]
    schema = pa.schema([(c, pa.int64() if c in ("downloads_30d", "downloads_all_time", "likes", "params")
                         else pa.timestamp("us", tz="UTC") if c == "created_at" else pa.string()) for c in COLUMNS])
    return ModelIndex(pa.table(data, schema=schema), 1)


def test_lookup_is_case_insensitive_and_ranks_by_downloads() -> None:
    ix = _index()
    assert ix.row("qwen/QWEN2.5-7b")["id"] == "Qwen/Qwen2.5-7B"
    assert ix.rank("meta-llama/Llama-3.1-8B") == 1 and ix.rank("nobody/none") == len(ROWS)  # no downloads: last
    assert ix.row("Qwen/Qwen2.5") is None and ix.row("") is None
    assert [ix.model_id(i) for i in range(3)] == ["meta-llama/Llama-3.1-8B", "x/my-qwen-merge", "Qwen/Qwen2.5-7B"]


def test_search_exact_then_prefix_then_substring_each_by_downloads() -> None:
    hits = _index().search("qwen", 10)
    assert [(h.id, h.match) for h in hits] == [
        ("Qwen/Qwen2.5-7B", "prefix"),            # namespace starts with the query, 500
        ("bartowski/Qwen2.5-7B-GGUF", "prefix"),  # name starts with it, 300
        ("someone/qwen-ft", "prefix"),            # 50
        ("x/my-qwen-merge", "substring"),         # contains it (700, but after every prefix hit)
    ]
    assert _index().search("qwen/qwen2.5-7b", 3)[0].match == "exact"


def test_search_never_matches_across_two_ids_and_ignores_control_characters() -> None:
    ix = _index()
    assert ix.search("cq\nwen", 5) == ix.search("cqwen", 5) == []  # "ab/cq" then "wen/abc" are not one id
    assert ix.search("", 5) == [] and ix.search("   ", 5) == []
    assert ix.search("qwen", 0) == []
    assert [h.id for h in ix.search("QWEN", 2)] == ["Qwen/Qwen2.5-7B", "bartowski/Qwen2.5-7B-GGUF"]


def test_popular_query_stops_early_but_keeps_the_ranking() -> None:
    rows = [(f"org{i}/model-qwen-{i}", 10_000 - i) for i in range(500)] + [("qwen/late", 1)]
    hits = _index(rows).search("qwen", 5)
    assert hits[0].id == "qwen/late" and hits[0].match == "prefix"  # the only prefix hit, despite its rank
    assert [h.id for h in hits[1:]] == [f"org{i}/model-qwen-{i}" for i in range(4)]


def test_namespace_helpers() -> None:
    ix = _index()
    assert ix.namespace_downloads("QWEN") == (1, 500)
    assert [r["id"] for r in ix.top_of_namespaces(["qwen", "x"], 5)] == ["x/my-qwen-merge", "Qwen/Qwen2.5-7B"]
