"""What a metric is computed over: snapshot(s), population, lineage, and the per-model credit table.

Everything here is set-based: the selected models are the TEMP view ``mc_m`` and the credit split
among groups the TEMP view ``mc_credit(snapshot_id, model_id, grp, w)``; metrics aggregate those in
SQL. Views, not tables: DuckDB folds them into each metric's query, so a one-snapshot metric is
one pass over ``models`` (joined to ``origins`` when its key reads them) and unused columns (e.g. the size
regexes) cost nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from modelcensus.dates import parse_when
from modelcensus.errors import InputError
from modelcensus.metrics.census import (
    DEFAULT_MAX_AGE_DAYS,
    Census,
    census_models_sql,
    looks_like_date,
    parse_as_of,
    plan_census,
    select_snapshots,
)
from modelcensus.metrics.groups import GroupKey
from modelcensus.metrics.option_files import load_option_csv, option_path
from modelcensus.metrics.population import check_population, population_ids_sql, population_sql
from modelcensus.metrics.queries import ours, query_files, store_engine, store_value, with_inputs
from modelcensus.metrics.sizes import load_curated_sizes, size_b_sql, size_class_sql
from modelcensus.store import Snapshot, Store
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.sql import sql_literal

# Work shared by several metric calls on one connection (see shared_work): store id -> state.
_SHARED: dict[int, dict[str, Any]] = {}

# origins columns a shared credit base carries; key expressions that read only these (and the model
# columns below) are served from it. Others (size_class, relation, ATOM regions) build their own view.
_BASE_O = ("root_country", "publisher_country", "root_org", "publisher_org", "family", "root_org_type",
           "publisher_org_type")
_BASE_M = ("namespace", "license", "d30", "dall")


@contextmanager
def shared_work(store: Store) -> Iterator[None]:
    """Let the metric calls inside this block reuse each other's TEMP tables, then drop them.

    A report asks for a dozen metrics over the same snapshots and population; the download panel
    (levels and flows per model and snapshot) and the models x origins credit base are the bulk of
    each call's work, and do not depend on the grouping key. Inside this block they are built once
    per (snapshots, population, since) and kept until the block ends; outside it every call builds
    and drops its own, as before. The numbers are the same either way (tests check it).
    """
    key = id(store)
    if key in _SHARED:  # nested: the outer block owns the tables
        yield
        return
    _SHARED[key] = {"keep": set(), "sigs": {}}
    try:
        yield
    finally:
        state = _SHARED.pop(key)
        engine = store_engine(store)
        for name in state["keep"]:
            engine.drop(name)


def forget_shared(store: Store, state: dict[str, Any], *names: str) -> None:
    """Drop ``names`` and take them out of a shared_work block's kept tables and signatures: they are about to be
    replaced (a failure before the new ones are kept must neither leave a stale signature nor leak the old
    table past the block: review16 R16-4, review17 R17-5), or a call that cannot share makes its own."""
    engine = store_engine(store)
    for name in names:
        state["sigs"].pop(name, None)
        state["keep"].discard(name)
        engine.drop(name)


def lineage_stamp(scope: Scope) -> str:
    """When and with which registry the lineage of the scope's snapshots was built: part of the signature of a
    kept table that reads origins, so lineage (re)built by anything inside a block (a report's own build, the
    lineage API) is never read through rows kept before it (review17 R17-2)."""
    stamp = store_value(scope.store,
        "SELECT string_agg(snapshot_id || ':' || coalesce(registry_version, '') || ':' || built_at, ',' "
        f"ORDER BY snapshot_id) FROM lineage_builds WHERE snapshot_id IN ({scope.sid_list})")
    return f" -- lineage {stamp or ''}"


def shareable_key(key: Any) -> bool:
    """Whether a grouping key reads only the columns a shared table's signature covers (origins attributes and
    the model columns of ``mc_m``). Keys that read a table loaded from an option file (size_class from
    ``-o parameters=``, the ATOM region keys from ``-o regions=``) are not: the SQL that names the table says
    nothing of the file's rows (review16 R16-1)."""
    cols = re.findall(r"\b([a-z]+)\.([a-z_0-9]+)", key.expr)
    return bool(cols) and all((t, c) in {*(("o", x) for x in _BASE_O), *(("m", x) for x in _BASE_M)}
                              for t, c in cols)


def shared_state(scope: Scope) -> dict[str, Any] | None:
    """This store's shared-work state, or None outside :func:`shared_work`."""
    return _SHARED.get(id(scope.store))


