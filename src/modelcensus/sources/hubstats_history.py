"""``pull hub-stats --history``: fill a folder with one hub-stats ``models.parquet`` per period.

The dataset ``cfahlgren1/hub-stats`` is refreshed by a commit (about daily); each commit is one
cross-section of the Hub. ``HfApi.list_repo_commits`` gives the history; for every period (calendar
month, ISO week starting Monday, or UTC day) inside ``--from``..``--until`` the **latest** commit of the
period is picked: it is the freshest view the period has, and the latest commit of a day, week or month
is the same commit whichever ``--every`` picked it, so runs at different granularities share files.
The file is fetched at that revision with ``hf_hub_download`` (``HF_ENDPOINT``, ``HF_TOKEN``, the cache
and resumable downloads behave as for ``pull hub-stats``) and written as ``DIR/YYYY-MM-DD.parquet``,
named by the commit's UTC date (the observation date), with ``DIR/YYYY-MM-DD.json`` beside it saying
which revision, commit date and title, source repo and file, when it was downloaded, its size, SHA-256
and row count. This folder is what ``--snapshots DIR`` reads.

Safe to interrupt and rerun: a date whose ``.parquet`` and sidecar are both present (and agree on the
size) is skipped without a download. Each file is verified (readable Parquet with the hub-stats columns
the importer needs) under a hidden temporary name, its sidecar is written (atomically), and only then is
the file renamed to ``YYYY-MM-DD.parquet``, so that name never holds a partial or unverified file and
always has its sidecar. A revision that fails is reported by date and sha; the others still go through.

A commit that did not touch ``models.parquet`` carries the file of an earlier commit (as in git): two
dates can then hold the same content, which their sidecars' ``sha256`` shows. While a period is still
running its latest commit can change; a rerun then adds the newer date and keeps the earlier file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pyarrow.parquet as pq
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError

from modelcensus import __version__
from modelcensus.dates import parse_when
from modelcensus.errors import InputError, ModelcensusError
from modelcensus.sources.hub_api import current_endpoint
from modelcensus.sources.hub_pages import HubCrawlError
from modelcensus.sources.hubstats import describe_layout
from modelcensus.sources.hubstats_pull import (
    _FILENAME,
    _REPO,
    _SHA,
    HUBSTATS_FILE,
    HUBSTATS_REPO,
    _check,
    _first_line,
    download_file,
)
from modelcensus.store import Store
from modelcensus.store.files import file_digest
from modelcensus.untrusted import output_folder

EVERY = ("month", "week", "day")
SIDECAR_VERSION = 1
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PART = re.compile(r"^\.\d{4}-\d{2}-\d{2}\.(parquet|json)\.(\d+)\.part$")
_TITLE_MAX = 300


@dataclass(frozen=True)
class Pick:
    """The commit chosen for one period."""

    date: date  # the commit's UTC date: the file's name and its observation date
    period: str  # 2025-06 (month), 2025-W23 (ISO week), 2025-06-01 (day)
    revision: str
    commit_date: datetime
    title: str


@dataclass(frozen=True)
class HistoryItem:
    """What happened to one picked revision: ``fetched``, ``present`` (skipped) or ``failed`` (``error`` says why)."""

    pick: Pick
    status: str
    path: Path | None = None
    error: str | None = None
    rows: int | None = None

    def line(self) -> str:
        p = self.pick
        head = f"{p.date.isoformat()} ({p.period}) {p.revision[:12]}"
        if self.status == "fetched":
            return f"{head}: fetched, {self.rows:,} rows -> {self.path}"
        if self.status == "present":
            return f"{head}: already present"
        return f"{head}: failed: {self.error}"


@dataclass
class HistoryResult:
    """The run: which commits were seen and picked, and each pick's outcome."""

    out_dir: Path
    repo: str
    filename: str
    every: str
    since: date
    until: date
    commits_seen: int = 0
    items: list[HistoryItem] = field(default_factory=list)

    def _with(self, status: str) -> list[HistoryItem]:
        return [i for i in self.items if i.status == status]

    @property
    def fetched(self) -> list[HistoryItem]:
        return self._with("fetched")

    @property
    def present(self) -> list[HistoryItem]:
        return self._with("present")

    @property
    def failed(self) -> list[HistoryItem]:
        return self._with("failed")

    def summary(self) -> str:
        return (f"{self.repo}/{self.filename} every {self.every} from {self.since} to {self.until}: "
                f"{len(self.items)} revision(s) picked from {self.commits_seen} commit(s); "
                f"{len(self.fetched)} fetched, {len(self.present)} already present, {len(self.failed)} failed "
                f"-> {self.out_dir}")


