"""Parent edges of one snapshot, declared and inferred, each with its evidence and grade.

All of it is set-based SQL over ``models`` and ``declarations`` plus the registry TEMP tables
(``Registry.to_duckdb``). The result is TEMP table ``_lin_edges`` (child_id, parent_id, relation,
inferred, grade, evidence, structural, tier) and ``_lin_problems`` (model_id, problem).

Evidence tiers (a model's root walk follows only its strongest tier, see ``structural``):

1. declared: the card's ``base_model`` (grade ``declared``); else the Hub's ``baseModels`` or
   ``base_model:<relation>:<id>`` tags (grade ``hub``); else plain ``base_model:<id>`` tags or
   GGUF ``general.base_model.*`` metadata (grade ``tag``).
2. inferred from the card text or the repo: continued pretraining stated in the card (``tag``),
   format conversion (GGUF, MLX, ONNX, AWQ, GPTQ, EXL2, bnb) of a uniquely named original
   (``name``), re-upload of an older same-named repo with the same config signature (``config``).
3. family signature from the registry (``config`` / ``tokenizer``) or a family name pattern
   (``name``), pointing at the family's root model.
4. distillation teacher (name ``X-Distill-Y`` or card text "distilled from X"): always recorded,
   structural only when nothing else is known about the model.
"""

from __future__ import annotations

from typing import Any

import duckdb

from modelcensus.lineage.grades import DECLARED_RELATIONS
from modelcensus.lineage.registry import Registry
from modelcensus.store.sql import sql_literal

_RELS = ", ".join(f"'{r}'" for r in DECLARED_RELATIONS)
# format markers at the end of a repo name: -GGUF, -MLX-4bit, -AWQ, -GPTQ-Int4, -exl2-4.0bpw, -bnb-4bit ...
FORMAT_SUFFIX = (r"(?i)([-_.](gguf|ggml|mlx|onnx|awq|gptq|exl2|bnb|int4|int8|fp8|nf4|[0-9]+(\.[0-9]+)?bpw"
                 r"|[0-9]+-?bits?|i1|imatrix|q[2-8]_k(_[sml])?|q[4-8]_0))+$")
FORMAT_TAGS = ("gguf", "ggml", "mlx", "onnx", "awq", "gptq", "exl2", "bitsandbytes", "4-bit", "8-bit")
# "distilled from org/name", "distillation of org/name", "knowledge distillation from org/name"
DISTILL_TEXT = (r"(?i)distill(?:ed|ation)?\s+(?:from|of)\s+(?:the\s+)?\[?`?"
                r"([A-Za-z0-9][A-Za-z0-9._\-]*/[A-Za-z0-9._\-]+)")
CPT_TEXT = (r"(?i)continued?\s+pre-?train(?:ing|ed)?\s+(?:of|on|from)\s+(?:the\s+)?\[?`?"
            r"([A-Za-z0-9][A-Za-z0-9._\-]*/[A-Za-z0-9._\-]+)")
DISTILL_NAME = r"(?i)^(.+?)[-_]distill(?:ed)?[-_]"
CARD_TEXT_WINDOW = 20_000  # only the head of a card is searched: bounded work per model
_PATTERNS: dict[str, tuple[list[tuple[str, str]], list[str]]] = {}  # registry version -> (RE2-safe, skipped)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[tuple]:
    return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()


