"""An in-memory index of one snapshot's models, for interactive look-ups and search.

The web server answers hundreds of model look-ups and searches a second. The ``models`` table
has no index on ``id_lower`` (migration 004 dropped the key to make imports fast), so a point
look-up in DuckDB scans row groups: on a 2.2M-model snapshot that is several milliseconds per
query, and the DuckDB call overhead alone is ~1 ms. This index holds the few columns a look-up
or a search result shows, as one Arrow table sorted by 30-day downloads (descending), plus a
dict from lower-cased id to row. Look-ups are then a dict access; a substring search scans the
sorted id column in chunks with Arrow's C++ ``match_substring`` and stops as soon as it has
enough hits, so popular queries touch a few thousand ids and rare ones one pass over the array
(benchmarks/bench_web_load.py measures both on 2.2M models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from modelcensus.store.store import Store

MAX_QUERY = 200          # characters of a search query that are looked at
CHUNK = 65_536           # ids scanned per step of a substring search
COLUMNS = ("id", "author", "downloads_30d", "downloads_all_time", "likes", "pipeline_tag", "library_name",
           "license", "created_at", "params", "gated")


@dataclass(frozen=True)
class SearchHit:
    """One search result: a model id (or an organisation) and why it matched."""

    kind: str            # model | org
    id: str
    label: str
    downloads: int | None
    match: str           # exact | prefix | substring


class ModelIndex:
    """The models of one snapshot, sorted by 30-day downloads, with an id dictionary."""

    def __init__(self, table: pa.Table, snapshot_id: int) -> None:
        self.snapshot_id = snapshot_id
        self.table = table
        ids = table.column("id").to_pylist()
        self._row = {i.lower(): n for n, i in enumerate(ids)}
        self._lower = pc.utf8_lower(table.column("id")).combine_chunks()
        self._author_lower = pc.utf8_lower(pc.fill_null(table.column("author"), "")).combine_chunks()

    @classmethod
    def build(cls, store: Store, snapshot_id: int) -> ModelIndex:
        """Read the snapshot's look-up columns once (one scan) into memory."""
        cols = ", ".join(COLUMNS)
        table = store.con.sql(
            f"SELECT {cols} FROM models WHERE snapshot_id = $sid ORDER BY downloads_30d DESC NULLS LAST, id",
            params={"sid": snapshot_id}).to_arrow_table()
        return cls(table, snapshot_id)

    def __len__(self) -> int:
        return self.table.num_rows

    def row(self, model_id: str) -> dict[str, Any] | None:
        """The model's look-up columns, matched case-insensitively, or None."""
        n = self._row.get(model_id.lower())
        if n is None:
            return None
        return {c: self.table.column(c)[n].as_py() for c in COLUMNS}

    def rank(self, model_id: str) -> int | None:
        """1-based rank by 30-day downloads within the snapshot."""
        n = self._row.get(model_id.lower())
        return None if n is None else n + 1

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Models whose id starts with or contains ``query`` (case-insensitive), most downloaded first.

        Exact match first, then ids whose name part (after the slash) or namespace starts with the
        query, then other substrings; each group in download order."""
        q = query.strip().lower()[:MAX_QUERY]
        if not q or limit <= 0:
            return []
        hits: list[SearchHit] = []
        seen: set[int] = set()
        exact = self._row.get(q)
        if exact is not None:
            hits.append(self._hit(exact, "exact"))
            seen.add(exact)
        prefix: list[int] = []
        other: list[int] = []
        for start in range(0, len(self._lower), CHUNK):
            part = self._lower.slice(start, CHUNK)
            starts = pc.or_(pc.starts_with(part, q), pc.match_substring(part, "/" + q))
            contains = pc.and_not(pc.match_substring(part, q), starts)
            prefix += [start + i for i in pc.indices_nonzero(starts).to_pylist()[: limit + 1]]
            if len(other) < limit:
                other += [start + i for i in pc.indices_nonzero(contains).to_pylist()[:limit]]
            if len(prefix) > limit:  # the page is filled by prefix matches in download order
                break
        ranked = [(n, "prefix") for n in prefix] + [(n, "substring") for n in other]
        for n, how in ranked:
            if len(hits) >= limit:
                break
            if n not in seen:
                seen.add(n)
                hits.append(self._hit(n, how))
        return hits

    def _hit(self, n: int, match: str) -> SearchHit:
        mid = self.table.column("id")[n].as_py()
        dl = self.table.column("downloads_30d")[n].as_py()
        return SearchHit("model", mid, mid, dl, match)

    def namespace_downloads(self, namespace: str) -> tuple[int, int]:
        """(models, 30-day downloads) published under a namespace (case-insensitive)."""
        mask = pc.equal(self._author_lower, namespace.lower())
        n = pc.sum(mask.cast(pa.int64())).as_py() or 0
        dl = pc.sum(pc.filter(self.table.column("downloads_30d"), mask)).as_py() or 0
        return int(n), int(dl)

    def top_of_namespaces(self, namespaces: list[str], limit: int) -> list[dict[str, Any]]:
        """The most downloaded models published under any of the namespaces."""
        if not namespaces:
            return []
        mask = pc.is_in(self._author_lower, value_set=pa.array([ns.lower() for ns in namespaces]))
        rows = pc.indices_nonzero(mask).to_pylist()[:limit]
        return [{c: self.table.column(c)[n].as_py() for c in COLUMNS} for n in rows]
