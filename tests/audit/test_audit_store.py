"""Audits of Hub ids held by the store: dossier contents, licence drift, flags, the shipped policies
and the run's exit code, with local targets and unreadable targets mixed in."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_fixtures import add_snapshot, hub_record, make_folder

from modelcensus.audit import audit
from modelcensus.audit.policy import load_policy

R1_CONFIG = {"model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"],
             "auto_map": {"AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM"}}
EVIL_TEMPLATE = {"tokenizer_config": {"chat_template": "{% import 'os' as os %}{{ cycler.__init__.__globals__ }}"}}


@pytest.fixture
def snap(store):
    return add_snapshot(store, [
        hub_record("Qwen/Qwen2.5-7B"),
        hub_record("Qwen/Qwen2.5-7B-Instruct", base="Qwen/Qwen2.5-7B"),
        hub_record("open-thoughts/OpenThinker-7B", base="Qwen/Qwen2.5-7B-Instruct",
                   card="We fine-tune on reasoning traces distilled from deepseek-ai/DeepSeek-R1."),
        hub_record("mradermacher/OpenThinker-7B-GGUF", base="open-thoughts/OpenThinker-7B", relation="quantized",
                   files=["OpenThinker-7B.Q4_K_M.gguf"]),
        hub_record("meta-llama/Llama-3.1-8B", license="llama3.1", gated="manual"),
        hub_record("someone/llama-mit", base="meta-llama/Llama-3.1-8B", license="mit"),
        hub_record("deepseek-ai/DeepSeek-R1", license="mit", config=R1_CONFIG, tags=["custom_code"],
                   files=["config.json", "modeling_deepseek.py", "model-00001.safetensors"]),
        hub_record("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", base="meta-llama/Llama-3.1-8B", license="mit"),
        hub_record("old/pickled", files=["config.json", "pytorch_model.bin", "training_args.bin"]),
        hub_record("y/orphan", base="deleted/gone-model"),
        hub_record("evil/template", config=EVIL_TEMPLATE),
    ])


def _by_id(report):
    return {d.id: d for d in report.dossiers}


def test_dossier_of_a_quantized_finetune(store, snap, registry) -> None:
    rep = audit(["mradermacher/OpenThinker-7B-GGUF@0123abcd"], store=store, registry=registry)
    [d] = rep.dossiers
    assert d.id == "mradermacher/OpenThinker-7B-GGUF" and d.revision == "0123abcd"
    assert d.formats == ["gguf"]
    assert [(r["id"], r["country"]) for r in d.origin["roots"]] == [("Qwen/Qwen2.5-7B", "CN")]
    assert [(s["child"], s["parent"], s["relation"], s["grade"]) for s in d.lineage] == [
        ("mradermacher/OpenThinker-7B-GGUF", "open-thoughts/OpenThinker-7B", "quantized", "declared"),
        ("open-thoughts/OpenThinker-7B", "Qwen/Qwen2.5-7B-Instruct", "finetune", "declared"),
        ("Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B", "finetune", "declared")]
    assert d.origin["teacher"]["country"] == "CN"
    assert [c["license"] for c in d.licence.chain] == ["apache-2.0"] * 3
    assert d.licence.drift == []
    assert {f.code for f in d.flags} == set()  # revision pinned, safe format, nothing odd
    assert rep.exit_code == 0 and rep.counts == {"pass": 1, "warn": 0, "fail": 0, "error": 0}


def test_flags_from_store_metadata(store, snap, registry) -> None:
    rep = audit(["someone/llama-mit", "deepseek-ai/DeepSeek-R1", "old/pickled", "y/orphan", "evil/template",
                 "meta-llama/Llama-3.1-8B"], store=store, registry=registry)
    codes = {d.id: {f.code for f in d.flags} for d in rep.dossiers}
    assert codes["someone/llama-mit"] == {"licence_drift", "unpinned_revision"}
    drift = _by_id(rep)["someone/llama-mit"].licence.drift
    assert drift[0]["root"] == "meta-llama/Llama-3.1-8B" and drift[0]["root_license"] == "llama3.1"
    assert "remote_code" in codes["deepseek-ai/DeepSeek-R1"]
    assert "pickle_only_weights" in codes["old/pickled"]
    # its pickles were never downloaded: a gate cannot call them safe, so the default policy fails them
    pickled = _by_id(rep)["old/pickled"]
    assert "unscanned_content" in codes["old/pickled"] and pickled.verdict.status == "fail"
    assert "unscanned_content" not in codes["meta-llama/Llama-3.1-8B"]  # safetensors: nothing to scan
    assert "missing_parent" in codes["y/orphan"]
    assert {"template_jinja_import", "template_dunder_attribute"} <= codes["evil/template"]
    assert "gated" in codes["meta-llama/Llama-3.1-8B"]


def test_hub_id_with_unread_pickle_files_beside_safetensors_fails(store, registry) -> None:
    """training_args.bin, optimizer.pt or a .pkl listed on the Hub are loaded by torch.load in real
    workflows; a store audit never downloads them, so they are unscanned content, not a pass."""
    import json as _json

    from modelcensus.api import import_path

    rec = {"id": "acme/mixed-files", "author": "acme", "downloads": 1, "sha": "a" * 40,
           "siblings": [{"rfilename": n} for n in ("model.safetensors", "training_args.bin", "optimizer.pt",
                                                   "extra/evil.pkl", "config.json")]}
    path = store.path.parent / "mixed.jsonl"
    path.write_text(_json.dumps(rec) + "\n")
    import_path(store, path, observed_at="2025-06-01")
    rep = audit(["acme/mixed-files@" + "a" * 40], store=store, registry=registry, policy="strict-supply-chain")
    d = rep.dossiers[0]
    flags = {f.code: f for f in d.flags}
    assert "unscanned_content" in flags and "training_args.bin" in (flags["unscanned_content"].evidence or "")
    assert d.verdict.status == "fail" and rep.exit_code == 1


def test_no_prc_roots_policy(store, snap, registry) -> None:
    rep = audit(["mradermacher/OpenThinker-7B-GGUF", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
                 "meta-llama/Llama-3.1-8B"], store=store, registry=registry, policy="no-prc-roots")
    v = {d.id: d.verdict for d in rep.dossiers}
    assert (v["mradermacher/OpenThinker-7B-GGUF"].status, v["mradermacher/OpenThinker-7B-GGUF"].decided_by) == (
        "fail", "root_countries.deny")
    # a US root, but a Chinese distillation teacher
    distill = v["deepseek-ai/DeepSeek-R1-Distill-Llama-8B"]
    assert (distill.status, distill.decided_by) == ("fail", "teacher_countries.deny")
    assert v["meta-llama/Llama-3.1-8B"].status == "pass"
    assert rep.exit_code == 1


def test_strict_supply_chain_policy(store, snap, registry) -> None:
    rep = audit(["Qwen/Qwen2.5-7B@main", "old/pickled@v1", "deepseek-ai/DeepSeek-R1@v1", "Qwen/Qwen2.5-7B-Instruct"],
                store=store, registry=registry, policy="strict-supply-chain")
    v = {(d.id, d.revision): d.verdict for d in rep.dossiers}
    assert v[("Qwen/Qwen2.5-7B", "main")].status == "pass"
    assert v[("old/pickled", "v1")].decided_by == "require_safetensors"
    assert v[("deepseek-ai/DeepSeek-R1", "v1")].decided_by == "deny_remote_code"
    unpinned = v[("Qwen/Qwen2.5-7B-Instruct", None)]
    assert unpinned.status == "fail" and "unpinned_revision" in unpinned.findings[0].message


def test_permissive_licences_only_policy(store, snap, registry) -> None:
    rep = audit(["someone/llama-mit", "Qwen/Qwen2.5-7B-Instruct"], store=store, registry=registry,
                policy="permissive-licences-only")
    v = {d.id: d.verdict for d in rep.dossiers}
    llama_mit = v["someone/llama-mit"]
    assert llama_mit.status == "fail"
    assert {f.rule for f in llama_mit.findings} == {"licences", "deny_flags"}  # root llama3.1 + drift
    assert v["Qwen/Qwen2.5-7B-Instruct"].status == "pass"


def test_warn_only_policy_exits_zero(store, snap, registry, tmp_path: Path) -> None:
    pol = tmp_path / "p.yaml"
    pol.write_text("root_countries: {deny: [CN], action: warn}\n")
    rep = audit(["Qwen/Qwen2.5-7B"], store=store, registry=registry, policy=pol)
    assert rep.dossiers[0].verdict.status == "warn" and rep.exit_code == 0


def test_bad_targets_are_reported_and_the_rest_still_audited(store, snap, registry, tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes((2**60).to_bytes(8, "little") + b"{}")
    good = make_folder(tmp_path, "local-qwen", "qwen2", card={"base_model": "Qwen/Qwen2.5-7B",
                                                               "license": "apache-2.0"})
    rep = audit([str(bad), "not/in-store", str(good), "Qwen/Qwen2.5-7B"], store=store, registry=registry,
                policy=load_policy("no-prc-roots"))
    assert [e.ref for e in rep.errors] == [str(bad), "not/in-store"]
    assert "header claims 1152921504606846976 bytes" in rep.errors[0].message
    assert "use --online" in rep.errors[1].message
    local = next(d for d in rep.dossiers if d.source == "local")
    # the local folder's declared base is spliced onto its stored origin
    assert local.origin["roots"][0]["id"] == "Qwen/Qwen2.5-7B" and local.origin["roots"][0]["country"] == "CN"
    assert local.verdict.status == "fail"
    assert rep.counts == {"pass": 0, "warn": 0, "fail": 2, "error": 2}
    assert rep.exit_code == 2


def test_remote_code_only_for_top_level_modules() -> None:
    """Loaders import custom code from the repository's top level; examples/ scripts are not loaded."""
    from modelcensus.audit.flags import remote_code_flags

    assert remote_code_flags(None, None, ["examples/example_fsdp.py", "scripts/train.py", "model.safetensors"]) == []
    flags = remote_code_flags(None, None, ["modeling_custom.py", "examples/x.py"])
    assert [f.code for f in flags] == ["remote_code"] and flags[0].evidence == "modeling_custom.py"
    assert remote_code_flags({"auto_map": {"AutoModel": "m.M"}}, None, [])[0].code == "remote_code"
