"""Flat files of Hub API model records: CSV, JSON and JSON lines, optionally gzipped.

Each record is mapped through :func:`modelcensus.sources.records.to_staging_row` and staged
in bounded batches (:meth:`Store.stage_arrow`), so validation is the one SQL definition shared
by every source. Known layouts besides plain record tables:

- *model-tree CSVs* (``[index], model_id, [card,] metadata, depth, children, ...``): ``metadata``
  holds a ``huggingface_hub`` ``ModelInfo`` as JSON, ``card`` the README text;
- *dated CSVs* with a ``snapshot_yyyymmdd`` column: one snapshot per date.

Rows that cannot be read (not UTF-8, ``N/A`` metadata, unparsable JSON, wrong types) are
counted with their reason and the first few ids; the good rows still land.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.sources.ingest import (
    CORRUPT_ERRORS,
    Sniffed,
    corrupt,
    file_digest,
    iter_lines,
    open_content,
    snapshot_fingerprint,
)
from modelcensus.sources.records import ALIASES, to_staging_row, to_staging_table
from modelcensus.store import ImportResult, SkipReport, SnapshotMeta, Store

SOURCE = "flat-file"
BATCH_SIZE = 2000
MAX_FIELD = 64 * 1024 * 1024  # one CSV cell (a model card) may be large, not unbounded
MAX_JSON_DOCUMENT = 256 * 1024 * 1024  # a JSON array is parsed whole; larger files should be JSON lines
ID_COLUMNS = ALIASES["id"]
TREE_COLUMNS = {"model_id", "metadata"}
DATE_COLUMN = "snapshot_yyyymmdd"
NAME_TIMESTAMP = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?!\d)")
_SURROGATE = re.compile("[\udc80-\udcff]")
_ID_HINT = re.compile(rb'"(?:id|modelId|model_id)"\s*:\s*"([^"\\]{1,256})"')
# a table of model records has an id and at least one Hub metadata field
RECORD_FIELDS = {name for col, names in ALIASES.items() if col != "id" for name in names} | {
    "tags", "cardData", "card_data", "config", "config_model_type", "siblings", "safetensors", "baseModels"}
# what a record needs besides its id to be worth a row (else the source had no metadata for it)
METADATA_FIELDS = ("author", "sha", "createdAt", "created_at", "lastModified", "last_modified", "downloads",
                   "likes", "pipeline_tag", "library_name", "cardData", "card_data", "config", "config_model_type")
_URL_PREFIX = re.compile(r"^\s*(https?://)?(www\.)?huggingface\.co/", re.IGNORECASE)
_MISSING = ("", "N/A", "n/a", "NA", "null", "None", "NaN", "nan")

csv.field_size_limit(min(MAX_FIELD, sys.maxsize))


class RowProblem:
    """A row that cannot be mapped: its reason and, where known, its id."""

    __slots__ = ("reason", "model_id", "row")

    def __init__(self, reason: str, model_id: str | None = None, row: dict[str, Any] | None = None) -> None:
        self.reason = reason
        self.model_id = model_id
        self.row = row  # the raw cells, when readable (a dated file still dates the problem row)


# -- layouts and observation time ----------------------------------------------------------

def csv_header(sn: Sniffed) -> list[str]:
    """The header row of a sniffed CSV (from its first bytes)."""
    text = sn.head.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise InputError(f"{sn.path}: not a readable CSV header ({exc})") from None


def csv_layout(header: list[str]) -> str | None:
    """'tree' | 'dated' | 'plain' for a CSV of model records; None when it holds no model ids."""
    cols = {c.strip() for c in header}
    if cols >= TREE_COLUMNS:
        return "tree"
    if not cols & set(ID_COLUMNS) or not cols & RECORD_FIELDS:
        return None
    return "dated" if DATE_COLUMN in cols else "plain"


def name_timestamp(path: Path) -> datetime | None:
    """The scraper's ``YYYYMMDD_HHMMSS`` in a file name (time zone unknown: read as UTC)."""
    m = NAME_TIMESTAMP.search(path.name)
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def observation_time(path: Path, option: datetime | None) -> tuple[datetime, str]:
    """When the file's data was observed: its name's timestamp, else ``--observed-at``, else an error."""
    ts = name_timestamp(path)
    if ts is not None:
        return ts, "file name timestamp (YYYYMMDD_HHMMSS, scraper local time, read as UTC)"
    if option is not None:
        return option, "--observed-at"
    raise InputError(f"{path}: the file does not say when its data was observed; "
                     "pass --observed-at DATE (e.g. --observed-at 2022-02-21)")


