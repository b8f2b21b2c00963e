"""Curated model lists (ATOM-style ``org,model,modelId`` CSVs) as named populations.

A population is the list as the file gives it: re-importing the same file changes nothing,
importing a newer version under the same name replaces the membership (in one transaction).
Ids match case-insensitively; rows without a valid Hub id, or repeating one, are skipped and
reported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from modelcensus.errors import InputError
from modelcensus.sources.ingest import (
    CORRUPT_ERRORS,
    PopulationResult,
    Sniffed,
    corrupt,
    open_content,
    sniff,
)
from modelcensus.store import SkipReport, Store
from modelcensus.store.populations import population_ids, population_members, replace_population
from modelcensus.store.staging import ID_PATTERN, MAX_ID_LEN

CURATED_COLUMNS = {"org", "model", "modelId"}
MAX_ROWS = 1_000_000
_ID = re.compile(ID_PATTERN)


@dataclass
class Member:
    model_id: str
    org: str | None


def is_curated_header(header: list[str]) -> bool:
    """ATOM's layout: ``modelId`` plus optionally ``org`` and ``model``, nothing else."""
    cols = {h.strip() for h in header}
    return "modelId" in cols and cols <= CURATED_COLUMNS


def default_name(path: Path) -> str:
    """``models.csv`` -> ``atom``, ``extra_models.csv`` -> ``atom-extra``,
    ``models_first_version.csv`` -> ``atom-first-version``; other files -> their stem."""
    stem = path.name.split(".", 1)[0].lower()
    parts = [p for p in re.split(r"[^a-z0-9]+", stem) if p]
    rest = [p for p in parts if p != "models"]
    return "-".join(["atom", *rest]) if "models" in parts else "-".join(parts) or "population"


def read_members(sn: Sniffed) -> tuple[list[Member], SkipReport]:
    """Members in file order, de-duplicated case-insensitively; bad rows counted."""
    skipped = SkipReport()
    members: list[Member] = []
    seen: set[str] = set()
    with open_content(sn.path, sn.compressed) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        try:
            reader = csv.DictReader(text)
            for pos, row in enumerate(reader, start=1):
                if pos > MAX_ROWS:
                    raise InputError(f"{sn.path}: more than {MAX_ROWS} rows, not a curated list")
                mid = (row.get("modelId") or "").strip()
                org = (row.get("org") or "").strip() or None
                if any("\udc80" <= ch <= "\udcff" for ch in mid + (org or "")):
                    skipped.add("row is not valid UTF-8", None, pos)
                elif not mid:
                    skipped.add("missing modelId", None, pos)
                elif len(mid) > MAX_ID_LEN or not _ID.fullmatch(mid):
                    skipped.add("modelId is not a Hub model id", mid[:80], pos)
                elif mid.lower() in seen:
                    skipped.add("duplicate modelId", mid, pos)
                else:
                    seen.add(mid.lower())
                    members.append(Member(mid, org))
        except csv.Error as exc:
            raise InputError(f"{sn.path}: not a readable CSV ({exc})") from None
        except CORRUPT_ERRORS as exc:
            raise corrupt(sn.path, exc) from None
    return members, skipped


def import_population_in_transaction(store: Store, sn: Sniffed, *, name: str | None = None) -> PopulationResult:
    """Make population ``name`` exactly the file's list; the caller holds the transaction."""
    pop = name or default_name(sn.path)
    members, skipped = read_members(sn)
    if not members:
        raise InputError(f"{sn.path}: no valid modelId in the list ({skipped.count} rows skipped)")
    current = population_members(store, pop)
    wanted = {m.model_id for m in members}
    if current == wanted:
        return PopulationResult(pop, str(sn.path), len(members), 0, 0, True, skipped)
    replace_population(store, pop, [(m.model_id, m.org) for m in members], source_ref=str(sn.path),
                       imported_at=datetime.now(UTC))
    return PopulationResult(pop, str(sn.path), len(members), len(wanted - current), len(current - wanted),
                            False, skipped)


def import_population(store: Store, path: str | Path, *, name: str | None = None) -> PopulationResult:
    """Import one curated list as population ``name`` (default from the file name), atomically."""
    sn = sniff(Path(path))
    if sn.kind != "csv":
        raise InputError(f"{path}: a curated list must be a CSV with a modelId column")
    from modelcensus.sources.flatfile import csv_header

    if not is_curated_header(csv_header(sn)):
        raise InputError(f"{path}: not a curated list (expected the columns org, model, modelId)")
    with store.transaction():
        return import_population_in_transaction(store, sn, name=name)


def population(store: Store, name: str) -> list[str]:
    """Member ids of a population (stored spelling)."""
    return population_ids(store, name)
