"""A small synthetic census served in-process, with one hostile model planted in the latest snapshot.

The hostile model's id, licence and card carry ``<script>`` and quotes: every page and API answer
must show them as text.
"""

from __future__ import annotations

import json

import pytest

from modelcensus import api
from modelcensus.sources.synthetic import generate_hub, load_series
from modelcensus.store import Store

HOSTILE_ID = "evil-org/x\"'<script>alert(1)</script>"
HOSTILE_LICENSE = "<img src=x onerror=alert(2)>"
HOSTILE_CARD = {"model_name": "</script><script>alert(3)</script>", "license": "=HYPERLINK(\"http://x\")"}


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 1,500-model synthetic hub over 3 monthly snapshots, lineage prepared, plus the hostile model."""
    db = str(tmp_path_factory.mktemp("webdemo") / "web.duckdb")
    with Store(db) as store:  # the demo's hub and loader, without its report (the web does not need it)
        load_series(store, generate_hub(n_models=1500, seed=11, months=3))
        sid = store.snapshots()[-1].id
        store._exec(
            "INSERT INTO models (snapshot_id, id, id_lower, author, downloads_30d, downloads_all_time, license, "
            "pipeline_tag, base_models, card_data) VALUES (?, ?, lower(?), 'evil-org', 5, 9, ?, 'text-generation', "
            "['Qwen/Qwen2.5-7B'], ?)",
            [sid, HOSTILE_ID, HOSTILE_ID, HOSTILE_LICENSE, json.dumps(HOSTILE_CARD)])
        store._exec("UPDATE snapshots SET row_count = row_count + 1 WHERE id = ?", [sid])
    api.prepare_serving(db)
    return db


@pytest.fixture(scope="session")
def client(web_db: str):
    from fastapi.testclient import TestClient

    with TestClient(api.web_app(web_db), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def top_model(client) -> str:
    return client.get("/api/search", params={"q": "qwen", "limit": 5}).json()["results"][-1]["id"]