# -- reading records -------------------------------------------------------------------------

def _clean_cell(value: str | None) -> str | None:
    return None if value is None or value.strip() in _MISSING else value


def _clean_id(value: str | None) -> str | None:
    """Tree scrapers wrote some ids as Hub URLs; the id is the path."""
    return _URL_PREFIX.sub("", value).strip() if value else value


def _tree_record(row: Mapping[str, str | None]) -> dict[str, Any] | RowProblem:
    mid = _clean_id(_clean_cell(row.get("model_id")))
    meta = row.get("metadata")
    if meta is None or meta.strip() in _MISSING:
        return RowProblem("metadata is missing or N/A", mid)
    try:
        rec = json.loads(meta)
    except (ValueError, RecursionError):
        return RowProblem("metadata is not JSON", mid)
    if not isinstance(rec, dict):
        return RowProblem("metadata is not a JSON object", mid)
    if mid and not any(rec.get(k) for k in ID_COLUMNS):
        rec["id"] = mid
    card = row.get("card")
    if card and card.strip() not in _MISSING:
        rec["card"] = card
    return rec


def _plain_base_models(rec: dict[str, Any]) -> None:
    """A ``base_models`` cell that is a plain list of ids (not the Hub's JSON) becomes tags.

    Such a column was parsed from tags by whoever flattened the file, so it is evidence of
    grade ``tag``, not a Hub (``baseModels``) declaration.
    """
    value = rec.get("base_models")
    if not isinstance(value, str) or value.lstrip()[:1] in ("[", "{"):
        return
    rec.pop("base_models")
    relation = (rec.pop("base_model_relation", None) or "").strip().lower()
    tags = rec.get("tags")
    if isinstance(tags, str):
        try:
            tags = json.loads(tags) if tags.lstrip().startswith("[") else [t for t in tags.split(";") if t]
        except ValueError:
            return  # let records.py report the bad tags
    tags = list(tags) if isinstance(tags, list) else []
    for pid in (p.strip() for p in re.split("[;,]", value)):
        if not pid:
            continue
        tag = f"base_model:{relation}:{pid}" if relation in ("adapter", "finetune", "merge", "quantized") \
            else f"base_model:{pid}"
        if tag not in tags and f"base_model:{pid}" not in tags:
            tags.append(tag)
    rec["tags"] = tags


