"""The CLI is a thin skin over ``modelcensus.api``: every library function a command uses (called or passed on)
and every library class it calls is one the api documents (the same object; commands import it from its home
module so that ``--help`` and light commands do not import every stage), or one of the few presentation and
argument helpers listed here, each with why it is not an api call. Parsed, not grepped: aliases, plain and
relative imports and attribute chains are resolved to the object they name. Not seen: a name built at run time
(``getattr(mod, "f")``), which the CLI does not do."""

from __future__ import annotations

import ast
import importlib
import types
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
    ("modelcensus.store.resources", "out_of_memory_message"): "error mapping: DuckDB over its memory cap -> exit 2",
}


def _imports(tree: ast.Module, package: str) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, attribute or None for a module itself), for every import of the library: absolute,
    relative (``package`` is the file's own), plain ``import a.b as c`` and ``import a.b``."""
    imported: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "modelcensus":
                continue
            for alias in node.names:
                imported[alias.asname or alias.name] = (base, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "modelcensus":
                    imported[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else "modelcensus", None)
    return imported


def _resolve(module: str, path: list[str]) -> tuple[object, str, str] | None:
    """The object ``module.path[0].path[1]...`` names, with the last module on the way and the dotted name from
    there (``Store.snapshot`` for a method reached through a class)."""
    obj: object = importlib.import_module(module)
    owner, names = module, []
    for attr in path:
        if not hasattr(obj, attr):
            return None
        if isinstance(obj, types.ModuleType):
            owner, names = obj.__name__, []
        obj = getattr(obj, attr)
        names.append(attr)
    return obj, owner, ".".join(names)


def library_calls(folder: Path = CLI, package: str = "modelcensus.cli") -> list[tuple[str, int, str, str]]:
    """(file, line, module, name) of every library function the CLI uses, called or passed on (``partial(f)``,
    ``map(f, ...)``), and every library class it calls, by any import form or attribute chain, in ``folder`` and
    its sub-folders. The CLI's own modules and ``modelcensus.errors`` are not the library here."""
    uses = set()
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        # a relative import counts from the file's own package (review25 R25-4)
        imported = _imports(tree, ".".join([package, *path.relative_to(folder).parent.parts]))
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        for node in ast.walk(tree):
            if id(node) in inner:  # the outermost node of an attribute chain decides
                continue
            chain: list[str] = []
            head: ast.expr = node
            while isinstance(head, ast.Attribute):
                chain.insert(0, head.attr)
                head = head.value
            if not (isinstance(head, ast.Name) and isinstance(head.ctx, ast.Load) and head.id in imported):
                continue
            module, attr = imported[head.id]
            found = _resolve(module, ([attr] if attr else []) + chain)
            if found is None:
                continue
            obj, owner, name = found
            if owner.startswith("modelcensus.cli") or owner == "modelcensus.errors" or not name:
                continue
            is_function = callable(obj) and not isinstance(obj, type | types.ModuleType)
            if is_function or (isinstance(obj, type) and id(node) in called):
                uses.add((path.relative_to(folder).as_posix(), node.lineno, owner, name))
    return sorted(uses)


def stray_calls(calls: list[tuple[str, int, str, str]]) -> list[str]:
    """The calls that are neither an api function (the same object) nor a listed helper."""
    documented = {id(getattr(api, name)) for name in api.__all__}
    stray = []
    for file, line, module, name in calls:
        found = _resolve(module, name.split("."))
        if (module, name) not in HELPERS and (found is None or id(found[0]) not in documented):
            stray.append(f"{file}:{line}: {module}.{name}")
    return stray


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
    assert calls == [("x.py", 5, "modelcensus.api", "load_registry"),
                     ("x.py", 5, "modelcensus.metrics", "compute_metric"),
                     ("x.py", 5, "modelcensus.metrics.scope", "resolve_registry")]
    assert stray_calls(calls) == ["x.py:5: modelcensus.metrics.scope.resolve_registry"]


def test_the_check_sees_other_ways_to_reach_an_internal(tmp_path: Path) -> None:
    """Review24 (R24-5): plain imports, attribute chains, functions passed on rather than called, relative imports
    and sub-folders were not seen. Classes count only when called (an exception in ``except`` is no call)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "y.py").write_text(
        "import functools\n"
        "import modelcensus.metrics.scope as sc\n"
        "import modelcensus.lineage.build\n"
        "from modelcensus import lineage\n"
        "from ...store.store import ReadOnlyStoreError, default_db_path\n"
        "def cmd():\n"
        "    sc.resolve_registry(None)\n"
        "    modelcensus.lineage.build.built_version\n"
        "    functools.partial(lineage.registry.load_registry_cached)\n"
        "    g = default_db_path\n"
        "    try:\n        g()\n    except ReadOnlyStoreError:\n        pass\n"
        "from modelcensus.store import Store\n"
        "Store.snapshot\n", encoding="utf-8")
    calls = library_calls(tmp_path, package="modelcensus.cli")
    assert [(f, line, f"{m}.{n}") for f, line, m, n in calls] == [
        ("sub/y.py", 7, "modelcensus.metrics.scope.resolve_registry"),
        ("sub/y.py", 8, "modelcensus.lineage.build.built_version"),
        ("sub/y.py", 9, "modelcensus.lineage.registry.load_registry_cached"),
        ("sub/y.py", 10, "modelcensus.store.store.default_db_path"),
        ("sub/y.py", 16, "modelcensus.store.Store.snapshot")]
    assert "sub/y.py:16: modelcensus.store.Store.snapshot" in stray_calls(calls)  # reported, not a crash
