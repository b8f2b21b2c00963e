"""Local targets end to end, hostile ones included: every bad target gets its own clear error, the
good ones are still audited, nothing is executed."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

from audit_fixtures import make_folder, write_gguf

from modelcensus.audit import audit


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_hostile_inventory(tmp_path: Path, registry) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    marker = tmp_path / "PWNED"
    make_folder(inv, "good-qwen", "qwen2", card={"license": "apache-2.0"})
    evil = make_folder(inv, "evil", "llama3", weights="bin")
    (evil / "pytorch_model.bin").write_bytes(pickle.dumps({"w": _Payload(marker)}, protocol=2))
    (evil / "modeling_evil.py").write_text("import os\n")
    loop = make_folder(inv, "loop", "llama3", weights="none")
    (loop / "a").symlink_to(loop / "b")
    (loop / "b").symlink_to(loop / "a")
    badname = make_folder(inv, "badname", "llama3", weights="none")
    Path(os.fsdecode(bytes(badname) + b"/weights\xff.safetensors")).write_bytes(b"x")
    (inv / "huge.safetensors").write_bytes((2**60).to_bytes(8, "little") + b"{}")
    (inv / "notjson.safetensors").write_bytes((9).to_bytes(8, "little") + b"not json!")
    gg = inv / "trunc.gguf"
    write_gguf(gg, "llama3", n_tokens=500)
    gg.write_bytes(gg.read_bytes()[:200])
    (inv / "absurd.gguf").write_bytes(b"GGUF" + (3).to_bytes(4, "little") + (0).to_bytes(8, "little")
                                      + (2**62).to_bytes(8, "little"))
    (inv / "list.txt").write_text("\n".join(["good-qwen", "evil", "loop", "badname", "huge.safetensors",
                                             "notjson.safetensors", "trunc.gguf", "absurd.gguf", "../escape",
                                             "/etc"]) + "\n")
    t0 = time.perf_counter()
    rep = audit([], inventory=inv / "list.txt", registry=registry, policy="strict-supply-chain")
    assert time.perf_counter() - t0 < 20
    assert not marker.exists()
    errors = {e.ref: e.message for e in rep.errors}
    assert set(errors) == {"loop", "badname", "huge.safetensors", "notjson.safetensors", "trunc.gguf",
                           "absurd.gguf", "../escape", "/etc"}
    assert "symlink loop" in errors["loop"]
    assert "not valid UTF-8" in errors["badname"]
    assert "header claims" in errors["huge.safetensors"]
    assert "header is not JSON" in errors["notjson.safetensors"]
    assert "trunc.gguf" in errors["trunc.gguf"]
    assert "absurd counts" in errors["absurd.gguf"]
    assert "outside the inventory folder" in errors["../escape"] and "outside" in errors["/etc"]
    by = {d.target.ref: d for d in rep.dossiers}
    assert set(by) == {"good-qwen", "evil"}
    evil_codes = {f.code for f in by["evil"].flags}
    assert {"pickle_dangerous_globals", "pickle_only_weights", "remote_code"} <= evil_codes
    assert by["evil"].verdict.status == "fail"
    assert by["good-qwen"].verdict.status == "fail"  # strict: detection grade 'config' is weaker than 'tag'
    assert by["good-qwen"].verdict.decided_by == "min_grade"
    assert rep.exit_code == 2


def test_gguf_declared_base_and_mismatch(tmp_path: Path, registry) -> None:
    decl = tmp_path / "declared.gguf"
    write_gguf(decl, "qwen2", base_models=[{"name": "Qwen2.5 7B", "organization": "Qwen",
                                            "repo_url": "https://huggingface.co/Qwen/Qwen2.5-7B"}])
    lying = tmp_path / "lying.gguf"
    write_gguf(lying, "qwen2", base_models=[{"name": "Llama 3.1 8B", "organization": "Meta Llama",
                                             "repo_url": "https://huggingface.co/meta-llama/Llama-3.1-8B"}])
    rep = audit([str(decl), str(lying)], registry=registry)
    d1, d2 = rep.dossiers
    assert d1.declared == {"base_models": ["Qwen/Qwen2.5-7B"], "where": "gguf", "relation": "quantized"}
    assert d1.origin["grade"] == "tag" and d1.origin["roots"][0]["country"] == "CN"
    assert d1.formats == ["gguf"]
    assert "declared_base_mismatch" not in {f.code for f in d1.flags}
    assert "declared_base_mismatch" in {f.code for f in d2.flags}


def test_chat_template_with_unusual_constructs_is_flagged(tmp_path: Path, registry) -> None:
    t = "{% for m in messages %}{{ m['content'] }}{% endfor %}{{ ''.__class__.__mro__ }} https://x.example/p"
    f = make_folder(tmp_path, "odd", "qwen2", template=t)
    ok = make_folder(tmp_path, "ok", "qwen2")
    long = make_folder(tmp_path, "long", "qwen2", template="{{ 'a' }}" * 5000)
    rep = audit([str(f), str(ok), str(long)], registry=registry)
    codes = [{fl.code for fl in d.flags} for d in rep.dossiers]
    assert {"template_dunder_attribute", "template_url"} <= codes[0]
    assert not any(c.startswith("template_") for c in codes[1])
    assert "template_too_long" in codes[2]


def test_template_rules_ignore_jinja_comments() -> None:
    from modelcensus.audit.flags import chat_template_flags

    # the shape of a real community template: a fix credited to a URL inside a comment
    commented = "{{- toolcall_end_token}}\n{# Fix by someone - https://github.com/x/y/pull/7 #}\n{{ content }}"
    assert chat_template_flags(commented) == []
    assert [f.code for f in chat_template_flags("{{ 'see https://x.example' }}")] == ["template_url"]


def test_fixture_family_templates_raise_no_template_flag() -> None:
    from audit_fixtures import FAMILIES

    from modelcensus.audit.flags import chat_template_flags

    assert {f: chat_template_flags(v["template"]) for f, v in FAMILIES.items()} == {f: [] for f in FAMILIES}
