"""Dashboard pages: fetch through the library, build with :mod:`modelcensus.outputs.web.views`.

Shared by the live server (``serve``) and the static site (``site``); both pass a
:class:`~modelcensus.outputs.web.page.Links` that knows how to address pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from modelcensus import __version__, api
from modelcensus.errors import InputError, NotFoundError
from modelcensus.metrics import profiles
from modelcensus.outputs.formatting import public_snapshot
from modelcensus.outputs.web import views
from modelcensus.outputs.web.page import Links, Page, Picker, Section
from modelcensus.outputs.web.tables import Table
from modelcensus.server.census import Census

PAGE_SIZE = 100          # descendants per page of a model's lineage
MAX_OFFSET = 1_000_000
_TOKEN = re.compile(r"^[A-Za-z0-9._+-]{1,100}$")
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
SCOPES = ("full", "partial", "delta")


@dataclass(frozen=True)
class Pickers:
    """The census a page shows: validated query parameters (types, lengths, enumerations)."""

    snapshot: str | None = None
    as_of: str | None = None
    population: str = "all"
    pipeline_tag: str | None = None
    library: str | None = None
    scope: str | None = None          # full | partial | delta: only snapshots of that scope

    @classmethod
    def parse(cls, q: dict[str, Any]) -> Pickers:
        def token(name: str) -> str | None:
            v = (q.get(name) or "").strip()
            if not v:
                return None
            if not _TOKEN.match(v):
                raise InputError(f"{name}: expected letters, digits and . _ + - (at most 100), got {v[:40]!r}")
            return v

        snap = (q.get("snapshot") or "").strip() or None
        if snap is not None and not (snap.isdigit() and len(snap) < 10) and not _DATE.match(snap):
            raise InputError(f"snapshot: expected a snapshot id or a date YYYY-MM-DD, got {snap[:40]!r}")
        as_of = (q.get("as_of") or "").strip() or None
        if as_of is not None and not _DATE.match(as_of):
            raise InputError(f"as_of: expected a date YYYY-MM-DD, got {as_of[:40]!r}")
        scope = (q.get("scope") or "").strip() or None
        if scope is not None and scope not in SCOPES:
            raise InputError(f"scope: expected one of {', '.join(SCOPES)}, got {scope[:20]!r}")
        return cls(snap, as_of, token("population") or "all", token("pipeline_tag"), token("library"), scope)

    def metric_kwargs(self, census: Census | None = None, *, series: bool = False) -> dict[str, Any]:
        """compute_metric's arguments; a scope picks the snapshots (the latest of it, or all for a series)."""
        kw: dict[str, Any] = {"population": self.population}
        if self.as_of:
            kw["as_of"] = self.as_of
        elif self.snapshot:
            kw["snapshot"] = int(self.snapshot) if self.snapshot.isdigit() else self.snapshot
        elif self.scope and census is not None:
            ids = [s.id for s in census.snapshots if s.scope == self.scope]
            if not ids:
                raise NotFoundError(f"scope {self.scope}: the store holds no {self.scope} snapshot")
            if series:
                kw["snapshots"] = ids
            else:
                kw["snapshot"] = ids[-1]
        if self.pipeline_tag:
            kw["pipeline_tags"] = [self.pipeline_tag]
        if self.library:
            kw["libraries"] = [self.library]
        return kw

    def params(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "as_of": self.as_of,
                "population": None if self.population == "all" else self.population,
                "pipeline_tag": self.pipeline_tag, "library": self.library, "scope": self.scope}


def _base(census: Census, name: str, title: str, path: str, params: dict[str, Any] | None = None,
          snap: Any = None) -> Page:
    snap = snap or census.latest
    return Page(name, title, path, params or {}, snapshot=public_snapshot(snap), synthetic=bool(snap.synthetic),
                registry_version=census.registry.version, version=__version__)


def _pickers(census: Census, p: Pickers) -> list[Picker]:
    snaps = [("", "latest")] + [(str(s.id), f"{s.id} · {s.as_dict()['observed_at'][:10]} · {s.source}")
                                for s in reversed(census.snapshots[-60:])]
    pops = [("all", "all models")] + [(n, n) for n in census.populations()]
    return [Picker("snapshot", "Snapshot", p.snapshot or "", snaps),
            Picker("as_of", "Census as of (date)", p.as_of, placeholder="YYYY-MM-DD"),
            Picker("population", "Population", p.population, pops),
            Picker("pipeline_tag", "Pipeline tag", p.pipeline_tag, placeholder="text-generation"),
            Picker("library", "Library", p.library, placeholder="transformers"),
            Picker("scope", "Snapshot scope", p.scope or "", [("", "any"), *[(s, s) for s in SCOPES]])]


def _country(census: Census) -> Any:
    def label(code: Any) -> str:
        return str(code) if code is None else census.country_name(str(code))
    return label


