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

Every statement is a query file in ``lineage/sql/declared`` run through the build's scratch area (the engine
seam); the functions return the problem tables they made (``model_id``, ``problem``).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files as package_files

from modelcensus.lineage.edge_sql import any_tag_sql, resolve
from modelcensus.lineage.grades import DECLARED_RELATIONS
from modelcensus.lineage.names import QUANT_TAGS, valid_hub_id_sql
from modelcensus.store.engine import Scratch
from modelcensus.store.sql_files import Fragment, Literal, QueryFolder
from modelcensus.store.staging import card_parents_sql

URL_PREFIX = r"^(https?://)?(www\.)?huggingface\.co/"   # cut from GGUF and card parent values
VOCAB_SLACK = 256   # tokens a fine-tune may add to its parent's vocabulary
PARAMS_RATIO = 8    # a fine-tune keeps its parent's size; quantized copies report at most ~4x fewer
# mixture-of-experts model types: no dense body (not even a "llama-format" conversion) holds their expert
# layers, so a dense child declaring one contradicts it (rule E)
MOE_MODEL_TYPE = r"(moe|^deepseek_v[23]|^mixtral$|^dbrx$|^kimi_k2$|^jamba$|^arctic$|^grok)"
# full weight files: a repo holding them is not a bare adapter, whatever its name or adapter_config.json say
FULL_WEIGHTS = r"^(model|pytorch_model)(-[0-9]+-of-[0-9]+)?[.](safetensors|bin)$"
INVALID = "_lin_invalid_decl"          # problem table: invalid_declaration
CONTRADICTED = "_lin_contra_problems"  # problem table: declared_base_contradicts_config


@cache
def declared_files() -> QueryFolder:
    """The query files of ``lineage/sql/declared`` with the code-side values they take (the tests transpile
    every file with these same values)."""
    return QueryFolder(package_files("modelcensus.lineage") / "sql" / "declared", params={
        "rels": Fragment(", ".join(f"'{r}'" for r in DECLARED_RELATIONS)),
        "url": Literal(URL_PREFIX),
        "valid_parent": Fragment(valid_hub_id_sql("r.parent_id")),
        "valid_p": Fragment(valid_hub_id_sql("p")),
        "card_parents": Fragment(card_parents_sql("card_data")),
        "full_weights": Literal(FULL_WEIGHTS),
        "moe": Literal(MOE_MODEL_TYPE),
        "vocab_slack": VOCAB_SLACK,
        "params_ratio": PARAMS_RATIO,
        "quant_tag_m": Fragment(any_tag_sql("m.tags", QUANT_TAGS)),
    })


def declared_edges(area: Scratch, sid: int) -> list[str]:
    """``_lin_decl`` (tier 1, or tier 9 when contradicted by the config) and ``_lin_contra``; returns the
    problem tables (``invalid_declaration``, ``declared_base_contradicts_config``)."""
    files = declared_files()
    files.make(area, "decl_raw", {"sid": int(sid)})
    resolve(area, "_lin_decl_raw", "parent_id", "_lin_decl_all")
    area.drop("_lin_decl_raw")
    files.make(area, "decl_res")
    area.drop("_lin_decl_all")
    files.make(area, "invalid_decl", {"sid": int(sid)})
    files.make(area, "decl0")
    area.drop("_lin_decl_res")
    _contradictions(area)
    files.make(area, "decl")
    area.drop("_lin_decl0")
    files.make(area, "contra_problems")
    return [INVALID, CONTRADICTED]


def _contradictions(area: Scratch) -> None:
    """``_lin_contra(child_id, parent_id, parent_families, why)``: declared parents the child's config rules out.

    What is known of the parent: its stored config when it has one, else the registry family it is a listed
    root of. Five independent reasons, any one suffices (Hub listings carry model_type and architectures,
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
    files = declared_files()
    files.make(area, "cx")
    files.make(area, "contra")
    area.drop("_lin_cx")


def stated_edges(area: Scratch) -> list[str]:
    """Add to ``_lin_decl`` (tier 1) the bases publishers state on their own cards (``data/stated_bases.yaml``)
    for models that declare nothing at all: observed ones, and parents the snapshot only references. Grade
    ``tag``, not ``declared``: the statement is registry knowledge, not in the record the snapshot holds.
    ``_lin_stated_nodes`` (id, id_lower) stays for the teacher rule (``edges_inferred``). Reads the
    ``invalid_declaration`` problems :func:`declared_edges` made; makes no problem table (returns [])."""
    files = declared_files()
    files.make(area, "stated_nodes")
    files.make(area, "stated_raw")
    resolve(area, "_lin_stated_raw", "base_id", "_lin_stated_res")
    area.drop("_lin_stated_raw")
    files.make(area, "decl_stated")
    area.drop("_lin_stated_res")
    return []