def drop_temp(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop TEMP tables as soon as they are used: at Hub scale each holds hundreds of MB."""
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _family_patterns(con: duckdb.DuckDBPyConnection, registry: Registry) -> list[str]:
    """TEMP ``_lin_fam_names(family, pattern)``: the registry's name patterns (not in its DuckDB tables).

    Returns the patterns DuckDB's regex engine (RE2) cannot run, which are left out."""
    from modelcensus.lineage.registry_match import unsafe_regex_reason

    cached = _PATTERNS.get(registry.version)
    if cached is None:
        rows, skipped = [], []
        probe = duckdb.connect()  # a failed probe must not abort the build's transaction
        for f in registry.families:
            for p in f.name_patterns:
                if unsafe_regex_reason(p) is not None:
                    continue
                try:  # DuckDB's RE2 has no look-around; such patterns cannot run set-based
                    probe.execute("SELECT regexp_matches('', ?)", ["(?i)" + p]).fetchall()
                except duckdb.Error:
                    skipped.append(f"{f.key}: {p}")
                    continue
                rows.append((f.key, "(?i)" + p))
        probe.close()
        cached = _PATTERNS[registry.version] = (rows, skipped)
    rows, skipped = cached
    con.execute("CREATE OR REPLACE TEMP TABLE _lin_fam_primary (family VARCHAR, model_id VARCHAR, rank INTEGER)")
    primary = [(f.key, mid, i) for f in registry.families for i, mid in enumerate(f.root_models)]
    if primary:
        con.executemany("INSERT INTO _lin_fam_primary VALUES (?, ?, ?)", primary)
    con.execute("CREATE OR REPLACE TEMP TABLE _lin_fam_names (family VARCHAR, pattern VARCHAR)")
    if rows:
        con.executemany("INSERT INTO _lin_fam_names VALUES (?, ?)", rows)
    return skipped


def _models(con: duckdb.DuckDBPyConnection, sid: int) -> None:
    """TEMP ``_lin_m``: the snapshot's models with the keys edge inference joins on."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_m AS
        SELECT m.id, m.id_lower,
               CASE WHEN contains(m.id, '/') THEN lower(split_part(m.id, '/', 1)) END AS ns_lower,
               lower(CASE WHEN contains(m.id, '/') THEN substr(m.id, strpos(m.id, '/') + 1) ELSE m.id END)
                 AS name_lower,
               -- the name without its format suffix (-GGUF, -AWQ ...): one regex per model, used twice
               regexp_replace(lower(CASE WHEN contains(m.id, '/') THEN substr(m.id, strpos(m.id, '/') + 1)
                                         ELSE m.id END), '{FORMAT_SUFFIX}', '') AS base_name,
               m.created_at, m.tags, m.files, m.library_name, m.model_type, m.architectures,
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


def _canon_sql(col: str) -> str:
    """SQL: canonical lower key of an id column (same rule as ``_lin_canon``), needs joins a_/r_."""
    return (f"coalesce(lower(a_.canonical_id), CASE WHEN r_.renamed_to IS NOT NULL THEN lower(r_.renamed_to) "
            f"|| '/' || lower(substr({col}, strpos({col}, '/') + 1)) END, lower({col}))")


def _resolve(con: duckdb.DuckDBPyConnection, src: str, col: str, out: str) -> None:
    """``out``: ``src`` plus ``resolved`` = the stored spelling of ``col`` (case-insensitive,
    aliases and renames followed) or NULL when the id is not in the snapshot."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH k AS (
            SELECT s.*, lower(s.{col}) AS _low, {_canon_sql('s.' + col)} AS _canon
            FROM {src} s
            LEFT JOIN reg_model_aliases a_ ON a_.model_id_lower = lower(s.{col})
            LEFT JOIN reg_namespaces r_ ON contains(s.{col}, '/')
                 AND r_.namespace_lower = lower(split_part(s.{col}, '/', 1)) AND r_.renamed_to IS NOT NULL
        )
        SELECT k.* EXCLUDE (_low, _canon), coalesce(m.id, c.id) AS resolved
        FROM k
        LEFT JOIN _lin_by_lower m ON m.id_lower = k._low
        LEFT JOIN _lin_by_canon c ON c.canon = k._canon
    """)


def _declared(con: duckdb.DuckDBPyConnection, sid: int) -> None:
    """Tier 1: what the card, the Hub and the tags (or GGUF metadata) declare."""
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
        SELECT id, regexp_replace(trim(p), '^(https?://)?(www\\.)?huggingface\\.co/', ''), NULL, 2, 'gguf'
        FROM (
            SELECT id, unnest([json_extract_string(gguf, '$."general.base_model.0.repo_url"'),
                               json_extract_string(gguf, '$.base_model')]) AS p
            FROM models WHERE snapshot_id = {int(sid)} AND gguf IS NOT NULL
        ) WHERE p IS NOT NULL AND regexp_full_match(
            regexp_replace(trim(p), '^(https?://)?(www\\.)?huggingface\\.co/', ''),
            '[A-Za-z0-9][A-Za-z0-9._\\-]*(/[A-Za-z0-9._\\-]+)?')
    """)
    _resolve(con, "_lin_decl_raw", "parent_id", "_lin_decl_res")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_decl AS
        WITH d AS (
            SELECT c.id AS child, coalesce(r.resolved, r.parent_id) AS parent, r.resolved IS NOT NULL AS present,
                   r.relation, r.src_rank, r.source
            FROM _lin_decl_res r JOIN _lin_m c ON c.id = r.child_id
            WHERE lower(coalesce(r.resolved, r.parent_id)) <> c.id_lower
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
        SELECT c.child AS child_id, c.parent AS parent_id,
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
               || CASE WHEN NOT c.present THEN '; parent not in snapshot' ELSE '' END AS evidence,
               1 AS tier
        FROM chosen c
        JOIN n ON n.child = c.child
        JOIN _lin_m m ON m.id = c.child
        LEFT JOIN any_rel ar ON ar.child = c.child AND ar.parent = c.parent
        LEFT JOIN child_rel cr ON cr.child = c.child
    """.replace("{FORMAT_SUFFIX}", FORMAT_SUFFIX).replace("{_RELS}", _RELS))
    drop_temp(con, "_lin_decl_raw", "_lin_decl_res")


def _text_edges(con: duckdb.DuckDBPyConnection, sid: int) -> None:
    """Distillation teachers (name and card text) and continued pretraining (card text)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_text_raw AS
        SELECT id AS child_id, t AS target, 'distillation' AS relation, 'card' AS how,
               'card text: distilled from ' || t AS evidence
        FROM (SELECT id, rtrim(unnest(regexp_extract_all(left(card_text, {CARD_TEXT_WINDOW}), '{DISTILL_TEXT}', 1)),
                               '.') AS t
              FROM models WHERE snapshot_id = {int(sid)} AND card_text IS NOT NULL)
        UNION ALL
        SELECT id, t, 'continued_pretraining', 'card', 'card text: continued pretraining of ' || t
        FROM (SELECT id, rtrim(unnest(regexp_extract_all(left(card_text, {CARD_TEXT_WINDOW}), '{CPT_TEXT}', 1)),
                               '.') AS t
              FROM models WHERE snapshot_id = {int(sid)} AND card_text IS NOT NULL)
    """)
    _resolve(con, "_lin_text_raw", "target", "_lin_text_res")
    # name: "<Teacher>-Distill-<Student>": the teacher in the same namespace, else the only model so named
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_distill_name AS
        WITH n AS (
            SELECT id, ns_lower, lower(regexp_extract(name_lower, '{DISTILL_NAME}', 1)) AS tname
            FROM _lin_m WHERE regexp_matches(name_lower, '{DISTILL_NAME}')
        ),
        -- per name: how many models carry it, and the first; per (namespace, name): the first there.
        -- Aggregates, not a join on names, which pairs every student with every same-named repo
        by_name AS (SELECT name_lower, count(*) AS k, min(id) AS id FROM _lin_m GROUP BY name_lower),
        by_ns AS (
            SELECT t.ns_lower, t.name_lower, min(t.id) AS id FROM _lin_m t
            SEMI JOIN n ON n.tname = t.name_lower GROUP BY t.ns_lower, t.name_lower
        ),
        cand AS (
            SELECT n.id AS child_id, coalesce(s.id, CASE WHEN b.k = 1 THEN b.id END) AS teacher
            FROM n JOIN by_name b ON b.name_lower = n.tname
            LEFT JOIN by_ns s ON s.name_lower = n.tname AND s.ns_lower = n.ns_lower
        )
        SELECT child_id, teacher AS parent_id,
               'name: ' || split_part(child_id, '/', -1) || ' names its teacher' AS evidence
        FROM cand WHERE teacher IS NOT NULL AND teacher <> child_id
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_text AS
        SELECT DISTINCT r.child_id, coalesce(r.resolved, r.target) AS parent_id, r.relation, TRUE AS inferred,
               'tag' AS grade,
               r.evidence || CASE WHEN r.resolved IS NULL THEN ' (not in snapshot)' ELSE '' END AS evidence,
               CASE r.relation WHEN 'distillation' THEN 4 ELSE 2 END AS tier, 0 AS kind_rank
        FROM _lin_text_res r JOIN _lin_m c ON c.id = r.child_id
        WHERE lower(coalesce(r.resolved, r.target)) <> c.id_lower
        UNION ALL
        SELECT d.child_id, d.parent_id, 'distillation', TRUE, 'name', d.evidence, 4, 1
        FROM _lin_distill_name d
        WHERE NOT EXISTS (SELECT 1 FROM _lin_text_res r WHERE r.child_id = d.child_id AND r.relation = 'distillation')
    """)
    drop_temp(con, "_lin_text_raw", "_lin_text_res", "_lin_distill_name")


