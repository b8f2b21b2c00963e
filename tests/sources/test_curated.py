"""Curated lists (ATOM's org,model,modelId) become named populations, idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcensus.errors import InputError
from modelcensus.sources.curated import default_name, import_population, population
from modelcensus.sources.ingest import import_path


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_list_becomes_a_population_and_reimport_is_a_no_op(store, tmp_path):
    path = _write(tmp_path / "models.csv", ["org,model,modelId", "Qwen,Qwen3-8B,Qwen/Qwen3-8B",
                                            "deepseek-ai,DeepSeek-R1,deepseek-ai/DeepSeek-R1"])
    res = import_path(store, path)
    assert list(res) == [] and len(res.populations) == 1
    pop = res.populations[0]
    assert (pop.name, pop.members, pop.added, pop.already_present) == ("atom", 2, 2, False)
    assert population(store, "atom") == ["Qwen/Qwen3-8B", "deepseek-ai/DeepSeek-R1"]
    assert store._one("SELECT org FROM populations WHERE model_id = 'Qwen/Qwen3-8B'") == ("Qwen",)
    again = import_path(store, path).populations[0]
    assert again.already_present and (again.added, again.removed) == (0, 0)
    assert store._one("SELECT count(*) FROM populations")[0] == 2


def test_newer_list_replaces_membership(store, tmp_path):
    old = _write(tmp_path / "v1.csv", ["org,model,modelId", "a,x,a/x", "b,y,b/y"])
    new = _write(tmp_path / "v2.csv", ["org,model,modelId", "b,y,b/y", "c,z,c/z", "d,w,d/w"])
    import_population(store, old, name="tracked")
    res = import_population(store, new, name="tracked")
    assert (res.added, res.removed, res.members) == (2, 1, 3)
    assert population(store, "tracked") == ["b/y", "c/z", "d/w"]


def test_bad_rows_are_counted_and_the_rest_land(store, tmp_path):
    path = _write(tmp_path / "extra_models.csv", [
        "org,model,modelId", "a,x,a/x", "a,x-dup,A/X", "b,,", "c,evil,../../etc/passwd", "d,ok,d/ok"])
    pop = import_path(store, path, source="mine").populations[0]
    assert pop.name == "mine" and pop.members == 2
    assert pop.skipped.reasons == {"duplicate modelId": 1, "missing modelId": 1, "modelId is not a Hub model id": 1}
    assert [e["position"] for e in pop.skipped.examples] == [2, 3, 4]


def test_default_names():
    assert default_name(Path("models.csv")) == "atom"
    assert default_name(Path("extra_models.csv")) == "atom-extra"
    assert default_name(Path("models_first_version.csv")) == "atom-first-version"
    assert default_name(Path("My Watchlist.csv")) == "my-watchlist"


def test_empty_list_is_an_error(store, tmp_path):
    path = _write(tmp_path / "models.csv", ["org,model,modelId", "x,,"])
    with pytest.raises(InputError, match=r"models\.csv: no valid modelId"):
        import_path(store, path)


def test_real_atom_lists(store, shared_data):
    d = shared_data / "atom_tracked_models"
    res = import_path(store, d)
    pops = {p.name: p for p in res.populations}
    assert pops["atom"].members == 1772 and pops["atom"].skipped.count == 0
    assert pops["atom-extra"].members == 186
    # the first version repeats two ids
    assert pops["atom-first-version"].members + pops["atom-first-version"].skipped.count == 1152
    assert {Path(p).name for p, _ in res.skipped_files} == {
        "PROVENANCE.md", "model_parameters.csv", "organization_regions.csv", "release_date_corrections.csv"}
    assert store._one("SELECT count(*) FROM populations WHERE name = 'atom' AND org = 'Qwen'")[0] == 205
    assert all(p.already_present for p in import_path(store, d).populations)
