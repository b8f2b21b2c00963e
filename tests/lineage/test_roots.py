"""Root resolution by pointer doubling: weights, depth, grades, cycles, dangling parents."""

from __future__ import annotations

import duckdb
import pytest

from modelcensus.lineage.roots import resolve_roots


def _resolve(edges: list[tuple[str, str, int]]) -> tuple[dict, object]:
    con = duckdb.connect()
    con.execute("CREATE TABLE e0 (child VARCHAR, parent VARCHAR, g INTEGER)")
    con.executemany("INSERT INTO e0 VALUES (?, ?, ?)", edges)
    con.execute("CREATE TABLE k AS SELECT name, CAST(row_number() OVER () AS INTEGER) AS k "
                "FROM (SELECT child AS name FROM e0 UNION SELECT parent FROM e0)")
    con.execute("CREATE TABLE e AS SELECT a.k AS c, b.k AS p, CAST(g AS TINYINT) AS g "
                "FROM e0 JOIN k a ON child = a.name JOIN k b ON parent = b.name")
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
