"""`pull hub` against the fake Hub: cost, completeness, faults, resume after a real kill, filters, CLI."""

from __future__ import annotations

import io
import math
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fakehub
import pytest
from rich.console import Console

from modelcensus.cli.main import run
from modelcensus.errors import InputError
from modelcensus.sources.hub_api import EXPAND_FIELDS, _Progress, pull_hub
from modelcensus.sources.hub_pages import HubCrawlError, RetryPolicy, retry_after_seconds
from modelcensus.store import Store

REPO = Path(__file__).resolve().parents[2]
N = 2500
FAST = RetryPolicy(timeout=1.0, max_attempts=4, backoff_base=0.02, backoff_cap=0.1)


@pytest.fixture
def hf_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for var in ("HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "MODELCENSUS_HUB_TIMEOUT",
                "MODELCENSUS_HUB_MAX_ATTEMPTS", "MODELCENSUS_HUB_BACKOFF"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")


@pytest.fixture
def hub(hf_env, monkeypatch):
    with fakehub.FakeHub(n_models=N, seed=3) as h:
        monkeypatch.setenv("HF_ENDPOINT", h.url)
        yield h


def stored_ids(store: Store, sid: int) -> list[str]:
    return [r[0] for r in store._exec("SELECT id FROM models WHERE snapshot_id = ? ORDER BY id", [sid]).fetchall()]


def crawl_rows(store: Store) -> int:
    return store._one("SELECT count(*) FROM crawl_state")[0]


# -- a full crawl -----------------------------------------------------------------------------------------
def test_full_crawl_lands_every_model_once_in_one_request_per_page(hub, store):
    res = pull_hub(store, progress=False, retry=FAST)
    snap = res.snapshot
    assert snap.source == "hub-api" and snap.complete and snap.row_count == N and snap.skipped_count == 0
    assert stored_ids(store, snap.id) == sorted(m["id"] for m in hub.models)
    # cost: one request per page of 1000, every field asked for in the same request
    listing = hub.listing_requests()
    assert len(listing) == math.ceil(N / 1000) == snap.notes["crawl"]["requests"] == snap.notes["crawl"]["pages"]
    assert hub.count("/api/models/") == 0  # never one request per model
    for req in listing:
        assert req.query["expand"] == list(EXPAND_FIELDS)
    assert listing[0].query["sort"] == ["createdAt"] and listing[0].query["direction"] == ["1"]
    assert "cursor" in listing[1].query and "cursor" in listing[2].query
    assert snap.source_ref.startswith(hub.url + "/api/models?") and "sort=createdAt" in snap.source_ref
    assert crawl_rows(store) == 0
    # the Hub's fields are mapped, not just the ids
    want = next(m for m in hub.models if "baseModels" in m and m.get("gguf"))
    got = store._one("SELECT downloads_30d, downloads_all_time, likes, params, gated, base_models, "
                     "model_type, created_at FROM models WHERE snapshot_id = ? AND id = ?", [snap.id, want["id"]])
    assert got[:4] == (want["downloads"], want["downloadsAllTime"], want["likes"], want["safetensors"]["total"])
    assert got[5] == [want["cardData"]["base_model"]] and got[6] == want["config"]["model_type"]
    assert got[7] == datetime.fromisoformat(want["createdAt"].replace("Z", "+00:00"))
    hub_decl = store._one("SELECT count(*) FROM declarations WHERE snapshot_id = ? AND source = 'hub'", [snap.id])[0]
    assert hub_decl == sum(1 for m in hub.models if "baseModels" in m)


def test_request_count_scales_with_pages_not_models(hub, store):
    res = pull_hub(store, progress=False, page_size=250, retry=FAST)
    assert res.snapshot.row_count == N
    assert len(hub.listing_requests()) == N // 250


def test_token_from_hf_token_is_sent(hub, store, monkeypatch):
    monkeypatch.delenv("HF_HUB_DISABLE_IMPLICIT_TOKEN")
    monkeypatch.setenv("HF_TOKEN", "hf_testtoken123")
    pull_hub(store, progress=False, limit=10, retry=FAST)
    assert hub.listing_requests()[0].authorization == "Bearer hf_testtoken123"


# -- faults -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["500", "slow", "truncated", "malformed", "not_a_list"])
def test_transient_fault_is_retried_and_nothing_is_lost(hub, store, kind):
    hub.fail_page(1, fakehub.Fault(kind, delay=1.5), times=2)
    res = pull_hub(store, progress=False, retry=FAST)
    assert [k for _, k in hub.fault_log] == [kind, kind]
    assert res.snapshot.complete and res.snapshot.row_count == N
    assert stored_ids(store, res.snapshot.id) == sorted(m["id"] for m in hub.models)
    assert len(hub.listing_requests()) == 3 + 2


def test_persistent_fault_fails_clearly_then_resumes_into_the_same_snapshot(hub, store):
    hub.fail_page(2, fakehub.Fault("500"), times=FAST.max_attempts)
    with pytest.raises(HubCrawlError, match=r"HTTP 500, 4 attempts in a row.*run the same command again"):
        pull_hub(store, progress=False, retry=FAST)
    (partial,) = store.snapshots()
    assert not partial.complete and partial.row_count == 2000 and crawl_rows(store) == 1
    res = pull_hub(store, progress=False, retry=FAST)
    assert res.snapshot.id == partial.id and res.snapshot.complete
    assert res.snapshot.observed_at == partial.observed_at  # the crawl's start, not the restart
    assert stored_ids(store, partial.id) == sorted(m["id"] for m in hub.models)
    assert res.snapshot.notes["crawl"]["resumes"] == 1 and len(store.snapshots()) == 1
    # the resumed run asked only for the page that had failed
    assert len(hub.listing_requests()) == 2 + FAST.max_attempts + 1


def test_refusal_is_not_retried(hub, store):
    hub.fail_request(1, fakehub.Fault("401"))
    with pytest.raises(HubCrawlError, match="refused the listing"):
        pull_hub(store, progress=False, retry=FAST)
    assert len(hub.listing_requests()) == 1


def test_next_link_to_another_host_is_refused(hub, store, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    hub.fail_page(0, fakehub.Fault("foreign_link"))
    with pytest.raises(HubCrawlError, match="points outside"):
        pull_hub(store, progress=False, retry=FAST)
    assert store.snapshots()[0].row_count == 0  # the page that carried the bad link is not committed


def test_items_lacking_fields_are_mapped_with_what_exists_and_bad_ones_counted(hub, store):
    hub.fail_page(1, fakehub.Fault("missing_fields", keep=("id",), drop_id_at=(0, 7)))
    res = pull_hub(store, progress=False, retry=FAST)
    assert res.snapshot.row_count == N - 2 and res.skipped.count == 2 == res.snapshot.skipped_count
    assert res.skipped.reasons == {"missing id": 2}
    thin = hub.models[1001]["id"]
    row = store._one("SELECT downloads_30d, tags, created_at FROM models WHERE snapshot_id = ? AND id = ?",
                     [res.snapshot.id, thin])
    assert row == (None, None, None)


def test_retry_after_in_seconds_is_honoured(hub, store):
    hub.fail_request(2, fakehub.Fault("429", retry_after=1))
    res = pull_hub(store, progress=False, retry=FAST)
    reqs = hub.listing_requests()
    assert res.snapshot.complete and len(reqs) == 4
    assert reqs[2].at - reqs[1].at >= 1.0


def test_retry_after_as_http_date_is_honoured(hub, store):
    hub.fail_request(1, fakehub.Fault("429", retry_after=2, http_date=True))
    t0 = datetime.now(UTC)
    res = pull_hub(store, progress=False, limit=5, retry=FAST)
    reqs = hub.listing_requests()
    assert res.snapshot.row_count == 5
    # the date has one-second resolution: it names a moment between 1 and 2 s after the 429
    asked = (t0 + timedelta(seconds=2)).replace(microsecond=0) - t0
    assert reqs[1].at - reqs[0].at >= asked.total_seconds() - 0.05


def test_excessive_retry_after_stops_resumably(hub, store):
    hub.fail_request(2, fakehub.Fault("429", retry_after=3600))
    t = time.monotonic()
    with pytest.raises(HubCrawlError, match="rate-limited for 3600 s"):
        pull_hub(store, progress=False, retry=FAST)
    assert time.monotonic() - t < 5 and store.snapshots()[0].row_count == 1000 and crawl_rows(store) == 1


def test_retry_after_parsing():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "7"}, now) == 7
    assert retry_after_seconds({"retry-after": "Wed, 01 Jan 2025 12:00:30 GMT"}, now) == 30
    assert retry_after_seconds({"Retry-After": "Tue, 31 Dec 2024 12:00:00 GMT"}, now) == 0
    assert retry_after_seconds({"RateLimit": '"api";r=0;t=55'}, now) == 55
    assert retry_after_seconds({"RateLimit": '"api";r=3;t=55'}, now) is None
    assert retry_after_seconds({"Retry-After": "soon"}, now) is None