def _format_and_mirror_edges(con: duckdb.DuckDBPyConnection) -> None:
    """Conversions (format marker + unique same-named original) and re-uploads (older same-named
    repo elsewhere with the same config signature, or the same declared parents)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_fmt AS
        SELECT id, ns_lower, name_lower, base_name, base_name <> name_lower AS has_suffix,
               list_has_any(coalesce(tags, []), {list(FORMAT_TAGS)}) AS has_tag
        FROM _lin_m
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_conv AS
        WITH conv AS (
            SELECT * FROM _lin_fmt f
            WHERE (has_suffix OR has_tag) AND base_name <> ''
              AND NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = f.id)
        ),
        -- originals grouped by name first: a self-join on names would pair thousands of same-named
        -- conversions with thousands of same-named originals (quadratic on the real Hub)
        orig AS (
            SELECT name_lower, count(*) AS k, min(id) AS id FROM _lin_fmt
            WHERE NOT has_suffix AND NOT has_tag GROUP BY name_lower
        ),
        cand AS (
            SELECT c.id AS child_id, o.id AS parent_id, c.has_suffix, o.k
            FROM conv c JOIN orig o ON o.name_lower = c.base_name
        )
        SELECT child_id, parent_id, 'conversion' AS relation, TRUE AS inferred, 'name' AS grade,
               CASE WHEN has_suffix THEN 'name: format suffix, the only model named '
                    ELSE 'format tag, the only other model named ' END || split_part(parent_id, '/', -1) AS evidence,
               2 AS tier, 1 AS kind_rank
        FROM cand WHERE k = 1
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_mirror AS
        WITH sig AS (
            SELECT id, ns_lower, name_lower, created_at, model_type,
                   list_sort(coalesce(architectures, [])) AS archs,
                   vocab
            FROM _lin_m
        ),
        parents AS (SELECT child_id, list_sort(list(parent_id)) AS ps FROM _lin_decl GROUP BY child_id),
        -- the oldest repo of each (name, signature) group is the original; windows, not a self-join,
        -- so thousands of same-named repos cost O(n log n), not O(n^2)
        cfg AS (
            SELECT s.*, first_value(id) OVER w AS orig, first_value(created_at) OVER w AS orig_created
            FROM sig s
            WHERE model_type IS NOT NULL AND vocab IS NOT NULL AND created_at IS NOT NULL
            WINDOW w AS (PARTITION BY name_lower, model_type, archs, vocab ORDER BY created_at, id)
        ),
        by_config AS (
            SELECT c.id AS child_id, c.orig AS parent_id, 'config' AS grade,
                   'same name and config (' || c.model_type || ', vocab ' || c.vocab || ') as the older '
                   || c.orig AS evidence, 2 AS tier
            FROM cfg c
            ANTI JOIN _lin_decl d ON d.child_id = c.id
            ANTI JOIN _lin_conv v ON v.child_id = c.id
            WHERE c.orig <> c.id AND c.orig_created < c.created_at
        ),
        base AS (
            SELECT s.id, s.created_at, first_value(s.id) OVER w AS orig,
                   first_value(s.created_at) OVER w AS orig_created
            FROM sig s JOIN parents p ON p.child_id = s.id
            WHERE s.created_at IS NOT NULL
            WINDOW w AS (PARTITION BY s.name_lower, p.ps ORDER BY s.created_at, s.id)
        ),
        by_base AS (   -- informational: both declare the same parents, so the root is the same anyway
            SELECT id AS child_id, orig AS parent_id, 'name' AS grade,
                   'same name and declared base as the older ' || orig AS evidence, 9 AS tier
            FROM base WHERE orig <> id AND orig_created < created_at
        )
        SELECT child_id, parent_id, 'reupload' AS relation, TRUE AS inferred, grade, evidence, tier, 2 AS kind_rank
        FROM by_config UNION ALL
        SELECT child_id, parent_id, 'reupload', TRUE, grade, evidence, tier, 2 FROM by_base
    """)
    drop_temp(con, "_lin_fmt")


