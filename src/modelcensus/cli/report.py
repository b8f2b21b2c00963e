"""CLI commands: report (thin wrappers over the library)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""
