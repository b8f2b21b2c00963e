"""Transitive lineage roots: vectorised pointer jumping for single-parent chains, SQL doubling for merges.

Most models have exactly one structural parent, so the graph is mostly chains. Resolution has two stages:

1. **Chains** (numpy, array operations over all nodes at once, never a loop over models): every node
   with exactly one parent points at it; pointer jumping (``next = next[next]``, depth and grade
   combined on the way) takes each node to its *stop* — the nearest ancestor that is a root, a dangling
   parent (not in the snapshot) or a merge (two or more parents) — in about log2(chain length) rounds.
   Only nodes whose stop is still ahead stay in the working set, so later rounds touch few rows.
2. **Merges** (DuckDB): each merge node gets one row per parent, pointing at that parent's stop with
   weight 1/k and the chain's depth and grade folded in. That small graph (merges only) is resolved by
   pointer doubling in SQL: each round joins every unfinished (model -> frontier) row with the frontier's
   rows, so a row covers twice the hops per round. Chains that stop at a merge then take the merge's roots.

Weights: a model with k structural parents gives each 1/k; weights multiply along a path and paths that
reach the same root are summed, so the weights of one model's roots sum to 1. Depth is the shortest hop
count to that root; the grade rank is the weakest link of the strongest path to it.

Cycles: a cycle never finishes. Chain nodes still unfinished after ``ceil(log2(nodes)) + 2`` jumps, and
merges still unfinished after ``CYCLE_PROBE_ROUND`` doubling rounds (with the chains that stop at them),
are searched for cycles (reachability inside that small unfinished subgraph); if there are none, doubling
goes on (at most ``ceil(log2(edges)) + 2`` rounds, enough for any acyclic path). Every member of a cycle
is in that unfinished set, and an edge is reported only when its parent reaches its child, so the edges
found are exactly those inside a cycle, whenever the search runs. They are dropped and the resolution runs
again: each member of a cycle then keeps its parents outside the cycle, or becomes its own root, and its
rows (and those of every model whose path passes through it) carry ``cycle = TRUE``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa


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
_G_NONE = np.int8(np.iinfo(np.int8).min)  # identity of max() for grade ranks: "no edge yet"
_TEMP = ("_rt_all", "_rt_later", "_rt_act", "_rt_new", "_rt_mr", "_rt_u", "_rt_eu", "_rt_reach",
         "_rt_cyc", "_rt_keys")
_ARROW = ("_rt_red_in", "_rt_chain_in", "_rt_via_in", "_rt_self_in", "_rt_u_in", "_rt_keys_in", "_rt_e_in")


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
        for t in _ARROW:
            con.unregister(t)  # a no-op for names not registered in this run
        for t in _TEMP:
            con.execute(f"DROP TABLE IF EXISTS {t}")
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")


@dataclass
class _Graph:
    """Edges in dense node-index space (0..n-1), with the mapping back to the caller's keys."""

    c: np.ndarray
    p: np.ndarray
    g: np.ndarray
    n: int
    offset: int | None      # key = index + offset (keys already dense), or
    keys: np.ndarray | None  # key = keys[index] (sparse keys, interned with np.unique)


def _load(con: duckdb.DuckDBPyConnection, edges: str) -> tuple[_Graph, np.dtype]:
    cols = con.execute(f"SELECT c, p, CAST(g AS TINYINT) AS g FROM {edges}").fetchnumpy()
    c, p = np.asarray(cols["c"]), np.asarray(cols["p"])
    g = np.asarray(cols["g"], dtype=np.int8)
    key_type = np.result_type(c.dtype, p.dtype)
    if not c.size:
        return _Graph(c.astype(np.int32), p.astype(np.int32), g, 0, 0, None), key_type
    lo = int(min(c.min(), p.min()))
    hi = int(max(c.max(), p.max()))
    if hi - lo < 4 * c.size + 1024:  # dense keys (the build interns ids with row_number): index by offset
        ci, pi = (c - lo).astype(np.int32, copy=False), (p - lo).astype(np.int32, copy=False)
        return _Graph(ci, pi, g, hi - lo + 1, lo, None), key_type
    keys, inv = np.unique(np.concatenate([c, p]), return_inverse=True)
    inv = inv.astype(np.int32)
    return _Graph(inv[:c.size], inv[c.size:], g, keys.size, None, keys), key_type


