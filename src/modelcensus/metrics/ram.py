"""ATOM's Relative Adoption Metric, version 2 (methods.md §1.6).

RAM_m(a) = D_m(a) / C_s(a): a model's cumulative downloads ``a`` days after release over the
cumulative downloads of the ``rank``-th (10th) most-downloaded reference model of its size class at
the same age, among reference models at least ``a`` days old; C_s is made non-decreasing in ``a``
by a running max ("monotonic top-10 cutoff"). D between snapshots is interpolated linearly, with
D = 0 on the release day; D is never extrapolated past a model's last snapshot. Undefined (NULL)
where a size class has fewer than ``rank`` reference models old enough.

The steps are the query files ``ram_*.sql`` and ``metric_ram.sql`` (metrics/sql): the store path gives them its
scope's models as ``ram_sightings``; ``--snapshots DIR`` gives them every file's models (snapshot_folder.py), so
both paths and both engines compute RAM by one definition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from modelcensus.errors import InputError
from modelcensus.metrics.groups import GroupKey
from modelcensus.metrics.option_files import check_option_file, load_option_csv, option_path
from modelcensus.metrics.queries import store_queries
from modelcensus.metrics.scope import Scope, build_credit, build_models
from modelcensus.metrics.sizes import size_b_sql, size_class_sql
from modelcensus.store.sql_files import Fragment
from modelcensus.untrusted import parse_whole

DEFAULT_AGES = (7, 14, 30, 60, 90, 180, 365)
# ATOM's release_date_corrections.csv as every path reads it: one release date per model (the earliest readable)
RELEASE_CSV: dict[str, Any] = {
    "what": "release dates file", "needs": "model_id,actual_release_date",
    # a model whose dates cannot be read keeps a NULL date: it is not corrected, and the notes count it
    "select": """SELECT lower(CAST(model_id AS VARCHAR)) AS id_lower,
                        min(TRY_CAST(actual_release_date AS DATE)) AS release_date
                 FROM {src} WHERE model_id IS NOT NULL GROUP BY 1"""}
# the size rule over ram_models' spellings (alias p) and curated sizes (alias cu; empty when none are given):
# billions of parameters once per row, then the class over that column (the class's CASE names it seven times)
RAM_SIZE_B = Fragment(size_b_sql("p", "cu.total_params_b"))
RAM_SIZE_CLASS = Fragment(size_class_sql("size_b"))
RAM_STATS = """SELECT (SELECT count(*) FROM ram_baseline WHERE baseline IS NULL) AS undefined_cells,
                      (SELECT count(*) FROM ram_baseline) AS cells,
                      (SELECT count(*) FROM ram_models WHERE size_class IS NULL) AS unsized,
                      (SELECT count(*) FROM ram_models WHERE release_date IS NULL) AS undated,
                      (SELECT count(*) FROM ram_values WHERE NOT kept) AS gap_dropped,
                      (SELECT count(*) FROM ram_models WHERE corrected) AS corrected,
                      (SELECT count(*) FROM release_fixes) AS listed,
                      (SELECT count(*) FROM release_fixes WHERE release_date IS NULL) AS unreadable,
                      (SELECT min(id_lower) FROM release_fixes WHERE release_date IS NULL) AS unreadable_example,
                      (SELECT count(*) FROM metric_ram) AS rows_all"""
EMPTY_SIZES = pa.schema([("id_lower", pa.string()), ("total_params_b", pa.float64())])
EMPTY_FIXES = pa.schema([("id_lower", pa.string()), ("release_date", pa.date32())])


def ram_rows_sql(limit: int | None) -> str:
    """metric_ram's rows in the result's order: with ``limit`` (0 or None = all), the highest RAM per age."""
    top = f"WHERE top <= {int(limit)}" if limit else ""
    return ("SELECT model, size_class, grp, release_date, age_days, downloads, baseline, reference_models, ram "
            "FROM (SELECT *, row_number() OVER (PARTITION BY age_days ORDER BY ram DESC NULLS LAST, model) AS top "
            f"FROM metric_ram) t {top} ORDER BY age_days, ram DESC NULLS LAST, model")


def parse_ages(ages: Any) -> list[int]:
    if ages is None:
        return list(DEFAULT_AGES)
    items = ages if isinstance(ages, list | tuple) else str(ages).split(",")
    shown = ",".join(map(str, items))  # as typed: a list from the option parser reads back as its text
    try:
        out = sorted({parse_whole(a) for a in items if str(a).strip()})
    except ValueError:
        raise InputError(f"ages {shown!r}: expected whole numbers of days, e.g. 7,30,90") from None
    if not out or out[0] <= 0 or out[-1] > 36500:
        raise InputError(f"ages {shown!r}: expected days between 1 and 36500")
    return out


def load_release_dates(scope: Scope, path: str | Path | None) -> bool:
    """ATOM's release_date_corrections.csv (model_id,...,actual_release_date) as TEMP mc_release_fix."""
    if not path:
        return False
    load_option_csv(scope.store, "mc_release_fix", path, **RELEASE_CSV)
    return True


