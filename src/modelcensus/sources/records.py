"""Map one Hub API model record, in any of its shapes, onto the staging layout.

Shapes handled: the Hub's JSON (camelCase: ``createdAt``, ``cardData``, ``baseModels``),
``huggingface_hub``'s ``ModelInfo`` as a dict (snake_case: ``created_at``, ``card_data``),
old listings that carry ``modelId`` instead of ``id`` and flattened ``config_*`` fields.
Values are not validated here: :mod:`modelcensus.store.staging` does that once, in SQL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from modelcensus.errors import InputError
from modelcensus.store.staging import STAGING_COLUMNS, STAGING_SCHEMA
from modelcensus.untrusted import load_yaml

MAX_CARD_TEXT = 200_000
MAX_JSON_FIELD = 200_000

# staging column -> accepted spellings, first match wins
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "modelId", "model_id", "repo_id"),
    "author": ("author",),
    "created_at": ("createdAt", "created_at"),
    "last_modified": ("lastModified", "last_modified"),
    "downloads": ("downloads", "downloads_30d"),
    "downloads_all_time": ("downloadsAllTime", "downloads_all_time"),
    "likes": ("likes",),
    "trending_score": ("trendingScore", "trending_score"),
    "pipeline_tag": ("pipeline_tag", "pipelineTag"),
    "library_name": ("library_name", "libraryName"),
    "sha": ("sha",),
    "gated": ("gated",),
    "private": ("private",),
    "disabled": ("disabled",),
    "license": ("license",),
}


class RecordProblem(ValueError):
    """The record cannot be mapped; the message is the skip reason."""


def _scalar(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise RecordProblem(f"{what} has an unexpected type ({type(value).__name__})")


def _json_object(value: Any, what: str) -> str | None:
    """Nested value -> JSON text. Strings are parsed as JSON, else as YAML (cards)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_JSON_FIELD:
            raise RecordProblem(f"{what} larger than {MAX_JSON_FIELD} characters")
        if text in ("", "null", "None", "{}"):
            return None if text != "{}" else "{}"
        try:
            value = json.loads(text)
        except ValueError:
            try:
                value = load_yaml(text, what=what, max_bytes=MAX_JSON_FIELD)
            except InputError as exc:
                raise RecordProblem(str(exc)) from None
    if hasattr(value, "to_dict") and not isinstance(value, Mapping):
        value = value.to_dict()
    if value is None:
        return None
    if not isinstance(value, Mapping | list):
        raise RecordProblem(f"{what} is not an object")
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) > MAX_JSON_FIELD:
        raise RecordProblem(f"{what} larger than {MAX_JSON_FIELD} characters")
    return text


def _str_list(value: Any, what: str) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise RecordProblem(f"{what} is not a list") from None
        else:
            value = [t for t in (s.strip() for s in text.split(";" if ";" in text else ",")) if t]
    if not isinstance(value, list | tuple):
        raise RecordProblem(f"{what} is not a list")
    out: list[str] = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("rfilename"), str):
            out.append(item["rfilename"])
        elif hasattr(item, "rfilename"):
            out.append(str(item.rfilename))
        else:
            raise RecordProblem(f"{what} holds a non-string item")
    return out


def _first(rec: Mapping[str, Any], names: Iterable[str]) -> Any:
    for n in names:
        if n in rec and rec[n] is not None:
            return rec[n]
    return None


def _base_models(rec: Mapping[str, Any]) -> str | None:
    """The Hub's ``baseModels`` ({relation, models:[{id}]}) as a JSON list of {relation, id}."""
    bm = _first(rec, ("baseModels", "base_models"))
    if bm is None:
        return None
    if isinstance(bm, str):
        try:
            bm = json.loads(bm)
        except ValueError:
            raise RecordProblem("baseModels is not JSON") from None
    out: list[dict[str, str | None]] = []
    entries = bm if isinstance(bm, list) else [bm]
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise RecordProblem("baseModels is not an object")
        relation = entry.get("relation")
        for m in entry.get("models") or []:
            mid = m.get("id") if isinstance(m, Mapping) else m
            if isinstance(mid, str):
                out.append({"relation": relation if isinstance(relation, str) else None, "id": mid})
    return json.dumps(out) if out else None


def _siblings(rec: Mapping[str, Any]) -> list[str] | None:
    sib = rec.get("siblings")
    if sib is None:
        return None
    if isinstance(sib, list) and sib and isinstance(sib[0], str) and sib[0].startswith("RepoSibling("):
        # huggingface_hub reprs, as stored by some scrapers
        names = []
        for s in sib:
            start = s.find("rfilename='")
            if start >= 0:
                end = s.find("'", start + 11)
                names.append(s[start + 11:end])
        return names
    return _str_list(sib, "siblings")


def _config(rec: Mapping[str, Any]) -> str | None:
    cfg = rec.get("config")
    if cfg is None and ("config_model_type" in rec or "config_architectures" in rec):
        cfg = {"model_type": rec.get("config_model_type"), "architectures": rec.get("config_architectures")}
        cfg = {k: v for k, v in cfg.items() if v is not None} or None
    text = _json_object(cfg, "config")
    if text is None:
        return None
    obj = json.loads(text)
    if isinstance(obj, dict):
        tok = obj.get("tokenizer_config")
        if isinstance(tok, dict) and isinstance(tok.get("chat_template"), str | list):
            # keep the template: audits look for unusual constructs; cap its size
            tmpl = tok["chat_template"]
            tok["chat_template"] = tmpl if len(json.dumps(tmpl)) < 20_000 else "<omitted: too long>"
    return json.dumps(obj, ensure_ascii=False)


def _safetensors_total(rec: Mapping[str, Any]) -> str | None:
    st = rec.get("safetensors")
    if st is None:
        return _scalar(_first(rec, ("safetensors_total", "safetensors_total_params", "num_parameters")),
                       "safetensors")
    if isinstance(st, str):
        try:
            st = json.loads(st)
        except ValueError:
            return None
    if hasattr(st, "total"):
        return _scalar(st.total, "safetensors.total")
    if isinstance(st, Mapping):
        return _scalar(st.get("total"), "safetensors.total")
    return None


def to_staging_row(rec: Mapping[str, Any], position: int) -> dict[str, Any]:
    """One staging row. Unmappable records come back with ``_problem`` set, never raise."""
    row: dict[str, Any] = dict.fromkeys(STAGING_COLUMNS)
    row["_pos"] = position
    try:
        if not isinstance(rec, Mapping):
            raise RecordProblem("record is not an object")
        for col, names in ALIASES.items():
            row[col] = _scalar(_first(rec, names), col)
        row["tags"] = _str_list(rec.get("tags"), "tags")
        card = _first(rec, ("cardData", "card_data"))
        row["card_data"] = _json_object(card, "card data")
        row["base_models"] = _base_models(rec)
        row["safetensors_total"] = _safetensors_total(rec)
        row["gguf"] = _json_object(rec.get("gguf"), "gguf")
        row["config"] = _config(rec)
        row["files"] = _siblings(rec)
        text = _first(rec, ("card", "card_text", "readme"))
        if isinstance(text, str):
            row["card_text"] = text[:MAX_CARD_TEXT]
    except RecordProblem as exc:
        keep_id = row.get("id")
        row = dict.fromkeys(STAGING_COLUMNS)
        row.update({"_pos": position, "_problem": str(exc), "id": keep_id if isinstance(keep_id, str) else None})
    return row


def to_staging_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Staging rows -> an Arrow table in :data:`STAGING_SCHEMA`."""
    return pa.Table.from_pylist(rows, schema=STAGING_SCHEMA)
