"""One page of a Hub listing, fetched with retries, bounded in size and time, never followed off the endpoint.

``hub_api`` crawls the model listing and ``hubstats_*`` fetch dataset revisions; both go through the
``huggingface_hub`` client's session (``get_session()``: the shared client, its offline-mode guard and
request ids), error messages (``hf_raise_for_status``) and ``RateLimit`` parser (``parse_ratelimit_headers``).
Retries are done here, not with ``http_backoff``: that retries transport errors and 5xx but not a page
whose body is truncated or not JSON (it parses after returning), ignores ``Retry-After`` given as an HTTP
date, has no jitter, and its budget cannot tell a rate limit (normal on a 3,000-page crawl) from a failure.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx2
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from huggingface_hub.utils import get_session, hf_raise_for_status, parse_ratelimit_headers

from modelcensus.errors import InputError
from modelcensus.untrusted import Deadline

MAX_PAGE_BYTES = 256 * 1024 * 1024  # a page larger than this is refused, not buffered
MAX_URL_LEN = 16_384
_RETRY_STATUS = (408, 500, 502, 503, 504)
_REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


class HubCrawlError(InputError):
    """The Hub could not be read (after retries, or it refused). The partial snapshot stays resumable."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one page is tried. Defaults suit the real Hub; tests shrink the waits."""

    timeout: float = 60.0  # seconds, per request (connect and each read)
    page_deadline: float = 300.0  # seconds for a whole page (headers and body): a trickling server is cut off
    max_attempts: int = 6  # failures (5xx, timeout, connection, bad body) tolerated per page, in a row
    backoff_base: float = 1.0  # first back-off in seconds; doubles per attempt, with jitter
    backoff_cap: float = 60.0
    max_rate_limited: int = 30  # 429 answers tolerated per page, in a row
    max_retry_after: float = 900.0  # a Retry-After longer than this stops the crawl (resumable)

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """Defaults, overridden by ``MODELCENSUS_HUB_TIMEOUT``, ``_PAGE_DEADLINE``, ``_MAX_ATTEMPTS`` and
        ``_BACKOFF`` (seconds)."""
        kw: dict[str, Any] = {}
        for env, name, kind in (("MODELCENSUS_HUB_TIMEOUT", "timeout", float),
                                ("MODELCENSUS_HUB_PAGE_DEADLINE", "page_deadline", float),
                                ("MODELCENSUS_HUB_MAX_ATTEMPTS", "max_attempts", int),
                                ("MODELCENSUS_HUB_BACKOFF", "backoff_base", float)):
            raw = os.environ.get(env)
            if raw is None or raw.strip() == "":
                continue
            try:
                value = kind(raw)
            except ValueError:
                raise InputError(f"${env} {raw!r}: expected a number") from None
            if not value > 0 or value != value or value == float("inf"):
                raise InputError(f"${env} {raw!r}: expected a positive number")
            kw[name] = value
        return cls(**kw)


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds a 429 asks us to wait: ``Retry-After`` (seconds or HTTP date), else the ``RateLimit`` reset."""
    value = None
    for k, v in headers.items():
        if k.lower() == "retry-after":
            value = v.strip()
            break
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    info = parse_ratelimit_headers(headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    return None


@dataclass
class PageFetcher:
    """GET one listing page through the client's session, with retries; returns (items, next URL)."""

    headers: dict[str, str]
    endpoint: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def _pause(self, seconds: float) -> None:
        self.waited += seconds
        self.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (attempt - 1))
        return delay * self.rng.uniform(0.5, 1.0)  # "equal jitter": spread restarts, never below half

    def fetch(self, url: str) -> tuple[list[Any], str | None]:
        failures = 0
        limited = 0
        redirects = 0
        # a fresh connection per page, so the deadline's watchdog holds its socket (pages are large, so the
        # extra handshake is noise); redirects are followed here, only on the endpoint's own host
        headers = {**self.headers, "Connection": "close"}
        while True:
            self.requests += 1
            problem: str
            deadline = Deadline(self.policy.page_deadline)
            try:
                with deadline, get_session().stream("GET", url, headers=headers, timeout=self.policy.timeout,
                                                    follow_redirects=False, extensions=deadline.extensions) as r:
                    _watch_response(deadline, r)
                    if r.status_code in _REDIRECTS:
                        redirects += 1
                        url = self._redirect(url, r, redirects)
                        continue
                    if r.status_code == 429:
                        limited += 1
                        wait = retry_after_seconds(r.headers)
                        if wait is None:
                            wait = self._backoff(min(limited, 10))
                        if wait > self.policy.max_retry_after:
                            raise HubCrawlError(f"{_short(url)}: rate-limited for {wait:.0f} s (more than "
                                                f"{self.policy.max_retry_after:.0f} s); run again later to resume")
                        if limited > self.policy.max_rate_limited:
                            raise HubCrawlError(f"{_short(url)}: still rate-limited after {limited} waits; "
                                                "run again later to resume (set HF_TOKEN for a higher limit)")
                        self.retries += 1
                        # the asked time plus a little jitter, so parallel crawlers do not return together
                        self._pause(wait + self.rng.uniform(0.0, min(1.0, 0.1 + wait * 0.05)))
                        continue
                    if r.status_code in _RETRY_STATUS or r.status_code >= 500:
                        problem = f"HTTP {r.status_code}"
                    elif r.status_code >= 400:
                        r.read()
                        try:
                            hf_raise_for_status(r)
                        except HfHubHTTPError as exc:
                            raise HubCrawlError(f"the Hub refused the listing: {_first_line(exc)}") from None
                        raise HubCrawlError(f"{_short(url)}: HTTP {r.status_code}")
                    else:
                        body = self._read_capped(r, url)
                        items, problem = _parse_page(body)
                        if items is not None:
                            return items, self._next_url(r)
            except httpx2.TimeoutException as exc:
                problem = f"no answer within {self.policy.timeout:g} s ({type(exc).__name__})"
            except (httpx2.NetworkError, httpx2.RemoteProtocolError, httpx2.DecodingError) as exc:
                problem = f"connection failed or body cut short ({_first_line(exc)})"
                if deadline.expired:
                    problem = (f"page not downloaded within its {self.policy.page_deadline:g} s deadline "
                               "(server too slow)")
            except OfflineModeIsEnabled:
                raise HubCrawlError("HF_HUB_OFFLINE is set: the Hub cannot be crawled offline") from None
            except httpx2.HTTPError as exc:  # bad URL, proxy, protocol the client does not speak
                raise HubCrawlError(f"{_short(url)}: {type(exc).__name__}: {_first_line(exc)}") from None
            failures += 1
            limited = 0
            if failures >= self.policy.max_attempts:
                raise HubCrawlError(f"{_short(url)}: {problem}, {failures} attempts in a row; the partial "
                                    "snapshot is kept, run the same command again to resume")
            self.retries += 1
            self._pause(self._backoff(failures))

    @staticmethod
    def _read_capped(r: httpx2.Response, url: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in r.iter_bytes():
            size += len(chunk)
            if size > MAX_PAGE_BYTES:
                raise HubCrawlError(f"{_short(url)}: page larger than {MAX_PAGE_BYTES // 2**20} MiB, refused")
            chunks.append(chunk)
        return b"".join(chunks)

    def _next_url(self, r: httpx2.Response) -> str | None:
        link = r.links.get("next", {}).get("url")
        if not link:
            return None
        nxt = urljoin(str(r.url), link)
        if not self._same_host(nxt):
            # never send the token elsewhere, nor import another host's data, on a response header's word
            raise HubCrawlError(f"the Hub's next-page link points outside {self.endpoint}: {nxt[:120]!r}")
        return nxt

    def _same_host(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.endpoint)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc) and len(url) <= MAX_URL_LEN

    def _redirect(self, url: str, r: httpx2.Response, hops: int) -> str:
        target = urljoin(url, r.headers.get("location", ""))
        if not r.headers.get("location") or not self._same_host(target):
            raise HubCrawlError(f"{_short(url)}: the Hub redirected to another host ({target[:120]!r}); refused, "
                                f"nothing from it is imported (the endpoint is {self.endpoint})")
        if hops > MAX_REDIRECTS:
            raise HubCrawlError(f"{_short(url)}: more than {MAX_REDIRECTS} redirects in a row")
        return target


def _watch_response(deadline: Deadline, r: httpx2.Response) -> None:
    """A pooled connection never reported its socket to the deadline: take it from the response."""
    stream = r.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None and hasattr(stream, "get_extra_info") else None
    if sock is not None:
        deadline.watch(sock)


def _parse_page(body: bytes) -> tuple[list[Any] | None, str]:
    try:
        doc = json.loads(body)
    except RecursionError:  # not transient: the same page would come back; exit 2, not a crash
        raise HubCrawlError(f"a listing page is JSON nested too deeply to read ({len(body)} bytes); "
                            "the snapshot stays incomplete") from None
    except (ValueError, UnicodeDecodeError):
        return None, f"page is not valid JSON ({len(body)} bytes, truncated or malformed)"
    if not isinstance(doc, list):
        return None, f"page is a JSON {type(doc).__name__}, not a list of models"
    return doc, ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _short(url: str) -> str:
    """A URL for messages: without the long ``expand=`` list, capped in length."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if not p.startswith("expand="))
    text = f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")
    return text if len(text) < 160 else text[:157] + "..."
