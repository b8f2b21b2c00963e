"""The CLI a newcomer reads (issue 8 item 10): -h works, every --help shows an example that parses,
no type placeholders such as <str> or <list[Path]>, choices spelled out."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest

from modelcensus.cli.main import EXAMPLES, command, run


def _commands(cmd: Any = None, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    cmd = cmd or command()
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _commands(sub, (*path, name))


ALL = [p for p, _ in _commands()]


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "modelcensus")
def test_every_help_has_an_example_and_no_type_placeholders(path: tuple[str, ...], capsys) -> None:
    assert run([*path, "-h"]) == 0
    text = capsys.readouterr().out
    assert run([*path, "--help"]) == 0
    assert capsys.readouterr().out == text
    assert "Example" in text, text
    for placeholder in ("<str>", "<int>", "<path>", "<list[", "<float>", "TEXT..."):
        assert placeholder not in text, (placeholder, text)


def _example_lines(text: str) -> list[str]:
    """Example command lines: the epilog's, or one written in a docstring as 'Example: modelcensus ...  (note)'."""
    lines = []
    for ln in text.splitlines():
        ln = ln.strip().removeprefix("Examples:").removeprefix("Example:").strip()
        if ln.startswith("modelcensus "):
            lines.append(ln.split("  ")[0])
    return lines


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "modelcensus")
def test_every_example_names_real_commands_and_options(path: tuple[str, ...], capsys) -> None:
    """Each example is parsed by the real command tree (with --help appended, so nothing runs): an unknown
    command or option in an example is a usage error (exit 2)."""
    assert run([*path, "--help"]) == 0
    lines = _example_lines(capsys.readouterr().out)
    assert lines
    for line in lines:
        assert run([*shlex.split(line)[1:], "--help"]) == 0, line
        assert "Usage: modelcensus" in capsys.readouterr().out


def test_examples_cover_every_command() -> None:
    documented = {" ".join(p) for p, c in _commands() if "Example" in (c.help or "")}
    assert {" ".join(p) for p in ALL} <= set(EXAMPLES) | documented


def test_metric_names_and_by_keys_in_help_come_from_the_catalogue(capsys) -> None:
    from modelcensus.metrics import METRIC_NAMES
    from modelcensus.metrics.groups import GROUP_KEYS

    assert run(["metrics", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "region_shift" in METRIC_NAMES
    for name in (*METRIC_NAMES, *GROUP_KEYS):
        assert re.search(rf"\b{name}\b", text), name
    assert "--format table|csv|json|parquet" in text


@pytest.mark.parametrize(("path", "choices"), [
    (("snapshots",), "table|json"), (("export",), "parquet|csv|jsonl"), (("export",), "models|origins|edges"),
    (("lineage",), "table|json"), (("origin",), "table|json"), (("registry", "show"), "table|json"),
    (("import",), "full|partial"),
])
def test_choices_are_listed(path: tuple[str, ...], choices: str, capsys) -> None:
    assert run([*path, "--help"]) == 0
    assert choices in capsys.readouterr().out