def iter_csv(path: Path, compressed: bool, roots: list[str] | None = None
             ) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """(position, record) for every data row of a CSV of model records.

    ``roots``, when given, collects the ids of a model tree's depth-0 rows: the tree's root defines what
    the snapshot covers (its ``filter``), so two scrapes of the same tree are comparable."""
    with open_content(path, compressed) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.reader(iter_lines(text, path))
        try:
            header = [h.strip() for h in next(reader, [])]
            layout = csv_layout(header)
            if layout is None:
                raise InputError(f"{path}: CSV without a model id column (id, modelId, model_id)")
            for pos, cells in enumerate(reader, start=1):
                if not cells or all(not c.strip() for c in cells):
                    continue
                if len(cells) > len(header):
                    yield pos, RowProblem(f"row has {len(cells)} cells, header has {len(header)}",
                                          _id_from_cells(header, cells))
                    continue
                if any(_SURROGATE.search(c) for c in cells):
                    yield pos, RowProblem("row is not valid UTF-8", _id_from_cells(header, cells))
                    continue
                row = dict(zip(header, cells, strict=False))
                if "" in row:  # pandas' unnamed index column
                    row.pop("")
                if layout == "tree":
                    tree_rec = _tree_record(row)
                    if roots is not None and (row.get("depth") or "").strip() == "0":
                        root_id = _clean_id(_clean_cell(row.get("model_id")))
                        if root_id and root_id not in roots:
                            roots.append(root_id)
                    yield pos, tree_rec
                else:
                    rec: dict[str, Any] = {k: _clean_cell(v) for k, v in row.items()}
                    for k in ID_COLUMNS:
                        if rec.get(k):
                            rec[k] = _clean_id(rec[k])
                    if not any(rec.get(k) is not None for k in METADATA_FIELDS):
                        yield pos, RowProblem("no metadata for this model in the source (N/A)", _record_id(rec), rec)
                        continue
                    _plain_base_models(rec)
                    yield pos, rec
        except csv.Error as exc:
            raise InputError(f"{path}: not a readable CSV at line {reader.line_num} ({exc})") from None
        except CORRUPT_ERRORS as exc:
            raise corrupt(path, exc) from None


def _id_from_cells(header: list[str], cells: list[str]) -> str | None:
    for name in ("model_id", *ID_COLUMNS):
        if name in header:
            i = header.index(name)
            if i < len(cells):
                value = _SURROGATE.sub("\ufffd", cells[i]).strip()
                return value[:256] or None
    return None


def iter_jsonl(path: Path, compressed: bool) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """(position, record) for every non-blank line of a JSON-lines file."""
    with open_content(path, compressed) as fh:
        pos = 0
        for line in iter_lines(fh, path):
            if not line.strip():
                continue
            pos += 1
            hint = _ID_HINT.search(line)
            mid = hint.group(1).decode("utf-8", "replace") if hint else None
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                yield pos, RowProblem("line is not valid UTF-8", mid)
                continue
            try:
                rec = json.loads(text)
            except (ValueError, RecursionError):
                yield pos, RowProblem("line is not JSON", mid)
                continue
            yield pos, rec if isinstance(rec, dict) else RowProblem("line is not a JSON object", mid)


def iter_json(path: Path, compressed: bool) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """(position, record) for a JSON array of records, ``{"models": [...]}`` or one record."""
    with open_content(path, compressed) as fh:
        try:
            data = fh.read(MAX_JSON_DOCUMENT + 1)
        except CORRUPT_ERRORS as exc:
            raise corrupt(path, exc) from None
    if len(data) > MAX_JSON_DOCUMENT:
        raise InputError(f"{path}: JSON document larger than {MAX_JSON_DOCUMENT >> 20} MiB (use JSON lines)")
    text = data.decode("utf-8", errors="surrogateescape")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not valid JSON ({str(exc).splitlines()[0][:200]})") from None
    if isinstance(doc, dict):
        for key in ("models", "items", "data", "rows"):
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
        else:
            doc = [doc]
    if not isinstance(doc, list):
        raise InputError(f"{path}: JSON is neither an array of model records nor an object")
    for pos, rec in enumerate(doc, start=1):
        if not isinstance(rec, dict):
            yield pos, RowProblem("array item is not a JSON object")
        elif _has_surrogate(rec):
            mid = next((rec[k] for k in ID_COLUMNS if isinstance(rec.get(k), str)), None)
            yield pos, RowProblem("record is not valid UTF-8", _SURROGATE.sub("\ufffd", mid) if mid else None)
        else:
            yield pos, rec


def _has_surrogate(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if depth > 64:
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(k, depth + 1) or _has_surrogate(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v, depth + 1) for v in value)
    return False


