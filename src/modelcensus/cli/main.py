"""The ``modelcensus`` command: a thin skin over :mod:`modelcensus.api`.

Each command parses its options, makes one library call and renders the result.
Exit codes: 0 success, 1 a check or policy verdict failed, 2 bad input or usage,
3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import functools
import os
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

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
from modelcensus.store.resources import out_of_memory_message, prefer_small_pages

app = typer.Typer(
    name="modelcensus",
    help="A census of open-weight AI: who builds the models the world downloads, and where any model comes from.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"modelcensus {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    db: Annotated[Path | None, typer.Option("--db", envvar="MODELCENSUS_DB", metavar="FILE",
                                            help="Store file (default: a file in the user data directory). "
                                                 "Only import, pull and demo create it.")] = None,
    registry: Annotated[list[Path] | None, typer.Option("--registry", metavar="FILE",
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


# One example per command, shown at the end of its --help (a command whose own help already has an
# "Example" keeps it). tests/cli/test_help.py checks every command has one and that each one parses.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("modelcensus demo --out demo-report",
         "modelcensus --db census.duckdb import models.parquet --observed-at 2025-06-01",
         "modelcensus --db census.duckdb metrics downloads --by root_country"),
    "import": ("modelcensus import models.parquet --observed-at 2025-06-01",
               "modelcensus import atom_models.csv --source atom"),
    "snapshots": ("modelcensus snapshots", "modelcensus snapshots --format json"),
    "export": ("modelcensus export latest --format csv --out census.csv",
               "modelcensus export latest --table origins --format parquet --out origins.parquet"),
    "demo": ("modelcensus demo --models 2000 --out demo-report",),
    "origin": ("modelcensus origin mradermacher/OpenThinker-7B-GGUF",
               "modelcensus origin Qwen/Qwen2.5-7B --format json"),
    "lineage": ("modelcensus lineage Qwen/Qwen2.5-7B",
                "modelcensus lineage Qwen/Qwen2.5-7B --all --format json"),
    "populations": ("modelcensus populations",),
    "metrics": ("modelcensus metrics downloads --by root_country",
                "modelcensus metrics licences --by license --format csv --out licences.csv"),
    "report": ("modelcensus report --format md --out report.md",),
    "audit": ("modelcensus audit ./my-model",
              "modelcensus audit --inventory models.txt --policy strict-supply-chain --format md --out audit.md"),
    "pull": ("modelcensus pull hub --author deepseek-ai",),
    "pull hub": ("modelcensus pull hub --author deepseek-ai", "modelcensus pull hub --limit 5000"),
    "pull hub-stats": ("modelcensus pull hub-stats",),
    "registry": ("modelcensus registry check",),
    "registry check": ("modelcensus registry check --format json",),
    "registry show": ("modelcensus registry show deepseek-ai",),
}
_TYPE_METAVARS = {int: "N", float: "X", str: "TEXT"}


def _metavar(param: Any) -> str:
    desc = param.type_descriptor
    if desc.is_path:
        return "PATH"
    if desc.is_datetime:
        return "DATE"
    annotation = typing.get_args(desc.annotation)[0] if desc.is_list else desc.annotation
    return _TYPE_METAVARS.get(annotation, "VALUE")


def _polish(cmd: Any, path: str = "") -> None:
    """Help a newcomer can read: NAME-style metavars instead of ``<str>``/``<list[Path]>``, and an example."""
    for param in cmd.params:
        if param.param_type_name == "argument":
            if param.metavar is None:
                param.metavar = param.name.upper()
            param.display_type_rich = lambda ctx: None  # the metavar says it all
        elif param.param_type_name == "option" and not param.is_flag and param.metavar is None:
            param.metavar = _metavar(param)
    lines = EXAMPLES.get(path)
    if lines and "Example" not in (cmd.help or ""):
        head = "Example:" if len(lines) == 1 else "Examples:"
        cmd.epilog = "\b\n" + head + "\n" + "\n".join(f"  {line}" for line in lines)
    for name, sub in getattr(cmd, "commands", {}).items():
        _polish(sub, f"{path} {name}".strip())


@functools.cache
def command() -> Any:
    """The click command tree Typer builds from ``app``, polished once for --help."""
    cmd = typer.main.get_command(app)
    _polish(cmd)
    return cmd


def run(argv: list[str] | None = None) -> int:
    """Entry point: maps every failure onto a one-line message and an exit code."""
    prefer_small_pages()  # the process is ours: 4 KiB pages (store/resources.py says why)
    try:
        code = command().main(args=argv, standalone_mode=False, prog_name="modelcensus")
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
        message = str(exc)
        oom = out_of_memory_message(exc)  # a wrapper that named its input but not the cap, or the disk
        if oom is not None and "DuckDB ran out of" not in message:
            message = f"{message}: {oom}"
        err.print(f"modelcensus: {one_line(message)}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("modelcensus: interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line, no traceback unless asked for
        if os.environ.get("MODELCENSUS_DEBUG"):
            raise
        if (oom := out_of_memory_message(exc)) is not None:  # the cap is too small for the input: not a bug
            err.print(f"modelcensus: {one_line(oom)}", markup=False, highlight=False, soft_wrap=True)
            return 2
        err.print(f"modelcensus: internal error: {type(exc).__name__}: {one_line(str(exc))} "
                  "(set MODELCENSUS_DEBUG=1 for the traceback)", markup=False, highlight=False, soft_wrap=True)
        return 3
    return 0


def entry() -> None:
    sys.exit(run())
