"""The public hub-stats ``models.parquet`` layout, imported set-based inside DuckDB.

The file is never turned into Python objects: its schema is inspected, one SQL ``SELECT``
over ``read_parquet`` maps whatever columns are present onto the staging layout (nested
fields may be structs or JSON text), and :meth:`Store.stage` validates and inserts the rows.

Observation time, in order: ``--observed-at``; else an observation time written in the
file's key-value metadata (``observed_at``, ``snapshot_date``, ``date``); else the latest
``lastModified`` in the file, recorded in the snapshot notes as an estimate (a lower bound:
the dump was taken at or after its newest commit).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from modelcensus.errors import InputError
from modelcensus.sources.ingest import file_digest, parse_observed_at, snapshot_fingerprint
from modelcensus.store import ImportResult, SkipReport, SnapshotMeta, Store
from modelcensus.store.file_staging import describe_parquet, parquet_latest_time, stage_validated
from modelcensus.store.files import check_unchanged, file_identity
from modelcensus.store.sql import sql_identifier as _q
from modelcensus.store.sql import sql_path

SOURCE = "hub-stats"
META_TIME_KEYS = ("observed_at", "snapshot_date", "snapshot", "date", "modelcensus.observed_at")
_STAGED = "_hubstats_staged"

_BASE_MODELS_JSON = '{"relation":"VARCHAR","models":[{"id":"VARCHAR"}]}'


class _Columns:
    """Column name -> DuckDB type of the file, with case-insensitive look-up of alternatives."""

    def __init__(self, described: list[tuple[Any, ...]]) -> None:
        self.types = {row[0]: str(row[1]) for row in described}
        self._lower = {name.lower(): name for name in self.types}

    def find(self, *names: str) -> str | None:
        for n in names:
            if n in self.types:
                return n
            if n.lower() in self._lower:
                return self._lower[n.lower()]
        return None

    def type(self, name: str) -> str:
        return self.types[name].upper()


def _scalar(cols: _Columns, *names: str) -> str:
    c = cols.find(*names)
    return f"CAST({_q(c)} AS VARCHAR)" if c else "NULL::VARCHAR"


def _number(cols: _Columns, *names: str) -> str:
    """Numbers stay native (no text round trip); text stays text for staging's TRY_CAST."""
    c = cols.find(*names)
    return _q(c) if c else "NULL::VARCHAR"


def _timestamp(cols: _Columns, *names: str) -> str:
    c = cols.find(*names)
    if not c:
        return "NULL::VARCHAR"
    t = cols.type(c)
    # TIMESTAMPTZ_NS / TIMESTAMP_NS: nanoseconds, as pandas writes them (the cast text of a TIMESTAMPTZ_NS ends in
    # '+00', so '+00' was added twice and every row refused); '%f' keeps the microseconds, earlier (as the staging
    # cast of 9-digit text does), and Spark turns such a column into the same microseconds (engine_spark)
    if t.startswith(("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")):
        return f"strftime({_q(c)} AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%f') || '+00'"
    if t == "TIMESTAMP_NS":
        return f"strftime({_q(c)}, '%Y-%m-%d %H:%M:%S.%f') || '+00'"
    if t.startswith("TIMESTAMP") or t == "DATE":
        # Parquet timestamps without a zone are UTC instants in the hub-stats dumps
        return f"CAST({_q(c)} AS VARCHAR) || '+00'"
    return f"CAST({_q(c)} AS VARCHAR)"


def _json_text(cols: _Columns, *names: str) -> str:
    c = cols.find(*names)
    if not c:
        return "NULL::VARCHAR"
    t = cols.type(c)
    if t in ("VARCHAR", "JSON"):
        return f"nullif(nullif(CAST({_q(c)} AS VARCHAR), ''), 'null')"
    return f"CAST(to_json({_q(c)}) AS VARCHAR)"


def _str_list(cols: _Columns, *names: str) -> str:
    c = cols.find(*names)
    if not c:
        return "NULL::VARCHAR[]"
    t = cols.type(c)
    if t.endswith("[]") and "STRUCT" not in t:
        return f"CAST({_q(c)} AS VARCHAR[])"
    if t in ("VARCHAR", "JSON"):
        return (f"CASE WHEN json_valid({_q(c)}) AND json_type({_q(c)}) = 'ARRAY' "
                f"THEN CAST(json_extract_string({_q(c)}, '$[*]') AS VARCHAR[]) END")
    return "NULL::VARCHAR[]"


