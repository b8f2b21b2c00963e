"""CLI commands for the audit stage (thin wrappers over modelcensus.api)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to app."""
