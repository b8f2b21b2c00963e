"""Lineage and origin: registry, parent edges, transitive roots, and per-model origin views.

``ensure_lineage`` builds a snapshot's ``edges`` and ``origins`` tables (set-based, once per
registry version); ``origin`` and ``lineage`` answer for one model.
"""

from modelcensus.lineage.build import ensure_lineage
from modelcensus.lineage.origin import lineage, origin

__all__ = ["ensure_lineage", "lineage", "origin"]
