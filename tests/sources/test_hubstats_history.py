"""`pull hub-stats --history` against the fake Hub serving a dataset repo with a commit history."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import fakehub
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus.cli.main import run
from modelcensus.errors import InputError
from modelcensus.sources.hubstats_history import dated_files, pick_revisions, pull_hubstats_history
from modelcensus.sources.hubstats_pull import HUBSTATS_FILE, HUBSTATS_REPO

# (commit date, what the commit does to models.parquet); versions are told apart by their row count
HISTORY = [
    ("2025-01-06T08:00:00.000Z", 10),  # Mon, ISO week 2
    ("2025-01-08T08:00:00.000Z", 20),  # Wed, week 2
    ("2025-01-20T08:00:00.000Z", 30),  # Mon, week 4
    ("2025-01-20T20:00:00.000Z", 40),  # same day, later: the day's (and January's) latest
    ("2025-02-03T08:00:00.000Z", 50),  # week 6
    ("2025-02-14T08:00:00.000Z", 60),  # week 7, February's latest
    ("2025-03-03T08:00:00.000Z", None),  # week 10: touches another file only; models.parquet stays v60
]


def hubstats_parquet(models: list[dict]) -> bytes:
    table = pa.Table.from_pylist([{
        "id": m["id"], "author": m["author"], "createdAt": m["createdAt"], "lastModified": m["lastModified"],
        "downloads": m["downloads"], "downloadsAllTime": m["downloadsAllTime"], "likes": m["likes"],
        "tags": m["tags"],
    } for m in models])
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture
def hub(monkeypatch, tmp_path):
    fakehub.isolate_hf_env(monkeypatch, tmp_path)
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    with fakehub.FakeHub(n_models=60, seed=5) as h:
        monkeypatch.setenv("HF_ENDPOINT", h.url)
        h.commits_page_size = 2  # list_repo_commits must follow the Link pages
        h.sha = {}  # commit date -> sha
        h.body = {}  # commit date -> the models.parquet bytes as of that commit
        current = b""
        for when, rows in HISTORY:
            files = {"models.parquet": hubstats_parquet(h.models[:rows])} if rows else {"datasets.parquet": b"x"}
            current = files.get("models.parquet", current)
            h.sha[when[:16]] = h.add_dataset_commit(HUBSTATS_REPO, files, date=when).sha
            h.body[when[:16]] = current
        yield h


def sha_of(hub, when: str) -> str:
    return hub.sha[when]


def listing(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


@pytest.mark.parametrize(("every", "picked"), [
    ("month", ["2025-01-20T20:00", "2025-02-14T08:00", "2025-03-03T08:00"]),
    ("week", ["2025-01-08T08:00", "2025-01-20T20:00", "2025-02-03T08:00", "2025-02-14T08:00", "2025-03-03T08:00"]),
    ("day", ["2025-01-06T08:00", "2025-01-08T08:00", "2025-01-20T20:00", "2025-02-03T08:00", "2025-02-14T08:00",
             "2025-03-03T08:00"]),
])
def test_each_period_gets_its_latest_commit(hub, tmp_path, every, picked):
    out = tmp_path / "history"
    res = pull_hubstats_history(out, since="2025-01-01", until="2025-03-31", every=every)
    assert [i.pick.revision for i in res.items] == [sha_of(hub, w) for w in picked]
    assert (len(res.fetched), len(res.present), len(res.failed)) == (len(picked), 0, 0)
    assert res.commits_seen == len(HISTORY)
    assert listing(out) == sorted([f"{w[:10]}.parquet" for w in picked] + [f"{w[:10]}.json" for w in picked])
    for w in picked:
        # the bytes served at that revision (the March commit carries February's file, as in git)
        assert (out / f"{w[:10]}.parquet").read_bytes() == hub.body[w]
    assert dated_files(out) == [out / f"{w[:10]}.parquet" for w in picked]


def test_from_and_until_clip_the_periods(hub, tmp_path):
    res = pull_hubstats_history(tmp_path / "h", since="2025-01-07", until="2025-02-10", every="month")
    # January's latest is still the 20th; February's is the 3rd because the 14th is after --until
    assert [i.pick.date for i in res.items] == [date(2025, 1, 20), date(2025, 2, 3)]
    assert [i.pick.revision for i in res.items] == [sha_of(hub, "2025-01-20T20:00"), sha_of(hub, "2025-02-03T08:00")]


def test_picking_rules_on_plain_commit_records():
    def c(sha: str, ts: datetime, title: str = "t") -> SimpleNamespace:
        return SimpleNamespace(commit_id=sha, created_at=ts, title=title)

    commits = [  # newest first, as the Hub lists them
        c("b" * 40, datetime(2025, 5, 31, 23, 0)),  # naive: read as UTC
        c("a" * 40, datetime(2025, 5, 31, 23, 0, tzinfo=UTC)),  # same instant, listed later: loses
        c("e" * 40, datetime(2025, 5, 2, tzinfo=UTC)),
        SimpleNamespace(commit_id="f" * 40, created_at=None, title="no date"),
        c("d" * 40, datetime(2025, 4, 30, 23, 59, tzinfo=UTC), "x" * 1000),
    ]
    picks, seen = pick_revisions(commits, date(2025, 4, 1), date(2025, 5, 31), "month")
    assert seen == 5
    assert [(p.period, p.revision[0], p.date) for p in picks] == [("2025-04", "d", date(2025, 4, 30)),
                                                                ("2025-05", "b", date(2025, 5, 31))]
    assert len(picks[0].title) == 300
    picks, _ = pick_revisions(commits, date(2025, 5, 1), date(2025, 5, 30), "week")
    assert [(p.period, p.revision[0]) for p in picks] == [("2025-W18", "e")]


def test_a_rerun_skips_present_dates_without_downloading(hub, tmp_path):
    out = tmp_path / "h"
    pull_hubstats_history(out, since="2025-01-01", until="2025-03-31")
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    hub.requests.clear()
    again = pull_hubstats_history(out, since="2025-01-01", until="2025-03-31")
    assert (len(again.fetched), len(again.present), len(again.failed)) == (0, 3, 0)
    assert hub.count("/datasets/", method="GET") == 0 and hub.count("/datasets/", method="HEAD") == 0
    assert hub.count(f"/api/datasets/{HUBSTATS_REPO}/commits/") >= 1  # the history is always read afresh
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before

    # a date is present only with its sidecar and at the size the sidecar records
    (out / "2025-01-20.json").unlink()
    with (out / "2025-02-14.parquet").open("ab") as fh:
        fh.write(b"junk")
    hub.requests.clear()
    third = pull_hubstats_history(out, since="2025-01-01", until="2025-03-31")
    assert sorted(str(i.pick.date) for i in third.fetched) == ["2025-01-20", "2025-02-14"]
    assert [str(i.pick.date) for i in third.present] == ["2025-03-03"]
    assert (out / "2025-02-14.parquet").read_bytes() == hub.body["2025-02-14T08:00"]
    assert json.loads((out / "2025-01-20.json").read_text())["revision"] == sha_of(hub, "2025-01-20T20:00")


def test_a_bad_revision_is_reported_by_date_and_sha_and_the_others_are_kept(hub, tmp_path):
    bad = hub.add_dataset_commit(HUBSTATS_REPO, {"models.parquet": b"<html>not parquet</html>"},
                                 date="2025-04-10T08:00:00.000Z")
    no_id = hub.add_dataset_commit(HUBSTATS_REPO, {"models.parquet": _parquet_without_ids()},
                                   date="2025-05-10T08:00:00.000Z")
    gone = hub.add_dataset_commit(HUBSTATS_REPO, {"models.parquet": None}, date="2025-06-10T08:00:00.000Z")
    hub.add_dataset_commit(HUBSTATS_REPO, {"models.parquet": hubstats_parquet(hub.models[:7])},
                           date="2025-07-10T08:00:00.000Z")
    out = tmp_path / "h"
    res = pull_hubstats_history(out, since="2025-01-01", until="2025-07-31")
    assert (len(res.fetched), len(res.present), len(res.failed)) == (4, 0, 3)
    failed = {str(i.pick.date): i for i in res.failed}
    assert failed["2025-04-10"].pick.revision == bad.sha and "not a readable Parquet" in failed["2025-04-10"].error
    assert "2025-04-10" in failed["2025-04-10"].line() and bad.sha[:12] in failed["2025-04-10"].line()
    assert "without an id column" in failed["2025-05-10"].error and no_id.sha[:12] in failed["2025-05-10"].line()
    assert "no file 'models.parquet'" in failed["2025-06-10"].error and gone.sha[:12] in failed["2025-06-10"].line()
    assert str(tmp_path) not in failed["2025-04-10"].error  # the revision is named, not our temporary file
    # the good ones went through, before and after the bad ones; the bad ones left nothing behind
    assert [p.stem for p in dated_files(out)] == ["2025-01-20", "2025-02-14", "2025-03-03", "2025-07-10"]
    assert listing(out) == sorted(f"{d}.{ext}" for d in ("2025-01-20", "2025-02-14", "2025-03-03", "2025-07-10")
                                  for ext in ("parquet", "json"))
    assert pq.read_metadata(out / "2025-07-10.parquet").num_rows == 7


def _parquet_without_ids() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"name": ["a", "b"], "downloads": [1, 2]}), buf)
    return buf.getvalue()


def test_the_cli_exit_code_and_summary_count_each_outcome(hub, tmp_path, capsys):
    hub.add_dataset_commit(HUBSTATS_REPO, {"models.parquet": b"garbage"}, date="2025-04-10T08:00:00.000Z")
    out = tmp_path / "h"
    args = ["pull", "hub-stats", "--history", "--from", "2025-01-01", "--until", "2025-03-31", "--out", str(out)]
    assert run(args) == 0
    text = capsys.readouterr().out
    assert "3 fetched, 0 already present, 0 failed" in text and "2025-01-20 (2025-01)" in text
    args[args.index("2025-03-31")] = "2025-04-30"
    assert run(args) == 2
    cap = capsys.readouterr()
    assert "0 fetched, 3 already present, 1 failed" in cap.out
    assert "2025-04-10 (2025-04)" in cap.err and "not a readable Parquet" in cap.err
    assert "1 of 4 revision(s) failed (2025-04-10 " in cap.err and "rerun to retry" in cap.err


def test_an_interrupted_run_leaves_no_partial_file_and_resumes(hub, tmp_path, monkeypatch):
    out = tmp_path / "h"
    out.mkdir()
    # leftovers of a run killed earlier: a temporary file of a dead process and a sidecar without its file
    (out / ".2025-02-14.parquet.999999999.part").write_bytes(b"half")
    (out / "2025-02-14.json").write_text('{"revision": "stale"}')

    real_copy = shutil.copyfile
    calls = []

    def copy_then_die(src, dst, *a, **k):
        calls.append(dst)
        if len(calls) == 2:  # the second file: half of it written, then Ctrl-C
            Path(dst).write_bytes(Path(src).read_bytes()[:100])
            raise KeyboardInterrupt
        return real_copy(src, dst, *a, **k)

    monkeypatch.setattr(shutil, "copyfile", copy_then_die)
    with pytest.raises(KeyboardInterrupt):
        pull_hubstats_history(out, since="2025-01-01", until="2025-03-31")
    assert Path(calls[1]).name.startswith(".2025-02-14.parquet.")
    assert listing(out) == ["2025-01-20.json", "2025-01-20.parquet", "2025-02-14.json"]
    assert [p.stem for p in dated_files(out)] == ["2025-01-20"]

    monkeypatch.setattr(shutil, "copyfile", real_copy)
    res = pull_hubstats_history(out, since="2025-01-01", until="2025-03-31")
    assert [(str(i.pick.date), i.status) for i in res.items] == [
        ("2025-01-20", "present"), ("2025-02-14", "fetched"), ("2025-03-03", "fetched")]
    assert (out / "2025-02-14.parquet").read_bytes() == hub.body["2025-02-14T08:00"]
    assert len(listing(out)) == 6


def test_sidecar_says_where_the_file_came_from(hub, tmp_path):
    out = tmp_path / "h"
    before = datetime.now(UTC).replace(microsecond=0)
    pull_hubstats_history(out, since="2025-02-01", until="2025-02-28")
    doc = json.loads((out / "2025-02-14.json").read_text())
    data = (out / "2025-02-14.parquet").read_bytes()
    assert doc["revision"] == sha_of(hub, "2025-02-14T08:00")
    assert doc["commit_date"] == "2025-02-14T08:00:00Z"
    assert doc["commit_title"] == "Upload models.parquet"
    assert (doc["repo"], doc["repo_type"], doc["file"]) == (HUBSTATS_REPO, "dataset", HUBSTATS_FILE)
    assert (doc["date"], doc["period"], doc["every"]) == ("2025-02-14", "2025-02", "month")
    assert before <= datetime.fromisoformat(doc["downloaded_at"]) <= datetime.now(UTC)
    assert doc["bytes"] == len(data) and doc["sha256"] == hashlib.sha256(data).hexdigest()
    assert doc["rows"] == 60 and "id" in doc["columns"]
    assert "latest commit" in doc["picked"]


@pytest.mark.parametrize(("extra", "named"), [
    (["--every", "year"], "--every 'year'"),
    (["--from", "last tuesday"], "--from 'last tuesday'"),
    (["--from", "2099-01-01"], "--from '2099-01-01': lies in the future"),
    (["--until", "2099-01-01"], "--until '2099-01-01': lies in the future"),
    (["--from", "2025-03-01", "--until", "2025-02-01"], "--from 2025-03-01 lies after --until 2025-02-01"),
    (["--from", "1999-01-01"], "--from '1999-01-01'"),
])
def test_bad_history_options_exit_2_naming_the_input(hub, tmp_path, capsys, extra, named):
    out = tmp_path / "h"
    args = ["pull", "hub-stats", "--history", "--from", "2025-01-01", "--out", str(out)]
    for opt, value in zip(extra[::2], extra[1::2], strict=True):
        if opt in args:
            args[args.index(opt) + 1] = value
        else:
            args += [opt, value]
    assert run(args) == 2
    assert capsys.readouterr().err.startswith(f"modelcensus: {named}")
    assert hub.requests == [] and not out.exists()


@pytest.mark.parametrize(("args", "named"), [
    (["--history", "--out", "{out}"], "--from: required"),
    (["--history", "--from", "2025-01-01"], "--out: required"),
    (["--history", "--from", "2025-01-01", "--out", "{file}"], "--out '{file}': not a folder"),
    (["--history", "--revision", "main", "--from", "2025-01-01", "--out", "{out}"], "--revision: not with"),
    (["--from", "2025-01-01"], "--from: only with --history"),
    (["--every", "week"], "--every: only with --history"),
])
def test_history_options_go_together(hub, tmp_path, capsys, args, named):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    fill = {"out": str(tmp_path / "h"), "file": str(afile)}
    assert run(["pull", "hub-stats", *[a.format(**fill) for a in args]]) == 2
    assert capsys.readouterr().err.startswith(f"modelcensus: {named.format(**fill)}")
    assert hub.requests == [] and not (tmp_path / "h").exists()


def test_untrusted_repo_ids_and_an_unknown_dataset(hub, tmp_path):
    with pytest.raises(InputError, match="dataset"):
        pull_hubstats_history(tmp_path / "h", since="2025-01-01", repo_id="../../etc")
    with pytest.raises(InputError, match="file name"):
        pull_hubstats_history(tmp_path / "h", since="2025-01-01", filename="../models.parquet")
    with pytest.raises(InputError, match="not found"):
        pull_hubstats_history(tmp_path / "h", since="2025-01-01", repo_id="nobody/nothing")


def test_a_commit_id_that_is_not_a_sha_is_one_failed_item(hub, tmp_path, monkeypatch):
    from huggingface_hub import HfApi

    real = HfApi.list_repo_commits

    def with_a_bad_id(self, *a, **k):
        commits = real(self, *a, **k)
        commits[0].commit_id = "../../../etc/passwd"
        return commits

    monkeypatch.setattr(HfApi, "list_repo_commits", with_a_bad_id)
    res = pull_hubstats_history(tmp_path / "h", since="2025-01-01", until="2025-03-31")
    assert [(str(i.pick.date), i.status) for i in res.items] == [
        ("2025-01-20", "fetched"), ("2025-02-14", "fetched"), ("2025-03-03", "failed")]
    assert "not a commit sha" in res.failed[0].error
    assert hub.count("/datasets/", method="HEAD") == 2


def test_an_unreachable_hub_is_a_clear_error_and_writes_nothing(hub, tmp_path, monkeypatch, capsys):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    # huggingface_hub retries a refused connection 5 times with back-off (1+2+4+8+8 s): skip the waits
    import threading
    import time

    import huggingface_hub.utils._http as hf_http

    # hf_http.time is the process-wide time module: other threads (a Spark session's, left by an earlier test)
    # sleep through it too, so only this thread's waits are skipped and counted
    real_sleep, me = time.sleep, threading.get_ident()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        if threading.get_ident() == me:
            waits.append(seconds)
        else:
            real_sleep(seconds)

    monkeypatch.setattr(hf_http.time, "sleep", sleep)
    out = tmp_path / "h"
    assert run(["pull", "hub-stats", "--history", "--from", "2025-01-01", "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"modelcensus: {HUBSTATS_REPO}: cannot list its commits")
    assert list(out.iterdir()) == [] and len(waits) == 5


def test_a_dated_file_never_appears_before_its_sidecar(hub, tmp_path, monkeypatch):
    from modelcensus.sources import hubstats_history

    def die(path, doc):
        raise KeyboardInterrupt

    monkeypatch.setattr(hubstats_history, "_write_json", die)
    out = tmp_path / "h"
    with pytest.raises(KeyboardInterrupt):
        pull_hubstats_history(out, since="2025-01-01", until="2025-01-31")
    assert listing(out) == []  # verified and ready, but without its sidecar it is not put in place
