"""The package's stages import one way only: sources -> store -> lineage -> metrics -> outputs.

Data flows from sources into the store, so ``sources`` may use ``store`` but the store never
knows its sources; lineage reads the store; metrics read lineage; outputs render metrics.
``audit`` sits beside ``outputs`` (it may read lineage and the store, not metrics or outputs),
and ``cli``, ``api`` and ``demo`` sit on top.  A lower stage importing a higher one would make
the stages impossible to test or reuse alone, so this test parses every import (also ones
inside functions) with ``ast`` and fails on any edge outside the allowed set.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "modelcensus"

# Shared leaf modules every stage may use; "__init__" is the root package (only ``__version__``).
BASE = {"errors", "untrusted", "dates", "safe_output", "terminal_tables", "__init__"}
# What each unit may import (besides itself and BASE). Units not listed are top-level (anything goes).
ALLOWED: dict[str, set[str]] = {
    "__init__": set(),
    "errors": set(),
    "untrusted": {"errors"},
    "dates": {"errors"},
    "safe_output": set(),
    "terminal_tables": {"safe_output"},
    "store": set(),
    "sources": {"store"},
    "lineage": {"store"},
    "metrics": {"store", "lineage"},
    "outputs": {"store", "lineage", "metrics"},
    "audit": {"store", "lineage"},
}
TOP = {"cli", "api", "demo", "server", "__main__"}  # server: the web skin over api, as cli is


def _unit(module: str) -> str:
    """The stage a dotted module name belongs to: modelcensus.lineage.build -> lineage."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """Every modelcensus module imported by the file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return [(line, name) for line, name in found if name == "modelcensus" or name.startswith("modelcensus.")]


