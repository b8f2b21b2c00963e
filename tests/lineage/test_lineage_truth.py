"""The labelled benchmark of real lineages (benchmarks/lineage_truth): file integrity, scoring arithmetic, and a
small scored subset through the real code path (skips without ../shared/data)."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path

import pytest

from modelcensus.lineage.registry import load_registry_cached

REPO = Path(__file__).resolve().parents[2]
TRUTH = REPO / "benchmarks" / "lineage_truth"
SHARED = REPO.parent / "shared" / "data"
CLASSES = {"official_distill", "community_distill", "quantizer_reuploader", "merge", "adapter", "renamed_org",
           "format_conversion", "declared_finetune", "undeclared_finetune", "non_llm"}


def _module(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TRUTH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def labels() -> list[dict[str, str]]:
    with (TRUTH / "labels.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_labels_file_is_complete_and_consistent(labels):
    reg = load_registry_cached()
    keys = {o.key for o in (reg.orgs() if callable(reg.orgs) else reg.orgs)}
    assert len(labels) >= 300
    ids = [r["model_id"].lower() for r in labels]
    assert len(ids) == len(set(ids)), "a model is labelled twice"
    per_class = {c: sum(r["class"] == c for r in labels) for c in CLASSES}
    assert set(r["class"] for r in labels) == CLASSES
    assert min(per_class.values()) >= 9, per_class
    for r in labels:
        where = r["model_id"]
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", r["model_id"]), where
        assert r["source"].split(":", 1)[0] in ("trees", "leaderboard", "atom"), where
        assert r["variant"] in ("", "blank_base"), where
        assert r["label_source"].strip(), f"{where}: no public source for the label"
        orgs, countries = r["root_orgs"].split(";"), r["root_countries"].split(";")
        for org in orgs:
            assert org == "?" or org.startswith("ns:") or org in keys, (where, org)
        for c in countries:
            assert c in ("?", "null") or (len(c) == 2 and c.isupper()), (where, c)
        assert r["teacher_org"] in ("none", "?") or r["teacher_org"] in keys, where
        if r["teacher_org"] not in ("none", "?"):
            assert len(r["teacher_country"]) == 2, where
        if "LABEL CHANGED" in r["note"]:
            assert "teacher was " in r["note"] and "did not read" in r["note"], f"{where}: a changed label says why"


def test_scoring_counts_sets_precision_and_recall():
    score = _module("score")
    labels = [
        {"model_id": "a/x", "class": "k", "variant": "", "root_orgs": "meta", "root_countries": "US",
         "teacher_org": "deepseek"},
        {"model_id": "a/y", "class": "k", "variant": "", "root_orgs": "deepseek;meta", "root_countries": "CN;US",
         "teacher_org": "none"},
        {"model_id": "a/z", "class": "j", "variant": "", "root_orgs": "?", "root_countries": "?",
         "teacher_org": "?"},
    ]
    preds = {
        "a/x": {"root_orgs": ["meta"], "root_countries": ["US"], "teacher_org": "none"},          # teacher missed
        "a/y": {"root_orgs": ["deepseek"], "root_countries": ["CN"], "teacher_org": "deepseek"},  # one root short
        "a/z": {"root_orgs": ["google"], "root_countries": ["US"], "teacher_org": "google"},      # not labelled
    }
    out = score.score(labels, preds)
    overall = out["classes"]["overall"]
    assert overall["root_country"] == [1, 2] and overall["root_org"] == [1, 2]
    assert overall["teacher_precision"] == [0, 1]   # a/y was given a teacher it has not
    assert overall["teacher_recall"] == [0, 1]      # a/x's teacher was not found
    assert out["classes"]["j"]["root_org"] == [0, 0]
    assert {m["model_id"] for m in out["mismatches"]} == {"a/x", "a/y"}
    table = score.markdown(out, baseline=out)
    assert "| **overall** | 2 |" in table and "50.0 % (1/2)" in table


@pytest.mark.shared
def test_every_label_has_its_real_record_and_blanking_removes_the_declaration(labels):
    if not SHARED.is_dir():
        pytest.skip(f"real data slices not found at {SHARED}")
    records = _module("records")
    recs = {r["id"].lower(): r for r in records.benchmark_records(SHARED, labels)}
    assert len(recs) > 1900
    for lab in labels:
        rec = recs[lab["model_id"].lower()]
        if lab["variant"] == "blank_base":
            assert not records.declared_bases(rec), lab["model_id"]
            assert not any(str(t).startswith("base_model:") for t in rec.get("tags") or []), lab["model_id"]
    # the variant is applied to a copy: the source record keeps its declaration
    trees = records.tree_records(SHARED)
    blanked = next(r["model_id"] for r in labels if r["variant"] == "blank_base" and r["source"].startswith("trees"))
    assert records.declared_bases(trees[blanked])


@pytest.mark.shared
def test_a_scored_subset_through_the_api_keeps_the_control_classes_right():
    if not SHARED.is_dir():
        pytest.skip(f"real data slices not found at {SHARED}")
    score = _module("score")
    result = score.run(SHARED, TRUTH / "labels.csv", limit=60)
    assert result["labels"] == 60 and result["records_imported"] > 1900
    control = [m for m in result["mismatches"]
               if m["class"] in ("declared_finetune", "adapter", "quantizer_reuploader", "format_conversion")
               and "root_country" in m["wrong"]]
    assert control == []   # declared chains: 100 % at the baseline and since
    assert result["classes"]["overall"]["root_country"][1] >= 55
