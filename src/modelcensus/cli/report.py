"""CLI command: report (a thin wrapper over :func:`modelcensus.outputs.build_report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelcensus.cli.common import (
    EngineOption,
    LibraryOption,
    MaxAgeOption,
    PipelineTagOption,
    SparkMasterOption,
    check_format,
    err,
    print_json,
    reading,
    state,
)


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""

    @app.command("report")
    def report(
        out: Annotated[Path | None, typer.Option("--out", metavar="FILE",
                                                 help="File to write (default: modelcensus-report.html or .md; "
                                                      "JSON goes to stdout without --out).")] = None,
        fmt: Annotated[str, typer.Option("--format", metavar="html|md|json", help="Output format.")] = "html",
        population: Annotated[str, typer.Option("--population", metavar="NAME",
                                                help="all, llm, or a curated list in the store (`modelcensus "
                                                     "populations`).")
                              ] = "all",
        snapshot: Annotated[list[str] | None, typer.Option(
            "--snapshot", metavar="ID",
            help="Snapshot id to include (repeatable; default: the complete snapshots of the latest snapshot's "
                 "source).")] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE",
                                                  help="Latest figures from a census as of DATE: each model's "
                                                       "latest observation at or before it; later snapshots are "
                                                       "left out.")] = None,
        max_age: MaxAgeOption = 45,
        pipeline_tag: PipelineTagOption = None,
        library: LibraryOption = None,
        snapshots: Annotated[Path | None, typer.Option("--snapshots", metavar="DIR",
                                                       help="A folder of hub-stats YYYY-MM-DD.parquet files: a history "
                                                            "report of it, without a store (docs/engines.md).")]
        = None,
        engine: EngineOption = "duckdb",
        spark_master: SparkMasterOption = None,
    ) -> None:
        """Write the census report: country shares over time, derivatives, RAM, concentration, licence drift,
        top movers, and the methods and caveats behind them; with --snapshots DIR, the history report of a folder."""
        from modelcensus.errors import InputError
        from modelcensus.lineage.registry import load_registry
        from modelcensus.outputs import REPORT_FORMATS, build_report

        kind = check_format(fmt, REPORT_FORMATS)
        if snapshots is None and (engine != "duckdb" or spark_master):
            raise InputError("--engine and --spark-master apply to --snapshots DIR (the store report runs on DuckDB)")
        if snapshots is not None:
            from modelcensus import api

            store_only = [o for o, v in (("--population", population != "all"), ("--snapshot", snapshot),
                                         ("--as-of", as_of), ("--max-age", max_age != 45),
                                         ("--pipeline-tag", pipeline_tag), ("--library", library)) if v]
            if store_only:
                raise InputError(f"{', '.join(store_only)}: store report option(s), not supported with --snapshots "
                                 "(the history report covers every file of the folder, population all)")
            result = api.folder_report(snapshots, out=out, fmt=kind, engine=engine, spark_master=spark_master,
                                       registry=load_registry(state.registry) if state.registry else None)
            if isinstance(result, dict):
                print_json(result)
            else:
                err.print(f"report written to {result}", markup=False, highlight=False)
            return
        registry = load_registry(state.registry)
        filters = {"as_of": as_of, "max_age": max_age if as_of else None, "pipeline_tags": pipeline_tag,
                   "libraries": library}
        result = reading(lambda store: build_report(store, out=out, fmt=kind, registry=registry,
                                                    snapshots=snapshot or None, population=population,
                                                    filters=filters))
        if isinstance(result, dict):
            print_json(result)
        else:
            err.print(f"report written to {result}", markup=False, highlight=False)
