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

from functools import cache
from importlib.resources import files as package_files
from typing import Any

from modelcensus.lineage.edge_sql import base_cased_sql, name_columns_sql, resolve
from modelcensus.lineage.names import TOKEN_EDGE_LEFT, TOKEN_EDGE_RIGHT
from modelcensus.lineage.teachers import CONTRADICTED_TEACHER
from modelcensus.store.sql import sql_literal
from modelcensus.store.sql_files import Fragment, Literal, QueryFolder

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


@cache
def inferred_files() -> QueryFolder:
    """The query files of this module (``lineage/sql/inferred``) with the code-side values they take."""
    return QueryFolder(package_files("modelcensus.lineage") / "sql" / "inferred", {
        "card_text_window": CARD_TEXT_WINDOW,
        "contradicted": Literal(CONTRADICTED_TEACHER),
        "distill_text": Literal(DISTILL_TEXT),
        "cpt_text": Literal(CPT_TEXT),
        "teacher_match": Fragment(_teacher_match_sql("m.dteacher")),
        "token_edge_left": Literal(TOKEN_EDGE_LEFT),
        "token_edge_right": Literal(TOKEN_EDGE_RIGHT),
        "name_columns": Fragment(name_columns_sql("r.id")),
        "base_cased_m": Fragment(base_cased_sql("m.id")),
        "base_cased_id": Fragment(base_cased_sql("id")),
    })


def dataset_prefilter_sql(namespaces: list[str]) -> str:
    """SQL condition on ``card_data``: it may name a dataset of one of ``namespaces`` (a plain substring test
    per namespace, so the JSON of the other ~all cards is never parsed). Dataset ids are written in their
    canonical case; the listed spelling and the lower-case one are tested (lower() of every card would cost
    more than the rest of the rule)."""
    spellings = sorted({v for n in namespaces for v in (n, n.lower())})
    if not spellings:
        return "FALSE"
    return "(" + " OR ".join(f"contains(CAST(card_data AS VARCHAR), {sql_literal(n + '/')})"
                             for n in spellings) + ")"


def _dataset_prefilter(area: Any) -> str:
    """:func:`dataset_prefilter_sql` for the namespaces of the listed trace datasets."""
    namespaces = area.query("SELECT split_part(dataset, '/', 1) FROM reg_teacher_datasets").column(0).to_pylist()
    return dataset_prefilter_sql(namespaces)


def text_edges(area: Any, sid: int) -> list[str]:
    """``_lin_text``: teachers (card text, listed names, trace datasets, contradicted declarations) and
    continued pretraining (card text). Makes no problem rows."""
    q = inferred_files()
    q.make(area, "text_raw", {"sid": int(sid)})
    resolve(area, "_lin_text_raw", "target", "_lin_text_res")
    area.drop("_lin_text_raw")
    # listed teachers: by the teacher part of a distill name, or by a reasoning-trace dataset in the card
    q.make(area, "teacher_raw", {"sid": int(sid), "dataset_prefilter": Fragment(_dataset_prefilter(area))})
    resolve(area, "_lin_teacher_raw", "target", "_lin_teacher_res")
    area.drop("_lin_teacher_raw")
    q.make(area, "text")
    area.drop("_lin_text_res", "_lin_teacher_res")
    return []


def format_and_mirror_edges(area: Any) -> list[str]:
    """``_lin_conv`` (format marker + unique same-named original) and ``_lin_mirror`` (re-uploads: an older
    same-named repo elsewhere with the same config signature, or the same declared parents)."""
    q = inferred_files()
    q.make(area, "fmt")
    q.make(area, "conv")
    area.drop("_lin_fmt")
    q.make(area, "mirror")
    return []


def reuploader_edges(area: Any) -> list[str]:
    """``_lin_ref`` (declared parents the snapshot lacks, in intermediary namespaces) and ``_lin_interm``:
    the original of a re-upload (observed without a declaration or dangling), and originals named by an
    organisation's namespace at the start of a converted or re-uploaded name."""
    q = inferred_files()
    q.make(area, "ref")
    # the nodes to map: observed intermediary uploads without a declaration or conversion, and dangling ones
    q.make(area, "rnodes")
    q.make(area, "interm_raw")
    area.drop("_lin_rnodes")
    resolve(area, "_lin_interm_raw", "target", "_lin_interm_res")
    area.drop("_lin_interm_raw")
    q.make(area, "interm")
    area.drop("_lin_interm_res")
    return []