def _resolve(con: duckdb.DuckDBPyConnection, edges: str, out: str) -> RootStats:
    graph, key_type = _load(con, edges)
    n_edges = int(graph.c.size)
    ktype = "BIGINT" if np.dtype(key_type).itemsize > 4 else "INTEGER"
    if graph.keys is not None:
        con.register("_rt_keys_in", pa.table({"i": np.arange(graph.n, dtype=np.int32), "k": graph.keys}))
        con.execute("CREATE OR REPLACE TEMP TABLE _rt_keys AS SELECT * FROM _rt_keys_in")
    flagged = np.zeros(graph.n, dtype=bool)
    rounds, unfinished = _attempt(con, graph, flagged, n_edges)
    cycle_edges = np.empty((0, 2), dtype=np.int32)
    if unfinished is not None:
        cycle_edges = _find_cycle_edges(con, graph, unfinished)
        if not cycle_edges.size:
            raise RuntimeError(f"root resolution did not converge ({unfinished.size} nodes left, no cycle found)")
        # mark the edges to drop: (c, p) pairs of the cycle edges, matched on a combined 64-bit key
        pair = graph.c.astype(np.int64) * graph.n + graph.p
        drop = np.isin(pair, cycle_edges[:, 0].astype(np.int64) * graph.n + cycle_edges[:, 1])
        flagged[cycle_edges[:, 0]] = True
        kept = _Graph(graph.c[~drop], graph.p[~drop], graph.g[~drop], graph.n, graph.offset, graph.keys)
        more, unfinished = _attempt(con, kept, flagged, n_edges)
        rounds += more
        if unfinished is not None:  # cannot happen once every cycle edge is gone; never loop forever regardless
            raise RuntimeError(f"root resolution did not converge ({unfinished.size} nodes left after cycle breaking)")
        # members whose every parent was inside the cycle become their own roots
        has_parent = np.zeros(graph.n, dtype=bool)
        has_parent[kept.c] = True
        alone = np.flatnonzero(flagged & ~has_parent).astype(np.int32)
        con.register("_rt_self_in", pa.table({"c": alone}))
    else:
        con.register("_rt_self_in", pa.table({"c": np.empty(0, dtype=np.int32)}))
    key = _key_sql(graph, ktype)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT {key('c')} AS c, {key('p')} AS p, w, CAST(d AS INTEGER) AS d, CAST(g AS TINYINT) AS g, f FROM (
            SELECT c, p, 1.0::DOUBLE AS w, d, g, f FROM _rt_chain_in
            UNION ALL
            SELECT v.c, m.p, m.w, v.d + m.d, greatest(v.g, m.g), v.f OR m.f FROM _rt_via_in v JOIN _rt_mr m ON v.s = m.c
            UNION ALL
            SELECT c, p, w, d, g, f FROM _rt_mr
            UNION ALL
            SELECT c, c, 1.0::DOUBLE, 0, CAST(0 AS TINYINT), TRUE FROM _rt_self_in
        ) u {_key_join(graph)}
    """)
    con.register("_rt_e_in", pa.table({"c": cycle_edges[:, 0].copy(), "p": cycle_edges[:, 1].copy()}))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {out}_cycle_edges AS
                    SELECT {key('c')} AS c, {key('p')} AS p FROM _rt_e_in u {_key_join(graph)}""")
    cycle_nodes = int(np.unique(cycle_edges[:, 0]).size)
    return RootStats(rounds, n_edges, int(cycle_edges.shape[0]), cycle_nodes)


