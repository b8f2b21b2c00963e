"""`modelcensus registry check|show`: exit codes, JSON purity, user files."""

from __future__ import annotations

import json
from pathlib import Path

from modelcensus.cli.main import run


def test_check_package_registry_ok(capsys):
    assert run(["registry", "check"]) == 0
    assert "ok: no problems" in capsys.readouterr().out


def test_check_json_is_one_document(capsys):
    assert run(["registry", "check", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["problems"] == [] and doc["stats"]["orgs"] >= 200


def test_check_reports_problems_in_user_file_and_exits_1(tmp_path: Path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("orgs:\n  - {key: x, country: ZZ, org_type: startup, namespaces: [x-ns]}\n")
    assert run(["--registry", str(bad), "registry", "check", "--format", "json"]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert {p["kind"] for p in doc["problems"]} == {"unknown_country", "no_evidence"}
    assert all(p["file"] == str(bad) for p in doc["problems"])


def test_check_unreadable_user_file_exits_2(tmp_path: Path, capsys):
    bad = tmp_path / "bomb.yaml"
    bad.write_text("a: &a [x]\nb: *a\n")
    assert run(["--registry", str(bad), "registry", "check"]) == 2
    assert "bomb.yaml" in capsys.readouterr().err


def test_show_by_namespace_name_and_rename(capsys):
    assert run(["registry", "show", "THUDM", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["key"] == "zai" and doc["country"] == "CN" and doc["renamed_from"] == ["THUDM"]
    assert "glm" in doc["families"] and doc["evidence"]
    assert run(["registry", "show", "alibaba qwen"]) == 0
    out = capsys.readouterr().out
    assert "CN (China)" in out and "qwen" in out


def test_show_user_org(tmp_path: Path, capsys):
    extra = tmp_path / "mine.yaml"
    extra.write_text("orgs:\n  - {key: acme, name: Acme, country: JP, org_type: startup, namespaces: [acme],"
                     " evidence: ['note: test']}\n")
    assert run(["--registry", str(extra), "registry", "show", "ACME", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["region"] == "East Asia"


def test_show_unknown_org_exits_2(capsys):
    assert run(["registry", "show", "no-such-org-anywhere"]) == 2
    err = capsys.readouterr().err
    assert "not in the registry" in err


def test_bad_format_exits_2(capsys):
    assert run(["registry", "show", "meta", "--format", "xml"]) == 2
