"""Tokenizer identity from ``tokenizer.json`` / ``tokenizer_config.json``: vocabulary size, a hash of
the vocabulary in id order, special tokens and every chat template.

The files are parsed as plain JSON with size and item limits; nothing is instantiated from them. Every
template a loader could pick is kept separately (``tokenizer_config.json`` string or named list,
``chat_template.jinja``, which transformers prefers, ``chat_template.json``, and
``additional_chat_templates/*.jinja``): joining them would let a ``{% raw %}`` in one hide another.
A file a limit stops is recorded in ``unscanned`` (an ``unscanned_content`` flag), never skipped silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelcensus.audit import limits
from modelcensus.audit.inspect_config import read_json_file
from modelcensus.audit.inspect_gguf import vocab_hash
from modelcensus.errors import InputError
from modelcensus.untrusted import read_bounded

MAX_TOKENIZER_BYTES = 64 * 1024 * 1024
MAX_TOKENIZER_CONFIG_BYTES = 8 * 1024 * 1024
MAX_EXTRA_TEMPLATES = 64


@dataclass
class TokenizerInfo:
    vocab_size: int | None = None
    vocab_hash: str | None = None
    special_tokens: list[str] = field(default_factory=list)
    chat_templates: list[tuple[str, str]] = field(default_factory=list)  # (where, template), every one
    model: str | None = None
    files: list[str] = field(default_factory=list)
    unscanned: list[str] = field(default_factory=list)

    @property
    def chat_template(self) -> str | None:
        """The template transformers would use by default (chat_template.jinja first)."""
        for where in ("chat_template.jinja", "tokenizer_config.json", "chat_template.json"):
            if found := next((t for w, t in self.chat_templates if w == where), None):
                return found
        return self.chat_templates[0][1] if self.chat_templates else None

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
                "chat_template_chars": len(self.chat_template) if self.chat_template else 0,
                "chat_templates": [w for w, _ in self.chat_templates],
                **({"unscanned": list(self.unscanned)} if self.unscanned else {})}


def _token_content(tok: Any) -> str | None:
    if isinstance(tok, str):
        return tok
    if isinstance(tok, dict) and isinstance(tok.get("content"), str):
        return tok["content"]
    return None


def template_entries(value: Any, where: str) -> list[tuple[str, str]]:
    """chat_template is a string or a list of {name, template}: one entry per template, never joined."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, list):
        return [(f"{where} {str(t.get('name'))[:80]}", t["template"]) for t in value
                if isinstance(t, dict) and isinstance(t.get("template"), str)]
    return []


def _read_json(path: Path, what: str, max_bytes: int, info: TokenizerInfo) -> Any:
    try:
        return read_json_file(path, what=what, max_bytes=max_bytes)
    except limits.Unscanned as exc:
        info.unscanned.append(str(exc))
        return None


def _read_text(path: Path, what: str, info: TokenizerInfo) -> str | None:
    try:
        raw = read_bounded(path, what=what, max_bytes=4 * limits.TEMPLATE_CHARS)
    except InputError as exc:
        info.unscanned.append(f"{exc} (chat template not checked)")
        return None
    return raw.decode("utf-8", "replace")


def _extra_templates(folder: Path, info: TokenizerInfo) -> None:
    """``additional_chat_templates/*.jinja`` (transformers >= 4.53 loads them by name)."""
    extra = folder / "additional_chat_templates"
    if not extra.is_dir() or extra.is_symlink():
        return
    try:
        names = sorted(e.name for e in os.scandir(extra) if e.name.endswith(".jinja"))
    except OSError as exc:
        info.unscanned.append(f"additional_chat_templates: cannot list ({exc.strerror or exc})")
        return
    if len(names) > MAX_EXTRA_TEMPLATES:
        info.unscanned.append(f"additional_chat_templates: only {MAX_EXTRA_TEMPLATES} of {len(names)} templates read")
    for name in names[:MAX_EXTRA_TEMPLATES]:
        where = f"additional_chat_templates/{name}"
        info.files.append(where)
        text = _read_text(extra / name, where, info)
        if text is not None:
            info.chat_templates.append((where, text))


def read_tokenizer(folder: Path) -> TokenizerInfo | None:
    """Tokenizer identity of a model folder, or None when it has no tokenizer files."""
    info = TokenizerInfo()
    specials: list[str] = []
    tj = folder / "tokenizer.json"
    if tj.is_file():
        info.files.append("tokenizer.json")
        doc = _read_json(tj, "tokenizer.json", MAX_TOKENIZER_BYTES, info)
        if isinstance(doc, dict):
            raw_model = doc.get("model")
            model = raw_model if isinstance(raw_model, dict) else {}
            info.model = model.get("type") if isinstance(model.get("type"), str) else None
            vocab = model.get("vocab")
            by_id: dict[int, str] = {}
            if isinstance(vocab, dict):  # BPE / WordPiece: token -> id
                by_id = {i: t for t, i in vocab.items() if isinstance(i, int) and 0 <= i < 2**24}
            elif isinstance(vocab, list):  # Unigram: [[token, score], ...]
                by_id = {i: v[0] for i, v in enumerate(vocab) if isinstance(v, list) and v and isinstance(v[0], str)}
            for tok in doc.get("added_tokens") or []:
                if (isinstance(tok, dict) and isinstance(tok.get("id"), int) and 0 <= tok["id"] < 2**24
                        and isinstance(tok.get("content"), str)):
                    by_id[tok["id"]] = tok["content"]
                    if tok.get("special"):
                        specials.append(tok["content"])
            del doc, vocab, model, raw_model
            if by_id:
                info.vocab_size = max(by_id) + 1
                info.vocab_hash = vocab_hash([by_id.get(i, "") for i in range(info.vocab_size)])
    tc = folder / "tokenizer_config.json"
    if tc.is_file():
        info.files.append("tokenizer_config.json")
        doc = _read_json(tc, "tokenizer_config.json", MAX_TOKENIZER_CONFIG_BYTES, info)
        if isinstance(doc, dict):
            info.chat_templates += template_entries(doc.get("chat_template"), "tokenizer_config.json")
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
    if jt.exists() or jt.is_symlink():
        info.files.append("chat_template.jinja")
        text = _read_text(jt, "chat_template.jinja", info)
        if text is not None:
            info.chat_templates.insert(0, ("chat_template.jinja", text))
    cj = folder / "chat_template.json"
    if cj.exists() or cj.is_symlink():
        info.files.append("chat_template.json")
        try:
            doc = _read_json(cj, "chat_template.json", MAX_TOKENIZER_CONFIG_BYTES, info)
        except InputError as exc:
            info.unscanned.append(f"{exc} (chat template not checked)")
            doc = None
        if isinstance(doc, dict):
            info.chat_templates += template_entries(doc.get("chat_template"), "chat_template.json")
    _extra_templates(folder, info)
    if not info.files:
        return None
    info.special_tokens = list(dict.fromkeys(specials))[:2000]  # first occurrence of each, in order
    return info
