"""Root resolution by pointer doubling: weights, depth, grades, cycles, dangling parents."""

from __future__ import annotations

import duckdb
import pytest

from modelcensus.lineage.roots import resolve_roots


def _load(edges: list[tuple[str, str, int]]) -> duckdb.DuckDBPyConnection:
    """Named edges -> table ``e`` of integer keys (name map in ``k``), as the lineage build interns them."""
    con = duckdb.connect()
    con.execute("CREATE TABLE e0 (child VARCHAR, parent VARCHAR, g INTEGER)")
    con.executemany("INSERT INTO e0 VALUES (?, ?, ?)", edges)
    con.execute("CREATE TABLE k AS SELECT name, CAST(row_number() OVER () AS INTEGER) AS k "
                "FROM (SELECT child AS name FROM e0 UNION SELECT parent FROM e0)")
    con.execute("CREATE TABLE e AS SELECT a.k AS c, b.k AS p, CAST(g AS TINYINT) AS g "
                "FROM e0 JOIN k a ON child = a.name JOIN k b ON parent = b.name")
    return con


def _resolve(edges: list[tuple[str, str, int]]) -> tuple[dict, object]:
    con = _load(edges)
    stats = resolve_roots(con, "e", "r")
    rows = con.execute("SELECT a.name, b.name, w, d, g, f FROM r JOIN k a ON c = a.k JOIN k b ON p = b.k").fetchall()
    out: dict = {}
    for child, root, w, d, g, f in rows:
        out.setdefault(child, {})[root] = (w, d, g, f)
    return out, stats


def test_chain_depth_and_weakest_grade():
    r, stats = _resolve([("q", "f", 0), ("f", "base", 1), ("gg", "q", 5)])
    assert r["gg"] == {"base": (1.0, 3, 5, False)}
    assert r["q"] == {"base": (1.0, 2, 1, False)}
    assert stats.rounds <= 3  # 3 hops: round 0 + two doublings at most


def test_merge_weights_multiply_and_identical_roots_sum():
    r, _ = _resolve([("m", "L", 0), ("m", "Q", 0), ("mm", "m", 0), ("mm", "Q", 2)])
    assert r["m"] == {"L": (0.5, 1, 0, False), "Q": (0.5, 1, 0, False)}
    # mm -> m (1/2) -> {L 1/2, Q 1/2}; mm -> Q (1/2): Q reached twice, summed
    assert r["mm"]["L"][0] == pytest.approx(0.25)
    assert r["mm"]["Q"][0] == pytest.approx(0.75)
    assert r["mm"]["Q"][1] == 1  # shortest hop count
    assert r["mm"]["Q"][2] == 0  # the strongest path's grade


def test_three_way_merge_weights_sum_to_one():
    r, _ = _resolve([("x", "a", 0), ("x", "b", 0), ("x", "c", 0), ("a", "c", 0)])
    assert r["x"]["c"][0] == pytest.approx(2 / 3)
    assert sum(v[0] for v in r["x"].values()) == pytest.approx(1.0)


def test_cycle_is_broken_and_flagged():
    r, stats = _resolve([("a", "b", 0), ("b", "a", 0), ("b", "R", 0), ("x", "a", 0),
                         ("c1", "c2", 0), ("c2", "c3", 0), ("c3", "c1", 0)])
    assert stats.cycle_edges == 5 and stats.cycle_nodes == 5
    assert r["a"] == {"a": (1.0, 0, 0, True)}      # only in-cycle parents: its own root
    assert r["b"] == {"R": (1.0, 1, 0, True)}      # keeps its parent outside the cycle
    assert set(r["c2"]) == {"c2"}
    assert r["x"] == {"a": (1.0, 1, 0, False)}     # descendant: root is the cycle member


def test_dangling_parent_is_a_root():
    r, _ = _resolve([("child", "gone/deleted", 0), ("grandchild", "child", 0)])
    assert r["grandchild"] == {"gone/deleted": (1.0, 2, 0, False)}


def test_long_chain_converges_in_log_rounds():
    n = 1000
    r, stats = _resolve([(f"n{i}", f"n{i - 1}", 0) for i in range(1, n)])
    assert r[f"n{n - 1}"] == {"n0": (1.0, n - 1, 0, False)}
    assert stats.rounds <= 11  # ceil(log2(999)) = 10 doublings after round 0


@pytest.mark.parametrize(("depth", "rounds"), [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (9, 4)])
def test_chain_rounds_count_the_first_jump(depth: int, rounds: int):
    # the first jump is its own statement, the loop does the rest: together the same count as pointer
    # jumping from the start (none when every parent is a stop, then ceil(log2(depth)))
    r, stats = _resolve([(f"n{i}", f"n{i - 1}", 0) for i in range(1, depth + 1)])
    assert r[f"n{depth}"] == {"n0": (1.0, depth, 0, False)}
    assert stats.rounds == rounds


def _reference(edges: list[tuple[str, str, int]]) -> dict:
    """Plain recursive walk: (weight, shortest depth, weakest link of the strongest path) per (model, root)."""
    parents: dict[str, list[tuple[str, int]]] = {}
    for c, p, g in edges:
        parents.setdefault(c, []).append((p, g))
    memo: dict[str, dict] = {}

    def walk(n: str) -> dict:
        if n not in memo:
            acc: dict = {}
            for p, g in parents.get(n, []):
                sub = walk(p) if p in parents else {p: (1.0, 0, -1)}
                for r, (w, d, gr) in sub.items():
                    w0, d0, g0 = acc.get(r, (0.0, 10**9, 10**9))
                    acc[r] = (w0 + w / len(parents[n]), min(d0, d + 1), min(g0, max(g, gr)))
            memo[n] = acc
        return memo[n]

    return {c: walk(c) for c in parents}