def ram_options(ages: Any, rank: Any, max_gap: Any, limit: Any = None) -> tuple[list[int], int, int]:
    """(checkpoint ages, rank, max_gap with 0 = no limit), checked as both paths check them; a negative max_gap
    or limit is refused (it was read as no limit, and a negative limit returned no rows)."""
    checkpoints = parse_ages(ages)
    rank = _whole("rank", rank)
    if rank < 1:
        raise InputError(f"rank {rank}: expected a positive integer")
    gap = 0 if max_gap is None else _whole("max_gap", max_gap)
    if gap < 0:
        raise InputError(f"max_gap {gap}: expected 0 (no limit) or more days")
    top = 0 if limit is None else _whole("limit", limit)
    if top < 0:
        raise InputError(f"limit {top}: expected 0 (all) or more")
    return checkpoints, rank, gap


def _whole(option: str, value: Any) -> int:
    try:
        return parse_whole(value)
    except ValueError:
        raise InputError(f"option {option}={value!r}: expected a whole number") from None


def check_options(ages: Any, rank: Any, max_gap: Any, limit: Any, release_dates: Any
                  ) -> tuple[list[int], int, int, str | None]:
    """Every RAM option checked before any work (a store builds lineage first; a folder stages its files):
    (checkpoint ages, rank, max_gap, release dates file or None)."""
    checkpoints, rank_, gap = ram_options(ages, rank, max_gap, limit)
    fixes = option_path(release_dates, "release_dates")
    if fixes:
        check_option_file(fixes, RELEASE_CSV["what"])
    return checkpoints, rank_, gap, fixes


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def ages_sql(checkpoints: list[int]) -> str:
    return "SELECT * FROM (VALUES " + ", ".join(f"({int(a)})" for a in checkpoints) + ") v(a)"


def ram(scope: Scope, key: GroupKey | None, *, ages: Any = None, rank: int = 10, release_dates: Any = None,
        latest: bool = False, max_gap: int | None = 92, limit: int | None = 10_000, regions: Any = None
        ) -> tuple[list[dict[str, Any]], list[str]]:
    """RAM per (model, age checkpoint); ``latest`` keeps each model's oldest checkpoint reached."""
    checkpoints, rank, gap, fixes = check_options(ages, rank, max_gap, limit, release_dates)
    build_models(scope)
    fixed = load_release_dates(scope, fixes)
    if key is not None:
        build_credit(scope, key, regions=regions, aggregate=True)
    with store_queries(scope.store) as q:
        q.define("ram_sightings", "SELECT m.snapshot_id, s.observed_at, m.id_lower, m.model_id, m.params, "
                                  "m.created_at, m.dall FROM mc_m m JOIN snapshots s ON s.id = m.snapshot_id")
        q.define("curated_sizes", f"SELECT id_lower, total_params_b FROM {scope.curated_sizes}" if scope.curated_sizes
                 else "SELECT CAST(NULL AS VARCHAR) AS id_lower, CAST(NULL AS DOUBLE) AS total_params_b WHERE false")
        q.make("release_fixes", "SELECT id_lower, release_date FROM mc_release_fix" if fixed  # small; counted too
               else "SELECT CAST(NULL AS VARCHAR) AS id_lower, CAST(NULL AS DATE) AS release_date WHERE false")
        q.define("ram_groups", "SELECT CAST(NULL AS VARCHAR) AS id_lower, CAST(NULL AS VARCHAR) AS grp WHERE false")
        if key is not None:
            q.define("credit", "SELECT snapshot_id, model_id, grp, w FROM mc_credit")
            q.define("snapshot_index", "SELECT id AS snapshot_id, observed_at FROM snapshots")
            del q.inputs["ram_groups"]
        q.make("ram_ages", ages_sql(checkpoints))
        q.run(["metric_ram"], ram_params(rank, gap, latest))
        rows = q.rows(ram_rows_sql(limit))
        stats = q.rows(RAM_STATS)[0]
    return ram_result(key, rows, stats, checkpoints=checkpoints, rank=rank, max_gap=gap, fixed=fixed, limit=limit)