def _family_edges(con: duckdb.DuckDBPyConnection) -> None:
    """Tier 3: undeclared models recognised by a registry family signature or name pattern.

    Same rules as ``registry_match``: config = architecture + vocabulary size; tokenizer = a
    vocabulary size alone or a special token only this family lists; name = a name pattern;
    architecture alone never names a family; a tie at the top is ``ambiguous_signature``.
    First-party models (publisher = the family's root organisation) and the family roots
    themselves are roots, not members.
    """
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_fam_cand AS
        SELECT m.id, m.ns_lower, m.name_lower, m.model_type, m.architectures,
               m.vocab, m.hidden,
               m.tokens,
               ns.org_key AS pub_org
        FROM _lin_m m
        LEFT JOIN reg_namespaces ns ON ns.namespace_lower = m.ns_lower
        WHERE NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM _lin_conv d WHERE d.child_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM _lin_mirror d WHERE d.child_id = m.id AND d.tier = 2)
          AND NOT EXISTS (SELECT 1 FROM _lin_text d WHERE d.child_id = m.id AND d.tier = 2)
          AND NOT EXISTS (SELECT 1 FROM reg_family_roots r WHERE r.model_id_lower = m.id_lower)
    """)
    # one row per config shape (generation) of a family: architecture, vocabulary and hidden size are
    # matched on the SAME shape, as registry_match does (Llama 2 and TinyLlama share llama + 32000)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_fam_shapes AS
        SELECT family, shape,
               coalesce(list(DISTINCT model_type) FILTER (WHERE model_type IS NOT NULL), []) AS mts,
               coalesce(list(DISTINCT architecture) FILTER (WHERE architecture IS NOT NULL), []) AS archs,
               coalesce(list(DISTINCT vocab_size) FILTER (WHERE vocab_size IS NOT NULL), []) AS vocabs,
               coalesce(any_value(hidden_sizes), []) AS hs, any_value(root_model) AS root_model
        FROM reg_family_signatures GROUP BY family, shape
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_fam_sig AS
        WITH pairs AS (   -- equi-joins only: an OR join would be a nested loop over the snapshot
            SELECT c.id, s.family, s.shape FROM _lin_fam_cand c JOIN reg_family_signatures s
              ON s.model_type = lower(trim(c.model_type))
            UNION
            SELECT c.id, s.family, s.shape FROM (SELECT id, unnest(architectures) AS a FROM _lin_fam_cand) c
              JOIN reg_family_signatures s ON s.architecture = c.a
            UNION
            SELECT c.id, s.family, s.shape FROM _lin_fam_cand c JOIN reg_family_signatures s ON s.vocab_size = c.vocab
        ),
        hit AS (
            SELECT p.id, p.family, p.shape, sh.root_model, sh.vocabs,
                   list_contains(sh.mts, lower(trim(c.model_type)))
                     OR list_has_any(sh.archs, coalesce(c.architectures, [])) AS a,
                   coalesce(list_contains(sh.hs, c.hidden), FALSE) AS h,
                   coalesce(list_contains(sh.vocabs, c.vocab), FALSE) AS v0
            FROM pairs p JOIN _lin_fam_shapes sh ON sh.family = p.family AND sh.shape = p.shape
            JOIN _lin_fam_cand c ON c.id = p.id
        ),
        ranked AS (
            SELECT id, family, shape, root_model, a, h,
                   v0 OR (len(vocabs) = 0 AND h AND a) AS v
            FROM hit
        ),
        cfg AS (   -- the best shape per family; the first listed on a tie
            SELECT id, family, root_model, a, v, h FROM ranked
            WHERE a OR v
            QUALIFY row_number() OVER (
                PARTITION BY id, family
                ORDER BY CASE WHEN a AND v THEN 4 WHEN v THEN 2 ELSE 1 END + CASE WHEN h THEN 1 ELSE 0 END DESC,
                         shape) = 1
        ),
        owners AS (SELECT token, count(DISTINCT family) AS n FROM reg_family_tokens GROUP BY token),
        tok AS (
            SELECT c.id, t.family, count(*) FILTER (WHERE t.exclusive) AS excl, count(*) AS shared,
                   sum(1.0 / o.n) AS shared_w
            FROM (SELECT DISTINCT id, unnest(tokens) AS token FROM _lin_fam_cand) c
            JOIN reg_family_tokens t ON t.token = c.token JOIN owners o ON o.token = t.token
            GROUP BY c.id, t.family
        ),
        fams AS (SELECT id, family FROM cfg UNION SELECT id, family FROM tok)
        SELECT f.id, f.family, g.root_model AS shape_root,
               coalesce(g.a, FALSE) AS arch_hit, coalesce(g.v, FALSE) AS vocab_hit,
               coalesce(t.excl, 0) > 0 AS tok_hit, FALSE AS name_hit,
               CASE WHEN g.a AND g.v THEN 5 + CASE WHEN g.h THEN 0.5 ELSE 0 END
                    WHEN g.v THEN 2 WHEN g.a THEN 1 ELSE 0 END
               + CASE WHEN coalesce(t.excl, 0) > 0 THEN 3 + 0.1 * (t.shared - t.excl)
                      WHEN t.shared > 0 THEN 0.5 * t.shared_w ELSE 0 END AS score
        FROM fams f
        LEFT JOIN cfg g ON g.id = f.id AND g.family = f.family
        LEFT JOIN tok t ON t.id = f.id AND t.family = f.family
    """)
    # names: every family for models no config/tokenizer signal decides; for decided models only the
    # families that a +1 could lift to the top (a name breaks ties, as in registry_match).
    # One combined pattern per family, inlined as a constant (a per-row pattern is recompiled per row)
    pats = _rows(con, """SELECT family, '(?i)' || string_agg('(?:' || substr(pattern, 5) || ')', '|')
                          FROM _lin_fam_names GROUP BY family ORDER BY family""")

    name_sql = " UNION ALL ".join(
        f"SELECT id, {sql_literal(fam)} AS family FROM _lin_undecided WHERE regexp_matches(name_lower, "
        f"{sql_literal(pat)}) UNION ALL SELECT id, family FROM _lin_close WHERE family = {sql_literal(fam)} "
        f"AND regexp_matches(name_lower, {sql_literal(pat)})" for fam, pat in pats
    ) or "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS family WHERE FALSE"
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_undecided AS
        SELECT c.id, c.name_lower FROM _lin_fam_cand c
        ANTI JOIN (SELECT id FROM _lin_fam_sig WHERE vocab_hit OR tok_hit) d ON d.id = c.id
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_close AS
        WITH top AS (SELECT id, max(score) AS best FROM _lin_fam_sig WHERE vocab_hit OR tok_hit GROUP BY id)
        SELECT s.id, s.family, c.name_lower FROM _lin_fam_sig s JOIN top t ON t.id = s.id
        JOIN _lin_fam_cand c ON c.id = s.id
        WHERE s.score + 1 >= t.best
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_fam_score AS
        WITH nm AS ({name_sql})
        SELECT s.id, s.family, s.shape_root, s.arch_hit, s.vocab_hit, s.tok_hit, n.id IS NOT NULL AS name_hit,
               round(s.score + CASE WHEN n.id IS NOT NULL THEN 1 ELSE 0 END, 3) AS score
        FROM _lin_fam_sig s LEFT JOIN nm n ON n.id = s.id AND n.family = s.family
        UNION ALL
        SELECT n.id, n.family, NULL, FALSE, FALSE, FALSE, TRUE, 1 FROM nm n
        ANTI JOIN _lin_fam_sig s ON s.id = n.id AND s.family = n.family
    """)
    con.execute("DROP TABLE IF EXISTS _lin_close")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_fam_score AS
        SELECT s.*, (vocab_hit OR tok_hit OR name_hit) AS decisive,
               CASE WHEN arch_hit AND vocab_hit THEN 'config'
                    WHEN vocab_hit OR tok_hit THEN 'tokenizer'
                    WHEN name_hit THEN 'name' END AS grade
        FROM _lin_fam_score s
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_fam AS
        WITH d AS (SELECT * FROM _lin_fam_score WHERE decisive),
        top AS (SELECT id, max(score) AS best FROM d GROUP BY id),
        winners AS (
            SELECT d.*, count(*) OVER (PARTITION BY d.id) AS ties
            FROM d JOIN top t ON t.id = d.id AND d.score = t.best
        ),
        root_model AS (   -- the family's first listed root present in the snapshot, else its first listed
            SELECT r.family, coalesce(m.id, r.model_id) AS root_id
            FROM _lin_fam_primary r LEFT JOIN _lin_m m ON m.id_lower = lower(r.model_id)
            QUALIFY row_number() OVER (PARTITION BY r.family ORDER BY m.id IS NULL, r.rank) = 1
        ),
        shape_root AS (   -- a matched generation's root, in the snapshot's spelling when present
            SELECT DISTINCT w.shape_root, coalesce(m.id, w.shape_root) AS root_id
            FROM (SELECT DISTINCT shape_root FROM winners WHERE shape_root IS NOT NULL) w
            LEFT JOIN (SELECT id_lower, min(id) AS id FROM _lin_m GROUP BY id_lower) m
              ON m.id_lower = lower(w.shape_root)
        )
        SELECT w.id AS child_id, coalesce(sr.root_id, rm.root_id) AS parent_id, w.family, w.grade, w.ties,
               concat_ws(', ', CASE WHEN w.arch_hit THEN 'model_type=' || coalesce(c.model_type, '?') END,
                         CASE WHEN w.vocab_hit THEN 'vocab_size=' || c.vocab END,
                         CASE WHEN w.tok_hit THEN 'family special tokens' END,
                         CASE WHEN w.name_hit THEN 'name pattern' END) AS signals,
               f.root_org, c.pub_org
        FROM winners w JOIN root_model rm ON rm.family = w.family
        LEFT JOIN shape_root sr ON sr.shape_root = w.shape_root
        JOIN reg_families f ON f.family = w.family
        JOIN _lin_fam_cand c ON c.id = w.id
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_fam_edges AS
        SELECT child_id, parent_id, 'finetune' AS relation, TRUE AS inferred, grade,
               CASE grade WHEN 'config' THEN 'config signature of family '
                          WHEN 'tokenizer' THEN 'tokenizer signature of family '
                          ELSE 'name pattern of family ' END || family || ' (' || signals || ')' AS evidence,
               3 AS tier, 3 AS kind_rank
        FROM _lin_fam
        WHERE ties = 1 AND pub_org IS DISTINCT FROM root_org AND lower(parent_id) <> lower(child_id)
    """)
    con.execute("""
        INSERT INTO _lin_problems
        SELECT DISTINCT child_id, 'ambiguous_signature' FROM _lin_fam WHERE ties > 1
        UNION
        SELECT s.id, 'ambiguous_signature' FROM _lin_fam_score s JOIN _lin_fam_cand c ON c.id = s.id
        LEFT JOIN reg_families f ON f.family = s.family
        GROUP BY s.id HAVING NOT bool_or(s.decisive) AND NOT bool_or(coalesce(f.root_org = c.pub_org, FALSE))
    """)
    drop_temp(con, "_lin_fam_cand", "_lin_fam_sig", "_lin_undecided", "_lin_fam_score", "_lin_fam")


