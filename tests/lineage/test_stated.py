"""The stated-bases list (lineage/data/stated_bases.yaml): every entry validated, bad files named, not guessed."""

from __future__ import annotations

import pytest

from modelcensus.errors import InputError
from modelcensus.lineage.stated import load_stated, parse_stated
from modelcensus.lineage.teachers import load_teachers

GOOD = {"id": "lab/model-7b", "bases": ["Qwen/Qwen2.5-7B"], "evidence": ["hub: lab/model-7b README: from Qwen2.5-7B"]}


def test_package_list_is_valid_and_each_entry_has_evidence() -> None:
    models = load_stated().models
    assert len(models) >= 40
    teachers = {t.id for t in load_teachers().teachers}
    for m in models:
        assert m.evidence and all(e.strip() for e in m.evidence)
        assert m.teacher is None or m.teacher in teachers
        assert all(b.lower() != m.id.lower() for b in m.bases)


@pytest.mark.parametrize("entry,message", [
    ({**GOOD, "id": "../../etc/passwd"}, "not a namespaced Hub id"),
    ({**GOOD, "bases": []}, "at least 1"),
    ({**GOOD, "teacher": "someone/not-a-listed-teacher"}, "not in teachers.yaml"),
    ({**GOOD, "evidence": []}, "at least 1"),
    ({**GOOD, "extra": 1}, "xtra"),
])
def test_bad_entries_are_refused_naming_the_file_and_entry(entry, message) -> None:
    with pytest.raises(InputError, match=message) as err:
        parse_stated({"version": "t", "models": [entry]}, what="mine.yaml")
    assert str(err.value).startswith("mine.yaml: models.0")


def test_an_id_listed_twice_is_refused() -> None:
    with pytest.raises(InputError, match="listed twice"):
        parse_stated({"version": "t", "models": [GOOD, {**GOOD, "id": "LAB/Model-7B"}]})
