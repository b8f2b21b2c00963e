"""Dashboard pages in-process: content, escaping, citable URLs, downloads, the policy check, the static site."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import quote

from modelcensus import api

from .conftest import HOSTILE_ID, HOSTILE_LICENSE


def test_overview_has_charts_coverage_and_a_citable_url(client) -> None:
    r = client.get("/", params={"population": "", "pipeline_tag": "text-generation"})
    assert r.status_code == 200
    html = r.text
    for key in ("downloads-root_country", "downloads-publisher_country", "derivatives-root_country"):
        assert f'id="{key}"' in html
    assert html.count('type="application/json" data-chart=') >= 3
    assert "SYNTHETIC DATA" in html and "Source: snapshot" in html
    assert 'href="/?pipeline_tag=text-generation"' in html  # the permalink encodes the pickers
    assert "<script>" not in html.replace('<script src="/static/', "")  # no inline script: the CSP forbids it


def test_tables_download_as_formula_safe_csv_and_json(client) -> None:
    r = client.get("/", params={"download": "downloads_root_country", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {"root_country", "downloads", "share"} <= set(rows[0])
    j = client.get("/", params={"download": "downloads_root_country", "format": "json"}).json()
    assert j["columns"][0] == "root_country" and len(j["rows"]) == len(rows)
    assert client.get("/", params={"download": "nope", "format": "csv"}).status_code == 404


def test_model_page_origin_tree_and_bom_link(client, top_model: str) -> None:
    html = client.get("/model/" + top_model).text
    for part in ('id="origin"', 'id="ancestors"', 'id="descendants"', 'id="licences"', 'id="audit"',
                 'href="/api/bom/' + top_model + '"'):
        assert part in html, part


def test_hostile_model_renders_as_text(client) -> None:
    r = client.get("/model/" + quote(HOSTILE_ID, safe="/"))
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert HOSTILE_LICENSE not in r.text
    s = client.get("/search", params={"q": "evil-org"}).text
    assert "<script>alert(1)" not in s and "&lt;script&gt;alert(1)" in s


def test_search_page_links_models(client, top_model: str) -> None:
    html = client.get("/search", params={"q": top_model.split("/")[1][:6]}).text
    assert 'href="/model/' in html


def test_org_and_family_pages(client) -> None:
    org = client.get("/org/Alibaba Qwen")
    assert org.status_code == 200 and 'id="relations"' in org.text and 'id="licences"' in org.text
    assert client.get("/org/No Such Org Anywhere").status_code == 404
    fams = client.get("/families").text
    assert 'href="/family/' in fams


def test_policy_check_verdicts_and_bom(client, top_model: str) -> None:
    inventory = f"{top_model}@main\n/etc/passwd\n../secret\nnot an id\n"
    r = client.post("/policy", data={"inventory": inventory, "policy": "default"})
    assert r.status_code == 200
    assert top_model in r.text and "only Hub ids are checked" in r.text
    assert r.text.count("only Hub ids are checked") == 3
    up = client.post("/policy", files={"policy_file": ("p.yaml", b"name: t\ndeny_flags: [pickle_dangerous_global]\n")},
                     data={"inventory": top_model})
    assert up.status_code == 400 and "pickle_dangerous_global" in up.text
    bom = client.post("/policy/bom", data={"inventory": top_model, "policy": "default"})
    assert bom.status_code == 200 and bom.json()["bomFormat"] == "CycloneDX"
    too_many = "\n".join(f"a/m{i}" for i in range(600))
    assert client.post("/policy", data={"inventory": too_many}).status_code == 400


def test_static_site(web_db: str, tmp_path: Path) -> None:
    out = tmp_path / "site"
    res = api.write_site(web_db, out, models=5, orgs=3)
    assert res.models == 5
    index = (out / "index.html").read_text()
    assert 'src="static/plotly.min.js"' in index and (out / "static" / "plotly.min.js").stat().st_size > 1e6
    model_pages = sorted((out / "model").rglob("*.html"))
    assert len(model_pages) == 5 and len(list((out / "model").rglob("*.cdx.json"))) == 5
    page = model_pages[0].read_text()
    assert "../../static/style.css" in page  # relative links work from any host path
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".html", ".json", ".csv"):
            assert str(tmp_path) not in f.read_text(errors="replace"), f  # no absolute local path
    json.loads((out / "index.downloads_root_country.json").read_text())


def test_csv_downloads_are_formula_safe(client, top_model: str) -> None:
    """A hostile inventory line comes back in the verdicts table; its CSV cell is guarded, not a formula."""
    inventory = f'{top_model}\n=HYPERLINK("http://evil.example")\n+1+1\n@SUM(A1)\n'
    r = client.post("/policy?download=verdicts&format=csv", data={"inventory": inventory})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    cells = [row["model"] for row in rows]
    assert top_model in cells
    for bad in ('=HYPERLINK("http://evil.example")', "+1+1", "@SUM(A1)"):
        assert "'" + bad in cells and bad not in cells
