"""The gate fails closed: no --policy means the shipped default (code-execution risks fail), every policy
inherits the default's code-execution rule, --policy none is a labelled report with no verdict."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
from audit_fixtures import make_folder

from modelcensus.audit import audit
from modelcensus.audit.policy import (
    BASELINE_RULE,
    Subject,
    baseline_rule,
    evaluate,
    load_policy,
    parse_policy,
    shipped_policies,
)
from modelcensus.cli.audit import shipped_policy_names
from modelcensus.cli.main import run
from modelcensus.errors import InputError


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def subject(**kw) -> Subject:
    base = {"id": "acme/model", "namespace": "acme", "publisher_org": "Acme", "publisher_country": "US",
            "roots": [{"id": "acme/base", "org": "Acme", "country": "US"}], "teacher": None,
            "license": "apache-2.0", "license_class": "permissive", "chain_licences": [], "files_known": True,
            "has_safetensors": True, "has_gguf": False, "has_pickle_weights": False, "flag_codes": [],
            "grade": "declared"}
    base.update(kw)
    return Subject(**base)


@pytest.fixture
def no_store(monkeypatch, tmp_path):
    """No default store: local targets are audited without one."""
    monkeypatch.delenv("MODELCENSUS_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture(scope="module")
def evil_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evil")
    folder = make_folder(root, "evil-model", "qwen2", weights="none")
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"w": _Payload(root / "PWNED")}, protocol=4))
    return folder


# -- every policy fails what could run code or could not be read ------------------------------------------
@pytest.mark.parametrize("name", ["default", "no-prc-roots", "permissive-licences-only", "strict-supply-chain"])
@pytest.mark.parametrize("code", ["unscanned_content", "pickle_dangerous_globals", "pickle_suspicious_globals"])
def test_every_shipped_policy_fails_code_execution_and_unscanned_content(name: str, code: str) -> None:
    v = evaluate(load_policy(name), subject(flag_codes=[code]))
    assert v.status == "fail", (name, code, v)
    assert code in " ".join(f.message for f in v.findings)


def test_a_users_policy_inherits_the_floor_unless_it_opts_out() -> None:
    mine = parse_policy("root_countries: {deny: [CN]}\n", what="policy mine.yaml")
    v = evaluate(mine, subject(flag_codes=["unscanned_content"]))
    assert (v.status, v.decided_by) == ("fail", f"deny_flags:{BASELINE_RULE}")
    assert mine.as_dict()["rules"]["deny_flags"][-1]["inherited"] == f"default:{BASELINE_RULE}"
    assert evaluate(mine, subject()).status == "pass"
    # even a policy that merely warns on dangerous globals cannot lower the floor
    weak = parse_policy({"deny_flags": {"codes": ["pickle_dangerous_globals"], "action": "warn"}}, what="p")
    assert evaluate(weak, subject(flag_codes=["pickle_dangerous_globals"])).status == "fail"
    # naming a policy "default" does not make it the default: it still inherits the floor
    named = parse_policy("name: default\nroot_countries: {deny: [CN]}\n", what="policy mine.yaml")
    assert evaluate(named, subject(flag_codes=["pickle_dangerous_globals"])).status == "fail"
    # an explicit opt-out is honoured (and visible in the report)
    off = parse_policy({"baseline": False, "root_countries": {"deny": ["CN"]}}, what="p")
    assert off.as_dict()["baseline"] is False
    assert evaluate(off, subject(flag_codes=["unscanned_content"])).status == "pass"


def test_default_policy_fails_code_execution_and_warns_the_rest() -> None:
    pol = load_policy(None)
    assert pol is not None and pol.name == "default"
    assert {"unscanned_content", "pickle_dangerous_globals"} <= set(baseline_rule()["codes"])
    assert evaluate(pol, subject()).status == "pass"
    v = evaluate(pol, subject(flag_codes=["remote_code"]))
    assert (v.status, v.decided_by) == ("fail", "deny_flags:remote-code")
    v = evaluate(pol, subject(flag_codes=["unpinned_revision", "licence_drift"]))
    assert (v.status, v.decided_by) == ("warn", "deny_flags:other-flags")
    v = evaluate(pol, subject(flag_codes=["template_dunder_attribute", "gated"]))
    assert (v.status, v.decided_by) == ("fail", f"deny_flags:{BASELINE_RULE}")


def test_none_is_a_report_without_verdicts(evil_folder: Path, registry) -> None:
    assert load_policy("none") is None
    rep = audit([str(evil_folder)], registry=registry, policy="none")
    assert rep.report_only and rep.exit_code == 0
    (d,) = rep.dossiers
    assert d.verdict is None and "pickle_dangerous_globals" in {f.code for f in d.flags}
    assert rep.counts == {"pass": 0, "warn": 0, "fail": 0, "error": 0, "not_judged": 1}
    assert rep.as_dict()["audit"]["report_only"] is True


def test_library_default_is_the_default_policy(evil_folder: Path, registry) -> None:
    rep = audit([str(evil_folder)], registry=registry)
    assert rep.policy.name == "default" and not rep.report_only
    assert rep.dossiers[0].verdict.status == "fail" and rep.exit_code == 1


# -- the CLI ------------------------------------------------------------------------------------------------
def test_cli_without_policy_fails_a_dangerous_pickle(evil_folder: Path, no_store, capsys) -> None:
    assert run(["audit", str(evil_folder), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["audit"]["policy"]["name"] == "default"
    assert doc["models"][0]["verdict"]["decided_by"] == f"deny_flags:{BASELINE_RULE}"
    assert "fail the policy default" in err
    assert not (evil_folder.parent / "PWNED").exists()


def test_cli_policy_none_exits_zero_and_says_so(evil_folder: Path, no_store, capsys) -> None:
    assert run(["audit", str(evil_folder), "--policy", "none"]) == 0
    out = capsys.readouterr().out
    assert "REPORT ONLY" in out and "not judged" in out
    assert run(["audit", str(evil_folder), "--policy", "none", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["audit"]["report_only"] is True and doc["models"][0]["verdict"] is None
    assert "pickle_dangerous_globals" in {f["code"] for f in doc["models"][0]["flags"]}
    assert run(["audit", str(evil_folder), "--policy", "none", "--format", "md"]) == 0
    assert "REPORT ONLY" in capsys.readouterr().out
    assert run(["audit", str(evil_folder), "--policy", "none", "--format", "cyclonedx"]) == 0
    props = {p["name"]: p["value"] for p in json.loads(capsys.readouterr().out)["metadata"]["properties"]}
    assert props["modelcensus:policy"] == "none (report only: no verdict)"


def test_unknown_policy_name_lists_the_shipped_ones(evil_folder: Path, no_store, capsys) -> None:
    assert run(["audit", str(evil_folder), "--policy", "strict"]) == 2
    err = capsys.readouterr().err
    assert "policy 'strict': no such file, and not a shipped policy" in err
    for name in shipped_policies():
        assert name in err
    with pytest.raises(InputError, match="not a shipped policy"):
        load_policy("Strict-Supply-Chain")


def test_help_lists_the_shipped_policies(capsys) -> None:
    assert shipped_policy_names() == ", ".join(shipped_policies())
    assert run(["audit", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # names wrapped at a hyphen
    for name in [*shipped_policies(), "none"]:
        assert name in text


def test_bad_policy_file_is_exit_2_naming_line_and_key(evil_folder: Path, no_store, tmp_path, capsys) -> None:
    p = tmp_path / "typo.yaml"
    p.write_text("name: strict\ndeny_flags:\n  codes: [remote_code, pickle_dangerous_global]\n")
    assert run(["audit", str(evil_folder), "--policy", str(p)]) == 2
    err = capsys.readouterr().err
    assert "policy typo.yaml: line 3: deny_flags.codes[1]: 'pickle_dangerous_global' is not a flag code" in err
