"""Source 1: crawl the Hub's model listing (``GET /api/models``) into a snapshot, one page per transaction.

A crawl costs one request per page of up to 1000 models: every field the store needs is asked for with
``expand=``, so no model is ever fetched on its own. Each page is committed together with the crawl
cursor (the ``Link: rel="next"`` URL) in the ``crawl_state`` table, so a crawl killed at any moment and
restarted with the same parameters continues from its last committed page into the same partial snapshot.

The session, headers (``build_hf_headers``: ``HF_TOKEN`` or the stored token, user agent) and error
messages are ``huggingface_hub``'s own; pagination is done here, page by page: ``HfApi.list_models`` and
``utils._pagination`` follow the ``Link`` header internally and never expose the next-page URL, so a crawl
could neither commit its cursor with each page nor restart from it (huggingface/huggingface_hub#2741 asks for
exactly that). Fetching one page, with its retries and bounds, is ``sources/hub_pages.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from huggingface_hub import constants as hf_constants
from huggingface_hub.utils import build_hf_headers
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from modelcensus import __version__
from modelcensus.dates import parse_when
from modelcensus.errors import InputError
from modelcensus.sources.hub_pages import HubCrawlError, PageFetcher, RetryPolicy
from modelcensus.sources.records import to_staging_row, to_staging_table
from modelcensus.store.crawls import (
    crawl_resume_state,
    dedupe_hub_declarations,
    end_crawl,
    save_crawl_page,
    start_crawl,
)
from modelcensus.store.store import ImportResult, SkipReport, SnapshotMeta, Store
from modelcensus.untrusted import MAX_DEPTH, nesting_depth

SOURCE = "hub-api"
MAX_PAGE_SIZE = 1000  # the Hub's cap on one listing page

# Every listing field the store maps (see sources/records.py and store/staging.py). ``siblings`` is left
# out on purpose: file lists multiply a page's size and only audits need them (they ask per model).
EXPAND_FIELDS: tuple[str, ...] = (
    "author", "createdAt", "lastModified", "downloads", "downloadsAllTime", "likes", "trendingScore",
    "pipeline_tag", "library_name", "tags", "cardData", "baseModels", "safetensors", "gguf", "config",
    "gated", "private", "disabled", "sha",
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,95}$")


@dataclass(frozen=True)
class CrawlParams:
    """What identifies a crawl: a restart with equal parameters resumes it."""

    endpoint: str
    author: str | None
    search: str | None
    since: str | None  # ISO timestamp, UTC
    limit: int | None
    page_size: int

    @property
    def sort(self) -> tuple[str, str]:
        # A full census walks oldest first, so models created during the crawl land on later pages;
        # a --since refresh walks newest modification first and stops at the first older model.
        return ("lastModified", "-1") if self.since else ("createdAt", "1")

    @property
    def scope(self) -> str:
        if self.since:
            return "delta"
        if self.author or self.search:
            return "filtered"
        return "full" if self.limit is None else "limited"

    def key(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "author": self.author, "search": self.search, "since": self.since,
                "limit": self.limit, "page_size": self.page_size, "sort": list(self.sort),
                "expand": list(EXPAND_FIELDS)}

    def _query(self, *, with_expand: bool) -> list[tuple[str, str]]:
        q: list[tuple[str, str]] = []
        if self.author:
            q.append(("author", self.author))
        if self.search:
            q.append(("search", self.search))
        sort, direction = self.sort
        q += [("sort", sort), ("direction", direction)]
        q.append(("limit", str(min(self.page_size, self.limit or self.page_size))))
        if with_expand:
            q += [("expand", f) for f in EXPAND_FIELDS]
        return q

    def first_url(self) -> str:
        return f"{self.endpoint}/api/models?{urlencode(self._query(with_expand=True))}"

    def source_ref(self) -> str:
        ref = f"{self.endpoint}/api/models?{urlencode(self._query(with_expand=False))}"
        if self.since:
            ref += f" (until lastModified < {self.since})"
        if self.limit is not None:
            ref += f" (first {self.limit})"
        return ref


# -- inputs --------------------------------------------------------------------------------------------
def current_endpoint(endpoint: str | None = None) -> str:
    """``endpoint``, else ``$HF_ENDPOINT`` read now (the client reads it once, at import), else the Hub."""
    value = endpoint or os.environ.get("HF_ENDPOINT") or hf_constants.ENDPOINT
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InputError(f"Hub endpoint {value!r}: expected an http(s) URL such as https://huggingface.co")
    return value.strip().rstrip("/")


def parse_since(value: str | date | datetime | None) -> datetime | None:
    """``--since``: a date (``2025-06-01``) or an ISO timestamp; naive means UTC; not in the future."""
    return parse_when(value, "--since", future_slack=timedelta(0))


def _check_name(value: str | None, option: str, pattern: re.Pattern[str] | None = None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text:
        raise InputError(f"{option}: must not be empty")
    if pattern is not None and not pattern.match(text):
        raise InputError(f"{option} {value!r}: not a Hub user or organisation name")
    if len(text) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputError(f"{option} {value[:40]!r}: longer than 200 characters or holds control characters")
    return text


def crawl_params(*, limit: int | None = None, author: str | None = None, search: str | None = None,
                 since: str | date | datetime | None = None, endpoint: str | None = None,
                 page_size: int = MAX_PAGE_SIZE) -> CrawlParams:
    """Validate the crawl options (InputError naming the bad one)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InputError(f"--limit {limit!r}: expected a positive whole number")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(f"page size {page_size!r}: expected 1 to {MAX_PAGE_SIZE}")
    ts = parse_since(since)
    return CrawlParams(
        endpoint=current_endpoint(endpoint),
        author=_check_name(author, "--author", _NAME),
        search=_check_name(search, "--search"),
        since=ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None,
        limit=limit,
        page_size=page_size,
    )


