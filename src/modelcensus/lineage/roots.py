"""Transitive lineage roots, computed set-based on the engine seam: chain pointer jumping, then doubling for merges.

Every statement is a query file in ``lineage/sql/roots/*.sql`` (DuckDB's dialect, transpiled for Spark),
run through an :class:`~modelcensus.store.engine.Engine` over narrow integer-keyed tables in a scratch
area; Python only counts rows and decides when to stop, never resolves a node. Most models have exactly
one structural parent, so the graph is mostly chains. Resolution has two stages:

1. **Chains** (``roots_chain_*``): the merges (children with two or more parents) are found first, so
   every other child has exactly one parent and points at it; pointer jumping (each round joins the chain
   state with itself, so a pointer skips twice as many hops; depth, weakest grade and cycle flag combined
   on the way) takes each node to its *stop* — the nearest ancestor that is a root, a dangling parent
   (not in the snapshot) or a merge — in about log2(chain length) rounds. Rows are written once they are
   final and never rewritten: the nodes whose parent is a stop (most of them), then those the first jump
   finishes; only the few left loop in ``repeat_until_stable``.
2. **Merges** (``roots_merge_*``): each merge node gets one row per parent, pointing at that parent's stop
   with weight 1/k and the chain's depth and grade folded in. That small graph (merges only) is resolved
   by pointer doubling: each round joins every unfinished (model -> frontier) row with the frontier's
   rows, so a row covers twice the hops per round. Chains that stop at a merge then take the merge's roots.

Weights: a model with k structural parents gives each 1/k; weights multiply along a path and paths that
reach the same root are summed, so the weights of one model's roots sum to 1. Depth is the shortest hop
count to that root; the grade rank is the weakest link of the strongest path to it.

Cycles: a cycle never finishes. Chain nodes still unfinished after ``ceil(log2(2 * edges + 2)) + 2`` jumps,
and merges still unfinished after ``CYCLE_PROBE_ROUND`` doubling rounds (with the chains that stop at them),
are searched for cycles (reachability, by squaring, inside that small unfinished subgraph); if there are
none, doubling goes on (at most ``ceil(log2(edges + 2)) + 2`` rounds, enough for any acyclic path). Every
member of a cycle is in that unfinished set, and an edge is reported only when its parent reaches its
child, so the edges found are exactly those inside a cycle, whenever the search runs. They are dropped and
the resolution runs again: each member of a cycle then keeps its parents outside the cycle, or becomes its
own root, and its rows (and those of every model whose path passes through it) carry ``cycle = TRUE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files as package_files
from typing import Any

import pyarrow as pa

from modelcensus.store.engine import Engine, NotStableError, Scratch, as_engine, check_name, scratch, to_dialect
from modelcensus.store.sql_files import SqlFile, parse_sql_file


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


# Merges still unfinished after this many doubling rounds (paths of 2^5 = 32 merge hops and more) are
# searched for cycles right away instead of after ceil(log2(edges)) + 2 rounds: every member of a cycle is
# unfinished at every round, so the edges found are the same whenever the search runs. Acyclic long
# paths just keep doubling.
CYCLE_PROBE_ROUND = 5
_SMALL_INTS = (pa.int8(), pa.int16(), pa.int32(), pa.uint8(), pa.uint16())


@cache
def root_files() -> dict[str, SqlFile]:
    """The query files of ``lineage/sql`` keyed by file stem (a loop's start and round produce one table)."""
    folder = package_files("modelcensus.lineage") / "sql" / "roots"
    return {e.name.removesuffix(".sql"): parse_sql_file(e.read_text(encoding="utf-8"), e.name)
            for e in sorted(folder.iterdir(), key=lambda e: e.name) if e.name.endswith(".sql")}


class _Run:
    """One resolution on one engine: the files' text per dialect (transpiled once), the scratch area."""

    def __init__(self, engine: Engine, area: Scratch, key_type: str, edges: str) -> None:
        self.engine, self.area = engine, area
        self.params = {"key_type": key_type, "edges": edges}
        self._text: dict[str, str] = {}

    def use_edges(self, edges: str) -> None:
        """Read the edges from ``edges`` from now on (the kept edges, after cycle breaking)."""
        self.params["edges"] = edges
        self._text.clear()

    def sql(self, stem: str) -> str:
        if stem not in self._text:
            self._text[stem] = root_files()[stem].text(self.engine.dialect, self.params)
        return self._text[stem]

    def make(self, stem: str) -> None:
        """Materialise the table file ``stem`` produces, in the scratch area."""
        self.area.materialise(root_files()[stem].produces, self.sql(stem))

    def count(self, table: str, where: str = "") -> int:
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        value = self.engine.query(to_dialect(sql, self.engine.dialect)).column(0)[0].as_py()
        return int(value or 0)

    def loop(self, stem: str, unfinished: str, max_rounds: int) -> tuple[int, bool]:
        """Run round file ``stem`` until no row of its table is ``unfinished``; (rounds, settled)."""
        table = root_files()[stem].produces
        count_sql = to_dialect(f"SELECT count(*) FROM {table} WHERE {unfinished}", self.engine.dialect)
        try:
            return self.area.repeat_until_stable(table, self.sql(stem), count_sql, max_rounds), True
        except NotStableError:
            return max_rounds, False


def resolve_roots(con: Any, edges: str, out: str = "_lineage_roots") -> RootStats:
    """Resolve the roots of every child in relation ``edges`` into table ``out``.

    ``con``: an :class:`~modelcensus.store.engine.Engine` (DuckDB or Spark); a DuckDB connection is wrapped
    in a ``DuckDBEngine`` on it.
    ``edges(c, p, g)``: integer node keys, one row per distinct (child, parent) pair, no
    self-loops, ``g`` the grade rank (0 strongest). The caller interns model ids to keys once
    (see :mod:`modelcensus.lineage.build`), so everything works on integers.
    ``out`` gets ``c, p, w, d, g, f`` = child, root, weight, depth, grade rank, cycle flag — one
    row per (child, root). ``{out}_cycle_edges(c, p)`` lists the edges dropped to break cycles.
    Nodes that are not a child in ``edges`` are their own roots; the caller adds them.
    """
    check_name(edges)
    check_name(f"{out}_cycle_edges")
    engine = as_engine(con)
    with engine.unordered(), scratch(engine) as area:
        return _resolve(engine, area, edges, out)


def _key_type(engine: Engine, edges: str) -> str:
    """INTEGER when both key columns fit in 32 bits, else BIGINT (the output keeps the caller's key width)."""
    schema = engine.query(f"SELECT c, p FROM {edges} LIMIT 0").schema
    return "INTEGER" if all(schema.field(k).type in _SMALL_INTS for k in ("c", "p")) else "BIGINT"


def _resolve(engine: Engine, area: Scratch, edges: str, out: str) -> RootStats:
    run = _Run(engine, area, _key_type(engine, edges), edges)
    n_edges = run.count(edges)
    run.make("cycle_none")
    run.make("cycle_members")
    rounds, unfinished = _attempt(run, n_edges)
    cycle_edges = cycle_nodes = 0
    if unfinished:
        cycle_edges = _find_cycle_edges(run)
        if not cycle_edges:
            raise RuntimeError(f"root resolution did not converge ({unfinished} nodes left, no cycle found)")
        run.make("cycle_found")
        run.make("cycle_members")
        cycle_nodes = run.count("_rt_fl")
        run.make("kept_edges")
        run.use_edges("_rt_e")
        more, unfinished = _attempt(run, n_edges)
        rounds += more
        if unfinished:  # cannot happen once every cycle edge is gone; never loop forever regardless
            raise RuntimeError(f"root resolution did not converge ({unfinished} nodes left after cycle breaking)")
    engine.materialise(out, run.sql("out"))
    engine.materialise(f"{out}_cycle_edges", "SELECT c, p FROM _rt_cyc")
    run.count(out)  # computed now, while the scratch tables it reads still exist (Spark is lazy)
    return RootStats(rounds, n_edges, cycle_edges, cycle_nodes)


def _attempt(run: _Run, n_edges: int) -> tuple[int, int]:
    """One resolution of the edges: chains in ``_rt_cn`` + ``_rt_ca`` (rows with fin) + ``_rt_cx``, merges in
    ``_rt_m``, their roots in ``_rt_mr``.

    Rows of the children in ``_rt_fl`` (cycle members) carry the cycle flag.
    Returns (rounds, number of unfinished nodes), the unfinished ones in ``_rt_u``.
    """
    run.make("merges")
    run.make("chain_start")
    run.make("chain_active")  # the first jump
    run.make("chain_rest")
    if run.count("_rt_cx"):  # nodes still unfinished after the first jump (else: was there a first jump?)
        more, _ = run.loop("chain_jump", "NOT fin", math.ceil(math.log2(2 * n_edges + 2)) + 1)
        jumps = 1 + more
    else:
        jumps = 1 if run.count("_rt_ca") else 0
    run.make("merge_start")
    run.make("merge_active")
    rounds = jumps + _double(run, math.ceil(math.log2(n_edges + 2)) + 2)
    run.make("merge_roots")
    run.make("unfinished")
    return rounds, run.count("_rt_u")


def _double(run: _Run, max_rounds: int) -> int:
    """Pointer doubling over the unfinished merge rows ``_rt_mx``; returns the rounds used. At ``CYCLE_PROBE_ROUND``
    with rows left, a cycle search over everything unfinished decides whether to go on."""
    if not run.count("_rt_mx", "NOT fin"):
        return 0
    first = min(CYCLE_PROBE_ROUND, max_rounds)
    rounds, settled = run.loop("merge_double", "NOT fin", first)
    if settled or first < CYCLE_PROBE_ROUND or first == max_rounds:
        return rounds
    run.make("unfinished")
    if _find_cycle_edges(run):
        return rounds
    more, _ = run.loop("merge_double", "NOT fin", max_rounds - first)
    return rounds + more


def _find_cycle_edges(run: _Run) -> int:
    """The edges (c, p) among the unfinished nodes ``_rt_u`` where p reaches c, into ``_rt_cy_new``; their count."""
    run.make("unfinished_edges")
    run.make("reach_start")
    n_nodes = run.count("_rt_u")
    rounds, settled = run.loop("reach_double", "fresh", math.ceil(math.log2(n_nodes + 2)) + 2)
    if not settled:  # squaring closes any path of n nodes in log2(n) rounds
        raise RuntimeError(f"cycle search did not settle in {rounds} rounds over {n_nodes} nodes")
    run.make("cycle_edges")
    return run.count("_rt_cy_new")
