"""CLI commands for the audit stage (thin wrappers over modelcensus.audit.audit)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelcensus.cli.common import check_format, err, json_text, one_line, out, reading, state, write_out

if TYPE_CHECKING:
    from modelcensus.audit import AuditReport

# audit.render.FORMATS, spelled here so --help does not import the audit package (test_help checks they agree)
FORMAT_CHOICES = "table|json|md|cyclonedx"


def shipped_policy_names() -> str:
    """The shipped policies for --help, read from the package folder without importing the audit package
    (and pydantic) on every CLI start; tests/audit/test_policy_cli.py checks it against shipped_policies()."""
    from importlib.util import find_spec

    spec = find_spec("modelcensus.audit")
    folders = list(spec.submodule_search_locations or []) if spec else []
    names = sorted(p.stem for f in folders for p in (Path(f) / "policies").glob("*.yaml"))
    return ", ".join(names)


def _names_hub_ids(targets: list[str], inventory: Path | None) -> bool:
    """Whether any target (or inventory line) is a Hub id rather than a local path (bad ones: the audit says)."""
    from modelcensus.audit.targets import Target, load_inventory, parse_target
    from modelcensus.errors import InputError

    items: list[object] = []
    for t in targets:
        try:
            items.append(parse_target(t))
        except InputError:
            continue
    if inventory is not None:
        with contextlib.suppress(InputError):
            items += load_inventory(inventory)
    return any(isinstance(t, Target) and t.kind == "hub" for t in items)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to app."""

    @app.command("audit")
    def audit_cmd(
        targets: Annotated[list[str] | None, typer.Argument(
            metavar="TARGET",
            help="Hub ids (optionally id@revision), model folders, .gguf or .safetensors files.")] = None,
        inventory: Annotated[Path | None, typer.Option(
            "--inventory", metavar="FILE", help="Text, CSV or YAML list of targets.")] = None,
        policy: Annotated[str | None, typer.Option(
            "--policy", metavar="FILE|NAME",
            help="Policy YAML file or shipped policy name: " + shipped_policy_names() + ". Default: "
                             "default (code-execution risks fail, other flags warn); none: report only, no verdict.",
        )] = None,
        fmt: Annotated[str, typer.Option("--format", metavar=FORMAT_CHOICES, help="Output format.")] = "table",
        online: Annotated[bool, typer.Option("--online", help="Look Hub ids up on the Hub (metadata and small "
                                                              "files only).")] = False,
        snapshot: Annotated[str | None, typer.Option("--snapshot", metavar="ID",
                                                     help="Snapshot id (default: latest).")] = None,
        out_path: Annotated[Path | None, typer.Option("--out", metavar="FILE",
                                                      help="Write the output to this file.")] = None,
    ) -> None:
        """Provenance dossier and policy verdict for models and inventories (exit 0 pass, 1 fail, 2 error)."""
        from modelcensus.audit import audit
        from modelcensus.audit.render import FORMATS
        from modelcensus.errors import CheckFailed, InputError
        from modelcensus.lineage.registry import load_registry
        from modelcensus.store import Store
        from modelcensus.store.store import default_db_path

        fmt_ = check_format(fmt, FORMATS)
        if not targets and inventory is None:
            raise InputError("audit: give at least one TARGET or --inventory FILE")
        registry = load_registry(state.registry)

        def run(store: Store | None) -> AuditReport:
            return audit(list(targets or []), inventory=inventory, policy=policy, store=store, snapshot=snapshot,
                         registry=registry, online=online)

        # the store is read (never created) when it exists; without it local targets are still audited and Hub
        # ids need --online. Hub ids to look up in a --db / MODELCENSUS_DB that does not exist: exit 2 naming it
        path = Path(state.db) if state.db is not None else default_db_path()
        if path.exists():
            report = reading(run)
        else:
            if state.db is not None and not online and _names_hub_ids(list(targets or []), inventory):
                from modelcensus.errors import NotFoundError

                raise NotFoundError(f"store {path}: no such file, and Hub ids are looked up there (`modelcensus "
                                    "import`, `pull` or `demo` create a store; or use --online)")
            report = run(None)
        _print_report(report, fmt_, out_path)
        # exit codes travel as the house's exceptions (main.run maps them): 2 unreadable target, 1 a fail
        c = report.counts
        if report.exit_code == 2:
            raise InputError(f"audit: {c['error']} target(s) could not be read; the other {len(report.dossiers)} "
                             "were audited")
        if report.exit_code == 1:
            name = report.policy.name if report.policy else ""
            raise CheckFailed(f"audit: {c['fail']} model(s) fail the policy {name}")


def _print_report(report: AuditReport, fmt: str, out_path: Path | None) -> None:
    """The unreadable targets on stderr, then the report as a table or text, on stdout or into ``out_path``."""
    from modelcensus.audit.render import render_text, to_table

    for e in report.errors:
        line = one_line(f"{e.ref}: {e.message}")
        err.print(f"modelcensus audit: {line}", markup=False, highlight=False, soft_wrap=True)
    if fmt == "table":
        if out_path is not None:
            from rich.console import Console

            def write_table(p: Path) -> None:
                with p.open("w", encoding="utf-8") as fh:
                    to_table(report, Console(file=fh, width=160, no_color=True))

            write_out(out_path, write_table)
        else:
            to_table(report, out)
    else:
        text = render_text(report, fmt)
        if out_path is not None:
            write_out(out_path, lambda p: p.write_text(text + "\n", encoding="utf-8"))
        else:
            import sys

            sys.stdout.write((text if fmt == "md" else json_text(text)) + "\n")  # md is escaped already
            sys.stdout.flush()
