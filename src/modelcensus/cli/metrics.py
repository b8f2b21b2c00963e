"""CLI commands for the metrics stage (thin wrappers over modelcensus.metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from modelcensus.cli.common import (
    EngineOption,
    LibraryOption,
    MaxAgeOption,
    PipelineTagOption,
    SparkMasterOption,
    check_format,
    err,
    out,
    print_data,
    print_json,
    reading,
    state,
    write_out,
)
from modelcensus.errors import InputError
from modelcensus.metrics import METRIC_NAMES  # help text comes from the metric catalogue, not a copied list
from modelcensus.metrics.downloads import FIELDS as DOWNLOAD_FIELDS
from modelcensus.metrics.groups import GROUP_KEYS

FORMATS = ("table", "csv", "json", "parquet")


def _options(pairs: list[str] | None) -> dict[str, Any]:
    """``--option key=value`` pairs -> dict (values stay text; the metric types them)."""
    opts: dict[str, Any] = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--option {p!r}: expected KEY=VALUE")
        opts[key.strip()] = value.strip()
    return opts


# columns left out first when the terminal is narrow (higher = sooner); every other column always shows
LOW_PRIORITY = {"downloads_share": 1, "age_days": 1, "release_date": 1, "cr5": 1, "cr10": 2, "unknown_share": 2,
                "comparable": 2, "drifted_downloads": 2, "namespaces": 2, "median_params_b": 2, "total": 2,
                "observed_at": 3, "baseline": 3, "reference_models": 4, "examples": 5}
TEXT_COLUMNS = ("month", "model", "rule", "namespace", "unit", "observed_at", "release_date")


def _column_cells(res: Any, rows: list[dict[str, Any]], c: str) -> tuple[list[str], bool]:
    """One column as text, formatted as a whole (terminal_tables.number_cells) so its rows agree; and whether
    it is numeric (right-aligned)."""
    from modelcensus.terminal_tables import date_cells, number_cells

    values = [r.get(c) for r in rows]
    if c == "observed_at":
        return date_cells(values), False
    numbers = number_cells(c, values) if c not in (res.by, *TEXT_COLUMNS) else None
    if numbers is not None:
        return numbers, True
    cells = []
    for v in values:
        if v is None:
            cells.append("(unknown)" if c == res.by else "")
        elif isinstance(v, bool):
            cells.append("yes" if v else "no")
        elif isinstance(v, list):
            cells.append("; ".join(map(str, v)))
        else:
            cells.append(str(v))
    return cells, False


def _render_table(res: Any) -> None:
    from modelcensus.terminal_tables import Col, print_table

    rows = res.to_json()["rows"]
    columns = [_column_cells(res, rows, c) for c in res.columns]
    cols = [Col(c, right=numeric, priority=LOW_PRIORITY.get(c, 0), wrap=c in ("examples", "reference_models"))
            for c, (_, numeric) in zip(res.columns, columns, strict=True)]
    print_table(out, cols, [list(r) for r in zip(*(cells for cells, _ in columns), strict=True)],
                title=f"{res.metric}" + (f" by {res.by}" if res.by else ""))
    snaps = ", ".join(f"{s['id']} ({s['observed_at'][:10]}, {s['source']})" for s in res.snapshots[:6])
    more = f" and {len(res.snapshots) - 6} more" if len(res.snapshots) > 6 else ""
    out.print(f"snapshots: {snaps}{more}; population: {res.population}; field: {res.field or '-'}",
              highlight=False, markup=False, soft_wrap=False)  # prose wraps at spaces, not mid-word
    if res.synthetic:
        out.print("SYNTHETIC DATA: computed from a generated hub, not real Hub data", style="bold yellow",
                  soft_wrap=False)
    for n in res.notes:
        out.print(f"note: {n}", highlight=False, markup=False, soft_wrap=False)
    if res.coverage:
        out.print(res.coverage_line(), highlight=False, markup=False, soft_wrap=False)
    if res.trend is not None and not res.trend["comparable"]:
        out.print(f"trend: {res.trend['reason']}", highlight=False, markup=False, soft_wrap=False)
    for w in res.warnings:
        out.print(f"WARNING: {w['message']}", style="bold yellow", highlight=False, markup=False, soft_wrap=False)


def populations_cmd(
    fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")] = "table",
) -> None:
    """List the populations metrics accept (--population): built-in ones and imported lists with their sizes."""
    from modelcensus.metrics.population import list_populations

    fmt = check_format(fmt, ("table", "json"))
    pops = reading(list_populations)
    if fmt == "json":
        print_json({"populations": pops})
        return
    from modelcensus.terminal_tables import Col, print_table

    print_table(out, [Col("name"), Col("kind"), Col("models", right=True), Col("description", wrap=True)],
                [[p["name"], p["kind"], f"{p['size']:,}" if p["size"] is not None else "-", p["description"]]
                 for p in pops], title="populations")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to app."""
    app.command("populations")(populations_cmd)

    @app.command("metrics")
    def metrics_cmd(
        name: Annotated[str, typer.Argument(metavar="NAME", help=f"Metric: {', '.join(METRIC_NAMES)} "
                                                                 "(docs/metrics.md).")],
        by: Annotated[str | None, typer.Option("--by", metavar="KEY", help=f"Group key: {', '.join(GROUP_KEYS)} "
                                                                           "(default: the metric's own).")]
        = None,
        population: Annotated[str, typer.Option("--population", metavar="NAME",
                                                help="all, llm, or an imported list (`modelcensus populations` "
                                                     "lists them).")] = "all",
        since: Annotated[str | None, typer.Option("--since", metavar="DATE", help="Start date (series, months; else "
                                                                                  "models created since).")] = None,
        snapshot: Annotated[str | None, typer.Option("--snapshot", metavar="ID|DATE",
                                                     help="Snapshot id (default: latest), or a date: a census as of "
                                                          "that date (as --as-of).")]
        = None,
        as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                                  help="Census as of DATE: each model's latest observation at or "
                                                       "before it (docs/census.md).")]
        = None,
        max_age: MaxAgeOption = 45,
        pipeline_tag: PipelineTagOption = None,
        library: LibraryOption = None,
        field: Annotated[str | None, typer.Option("--field", metavar="|".join(DOWNLOAD_FIELDS),
                                                  help="Download count (default: the metric's own).")] = None,
        fmt: Annotated[str, typer.Option("--format", metavar="|".join(FORMATS), help="Output format.")] = "table",
        out_path: Annotated[Path | None, typer.Option("--out", metavar="FILE",
                                                      help="Write to this file instead of stdout (needed for "
                                                           "parquet).")] = None,
        option: Annotated[list[str] | None, typer.Option("--option", "-o", metavar="KEY=VALUE",
                                                         help="Metric option KEY=VALUE (repeatable), e.g. "
                                                              "gaps=assign, credit=parent, min_downloads=5.")] = None,
        snapshots: Annotated[Path | None, typer.Option("--snapshots", metavar="DIR",
                                                       help="A folder of hub-stats YYYY-MM-DD.parquet files to "
                                                            "compute over instead of the store (docs/engines.md).")]
        = None,
        engine: EngineOption = "duckdb",
        spark_master: SparkMasterOption = None,
    ) -> None:
        """Compute one metric over the store (see docs/metrics.md), or over a folder of snapshots (--snapshots)."""
        from modelcensus.lineage.registry import load_registry
        from modelcensus.metrics import compute_metric

        fmt = check_format(fmt, FORMATS)
        if snapshots is None and (engine != "duckdb" or spark_master):
            raise InputError("--engine and --spark-master apply to --snapshots DIR (the store runs on DuckDB)")
        if snapshots is not None:
            from modelcensus import api
            from modelcensus.metrics import DEFAULT_MAX_AGE_DAYS

            ignored = [o for o, v in (("--snapshot", snapshot), ("--as-of", as_of), ("--since", since),
                                      ("--max-age", max_age != DEFAULT_MAX_AGE_DAYS),
                                      ("--pipeline-tag", pipeline_tag), ("--library", library)) if v]
            if ignored:
                raise InputError(f"{', '.join(ignored)} not supported with --snapshots yet")
            if fmt == "parquet" and out_path is None:
                raise InputError("--format parquet needs --out PATH")
            registry = api.load_registry(state.registry) if state.registry else None
            res = api.folder_metric(snapshots, name, engine=engine, spark_master=spark_master, by=by, field=field,
                                    registry=registry, population=population, **_options(option))
            _emit(res, fmt, out_path)
            return
        if name not in METRIC_NAMES:
            raise InputError(f"metric {name!r}: expected one of {', '.join(METRIC_NAMES)}")
        if fmt == "parquet" and out_path is None:
            raise InputError("--format parquet needs --out PATH")
        opts = _options(option)
        registry = load_registry(state.registry)
        res = reading(lambda store: compute_metric(store, name, by=by, population=population, since=since,
                                                   snapshot=snapshot, registry=registry, field=field, as_of=as_of,
                                                   max_age=max_age, pipeline_tags=pipeline_tag, libraries=library,
                                                   **opts))
        _emit(res, fmt, out_path)


def _emit(res: Any, fmt: str, out_path: Path | None) -> None:
    """Print or write a metric result in the chosen format."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert out_path is not None
        write_out(out_path, lambda p: pq.write_table(res.to_arrow(), p))
        err.print(f"wrote {len(res.rows)} row(s) to {out_path}", highlight=False, markup=False)
    elif fmt == "json":
        if out_path is not None:
            import json

            text = json.dumps(res.to_json(), indent=2, default=str, ensure_ascii=False) + "\n"
            write_out(out_path, lambda p: p.write_text(text, encoding="utf-8"))
            err.print(f"wrote {out_path}", highlight=False, markup=False)
        else:
            print_json(res.to_json())
    elif fmt == "csv":
        text = res.to_csv()
        if out_path is not None:
            write_out(out_path, lambda p: p.write_text(text, encoding="utf-8"))
            err.print(f"wrote {out_path}", highlight=False, markup=False)
        else:
            print_data(text)
    else:
        _render_table(res)
