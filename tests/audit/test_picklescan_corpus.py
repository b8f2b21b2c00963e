"""A peer's test suite: picklescan's public corpus (../shared/data/picklescan_corpus, 109 files,
labels read from picklescan's own test assertions). With no policy (the shipped default):
every ``malicious`` and ``unscannable`` file exits 1, every ``benign`` file exits 0 with no
security flag, and the two ``not_a_pickle`` files are never called dangerous. The files are
hostile: they are scanned, never loaded.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from modelcensus.audit import audit

pytestmark = pytest.mark.shared
GATE = {"pickle_dangerous_globals", "unscanned_content"}


@pytest.fixture
def corpus(shared_data: Path) -> tuple[Path, list[dict[str, str]]]:
    root = shared_data / "picklescan_corpus"
    if not (root / "labels.csv").is_file():
        pytest.skip(f"picklescan corpus not found at {root} (clone with ../shared beside the repo)")
    with (root / "labels.csv").open(newline="") as fh:
        return root, list(csv.DictReader(fh))


def test_every_labelled_file_gets_the_gate_it_should(corpus, registry) -> None:
    root, rows = corpus
    assert len(rows) == 109
    report = audit([str(root / r["path"]) for r in rows], registry=registry)
    assert not report.errors, report.errors[:3]
    by_ref = {d.target.ref: d for d in report.dossiers}
    wrong = []
    for r in rows:
        d = by_ref[str(root / r["path"])]
        codes = {f.code for f in d.flags}
        status = d.verdict.status if d.verdict else None
        ok = {"malicious": status == "fail" and bool(codes & GATE),
              "unscannable": status == "fail" and "unscanned_content" in codes,
              "benign": status != "fail" and not codes & GATE,
              "not_a_pickle": "pickle_dangerous_globals" not in codes}[r["label"]]
        if not ok:
            wrong.append((r["path"], r["label"], status, sorted(codes)))
    assert wrong == []
    counts = {lab: sum(r["label"] == lab for r in rows) for lab in ("malicious", "benign", "unscannable")}
    assert counts == {"malicious": 95, "benign": 11, "unscannable": 1}


@pytest.mark.parametrize("label,expected_exit", [("malicious", 1), ("unscannable", 1), ("benign", 0)])
def test_exit_code_per_label(corpus, registry, label: str, expected_exit: int) -> None:
    """The exit code a CI step sees when it audits one label's files with no --policy."""
    root, rows = corpus
    paths = [str(root / r["path"]) for r in rows if r["label"] == label]
    for p in paths:
        assert audit([p], registry=registry).exit_code == expected_exit, p


def test_cli_exit_codes_without_a_policy(corpus, capsys) -> None:
    """The same gate through the command line a CI step runs: no --policy."""
    from modelcensus.cli.main import run

    root, rows = corpus
    by_label = {lab: [str(root / r["path"]) for r in rows if r["label"] == lab]
                for lab in ("malicious", "benign", "unscannable")}
    assert run(["audit", *by_label["benign"], "--format", "json"]) == 0
    assert run(["audit", *by_label["unscannable"], "--format", "json"]) == 1
    assert run(["audit", *by_label["malicious"][:20], "--format", "json"]) == 1
    capsys.readouterr()
