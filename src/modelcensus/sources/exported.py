"""Read a modelcensus export (Parquet, CSV + sidecar, JSON lines) back into the store.

The layout is defined by :mod:`modelcensus.store.export`; restoring keeps the snapshot's
original source, source_ref, observed_at, synthetic flag and fingerprint, so re-importing an
export where it came from is a no-op. Reading one is a source like any other, hence it lives here.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from modelcensus.errors import InputError
from modelcensus.safe_output import csv_unguard_sql
from modelcensus.sources import hubstats as h
from modelcensus.store.export import (
    _HEX64,
    _JSON_COLUMNS,
    _LIST_COLUMNS,
    CSV_GUARDED,
    EXPORT_COLUMNS,
    EXPORT_KEY,
    PARQUET_META_KEY,
    SIDECAR_SUFFIX,
)
from modelcensus.store.file_staging import describe_relation, restore_skip_record, stage_through_view
from modelcensus.store.sql import sql_literal, sql_path
from modelcensus.store.store import SCOPES, ImportResult, SkipReport, SnapshotMeta, Store

if TYPE_CHECKING:
    from modelcensus.sources.ingest import Sniffed


def parquet_export_meta(path: Path) -> dict[str, Any] | None:
    """The export metadata of a Parquet file, or None when it is not a modelcensus export."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for broken files
        raise InputError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0][:200]})") from None
    raw = meta.get(PARQUET_META_KEY)
    if raw is None:
        return None
    return _decode_meta(raw, path)


def _decode_meta(raw: bytes | str | dict[str, Any], path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(raw) if not isinstance(raw, dict) else raw
    except ValueError:
        raise InputError(f"{path}: modelcensus export metadata is not JSON") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("snapshot"), dict):
        raise InputError(f"{path}: modelcensus export metadata lacks its snapshot block")
    return meta


def is_export_header(header: list[str]) -> bool:
    return [h.strip() for h in header] == EXPORT_COLUMNS


def _export_relation(path: Path, kind: str, compressed: bool) -> str:
    src = sql_path(path)
    if kind == "export-parquet":
        return f"read_parquet({src}, file_row_number = true)"
    comp = "'gzip'" if compressed else "'none'"
    if kind == "export-csv":
        return (f"read_csv({src}, header = true, all_varchar = true, allow_quoted_nulls = false, "
                f"compression = {comp}, strict_mode = true)")
    types = {c: "VARCHAR" for c in EXPORT_COLUMNS}
    types.update({c: "VARCHAR[]" for c in _LIST_COLUMNS})
    types.update({c: "JSON" for c in _JSON_COLUMNS})
    types[EXPORT_KEY] = "JSON"
    spec = "{" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in types.items()) + "}"
    return (f"(SELECT * FROM read_json({src}, format = 'newline_delimited', columns = {spec}, "
            f"compression = {comp}, maximum_object_size = 268435456) WHERE {EXPORT_KEY} IS NULL)")


def _staging_select(relation: str, cols: Any, kind: str) -> str:
    problems = []
    for c in ("tags", "files"):
        col = cols.find(c)
        if col and cols.type(col) in ("VARCHAR", "JSON"):
            problems.append(f"WHEN {c} IS NOT NULL AND NOT (json_valid({c}) AND json_type({c}) = 'ARRAY') "
                            f"THEN '{c} is not a JSON list'")
    problem = f"CASE {' '.join(problems)} END" if problems else "NULL::VARCHAR"
    pos = "file_row_number + 1" if kind == "export-parquet" else "row_number() OVER ()"
    return f"""
    SELECT {h._scalar(cols, 'id')} AS id,
           {h._scalar(cols, 'author')} AS author,
           {h._timestamp(cols, 'created_at')} AS created_at,
           {h._timestamp(cols, 'last_modified')} AS last_modified,
           {h._number(cols, 'downloads_30d')} AS downloads,
           {h._number(cols, 'downloads_all_time')} AS downloads_all_time,
           {h._number(cols, 'likes')} AS likes,
           {h._number(cols, 'trending_score')} AS trending_score,
           {h._scalar(cols, 'pipeline_tag')} AS pipeline_tag,
           {h._scalar(cols, 'library_name')} AS library_name,
           {h._str_list(cols, 'tags')} AS tags,
           {h._json_text(cols, 'card_data')} AS card_data,
           {h._json_text(cols, 'hub_base_models')} AS base_models,
           {h._number(cols, 'params')} AS safetensors_total,
           {h._json_text(cols, 'gguf')} AS gguf,
           {h._json_text(cols, 'config')} AS config,
           {h._scalar(cols, 'gated')} AS gated,
           {h._scalar(cols, 'private')} AS private,
           {h._scalar(cols, 'disabled')} AS disabled,
           {h._scalar(cols, 'sha')} AS sha,
           {h._str_list(cols, 'files')} AS files,
           {h._scalar(cols, 'card_text')} AS card_text,
           {h._scalar(cols, 'license')} AS license,
           {problem} AS _problem,
           {pos} AS _pos
    FROM {relation}
    """


