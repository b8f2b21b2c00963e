"""A deterministic SYNTHETIC Hugging Face hub: for demos, tests and benchmarks, never for findings.

- :func:`write_hubstats_parquet` writes one cross-section in the hub-stats ``models.parquet`` layout
  (vectorised; 2.2M rows in seconds).
- :func:`generate_hub` builds a monthly history; :func:`load_series` imports it as synthetic snapshots.

Families are rooted in real organisations, ids and configs; the distributions are calibrated against
``../shared/data`` (see ``docs/synthetic.md`` and ``profile.yaml``). Everything it produces says
``synthetic``.
"""

from modelcensus.sources.synthetic.hub import SyntheticHub, generate_hub, load_series
from modelcensus.sources.synthetic.hubstats import write_hubstats_parquet

__all__ = ["SyntheticHub", "generate_hub", "load_series", "write_hubstats_parquet"]
