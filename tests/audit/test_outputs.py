"""Outputs: the CycloneDX 1.6 ML-BOM validates against the schema and carries lineage, licences,
origins and flags; JSON, Markdown and the table render every model and every error."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from audit_fixtures import add_snapshot, hub_record, make_folder

from modelcensus.audit import audit
from modelcensus.audit.render import SYNTHETIC_BANNER, render_text, to_markdown, to_table


@pytest.fixture
def report(store, registry, tmp_path: Path):
    add_snapshot(store, [
        hub_record("Qwen/Qwen2.5-7B"),
        hub_record("Qwen/Qwen2.5-7B-Instruct", base="Qwen/Qwen2.5-7B"),
        hub_record("mradermacher/Qwen2.5-7B-Instruct-GGUF", base="Qwen/Qwen2.5-7B-Instruct", relation="quantized",
                   files=["a.Q4_K_M.gguf"]),
        hub_record("meta-llama/Llama-3.1-8B", license="llama3.1"),
        hub_record("someone/llama-mit", base="meta-llama/Llama-3.1-8B", license="mit"),
    ], synthetic=True)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x01")
    local = make_folder(tmp_path, "local", "qwen2")
    return audit(["mradermacher/Qwen2.5-7B-Instruct-GGUF@abc", "someone/llama-mit", str(local), str(bad)],
                 store=store, registry=registry, policy="no-prc-roots")


def test_cyclonedx_bom_validates_and_maps_the_dossier(report) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = render_text(report, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    comps = {c["name"]: c for c in bom["components"]}
    gguf = comps["mradermacher/Qwen2.5-7B-Instruct-GGUF"]
    assert gguf["type"] == "machine-learning-model"
    assert gguf["version"] == "abc"
    assert gguf["purl"] == "pkg:huggingface/mradermacher/Qwen2.5-7B-Instruct-GGUF@abc"
    ancestors = {a["name"]: {p["name"]: p["value"] for p in a["properties"]} for a in gguf["pedigree"]["ancestors"]}
    assert {k: (v["modelcensus:depth"], v["modelcensus:relation"]) for k, v in ancestors.items()} == {
        "Qwen/Qwen2.5-7B-Instruct": ("1", "quantized"), "Qwen/Qwen2.5-7B": ("2", "finetune")}
    props = {(p["name"], p["value"]) for p in gguf["properties"]}
    assert ("modelcensus:origin:root:country", "CN") in props
    assert ("modelcensus:verdict", "fail") in props
    assert ("modelcensus:verdict:decided_by", "root_countries.deny") in props
    assert gguf["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    drift = comps["someone/llama-mit"]
    assert any(p["name"] == "modelcensus:flag:licence_drift" for p in drift["properties"])
    assert ("modelcensus:licence:chain", "meta-llama/Llama-3.1-8B=llama3.1") in {
        (p["name"], p["value"]) for p in drift["properties"]}
    meta = {p["name"]: p["value"] for p in bom["metadata"]["properties"]}
    assert meta["modelcensus:synthetic"] == "true"
    assert meta["modelcensus:count:error"] == "1"
    assert meta["modelcensus:error"].endswith("file shorter than the 8-byte header length")


def test_json_markdown_and_table(report) -> None:
    doc = json.loads(render_text(report, "json"))
    assert doc["synthetic"] is True
    assert doc["audit"]["counts"] == {"pass": 1, "warn": 0, "fail": 2, "error": 1}
    assert doc["audit"]["exit_code"] == 2
    assert [m["id"] for m in doc["models"]] == ["mradermacher/Qwen2.5-7B-Instruct-GGUF", "someone/llama-mit", None]
    md = to_markdown(report)
    assert SYNTHETIC_BANNER in md
    assert "**Verdict: FAIL** (decided by root\\_countries.deny)" in md
    assert "\\*\\*drift\\*\\*" not in md and "**drift**: mit over root meta-llama/Llama-3.1-8B" in md
    assert "bad.safetensors" in md
    from rich.console import Console

    buf = io.StringIO()
    to_table(report, Console(file=buf, width=200, no_color=True))
    out = buf.getvalue()
    assert "mradermacher/Qwen2.5-7B-Instruct-GGUF" in out and "fail (root_countries.deny)" in out
    assert "1 pass, 0 warn, 2 fail, 1 error (exit 2)" in out


def test_markdown_escapes_hostile_ids(store, registry) -> None:
    add_snapshot(store, [hub_record("a/b"), hub_record("evil/x", base="a/b", license="<script>|x")])
    rep = audit(["evil/x"], store=store, registry=registry)
    md = to_markdown(rep)
    assert "<script>" not in md and "\\<script\\>\\|x" in md
