"""Online look-ups for ``audit --online``: one ``model_info`` call per model and a few small files
(config.json, tokenizer_config.json, README front-matter), never weights.

The Hub's answers are untrusted like any other input: files are streamed with a byte cap and
parsed with the same bounded readers as local files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from modelcensus.audit.inspect_config import parse_card_text
from modelcensus.errors import InputError, NotFoundError

SMALL_FILES = {"config.json": 4 * 1024 * 1024, "tokenizer_config.json": 8 * 1024 * 1024,
               "README.md": 2 * 1024 * 1024}
EXPAND = ["author", "cardData", "baseModels", "config", "gated", "sha", "siblings", "tags", "gguf",
          "library_name", "pipeline_tag", "downloads", "likes", "lastModified", "createdAt"]
MAX_WALK = 8


@dataclass
class HubRecord:
    """What the Hub says about one model, in the shape the dossier uses."""

    id: str
    revision: str | None
    sha: str | None
    author: str | None
    license: str | None
    tags: list[str]
    gated: Any
    files: list[str]
    config: dict[str, Any] | None
    card: dict[str, Any]
    base_models: list[str]
    relation: str | None
    tokenizer_config: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def endpoint() -> str:
    """``HF_ENDPOINT`` read at call time (tests point it at a local fake Hub)."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def _fetch_small(repo_id: str, filename: str, revision: str | None, cap: int) -> bytes | None:
    from huggingface_hub.utils import build_hf_headers, get_session

    url = f"{endpoint()}/{repo_id}/resolve/{quote(revision or 'main', safe='')}/{filename}"
    with get_session().stream("GET", url, headers=build_hf_headers(), follow_redirects=True, timeout=20) as r:
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise InputError(f"{repo_id}: {filename} answered HTTP {r.status_code}")
        buf = bytearray()
        for chunk in r.iter_bytes():
            buf += chunk
            if len(buf) > cap:
                raise InputError(f"{repo_id}: {filename} is larger than {cap} bytes - not fetched")
        return bytes(buf)


def _json(raw: bytes | None, what: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(f"{what}: not valid JSON") from None
    return doc if isinstance(doc, dict) else None


def _base_models(card: dict[str, Any], info_bases: Any) -> list[str]:
    v = card.get("base_model")
    if isinstance(v, str) and v.strip():
        return [v.strip()]
    if isinstance(v, list):
        return [x.strip() for x in v[:32] if isinstance(x, str) and x.strip()]
    out = []
    for b in info_bases or []:  # the Hub's baseModels: {relation, models: [{id}]}
        models = b.get("models") if isinstance(b, dict) else None
        for m in models or []:
            if isinstance(m, dict) and isinstance(m.get("id"), str):
                out.append(m["id"])
    return out[:32]


def fetch_model(repo_id: str, revision: str | None = None, *, small_files: bool = True) -> HubRecord:
    """``model_info`` plus the small files; :class:`InputError` naming the model on failure."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    api = HfApi(endpoint=endpoint())
    try:
        info = api.model_info(repo_id, revision=revision, expand=EXPAND)
    except (RepositoryNotFoundError, RevisionNotFoundError) as exc:
        raise NotFoundError(f"{repo_id}{'@' + revision if revision else ''}: not found on the Hub "
                            f"({type(exc).__name__})") from None
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 404:  # a 404 without the Hub's RepoNotFound error code is still a missing model
            raise NotFoundError(f"{repo_id}{'@' + revision if revision else ''}: not found on the Hub (HTTP 404)") \
                from None
        raise InputError(f"{repo_id}: Hub answered {str(exc).splitlines()[0][:160]}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{repo_id}: Hub look-up failed ({type(exc).__name__}: {str(exc)[:160]})") from None
    card = info.card_data.to_dict() if info.card_data is not None else {}
    files = [s.rfilename for s in (info.siblings or [])][:10_000]
    config = info.config if isinstance(info.config, dict) else None
    rec = HubRecord(info.id or repo_id, revision, info.sha, info.author,
                    card.get("license") if isinstance(card.get("license"), str) else None,
                    list(info.tags or []), info.gated, files, config, card, [], None)
    rec.relation = card.get("base_model_relation") if isinstance(card.get("base_model_relation"), str) else None
    if small_files:
        rev = info.sha or revision
        try:
            for name, cap in SMALL_FILES.items():
                if name not in files:
                    continue
                raw = _fetch_small(rec.id, name, rev, cap)
                if name == "config.json":
                    rec.config = _json(raw, f"{rec.id}: config.json") or rec.config
                elif name == "tokenizer_config.json":
                    rec.tokenizer_config = _json(raw, f"{rec.id}: tokenizer_config.json")
                elif raw is not None:
                    meta, _ = parse_card_text(raw.decode("utf-8", "replace"), what=f"{rec.id}: README.md")
                    rec.card = meta or rec.card
        except GatedRepoError:
            rec.notes.append("gated: small files not readable without access")
        except (HfHubHTTPError, OSError) as exc:
            rec.notes.append(f"small files not fetched ({type(exc).__name__})")
    if isinstance(rec.card.get("license"), str):
        rec.license = rec.card["license"]
    rec.base_models = _base_models(rec.card, getattr(info, "base_models", None))
    return rec
