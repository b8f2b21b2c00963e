"""The web dashboard and JSON API: FastAPI over a read-only census.

Pages and API are one process (``modelcensus serve``). Every handler is a thin call into the
library through :class:`~modelcensus.server.census.Census`; the JSON forms are the CLI's
(design.md). Errors are JSON ``{"error": {"code", "message"}}`` on ``/api`` and a plain page
elsewhere, never a stack trace. Untrusted input is bounded: query parameters are validated,
request bodies capped, inventories and policies size-limited and never stored.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelcensus import __version__, api
from modelcensus.errors import InputError, ModelcensusError, NotFoundError
from modelcensus.metrics import GROUP_KEYS, METRIC_NAMES, SPECS
from modelcensus.metrics.queries import StoreReadError
from modelcensus.outputs.formatting import public_snapshot, scrub_tree
from modelcensus.outputs.web.page import Links, Page, Section, render, static_files
from modelcensus.outputs.web.tables import Table
from modelcensus.server import pages, policy_check
from modelcensus.server.census import Census, NotBuiltError
from modelcensus.store.resources import DATABASE_ERROR, out_of_memory_message

log = logging.getLogger("modelcensus.server")
MAX_BODY = 1_048_576   # bytes of any request body (inventories and policies are far smaller)
MAX_SEARCH = 100
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff",
                    "referrer-policy": "no-referrer", "x-frame-options": "DENY",
                    "cross-origin-opener-policy": "same-origin"}


class BoundedBody:
    """ASGI middleware: refuse bodies over ``MAX_BODY`` (by Content-Length, and by counting a chunked body)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(scope, send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return msg

        try:
            await self.app(scope, counted, send)
        except _BodyTooLarge:
            await _too_large(scope, send, self.limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    resp = JSONResponse({"error": {"code": "body_too_large", "message": f"request body over {limit} bytes"}},
                        status_code=413, headers=SECURITY_HEADERS)
    await resp(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _status(exc: Exception) -> tuple[int, str]:
    if out_of_memory_message(exc) is not None:  # the server's cap (or its spill disk), not the request: retry later
        return 503, "out_of_memory"
    if isinstance(exc, NotBuiltError):
        return 409, "lineage_not_built"
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, InputError):
        return 400, "bad_request"
    return 500, "internal_error"


def create_app(census: Census) -> FastAPI:
    """The FastAPI application serving ``census`` (pages, JSON API, OpenAPI at ``/openapi.json``).

    Assembled from one router per area, so each area's routes and the rules they share are read in one place;
    the routers are included in the order the routes were always matched (static, pages, policy check, API).
    """
    app = FastAPI(title="modelcensus", version=__version__, docs_url=None, redoc_url=None,
                  description="The census of open-weight AI models: origins, lineage, metrics and audits. "
                              "Read-only; JSON forms as in the modelcensus CLI.")
    _add_security_headers(app)
    _add_error_handlers(app, census)
    app.include_router(_static_routes())
    app.include_router(_page_routes(census))
    app.include_router(_policy_routes(census))
    app.include_router(_api_routes(census))
    return app


def _add_security_headers(app: FastAPI) -> None:
    """Every answer carries ``SECURITY_HEADERS`` (CSP, nosniff, ...) unless the handler set its own value."""

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response


def _add_error_handlers(app: FastAPI, census: Census) -> None:
    """Errors answer as JSON ``{"error": {"code", "message"}}`` under ``/api`` and as an error page elsewhere,
    never with a stack trace: an unexpected error is logged and answered with a fixed message."""

    # known errors are answered by the exception middleware; a handler on Exception alone runs in
    # Starlette's server-error middleware, which re-raises after answering, so uvicorn then dropped the
    # keep-alive connection on every 404 (measured: resets under load)
    @app.exception_handler(ModelcensusError)
    async def known_errors(request: Request, exc: Exception) -> Response:
        status, code = _status(exc)
        if status == 503:
            return _out_of_memory(request, exc)
        return _error(request, status, code, str(exc)[:1000])

    @app.exception_handler(Exception)
    async def errors(request: Request, exc: Exception) -> Response:
        status, code = _status(exc)
        if status == 503:
            return _out_of_memory(request, exc)
        message = str(exc) if status < 500 else "internal error (details in the server log)"
        if status >= 500:
            log.exception("internal error on %s", request.url.path)
        return _error(request, status, code, message[:1000])

    # our own failed reads and DuckDB's errors are answered there too (as above: not re-raised, no reset), above
    # all running out of memory, which a shared connection under concurrent requests meets first (review33 R33-2)
    app.add_exception_handler(StoreReadError, errors)
    app.add_exception_handler(DATABASE_ERROR, errors)

    def _out_of_memory(request: Request, exc: Exception) -> Response:
        """The operator can raise the cap; the client cannot: one log line with the hint, a neutral answer."""
        log.warning("out of memory on %s: %s (restart `serve` with it)", request.url.path, out_of_memory_message(exc))
        return _error(request, 503, "out_of_memory",
                      "the server ran out of memory or disk for this request (details in the server log)")

    @app.exception_handler(StarletteHTTPException)
    async def http_errors(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, "http_error", str(exc.detail)[:300])

    def _error(request: Request, status: int, code: str, message: str) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/api":
            return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                                headers=SECURITY_HEADERS)
        page = Page("error", f"Error {status}", request.url.path, status=status,
                    registry_version=census.registry.version, version=__version__)
        page.sections.append(Section("error", code.replace("_", " "), message))
        return HTMLResponse(render(page, Links(live=True)), status_code=status, headers=SECURITY_HEADERS)


def _static_routes() -> APIRouter:
    """The CSS and JavaScript the pages link to, served from the package by name only (no path from the URL)."""
    router = APIRouter()
    assets = static_files()

    @router.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in assets:
            raise NotFoundError(f"static file {name[:60]!r}: no such file")
        kind = {"css": "text/css", "js": "text/javascript"}[name.rsplit(".", 1)[-1]]
        return Response(assets[name], media_type=kind, headers={"cache-control": "public, max-age=3600"})

    @router.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    return router


def _html(page: Page, request: Request, links: Links) -> Response:
    """A page as HTML, or one of its tables when the query asks for ``download=KEY`` (``format=csv|json``)."""
    download = request.query_params.get("download")
    if download:
        return _download(page, download, request.query_params.get("format", "csv"))
    return HTMLResponse(render(page, links), status_code=page.status)


def _page_routes(census: Census) -> APIRouter:
    """The dashboard's pages: each parses its pickers (snapshot, as-of, filters) from the query and renders
    one :mod:`modelcensus.server.pages` page; none is in the OpenAPI document."""
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request) -> Response:
        links = Links(live=True)
        return _html(pages.overview(census, pages.Pickers.parse(dict(request.query_params)), links), request, links)

    @router.get("/orgs", response_class=HTMLResponse, include_in_schema=False)
    def orgs(request: Request) -> Response:
        links = Links(live=True)
        return _html(pages.org_list(census, pages.Pickers.parse(dict(request.query_params)), links), request, links)

    @router.get("/families", response_class=HTMLResponse, include_in_schema=False)
    def families(request: Request) -> Response:
        links = Links(live=True)
        p = pages.Pickers.parse(dict(request.query_params))
        return _html(pages.org_list(census, p, links, subject="family"), request, links)

    @router.get("/org/{key}", response_class=HTMLResponse, include_in_schema=False)
    def org(key: str, request: Request) -> Response:
        links = Links(live=True)
        return _html(pages.org_page(census, key, pages.Pickers.parse(dict(request.query_params)), links),
                     request, links)

    @router.get("/family/{key}", response_class=HTMLResponse, include_in_schema=False)
    def family(key: str, request: Request) -> Response:
        links = Links(live=True)
        p = pages.Pickers.parse(dict(request.query_params))
        return _html(pages.org_page(census, key, p, links, subject="family"), request, links)

    @router.get("/model/{model_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def model(model_id: str, request: Request) -> Response:
        links = Links(live=True)
        return _html(pages.model_page(census, model_id, dict(request.query_params), links), request, links)

    @router.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search(request: Request, q: str = "") -> Response:
        links = Links(live=True)
        return _html(pages.search_page(census, q[:200], links), request, links)

    return router


def _policy_routes(census: Census) -> APIRouter:
    """The policy check: a form, its verdict table and the inventory's ML-BOM. The posted inventory and policy
    are read by :func:`policy_check.read_form` (size-limited) and never stored."""
    router = APIRouter()

    @router.get("/policy", response_class=HTMLResponse, include_in_schema=False)
    def policy_form(request: Request) -> Response:
        return HTMLResponse(render(policy_check.form_page(census), Links(live=True)))

    @router.post("/policy", response_class=HTMLResponse, include_in_schema=False)
    async def policy_run(request: Request) -> Response:
        form = await policy_check.read_form(request)
        page = policy_check.run(census, form)
        return _html(page, request, Links(live=True))

    @router.post("/policy/bom", include_in_schema=False)
    async def policy_bom(request: Request) -> Response:
        form = await policy_check.read_form(request)
        text = policy_check.bom(census, form)
        return Response(text, media_type="application/vnd.cyclonedx+json",
                        headers={"content-disposition": 'attachment; filename="inventory.cdx.json"'})

    return router


def _api_routes(census: Census) -> APIRouter:
    """The JSON API under ``/api`` (the CLI's JSON forms), in the OpenAPI document. Every parameter is checked
    before use: names against the known lists, numbers against their ranges, ids and text cut to a bound."""
    router = APIRouter()

    @router.get("/api/snapshots", summary="Snapshots in the store, oldest first (as `modelcensus snapshots`)")
    def api_snapshots() -> Any:
        return [public_snapshot(s) for s in census.snapshots]

    @router.get("/api/metrics/{name}", summary="One metric (as `modelcensus metrics NAME --format json`)")
    def api_metric(name: str, request: Request, by: str | None = None, field: str | None = None) -> Any:
        if name not in METRIC_NAMES:
            raise InputError(f"metric {name[:60]!r}: expected one of {', '.join(METRIC_NAMES)}")
        if by is not None and by not in GROUP_KEYS:
            raise InputError(f"by {by[:60]!r}: expected one of {', '.join(GROUP_KEYS)}")
        p = pages.Pickers.parse(dict(request.query_params))
        kw = p.metric_kwargs(census, series=bool(SPECS[name].series))
        if field:
            kw["field"] = field[:40]
        return scrub_tree(census.metric(name, by=by, **kw).to_json())  # source_ref names files, never folders

    # look-ups and searches answer from the in-memory index without blocking: run them on the event loop
    @router.get("/api/models/{model_id:path}", summary="A model's row in a snapshot (the latest by default)")
    async def api_model(model_id: str, snapshot: str | None = None) -> Any:
        if snapshot:  # another snapshot's index may have to be built first: not on the event loop
            return await run_in_threadpool(_model_doc, census, model_id, snapshot)
        return _model_doc(census, model_id, None)

    @router.get("/api/origin/{model_id:path}",
                summary="A model's origin (as `modelcensus origin MODEL --format json`)")
    def api_origin(model_id: str, snapshot: str | None = None) -> Any:
        snap = census.snapshot(pages.Pickers.parse({"snapshot": snapshot}).snapshot)
        census.require_built(snap)
        return census.call(api.origin, model_id[:300], snapshot=snap.id)

    @router.get("/api/lineage/{model_id:path}", summary="Origin plus ancestors and descendants (paged)")
    def api_lineage(model_id: str, snapshot: str | None = None, limit: int = 200, offset: int = 0) -> Any:
        if not (0 <= limit <= 10_000) or not (0 <= offset <= pages.MAX_OFFSET):
            raise InputError("limit: 0..10000 and offset: 0..1000000")
        snap = census.snapshot(pages.Pickers.parse({"snapshot": snapshot}).snapshot)
        census.require_built(snap)
        doc = census.call(api.lineage, model_id[:300], snapshot=snap.id, shown=offset + limit)
        desc = doc.get("descendants") or {}
        desc["shown"] = (desc.get("shown") or [])[offset:]
        desc["offset"], desc["limit"] = offset, limit
        desc["truncated"] = offset + len(desc["shown"]) < int(desc.get("total") or 0)
        return doc

    @router.get("/api/audit/{model_id:path}", summary="The store-based audit of a model under a shipped policy")
    def api_audit(model_id: str, snapshot: str | None = None, policy: str = "default") -> Any:
        snap = census.snapshot(pages.Pickers.parse({"snapshot": snapshot}).snapshot)
        census.require_built(snap)
        pol = policy_check.shipped(policy)
        report = api.audit([model_id[:300]], store=census.reader(), snapshot=snap.id, registry=census.registry,
                           policy=pol)
        return json.loads(policy_check.render_json(report))

    @router.get("/api/bom/{model_id:path}", summary="A model's CycloneDX 1.6 ML-BOM")
    def api_bom(model_id: str, snapshot: str | None = None) -> Response:
        snap = census.snapshot(pages.Pickers.parse({"snapshot": snapshot}).snapshot)
        census.require_built(snap)
        report = api.audit([model_id[:300]], store=census.reader(), snapshot=snap.id, registry=census.registry)
        if report.errors:
            raise NotFoundError(report.errors[0].message)
        return Response(policy_check.render_bom(report), media_type="application/vnd.cyclonedx+json")

    @router.get("/api/search", summary="Models and organisations matching q (prefix first, by downloads)")
    async def api_search(q: str = "", limit: int = 20) -> Any:
        if not (1 <= limit <= MAX_SEARCH):
            raise InputError(f"limit: expected 1..{MAX_SEARCH}")
        return {"query": q[:200], "snapshot": census.latest.id,
                "results": [h.__dict__ for h in census.search(q[:200], limit)]}

    return router


def _model_doc(census: Census, model_id: str, snapshot: str | None) -> dict[str, Any]:
    """``/api/models``' answer: the model's row in the snapshot's index, with its rank by 30-day downloads."""
    snap = census.snapshot(pages.Pickers.parse({"snapshot": snapshot}).snapshot)
    ix = census.index(snap.id)
    row = ix.row(model_id[:300])
    if row is None:
        raise NotFoundError(f"model {model_id[:120]!r}: not in snapshot {snap.id}")
    return {"model": row, "rank_downloads_30d": ix.rank(model_id), "snapshot": public_snapshot(snap),
            "synthetic": snap.synthetic}


def _download(page: Page, key: str, fmt: str) -> Response:
    table: Table | None = page.tables().get(key)
    if table is None:
        raise NotFoundError(f"table {key[:60]!r}: not on this page (tables: {', '.join(page.tables()) or 'none'})")
    if fmt == "csv":
        return PlainTextResponse(table.to_csv(), media_type="text/csv; charset=utf-8",
                                 headers={"content-disposition": f'attachment; filename="{key}.csv"'})
    if fmt == "json":
        return Response(table.to_json(), media_type="application/json")
    raise InputError(f"format {fmt[:20]!r}: expected csv or json")


def build_app(db: str, *, registry_files: list[str] | None = None) -> FastAPI:
    """Open the store read-only and return the app wrapped in the body-size bound."""
    census = Census(db, registry_files=registry_files)
    app = create_app(census)
    app.state.census = census
    return app


def wrap(app: FastAPI) -> ASGIApp:
    """The ASGI callable uvicorn serves: the app behind the request-body bound."""
    return BoundedBody(app)
