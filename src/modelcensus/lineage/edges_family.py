"""Tier 3 edges: an undeclared model recognised by a registry family signature or name pattern, pointed at
the checkpoint (generation and size) the evidence supports.

Same rules as ``registry_match``: config = architecture + vocabulary size of one shape; tokenizer = a
vocabulary size alone or a special token only this family lists; name = a name pattern, applied to what the
name says about the model itself (the student part of "X-Distill-Y", format words such as "llama-format"
removed); architecture alone never names a family; a tie at the top is ``ambiguous_signature``. First-party
models (publisher = the family's root organisation) and the family roots themselves are roots, not members.

Which checkpoint (``checkpoint_edges``): the teacher list's distill series first ("DeepSeek-R1-Distill-Llama-8B"
-> Llama-3.1-8B); else the family root whose name has the generation the child's name states ("Llama2-7b-..."
-> Llama-2-7b) and its size (from the name, else the stored parameter count within 20 %); else, with a config
shape, the shape's generation and that size; else the shape's root, else the family's first listed root.
"""

from __future__ import annotations

import duckdb

from modelcensus.lineage.edge_sql import drop_temp, rows
from modelcensus.lineage.names import GEN_MENTION, KEY_SIZE, key_columns_sql
from modelcensus.lineage.registry import Registry
from modelcensus.store.sql import sql_literal

_PATTERNS: dict[str, tuple[list[tuple[str, str]], list[str]]] = {}  # registry version -> (RE2-safe, skipped)
PARAMS_TOLERANCE = 0.2   # a stored parameter count names a size within 20 %


def family_patterns(con: duckdb.DuckDBPyConnection, registry: Registry) -> list[str]:
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


def family_edges(con: duckdb.DuckDBPyConnection) -> None:
    """Tier 3: undeclared models recognised by a registry family signature or name pattern.

    Same rules as ``registry_match``: config = architecture + vocabulary size; tokenizer = a
    vocabulary size alone or a special token only this family lists; name = a name pattern;
    architecture alone never names a family; a tie at the top is ``ambiguous_signature``.
    First-party models (publisher = the family's root organisation) and the family roots
    themselves are roots, not members.
    """
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_fam_cand AS
        SELECT m.id, m.ns_lower, m.fam_name AS name_lower, m.model_type, m.architectures,
               m.vocab, m.hidden, m.params, m.dteacher,
               m.tokens,
               ns.org_key AS pub_org
        FROM _lin_m m
        LEFT JOIN reg_namespaces ns ON ns.namespace_lower = m.ns_lower
        WHERE NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = m.id AND d.tier = 1)
          AND NOT EXISTS (SELECT 1 FROM _lin_conv d WHERE d.child_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM _lin_mirror d WHERE d.child_id = m.id AND d.tier = 2)
          AND NOT EXISTS (SELECT 1 FROM _lin_text d WHERE d.child_id = m.id AND d.tier = 2)
          AND NOT EXISTS (SELECT 1 FROM _lin_interm d WHERE d.child_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM reg_family_roots r WHERE r.model_id_lower = m.id_lower)
        UNION ALL   -- dangling re-uploads no name rule mapped: their name is all there is
        SELECT r.id, r.ns_lower, r.fam_name, NULL, NULL, NULL, NULL, NULL, r.dteacher, NULL, r.pub_org
        FROM _lin_ref r
        WHERE NOT EXISTS (SELECT 1 FROM _lin_interm d WHERE d.child_id = r.id)
          AND NOT EXISTS (SELECT 1 FROM reg_family_roots f WHERE f.model_id_lower = lower(r.id))
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
    pats = rows(con, """SELECT family, '(?i)' || string_agg('(?:' || substr(pattern, 5) || ')', '|')
                          FROM _lin_fam_names GROUP BY family ORDER BY family""")

    name_sql = " UNION ALL ".join(
        f"SELECT id, {sql_literal(fam)} AS family FROM _lin_undecided WHERE regexp_matches(name_lower, "
        f"{sql_literal(pat)}) UNION ALL SELECT id, family FROM _lin_close WHERE family = {sql_literal(fam)} "
        f"AND regexp_matches(name_lower, {sql_literal(pat)})" for fam, pat in pats
    ) or "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS family WHERE FALSE"
    # a family the config has just ruled out as the declared parent's is not the child's either (an R1
    # fine-tune on Qwen carries DeepSeek's tokens): removed before deciding which names may break a tie
    con.execute("""
        DELETE FROM _lin_fam_sig WHERE (id, family) IN (
            SELECT (child_id, unnest(parent_families)) FROM _lin_contra)
    """)
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
        -- a family the config has just ruled out as the declared parent's is not the child's either
        -- (an R1 fine-tune on Qwen carries DeepSeek's tokens)
        ANTI JOIN (SELECT child_id, unnest(parent_families) AS family FROM _lin_contra) x
          ON x.child_id = s.id AND x.family = s.family
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
               CASE WHEN w.vocab_hit THEN w.shape_root END AS shape_root,
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
    checkpoint_edges(con)
    series_by_config(con)
    con.execute("""
        INSERT INTO _lin_problems
        SELECT * FROM (
            SELECT DISTINCT child_id, 'ambiguous_signature' FROM _lin_fam WHERE ties > 1
            UNION
            SELECT s.id, 'ambiguous_signature' FROM _lin_fam_score s JOIN _lin_fam_cand c ON c.id = s.id
            LEFT JOIN reg_families f ON f.family = s.family
            GROUP BY s.id HAVING NOT bool_or(s.decisive) AND NOT bool_or(coalesce(f.root_org = c.pub_org, FALSE))
        ) a ANTI JOIN (SELECT child_id FROM _lin_fam_edges) e ON e.child_id = a.child_id
    """)
    drop_temp(con, "_lin_fam_cand", "_lin_fam_sig", "_lin_undecided", "_lin_fam_score", "_lin_fam", "_lin_ckpt")


def _checkpoints(con: duckdb.DuckDBPyConnection) -> None:
    """TEMP ``_lin_ckpt``: every registry family root with the keys its name gives (word, generation, size),
    in the snapshot's spelling when it holds the model."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_ckpt AS
        SELECT r.family, coalesce(m.id, r.model_id) AS model_id, lower(r.model_id) AS id_lower, r.rank,
               m.id IS NOT NULL AS present, {key_columns_sql('r.nm')}
        FROM (SELECT family, model_id, rank, lower(substr(model_id, strpos(model_id, '/') + 1)) AS nm
              FROM _lin_fam_primary) r
        LEFT JOIN _lin_by_lower m ON m.id_lower = lower(r.model_id)
    """)