def test_unreachable_endpoint_fails_clearly(hf_env, store):
    with pytest.raises(HubCrawlError, match=r"connection failed.*4 attempts"):
        pull_hub(store, endpoint="http://127.0.0.1:9", progress=False, retry=FAST)
    assert store.snapshots()[0].complete is False  # a rerun resumes it


# -- options ----------------------------------------------------------------------------------------------
def test_author_and_search_filter_on_the_hub(hub, store):
    res = pull_hub(store, author="qwen", progress=False, retry=FAST)
    assert stored_ids(store, res.snapshot.id) == sorted(hub.ids(author="Qwen")) and res.snapshot.row_count > 5
    assert hub.listing_requests()[0].query["author"] == ["qwen"]
    assert not res.snapshot.complete and res.snapshot.notes["crawl"]["scope"] == "filtered"
    res = pull_hub(store, search="gemma", progress=False, retry=FAST)
    assert stored_ids(store, res.snapshot.id) == sorted(hub.ids(search="gemma"))
    assert hub.listing_requests()[-1].query["search"] == ["gemma"]


def test_limit_caps_models_and_requests(hub, store):
    res = pull_hub(store, limit=300, progress=False, retry=FAST)
    assert res.snapshot.row_count == 300 and len(hub.listing_requests()) == 1
    assert hub.listing_requests()[0].query["limit"] == ["300"]
    assert stored_ids(store, res.snapshot.id) == sorted(m["id"] for m in hub.models[:300])  # oldest first
    assert not res.snapshot.complete and res.snapshot.notes["crawl"]["scope"] == "limited"
    res = pull_hub(store, limit=1200, progress=False, retry=FAST)
    assert res.snapshot.row_count == 1200 and len(hub.listing_requests()) == 3
    res = pull_hub(store, limit=10**6, progress=False, retry=FAST)  # the listing ends first: a census
    assert res.snapshot.row_count == N and res.snapshot.complete


