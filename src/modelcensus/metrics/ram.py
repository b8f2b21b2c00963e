"""ATOM's Relative Adoption Metric, version 2 (methods.md §1.6).

RAM_m(a) = D_m(a) / C_s(a): a model's cumulative downloads ``a`` days after release over the
cumulative downloads of the ``rank``-th (10th) most-downloaded reference model of its size class at
the same age, among reference models at least ``a`` days old; C_s is made non-decreasing in ``a``
by a running max ("monotonic top-10 cutoff"). D between snapshots is interpolated linearly, with
D = 0 on the release day; D is never extrapolated past a model's last snapshot. Undefined (NULL)
where a size class has fewer than ``rank`` reference models old enough.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.catalog import parse_whole
from modelcensus.metrics.groups import GroupKey
from modelcensus.metrics.option_files import load_option_csv
from modelcensus.metrics.scope import Scope, build_credit, build_models
from modelcensus.metrics.sizes import size_b_sql, size_class_sql

DEFAULT_AGES = (7, 14, 30, 60, 90, 180, 365)


def load_release_dates(scope: Scope, path: str | Path | None) -> bool:
    """ATOM's release_date_corrections.csv (model_id,...,actual_release_date) as TEMP mc_release_fix."""
    if not path:
        return False
    load_option_csv(scope.store, "mc_release_fix", path, what="release dates file",
                    needs="model_id,actual_release_date",
                    select="""SELECT lower(CAST(model_id AS VARCHAR)) AS id_lower,
                                     min(TRY_CAST(actual_release_date AS DATE)) AS release_date
                              FROM {src} WHERE model_id IS NOT NULL
                                AND TRY_CAST(actual_release_date AS DATE) IS NOT NULL GROUP BY 1""")
    return True


def parse_ages(ages: Any) -> list[int]:
    if ages is None:
        return list(DEFAULT_AGES)
    items = ages if isinstance(ages, list | tuple) else str(ages).split(",")
    try:
        out = sorted({parse_whole(a) for a in items if str(a).strip()})
    except ValueError:
        raise InputError(f"ages {ages!r}: expected whole numbers of days, e.g. 7,30,90") from None
    if not out or out[0] <= 0 or out[-1] > 36500:
        raise InputError(f"ages {ages!r}: expected days between 1 and 36500")
    return out


