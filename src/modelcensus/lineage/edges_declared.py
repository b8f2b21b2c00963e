"""Tier 1 edges: what the card, the Hub and the tags (or GGUF metadata) declare — checked before trusted.

Two checks stand between a declaration and the root walk:

* **validity**: a parent that is not a well-formed Hub id (``ORIGINAL_REPO_NAME``, ``mistral-7b``,
  ``../../etc/passwd``) and is neither a registry legacy alias nor a stored model is dropped with the
  problem ``invalid_declaration``; the model falls through to inference.
* **consistency with the config**: when the child's config names a family (architecture and vocabulary of
  one registry shape) and what is known of the declared parent (its stored config, else the registry
  family it is a root of) belongs to other families with a vocabulary the child's is not within 256 of
  (a fine-tune keeps its parent's vocabulary, give or take added tokens), the declaration cannot be the
  structural base: a 671B ``deepseek_v3`` is not fine-tuned into a 7.6B ``qwen2``. The edge is kept for
  display (not structural), the declared model is recorded as the likely teacher, the problem
  ``declared_base_contradicts_config`` is recorded, and the model is rooted through its detected family.
"""

from __future__ import annotations

import duckdb

from modelcensus.lineage.edge_sql import drop_temp, resolve
from modelcensus.lineage.grades import DECLARED_RELATIONS
from modelcensus.lineage.names import valid_hub_id_sql
from modelcensus.store.staging import card_parents_sql

_RELS = ", ".join(f"'{r}'" for r in DECLARED_RELATIONS)
_URL = "'^(https?://)?(www\\.)?huggingface\\.co/'"
VOCAB_SLACK = 256   # tokens a fine-tune may add to its parent's vocabulary
PARAMS_RATIO = 8    # a fine-tune keeps its parent's size; quantized copies report at most ~4x fewer
# mixture-of-experts model types: no dense body (not even a "llama-format" conversion) holds their expert
# layers, so a dense child declaring one contradicts it (rule E)
MOE_MODEL_TYPE = r"(moe|^deepseek_v[23]|^mixtral$|^dbrx$|^kimi_k2$|^jamba$|^arctic$|^grok)"
# full weight files: a repo holding them is not a bare adapter, whatever its name or adapter_config.json say
FULL_WEIGHTS = r"^(model|pytorch_model)(-[0-9]+-of-[0-9]+)?[.](safetensors|bin)$"


