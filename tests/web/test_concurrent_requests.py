"""Request threads answer at once: every answer must equal the one the same URL gets alone.

One DuckDB connection runs one query at a time; a server read on the shared connection from request threads
gave 500s ("connection is busy") and false 409s ("lineage not built") under load (review26 P1: 8-31 of 160).
"""

from __future__ import annotations

import collections
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def test_concurrent_answers_equal_sequential_ones(client: Any, top_model: str) -> None:
    urls = [f"/api/origin/{top_model}", f"/api/lineage/{top_model}", "/api/origin/nosuch/model",
            f"/api/audit/{top_model}", f"/model/{top_model}"] * 30
    alone = {u: client.get(u).status_code for u in set(urls)}
    assert sorted(set(alone.values())) == [200, 404], alone
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda u: (u, client.get(u).status_code), urls))
    wrong = collections.Counter((u, alone[u], got) for u, got in together if got != alone[u])
    assert not wrong, f"{sum(wrong.values())} of {len(together)} answers differ under concurrency: {dict(wrong)}"
