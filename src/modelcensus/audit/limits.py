"""Reader limits of the audit, in one place, and the per-target read budget.

Every reader of an untrusted model file (safetensors and GGUF headers, tokenizer and config JSON, chat
templates) is bounded by the bytes it really reads, never by what the file claims: a sparse 1 TB file
costs what its header costs. Each reader has its own caps (below); on top of them, one
:class:`ReadBudget` per audit target caps the header/JSON bytes parsed across all of its files, and
remembers files already parsed by inode, so twenty links to one header are parsed once.

Nothing a bound cuts off is dropped silently: the reader records why (an "unscanned" reason) and the
dossier turns every reason into a high-severity ``unscanned_content`` flag, which fails the verdict.
Why the numbers (measured, docs/audit.md "Reader limits"): ``json.loads`` costs at most ~200 bytes of
Python objects per comma (a header of empty objects), so 2,000,000 commas stay under ~400 MB; every real
header or tokenizer we know of is far below each cap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from modelcensus.errors import InputError

MiB = 1 << 20
SAFETENSORS_HEADER_BYTES = 100_000_000   # the safetensors reference implementation's own limit
JSON_ITEMS = 2_000_000                   # commas in one JSON document (header, tokenizer.json, config)
GGUF_METADATA_BYTES = 128 * MiB          # key/value + tensor-info section walked per GGUF file
GGUF_VALUES = 4_000_000                  # values walked per GGUF header (array items included)
GGUF_TEXT_CHARS = 10_000                 # provenance strings (name, licence, base model) kept per value
TEMPLATE_CHARS = 1_000_000               # a chat template longer than this is not parsed (unscanned)
TARGET_READ_BYTES = 512 * MiB            # header/JSON bytes parsed per audit target, all files together
HASH_BYTES = 4 << 30                     # bytes hashed per audit run for the BOM (SHA-256, streamed)

T = TypeVar("T")


@dataclass
class ReadBudget:
    """Bytes parsed so far for one target, and what was already parsed (by device and inode)."""

    limit: int = field(default_factory=lambda: TARGET_READ_BYTES)
    used: int = 0
    parsed: dict[tuple[str, int, int], Any] = field(default_factory=dict)

    def take(self, n: int) -> bool:
        """Reserve ``n`` bytes; False (and nothing reserved) when that would pass the limit."""
        if self.used + n > self.limit:
            return False
        self.used += n
        return True

    def refusal(self, what: str, n: int) -> str:
        return (f"{what}: not read: {n:,} more bytes would pass the {self.limit:,}-byte read budget of this "
                f"target ({self.used:,} already read)")


_CURRENT: ContextVar[ReadBudget | None] = ContextVar("modelcensus_read_budget", default=None)


@contextmanager
def read_budget(limit: int | None = None) -> Iterator[ReadBudget]:
    """Scope one target's reads; readers called outside any scope get a fresh budget per call."""
    budget = ReadBudget(TARGET_READ_BYTES if limit is None else limit)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def current_budget() -> ReadBudget:
    return _CURRENT.get() or ReadBudget()


def parse_once(kind: str, path: Path, parse: Callable[[], T], rename: Callable[[T, Path], T]) -> T:
    """``parse()`` unless this very file (same device and inode) was parsed for this target already,
    in which case the earlier result is reused under ``path``'s name (links cost nothing twice)."""
    budget = _CURRENT.get()
    if budget is None:
        return parse()
    try:
        st = os.stat(path)
        key = (kind, st.st_dev, st.st_ino)
    except OSError:
        return parse()
    if key in budget.parsed:
        return rename(budget.parsed[key], path)
    result = parse()
    budget.parsed[key] = result
    return result


def json_items_refusal(raw: bytes, what: str, limit: int = JSON_ITEMS) -> str | None:
    """Why ``raw`` is too big to parse (more than ``limit`` commas), or None.

    Counting commas is a memchr-speed pass; ``json.loads`` memory grows with the number of values, not
    with bytes (a 12 MB document of empty objects takes ~190 MB), so the count bounds the parse.
    """
    n = raw.count(b",")
    if n > limit:
        return f"{what}: not parsed: {n:,} JSON items (limit {limit:,})"
    return None


def open_regular(path: Path, what: str) -> Any:
    """Open ``path`` for reading only if it is a regular file (checked on the open descriptor, so a FIFO
    or device swapped in after a ``stat`` cannot block the audit); :class:`InputError` otherwise."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"{what}: cannot read ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{what}: not a regular file (a FIFO, device or socket is never read)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class Unscanned(InputError):
    """A reader limit stopped the read: the content exists but was not checked. Callers that can carry on
    record it as ``unscanned_content``; callers that cannot report it as an error (both fail)."""
