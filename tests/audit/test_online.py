"""``audit --online`` against a tiny fake Hub of our own (a real HTTP server on 127.0.0.1):
``model_info`` plus small files through ``huggingface_hub``, never a weight file."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from modelcensus.audit import audit

README = "---\nbase_model: Qwen/Qwen2.5-7B\nlicense: apache-2.0\n---\n# A fine-tune\n"
TOKCFG = {"chat_template": "{{ messages[0]['content'] }}{{ ''.__class__ }}", "eos_token": "<|im_end|>"}
MODELS = {
    "acme/qwen-ft": {"cardData": {"base_model": "Qwen/Qwen2.5-7B", "license": "apache-2.0"}, "gated": False,
                     "config": {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]},
                     "files": {"config.json": json.dumps({"model_type": "qwen2", "vocab_size": 152064,
                                                          "architectures": ["Qwen2ForCausalLM"]}),
                               "tokenizer_config.json": json.dumps(TOKCFG), "README.md": README,
                               "model.safetensors": "WEIGHTS"}},
    "Qwen/Qwen2.5-7B": {"cardData": {"license": "apache-2.0"}, "files": {"model.safetensors": "W"}},
    "acme/orphan": {"cardData": {"base_model": "gone/deleted-model", "license": "mit"},
                    "files": {"model.safetensors": "W"}},
    "acme/huge": {"cardData": {}, "files": {"config.json": "{" + " " * (5 * 1024 * 1024) + "}"}},
}


class _Handler(BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def _send(self, code: int, body: bytes, ctype: str = "application/json", error_code: str | None = None) -> None:
        self.send_response(code)
        if error_code:
            self.send_header("X-Error-Code", error_code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = unquote(urlparse(self.path).path)
        self.requests.append(path)
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            mid = "/".join(parts[2:4])
            m = MODELS.get(mid)
            if m is None:
                return self._send(404, b'{"error": "Repository not found"}', error_code="RepoNotFound")
            info = {"id": mid, "modelId": mid, "author": mid.split("/")[0], "sha": "f" * 40,
                    "cardData": m["cardData"], "gated": m.get("gated", False), "tags": [],
                    "config": m.get("config"), "siblings": [{"rfilename": f} for f in m["files"]]}
            return self._send(200, json.dumps(info).encode())
        if len(parts) >= 5 and parts[2] == "resolve":
            mid, fname = "/".join(parts[:2]), "/".join(parts[4:])
            m = MODELS.get(mid)
            if m is None or fname not in m["files"]:
                return self._send(404, b"not found", "text/plain")
            return self._send(200, m["files"][fname].encode(), "application/octet-stream")
        return self._send(404, b"{}")  # e.g. /api/agent-harnesses, which huggingface_hub tolerates

    do_HEAD = do_GET


@pytest.fixture
def fake_hub(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.requests = []
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield _Handler.requests
    server.shutdown()
    server.server_close()


def test_online_audit_reads_metadata_and_small_files_only(fake_hub, registry, tmp_path: Path) -> None:
    rep = audit(["acme/qwen-ft@main", "acme/orphan", "acme/huge", "nobody/missing"], registry=registry,
                online=True, policy="no-prc-roots")
    by = {d.id: d for d in rep.dossiers}
    d = by["acme/qwen-ft"]
    assert d.source == "hub" and d.revision == "main"
    assert [(r["id"], r["country"]) for r in d.origin["roots"]] == [("Qwen/Qwen2.5-7B", "CN")]
    assert d.origin["grade"] == "declared"
    assert d.verdict.decided_by == "root_countries.deny"
    codes = {f.code for f in d.flags}
    assert "template_dunder_attribute" in codes  # read from tokenizer_config.json on the Hub
    assert d.detection.family == registry.match_family({"base_model_hint": ["Qwen/Qwen2.5-7B"]}).best.family
    orphan = by["acme/orphan"]
    assert "missing_parent:gone/deleted-model" in orphan.origin["problems"]
    assert "missing_parent" in {f.code for f in orphan.flags}
    errors = {e.ref: e.message for e in rep.errors}
    assert "larger than" in errors["acme/huge"]
    assert "not found on the Hub" in errors["nobody/missing"]
    assert not any(p.endswith((".safetensors", ".bin", ".gguf")) for p in fake_hub)
    assert "/acme/qwen-ft/resolve/" + "f" * 40 + "/README.md" in fake_hub
    assert rep.exit_code == 2


def test_hub_id_without_store_or_online_is_an_error(registry) -> None:
    rep = audit(["acme/qwen-ft"], registry=registry)
    assert rep.dossiers == [] and "use --online" in rep.errors[0].message and rep.exit_code == 2
