"""``modelcensus import``: one entry point that recognises a file by its content and imports it.

A file's extension is a hint at most: the first bytes decide (Parquet magic, gzip magic,
a JSON array or object, JSON lines, a CSV header). A file that is none of these, or that
breaks part-way, gives one :class:`InputError` naming it, and the store is left exactly as
it was: the whole call runs in one transaction. Re-importing the same data is a no-op: every
snapshot carries a fingerprint (content digest + source + observation key).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from modelcensus.dates import parse_when
from modelcensus.errors import InputError
from modelcensus.store import ImportResult, SkipReport, Store
from modelcensus.store.files import file_digest  # noqa: F401 - re-exported for the importers

SOURCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
SNIFF_BYTES = 64 * 1024
EXPORT_SIDECAR_SUFFIX = ".meta.json"

_BINARY_MAGIC: dict[bytes, str] = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive",
    b"7z\xbc\xaf": "a 7z archive",
    b"BZh": "a bzip2 stream (not supported: use gzip)",
    b"\xfd7zXZ": "an xz stream (not supported: use gzip)",
    b"(\xb5/\xfd": "a zstd stream (not supported: use gzip)",
    b"GGUF": "a GGUF model file (audit it with `modelcensus audit`)",
}


@dataclass
class PopulationResult:
    """A curated list imported as a named population (``populations`` table)."""

    name: str
    source_ref: str
    members: int
    added: int
    removed: int
    already_present: bool
    skipped: SkipReport


class ImportReport(list[ImportResult]):
    """The snapshots an import produced (a list of :class:`ImportResult`), plus what was not a snapshot.

    ``populations``: curated lists imported; ``skipped_files``: files of a directory that
    hold no Hub model records (path, reason).
    """

    def __init__(self) -> None:
        super().__init__()
        self.populations: list[PopulationResult] = []
        self.skipped_files: list[tuple[str, str]] = []


@dataclass
class Sniffed:
    """What a file's first bytes say it is."""

    path: Path
    kind: str  # parquet | csv | json | jsonl
    compressed: bool = False
    head: bytes = b""  # first bytes of the (decompressed) content
    details: dict[str, Any] = field(default_factory=dict)


# -- small shared helpers -------------------------------------------------------------------

def parse_observed_at(value: str | datetime | date | None, *, what: str = "--observed-at") -> datetime | None:
    """An ISO date or datetime (naive = UTC) -> an aware UTC datetime; bad values name ``what``."""
    return parse_when(value, what)


def check_source(source: str | None) -> str | None:
    if source is None:
        return None
    if not SOURCE_PATTERN.match(source):
        raise InputError(f"--source {source!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return source


def snapshot_fingerprint(content_digests: list[str], source: str, observation_key: str) -> str:
    """Digest of content + source + observation key: equal inputs give the same snapshot."""
    h = hashlib.sha256()
    for d in sorted(content_digests):
        h.update(d.encode())
    h.update(b"\x00" + source.encode() + b"\x00" + observation_key.encode())
    return h.hexdigest()


def open_content(path: Path, compressed: bool) -> IO[bytes]:
    """The file's (decompressed) byte stream."""
    if compressed:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


CORRUPT_ERRORS: tuple[type[BaseException], ...] = (EOFError, gzip.BadGzipFile, zlib.error)
# sniffing a gzip file: a corrupt stream, or one the OS cannot read (named, not starred in the except clause,
# which mypy cannot check)
_GZIP_SNIFF_ERRORS: tuple[type[BaseException], ...] = (*CORRUPT_ERRORS, OSError)


def corrupt(path: Path, exc: BaseException) -> InputError:
    """One clear error for a file that breaks part-way."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(f"{path}: truncated or corrupt data ({msg})")


# -- sniffing -------------------------------------------------------------------------------

def sniff(path: Path) -> Sniffed:
    """Recognise a file from its content. Raises InputError when it is no supported data file."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not raw:
        raise InputError(f"{path}: empty file")
    if raw[:4] == b"PAR1":
        return Sniffed(path, "parquet", head=raw[:4])
    compressed = raw[:2] == b"\x1f\x8b"
    if compressed:
        try:
            with gzip.open(path, "rb") as gz:
                raw = gz.read(SNIFF_BYTES)
        except _GZIP_SNIFF_ERRORS as exc:
            raise corrupt(path, exc) from None
        if not raw:
            raise InputError(f"{path}: empty file (gzip holds no data)")
        if raw[:4] == b"PAR1":
            raise InputError(f"{path}: gzip-compressed Parquet is not supported (decompress it first)")
    for magic, what in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise InputError(f"{path}: is {what}, not a CSV, JSON, JSON-lines or Parquet file")
    if b"\x00" in raw:
        raise InputError(f"{path}: binary content, not a CSV, JSON, JSON-lines or Parquet file")
    text = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise InputError(f"{path}: empty file (only whitespace)")
    if text[:1] == b"[":
        return Sniffed(path, "json", compressed, raw)
    if text[:1] == b"{":
        first_line = text.split(b"\n", 1)[0].strip()
        try:
            obj = json.loads(first_line)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            return Sniffed(path, "jsonl", compressed, raw, {"first": obj})
        return Sniffed(path, "json", compressed, raw)
    try:
        text.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not text (the first line is not UTF-8): not a CSV, JSON, "
                         "JSON-lines or Parquet file") from None
    return Sniffed(path, "csv", compressed, raw)


