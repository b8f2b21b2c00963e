"""End to end in a real headless Chromium (Playwright driving Debian's ``chromium``), against a real uvicorn.

Skips, saying why, when Playwright or a Chromium binary is missing (``.ci/run`` installs Debian's
``chromium`` when it can).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from modelcensus import api

from .conftest import HOSTILE_ID

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(web_db: str) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(api.web_app(web_db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("no chromium binary on PATH (apt-get install chromium; .ci/run does it when it can)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(accept_downloads=True)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.errors, pg.dialogs = errors, dialogs  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def test_overview_draws_its_charts(server: str, page) -> None:
    page.goto(server + "/")
    page.wait_for_selector("#chart-downloads-root_country[data-drawn]", timeout=20_000)
    drawn = page.eval_on_selector_all("[data-drawn]", "els => els.map(e => e.querySelectorAll('.trace').length)")
    assert len(drawn) >= 3 and all(n >= 1 for n in drawn), drawn
    assert page.locator("#synthetic-banner").is_visible()
    assert not page.errors, page.errors  # no CSP violation or script error


def test_search_model_page_lineage_link_and_csv(server: str, page, tmp_path: Path) -> None:
    page.goto(server + "/")
    page.fill("input[name=q]", "qwen")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#table-results a[href^='/model/']")
    page.click("#table-results a[href^='/model/']")
    page.wait_for_selector("#origin")
    link = page.locator("#tree-ancestors a, #table-descendants a[href^='/model/']").first
    if link.count():
        target = link.get_attribute("href")
        link.click()
        page.wait_for_url("**" + target)
        page.wait_for_selector("#origin")
    page.goto(server + "/")
    with page.expect_download() as dl:
        page.click("#downloads-root_country .downloads a[download]")
    path = tmp_path / "t.csv"
    dl.value.save_as(path)
    assert path.read_text().startswith("root_country,")
    assert not page.errors, page.errors


def test_policy_check_in_the_browser(server: str, page) -> None:
    page.goto(server + "/policy")
    model = api_first_model(server)
    page.fill("#inventory", f"{model}@main\n/etc/passwd")
    page.select_option("select[name=policy]", "default")
    page.click("#policy-check button[type=submit]")
    page.wait_for_selector("#table-verdicts")
    text = page.inner_text("#table-verdicts")
    assert model in text and "only Hub ids are checked" in text
    with page.expect_download() as dl:
        page.click("#bom-form button")
    assert dl.value.suggested_filename.endswith(".cdx.json")


def test_hostile_model_renders_as_text(server: str, page) -> None:
    page.goto(server + "/model/" + quote(HOSTILE_ID, safe="/"))
    page.wait_for_selector("#origin")
    assert HOSTILE_ID in page.inner_text("h1")
    assert not page.dialogs, page.dialogs  # no alert() ran


def api_first_model(server: str) -> str:
    import json
    import urllib.request

    with urllib.request.urlopen(server + "/api/search?q=qwen&limit=1") as r:  # noqa: S310 - loopback test server
        return json.load(r)["results"][-1]["id"]


def test_keep_alive_survives_errors(server: str) -> None:
    """A 404 or 400 answer must not drop the connection (an Exception-only handler re-raised after answering,
    so uvicorn closed keep-alive connections on every error: resets under load)."""
    import http.client

    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    for path, status in (("/api/models/nobody/missing", 404), ("/api/metrics/nope", 400), ("/api/snapshots", 200),
                         ("/api/search?q=qwen", 200)):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        assert r.status == status, path
    conn.close()
