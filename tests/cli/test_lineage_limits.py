"""`lineage --format json` returns every descendant when asked, and says so when it does not (issue 8 item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelcensus.cli.main import run

BASE = "deepseek-ai/DeepSeek-R1"


@pytest.fixture
def tree(tmp_path: Path) -> str:
    rows = [{"id": BASE, "downloads": 100}]
    rows += [{"id": f"kid/c{i}", "downloads": 10 + i, "cardData": {"base_model": BASE}} for i in range(6)]
    rows += [{"id": f"grand/g{i}", "downloads": i, "cardData": {"base_model": f"kid/c{i}"}} for i in range(3)]
    # one child with two edges to the root (declared finetune, and distillation inferred from the teacher's
    # reasoning-trace dataset): still one descendant
    rows.append({"id": "kid/dual", "downloads": 1,
                 "cardData": {"base_model": BASE, "datasets": ["open-r1/OpenR1-Math-220k"]}})
    src = tmp_path / "tree.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    db = str(tmp_path / "c.duckdb")
    assert run(["--db", db, "import", str(src), "--observed-at", "2025-01-01"]) == 0
    return db


def _desc(db: str, capsys, *args: str) -> tuple[dict, str]:
    capsys.readouterr()
    assert run(["--db", db, "lineage", BASE, "--format", "json", *args]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)["descendants"], captured.err


def test_all_lists_every_descendant_once(tree: str, capsys) -> None:
    d, err = _desc(tree, capsys, "--all")
    ids = [r["id"] for r in d["shown"]]
    assert d["total"] == 10 and len(ids) == 10 == len(set(ids)) and d["truncated"] is False
    assert "listed" not in err
    assert d["by_depth"] == {"1": 7, "2": 3}
    # kid/dual has two edges to the base and is one descendant, counted under one of them, as by_depth counts it
    # (review27 R27-3: by_relation counted both edges at depth 1, one per descendant deeper down)
    assert sum(d["by_relation"].values()) == 10


def test_a_limit_is_never_silent(tree: str, capsys) -> None:
    d, err = _desc(tree, capsys, "--limit", "4")
    assert d["total"] == 10 and len(d["shown"]) == 4 and d["truncated"] is True
    assert "listed 4 of 10 descendants" in err
    assert [r["depth"] for r in d["shown"]] == [1, 1, 1, 1]  # nearest first
    d, err = _desc(tree, capsys, "--limit", "10")
    assert len(d["shown"]) == 10 and d["truncated"] is False and err == ""
    d, err = _desc(tree, capsys, "--limit", "9")
    assert d["truncated"] is True and "listed 9 of 10" in err


def test_limit_and_all_together_are_refused(tree: str, capsys) -> None:
    assert run(["--db", tree, "lineage", BASE, "--all", "--limit", "3"]) == 2
    assert "--limit and --all" in capsys.readouterr().err
    assert run(["--db", tree, "lineage", BASE, "--limit", "-1"]) == 2


def test_table_view_says_how_many_more(tree: str, capsys) -> None:
    capsys.readouterr()
    assert run(["--db", tree, "lineage", BASE, "--limit", "2"]) == 0
    captured = capsys.readouterr()
    assert "... 8 more (--all lists them" in captured.out and "listed 2 of 10" in captured.err


def test_a_chain_deeper_than_the_walk_says_it_was_capped(tmp_path: Path, capsys) -> None:
    from modelcensus.lineage.origin import MAX_DESC_DEPTH

    n = MAX_DESC_DEPTH + 3
    rows = [{"id": "chain/m0", "downloads": 1}]
    rows += [{"id": f"chain/m{i}", "downloads": 1, "cardData": {"base_model": f"chain/m{i - 1}"}} for i in range(1, n)]
    src = tmp_path / "chain.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    db = str(tmp_path / "c.duckdb")
    assert run(["--db", db, "import", str(src), "--observed-at", "2025-01-01"]) == 0
    capsys.readouterr()
    assert run(["--db", db, "lineage", "chain/m0", "--all", "--format", "json"]) == 0
    captured = capsys.readouterr()
    d = json.loads(captured.out)["descendants"]
    assert d["total"] == MAX_DESC_DEPTH and d["depth_capped"] is True
    assert "not followed (depth_capped" in captured.err
    assert run(["--db", db, "lineage", "chain/m10", "--all", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["descendants"]["depth_capped"] is False
