"""A fake Hugging Face Hub for tests: a real HTTP server on 127.0.0.1 speaking the Hub's JSON API.

Why a real server rather than mocks: ``huggingface_hub`` is exercised end to end (its session, headers,
``HF_ENDPOINT`` handling and download machinery), and a crawl can be killed as a real process.

Endpoints:
- ``GET /api/models`` with ``search``, ``author``, ``filter`` (repeatable), ``sort``, ``direction``, ``limit``
  (page size, capped at 1000 like the Hub), repeated ``expand=``, cursor pagination through the
  ``Link: <...>; rel="next"`` header;
- ``GET /api/models/{namespace}/{name}`` (same ``expand=``);
- ``GET /api/agent-harnesses`` (``huggingface_hub`` fetches it once; answered with 404, which it tolerates);
- ``HEAD``/``GET /datasets/{repo}/resolve/{revision}/{file}`` and ``GET /api/datasets/{repo}/revision/{rev}``
  for the dataset files registered with :meth:`FakeHub.add_dataset_file` (enough for ``hf_hub_download``);
- dataset repos with a commit history (:meth:`FakeHub.add_dataset_commit`): ``GET /api/datasets/{repo}/commits/{rev}``
  (newest first, ``Link``-paginated, what ``HfApi.list_repo_commits`` reads) and the files above at any of its commits
  (a commit that does not touch a file carries the file of an earlier commit, as in git).

Faults are injected per listing request number (1-based) or per page (0-based, the first ``times`` times
that page is served): see :class:`Fault`. Every request is recorded in :attr:`FakeHub.requests`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import random
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

MAX_PAGE = 1000
# Fields the Hub returns for a listing without ``expand`` (2025-26 behaviour).
DEFAULT_FIELDS = ("_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag",
                  "library_name", "createdAt", "modelId")
SORT_KEYS = {"createdAt": "createdAt", "created_at": "createdAt", "lastModified": "lastModified",
             "last_modified": "lastModified", "downloads": "downloads", "likes": "likes",
             "trendingScore": "trendingScore", "trending_score": "trendingScore", "id": "id"}
FAULT_KINDS = ("429", "500", "401", "slow", "truncated", "malformed", "missing_fields", "not_a_list", "foreign_link",
               "loop", "trickle", "trickle_headers", "redirect", "deep_json", "deep_item")

_ORGS = [
    ("Qwen", "Qwen2.5", "qwen2", "Qwen2ForCausalLM"),
    ("meta-llama", "Llama-3.1", "llama", "LlamaForCausalLM"),
    ("mistralai", "Mistral", "mistral", "MistralForCausalLM"),
    ("deepseek-ai", "DeepSeek-R1-Distill", "qwen2", "Qwen2ForCausalLM"),
    ("google", "gemma-2", "gemma2", "Gemma2ForCausalLM"),
]
_USERS = ["mradermacher", "bartowski", "unsloth", "TheBloke", "alice", "bob-lab", "carol", "lmstudio-community"]
_LICENSES = ["apache-2.0", "mit", "llama3.1", "gemma", "other", None]
_PIPELINES = ["text-generation", "text-generation", "image-text-to-text", "feature-extraction", None]
_BASE_TIME = datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC)


def isolate_hf_env(monkeypatch: Any, tmp_path: Any) -> None:
    """Point huggingface_hub at nothing of the user's: own HF_HOME, no token, no telemetry, online mode.

    Tests set HF_ENDPOINT to a FakeHub afterwards; one helper so every Hub-facing test starts the same."""
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    for var in ("HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE"):
        monkeypatch.delenv(var, raising=False)


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def make_models(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` deterministic model records in the Hub's camelCase JSON shape (all expand fields present).

    Roots are published by real organisations; about half the rest declare a parent (finetune,
    adapter, quantized, merge) through cardData, tags and baseModels, as the Hub does.
    """
    rng = random.Random(seed)
    models: list[dict[str, Any]] = []
    for i in range(n):
        if i < len(_ORGS) * 2 or rng.random() < 0.1:
            org, stem, model_type, arch = _ORGS[i % len(_ORGS)]
            mid = f"{org}/{stem}-{rng.choice(['0.5B', '7B', '8B', '70B'])}-{i}"
            parent = None
        else:
            org = rng.choice(_USERS)
            _, stem, model_type, arch = rng.choice(_ORGS)
            mid = f"{org}/{stem}-ft-{i}"
            parent = rng.choice(models)["id"] if models and rng.random() < 0.6 else None
        created = _BASE_TIME + timedelta(hours=6 * i, seconds=rng.randrange(3600))
        modified = created + timedelta(days=rng.randrange(0, 400), seconds=rng.randrange(86400))
        license_ = rng.choice(_LICENSES)
        relation = rng.choice(["finetune", "adapter", "quantized", "merge"]) if parent else None
        tags = ["transformers", "safetensors", model_type]
        card: dict[str, Any] = {}
        if license_:
            card["license"] = license_
            tags.append(f"license:{license_}")
        if parent:
            card["base_model"] = parent
            tags += [f"base_model:{parent}", f"base_model:{relation}:{parent}"]
        downloads_all = int(rng.paretovariate(1.2) * 50)
        sha = hashlib.sha1(f"{seed}:{mid}".encode()).hexdigest()
        rec: dict[str, Any] = {
            "_id": hashlib.md5(mid.encode()).hexdigest()[:24],
            "id": mid,
            "modelId": mid,
            "author": org,
            "createdAt": _iso(created),
            "lastModified": _iso(modified),
            "downloads": downloads_all // rng.randint(2, 20),
            "downloadsAllTime": downloads_all,
            "likes": rng.randrange(0, 200),
            "trendingScore": rng.randrange(0, 50),
            "pipeline_tag": rng.choice(_PIPELINES),
            "library_name": "transformers",
            "tags": tags,
            "cardData": card or None,
            "baseModels": {"relation": relation, "models": [{"id": parent}]} if parent else None,
            "safetensors": {"parameters": {"BF16": 7_000_000_000 + i}, "total": 7_000_000_000 + i},
            "gguf": {"total": 7_000_000_000 + i, "architecture": model_type} if relation == "quantized" else None,
            "config": {"model_type": model_type, "architectures": [arch]},
            "gated": "auto" if org == "meta-llama" else False,
            "private": False,
            "disabled": False,
            "sha": sha,
        }
        models.append({k: v for k, v in rec.items() if v is not None})
    return models