def parse_date(value: Any, what: str = "--since") -> datetime | None:
    """A date/datetime/ISO text (``YYYY-MM`` too) -> aware datetime (UTC), or InputError naming the input."""
    return parse_when(value, what, month_ok=True, future_slack=None, min_year=1900)


def resolve_registry(registry: Any) -> Any:
    """The registry passed in, else the package registry; None when the lineage stage is not installed."""
    if registry is not None:
        return registry
    try:
        from modelcensus.lineage.registry import load_registry
    except ImportError:
        return None
    return load_registry()


@dataclass
class Scope:
    """The snapshots, population and options one metric call works on."""

    store: Store
    snapshots: list[Snapshot]
    population: str
    since: datetime | None
    registry: Any
    notes: list[str] = field(default_factory=list)
    curated_sizes: str | None = None
    built: set[str] = field(default_factory=set)
    models_sql: str = ""  # the SELECT behind mc_m: the signature of work shared across calls
    census: Census | None = None  # set for a census as of a date (docs/census.md)
    pipeline_tags: tuple[str, ...] = ()  # --pipeline-tag filters (any of them)
    libraries: tuple[str, ...] = ()  # --library filters (any of them)
    census_sql: str = ""  # the census's models SELECT, built once per scope
    _engine: DuckDBEngine | None = field(default=None, repr=False, compare=False)

    @property
    def sids(self) -> list[int]:
        return [s.id for s in self.snapshots]

    @property
    def sid_list(self) -> str:
        return ", ".join(str(s) for s in self.sids)

    @property
    def synthetic(self) -> bool:
        return any(s.synthetic for s in self.snapshots)

    def snapshot_dicts(self) -> list[dict[str, Any]]:
        return [s.as_dict() for s in self.snapshots]

    @property
    def engine(self) -> DuckDBEngine:
        """The engine seam on the store's connection: every statement of a metric goes through it."""
        if self._engine is None:
            self._engine = store_engine(self.store)
        return self._engine

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """The rows of one read (values spliced as literals, as the query files' parameters are)."""
        rows: list[dict[str, Any]] = self._ours(self.engine.query, sql).to_pylist()
        return rows

    def view(self, name: str, sql: str) -> None:
        """TEMP view ``name``: folded into each query that reads it (see the module docstring)."""
        self._ours(self.engine.define_view, name, sql)

    def table(self, name: str, sql: str) -> None:
        """TEMP table ``name``, computed now (read by several queries, or too costly to fold in again)."""
        self._ours(self.engine.materialise, name, sql)

    def drop(self, name: str) -> None:
        self.engine.drop(name)

    @staticmethod
    def _ours(call: Callable[..., Any], *args: Any) -> Any:
        """The engine names every DuckDB error as bad input; these statements are ours (the user's values are
        checked before they reach them), so a failure is a StoreReadError: exit 3, not 2 (queries.ours)."""
        with ours():
            return call(*args)


def _lineage_builder() -> Callable[..., dict[str, Any]] | None:
    """The lineage stage's ``ensure_built``, or None when that stage is not installed."""
    try:
        from modelcensus.lineage.build import ensure_built
    except ImportError:
        return None
    return ensure_built


def ensure_lineage_for(scope: Scope, ensure: bool) -> None:
    """Build origins/edges for every snapshot used (via the lineage stage), or say they are missing."""
    # (a shared_work block's tables that read origins are signed by the lineage build: lineage_stamp)
    ensure_fn = _lineage_builder() if ensure and scope.registry is not None else None
    missing = []
    current: dict[int, bool] = {}
    if ensure_fn is not None and len(scope.snapshots) > 1:
        # a census or series reads many snapshots: check the first through the lineage stage, then accept
        # the others in one look-up when their build has the same registry/rules version and row count
        first = scope.snapshots[0]
        first_built = bool(ensure_fn(scope.store, first, scope.registry).get("models"))
        builds = {int(r["snapshot_id"]): (r["registry_version"], json.loads(r["stats"]) if r["stats"] else {})
                  for r in scope.rows("SELECT snapshot_id, registry_version, stats FROM lineage_builds "
                                      f"WHERE snapshot_id IN ({scope.sid_list})")}
        version = builds.get(first.id, (None, {}))[0]
        current = {s.id: first_built if s.id == first.id else
                   (version is not None and builds.get(s.id, (None, {}))[0] == version
                    and builds[s.id][1].get("models") == s.row_count)
                   for s in scope.snapshots}
    for s in scope.snapshots:
        if not s.row_count:
            continue  # a snapshot of no model lacks no attribute (review22 R22-4)
        if current.get(s.id):
            stats = {"models": 1}
        else:
            stats = ensure_fn(scope.store, s, scope.registry) if ensure_fn is not None else {}
        if stats.get("models"):
            continue  # built with this registry: its origins are there
        if not scope.rows(f"SELECT 1 AS one FROM origins WHERE snapshot_id = {int(s.id)} LIMIT 1"):
            missing.append(s.id)
    if missing:
        scope.notes.append(f"no lineage (origins) for snapshot(s) {', '.join(map(str, missing))}: root and "
                           "publisher attributes are unknown there")


