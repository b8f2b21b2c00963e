"""Online look-ups for ``audit --online``: one model-info call per model and a few small files
(config.json, tokenizer_config.json, README front-matter), never weights.

The Hub's answers are untrusted like any other input. Every request goes through :func:`_get`: a total
deadline per request (httpx's timeouts are per read, so a server trickling one byte per second would
never trip them), a byte cap, redirects followed only on the configured endpoint's host (another host is
refused, so nothing of its data is used and the token never reaches it), and JSON depth bounded. The
model-info call is made here rather than through ``HfApi.model_info`` because that call follows any
redirect and reads the whole body with no deadline; its answer is still parsed by the client's own
``ModelInfo``. A Hub that cannot be reached is :class:`HubUnreachable`: that target gets an error row and
the other targets are still audited.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from modelcensus.audit.inspect_config import parse_card_text
from modelcensus.errors import InputError, NotFoundError
from modelcensus.untrusted import Deadline, parse_json

SMALL_FILES = {"config.json": 4 * 1024 * 1024, "tokenizer_config.json": 8 * 1024 * 1024,
               "README.md": 2 * 1024 * 1024}
EXPAND = ["author", "cardData", "baseModels", "config", "gated", "sha", "siblings", "tags", "gguf",
          "library_name", "pipeline_tag", "downloads", "likes", "lastModified", "createdAt"]
MAX_WALK = 8
MAX_INFO_BYTES = 16 * 1024 * 1024   # a model-info answer (a 10,000-file sibling list is ~1 MB)
MAX_ERROR_BYTES = 64 * 1024
READ_TIMEOUT = 20.0                 # seconds per socket read
DEADLINE = 60.0                     # seconds for a whole request, headers and body
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


class HubUnreachable(InputError):
    """The Hub did not answer (connection refused, DNS, deadline): the target cannot be audited online."""


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


@dataclass
class _Answer:
    status: int
    body: bytes
    error_code: str | None


def _same_host(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _read(r: Any, cap: int, what: str) -> bytes:
    buf = bytearray()
    for chunk in r.iter_bytes():
        buf += chunk
        if len(buf) > cap:
            raise InputError(f"{what} is larger than {cap} bytes - not fetched")
    return bytes(buf)


def _get(url: str, *, what: str, cap: int, params: dict[str, Any] | None = None) -> _Answer:
    """One bounded GET on the endpoint (see the module docstring); errors name ``what``."""
    import httpx2
    from huggingface_hub.errors import OfflineModeIsEnabled
    from huggingface_hub.utils import build_hf_headers, get_session

    base = endpoint()
    headers = {**build_hf_headers(), "Connection": "close"}  # a fresh socket, which the deadline can watch
    for _ in range(MAX_REDIRECTS + 1):
        deadline = Deadline(DEADLINE)
        try:
            with deadline, get_session().stream("GET", url, params=params, headers=headers, timeout=READ_TIMEOUT,
                                                follow_redirects=False, extensions=deadline.extensions) as r:
                stream = r.extensions.get("network_stream")
                sock = None
                if stream is not None and hasattr(stream, "get_extra_info"):
                    sock = stream.get_extra_info("socket")
                if sock is not None:
                    deadline.watch(sock)
                if r.status_code in _REDIRECTS:
                    target = urljoin(str(r.url), r.headers.get("location", ""))
                    if not r.headers.get("location") or not _same_host(target, base):
                        raise InputError(f"{what}: the Hub redirected to another host ({target[:120]!r}); refused, "
                                         f"nothing from it is used (the endpoint is {base})")
                    url, params = target, None
                    continue
                body = _read(r, cap if r.status_code < 400 else MAX_ERROR_BYTES, what)
                return _Answer(r.status_code, body, r.headers.get("x-error-code"))
        except OfflineModeIsEnabled:
            raise HubUnreachable(f"{what}: HF_HUB_OFFLINE is set, the Hub cannot be asked") from None
        except (httpx2.HTTPError, OSError) as exc:
            if deadline.expired:
                raise HubUnreachable(f"{what}: the Hub at {base} did not answer within {DEADLINE:g} s") from None
            first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
            raise HubUnreachable(f"{what}: the Hub at {base} is unreachable ({type(exc).__name__}: {first})") \
                from None
    raise InputError(f"{what}: more than {MAX_REDIRECTS} redirects")


def _fetch_small(repo_id: str, filename: str, revision: str | None, cap: int) -> bytes | None:
    url = f"{endpoint()}/{repo_id}/resolve/{quote(revision or 'main', safe='')}/{filename}"
    ans = _get(url, what=f"{repo_id}: {filename}", cap=cap)
    if ans.status == 404:
        return None
    if ans.status in (401, 403) or ans.error_code == "GatedRepo":
        raise _Gated()
    if ans.status >= 400:
        raise InputError(f"{repo_id}: {filename} answered HTTP {ans.status}")
    return ans.body


class _Gated(Exception):
    """A small file the Hub will not hand out without access."""


def _json(raw: bytes | None, what: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    doc = parse_json(raw, what=what)
    return doc if isinstance(doc, dict) else None


def _model_info(repo_id: str, revision: str | None) -> Any:
    """The Hub's model-info answer as the client's ``ModelInfo``; NotFoundError/InputError otherwise."""
    from huggingface_hub.hf_api import ModelInfo

    ref = f"{repo_id}{'@' + revision if revision else ''}"
    base = f"{endpoint()}/api/models/{repo_id}"
    url = base if revision is None else f"{base}/revision/{quote(revision, safe='')}"
    ans = _get(url, what=ref, cap=MAX_INFO_BYTES, params={"expand": EXPAND})
    if ans.error_code in ("RepoNotFound", "RevisionNotFound") or ans.status == 404:
        raise NotFoundError(f"{ref}: not found on the Hub ({ans.error_code or 'HTTP 404'})")
    if ans.status >= 400:
        raise InputError(f"{ref}: Hub answered HTTP {ans.status}{' ' + ans.error_code if ans.error_code else ''}")
    data = parse_json(ans.body, what=f"{ref}: model info")
    if not isinstance(data, dict):
        raise InputError(f"{ref}: model info is a JSON {type(data).__name__}, not an object")
    try:
        return ModelInfo(**data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise InputError(f"{ref}: model info not in the Hub's shape ({type(exc).__name__}: {str(exc)[:120]})") \
            from None


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
    """Model info plus the small files; :class:`InputError` naming the model on failure
    (:class:`NotFoundError` when the Hub has no such model, :class:`HubUnreachable` when it cannot be asked)."""
    info = _model_info(repo_id, revision)
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
        except _Gated:
            rec.notes.append("gated: small files not readable without access")
    if isinstance(rec.card.get("license"), str):
        rec.license = rec.card["license"]
    rec.base_models = _base_models(rec.card, getattr(info, "base_models", None))
    return rec
