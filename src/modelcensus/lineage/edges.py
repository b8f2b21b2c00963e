"""Parent edges of one snapshot, declared and inferred, each with its evidence and grade.

All of it is set-based SQL over ``models`` and ``declarations`` plus the registry TEMP tables
(``Registry.to_duckdb``, ``teachers.to_duckdb``). The result is TEMP table ``_lin_edges`` (child_id, parent_id,
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

import duckdb

from modelcensus.lineage import stated, teachers
from modelcensus.lineage.edge_sql import drop_temp, name_columns_sql, rows
from modelcensus.lineage.edges_declared import declared_edges, stated_edges
from modelcensus.lineage.edges_family import family_edges, family_patterns
from modelcensus.lineage.edges_inferred import format_and_mirror_edges, reuploader_edges, text_edges
from modelcensus.lineage.registry import Registry
from modelcensus.store.engine import Engine, Scratch, as_engine, scratch

__all__ = ["build_edges", "drop_temp"]


def models_table(con: duckdb.DuckDBPyConnection, sid: int) -> None:
    """TEMP ``_lin_m``: the snapshot's models with the keys edge inference joins on."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_m AS
        SELECT m.id, m.id_lower,
               -- ns_lower, name_lower, base_name (no format suffix), base_cased, dteacher, fam_name
               {name_columns_sql('m.id')},
               m.created_at, m.tags, m.files, m.library_name, m.model_type, m.architectures, m.params,
               -- config features only (not the JSON, cards or GGUF blobs: this table is the size of the Hub)
               TRY_CAST(coalesce(json_extract_string(m.config, '$.vocab_size'),
                                 json_extract_string(m.config, '$.text_config.vocab_size')) AS BIGINT) AS vocab,
               TRY_CAST(coalesce(json_extract_string(m.config, '$.hidden_size'),
                                 json_extract_string(m.config, '$.text_config.hidden_size')) AS BIGINT) AS hidden,
               json_extract(m.config, '$.quantization_config') IS NOT NULL AS has_quant,
               CASE WHEN m.config IS NOT NULL THEN
                   list_filter(list_distinct([
                       json_extract_string(m.config, '$.tokenizer_config.bos_token'),
                       json_extract_string(m.config, '$.tokenizer_config.eos_token'),
                       json_extract_string(m.config, '$.tokenizer_config.pad_token'),
                       json_extract_string(m.config, '$.tokenizer_config.unk_token'),
                       json_extract_string(m.config, '$.tokenizer_config.bos_token.content'),
                       json_extract_string(m.config, '$.tokenizer_config.eos_token.content'),
                       json_extract_string(m.config, '$.tokenizer_config.pad_token.content')]
                       || coalesce(CASE WHEN json_type(m.config, '$.tokenizer_config.additional_special_tokens')
                                             = 'ARRAY'
                                   THEN json_extract_string(m.config, '$.tokenizer_config.additional_special_tokens[*]')
                                   END, [])
                       || coalesce(CASE WHEN json_type(m.config, '$.special_tokens') = 'ARRAY'
                                   THEN json_extract_string(m.config, '$.special_tokens[*]') END, [])),
                       lambda t: t IS NOT NULL)
               END AS tokens
        FROM models m WHERE m.snapshot_id = {int(sid)}
    """)
    # canonical key: legacy alias ids and renamed namespaces map to today's spelling
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_canon AS
        SELECT m.id, m.id_lower,
               coalesce(lower(a.canonical_id),
                        CASE WHEN r.renamed_to IS NOT NULL
                             THEN lower(r.renamed_to) || '/' || m.name_lower END,
                        m.id_lower) AS canon
        FROM _lin_m m
        LEFT JOIN reg_model_aliases a ON a.model_id_lower = m.id_lower
        LEFT JOIN reg_namespaces r ON r.namespace_lower = m.ns_lower AND r.renamed_to IS NOT NULL
    """)
    # the two look-ups every id resolution needs, grouped once per build (not once per resolution)
    con.execute("CREATE OR REPLACE TEMP TABLE _lin_by_lower AS "
                "SELECT id_lower, min(id) AS id FROM _lin_m GROUP BY id_lower")
    con.execute("CREATE OR REPLACE TEMP TABLE _lin_by_canon AS "
                "SELECT canon, min(id) AS id FROM _lin_canon GROUP BY canon")


