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

from functools import cache
from importlib.resources import files as package_files
from typing import Any

import pyarrow as pa

from modelcensus.errors import InputError
from modelcensus.lineage.names import GEN_MENTION, KEY_SIZE, key_columns_sql
from modelcensus.lineage.registry import Registry
from modelcensus.lineage.teachers import CONTRADICTED_TEACHER
from modelcensus.store.engine import Scratch, as_engine, open_engine
from modelcensus.store.sql import sql_literal
from modelcensus.store.sql_files import Fragment, Literal, QueryFolder, area_dialect

_PATTERNS: dict[str, tuple[list[tuple[str, str]], list[str]]] = {}  # registry version -> (RE2-safe, skipped)
PARAMS_TOLERANCE = 0.2   # a stored parameter count names a size within 20 %
_PRIMARY = pa.schema([("family", pa.string()), ("model_id", pa.string()), ("rank", pa.int32())])
_NAMES = pa.schema([("family", pa.string()), ("pattern", pa.string())])
# what the name query is when no family has a pattern DuckDB can run
_NO_NAME_HITS = "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS family WHERE FALSE"


@cache
def family_files() -> QueryFolder:
    """The query files of this module (``lineage/sql/family``) with the code-side values they take."""
    return QueryFolder(package_files("modelcensus.lineage") / "sql" / "family", {
        "key_size": Literal(KEY_SIZE),
        "contradicted": Literal(CONTRADICTED_TEACHER),
        "gen_mention": Literal(GEN_MENTION),
        "params_tolerance": Fragment(str(PARAMS_TOLERANCE)),
        "ckpt_keys": Fragment(key_columns_sql("r.nm")),
        "name_keys": Fragment(key_columns_sql("c.name_lower")),
        "shape_keys": Fragment(key_columns_sql("lower(substr(g.root_model, strpos(g.root_model, '/') + 1))")),
    })


def _re2_patterns(registry: Registry) -> tuple[list[tuple[str, str]], list[str]]:
    """(family, "(?i)" + pattern) of the registry's name patterns DuckDB's regex engine (RE2) runs, and the
    ones it cannot (no look-around), probed once per registry version on a connection of their own (a
    failed probe must not touch the store's connection, or a caller's transaction on it)."""
    from modelcensus.lineage.registry_match import unsafe_regex_reason

    cached = _PATTERNS.get(registry.version)
    if cached is None:
        rows, skipped = [], []
        probe = open_engine("duckdb")
        try:
            for f in registry.families:
                for p in f.name_patterns:
                    if unsafe_regex_reason(p) is not None:
                        continue
                    try:
                        probe.query(f"SELECT regexp_matches('', {sql_literal('(?i)' + p)})")
                    except InputError:
                        skipped.append(f"{f.key}: {p}")
                        continue
                    rows.append((f.key, "(?i)" + p))
        finally:
            probe.close()
        cached = _PATTERNS[registry.version] = (rows, skipped)
    return cached


def family_patterns(area: Any, registry: Registry) -> list[str]:
    """``_lin_fam_names(family, pattern)``: the registry's name patterns (not in its tables), and
    ``_lin_fam_primary(family, model_id, rank)``: each family's listed roots in order.

    ``area``: the build's scratch area (or an engine; a DuckDB connection is wrapped). ``_lin_fam_names``
    outlives the area: the build reads it for the roots' families. Returns the patterns DuckDB's regex engine
    (RE2) cannot run, which are left out."""
    area = area if hasattr(area, "materialise") else as_engine(area)
    rows, skipped = _re2_patterns(registry)
    primary = [(f.key, mid, i) for f in registry.families for i, mid in enumerate(f.root_models)]
    area.register_arrow("_lin_fam_primary", pa.Table.from_pylist(
        [dict(zip(_PRIMARY.names, r, strict=True)) for r in primary], schema=_PRIMARY))
    area.register_arrow("_lin_fam_names", pa.Table.from_pylist(
        [dict(zip(_NAMES.names, r, strict=True)) for r in rows], schema=_NAMES))
    if isinstance(area, Scratch):
        area.keep("_lin_fam_names")
    return skipped


