"""A synthetic hub with a monthly history, and its import into the store as synthetic snapshots.

``generate_hub`` draws the population once (deterministic for a seed); each month is a view of it:
the models created and not yet deleted by the month's end, with their downloads at that time.
``load_series`` imports every month through the store's one staging path, each month its own
transaction, idempotent by fingerprint, and marks every snapshot ``synthetic``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelcensus.errors import InputError
from modelcensus.sources.synthetic.columns import Universe
from modelcensus.sources.synthetic.population import RELATIONS, build_population, month_starts
from modelcensus.sources.synthetic.profile import Profile, load_profile, parse_day
from modelcensus.store.store import Snapshot, SnapshotMeta, Store

GENERATOR = "modelcensus.sources.synthetic"
GENERATOR_VERSION = "1"
SOURCE = "synthetic"


@dataclass
class SyntheticHub:
    """A deterministic synthetic hub observed at the end of ``months`` consecutive months."""

    seed: int
    n_models: int
    months: int
    start: str
    universe: Universe

    @property
    def profile(self) -> Profile:
        return self.universe.pop.profile

    @property
    def source_ref(self) -> str:
        return f"synthetic:seed={self.seed},n={self.n_models}"

    def _grid_month(self, month: int) -> int:
        if not isinstance(month, int | np.integer) or not 0 <= int(month) < self.months:
            raise InputError(f"month must be an integer in 0..{self.months - 1}, got {month!r}")
        return int(self.universe.pop.month_index(parse_day(self.start))) + int(month)

    def observed_at(self, month: int) -> datetime:
        """The moment month ``month`` (0-based) describes: its last second, UTC."""
        return datetime.fromtimestamp(self.universe.observed_at(self._grid_month(month)), tz=UTC)

    def model_indices(self, month: int) -> np.ndarray:
        """Population rows visible at the end of ``month``."""
        return self.universe.alive(self._grid_month(month))

    def table(self, month: int) -> pa.Table:
        """Month ``month`` in the hub-stats ``models.parquet`` layout."""
        return self.universe.hubstats_table(self.model_indices(month), self._grid_month(month))

    def staging_table(self, month: int) -> pa.Table:
        """Month ``month`` in the store's staging layout."""
        return self.universe.staging_table(self.model_indices(month), self._grid_month(month))

    def records(self, month: int) -> list[dict[str, Any]]:
        """Month ``month`` as Hub API JSON records (camelCase, nested objects parsed), e.g. for a fake Hub."""
        out = []
        for row in self.table(month).to_pylist():
            for key in ("cardData", "config", "gguf"):
                if row[key] is not None:
                    row[key] = json.loads(row[key])
            for key in ("createdAt", "lastModified"):
                row[key] = row[key].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            row["gated"] = False if row["gated"] == "False" else row["gated"]
            row["modelId"] = row["id"]
            out.append({k: v for k, v in row.items() if v is not None})
        return out

    def fingerprint(self, month: int) -> str:
        key = (f"{GENERATOR}:{GENERATOR_VERSION}:{self.profile.digest}:seed={self.seed}:n={self.n_models}:"
               f"start={self.start}:months={self.months}:month={month}")
        return "synthetic:" + hashlib.sha256(key.encode()).hexdigest()[:32]

    def truth(self) -> pa.Table:
        """The generator's ground truth for every model ever created (lineage tests score against it)."""
        pop = self.universe.pop
        prof = self.profile
        ids = self.universe.ids
        fam_key = pa.array([f.key for f in prof.families] + [None], pa.string())
        fam_cc = pa.array([f.country for f in prof.families] + [None], pa.string())
        fam = np.where(pop.family < 0, len(prof.families), pop.family)
        root_fam = np.where(pop.root < pop.n_official, pop.family[pop.root], -1)
        root_fam = np.where(root_fam < 0, len(prof.families), root_fam)

        def ref(a: np.ndarray) -> pa.Array:
            return pc.if_else(pa.array(a < 0), pa.scalar(None, pa.string()), ids.take(pa.array(np.maximum(a, 0))))

        rel = pa.array(list(RELATIONS) + [None], pa.string()).take(
            pa.array(np.where(pop.relation < 0, len(RELATIONS), pop.relation)))
        deleted = np.where(pop.deleted == np.iinfo(np.int64).max, -1, pop.deleted)
        return pa.table({
            "id": ids,
            "official": pa.array(np.arange(pop.n) < pop.n_official),
            # official repos whose namespace was renamed: the id they have after the rename
            "renamed_to": pc.if_else(
                pa.array(np.arange(pop.n) < pop.n_official),
                self.universe.ids_as_named(np.arange(pop.n), np.iinfo(np.int64).max - 1),
                pa.scalar(None, pa.string())),
            "family": fam_key.take(pa.array(fam)),
            "relation": rel,
            "parent_id": ref(pop.parent),
            "parent2_id": ref(pop.parent2),
            "parent3_id": ref(pop.parent3),
            "root_id": ref(pop.root),
            "root_family": fam_key.take(pa.array(root_fam)),
            "root_country": fam_cc.take(pa.array(root_fam)),
            "teacher_id": ref(pop.teacher),
            "declared": pa.array(pop.declared),
            "dangling": pa.array(pop.dangling),
            "cycle_with": ref(pop.cycle_parent),
            "created_at": pa.array(pop.created * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "deleted_at": pa.array(np.where(deleted < 0, 0, deleted) * 1_000_000, pa.int64(),
                                   mask=deleted < 0).cast(pa.timestamp("us", tz="UTC")),
        })


def generate_hub(n_models: int = 5000, seed: int = 7, months: int = 24, start: str = "2024-01-01") -> SyntheticHub:
    """A deterministic SYNTHETIC hub: ``n_models`` models ever created, observed at ``months`` month ends.

    Models are created from the Hub's 2022 floor date onwards (so the first month already holds a
    history), grow, and some are deleted. Same arguments -> identical hub.
    """
    if not isinstance(n_models, int) or isinstance(n_models, bool) or n_models <= 0:
        raise InputError(f"n_models must be a positive integer, got {n_models!r}")
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120:
        raise InputError(f"months must be an integer in 1..120, got {months!r}")
    t0 = parse_day(start)
    first = month_starts(t0, t0)[0]
    if first != t0:
        raise InputError(f"start must be the first day of a month, got {start!r}")
    end = int(month_starts(t0, t0 + int((months - 1) * 31 * 86_400))[months]) - 1
    profile = load_profile()
    floor = parse_day(profile.pop["created_floor"])
    floor_month = int(month_starts(floor, floor)[0])
    if t0 < floor_month:
        raise InputError(f"start must not precede the Hub's created_at floor "
                         f"({profile.pop['created_floor'][:7]}), got {start!r}")
    pop = build_population(profile, n_models, seed, end)
    return SyntheticHub(seed=seed, n_models=n_models, months=months, start=start, universe=Universe.build(pop))


def load_series(store: Store, hub: SyntheticHub, *, months: Iterable[int] | None = None) -> list[Snapshot]:
    """Import ``hub``'s months (all by default) as synthetic snapshots, one transaction each; re-runs are no-ops."""
    wanted = range(hub.months) if months is None else list(months)
    out: list[Snapshot] = []
    for m in wanted:
        observed = hub.observed_at(m)
        meta = SnapshotMeta(
            source=SOURCE, observed_at=observed, source_ref=hub.source_ref, fingerprint=hub.fingerprint(m),
            synthetic=True, complete=True, scope="full",
            notes={"synthetic": True, "generator": GENERATOR, "generator_version": GENERATOR_VERSION,
                   "profile": hub.profile.digest, "seed": hub.seed, "n_models": hub.n_models,
                   "month": observed.strftime("%Y-%m"),
                   "warning": "SYNTHETIC data from modelcensus's generator: not a measurement of the Hub"})
        out.append(store.import_tables(meta, [hub.staging_table(m)]).snapshot)
    return out
