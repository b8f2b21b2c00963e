"""The required origin cases, end to end through the store: publisher, roots, teacher, grade, problems."""

from __future__ import annotations

import pytest
from lineage_snapshots import add_snapshot, hub

from modelcensus.errors import NotFoundError
from modelcensus.lineage import ensure_lineage, lineage, origin

QWEN2_CONFIG = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 152064,
                "tokenizer_config": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}}


@pytest.fixture
def snap(store):
    return add_snapshot(store, [
        hub("Qwen/Qwen2.5-7B", downloads=1000),
        hub("Qwen/Qwen2.5-7B-Instruct", base="Qwen/Qwen2.5-7B", downloads=500),
        hub("open-thoughts/OpenThinker-7B", base="Qwen/Qwen2.5-7B-Instruct",
            card="We fine-tune on traces distilled from deepseek-ai/DeepSeek-R1."),
        hub("mradermacher/OpenThinker-7B-GGUF", base="open-thoughts/OpenThinker-7B", relation="quantized"),
        hub("deepseek-ai/DeepSeek-R1", downloads=800),
        hub("meta-llama/Llama-3.1-8B", downloads=900),
        hub("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", base="meta-llama/Llama-3.1-8B"),
        hub("perplexity-ai/r1-1776", base="deepseek-ai/DeepSeek-R1"),
        hub("someone/llama-qwen-merge", base=["meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B"]),
        hub("zai-org/glm-4-9b"),
        hub("user/glm-ft", base="THUDM/glm-4-9b"),
        hub("anon/mystery-7b", config=QWEN2_CONFIG),
        hub("x/a", base="x/b"), hub("x/b", base="x/a"),
        hub("y/orphan", base="deleted/gone-model"),
    ])


def test_quantization_of_a_finetune_of_qwen(store, snap, registry):
    doc = origin(store, "mradermacher/openthinker-7b-gguf", registry=registry)
    assert doc["model"] == "mradermacher/OpenThinker-7B-GGUF"  # stored spelling
    assert doc["publisher"] == {"namespace": "mradermacher", "org": "mradermacher", "country": None,
                                "org_type": "intermediary"}
    [root] = doc["roots"]
    assert root["id"] == "Qwen/Qwen2.5-7B" and root["country"] == "CN" and root["weight"] == 1.0
    assert root["path"] == ["mradermacher/OpenThinker-7B-GGUF", "open-thoughts/OpenThinker-7B",
                            "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B"]
    assert root["relations"] == ["quantized", "finetune", "finetune"]
    assert doc["depth"] == 3 and doc["grade"] == "declared" and doc["problems"] == []
    # the teacher named in the fine-tune's card is inherited by its quantization
    assert doc["teacher"] == {"id": "deepseek-ai/DeepSeek-R1", "org": "DeepSeek", "country": "CN", "evidence": "card"}
    assert list(doc) == ["model", "snapshot", "publisher", "roots", "teacher", "depth", "grade", "problems"]


