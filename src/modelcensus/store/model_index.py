"""An in-memory index of one snapshot's models, for interactive look-ups and search.

The web server answers hundreds of model look-ups and searches a second. The ``models`` table has
no index on ``id_lower`` (migration 004 dropped the key to make imports fast), so a point look-up in
DuckDB scans row groups, and the call overhead alone is about a millisecond. This index is built
with one DuckDB query and Arrow kernels only (no Python loop over the rows, so start-up stays a few
seconds on 2.2M models):

- the look-up columns as one Arrow table in download order (30-day downloads, descending);
- the lower-cased ids sorted, with their rows: a look-up is a binary search (about 21 probes);
- every lower-cased id behind a newline, as one contiguous byte buffer in download order: a search
  is a few ``bytes.find`` scans (``"\\n" + q`` finds ids starting with the query, ``"/" + q`` names
  starting with it, ``q`` any substring), each stopped as soon as it has a page of hits. Because the
  buffer is in download order, the first hits are the most downloaded; a rare query costs at most
  three passes of C-speed memory search over the buffer (about 80 MB for 2.2M ids).

Written here rather than taken from a search library because the need is narrow (prefix and
substring over ids, ranked by one column) and these two structures meet the latency goal with
nothing to maintain; ``benchmarks/bench_web_load.py`` measures them on 2.2M models.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelcensus.store.store import Store

MAX_QUERY = 200          # characters of a search query that are looked at
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


class _Probe:
    """A read-only sequence view of an Arrow string array, for :func:`bisect.bisect_left`."""

    def __init__(self, arr: pa.Array) -> None:
        self.arr = arr

    def __len__(self) -> int:
        return len(self.arr)

    def __getitem__(self, i: int) -> str:
        return self.arr[i].as_py()


class ModelIndex:
    """The models of one snapshot, in download order, with a sorted-id look-up and a search buffer."""

    def __init__(self, table: pa.Table, snapshot_id: int) -> None:
        """``table``: the snapshot's look-up columns in any order (sorting in Arrow is cheaper than in SQL
        with every column carried along)."""
        self.snapshot_id = snapshot_id
        self.table = table.select(list(COLUMNS))
        n = self.table.num_rows
        # download order (rank -> table row; Arrow's sort is stable, so ties keep the store's order; sorting
        # on downloads alone is ~20x cheaper than with an id tie-break) and its inverse row -> rank
        self._order = pc.array_sort_indices(self.table.column("downloads_30d").combine_chunks(),
                                            order="descending", null_placement="at_end")
        self._rank = np.empty(n, dtype=np.int64)
        self._rank[self._order.to_numpy()] = np.arange(n, dtype=np.int64)
        lower = pc.utf8_lower(self.table.column("id")).combine_chunks()
        by_id = pc.sort_indices(lower)
        self._sorted, self._sorted_rows = pc.take(lower, by_id), by_id
        # "\n" + id per element, in download order; its data buffer is every framed id back to back
        framed = pc.binary_join_element_wise(pa.scalar(""), pc.take(lower, self._order), "\n")
        framed = framed.cast(pa.large_string())
        off = np.frombuffer(framed.buffers()[1], dtype=np.int64)[framed.offset: framed.offset + n + 1]
        data = framed.buffers()[2]
        base = int(off[0]) if n else 0
        self._buf = data.to_pybytes()[base: int(off[-1])] if n and data is not None else b""
        self._starts = off[:-1] - base if n else np.zeros(0, dtype=np.int64)
        self._author_lower: pa.ChunkedArray | None = None

    @classmethod
    def build(cls, store: Store, snapshot_id: int) -> ModelIndex:
        """Read the snapshot's look-up columns once (one scan) into memory."""
        cols = ", ".join(COLUMNS)
        table = store.con.sql(f"SELECT {cols} FROM models WHERE snapshot_id = $sid",
                              params={"sid": snapshot_id}).to_arrow_table()
        return cls(table, snapshot_id)

    def __len__(self) -> int:
        return self.table.num_rows

    def _table_row(self, model_id: str) -> int | None:
        key = model_id.lower()
        i = bisect_left(_Probe(self._sorted), key)
        if i < len(self._sorted) and self._sorted[i].as_py() == key:
            return int(self._sorted_rows[i].as_py())
        return None

    def _position(self, model_id: str) -> int | None:
        """0-based rank by downloads of the model, or None."""
        row = self._table_row(model_id)
        return None if row is None else int(self._rank[row])

    def _row_dict(self, rank: int) -> dict[str, Any]:
        row = self._order[rank].as_py()
        return {c: self.table.column(c)[row].as_py() for c in COLUMNS}

    def row(self, model_id: str) -> dict[str, Any] | None:
        """The model's look-up columns, matched case-insensitively, or None."""
        n = self._position(model_id)
        return None if n is None else self._row_dict(n)

    def rank(self, model_id: str) -> int | None:
        """1-based rank by 30-day downloads within the snapshot."""
        n = self._position(model_id)
        return None if n is None else n + 1

    def model_id(self, n: int) -> str:
        """The id of the n-th most downloaded model (0-based)."""
        return str(self.table.column("id")[self._order[n].as_py()].as_py())

    def _find(self, needle: bytes, shift: int, limit: int) -> list[tuple[int, int]]:
        """(rank, offset of the hit) of the first ``limit`` ids (download order) whose framed id holds ``needle``;
        ``shift`` moves the offset onto the id (1 for a needle that starts with the frame's newline)."""
        rows: list[tuple[int, int]] = []
        buf, pos, n = self._buf, 0, len(self._starts)
        while len(rows) < limit:
            at = buf.find(needle, pos)
            if at < 0:
                break
            row = int(np.searchsorted(self._starts, at + shift, side="right")) - 1
            rows.append((row, at))
            pos = int(self._starts[row + 1]) if row + 1 < n else len(buf)  # one hit per id: go to the next id
        return rows

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Models whose id starts with or contains ``query`` (case-insensitive), most downloaded first.

        The exact id first, then ids whose namespace or name starts with the query, then other ids
        containing it; each group in download order."""
        q = "".join(ch for ch in query.strip().lower()[:MAX_QUERY] if ch.isprintable())
        if not q or limit <= 0 or not len(self):
            return []
        needle = q.encode("utf-8")
        hits: list[SearchHit] = []
        seen: set[int] = set()

        def add(rows: list[int], how: str) -> None:
            for n in rows:
                if len(hits) < limit and n not in seen:
                    seen.add(n)
                    hits.append(self._hit(n, how))

        exact = self._position(q)
        if exact is not None:
            add([exact], "exact")
        cap = 5 * limit + 1
        found = self._find(needle, 0, cap)
        if len(found) < cap:  # every id holding the query was found: classify them, no other scan needed
            prefix = [n for n, at in found if at == 0 or self._buf[at - 1] in b"\n/"]
        else:  # a popular query: the most downloaded ids starting with it, by two more (early-stopped) scans
            prefix = sorted({n for n, _ in self._find(b"\n" + needle, 1, limit + 1)}
                            | {n for n, _ in self._find(b"/" + needle, 1, limit + 1)})
        add(prefix[:limit], "prefix")
        add([n for n, _ in found], "substring")
        return hits

    def _hit(self, n: int, match: str) -> SearchHit:
        row = self._order[n].as_py()
        mid = str(self.table.column("id")[row].as_py())
        return SearchHit("model", mid, mid, self.table.column("downloads_30d")[row].as_py(), match)

    def _authors(self) -> pa.Array:
        if self._author_lower is None:
            self._author_lower = pc.utf8_lower(pc.fill_null(self.table.column("author"), ""))
        return self._author_lower

    def namespace_downloads(self, namespace: str) -> tuple[int, int]:
        """(models, 30-day downloads) published under a namespace (case-insensitive)."""
        mask = pc.equal(self._authors(), namespace.lower())
        n = pc.sum(mask.cast(pa.int64())).as_py() or 0
        dl = pc.sum(pc.filter(self.table.column("downloads_30d"), mask)).as_py() or 0
        return int(n), int(dl)

    def top_of_namespaces(self, namespaces: list[str], limit: int) -> list[dict[str, Any]]:
        """The most downloaded models published under any of the namespaces."""
        if not namespaces:
            return []
        mask = pc.is_in(self._authors(), value_set=pa.array([ns.lower() for ns in namespaces]))
        ranks = np.sort(self._rank[pc.indices_nonzero(mask).to_numpy()])[:limit]
        return [self._row_dict(int(n)) for n in ranks]
