"""CLI commands: registry (thin wrappers over the library)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from modelcensus.cli.common import check_format, out, print_json, state
from modelcensus.errors import CheckFailed


def register(app: typer.Typer) -> None:
    """Add the `registry` sub-app (check, show) to app."""
    sub = typer.Typer(help="The organisation/family/licence registry: validate it, look an organisation up.",
                      no_args_is_help=True, rich_markup_mode=None)

    @sub.command("check")
    def check(fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")]
              = "table") -> None:
        """Validate the package registry and any --registry files; exit 1 when a problem is found."""
        from modelcensus.lineage.registry import check_registry

        fmt = check_format(fmt, ("table", "json"))
        doc = check_registry(state.registry)
        if fmt == "json":
            print_json(doc)
        else:
            stats = ", ".join(f"{v} {k}" for k, v in doc["stats"].items())
            out.print(f"registry {doc['version']}: {stats}", markup=False, highlight=False)
            out.print(f"files: {', '.join(doc['files'])}", markup=False, highlight=False)
            for p in doc["problems"]:
                out.print(f"{p['file']}: {p['entry']}: {p['message']} [{p['kind']}]", markup=False,
                          highlight=False)
            out.print(f"{len(doc['problems'])} problem(s)" if doc["problems"] else "ok: no problems",
                      markup=False, highlight=False)
        if doc["problems"]:
            raise CheckFailed(f"registry check: {len(doc['problems'])} problem(s)")

    @sub.command("show")
    def show(org: Annotated[str, typer.Argument(metavar="ORG", help="Org key, display name or Hub namespace.")],
             fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")]
             = "table") -> None:
        """Show one organisation: country, type, namespaces, renames, families, evidence."""
        from modelcensus.lineage.registry import load_registry

        fmt = check_format(fmt, ("table", "json"))
        doc = load_registry(state.registry).describe_org(org)
        if fmt == "json":
            print_json(doc)
            return
        table = Table(title=f"{doc['name']} ({doc['key']})", show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        country = f"{doc['country']} ({doc['country_name']})" if doc["country"] else "unknown"
        rows = [("country", country), ("region", doc["region"] or "-"), ("org type", doc["org_type"]),
                ("namespaces", ", ".join(doc["namespaces"]) or "-"),
                ("renamed from", ", ".join(doc["renamed_from"]) or "-"),
                ("aliases", ", ".join(doc["aliases"]) or "-"), ("families", ", ".join(doc["families"]) or "-"),
                ("evidence", "\n".join(doc["evidence"]) or "-"), ("notes", doc["notes"] or "-"),
                ("file", doc["file"])]
        for k, v in rows:
            table.add_row(k, str(v))
        out.print(table)

    app.add_typer(sub, name="registry")
