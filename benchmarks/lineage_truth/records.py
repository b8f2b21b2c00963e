"""The real records behind the lineage benchmark, read from ../shared/data (never copied into the repo).

Three sources, one record per model id (first source wins, in this order):

- ``trees``: ``hf_model_trees_2025/raw/*finetunes*.csv.gz``, the latest scrape of each of the 26 trees; the
  full ``huggingface_hub`` ``ModelInfo`` JSON of every node (card_data, tags, config, safetensors, card text),
  exactly as the Hub served it in March-April 2025. These are the context snapshot: every node is imported,
  so declared parents inside a tree are present as they were on the Hub.
- ``leaderboard``: Open LLM Leaderboard v2 (``huggingface_v2_2025-03-21.csv``) rows, turned into a thin
  record: ``id``, ``config.architectures`` (``model_architecture``), ``safetensors.total``
  (``metadata_params_billions``) and, when ``metadata_base_model`` names another valid id, ``card_data``
  with that ``base_model`` (the leaderboard copies it from the model card). ``(Merge)``/``Removed`` and
  self-references carry no base.
- ``atom``: ATOM's tracked list (``models.csv``): the id alone, no metadata at all.

A label row can ask for a **variant** of its record, applied in memory only: ``blank_base`` removes the
declaration (``card_data.base_model``, ``base_model_relation`` and every ``base_model:`` tag), so that a
real model becomes an undeclared case; the truth file marks such rows.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import gzip
import json
import re
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parents[2] / "shared" / "data"
VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
csv.field_size_limit(1 << 30)


def _stamp(name: str) -> str:
    m = re.search(r"(\d{8})_(\d{6})", name)
    return m.group(1) + m.group(2) if m else ""


def tree_records(shared: Path) -> dict[str, dict[str, Any]]:
    """id -> ModelInfo record of the latest scrape of every tree (first tree, by root id, wins a duplicate)."""
    latest: dict[str, tuple[Path, list[dict[str, str]]]] = {}
    for f in sorted((shared / "hf_model_trees_2025" / "raw").glob("*finetunes*.csv.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        roots = [r["model_id"] for r in rows if str(r.get("depth")) == "0"]
        if roots and (roots[0] not in latest or _stamp(f.name) > _stamp(latest[roots[0]][0].name)):
            latest[roots[0]] = (f, rows)
    out: dict[str, dict[str, Any]] = {}
    for _root, (f, rows) in sorted(latest.items()):
        for row in rows:
            try:
                md = json.loads(row["metadata"])
            except (TypeError, ValueError):
                continue
            if not isinstance(md, dict) or not VALID_ID.match(str(md.get("id", ""))):
                continue  # failed scrapes: metadata N/A, a URL for an id
            if row.get("card"):
                md["card"] = row["card"]
            md["_source"] = f"hf_model_trees_2025/raw/{f.name}"
            out.setdefault(md["id"], md)
    return out


def leaderboard_records(shared: Path) -> dict[str, dict[str, Any]]:
    """id -> thin record from the Open LLM Leaderboard v2 row (first row per id)."""
    out: dict[str, dict[str, Any]] = {}
    path = shared / "llm_leaderboards_fboulnois" / "huggingface_v2_2025-03-21.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            mid = row["model_name"].strip()
            if mid in out or not VALID_ID.match(mid):
                continue
            rec: dict[str, Any] = {"id": mid, "_source": f"llm_leaderboards_fboulnois/{path.name}"}
            if row.get("model_architecture"):
                rec["config"] = {"architectures": [row["model_architecture"].strip()]}
            with contextlib.suppress(TypeError, ValueError):
                rec["safetensors"] = {"total": int(float(row["metadata_params_billions"]) * 1e9)}
            base = (row.get("metadata_base_model") or "").strip()
            if VALID_ID.match(base) and base.lower() != mid.lower():
                rec["card_data"] = {"base_model": base}
            out[mid] = rec
    return out


def atom_records(shared: Path) -> dict[str, dict[str, Any]]:
    """id -> bare record (the id only) for every model of ATOM's tracked list."""
    out: dict[str, dict[str, Any]] = {}
    with (shared / "atom_tracked_models" / "models.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            mid = (row.get("modelId") or "").strip()
            if VALID_ID.match(mid):
                out.setdefault(mid, {"id": mid, "_source": "atom_tracked_models/models.csv"})
    return out


def load_sources(shared: Path) -> dict[str, dict[str, dict[str, Any]]]:
    return {"trees": tree_records(shared), "leaderboard": leaderboard_records(shared), "atom": atom_records(shared)}


def card_data(rec: dict[str, Any]) -> dict[str, Any]:
    """The record's card data as a dict (the trees serialise it as a YAML string)."""
    cd = rec.get("card_data")
    if isinstance(cd, str):
        try:
            cd = yaml.safe_load(cd)
        except yaml.YAMLError:
            return {}
    return cd if isinstance(cd, dict) else {}


def declared_bases(rec: dict[str, Any]) -> list[str]:
    """card_data.base_model as a list of ids (the card's own statement)."""
    base = card_data(rec).get("base_model")
    if isinstance(base, str):
        base = [base]
    return [b.strip() for b in base or [] if isinstance(b, str) and b.strip()]


def blank_base(rec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the record with every base-model declaration removed (the ``blank_base`` variant)."""
    out = copy.deepcopy(rec)
    cd = card_data(out)
    for key in ("base_model", "base_model_relation"):
        cd.pop(key, None)
    if isinstance(out.get("card_data"), str):  # keep the record's own shape: the trees hold YAML text
        out["card_data"] = yaml.safe_dump(cd, allow_unicode=True, sort_keys=False) if cd else None
    elif "card_data" in out:
        out["card_data"] = cd
    if isinstance(out.get("cardData"), dict):
        for key in ("base_model", "base_model_relation"):
            out["cardData"].pop(key, None)
    out["tags"] = [t for t in out.get("tags") or [] if not str(t).startswith("base_model:")]
    out.pop("base_models", None)
    out.pop("baseModels", None)
    return out


def benchmark_records(shared: Path, labels: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every tree record (context) plus the labelled leaderboard/ATOM records, with the label variants applied."""
    src = load_sources(shared)
    records: dict[str, dict[str, Any]] = {k.lower(): v for k, v in src["trees"].items()}
    for lab in labels:
        key = lab["model_id"].lower()
        origin = lab["source"].split(":", 1)[0]
        if origin in ("leaderboard", "atom") and key not in records:
            records[key] = src[origin][lab["model_id"]]
        if key not in records:
            raise KeyError(f"{lab['model_id']}: not found in source {lab['source']}")
        if lab.get("variant") == "blank_base":
            records[key] = blank_base(records[key])
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in records.values()]
