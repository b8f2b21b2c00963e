"""Transitive lineage roots, computed set-based inside DuckDB: chain pointer jumping, then doubling for merges.

Everything runs as SQL over narrow integer-keyed TEMP tables; Python only counts rows and decides when to
stop, never resolves a node. Most models have exactly one structural parent, so the graph is mostly chains.
Resolution has two stages:

1. **Chains**: every node with exactly one parent points at it; pointer jumping (each round joins the
   working set with the pointer table, so a pointer skips twice as many hops; depth, weakest grade and
   cycle flag combined on the way) takes each node to its *stop* — the nearest ancestor that is a root, a
   dangling parent (not in the snapshot) or a merge (two or more parents) — in about log2(chain length)
   rounds. A node whose pointer reaches a stop leaves the working set, so later rounds touch few rows.
2. **Merges**: each merge node gets one row per parent, pointing at that parent's stop with weight 1/k and
   the chain's depth and grade folded in. That small graph (merges only) is resolved by pointer doubling:
   each round joins every unfinished (model -> frontier) row with the frontier's rows, so a row covers twice
   the hops per round. Chains that stop at a merge then take the merge's roots.

Weights: a model with k structural parents gives each 1/k; weights multiply along a path and paths that
reach the same root are summed, so the weights of one model's roots sum to 1. Depth is the shortest hop
count to that root; the grade rank is the weakest link of the strongest path to it.

Cycles: a cycle never finishes. Chain nodes still unfinished after ``ceil(log2(2 * edges + 2)) + 2`` jumps,
and merges still unfinished after ``CYCLE_PROBE_ROUND`` doubling rounds (with the chains that stop at them),
are searched for cycles (reachability inside that small unfinished subgraph); if there are none, doubling
goes on (at most ``ceil(log2(edges + 2)) + 2`` rounds, enough for any acyclic path). Every member of a cycle
is in that unfinished set, and an edge is reported only when its parent reaches its child, so the edges
found are exactly those inside a cycle, whenever the search runs. They are dropped and the resolution runs
again: each member of a cycle then keeps its parents outside the cycle, or becomes its own root, and its
rows (and those of every model whose path passes through it) carry ``cycle = TRUE``.
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


# Merges still unfinished after this many doubling rounds (paths of 2^5 = 32 merge hops and more) are
# searched for cycles right away instead of after ceil(log2(edges)) + 2 rounds: every member of a cycle is
# unfinished at every round, so the edges found are the same whenever the search runs. Acyclic long
# paths just keep doubling.
CYCLE_PROBE_ROUND = 5
_SMALL_INTS = {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT"}
_TEMP = ("_rt_k", "_rt_m", "_rt_fl", "_rt_kept", "_rt_cd", "_rt_ca", "_rt_cn", "_rt_all", "_rt_later",
         "_rt_act", "_rt_new", "_rt_mr", "_rt_u", "_rt_eu", "_rt_reach", "_rt_cyc", "_rt_probe")


def resolve_roots(con: duckdb.DuckDBPyConnection, edges: str, out: str = "_lineage_roots") -> RootStats:
    """Resolve the roots of every child in relation ``edges`` into TEMP table ``out``.

    ``edges(c, p, g)``: integer node keys, one row per distinct (child, parent) pair, no
    self-loops, ``g`` the grade rank (0 strongest). The caller interns model ids to keys once
    (see :mod:`modelcensus.lineage.build`), so everything works on integers.
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
        for t in _TEMP:
            con.execute(f"DROP TABLE IF EXISTS {t}")
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")


def _key_type(con: duckdb.DuckDBPyConnection, edges: str) -> str:
    """INTEGER when both key columns fit in 32 bits, else BIGINT (the output keeps the caller's key width)."""
    types = {row[0]: str(row[1]).upper() for row in con.execute(f"DESCRIBE SELECT c, p FROM {edges}").fetchall()}
    return "INTEGER" if types.get("c") in _SMALL_INTS and types.get("p") in _SMALL_INTS else "BIGINT"


