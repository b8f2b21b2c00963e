"""Undeclared-base detection on real-format fixtures, and its calibration: which signals separate
the families and which do not. The expected family of each fixture is the registry's own family for
the fixture's root model, so these tests hold the matcher to the registry's data, whatever it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_fixtures import FAMILIES, make_folder, write_gguf, write_safetensors

from modelcensus.audit.detect import match_features
from modelcensus.audit.local import read_local
from modelcensus.audit.targets import parse_target


def expected_family(registry, fixture: str) -> str:
    root = FAMILIES[fixture]["root"]
    best = registry.match_family({"base_model_hint": [root]}).best
    if best is None:
        pytest.skip(f"the registry has no family for {root} yet")
    return best.family


def detect(registry, path: Path):
    model = read_local(parse_target(str(path)))
    feats = {k: v for k, v in model.features().items() if k != "base_model_hint"}
    return match_features(registry, feats)


@pytest.mark.parametrize("fixture", list(FAMILIES))
def test_each_family_is_recognised_from_its_files(registry, family_folders, fixture: str) -> None:
    fam = expected_family(registry, fixture)
    det = detect(registry, family_folders[fixture])
    assert det.family == fam, det.candidates
    assert det.grade == "config"  # architecture + vocabulary size together
    assert det.root_country == registry.org(registry.family(fam).root_org).country


def test_llama_architecture_with_qwen_vocabulary_is_qwen_not_llama(registry, family_folders) -> None:
    qwen, llama = expected_family(registry, "qwen2"), expected_family(registry, "llama3")
    det = detect(registry, family_folders["llama_arch_qwen_vocab"])
    assert det.family == qwen
    assert det.grade == "tokenizer"  # vocabulary and tokens, not the (Llama) architecture
    assert det.root_country == "CN"
    scores = {c["family"]: c["score"] for c in det.candidates}
    assert scores[qwen] > scores.get(llama, 0)
    real = detect(registry, family_folders["llama3"])
    assert real.family == llama and real.root_country == "US"


def test_architecture_alone_names_no_family(registry, family_folders) -> None:
    expected_family(registry, "llama3")
    det = detect(registry, family_folders["arch_only_llama"])
    assert det.family is None
    assert det.root_country is None
    assert all(not c["decisive"] for c in det.candidates)


def test_gguf_file_alone_is_recognised_by_architecture_and_token_list(registry, tmp_path: Path) -> None:
    qwen = expected_family(registry, "qwen2")
    p = tmp_path / "model-Q4_K_M.gguf"
    write_gguf(p, "qwen2")
    det = detect(registry, p)
    assert det.family == qwen and det.grade == "config"
    hybrid = tmp_path / "hybrid.gguf"
    write_gguf(hybrid, "qwen2", arch="llama", n_tokens=151936)
    det = detect(registry, hybrid)
    assert det.family == qwen and det.grade == "tokenizer"


def test_lone_safetensors_file_gives_vocabulary_from_its_embedding(registry, tmp_path: Path) -> None:
    qwen = expected_family(registry, "qwen2")
    p = tmp_path / "model.safetensors"
    write_safetensors(p, 152064, qkv_bias=True)
    det = detect(registry, p)
    assert det.features["vocab_size"] == 152064
    assert det.family == qwen and det.grade == "tokenizer"


def test_calibration_matrix_single_signals(registry, family_folders) -> None:
    """One signal at a time, on every fixture: architecture never decides; vocabulary size and the
    family's exclusive special tokens do, when the registry lists them."""
    present = [f for f in FAMILIES
               if registry.match_family({"base_model_hint": [FAMILIES[f]["root"]]}).best is not None]
    if not present:
        pytest.skip("the registry holds none of the fixture families")
    for fixture in present:
        fam = registry.match_family({"base_model_hint": [FAMILIES[fixture]["root"]]}).best.family
        feats = read_local(parse_target(str(family_folders[fixture]))).features()
        arch = registry.match_family({"model_type": feats["model_type"], "architectures": feats["architectures"]})
        assert arch.best is None, (fixture, arch.as_dict())
        both = registry.match_family({"model_type": feats["model_type"], "architectures": feats["architectures"],
                                      "vocab_size": feats["vocab_size"]})
        assert both.best is not None and both.best.family == fam, (fixture, both.as_dict())
        tokens = registry.match_family({"special_tokens": feats["special_tokens"]})
        if tokens.best is not None:
            assert tokens.best.family == fam


def test_declared_base_mismatch_is_flagged(registry, tmp_path: Path) -> None:
    from modelcensus.audit import audit

    expected_family(registry, "qwen2")
    expected_family(registry, "llama3")
    liar = make_folder(tmp_path, "liar", "qwen2", card={"base_model": "meta-llama/Llama-3.1-8B",
                                                         "license": "llama3.1"})
    honest = make_folder(tmp_path, "honest", "qwen2", card={"base_model": "Qwen/Qwen2.5-7B",
                                                             "license": "apache-2.0"})
    silent = make_folder(tmp_path, "silent", "qwen2")
    rep = audit([str(liar), str(honest), str(silent)], registry=registry)
    by = {d.target.ref: d for d in rep.dossiers}
    codes = {k: {f.code for f in d.flags} for k, d in by.items()}
    assert "declared_base_mismatch" in codes[str(liar)]
    assert "declared_base_mismatch" not in codes[str(honest)]
    assert "undeclared_base" in codes[str(silent)]
    # the declared base still decides the origin; the detected family is reported beside it
    assert [r["id"] for r in by[str(liar)].origin["roots"]] == ["meta-llama/Llama-3.1-8B"]
    assert by[str(liar)].origin["grade"] == "declared"
    assert [r["country"] for r in by[str(silent)].origin["roots"]] == ["CN"]
    assert by[str(silent)].origin["grade"] == "config"