def _siblings(cols: _Columns) -> str:
    c = cols.find("siblings")
    if not c:
        return "NULL::VARCHAR[]"
    t = cols.type(c)
    if t.endswith("[]") and "RFILENAME" in t:
        return f"list_transform({_q(c)}, lambda s: s.rfilename)"
    if t.endswith("[]") and "STRUCT" not in t:
        return f"CAST({_q(c)} AS VARCHAR[])"
    if t in ("VARCHAR", "JSON"):
        return (f"CASE WHEN json_valid({_q(c)}) AND json_type({_q(c)}) = 'ARRAY' "
                f"THEN json_extract_string({_q(c)}, '$[*].rfilename') END")
    return "NULL::VARCHAR[]"


def _base_models(cols: _Columns) -> str:
    """baseModels ({relation, models:[{id}]}, as struct or JSON text) -> JSON [{relation, id}]."""
    c = cols.find("baseModels", "base_models")
    if not c:
        return "NULL::VARCHAR"
    t = cols.type(c)
    if t in ("VARCHAR", "JSON"):
        src = (f"(CASE WHEN json_valid({_q(c)}) AND json_type({_q(c)}) = 'OBJECT' "
               f"THEN from_json({_q(c)}, '{_BASE_MODELS_JSON}') END)")
    elif t.startswith("STRUCT") and "MODELS" in t:
        src = _q(c)
    else:
        return "NULL::VARCHAR"
    return (f"CASE WHEN array_length({src}.models) > 0 THEN CAST(to_json(list_transform({src}.models, "
            f"lambda m: {{'relation': {src}.relation, 'id': m.id}})) AS VARCHAR) END")


def _problem(cols: _Columns) -> str:
    """Rows whose nested text fields are not JSON are rejected with a reason (not an error)."""
    c = cols.find("baseModels", "base_models")
    if c and cols.type(c) in ("VARCHAR", "JSON"):
        return (f"CASE WHEN {_q(c)} IS NOT NULL AND {_q(c)} NOT IN ('', 'null') AND NOT json_valid({_q(c)}) "
                "THEN 'baseModels is not JSON' END")
    return "NULL::VARCHAR"


def _safetensors_total(cols: _Columns) -> str:
    c = cols.find("safetensors")
    if c:
        t = cols.type(c)
        if t.startswith("STRUCT") and "TOTAL" in t:
            return f"{_q(c)}.total"
        if t in ("VARCHAR", "JSON"):
            return f"CASE WHEN json_valid({_q(c)}) THEN json_extract_string({_q(c)}, '$.total') END"
    return _number(cols, "safetensors_total", "num_parameters")


def staging_select(path: Path, cols: _Columns) -> str:
    """The SELECT that maps the file onto :data:`modelcensus.store.staging.STAGING_COLUMNS`."""
    return f"""
    SELECT {_scalar(cols, 'id', 'modelId')} AS id,
           {_scalar(cols, 'author')} AS author,
           {_timestamp(cols, 'createdAt', 'created_at')} AS created_at,
           {_timestamp(cols, 'lastModified', 'last_modified')} AS last_modified,
           {_number(cols, 'downloads')} AS downloads,
           {_number(cols, 'downloadsAllTime', 'downloads_all_time')} AS downloads_all_time,
           {_number(cols, 'likes')} AS likes,
           {_number(cols, 'trendingScore', 'trending_score')} AS trending_score,
           {_scalar(cols, 'pipeline_tag', 'pipelineTag')} AS pipeline_tag,
           {_scalar(cols, 'library_name', 'libraryName')} AS library_name,
           {_str_list(cols, 'tags')} AS tags,
           {_json_text(cols, 'cardData', 'card_data')} AS card_data,
           {_base_models(cols)} AS base_models,
           {_safetensors_total(cols)} AS safetensors_total,
           {_json_text(cols, 'gguf')} AS gguf,
           {_json_text(cols, 'config')} AS config,
           {_scalar(cols, 'gated')} AS gated,
           {_scalar(cols, 'private')} AS private,
           {_scalar(cols, 'disabled')} AS disabled,
           {_scalar(cols, 'sha')} AS sha,
           {_siblings(cols)} AS files,
           NULL::VARCHAR AS card_text,
           {_scalar(cols, 'license')} AS license,
           {_problem(cols)} AS _problem,
           file_row_number + 1 AS _pos
    FROM read_parquet({sql_path(path)}, file_row_number = true)
    """


# every text column the staging reads as JSON (as native lists/structs they need no parser)
_JSON_TEXT = (("cardData", "card_data"), ("config",), ("gguf",), ("baseModels", "base_models"), ("tags",),
              ("siblings",), ("safetensors",))


