"""Tier 2 and teacher edges: card text, teachers, format conversions, re-uploads and re-uploaders.

* Teachers (tier 4, structural only when nothing else is known): card text "distilled from org/name";
  a distill name "<Teacher>-Distill-<Student>" whose teacher part ends with a name of the registry's teacher
  list (``data/teachers.yaml``); a card ``datasets:`` entry the list names as a teacher's reasoning traces
  (display only: training on traces does not make the teacher a base); a declared base the config
  contradicts (display only, see ``edges_declared``). A repo that merely shares a word is never a teacher.
* Continued pretraining (card text), conversions (format marker + the only same-named original), re-uploads
  (same name and config signature as an older repo).
* Re-uploaders: a model in a registry ``intermediary`` namespace (unsloth, TheBloke, NousResearch re-uploads,
  neuralmagic, mlx-community, ...) that declares nothing, or that children declare although the snapshot does
  not hold it, is mapped to the original: the same name without its format suffix in a registry-known,
  non-intermediary namespace of the snapshot, else a registry family root of that name. A name that starts
  with a registry organisation's namespace (``PrunaAI/openbmb-MiniCPM-2B-...``) names the original's
  organisation: ``openbmb/MiniCPM-2B-...``. What is still unmatched goes to the family rules (tier 3).
"""

from __future__ import annotations

import duckdb

from modelcensus.lineage.edge_sql import base_cased_sql, drop_temp, name_columns_sql, resolve
from modelcensus.lineage.names import FORMAT_TAGS, TOKEN_EDGE_LEFT, TOKEN_EDGE_RIGHT
from modelcensus.store.sql import sql_literal

# "distilled from org/name", "distillation of org/name", "knowledge distillation from org/name"
DISTILL_TEXT = (r"(?i)distill(?:ed|ation)?\s+(?:from|of)\s+(?:the\s+)?\[?`?"
                r"([A-Za-z0-9][A-Za-z0-9._\-]*/[A-Za-z0-9._\-]+)")
CPT_TEXT = (r"(?i)continued?\s+pre-?train(?:ing|ed)?\s+(?:of|on|from)\s+(?:the\s+)?\[?`?"
            r"([A-Za-z0-9][A-Za-z0-9._\-]*/[A-Za-z0-9._\-]+)")
CARD_TEXT_WINDOW = 20_000  # only the head of a card is searched: bounded work per model


def _teacher_match_sql(col: str) -> str:
    """SQL condition: the teacher part ``col`` ends with the listed teacher name ``tn.name`` at a token edge."""
    return (f"({col} = tn.name OR ends_with({col}, '-' || tn.name) OR ends_with({col}, '_' || tn.name) "
            f"OR ends_with({col}, '.' || tn.name))")


def _dataset_prefilter(con: duckdb.DuckDBPyConnection) -> str:
    """SQL condition on ``card_data``: it may name a listed trace dataset (a plain substring test per listed
    namespace, so the JSON of the other ~all cards is never parsed)."""
    # dataset ids are written in their canonical case; the listed spelling and the lower-case one are tested
    # (lower() of every card would cost more than the rest of this rule)
    spellings = sorted({v for r in con.execute("SELECT split_part(dataset, '/', 1) FROM reg_teacher_datasets")
                        .fetchall() for v in (r[0], r[0].lower())})
    if not spellings:
        return "FALSE"
    return "(" + " OR ".join(f"contains(CAST(card_data AS VARCHAR), {sql_literal(n + '/')})"
                             for n in spellings) + ")"