def _list_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.is_file() and not p.name.startswith(".") and not p.name.endswith(EXPORT_SIDECAR_SUFFIX))
        if not files:
            raise InputError(f"{path}: directory holds no files")
        return files
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    return [path]


# -- the entry point ------------------------------------------------------------------------

def import_path(store: Store, path: str | Path, *, source: str | None = None,
                observed_at: str | datetime | date | None = None,
                batch_size: int | None = None, scope: str | None = None) -> ImportReport:
    """Import a file or every file of a directory; one transaction for the whole call.

    ``source`` overrides the snapshot source label (or names the population of a curated
    list); ``observed_at`` is used where the data does not carry its observation time;
    ``scope`` (``full`` | ``partial``) overrides what the source says the snapshots cover
    (also on snapshots already present: scope is a statement about the data, not its content).
    Returns one :class:`ImportResult` per snapshot (``already_present`` for re-imports).
    """
    from modelcensus.sources import curated, exported, flatfile, hubstats

    root = Path(path)
    source = check_source(source)
    if scope is not None and scope not in ("full", "partial"):
        raise InputError(f"--scope {scope!r}: expected full or partial (delta comes only from `pull hub --since`)")
    when = parse_observed_at(observed_at)
    files = _list_files(root)
    is_dir = root.is_dir()
    report = ImportReport()

    # Plan first (sniff everything), so an unreadable file fails before any write.
    plans: list[tuple[str, Sniffed]] = []
    for f in files:
        try:
            sn = sniff(f)
            kind = _classify(sn)
        except InputError as exc:
            if is_dir and not _looks_like_data(f):
                report.skipped_files.append((str(f), str(exc).split(": ", 1)[-1]))
                continue
            raise
        if kind.startswith("not-records"):
            if is_dir:
                report.skipped_files.append((str(f), kind.split(":", 1)[1]))
                continue
            raise InputError(f"{f}: {kind.split(':', 1)[1]}")
        plans.append((kind, sn))
    if not plans:
        raise InputError(f"{root}: no Hub model records, curated lists, exports or hub-stats Parquet files found"
                         + (f" ({len(report.skipped_files)} files skipped)" if report.skipped_files else ""))

    # Flat files that take their observation time from the name or --observed-at and share it
    # form one snapshot (a scraper run split over several files).
    kw = {"batch_size": batch_size} if batch_size else {}
    with store.transaction():
        flat_groups: dict[tuple[str, datetime], list[Sniffed]] = {}
        for kind, sn in plans:
            if kind == "records":
                obs, how = flatfile.observation_time(sn.path, when)
                sn.details["observed_how"] = how
                flat_groups.setdefault((source or flatfile.SOURCE, obs), []).append(sn)
        done_groups: set[tuple[str, datetime]] = set()
        for kind, sn in plans:
            if kind == "records":
                key = (source or flatfile.SOURCE, flatfile.observation_time(sn.path, when)[0])
                if key in done_groups:
                    continue
                done_groups.add(key)
                report.append(flatfile.import_group(store, flat_groups[key], source=key[0], observed_at=key[1],
                                                    option_observed_at=when, **kw))
            elif kind == "records-dated":
                report.extend(flatfile.import_dated(store, sn, source=source or flatfile.SOURCE,
                                                    option_observed_at=when, **kw))
            elif kind == "hubstats":
                report.append(hubstats.import_hubstats_in_transaction(
                    store, sn.path, source=source or hubstats.SOURCE, source_ref=str(sn.path), observed_at=when))
            elif kind.startswith("export"):
                report.append(exported.import_export_in_transaction(store, sn, kind, observed_at=when))
            elif kind == "curated":
                report.populations.append(curated.import_population_in_transaction(store, sn, name=source))
            else:  # pragma: no cover - _classify returns only the kinds above
                raise AssertionError(kind)
        if scope is not None:
            _override_scope(store, report, scope)
    return report