def build_edges(con: duckdb.DuckDBPyConnection, snapshot_id: int, registry: Registry) -> dict[str, Any]:
    """Fill TEMP ``_lin_edges`` and ``_lin_problems`` for one snapshot; returns counts per kind.

    The registry's TEMP tables must already be on ``con`` (``registry.to_duckdb(con)``).
    """
    con.execute("CREATE OR REPLACE TEMP TABLE _lin_problems (model_id VARCHAR, problem VARCHAR)")
    skipped_patterns = _family_patterns(con, registry)
    _models(con, snapshot_id)
    _declared(con, snapshot_id)
    _text_edges(con, snapshot_id)
    _format_and_mirror_edges(con)
    _family_edges(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_all AS
        SELECT child_id, parent_id, relation, inferred, grade, evidence, tier, 0 AS kind_rank FROM _lin_decl
        UNION ALL SELECT * FROM _lin_text
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
    drop_temp(con, "_lin_all", "_lin_decl", "_lin_text", "_lin_conv", "_lin_mirror", "_lin_fam_edges", "_lin_canon",
              "_lin_by_lower", "_lin_by_canon")
    stats = {f"{rel}|{grade}|{'inferred' if inf else 'declared'}": n for rel, grade, inf, n in _rows(con, """
        SELECT relation, grade, inferred, count(*) FROM _lin_edges GROUP BY ALL ORDER BY ALL""")}
    if skipped_patterns:
        stats["name_patterns_skipped_not_re2"] = skipped_patterns
    return stats