def text_edges(con: duckdb.DuckDBPyConnection, sid: int) -> None:
    """TEMP ``_lin_text``: teachers (card text, listed names, trace datasets, contradicted declarations) and
    continued pretraining (card text)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_text_raw AS
        SELECT id AS child_id, t AS target, 'distillation' AS relation,
               'card text: distilled from ' || t AS evidence
        FROM (SELECT id, rtrim(unnest(regexp_extract_all(left(card_text, {CARD_TEXT_WINDOW}), '{DISTILL_TEXT}', 1)),
                               '.') AS t
              FROM models WHERE snapshot_id = {int(sid)} AND card_text IS NOT NULL)
        UNION ALL
        SELECT id, t, 'continued_pretraining', 'card text: continued pretraining of ' || t
        FROM (SELECT id, rtrim(unnest(regexp_extract_all(left(card_text, {CARD_TEXT_WINDOW}), '{CPT_TEXT}', 1)),
                               '.') AS t
              FROM models WHERE snapshot_id = {int(sid)} AND card_text IS NOT NULL)
    """)
    resolve(con, "_lin_text_raw", "target", "_lin_text_res")
    # listed teachers: by the teacher part of a distill name, or by a reasoning-trace dataset in the card
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_teacher_raw AS
        -- (an API-only teacher is never a structural parent: tier 9, display only)
        SELECT m.id AS child_id, tn.teacher_id AS target,
               'name: ' || split_part(m.id, '/', -1) || ' names its teacher (teacher list: ' || tn.name || ')'
                 AS evidence, CASE WHEN tn.api THEN 9 ELSE 4 END AS tier, 1 AS kind_rank
        FROM _lin_m m JOIN reg_teacher_names tn ON {_teacher_match_sql('m.dteacher')}
        WHERE m.dteacher IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY m.id ORDER BY length(tn.name) DESC, tn.teacher_id) = 1
        UNION ALL
        -- one edge per (model, teacher) naming every trace dataset of that teacher: the origin's teacher is
        -- the one most of the model's listed trace datasets come from (build._teachers)
        SELECT d.id, t.teacher_id, 'card datasets: ' || string_agg(DISTINCT d.ds, ', ' ORDER BY d.ds)
                 || ' (reasoning traces of the teacher, teacher list)', 9, 2
        FROM (SELECT id, ds FROM (
                SELECT id, unnest(CASE json_type(card_data, '$.datasets')
                                  WHEN 'ARRAY' THEN json_extract_string(card_data, '$.datasets[*]')
                                  WHEN 'VARCHAR' THEN [json_extract_string(card_data, '$.datasets')] END) AS ds
                FROM models WHERE snapshot_id = {int(sid)} AND card_data IS NOT NULL
                  AND {_dataset_prefilter(con)})) d
        JOIN reg_teacher_datasets t ON t.dataset_lower = lower(d.ds)
        GROUP BY d.id, t.teacher_id
        UNION ALL   -- a distill name naming a listed teacher elsewhere than before "-Distill-" (display only:
                    -- "R1-SmolLM2-135M-Distill" says who taught, not what the body is)
        SELECT m.id, tn.teacher_id,
               'name: ' || split_part(m.id, '/', -1) || ' names a distillation and its teacher (teacher list: '
                 || tn.name || ')', 9, 1
        FROM _lin_m m JOIN reg_teacher_names tn
          ON regexp_matches(m.base_name, '{TOKEN_EDGE_LEFT}' || regexp_escape(tn.name) || '{TOKEN_EDGE_RIGHT}')
        WHERE contains(m.name_lower, 'distill')
          -- a short name ("r1" is also a release or round) counts only on a causal language model's body:
          -- "bert-distill-squad-r1" or "whisper-distill-r1" were taught by no reasoning model
          AND (length(tn.name) >= 3
               OR len(list_filter(coalesce(m.architectures, []), lambda a: ends_with(a, 'ForCausalLM'))) > 0)
        QUALIFY row_number() OVER (PARTITION BY m.id ORDER BY length(tn.name) DESC, tn.teacher_id) = 1
        UNION ALL   -- the teacher the publisher's own card names (stated-bases list; display only)
        SELECT n.id, s.teacher_id, 'card (publisher''s own, stated-bases list): distilled from ' || s.teacher_id, 9, 0
        FROM _lin_stated_nodes n
        JOIN (SELECT DISTINCT model_id_lower, teacher_id FROM reg_stated WHERE teacher_id IS NOT NULL) s
          ON s.model_id_lower = n.id_lower
        UNION ALL   -- a declared base the config rules out: recorded as the likely teacher (display only)
        SELECT x.child_id, x.parent_id, 'card base_model contradicted by the config: likely the teacher', 9, 3
        FROM _lin_contra x
    """)
    resolve(con, "_lin_teacher_raw", "target", "_lin_teacher_res")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_text AS
        SELECT DISTINCT r.child_id, coalesce(r.resolved, r.target) AS parent_id, r.relation, TRUE AS inferred,
               'tag' AS grade,
               r.evidence || CASE WHEN r.resolved IS NULL THEN ' (not in snapshot)' ELSE '' END AS evidence,
               CASE WHEN r.relation <> 'distillation' THEN 2
                    WHEN r.child_id IN (SELECT child_id FROM _lin_contra) THEN 9 ELSE 4 END AS tier, 0 AS kind_rank
        FROM _lin_text_res r JOIN _lin_m c ON c.id = r.child_id
        WHERE lower(coalesce(r.resolved, r.target)) <> c.id_lower
        UNION ALL
        -- a child whose declared base the config ruled out is not rooted at its teacher either: display only
        SELECT t.child_id, coalesce(t.resolved, t.target), 'distillation', TRUE,
               CASE t.kind_rank WHEN 3 THEN 'declared' WHEN 0 THEN 'tag' ELSE 'name' END, t.evidence,
               CASE WHEN t.child_id IN (SELECT child_id FROM _lin_contra) THEN 9 ELSE t.tier END, t.kind_rank
        -- (any child, not only observed ones: a stated model the snapshot only references keeps its teacher)
        FROM _lin_teacher_res t
        WHERE lower(coalesce(t.resolved, t.target)) <> lower(t.child_id)
          AND NOT EXISTS (SELECT 1 FROM _lin_text_res r WHERE r.child_id = t.child_id AND r.relation = 'distillation'
                          AND lower(coalesce(r.resolved, r.target)) = lower(coalesce(t.resolved, t.target)))
    """)
    drop_temp(con, "_lin_text_raw", "_lin_text_res", "_lin_teacher_raw", "_lin_teacher_res")


