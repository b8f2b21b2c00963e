"""The two figures only the report asks for, from query files (``metrics/sql/report_*.sql``) on the engine seam.

Per-model share changes between two census points (the report's movers) and the evidence-grade shares of a
snapshot's origins. They were ad-hoc SQL inside ``outputs/``; here they run through the same runner as the
``--snapshots`` metrics, on the store's connection wrapped as a :class:`DuckDBEngine`, so the definitions can
run on any engine the seam offers. Callers pass the rows to compare as SELECTs (a census or one snapshot, with
the report's filters applied): those become the files' input tables inside a scratch area that cleans up.
"""

from __future__ import annotations

from typing import Any

from modelcensus.metrics.snapshot_folder import query_files
from modelcensus.store.engine import scratch
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.sql_files import run_files


def model_share_changes(store: Any, base_sql: str, latest_sql: str, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` models whose share of 30-day downloads changed most between two sets of model rows
    (``base_sql``/``latest_sql``: SELECTs with ``id``, ``id_lower``, ``downloads_30d``), largest change first."""
    engine = DuckDBEngine.from_store(store)
    with scratch(engine) as area:
        area.materialise("movers_base", base_sql)
        area.materialise("movers_latest", latest_sql)
        run_files(area, query_files(), ["report_model_movers"], {"movers_base", "movers_latest"}, engine.dialect,
                  {"limit": int(limit)})
        rows = area.query("SELECT * FROM report_model_movers "
                          "ORDER BY abs(change) DESC, name").to_pylist()
    return [{"name": r["name"], "share_first": float(r["share_first"]), "share_last": float(r["share_last"]),
             "change": float(r["change"]), "downloads_last": r["downloads_last"]} for r in rows]


def grade_shares(store: Any, snapshot_id: int, models_sql: str) -> list[dict[str, Any]]:
    """Weighted models and downloads per grade of ``snapshot_id``'s origins, over the model rows ``models_sql``
    selects (the report's filters applied): ``[{grade, models, downloads}]``."""
    engine = DuckDBEngine.from_store(store)
    with scratch(engine) as area:
        area.materialise("grade_origins", f"SELECT model_id, grade, weight FROM origins "
                                          f"WHERE snapshot_id = {int(snapshot_id)}")
        area.materialise("grade_models", models_sql)
        run_files(area, query_files(), ["report_grade_shares"], {"grade_origins", "grade_models"}, engine.dialect)
        return area.query("SELECT * FROM report_grade_shares").to_pylist()
