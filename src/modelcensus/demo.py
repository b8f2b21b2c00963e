"""The demo: a synthetic hub pushed through the whole pipeline, ending in the census report.

It is the project's main job in miniature and runs offline: generate a deterministic
SYNTHETIC hub, load it as monthly snapshots, build lineage and origins for each, and write the
report (HTML, Markdown with PNG charts, JSON). Everything it writes says it is synthetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.lineage import ensure_lineage
from modelcensus.lineage.registry import load_registry
from modelcensus.outputs import build_report_model, write_report
from modelcensus.sources.synthetic import generate_hub, load_series
from modelcensus.store import Snapshot, Store
from modelcensus.untrusted import output_folder

DEFAULT_MODELS = 20_000
DEFAULT_MONTHS = 24
MIN_MODELS = 100  # the demo's bounds, stated once (the CLI's parsers read them)
MONTHS_RANGE = (2, 120)


@dataclass
class DemoResult:
    """Where the demo wrote its store and reports, and what it loaded."""

    out_dir: Path
    db: Path
    snapshots: list[Snapshot]
    reports: dict[str, Path] = field(default_factory=dict)
    lineage: list[dict[str, Any]] = field(default_factory=list)


def run_demo(out_dir: str | Path = "demo-report", *, models: int = DEFAULT_MODELS, months: int = DEFAULT_MONTHS,
             seed: int = 7, registry_files: tuple[Path, ...] | list[Path] = (),
             db: str | Path | None = None, log: Callable[[str], None] | None = None) -> DemoResult:
    """Generate a synthetic hub, load ``months`` monthly snapshots, build lineage, write the report.

    ``db`` defaults to ``OUT_DIR/demo.duckdb`` so the demo never touches the user's own store.
    Re-running with the same arguments reuses what is already loaded (imports are idempotent).
    """
    say = log or (lambda _msg: None)
    if not isinstance(models, int) or models < MIN_MODELS:
        raise InputError(f"--models {models!r}: expected an integer of at least {MIN_MODELS}")
    if not isinstance(months, int) or not MONTHS_RANGE[0] <= months <= MONTHS_RANGE[1]:
        raise InputError(f"--months {months!r}: expected an integer from {MONTHS_RANGE[0]} to {MONTHS_RANGE[1]}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"--seed {seed!r}: expected a whole number of at least 0")
    out = output_folder(out_dir)
    db_path = Path(db) if db is not None else out / "demo.duckdb"
    registry = load_registry(registry_files)

    say(f"generating a SYNTHETIC hub: {models:,} models, {months} months, seed {seed}")
    hub = generate_hub(n_models=models, seed=seed, months=months)
    with Store(db_path) as store:
        snaps = load_series(store, hub)
        say(f"loaded {len(snaps)} monthly snapshots into {db_path}")
        stats = []
        for snap in snaps:
            stats.append(ensure_lineage(store, snap.id, registry))
        say("built lineage and origins for every snapshot")
        report = build_report_model(store, registry=registry)
        reports: dict[str, Path] = {}
        for fmt, name in (("html", "report.html"), ("md", "report.md"), ("json", "report.json")):
            reports[fmt] = write_report(report, out / name, fmt)
            say(f"wrote {reports[fmt]}")
    return DemoResult(out_dir=out, db=db_path, snapshots=snaps, reports=reports, lineage=stats)