# -- fetching one page ---------------------------------------------------------------------------------
# -- crawl state in the store --------------------------------------------------------------------------
@dataclass
class _Crawl:
    snapshot_id: int
    next_url: str | None
    pages: int
    listed: int
    requests: int
    skipped: SkipReport
    resumed_from_page: int | None
    resumes: int = 0


def _open_crawl(store: Store, params: CrawlParams) -> _Crawl:
    """Resume the unfinished crawl with these parameters, or start a new partial snapshot."""
    key = params.key()
    cursor = crawl_resume_state(store, key)
    if cursor is not None:
        snap = store.snapshot(cursor.snapshot_id)
        crawl = snap.notes.get("crawl", {})
        skipped = SkipReport()
        s = snap.notes.get("skipped") or {}
        skipped.count = int(s.get("count", 0))
        skipped.reasons = dict(s.get("reasons", {}))
        skipped.examples = list(s.get("examples", []))
        return _Crawl(cursor.snapshot_id, cursor.next_url, cursor.pages_done, int(crawl.get("listed", 0)),
                      int(crawl.get("requests", 0)), skipped, cursor.pages_done, int(crawl.get("resumes", 0)) + 1)
    fresh = _Crawl(0, params.first_url(), 0, 0, 0, SkipReport(), None)
    meta = SnapshotMeta(source=SOURCE, observed_at=datetime.now(UTC), source_ref=params.source_ref(),
                        complete=False, notes={"crawl": _crawl_notes(params, fresh, finished=False)})
    fresh.snapshot_id = start_crawl(store, meta, key, params.first_url())
    return fresh


def _crawl_notes(params: CrawlParams, crawl: _Crawl, *, finished: bool, ended: str | None = None) -> dict[str, Any]:
    notes: dict[str, Any] = {"scope": params.scope, "finished": finished, "pages": crawl.pages,
                             "listed": crawl.listed, "requests": crawl.requests, "resumes": crawl.resumes,
                             "author": params.author, "search": params.search, "since": params.since,
                             "limit": params.limit, "endpoint": params.endpoint}
    if ended:
        notes["ended"] = ended
    if params.scope == "delta":
        notes["note"] = (f"incremental refresh: only models modified since {params.since} "
                         "(newest first); not a census of the Hub")
    elif params.scope != "full":
        notes["note"] = f"{params.scope} crawl: a subset of the Hub, not a census"
    return notes


