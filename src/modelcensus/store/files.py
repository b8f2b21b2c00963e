"""Snapshot files on disk: the folder of dated hub-stats files (``--snapshots DIR``) and the content digest
that identifies a file, shared by the importers, the history pull, the folder lineage build and metrics."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from pathlib import Path
from typing import NamedTuple

from modelcensus.errors import InputError

SNAPSHOT_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.parquet$")


def file_digest(path: Path) -> str:
    """SHA-256 of the raw bytes (the content part of a snapshot fingerprint), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class FileIdentity(NamedTuple):
    """What names one version of a file: a rename changes the inode, a write the mtime and ctime. Taken before a
    file is checked and compared after it is staged, so the rows counted are the rows that were checked."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileIdentity:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_identity(path: Path) -> FileIdentity | None:
    """The identity of the file ``path`` names now, or None when it cannot be stat'ed."""
    try:
        return FileIdentity.of(os.stat(path))
    except OSError:
        return None


def hash_file(path: Path) -> tuple[FileIdentity, str | None]:
    """The file's identity and the SHA-256 of its bytes, read from one open descriptor; the digest is None when
    the file changed while it was read. OSError when it cannot be read."""
    with path.open("rb") as fh:
        before = FileIdentity.of(os.fstat(fh.fileno()))
        h = hashlib.sha256()
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
        after = FileIdentity.of(os.fstat(fh.fileno()))
    return before, h.hexdigest() if after == before else None


def still_the_same(path: Path, identity: FileIdentity | None) -> bool:
    """Whether ``path`` still names the very file version ``identity`` was taken from."""
    return identity is not None and file_identity(path) == identity


def check_unchanged(paths: dict[Path, FileIdentity | None]) -> None:
    """InputError naming the first file that is no longer the version whose identity was taken (replaced,
    rewritten or gone while the command read it): what was checked is not what was staged."""
    for path, identity in paths.items():
        if not still_the_same(path, identity):
            raise InputError(f"{path}: the file changed while it was read (checked, then staged); nothing was "
                             "counted from it: run the command again once the file is complete")


def folder_files(folder: str | Path) -> list[tuple[date, Path]]:
    """A ``--snapshots`` folder's ``YYYY-MM-DD.parquet`` files in date order; other files (sidecars,
    sub-folders such as ``lineage/``) are ignored, but a ``.parquet`` whose name is not a date, or an empty
    folder, is an InputError naming it. The paths are absolute: the file hashed here is the file every reader
    opens (relative, a first part ending in ':' reads as a URI scheme to DuckDB, pyarrow and Spark: review10)."""
    root = Path(os.path.abspath(folder))
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