def test_since_refreshes_by_last_modified_and_says_it_is_a_delta(hub, store):
    since = "2023-06-01"
    res = pull_hub(store, since=since, progress=False, retry=FAST)
    cutoff = datetime(2023, 6, 1, tzinfo=UTC)
    want = sorted(m["id"] for m in hub.models
                  if datetime.fromisoformat(m["lastModified"].replace("Z", "+00:00")) >= cutoff)
    assert 0 < len(want) < N and stored_ids(store, res.snapshot.id) == want
    q = hub.listing_requests()[0].query
    assert q["sort"] == ["lastModified"] and q["direction"] == ["-1"]
    # it stops at the first older model instead of walking the whole listing
    assert len(hub.listing_requests()) == math.ceil(len(want) / 1000) + (len(want) % 1000 == 0)
    crawl = res.snapshot.notes["crawl"]
    assert not res.snapshot.complete and crawl["scope"] == "delta" and crawl["finished"]
    assert "not a census" in crawl["note"] and crawl["since"] == "2023-06-01T00:00:00Z"


@pytest.mark.parametrize("kwargs, message", [
    ({"since": "last tuesday"}, "--since"),
    ({"since": "2999-01-01"}, "future"),
    ({"limit": 0}, "--limit"),
    ({"page_size": 5000}, "page size"),
    ({"author": "bad author/x"}, "--author"),
    ({"search": "a\x00b"}, "--search"),
    ({"endpoint": "ftp://example.org"}, "endpoint"),
])
def test_bad_options_are_input_errors(hub, store, kwargs, message):
    with pytest.raises(InputError, match=message):
        pull_hub(store, progress=False, **kwargs)
    assert store.snapshots() == [] and hub.listing_requests() == []


