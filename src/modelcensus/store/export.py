"""Export one snapshot as Parquet, CSV or JSON lines, carrying its metadata (read back by sources.exported).

Layout (the same columns in every format, one row per model, ordered by id):
``EXPORT_COLUMNS`` = the ``models`` row plus ``hub_base_models`` (the Hub's ``baseModels``
declarations as JSON ``[{relation, id}]``, which live in ``declarations``, not in ``models``).

Snapshot metadata (id, source, source_ref, observed_at, fingerprint, notes, ``synthetic``):
- Parquet: key-value metadata under ``modelcensus.export`` (JSON);
- CSV: a sidecar ``FILE.meta.json`` (CSV has no place for it); lists and JSON as JSON text;
- JSON lines: the first line is ``{"modelcensus_export": {...}}``, then one object per model.

Importing an export restores the snapshot with its original source, source_ref,
observed_at, synthetic flag and fingerprint, so re-importing it where it came from is a no-op.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from modelcensus import __version__
from modelcensus.errors import InputError
from modelcensus.store.sql import sql_literal
from modelcensus.store.store import Snapshot, Store

FORMATS = ("parquet", "csv", "jsonl")
PARQUET_META_KEY = b"modelcensus.export"
EXPORT_KEY = "modelcensus_export"
SIDECAR_SUFFIX = ".meta.json"
FORMAT_VERSION = 1

EXPORT_COLUMNS = [
    "id", "author", "created_at", "last_modified", "downloads_30d", "downloads_all_time", "likes",
    "trending_score", "pipeline_tag", "library_name", "license", "tags", "params", "gated", "private",
    "disabled", "sha", "base_models", "base_model_relation", "model_type", "architectures", "config",
    "gguf", "card_data", "files", "card_text", "hub_base_models",
]
# recomputed from card_data / config / tags / hub_base_models on import, exported for readers
DERIVED_COLUMNS = ["base_models", "base_model_relation", "model_type", "architectures"]
_LIST_COLUMNS = ("tags", "base_models", "architectures", "files")
_JSON_COLUMNS = ("config", "gguf", "card_data", "hub_base_models")
_TS_COLUMNS = ("created_at", "last_modified")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _rows_sql(snapshot_id: int) -> str:
    cols = ", ".join(f"m.{c}" for c in EXPORT_COLUMNS if c != "hub_base_models")
    return f"""
    WITH hub AS (
      SELECT d.child_id,
             CAST(to_json(list({{'relation': d.relation, 'id': d.parent_id}}
                  ORDER BY (d.relation IS NOT DISTINCT FROM m.base_model_relation) DESC, d.parent_id, d.relation))
                  AS JSON) AS hub_base_models
      FROM declarations d JOIN models m ON m.snapshot_id = d.snapshot_id AND m.id = d.child_id
      WHERE d.snapshot_id = {snapshot_id} AND d.source = 'hub'
      GROUP BY d.child_id
    )
    SELECT {cols}, hub.hub_base_models
    FROM models m LEFT JOIN hub ON hub.child_id = m.id
    WHERE m.snapshot_id = {snapshot_id}
    ORDER BY m.id
    """


def _text_rows_sql(snapshot_id: int) -> str:
    """The CSV form: lists and JSON as JSON text, timestamps as ISO 8601 UTC."""
    exprs = []
    for c in EXPORT_COLUMNS:
        if c in _LIST_COLUMNS:
            exprs.append(f"CAST(to_json({c}) AS VARCHAR) AS {c}")
        elif c in _JSON_COLUMNS:
            exprs.append(f"CAST({c} AS VARCHAR) AS {c}")
        elif c in _TS_COLUMNS:
            exprs.append(f"strftime({c} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS {c}")
        else:
            exprs.append(c)
    return f"SELECT {', '.join(exprs)} FROM ({_rows_sql(snapshot_id)})"


def export_metadata(store: Store, snap: Snapshot) -> dict[str, Any]:
    row = store._one("SELECT fingerprint FROM snapshots WHERE id = ?", [snap.id])
    block = snap.as_dict()
    block["fingerprint"] = row[0] if row else None
    block["notes"] = snap.notes
    return {
        "format": "modelcensus-export",
        "format_version": FORMAT_VERSION,
        "exported_by": f"modelcensus {__version__}",
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "synthetic": snap.synthetic,
        "snapshot": block,
        "columns": EXPORT_COLUMNS,
        "derived_columns": DERIVED_COLUMNS,
    }


def _discard(partial: Path) -> None:
    """Remove a half-written export; a path that cannot even be stat'ed has nothing to remove."""
    with contextlib.suppress(OSError):
        partial.unlink(missing_ok=True)


def export_snapshot(store: Store, snapshot: int | str | None, fmt: str, out_path: str | Path | None = None) -> Path:
    """Write snapshot ``snapshot`` (id or ``latest``) as ``fmt``; returns the path written.

    The default path is ``snapshot-<id>.<ext>`` in the current directory.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    snap = store.snapshot(snapshot)
    out = Path(out_path) if out_path else Path(f"snapshot-{snap.id}.{fmt}")
    if out.is_dir():
        out = out / f"snapshot-{snap.id}.{fmt}"
    meta = export_metadata(store, snap)
    meta_text = json.dumps(meta, ensure_ascii=False, default=str)
    tmp = out.with_name(out.name + ".partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            store.con.execute(
                f"COPY ({_rows_sql(snap.id)}) TO {sql_literal(str(tmp))} "
                f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{'modelcensus.export': {sql_literal(meta_text)}}})")
        elif fmt == "csv":
            store.con.execute(f"COPY ({_text_rows_sql(snap.id)}) TO {sql_literal(str(tmp))} (FORMAT csv, HEADER)")
            sidecar = out.with_name(out.name + SIDECAR_SUFFIX)
            sidecar.write_text(json.dumps({EXPORT_KEY: meta}, ensure_ascii=False, indent=2, default=str) + "\n",
                               encoding="utf-8")
        else:
            body = out.with_name(out.name + ".body")
            store.con.execute(f"COPY ({_rows_sql(snap.id)}) TO {sql_literal(str(body))} (FORMAT json)")
            with tmp.open("wb") as fh:
                fh.write(json.dumps({EXPORT_KEY: meta}, ensure_ascii=False, default=str).encode() + b"\n")
                with body.open("rb") as src:
                    shutil.copyfileobj(src, fh)
            body.unlink()
        tmp.replace(out)
    except duckdb.Error as exc:
        _discard(tmp)
        raise InputError(f"{out}: cannot write the export ({str(exc).splitlines()[0]})") from None
    except OSError as exc:
        _discard(tmp)
        raise InputError(f"{out}: cannot write the export ({exc.strerror or exc})") from None
    return out
