"""Remembered verdicts of the engine check: a file both engines were shown to read alike is not checked again.

Why: on Spark the check (``engine_check.check_engines_agree``) is a full scan of the file on both engines, and
every ``metrics --snapshots DIR --engine spark`` command runs it for every file: 42 % of a first metric over 6
files of 40K models here (25 of 60 s). A verdict holds for the same bytes, read by the same check SQL on the
same engine versions and settings, so it is kept under that whole key and reused only on an exact match.

Where: the user's cache directory (``$MODELCENSUS_CACHE_DIR``, else platformdirs' user cache dir), never the
snapshot folder. A folder is untrusted input: a verdict shipped inside it could wave a hostile file through the
check. Only passing verdicts are kept (a file that fails is checked, and fails, every time). A record that is
missing, unreadable, oversized or made under another key is ignored and the check runs; one that cannot be
written is skipped (the check then runs next time): a cache never decides anything the check did not decide.
``MODELCENSUS_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import suppress
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

ENV_CACHE_DIR = "MODELCENSUS_CACHE_DIR"
RECORD_MAX_BYTES = 16 * 1024  # a record is under 1 KiB; anything larger is not ours
FORMAT = 1
_CODE_SUFFIXES = {".py", ".sql", ".yaml", ".yml", ".csv", ".json"}


def verdict_dir() -> Path | None:
    """Where verdicts live, or None when ``$MODELCENSUS_CACHE_DIR`` is ``off``."""
    env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if env.lower() == "off":
        return None
    base = Path(env) if env else Path(user_cache_dir("modelcensus", appauthor=False))
    return base / "engine-checks"


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
    the code that turns it into each engine's SQL (this package, sqlglot), and each engine's version and the
    settings that change how it reads text (time zone, ANSI mode)."""
    import sqlglot

    text = "\0".join(sql).encode("utf-8")
    return {"format": FORMAT, "source_sha256": source_sha256, "source_bytes": source_bytes,
            "check_sql_sha256": hashlib.sha256(text).hexdigest(), "engines": engines,
            "sqlglot": sqlglot.__version__, "code_sha256": code_digest()}


def _record_path(base: Path, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode("utf-8")).hexdigest()
    return base / f"{digest}.json"


def seen_agreeing(key: dict[str, Any]) -> bool:
    """True only when a record made under exactly ``key`` says the engines agreed."""
    base = verdict_dir()
    if base is None:
        return False
    path = _record_path(base, key)
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > RECORD_MAX_BYTES:
            return False
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("key") == key and doc.get("verdict") == "agree"


def remember_agreement(key: dict[str, Any]) -> None:
    """Keep a passing verdict, written whole (a temporary file renamed over the record) or not at all."""
    base = verdict_dir()
    if base is None:
        return
    doc = {"key": key, "verdict": "agree", "checked_at": datetime.now(UTC).isoformat()}
    with suppress(OSError):
        base.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=base, prefix=".verdict-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, sort_keys=True)
            os.replace(tmp, _record_path(base, key))
        finally:
            with suppress(FileNotFoundError):
                os.unlink(tmp)


__all__ = ["ENV_CACHE_DIR", "code_digest", "remember_agreement", "seen_agreeing", "tree_digest", "verdict_dir",
           "verdict_key"]