def format_and_mirror_edges(con: duckdb.DuckDBPyConnection) -> None:
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
              AND NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = f.id AND d.tier = 1)
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
        parents AS (SELECT child_id, list_sort(list(parent_id)) AS ps FROM _lin_decl WHERE tier = 1 GROUP BY child_id),
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
            ANTI JOIN (SELECT child_id FROM _lin_decl WHERE tier = 1) d ON d.child_id = c.id
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


def reuploader_edges(con: duckdb.DuckDBPyConnection) -> None:
    """TEMP ``_lin_ref`` (declared parents the snapshot lacks, in intermediary namespaces) and ``_lin_interm``:
    the original of a re-upload (observed without a declaration or dangling), and originals named by an
    organisation's namespace at the start of a converted or re-uploaded name."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_ref AS
        SELECT r.id, {name_columns_sql('r.id')}, ns.org_key AS pub_org
        FROM (SELECT DISTINCT parent_id AS id FROM _lin_decl WHERE NOT present AND contains(parent_id, '/')) r
        JOIN reg_namespaces ns ON ns.namespace_lower = lower(split_part(r.id, '/', 1))
        WHERE ns.org_type = 'intermediary'
    """)
    # the nodes to map: observed intermediary uploads without a declaration or conversion, and dangling ones
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_rnodes AS
        SELECT m.id, m.ns_lower, m.name_lower, m.base_name, {base_cased_sql('m.id')} AS base_cased,
               (m.base_name <> m.name_lower OR list_has_any(coalesce(m.tags, []), {list(FORMAT_TAGS)})) AS fmt,
               ns.org_type = 'intermediary' AS interm
        FROM _lin_m m LEFT JOIN reg_namespaces ns ON ns.namespace_lower = m.ns_lower
        WHERE (ns.org_type = 'intermediary' OR m.base_name <> m.name_lower
               OR list_has_any(coalesce(m.tags, []), {list(FORMAT_TAGS)}))
          AND NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = m.id AND d.tier = 1)
          AND NOT EXISTS (SELECT 1 FROM _lin_conv d WHERE d.child_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM _lin_mirror d WHERE d.child_id = m.id AND d.tier = 2)
        UNION ALL
        SELECT id, ns_lower, name_lower, base_name, {base_cased_sql('id')}, base_name <> name_lower, TRUE FROM _lin_ref
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_interm AS
        WITH known AS (   -- same-named models in registry-known namespaces that are not re-uploaders
            SELECT m.name_lower, count(*) AS k, min(m.id) AS id
            FROM _lin_m m JOIN reg_namespaces ns ON ns.namespace_lower = m.ns_lower
            WHERE ns.org_type <> 'intermediary' AND m.name_lower IN (SELECT base_name FROM _lin_rnodes WHERE interm)
            GROUP BY m.name_lower
        ),
        froots AS (   -- registry family roots by name (held by the snapshot or not)
            SELECT lower(substr(model_id, strpos(model_id, '/') + 1)) AS nm, count(DISTINCT lower(model_id)) AS k,
                   min(model_id) AS id
            FROM reg_family_roots GROUP BY 1
        ),
        by_name AS (
            SELECT n.id AS child_id, coalesce(CASE WHEN k.k = 1 THEN k.id END, CASE WHEN f.k = 1 THEN f.id END)
                     AS target,
                   CASE WHEN k.k = 1 THEN 'name: re-upload of the only ' || k.id || ' held by a known organisation'
                        ELSE 'name: re-upload of the registry family root ' || f.id END AS evidence, n.fmt
            FROM _lin_rnodes n
            LEFT JOIN known k ON k.name_lower = n.base_name
            LEFT JOIN froots f ON f.nm = n.base_name
            WHERE n.interm AND (k.k = 1 OR f.k = 1)
        ),
        prefixes AS (   -- "<namespace>-<name>" / "<namespace>_-_<name>": up to three leading tokens
            SELECT * FROM (
                SELECT n.id, n.fmt, n.base_cased,
                       unnest([regexp_extract(n.base_name, '^([a-z0-9.]+)(_-_|[-_])', 1),
                               regexp_extract(n.base_name, '^([a-z0-9.]+[-_][a-z0-9.]+)(_-_|[-_])', 1),
                               regexp_extract(n.base_name, '^([a-z0-9.]+[-_][a-z0-9.]+[-_][a-z0-9.]+)(_-_|[-_])', 1)])
                         AS pre
                FROM _lin_rnodes n ANTI JOIN by_name b ON b.child_id = n.id
            ) WHERE length(pre) >= 3
        ),
        by_org AS (
            SELECT p.id AS child_id,
                   ns.namespace || '/' || regexp_replace(substr(p.base_cased, length(p.pre) + 1), '^(_-_|[-_])', '')
                     AS target,
                   'name: names the organisation ' || ns.namespace || ' (' || ns.org || ')' AS evidence, p.fmt
            FROM prefixes p JOIN reg_namespaces ns ON ns.namespace_lower = p.pre
            WHERE ns.org_type NOT IN ('intermediary', 'individual') AND ns.renamed_to IS NULL
              -- the rest must be a name, not a size or version ('qwen-7b-chat' is Qwen 7B, not 'Qwen/7b-chat')
              AND regexp_matches(substr(p.base_cased, length(p.pre) + 1), '^(_-_|[-_])[A-Za-z]')
            QUALIFY row_number() OVER (PARTITION BY p.id ORDER BY length(p.pre) DESC) = 1
        )
        SELECT child_id, target, evidence, fmt FROM by_name
        UNION ALL
        SELECT child_id, target, evidence, fmt FROM by_org WHERE NOT ends_with(target, '/')
    """)
    resolve(con, "_lin_interm", "target", "_lin_interm_res")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_interm AS
        SELECT child_id, coalesce(resolved, target) AS parent_id,
               CASE WHEN fmt THEN 'conversion' ELSE 'reupload' END AS relation, TRUE AS inferred, 'name' AS grade,
               evidence || CASE WHEN resolved IS NULL THEN ' (not in snapshot)' ELSE '' END AS evidence,
               2 AS tier, CASE WHEN fmt THEN 1 ELSE 2 END AS kind_rank
        FROM _lin_interm_res WHERE lower(coalesce(resolved, target)) <> lower(child_id)
    """)
    drop_temp(con, "_lin_rnodes", "_lin_interm_res")
