"""The JSON API in-process: the CLI's JSON forms, errors as JSON, validated parameters, read-only store."""

from __future__ import annotations

from urllib.parse import quote

import duckdb
import pytest

from modelcensus import api
from modelcensus.errors import InputError
from modelcensus.store import Store

from .conftest import HOSTILE_ID


def test_snapshots_and_openapi(client) -> None:
    snaps = client.get("/api/snapshots").json()
    assert len(snaps) == 3 and all(s["synthetic"] for s in snaps)
    doc = client.get("/openapi.json").json()
    for path in ("/api/snapshots", "/api/metrics/{name}", "/api/models/{model_id}", "/api/origin/{model_id}",
                 "/api/lineage/{model_id}", "/api/audit/{model_id}", "/api/search"):
        assert path in doc["paths"], path


def test_origin_matches_the_library(client, web_db: str, top_model: str) -> None:
    got = client.get("/api/origin/" + top_model).json()
    with Store(web_db, read_only=True) as store:
        want = api.origin(store, top_model, registry=api.load_registry())
    assert got == want
    assert got["model"] == top_model and got["roots"]


def test_metric_json_form_and_filters(client) -> None:
    doc = client.get("/api/metrics/downloads", params={"by": "root_country"}).json()
    assert doc["metric"] == "downloads" and doc["by"] == "root_country" and doc["synthetic"] is True
    assert abs(sum(r["share"] for r in doc["rows"]) - 1) < 1e-6
    tagged = client.get("/api/metrics/downloads", params={"by": "root_country", "pipeline_tag": "text-generation"})
    assert tagged.status_code == 200
    bad = client.get("/api/metrics/downloads", params={"by": "nonsense"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    assert "root_country" in bad.json()["error"]["message"]


@pytest.mark.parametrize("params", [{"snapshot": "1; DROP TABLE models"}, {"as_of": "yesterday"},
                                    {"population": "x' OR '1'='1"}, {"pipeline_tag": "<b>"},
                                    {"scope": "everything"}])
def test_query_parameters_are_validated(client, params: dict) -> None:
    r = client.get("/api/metrics/downloads", params={"by": "org", **params})
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"error"} and "Traceback" not in r.text


def test_scope_picker_selects_snapshots(client) -> None:
    full = client.get("/api/metrics/downloads_monthly", params={"by": "root_country", "scope": "full"}).json()
    assert len(full["snapshots"]) == 3
    none = client.get("/api/metrics/downloads", params={"by": "root_country", "scope": "partial"})
    assert none.status_code == 404 and "no partial snapshot" in none.json()["error"]["message"]


def test_model_ids_with_slashes_and_unknown_ids(client, top_model: str) -> None:
    r = client.get("/api/models/" + top_model)
    assert r.status_code == 200 and r.json()["model"]["id"] == top_model
    missing = client.get("/api/models/nobody/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_lineage_pages_descendants_without_silent_truncation(client) -> None:
    hits = client.get("/api/search", params={"q": "Qwen/", "limit": 20}).json()["results"]
    best = max((h["id"] for h in hits if h["kind"] == "model"),
               key=lambda m: client.get("/api/lineage/" + m, params={"limit": 0}).json()["descendants"]["total"])
    total = client.get("/api/lineage/" + best, params={"limit": 0}).json()["descendants"]["total"]
    assert total > 3
    first = client.get("/api/lineage/" + best, params={"limit": 2}).json()["descendants"]
    rest = client.get("/api/lineage/" + best, params={"limit": 10_000, "offset": 2}).json()["descendants"]
    assert first["truncated"] is True and len(first["shown"]) == 2
    assert rest["truncated"] is False and len(first["shown"]) + len(rest["shown"]) == total
    assert {d["id"] for d in first["shown"]}.isdisjoint({d["id"] for d in rest["shown"]})


def test_search_ranks_prefix_matches_by_downloads(client) -> None:
    res = client.get("/api/search", params={"q": "qwen", "limit": 30}).json()["results"]
    models = [h for h in res if h["kind"] == "model"]
    prefix = [h for h in models if h["match"] in ("exact", "prefix")]
    assert prefix and all(h["id"].lower().split("/")[0].startswith("qwen") or
                          h["id"].lower().split("/")[1].startswith("qwen") for h in prefix)
    downloads = [h["downloads"] or 0 for h in prefix if h["match"] == "prefix"]
    assert downloads == sorted(downloads, reverse=True)
    assert any(h["kind"] == "org" for h in res)
    assert client.get("/api/search", params={"q": "zzzz-no-such-model"}).json()["results"] == []
    assert client.get("/api/search", params={"q": "x", "limit": 1000}).status_code == 400


def test_audit_and_bom(client, top_model: str) -> None:
    doc = client.get("/api/audit/" + top_model).json()
    assert doc["models"][0]["id"] == top_model and doc["audit"]["policy"]["name"] == "default"
    assert client.get("/api/audit/" + top_model, params={"policy": "no-such"}).status_code == 400
    bom = client.get("/api/bom/" + top_model)
    assert bom.status_code == 200 and bom.json()["bomFormat"] == "CycloneDX"


def test_hostile_strings_come_back_as_data(client) -> None:
    r = client.get("/api/models/" + quote(HOSTILE_ID, safe="/"))
    assert r.status_code == 200 and r.json()["model"]["id"] == HOSTILE_ID
    assert r.headers["content-type"].startswith("application/json")


def test_security_headers_and_body_bound(client) -> None:
    r = client.get("/")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    big = client.post("/policy", content=b"x" * 1_100_000, headers={"content-type": "text/plain"})
    assert big.status_code == 413


def test_the_server_never_writes(web_db: str) -> None:
    """The app holds the store read-only: a write through its connection is refused by DuckDB."""
    app = api.web_app(web_db).app
    con = app.state.census.store.con
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM models").fetchall()
    app.state.census.close()


def test_unbuilt_lineage_refuses_to_serve(tmp_path) -> None:
    db = tmp_path / "raw.duckdb"
    with Store(db) as store:
        from modelcensus.store import SnapshotMeta  # noqa: F401 - the store exists with its schema

        store._exec("INSERT INTO snapshots (id, source, observed_at, imported_at, row_count, complete) "
                    "VALUES (1, 'flat-file', now(), now(), 0, true)")
    with pytest.raises(InputError, match="serve --prepare"):
        api.web_app(str(db))


def test_no_local_paths_in_api_or_pages(tmp_path) -> None:
    """A flat-file snapshot's source_ref is the imported file's path: the API and pages name the file only."""
    import json as _json

    from fastapi.testclient import TestClient

    src = tmp_path / "private-folder" / "models.jsonl"
    src.parent.mkdir()
    src.write_text(_json.dumps({"id": "Qwen/Qwen2.5-7B", "author": "Qwen", "downloads": 5}) + "\n")
    db = tmp_path / "p.duckdb"
    with Store(db) as store:
        api.import_path(store, src, observed_at="2025-06-01")
    api.prepare_serving(str(db))
    with TestClient(api.web_app(str(db)), raise_server_exceptions=False) as c:
        for url in ("/api/snapshots", "/api/metrics/downloads?by=root_country", "/", "/api/models/Qwen/Qwen2.5-7B"):
            r = c.get(url)
            assert r.status_code == 200, url
            assert "private-folder" not in r.text and str(tmp_path) not in r.text, url
        assert "models.jsonl" in c.get("/api/snapshots").text


@pytest.mark.parametrize("wrapped", [False, True])
def test_duckdb_out_of_memory_is_503_with_the_hint_in_the_log_only(web_db, monkeypatch, caplog, wrapped):
    """The operator can raise the cap, the client cannot: before, a 500 "internal error" with a traceback."""
    from fastapi.testclient import TestClient

    from modelcensus.metrics.queries import StoreReadError
    from modelcensus.server.census import Census

    def fail(self, name, **kw):
        oom = duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data (2.6 GiB/3.0 GiB used)")
        if not wrapped:
            raise oom
        raise StoreReadError("statement failed on DuckDB") from oom

    monkeypatch.setattr(Census, "metric", fail)
    # raise_server_exceptions: Starlette's server-error middleware re-raises what it answered (a traceback in the
    # log, a reset keep-alive connection); the handlers must answer it before (review33 R33-2)
    with TestClient(api.web_app(web_db), raise_server_exceptions=True) as c, caplog.at_level("WARNING"):
        got = c.get("/api/metrics/downloads", params={"by": "org"})
    assert got.status_code == 503
    assert got.json()["error"]["code"] == "out_of_memory"
    assert "MODELCENSUS_MEMORY_LIMIT" not in got.text
    assert any("MODELCENSUS_MEMORY_LIMIT" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert not any(r.exc_info or r.levelname == "ERROR" for r in caplog.records)
