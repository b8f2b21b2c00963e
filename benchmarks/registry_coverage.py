"""Registry coverage on the real slices of ../shared/data: how much of each slice the registry places.

    .venv/bin/python benchmarks/registry_coverage.py [--shared ../shared/data] [--top 15]
        [--out benchmarks/results/registry_coverage.json] [--registry FILE ...]

For every slice that names Hub models, each model's **publisher namespace** is looked up in the registry
(``Registry.lookup_model``: case-insensitive, renames and legacy un-namespaced ids such as ``gpt2``
followed). Two shares are reported, by models and, where the slice carries them, by 30-day downloads:

- ``org``: the namespace is a registry organisation (its country may still be null);
- ``country``: the organisation has a country (a public source places it);
- ``root country`` (slices with downloads): the model's lineage root has a country, through the real import and
  lineage build (``api.import_path`` + ``api.ensure_lineage``); ``--no-lineage`` skips it.

The slices and how each is read (one row per distinct model id; ids compared case-insensitively):

- ``hf_hub_snapshot_2022``: the February 2022 Hub listing, ``downloads`` (missing = 0);
- ``hf_model_trees_2025``: ``models_flat.csv.gz``, the latest scrape of each model (its ``downloads``);
- ``atom_models`` / ``atom_extra_models``: ATOM's tracked lists (no downloads: models only);
- ``leaderboard_v2``: Open LLM Leaderboard v2 model ids (no downloads; ``hub_hearts`` = likes reported);
- ``model_atlas_cards``: the child ids of Model Atlas' card-extracted edges (no downloads).

The namespaces left unplaced are listed largest first (``--top``), which is how the registry was extended.
This is a measurement script, not a test; ``tests/lineage/test_registry_coverage.py`` asserts the
thresholds (95 % of downloads for each slice that has downloads) from the same functions.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parent.parent / "shared" / "data"
csv.field_size_limit(1 << 30)


@dataclass
class Row:
    """One model of a slice: id and its 30-day downloads (None when the slice has none)."""

    model_id: str
    downloads: int | None = None
    likes: int | None = None


@dataclass
class Coverage:
    """Counts for one slice; the shares are derived."""

    slice: str
    models: int = 0
    models_org: int = 0
    models_country: int = 0
    downloads: int | None = None
    downloads_org: int = 0
    downloads_country: int = 0
    blockers: Counter = field(default_factory=Counter)        # namespace -> downloads (or models) unplaced
    blocker_kind: dict[str, str] = field(default_factory=dict)  # namespace -> "no org" | "org, country null"

    def share(self, what: str) -> float | None:
        """Share of models (``models_org``...) or downloads (``downloads_country``...)."""
        num = getattr(self, what)
        den = self.downloads if what.startswith("downloads") else self.models
        return None if not den else num / den

    def as_dict(self, top: int) -> dict[str, Any]:
        out: dict[str, Any] = {"slice": self.slice, "models": self.models, "downloads": self.downloads}
        for what in ("models_org", "models_country", "downloads_org", "downloads_country"):
            out[f"share_{what}"] = self.share(what)
        out["top_unplaced"] = [{"namespace": ns, "weight": w, "kind": self.blocker_kind[ns]}
                               for ns, w in self.blockers.most_common(top)]
        return out


def _int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def read_hub_2022(shared: Path) -> Iterator[Row]:
    with gzip.open(shared / "hf_hub_snapshot_2022" / "models_2022-02.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            yield Row(rec["modelId"], _int(rec.get("downloads")) or 0, _int(rec.get("likes")))


def read_trees_2025(shared: Path) -> Iterator[Row]:
    latest: dict[str, dict[str, str]] = {}
    with gzip.open(shared / "hf_model_trees_2025" / "models_flat.csv.gz", "rt", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            mid = rec.get("model_id") or ""
            if "/" not in mid:  # failed-scrape rows carry N/A or a URL, not an id
                continue
            if mid not in latest or rec["snapshot_yyyymmdd"] > latest[mid]["snapshot_yyyymmdd"]:
                latest[mid] = rec
    for mid, rec in latest.items():
        yield Row(mid, _int(rec.get("downloads")) or 0, _int(rec.get("likes")))


def _csv_ids(path: Path, column: str) -> Iterator[Row]:
    with path.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec.get(column):
                yield Row(rec[column].strip())


def read_leaderboard_v2(shared: Path) -> Iterator[Row]:
    with (shared / "llm_leaderboards_fboulnois" / "huggingface_v2_2025-03-21.csv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            yield Row(rec["model_name"].strip(), None, _int(rec.get("metadata_hub_hearts")))


SLICES: dict[str, Any] = {
    "hf_hub_snapshot_2022": read_hub_2022,
    "hf_model_trees_2025": read_trees_2025,
    "atom_models": lambda s: _csv_ids(s / "atom_tracked_models" / "models.csv", "modelId"),
    "atom_extra_models": lambda s: _csv_ids(s / "atom_tracked_models" / "extra_models.csv", "modelId"),
    "leaderboard_v2": read_leaderboard_v2,
    "model_atlas_cards": lambda s: _csv_ids(s / "model_atlas_lineage" / "model_cards_extracted_parent_model_clean.csv",
                                            "id"),
}
WITH_DOWNLOADS = ("hf_hub_snapshot_2022", "hf_model_trees_2025")


def _dedupe(rows: Iterable[Row]) -> list[Row]:
    seen: dict[str, Row] = {}
    for row in rows:
        seen.setdefault(row.model_id.lower(), row)
    return list(seen.values())


def measure(registry: Any, name: str, rows: Iterable[Row]) -> Coverage:
    """Coverage of one slice under ``registry``."""
    cov = Coverage(name)
    rows = _dedupe(rows)
    if any(r.downloads is not None for r in rows):
        cov.downloads = 0
    for row in rows:
        info = registry.lookup_model(row.model_id)
        dl = row.downloads or 0
        cov.models += 1
        if cov.downloads is not None:
            cov.downloads += dl
        if info is not None:
            cov.models_org += 1
            cov.downloads_org += dl
        if info is not None and info.country:
            cov.models_country += 1
            cov.downloads_country += dl
            continue
        ns = row.model_id.split("/", 1)[0] if "/" in row.model_id else f"(no namespace) {row.model_id}"
        cov.blockers[ns] += dl if cov.downloads is not None else 1
        cov.blocker_kind[ns] = "no org" if info is None else f"org {info.org_key}, country null"
    return cov


def measure_all(registry: Any, shared: Path) -> list[Coverage]:
    """Every slice present under ``shared`` (a missing file skips that slice)."""
    out = []
    for name, reader in SLICES.items():
        try:
            out.append(measure(registry, name, reader(shared)))
        except FileNotFoundError:
            continue
    return out


def root_country_coverage(registry: Any, shared: Path) -> dict[str, tuple[float | None, float | None]]:
    """Share of models and of downloads whose lineage ROOT has a country, for the slices with downloads.

    Each slice goes through the real code path (``api.import_path`` into a temporary store, then
    ``api.ensure_lineage``), so a GGUF of a Qwen fine-tune counts with Qwen's country, not its uploader's.
    The trees are imported as the latest ``ModelInfo`` record of each model (``lineage_truth/records.py``).
    """
    import importlib.util
    import tempfile

    from modelcensus import api

    spec = importlib.util.spec_from_file_location("lineage_truth_records", HERE / "lineage_truth" / "records.py")
    records = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lineage_truth_records", records)
    spec.loader.exec_module(records)
    out: dict[str, tuple[float | None, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="registry-coverage-") as tmp:
        trees = Path(tmp) / "trees.jsonl"
        with trees.open("w", encoding="utf-8") as fh:
            for rec in records.tree_records(shared).values():
                fh.write(json.dumps({k: v for k, v in rec.items() if not k.startswith("_")}, default=str) + "\n")
        inputs = {"hf_hub_snapshot_2022": (shared / "hf_hub_snapshot_2022" / "models_2022-02.jsonl.gz", "2022-02-21"),
                  "hf_model_trees_2025": (trees, "2025-04-30")}
        for name, (path, when) in inputs.items():
            store = api.open_store(Path(tmp) / f"{name}.duckdb")
            try:
                sid = api.import_path(store, path, observed_at=when)[0].snapshot.id
                cov = api.ensure_lineage(store, sid, registry)["coverage"]
                out[name] = (cov["root_country_models"], cov["root_country_downloads_30d"])
            finally:
                store.close()
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def markdown(covs: list[Coverage], roots: dict[str, tuple[float | None, float | None]] | None = None) -> str:
    """The per-slice table; with ``roots``, two more columns: root country known (through the lineage)."""
    roots = roots or {}
    lines = ["| slice | models | downloads (30 d) | org known: models | org known: downloads "
             "| country known: models | country known: downloads | root country: models | root country: downloads |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in covs:
        dl = "n/a" if c.downloads is None else f"{c.downloads:,}"
        r_models, r_dl = roots.get(c.slice, (None, None))
        lines.append(f"| {c.slice} | {c.models:,} | {dl} | {_pct(c.share('models_org'))} | "
                     f"{_pct(c.share('downloads_org'))} | {_pct(c.share('models_country'))} | "
                     f"{_pct(c.share('downloads_country'))} | {_pct(r_models)} | {_pct(r_dl)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "registry_coverage.json")
    ap.add_argument("--registry", action="append", default=[], help="extra registry file(s)")
    ap.add_argument("--no-lineage", action="store_true", help="skip the root-country columns (no lineage build)")
    args = ap.parse_args(argv)
    if not args.shared.is_dir():
        print(f"real data slices not found at {args.shared}", file=sys.stderr)
        return 2
    from modelcensus.lineage.registry import load_registry

    reg = load_registry(args.registry)
    covs = measure_all(reg, args.shared)
    roots = {} if args.no_lineage else root_country_coverage(reg, args.shared)
    print(markdown(covs, roots))
    for c in covs:
        unit = "downloads" if c.downloads is not None else "models"
        print(f"\n{c.slice}: top unplaced namespaces by {unit}")
        for ns, w in c.blockers.most_common(args.top):
            print(f"  {w:>12,}  {ns}  ({c.blocker_kind[ns]})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "registry_version": reg.version,
        "slices": [c.as_dict(args.top) | dict(zip(("root_country_models", "root_country_downloads"),
                                                  roots.get(c.slice, (None, None)), strict=True))
                   for c in covs]}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