def make_scope(store: Store, *, snapshot: Any = None, snapshots: Any = None, since: Any = None,
               population: str | None = "all", registry: Any = None, series: bool = False,
               source: str | None = None, ensure: bool = True, parameters: str | Path | None = None,
               as_of: Any = None, max_age: Any = DEFAULT_MAX_AGE_DAYS, pipeline_tags: Any = None,
               libraries: Any = None, lineage: bool = True) -> Scope:
    """Resolve everything a metric needs before any SQL runs (bad input fails here, naming it).

    ``as_of`` (or a date given as ``snapshot``) makes the scope a census as of that date (one point);
    ``pipeline_tags`` / ``libraries`` keep models whose pipeline tag / library is one of those given.
    ``lineage=False``: the metric reads only ``models`` (``metrics.reads_lineage``: sizes, or a metric that
    reads lineage only through its key, grouped by a key over the models row), so no snapshot's lineage is
    built or checked for it."""
    pop = check_population(store, population)
    since_dt = parse_date(since)
    tags, libs = _filter_values(pipeline_tags, "--pipeline-tag"), _filter_values(libraries, "--library")
    if as_of is not None and snapshot is not None:
        raise InputError(f"--as-of {as_of} and --snapshot {snapshot}: give one (a census as of a date, or one "
                         "snapshot)")
    what = "--as-of"
    if as_of is None and looks_like_date(snapshot):
        as_of, snapshot, what = snapshot, None, "--snapshot"
    census = None
    if as_of is not None:
        if series or snapshots:
            raise InputError("--as-of/--snapshot DATE builds one census; series metrics and -o snapshots= "
                             "take snapshot ids (see docs/census.md for monthly as-of points)")
        when = parse_as_of(as_of, what)
        census = plan_census(store, when, max_age)
        snaps = census.snapshots
    else:
        snaps = select_snapshots(store, snapshot=snapshot, snapshots=snapshots, since=since_dt, series=series,
                                 source=source)
    scope = Scope(store, snaps, pop, since_dt, resolve_registry(registry) if ensure else registry,
                  census=census, pipeline_tags=tags, libraries=libs)
    scope.curated_sizes = load_curated_sizes(store, option_path(parameters, "parameters"))
    if lineage:
        ensure_lineage_for(scope, ensure)
    return scope


def build_models(scope: Scope, *, created_since: bool = False, table: str = "mc_m",
                 population: str | None = None) -> None:
    """TEMP table of the population's models in the scope's snapshots, with size and namespace."""
    pop = scope.population if population is None else population
    cur = "c.total_params_b" if scope.curated_sizes else None
    join = f"LEFT JOIN {scope.curated_sizes} c ON c.id_lower = m.id_lower" if scope.curated_sizes else ""
    since = ""
    if created_since and scope.since is not None:
        since = f"AND m.created_at >= TIMESTAMPTZ '{scope.since.isoformat()}'"
    size_b = size_b_sql("m", cur)
    if scope.census is not None and not scope.census_sql:
        scope.census_sql = census_models_sql(scope.store, scope.census)
    source = f"({scope.census_sql})" if scope.census is not None else "models"
    keep = f"m.snapshot_id IN ({scope.sid_list})" if scope.census is None else "TRUE"
    if scope.pipeline_tags:
        keep += f" AND m.pipeline_tag IN ({', '.join(map(sql_literal, scope.pipeline_tags))})"
    if scope.libraries:
        keep += f" AND m.library_name IN ({', '.join(map(sql_literal, scope.libraries))})"
    # a plain subquery (not LATERAL) so DuckDB prunes the size regexes when a metric does not read them
    select = f"""
        SELECT *, {size_class_sql('size_b')} AS size_class FROM (
          SELECT m.snapshot_id, m.id AS model_id, m.id_lower,
                 CASE WHEN contains(m.id, '/') THEN split_part(m.id, '/', 1) ELSE m.id END AS namespace,
                 m.created_at, m.downloads_30d AS d30, m.downloads_all_time AS dall,
                 m.pipeline_tag, m.license, m.params, {size_b} AS size_b
          FROM {source} m {join}
          WHERE {keep} AND {population_sql(pop, 'm')} {since})
    """
    scope.view(table, select)
    if table == "mc_m":
        scope.models_sql = " ".join(select.split()) + _population_stamp(scope, pop)