def _key_sql(graph: _Graph, ktype: str) -> Callable[[str], str]:
    """SQL for mapping an index column back to the caller's key (used with :func:`_key_join`)."""
    if graph.keys is None:
        return lambda col: f"CAST(CAST(u.{col} AS {ktype}) + {graph.offset} AS {ktype})"
    return lambda col: f"CAST(_k{col}.k AS {ktype})"


def _key_join(graph: _Graph) -> str:
    if graph.keys is None:
        return ""
    return "JOIN _rt_keys _kc ON _kc.i = u.c JOIN _rt_keys _kp ON _kp.i = u.p"


def _attempt(con: duckdb.DuckDBPyConnection, graph: _Graph, flagged: np.ndarray,
             n_edges: int) -> tuple[int, np.ndarray | None]:
    """One resolution of ``graph``: fills ``_rt_mr`` and registers ``_rt_chain_in`` and ``_rt_via_in``.

    Returns (rounds, None) when everything finished, else (rounds, unfinished node indexes).
    """
    n = graph.n
    npar = np.bincount(graph.c, minlength=n)
    # a stop is any node without exactly one parent; a node of a single-parent cycle never reaches one
    # (its pointer may come back to itself, which is why stops are not told by nxt[x] == x)
    is_stop = npar != 1
    single = ~is_stop[graph.c]
    flags = bool(flagged.any())
    # chain state: nxt = current pointer, dep/grd/fl = hops, weakest grade and cycle flag from node to nxt
    nxt = np.arange(n, dtype=np.int32)
    dep = np.zeros(n, dtype=np.int32)
    grd = np.full(n, _G_NONE, dtype=np.int8)
    fl = np.zeros(n, dtype=bool)
    sc, sp = graph.c[single], graph.p[single]
    nxt[sc] = sp
    dep[sc] = 1
    grd[sc] = graph.g[single]
    if flags:
        fl[sc] = flagged[sc]
    rounds = 0
    act, nx = sc, sp  # nodes whose pointer is not yet at a stop, and their pointers
    max_jumps = math.ceil(math.log2(n + 2)) + 2
    jumps = 0
    while act.size:
        moving = ~is_stop[nx]  # the pointer's target is not a stop: jump over it
        if not moving.all():
            act, nx = act[moving], nx[moving]
            if not act.size:
                break
        if jumps == max_jumps:
            break
        jumps += 1
        dep[act] += dep[nx]
        grd[act] = np.maximum(grd[act], grd[nx])
        if flags:
            fl[act] |= fl[nx]
        nx = nxt[nx]
        nxt[act] = nx
    rounds += jumps
    chain_left = act  # only nodes on or leading into a pure single-parent cycle

    # merges: one row per parent, pointing at the parent's stop, chain folded in
    merge = ~single
    mc, mp = graph.c[merge], graph.p[merge]
    is_merge = npar > 1
    mstop = nxt[mp]
    con.register("_rt_red_in", pa.table({
        "c": mc, "p": mstop, "w": 1.0 / npar[mc], "d": dep[mp] + 1,
        "g": np.maximum(graph.g[merge], grd[mp]), "f": flagged[mc] | fl[mp],
        "fin": ~is_merge[mstop]}))  # finished: the stop is a root or dangling, not another merge
    max_rounds = math.ceil(math.log2(n_edges + 2)) + 2
    more, merge_left = _double(con, max_rounds, graph, chain_left, nxt)
    rounds += more

    # chains: to a root directly, or via a merge whose roots they take
    chained = sc
    stop = nxt[chained]
    via = is_merge[stop]
    if chain_left.size:
        done = np.ones(n, dtype=bool)
        done[chain_left] = False
        via &= done[chained]
        direct = ~via & done[chained]
    else:
        direct = ~via
    dc, vc = chained[direct], chained[via]
    con.register("_rt_chain_in", pa.table({"c": dc, "p": stop[direct], "d": dep[dc], "g": grd[dc],
                                           "f": fl[dc] if flags else np.zeros(dc.size, dtype=bool)}))
    con.register("_rt_via_in", pa.table({"c": vc, "s": stop[via], "d": dep[vc], "g": grd[vc], "f": fl[vc]}))
    if chain_left.size or merge_left.size:
        after_merge = vc[np.isin(stop[via], merge_left)] if merge_left.size else vc[:0]
        return rounds, np.unique(np.concatenate([chain_left, merge_left, after_merge]))
    return rounds, None


