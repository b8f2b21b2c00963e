"""CLI command: demo (synthetic hub -> full pipeline -> report)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelcensus.cli.common import err, out, state, whole_number
from modelcensus.demo import DEFAULT_MODELS, DEFAULT_MONTHS, MIN_MODELS, MONTHS_RANGE, run_demo


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""

    @app.command("demo")
    def demo(
        models: Annotated[int, typer.Option("--models", parser=whole_number(MIN_MODELS),
                                            help="Models ever created in the synthetic hub.")] = DEFAULT_MODELS,
        out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="Folder for the store and the reports.")
                           ] = Path("demo-report"),
        months: Annotated[int, typer.Option("--months", parser=whole_number(*MONTHS_RANGE),
                                            help="Monthly snapshots to load.")] = DEFAULT_MONTHS,
        seed: Annotated[int, typer.Option("--seed", parser=whole_number(0),
                                          help="Generator seed (same seed, same hub).")] = 7,
    ) -> None:
        """Build a SYNTHETIC hub, run the whole pipeline on it and write the census report."""
        result = run_demo(out_dir, models=models, months=months, seed=seed, registry_files=state.registry,
                          db=None, log=lambda m: err.print(m, markup=False, highlight=False))
        out.print(f"SYNTHETIC demo report: {result.reports['html']}", markup=False, highlight=False)
        out.print(f"also: {result.reports['md']}, {result.reports['json']}; store: {result.db}",
                  markup=False, highlight=False)
