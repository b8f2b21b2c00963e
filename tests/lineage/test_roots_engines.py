"""Root resolution on the engine seam: the same ``lineage/sql/roots/*.sql`` files on DuckDB and on Spark
(local mode) give equal rows — model, root, weight (within 1e-9), depth, grade, cycle flag — and equal the
networkx reference (topological propagation, as in benchmarks/bench_roots.py, extended to depth, grade and
the cycle rule) over small graphs: chains, merges with shared ancestors, diamonds, cycles, dangling parents,
self-loops. Spark tests skip, saying why, without pyspark or java; one Spark session serves the module, and
Spark resolves all the graphs at once, as one graph (every round is a few Spark jobs, even on tiny data)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from modelcensus.lineage.roots import resolve_roots, root_files
from modelcensus.store.engine import to_dialect
from modelcensus.store.engine_duckdb import DuckDBEngine

nx = pytest.importorskip("networkx")

Edge = tuple[str, str, int]  # child, parent, grade rank
GRAPHS: dict[str, list[Edge]] = {
    "chain": [("q", "f", 0), ("f", "base", 1), ("gg", "q", 5), ("h", "gg", 2)],
    "merge_shared_ancestors": [("a", "r", 0), ("b", "r", 1), ("b", "s", 0), ("m", "a", 0), ("m", "b", 2),
                               ("mm", "m", 0), ("mm", "r", 3), ("t", "mm", 1)],
    "diamond": [("b", "a", 0), ("c", "a", 2), ("d", "b", 1), ("d", "c", 0), ("e", "d", 0), ("e", "a", 4)],
    "two_cycle_and_ring": [("a", "b", 0), ("b", "a", 0), ("b", "R", 0), ("x", "a", 0),
                           ("c1", "c2", 0), ("c2", "c3", 0), ("c3", "c1", 0), ("y", "c3", 1)],
    "cycle_through_merge": [("m", "a", 0), ("m", "R", 1), ("a", "b", 0), ("b", "m", 0), ("t", "b", 2),
                            ("u", "m", 3)],
    "dangling": [("child", "gone/deleted", 0), ("grandchild", "child", 0), ("m", "child", 1),
                 ("m", "gone/other", 0)],
    "self_loops": [("s", "s", 0), ("s2", "s2", 0), ("s2", "R", 1), ("k", "s", 0), ("k2", "s2", 2)],
}


def _random_graph(seed: int, n: int = 40, back_edges: int = 2) -> list[Edge]:
    """Mostly single-parent chains with merges on top (the shape of the Hub), plus a few back edges."""
    rnd = random.Random(seed)
    pairs: dict[tuple[str, str], int] = {}
    for i in range(1, n):
        k = 1 if rnd.random() < 0.75 else rnd.choice((0, 2, 3))
        for p in rnd.sample(range(max(0, i - 8), i), min(k, i - max(0, i - 8))):
            pairs.setdefault((f"n{i}", f"n{p}"), rnd.randrange(6))
    for _ in range(back_edges):
        lo = rnd.randrange(n - 5)
        pairs.setdefault((f"n{lo}", f"n{lo + rnd.randrange(1, 5)}"), rnd.randrange(6))
    pairs[("n3", "gone/x")] = 2
    return [(c, p, g) for (c, p), g in sorted(pairs.items())]


GRAPHS["random_dag"] = _random_graph(1, back_edges=0)
GRAPHS["random_with_cycles"] = _random_graph(2)
ACYCLIC = ("chain", "merge_shared_ancestors", "diamond", "dangling", "random_dag")


def _combined(names: tuple[str, ...] | list[str]) -> list[Edge]:
    """Several graphs as one (node names prefixed, so they stay disjoint)."""
    return [(f"{n}:{c}", f"{n}:{p}", g) for n in names for c, p, g in GRAPHS[n]]


def _keys(edges: list[Edge]) -> dict[str, int]:
    names = sorted({x for c, p, _ in edges for x in (c, p)})
    return {name: i + 1 for i, name in enumerate(names)}


def _edge_table(edges: list[Edge], keys: dict[str, int]) -> pa.Table:
    return pa.table({"c": pa.array([keys[c] for c, _, _ in edges], pa.int32()),
                     "p": pa.array([keys[p] for _, p, _ in edges], pa.int32()),
                     "g": pa.array([g for _, _, g in edges], pa.int8())})


Rows = dict[tuple[str, str], tuple[float, int, int, bool]]


def _run(engine: Any, edges: list[Edge]) -> tuple[Rows, set[tuple[str, str]], dict[str, int]]:
    """resolve_roots on ``engine``: rows keyed by (model, root), the dropped cycle edges, the stats."""
    keys = _keys(edges)
    names = {k: n for n, k in keys.items()}
    engine.register_arrow("t_edges", _edge_table(edges, keys))
    try:
        stats = resolve_roots(engine, "t_edges", "t_roots")
        out = engine.query("SELECT c, p, w, d, g, f FROM t_roots").to_pylist()
        cyc = engine.query("SELECT c, p FROM t_roots_cycle_edges").to_pylist()
    finally:
        for t in ("t_edges", "t_roots", "t_roots_cycle_edges"):
            engine.drop(t)
    rows: Rows = {}
    for r in out:
        key = (names[r["c"]], names[r["p"]])
        assert key not in rows, f"two rows for {key}"
        rows[key] = (r["w"], r["d"], r["g"], r["f"])
    return rows, {(names[r["c"]], names[r["p"]]) for r in cyc}, stats.as_dict()


def reference(edges: list[Edge]) -> tuple[Rows, set[tuple[str, str]]]:
    """networkx: edges inside a strongly connected component (or self-loops) are the cycle edges; they are
    dropped and roots propagate in topological order — weight 1/k per parent multiplied along a path and
    summed per root, shortest depth, weakest link of the strongest path, flag when the path leaves a cycle
    member; a member left without parents is its own root (flagged)."""
    g = nx.DiGraph()
    g.add_nodes_from(x for c, p, _ in edges for x in (c, p))
    g.add_edges_from((p, c) for c, p, _ in edges)  # parent -> child
    comp = {n: i for i, scc in enumerate(nx.strongly_connected_components(g)) for n in scc}
    cycle = {(c, p) for c, p, _ in edges if comp[c] == comp[p]}
    members = {c for c, _ in cycle}
    kept = nx.DiGraph()
    kept.add_nodes_from(g)
    grade = {}
    for c, p, gr in edges:
        if (c, p) not in cycle:
            kept.add_edge(p, c)
            grade[(c, p)] = gr
    roots: dict[str, dict[str, tuple[float, int, int, bool]]] = {}
    for n in nx.topological_sort(kept):
        parents = list(kept.predecessors(n))
        if not parents:
            continue
        acc: dict[str, tuple[float, int, int, bool]] = {}
        for p in parents:
            sub = roots.get(p, {p: (1.0, 0, -1, False)})
            for r, (w, d, gr, f) in sub.items():
                w0, d0, g0, f0 = acc.get(r, (0.0, 10**9, 10**9, False))
                acc[r] = (w0 + w / len(parents), min(d0, d + 1), min(g0, max(grade[(n, p)], gr)),
                          f0 or f or n in members)
        roots[n] = acc
    rows: Rows = {(c, r): v for c, sub in roots.items() for r, v in sub.items()}
    rows.update({(m, m): (1.0, 0, 0, True) for m in members if not kept.in_degree(m)})
    return rows, cycle


def _assert_equal(got: Rows, want: Rows, where: str) -> None:
    assert set(got) == set(want), f"{where}: missing {set(want) - set(got)}, extra {set(got) - set(want)}"
    for key, (w, d, g, f) in want.items():
        gw, gd, gg, gf = got[key]
        assert abs(gw - w) <= 1e-9 and (gd, gg, gf) == (d, g, f), f"{where} {key}: {got[key]} != {want[key]}"


@pytest.fixture(scope="module")
def duck() -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine()
    yield engine
    engine.close()



@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_duckdb_engine_equals_networkx(duck: DuckDBEngine, name: str) -> None:
    rows, cyc, stats = _run(duck, GRAPHS[name])
    want, want_cyc = reference(GRAPHS[name])
    _assert_equal(rows, want, name)
    assert cyc == want_cyc
    assert stats["cycle_edges"] == len(want_cyc) and stats["cycle_nodes"] == len({c for c, _ in want_cyc})
    assert (name in ACYCLIC) == (not want_cyc)
    for model in {c for c, _ in rows}:  # every model's weights sum to 1
        assert sum(v[0] for (c, _), v in rows.items() if c == model) == pytest.approx(1.0, abs=1e-9)


def test_engine_and_connection_paths_agree(duck: DuckDBEngine) -> None:
    """The lineage build passes a DuckDB connection; it is wrapped in the same engine, same rows."""
    import duckdb

    edges = _combined(sorted(GRAPHS))
    keys = _keys(edges)
    con = duckdb.connect()
    con.register("src", _edge_table(edges, keys))
    con.execute("CREATE TABLE e AS SELECT * FROM src")
    stats = resolve_roots(con, "e", "r")
    names = {k: n for n, k in keys.items()}
    got = {(names[c], names[p]): (w, d, g, f) for c, p, w, d, g, f in con.execute("SELECT * FROM r").fetchall()}
    rows, _, engine_stats = _run(duck, edges)
    # weights to 12 decimals: a merge's 1/k shares are summed by a parallel aggregate, whose order (and so the last
    # bit: 0.8333333333333333 against ...34 in one full-suite run) may differ between two runs of the same rows
    def rounded(r: dict[Any, tuple]) -> dict[Any, tuple]:
        return {k: (round(w, 12), *rest) for k, (w, *rest) in r.items()}

    assert rounded(got) == rounded(rows) and stats.as_dict() == engine_stats
    leftovers = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary ORDER BY 1").fetchall()
    assert leftovers == [("r",), ("r_cycle_edges",)]  # the scratch tables are gone


def test_spark_equals_duckdb_and_networkx(duck: DuckDBEngine, spark_engine: Any) -> None:
    """Every graph at once (one resolution: Spark pays seconds per round here), cycles and all."""
    edges = _combined(sorted(GRAPHS))
    s_rows, s_cyc, s_stats = _run(spark_engine, edges)
    d_rows, d_cyc, d_stats = _run(duck, edges)
    want, want_cyc = reference(edges)
    _assert_equal(s_rows, d_rows, "spark vs duckdb")
    _assert_equal(s_rows, want, "spark vs networkx")
    assert s_cyc == d_cyc == want_cyc and s_stats == d_stats


def test_wide_keys_stay_wide(duck: DuckDBEngine) -> None:
    """BIGINT keys (sparse, negative) come back as BIGINT with the same roots."""
    big = 10**12
    duck.register_arrow("t_wide", pa.table({"c": pa.array([3 * big, 5 * big, 5 * big, 9], pa.int64()),
                                            "p": pa.array([-7, 3 * big, -big, 5 * big], pa.int64()),
                                            "g": pa.array([0, 2, 1, 0], pa.int8())}))
    resolve_roots(duck, "t_wide", "t_wide_roots")
    out = duck.query("SELECT c, p, w, d, g, f FROM t_wide_roots ORDER BY c, p")
    assert out.schema.field("c").type == pa.int64()
    assert [tuple(r.values()) for r in out.to_pylist()] == [
        (9, -big, 0.5, 2, 1, False), (9, -7, 0.5, 3, 2, False), (3 * big, -7, 1.0, 1, 0, False),
        (5 * big, -big, 0.5, 1, 1, False), (5 * big, -7, 0.5, 2, 2, False)]
    for t in ("t_wide", "t_wide_roots", "t_wide_roots_cycle_edges"):
        duck.drop(t)


@pytest.mark.parametrize("stem", sorted(root_files()))
def test_query_file_declares_its_tables_and_transpiles(stem: str) -> None:
    import sqlglot

    f = root_files()[stem]
    tree = sqlglot.parse_one(f.text("duckdb"), read="duckdb")
    ctes = {c.alias for c in tree.find_all(sqlglot.exp.CTE)}
    used = {t.name for t in tree.find_all(sqlglot.exp.Table)} - ctes
    assert used == set(f.reads), f"{f.name} reads {used}, declares {set(f.reads)}"
    assert f.produces.startswith("_rt_") and not f.dialects  # no engine-specific form needed
    sqlglot.parse_one(f.text("spark"), read="spark")
    assert f.text("spark") == to_dialect(f.text("duckdb"), "spark")