def _double(con: duckdb.DuckDBPyConnection, max_rounds: int, graph: _Graph, chain_left: np.ndarray,
            nxt: np.ndarray) -> tuple[int, np.ndarray]:
    """Pointer doubling over the merge rows ``_rt_red_in(c, p, w, d, g, f, fin)``, results in ``_rt_mr``.

    A row is finished when its frontier is not a merge. Returns (rounds, unfinished merge indexes). At
    ``CYCLE_PROBE_ROUND`` with rows left, a cycle search over everything unfinished decides whether to go on.
    """
    # parents of one merge that share a stop: one row, weights summed, shortest depth, strongest grade
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rt_all AS
        SELECT c, p, sum(w) AS w, min(d) AS d, min(g) AS g, bool_or(f) AS f, any_value(fin) AS fin
        FROM _rt_red_in GROUP BY c, p
    """)
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
            left = _act_nodes(con)
            if _find_cycle_edges(con, graph, _with_chains(left, chain_left, nxt, graph)).size:
                break
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rt_mr AS
        SELECT c, p, sum(w) AS w, min(d) AS d, min(g) AS g, bool_or(f) AS f FROM (
            SELECT c, p, w, d, g, f FROM _rt_all WHERE fin UNION ALL SELECT c, p, w, d, g, f FROM _rt_later
        ) GROUP BY c, p
    """)
    return rounds, (_act_nodes(con) if active else np.empty(0, dtype=np.int32))


def _act_nodes(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    return np.asarray(con.execute("SELECT DISTINCT c FROM _rt_act").fetchnumpy()["c"], dtype=np.int32)


def _with_chains(merges: np.ndarray, chain_left: np.ndarray, nxt: np.ndarray, graph: _Graph) -> np.ndarray:
    """Unfinished merges plus the chain nodes that stop at one of them (and the unfinished chains)."""
    is_m = np.zeros(graph.n, dtype=bool)
    is_m[merges] = True
    chained = graph.c
    return np.unique(np.concatenate([merges, chain_left, chained[is_m[nxt[chained]]]]))


def _find_cycle_edges(con: duckdb.DuckDBPyConnection, graph: _Graph, unfinished: np.ndarray) -> np.ndarray:
    """The edges (c, p) among ``unfinished`` nodes where p reaches c, as an (m, 2) index array."""
    inside = np.zeros(graph.n, dtype=bool)
    inside[unfinished] = True
    keep = inside[graph.c] & inside[graph.p]
    con.register("_rt_u_in", pa.table({"c": graph.c[keep], "p": graph.p[keep]}))
    con.execute("CREATE OR REPLACE TEMP TABLE _rt_eu AS SELECT c, p FROM _rt_u_in")
    # reachability inside the (small) unfinished subgraph; UNION de-duplicates, so it terminates
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _rt_reach AS
        WITH RECURSIVE r(s, t) AS (
            SELECT c, p FROM _rt_eu
            UNION
            SELECT r.s, e.p FROM r JOIN _rt_eu e ON r.t = e.c
        ) SELECT s, t FROM r
    """)
    rows = con.execute("""
        SELECT e.c, e.p FROM _rt_eu e SEMI JOIN _rt_reach r ON r.s = e.p AND r.t = e.c ORDER BY e.c, e.p
    """).fetchnumpy()
    return np.stack([np.asarray(rows["c"], dtype=np.int32), np.asarray(rows["p"], dtype=np.int32)], axis=1)