def declared_edges(con: duckdb.DuckDBPyConnection, sid: int) -> None:
    """TEMP ``_lin_decl`` (tier 1, or tier 9 when contradicted by the config) and ``_lin_contra``."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_decl_raw AS
        SELECT d.child_id, d.parent_id,
               CASE WHEN lower(d.relation) IN ({_RELS}) THEN lower(d.relation) END AS relation,
               CASE WHEN d.source = 'card' THEN 0
                    WHEN d.source = 'hub' OR (d.source = 'tag' AND d.relation IS NOT NULL) THEN 1
                    ELSE 2 END AS src_rank,
               d.source
        FROM declarations d WHERE d.snapshot_id = {int(sid)}
        UNION ALL
        SELECT id, regexp_replace(trim(p), {_URL}, ''), NULL, 2, 'gguf'
        FROM (
            SELECT id, unnest([json_extract_string(gguf, '$."general.base_model.0.repo_url"'),
                               json_extract_string(gguf, '$.base_model')]) AS p
            FROM models WHERE snapshot_id = {int(sid)} AND gguf IS NOT NULL
        ) WHERE p IS NOT NULL AND regexp_full_match(
            regexp_replace(trim(p), {_URL}, ''), '[A-Za-z0-9][A-Za-z0-9._\\-]*(/[A-Za-z0-9._\\-]+)?')
    """)
    resolve(con, "_lin_decl_raw", "parent_id", "_lin_decl_all")
    # valid: a well-formed namespaced id, a registry legacy alias ('gpt2'), or an id the snapshot holds
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_decl_res AS
        SELECT r.*, a.canonical_id,
               CASE WHEN r.resolved IS NOT NULL OR a.model_id_lower IS NOT NULL THEN TRUE   -- most rows: no regex
                    ELSE {valid_hub_id_sql('r.parent_id')} END AS valid
        FROM _lin_decl_all r LEFT JOIN reg_model_aliases a ON a.model_id_lower = lower(r.parent_id)
    """)
    # card values staging already refused (not even id-shaped: '../../etc/passwd') are invalid too
    con.execute(f"""
        INSERT INTO _lin_problems
        SELECT DISTINCT child_id, 'invalid_declaration' FROM _lin_decl_res WHERE NOT valid
        UNION
        SELECT DISTINCT id, 'invalid_declaration' FROM (
            SELECT id, regexp_replace(trim(unnest({card_parents_sql('card_data')})), {_URL}, '') AS p
            FROM models WHERE snapshot_id = {int(sid)} AND card_data IS NOT NULL
              -- substring tests before any JSON parse: only a card whose stored (valid) parents are missing,
              -- or that lists several, can hold a value staging refused
              AND contains(CAST(card_data AS VARCHAR), '"base_model"')
              AND (len(coalesce(base_models, [])) = 0 OR regexp_matches(CAST(card_data AS VARCHAR),
                                                                         '"base_model": ?[[]'))
        ) b
        WHERE p <> '' AND NOT {valid_hub_id_sql('p')}
          AND NOT EXISTS (SELECT 1 FROM reg_model_aliases a WHERE a.model_id_lower = lower(b.p))
          AND NOT EXISTS (SELECT 1 FROM _lin_by_lower m WHERE m.id_lower = lower(b.p))
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_decl0 AS
        WITH d AS (
            -- a parent the snapshot lacks keeps its declared id (a legacy alias: today's id)
            SELECT c.id AS child, coalesce(r.resolved, r.canonical_id, r.parent_id) AS parent,
                   r.resolved IS NOT NULL AS present,
                   r.relation, r.src_rank, r.source
            FROM _lin_decl_res r JOIN _lin_m c ON c.id = r.child_id
            WHERE r.valid AND lower(coalesce(r.resolved, r.canonical_id, r.parent_id)) <> c.id_lower
        ),
        best AS (SELECT child, min(src_rank) AS tier_rank FROM d GROUP BY child),
        chosen AS (   -- the parents of the strongest source only (no spurious merges of spellings)
            SELECT d.child, d.parent, bool_or(d.present) AS present, min(d.src_rank) AS src_rank,
                   list(DISTINCT d.source ORDER BY d.source) AS sources,
                   min(d.relation) FILTER (WHERE d.src_rank = 0) AS card_rel
            FROM d JOIN best b ON d.child = b.child AND d.src_rank = b.tier_rank
            GROUP BY d.child, d.parent
        ),
        any_rel AS (   -- the Hub's or a tag's relation, per parent and per child
            SELECT child, parent, min(relation) AS rel FROM d WHERE relation IS NOT NULL AND src_rank > 0
            GROUP BY child, parent
        ),
        child_rel AS (
            SELECT child, min(relation) FILTER (WHERE src_rank = 0) AS card_rel,
                   min(relation) FILTER (WHERE src_rank > 0) AS hub_rel
            FROM d GROUP BY child
        ),
        n AS (SELECT child, count(*) AS k FROM chosen GROUP BY child)
        SELECT c.child AS child_id, c.parent AS parent_id, c.present,
               coalesce(cr.card_rel, ar.rel, cr.hub_rel,
                        CASE WHEN n.k >= 2 THEN 'merge' END,
                        CASE WHEN list_has_any(m.tags, ['gguf', 'awq', 'gptq', 'exl2', 'bitsandbytes'])
                               OR m.base_name <> m.name_lower
                               OR m.has_quant THEN 'quantized'
                             WHEN list_contains(m.files, 'adapter_config.json') OR m.library_name = 'peft'
                               OR list_contains(m.tags, 'peft') THEN 'adapter' END,
                        'finetune') AS relation,
               FALSE AS inferred,
               ['declared', 'hub', 'tag'][c.src_rank + 1] AS grade,
               CASE c.src_rank WHEN 0 THEN 'card base_model'
                               WHEN 1 THEN CASE WHEN list_contains(c.sources, 'hub') THEN 'Hub baseModels'
                                                ELSE 'Hub tag base_model:<relation>' END
                               ELSE CASE WHEN list_contains(c.sources, 'gguf') THEN 'GGUF general.base_model'
                                         ELSE 'tag base_model' END END
               || CASE WHEN cr.card_rel IS NULL AND ar.rel IS NULL AND cr.hub_rel IS NULL
                       THEN CASE WHEN n.k >= 2 THEN '; relation: several parents'
                                 ELSE '; relation not declared' END ELSE '' END
               || CASE WHEN NOT c.present THEN '; parent not in snapshot' ELSE '' END AS evidence
        FROM chosen c
        JOIN n ON n.child = c.child
        JOIN _lin_m m ON m.id = c.child
        LEFT JOIN any_rel ar ON ar.child = c.child AND ar.parent = c.parent
        LEFT JOIN child_rel cr ON cr.child = c.child
    """)
    drop_temp(con, "_lin_decl_raw", "_lin_decl_all", "_lin_decl_res")
    _contradictions(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_decl AS
        SELECT d.child_id, d.parent_id, d.relation, d.inferred, d.grade,
               d.evidence || CASE WHEN x.child_id IS NOT NULL THEN '; contradicted by the config (' || x.why
                                  || '): not followed, recorded as the likely teacher' ELSE '' END AS evidence,
               CASE WHEN x.child_id IS NOT NULL THEN 9 ELSE 1 END AS tier, d.present
        FROM _lin_decl0 d LEFT JOIN _lin_contra x ON x.child_id = d.child_id AND x.parent_id = d.parent_id
    """)
    con.execute("INSERT INTO _lin_problems SELECT DISTINCT child_id, 'declared_base_contradicts_config' "
                "FROM _lin_contra")
    drop_temp(con, "_lin_decl0")


