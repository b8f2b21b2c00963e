"""Hand-built snapshots for the lineage tests: Hub-shaped records through the real staging path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from modelcensus.sources.records import to_staging_row, to_staging_table
from modelcensus.store import Store
from modelcensus.store.store import SnapshotMeta


def add_snapshot(store: Store, records: list[dict[str, Any]], *, observed_at: str = "2025-06-01",
                 synthetic: bool = False, source: str = "flat-file") -> int:
    """Import Hub-shaped records as one snapshot (through the real staging path); its id."""
    rows = [to_staging_row(r, i) for i, r in enumerate(records)]
    meta = SnapshotMeta(source=source, observed_at=datetime.fromisoformat(observed_at).replace(tzinfo=UTC),
                        synthetic=synthetic, source_ref=f"test:{len(records)}")
    res = store.import_tables(meta, [to_staging_table(rows)])
    assert res.skipped.count == 0, res.skipped.as_dict()
    return res.snapshot.id


def hub(mid: str, *, base: str | list[str] | None = None, relation: str | None = None, tags: list[str] | None = None,
        downloads: int = 10, created: str = "2025-01-01T00:00:00Z", **extra: Any) -> dict[str, Any]:
    """A Hub API record; ``base`` goes into the card, ``tags`` as given."""
    rec: dict[str, Any] = {"id": mid, "downloads": downloads, "createdAt": created, "tags": list(tags or [])}
    card: dict[str, Any] = {}
    if base is not None:
        card["base_model"] = base
    if relation is not None:
        card["base_model_relation"] = relation
    if card:
        rec["cardData"] = card
    rec.update(extra)
    return rec