def build_edges(con: duckdb.DuckDBPyConnection, snapshot_id: int, registry: Registry) -> dict[str, Any]:
    """Fill TEMP ``_lin_edges`` and ``_lin_problems`` for one snapshot; returns counts per kind.

    The registry's TEMP tables must already be on ``con`` (``registry.to_duckdb(con)``).
    """
    engine = as_engine(con)
    with scratch(engine) as area:
        return _build_edges(engine, area, engine.con, snapshot_id, registry)  # type: ignore[attr-defined]


def _build_edges(engine: Engine, area: Scratch, con: duckdb.DuckDBPyConnection, snapshot_id: int,
                 registry: Registry) -> dict[str, Any]:
    """The rules in order. Ported rules take ``area`` and return the problem tables they made (model_id,
    problem); rules not yet behind the seam still take ``con`` and insert into ``_lin_problems``."""
    problem_tables: list[str] = []
    con.execute("CREATE OR REPLACE TEMP TABLE _lin_problems (model_id VARCHAR, problem VARCHAR)")
    skipped_patterns = family_patterns(con, registry)
    teachers.to_duckdb(con)
    stated.register(area)
    models_table(con, snapshot_id)
    declared_edges(con, snapshot_id)
    stated_edges(con)
    text_edges(con, snapshot_id)
    format_and_mirror_edges(con)
    reuploader_edges(con)
    family_edges(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_all AS
        SELECT child_id, parent_id, relation, inferred, grade, evidence, tier, 0 AS kind_rank FROM _lin_decl
        UNION ALL SELECT * FROM _lin_text
        UNION ALL SELECT * FROM _lin_interm
        UNION ALL SELECT * FROM _lin_conv
        UNION ALL SELECT * FROM _lin_mirror
        UNION ALL SELECT * FROM _lin_fam_edges
    """)
    # a model's root walk follows its strongest tier only; inside tier 2 only its strongest kind
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_edges AS
        WITH best AS (
            SELECT child_id, min(tier) AS tier FROM _lin_all WHERE tier < 9 GROUP BY child_id
        ),
        best_kind AS (
            SELECT a.child_id, min(a.kind_rank) AS kind_rank FROM _lin_all a
            JOIN best b ON a.child_id = b.child_id AND a.tier = b.tier GROUP BY a.child_id
        )
        SELECT DISTINCT ON (a.child_id, a.parent_id, a.relation)
               a.child_id, a.parent_id, a.relation, a.inferred, a.grade, a.evidence,
               (a.tier = b.tier AND a.kind_rank = k.kind_rank) AS structural, a.tier
        FROM _lin_all a
        LEFT JOIN best b ON a.child_id = b.child_id
        LEFT JOIN best_kind k ON a.child_id = k.child_id
        ORDER BY a.child_id, a.parent_id, a.relation, a.tier, a.kind_rank
    """)
    drop_temp(con, "_lin_all", "_lin_decl", "_lin_text", "_lin_conv", "_lin_mirror", "_lin_interm", "_lin_fam_edges",
              "_lin_canon", "_lin_by_lower", "_lin_by_canon", "_lin_contra", "_lin_ref", "reg_teacher_names",
              "reg_teacher_students", "reg_teacher_datasets", "reg_stated", "_lin_stated_nodes")
    engine.materialise("_lin_problems", " UNION ALL ".join(
        f"SELECT model_id, problem FROM {t}" for t in ["_lin_problems", *problem_tables]))
    stats = {f"{rel}|{grade}|{'inferred' if inf else 'declared'}": n for rel, grade, inf, n in rows(con, """
        SELECT relation, grade, inferred, count(*) FROM _lin_edges GROUP BY ALL ORDER BY ALL""")}
    if skipped_patterns:
        stats["name_patterns_skipped_not_re2"] = skipped_patterns
    return stats
