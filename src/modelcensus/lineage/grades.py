"""Evidence grades and relation vocabulary shared by edges, roots and origins.

A grade says how a parent link is known; the grade of a path is the weakest link on it.
Ranks are small integers so that SQL can take ``max`` (weakest) and ``min`` (strongest).
"""

from __future__ import annotations

# strongest first: the author's card, the Hub's inferred relation, other tags or file metadata,
# config signature, tokenizer signature, name heuristic
GRADES: tuple[str, ...] = ("declared", "hub", "tag", "config", "tokenizer", "name")
GRADE_RANK: dict[str, int] = {g: i for i, g in enumerate(GRADES)}

DECLARED_RELATIONS: tuple[str, ...] = ("finetune", "adapter", "quantized", "merge")
INFERRED_RELATIONS: tuple[str, ...] = ("distillation", "reupload", "conversion", "continued_pretraining")
RELATIONS: tuple[str, ...] = DECLARED_RELATIONS + INFERRED_RELATIONS


def grade_rank_sql(col: str) -> str:
    """SQL expression: grade name -> rank (0 strongest)."""
    cases = " ".join(f"WHEN '{g}' THEN {i}" for i, g in enumerate(GRADES))
    return f"(CASE {col} {cases} END)"


def grade_name_sql(col: str) -> str:
    """SQL expression: rank -> grade name."""
    names = ", ".join(f"'{g}'" for g in GRADES)
    return f"([{names}][{col} + 1])"


def weakest(grades: list[str]) -> str:
    """The weakest of some grades ('declared' for an empty path: nothing was inferred)."""
    return GRADES[max((GRADE_RANK[g] for g in grades), default=0)]
