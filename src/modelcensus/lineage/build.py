"""Build the ``edges`` and ``origins`` tables of one snapshot, once per registry version.

Everything here is set-based: edges (``edges.py``) and roots (``roots.py``) are SQL over the
whole snapshot; this module wires them together and adds publisher/root/teacher attribution from
the registry tables. Its own steps are query files in ``lineage/sql/lineage_build`` run through the engine
seam; they end in two finished tables (``_lin_edges_out``, ``_lin_origins_out``) that
``store.lineage_tables.replace_lineage`` swaps into the store in one transaction (the build itself runs outside
it: see ``ensure_built``).
"""

from __future__ import annotations

from contextlib import suppress
from functools import cache
from importlib.resources import files as package_files
from typing import Any

from modelcensus.lineage.edges import build_edges
from modelcensus.lineage.grades import GRADES, grade_name_sql, grade_rank_sql
from modelcensus.lineage.registry import Registry
from modelcensus.lineage.roots import resolve_roots
from modelcensus.lineage.stated import stated_digest
from modelcensus.lineage.teachers import CONTRADICTED_TEACHER, teachers_digest
from modelcensus.store import Store
from modelcensus.store.engine import Engine, Scratch, scratch
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.lineage_tables import (
    drop_lookup_indexes_for_rebuild,
    drop_lookup_indexes_past_budget,
    drop_temp_tables,
    lineage_build_row,
    release_index_memory,
    replace_lineage,
    restore_lookup_indexes,
)
from modelcensus.store.lookups import LOOKUP_FORMS
from modelcensus.store.sql_files import Fragment, Literal, QueryFolder, area_dialect
from modelcensus.store.store import Snapshot

# Bumped whenever the build's rules change, so stores built by older code are rebuilt (stored after the
# registry version in lineage_builds.registry_version: "<registry version>~lineage<N>").
# The teacher list is part of the rules: editing data/teachers.yaml rebuilds lineage too.
BUILD_RULES = "5"  # 5: a contradicted Hub-tag or GGUF declaration's teacher edge keeps its grade (review22 R22-6)
_SUFFIX = f"~lineage{BUILD_RULES}.{teachers_digest()}.{stated_digest()}"


def rules_stamp(registry: Registry) -> str:
    """What a build depends on besides its input: the registry version and the rules (code, teacher and stated
    lists). Two builds with the same stamp over the same rows give the same edges and origins."""
    return registry.version + _SUFFIX
WEAKEST = len(GRADES) - 1
EDGES_OUT, ORIGINS_OUT = "_lin_edges_out", "_lin_origins_out"


@cache
def build_files() -> QueryFolder:
    """The build's query files (``lineage/sql/lineage_build``) with the values the build runs them with."""
    return QueryFolder(package_files("modelcensus.lineage") / "sql" / "lineage_build",
                       params={"grade_rank": Fragment(grade_rank_sql("e.grade")),
                               "grade_name": Fragment(grade_name_sql("r.g")), "weakest": WEAKEST,
                               "contradicted": Literal(CONTRADICTED_TEACHER)})


def built_version(store: Store, snapshot_id: int) -> tuple[str | None, int] | None:
    """(registry version, model count) the snapshot's lineage was built with, or None if never built.

    A build by older rules reports its raw stored version, which matches no registry version."""
    built = lineage_build_row(store, snapshot_id)
    if built is None:
        return None
    raw = built.registry_version
    version = raw[: -len(_SUFFIX)] if raw and raw.endswith(_SUFFIX) else raw
    return version, int(built.stats.get("models", -1))


def ensure_lineage(store: Store, snapshot_id: int, registry: Registry, *, force: bool = False) -> dict[str, Any]:
    """Fill ``edges`` and ``origins`` for ``snapshot_id`` unless already built with this registry version
    (and the snapshot still has the row count it had then).

    Returns the build statistics (``built`` says whether this call built them). The store's tables change in
    one transaction, the swap: a failure leaves the previous build (or none) in place.
    """
    return ensure_built(store, store.snapshot(snapshot_id), registry, force=force)


def ensure_built(store: Store, snap: Snapshot, registry: Registry, *, force: bool = False) -> dict[str, Any]:
    """``ensure_lineage`` for a snapshot already looked up: one read of its ``lineage_builds`` row when built."""
    built = lineage_build_row(store, snap.id)
    stats = built.stats if built else {}
    # same registry and same rows (a partial crawl snapshot may have grown since): nothing to do
    if built and built.registry_version == registry.version + _SUFFIX and stats.get("models") == snap.row_count \
            and not force:
        if not store.read_only:  # a rebuild killed after dropping them (no except ran) left none behind
            restore_lookup_indexes(store)
            _drop_build_tables(store)  # and a clean-up interrupted after a committed build left its tables
        return {**stats, "built": False}
    # The build's TEMP tables are made with no transaction open: DuckDB frees a dropped table's memory only when
    # the transaction that dropped it ends, so inside one every intermediate stayed until the commit (at 2.2M
    # models 2.7 GiB in memory and 1.7 GiB spilled to disk by the edge step). All-or-nothing still holds: the
    # store's tables change only in the swap. A caller's open transaction would hold the intermediates again and
    # fail only at the swap, after the whole build: the empty transaction here fails at once instead, as before (and
    # on a read-only store it raises ReadOnlyStoreError before any work).
    # The build reads the store in several statements, so it assumes no other writer while it runs.
    with store.transaction():
        pass
    # a rebuild deletes the snapshot's old rows: with the look-up indexes on, its commit took a minute at 1M
    drop_lookup_indexes_for_rebuild(store, snap.id)
    try:
        stats = build_tables(DuckDBEngine.from_store(store), snap.id, registry)
        # a store grown past what its indexes may take of memory_limit loses them before the swap: its INSERT
        # would bring them into memory (a FATAL out-of-memory in the COMMIT at 103.6M rows under 3 GiB)
        drop_lookup_indexes_past_budget(store, EDGES_OUT, ORIGINS_OUT)
        with store.transaction():
            replace_lineage(store, snap.id, EDGES_OUT, ORIGINS_OUT, registry.version + _SUFFIX, stats)
    except BaseException:
        _drop_build_tables(store)  # best effort: the build's own error is the one the caller gets
        restore_lookup_indexes(store)
        raise
    finally:  # the indexes may be gone or back: the store's look-up form is chosen again on its next look-up
        LOOKUP_FORMS.pop(store, None)
    _drop_build_tables(store)  # committed: a failed clean-up is not the build's (the next ensure finishes it)
    # after the commit, or the commit takes the deleted rows out of them; the build is committed by now, so a
    # failure here is not the build's (the next ensure_lineage makes them again)
    restore_lookup_indexes(store)
    release_index_memory(store)  # or the next build in this process runs with the indexes in memory
    return {**stats, "built": True}