@pytest.mark.parametrize("seed", range(6))
def test_random_dags_match_a_plain_walk(seed: int):
    # mostly single-parent chains (the pointer-jumping stage) with merges on top of and under them
    import random

    rnd = random.Random(seed)
    n = 400
    edges = set()
    for i in range(1, n):
        k = 1 if rnd.random() < 0.8 else rnd.choice((0, 2, 3))
        for p in rnd.sample(range(max(0, i - 30), i), min(k, i - max(0, i - 30))):
            edges.add((f"n{i}", f"n{p}", rnd.randrange(6)))
    edges |= {("n5", "gone/x", 3), ("n9", "gone/x", 0)}
    pairs: dict = {}
    for c, p, g in sorted(edges):
        pairs.setdefault((c, p), g)  # one row per (child, parent)
    edge_list = [(c, p, g) for (c, p), g in pairs.items()]
    got, stats = _resolve(edge_list)
    want = _reference(edge_list)
    assert set(got) == set(want)
    for c, roots in want.items():
        assert set(got[c]) == set(roots), c
        for r, (w, d, g) in roots.items():
            assert got[c][r][0] == pytest.approx(w, abs=1e-12)
            assert got[c][r][1:] == (d, g, False), (c, r)
    assert stats.cycle_edges == 0


def test_sparse_and_negative_keys_give_the_same_roots():
    con = duckdb.connect()
    con.execute("CREATE TABLE e (c BIGINT, p BIGINT, g TINYINT)")
    big = 10**12
    con.executemany("INSERT INTO e VALUES (?, ?, ?)",
                    [(3 * big, -7, 0), (5 * big, 3 * big, 2), (5 * big, -big, 1), (9, 5 * big, 0)])
    resolve_roots(con, "e", "r")
    rows = sorted(con.execute("SELECT c, p, w, d, g, f FROM r").fetchall())
    assert rows == [(9, -big, 0.5, 2, 1, False), (9, -7, 0.5, 3, 2, False),
                    (3 * big, -7, 1.0, 1, 0, False),
                    (5 * big, -big, 0.5, 1, 1, False), (5 * big, -7, 0.5, 2, 2, False)]
    assert con.execute("SELECT typeof(c) FROM r LIMIT 1").fetchall()[0][0] == "BIGINT"


def test_cycle_through_a_merge_and_its_chain():
    # m merges a and R; a -> b -> m closes a cycle through the merge; t hangs below the cycle
    r, stats = _resolve([("m", "a", 0), ("m", "R", 1), ("a", "b", 0), ("b", "m", 0), ("t", "b", 2),
                         ("u", "m", 3)])
    assert stats.cycle_edges == 3 and stats.cycle_nodes == 3
    assert r["m"] == {"R": (1.0, 1, 1, True)}     # keeps its parent outside the cycle
    assert r["a"] == {"a": (1.0, 0, 0, True)}     # only in-cycle parents: its own root
    assert r["b"] == {"b": (1.0, 0, 0, True)}
    assert r["t"] == {"b": (1.0, 1, 2, False)}    # below a member that became a root
    assert r["u"] == {"R": (1.0, 2, 3, True)}     # through a member that kept an outside parent


def test_empty_edges():
    con = duckdb.connect()
    con.execute("CREATE TABLE e (c INTEGER, p INTEGER, g TINYINT)")
    stats = resolve_roots(con, "e", "r")
    assert con.execute("SELECT count(*) FROM r").fetchall()[0][0] == 0
    assert stats.as_dict() == {"rounds": 0, "edges": 0, "cycle_edges": 0, "cycle_nodes": 0}


def test_cycle_edges_survive_a_second_probe_on_a_long_merge_path():
    # a <-> b is a cycle (b also has parent R); m0..m40 is a path of 41 merges, longer than the
    # 2^CYCLE_PROBE_ROUND hops a probe waits for, so the re-run after cycle breaking probes again (and
    # finds nothing): the cycle edges found the first time must still be reported
    edges = [("a", "b", 0), ("b", "a", 0), ("b", "R", 0)]
    edges += [(f"m{i}", f"m{i + 1}", 0) for i in range(40)] + [(f"m{i}", f"x{i}", 1) for i in range(41)]
    edges += [("m40", "R2", 0)]
    con = _load(edges)
    stats = resolve_roots(con, "e", "r")
    assert stats.cycle_edges == 2 and stats.cycle_nodes == 2
    dropped = con.execute("SELECT a.name, b.name FROM r_cycle_edges JOIN k a ON c = a.k JOIN k b ON p = b.k "
                          "ORDER BY 1").fetchall()
    assert dropped == [("a", "b"), ("b", "a")]
    m0 = dict(con.execute("SELECT b.name, w FROM r JOIN k a ON c = a.k JOIN k b ON p = b.k "
                          "WHERE a.name = 'm0'").fetchall())
    assert m0["x0"] == pytest.approx(0.5) and m0["R2"] == pytest.approx(0.5 ** 41)
    assert sum(m0.values()) == pytest.approx(1.0)