def ram_params(rank: int, max_gap: int, latest: bool) -> dict[str, Any]:
    """The query files' parameters (the same on both paths)."""
    return {"size_b": RAM_SIZE_B, "size_class": RAM_SIZE_CLASS, "rank": rank, "max_gap": max_gap,
            "latest": int(bool(latest))}


def ram_result(key: GroupKey | None, rows: list[dict[str, Any]], stats: dict[str, Any], *, checkpoints: list[int],
               rank: int, max_gap: int, fixed: bool, limit: int | None) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows with the group under the key's name, notes) from metric_ram's rows and RAM_STATS."""
    out = []
    for r in rows:
        grp = r.pop("grp")
        out.append({"model": r.pop("model"), "size_class": r.pop("size_class"),
                    **({key.name: grp} if key is not None else {}), **r})
    example = stats.pop("unreadable_example", None)
    stats = {k: int(v or 0) for k, v in stats.items()}
    notes = [f"RAM v2: D_m(a) / C_s(a), C_s(a) = {ordinal(rank)}-largest D among the population's models of size class "
             f"s at least a days old, made non-decreasing in a (running max); checkpoints a = "
             f"{', '.join(map(str, checkpoints))} days",
             "D interpolated linearly between snapshots (downloadsAllTime, running max per model), with D = 0 on "
             "the release day; never extrapolated past a model's last snapshot",
             "release date = " + (f"release_date_corrections.csv when listed, else createdAt (date): "
                                  f"{stats['corrected']:,} model(s) of the census dated by the file, which lists "
                                  f"{stats['listed']:,} model(s)" if fixed
                                  else "createdAt (date); createdAt can predate a public release (private uploads)"),
             "the baseline is computed from the snapshots and population at hand, not ATOM's quarterly frozen "
             "baseline; size classes are ATOM's seven buckets (the exact RAM classes are unpublished)"]
    if fixed and stats["unreadable"]:
        notes.append(f"{stats['unreadable']:,} model(s) of the release dates file have no readable "
                     f"actual_release_date (e.g. {example!r}; expected YYYY-MM-DD) and keep their createdAt date")
    if stats["undefined_cells"]:
        notes.append(f"baseline undefined (RAM null) at {stats['undefined_cells']} of {stats['cells']} (size class, "
                     f"age) cells with fewer than {rank} reference models")
    if stats["gap_dropped"]:
        notes.append(f"{stats['gap_dropped']} (model, age) value(s) left out: the observations around that age are "
                     f"more than {max_gap} days apart (e.g. a model released long before the first snapshot), so a "
                     "straight line would be a guess (option max_gap)")
    if stats["unsized"]:
        notes.append(f"{stats['unsized']} model(s) without a known size have no RAM")
    if stats["undated"]:
        notes.append(f"{stats['undated']} model(s) without a release date or createdAt have no RAM")
    if not stats["rows_all"]:
        notes.append("no model with downloadsAllTime at any checkpoint age")
    if stats["rows_all"] > len(out):
        notes.append(f"{len(out)} of {stats['rows_all']} (model, age) rows shown: the {int(limit or 0)} highest RAM "
                     "per age (option limit; 0 = all); baselines use every model")
    return out, notes
