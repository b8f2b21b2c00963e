"""Issue 9: the six classes of real-world mess, each tested as a class with several cases of its own.

1 undeclared distills, 2 declared bases the config contradicts, 3 re-uploaders, 4 teachers only from
declarations or the teacher list, 5 family edges to the right generation and size / format words,
6 invalid declarations; plus (issue 8) a parent referenced but never observed is still a lineage node.
"""

from __future__ import annotations

import pytest
from lineage_snapshots import add_snapshot, hub

from modelcensus.lineage import ensure_lineage, lineage, origin
from modelcensus.store import Store

QWEN2 = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 152064}
QWEN2_SMALL = {**QWEN2, "vocab_size": 151936}
LLAMA3 = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 128256}
LLAMA2 = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 32000, "hidden_size": 5120}
DSV3 = {"model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 129280}
GEMMA2 = {"model_type": "gemma2", "architectures": ["Gemma2ForCausalLM"], "vocab_size": 256000}
KIMI = {"model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 163840}


def _st(n: float) -> dict:
    return {"safetensors": {"total": int(n)}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One store for the module, not one per test: every test here only reads the snapshot's lineage (origin,
    lineage, SELECTs; ensure_lineage builds it on first use and finds it current after), so the same build of
    the same records was made ~70 times (~1.5 s each, 101 s of the suite)."""
    s = Store(tmp_path_factory.mktemp("mess") / "census.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="module")
def mess(store):
    return add_snapshot(store, [
        hub("deepseek-ai/DeepSeek-R1", config=DSV3, **_st(671e9)),
        hub("meta-llama/Llama-3.1-8B", config=LLAMA3),
        hub("Qwen/Qwen2.5-7B", config=QWEN2),
        hub("Qwen/Qwen2.5-7B-Instruct", base="Qwen/Qwen2.5-7B", config=QWEN2),
        # 1. distills without a declared base
        hub("deepseek-ai/DeepSeek-R1-Distill-Llama-8B"),
        hub("deepseek-ai/DeepSeek-R1-Distill-Llama-70B"),
        hub("deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", config=QWEN2),
        hub("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", config=QWEN2_SMALL),
        hub("someone/DeepSeek-R1-Distill-Qwen-7B-abliterated"),
        hub("lab/Kimi-K2-Distill-Qwen3-8B"),
        # 2. declared base contradicted by the config
        hub("community/r1-reasoner-7b", base="deepseek-ai/DeepSeek-R1", config=QWEN2, **_st(7.6e9)),
        hub("community/llama-said-gemma", base="meta-llama/Llama-3.1-8B", config=GEMMA2, **_st(9.2e9)),
        hub("community/kimi-not-deepseek", base="deepseek-ai/DeepSeek-V3", config=KIMI),
        hub("community/mistral-llama-format", base="mistralai/Mistral-7B-v0.1",
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 32000}),
        hub("community/qwen-ft", base="Qwen/Qwen2.5-7B", config={**QWEN2, "vocab_size": 152100}),
        # Hub listings: model_type and architectures, no vocab_size; DeepSeek tokens on a Qwen body
        hub("community/coach-llm", base="deepseek-ai/DeepSeek-R1", **_st(7.6e9),
            config={"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"],
                    "tokenizer_config": {"bos_token": "<｜begin▁of▁sentence｜>"}}),
        hub("community/r1-medical-8b", base="deepseek-ai/DeepSeek-R1", **_st(8.0e9),
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]}),
        hub("community/r1-gguf", base="deepseek-ai/DeepSeek-R1", relation="quantized", tags=["gguf"],
            config={"model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"]}),
        # 3. re-uploaders: dangling and observed
        hub("kid/a", base="unsloth/Qwen2.5-7B-Instruct-bnb-4bit"),
        hub("kid/b", base="unsloth/Llama-3.2-3B-Instruct-bnb-4bit"),
        hub("kid/c", base="unsloth/qwen2.5-7b-instruct-bnb-4bit"),
        hub("unsloth/Qwen2.5-7B"),
        hub("kid/d", base="unsloth/Qwen2.5-7B"),
        hub("NousResearch/Llama-2-7b-hf"),
        hub("MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF", tags=["gguf"]),
        hub("neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8"),
        hub("TheBloke/Llama-2-7B-Chat-GGUF", tags=["gguf"]),
        hub("kid/e", base="TheBloke/Llama-2-13B-chat-GPTQ"),
        # 4. teachers
        hub("open-r1/OpenR1-Distill-7B"), hub("mlfoundations-dev/openr1"),
        hub("copies/OpenR1-Distill-7B-GGUF", tags=["gguf"]),
        hub("lab/thinker-7b", base="Qwen/Qwen2.5-7B-Instruct",
            cardData={"base_model": "Qwen/Qwen2.5-7B-Instruct", "datasets": ["open-thoughts/OpenThoughts-114k"]}),
        hub("lab/QwQ-32B-Distill-Qwen2.5-1.5B"),
        hub("someone/foo"), hub("lab/foo-Distill-bar-7B"),
        # 5. generation, size, format words
        hub("microsoft/Llama2-7b-WhoIsHarryPotter"),
        hub("PrunaAI/openbmb-MiniCPM-2B-dpo-bf16-llama-format-bnb-4bit-smashed",
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 122753}),
        hub("anon/llama-3.1-70b-lora-merged"),
        hub("anon/big-model", config=LLAMA2, **_st(13.0e9)),
        hub("anon/Qwen2.5-Coder-7B-sft"),
        hub("anon/Hermes-3-Llama-3.1-8B-ft"),
        hub("anon/DS-Distilled-Hermes-Llama-3.1", config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]},
            **_st(8.03e9)),
        hub("bartowski/google_gemma-3-12b-it-GGUF", tags=["gguf"]),
        hub("TheBloke/qwen-7b-chat-GGUF", tags=["gguf"]),
        # 6. invalid declarations
        hub("anon/placeholder", base="ORIGINAL_REPO_NAME"),
        hub("anon/mistral-7b-ft", base="mistral-7b"),
        hub("anon/escape", base="../../etc/passwd"),
        hub("anon/double-dash", base="org--x/bad..name"),
        hub("anon/gpt2-child", base="gpt2"),
        hub("anon/half-valid", base=["Qwen/Qwen2.5-7B", "ORIGINAL_REPO_NAME"]),
        # issue 8: a parent only referenced
        *[hub(f"ko/child-{i}", base="beomi/Llama-3-Open-Ko-8B-Instruct-preview") for i in range(3)],
        # a teacher's distill series read from the body (architecture + parameter count), not the name
        hub("lab/DS-R1-Distill-Q2.5-14B-roleplay", config={"architectures": ["Qwen2ForCausalLM"]}, **_st(14.8e9)),
        hub("lab/DS-R1-Distill-Q2.5-10B-upscaled", config={"architectures": ["Qwen2ForCausalLM"]}, **_st(10.4e9)),
        hub("community/r1-tiny", base="deepseek-ai/DeepSeek-R1", **_st(1.78e9),
            config={"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}),
        hub("community/r1-big-llama", base="deepseek-ai/DeepSeek-R1", **_st(70.6e9),
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]}),
        # a dense body declaring a mixture of experts, with no parameter count; and junk that says nothing
        hub("community/r1-and-distill", base=["unsloth/deepseek-r1-distill-llama-8b-unsloth-bnb-4bit",
                                              "deepseek-ai/DeepSeek-R1"],
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]}),
        hub("anon/junk-type", base="deepseek-ai/DeepSeek-R1", config={"model_type": "deepseek-ai/DeepSeek-R1"}),
        # an "adapter" repo that also holds the full weights: its parameter count is the whole model's
        hub("community/r1-medical-lora", base="deepseek-ai/DeepSeek-R1", **_st(8.03e9),
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]},
            siblings=[{"rfilename": f} for f in ("adapter_config.json", "adapter_model.safetensors",
                                                 "model-00001-of-00002.safetensors", "config.json")]),
        # teachers named anywhere in a distill name, and by majority of trace datasets; API teachers
        hub("kid/R1-SmolLM2-135M-Distill", config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]}),
        hub("kid/QwQ-0.5B-Distilled-SFT"),
        hub("kid/Phi4.Turn.R1Distill.16bit", base="microsoft/phi-4", config={"architectures": ["LlamaForCausalLM"]}),
        hub("kid/mr1-distill-7b"), hub("kid/distilled-r1x-model"),
        hub("lab/multi-trace", base="Qwen/Qwen2.5-7B", cardData={
            "base_model": "Qwen/Qwen2.5-7B",
            "datasets": ["simplescaling/s1K-claude-3-7-sonnet", "simplescaling/s1K-1.1",
                         "FreedomIntelligence/Medical-R1-Distill-Data"]}),
        hub("lab/med-o1", base="Qwen/Qwen2.5-7B", cardData={
            "base_model": "Qwen/Qwen2.5-7B", "datasets": ["FreedomIntelligence/medical-o1-reasoning-SFT"]}),
        # bases stated on the publisher's own card, for id-only records and referenced parents
        hub("nvidia/OpenCodeReasoning-Nemotron-7B"), hub("Skywork/Skywork-OR1-7B", base="Qwen/Qwen2.5-7B"),
        hub("kid/f", base="nvidia/AceReason-Nemotron-14B"),
        hub("kid/g", base="nvidia/OpenReasoning-Nemotron-7B"),   # referenced only: its stated teacher too
        hub("bespokelabs/Bespoke-Stratos-7B", base="ORIGINAL_REPO_NAME"),   # junk card: the list does not overrule
        # review findings: API teachers in names, same-family experts, series against the body's vocabulary
        hub("kid/GPT-4o-Distill-tiny"), hub("kid/claude-3.7-sonnet-distill-x"),
        hub("Qwen/Qwen3-30B-A3B", config={"model_type": "qwen3_moe", "architectures": ["Qwen3MoeForCausalLM"]},
            **_st(30.5e9)),
        hub("kid/Qwen3-4B-from-30B-A3B", base="Qwen/Qwen3-30B-A3B", **_st(4.0e9),
            config={"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"]}),
        hub("mistralai/Mixtral-8x7B-Instruct-v0.1", config={"model_type": "mixtral",
                                                           "architectures": ["MixtralForCausalLM"]}, **_st(46.7e9)),
        hub("kid/Mixtral-8x7B-Instruct-v0.1-Q4", base="mistralai/Mixtral-8x7B-Instruct-v0.1", relation="quantized",
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]}),
        hub("kid/R1-Distill-Mistral-7B", config=LLAMA2, **_st(7.2e9)),
        hub("kid/R1-Distill-Qwen3-8B-x", config={"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"]},
            **_st(8.2e9)),
        hub("kid/bert-distill-squad-r1", config={"model_type": "bert", "architectures": ["BertForQuestionAnswering"]}),
        hub("kid/QwQ-R1-Distill-7B", config={"architectures": ["Qwen2ForCausalLM"]}, **_st(7.6e9)),
        hub("lab/tie-trace", base="Qwen/Qwen2.5-7B", cardData={
            "base_model": "Qwen/Qwen2.5-7B",
            "datasets": ["simplescaling/s1K-claude-3-7-sonnet", "simplescaling/s1K-1.1"]}),
        # rule C alone (a llama body is exempt from B, gemma2 is dense): adapter files beside the full weights
        hub("google/gemma-2-27b", config=GEMMA2, **_st(27.2e9)),
        hub("community/tiny-llama-lora-merged", base="google/gemma-2-27b", **_st(1.1e9),
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]},
            siblings=[{"rfilename": f} for f in ("adapter_config.json", "model.safetensors")]),
        hub("community/tiny-llama-lora", base="google/gemma-2-27b", **_st(0.02e9),
            config={"model_type": "llama", "architectures": ["LlamaForCausalLM"]},
            siblings=[{"rfilename": f} for f in ("adapter_config.json", "adapter_model.safetensors")]),
        # the student part of a -ReDistill- name, with nothing else to go on
        hub("kid/DeepSeek-R1-ReDistill-Qwen-7B-v2"),
    ])


def _o(store, registry, mid):
    return origin(store, mid, registry=registry)


def _roots(doc):
    return [(r["id"], r["country"]) for r in doc["roots"]]


# ---------------------------------------------------------------- 1. distills without a declared base
@pytest.mark.parametrize("model,root,country", [
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "meta-llama/Llama-3.1-8B", "US"),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "meta-llama/Llama-3.3-70B-Instruct", "US"),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", "Qwen/Qwen2.5-14B", "CN"),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "Qwen/Qwen2.5-Math-1.5B", "CN"),
    ("someone/DeepSeek-R1-Distill-Qwen-7B-abliterated", "Qwen/Qwen2.5-Math-7B", "CN"),
])
def test_undeclared_distill_roots_at_the_student_checkpoint(store, mess, registry, model, root, country):
    doc = _o(store, registry, model)
    assert _roots(doc) == [(root, country)]
    assert doc["teacher"]["id"] == "deepseek-ai/DeepSeek-R1" and doc["teacher"]["country"] == "CN"
    assert "ambiguous_signature" not in doc["problems"]
    assert doc["roots"][0]["relations"] == ["finetune"]


def test_qwen_distills_are_alibaba_not_deepseek(store, mess, registry):
    doc = _o(store, registry, "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B")
    # DeepSeek's own card states the base (stated-bases list): registry knowledge, not the record, so `tag`
    assert doc["roots"][0]["org"] == "Alibaba Qwen" and doc["grade"] == "tag"
    [edge] = [e for e in lineage(store, "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", registry=registry)["ancestors"]
              if e["relation"] == "finetune"]
    assert "stated-bases list" in edge["evidence"]
    # an unlisted copy with no declaration still reaches Alibaba through the name and config
    assert _o(store, registry, "someone/DeepSeek-R1-Distill-Qwen-7B-abliterated")["roots"][0]["org"] == "Alibaba Qwen"
    kimi = _o(store, registry, "lab/Kimi-K2-Distill-Qwen3-8B")
    assert _roots(kimi) == [("Qwen/Qwen3-8B-Base", "CN")]
    assert kimi["teacher"]["id"] == "moonshotai/Kimi-K2-Instruct"


# ---------------------------------------------------------------- 2. declared base contradicted by the config
@pytest.mark.parametrize("model,family_org,teacher", [
    ("community/r1-reasoner-7b", "Alibaba Qwen", "deepseek-ai/DeepSeek-R1"),
    ("community/llama-said-gemma", "Google", "meta-llama/Llama-3.1-8B"),
    ("community/kimi-not-deepseek", "Moonshot AI", "deepseek-ai/DeepSeek-V3"),
])
def test_contradicted_declaration_becomes_teacher_and_family_roots(store, mess, registry, model, family_org, teacher):
    doc = _o(store, registry, model)
    assert "declared_base_contradicts_config" in doc["problems"]
    assert doc["roots"][0]["org"] == family_org
    assert doc["grade"] == "config"          # not 'declared': the declaration was not followed
    assert doc["teacher"]["id"] == teacher and doc["teacher"]["evidence"] == "card"
    edges = {(e["parent"], e["relation"]): e for e in lineage(store, model, registry=registry)["ancestors"]}
    declared = next(e for (p, r), e in edges.items() if p == teacher and r != "distillation")
    assert declared["structural"] is False and "contradicted by the config" in declared["evidence"]


@pytest.mark.parametrize("model", ["community/coach-llm", "community/r1-medical-8b"])
def test_contradiction_from_a_listing_config(store, mess, registry, model):
    # architecture (qwen2 is no DeepSeek model type) or size (8B against 671B): the declaration is not followed
    doc = _o(store, registry, model)
    assert "declared_base_contradicts_config" in doc["problems"]
    assert doc["teacher"]["id"] == "deepseek-ai/DeepSeek-R1"
    assert all(not r["id"].startswith("deepseek-ai/") for r in doc["roots"]) and doc["grade"] != "declared"


def test_a_same_architecture_copy_is_not_contradicted(store, mess, registry):
    doc = _o(store, registry, "community/r1-gguf")
    assert doc["problems"] == [] and _roots(doc) == [("deepseek-ai/DeepSeek-R1", "CN")]


def test_r1_contradiction_picks_the_size_from_the_parameter_count(store, mess, registry):
    assert _roots(_o(store, registry, "community/r1-reasoner-7b")) == [("Qwen/Qwen2.5-7B", "CN")]


@pytest.mark.parametrize("model,root", [
    ("community/mistral-llama-format", "mistralai/Mistral-7B-v0.1"),   # llama layout, Mistral's vocabulary
    ("community/qwen-ft", "Qwen/Qwen2.5-7B"),                          # a few added tokens
])
def test_consistent_declarations_are_not_contradicted(store, mess, registry, model, root):
    doc = _o(store, registry, model)
    assert doc["problems"] in ([], [f"missing_parent:{root}"]) and doc["roots"][0]["id"] == root
    assert doc["grade"] == "declared"


# ---------------------------------------------------------------- 3. re-uploaders are never final roots
@pytest.mark.parametrize("model,root_prefix,country", [
    ("kid/a", "Qwen/Qwen2.5-7B", "CN"),                       # dangling unsloth re-upload
    ("kid/c", "Qwen/Qwen2.5-7B", "CN"),                       # same, other spelling
    ("kid/b", "meta-llama/Llama-3.2-3B-Instruct", "US"),      # dangling, family name + generation + size
    ("kid/d", "Qwen/Qwen2.5-7B", "CN"),                       # observed, undeclared unsloth copy of a root
    ("NousResearch/Llama-2-7b-hf", "meta-llama/Llama-2-7b-hf", "US"),
    ("MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF", "mistralai/Mistral-7B-Instruct-v0.3", "FR"),
    ("neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8", "meta-llama/Meta-Llama-3.1-8B-Instruct", "US"),
    ("TheBloke/Llama-2-7B-Chat-GGUF", "meta-llama/Llama-2-7b-chat-hf", "US"),
    ("kid/e", "meta-llama/Llama-2-13b-chat-hf", "US"),        # dangling TheBloke GPTQ
])
def test_reuploads_root_at_the_original(store, mess, registry, model, root_prefix, country):
    doc = _o(store, registry, model)
    [root] = doc["roots"]
    assert root["id"].startswith(root_prefix) and root["country"] == country, doc["roots"]
    ensure_lineage(store, mess, registry)
    org_type = store.con.execute("SELECT root_org_type FROM origins WHERE model_id = ?", [model]).fetchall()[0][0]
    assert org_type != "intermediary"


def test_dangling_reupload_is_graded_by_how_it_was_found(store, mess, registry):
    doc = _o(store, registry, "kid/a")
    assert doc["grade"] == "name"
    assert doc["roots"][0]["path"][1] == "unsloth/Qwen2.5-7B-Instruct-bnb-4bit"


# ---------------------------------------------------------------- 4. teachers from declarations or the list only
def test_shared_word_never_makes_a_teacher(store, mess, registry):
    for model in ("lab/foo-Distill-bar-7B", "kid/mr1-distill-7b", "kid/distilled-r1x-model"):
        doc = _o(store, registry, model)
        assert doc["teacher"] is None, (model, doc["teacher"])
    # OpenR1-Distill-7B's teacher is the one its publisher's card names (R1 traces), never the repo 'openr1'
    for model in ("open-r1/OpenR1-Distill-7B", "copies/OpenR1-Distill-7B-GGUF"):
        assert _o(store, registry, model)["teacher"]["id"] == "deepseek-ai/DeepSeek-R1"
    n = store.con.execute("SELECT count(*) FROM edges WHERE relation = 'distillation' AND parent_id IN "
                          "('mlfoundations-dev/openr1', 'someone/foo')").fetchall()[0][0]
    assert n == 0


def test_trace_dataset_names_the_teacher_but_not_the_root(store, mess, registry):
    doc = _o(store, registry, "lab/thinker-7b")
    assert doc["teacher"] == {"id": "deepseek-ai/DeepSeek-R1", "org": "DeepSeek", "country": "CN", "evidence": "card"}
    assert _roots(doc) == [("Qwen/Qwen2.5-7B", "CN")] and doc["grade"] == "declared"


def test_listed_teacher_in_a_distill_name(store, mess, registry):
    doc = _o(store, registry, "lab/QwQ-32B-Distill-Qwen2.5-1.5B")
    assert doc["teacher"]["id"] == "Qwen/QwQ-32B" and doc["teacher"]["evidence"] == "name"
    assert _roots(doc) == [("Qwen/Qwen2.5-1.5B", "CN")]


# ---------------------------------------------------------------- 5. generation, size, format words
@pytest.mark.parametrize("model,root", [
    ("microsoft/Llama2-7b-WhoIsHarryPotter", "meta-llama/Llama-2-7b"),
    ("anon/llama-3.1-70b-lora-merged", "meta-llama/Llama-3.1-70B"),
    ("anon/big-model", "meta-llama/Llama-2-13b-hf"),           # Llama 2 vocabulary, 13B parameters
    ("anon/Qwen2.5-Coder-7B-sft", "Qwen/Qwen2.5-Coder-7B"),
    ("bartowski/google_gemma-3-12b-it-GGUF", "google/gemma-3-12b-it"),
    # the generation is mentioned after another word: "<x>-3-llama-3.1", "ds-distilled-hermes-llama-3.1"
    ("anon/Hermes-3-Llama-3.1-8B-ft", "meta-llama/Llama-3.1-8B"),
    ("anon/DS-Distilled-Hermes-Llama-3.1", "meta-llama/Llama-3.1-8B"),
])
def test_family_edges_point_at_generation_and_size(store, mess, registry, model, root):
    assert _o(store, registry, model)["roots"][0]["id"] == root


def test_named_organisation_beats_a_format_word(store, mess, registry):
    doc = _o(store, registry, "PrunaAI/openbmb-MiniCPM-2B-dpo-bf16-llama-format-bnb-4bit-smashed")
    [root] = doc["roots"]
    assert root["id"].startswith("openbmb/MiniCPM-2B") and root["country"] == "CN"
    assert "OpenBMB" in root["org"]


def test_a_size_after_a_family_word_is_not_an_organisation_name(store, mess, registry):
    doc = _o(store, registry, "TheBloke/qwen-7b-chat-GGUF")
    assert not doc["roots"][0]["id"].startswith("Qwen/7b") and doc["roots"][0]["country"] == "CN"


# ---------------------------------------------------------------- 6. invalid declarations
@pytest.mark.parametrize("model", ["anon/placeholder", "anon/mistral-7b-ft", "anon/escape", "anon/double-dash"])
def test_invalid_declaration_is_a_problem_not_a_grade(store, mess, registry, model):
    doc = _o(store, registry, model)
    assert "invalid_declaration" in doc["problems"] and doc["grade"] != "declared"
    bad = store.con.execute("SELECT count(*) FROM edges WHERE child_id = ? AND NOT inferred", [model]).fetchall()
    assert bad[0][0] == 0


def test_invalid_declaration_falls_through_to_inference(store, mess, registry):
    doc = _o(store, registry, "anon/mistral-7b-ft")
    assert doc["roots"][0]["id"].startswith("mistralai/") and doc["grade"] == "name"


def test_legacy_alias_and_mixed_declarations(store, mess, registry):
    doc = _o(store, registry, "anon/gpt2-child")
    assert doc["roots"][0]["id"] == "openai-community/gpt2"   # a legacy alias is a valid declaration
    assert "invalid_declaration" not in doc["problems"] and doc["grade"] == "declared"
    mixed = _o(store, registry, "anon/half-valid")
    assert mixed["problems"] == ["invalid_declaration"]
    assert _roots(mixed) == [("Qwen/Qwen2.5-7B", "CN")] and mixed["roots"][0]["relations"] == ["finetune"]


# ---------------------------------------------------------------- issue 8: referenced, not observed
def test_referenced_parent_is_a_lineage_node(store, mess, registry):
    doc = origin(store, "beomi/llama-3-open-ko-8b-instruct-preview", registry=registry)
    assert doc["model"] == "beomi/Llama-3-Open-Ko-8B-Instruct-preview" and doc["observed"] is False
    assert _roots(doc) == [("beomi/Llama-3-Open-Ko-8B-Instruct-preview", "KR")]
    lin = lineage(store, "beomi/Llama-3-Open-Ko-8B-Instruct-preview", registry=registry)
    assert lin["descendants"]["total"] == 3 and lin["observed"] is False


def test_referenced_reupload_answers_with_the_original(store, mess, registry):
    doc = origin(store, "unsloth/Qwen2.5-7B-Instruct-bnb-4bit", registry=registry)
    assert doc["observed"] is False and doc["publisher"]["org"] == "Unsloth AI"
    assert doc["roots"][0]["country"] == "CN" and doc["roots"][0]["path"][0] == "unsloth/Qwen2.5-7B-Instruct-bnb-4bit"


def test_observed_models_keep_the_design_shape(store, mess, registry):
    doc = _o(store, registry, "Qwen/Qwen2.5-7B-Instruct")
    assert list(doc) == ["model", "snapshot", "publisher", "roots", "teacher", "depth", "grade", "problems"]


def test_cli_table_says_referenced_not_observed(store, mess, registry):
    from rich.console import Console

    from modelcensus.cli.lineage import _origin_tables

    doc = origin(store, "beomi/Llama-3-Open-Ko-8B-Instruct-preview", registry=registry)
    console = Console(width=100, record=True)
    for part in _origin_tables(doc):
        console.print(part)
    assert "referenced as a parent, not observed in this snapshot" in console.export_text()
    observed = _o(store, registry, "Qwen/Qwen2.5-7B-Instruct")
    console = Console(width=100, record=True)
    for part in _origin_tables(observed):
        console.print(part)
    assert "not observed" not in console.export_text()


# ---------------------------------------------------------------- the distill series read from the body
@pytest.mark.parametrize("model,root", [
    ("lab/DS-R1-Distill-Q2.5-14B-roleplay", "Qwen/Qwen2.5-14B"),        # name names the teacher, not the student
    ("community/r1-tiny", "Qwen/Qwen2.5-Math-1.5B"),                   # contradicted R1, qwen2 body of 1.78B
    ("community/r1-big-llama", "meta-llama/Llama-3.3-70B-Instruct"),   # contradicted R1, llama body of 70.6B
    ("community/r1-medical-lora", "meta-llama/Llama-3.1-8B"),          # adapter files beside the full weights
])
def test_teacher_distill_series_by_architecture_and_size(store, mess, registry, model, root):
    doc = _o(store, registry, model)
    assert [r["id"] for r in doc["roots"]] == [root], doc["roots"]
    assert doc["teacher"]["id"] == "deepseek-ai/DeepSeek-R1" and "ambiguous_signature" not in doc["problems"]
    assert doc["grade"] == "config"


def test_dense_body_never_fine_tunes_a_mixture_of_experts(store, mess, registry):
    doc = _o(store, registry, "community/r1-and-distill")
    assert "declared_base_contradicts_config" in doc["problems"]
    assert [(r["id"], r["country"]) for r in doc["roots"]] == [("meta-llama/Llama-3.1-8B", "US")]
    # a model type nobody lists is no evidence either way: the declaration stands
    junk = _o(store, registry, "anon/junk-type")
    assert junk["problems"] == [] and _roots(junk) == [("deepseek-ai/DeepSeek-R1", "CN")]


@pytest.mark.parametrize("model,teacher", [
    ("kid/R1-SmolLM2-135M-Distill", "deepseek-ai/DeepSeek-R1"),
    ("kid/QwQ-0.5B-Distilled-SFT", "Qwen/QwQ-32B"),
    ("kid/Phi4.Turn.R1Distill.16bit", "deepseek-ai/DeepSeek-R1"),
])
def test_teacher_named_anywhere_in_a_distill_name(store, mess, registry, model, teacher):
    doc = _o(store, registry, model)
    assert doc["teacher"]["id"] == teacher
    assert all(r["id"] != teacher for r in doc["roots"])   # display only: the name says who taught


def test_trace_datasets_majority_and_api_teachers(store, mess, registry):
    multi = _o(store, registry, "lab/multi-trace")   # two R1 trace sets against one Claude set
    assert multi["teacher"]["id"] == "deepseek-ai/DeepSeek-R1" and _roots(multi) == [("Qwen/Qwen2.5-7B", "CN")]
    med = _o(store, registry, "lab/med-o1")
    assert med["teacher"] == {"id": "openai/gpt-4o", "org": "OpenAI", "country": "US", "evidence": "card"}
    assert _roots(med) == [("Qwen/Qwen2.5-7B", "CN")]


def test_stated_bases_for_id_only_and_referenced_models(store, mess, registry):
    ocr = _o(store, registry, "nvidia/OpenCodeReasoning-Nemotron-7B")   # the id alone: the card's statement
    assert _roots(ocr) == [("Qwen/Qwen2.5-7B", "CN")] and ocr["grade"] == "tag"
    assert ocr["teacher"]["id"] == "deepseek-ai/DeepSeek-R1"
    # a record's own declaration wins over the list (Skywork-OR1-7B is listed on R1-Distill-Qwen-7B)
    assert _roots(_o(store, registry, "Skywork/Skywork-OR1-7B")) == [("Qwen/Qwen2.5-7B", "CN")]
    # a parent only referenced walks on through its stated base: AceReason -> R1-Distill-Qwen-14B -> Qwen2.5-14B
    kid = _o(store, registry, "kid/f")
    assert _roots(kid) == [("Qwen/Qwen2.5-14B", "CN")] and kid["teacher"]["id"] == "deepseek-ai/DeepSeek-R1"


def test_a_size_in_no_series_keeps_the_family_and_says_the_checkpoint_is_ambiguous(store, mess, registry):
    doc = _o(store, registry, "lab/DS-R1-Distill-Q2.5-10B-upscaled")   # 10.4B: neither R1's Qwen-7B nor -14B
    assert doc["roots"][0]["org"] == "Alibaba Qwen" and doc["teacher"]["id"] == "deepseek-ai/DeepSeek-R1"
    assert "ambiguous_signature" in doc["problems"] and doc["roots"][0]["id"] != "deepseek-ai/DeepSeek-R1"


def test_stated_teacher_for_a_referenced_model_and_no_overruling_a_card(store, mess, registry):
    kid = _o(store, registry, "kid/g")   # declares an OpenReasoning model the snapshot does not hold
    assert _roots(kid) == [("Qwen/Qwen2.5-7B", "CN")] and kid["teacher"]["id"] == "deepseek-ai/DeepSeek-R1-0528"
    bespoke = _o(store, registry, "bespokelabs/Bespoke-Stratos-7B")   # its card declares junk: that is its word
    assert "invalid_declaration" in bespoke["problems"] and bespoke["grade"] not in ("declared", "tag")


@pytest.mark.parametrize("model", ["kid/GPT-4o-Distill-tiny", "kid/claude-3.7-sonnet-distill-x"])
def test_an_api_teacher_is_never_a_root(store, mess, registry, model):
    doc = _o(store, registry, model)
    assert doc["teacher"]["org"] in ("OpenAI", "Anthropic")
    assert all(not r["id"].startswith(("openai/", "Anthropic/")) for r in doc["roots"])
    assert not any(p.startswith("missing_parent") for p in doc["problems"])


@pytest.mark.parametrize("model,root,country", [
    ("kid/Qwen3-4B-from-30B-A3B", "Qwen/Qwen3-30B-A3B", "CN"),                     # dense from its own family's MoE
    ("kid/Mixtral-8x7B-Instruct-v0.1-Q4", "mistralai/Mixtral-8x7B-Instruct-v0.1", "FR"),   # a llama-laid quant
])
def test_experts_rule_spares_the_same_family_and_quantized_copies(store, mess, registry, model, root, country):
    doc = _o(store, registry, model)
    assert "declared_base_contradicts_config" not in doc["problems"] and _roots(doc) == [(root, country)]


def test_series_never_overrules_the_body_or_the_name(store, mess, registry):
    # a Llama-2-vocabulary body is no Llama-3.1 student; a "-Qwen3-8B" name is no Qwen2.5 student
    assert _o(store, registry, "kid/R1-Distill-Mistral-7B")["roots"][0]["id"] != "meta-llama/Llama-3.1-8B"
    assert _o(store, registry, "kid/R1-Distill-Qwen3-8B-x")["roots"][0]["id"] != "Qwen/Qwen2.5-Math-7B"


def test_teacher_part_beats_a_teacher_named_elsewhere_and_short_names_need_a_language_model(store, mess, registry):
    assert _o(store, registry, "kid/QwQ-R1-Distill-7B")["teacher"]["id"] == "deepseek-ai/DeepSeek-R1"
    assert _o(store, registry, "kid/bert-distill-squad-r1")["teacher"] is None


def test_a_tie_between_trace_datasets_names_no_teacher(store, mess, registry):
    doc = _o(store, registry, "lab/tie-trace")   # one Claude set, one R1 set: no majority
    assert doc["teacher"] is None and _roots(doc) == [("Qwen/Qwen2.5-7B", "CN")]


def test_rule_c_judges_an_adapter_repo_with_full_weights(store, mess, registry):
    merged = _o(store, registry, "community/tiny-llama-lora-merged")
    assert "declared_base_contradicts_config" in merged["problems"]
    bare = _o(store, registry, "community/tiny-llama-lora")   # a bare adapter's parameter count says nothing
    assert "declared_base_contradicts_config" not in bare["problems"]


def test_redistill_names_the_student(store, mess, registry):
    doc = _o(store, registry, "kid/DeepSeek-R1-ReDistill-Qwen-7B-v2")
    assert _roots(doc) == [("Qwen/Qwen2.5-Math-7B", "CN")] and doc["teacher"]["id"] == "deepseek-ai/DeepSeek-R1"
