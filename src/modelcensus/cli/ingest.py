"""CLI commands for the ingest stage: import, snapshots, export (thin wrappers over the library)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from modelcensus.cli.common import check_format, err, out, print_json, reading, state
from modelcensus.errors import InputError
from modelcensus.terminal_tables import Col, date_cells, print_table

MAX_REASONS_SHOWN = 3


def _store():
    from modelcensus.store import Store

    return Store(state.db)


def _reasons(skipped: dict[str, Any]) -> str:
    reasons = sorted(skipped.get("reasons", {}).items(), key=lambda kv: -kv[1])[:MAX_REASONS_SHOWN]
    first = [e for e in skipped.get("examples", []) if e.get("id")][:MAX_REASONS_SHOWN]
    text = "; ".join(f"{r} ({n})" for r, n in reasons)
    if first:
        text += " - first: " + ", ".join(f"{e['id']} ({e['reason']})" for e in first)
    return text


def import_cmd(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="File or directory: CSV/JSON/JSONL(.gz) Hub records, "
                                              "hub-stats Parquet, a modelcensus export or a curated list.")],
    source: Annotated[str | None, typer.Option("--source", metavar="NAME",
                                               help="Source label of the snapshot(s), or the population name of a "
                                                    "curated list.")] = None,
    observed_at: Annotated[str | None, typer.Option("--observed-at", metavar="DATE",
                                                    help="When the data was observed (ISO date or datetime), where "
                                                         "the file does not say.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", metavar="full|partial",
                                              help="What the data covers: full (the whole Hub) or partial; overrides "
                                                   "what the source says (docs/census.md).")] = None,
) -> None:
    """Import snapshots (or a curated population) from PATH. Idempotent; all or nothing."""
    from modelcensus.sources.ingest import import_path, parse_observed_at

    when = parse_observed_at(observed_at)  # validate before opening the store
    with _store() as store:
        report = import_path(store, path, source=source, observed_at=when, scope=scope)
    for res in report:
        s = res.snapshot
        state_word = "already present" if res.already_present else "imported"
        out.print(f"snapshot {s.id}: {state_word}, {s.row_count:,} rows, {s.skipped_count:,} skipped "
                  f"(source {s.source}, observed {s.as_dict()['observed_at']}, scope {s.scope})",
                  markup=False, highlight=False)
        if not res.already_present and res.skipped.count:
            err.print(f"  skipped {res.skipped.count:,}: {_reasons(res.skipped.as_dict())}",
                      markup=False, highlight=False)
    for pop in report.populations:
        word = "unchanged" if pop.already_present else f"+{pop.added} -{pop.removed}"
        out.print(f"population {pop.name}: {pop.members:,} models ({word})", markup=False, highlight=False)
        if pop.skipped.count:
            err.print(f"  skipped {pop.skipped.count}: {_reasons(pop.skipped.as_dict())}",
                      markup=False, highlight=False)
    for fpath, why in report.skipped_files:
        err.print(f"  not imported: {fpath}: {why}", markup=False, highlight=False)


def snapshots_cmd(
    fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")] = "table",
) -> None:
    """List the snapshots the store holds: when, what they cover, from which source."""
    fmt = check_format(fmt, ("table", "json"))
    snaps = reading(lambda store: store.snapshots())
    if fmt == "json":
        print_json({"snapshots": [s.as_dict() for s in snaps]})
        return
    if not snaps:
        err.print("the store holds no snapshot yet (run `modelcensus import` or `modelcensus pull`)")
        return
    # scope, source and filter share one column that wraps at spaces; at 80 columns the least needed columns are
    # left out (and named under the table), never cut to '2025-03-…'
    cols = [Col("id", right=True), Col("observed"), Col("scope / source", wrap=True), Col("models", right=True),
            Col("skipped", right=True, priority=3), Col("complete", priority=1), Col("synthetic", priority=2),
            Col("source_ref", wrap=True, priority=4)]
    days = date_cells([s.as_dict()["observed_at"] for s in snaps])
    rows = [[str(s.id), day, f"{s.scope} {s.source}" + (f" ({_filter_text(s.filter)})" if s.filter else ""),
             f"{s.row_count:,}", f"{s.skipped_count:,}", "yes" if s.complete else "no",
             "SYNTHETIC" if s.synthetic else "", s.source_ref or ""] for s, day in zip(snaps, days, strict=True)]
    print_table(out, cols, rows)


def _filter_text(flt: dict[str, Any] | None) -> str:
    """A snapshot filter in a few words: ``tree_roots=deepseek-ai/DeepSeek-R1 (+2)``, ``author=google``."""
    parts = []
    for k, v in (flt or {}).items():
        if isinstance(v, list):
            parts.append(f"{k}={v[0] if v else ''}" + (f" (+{len(v) - 1})" if len(v) > 1 else ""))
        else:
            parts.append(f"{k}={v}")
    return "; ".join(parts)


def export_cmd(
    snapshot: Annotated[str, typer.Argument(metavar="SNAPSHOT", help="Snapshot id or 'latest'.")],
    fmt: Annotated[str, typer.Option("--format", metavar="parquet|csv|jsonl", help="File format.")] = "parquet",
    out_path: Annotated[Path | None, typer.Option("--out", help="Output file or folder (default "
                                                  "snapshot-ID.EXT, snapshot-ID-TABLE.EXT).")] = None,
    table: Annotated[str, typer.Option("--table", metavar="models|origins|edges",
                                       help="models: one row per model (import reads it back); origins: one row "
                                            "per model and lineage root; edges: the lineage edges.")]
    = "models",
) -> None:
    """Write one snapshot's models, origins or edges with its metadata, for analysis elsewhere."""
    from modelcensus.api import export
    from modelcensus.lineage.registry import load_registry
    from modelcensus.store.export import FORMATS, TABLES

    fmt = check_format(fmt, FORMATS)
    table = check_format(table, TABLES, "--table")
    if out_path is not None and str(out_path).strip() == "":
        raise InputError("--out: empty path")
    registry = load_registry(state.registry) if table != "models" else None
    written = reading(lambda store: export(store, snapshot, fmt, out_path, table=table, registry=registry))
    out.print(str(written), markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to app."""
    app.command("import")(import_cmd)
    app.command("snapshots")(snapshots_cmd)
    app.command("export")(export_cmd)