def layering_violations(root: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        unit = _unit(_module_name(path, root))
        if unit in TOP:
            continue
        allowed = ALLOWED.get(unit)
        if allowed is None:
            problems.append(f"{path.relative_to(root)}: stage {unit!r} has no place in the layering; add it to ALLOWED")
            continue
        for line, name in _imports(path, root):
            target = _unit(name)
            if target == unit or target in allowed or (unit not in BASE and target in BASE):
                continue
            problems.append(f"{path.relative_to(root)}:{line}: {unit} imports {name}")
    return problems


def test_stages_import_one_way_only() -> None:
    problems = layering_violations()
    assert not problems, "layering violations:\n" + "\n".join(problems)


@pytest.mark.parametrize(("unit", "source", "bad"), [
    ("store", "from modelcensus.sources.records import X\n", True),
    ("store", "def f():\n    from modelcensus.lineage import origin\n", True),
    ("lineage", "from modelcensus.metrics import compute_metric\n", True),
    ("metrics", "import modelcensus.outputs.report\n", True),
    ("audit", "from modelcensus.metrics import compute_metric\n", True),
    ("audit", "from modelcensus.outputs.report import x\n", True),
    ("outputs", "from modelcensus.audit import x\n", True),
    ("lineage", "from modelcensus.cli.common import state\n", True),
    ("errors", "from modelcensus.store import Store\n", True),
    ("store", "from modelcensus import __version__\n", False),
    ("metrics", "from modelcensus.lineage import ensure_lineage\nfrom modelcensus.errors import InputError\n", False),
    ("store", "from . import store\nfrom .staging import x\n", False),
    ("store", "from ..lineage import build\n", True),
])
def test_checker_catches_upward_imports(tmp_path: Path, unit: str, source: str, bad: bool) -> None:
    """The checker itself: a planted upward import is reported, a legal one is not."""
    pkg = tmp_path / "modelcensus"
    stage = pkg if unit in BASE else pkg / unit
    stage.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    target = pkg / f"{unit}.py" if unit in BASE else stage / "mod.py"
    target.write_text(source, encoding="utf-8")
    problems = layering_violations(pkg)
    assert bool(problems) is bad, problems


# -- the engine seam ratchet (issue 12) ---------------------------------------------------------------------
# Only store/ may import duckdb or call duckdb.* (the rest goes through store.engine). The modules that did so
# when the seam arrived were moved behind it (the last two on 2026-12-05): the list stays empty, and no module
# may be added.
DUCKDB_DEBT: set[str] = set()


def duckdb_users(root: Path = PACKAGE) -> set[str]:
    """Modules outside store/ that import duckdb or use a ``duckdb.`` attribute (parsed, not grepped)."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("store/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "duckdb" for a in node.names)) or (
                    isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "duckdb" and
                    not node.level) or (
                    isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "duckdb"):
                found.add(rel)
                break
    return found


def test_duckdb_stays_behind_the_store_seam() -> None:
    users = duckdb_users()
    new = users - DUCKDB_DEBT
    assert not new, f"import duckdb outside store/ (use modelcensus.store.engine): {sorted(new)}"
    paid = DUCKDB_DEBT - users
    assert not paid, f"no longer use duckdb: remove from DUCKDB_DEBT so the list only shrinks: {sorted(paid)}"


def test_duckdb_ratchet_catches_a_new_user(tmp_path: Path) -> None:
    pkg = tmp_path / "modelcensus"
    (pkg / "metrics").mkdir(parents=True)
    (pkg / "store").mkdir()
    (pkg / "metrics" / "m.py").write_text("def f(con):\n    import duckdb\n    return duckdb.connect()\n",
                                          encoding="utf-8")
    (pkg / "metrics" / "ok.py").write_text('PATH = "census.duckdb"\n', encoding="utf-8")
    (pkg / "store" / "s.py").write_text("import duckdb\n", encoding="utf-8")
    assert duckdb_users(pkg) == {"metrics/m.py"}


# -- the store owns its connection (issue 12) ---------------------------------------------------------------
# Outside store/, SQL runs through an engine (store.engine; on a store: DuckDBEngine.from_store), never on a
# store's connection: attributes named ``con``, ``_exec`` or ``_one``. The debt list is paid (16 modules on
# 2026-12-04, 10 on 12-05, none since): it stays empty, and no module may be added.
CONNECTION_DEBT: set[str] = set()
CONNECTION_ATTRS = {"con", "_exec", "_one"}


def connection_users(root: Path = PACKAGE) -> set[str]:
    """Modules outside store/ that read an attribute named ``con``, ``_exec`` or ``_one`` (parsed, not grepped)."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("store/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(isinstance(n, ast.Attribute) and n.attr in CONNECTION_ATTRS for n in ast.walk(tree)):
            found.add(rel)
    return found


def test_only_the_store_touches_its_connection() -> None:
    users = connection_users()
    new = users - CONNECTION_DEBT
    assert not new, f"store .con/._exec/._one used outside store/ (run SQL through an engine): {sorted(new)}"
    paid = CONNECTION_DEBT - users
    assert not paid, f"no longer touch a store's connection: remove from CONNECTION_DEBT so it only shrinks: " \
                     f"{sorted(paid)}"


def test_connection_ratchet_catches_a_new_user(tmp_path: Path) -> None:
    pkg = tmp_path / "modelcensus"
    (pkg / "metrics").mkdir(parents=True)
    (pkg / "store").mkdir()
    (pkg / "metrics" / "con.py").write_text("def f(store):\n    return store.con.execute('SELECT 1')\n",
                                            encoding="utf-8")
    (pkg / "metrics" / "one.py").write_text("def f(scope):\n    return scope.store._one('SELECT 1')\n",
                                            encoding="utf-8")
    (pkg / "metrics" / "ok.py").write_text("def f(engine, scope):\n    scope.exec('x')\n"
                                           "    return engine.query('SELECT 1'), 'store.con'\n", encoding="utf-8")
    (pkg / "store" / "s.py").write_text("class S:\n    def _exec(self):\n        return self.con\n",
                                        encoding="utf-8")
    assert connection_users(pkg) == {"metrics/con.py", "metrics/one.py"}
