"""Fixtures for the audit tests; the file builders live in audit_fixtures.py (importable by tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from audit_fixtures import FAMILIES, make_folder  # noqa: E402


@pytest.fixture(scope="session")
def registry():
    from modelcensus.lineage.registry import load_registry

    return load_registry()


@pytest.fixture(scope="session")
def family_folders(tmp_path_factory):
    """One folder per family, plus the hybrid (Llama architecture, Qwen vocabulary and tokens)."""
    root = tmp_path_factory.mktemp("families")
    out = {fam: make_folder(root, fam, fam) for fam in FAMILIES}
    out["llama_arch_qwen_vocab"] = make_folder(
        root, "llama_arch_qwen_vocab", "llama3", tokenizer_family="qwen2",
        config={"vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151645})
    out["arch_only_llama"] = make_folder(root, "arch_only", "llama3", config={"vocab_size": 50000},
                                         tokenizer_family=None, weights="none")
    (out["arch_only_llama"] / "tokenizer.json").unlink()
    (out["arch_only_llama"] / "tokenizer_config.json").unlink()
    return out
