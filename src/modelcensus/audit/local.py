"""Read a local model (Hub-layout folder, ``.gguf``, ``.safetensors`` or pickle file) into the facts
an audit needs, with every read bounded and nothing executed.

A folder is walked without following directory links, to a bounded depth and file count; a link
that loops or dangles, or a file name that is not UTF-8, makes the whole target an error (a Hub
repository can hold neither), so the problem is reported instead of half-audited. FIFOs, sockets,
devices, directory links and links leaving the folder are never opened: each becomes an
``unscanned_content`` finding. Every regular file is scanned by content (``audit.containers``),
whatever its name, under one scan budget per target.
"""

from __future__ import annotations

import os
import re
import stat
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
from modelcensus.audit.pickles import PickleScan, new_budget, scan_pickle_file
from modelcensus.audit.targets import Target, check_utf8_name, display_path
from modelcensus.errors import InputError

MAX_FILES = 10_000
MAX_DEPTH = 6
MAX_SAFETENSORS = 1024  # headers read per folder; files past it are unscanned_content
MAX_GGUF = 64
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


@dataclass
class Walked:
    """A folder's files: regular files safe to open, and entries that must never be opened."""

    files: list[tuple[str, int]] = field(default_factory=list)   # (relative name, size), every entry
    readable: dict[str, Path] = field(default_factory=dict)      # relative name -> real path to open
    refused: dict[str, str] = field(default_factory=dict)        # relative name -> why it was not opened


def _link_roots(root: Path) -> list[Path]:
    """Where a file link may point: the folder itself, and the ``blobs/`` of a Hugging Face cache
    repository when the folder is one of its ``snapshots/<revision>`` (every file there is a link)."""
    real = root.resolve()
    roots = [real]
    if real.parent.name == "snapshots" and real.parent.parent.name.startswith("models--"):
        roots.append(real.parent.parent / "blobs")
    return roots


def _classify(p: Path, rel: str, root: Path, roots: list[Path], out: Walked) -> bool:
    """Record one non-directory entry; True when it is a directory to descend into."""
    try:
        st = p.lstat()
    except OSError as exc:
        raise InputError(f"{display_path(root)}: {rel} cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        return True
    out.files.append((rel, st.st_size))
    if stat.S_ISLNK(st.st_mode):
        try:
            real = p.resolve(strict=True)
        except (OSError, RuntimeError):
            raise InputError(f"{display_path(root)}: {rel} is a symlink loop or a broken link") from None
        if not any(real == r or r in real.parents for r in roots):
            out.refused[rel] = f"symbolic link to {display_path(real)}, outside the audited folder: not followed"
            return False
        st = real.stat()
        if stat.S_ISDIR(st.st_mode):
            out.refused[rel] = "link to a directory: not followed, its files were not audited"
            return False
        p = real
    if not stat.S_ISREG(st.st_mode):
        kind = ("FIFO" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode)
                else "device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "special file")
        out.refused[rel] = f"{kind}, not a regular file: never opened"
        return False
    out.readable[rel] = p
    return False


def _walk(root: Path) -> Walked:
    """Every entry under root, bounded; FIFOs, devices, sockets and links leaving the folder are
    recorded as refused without being opened (opening a FIFO blocks, a device never ends)."""
    out = Walked()
    roots = _link_roots(root)
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
            if _classify(p, rel, root, roots, out):
                if depth + 1 > MAX_DEPTH:
                    raise InputError(f"{display_path(root)}: nested deeper than {MAX_DEPTH} folders")
                stack.append((p, depth + 1))  # .git, .cache, __pycache__ too: a loader can be pointed there
            if len(out.files) > MAX_FILES:
                raise InputError(f"{display_path(root)}: more than {MAX_FILES} files")
    out.files.sort()
    return out


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


def _read_folder(path: Path, model: LocalModel) -> None:
    """Read the metadata files and headers, and scan every file's content for pickles (one budget)."""
    walked = _walk(path)
    model.files = walked.files
    ok = walked.readable
    if "config.json" in ok:
        model.config = read_json_file(ok["config.json"], what=f"{model.label}: config.json",
                                      max_bytes=MAX_CONFIG_BYTES)
        if not isinstance(model.config, dict):
            raise InputError(f"{model.label}: config.json is not a JSON object")
    model.tokenizer = read_tokenizer(path)
    if "README.md" in ok:
        model.card, _ = read_card(ok["README.md"])
    st = [n for n in ok if n.lower().endswith(".safetensors")]
    gg = [n for n in ok if n.lower().endswith(".gguf")]
    for n in st[:MAX_SAFETENSORS]:
        model.safetensors.append(read_safetensors_header(ok[n]))
    for n in gg[:MAX_GGUF]:
        model.gguf.append(read_gguf(ok[n]))
    budget = new_budget()
    for rel, why in walked.refused.items():
        model.pickles.append(PickleScan(rel, unscanned=[f"{rel}: {why}"]))
    for what, items, cap in (("safetensors", st, MAX_SAFETENSORS), ("GGUF", gg, MAX_GGUF)):
        for n in items[cap:]:
            model.pickles.append(PickleScan(n, unscanned=[f"{n}: header not read (only the first {cap} "
                                                          f"{what} files of a folder are read)"]))
    for rel, real in ok.items():
        scan = scan_pickle_file(real, budget, label=rel)
        if scan.dangerous or scan.unscanned or scan.found_pickle_or_container:
            model.pickles.append(scan)


def read_local(target: Target) -> LocalModel:
    """Read a local target; :class:`InputError` (naming it) when it cannot be read safely."""
    path = target.path
    assert path is not None
    model = LocalModel(display_path(target.ref), target.kind)
    if target.kind == "folder":
        _read_folder(path, model)
    else:
        model.files = [(display_path(path.name), path.stat().st_size)]
        if target.kind == "gguf":
            model.gguf.append(read_gguf(path))
        elif target.kind == "safetensors":
            model.safetensors.append(read_safetensors_header(path))
        else:
            model.pickles.append(scan_pickle_file(path, new_budget(), label=display_path(path.name)))
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
