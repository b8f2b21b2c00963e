"""``pull hub-stats``: download the public hub-stats ``models.parquet`` and import it as a snapshot.

The file is fetched with ``huggingface_hub.hf_hub_download`` (so ``HF_ENDPOINT``, ``HF_TOKEN``, the
cache and resumable downloads behave as everywhere else) and handed to the hub-stats Parquet importer
(:mod:`modelcensus.sources.hubstats`), inside one transaction that also records where it came from.
The snapshot is dated by the commit that produced the file, not by when we downloaded it: the dataset
is refreshed daily and each commit is one cross-section of the Hub.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from modelcensus.errors import InputError
from modelcensus.sources.hub_api import current_endpoint
from modelcensus.sources.hub_pages import HubCrawlError
from modelcensus.sources.hubstats import SOURCE, import_hubstats_in_transaction
from modelcensus.store.snapshot_refs import snapshot_by_source_ref
from modelcensus.store.store import ImportResult, SkipReport, Store

HUBSTATS_REPO = "cfahlgren1/hub-stats"
HUBSTATS_FILE = "models.parquet"
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,95}/[A-Za-z0-9][A-Za-z0-9._\-]{0,95}$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,199}$")
_FILENAME = re.compile(r"^[A-Za-z0-9._\-]+(/[A-Za-z0-9._\-]+)*$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def _cache_dir() -> str | None:
    """The Hub cache as the environment says *now* (``huggingface_hub`` reads it once, at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    return None


def _check(value: str, what: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.match(value) or ".." in value:
        raise InputError(f"{what} {value!r}: not a valid Hub {what.lstrip('-')}")
    return value


def _revision_sha(path: Path) -> str | None:
    """The commit a cached download resolved to: its ``snapshots/<sha>/`` folder."""
    for parent in path.parents:
        if parent.parent.name == "snapshots" and _SHA.match(parent.name):
            return parent.name
    return None


def _commit_date(api: HfApi, repo_id: str, sha: str) -> datetime | None:
    """The date of commit ``sha`` as the Hub API reports it (``lastModified`` of the repo at that revision)."""
    try:
        info = api.dataset_info(repo_id, revision=sha)
    except (HfHubHTTPError, OfflineModeIsEnabled, OSError, ValueError):
        return None
    ts = getattr(info, "last_modified", None)
    if not isinstance(ts, datetime):
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def download_file(repo_id: str, filename: str, *, revision: str | None, url: str, token: str | None,
                  revision_label: str = "--revision") -> Path:
    """``hf_hub_download`` of a dataset file into the Hub cache, its failures mapped onto ours.

    A missing revision (named ``revision_label``), file or dataset is an :class:`InputError`; an unreachable
    or refusing Hub is a :class:`HubCrawlError`. Callers validate ``repo_id``, ``filename`` and ``revision``.
    """
    try:
        return Path(hf_hub_download(repo_id, filename, repo_type="dataset", revision=revision,
                                    endpoint=url, token=token, cache_dir=_cache_dir()))
    except (OfflineModeIsEnabled, LocalEntryNotFoundError) as exc:  # before EntryNotFoundError, its base
        raise HubCrawlError(f"{repo_id}/{filename}: cannot download ({_first_line(exc)})") from None
    except RevisionNotFoundError:
        raise InputError(f"{revision_label} {revision!r}: not a revision of dataset {repo_id} at {url}") from None
    except EntryNotFoundError:
        raise InputError(f"{repo_id}: no file {filename!r} at revision {revision or 'main'}") from None
    except RepositoryNotFoundError:
        raise InputError(f"dataset {repo_id}: not found at {url} (or private without a token)") from None
    except HfHubHTTPError as exc:
        raise HubCrawlError(f"{repo_id}/{filename}: download failed ({_first_line(exc)})") from None
    except (OSError, httpx2.HTTPError) as exc:
        raise HubCrawlError(f"{repo_id}/{filename}: download failed ({type(exc).__name__}: "
                            f"{_first_line(exc)})") from None


def pull_hubstats(store: Store, *, revision: str | None = None, repo_id: str = HUBSTATS_REPO,
                  filename: str = HUBSTATS_FILE, observed_at: datetime | None = None,
                  endpoint: str | None = None, token: str | None = None) -> ImportResult:
    """Download ``repo_id``'s ``filename`` at ``revision`` (default: the latest) and import it.

    ``source_ref`` is ``repo@sha`` of the resolved revision; ``observed_at`` is that commit's date
    when the Hub API gives it, else the download time (and the snapshot's notes say so).
    Re-pulling a revision already imported is a no-op (same ``source_ref``, or the importer's fingerprint).
    """
    _check(repo_id, "dataset", _REPO)
    _check(filename, "file name", _FILENAME)
    if revision is not None:
        _check(revision, "--revision", _REVISION)
    url = current_endpoint(endpoint)
    downloaded_at = datetime.now(UTC)
    local = download_file(repo_id, filename, revision=revision, url=url, token=token)

    sha = _revision_sha(local) or (revision if revision and _SHA.match(revision) else None)
    notes: dict[str, Any] = {"repo": repo_id, "file": filename, "requested_revision": revision or "main",
                             "resolved_revision": sha}
    if observed_at is None and sha is not None:
        observed_at = _commit_date(HfApi(endpoint=url, token=token), repo_id, sha)
        if observed_at is not None:
            notes["observed_at_from"] = "commit date of the resolved revision"
    elif observed_at is not None:
        notes["observed_at_from"] = "given by the caller"
    if observed_at is None:
        observed_at = downloaded_at
        notes["observed_at_from"] = ("download time: the commit date of the revision could not be read "
                                     "from the Hub API")

    source_ref = f"{repo_id}@{sha or revision or 'main'}"
    with store.transaction():
        if sha is not None:
            # the commit pins the content: a revision pulled before is not imported twice, even when
            # its date could not be read (and the download time would make a new fingerprint)
            pulled = snapshot_by_source_ref(store, SOURCE, source_ref)
            if pulled is not None:
                return ImportResult(pulled, True, SkipReport())
        result = import_hubstats_in_transaction(store, local, source=SOURCE, source_ref=source_ref,
                                                observed_at=observed_at)
        if not result.already_present:
            current = store.snapshot(result.snapshot.id).notes
            current["observed_at_from"] = notes["observed_at_from"]
            current["pull"] = notes
            store.set_notes(result.snapshot.id, current)
            result = ImportResult(store.snapshot(result.snapshot.id), False, result.skipped)
    return result


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