def test_progress_shows_models_pages_rate_and_eta():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=160)
    with _Progress(True, 2000, 0, 0, "crawling", console=console) as bar:
        bar.update(1000, 1)
        time.sleep(0.05)
        bar.update(2000, 2)
    text = buf.getvalue()
    for piece in ("2,000 models", "2 pages", "models/s", "ETA"):
        assert piece in text
    silent = Console(file=io.StringIO())  # not a terminal: no bar at all
    assert _Progress(True, None, 0, 0, "x", console=silent).bar is None


# -- a real process kill ----------------------------------------------------------------------------------
def _cli(db: Path, env: dict[str, str], *args: str) -> list[str]:
    return [sys.executable, "-m", "modelcensus", "--db", str(db), "pull", "hub", *args]


def test_sigkill_mid_crawl_then_restart_loses_and_duplicates_nothing(hf_env, tmp_path):
    db = tmp_path / "killed.duckdb"
    with fakehub.FakeHub(n_models=4500, seed=11, page_delay=0.35) as hub:
        env = {**os.environ, "HF_ENDPOINT": hub.url, "PYTHONPATH": str(REPO / "src")}
        proc = subprocess.Popen(_cli(db, env), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        # the third request is only sent after two pages were committed; kill while it is in flight
        while len(hub.listing_requests()) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(0.15)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        with Store(db) as s:
            (partial,) = s.snapshots()
            assert not partial.complete and partial.row_count == 2000 and crawl_rows(s) == 1
        done = subprocess.run(_cli(db, env), env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "complete" in done.stdout and "4,500 models" in done.stdout
        with Store(db) as s:
            (snap,) = s.snapshots()
            assert snap.id == partial.id and snap.complete and snap.row_count == 4500
            ids = [r[0] for r in s._exec("SELECT id FROM models").fetchall()]
            assert len(ids) == len(set(ids)) and sorted(ids) == sorted(m["id"] for m in hub.models)
            assert crawl_rows(s) == 0
        # the restart asked for the page in flight again, not for the committed ones
        assert len(hub.listing_requests()) == 3 + 3


# -- CLI --------------------------------------------------------------------------------------------------
def test_cli_pull_hub_exit_codes(hub, tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "cli.duckdb")
    assert run(["--db", db, "pull", "hub", "--author", "Qwen", "--limit", "5"]) == 0
    got = capsys.readouterr()
    assert "5 models" in got.out and "partial (filtered)" in got.out
    for bad in (["--limit", "0"], ["--limit", "many"], ["--since", "someday"], ["--author", "../etc"],
                ["--frobnicate"]):
        assert run(["--db", db, "pull", "hub", *bad]) == 2, bad
        err = capsys.readouterr().err
        assert err.startswith("modelcensus: ") and "Traceback" not in err
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("MODELCENSUS_HUB_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("MODELCENSUS_HUB_BACKOFF", "0.01")
    assert run(["--db", db, "pull", "hub"]) == 2
    err = " ".join(capsys.readouterr().err.split())  # the shared stderr console wraps at 80 columns
    assert "Connection refused" in err and "run the same command again to resume" in err
    monkeypatch.setenv("MODELCENSUS_HUB_TIMEOUT", "-1")
    assert run(["--db", db, "pull", "hub"]) == 2
    assert "MODELCENSUS_HUB_TIMEOUT" in capsys.readouterr().err


def test_repeated_kills_at_arbitrary_moments_converge_to_one_exact_snapshot(hf_env, tmp_path):
    """Kills land wherever they land (a request, a commit, between pages); every restart picks up the crawl."""
    db = tmp_path / "kills.duckdb"
    rng = random.Random(5)
    with fakehub.FakeHub(n_models=6000, seed=12, page_delay=0.25) as hub:
        env = {**os.environ, "HF_ENDPOINT": hub.url, "PYTHONPATH": str(REPO / "src")}
        kills = 0
        while kills < 2:
            seen = len(hub.listing_requests())
            proc = subprocess.Popen(_cli(db, env, "--limit", "5950"), env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30  # start-up time varies with load: count from the first request
            while len(hub.listing_requests()) == seen and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            try:
                proc.wait(rng.uniform(0.05, 0.6))
                break  # it finished before the kill
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
                kills += 1
        with Store(db) as s:
            finished = bool(s.snapshots()) and s.snapshots()[0].notes["crawl"]["finished"]
        if not finished:  # the store is closed first: DuckDB allows one writer process
            done = subprocess.run(_cli(db, env, "--limit", "5950"), env=env, capture_output=True, text=True,
                                  timeout=60)
            assert done.returncode == 0, done.stderr
        with Store(db) as s:
            (snap,) = s.snapshots()
            ids = [r[0] for r in s._exec("SELECT id FROM models").fetchall()]
        assert kills == 2 and snap.notes["crawl"]["resumes"] >= 1, (kills, snap.notes["crawl"])
        assert snap.row_count == 5950 == len(ids) == len(set(ids)) and snap.notes["crawl"]["finished"]
        assert sorted(ids) == sorted(m["id"] for m in hub.models[:5950])


def test_fake_hub_speaks_the_clients_protocol(hub):
    """The fake answers huggingface_hub's own calls as the Hub would, so the tests above mean something."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    api = HfApi(endpoint=hub.url)
    top = list(api.list_models(sort="downloads", limit=5, expand=["downloads", "author"]))
    assert [m.downloads for m in top] == sorted((m["downloads"] for m in hub.models), reverse=True)[:5]
    assert all(m.author and m.likes is None for m in top)  # expand returns only what was asked
    qwen = {m.id for m in api.list_models(author="Qwen", search="7B")}
    assert qwen == {i for i in hub.ids(author="Qwen") if "7b" in i.lower()} and qwen
    tagged = {m.id for m in api.list_models(filter="llama")}
    assert tagged == {m["id"] for m in hub.models if "llama" in m["tags"]} and tagged
    child = next(m for m in hub.models if "baseModels" in m)
    info = api.model_info(child["id"], expand=["baseModels", "cardData"])
    assert info.id == child["id"] and info.card_data["base_model"] == child["cardData"]["base_model"]
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/nothing")


# -- a hostile or broken Hub (issue 10, item 8): every case ends, in bounded time, with exit 2 -------------
def _not_complete(store: Store) -> None:
    (snap,) = store.snapshots()
    assert not snap.complete and crawl_rows(store) == 1  # resumable, never marked a census


# no fault below needs a short read timeout: a generous one keeps request counts exact on a loaded machine
CALM = RetryPolicy(timeout=15.0, max_attempts=4, backoff_base=0.02, backoff_cap=0.1)


@pytest.mark.parametrize(("page", "loop_to"), [(1, 1), (2, 1), (2, 0)])
def test_a_next_link_back_to_a_page_already_read_stops_the_crawl(hub, store, page, loop_to):
    hub.fail_page(page, fakehub.Fault("loop", loop_to=loop_to), times=100)
    t0 = time.monotonic()
    with pytest.raises(HubCrawlError, match=r"the listing loops; stopped, the snapshot is not complete") as info:
        pull_hub(store, progress=False, retry=CALM)
    assert time.monotonic() - t0 < 30
    assert len(hub.listing_requests()) == page + 1  # not one request more than the pages read
    if loop_to:
        assert "repeats cursor 'cursor=" in str(info.value)
    _not_complete(store)
    assert store.snapshots()[0].row_count == page * 1000  # the pages before the looping one are kept


def test_cli_loop_is_exit_2_naming_the_cursor(hub, tmp_path, capsys):
    hub.fail_page(1, fakehub.Fault("loop", loop_to=1), times=100)
    assert run(["--db", str(tmp_path / "loop.duckdb"), "pull", "hub"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "repeats cursor 'cursor=" in err and "Traceback" not in err


SLOW = RetryPolicy(timeout=5.0, page_deadline=1.5, max_attempts=2, backoff_base=0.02, backoff_cap=0.05)


@pytest.mark.parametrize("kind", ["trickle", "trickle_headers"])
def test_a_page_trickling_one_byte_at_a_time_is_cut_at_its_deadline(hub, store, kind):
    # each byte arrives well within the 5 s read timeout, so only the page deadline can stop it
    hub.fail_page(0, fakehub.Fault(kind, delay=0.1), times=SLOW.max_attempts)
    t0 = time.monotonic()
    with pytest.raises(HubCrawlError, match=r"deadline \(server too slow\), 2 attempts in a row"):
        pull_hub(store, progress=False, retry=SLOW)
    took = time.monotonic() - t0
    assert took < SLOW.max_attempts * (SLOW.page_deadline + 0.5) + 1, took
    _not_complete(store)
    assert store.snapshots()[0].row_count == 0


def test_a_page_that_trickled_once_is_retried_and_nothing_is_lost(hub, store):
    hub.fail_page(1, fakehub.Fault("trickle", delay=0.1), times=1)
    res = pull_hub(store, progress=False, retry=RetryPolicy(timeout=15.0, page_deadline=1.5, max_attempts=4,
                                                            backoff_base=0.02, backoff_cap=0.05))
    assert res.snapshot.complete and res.snapshot.row_count == N


def test_page_deadline_from_the_environment(monkeypatch):
    monkeypatch.setenv("MODELCENSUS_HUB_PAGE_DEADLINE", "7.5")
    assert RetryPolicy.from_env().page_deadline == 7.5
    monkeypatch.setenv("MODELCENSUS_HUB_PAGE_DEADLINE", "0")
    with pytest.raises(InputError, match="MODELCENSUS_HUB_PAGE_DEADLINE"):
        RetryPolicy.from_env()


def test_a_redirect_to_another_host_is_refused_and_nothing_of_it_imported(hub, store, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    monkeypatch.delenv("HF_HUB_DISABLE_IMPLICIT_TOKEN")
    with fakehub.FakeHub(n_models=50, seed=9) as other:
        hub.fail_page(0, fakehub.Fault("redirect", location=other.url + "{path}"))
        with pytest.raises(HubCrawlError, match=r"redirected to another host .*refused, nothing from it is imported"):
            pull_hub(store, progress=False, retry=CALM)
        assert other.requests == []  # never asked, so the token never left and no data came back
    _not_complete(store)
    assert store.snapshots()[0].row_count == 0


def test_a_redirect_on_the_same_host_is_followed(hub, store):
    hub.fail_page(1, fakehub.Fault("redirect"))
    res = pull_hub(store, progress=False, retry=CALM)
    assert res.snapshot.complete and res.snapshot.row_count == N
    assert len(hub.listing_requests()) == 3 + 1


def test_json_nested_beyond_reason_is_exit_2_not_a_crash(hub, store, tmp_path, capsys):
    hub.fail_page(0, fakehub.Fault("deep_json"), times=10)
    with pytest.raises(HubCrawlError, match="nested too deeply"):
        pull_hub(store, progress=False, retry=CALM)
    assert len(hub.listing_requests()) == 1  # not transient: not retried
    _not_complete(store)
    assert run(["--db", str(tmp_path / "deep.duckdb"), "pull", "hub"]) == 2
    assert "nested too deeply" in " ".join(capsys.readouterr().err.split())


def test_one_deeply_nested_item_is_skipped_and_the_rest_land(hub, store):
    hub.fail_page(1, fakehub.Fault("deep_item", depth=200))
    res = pull_hub(store, progress=False, retry=CALM)
    assert res.snapshot.complete and res.snapshot.row_count == N - 1
    assert res.skipped.reasons == {"nested deeper than 64 levels": 1}
    assert res.skipped.examples[0]["id"] == hub.models[1000]["id"]