def iter_records(sn: Sniffed, roots: list[str] | None = None) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    if sn.kind == "csv":
        return iter_csv(sn.path, sn.compressed, roots)
    readers = {"jsonl": iter_jsonl, "json": iter_json}
    return readers[sn.kind](sn.path, sn.compressed)


def file_scope(files: list[Sniffed], roots: list[str]) -> tuple[str, dict[str, Any]]:
    """What a flat-file snapshot covers: never ``full`` on its own say (a file does not tell whether it holds
    the whole Hub; ``import --scope full`` says so). Tree scrapes are defined by their roots (scrapes of the
    same trees on different dates are comparable); other files by their names."""
    if roots:
        return "partial", {"tree_roots": sorted(roots, key=str.lower)}
    return "partial", {"file": sorted(sn.path.name for sn in files)}


# -- staging ---------------------------------------------------------------------------------

def _staging_row(pos: int, item: dict[str, Any] | RowProblem) -> dict[str, Any]:
    if isinstance(item, RowProblem):
        row = to_staging_row({}, pos)
        row.update({"_problem": item.reason, "id": item.model_id})
        return row
    return to_staging_row(item, pos)


def stage_rows(store: Store, snapshot_id: int, rows: Iterator[tuple[int, dict[str, Any] | RowProblem]],
               skipped: SkipReport, batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Stage records in bounded batches; returns (rows read, rows added)."""
    batch: list[dict[str, Any]] = []
    read = added = 0
    for pos, item in rows:
        read += 1
        batch.append(_staging_row(pos, item))
        if len(batch) >= batch_size:
            added += store.stage_arrow(snapshot_id, to_staging_table(batch), skipped)
            batch = []
    if batch:
        added += store.stage_arrow(snapshot_id, to_staging_table(batch), skipped)
    return read, added


def import_group(store: Store, files: list[Sniffed], *, source: str, observed_at: datetime,
                 option_observed_at: datetime | None, batch_size: int = BATCH_SIZE) -> ImportResult:
    """Import files observed at one moment as one snapshot (call inside a transaction)."""
    digests = [file_digest(sn.path) for sn in files]
    fingerprint = snapshot_fingerprint(digests, source, observed_at.isoformat())
    existing = store.find_fingerprint(fingerprint)
    if existing is not None:
        return ImportResult(existing, True, SkipReport())
    how = files[0].details.get("observed_how", "")
    notes: dict[str, Any] = {"observed_at_from": how}
    if option_observed_at is not None and how != "--observed-at":
        notes["observed_at_option_ignored"] = (
            f"--observed-at {option_observed_at.isoformat()} ignored: the data carries its own observation time")
    source_ref = str(files[0].path) if len(files) == 1 else f"{files[0].path.parent}/ ({len(files)} files)"
    meta = SnapshotMeta(source=source, observed_at=observed_at, source_ref=source_ref,
                        fingerprint=fingerprint, notes=notes)
    sid = store.create_snapshot(meta, complete=False)
    skipped = SkipReport()
    per_file = []
    roots: list[str] = []
    for sn in files:
        file_skips = SkipReport()
        read, added = stage_rows(store, sid, iter_records(sn, roots), file_skips, batch_size)
        per_file.append({"path": str(sn.path), "format": sn.kind + (".gz" if sn.compressed else ""),
                         "rows_read": read, "rows_added": added, "skipped": file_skips.as_dict()})
        skipped.merge(file_skips)
    extra = {"files": per_file} if len(files) > 1 else {"format": per_file[0]["format"],
                                                         "rows_read": per_file[0]["rows_read"]}
    store.finish_snapshot(sid, skipped, complete=True, extra_notes=extra)
    store.set_scope(sid, *file_scope(files, roots))
    return ImportResult(store.snapshot(sid), False, skipped)


def import_dated(store: Store, sn: Sniffed, *, source: str, option_observed_at: datetime | None,
                 batch_size: int = BATCH_SIZE) -> list[ImportResult]:
    """A CSV whose ``snapshot_yyyymmdd`` column dates each row: one snapshot per date."""
    digest = file_digest(sn.path)
    snaps: dict[str, tuple[int | None, SkipReport, list[dict[str, Any]]]] = {}
    results: dict[str, ImportResult] = {}
    undated = SkipReport()
    counts: dict[str, int] = {}
    roots: dict[str, list[str]] = {}  # a flattened tree file (depth column): each date's tree roots

    def flush(key: str) -> None:
        sid, skips, batch = snaps[key]
        if sid is not None and batch:
            store.stage_arrow(sid, to_staging_table(batch), skips)
        snaps[key] = (sid, skips, [])

    for pos, item in iter_records(sn):
        cells = item if isinstance(item, dict) else item.row
        raw_date = cells.get(DATE_COLUMN) if cells else None
        when = _parse_yyyymmdd(raw_date) if raw_date else None
        if when is None:
            if isinstance(item, RowProblem):
                undated.add(item.reason, item.model_id, pos)
            else:
                undated.add(f"{DATE_COLUMN} missing or not a date", _record_id(item), pos)
            continue
        key = when.date().isoformat()
        if key not in snaps:
            fingerprint = snapshot_fingerprint([digest], source, key)
            existing = store.find_fingerprint(fingerprint)
            if existing is not None:
                results[key] = ImportResult(existing, True, SkipReport())
                snaps[key] = (None, SkipReport(), [])
            else:
                notes = {"observed_at_from": f"{DATE_COLUMN} column (date only, read as 00:00 UTC)",
                         "format": sn.kind + (".gz" if sn.compressed else "")}
                if option_observed_at is not None:
                    notes["observed_at_option_ignored"] = (
                        f"--observed-at {option_observed_at.isoformat()} ignored: each row carries {DATE_COLUMN}")
                meta = SnapshotMeta(source=source, observed_at=when, source_ref=f"{sn.path}#{DATE_COLUMN}={key}",
                                    fingerprint=fingerprint, notes=notes)
                snaps[key] = (store.create_snapshot(meta, complete=False), SkipReport(), [])
        sid, skips, batch = snaps[key]
        if sid is None:
            continue
        counts[key] = counts.get(key, 0) + 1
        if isinstance(item, dict) and str(item.get("depth") or "").strip() in ("0", "0.0"):
            rid = _record_id(item)
            if rid and rid not in roots.setdefault(key, []):
                roots[key].append(rid)
        batch.append(_staging_row(pos, item))
        if len(batch) >= batch_size:
            flush(key)
    if not snaps:
        raise InputError(f"{sn.path}: no row carries a valid {DATE_COLUMN}")
    first_new = True
    for key in sorted(snaps):
        sid, skips, _ = snaps[key]
        if sid is None:
            continue
        flush(key)
        extra: dict[str, Any] = {"rows_read": counts.get(key, 0)}
        if first_new and undated.count:
            skips.merge(undated)
            extra["undated_rows_note"] = f"{undated.count} rows without a valid {DATE_COLUMN} are counted here"
            first_new = False
        store.finish_snapshot(sid, skips, complete=True, extra_notes=extra)
        scope, flt = file_scope([sn], roots.get(key, []))
        if "file" in flt:  # one file, different dates: nothing says each date holds the same slice
            flt["date"] = key
        store.set_scope(sid, scope, flt)
        results[key] = ImportResult(store.snapshot(sid), False, skips)
    return [results[k] for k in sorted(results)]


def _parse_yyyymmdd(value: Any) -> datetime | None:
    text = str(value).strip()
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return datetime(int(text[:4]), int(text[4:6]), int(text[6:]), tzinfo=UTC)
    except ValueError:
        return None


def _record_id(rec: dict[str, Any]) -> str | None:
    for k in ID_COLUMNS:
        if isinstance(rec.get(k), str):
            return rec[k][:256]
    return None