@dataclass
class Fault:
    """One injected fault.

    kind: ``429`` (with ``Retry-After``: ``retry_after`` seconds, or an HTTP date when ``http_date``),
    ``500``, ``slow`` (sleep ``delay`` s before answering), ``truncated`` (Content-Length larger than the
    body, then the connection is closed), ``malformed`` (a body that is not JSON), ``missing_fields``
    (the page's items lose every field but those in ``keep``; items listed in ``drop_id_at`` lose their
    id too), ``not_a_list`` (a JSON object instead of a list), ``401`` (a refusal that must not be
    retried), ``foreign_link`` (a next-page link to another host), ``loop`` (the next-page link points back
    at page ``loop_to``), ``trickle`` / ``trickle_headers`` (the body, or the status line and headers, sent one
    byte every ``delay`` seconds), ``redirect`` (302 to ``location``; ``{url}`` and ``{path}`` are filled in),
    ``deep_json`` (a page nested ``depth`` levels), ``deep_item`` (the first item's cardData nested ``depth``
    levels).
    """

    kind: str
    retry_after: float = 1
    http_date: bool = False
    delay: float = 2.0
    keep: tuple[str, ...] = ("id",)
    drop_id_at: tuple[int, ...] = ()
    loop_to: int = 0
    location: str = "{url}{path}"
    depth: int = 100_000

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")


