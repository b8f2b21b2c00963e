"""The ``modelcensus`` command: a thin skin over :mod:`modelcensus.api`.

Each command parses its options, makes one library call and renders the result.
Exit codes: 0 success, 1 a check or policy verdict failed, 2 bad input or usage,
3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from modelcensus import __version__
from modelcensus.cli import audit as audit_cmds
from modelcensus.cli import demo as demo_cmds
from modelcensus.cli import ingest as ingest_cmds
from modelcensus.cli import lineage as lineage_cmds
from modelcensus.cli import metrics as metrics_cmds
from modelcensus.cli import pull as pull_cmds
from modelcensus.cli import registry as registry_cmds
from modelcensus.cli import report as report_cmds
from modelcensus.cli import serve as serve_cmds
from modelcensus.cli.common import err, one_line, state
from modelcensus.errors import ModelcensusError

app = typer.Typer(
    name="modelcensus",
    help="A census of open-weight AI: who builds the models the world downloads, and where any model comes from.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"modelcensus {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    db: Annotated[Path | None, typer.Option("--db", envvar="MODELCENSUS_DB",
                                            help="Store file (default: a file in the user data directory).")] = None,
    registry: Annotated[list[Path] | None, typer.Option("--registry",
                                                        help="Extra registry YAML file (repeatable).")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Global options shared by every command."""
    state.db = db
    state.registry = list(registry or [])


for module in (ingest_cmds, pull_cmds, demo_cmds, registry_cmds, lineage_cmds, metrics_cmds, serve_cmds,
               report_cmds, audit_cmds):
    module.register(app)


def run(argv: list[str] | None = None) -> int:
    """Entry point: maps every failure onto a one-line message and an exit code."""
    try:
        code = app(args=argv, standalone_mode=False, prog_name="modelcensus")
        if isinstance(code, int) and not isinstance(code, bool):
            return code  # typer.Exit(code) is returned, not raised, outside standalone mode
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except typer.Abort:
        err.print("modelcensus: aborted")
        return 130
    except typer.TyperException as exc:  # usage errors from the parser
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())
            return 0
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        err.print(f"modelcensus: {one_line(message)}{where}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except ModelcensusError as exc:
        err.print(f"modelcensus: {one_line(str(exc))}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("modelcensus: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line, no traceback unless asked for
        if os.environ.get("MODELCENSUS_DEBUG"):
            raise
        err.print(f"modelcensus: internal error: {type(exc).__name__}: {one_line(str(exc))} "
                  "(set MODELCENSUS_DEBUG=1 for the traceback)", markup=False, highlight=False, soft_wrap=True)
        return 3
    return 0


def entry() -> None:
    sys.exit(run())
