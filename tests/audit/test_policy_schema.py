"""A policy never means less than it says: every way issue 10 found to weaken one silently is an error
naming the file, the line and the key (exit 2), and a well-formed policy keeps its meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcensus.audit.flags import flag_codes
from modelcensus.audit.policy import Subject, evaluate, load_policy
from modelcensus.audit.policy_schema import PolicyModel, flag_catalogue
from modelcensus.errors import InputError

CASES = {
    # a typo in a flag code used to match nothing, so the rule never fired
    "typo": ("name: strict\ndeny_flags:\n  codes:\n    - remote_code\n    - pickle_dangerous_global\n",
             r"line 5: deny_flags\.codes\[1\]: 'pickle_dangerous_global' is not a flag code "
             r"\(did you mean 'pickle_dangerous_globals'\?\)"),
    "upper-case": ("deny_flags:\n  codes: [PICKLE_DANGEROUS_GLOBALS]\n",
                   r"line 2: deny_flags\.codes\[0\]: 'PICKLE_DANGEROUS_GLOBALS': flag codes are lower case"),
    "glob-matching-nothing": ("deny_flags:\n  codes: ['pickel_*']\n",
                              r"line 2: deny_flags\.codes\[0\]: glob 'pickel_\*' matches no flag code"),
    "duplicate-key": ("deny_flags:\n  codes: [pickle_dangerous_globals]\nroot_countries: {deny: [CN]}\n"
                      "deny_flags:\n  codes: [gated]\n  action: warn\n",
                      r"line 4: .*key 'deny_flags' given twice \(first on line 1\)"),
    "aliased-key": ("licences:\n  classes: [permissive]\nlicenses:\n  allow: [mit]\n",
                    r"line 3: .*key 'licenses' given twice \(first as 'licences', another spelling of it, on line 1\)"),
    "nested-duplicate": ("root_countries:\n  deny: [CN]\n  deny: [RU]\n", r"line 3: .*key 'deny' given twice"),
    "empty-mapping": ("{}\n", r"line 1: \(top level\): no rule"),
    "name-only": ("name: very-strict\ndescription: blocks everything\n", r"line 1: \(top level\): no rule"),
    "deny-empty": ("root_countries:\n  deny: []\n", r"line 1: root_countries: lists no country"),
    "codes-empty": ("deny_flags:\n  codes: []\n", r"line 2: deny_flags\.codes: an empty list"),
    "not-iso": ("root_countries:\n  deny: [CN, XX]\n",
                r"line 2: root_countries\.deny\[1\]: 'XX' is not an ISO 3166-1 alpha-2 country code"),
    "country-name": ("teacher_countries:\n  deny: China\n", r"line 2: teacher_countries\.deny: 'China' is not an ISO"),
    "unquoted-norway": ("publisher_countries:\n  deny: [NO]\n", r"line 2: .*got False \(YAML reads unquoted NO"),
    "unknown-rule": ("root_country:\n  deny: [CN]\n", r"line 1: root_country: unknown rule 'root_country' "
                                                     r"\(did you mean 'root_countries'\?\)"),
    "unknown-setting": ("min_grade:\n  grade: tag\n  actoin: fail\n",
                        r"line 3: min_grade\.actoin: unknown setting 'actoin' \(did you mean 'action'\?\)"),
    "denied-and-allowed": ("root_countries: {deny: [CN], allow: [CN, US]}\n", r"line 1: .*CN both denied and allowed"),
    "licences-nothing": ("licences: {chain: true}\n", r"line 1: licences: lists no licence"),
    "empty-rule": ("min_grade: tag\nroot_countries:\nteacher_countries: {deny: [CN]}\n",
                   r"line 2: root_countries: lists no country"),
    "version-list": ("version: [1]\nmin_grade: tag\n", r"line 1: version: expected a string"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_silent_weakening_is_an_error_naming_line_and_key(tmp_path: Path, case: str) -> None:
    text, pattern = CASES[case]
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(InputError, match=r"^policy p\.yaml: " + pattern):
        load_policy(p)


def test_several_errors_are_reported_together(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("root_countries:\n  deny: [XX]\nmin_grade: excellent\n")
    with pytest.raises(InputError) as info:
        load_policy(p)
    message = str(info.value)
    assert "\n" not in message and message.startswith("policy p.yaml: line 2: root_countries.deny[0]: 'XX'")
    assert "; line 3: min_grade.grade: 'excellent'" in message


def test_catalogue_is_the_flags_module_one() -> None:
    assert set(flag_catalogue()) == set(flag_codes())
    assert {"unscanned_content", "pickle_dangerous_globals", "remote_code"} <= set(flag_catalogue())


def test_shorthands_and_case_keep_their_meaning() -> None:
    from modelcensus.audit.policy import parse_policy

    pol = parse_policy("deny_remote_code: warn\nmin_grade: TAG\nrequire_safetensors: true\n"
                       "root_countries: {deny: cn}\ndeny_flags: [template_*, gated]\n", what="p")
    assert pol.rules["deny_remote_code"] == {"action": "warn"}
    assert pol.rules["min_grade"]["grade"] == "tag"
    assert pol.rules["root_countries"]["deny"] == ["CN"]
    assert pol.rules["deny_flags"][0]["codes"] == ["template_*", "gated"]
    s = Subject(id="a/b", namespace="a", publisher_org=None, publisher_country=None,
                roots=[{"id": "q/r", "org": None, "country": "CN"}], teacher=None, license="mit",
                license_class="permissive", chain_licences=[], files_known=True, has_safetensors=True, has_gguf=False,
                has_pickle_weights=False, flag_codes=["template_url"], grade="declared")
    v = evaluate(pol, s)
    assert v.status == "fail" and {f.rule for f in v.findings} == {"root_countries.deny", "deny_flags"}


def test_switched_off_rules_do_not_count_as_rules() -> None:
    from modelcensus.audit.policy import parse_policy

    with pytest.raises(InputError, match="no rule"):
        parse_policy("deny_remote_code: false\nrequire_safetensors: null\n", what="p")


def test_schema_is_exportable_as_json_schema() -> None:
    schema = PolicyModel.model_json_schema()
    assert "deny_flags" in schema["properties"] and schema["additionalProperties"] is False