def json_text_columns(cols: _Columns) -> list[str]:
    """The file's columns the staging parses as JSON text (native lists and structs need no parser)."""
    return [c for names in _JSON_TEXT if (c := cols.find(*names)) and cols.type(c) in ("VARCHAR", "JSON")]


def stage_file(area: Any, path: Path, probe: Store, *, name: str = "hub_staged") -> str:
    """Stage one hub-stats file on any engine (or scratch area): the importer's own SELECT, reading the file
    registered as a view instead of DuckDB's ``read_parquet``, materialised as ``name``; returns ``name``.

    ``probe`` (a DuckDB store, e.g. in memory) describes the file's columns, as the importer does, so a file
    that is not the hub-stats layout fails here, naming it; on another engine ``engine_check.check_engines_agree`` first
    checks that both engines judge every row of the file alike (else InputError naming the rows)."""
    import sqlglot

    from modelcensus.store.engine import to_dialect
    from modelcensus.store.sql_files import area_dialect

    identity = file_identity(path)
    cols = describe_file(probe, path)
    mapped = staging_select(path, cols)
    view = f"{name}_file"
    area.register_parquet(view, path, row_number="file_row_number")
    from modelcensus.sources.engine_check import check_engines_agree

    check_engines_agree(area, view, path, cols, probe, remember=True)
    rows = sqlglot.parse_one(mapped, read="duckdb", into=sqlglot.exp.Select).from_(view).sql(dialect="duckdb")
    area.materialise(name, to_dialect(rows, area_dialect(area)))
    check_unchanged({path: identity})  # the staged rows are those of the file that was described and checked
    return name


class FolderRowSelect:
    """``row_select`` for the folder metrics and report: each file described (and a file that is not the
    hub-stats layout named) and, on an engine other than DuckDB, checked by ``engine_check.check_engines_agree``,
    before any metric runs; returns the importer's SELECT for the file. Counts how each file passed, so the
    result says whether its files were scanned now or passed by a verdict kept earlier (:meth:`check_note`)."""

    def __init__(self, engine: Any, probe: Store) -> None:
        self.engine, self.probe = engine, probe
        self.passed: Counter[str] = Counter()

    def __call__(self, path: Path) -> str:
        from modelcensus.sources.engine_check import check_file
        from modelcensus.store.engine import scratch

        cols = describe_file(self.probe, path)
        if getattr(self.engine, "dialect", "duckdb") != "duckdb":
            with scratch(self.engine) as area:
                self.passed[check_file(area, path, cols, self.probe)] += 1
        return staging_select(path, cols)

    def check_note(self, folder: Path) -> str | None:
        """How the files of ``folder`` passed the engine check, or None on DuckDB (nothing to check); ``folder``
        is not named (the note goes into published reports)."""
        from modelcensus.sources.engine_check import KEPT_VERDICT, NOT_KEPT

        total = sum(self.passed.values())
        if not total:
            return None
        kept = self.passed[KEPT_VERDICT]
        why = Counter({o.removeprefix(NOT_KEPT): n for o, n in self.passed.items() if o.startswith(NOT_KEPT)})
        text = (f"engine check: all {total} file(s) read alike by DuckDB and {self.engine.name} before any figure: "
                f"{total - kept} scanned by both now, {kept} passed by a verdict kept from an earlier scan of the "
                "same bytes, check and engine settings")
        if why:
            text += "; verdicts not kept: " + "; ".join(f"{n} file(s), because {reason}"
                                                         for reason, n in why.most_common())
        return text


def folder_row_select(engine: Any, probe: Store) -> FolderRowSelect:
    """The folder commands' :class:`FolderRowSelect` on ``engine``, describing files with ``probe``."""
    return FolderRowSelect(engine, probe)


def describe_file(store: Store, path: Path) -> _Columns:
    """The file's columns as the importer maps them (DuckDB ``probe`` store); InputError naming a file that is
    not the hub-stats layout."""
    cols = _Columns(describe_parquet(store, path))
    idc = cols.find("id", "modelId")
    if idc is None:
        raise InputError(f"{path}: Parquet without an id column: not the hub-stats models layout "
                         f"(columns: {', '.join(list(cols.types)[:8])})")
    if cols.type(idc) not in ("VARCHAR", "JSON"):
        raise InputError(f"{path}: column {idc!r} has type {cols.type(idc)}, expected text model ids")
    bad = []
    for name in ("downloads", "downloadsAllTime", "likes"):
        c = cols.find(name)
        t = cols.type(c) if c else ""
        nested = any(k in t for k in ("STRUCT", "[]", "MAP", "UNION"))
        if c and (nested or not any(k in t for k in ("INT", "VARCHAR", "DOUBLE", "FLOAT", "DECIMAL"))):
            bad.append(f"{c} is {cols.type(c)}")
    for name in ("tags",):
        c = cols.find(name)
        if c and not (cols.type(c).endswith("[]") or cols.type(c) in ("VARCHAR", "JSON")):
            bad.append(f"{c} is {cols.type(c)}")
    if bad:
        raise InputError(f"{path}: hub-stats columns with the wrong type ({'; '.join(bad)})")
    return cols