def _population_stamp(scope: Scope, pop: str) -> str:
    """For a curated population, its members as a digest: ``models_sql`` signs the tables shared_work keeps,
    and its text names the list, not what the list holds (review16 R16-3: a list re-imported inside a block
    reused the rows of the old one)."""
    ids = population_ids_sql(pop)
    if ids is None or shared_state(scope) is None:  # outside a block nothing reads the signature
        return ""
    row = scope.rows(f"SELECT count(*) AS n, md5(coalesce(string_agg(id_lower, ',' ORDER BY id_lower), '')) AS h "
                     f"FROM ({ids}) p")[0]
    return f" -- population {row['n']} {row['h']}"


def _filter_values(values: Any, what: str) -> tuple[str, ...]:
    """Repeatable text filters: a string (comma-separated) or a list; each value 1-100 printable chars."""
    if not values:
        return ()
    items = values if isinstance(values, list | tuple) else str(values).split(",")
    out = []
    for v in items:
        text = str(v).strip()
        if not text or len(text) > 100 or not text.isprintable():
            raise InputError(f"{what} {str(v)[:40]!r}: expected a name such as text-generation or transformers")
        out.append(text)
    return tuple(dict.fromkeys(out))


def build_relations(scope: Scope, table: str = "mc_rel") -> None:
    """Per child: its relation to its parent(s), 'merge' when several parents.

    Parents are compared as stored: the lineage stage keeps one spelling per parent (min/max is much
    cheaper than a distinct count over millions of edges)."""
    if table in scope.built:
        return
    # the query file --snapshots runs too (metrics/sql/model_relations.sql), over the store's edges
    sql = with_inputs(query_files()["model_relations"].text("duckdb"), {"snapshot_edges": (
        "SELECT snapshot_id, child_id, parent_id, relation, structural FROM edges "
        f"WHERE snapshot_id IN ({scope.sid_list})")})
    state = shared_state(scope)
    if state is None:
        scope.table(table, sql)
    else:  # inside shared_work (the report's two derivative shares): made once per snapshots and lineage build
        kept = "mc_rel_" + hashlib.sha1((sql + lineage_stamp(scope)).encode()).hexdigest()[:12]
        if kept not in state["keep"]:
            scope.table(kept, sql)
            state["keep"].add(kept)
        scope.view(table, f"SELECT * FROM {kept}")
    scope.built.add(table)


# ATOM's organization_regions.csv as every path reads it: exact, case-sensitive namespace -> region
REGIONS_CSV: dict[str, Any] = {
    "what": "regions file", "needs": "hf_org,region", "comments": False, "unique": "namespace",
    "select": "SELECT CAST(hf_org AS VARCHAR) AS namespace, lower(trim(CAST(region AS VARCHAR))) AS region "
              "FROM {src} WHERE hf_org IS NOT NULL"}
REGIONS_NEEDED = ("needs the option regions=PATH (ATOM's organization_regions.csv)")


def load_namespace_regions(scope: Scope, path: str | Path | None, table: str = "mc_nsregion") -> None:
    """ATOM's ``organization_regions.csv`` (hf_org,region): exact, case-sensitive namespace -> region."""
    if table in scope.built:
        return
    if not path:
        raise InputError(f"--by namespace_region/root_namespace_region {REGIONS_NEEDED}")
    load_option_csv(scope.store, table, path, **REGIONS_CSV)
    scope.built.add(table)


def key_joins(scope: Scope, key: GroupKey, regions: str | Path | None = None) -> str:
    """Extra joins a key's SQL needs beside ``m`` and ``o`` (building their TEMP tables)."""
    if key.name == "relation":
        build_relations(scope)
        return " LEFT JOIN mc_rel r ON r.snapshot_id = m.snapshot_id AND r.model_id = m.model_id"
    if key.name == "namespace_region":
        load_namespace_regions(scope, regions)
        return " LEFT JOIN mc_nsregion nr ON nr.namespace = m.namespace"
    if key.name == "root_namespace_region":
        load_namespace_regions(scope, regions)
        return (" LEFT JOIN mc_nsregion rnr ON rnr.namespace = "
                "split_part(coalesce(o.root_id, m.model_id), '/', 1)")
    return ""


