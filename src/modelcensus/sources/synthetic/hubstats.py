"""One synthetic cross-section in the public hub-stats ``models.parquet`` layout (methods.md §3.4).

Built for benchmarks (2.2M rows): the population is drawn once as numpy arrays, then rows are
materialised and written one row group at a time, in a shuffled order (real dumps are not
sorted parents-first), so memory stays bounded by the population arrays plus one row group.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from modelcensus.errors import InputError
from modelcensus.sources.synthetic.columns import HUBSTATS_SCHEMA, Universe
from modelcensus.sources.synthetic.population import build_population
from modelcensus.sources.synthetic.profile import load_profile

ROW_GROUP = 100_000


def write_hubstats_parquet(path: str | Path, n_models: int = 2_200_000, seed: int = 7,
                           *, observed_at: str = "2025-12-31", row_group_size: int = ROW_GROUP,
                           derivative_share: float | None = None) -> Path:
    """Write ``n_models`` SYNTHETIC models as a hub-stats Parquet observed at ``observed_at``; return the path.

    ``derivative_share`` overrides the profile's share of models with a parent (0.49, of which 92 %
    declare it: about 0.45 edges per model); e.g. 0.95 gives about 0.87 declared edges per model for
    lineage stress tests.

    The file's key-value metadata says ``synthetic=true`` with the generator, seed and profile digest,
    so nothing built from it can be mistaken for Hub data.
    """
    if not isinstance(n_models, int) or n_models <= 0:
        raise InputError(f"n_models must be a positive integer, got {n_models!r}")
    path = Path(path)
    profile = load_profile()
    if derivative_share is not None:
        if not isinstance(derivative_share, float | int) or not 0.0 <= derivative_share <= 1.0:
            raise InputError(f"derivative_share must be in [0, 1], got {derivative_share!r}")
        profile = profile.with_population(derivative_share=float(derivative_share))
    pop = build_population(profile, n_models, seed, observed_at, allow_deletions=False)
    uni = Universe.build(pop)
    month = int(pop.month_index(pop.end))
    order = np.random.default_rng(seed + 1).permutation(pop.n)
    meta = {
        b"synthetic": b"true",
        b"modelcensus.generator": b"modelcensus.sources.synthetic",
        b"modelcensus.source_ref": f"synthetic:seed={seed},n={n_models}".encode(),
        b"modelcensus.profile": profile.digest.encode(),
        b"modelcensus.observed_at": observed_at.encode(),
        b"modelcensus.derivative_share": str(profile.pop["derivative_share"]).encode(),
    }
    schema = HUBSTATS_SCHEMA.with_metadata(meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for lo in range(0, pop.n, row_group_size):
            idx = order[lo:lo + row_group_size]
            writer.write_table(uni.hubstats_table(idx, month, history_noise=False).replace_schema_metadata(meta),
                               row_group_size=row_group_size)
    tmp.replace(path)
    return path
