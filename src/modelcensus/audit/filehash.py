"""SHA-256 of every local file an audit read, so the BOM pins the exact bytes that were audited.

Streamed in 1 MiB blocks (``hashlib``), under one byte budget per audit run (``limits.HASH_BYTES``):
files are hashed smallest first, so configs, tokenizers and templates are always pinned, and a file
that would pass the budget is not hashed at all and gets a note instead. A hash is only ever reported
for the whole file: a file that changes size while it is read gets a note, never a partial digest.
Only regular files are opened (checked on the open descriptor), so a FIFO cannot block the audit.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelcensus.audit import limits
from modelcensus.errors import InputError

BLOCK = 1 << 20


@dataclass
class HashBudget:
    """Bytes hashed so far in one audit run."""

    limit: int = field(default_factory=lambda: limits.HASH_BYTES)
    used: int = 0


def sha256_file(path: Path, budget: HashBudget, what: str) -> tuple[str | None, str | None]:
    """(hex digest, None) for the whole file, or (None, why it was not hashed)."""
    try:
        with limits.open_regular(path, what) as fh:
            size = os.fstat(fh.fileno()).st_size
            if budget.used + size > budget.limit:
                return None, (f"not hashed: its {size:,} bytes would pass the {budget.limit:,}-byte hash budget "
                              f"of this run ({budget.used:,} already hashed)")
            h, n = hashlib.sha256(), 0
            while block := fh.read(min(BLOCK, size + 1 - n)):
                n += len(block)
                if n > size:
                    break
                h.update(block)
            budget.used += min(n, size)
    except (InputError, OSError) as exc:
        return None, f"not hashed: {exc}"
    if n != size:
        return None, f"not hashed: the file changed while it was read ({size:,} bytes at open, {n:,} read)"
    return h.hexdigest(), None


def hash_files(files: list[dict[str, Any]], base: Path, budget: HashBudget, *, single: bool) -> list[str]:
    """Add ``sha256`` (or ``hash_note``) to each local file entry, smallest first; notes for the dossier.

    ``base`` is the folder (file names are relative to it) or, when ``single``, the file itself.
    """
    skipped = []
    for entry in sorted(files, key=lambda f: (f.get("size") is None, f.get("size") or 0)):
        path = base if single else base / entry["name"]
        digest, note = sha256_file(path, budget, entry["name"])
        entry["sha256"] = digest
        if note:
            entry["hash_note"] = note
            skipped.append(entry["name"])
    if skipped:
        return [f"{len(skipped)} file(s) carry no SHA-256 in the BOM (see files[].hash_note): "
                + ", ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "")]
    return []
