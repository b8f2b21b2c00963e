"""Edge building: sources, grades, relations, and each inference rule with its limits."""

from __future__ import annotations

from lineage_snapshots import add_snapshot, hub

from modelcensus.lineage import ensure_lineage


def _edges(store, sid, registry) -> dict[tuple[str, str], tuple]:
    ensure_lineage(store, sid, registry)
    rows = store.con.execute("SELECT child_id, parent_id, relation, inferred, grade, structural, evidence FROM edges "
                             "WHERE snapshot_id = ?", [sid]).fetchall()
    return {(c, p): (r, i, g, s, e) for c, p, r, i, g, s, e in rows}


def test_sources_grades_and_relations(store, registry):
    sid = add_snapshot(store, [
        hub("Org/Base"), hub("Org/Other"),
        # card declares, Hub tag says quantized: the card's parent, the Hub's relation, grade declared
        hub("a/card-q", base="org/base", tags=["base_model:quantized:Org/Base"]),
        # no card: the Hub's baseModels -> grade hub, relation from the Hub
        {"id": "a/hub-only", "baseModels": {"relation": "adapter", "models": [{"id": "Org/Base"}]}},
        # relation tag only -> hub; plain tag only -> tag
        hub("a/reltag", tags=["base_model:finetune:Org/Base"]),
        hub("a/plaintag", tags=["base_model:Org/Base"]),
        # two card parents and no relation -> merge
        hub("a/merged", base=["Org/Base", "Org/Other"]),
        # explicit card relation wins over everything
        hub("a/explicit", base="Org/Base", relation="adapter", tags=["base_model:finetune:Org/Base"]),
        # a GGUF repo with a card parent but no relation anywhere -> quantized
        hub("a/thing-GGUF", base="Org/Base", tags=["gguf"]),
    ])
    e = _edges(store, sid, registry)
    assert e[("a/card-q", "Org/Base")][:3] == ("quantized", False, "declared")  # case-insensitive resolution
    assert e[("a/hub-only", "Org/Base")][:3] == ("adapter", False, "hub")
    assert e[("a/reltag", "Org/Base")][:3] == ("finetune", False, "hub")
    assert e[("a/plaintag", "Org/Base")][:3] == ("finetune", False, "tag")
    assert e[("a/merged", "Org/Base")][0] == "merge" and e[("a/merged", "Org/Other")][0] == "merge"
    assert e[("a/explicit", "Org/Base")][0] == "adapter"
    assert e[("a/thing-GGUF", "Org/Base")][0] == "quantized"
    assert all(v[3] for v in e.values())  # all structural


def test_format_conversion_needs_a_unique_original(store, registry):
    sid = add_snapshot(store, [
        hub("foo-org/Foo"), hub("bartowski/Foo-GGUF", tags=["gguf"]),
        hub("bar-one/Bar"), hub("bar-two/Bar"), hub("TheBloke/Bar-AWQ"),   # two candidates: no guess
        hub("mlx-community/Baz-4bit"), hub("baz/Baz"),
    ])
    e = _edges(store, sid, registry)
    assert e[("bartowski/Foo-GGUF", "foo-org/Foo")][:3] == ("conversion", True, "name")
    assert e[("mlx-community/Baz-4bit", "baz/Baz")][0] == "conversion"
    assert not [k for k in e if k[0] == "TheBloke/Bar-AWQ"]


def test_reupload_by_config_signature_points_at_the_older_repo(store, registry):
    cfg = {"model_type": "acme_lm", "architectures": ["AcmeForCausalLM"], "vocab_size": 50001}
    sid = add_snapshot(store, [
        hub("orig/Model-X", config=cfg, created="2024-01-01T00:00:00Z"),
        hub("mirror/Model-X", config=cfg, created="2024-06-01T00:00:00Z"),
        hub("other/Model-X", config={**cfg, "vocab_size": 1000}, created="2024-07-01T00:00:00Z"),
    ])
    e = _edges(store, sid, registry)
    assert e[("mirror/Model-X", "orig/Model-X")][:3] == ("reupload", True, "config")
    assert not [k for k in e if k[0] in ("orig/Model-X", "other/Model-X")]


def test_card_text_continued_pretraining_and_distillation_fallback(store, registry):
    sid = add_snapshot(store, [
        hub("deepseek-ai/DeepSeek-R1"), hub("meta-llama/Llama-3.1-8B"),
        hub("lab/cpt-model", card="This model is continued pretraining of meta-llama/Llama-3.1-8B on code."),
        # nothing declared, no signature: the teacher becomes the structural parent
        hub("lab/small-student", card="A student distilled from deepseek-ai/DeepSeek-R1."),
        # declared base: the teacher is recorded but not followed
        hub("lab/other-student", base="meta-llama/Llama-3.1-8B", card="distilled from deepseek-ai/DeepSeek-R1"),
    ])
    e = _edges(store, sid, registry)
    assert e[("lab/cpt-model", "meta-llama/Llama-3.1-8B")][:4] == ("continued_pretraining", True, "tag", True)
    assert e[("lab/small-student", "deepseek-ai/DeepSeek-R1")][:4] == ("distillation", True, "tag", True)
    assert e[("lab/other-student", "deepseek-ai/DeepSeek-R1")][3] is False
    assert e[("lab/other-student", "meta-llama/Llama-3.1-8B")][3] is True


def test_architecture_alone_is_ambiguous_not_a_family(store, registry):
    # (a neutral name: "llama-..." would be a name-pattern match, which does name the family)
    sid = add_snapshot(store, [
        hub("anon/decoder-7b", config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]}),
        hub("anon/no-config"),
    ])
    e = _edges(store, sid, registry)
    assert not [k for k in e if k[0] == "anon/decoder-7b"]
    probs = dict(store.con.execute("SELECT model_id, problems FROM origins WHERE snapshot_id = ?", [sid]).fetchall())
    assert probs["anon/decoder-7b"] == ["ambiguous_signature"]
    assert probs["anon/no-config"] == []


def test_llama_name_pattern_runs_in_sql_now(store, registry):
    sid = add_snapshot(store, [
        hub("anon/llama-shaped", config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]}),
        hub("anon/llamafied-thing"),
    ])
    e = _edges(store, sid, registry)
    assert [k for k in e if k[0] == "anon/llama-shaped"] == [("anon/llama-shaped", "meta-llama/Llama-2-7b-hf")]
    assert e[("anon/llama-shaped", "meta-llama/Llama-2-7b-hf")][2] == "name"
    assert not [k for k in e if k[0] == "anon/llamafied-thing"]   # "llama" followed by a letter is not the name


def test_first_party_models_are_their_own_roots(store, registry):
    cfg = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936}
    sid = add_snapshot(store, [hub("Qwen/Qwen2-7B", config=cfg), hub("Qwen/Qwen2.5-7B", config=cfg)])
    e = _edges(store, sid, registry)
    assert e == {}
