"""``modelcensus --registry FILE site``: the CLI hands its registry files to the serving api."""

from __future__ import annotations

import shutil
from pathlib import Path

from modelcensus import api
from modelcensus.cli.main import run


def test_site_takes_the_registry_option(web_db: str, tmp_path: Path, capsys) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text("orgs:\n  - {key: acme, name: Acme, country: JP, org_type: startup, namespaces: [acme],"
                     " evidence: ['note: test']}\n")
    db, out = tmp_path / "web.duckdb", tmp_path / "site"
    shutil.copy(web_db, db)
    args = ["--db", str(db), "--registry", str(extra), "site", "--out", str(out), "--models", "2", "--orgs", "1"]
    assert run(args) == 2  # the lineage was built with the package registry alone
    assert "not built with this registry" in capsys.readouterr().err
    api.prepare_serving(str(db), registry_files=[str(extra)])
    code = run(args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "model pages) to" in captured.out and (out / "index.html").is_file()