def _override_scope(store: Store, report: ImportReport, scope: str) -> None:
    """``import --scope``: the user knows what the files cover better than their content says."""
    for i, res in enumerate(report):
        snap = res.snapshot
        flt = None if scope == "full" else (snap.filter or {"source_ref": snap.source_ref})
        store.set_scope(snap.id, scope, flt)
        notes = dict(snap.notes, scope_from=f"--scope {scope} (the source said {snap.scope})")
        store.set_notes(snap.id, notes)
        report[i] = ImportResult(store.snapshot(snap.id), res.already_present, res.skipped)


def _looks_like_data(path: Path) -> bool:
    """In a directory, a file named like data that fails to read is an error, not a skip."""
    name = path.name.lower()
    return name.endswith((".csv", ".csv.gz", ".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson",
                          ".ndjson.gz", ".parquet", ".gz"))


def _classify(sn: Sniffed) -> str:
    """records | records-dated | hubstats | export-parquet | export-csv | export-jsonl | curated | not-records:why"""
    from modelcensus.sources import curated, exported, flatfile

    if sn.kind == "parquet":
        return "export-parquet" if exported.parquet_export_meta(sn.path) is not None else "hubstats"
    if sn.kind == "jsonl" and exported.EXPORT_KEY in sn.details.get("first", {}):
        return "export-jsonl"
    if sn.kind in ("json", "jsonl"):
        return "records"
    header = flatfile.csv_header(sn)
    if curated.is_curated_header(header):
        return "curated"
    if exported.is_export_header(header):
        return "export-csv"
    layout = flatfile.csv_layout(header)
    if layout is None:
        shown = ", ".join(header[:6]) + (", ..." if len(header) > 6 else "")
        return (f"not-records:CSV without Hub model records (needs a model id column and Hub metadata columns); "
                f"columns: {shown}")
    return "records-dated" if layout == "dated" else "records"


MAX_LINE = 64 * 1024 * 1024  # one record or CSV line; a gzip bomb without newlines stops here


def iter_lines(fh: IO[bytes] | IO[str], path: Path, max_line: int = MAX_LINE) -> Iterator[Any]:
    """Lines of a stream, bounded in length, turning decompression failures into one clear InputError."""
    n = 0
    try:
        while True:
            line = fh.readline(max_line + 1)
            if not line:
                return
            n += 1
            if len(line) > max_line:
                raise InputError(f"{path}: line {n} is longer than {max_line >> 20} MiB; not a file of records")
            yield line
    except CORRUPT_ERRORS as exc:
        raise corrupt(path, exc) from None