def checkpoint_edges(con: duckdb.DuckDBPyConnection) -> None:
    """TEMP ``_lin_fam_edges`` from the winners in ``_lin_fam``: each pointed at the checkpoint its name,
    parameter count or config shape supports (see the module doc), else at the family's root as before."""
    _checkpoints(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_fam_ck AS
        WITH w0 AS (
            SELECT f.child_id, f.family, f.shape_root, c.name_lower AS nm, c.params, c.dteacher,
                   regexp_extract(regexp_replace(c.name_lower, '^meta[-_]', ''), '{KEY_SIZE}', 2) AS size_txt,
                   {key_columns_sql('c.name_lower')}
            FROM _lin_fam f JOIN _lin_fam_cand c ON c.id = f.child_id
            WHERE f.ties = 1 AND f.pub_org IS DISTINCT FROM f.root_org
        ),
        words AS (SELECT DISTINCT family, word FROM _lin_ckpt),
        ment AS (   -- generation mentions in names that do not start with one of the family's checkpoint words
            SELECT child_id, family, unnest(ms) AS t, generate_subscripts(ms, 1) AS i FROM (
                SELECT w0.child_id, w0.family, regexp_extract_all(w0.nm, '{GEN_MENTION}', 1) AS ms
                FROM w0 ANTI JOIN words ws ON ws.family = w0.family AND ws.word = w0.word)
        ),
        first_m AS (   -- "hermes-3-llama-3.1": the first mention of a checkpoint word (llama), with its generation
            SELECT m.child_id, ws.word, regexp_extract(m.t, '([0-9]+([.][0-9]+)?)$', 1) AS gen
            FROM ment m JOIN words ws ON ws.family = m.family AND ws.word = regexp_extract(m.t, '^([a-z]+)', 1)
            QUALIFY row_number() OVER (PARTITION BY m.child_id ORDER BY m.i) = 1
        ),
        w AS (
            SELECT w0.* REPLACE (coalesce(fm.word, w0.word) AS word, coalesce(fm.gen, w0.gen) AS gen,
                                 coalesce(split_part(fm.gen, '.', 1), w0.major) AS major)
            FROM w0 LEFT JOIN first_m fm ON fm.child_id = w0.child_id
        ),
        series AS (   -- the teacher list's distill series: "<word>[gen]-<size>b" of a listed teacher
            SELECT w.child_id, k.model_id, 'distill series of ' || s.teacher_id AS how
            FROM w JOIN reg_teacher_names tn ON w.dteacher IS NOT NULL
                 AND (w.dteacher = tn.name OR ends_with(w.dteacher, '-' || tn.name)
                      OR ends_with(w.dteacher, '_' || tn.name) OR ends_with(w.dteacher, '.' || tn.name))
            JOIN reg_teacher_students s ON s.teacher_id = tn.teacher_id
                 AND s.student_key IN (w.word || w.gen || '-' || w.size_txt || 'b', w.word || '-' || w.size_txt || 'b')
            JOIN _lin_ckpt k ON k.id_lower = lower(s.model_id) AND k.family = w.family
            QUALIFY row_number() OVER (PARTITION BY w.child_id
                                       ORDER BY s.student_key = w.word || w.gen || '-' || w.size_txt || 'b' DESC,
                                                length(tn.name) DESC) = 1
        ),
        shape AS (   -- the generation a matched vocabulary fixes (Llama 2's 32000 is not Llama 3's 128256)
            SELECT DISTINCT w.child_id, k.word, k.major FROM w JOIN _lin_ckpt k
            ON k.id_lower = lower(w.shape_root) AND k.family = w.family),
        cand AS (
            SELECT w.child_id, k.model_id, k.rank, k.present, w.gen <> '' AND k.word = w.word AS gen_given,
                   coalesce(CASE WHEN w.size IS NOT NULL THEN k.size = w.size
                                 WHEN w.params > 0
                                 THEN abs(k.size - w.params / 1e9) <= {PARAMS_TOLERANCE} * w.params / 1e9
                            END, FALSE) AS size_ok,
                   k.variant = w.variant AS var_eq, k.inst = w.inst AS inst_eq, k.gen AS kgen, k.size AS ksize
            FROM w JOIN _lin_ckpt k ON k.family = w.family
            LEFT JOIN shape sh ON sh.child_id = w.child_id
            WHERE CASE WHEN sh.major IS NOT NULL AND sh.major <> ''
                       THEN k.word = sh.word AND k.major = sh.major
                            AND (w.gen = '' OR k.gen = w.gen OR w.word <> k.word)
                       WHEN w.gen <> '' THEN k.word = w.word AND k.gen = w.gen
                       ELSE k.word = w.word END
        ),
        best AS (
            SELECT * FROM cand WHERE size_ok OR gen_given
            QUALIFY row_number() OVER (PARTITION BY child_id ORDER BY size_ok DESC, var_eq DESC, inst_eq DESC,
                                                                       present DESC, rank) = 1
        )
        SELECT w.child_id, coalesce(s.model_id, b.model_id) AS model_id,
               coalesce(s.how, 'generation ' || nullif(b.kgen, '') || CASE WHEN b.size_ok THEN ', ' ELSE '' END, '')
               || CASE WHEN s.how IS NULL AND b.size_ok THEN 'size ' || b.ksize || 'B' ELSE '' END AS how
        FROM w LEFT JOIN series s ON s.child_id = w.child_id LEFT JOIN best b ON b.child_id = w.child_id
        WHERE coalesce(s.model_id, b.model_id) IS NOT NULL
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_fam_edges AS
        SELECT f.child_id, coalesce(k.model_id, f.parent_id) AS parent_id, 'finetune' AS relation, TRUE AS inferred,
               f.grade,
               CASE f.grade WHEN 'config' THEN 'config signature of family '
                            WHEN 'tokenizer' THEN 'tokenizer signature of family '
                            ELSE 'name pattern of family ' END || f.family || ' (' || f.signals || ')'
               || CASE WHEN k.how IS NOT NULL AND k.how <> '' THEN '; checkpoint by ' || k.how ELSE '' END AS evidence,
               3 AS tier, 3 AS kind_rank
        FROM _lin_fam f LEFT JOIN _lin_fam_ck k ON k.child_id = f.child_id
        WHERE f.ties = 1 AND f.pub_org IS DISTINCT FROM f.root_org
          AND lower(coalesce(k.model_id, f.parent_id)) <> lower(f.child_id)
    """)
    drop_temp(con, "_lin_fam_ck")


def series_by_config(con: duckdb.DuckDBPyConnection) -> None:
    """Put in ``_lin_fam_edges`` the distill-series checkpoint of models no family rule placed at a checkpoint,
    whose teacher is named (the teacher part of a distill name, or a declared base the config contradicted)
    and whose body is one of that teacher's students: the student's family architecture, its size within
    ``PARAMS_TOLERANCE``.

    "DS-R1-Distill-Q2.5-7B" (a Qwen2 body of 7.6B) and a qwen2 14.8B model declaring DeepSeek-R1 are R1's
    Qwen-7B and Qwen-14B students (Qwen2.5-Math-7B, Qwen2.5-14B): the teacher's own table says which base
    that architecture and size were distilled into, where an architecture alone names no family. A body of a
    size in no series still gets the series' family (its nearest member), with ``ambiguous_signature``."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_series AS
        WITH taught AS (   -- the teacher part of a distill name, or a contradicted declaration (not trace datasets,
                           -- not a teacher named elsewhere in a name: those are display only)
            SELECT DISTINCT child_id, lower(parent_id) AS teacher_lower FROM _lin_text
            WHERE relation = 'distillation'
              AND ((starts_with(evidence, 'name:') AND contains(evidence, ' names its teacher '))
                   OR starts_with(evidence, 'card base_model contradicted'))
        ),
        body AS (   -- not placed yet, or placed at a family's first root without a checkpoint rule
            SELECT c.id, lower(trim(c.model_type)) AS mt, coalesce(c.architectures, []) AS archs, c.vocab,
                   c.params / 1e9 AS b, {key_columns_sql('c.name_lower')}
            FROM _lin_fam_cand c
            ANTI JOIN (SELECT child_id FROM _lin_fam_edges WHERE contains(evidence, '; checkpoint by ')) e
              ON e.child_id = c.id
            WHERE c.params > 0
        ),
        shapes AS (   -- each config shape of a family with the generation of its root ("llama" 2 / 3)
            SELECT g.family, g.shape, g.model_type, g.architecture, g.vocab_size,
                   {key_columns_sql("lower(substr(g.root_model, strpos(g.root_model, '/') + 1))")}
            FROM reg_family_signatures g
        ),
        words AS (SELECT DISTINCT word FROM _lin_ckpt),
        cand AS (
            SELECT b.id, s.teacher_id, s.student_key, k.model_id, k.family,
                   abs(TRY_CAST(regexp_extract(s.student_key, '-([0-9.]+)b$', 1) AS DOUBLE) - b.b) AS gap, b.b
            FROM body b JOIN taught t ON t.child_id = b.id
            JOIN reg_teacher_students s ON lower(s.teacher_id) = t.teacher_lower
            JOIN _lin_ckpt k ON k.id_lower = lower(s.model_id)
            -- the body fits a shape of the student's own generation: architecture, and the vocabulary when
            -- stored (a llama body with Llama 2's 32000 tokens is no Llama-3.1 student)
            WHERE EXISTS (SELECT 1 FROM shapes g WHERE g.family = k.family AND g.word = k.word AND g.major = k.major
                          AND (g.model_type = b.mt OR list_contains(b.archs, g.architecture))
                          AND (b.vocab IS NULL OR g.vocab_size IS NULL OR abs(g.vocab_size - b.vocab) <= 256))
              -- never against what the name states: another family's word ("-Distill-Mistral-7B"), or another
              -- generation of the student's ("-Qwen3-8B" is no Qwen2.5 student)
              AND NOT (b.word <> k.word AND b.word IN (SELECT word FROM words))
              AND NOT (b.word = k.word AND b.gen <> '' AND b.gen <> k.gen)
        )
        SELECT c.id AS child_id, c.model_id AS parent_id, 'finetune' AS relation, TRUE AS inferred,
               -- a size in no series names the family, not the checkpoint: no stronger than a name
               CASE WHEN c.gap <= {PARAMS_TOLERANCE} * c.b THEN 'config' ELSE 'name' END AS grade,
               'config: a ' || c.family || ' body of ' || round(c.b, 1) || 'B taught by ' || c.teacher_id
               || ': its distill series ' || c.student_key
               || CASE WHEN c.gap <= {PARAMS_TOLERANCE} * c.b THEN '' ELSE ', the nearest size (none within '
                       || CAST(round({PARAMS_TOLERANCE} * 100) AS INTEGER) || ' %: checkpoint ambiguous)' END
               || ' (teacher list)' AS evidence, 3 AS tier, 3 AS kind_rank,
               c.gap <= {PARAMS_TOLERANCE} * c.b AS sized
        FROM cand c
        -- the series' family is what the body's architecture shares with the teacher's students; a size in no
        -- series (an upscaled 10B Qwen) still names that family, but not the checkpoint: flagged ambiguous
        QUALIFY row_number() OVER (PARTITION BY c.id ORDER BY c.gap, c.student_key) = 1
    """)
    con.execute("INSERT INTO _lin_problems SELECT child_id, 'ambiguous_signature' FROM _lin_series WHERE NOT sized")
    con.execute("ALTER TABLE _lin_series DROP COLUMN sized")
    con.execute("DELETE FROM _lin_fam_edges WHERE child_id IN (SELECT child_id FROM _lin_series)")
    con.execute("INSERT INTO _lin_fam_edges SELECT * FROM _lin_series")
    drop_temp(con, "_lin_series")