def _resolve(con: duckdb.DuckDBPyConnection, edges: str, out: str) -> RootStats:
    kt = _key_type(con, edges)
    n_edges = _count(con, f"SELECT count(*) FROM {edges}")
    rounds, unfinished = _attempt(con, edges, False, n_edges)
    cycle_edges = cycle_nodes = 0
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rt_cyc AS SELECT CAST(c AS {kt}) AS c, CAST(p AS {kt}) AS p "
                f"FROM {edges} LIMIT 0")
    if unfinished:
        cycle_edges = _find_cycle_edges(con, edges)
        if not cycle_edges:
            raise RuntimeError(f"root resolution did not converge ({unfinished} nodes left, no cycle found)")
        con.execute("CREATE OR REPLACE TEMP TABLE _rt_fl AS SELECT DISTINCT c FROM _rt_cyc")
        cycle_nodes = _count(con, "SELECT count(*) FROM _rt_fl")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _rt_kept AS
                        SELECT c, p, g FROM {edges} e ANTI JOIN _rt_cyc x ON x.c = e.c AND x.p = e.p""")
        more, unfinished = _attempt(con, "_rt_kept", True, n_edges)
        rounds += more
        if unfinished:  # cannot happen once every cycle edge is gone; never loop forever regardless
            raise RuntimeError(f"root resolution did not converge ({unfinished} nodes left after cycle breaking)")
        # members whose every parent was inside the cycle become their own roots
        self_rows = """UNION ALL SELECT c, c, 1.0::DOUBLE, 0, CAST(0 AS TINYINT), TRUE
                       FROM _rt_fl ANTI JOIN _rt_kept USING (c)"""
    else:
        self_rows = ""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT CAST(c AS {kt}) AS c, CAST(p AS {kt}) AS p, w, CAST(d AS INTEGER) AS d, CAST(g AS TINYINT) AS g, f
        FROM (
            SELECT s.c, s.n AS p, 1.0::DOUBLE AS w, s.d, s.g, s.f FROM _rt_cd s ANTI JOIN _rt_m m ON m.c = s.n
            UNION ALL
            SELECT s.c, m.p, m.w, s.d + m.d, greatest(s.g, m.g), s.f OR m.f FROM _rt_cd s JOIN _rt_mr m ON s.n = m.c
            UNION ALL
            SELECT c, p, w, d, g, f FROM _rt_mr
            {self_rows}
        )
    """)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out}_cycle_edges AS SELECT c, p FROM _rt_cyc")
    return RootStats(rounds, n_edges, cycle_edges, cycle_nodes)


