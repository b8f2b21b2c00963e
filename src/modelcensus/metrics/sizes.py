"""Parameter counts and ATOM's size classes (methods.md §1.3).

Resolution order, as in ATOM's ``get_model_size``: a curated table (optional, e.g. ATOM's
``model_parameters.csv``), then the Hub's ``safetensors.total``, then the name (``-8B-``,
``_0.5b``, ``8x7B``, ``135M``). Bucket boundaries are ATOM's exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelcensus.metrics.option_files import load_option_csv
from modelcensus.store import Store

SIZE_CLASSES = ("<1B", "1-5B", "7-9B", "10-50B", "50-100B", "100-250B", "250B+")

# Name sizes: "8x7b" (MoE: experts x size), "-8b-", "_0.5b", "-135m".
_NAME = "lower(split_part({id}, '/', -1))"
_SEP_L = "(?:^|[-_./ ])"
_SEP_R = "(?:$|[-_. ])"


def name_size_sql(id_col: str) -> str:
    """Billions of parameters read from a model name, or NULL."""
    n = _NAME.format(id=id_col)
    # experts and size as groups 1 and 2 (Spark has no form naming the groups; DuckDB's made a struct)
    moe = f"'{_SEP_L}(\\d+)x(\\d+(?:\\.\\d+)?)b{_SEP_R}'"
    bil = f"nullif(regexp_extract({n}, '{_SEP_L}(\\d+(?:\\.\\d+)?)b{_SEP_R}', 1), '')"
    mil = f"nullif(regexp_extract({n}, '{_SEP_L}(\\d+(?:\\.\\d+)?)m{_SEP_R}', 1), '')"
    return (f"coalesce(TRY_CAST(nullif(regexp_extract({n}, {moe}, 1), '') AS DOUBLE) "
            f"* TRY_CAST(nullif(regexp_extract({n}, {moe}, 2), '') AS DOUBLE), "
            f"TRY_CAST({bil} AS DOUBLE), TRY_CAST({mil} AS DOUBLE) / 1000.0)")


def size_b_sql(alias: str = "m", curated_col: str | None = None) -> str:
    """Billions of parameters: curated column (joined by the caller), else safetensors total, else the name."""
    parts = [curated_col] if curated_col else []
    parts.append(f"{alias}.params / 1e9")
    parts.append(name_size_sql(f"{alias}.id"))
    return "coalesce(" + ", ".join(parts) + ")"


def size_class_sql(size_b: str) -> str:
    """ATOM's ``get_size_bucket``; NULL when the size is unknown."""
    return (f"CASE WHEN {size_b} IS NULL OR {size_b} <= 0 THEN NULL "
            f"WHEN {size_b} < 1 THEN '<1B' WHEN {size_b} < 5 THEN '1-5B' WHEN {size_b} < 10 THEN '7-9B' "
            f"WHEN {size_b} < 50 THEN '10-50B' WHEN {size_b} < 100 THEN '50-100B' "
            f"WHEN {size_b} < 250 THEN '100-250B' ELSE '250B+' END")


# a curated model_id,total_params_b CSV (e.g. ATOM's model_parameters.csv) as every path reads it: one size per
# model id (case-insensitive; the largest listed). Only a positive, finite number is a size: 0, -1 or nan would
# override the Hub's count or the name (review15 R15-5: nan put a 135M model in 250B+), so they are skipped.
PARAMETERS_CSV: dict[str, Any] = {
    "what": "parameters file", "needs": "model_id,total_params_b",
    "select": "SELECT lower(CAST(model_id AS VARCHAR)) AS id_lower, max(v) AS total_params_b FROM ("
              "SELECT model_id, TRY_CAST(total_params_b AS DOUBLE) AS v FROM {src}) t "
              "WHERE model_id IS NOT NULL AND isfinite(v) AND v > 0 GROUP BY 1"}


def load_curated_sizes(store: Store, path: str | Path | None, table: str = "mc_param_table") -> str | None:
    """Load a ``model_id,total_params_b,...`` CSV into a temp table; returns its name (None without a path)."""
    if not path:
        return None
    load_option_csv(store, table, path, **PARAMETERS_CSV)
    return table
