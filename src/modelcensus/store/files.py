"""Snapshot files on disk: the folder of dated hub-stats files (``--snapshots DIR``) and the content digest
that identifies a file, shared by the importers, the history pull, the folder lineage build and metrics."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from modelcensus.errors import InputError

SNAPSHOT_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.parquet$")


def file_digest(path: Path) -> str:
    """SHA-256 of the raw bytes (the content part of a snapshot fingerprint), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_files(folder: str | Path) -> list[tuple[date, Path]]:
    """A ``--snapshots`` folder's ``YYYY-MM-DD.parquet`` files in date order; other files (sidecars,
    sub-folders such as ``lineage/``) are ignored, but a ``.parquet`` whose name is not a date, or an empty
    folder, is an InputError naming it."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"--snapshots {folder}: not a folder")
    out = []
    for p in sorted(root.iterdir()):
        if not p.name.endswith(".parquet") or p.name.startswith(".") or not p.is_file():
            continue  # sidecars, partial downloads, sub-folders
        m = SNAPSHOT_FILE.match(p.name)
        try:
            day = date.fromisoformat(m.group(1)) if m else None
        except ValueError:
            day = None
        if day is None:
            raise InputError(f"--snapshots {folder}: {p.name} is not named YYYY-MM-DD.parquet (one file per "
                             "observation date)")
        out.append((day, p))
    if not out:
        raise InputError(f"--snapshots {folder}: no YYYY-MM-DD.parquet file in it")
    return out


__all__ = ["SNAPSHOT_FILE", "file_digest", "folder_files"]
