"""Read ``config.json`` and model-card front-matter from a model folder (small JSON/YAML, bounded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelcensus.audit import limits
from modelcensus.errors import InputError
from modelcensus.untrusted import load_yaml, read_bounded

MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_CARD_BYTES = 2 * 1024 * 1024

# config fields that shape a model: the architecture tuple of methods.md section 4.3
SHAPE_FIELDS = ("model_type", "architectures", "vocab_size", "hidden_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "intermediate_size", "rope_theta",
                "max_position_embeddings", "head_dim", "tie_word_embeddings")


def read_json_file(path: Path, *, what: str, max_bytes: int) -> Any:
    """Bounded JSON read; :class:`InputError` names the file, :class:`limits.Unscanned` when a reader limit
    (item count, the target's read budget) stops it before parsing."""
    raw = read_bounded(path, what=what, max_bytes=max_bytes)
    budget = limits.current_budget()
    if not budget.take(len(raw)):
        raise limits.Unscanned(budget.refusal(what, len(raw)))
    too_big = limits.json_items_refusal(raw, what)
    if too_big:
        raise limits.Unscanned(too_big)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{what}: not valid JSON ({str(exc).splitlines()[0][:120]})") from None


def config_features(config: Any, *, what: str = "config.json") -> dict[str, Any]:
    """The shape fields of a config (nested ``text_config`` of multimodal models included)."""
    if not isinstance(config, dict):
        raise InputError(f"{what}: not a JSON object")
    out: dict[str, Any] = {}
    sources = [config]
    if isinstance(config.get("text_config"), dict):
        sources.append(config["text_config"])
    for src in sources:
        for k in SHAPE_FIELDS:
            v = src.get(k)
            if k in out or v is None:
                continue
            if k == "architectures":
                if isinstance(v, list):
                    out[k] = [str(a)[:200] for a in v[:8]]
            elif k == "model_type":
                if isinstance(v, str):
                    out[k] = v[:200]
            elif isinstance(v, bool | int | float):
                out[k] = v
    return out


def read_card(path: Path) -> tuple[dict[str, Any], str]:
    """README.md -> (front-matter dict, body text). Bad front-matter is an error naming the file."""
    what = f"model card {path.name}"
    text = read_bounded(path, what=what, max_bytes=MAX_CARD_BYTES).decode("utf-8", "replace")
    return parse_card_text(text, what=what)


def parse_card_text(text: str, *, what: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    meta = load_yaml(text[3:end], what=f"{what} front-matter")
    return (meta if isinstance(meta, dict) else {}), text[end + 4:]


def card_base_models(meta: dict[str, Any]) -> list[str]:
    """``base_model`` of a card as a list of ids."""
    v = meta.get("base_model")
    if isinstance(v, str):
        return [v.strip()] if v.strip() else []
    if isinstance(v, list):
        return [str(x).strip() for x in v[:32] if isinstance(x, str) and x.strip()]
    return []
