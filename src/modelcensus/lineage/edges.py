"""Parent edges of one snapshot, declared and inferred, each with its evidence and grade.

All of it is set-based SQL over ``models`` and ``declarations`` plus the registry TEMP tables
(``Registry.register``, ``teachers.register``). The result is TEMP table ``_lin_edges`` (child_id, parent_id,
relation, inferred, grade, evidence, structural, tier) and ``_lin_problems`` (model_id, problem). A child may be
a declared parent the snapshot does not hold (a dangling re-upload, mapped to its original).

Evidence tiers (a model's root walk follows only its strongest tier, see ``structural``), one module each:

1. declared (``edges_declared``): the card's ``base_model`` (grade ``declared``); else the Hub's ``baseModels``
   or ``base_model:<relation>:<id>`` tags (``hub``); else plain ``base_model:<id>`` tags or GGUF
   ``general.base_model.*`` metadata (``tag``). Invalid ids are dropped (``invalid_declaration``); a parent the
   config contradicts is kept for display only (``declared_base_contradicts_config``).
2. inferred from the card text or the repo (``edges_inferred``): continued pretraining stated in the card
   (``tag``), format conversion of a uniquely named original (``name``), re-upload of an older same-named repo
   with the same config signature (``config``), a re-uploader's copy mapped to its original (``name``).
3. family signature from the registry (``config`` / ``tokenizer``) or a family name pattern (``name``), pointing
   at the checkpoint of the generation and size the evidence supports (``edges_family``).
4. distillation teacher (card text, or a distill name naming a listed teacher): always recorded, structural
   only when nothing else is known about the model; teachers known from trace datasets or from a contradicted
   declaration are display only.
"""

from __future__ import annotations

from typing import Any

from modelcensus.lineage import stated, teachers
from modelcensus.lineage.edge_sql import edge_files, name_columns_sql
from modelcensus.lineage.edges_declared import declared_edges, stated_edges
from modelcensus.lineage.edges_family import family_edges, family_patterns
from modelcensus.lineage.edges_inferred import format_and_mirror_edges, reuploader_edges, text_edges
from modelcensus.lineage.registry import Registry
from modelcensus.store.engine import Engine, Scratch, as_engine, scratch
from modelcensus.store.sql_files import Fragment

__all__ = ["build_edges", "models_table"]


def models_table(area: Scratch, sid: int) -> None:
    """``_lin_m`` (the snapshot's models with the keys edge inference joins on), ``_lin_canon`` and the two
    look-ups every id resolution needs, ``_lin_by_lower`` and ``_lin_by_canon``."""
    files = edge_files()
    files.make(area, "lin_m", {"sid": int(sid), "name_columns": Fragment(name_columns_sql("m.id"))})
    area.keep("_lin_m")  # the build reads it after the edges (interning, origins)
    for stem in ("lin_canon", "lin_by_lower", "lin_by_canon"):
        files.make(area, stem)


def build_edges(engine: Any, snapshot_id: int, registry: Registry) -> dict[str, Any]:
    """Fill ``_lin_edges`` and ``_lin_problems`` (model_id, problem) for one snapshot on ``engine`` (an Engine,
    or a DuckDB connection, wrapped); returns counts per kind. The rules' intermediates live in a scratch area
    dropped when this returns; the registry's tables must already be on the engine (``registry.register``)."""
    engine = as_engine(engine)
    with scratch(engine) as area:
        return _build_edges(engine, area, snapshot_id, registry)


def _build_edges(engine: Engine, area: Scratch, snapshot_id: int, registry: Registry) -> dict[str, Any]:
    """The rules in order; each returns the problem tables (model_id, problem) it made."""
    problem_tables: list[str] = []
    skipped_patterns = family_patterns(area, registry)
    teachers.register(area)
    stated.register(area)
    models_table(area, snapshot_id)
    problem_tables += declared_edges(area, snapshot_id)
    problem_tables += stated_edges(area)
    problem_tables += text_edges(area, snapshot_id)
    problem_tables += format_and_mirror_edges(area)
    problem_tables += reuploader_edges(area)
    problem_tables += family_edges(area)
    edge_files().make(engine, "lin_m_ids")  # the last rule that reads more of _lin_m than its ids is done
    edge_files().make(area, "lin_all")
    edge_files().make(engine, "lin_edges")  # outlives the rules' scratch area: the build reads it
    area.drop("_lin_all", "_lin_decl", "_lin_text", "_lin_conv", "_lin_mirror", "_lin_interm", "_lin_fam_edges",
              "_lin_canon", "_lin_by_lower", "_lin_by_canon", "_lin_contra", "_lin_ref", "_lin_stated_nodes",
              "reg_stated")
    engine.materialise("_lin_problems", " UNION ALL ".join(
        [f"SELECT model_id, problem FROM {t}" for t in problem_tables]
        or ["SELECT CAST(NULL AS VARCHAR) AS model_id, CAST(NULL AS VARCHAR) AS problem WHERE FALSE"]))
    counts = engine.query("SELECT relation, grade, inferred, count(*) AS n FROM _lin_edges "
                          "GROUP BY relation, grade, inferred ORDER BY relation, grade, inferred").to_pylist()
    stats = {f"{r['relation']}|{r['grade']}|{'inferred' if r['inferred'] else 'declared'}": r["n"] for r in counts}
    if skipped_patterns:
        stats["name_patterns_skipped_not_re2"] = skipped_patterns
    return stats