def _save_progress(store: Store, crawl: _Crawl, params: CrawlParams) -> None:
    notes = store.snapshot(crawl.snapshot_id).notes
    notes["crawl"] = _crawl_notes(params, crawl, finished=False)
    notes["skipped"] = crawl.skipped.as_dict()
    save_crawl_page(store, crawl.snapshot_id, next_url=crawl.next_url, pages_done=crawl.pages,
                    skipped_count=crawl.skipped.count, notes=notes)


def _finish(store: Store, crawl: _Crawl, params: CrawlParams, ended: str) -> None:
    sid = crawl.snapshot_id
    # a model listed on two pages (its sort key moved during the crawl) is stored once; so are its
    # Hub declarations
    dedupe_hub_declarations(store, sid)
    complete = params.scope == "full" or (params.scope == "limited" and ended == "listing ended")
    notes = _crawl_notes(params, crawl, finished=True, ended=ended)
    if complete:
        notes["scope"] = "full"
        notes.pop("note", None)
    store.finish_snapshot(sid, crawl.skipped, complete=complete, extra_notes={"crawl": notes})
    # what the snapshot covers (docs/census.md): the crawl's own filter defines a partial or delta snapshot
    crawl_filter = {k: v for k, v in (("author", params.author), ("search", params.search),
                                      ("limit", params.limit), ("since", params.since)) if v is not None}
    store.set_scope(sid, "full" if complete else "delta" if params.since else "partial",
                    None if complete else crawl_filter)
    end_crawl(store, sid)


# -- progress ------------------------------------------------------------------------------------------
class _RateColumn(ProgressColumn):
    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} models/s" if speed else "- models/s", style="progress.data.speed")


class _Progress:
    """Models, pages, rate and ETA on stderr; silent when not a terminal or when disabled."""

    def __init__(self, enabled: bool, total: int | None, done: int, pages: int, label: str,
                 console: Console | None = None) -> None:
        console = console or Console(stderr=True)
        self.bar: Progress | None = None
        if enabled and console.is_terminal:
            self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                TextColumn("{task.completed:,} models"), TextColumn("{task.fields[pages]} pages"),
                                _RateColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                console=console, transient=False)
            self.task = self.bar.add_task(label, total=total, completed=done, pages=pages)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, done: int, pages: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, pages=pages)


# -- the crawl -----------------------------------------------------------------------------------------
def _cut_since(items: list[Any], since: datetime) -> tuple[list[Any], bool]:
    """Items modified at or after ``since`` (the page is newest first); True when an older one was seen."""
    for i, item in enumerate(items):
        lm = item.get("lastModified") if isinstance(item, Mapping) else None
        if not isinstance(lm, str):
            continue  # cannot tell: keep it, the next dated item decides
        try:
            ts = datetime.fromisoformat(lm.replace("Z", "+00:00"))
        except ValueError:
            continue
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        if ts < since:
            return items[:i], True
    return items, False


def _cursor(url: str) -> str:
    """What identifies a listing position: the ``cursor`` parameter, else the whole URL."""
    values = parse_qs(urlsplit(url).query).get("cursor")
    return f"cursor={values[0]}" if values else url


def _page_fingerprint(items: list[Any]) -> str | None:
    """The ids of a page, hashed (pages are read once each, so a repeat means the listing loops)."""
    ids = [i.get("id") if isinstance(i, Mapping) else None for i in items]
    if not any(isinstance(x, str) for x in ids):
        return None
    return "page:" + hashlib.sha256(json.dumps(ids, default=str).encode()).hexdigest()