def _read_meta(sn: Sniffed, kind: str) -> dict[str, Any]:
    if kind == "export-parquet":
        meta = parquet_export_meta(sn.path)
        assert meta is not None
        return meta
    if kind == "export-jsonl":
        return _decode_meta(sn.details["first"][EXPORT_KEY], sn.path)
    sidecar = sn.path.with_name(sn.path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        raise InputError(f"{sn.path}: a modelcensus CSV export without its metadata sidecar {sidecar.name} "
                         "(it carries the snapshot's source and observation time)")
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"{sidecar}: not a JSON metadata sidecar") from None
    if not isinstance(doc, dict) or EXPORT_KEY not in doc:
        raise InputError(f"{sidecar}: lacks the {EXPORT_KEY!r} block")
    return _decode_meta(doc[EXPORT_KEY], sidecar)


def import_export_in_transaction(store: Store, sn: Sniffed, kind: str, *,
                                 observed_at: datetime | None = None) -> ImportResult:
    """Restore a snapshot from its export; the caller holds the transaction."""
    from modelcensus.sources.ingest import check_source, file_digest, parse_observed_at, snapshot_fingerprint

    meta = _read_meta(sn, kind)
    if meta.get("table", "models") != "models":  # origins/edges exports are results, not a snapshot
        raise InputError(f"{sn.path}: an export of the {str(meta.get('table'))[:40]!r} table (per-model results); "
                         "only a models export (the default `export --table models`) can be imported")
    block = meta["snapshot"]
    try:
        source = check_source(str(block.get("source") or "modelcensus-export")) or "modelcensus-export"
    except InputError:
        raise InputError(f"{sn.path}: export metadata has an invalid source {block.get('source')!r}") from None
    when = parse_observed_at(block.get("observed_at"), what=f"{sn.path} export metadata observed_at")
    notes = block.get("notes") if isinstance(block.get("notes"), dict) else {}
    if when is None:
        if observed_at is None:
            raise InputError(f"{sn.path}: export metadata has no observed_at; pass --observed-at DATE")
        when = observed_at
    fingerprint = block.get("fingerprint")
    if not (isinstance(fingerprint, str) and _HEX64.match(fingerprint)):
        fingerprint = snapshot_fingerprint([file_digest(sn.path)], source, when.isoformat())
    existing = store.find_fingerprint(fingerprint)
    if existing is not None:
        return ImportResult(existing, True, SkipReport())
    relation = _export_relation(sn.path, kind, sn.compressed)
    if kind == "export-csv" and meta.get("csv_cells") == CSV_GUARDED:  # undo the formula guard on text cells
        relation = f"(SELECT {csv_unguard_sql('COLUMNS(*)')} FROM {relation})"
    cols = h._Columns(describe_relation(store, relation, unreadable=f"{sn.path}: not a readable modelcensus export"))
    missing = [c for c in ("id",) if cols.find(c) is None]
    if missing:
        raise InputError(f"{sn.path}: export lacks the column(s) {', '.join(missing)}")
    synthetic = bool(meta.get("synthetic", block.get("synthetic", False)))
    ref = block.get("source_ref")
    snap_meta = SnapshotMeta(source=source, observed_at=when, source_ref=str(ref) if ref is not None else None,
                             fingerprint=fingerprint, synthetic=synthetic,
                             complete=bool(block.get("complete", True)), notes=notes,
                             scope=_exported_scope(block), filter=_exported_filter(block))
    sid = store.create_snapshot(snap_meta, complete=False)
    skipped = SkipReport()
    stage_through_view(store, sid, _staging_select(relation, cols, kind), skipped, view="_export_staged",
                       failure=f"{sn.path}: cannot import the export")
    original_skipped = notes.get("skipped") if isinstance(notes.get("skipped"), dict) else None
    store.finish_snapshot(sid, skipped, complete=bool(block.get("complete", True)))
    restored = dict(notes)
    restored["reimport"] = {"path": str(sn.path), "format": kind.removeprefix("export-"),
                            "exported_at": meta.get("exported_at"), "skipped": skipped.as_dict()}
    if original_skipped is not None:
        restored["skipped"] = original_skipped
    prior = int(block.get("skipped") or 0) if str(block.get("skipped") or "0").isdigit() else 0
    restore_skip_record(store, sid, restored, prior + skipped.count)
    return ImportResult(store.snapshot(sid), False, skipped)


def _exported_scope(block: dict[str, Any]) -> str:
    """The exported snapshot's scope; an export written before scopes existed says nothing: partial."""
    scope = block.get("scope")
    if scope is None:
        return "partial"
    if scope not in SCOPES:
        raise InputError(f"export metadata: scope {str(scope)[:40]!r}: expected one of {', '.join(SCOPES)}")
    return str(scope)


def _exported_filter(block: dict[str, Any]) -> dict[str, Any] | None:
    flt = block.get("filter")
    if flt is None:
        return None if block.get("scope") is not None else {"source_ref": block.get("source_ref")}
    if not isinstance(flt, dict):
        raise InputError("export metadata: filter must be a JSON object")
    return flt