def name_hits_sql(patterns: list[tuple[str, str]]) -> str:
    """SQL query (id, family): the candidates whose name matches a family's combined pattern, over
    ``_lin_undecided`` (every family) and ``_lin_close`` (that family only). One branch per family with the
    pattern as a constant: a pattern read per row would be recompiled for every row."""
    return " UNION ALL ".join(
        f"SELECT id, {sql_literal(fam)} AS family FROM _lin_undecided WHERE regexp_matches(name_lower, "
        f"{sql_literal(pat)}) UNION ALL SELECT id, family FROM _lin_close WHERE family = {sql_literal(fam)} "
        f"AND regexp_matches(name_lower, {sql_literal(pat)})" for fam, pat in patterns
    ) or _NO_NAME_HITS


def family_edges(area: Scratch) -> list[str]:
    """Tier 3: undeclared models recognised by a registry family signature or name pattern (``_lin_fam_edges``).

    Same rules as ``registry_match``: config = architecture + vocabulary size; tokenizer = a
    vocabulary size alone or a special token only this family lists; name = a name pattern;
    architecture alone never names a family; a tie at the top is ``ambiguous_signature``.
    First-party models (publisher = the family's root organisation) and the family roots
    themselves are roots, not members. Returns the problem tables it made.
    """
    q = family_files()
    for stem in ("cand", "shapes", "sig"):
        q.make(area, stem)
    area.drop("_lin_fam_shapes")
    # names: every family for models no config/tokenizer signal decides; for decided models only the
    # families that a +1 could lift to the top (a name breaks ties, as in registry_match)
    patterns = sorted((r["family"], r["pattern"]) for r in
                      area.query(q.text("regex", area_dialect(area))).to_pylist())
    for stem in ("undecided", "close"):
        q.make(area, stem)
    q.make(area, "named", {"name_hits": Fragment(name_hits_sql(patterns))})
    area.drop("_lin_undecided", "_lin_close", "_lin_fam_sig")
    q.make(area, "score")
    area.drop("_lin_fam_named")
    q.make(area, "fam")
    checkpoint_edges(area)
    series_by_config(area)
    q.make(area, "problems")
    area.drop("_lin_fam_cand", "_lin_fam_score", "_lin_fam", "_lin_ckpt", "_lin_fam_primary", "_lin_series")
    return ["_lin_fam_problems"]


def checkpoint_edges(area: Scratch) -> None:
    """``_lin_fam_placed``: the winners in ``_lin_fam``, each pointed at the checkpoint its name, parameter
    count or config shape supports (see the module doc), else at the family's root as before; also
    ``_lin_ckpt``, the family roots' checkpoint keys (``series_by_config`` reads it too)."""
    q = family_files()
    for stem in ("ckpt", "ck", "placed"):
        q.make(area, stem)
    area.drop("_lin_fam_ck")


def series_by_config(area: Scratch) -> None:
    """``_lin_fam_edges``: ``_lin_fam_placed`` with the distill-series checkpoint of models no family rule
    placed at a checkpoint, whose teacher is named (the teacher part of a distill name, or a declared base the
    config contradicted) and whose body is one of that teacher's students: the student's family architecture,
    its size within ``PARAMS_TOLERANCE``. ``_lin_series`` is kept for the problems (``sized`` false: ambiguous).

    "DS-R1-Distill-Q2.5-7B" (a Qwen2 body of 7.6B) and a qwen2 14.8B model declaring DeepSeek-R1 are R1's
    Qwen-7B and Qwen-14B students (Qwen2.5-Math-7B, Qwen2.5-14B): the teacher's own table says which base
    that architecture and size were distilled into, where an architecture alone names no family. A body of a
    size in no series still gets the series' family (its nearest member), with ``ambiguous_signature``."""
    q = family_files()
    for stem in ("series", "edges"):
        q.make(area, stem)
    area.drop("_lin_fam_placed")