def period_of(day: date, every: str) -> tuple[date, str]:
    """The period ``day`` falls in: its first day and its label."""
    if every == "day":
        return day, day.isoformat()
    if every == "week":
        iso = day.isocalendar()
        return day - timedelta(days=day.weekday()), f"{iso.year}-W{iso.week:02d}"
    return day.replace(day=1), f"{day.year}-{day.month:02d}"


def pick_revisions(commits: Iterable[Any], since: date, until: date, every: str) -> tuple[list[Pick], int]:
    """The latest commit of each period with commits dated ``since``..``until`` (UTC, inclusive), oldest first.

    ``commits`` are ``GitCommitInfo``-like (``commit_id``, ``created_at``, ``title``), newest first as the
    Hub lists them; on equal timestamps the one listed first wins. Returns the picks and how many commits
    were looked at. Commits without a date are ignored; ids are checked later, per pick.
    """
    best: dict[date, tuple[datetime, int, Any]] = {}
    seen = 0
    for n, c in enumerate(commits):
        seen += 1
        ts = getattr(c, "created_at", None)
        if not isinstance(ts, datetime):
            continue
        ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        if not since <= ts.date() <= until:
            continue
        start, _ = period_of(ts.date(), every)
        if start not in best or (ts, -n) > best[start][:2]:
            best[start] = (ts, -n, c)
    picks = []
    for start in sorted(best):
        ts, _, c = best[start]
        title = str(getattr(c, "title", "") or "")[:_TITLE_MAX]
        picks.append(Pick(ts.date(), period_of(ts.date(), every)[1], str(getattr(c, "commit_id", "")), ts, title))
    return picks, seen


def _day(value: str | date | datetime | None, what: str) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    ts = parse_when(value, what, future_slack=timedelta(0))
    return ts.date() if ts is not None else None


def _list_commits(repo_id: str, url: str, token: str | None) -> list[Any]:
    try:
        return HfApi(endpoint=url, token=token).list_repo_commits(repo_id, repo_type="dataset")
    except RepositoryNotFoundError:
        raise InputError(f"dataset {repo_id}: not found at {url} (or private without a token)") from None
    except (HfHubHTTPError, OfflineModeIsEnabled) as exc:
        raise HubCrawlError(f"{repo_id}: cannot list its commits ({_first_line(exc)})") from None
    except (OSError, httpx2.HTTPError, KeyError, TypeError, ValueError) as exc:
        raise HubCrawlError(f"{repo_id}: cannot list its commits ({type(exc).__name__}: "
                            f"{_first_line(exc)})") from None


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def is_complete(out: Path, day: date) -> bool:
    """``YYYY-MM-DD.parquet`` is there with a sidecar naming a revision and the file's exact size."""
    data, side = out / f"{day.isoformat()}.parquet", out / f"{day.isoformat()}.json"
    if not data.is_file():
        return False
    doc = _read_sidecar(side)
    return (doc is not None and isinstance(doc.get("revision"), str) and bool(_SHA.match(doc["revision"]))
            and doc.get("bytes") == data.stat().st_size)


def _sweep_parts(out: Path) -> None:
    """Remove temporary files left by a run that was killed (its process no longer exists)."""
    for p in out.iterdir():
        m = _PART.match(p.name)
        if not m or int(m.group(2)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(2)), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                p.unlink()
        except (PermissionError, OverflowError, ValueError):
            pass  # someone else's live process, or not a pid: leave it


