"""Transitive lineage roots by pointer doubling, set-based inside DuckDB.

Each round joins every unfinished (model -> frontier) row with the frontier's own rows, so a
row covers twice as many hops per round and the whole table converges in about
log2(depth) + 1 rounds, however many models there are. A row is *finished* when its
frontier has no parent (a root, or a dangling parent that is not in the snapshot).

Weights: a model with k structural parents gives each 1/k; weights multiply along a path and
paths that reach the same root are summed, so the weights of one model's roots sum to 1.
Depth is the shortest hop count to that root; the grade rank is the weakest link of the
strongest path to it.

Cycles: a cycle never finishes. Rows still unfinished after ``CYCLE_PROBE_ROUND`` rounds are
searched for cycles (reachability inside the small unfinished subgraph); if there are none, doubling
goes on (at most ``ceil(log2(edges)) + 2`` rounds, enough for any acyclic path). The edges that close
a cycle (parent reaches child) are dropped and the resolution runs again. Each member of a cycle then keeps
its parents outside the cycle, or becomes its own root, and its rows (and those of every model
whose path passes through it) carry ``cycle = TRUE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb


@dataclass
class RootStats:
    """How the resolution went: rounds used, and what cycle breaking had to drop."""

    rounds: int
    edges: int
    cycle_edges: int
    cycle_nodes: int

    def as_dict(self) -> dict[str, int]:
        return {"rounds": self.rounds, "edges": self.edges, "cycle_edges": self.cycle_edges,
                "cycle_nodes": self.cycle_nodes}


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


_STATE = "c INTEGER, p INTEGER, w DOUBLE, d INTEGER, g TINYINT, f BOOLEAN"
# Rows unfinished after this many rounds (paths of 2^5 = 32 hops and more) are searched for cycles right
# away instead of after ceil(log2(edges)) + 2 rounds: every member of a cycle is unfinished at every round,
# so the edges found are the same whenever the search runs, and the rounds spent walking around cycles
# (about 20 on a 2M-edge snapshot) are saved. Acyclic long chains just keep doubling.
CYCLE_PROBE_ROUND = 5


def _double(con: duckdb.DuckDBPyConnection, src: str, flagged: str | None, max_rounds: int,
            probe_at: int | None = None) -> tuple[int, int]:
    """Pointer doubling over edges ``src(c, p, g)``.

    Leaves round 0 in ``_rt_all`` (its ``fin`` rows are finished, unique per (c, p)) and the finished
    rows of later rounds in ``_rt_later``; returns (rounds, unfinished rows left).
    With ``probe_at``, rows still unfinished after that many rounds are searched for cycles once
    (``_find_cycle_edges``); if any is found the doubling stops there, with the cycle edges in ``_rt_cyc``.
    """
    flag = f"e.c IN (SELECT c FROM {flagged})" if flagged else "FALSE"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rt_np AS SELECT c, count(*) AS n FROM {src} GROUP BY c")
    # round 0: the edges themselves, weight 1/k; a row whose parent has no parent is finished
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rt_all AS
        SELECT e.c, e.p, 1.0 / coalesce(m.n, 1) AS w, 1 AS d, CAST(e.g AS TINYINT) AS g, {flag} AS f,
               h.c IS NULL AS fin
        FROM {src} e
        LEFT JOIN (SELECT c, n FROM _rt_np WHERE n > 1) m ON e.c = m.c
        LEFT JOIN _rt_np h ON e.p = h.c
    """)
    # _rt_all stays: its finished rows are the round-0 results (no copy)
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_act AS SELECT c, p, w, d, g, f FROM _rt_all WHERE NOT fin")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rt_later ({_STATE})")
    rounds = 0
    active = _count(con, "SELECT count(*) FROM _rt_act")
    while active and rounds < max_rounds:
        rounds += 1
        # join each unfinished row with its frontier's full current state (finished and active rows)
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _rt_new AS
            SELECT a.c, s.p, sum(a.w * s.w) AS w, min(a.d + s.d) AS d, min(greatest(a.g, s.g)) AS g,
                   bool_or(a.f OR s.f) AS f, bool_and(s.fin) AS fin
            FROM _rt_act a
            JOIN (SELECT c, p, w, d, g, f, fin FROM _rt_all WHERE fin
                  UNION ALL SELECT c, p, w, d, g, f, TRUE FROM _rt_later
                  UNION ALL SELECT c, p, w, d, g, f, FALSE FROM _rt_act) s ON a.p = s.c
            GROUP BY a.c, s.p
        """)
        con.execute("INSERT INTO _rt_later SELECT c, p, w, d, g, f FROM _rt_new WHERE fin")
        con.execute("CREATE OR REPLACE TEMP TABLE _rt_act AS SELECT c, p, w, d, g, f FROM _rt_new WHERE NOT fin")
        active = _count(con, "SELECT count(*) FROM _rt_act")
        if active and rounds == probe_at:
            _find_cycle_edges(con, src)
            if _count(con, "SELECT count(*) FROM _rt_cyc"):
                break
    con.execute("DROP TABLE IF EXISTS _rt_new")
    return rounds, active


def resolve_roots(con: duckdb.DuckDBPyConnection, edges: str, out: str = "_lineage_roots") -> RootStats:
    """Resolve the roots of every child in relation ``edges`` into TEMP table ``out``.

    ``edges(c, p, g)``: integer node keys, one row per distinct (child, parent) pair, no
    self-loops, ``g`` the grade rank (0 strongest). The caller interns model ids to keys once
    (see :mod:`modelcensus.lineage.build`), so every round joins on integers.
    ``out`` gets ``c, p, w, d, g, f`` = child, root, weight, depth, grade rank, cycle flag — one
    row per (child, root). ``{out}_cycle_edges(c, p)`` lists the edges dropped to break cycles.
    Nodes that are not a child in ``edges`` are their own roots; the caller adds them.
    """
    # row order of these TEMP tables is irrelevant; not preserving it lets DuckDB write them in parallel
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")
    try:
        return _resolve(con, edges, out)
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")


def _resolve(con: duckdb.DuckDBPyConnection, edges: str, out: str) -> RootStats:
    n_edges = _count(con, f"SELECT count(*) FROM {edges}")
    max_rounds = math.ceil(math.log2(n_edges + 2)) + 2
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_cyc (c INTEGER, p INTEGER)")
    rounds, left = _double(con, edges, None, max_rounds, probe_at=CYCLE_PROBE_ROUND)
    cycle_nodes = 0
    self_roots = ""
    if left:
        if not _count(con, "SELECT count(*) FROM _rt_cyc"):  # not probed yet (max_rounds below the probe)
            _find_cycle_edges(con, edges)
        cycle_nodes = _count(con, "SELECT count(DISTINCT c) FROM _rt_cyc")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _rt_ek2 AS
            SELECT e.c, e.p, e.g FROM {edges} e ANTI JOIN _rt_cyc x ON e.c = x.c AND e.p = x.p
        """)
        con.execute("CREATE OR REPLACE TEMP TABLE _rt_cycn AS SELECT DISTINCT c FROM _rt_cyc")
        more, left = _double(con, "_rt_ek2", "_rt_cycn", max_rounds)
        rounds += more
        if left:  # cannot happen once every cycle edge is gone; never loop forever regardless
            raise RuntimeError(f"root resolution did not converge ({left} rows left after cycle breaking)")
        # members whose every parent was inside the cycle become their own roots
        self_roots = """
            UNION ALL SELECT x.c, x.c, 1.0, 0, CAST(0 AS TINYINT), TRUE
            FROM _rt_cycn x ANTI JOIN _rt_ek2 e ON x.c = e.c"""
    # round-0 rows are unique per (c, p): only models that also finished later need summing
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_lc AS SELECT DISTINCT c FROM _rt_later")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT f.c, f.p, f.w, f.d, f.g, f.f FROM _rt_all f ANTI JOIN _rt_lc l ON f.c = l.c WHERE f.fin
        UNION ALL
        SELECT c, p, sum(w), min(d), min(g), bool_or(f) FROM (
            SELECT f.c, f.p, f.w, f.d, f.g, f.f FROM _rt_all f SEMI JOIN _rt_lc l ON f.c = l.c WHERE f.fin
            UNION ALL SELECT * FROM _rt_later
        ) GROUP BY c, p
        {self_roots}
    """)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out}_cycle_edges AS SELECT c, p FROM _rt_cyc")
    n_cycle_edges = _count(con, "SELECT count(*) FROM _rt_cyc")
    for t in ("_rt_np", "_rt_all", "_rt_later", "_rt_act", "_rt_cyc", "_rt_cycn", "_rt_ek2", "_rt_lc"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return RootStats(rounds, n_edges, n_cycle_edges, cycle_nodes)


def _find_cycle_edges(con: duckdb.DuckDBPyConnection, edges: str) -> None:
    """Fill ``_rt_cyc`` with the edges (c, p) among unfinished models where p reaches c."""
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_u AS SELECT DISTINCT c FROM _rt_act")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rt_eu AS
        SELECT e.c, e.p FROM {edges} e SEMI JOIN _rt_u u ON e.c = u.c SEMI JOIN _rt_u v ON e.p = v.c
    """)
    # reachability inside the (small) unfinished subgraph; UNION de-duplicates, so it terminates
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rt_reach AS
        WITH RECURSIVE r(s, t) AS (
            SELECT c, p FROM _rt_eu
            UNION
            SELECT r.s, e.p FROM r JOIN _rt_eu e ON r.t = e.c
        ) SELECT s, t FROM r
    """)
    con.execute("""
        INSERT INTO _rt_cyc
        SELECT e.c, e.p FROM _rt_eu e SEMI JOIN _rt_reach r ON r.s = e.p AND r.t = e.c
    """)
    for t in ("_rt_u", "_rt_eu", "_rt_reach"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