def ram(scope: Scope, key: GroupKey | None, *, ages: Any = None, rank: int = 10, release_dates: Any = None,
        latest: bool = False, max_gap: int | None = 92, limit: int | None = 10_000, regions: Any = None
        ) -> tuple[list[dict[str, Any]], list[str]]:
    """RAM per (model, age checkpoint); ``latest`` keeps each model's oldest checkpoint reached."""
    checkpoints = parse_ages(ages)
    rank = int(rank)
    if rank < 1:
        raise InputError(f"rank {rank}: expected a positive integer")
    build_models(scope)
    fixed = load_release_dates(scope, release_dates)
    fix_join = "LEFT JOIN mc_release_fix rf USING (id_lower)" if fixed else ""
    fix_col = "rf.release_date" if fixed else "NULL::DATE"
    # per model (integer ``mid``): first createdAt, latest spelling, and the size class of the latest
    # snapshot that has one. The size regexes run once per distinct (id, params), not once per row.
    cur = f"LEFT JOIN {scope.curated_sizes} cu ON cu.id_lower = p.id_lower" if scope.curated_sizes else ""
    size_b = size_b_sql("p", "cu.total_params_b" if scope.curated_sizes else None)
    scope.exec(f"""
        CREATE OR REPLACE TEMP TABLE mc_rmodels AS
        WITH obs AS MATERIALIZED (
          SELECT m.id_lower, m.model_id, m.params, m.created_at, s.observed_at
          FROM mc_m m JOIN snapshots s ON s.id = m.snapshot_id),
        per AS (SELECT id_lower, min(created_at) AS created_at, arg_max(model_id, observed_at) AS model_id
                FROM obs GROUP BY id_lower),
        spell AS (SELECT id_lower, model_id AS id, params, max(observed_at) AS seen FROM obs GROUP BY ALL),
        sized AS (SELECT id_lower, arg_max(size_class, seen) AS size_class FROM (
                    SELECT p.id_lower, p.seen, {size_class_sql(size_b)} AS size_class FROM spell p {cur})
                  GROUP BY id_lower)
        SELECT row_number() OVER () AS mid, per.id_lower, per.created_at, per.model_id, sized.size_class,
               coalesce({fix_col}, CAST(per.created_at AS DATE)) AS release_date,
               {fix_col} IS NOT NULL AS corrected
        FROM per JOIN sized USING (id_lower) {fix_join}
    """)
    scope.exec("""
        CREATE OR REPLACE TEMP TABLE mc_robs AS
        WITH o AS (
          SELECT r.mid, date_diff('day', r.release_date, CAST(s.observed_at AS DATE)) AS age,
                 m.dall, s.observed_at
          FROM mc_m m JOIN snapshots s ON s.id = m.snapshot_id JOIN mc_rmodels r USING (id_lower)
          WHERE m.dall IS NOT NULL AND r.release_date IS NOT NULL),
        run AS (
          SELECT mid, age, max(dall) OVER (PARTITION BY mid ORDER BY observed_at ROWS UNBOUNDED PRECEDING) AS d
          FROM o WHERE age >= 0
          UNION ALL
          SELECT mid, 0 AS age, 0 AS d FROM mc_rmodels WHERE release_date IS NOT NULL)
        -- one value per (model, age): the largest (several snapshots on one day, and the day-0 anchor)
        SELECT mid, age, max(d) AS d FROM run GROUP BY ALL
    """)
    values = ", ".join(f"({a})" for a in checkpoints)
    # segments between consecutive observations; each checkpoint age falls in exactly one (a0, a1]
    scope.exec(f"""
        CREATE OR REPLACE TEMP TABLE mc_rd AS
        WITH seg AS (
          SELECT mid, age AS a0, d AS d0,
                 lead(age) OVER (PARTITION BY mid ORDER BY age) AS a1,
                 lead(d) OVER (PARTITION BY mid ORDER BY age) AS d1
          FROM mc_robs)
        SELECT s.mid, g.a,
               CASE WHEN g.a = s.a1 THEN s.d1 ELSE s.d0 + (s.d1 - s.d0) * (g.a - s.a0) / (s.a1 - s.a0) END AS d,
               CASE WHEN g.a = s.a1 THEN 0 ELSE s.a1 - s.a0 END AS gap
        FROM seg s JOIN (VALUES {values}) g(a) ON g.a > s.a0 AND g.a <= s.a1
        WHERE s.a1 IS NOT NULL
    """)
    gap_dropped = 0
    if max_gap is not None and int(max_gap) > 0:
        row = scope.store._one(f"SELECT count(*) FROM mc_rd WHERE gap > {int(max_gap)}")
        gap_dropped = int(row[0]) if row else 0
        scope.exec(f"DELETE FROM mc_rd WHERE gap > {int(max_gap)}")
    scope.exec(f"""
        CREATE OR REPLACE TEMP TABLE mc_rbase AS
        WITH c AS (
          SELECT r.size_class, d.a, count(*) AS n,
                 CASE WHEN count(*) >= {rank} THEN list(d.d ORDER BY d.d DESC)[{rank}] END AS cutoff
          FROM mc_rd d JOIN mc_rmodels r USING (mid)
          WHERE r.size_class IS NOT NULL GROUP BY ALL)
        SELECT size_class, a, n, cutoff,
               CASE WHEN cutoff IS NOT NULL THEN max(cutoff) OVER (PARTITION BY size_class ORDER BY a
                                                                   ROWS UNBOUNDED PRECEDING) END AS baseline
        FROM c
    """)
    group_col, group_join = "", ""
    if key is not None:
        build_credit(scope, key, regions=regions, aggregate=True)
        scope.exec("""CREATE OR REPLACE TEMP TABLE mc_rgroup AS
            SELECT lower(c.model_id) AS id_lower, first(c.grp ORDER BY s.observed_at DESC, c.w DESC) AS grp
            FROM mc_credit c JOIN snapshots s ON s.id = c.snapshot_id GROUP BY 1""")
        group_col = f', g.grp AS "{key.name}"'
        group_join = "LEFT JOIN mc_rgroup g USING (id_lower)"
    latest_filter = "QUALIFY row_number() OVER (PARTITION BY d.mid ORDER BY d.a DESC) = 1" if latest else ""
    scope.exec(f"""
        CREATE OR REPLACE TEMP TABLE mc_rram AS
        SELECT r.model_id AS model, r.size_class{group_col}, r.release_date, d.a AS age_days, d.d AS downloads,
               b.baseline, coalesce(b.n, 0) AS reference_models,
               CASE WHEN b.baseline > 0 THEN d.d / b.baseline END AS ram
        FROM mc_rd d JOIN mc_rmodels r USING (mid)
        LEFT JOIN mc_rbase b ON b.size_class = r.size_class AND b.a = d.a
        {group_join}
        {latest_filter}
    """)
    n_all = scope.store._one("SELECT count(*) FROM mc_rram")
    cap = f"QUALIFY row_number() OVER (PARTITION BY age_days ORDER BY ram DESC NULLS LAST, model) <= {int(limit)}" \
        if limit else ""
    rows = scope.rows(f"SELECT * FROM mc_rram {cap} ORDER BY age_days, ram DESC NULLS LAST, model")
    stats = scope.store._one("""SELECT
        (SELECT count(*) FROM mc_rbase WHERE baseline IS NULL),
        (SELECT count(*) FROM mc_rbase),
        (SELECT count(*) FROM mc_rmodels WHERE size_class IS NULL),
        (SELECT count(*) FROM mc_rmodels WHERE corrected),
        (SELECT count(*) FROM mc_rmodels WHERE release_date IS NULL)""")
    assert stats is not None
    notes = [f"RAM v2: D_m(a) / C_s(a), C_s(a) = {rank}th-largest D among the population's models of size class "
             f"s at least a days old, made non-decreasing in a (running max); checkpoints a = "
             f"{', '.join(map(str, checkpoints))} days",
             "D interpolated linearly between snapshots (downloadsAllTime, running max per model), with D = 0 on "
             "the release day; never extrapolated past a model's last snapshot",
             "release date = " + ("release_date_corrections.csv when listed, else createdAt (date)" if fixed
                                  else "createdAt (date); createdAt can predate a public release (private uploads)"),
             "the baseline is computed from the snapshots and population at hand, not ATOM's quarterly frozen "
             "baseline; size classes are ATOM's seven buckets (the exact RAM classes are unpublished)"]
    if stats[0]:
        notes.append(f"baseline undefined (RAM null) at {stats[0]} of {stats[1]} (size class, age) cells with "
                     f"fewer than {rank} reference models")
    if gap_dropped:
        notes.append(f"{gap_dropped} (model, age) value(s) left out: the observations around that age are more than "
                     f"{int(max_gap)} days apart (e.g. a model released long before the first snapshot), so a "
                     "straight line would be a guess (option max_gap)")
    if stats[2]:
        notes.append(f"{stats[2]} model(s) without a known size have no RAM")
    if stats[4]:
        notes.append(f"{stats[4]} model(s) without a release date or createdAt have no RAM")
    if not rows:
        notes.append("no model with downloadsAllTime at any checkpoint age")
    if n_all and n_all[0] > len(rows):
        notes.append(f"{len(rows)} of {n_all[0]} (model, age) rows shown: the {int(limit or 0)} highest RAM per "
                     "age (option limit; 0 = all); baselines use every model")
    return rows, notes
