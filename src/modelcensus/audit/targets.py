"""What to audit: Hub ids, local folders, ``.gguf`` / ``.safetensors`` files, pickle-bearing files and
archives (``.bin .pt .pth .ckpt .pkl .joblib .npy .npz .zip .7z``... or any file whose first bytes are
one), and inventories of them.

Every target string is untrusted. A bad one becomes a :class:`TargetError` for that entry only;
the rest of the inventory is still audited. Relative paths in an inventory resolve against the
inventory's own folder and may not leave it (symlinks included).
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelcensus.audit.formats import PICKLE_SUFFIXES, SNIFF_BYTES, sniff
from modelcensus.errors import InputError
from modelcensus.untrusted import load_yaml, read_bounded

MAX_INVENTORY_BYTES = 10 * 1024 * 1024
MAX_INVENTORY_ENTRIES = 100_000
HUB_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
ID_KEYS = ("target", "id", "model", "model_id", "path", "repo_id")
REV_KEYS = ("revision", "rev", "sha", "commit")


@dataclass
class Target:
    """One thing to audit. ``kind``: hub | folder | gguf | safetensors | pickle (any file scanned by content)."""

    ref: str
    kind: str
    source: str = "argument"
    id: str | None = None
    path: Path | None = None
    revision: str | None = None

    @property
    def label(self) -> str:
        return self.id if self.kind == "hub" and self.id is not None else display_path(self.ref)


@dataclass
class TargetError:
    """A target that could not be read; the audit reports it and goes on (exit code 2)."""

    ref: str
    source: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.ref, "source": self.source, "error": self.message}


def display_path(p: Path | str) -> str:
    """A printable, JSON-safe form of a path, even when its bytes are not UTF-8."""
    return os.fsencode(str(p)).decode("utf-8", "backslashreplace")


def check_utf8_name(p: Path) -> None:
    try:
        os.fsencode(str(p)).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{display_path(p)}: file name is not valid UTF-8") from None


def _kind_of_file(p: Path) -> str:
    """gguf / safetensors by suffix; ``pickle`` (scanned by content, layer by layer) for pickle-bearing
    suffixes and for any file whose first bytes are a pickle, archive, compressed stream or ``.npy``."""
    suffix = p.suffix.lower()
    if suffix == ".gguf":
        return "gguf"
    if suffix == ".safetensors":
        return "safetensors"
    if suffix in PICKLE_SUFFIXES:
        return "pickle"
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            head = os.read(fd, SNIFF_BYTES)
        finally:
            os.close(fd)
    except OSError as exc:
        raise InputError(f"{display_path(p)}: cannot read ({exc.strerror or exc})") from None
    if sniff(head) not in ("unknown", "gguf", "safetensors"):
        return "pickle"
    raise InputError(f"{display_path(p)}: unsupported file type (expected a folder, .gguf, .safetensors, "
                     f"a pickle-based file or an archive)")


def _looks_like_path(text: str) -> bool:
    return (text.startswith((".", "/", "~")) or os.sep in text.rstrip(os.sep) and text.count("/") > 1
            or text.lower().endswith((".gguf", ".safetensors", *PICKLE_SUFFIXES)))


def parse_target(text: str, *, base: Path | None = None, revision: str | None = None,
                 source: str = "argument") -> Target:
    """Classify one target string. ``base`` confines relative paths (inventories)."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("empty target")
    text = text.strip()
    if len(text) > 4096 or "\x00" in text:
        raise InputError(f"{text[:80]!r}: not a valid target")
    candidate = Path(os.path.expanduser(text)) if base is None else Path(text)
    if base is not None and not candidate.is_absolute():
        candidate = base / candidate
    # a path that exists wins over a Hub id of the same spelling
    if os.path.lexists(candidate):
        if base is not None:
            root = base.resolve()
            try:
                real = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                raise InputError(f"{display_path(text)}: cannot be resolved (broken link or symlink loop)") from None
            if real != root and root not in real.parents:
                raise InputError(f"{display_path(text)}: resolves outside the inventory folder {display_path(root)}"
                                 " - refused")
        check_utf8_name(candidate)
        if candidate.is_dir():
            return Target(text, "folder", source, path=candidate, revision=revision)
        if candidate.is_file():
            return Target(text, _kind_of_file(candidate), source, path=candidate, revision=revision)
        raise InputError(f"{display_path(text)}: not a regular file or folder (broken link or symlink loop?)")
    ref, rev = text, revision
    if "@" in text:
        ref, _, rev_part = text.partition("@")
        rev = rev or rev_part
    if HUB_ID.match(ref) and not _looks_like_path(ref):
        if rev is not None and not REVISION.match(rev):
            raise InputError(f"{text!r}: revision {rev!r} is not a valid git revision")
        return Target(text, "hub", source, id=ref, revision=rev)
    if base is not None and (os.path.isabs(text) or ".." in Path(text).parts):
        raise InputError(f"{display_path(text)}: path outside the inventory folder - refused")
    raise InputError(f"{display_path(text)}: no such file or folder, and not a Hub model id")