def _contradictions(con: duckdb.DuckDBPyConnection) -> None:
    """TEMP ``_lin_contra(child_id, parent_id, parent_families, why)``: declared parents the child's config rules out.

    What is known of the parent: its stored config when it has one, else the registry family it is a listed
    root of. Three independent reasons, any one suffices (Hub listings carry model_type and architectures,
    rarely vocab_size, so B and C matter most on real data):

    A. vocabulary: the child's architecture and vocabulary name families (one registry shape), none of them
       the parent's, and the child's vocabulary is not within ``VOCAB_SLACK`` of any the parent may have;
    B. architecture: the child's ``model_type`` is not one the parent has, only other families list it, and it
       is not ``llama`` (the generic layout conversions use: "llama-format" copies of Qwen or Mistral);
    C. size: both parameter counts are stored, the parent's is at least ``PARAMS_RATIO`` times the child's,
       and their model types differ (a 671B ``deepseek_v3`` is not fine-tuned into a 7.6B model);
    D. tokenizer, for the ``llama`` body B leaves out: the child's model type is not the parent's and it carries
       special tokens only other families list (Llama 3's ``<|begin_of_text|>`` declared a fine-tune of R1);
    E. experts: the parent's stored model type is a mixture of experts (``MOE_MODEL_TYPE``), the child's is a
       known dense one that no config shape lists beside the parent's, and the child is not a quantized copy: a
       llama body declaring DeepSeek-R1 (a dense Qwen3 declaring Qwen3-30B-A3B shares a shape: not contradicted).
    C skips adapters (a name with lora/adapter/peft, or an ``adapter_config.json``, and no full weight files):
    their weights are small."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_cx AS   -- the edges to judge, with both sides' features
        SELECT d.child_id, d.parent_id, d.relation, c.vocab AS cv, c.params AS cp, lower(trim(c.model_type)) AS cmt,
               c.architectures AS carch, c.tokens AS ctok, p.vocab AS pv, p.params AS pp,
               lower(trim(p.model_type)) AS pmt, p.architectures AS parch,
               -- adapter weights are small by nature, whatever the relation says (unless the repo also holds
               -- the full weights: the stored parameter count is then the whole model's)
               (regexp_matches(c.name_lower, '(lora|adapter|peft)')
                 OR coalesce(list_contains(c.files, 'adapter_config.json'), FALSE))
                 AND NOT coalesce(len(list_filter(c.files, lambda f: regexp_matches(f, '{FULL_WEIGHTS}'))) > 0, FALSE)
                 AS adapterish
        FROM _lin_decl0 d JOIN _lin_m c ON c.id = d.child_id
        LEFT JOIN _lin_m p ON p.id = d.parent_id
        WHERE c.model_type IS NOT NULL
          -- an adapter repo's config is its base's, unless it also holds the full weights (a merged upload)
          AND (d.relation <> 'adapter'
               OR coalesce(len(list_filter(c.files, lambda f: regexp_matches(f, '{FULL_WEIGHTS}'))) > 0, FALSE))
          -- only what can contradict: another model type or vocabulary, or a parent known by the registry alone
          AND CASE WHEN p.model_type IS NOT NULL
                   THEN lower(trim(c.model_type)) <> lower(trim(p.model_type))
                        OR abs(c.vocab - p.vocab) > {VOCAB_SLACK}
                   ELSE lower(d.parent_id) IN (SELECT model_id_lower FROM reg_family_roots) END
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_contra AS
        WITH cfam AS (   -- the child's families: by architecture and vocabulary of one shape (A), by model_type (B)
            SELECT child_id, parent_id, family, bool_or(by_vocab) AS by_vocab FROM (   -- equi-joins, no OR join
                SELECT x.child_id, x.parent_id, s.family, s.vocab_size = x.cv AS by_vocab
                FROM _lin_cx x JOIN reg_family_signatures s ON s.model_type = x.cmt
                UNION ALL
                SELECT x.child_id, x.parent_id, s.family, s.vocab_size = x.cv
                FROM (SELECT child_id, parent_id, cv, unnest(carch) AS a FROM _lin_cx) x
                JOIN reg_family_signatures s ON s.architecture = x.a
            ) GROUP BY ALL
        ),
        tfam AS (   -- the child's families by special tokens only one family lists (D)
            SELECT DISTINCT x.child_id, x.parent_id, t.family
            FROM (SELECT child_id, parent_id, unnest(ctok) AS token FROM _lin_cx) x
            JOIN reg_family_tokens t ON t.token = x.token AND t.exclusive
        ),
        pfam AS (   -- the parent's families: from its own config, else as a listed registry root
            SELECT x.child_id, x.parent_id, s.family FROM _lin_cx x JOIN reg_family_signatures s ON s.model_type = x.pmt
            WHERE x.pv IS NULL OR s.vocab_size IS NULL OR s.vocab_size = x.pv
            UNION
            SELECT x.child_id, x.parent_id, r.family FROM _lin_cx x JOIN reg_family_roots r
              ON r.model_id_lower = lower(x.parent_id) WHERE x.pmt IS NULL
        ),
        pshape AS (   -- what the parent may have: its own config, else its families' shapes
            SELECT x.child_id, x.parent_id, x.pv AS v, x.pmt AS mt FROM _lin_cx x WHERE x.pmt IS NOT NULL
            UNION
            SELECT p.child_id, p.parent_id, s.vocab_size, s.model_type FROM pfam p
            JOIN _lin_cx x ON x.child_id = p.child_id AND x.parent_id = p.parent_id AND x.pmt IS NULL
            JOIN reg_family_signatures s ON s.family = p.family
        ),
        pf_agg AS (SELECT child_id, parent_id, list(DISTINCT family ORDER BY family) AS pf FROM pfam GROUP BY ALL),
        cf_agg AS (
            SELECT child_id, parent_id, list(DISTINCT family ORDER BY family) FILTER (WHERE by_vocab) AS cf_vocab,
                   list(DISTINCT family ORDER BY family) AS cf_mt
            FROM cfam GROUP BY ALL
        ),
        ps_agg AS (
            SELECT s.child_id, s.parent_id, bool_or(abs(s.v - x.cv) <= {VOCAB_SLACK}) AS vocab_fits,
                   bool_or(s.mt = x.cmt) AS mt_fits, count(s.mt) AS n_mt
            FROM pshape s JOIN _lin_cx x ON x.child_id = s.child_id AND x.parent_id = s.parent_id GROUP BY ALL
        ),
        tf_agg AS (SELECT child_id, parent_id, list(DISTINCT family ORDER BY family) AS tf FROM tfam GROUP BY ALL),
        judged AS (
            SELECT x.*, p.pf, c.cf_vocab, c.cf_mt, t.tf, s.vocab_fits, s.mt_fits, coalesce(s.n_mt, 0) AS n_mt
            FROM _lin_cx x
            JOIN pf_agg p ON p.child_id = x.child_id AND p.parent_id = x.parent_id
            LEFT JOIN cf_agg c ON c.child_id = x.child_id AND c.parent_id = x.parent_id
            LEFT JOIN tf_agg t ON t.child_id = x.child_id AND t.parent_id = x.parent_id
            LEFT JOIN ps_agg s ON s.child_id = x.child_id AND s.parent_id = x.parent_id
        ),
        flagged AS (
            SELECT *,
                   len(coalesce(pf, [])) > 0 AND a.cv IS NOT NULL AND len(coalesce(cf_vocab, [])) > 0
                     AND NOT list_has_any(pf, cf_vocab) AND NOT coalesce(vocab_fits, FALSE) AS by_a,
                   len(coalesce(pf, [])) > 0 AND n_mt > 0 AND NOT coalesce(mt_fits, FALSE) AND cmt <> 'llama'
                     AND len(coalesce(cf_mt, [])) > 0 AND NOT list_has_any(pf, cf_mt) AS by_b,
                   pmt IS NOT NULL AND pmt <> cmt AND regexp_matches(pmt, '{MOE_MODEL_TYPE}')
                     AND NOT regexp_matches(cmt, '{MOE_MODEL_TYPE}')
                     AND len(coalesce(cf_mt, [])) > 0             -- a model type the registry knows, not junk
                     AND relation <> 'quantized'                  -- llama.cpp lays a Mixtral out as 'llama'
                     -- one config shape (generation) listing both types: dense Qwen3 from Qwen3 MoE, Mistral from
                     -- Mixtral; DeepSeek's old llama shape is not R1's deepseek_v3 one
                     AND NOT EXISTS (SELECT 1 FROM reg_family_signatures s1 JOIN reg_family_signatures s2
                                     ON s1.family = s2.family AND s1.shape = s2.shape
                                     WHERE s1.model_type = a.pmt AND s2.model_type = a.cmt) AS by_e,
                   pp IS NOT NULL AND cp > 0 AND pp >= {PARAMS_RATIO} * cp AND pmt IS NOT NULL AND pmt <> cmt
                     AND NOT adapterish AS by_c,
                   cmt = 'llama' AND len(coalesce(pf, [])) > 0 AND n_mt > 0 AND NOT coalesce(mt_fits, FALSE)
                     AND len(coalesce(tf, [])) > 0 AND NOT list_has_any(pf, tf) AS by_d
            FROM judged a
        )
        SELECT child_id, parent_id, coalesce(pf, []) AS parent_families,
               concat_ws('; ',
                   CASE WHEN by_a THEN 'vocabulary ' || cv || ' (family ' || array_to_string(cf_vocab, '/')
                        || ') is not the parent''s' END,
                   CASE WHEN by_b THEN 'architecture ' || cmt || ' (family ' || array_to_string(cf_mt, '/')
                        || ') is not the parent''s (' || coalesce(pmt, 'family ' || array_to_string(pf, '/'))
                        || ')' END,
                   CASE WHEN by_c THEN round(cp / 1e9, 1) || 'B parameters against the parent''s '
                        || round(pp / 1e9, 1) || 'B (' || pmt || ')' END,
                   CASE WHEN by_d AND NOT by_b THEN 'special tokens of ' || array_to_string(tf, '/') || ' on a '
                        || cmt || ' body, the parent is ' || coalesce(pmt, 'family ' || array_to_string(pf, '/')) END,
                   CASE WHEN by_e AND NOT by_b THEN 'a dense ' || cmt || ' body is not a fine-tune of the '
                        || 'mixture-of-experts ' || pmt END)
                 AS why
        FROM flagged WHERE by_a OR by_b OR by_c OR by_d OR by_e
    """)
    drop_temp(con, "_lin_cx")