def overview(census: Census, p: Pickers, links: Links) -> Page:
    """Download and derivative shares by root and by publisher country, with coverage beside each chart."""
    page = _base(census, "overview", "Who builds the models the world downloads", "/", p.params())
    page.pickers = _pickers(census, p)
    kw = p.metric_kwargs(census)
    label = _country(census)
    for col, who in (("root_country", "lineage root"), ("publisher_country", "publisher")):
        res = census.metric("downloads", by=col, **kw)
        page.snapshot = public_snapshot(res.snapshots[-1]) if res.snapshots else page.snapshot
        page.synthetic = page.synthetic or res.synthetic
        chart = views.share_bars(f"downloads-{col}", f"30-day downloads by {who} country (share)", res, col, label)
        table = views.metric_table(f"downloads_{col}", f"30-day downloads by {who} country", res, col)
        page.sections.append(views.metric_section(
            f"downloads-{col}", f"Downloads by {who} country",
            f"Share of 30-day downloads credited to the country of each model's {who}"
            + (" (a merge of k roots gives each 1/k)." if col == "root_country" else "."), [res], [chart], [table]))
    if not (p.as_of or p.snapshot):  # a series over the store's snapshots; a fixed census has no time axis
        for col, who in (("root_country", "lineage root"), ("publisher_country", "publisher")):
            kw_series = p.metric_kwargs(census, series=True)
            res = census.metric("downloads_monthly", by=col, **kw_series)
            chart = views.share_lines(f"monthly-{col}", f"Monthly downloads by {who} country (share)", res, col,
                                      label)
            page.sections.append(views.metric_section(
                f"monthly-{col}", f"Downloads over time by {who} country",
                "A month's downloads are the growth of all-time download counts between consecutive snapshots; a "
                "change is drawn only between snapshots that cover the same slice of the Hub.", [res], [chart],
                [views.metric_table(f"monthly_{col}", "Monthly downloads", res, col, limit=12)]))
    for col, who in (("root_country", "lineage root"), ("publisher_country", "publisher")):
        res = census.metric("derivative_share", by=col, **kw)
        chart = views.share_lines(f"derivatives-{col}", f"New derivatives by {who} country, by month (share)",
                                  res, col, label)
        page.sections.append(views.metric_section(
            f"derivatives-{col}", f"New derivatives by {who} country",
            "Fine-tunes, adapters, quantizations, merges and other derivatives created each month, credited to the "
            f"country of their {who}.", [res], [chart], []))
    page.warnings = _dedupe([w for s in page.sections for w in s.warnings])
    return page


def org_list(census: Census, p: Pickers, links: Links, subject: str = "org") -> Page:
    title = "Organisations" if subject == "org" else "Families"
    page = _base(census, "orgs" if subject == "org" else "families", title,
                 "/orgs" if subject == "org" else "/families", p.params())
    page.pickers = _pickers(census, p)
    res = census.metric("downloads", by=subject, **p.metric_kwargs(census))
    what = "root organisation" if subject == "org" else "family"
    table = views.metric_table(subject + "s", f"30-day downloads by {what}", res, subject, fmt=subject, limit=200)
    page.sections.append(views.metric_section(subject + "s", title, "Credited by lineage root.", [res], [], [table]))
    page.warnings = page.sections[0].warnings
    return page


def org_page(census: Census, key: str, p: Pickers, links: Links, subject: str = "org") -> Page:
    """One organisation or family: share over time, top models, derivatives by relation, licence mix."""
    name = census.org_name(key) if subject == "org" else key
    if name is None:
        raise NotFoundError(f"{subject} {key[:80]!r}: not in the registry")
    path = ("/org/" if subject == "org" else "/family/") + key
    page = _base(census, subject, name, path, p.params())
    snap = census.snapshot(p.snapshot)
    census.require_built(snap)
    if subject == "org":
        org = census.registry_org(key)
        page.sections.append(Section("about", "About", facts=org))
    series = census.metric("downloads", by=subject, **{**p.metric_kwargs(census), "snapshot": snap.id})
    share = next((r for r in series.rows if r.get(subject) == name or r.get(subject) == key), None)
    page.subtitle = (f"{views.pct_text(share.get('share'))} of 30-day downloads credited to its roots in snapshot "
                     f"{snap.id}" if share else "No downloads credited in this snapshot.")
    over_time = census.metric("downloads_cumulative", by=subject, population=p.population)
    rows = [r for r in over_time.rows if r.get(subject) in (name, key)]
    trend = views.share_lines(f"{subject}-share", f"Share of all-time downloads over time: {name}",
                              _Filtered(over_time, rows), subject, str, x_col="observed_at")
    page.sections.append(views.metric_section("share", "Share over time", "", [over_time], [trend], []))
    reader = census.reader()
    tops = profiles.top_derivatives(reader, snap.id, subject, name if subject == "org" else key)  # type: ignore[arg-type]
    rel = profiles.derivatives_by_relation(reader, snap.id, subject, name if subject == "org" else key)  # type: ignore[arg-type]
    lic = profiles.licence_mix(reader, snap.id, subject, name if subject == "org" else key)  # type: ignore[arg-type]
    page.sections.append(Section("top", "Top models rooted here", tables=[Table(
        "top_models", "Top models", ["model", "publisher", "depth", "weight", "downloads_30d"], tops,
        {"model": "model", "weight": "pct", "downloads_30d": "int"})]))
    page.sections.append(Section("relations", "Derivatives by relation", tables=[Table(
        "derivatives_by_relation", "Derivatives by relation", ["relation", "models", "credited"], rel,
        {"models": "int", "credited": "float"})]))
    page.sections.append(Section("licences", "Licence mix", tables=[Table(
        "licence_mix", "Licence mix", ["licence", "models", "downloads", "share"], lic,
        {"models": "int", "downloads": "int", "share": "pct"})]))
    page.warnings = _dedupe([w for s in page.sections for w in s.warnings])
    return page


