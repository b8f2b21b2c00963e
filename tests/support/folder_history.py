"""Shared by the --snapshots tests: a synthetic Hub written as a history folder, and rows compared across
engines and paths."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from modelcensus import api
from modelcensus.sources.synthetic import generate_hub
from modelcensus.store import Store
from modelcensus.store.files import folder_files


class Close(float):
    """A float equal to another within 1e-14 relative (about 50 ulps): engines and paths add in a different order,
    and Spark turns each DOUBLE into a DECIMAL through its shortest decimal form, so the last digits may differ.
    Rounding both sides to 9 decimals failed on 13786391.546082951 against ...950, one ulp apart, and let shares
    of 1e-10 and 9e-10 pass as equal (review30 R30-7). Not hashable: equal values need not hash alike."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int | float) and not isinstance(other, bool) \
            and math.isclose(self, other, rel_tol=1e-14, abs_tol=0.0)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


def rounded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each float a :class:`Close`, so two row lists compare with ``==`` within the engines' spread."""
    return [{k: Close(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows]


def write_history(out: Path, *, n_models: int, seed: int, months: int) -> list[Path]:
    """Monthly hub-stats files of one synthetic Hub in ``out``, named by observation date (as pull --history
    writes them); returns their paths in date order."""
    hub = generate_hub(n_models=n_models, seed=seed, months=months)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for m in range(hub.months):
        path = out / f"{hub.observed_at(m):%Y-%m-%d}.parquet"
        pq.write_table(hub.universe.hubstats_table(hub.model_indices(m), hub._grid_month(m)), path)
        paths.append(path)
    return paths


def import_folder(db: Path, folder: Path) -> Store:
    """The store path's side of a comparison: a store holding the folder's files, each the snapshot of its date."""
    store = Store(db)
    for day, path in folder_files(folder):
        api.import_hubstats_parquet(store, path, observed_at=day.isoformat())
    return store