def test_llama_distill_published_by_chinese_lab(store, snap, registry):
    doc = origin(store, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", registry=registry)
    assert doc["publisher"]["country"] == "CN"
    assert [(r["id"], r["country"]) for r in doc["roots"]] == [("meta-llama/Llama-3.1-8B", "US")]
    assert doc["teacher"]["id"] == "deepseek-ai/DeepSeek-R1" and doc["teacher"]["country"] == "CN"
    assert doc["teacher"]["evidence"] == "name"


def test_us_post_training_of_deepseek_r1(store, snap, registry):
    doc = origin(store, "perplexity-ai/r1-1776", registry=registry)
    assert doc["publisher"]["country"] == "US"
    assert [(r["id"], r["country"]) for r in doc["roots"]] == [("deepseek-ai/DeepSeek-R1", "CN")]
    assert doc["teacher"] is None


def test_merge_of_llama_and_qwen(store, snap, registry):
    doc = origin(store, "someone/llama-qwen-merge", registry=registry)
    got = sorted((r["country"], r["weight"], r["relations"][0]) for r in doc["roots"])
    assert got == [("CN", 0.5, "merge"), ("US", 0.5, "merge")]
    assert doc["publisher"]["country"] is None  # unknown namespace: null, never a guess


def test_renamed_namespace(store, snap, registry):
    doc = origin(store, "user/glm-ft", registry=registry)
    assert doc["roots"][0]["id"] == "zai-org/glm-4-9b" and doc["roots"][0]["country"] == "CN"
    # asking by the old name finds the stored model
    assert origin(store, "THUDM/glm-4-9b", registry=registry)["model"] == "zai-org/glm-4-9b"


def test_undeclared_qwen2_config_and_tokenizer(store, snap, registry):
    doc = origin(store, "anon/mystery-7b", registry=registry)
    assert doc["roots"][0]["id"].startswith("Qwen/") and doc["roots"][0]["country"] == "CN"
    assert doc["grade"] == "config"
    assert doc["roots"][0]["relations"] == ["finetune"]


def test_cycle_and_missing_parent(store, snap, registry):
    a = origin(store, "x/a", registry=registry)
    assert a["problems"] == ["cycle"] and a["roots"][0]["id"] == "x/a" and a["depth"] == 0
    o = origin(store, "y/orphan", registry=registry)
    assert o["problems"] == ["missing_parent:deleted/gone-model"]
    assert o["roots"][0]["id"] == "deleted/gone-model" and o["roots"][0]["country"] is None


def test_weights_sum_to_one_for_every_model(store, snap, registry):
    ensure_lineage(store, snap, registry)
    bad = store.con.execute("""
        SELECT m.id, coalesce(sum(o.weight), 0) FROM models m
        LEFT JOIN origins o ON o.snapshot_id = m.snapshot_id AND o.model_id = m.id
        WHERE m.snapshot_id = ? GROUP BY m.id HAVING abs(coalesce(sum(o.weight), 0) - 1) > 1e-9""",
        [snap]).fetchall()
    assert bad == []
    assert store.con.execute("SELECT count(DISTINCT model_id) FROM origins WHERE snapshot_id = ?",
                             [snap]).fetchall()[0][0] == 15


def test_build_is_skipped_for_same_registry_and_redone_when_forced(store, snap, registry):
    first = ensure_lineage(store, snap, registry)
    again = ensure_lineage(store, snap, registry)
    assert first["built"] is True and again["built"] is False
    assert again["models"] == 15 and again["problems"] == {"missing_parent": 1, "cycle": 2, "ambiguous_signature": 0,
                                                     "invalid_declaration": 0, "declared_base_contradicts_config": 0}
    n_edges = store.con.execute("SELECT count(*) FROM edges WHERE snapshot_id = ?", [snap]).fetchall()[0][0]
    assert ensure_lineage(store, snap, registry, force=True)["built"] is True
    assert store.con.execute("SELECT count(*) FROM edges WHERE snapshot_id = ?", [snap]).fetchall()[0][0] == n_edges


def test_unknown_model_names_it(store, snap, registry):
    with pytest.raises(NotFoundError, match="nobody/nothing"):
        origin(store, "nobody/nothing", registry=registry)


def test_lineage_lists_descendants_with_counts(store, snap, registry):
    doc = lineage(store, "Qwen/Qwen2.5-7B", registry=registry, shown=2)
    desc = doc["descendants"]
    # Instruct, OpenThinker, its GGUF, the merge, the config-matched model
    assert desc["total"] == 5 and desc["truncated"] is True and len(desc["shown"]) == 2
    assert desc["by_depth"] == {"1": 3, "2": 1, "3": 1}
    assert desc["shown"][0]["id"] == "Qwen/Qwen2.5-7B-Instruct"  # nearest, most downloaded first
    up = lineage(store, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", registry=registry)["ancestors"]
    assert {(e["parent"], e["relation"], e["structural"]) for e in up} == {
        ("meta-llama/Llama-3.1-8B", "finetune", True), ("deepseek-ai/DeepSeek-R1", "distillation", False)}


def test_synthetic_snapshot_says_so(store, registry):
    add_snapshot(store, [hub("Qwen/Qwen2.5-7B")], synthetic=True, source="synthetic")
    assert origin(store, "Qwen/Qwen2.5-7B", registry=registry)["synthetic"] is True


def test_build_leaves_no_temp_tables_and_records_its_rules(store, snap, registry):
    from modelcensus.lineage.build import BUILD_RULES, built_version
    from modelcensus.lineage.stated import stated_digest
    from modelcensus.lineage.teachers import teachers_digest

    ensure_lineage(store, snap, registry)
    left = store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary AND "
                             "(starts_with(table_name, '_lin_') OR starts_with(table_name, '_rt_'))").fetchall()
    assert left == []
    stored = store.con.execute("SELECT registry_version FROM lineage_builds WHERE snapshot_id = ?",
                               [snap]).fetchall()[0][0]
    # the teacher and stated-bases lists are rules too
    assert stored == f"{registry.version}~lineage{BUILD_RULES}.{teachers_digest()}.{stated_digest()}"
    assert built_version(store, snap) == (registry.version, 15)
    # a build by older rules is redone, not trusted
    store.con.execute("UPDATE lineage_builds SET registry_version = ? WHERE snapshot_id = ?",
                      [registry.version + "~lineage0", snap]).fetchall()
    assert built_version(store, snap)[0] != registry.version
    assert ensure_lineage(store, snap, registry)["built"] is True


def test_origin_finds_a_model_in_any_case(store, snap, registry):
    assert origin(store, "qwen/qwen2.5-7b-instruct", registry=registry)["model"] == "Qwen/Qwen2.5-7B-Instruct"
    assert origin(store, "Qwen/Qwen2.5-7B-Instruct", registry=registry)["roots"][0]["id"] == "Qwen/Qwen2.5-7B"


def test_each_snapshot_answers_with_its_own_rows(store, registry):
    """Labelled first: look-ups go by model id alone (the index) and keep the asked snapshot's rows, so in a store
    of two snapshots where a fine-tune changed its declared base, each snapshot gives its own root and path."""
    first = add_snapshot(store, [hub("meta-llama/Llama-3.1-8B"), hub("Qwen/Qwen2.5-7B"),
                                 hub("user/ft", base="meta-llama/Llama-3.1-8B")], observed_at="2025-05-01")
    second = add_snapshot(store, [hub("meta-llama/Llama-3.1-8B"), hub("Qwen/Qwen2.5-7B"),
                                  hub("user/ft", base="Qwen/Qwen2.5-7B")], observed_at="2025-06-01")
    llama, qwen = "meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B"
    for sid, root in ((first, llama), (second, qwen), (first, llama)):
        doc = origin(store, "user/ft", snapshot=sid, registry=registry)
        assert [(r["id"], r["path"]) for r in doc["roots"]] == [(root, ["user/ft", root])], sid


def test_the_look_up_form_follows_the_store_and_gives_the_same_rows(store, registry):
    """Labelled first (review9 R9-2): the id-alone form is used only with both look-up indexes and 2 to 20 built
    snapshots; one snapshot, more than 20, or a missing index (a read-only store after a killed rebuild) take the
    one-WHERE form; every form gives the same rows."""
    from modelcensus.store.lineage_tables import LOOKUP_INDEXES, create_lookup_indexes

    mod = __import__("modelcensus.lineage.origin", fromlist=["_by_id_alone"])
    models = [hub("meta-llama/Llama-3.1-8B"), hub("user/ft", base="meta-llama/Llama-3.1-8B"),
              hub("user/q", base="user/ft", relation="quantized")]
    first = add_snapshot(store, models, observed_at="2025-05-01")
    ensure_lineage(store, first, registry)
    seen, forms = [], []

    def look() -> None:
        mod._FORMS.clear()
        forms.append(mod._by_id_alone(store))
        seen.append([mod._origin_rows(store, first, m) + mod._edges_of(store, first, m)
                     for m in ("user/q", "user/ft", "meta-llama/Llama-3.1-8B")])

    look()  # one built snapshot
    second = add_snapshot(store, models, observed_at="2025-06-01")
    ensure_lineage(store, second, registry)
    look()  # two
    for name in LOOKUP_INDEXES:
        store.con.execute(f"DROP INDEX {name}")
    look()  # two, no index
    create_lookup_indexes(store)
    bound = mod._ID_ALONE_MAX_SNAPSHOTS
    try:
        mod._ID_ALONE_MAX_SNAPSHOTS = 1  # as if the store held more built snapshots than the bound
        look()
    finally:
        mod._ID_ALONE_MAX_SNAPSHOTS = bound
    assert forms == [False, True, False, False]
    assert all(s == seen[0] for s in seen)
    origin_row, edge = seen[0][0]  # user/q: one origins row (its root) and one parent edge, of its own snapshot
    assert origin_row[0] == "meta-llama/Llama-3.1-8B" and edge[:3] == ("user/q", "user/ft", "quantized")
