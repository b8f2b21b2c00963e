"""The CLI is a thin skin over ``modelcensus.api``: every library function or class a command calls is one the api
documents (the same object; commands import it from its home module so that ``--help`` and light commands do
not import every stage), or one of the few presentation and argument helpers listed here, each with why it is
not an api call. Parsed, not grepped: a call through an import alias is still seen."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from modelcensus import api

CLI = Path(__file__).resolve().parents[2] / "src" / "modelcensus" / "cli"
# (module, name): why the CLI may call it without going through the api
HELPERS = {
    ("modelcensus.terminal_tables", "Col"): "terminal rendering",
    ("modelcensus.terminal_tables", "print_table"): "terminal rendering",
    ("modelcensus.terminal_tables", "fit_table"): "terminal rendering",
    ("modelcensus.terminal_tables", "date_cells"): "terminal rendering",
    ("modelcensus.terminal_tables", "number_cells"): "terminal rendering",
    ("modelcensus.safe_output", "terminal"): "escapes untrusted text for the terminal",
    ("modelcensus.audit.render", "render_text"): "renders the AuditReport api.audit returned",
    ("modelcensus.audit.render", "to_table"): "renders the AuditReport api.audit returned",
    ("modelcensus.untrusted", "parse_whole"): "argument parsing (--limit)",
    ("modelcensus.sources.ingest", "parse_observed_at"): "argument parsing (--observed-at)",
    ("modelcensus.sources.hub_api", "crawl_params"): "argument checking before the store is opened",
    ("modelcensus.audit.targets", "parse_target"): "argument parsing: which targets are Hub ids",
    ("modelcensus.audit.targets", "load_inventory"): "argument parsing: which targets are Hub ids",
    ("modelcensus.store.store", "default_db_path"): "where the store is when --db is not given",
    ("modelcensus.store", "default_db_path"): "where the store is when --db is not given",
    ("modelcensus.lineage.build", "built_version"): "a progress note: whether the lineage must be built first",
}


def library_calls(folder: Path = CLI) -> list[tuple[str, int, str, str]]:
    """(file, line, module, name) of every call in ``folder`` to a name imported from the library (not cli,
    errors)."""
    calls = []
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported: dict[str, tuple[str, str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("modelcensus"):
                for alias in node.names:
                    imported[alias.asname or alias.name] = (node.module or "", alias.name)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in imported:
                module, name = imported[func.id]
            elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                  and imported.get(func.value.id) == ("modelcensus", "api")):
                module, name = "modelcensus.api", func.attr
            else:
                continue
            if module.startswith("modelcensus.cli") or module == "modelcensus.errors":
                continue
            calls.append((path.name, node.lineno, module, name))
    return calls


def stray_calls(calls: list[tuple[str, int, str, str]]) -> list[str]:
    """The calls that are neither an api function (the same object) nor a listed helper."""
    documented = {id(getattr(api, name)) for name in api.__all__}
    return [f"{file}:{line}: {module}.{name}" for file, line, module, name in calls
            if (module, name) not in HELPERS and id(getattr(importlib.import_module(module), name)) not in documented]


def test_commands_call_only_the_api() -> None:
    calls = library_calls()
    assert len({c[2:] for c in calls}) > 20  # the parse sees the CLI's calls (a broken walk would see none)
    stray = stray_calls(calls)
    assert not stray, "CLI calls outside modelcensus.api (add them to the api, or say why in HELPERS):\n" + "\n".join(
        stray)


def test_the_helper_list_only_names_what_is_called() -> None:
    called = {(module, name) for _, _, module, name in library_calls()}
    assert not set(HELPERS) - called, f"no longer called, remove: {sorted(set(HELPERS) - called)}"


def test_the_check_sees_an_internal_call(tmp_path: Path) -> None:
    """A command calling an internal (resolve_registry, as cli/metrics.py did) is reported, even under an alias;
    the same function through the api, or an api function imported from its home module, is not."""
    (tmp_path / "x.py").write_text(
        "from modelcensus import api\n"
        "from modelcensus.metrics import compute_metric\n"
        "from modelcensus.metrics.scope import resolve_registry as rr\n"
        "def cmd():\n    return rr(None), api.load_registry(), compute_metric\n", encoding="utf-8")
    calls = library_calls(tmp_path)
    assert calls == [("x.py", 5, "modelcensus.metrics.scope", "resolve_registry"),
                     ("x.py", 5, "modelcensus.api", "load_registry")]
    assert stray_calls(calls) == ["x.py:5: modelcensus.metrics.scope.resolve_registry"]
