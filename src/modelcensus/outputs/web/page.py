"""The dashboard's page model and its HTML rendering.

A :class:`Page` holds only data (sections of facts, charts, tables, trees); ``render`` turns it
into HTML with an autoescaping Jinja environment, so every string from the store, the Hub or a
file is escaped. Links go through :class:`Links`, which knows whether the page is served live
(``/model/Qwen/Qwen2.5-7B``) or written as a static site (``model/Qwen/Qwen2.5-7B.html`` relative
to the page), so the same templates serve ``serve`` and ``site``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from modelcensus.outputs.charts import ChartData, plotly_figure, script_json
from modelcensus.outputs.web.tables import Table, cell

PAGES = {"overview": "", "orgs": "orgs", "families": "families", "search": "search", "policy": "policy"}


@dataclass
class Chart:
    """A chart, or the notice that replaces it when there is nothing to draw."""

    data: ChartData
    source: str
    notice: str = ""

    @property
    def key(self) -> str:
        return self.data.key

    @property
    def title(self) -> str:
        return self.data.title

    @property
    def drawable(self) -> bool:
        if self.notice:
            return False
        points = [v for s in self.data.series for v in s.y if v is not None]
        return bool(points)

    @property
    def json(self) -> str:
        return script_json(plotly_figure(self.data))


@dataclass
class Picker:
    name: str
    label: str
    value: Any = None
    choices: list[tuple[str, str]] | None = None
    placeholder: str = ""


@dataclass
class Section:
    key: str
    title: str
    text: str = ""
    facts: list[tuple[str, Any]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tree: list[dict[str, Any]] = field(default_factory=list)
    pager: dict[str, Any] | None = None


@dataclass
class Page:
    """One dashboard page: what the templates need, nothing else."""

    name: str                     # overview | org | family | model | search | policy | orgs | families | error
    title: str
    path: str                     # the page's path (live mode), used by picker forms and downloads
    params: dict[str, Any] = field(default_factory=dict)  # the pickers' values: they make the URL citable
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
    pickers: list[Picker] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    synthetic: bool = False
    snapshot: dict[str, Any] | None = None
    registry_version: str = ""
    version: str = ""
    query: str = ""
    form: dict[str, Any] | None = None
    status: int = 200

    @property
    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts if c.drawable]

    def tables(self) -> dict[str, Table]:
        return {t.key: t for s in self.sections for t in s.tables}

    @property
    def permalink(self) -> str:
        query = {k: v for k, v in self.params.items() if v not in (None, "")}
        return self.path + ("?" + urlencode(query) if query else "")


class Links:
    """URLs of pages, models, organisations and static files, live or as a static site.

    ``published`` (site mode) is the set of model ids that have a page; others are shown as text."""

    def __init__(self, *, live: bool, here: str = "", published: set[str] | None = None,
                 orgs: set[str] | None = None, families: set[str] | None = None) -> None:
        self.live = live
        self.here = here                      # site mode: the page's own path, e.g. "model/Qwen/x.html"
        self.published = published
        self.orgs = orgs
        self.families = families

    def _site(self, target: str) -> str:
        return posixpath.relpath(target, posixpath.dirname(self.here) or ".")

    def static(self, name: str) -> str:
        return "/static/" + name if self.live else self._site("static/" + name)

    def page(self, name: str) -> str:
        path = PAGES[name]
        if self.live:
            return "/" + path
        return self._site((path or "index") + ".html")

    def model(self, model_id: str) -> str | None:
        if self.live:
            return "/model/" + quote(model_id, safe="/")
        if self.published is None or model_id not in self.published:
            return None
        return self._site("model/" + quote(model_id, safe="/") + ".html")

    def org(self, key: str) -> str | None:
        if self.orgs is not None and key not in self.orgs:
            return None
        return "/org/" + quote(key, safe="") if self.live else self._site("org/" + quote(key, safe="") + ".html")

    def family(self, key: str) -> str | None:
        if self.families is not None and key not in self.families:
            return None
        if self.live:
            return "/family/" + quote(key, safe="")
        return self._site("family/" + quote(key, safe="") + ".html")

    def bom(self, model_id: str) -> str | None:
        """The model's CycloneDX ML-BOM (served live; written beside the model page in a site)."""
        if self.live:
            return "/api/bom/" + quote(model_id, safe="/")
        if self.published is None or model_id not in self.published:
            return None
        return self._site("model/" + quote(model_id, safe="/") + ".cdx.json")

    def download(self, page: Page, table: str, fmt: str) -> str:
        if self.live:
            query = {**{k: v for k, v in page.params.items() if v not in (None, "")}, "download": table, "format": fmt}
            return page.path + "?" + urlencode(query)
        stem = posixpath.splitext(posixpath.basename(self.here))[0]
        return f"{stem}.{table}.{fmt}"


@lru_cache(maxsize=1)
def _env() -> Environment:
    folder = resources.files("modelcensus.outputs.web").joinpath("templates")
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["cell"] = cell
    return env


def render(page: Page, links: Links) -> str:
    """The page as HTML."""
    return _env().get_template("page.html.j2").render(page=page, links=links)


def static_files() -> dict[str, bytes]:
    """The assets every page links: the stylesheet, the chart drawer and the bundled plotly.js."""
    from plotly.offline import get_plotlyjs

    folder = resources.files("modelcensus.outputs.web").joinpath("static")
    files = {name: folder.joinpath(name).read_bytes() for name in ("style.css", "app.js")}
    files["plotly.min.js"] = get_plotlyjs().encode("utf-8")
    return files


__all__ = ["Chart", "Links", "Page", "Picker", "Section", "Table", "render", "static_files"]