class _Filtered:
    """A metric result restricted to some rows (for one group's line), keeping its provenance."""

    def __init__(self, res: Any, rows: list[dict[str, Any]]) -> None:
        self._res, self.rows, self.columns = res, rows, res.columns

    def to_json(self) -> dict[str, Any]:
        return self._res.to_json()


def model_page(census: Census, model_id: str, q: dict[str, Any], links: Links) -> Page:
    """Origin, lineage up and down (descendants paged), licence chain and drift, audit flags, BOM link."""
    snap_ref = (q.get("snapshot") or "").strip() or None
    if snap_ref is not None and not (snap_ref.isdigit() or _DATE.match(snap_ref)):
        raise InputError(f"snapshot: expected a snapshot id or a date, got {snap_ref[:40]!r}")
    try:
        offset = max(0, min(MAX_OFFSET, int(q.get("offset") or 0)))
    except ValueError:
        raise InputError("offset: expected a whole number") from None
    snap = census.snapshot(snap_ref)
    census.require_built(snap)
    doc = census.call(api.lineage, model_id, snapshot=snap.id, shown=offset + PAGE_SIZE)
    model = doc["model"]
    page = _base(census, "model", model, "/model/" + model, {"snapshot": snap_ref, "offset": offset or None}, snap)
    page.synthetic = page.synthetic or bool(doc.get("synthetic"))
    row = census.index(snap.id).row(model)
    facts = views.origin_facts(doc, links)
    if row:
        ix = census.index(snap.id)
        facts[:0] = [("30-day downloads", f"{row['downloads_30d'] or 0:,}"),
                     ("rank by 30-day downloads", f"{ix.rank(model):,} of {len(ix):,}"),
                     ("pipeline tag", row.get("pipeline_tag") or "–"),
                     ("licence", row.get("license") or "not declared")]
    origin = Section("origin", "Origin", facts=facts, tables=[views.roots_table(doc)])
    page.sections.append(origin)
    tree = views.ancestor_tree(model, doc.get("ancestors") or [], links)
    page.sections.append(Section("ancestors", "Lineage up", "Every parent edge, declared and inferred, with its "
                                 "evidence; edges marked 'not followed' (such as a distillation teacher) do not "
                                 "lead to the root.", tree=tree))
    desc = doc.get("descendants") or {}
    down = Section("descendants", "Lineage down", tables=[views.descendants_table(desc, offset)])
    total = int(desc.get("total") or 0)
    if total > PAGE_SIZE or offset:
        base = links.model(model) or ""
        down.pager = {"text": f"Showing {offset + 1:,}–{min(total, offset + PAGE_SIZE):,} of {total:,}.",
                      "prev": f"{base}?offset={max(0, offset - PAGE_SIZE)}" if offset and links.live else None,
                      "next": f"{base}?offset={offset + PAGE_SIZE}" if offset + PAGE_SIZE < total and links.live
                      else None}
        if not links.live and total > PAGE_SIZE:
            down.pager["text"] += " The static site lists the first page; the live server pages through all of them."
    page.sections.append(down)
    dossier = census.audit_dossier(model, snap.id)
    page.sections.append(views.licence_section(dossier))
    page.sections.append(views.audit_section(dossier, links.bom(model)))
    return page


def search_page(census: Census, query: str, links: Links) -> Page:
    page = _base(census, "search", "Search", "/search", {"q": query})
    page.query = query
    hits = census.search(query, 50)
    rows = [{"match": h.kind + " · " + h.match, "model": h.id if h.kind == "model" else None,
             "organisation": h.id if h.kind == "org" else None, "downloads_30d": h.downloads} for h in hits]
    table = Table("results", "Results", ["model", "organisation", "downloads_30d", "match"], rows,
                  {"model": "model", "organisation": "org", "downloads_30d": "int"})
    title = f"Results for {query!r}" if query else "Type a model or organisation name"
    page.sections.append(Section("results", title, tables=[table]))
    return page


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
