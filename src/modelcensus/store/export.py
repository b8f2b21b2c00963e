"""Export one snapshot's table as Parquet, CSV or JSON lines, carrying its metadata.

Three tables (``--table``), one row per:

- ``models`` (default): a model, ordered by id. ``EXPORT_COLUMNS`` = the ``models`` row plus
  ``hub_base_models`` (the Hub's ``baseModels`` declarations as JSON ``[{relation, id}]``, which live in
  ``declarations``, not in ``models``). ``import`` reads it back losslessly (sources.exported).
- ``origins``: a (model, lineage root) pair: publisher, root and teacher organisation and country,
  weight (a model's weights sum to 1), depth, grade, family, problems (``ORIGIN_COLUMNS``).
- ``edges``: a lineage edge child -> parent with relation, inferred, grade, evidence and whether the
  walk follows it (``EDGE_COLUMNS``).

``origins`` and ``edges`` are the snapshot's built lineage: the caller builds it first
(``api.export`` does; this module sits below the lineage stage), else the export is refused.

Snapshot metadata (id, source, source_ref, observed_at, scope, fingerprint, notes, ``synthetic``, ``table``):
- Parquet: key-value metadata under ``modelcensus.export`` (JSON);
- CSV: a sidecar ``FILE.meta.json`` (CSV has no place for it); lists and JSON as JSON text, timestamps ISO
  8601 UTC. Text cells are guarded against formula injection (``safe_output.csv_guard_sql``; the sidecar
  says ``"csv_cells": "formula-guarded"`` and the importer undoes it); numbers are written as numbers;
- JSON lines: the first line is ``{"modelcensus_export": {...}}``, then one object per row.

Importing a models export restores the snapshot with its original source, source_ref,
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
from modelcensus.safe_output import csv_guard_sql
from modelcensus.store.resources import duckdb_failure
from modelcensus.store.sql import sql_literal
from modelcensus.store.store import Snapshot, Store

FORMATS = ("parquet", "csv", "jsonl")
TABLES = ("models", "origins", "edges")
CSV_GUARDED = "formula-guarded"  # the sidecar's "csv_cells" when text cells went through csv_guard_sql
PARQUET_META_KEY = b"modelcensus.export"
EXPORT_KEY = "modelcensus_export"
SIDECAR_SUFFIX = ".meta.json"
FORMAT_VERSION = 2  # 2: "table", and guarded CSV text cells

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


ORIGIN_COLUMNS = [
    "model_id", "publisher_namespace", "publisher_org", "publisher_country", "publisher_org_type",
    "root_id", "root_org", "root_country", "root_org_type", "weight", "depth", "grade", "family",
    "teacher_id", "teacher_org", "teacher_country", "problems",
]
EDGE_COLUMNS = ["child_id", "parent_id", "relation", "inferred", "grade", "evidence", "structural"]
TABLE_COLUMNS = {"models": EXPORT_COLUMNS, "origins": ORIGIN_COLUMNS, "edges": EDGE_COLUMNS}
TABLE_ORDER = {"origins": "model_id, weight DESC, root_id", "edges": "child_id, parent_id, relation"}


def _table_sql(table: str, snapshot_id: int) -> str:
    if table == "models":
        return _rows_sql(snapshot_id)
    return (f"SELECT {', '.join(TABLE_COLUMNS[table])} FROM {table} WHERE snapshot_id = {snapshot_id} "
            f"ORDER BY {TABLE_ORDER[table]}")


def _text_rows_sql(con: duckdb.DuckDBPyConnection, rows_sql: str) -> str:
    """The CSV form of ``rows_sql``: lists and JSON as JSON text, timestamps as ISO 8601 UTC, every text
    cell guarded against formula injection; numbers and booleans stay as they are."""
    exprs = []
    for name, kind, *_ in con.execute(f"DESCRIBE {rows_sql}").fetchall():
        col = f'"{name}"'
        if kind.startswith("TIMESTAMP"):
            exprs.append(f"strftime({col} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS {col}")
        elif kind.endswith("[]") or kind.startswith(("STRUCT", "MAP")):
            exprs.append(f"{csv_guard_sql(f'CAST(to_json({col}) AS VARCHAR)')} AS {col}")
        elif kind in ("VARCHAR", "JSON"):
            exprs.append(f"{csv_guard_sql(f'CAST({col} AS VARCHAR)')} AS {col}")
        else:
            exprs.append(col)
    return f"SELECT {', '.join(exprs)} FROM ({rows_sql})"


def _check_built(store: Store, snap: Snapshot, table: str) -> dict[str, Any]:
    """The lineage build the table comes from; refused when the snapshot's lineage was never built."""
    row = store._one("SELECT built_at, registry_version, stats FROM lineage_builds WHERE snapshot_id = ?", [snap.id])
    stats = json.loads(row[2]) if row and row[2] else {}
    if row is None or stats.get("models") != snap.row_count:
        raise InputError(f"snapshot {snap.id}: its lineage is not built, so there is no {table} table to export "
                         "(api.export builds it first)")
    built_at = row[0].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if row[0] else None
    return {"built_at": built_at, "registry_version": row[1]}