def build_credit(scope: Scope, key: GroupKey, *, models: str = "mc_m", table: str = "mc_credit",
                 regions: str | Path | None = None, where: str | None = None, aggregate: bool = False,
                 carry: tuple[str, ...] = ()) -> None:
    """TEMP view (snapshot_id, model_id, grp, w): each model's credit per group; w sums to 1 per model.

    One origins row per (model, root) carries that root's weight; model-level keys that read origins
    (publisher_country, relation, ...) read the same value on every row, so their weights still sum to 1. A key
    over the models row alone (``GroupKey.reads_lineage`` false) joins no origins: one row of weight 1 per model.
    ``where`` filters origins rows (e.g. roots in a list),
    which leaves a model only the credit of the roots that pass. A model may have several rows for one
    group (two roots in one country): every consumer sums ``w``, so the rows are only merged per
    (model, group) when ``aggregate`` asks for it — grouping 2.2M string keys costs more than the metric.
    ``carry`` names ``models`` columns (e.g. the download fields) to pass through, so a metric that only
    needs them reads the credit view alone instead of joining it back to the models on string keys.
    """
    extra = "".join(f", m.{c}" for c in carry)
    expr = _shared_expr(scope, key) if (models == "mc_m" and where is None and not aggregate
                                        and set(carry) <= set(_BASE_M)) else None
    if expr is not None:
        base = _credit_base(scope)
        scope.view(table, f"""
            SELECT w.snapshot_id, w.model_id{extra.replace('m.', 'w.')}, {expr} AS grp, w.w FROM {base} w""")
        return
    # a key over the models row alone gives each model one row of weight 1 (what its origins rows sum to), so
    # it reads no origins: the metric needs no lineage build (unless ``where`` filters on origins)
    by_origins = key.reads_lineage or where is not None
    weight = "coalesce(o.weight, CAST(1 AS DOUBLE))" if by_origins else "CAST(1 AS DOUBLE)"  # not DECIMAL(2,1)
    joins = "LEFT JOIN origins o ON o.snapshot_id = m.snapshot_id AND o.model_id = m.model_id " if by_origins \
        else ""
    joins += key_joins(scope, key, regions)
    scope.view(table, f"""
        SELECT m.snapshot_id, m.model_id{extra}, {key.expr} AS grp,
               {f'fsum({weight})' if aggregate else weight} AS w
        FROM {models} m {joins}
        {'WHERE ' + where if where else ''}
        {'GROUP BY ALL' if aggregate else ''}
    """)


def _shared_expr(scope: Scope, key: GroupKey) -> str | None:
    """The key's expression over the shared credit base (alias ``w``), or None when it needs more."""
    # a key over the models row alone joins no origins, in a shared block as outside one (review20 R20-3)
    if shared_state(scope) is None or not scope.models_sql or not key.reads_lineage or not shareable_key(key):
        return None
    return re.sub(r"\b[om]\.", "w.", key.expr)


def _credit_base(scope: Scope) -> str:
    """TEMP table: models x origins once per (snapshots, population, since), every key column on it."""
    state = shared_state(scope)
    assert state is not None
    name = "mc_cb_" + hashlib.sha1((scope.models_sql + lineage_stamp(scope)).encode()).hexdigest()[:12]
    if name not in state["keep"]:
        ocols = ", ".join(f"o.{c}" for c in _BASE_O)
        mcols = ", ".join(f"m.{c}" for c in _BASE_M)
        scope.table(name, f"""
            SELECT m.snapshot_id, m.model_id, {mcols}, {ocols}, coalesce(o.weight, 1.0) AS w
            FROM mc_m m LEFT JOIN origins o ON o.snapshot_id = m.snapshot_id AND o.model_id = m.model_id
        """)
        state["keep"].add(name)
    return name


def drop_temps(scope: Scope) -> None:
    """Drop this module's TEMP views and tables so a long-lived connection does not keep them."""
    state = shared_state(scope)
    keep = state["keep"] if state is not None else set()
    for kind, name in scope.engine.temporary_names("mc_"):
        if kind == "VIEW" or name not in keep:
            scope.drop(name)
    scope.built.clear()
    scope.census_sql = ""
