"""Shared CLI plumbing: global options, output helpers. No domain logic lives here."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from modelcensus.safe_output import terminal
from modelcensus.untrusted import parse_whole

if TYPE_CHECKING:
    from modelcensus.store import Store

T = TypeVar("T")


class SafeConsole(Console):
    """A Rich console that shows control characters in any text it is given instead of obeying them.

    Every string printed or put in a table cell passes through :meth:`render_str`, so model ids, folder
    names and card fields from the Hub or from files cannot move the cursor, rewrite a line (CR), set the
    title or plant a hyperlink (OSC); line feeds stay (a cell may hold several lines; one-line messages
    use :func:`one_line`). Build ``rich.text.Text`` objects with :func:`safe_text`.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(terminal(text, newlines=True), **kwargs)


def safe_text(value: Any, style: str = "") -> Text:
    """A Rich ``Text`` of untrusted ``value``, control characters made visible."""
    return Text(terminal(value), style=style)


# stdout carries results only; progress and warnings go to stderr.
out = SafeConsole(soft_wrap=True)
err = SafeConsole(stderr=True, soft_wrap=True)


@dataclass
class GlobalOptions:
    db: Path | None = None
    registry: list[Path] = field(default_factory=list)


state = GlobalOptions()


def reading(call: Callable[[Store], T]) -> T:
    """Run ``call`` on the existing store, opened read-only: a reading command never creates a store.

    A missing ``--db`` / ``MODELCENSUS_DB`` is exit 2 naming it. A few reads first build a snapshot's
    lineage cache (``edges``/``origins``): when ``call`` needs that write, it is re-run once on a
    writable connection (the build runs before any output, so nothing is printed twice).
    """
    from modelcensus.store import Store
    from modelcensus.store.store import ReadOnlyStoreError

    try:
        with Store(state.db, read_only=True) as store:
            return call(store)
    except ReadOnlyStoreError:
        with Store(state.db) as store:
            return call(store)


# what json.dumps(ensure_ascii=False) leaves raw but a terminal may obey: DEL, C1 controls (0x9b is CSI), bidi
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_text(text: str) -> str:
    """JSON text with the characters ``json.dumps(ensure_ascii=False)`` leaves raw written as \\u escapes."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(doc: Any) -> None:
    """One JSON document on stdout and nothing else (C1 controls as \\u escapes: the same JSON value)."""
    sys.stdout.write(json_text(json.dumps(doc, indent=2, default=str, ensure_ascii=False)))
    sys.stdout.write("\n")
    sys.stdout.flush()


def print_data(text: str) -> None:
    """CSV (or other data) on stdout: unchanged into a pipe or file; on a terminal, control characters are
    shown escaped as ``ls`` does with file names (the data is anyone's text; use --out for the raw bytes)."""
    sys.stdout.write(terminal(text, newlines=True) if sys.stdout.isatty() else text)
    sys.stdout.flush()


def warn(msg: str) -> None:
    from rich.markup import escape

    err.print(f"[yellow]warning:[/yellow] {escape(msg)}", markup=True, highlight=False)


MAX_MESSAGE_CHARS = 1000


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A message as one bounded line: control characters escaped, the middle of an overlong one cut.

    Messages quote the input they reject, and that input can be anything (a 100 000-character option,
    a file name with a newline); the head names the input and the tail says what was expected, so
    the cut is in the middle.
    """
    text = terminal(text)
    if len(text) <= limit:
        return text
    head, tail = (limit * 2) // 3, limit // 3
    return f"{text[:head]} [... {len(text) - head - tail} characters cut ...] {text[-tail:]}"


def write_out(path: Path, write: Callable[[Path], object]) -> None:
    """Write a command's ``--out`` file (making its folders) with ``write(path)``.

    An unwritable path (a folder, no permission, a full disk) is bad input: exit 2 naming ``--out``,
    not an internal error.
    """
    from modelcensus.errors import InputError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except OSError as exc:
        raise InputError(f"--out {path}: cannot write ({exc.strerror or exc})") from None


def check_format(value: str, allowed: tuple[str, ...], option: str = "--format") -> str:
    from modelcensus.errors import InputError

    v = value.lower()
    if v not in allowed:
        raise InputError(f"{option} {value!r}: expected one of {', '.join(allowed)}")
    return v


def whole_number(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """The parser of a whole-number option: plain ASCII digits with an optional minus, as the library reads every
    number it is given (untrusted.parse_whole); typer's int() also takes '1_0' as 10 and other scripts' digits."""
    def parse(value: str) -> int:
        try:
            number = parse_whole(value)
        except ValueError:
            raise typer.BadParameter(f"{value!r}: expected a whole number in plain digits") from None
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            bounds = f"between {lo} and {hi}" if lo is not None and hi is not None else \
                f"at least {lo}" if lo is not None else f"at most {hi}"
            raise typer.BadParameter(f"{number}: expected a whole number {bounds}")
        return number
    return parse


# Census filters shared by `metrics` and `report` (one definition: the two commands must accept the same)
MaxAgeOption = Annotated[int, typer.Option("--max-age", metavar="DAYS", parser=whole_number(),
                                           help="With --as-of: ignore observations older than this many days.")]
PipelineTagOption = Annotated[list[str] | None, typer.Option("--pipeline-tag", metavar="TAG",
                                                             help="Keep models with this pipeline tag (repeatable).")]
LibraryOption = Annotated[list[str] | None, typer.Option("--library", metavar="NAME",
                                                         help="Keep models of this library (repeatable), "
                                                              "e.g. transformers.")]
# The engine of `--snapshots DIR` runs (metrics, report, lineage build): one definition of both options
EngineOption = Annotated[str, typer.Option("--engine", metavar="duckdb|spark",
                                           help="With --snapshots: the engine that runs the queries.")]
SparkMasterOption = Annotated[str | None, typer.Option("--spark-master", metavar="URL",
                                                       help="With --engine spark: the cluster master (default "
                                                            "local[2]; SPARK_REMOTE selects Spark Connect).")]
