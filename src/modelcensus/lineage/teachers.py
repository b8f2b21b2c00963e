"""The list of distillation teachers (``data/teachers.yaml``): schema, loading, DuckDB tables.

A teacher is knowledge with evidence, not a guess from name overlap: a model becomes a teacher of another
only through a declaration or through this list (a distill name ending in a listed teacher name, or a card
``datasets:`` entry listed as that teacher's reasoning traces). The file is validated by pydantic; its digest
is part of the lineage build's rules, so editing it rebuilds lineage.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from modelcensus.lineage.data_files import package_file, validate

# the evidence of a distillation edge recording a declared base the config ruled out: written by
# sql/inferred/teacher_raw.sql, read by sql/lineage_build/own_teacher.sql, sql/family/series.sql and origin.py
# (the query files take it as the parameter ${contradicted})
CONTRADICTED_TEACHER = " contradicted by the config: likely the teacher"

TEACHERS_FILE = "teachers.yaml"
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._\-]{0,95}$")
_STUDENT_KEY = re.compile(r"^[a-z]+([0-9]+(\.[0-9]+)?)?-[0-9]+(\.[0-9]+)?b$")


def hub_id(value: str) -> str:
    if not _HUB_ID.match(value) or "--" in value or ".." in value:
        raise ValueError(f"{value!r} is not a namespaced Hub id")
    return value


class Teacher(BaseModel):
    """One teacher model, the names that designate it, its distill series and its trace datasets."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    api: bool = False  # served only through its publisher's API: a dangling id that places the publisher
    names: list[str] = Field(min_length=1)
    students: dict[str, str] = Field(default_factory=dict)
    trace_datasets: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return hub_id(v)

    @field_validator("names")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for n in v:
            if not _NAME.match(n):
                raise ValueError(f"name {n!r}: lower-case letters, digits, '.', '_', '-' only")
        return v

    @field_validator("students")
    @classmethod
    def _students(cls, v: dict[str, str]) -> dict[str, str]:
        for key, model in v.items():
            if not _STUDENT_KEY.match(key):
                raise ValueError(f"student key {key!r}: expected '<word>[<generation>]-<size>b', e.g. llama-8b")
            hub_id(model)
        return v

    @field_validator("trace_datasets")
    @classmethod
    def _datasets(cls, v: list[str]) -> list[str]:
        return [hub_id(d) for d in v]

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, v: list[str]) -> list[str]:
        if any(not e.strip() for e in v):
            raise ValueError("empty evidence line")
        return v


class TeacherFile(BaseModel):
    """The whole file: a version and the teachers."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    teachers: list[Teacher]


def parse_teachers(doc: Any, what: str = TEACHERS_FILE) -> TeacherFile:
    """Validate a parsed YAML document; InputError naming the file and the first problem."""
    return validate(TeacherFile, doc, what)


@lru_cache(maxsize=1)
def _package() -> tuple[TeacherFile, str]:
    return package_file(TeacherFile, TEACHERS_FILE)


def load_teachers() -> TeacherFile:
    """The package teacher list (parsed and validated once per process)."""
    return _package()[0]


def teachers_digest() -> str:
    """Short digest of the teacher file: part of the lineage build's rule stamp."""
    return _package()[1][:10]


def tables(teachers: TeacherFile | None = None) -> dict[str, pa.Table]:
    """``reg_teacher_names(name, teacher_id, api)``, ``reg_teacher_students(teacher_id, student_key, model_id)``
    and ``reg_teacher_datasets(dataset_lower, teacher_id, dataset)`` as Arrow tables."""
    tf = teachers or load_teachers()
    s = pa.string()
    names = [(n, t.id, t.api) for t in tf.teachers for n in t.names]
    students = [(t.id, k, m) for t in tf.teachers for k, m in t.students.items()]
    datasets = [(d.lower(), t.id, d) for t in tf.teachers for d in t.trace_datasets]

    def table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
        return pa.table({f.name: [r[i] for r in rows] for i, f in enumerate(schema)}, schema=schema)

    return {
        "reg_teacher_names": table(names, pa.schema([("name", s), ("teacher_id", s), ("api", pa.bool_())])),
        "reg_teacher_students": table(students, pa.schema([("teacher_id", s), ("student_key", s), ("model_id", s)])),
        "reg_teacher_datasets": table(datasets, pa.schema([("dataset_lower", s), ("teacher_id", s),
                                                           ("dataset", s)])),
    }


def register(area: Any, teachers: TeacherFile | None = None) -> None:
    """The teacher tables on an engine or scratch area (dropped with the area)."""
    for name, table in tables(teachers).items():
        area.register_arrow(name, table)
