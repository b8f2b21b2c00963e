"""Metrics over a folder of hub-stats snapshots (``--snapshots DIR``) on any engine, without a store.

The folder holds one hub-stats-layout Parquet file per observation date, named ``YYYY-MM-DD.parquet``
(what ``pull hub-stats --history --out DIR`` fills). Each file is mapped onto the staging columns by the
hub-stats importer's own SELECT (passed in as ``row_select``: metrics may not import sources) and checked
with the store's own staging rules (``folder_staging.py``); from there every step is a query file
in ``metrics/sql/`` run through the engine seam, so DuckDB and Spark compute the same figures from the
same SQL (docs/engines.md). The metrics of :data:`SLICE_METRICS`, grouped by publisher keys, or by root
keys from the folder's lineage build (``lineage build --snapshots DIR``: checked current for every file); the
rest say so (exit 2) rather than guess.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot

from modelcensus.errors import InputError
from modelcensus.lineage.build import rules_stamp
from modelcensus.lineage.folder_build import is_current, lineage_files
from modelcensus.metrics import SPECS
from modelcensus.metrics.anchors import SHIFT_ROWS, shift_result
from modelcensus.metrics.catalog import coerce_options
from modelcensus.metrics.census import scope_counts, series_comparability
from modelcensus.metrics.concentration import add_ranks, concentration_notes, parse_ks
from modelcensus.metrics.coverage import NO_MODELS
from modelcensus.metrics.derivatives import (
    ORDERED_ROWS,
    derivative_notes_head,
    derivative_notes_tail,
    min_downloads_note,
)
from modelcensus.metrics.downloads import FIELDS, QUIRKS, check_gaps, downloads_notes, grp_as, month_fraction_table
from modelcensus.metrics.folder_options import (
    DERIVATIVE_METRICS,
    EDGE_METRICS,
    ORIGIN_METRICS,
    SLICE_METRICS,
    check_folder_metric,
    derivative_options,
    flag,
    given,
    shown_options,
)
from modelcensus.metrics.folder_staging import file_groups, file_rows_sql, folder_snapshot, staged_columns
from modelcensus.metrics.groups import group_key
from modelcensus.metrics.intermediaries import (
    CADENCE_NOTES,
    CADENCE_ROWS,
    intermediary_result,
    intermediary_rows,
    intermediary_table,
    rule_params,
    size_columns,
    size_notes,
    size_rows,
)
from modelcensus.metrics.licences import (
    UNKNOWN_ROOTS,
    drift_examples,
    drift_result,
    drift_rows_sql,
    drift_table,
    licence_columns,
    licence_notes,
    licence_result_rows,
    licence_rows,
)
from modelcensus.metrics.option_files import option_path, read_option_csv
from modelcensus.metrics.queries import query_files, snapshot_index, sql_folder
from modelcensus.metrics.ram import (
    EMPTY_FIXES,
    EMPTY_SIZES,
    RAM_STATS,
    RELEASE_CSV,
    ram_params,
    ram_result,
    ram_rows_sql,
)
from modelcensus.metrics.ram import (
    check_options as check_ram_options,
)
from modelcensus.metrics.result import MetricResult, clean_value
from modelcensus.metrics.scope import REGIONS_CSV, REGIONS_NEEDED
from modelcensus.metrics.series import month_fractions, series_notes
from modelcensus.metrics.sizes import PARAMETERS_CSV, size_b_sql, size_class_sql
from modelcensus.store import Snapshot
from modelcensus.store.engine import Engine, Scratch, to_dialect
from modelcensus.store.files import check_unchanged, file_identity, folder_files
from modelcensus.store.sql_files import Fragment, run_files
from modelcensus.store.staging_engine import make_store_rows

# tables that depend only on the folder: built once per FolderCensus (the others depend on --by/--field)
BASE_TABLES = ("snapshot_models", "model_publishers", "panel_obs", "panel", "flow", "series_counts",
               "snapshot_edges", "model_relations", "first_party_models", "ram_sightings")


def _footer_rows(paths: list[Path]) -> int:
    """The files' row counts from their row groups, as readers count them (a footer's own total is not checked
    and may be negative or huge: review17 R17-7); 0 for a file that cannot be read (the engine check names it)."""
    total = 0
    for path in paths:
        try:
            meta = pq.ParquetFile(path).metadata
            total += sum(max(meta.row_group(i).num_rows, 0) for i in range(meta.num_row_groups))
        except (OSError, pa.ArrowException):
            continue
    return total


class FolderCensus:
    """One snapshot folder on one engine. The tables every metric reads (the folder's rows, its models, their
    publishers, the download panel) are built once, on first use, and reused by every metric asked for in
    the ``with`` block; the block's end drops them all."""

    def __init__(self, folder: str | Path, *, engine: Engine, row_select: Callable[[Path], str], registry: Any,
                 check_note: Callable[[Path], str | None] | None = None) -> None:
        if registry is None:
            raise InputError("--snapshots needs the publisher registry (the lineage stage's registry files)")
        self.folder = Path(folder)
        self.engine = engine
        self.registry = registry
        self.files = folder_files(folder)
        # each file's identity before it is described and checked, compared once its rows are staged
        self.identities = {path: file_identity(path) for _day, path in self.files}
        # every file is described (and a bad one named) before any engine work starts
        self.mapped = [(k, path, row_select(path)) for k, (_day, path) in enumerate(self.files, start=1)]
        # how row_select's engine check passed the files (scanned now, or by a kept verdict), for every result
        self.check_notes = [n for n in [check_note(self.folder) if check_note else None] if n]
        self.snaps = [folder_snapshot(k, day, path) for k, (day, path) in enumerate(self.files, start=1)]
        self.queries = query_files()
        self._area: Scratch | None = None
        self._base: set[str] = set()
        self._loaded = False
        self._notes: list[str] | None = None
        self._roots_every = False  # model_roots holds every file's roots (else the latest file's)
        self._sizing: Any = None

    def __enter__(self) -> FolderCensus:
        self._area = Scratch(self.engine)
        # the engine's work sized by the files' rows (their row groups' counts): Spark widens its shuffles; entered
        # last, so nothing after it can fail and leave the session widened (review17 R17-6)
        self._sizing = self.engine.sized_for(_footer_rows([path for _day, path in self.files]))
        self._sizing.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._area is not None:
                self._area.cleanup()
            self._area = None
        finally:
            self._sizing.__exit__(*exc)

    @property
    def area(self) -> Scratch:
        if self._area is None:
            raise RuntimeError("FolderCensus is used inside a with block")
        return self._area

    def _load(self) -> None:
        """Register the files, the snapshot index and the registry tables; stack the files' rows. Once: a load
        that failed (out of memory, a file replaced) leaves no table behind, so a second metric on this census
        starts it again rather than reading what the first left half made (review33 R33-6)."""
        if self._loaded:
            return
        before, base = set(self.area.names), set(self._base)
        try:
            self._stage()
        except BaseException:
            for name in set(self.area.names) - before:
                with suppress(Exception):  # best effort: the load's own error is the one to report
                    self.area.drop(name)
            self._base = base
            raise
        self._loaded = True

    def _stage(self) -> None:
        area, dialect = self.area, self.engine.dialect
        check_unchanged(self.identities)  # a file gone or replaced since it was checked is named as such
        area.register_arrow("snapshot_files", pa.table({
            "file_date": [s.observed_at.date().isoformat() for s in self.snaps],
            "snapshot_id": pa.array([s.id for s in self.snaps], pa.int64())}))
        selects = []
        for g, (sql, paths) in enumerate(file_groups(self.mapped), start=1):
            area.register_parquet(f"hub_files_{g}", paths, row_number="file_row_number", file_name="mc_file_name")
            selects.append(file_rows_sql(sql, f"hub_files_{g}"))
        area.materialise("hub_rows", to_dialect("\nUNION ALL\n".join(selects), dialect))
        check_unchanged(self.identities)  # the staged rows are those of the files that were checked
        area.register_arrow("snapshot_index", snapshot_index((s.id, s.observed_at) for s in self.snaps))
        tables = self.registry.tables()
        for t in ("reg_namespaces", "reg_model_aliases", "reg_licenses"):
            area.register_arrow(t, tables[t])
        self._base.update(area.names)
        run_files(area, self.queries, ["snapshot_models"], self._base, dialect)
        self._base.add("snapshot_models")
        counts = area.query(to_dialect(  # one query: on Spark every query is a job with its own start-up cost
            "SELECT 'rows' AS what, snapshot_id, count(*) AS n FROM snapshot_models GROUP BY snapshot_id UNION ALL "
            "SELECT 'skipped', snapshot_id, count(*) FROM hub_rows WHERE _reason IS NOT NULL GROUP BY snapshot_id",
            dialect)).to_pylist()
        # snapshot_models is all the query files read of the staged rows: dropped here, they no longer sit in
        # DuckDB's temporary files (or Spark's checkpoints) for the rest of the census
        area.drop("hub_rows")
        self._base.discard("hub_rows")
        per = {int(r["snapshot_id"]): int(r["n"]) for r in counts if r["what"] == "rows"}
        skipped = {int(r["snapshot_id"]): int(r["n"]) for r in counts if r["what"] == "skipped"}
        for s in self.snaps:
            s.row_count, s.skipped_count = per.get(s.id, 0), skipped.get(s.id, 0)

    def _load_lineage(self, table: str, why: str | None = None, *, every: bool = False) -> None:
        """Register the folder's lineage ``table`` as ``origin_rows`` / ``edge_rows`` and make ``model_roots`` /
        ``model_relations`` from it: the latest file's (a one-snapshot metric reads no other), or with ``every``
        the origins of every file (root keys of a series). Each file read must have a lineage built from it by
        these rules (a stale or missing one is an InputError naming it); a file it does not read need not."""
        made = {"origins": "model_roots", "edges": "model_relations"}[table]
        every = every and table == "origins"
        if made in self._base and (self._roots_every or not every or table != "origins"):
            return
        if made in self._base:  # the latest file's roots were made for a one-snapshot metric: now all of them
            for name in ("first_party_models", "model_roots", "origin_rows"):
                if name in self._base:
                    self.area.drop(name)
                    self._base.discard(name)
        rules = rules_stamp(self.registry)
        files = self.files if every else self.files[-1:]
        # taken before is_current hashes them, compared once the tables have read them (review8 R8-4)
        paths = [lineage_files(self.folder, day)[table] for day, _ in files]
        identities = {p: file_identity(p) for p in paths}
        stale = [day.isoformat() for day, path in files if not is_current(self.folder, day, path, rules)]
        if stale:
            needs = {"origins": "root keys need", "edges": "derivatives need"}.get(table, "") if why is None else why
            raise InputError(f"--snapshots {self.folder}: {needs} the lineage of "
                             f"{'every file' if every else 'the latest file'}, built from it by this registry "
                             f"and these rules; missing or stale for {len(stale)} file(s) "
                             f"({', '.join(stale[:3])}{' ...' if len(stale) > 3 else ''}): run `modelcensus "
                             f"lineage build --snapshots {self.folder}` first")
        rows = {"origins": "origin_rows", "edges": "edge_rows"}[table]
        self.area.register_parquet(rows, paths, file_name="mc_file_name")
        self._base.add(rows)
        self._run([made], {})
        check_unchanged(identities)
        self._base.add(made)
        if table == "origins":
            self._roots_every = every

    def load_roots(self, *, every: bool) -> None:
        """The folder's lineage roots, loaded now (every file's with ``every``, else the latest file's): an
        InputError naming each missing or stale file before any figure that needs them is computed."""
        self._load()
        self._load_lineage("origins", every=every)

    def _run(self, targets: list[str], params: dict[str, Any], registered: tuple[str, ...] = ()) -> None:
        """Run the query files for ``targets``; the per-call tables (credit, metric_*) are always rebuilt."""
        ran = run_files(self.area, self.queries, targets, self._base | set(registered), self.engine.dialect, params)
        for name in ran:
            produced = next(f.produces for f in self.queries.values() if f.name == name)
            if produced in BASE_TABLES:
                self._base.add(produced)

    def metric(self, name: str, *, by: str | None = None, field: str | None = None, population: str | None = "all",
               **options: Any) -> MetricResult:
        """One metric over the folder; the same MetricResult shape as the store path."""
        column, fname, by, keys = check_folder_metric(name, by, field, options)
        if (population or "all") != "all":
            raise InputError("--population is not supported with --snapshots yet (population all only)")
        ks = parse_ks(given(options, "k", "1,5,10")) if name == "concentration" else []
        self._load()
        last = len(self.snaps)
        series = SLICE_METRICS[name][2] or flag(options, "series")
        if name in EDGE_METRICS:
            self._load_lineage("edges", None if name in DERIVATIVE_METRICS else f"{name} needs")
        if keys == "model_roots" or name in ORIGIN_METRICS:
            self._load_lineage("origins", None if keys == "model_roots" else f"{name} needs", every=series)
        params = {"group": column, "keys": keys, "field": FIELDS.get(fname or "", "d30"), "snapshot": last,
                  "last_k": last,
                  "include_unknown": int(flag(options, "include_unknown")), "first_k": 1 if series else last}
        key_notes: list[str] = []
        if name == "intermediaries":  # its notes name the key, as on a store, only when rows are per group
            key = group_key(by, "root" if keys == "model_roots" else "publisher") if by is not None else None
            rows, columns, notes = self._intermediaries(key, params, options)
        elif name == "region_shift":
            rows, columns, notes = self._region_shift(params, options.get("regions"))
        elif name == "ram":  # grouped only when asked, as on a store (whose ram notes do not name the key)
            key = group_key(by, "root" if keys == "model_roots" else "publisher") if by is not None else None
            rows, columns, notes = self._ram(key, params, options)
        elif by is None:  # sizes: no key
            rows, columns, notes = self._sizes(params, flag(options, "per_month"),
                                               option_path(options.get("parameters"), "parameters"))
        else:
            key = group_key(by, "root" if keys == "model_roots" else "publisher")
            key_notes = [key.note]
            rows, columns, notes = self._keyed(name, key, params, options, ks)
        if name in ("downloads_cumulative", "downloads_monthly"):
            notes = [*self._series_notes(params), *notes]
        used = self.snaps if series else self.snaps[-1:]
        trend = series_comparability(used) if series else None
        coverage, warnings = _coverage(used, series, trend)
        return MetricResult(metric=name, by=by, snapshots=[s.as_dict() for s in used], population="all",
                            field=fname, columns=columns, synthetic=any(s.synthetic for s in used),
                            rows=[{c: clean_value(r.get(c)) for c in columns} for r in rows],
                            notes=[*key_notes, *notes, f"computed on {self.engine.name} from {len(self.snaps)} "
                                                     f"file(s) in {self.folder} (--snapshots; no store)",
                                   *self.check_notes],
                            options=shown_options(name, options), coverage=coverage, warnings=warnings,
                            trend=trend.as_dict() if trend is not None else None)


    def _keyed(self, name: str, key: Any, params: dict[str, Any], options: dict[str, Any], ks: list[int]
               ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """A metric grouped by ``key``: (rows, columns, notes but the key's)."""
        if name == "downloads_monthly":
            return self._monthly(key.name, params, given(options, "gaps", "spread"))
        if name in DERIVATIVE_METRICS:
            return self._derivatives(key, params, options)
        if name == "licences":
            return self._licences(key, params, given(options, "detail", "class"))
        if name == "licence_drift":
            return self._licence_drift(key, params, flag(options, "pairs"), options.get("examples", 3))
        if name == "cadence":
            self._run(["metric_cadence"], params)
            rows = grp_as(self.area.query(to_dialect(CADENCE_ROWS, self.engine.dialect)).to_pylist(), key.name)
            return rows, ["month", key.name, "releases", "share"], list(CADENCE_NOTES)
        self._run(["metric_" + name, *(["concentration_ranks"] if name == "concentration" else [])], params)
        return _rows(self.area, self.engine, name, key.name, params, ks)

    def _licence_drift(self, key: Any, params: dict[str, Any], pairs: bool, examples: Any
                       ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """licence_drift on the latest file: the store path's query files over the folder's lineage roots and
        the latest file's models rows (the derivative's and its root's licences)."""
        self._latest_models()
        self._run(["drift_base", "licence_drift_rows", drift_table(pairs)],
                  {**params, "side": "r" if params["keys"] == "model_roots" else "p",
                   "column": _field_name(params),
                   "examples": drift_examples(examples)})
        rows = self.area.query(to_dialect(drift_rows_sql(pairs), self.engine.dialect)).to_pylist()
        unknown = self.area.query(to_dialect(UNKNOWN_ROOTS, self.engine.dialect)).to_pylist()[0]["n"]
        columns, rows, notes = drift_result(key, pairs, examples, rows, int(unknown or 0))
        return rows, columns, notes[1:]

    def _intermediaries(self, key: Any, params: dict[str, Any], options: dict[str, Any]
                        ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """intermediaries on the latest file: the store path's query files over its models rows, the folder's
        edges and publishers (from the lineage build) and the credit by ``key`` (none: one row per model)."""
        typed = coerce_options(SPECS["intermediaries"], options)
        detail = given(options, "detail", "rule")
        self._latest_models()
        keyed = key is not None and detail != "namespaces"
        credit = params if keyed else {**params, "group": "publisher_country", "keys": "model_publishers"}
        self._run([intermediary_table(detail)],
                  {**credit, "keyed": int(keyed), **rule_params(typed["min_repos"], typed["threshold"])})
        rows = self.area.query(to_dialect(intermediary_rows(detail, typed["limit"]), self.engine.dialect)).to_pylist()
        fname = _field_name(params)
        columns, rows, notes = intermediary_result(key, detail, fname, typed["min_repos"], typed["threshold"], rows)
        return rows, columns, notes

    def _region_shift(self, params: dict[str, Any], regions: Any) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """region_shift on the latest file: the store path's query file over its models, their roots from the
        lineage build and ATOM's regions file, read as the store path reads it."""
        if not regions:
            raise InputError(f"region_shift {REGIONS_NEEDED}")
        if "namespace_regions" in self.area.names:
            self.area.drop("namespace_regions")
        self.area.register_arrow("namespace_regions", read_option_csv(regions, **REGIONS_CSV))
        self._run(["metric_region_shift"], params, ("namespace_regions",))
        rows = self.area.query(to_dialect(SHIFT_ROWS, self.engine.dialect)).to_pylist()
        columns, rows, notes = shift_result(_field_name(params),
                                            rows)
        return rows, columns, notes

    def _ram(self, key: Any, params: dict[str, Any], options: dict[str, Any]
             ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """ATOM's RAM over every file's models: the store path's query files (metrics/ram.py), the release dates
        and parameters files read as the store path reads them."""
        typed = coerce_options(SPECS["ram"], options)
        checkpoints, rank, gap, fixes = check_ram_options(typed["ages"], typed["rank"], typed["max_gap"],
                                                          typed["limit"], typed["release_dates"])
        inputs = {"ram_ages": pa.table({"a": pa.array(checkpoints, pa.int32())}),
                  "curated_sizes": _curated_sizes(option_path(typed["parameters"], "parameters")),
                  "release_fixes": read_option_csv(fixes, **RELEASE_CSV) if fixes else EMPTY_FIXES.empty_table()}
        if key is None:
            inputs["ram_groups"] = pa.table({"id_lower": pa.array([], pa.string()), "grp": pa.array([], pa.string())})
        self._register(inputs)
        self._run(["metric_ram"], {**params, **ram_params(rank, gap, typed["latest"])}, tuple(inputs))
        dialect = self.engine.dialect
        rows = self.area.query(to_dialect(ram_rows_sql(typed["limit"]), dialect)).to_pylist()
        stats = self.area.query(to_dialect(RAM_STATS, dialect)).to_pylist()[0]
        rows, notes = ram_result(key, rows, stats, checkpoints=checkpoints, rank=rank, max_gap=gap,
                                 fixed=bool(fixes), limit=typed["limit"])
        columns = ["model", "size_class", *([key.name] if key is not None else []), "release_date", "age_days",
                   "downloads", "baseline", "reference_models", "ram"]
        return rows, columns, notes

    def _sizes(self, params: dict[str, Any], per_month: bool, parameters: Any
               ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """sizes on the latest file's models rows: the store path's query files, the size rule of metrics/sizes.py
        (with ``parameters``, a curated sizes file read as the store path reads it)."""
        self._latest_models()
        self._register({"curated_sizes": _curated_sizes(parameters)})
        column = _field_name(params)
        self._run(["sized_models", "metric_sizes_monthly" if per_month else "metric_sizes"],
                  {"column": column, "size_b": Fragment(size_b_sql("m", "cu.total_params_b")),
                   "size_class": Fragment(size_class_sql("size_b"))}, ("curated_sizes",))
        rows = self.area.query(to_dialect(size_rows(per_month), self.engine.dialect)).to_pylist()
        return rows, size_columns(per_month), size_notes(per_month)

    def _register(self, tables: dict[str, pa.Table]) -> None:
        """Small per-call inputs (option files, checkpoint ages) as engine tables, replacing an earlier call's."""
        for name, table in tables.items():
            if name in self.area.names:
                self.area.drop(name)
            self.area.register_arrow(name, table)

    def _series_notes(self, params: dict[str, Any]) -> list[str]:
        """metrics.series.series_notes over the folder's panel counts (read once per folder)."""
        if self._notes is not None:
            return self._notes
        self._run(["series_counts"], params)
        counts = self.area.query(to_dialect("SELECT * FROM series_counts", self.engine.dialect)).to_pylist()[0]
        examples = self.area.query(to_dialect("SELECT model_id FROM flow WHERE negative ORDER BY model_id LIMIT 3",
                                              self.engine.dialect)).column(0).to_pylist()
        self._notes = series_notes({**{k: int(v or 0) for k, v in counts.items()}, "negative_examples": examples},
                                   len(self.snaps))
        return self._notes

    def _derivatives(self, key: Any, params: dict[str, Any], options: dict[str, Any]
                     ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """derivatives (root credit) on the latest file: the store path's query file over the folder's edges."""
        period, min_field, at_least = derivative_options(options)
        params = {**params, "min_field": FIELDS[min_field], "by_month": int(period == "month"),
                  "min_downloads": -1 if at_least is None else at_least}
        self._run(["metric_derivatives", "derivative_counts"], params)
        sql = to_dialect(ORDERED_ROWS, self.engine.dialect)
        rows = grp_as(self.area.query(sql).to_pylist(), key.name)
        counts = self.area.query(to_dialect("SELECT * FROM derivative_counts", self.engine.dialect)).to_pylist()[0]
        notes = derivative_notes_head("root", key, with_key=False)  # metric() puts the key's note first
        if at_least is not None:
            notes.append(min_downloads_note(min_field, at_least, int(counts["without_field"] or 0)))
        notes += derivative_notes_tail(period, int(counts["undated"] or 0), bool(rows))
        return rows, ["month", key.name, "derivatives", "share"], notes

    def _latest_models(self) -> None:
        """``latest_models``: the store's models rows of the latest file, made on this engine by the importer's
        own query files (store.staging_engine), for what the download panel does not carry (licence, size,
        tags). Read once per census, from the file that was described and checked."""
        if "latest_models" in self._base:
            return
        k, path, mapped = self.mapped[-1]
        area = self.area
        check_unchanged({path: self.identities[path]})  # another file in its place is named, not misread
        area.register_parquet("latest_file", [path], row_number="file_row_number")
        tree = sqlglot.parse_one(mapped, read="duckdb")
        if not isinstance(tree, sqlglot.exp.Select):  # staging_select's own text: never, but said if so
            raise InputError(f"{path}: the hub-stats mapping is not one SELECT")
        rows = tree.from_("latest_file").sql(dialect="duckdb")
        try:
            area.materialise("latest_staged", to_dialect(rows, self.engine.dialect))
        except InputError:
            check_unchanged({path: self.identities[path]})  # replaced while read: say so rather than the SQL error
            raise
        check_unchanged({path: self.identities[path]})
        area.adopt("latest_models", "latest_declarations")  # dropped with the census even if the next step fails
        make_store_rows(self.engine, "latest_staged", k, models="latest_models", declarations="latest_declarations")
        area.drop("latest_staged", "latest_declarations")
        self._base.update({"latest_file", "latest_models"})

    def _licences(self, key: Any, params: dict[str, Any], detail: str
                  ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """licences on the latest file: the store path's query file over the folder's credit and models rows."""
        self._latest_models()
        self._run(["licence_credit", "metric_licences"], {**params, "by_class": int(detail == "class"), "whole": 0})
        raw = self.area.query(to_dialect(licence_rows(False), self.engine.dialect)).to_pylist()
        columns = licence_columns(key, detail)
        fname = _field_name(params)
        return licence_result_rows(raw, columns), columns, licence_notes(key, fname, False)[1:]

    def _monthly(self, key: str, params: dict[str, Any], gaps: str
                 ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """downloads_monthly: flows split over calendar months by metrics.series.month_fractions."""
        check_gaps(gaps)
        columns = ["month", key, "downloads", "share"]
        fracs = month_fractions(self.snaps, gaps)
        if not fracs:
            return [], columns, ["one snapshot only: levels, no flows; monthly rows are empty"]
        self.area.register_arrow("month_fractions", month_fraction_table(fracs))
        self._run(["metric_downloads_monthly"], params, ("month_fractions",))
        ordered = ("SELECT * FROM metric_downloads_monthly ORDER BY month, round(downloads, 6) DESC, "
                   "grp NULLS LAST")
        rows = grp_as(self.area.query(to_dialect(ordered, self.engine.dialect)).to_pylist(), key)
        first, last = self.snaps[0].observed_at, self.snaps[-1].observed_at
        return rows, columns, [
            "gaps between snapshots: " + ("each interval's delta is spread uniformly over its days and split across "
                                          "calendar months by overlap (methods.md §3.5)" if gaps == "spread" else
                                          "each interval's delta is assigned whole to the month holding the "
                                          "interval's end (the later snapshot)"),
            f"months covered from {first:%Y-%m-%d} to {last:%Y-%m-%d}; the first and last month may be partial",
            QUIRKS]


def compute_folder_metric(folder: str | Path, name: str, *, engine: Engine, row_select: Callable[[Path], str],
                          registry: Any, by: str | None = None, field: str | None = None,
                          population: str | None = "all", check_note: Callable[[Path], str | None] | None = None,
                          **options: Any) -> MetricResult:
    """One metric over the folder on ``engine`` (bad arguments fail before any file is read)."""
    check_folder_metric(name, by, field, options)
    with FolderCensus(folder, engine=engine, row_select=row_select, registry=registry,
                      check_note=check_note) as census:
        return census.metric(name, by=by, field=field, population=population, **options)


def _curated_sizes(path: Any) -> pa.Table:
    """``-o parameters=PATH`` (model_id,total_params_b; e.g. ATOM's model_parameters.csv) as the store path reads
    it, or an empty table: the size rule then uses the Hub's parameter count, else the name."""
    return read_option_csv(path, **PARAMETERS_CSV) if path else EMPTY_SIZES.empty_table()


def _field_name(params: dict[str, Any]) -> str:
    """The store's name of the downloads field the folder's queries read (``params["field"]``, a FIELDS column)."""
    return next(name for name, column in FIELDS.items() if column == params["field"])


def _rows(area: Any, engine: Engine, name: str, key: str, params: dict[str, Any], ks: list[int]
          ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """The metric table's rows in the store path's order, its columns and notes."""
    def read(sql: str) -> list[dict[str, Any]]:
        return grp_as(area.query(to_dialect(sql, engine.dialect)).to_pylist(), key)

    fname = _field_name(params)
    if name == "downloads":
        rows = read("SELECT * FROM metric_downloads ORDER BY round(downloads, 6) DESC, grp NULLS LAST")
        missing = area.query(to_dialect(
            f"SELECT sum(CASE WHEN {params['field']} IS NULL THEN 1 ELSE 0 END) AS missing, count(*) AS n "
            f"FROM snapshot_models WHERE snapshot_id = {int(params['snapshot'])}", engine.dialect)).to_pylist()[0]
        return rows, [key, "downloads", "models", "share"], downloads_notes(
            fname, int(missing["missing"] or 0), int(missing["n"]), bool(rows))
    if name == "new_models":
        rows = read("SELECT * FROM metric_new_models ORDER BY month NULLS LAST, round(models, 6) DESC, grp NULLS LAST")
        return rows, ["month", key, "models", "share"], [
            "new models = repos by their createdAt month in the latest snapshot (repos deleted before it are not "
            "counted); share = the group's share of the month"]
    if name == "downloads_cumulative":
        rows = read("SELECT * FROM metric_downloads_cumulative ORDER BY k, round(downloads, 6) DESC, grp NULLS LAST")
        return rows, ["snapshot", "observed_at", key, "downloads", "models", "share"], [QUIRKS]
    rows = read("SELECT * FROM metric_concentration ORDER BY observed_at, snapshot")
    add_ranks(rows, read("SELECT snapshot_id, k_desc, cum_share FROM concentration_ranks ORDER BY snapshot_id, "
                         "k_desc"), key, ks)
    cols = ["snapshot", "observed_at", "unit", "groups", "total", "hhi", "gini", *(f"cr{kk}" for kk in ks),
            "unknown_share"]
    return rows, cols, concentration_notes(key, fname, bool(params["include_unknown"]))


def _coverage(used: list[Snapshot], series: bool, trend: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The store path's coverage block for full snapshots and population all (metrics.coverage)."""
    counts = [s.row_count for s in used]
    cov: dict[str, Any] = {
        "models": max(counts, default=0) if series else sum(counts),
        "snapshots": [s.id for s in used],
        "scopes": scope_counts(used),
        "full_backbone": True,
        "per_snapshot": [{"snapshot": s.id, "observed_at": s.as_dict()["observed_at"], "scope": s.scope,
                          "models": s.row_count} for s in used],
    }
    if series and len(used) > 1:
        cov["note"] = "a series: models = the largest number of models in one snapshot of it"
    present = [s for s in used if s.row_count]
    cov["observed"] = ({"oldest": present[0].as_dict()["observed_at"], "newest": present[-1].as_dict()["observed_at"]}
                       if present else {})
    cov["population"] = {"name": "all", "kind": "built-in"}
    warnings = []
    if not sum(counts):
        warnings.append({"code": "no_models", "message": NO_MODELS})
    if trend is not None and not trend.comparable and trend.code not in ("single_point", "no_points"):
        warnings.append({"code": "no_trend", "message": trend.reason})
    return cov, warnings


__all__ = ["SLICE_METRICS", "FolderCensus", "compute_folder_metric", "file_rows_sql", "query_files",
           "sql_folder", "staged_columns"]
