"""Tokenizer identity from ``tokenizer.json`` / ``tokenizer_config.json``: vocabulary size, a hash of
the vocabulary in id order, special tokens and the chat template.

The files are parsed as plain JSON with size limits; nothing is instantiated from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelcensus.audit.inspect_config import read_json_file
from modelcensus.audit.inspect_gguf import vocab_hash

MAX_TOKENIZER_BYTES = 64 * 1024 * 1024
MAX_TOKENIZER_CONFIG_BYTES = 8 * 1024 * 1024


@dataclass
class TokenizerInfo:
    vocab_size: int | None = None
    vocab_hash: str | None = None
    special_tokens: list[str] = field(default_factory=list)
    chat_template: str | None = None
    model: str | None = None
    files: list[str] = field(default_factory=list)

    def features(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in ("vocab_size", "vocab_hash", "chat_template"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.special_tokens:
            out["special_tokens"] = list(self.special_tokens)
        return out

    def summary(self) -> dict[str, Any]:
        return {"files": self.files, "model": self.model, "vocab_size": self.vocab_size,
                "vocab_hash": self.vocab_hash, "special_tokens": self.special_tokens[:50],
                "chat_template_chars": len(self.chat_template) if self.chat_template else 0}


def _token_content(tok: Any) -> str | None:
    if isinstance(tok, str):
        return tok
    if isinstance(tok, dict) and isinstance(tok.get("content"), str):
        return tok["content"]
    return None


def _template_text(value: Any) -> str | None:
    """chat_template is a string or a list of {name, template}; join the list so every part is checked."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [t.get("template") for t in value if isinstance(t, dict) and isinstance(t.get("template"), str)]
        return "\n".join(parts) if parts else None
    return None


def read_tokenizer(folder: Path) -> TokenizerInfo | None:
    """Tokenizer identity of a model folder, or None when it has no tokenizer files."""
    info = TokenizerInfo()
    specials: list[str] = []
    tj = folder / "tokenizer.json"
    if tj.is_file():
        info.files.append("tokenizer.json")
        doc = read_json_file(tj, what="tokenizer.json", max_bytes=MAX_TOKENIZER_BYTES)
        if isinstance(doc, dict):
            model = doc.get("model") if isinstance(doc.get("model"), dict) else {}
            info.model = model.get("type") if isinstance(model.get("type"), str) else None
            vocab = model.get("vocab")
            by_id: dict[int, str] = {}
            if isinstance(vocab, dict):  # BPE / WordPiece: token -> id
                by_id = {i: t for t, i in vocab.items() if isinstance(i, int)}
            elif isinstance(vocab, list):  # Unigram: [[token, score], ...]
                by_id = {i: v[0] for i, v in enumerate(vocab) if isinstance(v, list) and v and isinstance(v[0], str)}
            for tok in doc.get("added_tokens") or []:
                if isinstance(tok, dict) and isinstance(tok.get("id"), int) and isinstance(tok.get("content"), str):
                    by_id[tok["id"]] = tok["content"]
                    if tok.get("special"):
                        specials.append(tok["content"])
            if by_id:
                info.vocab_size = max(by_id) + 1
                info.vocab_hash = vocab_hash([by_id.get(i, "") for i in range(info.vocab_size)])
    tc = folder / "tokenizer_config.json"
    if tc.is_file():
        info.files.append("tokenizer_config.json")
        doc = read_json_file(tc, what="tokenizer_config.json", max_bytes=MAX_TOKENIZER_CONFIG_BYTES)
        if isinstance(doc, dict):
            info.chat_template = _template_text(doc.get("chat_template"))
            dec = doc.get("added_tokens_decoder")
            if isinstance(dec, dict):
                for tok in dec.values():
                    if isinstance(tok, dict) and tok.get("special") and isinstance(tok.get("content"), str):
                        specials.append(tok["content"])
            for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
                c = _token_content(doc.get(key))
                if c:
                    specials.append(c)
    jt = folder / "chat_template.jinja"
    if jt.is_file() and info.chat_template is None:
        info.files.append("chat_template.jinja")
        try:
            if jt.stat().st_size <= MAX_TOKENIZER_CONFIG_BYTES:
                info.chat_template = jt.read_bytes().decode("utf-8", "replace")
        except OSError:
            pass
    if not info.files:
        return None
    seen: set[str] = set()
    info.special_tokens = [s for s in specials if not (s in seen or seen.add(s))][:2000]
    return info