def export_metadata(store: Store, snap: Snapshot, table: str = "models") -> dict[str, Any]:
    row = store._one("SELECT fingerprint FROM snapshots WHERE id = ?", [snap.id])
    block = snap.as_dict()
    block["fingerprint"] = row[0] if row else None
    block["notes"] = snap.notes
    meta: dict[str, Any] = {
        "format": "modelcensus-export",
        "format_version": FORMAT_VERSION,
        "exported_by": f"modelcensus {__version__}",
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "synthetic": snap.synthetic,
        "snapshot": block,
        "table": table,
        "columns": TABLE_COLUMNS[table],
    }
    if table == "models":
        meta["derived_columns"] = DERIVED_COLUMNS
    else:
        meta["lineage"] = _check_built(store, snap, table)
    return meta


def _discard(partial: Path) -> None:
    """Remove a half-written export; a path that cannot even be stat'ed has nothing to remove."""
    with contextlib.suppress(OSError):
        partial.unlink(missing_ok=True)


def default_name(snapshot_id: int, fmt: str, table: str = "models") -> str:
    """``snapshot-<id>.<ext>``, or ``snapshot-<id>-<table>.<ext>`` for origins and edges."""
    return f"snapshot-{snapshot_id}{'' if table == 'models' else '-' + table}.{fmt}"


def export_snapshot(store: Store, snapshot: int | str | None, fmt: str, out_path: str | Path | None = None, *,
                    table: str = "models") -> Path:
    """Write ``table`` of snapshot ``snapshot`` (id or ``latest``) as ``fmt``; returns the path written.

    The default path is :func:`default_name` in the current directory (or in ``out_path`` when it is a
    folder). ``origins``/``edges`` need the snapshot's lineage built (see the module docstring).
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if table not in TABLES:
        raise InputError(f"--table {table!r}: expected one of {', '.join(TABLES)}")
    snap = store.snapshot(snapshot)
    meta = export_metadata(store, snap, table)
    out = Path(out_path) if out_path else Path(default_name(snap.id, fmt, table))
    if out.is_dir():
        out = out / default_name(snap.id, fmt, table)
    rows_sql = _table_sql(table, snap.id)
    tmp = out.with_name(out.name + ".partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            meta_text = json.dumps(meta, ensure_ascii=False, default=str)
            store.con.execute(
                f"COPY ({rows_sql}) TO {sql_literal(str(tmp))} "
                f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{'modelcensus.export': {sql_literal(meta_text)}}})")
        elif fmt == "csv":
            meta["csv_cells"] = CSV_GUARDED
            store.con.execute(f"COPY ({_text_rows_sql(store.con, rows_sql)}) TO {sql_literal(str(tmp))} "
                              "(FORMAT csv, HEADER)")
            sidecar = out.with_name(out.name + SIDECAR_SUFFIX)
            sidecar.write_text(json.dumps({EXPORT_KEY: meta}, ensure_ascii=False, indent=2, default=str) + "\n",
                               encoding="utf-8")
        else:
            body = out.with_name(out.name + ".body")
            store.con.execute(f"COPY ({rows_sql}) TO {sql_literal(str(body))} (FORMAT json)")
            with tmp.open("wb") as fh:
                fh.write(json.dumps({EXPORT_KEY: meta}, ensure_ascii=False, default=str).encode() + b"\n")
                with body.open("rb") as src:
                    shutil.copyfileobj(src, fh)
            body.unlink()
        tmp.replace(out)
    except duckdb.Error as exc:
        _discard(tmp)
        raise InputError(f"{out}: cannot write the export ({duckdb_failure(exc)})") from None
    except OSError as exc:
        _discard(tmp)
        raise InputError(f"{out}: cannot write the export ({exc.strerror or exc})") from None
    return out