def _rows_from_yaml(doc: Any, what: str) -> list[tuple[str, str | None, str]]:
    if isinstance(doc, dict):
        for key in ("models", "targets", "inventory"):
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
        else:
            raise InputError(f"{what}: expected a list of targets (or a 'models:' list)")
    if not isinstance(doc, list):
        raise InputError(f"{what}: expected a list of targets")
    rows: list[tuple[str, str | None, str]] = []
    for i, item in enumerate(doc, 1):
        where = f"{what} item {i}"
        if isinstance(item, str):
            rows.append((item, None, where))
        elif isinstance(item, dict):
            ref = next((item[k] for k in ID_KEYS if isinstance(item.get(k), str)), None)
            rev = next((str(item[k]) for k in REV_KEYS if item.get(k) is not None), None)
            rows.append((ref or "", rev, where))
        else:
            rows.append(("", None, where))
    return rows


def _rows_from_csv(text: str, what: str) -> list[tuple[str, str | None, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    fields = [f.strip().lower() for f in header]
    id_col = next((header[fields.index(k)] for k in ID_KEYS if k in fields), None) if fields else None
    if id_col is None:
        raise InputError(f"{what}: CSV needs a header with one of the columns {', '.join(ID_KEYS)}")
    rev_col = next((header[fields.index(k)] for k in REV_KEYS if k in fields), None)
    rows = []
    for i, rec in enumerate(reader, 2):
        ref = (rec.get(id_col) or "").strip()
        rev = (rec.get(rev_col) or "").strip() or None if rev_col else None
        rows.append((ref, rev, f"{what} line {i}"))
    return rows


def _rows_from_text(text: str, what: str) -> list[tuple[str, str | None, str]]:
    rows = []
    for i, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        rows.append((parts[0], parts[1] if len(parts) > 1 else None, f"{what} line {i}"))
    return rows


def load_inventory(path: str | Path) -> list[Target | TargetError]:
    """Parse an inventory (text, CSV or YAML); bad entries become :class:`TargetError` entries."""
    p = Path(path)
    what = f"inventory {display_path(p.name)}"
    raw = read_bounded(p, what=what, max_bytes=MAX_INVENTORY_BYTES)
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        rows = _rows_from_yaml(load_yaml(raw, what=what, max_bytes=MAX_INVENTORY_BYTES), what)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{what}: not UTF-8 text (byte {exc.start})") from None
        rows = _rows_from_csv(text, what) if suffix == ".csv" else _rows_from_text(text, what)
    if len(rows) > MAX_INVENTORY_ENTRIES:
        raise InputError(f"{what}: more than {MAX_INVENTORY_ENTRIES} entries")
    base = p.parent if str(p.parent) else Path(".")
    out: list[Target | TargetError] = []
    for ref, rev, where in rows:
        try:
            if rev is not None and not REVISION.match(rev):
                raise InputError(f"revision {rev[:80]!r} is not a valid git revision")
            out.append(parse_target(ref, base=base, revision=rev, source=where))
        except InputError as exc:
            out.append(TargetError(display_path(ref) or "(empty)", where, str(exc)))
    return out
