"""Every data file the package reads at run time ships in the wheel: a file under src/modelcensus that is not
Python must match a ``[tool.setuptools.package-data]`` glob (query files in a new sub-folder once did not)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "modelcensus"


def test_every_data_file_is_package_data() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["modelcensus"]
    shipped = {p for g in globs for p in PACKAGE.glob(g) if p.is_file()}
    data = {p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc", ".typed")
            and "__pycache__" not in p.parts}
    missing = sorted(str(p.relative_to(PACKAGE)) for p in data - shipped)
    assert not missing, f"not in package-data (a wheel would leave them out): {missing[:10]}"
    assert any(p.parent.name == "roots" for p in shipped)  # the lineage query folders are there
