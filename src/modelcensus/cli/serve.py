"""CLI commands ``serve`` (the web dashboard and JSON API) and ``site`` (the same dashboard as static files)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from modelcensus.cli.common import err, state, whole_number
from modelcensus.errors import InputError


def _store_path() -> str:
    from modelcensus.store import default_db_path

    path = Path(state.db) if state.db else default_db_path()
    if not path.exists():
        raise InputError(f"store {path}: no such file (import or pull a snapshot first)")
    return str(path)


def _registry_files() -> list[str]:
    """The --registry files as the api's serving functions take them (text paths)."""
    return [str(p) for p in state.registry]


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``site`` to app."""

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option("--host", metavar="ADDRESS",
                                          help="Address to listen on (loopback by default).")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", parser=whole_number(1, 65535), help="TCP port.")] = 8000,
        prepare: Annotated[bool, typer.Option("--prepare", help="Build missing lineage first (opens the store "
                                                                "writable once, before serving read-only).")] = False,
    ) -> None:
        """Serve the census as a web dashboard and JSON API, read-only on the store.

        Example: modelcensus --db census.duckdb serve --port 8000   (then open http://127.0.0.1:8000/)
        """
        from modelcensus import api

        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                raise InputError(f"--host {host[:60]!r}: expected an IP address or localhost") from None
        db = _store_path()
        if prepare:
            built = api.prepare_serving(db, registry_files=_registry_files())
            err.print(f"lineage ready for {built} snapshot(s)", markup=False, highlight=False)
        api.serve(db, host=host, port=port, registry_files=_registry_files())

    @app.command("site")
    def site(
        out: Annotated[Path, typer.Option("--out", metavar="DIR",
                                                    help="Folder to write (must not exist or be empty).")],
        models: Annotated[int, typer.Option("--models", parser=whole_number(1, 100_000),
                                            help="Model pages to write (the most downloaded).")] = 300,
        orgs: Annotated[int, typer.Option("--orgs", parser=whole_number(1, 10_000),
                                          help="Organisation and family pages to write (the largest).")] = 60,
    ) -> None:
        """Write the dashboard as static files (pages, charts, CSV and JSON tables) for any static host.

        Example: modelcensus --db census.duckdb site --out public/ --models 500
        """
        from modelcensus import api

        res = api.write_site(_store_path(), out, models=models, orgs=orgs, registry_files=_registry_files())
        typer.echo(f"wrote {res.files:,} files ({res.pages:,} pages, {res.models:,} model pages) to {res.out}")