def _staging_row(item: Any, position: int) -> dict[str, Any]:
    """A staging row; an item nested deeper than the store reads is skipped with that reason."""
    if nesting_depth(item, MAX_DEPTH) > MAX_DEPTH:
        mid = item.get("id") if isinstance(item, Mapping) and isinstance(item.get("id"), str) else None
        return {**to_staging_row({"id": mid} if mid else {}, position),
                "_problem": f"nested deeper than {MAX_DEPTH} levels"}
    return to_staging_row(item, position)


def pull_hub(store: Store, *, limit: int | None = None, author: str | None = None, search: str | None = None,
             since: str | date | datetime | None = None, endpoint: str | None = None, token: str | None = None,
             progress: bool = True, page_size: int = MAX_PAGE_SIZE, retry: RetryPolicy | None = None) -> ImportResult:
    """Crawl the Hub's model listing into a ``hub-api`` snapshot, resumably (see the module docstring).

    The snapshot is ``complete`` only when it is a census: the whole listing, unfiltered, was read.
    Filtered, limited and ``since`` crawls end as partial snapshots whose notes say what they cover
    (``notes.crawl.scope``: ``filtered`` | ``limited`` | ``delta``; ``notes.crawl.finished``).
    """
    params = crawl_params(limit=limit, author=author, search=search, since=since, endpoint=endpoint,
                          page_size=page_size)
    since_ts = parse_since(params.since)
    headers = build_hf_headers(token=token, library_name="modelcensus", library_version=__version__)
    fetcher = PageFetcher(headers=headers, endpoint=params.endpoint, policy=retry or RetryPolicy.from_env())
    crawl = _open_crawl(store, params)
    label = "resuming crawl" if crawl.resumed_from_page is not None else "crawling the Hub"
    seen: dict[str, int] = {}  # cursor -> page that was fetched with it
    with _Progress(progress, params.limit, crawl.listed, crawl.pages, label) as bar:
        while crawl.next_url is not None:
            seen[_cursor(crawl.next_url)] = crawl.pages
            before = fetcher.requests
            try:
                items, next_url = fetcher.fetch(crawl.next_url)
            finally:
                crawl.requests += fetcher.requests - before
            if next_url is not None and _cursor(next_url) in seen:
                # a listing that points back at a page already read would loop forever
                raise HubCrawlError(f"the Hub's next-page link repeats cursor {_cursor(next_url)[:80]!r} (already "
                                    f"read as page {seen[_cursor(next_url)] + 1}): the listing loops; stopped, "
                                    "the snapshot is not complete")
            fingerprint = _page_fingerprint(items)
            if fingerprint is not None and fingerprint in seen:
                # the same models again under a new cursor spelling: the listing makes no progress
                raise HubCrawlError(f"the Hub served the models of page {seen[fingerprint] + 1} again as page "
                                    f"{crawl.pages + 1}: the listing loops; stopped, the snapshot is not complete")
            if fingerprint is not None:
                seen[fingerprint] = crawl.pages
            ended = None if next_url is not None else "listing ended"
            if since_ts is not None:
                items, older = _cut_since(items, since_ts)
                if older:
                    ended = f"reached models modified before {params.since}"
            if params.limit is not None and crawl.listed + len(items) >= params.limit:
                cut = crawl.listed + len(items) > params.limit
                items = items[: params.limit - crawl.listed]
                if cut or ended is None:
                    ended = f"limit of {params.limit} models reached"
            rows = [_staging_row(item, crawl.listed + i) for i, item in enumerate(items)]
            with store.transaction():
                if rows:
                    store.stage_arrow(crawl.snapshot_id, to_staging_table(rows), crawl.skipped)
                crawl.listed += len(items)
                crawl.pages += 1
                crawl.next_url = None if ended else next_url
                if ended:
                    _finish(store, crawl, params, ended)
                else:
                    _save_progress(store, crawl, params)
            bar.update(crawl.listed, crawl.pages)
    return ImportResult(store.snapshot(crawl.snapshot_id), False, crawl.skipped)
