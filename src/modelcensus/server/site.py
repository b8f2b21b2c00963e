"""``modelcensus site``: the dashboard written as static files for any static host.

The same page builders and templates as the live server, with relative links. A static site
cannot search or page through millions of models, so it publishes the overview, the
organisation and family lists, the pages of the top organisations and families, and the pages
(with their CycloneDX BOMs) of the most downloaded models; links to anything else are plain
text, and the overview says how many model pages were written. Every table is written beside
its page as CSV (formula-safe) and JSON.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from modelcensus import api
from modelcensus.errors import InputError
from modelcensus.outputs.formatting import public_snapshot
from modelcensus.outputs.web.page import Links, Page, render, static_files
from modelcensus.server import pages
from modelcensus.server.census import Census


@dataclass
class SiteResult:
    out: Path
    pages: int
    models: int
    files: int


def _write(root: Path, rel: str, data: str | bytes) -> None:
    path = root / rel
    if root.resolve() not in path.resolve().parents:
        raise InputError(f"site page {rel[:80]!r}: would be written outside {root}")  # a hostile id: refuse
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _page(root: Path, rel: str, page: Page, links: Links) -> int:
    _write(root, rel, render(page, links))
    stem = rel[: -len(".html")]
    for key, table in page.tables().items():
        _write(root, f"{stem}.{key}.csv", table.to_csv())
        _write(root, f"{stem}.{key}.json", table.to_json())
    return 1 + 2 * len(page.tables())


def write_site(census: Census, out: str | Path, *, models: int = 300, orgs: int = 60) -> SiteResult:
    """Write the static dashboard into ``out`` (created; an existing non-empty folder is refused)."""
    root = Path(out)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InputError(f"--out {root}: exists and is not an empty folder")
    tmp = root.with_name(root.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    snap = census.latest
    census.require_built(snap)
    ix = census.index(snap.id)
    top = [ix.table.column("id")[i].as_py() for i in range(min(models, len(ix)))]
    p = pages.Pickers()
    org_rows = census.metric("downloads", by="org", population="all").rows
    org_names = [r["org"] for r in org_rows if r.get("org")][:orgs]
    fam_rows = census.metric("downloads", by="family", population="all").rows
    fam_keys = [r["family"] for r in fam_rows if r.get("family")][:orgs]

    def links(here: str) -> Links:
        return Links(live=False, here=here, published=set(top), orgs=set(org_names), families=set(fam_keys))

    files = 0
    for name, rel in (("overview", "index.html"), ("orgs", "orgs.html"), ("families", "families.html")):
        lk = links(rel)
        page = (pages.overview(census, p, lk) if name == "overview" else
                pages.org_list(census, p, lk, subject="org" if name == "orgs" else "family"))
        page.pickers = []
        if name == "overview":
            page.subtitle = (f"Static edition: snapshot {snap.id}; pages for the {len(top):,} most downloaded of "
                             f"{len(ix):,} models, {len(org_names)} organisations and {len(fam_keys)} families.")
        files += _page(tmp, rel, page, lk)
    for org in org_names:
        rel = "org/" + quote(org, safe="") + ".html"
        files += _page(tmp, rel, pages.org_page(census, org, p, links(rel)), links(rel))
    for fam in fam_keys:
        rel = "family/" + quote(fam, safe="") + ".html"
        files += _page(tmp, rel, pages.org_page(census, fam, p, links(rel), subject="family"), links(rel))
    for mid in top:
        rel = "model/" + quote(mid, safe="/") + ".html"
        files += _page(tmp, rel, pages.model_page(census, mid, {}, links(rel)), links(rel))
        report = api.audit([mid], store=census.reader(), snapshot=snap.id, registry=census.registry)
        from modelcensus.server.policy_check import render_bom

        _write(tmp, "model/" + quote(mid, safe="/") + ".cdx.json", render_bom(report))
        files += 1
    for name, data in static_files().items():
        _write(tmp, "static/" + name, data)
        files += 1
    _write(tmp, "snapshots.json", json.dumps([public_snapshot(s) for s in census.snapshots], indent=1, default=str))
    if root.exists():
        root.rmdir()
    tmp.rename(root)
    return SiteResult(root, 3 + len(org_names) + len(fam_keys) + len(top), len(top), files + 1)