@dataclass(frozen=True)
class Request:
    """One request as received: what tests assert on (cost, parameters, token, timing)."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    at: float  # time.monotonic() on arrival


@dataclass
class DatasetFile:
    repo: str
    filename: str
    data: bytes
    sha: str
    last_modified: str


@dataclass
class DatasetCommit:
    """One commit of a dataset repo: the files it adds or changes (``None`` deletes one)."""

    sha: str
    date: str  # ISO, e.g. 2025-06-01T12:00:00.000Z
    title: str
    files: dict[str, bytes | None]


class FakeHub:
    """The server. Use as a context manager; ``url`` is the value for ``HF_ENDPOINT``."""

    def __init__(self, models: list[dict[str, Any]] | None = None, *, n_models: int = 2500, seed: int = 0,
                 page_delay: float = 0.0) -> None:
        self.models = models if models is not None else make_models(n_models, seed)
        self.page_delay = page_delay
        self.request_faults: dict[int, Fault] = {}
        self.info_faults: dict[str, Fault] = {}  # model id (lower) -> fault on every model-info request
        self.page_faults: dict[int, list[Any]] = {}  # page -> [fault, remaining times]
        self.requests: list[Request] = []
        self.fault_log: list[tuple[int, str]] = []
        self.datasets: dict[tuple[str, str], DatasetFile] = {}
        self.dataset_info_available = True  # False: /api/datasets/... answers 500 (no commit date)
        self.dataset_commits: dict[str, list[DatasetCommit]] = {}  # repo -> commits, oldest first
        self.commits_page_size = 50
        self._lock = threading.Lock()
        self._listing_count = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakehub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake hub first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- configuration -------------------------------------------------------------
    def fail_request(self, number: int, fault: Fault) -> None:
        """Inject ``fault`` into the ``number``-th (1-based) ``/api/models`` listing request."""
        self.request_faults[number] = fault

    def fail_page(self, page: int, fault: Fault, times: int = 1) -> None:
        """Inject ``fault`` the first ``times`` times page ``page`` (0-based) is served."""
        self.page_faults[page] = [fault, times]

    def fail_info(self, model_id: str, fault: Fault) -> None:
        """Inject ``fault`` (``500``, ``redirect``, ``trickle``, ``trickle_headers``, ``deep_json``) into every
        ``/api/models/{model_id}`` request."""
        self.info_faults[model_id.lower()] = fault

    def add_dataset_file(self, repo: str, filename: str, data: bytes, *, sha: str | None = None,
                         last_modified: str = "2025-06-01T12:00:00.000Z") -> DatasetFile:
        sha = sha or hashlib.sha1(repo.encode() + data).hexdigest()
        f = DatasetFile(repo, filename, data, sha, last_modified)
        self.datasets[(repo, filename)] = f
        return f

    def add_dataset_commit(self, repo: str, files: dict[str, bytes | None], *, date: str,
                           title: str | None = None, sha: str | None = None) -> DatasetCommit:
        """Append a commit to ``repo``'s history (commits must be added oldest first, as they happen)."""
        history = self.dataset_commits.setdefault(repo, [])
        if history and date < history[-1].date:
            raise ValueError(f"commit dated {date} is older than the last one ({history[-1].date})")
        sha = sha or hashlib.sha1(f"{repo}:{len(history)}:{date}".encode()).hexdigest()
        commit = DatasetCommit(sha, date, title or f"Upload {', '.join(files)}", dict(files))
        history.append(commit)
        return commit

    def dataset_state(self, repo: str, rev: str) -> tuple[DatasetCommit, dict[str, bytes]] | None:
        """The commit ``rev`` (a sha or ``main``) names and the repo's files as of it; ``None`` if unknown."""
        history = self.dataset_commits.get(repo, [])
        upto = len(history) if rev == "main" else next((i + 1 for i, c in enumerate(history) if c.sha == rev), 0)
        if upto == 0:
            return None
        files: dict[str, bytes] = {}
        for c in history[:upto]:
            for name, data in c.files.items():
                if data is None:
                    files.pop(name, None)
                else:
                    files[name] = data
        return history[upto - 1], files

    # -- observation ---------------------------------------------------------------
    def count(self, path_prefix: str = "/api/models", method: str = "GET") -> int:
        """Requests received whose path starts with ``path_prefix``."""
        with self._lock:
            return sum(1 for r in self.requests if r.method == method and r.path.startswith(path_prefix))

    def listing_requests(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and r.path == "/api/models"]

    def ids(self, *, author: str | None = None, search: str | None = None) -> list[str]:
        return [m["id"] for m in self._select({"author": [author] if author else [],
                                               "search": [search] if search else []})]

    # -- the API -------------------------------------------------------------------
    def _select(self, q: dict[str, list[str]]) -> list[dict[str, Any]]:
        items = self.models
        if q.get("author"):
            a = q["author"][0].lower()
            items = [m for m in items if m["id"].split("/", 1)[0].lower() == a]
        if q.get("search"):
            s = q["search"][0].lower()
            items = [m for m in items if s in m["id"].lower()]
        for f in q.get("filter", []):
            items = [m for m in items if f in m.get("tags", []) or f == m.get("pipeline_tag")]
        sort = q.get("sort", [None])[0]
        if sort:
            key = SORT_KEYS.get(sort)
            if key is None:
                raise ValueError(f"invalid sort {sort!r}")
            direction = q.get("direction", ["-1"])[0]
            rev = direction != "1"
            items = sorted(items, key=lambda m: (m.get(key) is not None, m.get(key) or 0, m["id"]), reverse=rev)
        return items

    @staticmethod
    def _project(model: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        fields = expand if expand else DEFAULT_FIELDS
        out = {"_id": model.get("_id"), "id": model["id"]}
        out.update({f: model[f] for f in fields if f in model})
        return out

    def _next_listing_fault(self, page: int) -> tuple[int, Fault | None]:
        with self._lock:
            self._listing_count += 1
            n = self._listing_count
            fault = self.request_faults.pop(n, None)
            if fault is None and page in self.page_faults:
                entry = self.page_faults[page]
                fault = entry[0]
                entry[1] -= 1
                if entry[1] <= 0:
                    del self.page_faults[page]
            if fault is not None:
                self.fault_log.append((n, fault.kind))
            return n, fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients that time out or are killed mid-request are part of the tests, not server errors
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | OSError):
            super().handle_error(request, client_address)


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    pad = "=" * (-len(cursor) % 4)
    return int(json.loads(base64.urlsafe_b64decode(cursor + pad))["o"])


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    # -- plumbing ----------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              content_type: str = "application/json", head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not (head or self.command == "HEAD"):  # a HEAD answer has headers only
            self.wfile.write(body)

    def _json(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(doc).encode(), headers)

    def _error(self, status: int, message: str, code: str | None = None) -> None:
        self._json(status, {"error": message}, {"X-Error-Code": code} if code else None)

    def _record(self) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        with self.fake._lock:
            self.fake.requests.append(Request(self.command, path, query, self.headers.get("Authorization"),
                                              time.monotonic()))
        return path, query

    def do_HEAD(self) -> None:  # noqa: N802
        path, query = self._record()
        self._route(path, query, head=True)

    def do_GET(self) -> None:  # noqa: N802
        path, query = self._record()
        self._route(path, query, head=False)

    def _route(self, path: str, query: dict[str, list[str]], head: bool) -> None:
        try:
            if path == "/api/models" and not head:
                self._listing(query)
            elif path.startswith("/api/models/") and not head:
                self._model_info(path[len("/api/models/"):], query)
            elif path.startswith("/api/datasets/") and "/commits/" in path and not head:
                self._dataset_commits(path[len("/api/datasets/"):], query)
            elif path.startswith("/api/datasets/") and "/revision/" in path and not head:
                self._dataset_info(path[len("/api/datasets/"):])
            elif path.startswith("/datasets/") and "/resolve/" in path:
                self._resolve(path[len("/datasets/"):], head)
            else:
                self._error(404, "Sorry, we can't find the page you are looking for.")
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- endpoints -----------------------------------------------------------------
    def _listing(self, q: dict[str, list[str]]) -> None:
        fake = self.fake
        try:
            items = fake._select(q)
            offset = _decode_cursor(q["cursor"][0]) if q.get("cursor") else 0
            limit = min(int(q.get("limit", [MAX_PAGE])[0]), MAX_PAGE)
        except (ValueError, KeyError, TypeError):
            self._error(400, "Invalid query")
            return
        page = offset // max(limit, 1)
        _, fault = fake._next_listing_fault(page)
        if fake.page_delay:
            time.sleep(fake.page_delay)
        expand = q.get("expand", [])
        chunk = [fake._project(m, expand) for m in items[offset:offset + limit]]
        headers: dict[str, str] = {}
        if offset + limit < len(items):
            nq = {k: v for k, v in q.items() if k != "cursor"}
            nq["cursor"] = [_encode_cursor(offset + limit)]
            headers["Link"] = f'<{fake.url}/api/models?{urlencode(nq, doseq=True)}>; rel="next"'
        if fault is None:
            self._json(200, chunk, headers)
            return
        kind = fault.kind
        if kind == "429":
            when = (format_datetime(datetime.now(UTC) + timedelta(seconds=fault.retry_after), usegmt=True)
                    if fault.http_date else str(int(fault.retry_after)))
            self._json(429, {"error": "rate limited"}, {"Retry-After": when})
        elif kind == "500":
            self._error(500, "Internal Error")
        elif kind == "401":
            self._error(401, "Invalid credentials in Authorization header")
        elif kind == "foreign_link":
            headers["Link"] = '<http://example.invalid/api/models?cursor=x>; rel="next"'
            self._json(200, chunk, headers)
        elif kind == "loop":
            nq = {k: v for k, v in q.items() if k != "cursor"}
            if fault.loop_to:
                nq["cursor"] = [_encode_cursor(fault.loop_to * limit)]
            headers["Link"] = f'<{fake.url}/api/models?{urlencode(nq, doseq=True)}>; rel="next"'
            self._json(200, chunk, headers)
        elif kind == "redirect":
            target = fault.location.format(url=fake.url, path=self.path)
            self._send(302, b"", {"Location": target})
        elif kind in ("trickle", "trickle_headers"):
            self._trickle(json.dumps(chunk).encode(), headers, fault.delay, headers_too=kind == "trickle_headers")
        elif kind == "deep_json":
            self._send(200, b"[" * fault.depth + b"]" * fault.depth, headers)
        elif kind == "deep_item":
            nested: Any = {}
            for _ in range(fault.depth):
                nested = {"a": nested}
            chunk[0] = {**chunk[0], "cardData": nested}
            self._json(200, chunk, headers)
        elif kind == "slow":
            time.sleep(fault.delay)
            self._json(200, chunk, headers)
        elif kind == "truncated":
            body = json.dumps(chunk).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        elif kind == "malformed":
            self._send(200, b'[{"id": "broken/json", "likes": ', headers)
        elif kind == "not_a_list":
            self._json(200, {"models": chunk}, headers)
        elif kind == "missing_fields":
            thin = []
            for i, m in enumerate(chunk):
                item = {k: v for k, v in m.items() if k in fault.keep}
                if i in fault.drop_id_at:
                    item.pop("id", None)
                thin.append(item)
            self._json(200, thin, headers)

    def _trickle(self, body: bytes, headers: dict[str, str], delay: float, *, headers_too: bool,
                 give_up: float = 20.0) -> None:
        """Send a 200 slowly, one byte every ``delay`` s, until the client hangs up (or ``give_up`` s pass, so
        that a client without a deadline fails its test's time bound instead of hanging the suite)."""
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
        self.close_connection = True
        try:
            if headers_too:
                data = head + body
            else:
                self.wfile.write(head)
                self.wfile.flush()
                data = body
            stop = time.monotonic() + give_up
            for i in range(len(data)):
                if time.monotonic() > stop:
                    break
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(delay)
        except OSError:
            pass

    def _model_info(self, repo: str, q: dict[str, list[str]]) -> None:
        repo = repo.split("/revision/", 1)[0]
        fault = self.fake.info_faults.get(repo.lower())
        if fault is not None:
            body = json.dumps(next((m for m in self.fake.models if m["id"].lower() == repo.lower()), {})).encode()
            if fault.kind == "redirect":
                self._send(302, b"", {"Location": fault.location.format(url=self.fake.url, path=self.path)})
            elif fault.kind in ("trickle", "trickle_headers"):
                self._trickle(body, {}, fault.delay, headers_too=fault.kind == "trickle_headers")
            elif fault.kind == "deep_json":
                self._send(200, b"[" * fault.depth + b"]" * fault.depth)
            else:
                self._error(500, "Internal Error")
            return
        for m in self.fake.models:
            if m["id"].lower() == repo.lower():
                self._json(200, self.fake._project(m, q.get("expand", [])) if q.get("expand") else m)
                return
        self._error(404, "Repository not found", "RepoNotFound")

    def _find_repo(self, repo_and_rest: str) -> tuple[str | None, str]:
        for repo in [r for r, _ in self.fake.datasets] + list(self.fake.dataset_commits):
            if repo_and_rest.startswith(repo + "/"):
                return repo, repo_and_rest[len(repo) + 1:]
        return None, ""

    def _dataset_info(self, rest: str) -> None:
        if not self.fake.dataset_info_available:
            self._error(500, "Internal Error")
            return
        repo, _, rev = rest.partition("/revision/")
        files = [f for (r, _), f in self.fake.datasets.items() if r == repo]
        rev = unquote(rev)
        if repo in self.fake.dataset_commits:
            state = self.fake.dataset_state(repo, rev)
            if state is None:
                self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
                return
            files = [DatasetFile(repo, name, data, state[0].sha, state[0].date) for name, data in state[1].items()]
            files = files or [DatasetFile(repo, ".gitattributes", b"", state[0].sha, state[0].date)]
        if not files or rev not in ("main", files[0].sha):
            self._error(404, "Repository not found", "RepoNotFound")
            return
        f = files[0]
        self._json(200, {"_id": hashlib.md5(repo.encode()).hexdigest()[:24], "id": repo, "author": repo.split("/")[0],
                         "sha": f.sha, "lastModified": f.last_modified, "private": False, "gated": False,
                         "disabled": False, "tags": [], "downloads": 0, "likes": 0,
                         "siblings": [{"rfilename": x.filename} for x in files]})

    def _resolve(self, rest: str, head: bool) -> None:
        repo, tail = self._find_repo(rest)
        if repo is None or not tail.startswith("resolve/"):
            self._error(404, "Repository not found", "RepoNotFound")
            return
        rev, _, filename = tail[len("resolve/"):].partition("/")
        rev = unquote(rev)
        if repo in self.fake.dataset_commits:
            state = self.fake.dataset_state(repo, rev)
            if state is None:
                self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            elif filename not in state[1]:
                self._error(404, "Entry not found", "EntryNotFound")
            else:
                self._send_file(state[1][filename], state[0].sha, head)
            return
        f = self.fake.datasets.get((repo, filename))
        known = {d.sha for (r, _), d in self.fake.datasets.items() if r == repo} | {"main"}
        if rev not in known:
            self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            return
        if f is None or rev not in ("main", f.sha):
            self._error(404, "Entry not found", "EntryNotFound")
            return
        self._send_file(f.data, f.sha, head)

    def _send_file(self, full: bytes, commit: str, head: bool) -> None:
        etag = hashlib.sha256(full).hexdigest()
        headers = {"X-Repo-Commit": commit, "ETag": f'"{etag}"', "X-Linked-Etag": f'"{etag}"',
                   "X-Linked-Size": str(len(full)), "Accept-Ranges": "bytes"}
        data = full
        rng = self.headers.get("Range")
        status = 200
        if rng and rng.startswith("bytes=") and not head:
            start_s, _, end_s = rng[6:].partition("-")
            start = int(start_s or 0)
            end = int(end_s) if end_s else len(data) - 1
            data = data[start:end + 1]
            status = 206
            headers["Content-Range"] = f"bytes {start}-{start + len(data) - 1}/{len(full)}"
        self._send(status, data, headers, content_type="application/octet-stream", head=head)

    def _dataset_commits(self, rest: str, q: dict[str, list[str]]) -> None:
        """The Hub's commit listing: newest first, ``Link``-paginated (``p`` = page number)."""
        repo, _, rev = rest.partition("/commits/")
        if repo not in self.fake.dataset_commits:
            self._error(404, "Repository not found", "RepoNotFound")
            return
        state = self.fake.dataset_state(repo, unquote(rev))
        if state is None:
            self._error(404, f"Invalid rev id: {unquote(rev)}", "RevisionNotFound")
            return
        history = self.fake.dataset_commits[repo]
        upto = next(i for i, c in enumerate(history) if c.sha == state[0].sha)
        items = [{"id": c.sha, "title": c.title, "message": "", "date": c.date,
                  "authors": [{"user": "hub-stats-bot", "avatar": ""}]} for c in reversed(history[:upto + 1])]
        size = max(self.fake.commits_page_size, 1)
        try:
            page = int(q.get("p", ["0"])[0])
        except ValueError:
            self._error(400, "Invalid page")
            return
        headers: dict[str, str] = {}
        if (page + 1) * size < len(items):
            headers["Link"] = f'<{self.fake.url}/api/datasets/{repo}/commits/{rev}?p={page + 1}>; rel="next"'
        self._json(200, items[page * size:(page + 1) * size], headers)