def _attempt(con: duckdb.DuckDBPyConnection, edges: str, flags: bool, n_edges: int) -> tuple[int, int]:
    """One resolution of ``edges``: fills ``_rt_cd`` (chains, node -> stop), ``_rt_m`` (merges), ``_rt_mr``.

    ``flags``: rows of the children in ``_rt_fl`` (cycle members) carry the cycle flag.
    Returns (rounds, number of unfinished nodes), the unfinished ones in ``_rt_u``.
    """
    # one pass over the edges: parent count per child, and for single-parent children their parent
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rt_k AS
                    SELECT c, CAST(count(*) AS INTEGER) AS k, any_value(p) AS p, CAST(any_value(g) AS TINYINT) AS g
                    FROM {edges} GROUP BY c""")
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_m AS SELECT c, k FROM _rt_k WHERE k > 1")
    flag = "x.c IS NOT NULL" if flags else "FALSE"
    # chain state: one row per single-parent node; a pointer at a stop (a node without exactly one parent)
    # is finished (_rt_cd), the others jump (_rt_ca). A node of a single-parent cycle never reaches a stop.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rt_cn AS
        SELECT e.c, e.p AS n, 1 AS d, e.g, {flag} AS f, t.c IS NULL AS fin
        FROM _rt_k e LEFT JOIN _rt_k t ON t.c = e.p AND t.k = 1 {"LEFT JOIN _rt_fl x ON x.c = e.c" if flags else ""}
        WHERE e.k = 1
    """)
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_ca AS SELECT c, n, d, g, f FROM _rt_cn WHERE NOT fin")
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_cd AS SELECT c, n, d, g, f FROM _rt_cn WHERE fin")
    flag_join = "LEFT JOIN _rt_fl x ON x.c = e.c" if flags else ""
    max_jumps = math.ceil(math.log2(2 * n_edges + 2)) + 2
    jumps = 0
    active = _count(con, "SELECT count(*) FROM _rt_ca")
    while active and jumps < max_jumps:
        jumps += 1
        # a pointer onto a finished node lands on that node's stop; onto an active one, it doubles
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _rt_cn AS
            SELECT a.c, s.n, a.d + s.d AS d, greatest(a.g, s.g) AS g, a.f OR s.f AS f, s.fin
            FROM _rt_ca a JOIN (SELECT c, n, d, g, f, TRUE AS fin FROM _rt_cd
                                UNION ALL SELECT c, n, d, g, f, FALSE FROM _rt_ca) s ON a.n = s.c
        """)
        con.execute("INSERT INTO _rt_cd SELECT c, n, d, g, f FROM _rt_cn WHERE fin")
        con.execute("CREATE OR REPLACE TEMP TABLE _rt_ca AS SELECT c, n, d, g, f FROM _rt_cn WHERE NOT fin")
        active = _count(con, "SELECT count(*) FROM _rt_ca")
    con.execute("DROP TABLE IF EXISTS _rt_cn")

    # merges: one row per parent, pointing at the parent's stop, chain folded in; parents of one merge
    # that share a stop become one row (weights summed, shortest depth, strongest grade)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rt_all AS
        SELECT e.c, coalesce(s.n, e.p) AS p, sum(1.0::DOUBLE / m.k) AS w, min(coalesce(s.d, 0) + 1) AS d,
               min(CASE WHEN s.c IS NULL THEN CAST(e.g AS TINYINT) ELSE greatest(CAST(e.g AS TINYINT), s.g) END) AS g,
               bool_or({flag} OR coalesce(s.f, FALSE)) AS f,
               bool_and(m2.c IS NULL) AS fin
        FROM {edges} e JOIN _rt_m m ON m.c = e.c {flag_join}
        LEFT JOIN (SELECT c, n, d, g, f FROM _rt_cd UNION ALL SELECT c, n, d, g, f FROM _rt_ca) s ON s.c = e.p
        LEFT JOIN _rt_m m2 ON m2.c = coalesce(s.n, e.p)
        GROUP BY e.c, coalesce(s.n, e.p)
    """)
    max_rounds = math.ceil(math.log2(n_edges + 2)) + 2
    rounds = jumps + _double(con, max_rounds, edges)
    # unfinished: chains in single-parent cycles, merges left, and chains that stop at a merge left
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rt_u AS
        SELECT c FROM _rt_ca
        UNION SELECT c FROM _rt_act
        UNION SELECT s.c FROM _rt_cd s SEMI JOIN _rt_act a ON a.c = s.n
    """)
    return rounds, _count(con, "SELECT count(*) FROM _rt_u")


def _double(con: duckdb.DuckDBPyConnection, max_rounds: int, edges: str) -> int:
    """Pointer doubling over the merge rows ``_rt_all(c, p, w, d, g, f, fin)``, results in ``_rt_mr``.

    A row is finished when its frontier is not a merge; unfinished rows stay in ``_rt_act``. Returns the
    rounds used. At ``CYCLE_PROBE_ROUND`` with rows left, a cycle search over everything unfinished decides
    whether to go on.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_act AS SELECT c, p, w, d, g, f FROM _rt_all WHERE NOT fin")
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_later AS SELECT c, p, w, d, g, f FROM _rt_act LIMIT 0")
    rounds = 0
    active = _count(con, "SELECT count(*) FROM _rt_act")
    while active and rounds < max_rounds:
        rounds += 1
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
        if active and rounds == CYCLE_PROBE_ROUND:
            con.execute("""
                CREATE OR REPLACE TEMP TABLE _rt_u AS
                SELECT c FROM _rt_ca
                UNION SELECT c FROM _rt_act
                UNION SELECT s.c FROM _rt_cd s SEMI JOIN _rt_act a ON a.c = s.n
            """)
            if _find_cycle_edges(con, edges, "_rt_probe"):
                break
    con.execute("DROP TABLE IF EXISTS _rt_new")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rt_mr AS
        SELECT c, p, sum(w) AS w, min(d) AS d, min(g) AS g, bool_or(f) AS f FROM (
            SELECT c, p, w, d, g, f FROM _rt_all WHERE fin UNION ALL SELECT c, p, w, d, g, f FROM _rt_later
        ) GROUP BY c, p
    """)
    return rounds


def _find_cycle_edges(con: duckdb.DuckDBPyConnection, edges: str, into: str = "_rt_cyc") -> int:
    """The edges (c, p) among the unfinished nodes ``_rt_u`` where p reaches c, into table ``into``; their count."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rt_eu AS SELECT c, p FROM {edges}
                    WHERE c IN (SELECT c FROM _rt_u) AND p IN (SELECT c FROM _rt_u)""")
    # reachability inside the (small) unfinished subgraph; UNION de-duplicates, so it terminates
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rt_reach AS
        WITH RECURSIVE r(s, t) AS (
            SELECT c, p FROM _rt_eu
            UNION
            SELECT r.s, e.p FROM r JOIN _rt_eu e ON r.t = e.c
        ) SELECT s, t FROM r
    """)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {into} AS
                    SELECT e.c, e.p FROM _rt_eu e SEMI JOIN _rt_reach r ON r.s = e.p AND r.t = e.c""")
    return _count(con, f"SELECT count(*) FROM {into}")
