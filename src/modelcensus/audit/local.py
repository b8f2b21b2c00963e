"""Read a local model (Hub-layout folder, ``.gguf``, ``.safetensors`` or pickle file) into the facts
an audit needs, with every read bounded and nothing executed.

A folder is walked without following directory links, to a bounded depth and file count; a link
that loops or dangles, or a file name that is not UTF-8, makes the whole target an error (a Hub
repository can hold neither), so the problem is reported instead of half-audited.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelcensus.audit.inspect_config import (
    MAX_CONFIG_BYTES,
    card_base_models,
    config_features,
    read_card,
    read_json_file,
)
from modelcensus.audit.inspect_gguf import GGUFInfo, read_gguf
from modelcensus.audit.inspect_safetensors import SafetensorsHeader, read_safetensors_header
from modelcensus.audit.inspect_tokenizer import TokenizerInfo, read_tokenizer
from modelcensus.audit.pickles import PICKLE_SUFFIXES, PickleScan, scan_pickle_file
from modelcensus.audit.targets import Target, check_utf8_name, display_path
from modelcensus.errors import InputError

MAX_FILES = 10_000
MAX_DEPTH = 6
MAX_SAFETENSORS = 256
MAX_GGUF = 16
MAX_PICKLES = 32
HF_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)/?$")


@dataclass
class LocalModel:
    """Everything read from a local target, before any judgement."""

    label: str
    kind: str
    files: list[tuple[str, int]] = field(default_factory=list)
    config: dict[str, Any] | None = None
    tokenizer: TokenizerInfo | None = None
    card: dict[str, Any] = field(default_factory=dict)
    safetensors: list[SafetensorsHeader] = field(default_factory=list)
    gguf: list[GGUFInfo] = field(default_factory=list)
    pickles: list[PickleScan] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    declared_where: str | None = None
    base_hints: list[str] = field(default_factory=list)
    license: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def chat_template(self) -> str | None:
        if self.tokenizer and self.tokenizer.chat_template:
            return self.tokenizer.chat_template
        return next((g.chat_template for g in self.gguf if g.chat_template), None)

    def features(self) -> dict[str, Any]:
        """Signals for family matching, strongest source first (config > embedding > tokenizer)."""
        feats: dict[str, Any] = {}
        if self.config:
            feats.update(config_features(self.config))
        for h in self.safetensors:
            for k, v in h.features().items():
                if k == "vocab_size":
                    feats.setdefault("embedding_vocab_size", v)
                feats.setdefault(k, v)
        for g in self.gguf:
            for k, v in g.features().items():
                feats.setdefault(k, v)
        if self.tokenizer:
            for k, v in self.tokenizer.features().items():
                if k == "vocab_size":
                    feats["tokenizer_vocab_size"] = v
                feats.setdefault(k, v)
        specials: list[str] = []
        for src in ([self.tokenizer.special_tokens] if self.tokenizer else []) + [g.special_tokens for g in self.gguf]:
            specials += [t for t in src if t not in specials]
        if specials:
            feats["special_tokens"] = specials
        if self.base_hints:
            feats["base_model_hint"] = list(self.base_hints)
        feats["name"] = self.label.rstrip("/").rsplit("/", 1)[-1]
        feats.pop("chat_template", None)
        return feats


def _walk(root: Path) -> list[tuple[str, int]]:
    """(relative name, size) of the regular files under root, bounded, links checked."""
    out: list[tuple[str, int]] = []
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise InputError(f"{display_path(folder)}: cannot list ({exc.strerror or exc})") from None
        for e in entries:
            p = Path(e.path)
            rel = display_path(p.relative_to(root))
            check_utf8_name(p)
            if e.is_symlink():
                try:
                    real = p.resolve(strict=True)
                except (OSError, RuntimeError):
                    raise InputError(f"{display_path(root)}: {rel} is a symlink loop or a broken link") from None
                if real.is_dir():
                    continue  # directory links are not followed (loops), their files are not audited
            if e.is_dir(follow_symlinks=False):
                if depth + 1 > MAX_DEPTH:
                    raise InputError(f"{display_path(root)}: nested deeper than {MAX_DEPTH} folders")
                if e.name not in (".git", ".cache", "__pycache__"):
                    stack.append((p, depth + 1))
                continue
            try:
                size = p.stat().st_size
            except OSError as exc:
                raise InputError(f"{display_path(root)}: {rel} cannot be read ({exc.strerror or exc})") from None
            out.append((rel, size))
            if len(out) > MAX_FILES:
                raise InputError(f"{display_path(root)}: more than {MAX_FILES} files")
    return sorted(out)


def _gguf_declared(info: GGUFInfo) -> tuple[list[str], list[str]]:
    """(Hub ids from general.base_model.*.repo_url, name hints from organization/name)."""
    ids, hints = [], []
    for b in info.base_models:
        m = HF_URL.match(b.get("repo_url", ""))
        if m:
            ids.append(m.group(1))
        elif b.get("organization") or b.get("name"):
            hints.append(" ".join(x for x in (b.get("organization"), b.get("name")) if x))
    return ids, hints


def read_local(target: Target) -> LocalModel:
    """Read a local target; :class:`InputError` (naming it) when it cannot be read safely."""
    path = target.path
    assert path is not None
    model = LocalModel(display_path(target.ref), target.kind)
    if target.kind == "folder":
        model.files = _walk(path)
        names = [n for n, _ in model.files]
        if "config.json" in names:
            model.config = read_json_file(path / "config.json", what=f"{model.label}: config.json",
                                          max_bytes=MAX_CONFIG_BYTES)
            if not isinstance(model.config, dict):
                raise InputError(f"{model.label}: config.json is not a JSON object")
        model.tokenizer = read_tokenizer(path)
        if "README.md" in names:
            model.card, _ = read_card(path / "README.md")
        st = [n for n in names if n.lower().endswith(".safetensors")]
        gg = [n for n in names if n.lower().endswith(".gguf")]
        pk = [n for n in names if n.lower().endswith(PICKLE_SUFFIXES)]
        for n in st[:MAX_SAFETENSORS]:
            model.safetensors.append(read_safetensors_header(path / n))
        for n in gg[:MAX_GGUF]:
            model.gguf.append(read_gguf(path / n))
        for n in pk[:MAX_PICKLES]:
            model.pickles.append(scan_pickle_file(path / n))
        for what, items, cap in (("safetensors", st, MAX_SAFETENSORS), ("GGUF", gg, MAX_GGUF),
                                 ("pickle", pk, MAX_PICKLES)):
            if len(items) > cap:
                model.notes.append(f"only the first {cap} of {len(items)} {what} files were read")
    else:
        model.files = [(display_path(path.name), path.stat().st_size)]
        if target.kind == "gguf":
            model.gguf.append(read_gguf(path))
        elif target.kind == "safetensors":
            model.safetensors.append(read_safetensors_header(path))
        elif target.kind == "pickle":
            model.pickles.append(scan_pickle_file(path))
    # what the model declares: the card first, then GGUF metadata
    model.declared = card_base_models(model.card)
    if model.declared:
        model.declared_where = "card"
    for g in model.gguf:
        ids, hints = _gguf_declared(g)
        if ids and not model.declared:
            model.declared, model.declared_where = ids, "gguf"
        model.base_hints += hints
    model.base_hints += model.declared
    lic = model.card.get("license")
    if isinstance(lic, str):
        model.license = lic
    elif model.gguf and isinstance(model.gguf[0].license, str):
        model.license = model.gguf[0].license
    if model.card.get("license") == "other" and isinstance(model.card.get("license_name"), str):
        model.license = model.card["license_name"]
    return model
