"""Remembered verdicts of the engine check: a file both engines were shown to read alike is not checked again.

Why: on Spark the check (``engine_check.check_engines_agree``) is a full scan of the file on both engines, and
every ``metrics --snapshots DIR --engine spark`` command runs it for every file: 42 % of a first metric over 6
files of 40K models here (25 of 60 s). A verdict holds for the same bytes, read by the same check SQL on the
same engine versions and settings, so it is kept under that whole key and reused only on an exact match.

A cache must never let through a file the check would fail (review7), so:

- the bytes are the ones the engines read: the file is hashed from one open descriptor, and the pass is kept
  only when the path still names that very file (device, inode, size, mtime and ctime) after the check; a file
  replaced or rewritten while it was checked keeps nothing;
- the records live in the user's cache directory (``$MODELCENSUS_CACHE_DIR``, else platformdirs' user cache
  dir), never inside the snapshot folder being read (a folder is untrusted input: a verdict shipped in it could
  wave a hostile file through); the ``engine-checks`` folder and each record must be the user's own, not links,
  and writable by nobody else, or the cache is not used;
- only passes are kept (a file that fails is checked, and fails, every time); a record that is missing,
  unreadable, oversized or filed under another key is ignored and the check runs; one that cannot be written
  is skipped. ``MODELCENSUS_CACHE_DIR=off`` turns it off.

The folder is bounded (review7 R7-6): a record found is touched, and once it holds more than ``MAX_RECORDS``
records the least recently used go, down to ``KEEP_AFTER_PRUNE`` (a record of a default local session is about
3.4 KiB: at most about 40 MiB in 4 KiB blocks). A pruned verdict only costs its file one more check. The prune
scans the folder on every kept verdict (about 60 ms at 10,000 records, after a check that read the file twice),
through one descriptor of the folder checked once, so a folder swapped for a link meanwhile is not the one pruned.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import time
from contextlib import suppress
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

ENV_CACHE_DIR = "MODELCENSUS_CACHE_DIR"
RECORD_MAX_BYTES = 64 * 1024  # a record is about 3.4 KiB (the session settings are most of it); none larger is
# written (a session whose settings make one larger keeps no verdict) or read
FORMAT = 2
MAX_RECORDS = 10_000
KEEP_AFTER_PRUNE = 9_000
_RECORD_NAME = re.compile(r"[0-9a-f]{64}\.json")
_TMP_PREFIX = ".verdict-"
_CODE_SUFFIXES = {".py", ".sql", ".yaml", ".yml", ".csv", ".json"}


def verdict_dir(reading: Path | None = None) -> Path | None:
    """Where verdicts live, or None: when ``$MODELCENSUS_CACHE_DIR`` is ``off``, or when it lies inside the folder
    ``reading`` (the snapshot folder the check reads from)."""
    env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if env.lower() == "off":
        return None
    base = Path(env) if env else Path(user_cache_dir("modelcensus", appauthor=False))
    folder = base / "engine-checks"
    if reading is not None:
        try:
            there, records = reading.resolve(), folder.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a link loop (Python 3.11's resolve)
            return None
        # the records inside the folder being read, or that folder inside the records (review8: the snapshot
        # folder given as <cache>/engine-checks read its own records)
        if records.is_relative_to(there) or there.is_relative_to(records):
            return None
    return folder


def _own_and_private(st: os.stat_result, kind: int) -> bool:
    """Not a link, of the expected kind, the user's own, writable by nobody else. Where owners cannot be read
    this way (Windows: no ``os.getuid``), nothing is: the cache is not used there (review8), the check runs."""
    getuid = getattr(os, "getuid", None)
    if getuid is None or stat.S_IFMT(st.st_mode) != kind:
        return False
    return st.st_uid == getuid() and not st.st_mode & 0o022


def _usable(folder: Path) -> bool:
    try:
        return _own_and_private(os.lstat(folder), stat.S_IFDIR)
    except OSError:
        return False


def why_unused(reading: Path | None = None) -> str | None:
    """Why no verdict can be kept or read for files of ``reading`` (for a result's notes), or None when the
    folder is usable or not made yet (it is made private on first use)."""
    folder = verdict_dir(reading)
    if folder is None:
        return (f"{ENV_CACHE_DIR}=off" if os.environ.get(ENV_CACHE_DIR, "").strip().lower() == "off"
                else "the verdict folder is inside the folder being read, or its path cannot be resolved")
    if os.path.lexists(folder) and not _usable(folder):
        return (f"the verdict folder ({folder.name}/ in the cache directory) is not a folder of the user's own "
                "that nobody else can write (a link, a file, or a file system that ignores chmod?)")
    return None


@cache
def code_digest() -> str:
    """SHA-256 over this package's code and data files (path and bytes): any change to the check, the staging
    rules or the dialect rewrites that turn the check's SQL into Spark's makes every kept verdict stale. About
    0.1 s, once per process; transpiling the check's SQL for the key instead cost 1.2 s per file here."""
    return tree_digest(Path(__file__).resolve().parents[1])


def tree_digest(root: Path) -> str:
    """SHA-256 over the code and data files under ``root`` (relative path and bytes, in path order)."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in _CODE_SUFFIXES and p.is_file()):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def verdict_key(*, source_sha256: str, source_bytes: int, sql: list[str], engines: dict[str, Any]) -> dict[str, Any]:
    """The whole key a verdict is valid under: the file's bytes, the check's SQL (DuckDB's dialect, both sides),
    the code that turns it into each engine's SQL (this package, sqlglot), the client libraries that carry the
    rows (pyarrow, pyspark), and what ``engines`` says of each engine (versions, settings, time zones)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    text = "\0".join(sql).encode("utf-8")
    return {"format": FORMAT, "source_sha256": source_sha256, "source_bytes": source_bytes,
            "check_sql_sha256": hashlib.sha256(text).hexdigest(), "engines": engines,
            "libraries": {n: installed(n) for n in ("sqlglot", "pyarrow", "pyspark", "duckdb")},
            "code_sha256": code_digest()}


def _record_path(folder: Path, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode("utf-8")).hexdigest()
    return folder / f"{digest}.json"


def seen_agreeing(key: dict[str, Any], reading: Path | None = None) -> bool:
    """True only when a record made under exactly ``key``, in a usable verdict folder, says the engines agreed."""
    folder = verdict_dir(reading)
    if folder is None or not _usable(folder):
        return False
    try:
        # non-blocking: a FIFO planted under a record's name must not hang the command (review10); fstat refuses it
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(_record_path(folder, key), flags)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "rb") as fh:
            if not _own_and_private(os.fstat(fh.fileno()), stat.S_IFREG):
                return False
            raw = fh.read(RECORD_MAX_BYTES + 1)
            doc = json.loads(raw) if len(raw) <= RECORD_MAX_BYTES else None
            found = isinstance(doc, dict) and doc.get("key") == key and doc.get("verdict") == "agree"
            if found:
                with suppress(OSError):
                    os.utime(fh.fileno())  # recently used: pruned last
    except (OSError, ValueError, RecursionError):
        return False
    return found


def remember_agreement(key: dict[str, Any], reading: Path | None = None) -> str | None:
    """Keep a passing verdict, written whole (a private temporary file renamed over the record) or not at all;
    None when it was kept, else why not (for the caller's notes)."""
    why = why_unused(reading)
    folder = verdict_dir(reading)
    if why is not None or folder is None:
        return why or "the verdict cache is off"
    doc = json.dumps({"key": key, "verdict": "agree", "checked_at": datetime.now(UTC).isoformat()}, sort_keys=True)
    if len(doc.encode("utf-8")) > RECORD_MAX_BYTES:
        return f"the engine's settings make a verdict record larger than {RECORD_MAX_BYTES // 1024} KiB"
    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        if not _usable(folder):
            return why_unused(reading) or "the verdict folder is not usable"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=_TMP_PREFIX, suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(doc)
            os.replace(tmp, _record_path(folder, key))
        finally:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
    except OSError as exc:
        return f"the verdict folder could not be made or written ({exc.strerror or type(exc).__name__})"
    prune(folder)
    return None


def prune(folder: Path) -> int:
    """Past ``MAX_RECORDS`` records in ``folder``, remove the least recently used down to ``KEEP_AFTER_PRUNE``, and
    temporary files a crash left more than an hour ago; the number removed. Only this module's files count or go
    (the user's own regular files named by a key digest), all through one descriptor of the folder checked once."""
    most, keep = MAX_RECORDS, KEEP_AFTER_PRUNE
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        dir_fd = os.open(folder, flags)
    except OSError:
        return 0
    records: list[tuple[float, str]] = []
    stale: list[str] = []
    try:
        if not _own_and_private(os.fstat(dir_fd), stat.S_IFDIR):
            return 0
        with os.scandir(dir_fd) as entries:
            for entry in entries:
                with suppress(OSError):
                    st = entry.stat(follow_symlinks=False)
                    if not _own_and_private(st, stat.S_IFREG):
                        continue
                    if _RECORD_NAME.fullmatch(entry.name):
                        records.append((st.st_mtime, entry.name))
                    elif (entry.name.startswith(_TMP_PREFIX) and entry.name.endswith(".tmp")
                          and st.st_mtime < time.time() - 3600):
                        stale.append(entry.name)
        doomed = stale + ([n for _m, n in sorted(records)[:len(records) - keep]] if len(records) > most else [])
        removed = 0
        for name in doomed:
            with suppress(OSError):
                os.unlink(name, dir_fd=dir_fd)
                removed += 1
        return removed
    finally:
        os.close(dir_fd)


__all__ = ["ENV_CACHE_DIR", "KEEP_AFTER_PRUNE", "MAX_RECORDS", "code_digest", "prune", "remember_agreement",
           "seen_agreeing", "tree_digest", "verdict_dir", "verdict_key", "why_unused"]
