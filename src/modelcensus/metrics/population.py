"""Populations: which models a metric counts.

``all`` (every model of the snapshot), ``llm`` (text-generation / image-text-to-text, ATOM's
LLM/VLM rule) or any curated list stored in the ``populations`` table (e.g. ATOM's tracked list).
"""

from __future__ import annotations

from modelcensus.errors import InputError
from modelcensus.metrics.queries import store_engine
from modelcensus.store import Store
from modelcensus.store.sql import sql_literal

BUILTIN_POPULATIONS = ("all", "llm")
LLM_PIPELINE_TAGS = ("text-generation", "image-text-to-text")


def population_names(store: Store) -> list[str]:
    """Built-in populations plus every list imported into the store."""
    names = store_engine(store).query("SELECT DISTINCT name FROM populations ORDER BY name").column(0).to_pylist()
    return [*BUILTIN_POPULATIONS, *(n for n in names if n not in BUILTIN_POPULATIONS)]


def check_population(store: Store, name: str | None) -> str:
    """The population name, or InputError listing the valid ones."""
    name = name or "all"
    valid = population_names(store)
    if name not in valid:
        raise InputError(f"population {name!r}: expected one of {', '.join(valid)}")
    return name


def population_sql(name: str, alias: str = "m") -> str:
    """A SQL condition on a ``models`` row (alias ``alias``) that keeps members of the population.

    ``name`` must have passed :func:`check_population`; list names are bound as a literal with
    quotes doubled, never interpolated raw.
    """
    if name == "all":
        return "TRUE"
    if name == "llm":
        tags = ", ".join(f"'{t}'" for t in LLM_PIPELINE_TAGS)
        return f"{alias}.pipeline_tag IN ({tags})"
    return f"{alias}.id_lower IN (SELECT lower(model_id) FROM populations WHERE name = {sql_literal(name)})"


def population_ids_sql(name: str) -> str | None:
    """For a curated list: a SELECT of its lower-cased model ids (None for built-in populations)."""
    if name in BUILTIN_POPULATIONS:
        return None
    return f"SELECT lower(model_id) AS id_lower FROM populations WHERE name = {sql_literal(name)}"


def list_populations(store: Store) -> list[dict[str, object]]:
    """Every population ``--population`` accepts: built-ins (size depends on the snapshot: None) and the
    imported lists with their number of distinct models, source and import time."""
    out: list[dict[str, object]] = [
        {"name": "all", "kind": "built-in", "size": None, "description": "every model of the snapshot or census"},
        {"name": "llm", "kind": "built-in", "size": None,
         "description": f"pipeline tag {' or '.join(LLM_PIPELINE_TAGS)} (ATOM's LLM/VLM rule)"},
    ]
    rows = store_engine(store).query(
        "SELECT name, count(DISTINCT lower(model_id)) AS size, min(source_ref) AS ref, max(imported_at) AS imported "
        "FROM populations GROUP BY name ORDER BY name").to_pylist()
    for r in rows:
        name, size, ref, imported = r["name"], r["size"], r["ref"], r["imported"]
        if name in BUILTIN_POPULATIONS:
            continue
        src = str(ref).replace("\\", "/").rsplit("/", 1)[-1] if ref else "?"
        out.append({"name": name, "kind": "curated", "size": int(size),
                    "description": f"imported list ({src}, {imported:%Y-%m-%d})" if imported else f"list ({src})"})
    return out