def _drop_build_tables(store: Store) -> None:
    """The build's own tables (``_lin_m``, ``_lin_edges_out``, ...), best effort: the store's connection stays small
    for what runs next (the registry's ``reg_*`` tables stay, as the metrics that read them expect)."""
    with suppress(Exception):
        drop_temp_tables(store, "_lin_", "_rt_")


# tables one step of build_tables keeps for a later one (the outputs EDGES_OUT and ORIGINS_OUT are the caller's)
_HANDED_ON = ("_lin_m", "_lin_problems", "_lin_fam_names", "_lin_roots", "_lin_roots_cycle_edges", "_lin_teacher")


def build_tables(engine: Engine, sid: int, registry: Registry) -> dict[str, Any]:
    """``_lin_edges_out`` and ``_lin_origins_out`` on ``engine`` from its ``models`` and ``declarations`` rows
    of snapshot ``sid`` (a store's tables, or any engine's tables of the same columns: Spark runs the same
    files); returns the build statistics. Everything else the build makes lives in scratch areas, gone when
    it returns."""
    registry.register(engine)
    try:
        edge_stats = build_edges(engine, sid, registry)
        files = build_files()
        with scratch(engine) as area:
            files.make(area, "edges_spelled")
            files.make(area, "key")
            files.make(area, "key_edges")
            area.drop("_lin_edges")
            root_stats = resolve_roots(engine, "_lin_ek", "_lin_roots")
            # an edge the walk dropped to break a cycle is marked on the edge itself (not followed)
            files.make(area, "edges_out")
            area.keep(EDGES_OUT)
            _teachers(engine)
            _origins(engine)
            return _stats(area, sid, edge_stats, root_stats.as_dict())
    finally:  # the tables the steps hand each other, not left on the engine (a Spark session kept them cached
        # through the collects of the two outputs: review21 R21-7); best effort, the build's error comes first
        for name in _HANDED_ON:
            with suppress(Exception):
                engine.drop(name)


def _teachers(engine: Engine) -> None:
    """``_lin_teacher(model_id, teacher_id, evidence)``: the nearest distillation teacher.

    A model's own teacher edge wins; otherwise the teacher of the nearest structural ancestor
    that has one (the root walk again, stopped at models that name a teacher).
    """
    files = build_files()
    with scratch(engine) as area:
        files.make(area, "own_teacher")
        if not area.query("SELECT count(*) FROM _lin_own_teacher").column(0)[0].as_py():
            files.make(area, "teacher_own")
        else:
            files.make(area, "teacher_edges")
            resolve_roots(area.engine, "_lin_tk", "_lin_troots")
            files.make(area, "teacher")
            area.drop("_lin_troots", "_lin_troots_cycle_edges")
        area.keep("_lin_teacher")


def _origins(engine: Engine) -> None:
    """``_lin_origins_out``: one row per (model, root), with publisher, root, teacher and problems, in the
    store's ``origins`` columns (the store adds the snapshot id on writing)."""
    files = build_files()
    with scratch(engine) as area:
        for stem in ("roots_named", "cycle_nodes", "namespaces", "who", "root_family", "origins_out"):
            files.make(area, stem)
        area.keep(ORIGINS_OUT)


def _stats(area: Scratch, sid: int, edge_stats: dict[str, Any], root_stats: dict[str, Any]) -> dict[str, Any]:
    """Counts and coverage: what share of models and of 30-day downloads has a resolved root country."""
    row = area.query(build_files().text("stats", area_dialect(area), {"sid": int(sid)})).to_pylist()[0]
    models, dl_total = row["models"], row["dl_total"]
    return {
        "snapshot_id": sid, "models": models, "models_with_parent": row["with_parent"],
        "edges": edge_stats, "roots": root_stats,
        "coverage": {
            "root_country_models": (row["root_cov"] or 0) / models if models else None,
            "root_country_downloads_30d": (row["dl_cov"] or 0) / dl_total if dl_total else None,
            "publisher_country_models": row["pub_cov"] / models if models else None,
        },
        "problems": {k: row[k] for k in ("missing_parent", "cycle", "ambiguous_signature", "invalid_declaration",
                                         "declared_base_contradicts_config")},
    }