def stated_edges(con: duckdb.DuckDBPyConnection) -> None:
    """Add to ``_lin_decl`` (tier 1) the bases publishers state on their own cards (``data/stated_bases.yaml``)
    for models that declare nothing at all: observed ones, and parents the snapshot only references. Grade
    ``tag``, not ``declared``: the statement is registry knowledge, not in the record the snapshot holds.
    TEMP ``_lin_stated_nodes`` (id, id_lower) stays for the teacher rule (``edges_inferred``)."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_stated_nodes AS
        SELECT m.id, m.id_lower FROM _lin_m m
        WHERE m.id_lower IN (SELECT model_id_lower FROM reg_stated)
          -- nothing declared at all: a record whose card declares something (even junk, or a base the config
          -- contradicts) is its author's word today, and the list does not overrule it
          AND NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM _lin_problems p WHERE p.model_id = m.id AND p.problem = 'invalid_declaration')
        UNION   -- referenced only: one spelling per id, the one the build keeps for dangling parents (min)
        SELECT min(d.parent_id), lower(d.parent_id) FROM _lin_decl d
        WHERE NOT d.present AND lower(d.parent_id) IN (SELECT model_id_lower FROM reg_stated)
        GROUP BY lower(d.parent_id)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_stated_raw AS
        SELECT n.id AS child_id, s.base_id, s.evidence FROM _lin_stated_nodes n
        JOIN reg_stated s ON s.model_id_lower = n.id_lower
    """)
    resolve(con, "_lin_stated_raw", "base_id", "_lin_stated_res")
    con.execute("""
        INSERT INTO _lin_decl
        SELECT child_id, coalesce(resolved, base_id), 'finetune', FALSE, 'tag',
               'card (publisher''s own, stated-bases list): ' || evidence
               || CASE WHEN resolved IS NULL THEN '; parent not in snapshot' ELSE '' END, 1, resolved IS NOT NULL
        FROM _lin_stated_res WHERE lower(coalesce(resolved, base_id)) <> lower(child_id)
    """)
    drop_temp(con, "_lin_stated_raw", "_lin_stated_res")
