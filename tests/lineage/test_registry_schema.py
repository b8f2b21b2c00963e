"""The registry's files are validated by a schema (pydantic): an unknown or misspelt key, a repeated key,
a wrong type is an error naming the file, the line and the entry; the package data passes the same
checks, duplicate keys included (the fast loader used for package data would not see them)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from modelcensus.errors import InputError
from modelcensus.lineage.registry import PACKAGE_FILES, load_registry
from modelcensus.lineage.registry_schema import parse_file
from modelcensus.untrusted import load_yaml_doc


@pytest.mark.parametrize("name", PACKAGE_FILES)
def test_package_files_pass_the_strict_loader_and_the_schema(name: str) -> None:
    text = resources.files("modelcensus.lineage").joinpath("data", name).read_text("utf-8")
    doc = load_yaml_doc(text, what=name, max_bytes=10_000_000)  # refuses a key given twice
    rf = parse_file(doc, name)
    assert rf.version


@pytest.mark.parametrize(("text", "needle"), [
    ("orgs:\n  - key: acme\n    name: Acme\n    contry: FR\n    org_type: startup\n",
     "line 4: org 'acme': unknown key 'contry'"),
    ("orgs:\n  - key: acme\n    country: FR\n    country: US\n    org_type: startup\n",
     "line 4: not valid YAML (key 'country' given twice (first on line 3)"),
    ("version: 1\norgs:\n  - key: acme\n    name: A\n", "line 3: org 'acme': missing 'org_type'"),
    ("orgs:\n  - name: no key\n    org_type: startup\n", "line 2: orgs[0]: missing 'key'"),
    ("families:\n  - key: f\n    root_org: meta\n    signature:\n      configs:\n        - vocab_sizes: [12, -5]\n",
     "line 6: family 'f': 'signature.configs.0.vocab_sizes' holds -5, not a positive integer"),
    ("families:\n  - key: f\n    root_org: meta\n    signature: {vocab: [1]}\n",
     "line 4: family 'f': unknown key 'signature.vocab'"),
    ("orgs:\n  acme: {org_type: startup, country: [FR]}\n", "line 2: org 'acme': 'country' must be a string, not list"),
    ("licenses:\n  - {id: x, klass: permissive}\n", "line 2: license 'x': missing 'class'"),
    ("renames:\n  - {from: a}\n", "line 2: rename 'a': missing 'to'"),
    ("orgs:\n  - key: a\n    org_type: startup\n    evidence: [{source: hub, link: x}]\n",
     "line 4: org 'a': 'evidence' evidence mapping has unknown key(s) link"),
    ("version: 1\nteachers: []\n", "line 2: unknown section(s) teachers"),
    ("model_aliases: [a, b]\n", "line 1: 'model_aliases' must be a mapping"),
])
def test_user_file_errors_name_file_line_and_entry(tmp_path: Path, text: str, needle: str) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as info:
        load_registry([p])
    assert str(p) in str(info.value) and needle in str(info.value), str(info.value)


def test_a_valid_user_file_keeps_every_field(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text("version: my-1\norgs:\n  acme-labs:\n    name: Acme Labs\n    country: FR\n    org_type: startup\n"
                 "    namespaces: acme-ai\n    evidence: [{source: site, url: acme.example}]\n"
                 "families:\n  - key: acme\n    root_org: acme-labs\n    root_models: [acme-ai/acme-7b]\n"
                 "    signature: {model_types: [ACME], vocab_sizes: 99999, special_tokens: ['<|acme|>']}\n"
                 "    licenses: [Apache-2.0]\n    evidence: ['hub: acme-ai/acme-7b']\n")
    reg = load_registry([p])
    org = reg.org("acme-labs")
    assert (org.name, org.country, org.namespaces, org.evidence) == ("Acme Labs", "FR", ("acme-ai",),
                                                                     ("site: acme.example",))
    fam = reg.family("acme")
    assert fam.signature.model_types == ("acme",) and fam.signature.vocab_sizes == (99999,)
    assert fam.licenses == ("apache-2.0",) and fam.name == "acme"
    assert [x for x in reg.check() if x.file == str(p)] == []