def _verify(store: Store, path: Path, label: str) -> tuple[int, list[str]]:
    """Rows and columns of a readable hub-stats Parquet file; :class:`InputError` otherwise."""
    try:
        columns = describe_layout(store, path)
    except InputError as exc:
        # the importer's message names the temporary file: name the revision instead
        raise InputError(str(exc).replace(str(path), label)) from None
    try:
        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:  # noqa: BLE001 - any pyarrow failure means the file is not usable
        raise InputError(f"{label}: not a readable Parquet file ({_first_line(exc)})") from None
    return int(rows), sorted(columns)


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.unlink(missing_ok=True)  # never write through whatever a killed run (or anyone) left there
        tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _fetch(pick: Pick, out: Path, store: Store, *, repo_id: str, filename: str, every: str, url: str,
           token: str | None) -> HistoryItem:
    """Download, verify and commit one picked revision into ``out``."""
    day = pick.date.isoformat()
    label = f"{filename}@{pick.revision[:12]}"
    if not _SHA.match(pick.revision):
        return HistoryItem(pick, "failed", error=f"{pick.revision[:60]!r}: not a commit sha")
    final, side = out / f"{day}.parquet", out / f"{day}.json"
    tmp = out / f".{day}.parquet.{os.getpid()}.part"
    try:
        downloaded_at = datetime.now(UTC)
        local = download_file(repo_id, filename, revision=pick.revision, url=url, token=token,
                              revision_label="revision")
        tmp.unlink(missing_ok=True)
        # a copy, not a hard link to the cached blob: a file edited in the folder must not
        # corrupt the cache (nor another date holding the same content)
        shutil.copyfile(local.resolve(), tmp)
        rows, columns = _verify(store, tmp, label)
        doc = {"sidecar_version": SIDECAR_VERSION, "date": day, "period": pick.period, "every": every,
               "repo": repo_id, "repo_type": "dataset", "file": filename, "revision": pick.revision,
               "commit_date": pick.commit_date.isoformat().replace("+00:00", "Z"), "commit_title": pick.title,
               "picked": f"latest commit of the {every} {pick.period} within --from/--until",
               "downloaded_at": downloaded_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
               "bytes": tmp.stat().st_size, "sha256": file_digest(tmp), "rows": rows, "columns": columns,
               "tool": f"modelcensus {__version__}"}
        _write_json(side, doc)  # the sidecar first: a .parquet name never appears without one
        os.replace(tmp, final)
        return HistoryItem(pick, "fetched", path=final, rows=rows)
    except ModelcensusError as exc:
        return HistoryItem(pick, "failed", error=_first_line(exc))
    except OSError as exc:
        return HistoryItem(pick, "failed", error=f"cannot write into {out} ({exc.strerror or exc})")
    finally:
        tmp.unlink(missing_ok=True)


def pull_hubstats_history(out_dir: str | Path, *, since: str | date | datetime,
                          until: str | date | datetime | None = None, every: str = "month",
                          repo_id: str = HUBSTATS_REPO, filename: str = HUBSTATS_FILE,
                          endpoint: str | None = None, token: str | None = None,
                          progress: Callable[[HistoryItem], None] | None = None) -> HistoryResult:
    """Fill ``out_dir`` with ``YYYY-MM-DD.parquet`` (+ ``.json`` sidecar) per ``every`` period since ``since``.

    ``until`` defaults to today (UTC); both are inclusive UTC dates and may not lie in the future.
    Dates already present are skipped without a download; a revision that fails is recorded in the
    result (``failed``) and the others still go through. ``progress`` is called once per picked revision.
    """
    if every not in EVERY:
        raise InputError(f"--every {every!r}: expected one of {', '.join(EVERY)}")
    start = _day(since, "--from")
    if start is None:
        raise InputError("--from: a start date is required (e.g. --from 2025-01-01)")
    end = _day(until, "--until") or datetime.now(UTC).date()
    if start > end:
        raise InputError(f"--from {start} lies after --until {end}")
    _check(repo_id, "dataset", _REPO)
    _check(filename, "file name", _FILENAME)
    url = current_endpoint(endpoint)
    out = output_folder(out_dir)

    picks, seen = pick_revisions(_list_commits(repo_id, url, token), start, end, every)
    result = HistoryResult(out, repo_id, filename, every, start, end, commits_seen=seen)
    _sweep_parts(out)
    with Store(":memory:") as store:  # only to run the importer's column check on each file
        for pick in picks:
            if is_complete(out, pick.date):
                item = HistoryItem(pick, "present", path=out / f"{pick.date.isoformat()}.parquet")
            else:
                item = _fetch(pick, out, store, repo_id=repo_id, filename=filename, every=every, url=url,
                              token=token)
            result.items.append(item)
            if progress is not None:
                progress(item)
    return result


def dated_files(out_dir: str | Path) -> list[Path]:
    """The complete ``YYYY-MM-DD.parquet`` files of a history folder, oldest first."""
    out = Path(out_dir)
    found = []
    for p in sorted(out.glob("*.parquet")):
        with contextlib.suppress(ValueError):  # 2025-13-45.parquet is not ours
            if _DATED.match(p.stem) and is_complete(out, date.fromisoformat(p.stem)):
                found.append(p)
    return found


__all__ = ["EVERY", "HistoryItem", "HistoryResult", "Pick", "dated_files", "is_complete", "period_of",
           "pick_revisions", "pull_hubstats_history"]
