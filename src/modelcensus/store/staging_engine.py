"""The store's ``models`` and ``declarations`` rows made on any engine from staged rows (issue 12).

The DuckDB importer writes these rows into a store with the query files of ``store/sql/staging`` (wrapped in
``INSERT INTO``, see :mod:`modelcensus.store.staging`); here the same files make them as named tables on an
:class:`~modelcensus.store.engine.Engine`, so ``lineage build --snapshots DIR --engine spark`` can read a folder
of hub-stats files without a store. Column names and order are the store's (migrations 001/004); on Spark the
JSON columns (``config``, ``gguf``, ``card_data``) are the source's JSON text as STRING and timestamps are
Spark's TIMESTAMP (an instant, as TIMESTAMPTZ).
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.store.engine import Engine, check_name, scratch
from modelcensus.store.sql_files import Fragment
from modelcensus.store.staging import staging_files

__all__ = ["make_store_rows"]


def make_store_rows(engine: Engine, staged: str, snapshot_id: int, *, models: str = "models",
                    declarations: str = "declarations") -> dict[str, Any]:
    """Materialise ``models`` and ``declarations`` on ``engine`` from the registered relation ``staged`` (the
    staging layout: ``staging.STAGING_COLUMNS``, e.g. hub-stats' ``staging_select`` over one file, with a
    unique ``_pos``) for snapshot ``snapshot_id``; returns the row counts and the rejected rows per reason.

    The steps are those of the DuckDB import: the rules, the first accepted occurrence of an id, the models
    rows, the Hub's declarations (from staging) and the card's and tags' (from the models rows)."""
    if isinstance(snapshot_id, bool) or not isinstance(snapshot_id, int) or snapshot_id < 0:
        raise InputError(f"snapshot id {snapshot_id!r}: expected a whole number >= 0")
    files = staging_files()
    sid = {"sid": snapshot_id}
    with scratch(engine) as area:
        files.make(area, "staged_rows", {"staged": check_name(staged)})
        repeated = Fragment("(" + files.text("repeated_rows", "duckdb") + ")")  # small: transpiled in place
        files.make(area, "accepted_rows", {"repeated": repeated})
        files.make(engine, "model_rows", {**sid, "accepted": "_accepted_rows"}, name=check_name(models))
        files.make(area, "hub_declaration_rows", {**sid, "accepted": "_accepted_rows"})
        files.make(area, "declaration_rows", {**sid, "models": Fragment(models)})
        files.make(engine, "declarations", name=check_name(declarations))
        rejected = engine.query("SELECT _reason AS reason, count(*) AS n FROM _staged_rows "
                                "WHERE _reason IS NOT NULL GROUP BY _reason ORDER BY _reason").to_pylist()
    counts = engine.query(f"SELECT (SELECT count(*) FROM {models}) AS models, "
                          f"(SELECT count(*) FROM {declarations}) AS declarations").to_pylist()[0]
    return {**counts, "rejected": {r["reason"]: r["n"] for r in rejected}}