def _file_metadata(path: Path) -> dict[bytes, bytes]:
    try:
        return pq.read_schema(path).metadata or {}
    except Exception:  # noqa: BLE001 - unreadable metadata is reported by DuckDB below
        return {}


def _file_observed_at(path: Path) -> tuple[datetime | None, str | None]:
    meta = _file_metadata(path)
    for key in META_TIME_KEYS:
        raw = meta.get(key.encode())
        if raw:
            try:
                return parse_observed_at(raw.decode("utf-8", "replace"), what=f"{path} metadata {key!r}"), key
            except InputError:
                continue
    return None, None


def import_hubstats_in_transaction(store: Store, path: Path, *, source: str = SOURCE, source_ref: str | None = None,
                                   observed_at: datetime | None = None) -> ImportResult:
    """Import one hub-stats Parquet file as a snapshot; the caller holds the transaction."""
    path = Path(path)
    cols = describe_file(store, path)
    notes: dict[str, Any] = {"format": "parquet (hub-stats layout)", "columns": sorted(cols.types)}
    observation_key: str
    if observed_at is not None:
        when, notes["observed_at_from"] = observed_at, "--observed-at"
    else:
        in_meta, key = _file_observed_at(path)
        if in_meta is not None:
            when, notes["observed_at_from"] = in_meta, f"file key-value metadata {key!r}"
        else:
            lm = cols.find("lastModified", "last_modified")
            if lm is None:
                raise InputError(f"{path}: neither the file nor its rows say when it was observed; "
                                 "pass --observed-at DATE")
            latest = parquet_latest_time(store, path, _timestamp(cols, lm))
            if latest is None:
                raise InputError(f"{path}: no row has a lastModified date; pass --observed-at DATE")
            when = latest.astimezone(UTC)
            notes["observed_at_from"] = "estimate: latest lastModified in the file"
            notes["observed_at_estimate"] = (
                "The file carries no observation time. observed_at is the newest lastModified among its rows, "
                "a lower bound: the dump was taken at or after it. Pass --observed-at to record the real time.")
    observation_key = when.isoformat()
    fingerprint = snapshot_fingerprint([file_digest(path)], source, observation_key)
    existing = store.find_fingerprint(fingerprint)
    if existing is not None:
        return ImportResult(existing, True, SkipReport())
    file_meta = _file_metadata(path)
    synthetic = file_meta.get(b"synthetic", b"").strip().lower() == b"true"
    if synthetic:
        generator = file_meta.get(b"modelcensus.generator", b"unknown").decode("utf-8", "replace")[:200]
        notes["synthetic"] = f"the file's metadata says synthetic=true (generator {generator})"
    meta = SnapshotMeta(source=source, observed_at=when, source_ref=source_ref or str(path),
                        fingerprint=fingerprint, synthetic=synthetic, notes=notes, scope="full")
    sid = store.create_snapshot(meta, complete=False)
    skipped = SkipReport()
    with store.bulk_load():
        # one pass over the file: the staging SQL reads its relation several times
        # and the validation rules and de-duplication are evaluated once for all statements
        stage_validated(store, sid, staging_select(path, cols), skipped, table=_STAGED,
                        failure=f"{path}: cannot import")
        store.finish_snapshot(sid, skipped, complete=True)
    return ImportResult(store.snapshot(sid), False, skipped)


def import_hubstats_parquet(store: Store, path: str | Path, *, source: str = SOURCE, source_ref: str | None = None,
                            observed_at: str | datetime | None = None) -> ImportResult:
    """Import a hub-stats ``models.parquet`` as one snapshot, in one transaction (idempotent)."""
    when = parse_observed_at(observed_at)
    with store.transaction():
        return import_hubstats_in_transaction(store, Path(path), source=source, source_ref=source_ref,
                                              observed_at=when)


def describe_layout(store: Store, path: str | Path) -> dict[str, str]:
    """The Parquet columns and their DuckDB types (for diagnostics and docs)."""
    return dict(describe_file(store, Path(path)).types)


__all__ = ["SOURCE", "FolderRowSelect", "describe_file", "describe_layout", "folder_row_select",
           "import_hubstats_parquet", "stage_file", "staging_select"]
