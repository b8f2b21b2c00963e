"""A declared base the config rules out is kept as the likely teacher (display only). Review22 R22-6: that teacher
edge said "card base_model" and was graded ``declared`` whatever declared the base; a Hub relation tag or a GGUF
file's metadata is not the author's card. Labelled first, from the grades of docs/lineage.md: the teacher edge
carries the grade and the source of the declaration it came from, and the origin still names the teacher."""

from __future__ import annotations

from typing import Any

import pytest
from lineage_snapshots import add_snapshot, hub

from modelcensus.lineage import lineage, origin

QWEN2 = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 152064}
DSV3 = {"model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 129280}
R1 = "deepseek-ai/DeepSeek-R1"
# (child, record fields beyond the config) -> (grade, evidence of the teacher edge)
CASES = {
    "by-card/r1-qwen-7b": ({"base": R1},
                           ("declared", "card base_model contradicted by the config: likely the teacher")),
    "by-hub-tag/r1-qwen-7b": ({"tags": [f"base_model:finetune:{R1}"]},
                              ("hub", "Hub tag base_model:<relation> contradicted by the config: likely the teacher")),
    "by-plain-tag/r1-qwen-7b": ({"tags": [f"base_model:{R1}"]},
                                ("tag", "tag base_model contradicted by the config: likely the teacher")),
    "by-gguf/r1-qwen-7b": ({"tags": ["gguf"], "gguf": {"general.base_model.0.repo_url": f"https://huggingface.co/{R1}"}},
                           ("tag", "GGUF general.base_model contradicted by the config: likely the teacher")),
}


@pytest.fixture
def built(store: Any, registry: Any) -> Any:
    records = [hub(R1, config=DSV3, safetensors={"total": int(671e9)})]
    for child, (extra, _) in CASES.items():
        fields = dict(extra)
        base = fields.pop("base", None)
        records.append(hub(child, base=base, config=QWEN2, safetensors={"total": int(7.6e9)}, **fields))
    add_snapshot(store, records)
    return store


@pytest.mark.parametrize("child", list(CASES))
def test_the_teacher_edge_keeps_the_declarations_grade_and_source(built: Any, registry: Any, child: str) -> None:
    doc = origin(built, child, registry=registry)
    assert "declared_base_contradicts_config" in doc["problems"], doc["problems"]
    assert doc["teacher"]["id"] == R1 and doc["teacher"]["evidence"] == "card"
    edges = [e for e in lineage(built, child, registry=registry)["ancestors"]
             if e["parent"] == R1 and e["relation"] == "distillation"]
    assert [(e["grade"], e["evidence"]) for e in edges] == [CASES[child][1]], edges


# review23 R23-1: a body only the distill series can place (no size in its name, no vocabulary in its config) is
# placed through the contradicted declaration's teacher, whatever declared it. Labelled first: each child gets the
# roots and grade the card-declared one gets, and that is a Qwen checkpoint, not the child itself.
QWEN2_NO_VOCAB = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}
SERIES = {f"{how}/helper": extra for how, extra in (
    ("series-card", {"base": R1}), ("series-hub-tag", {"tags": [f"base_model:finetune:{R1}"]}),
    ("series-plain-tag", {"tags": [f"base_model:{R1}"]}),
    ("series-gguf", {"tags": ["gguf"], "gguf": {"general.base_model.0.repo_url": f"https://huggingface.co/{R1}"}}))}


def test_the_distill_series_places_a_body_whatever_declared_the_teacher(store: Any, registry: Any) -> None:
    records = [hub(R1, config=DSV3, safetensors={"total": int(671e9)})]
    for child, extra in SERIES.items():
        fields = dict(extra)
        base = fields.pop("base", None)
        records.append(hub(child, base=base, config=QWEN2_NO_VOCAB, safetensors={"total": int(14.8e9)}, **fields))
    add_snapshot(store, records)
    got = {}
    for child in SERIES:
        doc = origin(store, child, registry=registry)
        got[child] = ([r["id"] for r in doc["roots"]], doc["grade"])
    card = got["series-card/helper"]
    assert card[0] and card[0] != ["series-card/helper"] and card[0][0].startswith("Qwen/"), card
    assert all(v == card for v in got.values()), got


def test_every_reader_of_the_contradicted_teacher_marker_uses_the_writers_text() -> None:
    """teacher_raw.sql writes the marker; own_teacher.sql, series.sql and origin.py read it. A reader that kept
    the old "card base_model contradicted" text silently lost every non-card declaration (R23-1): the files take
    the one definition (teachers.CONTRADICTED_TEACHER) as a parameter, and no file spells it out."""
    from importlib.resources import files

    from modelcensus.lineage.build import build_files
    from modelcensus.lineage.edges_family import family_files
    from modelcensus.lineage.edges_inferred import inferred_files
    from modelcensus.lineage.teachers import CONTRADICTED_TEACHER

    quoted = "'" + CONTRADICTED_TEACHER.replace("'", "''") + "'"
    for folder, stem in ((inferred_files(), "teacher_raw"), (build_files(), "own_teacher"), (family_files(), "series")):
        assert "${contradicted}" in folder.files[stem].query, stem
        assert quoted in folder.text(stem, "duckdb", {"sid": 1, "dataset_prefilter": "TRUE"}), stem
    sql = files("modelcensus.lineage") / "sql"
    every = "\n".join(f.read_text("utf-8") for d in sql.iterdir() if d.is_dir() for f in d.iterdir()
                      if f.name.endswith(".sql"))
    assert "likely the teacher'" not in every and "'card base_model contradicted" not in every
