"""Policy schema checks (bad policies are one clear error) and rule semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcensus.audit.policy import Subject, evaluate, load_policy, parse_policy, shipped_policies
from modelcensus.errors import InputError


def subject(**kw) -> Subject:
    base = {"id": "acme/model", "namespace": "acme", "publisher_org": "Acme", "publisher_country": "US",
            "roots": [{"id": "Qwen/Qwen2.5-7B", "org": "Alibaba Qwen", "country": "CN"}], "teacher": None,
            "license": "apache-2.0", "license_class": "permissive", "chain_licences": [], "files_known": True,
            "has_safetensors": True, "has_gguf": False, "has_pickle_weights": False, "flag_codes": [],
            "grade": "declared"}
    base.update(kw)
    return Subject(**base)


@pytest.mark.parametrize(("doc", "message"), [
    ({"root_country": {"deny": ["CN"]}}, "unknown rule 'root_country' .did you mean 'root_countries'"),
    ({"root_countries": {"deny": ["China"]}}, "not an ISO 3166-1 alpha-2"),
    ({"root_countries": {"deny": ["CN"], "action": "block"}}, "'block' is not allowed: 'fail' or 'warn'"),
    ({"root_countries": {}}, "lists no country in 'deny' or 'allow'"),
    ({"min_grade": "excellent"}, "'excellent' is not allowed: 'declared'"),
    ({"licences": {"classes": ["free"]}}, "'free' is not allowed: 'permissive'"),
    ({"ids": {"deny": [1]}}, "expected a string, got 1"),
    ({"require_safetensors": {"accept_gguf": "yes"}}, "expected true or false"),
    ({"deny_remote_code": {"when": "always"}}, "unknown setting 'when'"),
    ([1, 2], "a YAML mapping"),
])
def test_schema_errors_name_the_problem(doc, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_policy(doc, what="policy p.yaml")


def test_yaml_bomb_policy_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "bomb.yaml"
    p.write_text("a: &a ['lol','lol','lol']\nb: &b [*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b]\n")
    with pytest.raises(InputError, match="policy bomb.yaml: line 2: not valid YAML .*aliases"):
        load_policy(p)
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 300_000)
    with pytest.raises(InputError, match="larger than"):
        load_policy(big)


def test_shipped_policies_load() -> None:
    assert shipped_policies() == ["default", "no-prc-roots", "permissive-licences-only", "strict-supply-chain"]
    for name in shipped_policies():
        assert load_policy(name).rules


def test_merge_with_one_prc_root_fails_and_unknown_warns() -> None:
    pol = load_policy("no-prc-roots")
    merge = subject(roots=[{"id": "meta-llama/Llama-3.1-8B", "org": "Meta", "country": "US"},
                           {"id": "Qwen/Qwen2.5-7B", "org": "Alibaba Qwen", "country": "CN"}])
    v = evaluate(pol, merge)
    assert (v.status, v.decided_by) == ("fail", "root_countries.deny")
    unknown = evaluate(pol, subject(roots=[{"id": "x/y", "org": None, "country": None}]))
    assert (unknown.status, unknown.decided_by) == ("warn", "root_countries.unknown")
    assert evaluate(pol, subject(roots=[{"id": "m/x", "org": "Meta", "country": "US"}])).status == "pass"


def test_allow_lists_and_organisations() -> None:
    pol = parse_policy({"publisher_countries": {"allow": ["US", "FR"], "action": "warn"},
                        "ids": {"deny": ["evil/*"]},
                        "organisations": {"allow": ["acme", "alibaba qwen", "meta"]}}, what="p")
    assert evaluate(pol, subject()).status == "pass"
    v = evaluate(pol, subject(publisher_country="DE"))
    assert (v.status, v.decided_by) == ("warn", "publisher_countries.allow")
    v = evaluate(pol, subject(id="evil/thing", publisher_country="DE"))
    assert (v.status, v.decided_by) == ("fail", "ids.deny")  # fail outranks the earlier warn
    v = evaluate(pol, subject(roots=[{"id": "d/x", "org": "DeepSeek", "country": "CN"}]))
    assert v.decided_by == "organisations.allow" and "DeepSeek" in v.findings[0].message


def test_licence_grade_and_format_rules() -> None:
    pol = parse_policy({"licences": {"allow": ["apache-2.0", "mit"], "chain": True},
                        "min_grade": {"grade": "tag", "action": "warn"},
                        "require_safetensors": {"accept_gguf": False}}, what="p")
    assert evaluate(pol, subject()).status == "pass"
    v = evaluate(pol, subject(chain_licences=[("meta-llama/Llama-3.1-8B", "llama3.1", "restricted")]))
    assert v.decided_by == "licences" and "llama3.1" in v.findings[0].message
    v = evaluate(pol, subject(grade="tokenizer"))
    assert (v.status, v.decided_by) == ("warn", "min_grade")
    v = evaluate(pol, subject(has_safetensors=False, has_gguf=True))
    assert v.decided_by == "require_safetensors"
    v = evaluate(pol, subject(files_known=False, has_safetensors=False))
    assert (v.status, v.decided_by) == ("warn", "require_safetensors.unknown")
    v = evaluate(pol, subject(license=None))
    assert (v.status, v.decided_by) == ("fail", "licences.unknown")
