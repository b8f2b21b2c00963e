"""Bases that publishers state on their own cards (``data/stated_bases.yaml``): schema, loading, engine table.

Id-only sources (ATOM's list, leaderboard rows) and parents the snapshot only references carry no declaration,
so DeepSeek's own ``DeepSeek-R1-Distill-Llama-70B`` or NVIDIA's ``OpenCodeReasoning-Nemotron-7B`` would be
taken as roots of their publisher. Their cards say what they were trained from; this list keeps those
statements with their evidence. A record's own declaration always wins (even junk: it is the record's word);
the list is used only for models (observed or referenced) that declare nothing, and its edges are graded ``tag``
(registry knowledge, not the record). Validated by pydantic; its digest is part of the
lineage build's rule stamp.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from modelcensus.lineage.data_files import package_file, validate
from modelcensus.lineage.teachers import hub_id, load_teachers

STATED_FILE = "stated_bases.yaml"


class StatedModel(BaseModel):
    """One model: the bases its publisher's card names, and its teacher when the card names one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    bases: list[str] = Field(min_length=1)
    teacher: str | None = None
    evidence: list[str] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return hub_id(v)

    @field_validator("bases")
    @classmethod
    def _bases(cls, v: list[str]) -> list[str]:
        return [hub_id(b) for b in v]

    @field_validator("teacher")
    @classmethod
    def _teacher(cls, v: str | None) -> str | None:
        if v is not None and v.lower() not in {t.id.lower() for t in load_teachers().teachers}:
            raise ValueError(f"teacher {v!r} is not in teachers.yaml")
        return v

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, v: list[str]) -> list[str]:
        if any(not e.strip() for e in v):
            raise ValueError("empty evidence line")
        return v


class StatedFile(BaseModel):
    """The whole file: a version and the models (each id once)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    models: list[StatedModel]

    @field_validator("models")
    @classmethod
    def _unique(cls, v: list[StatedModel]) -> list[StatedModel]:
        seen: set[str] = set()
        for m in v:
            if m.id.lower() in seen:
                raise ValueError(f"{m.id} is listed twice")
            seen.add(m.id.lower())
        return v


def parse_stated(doc: Any, what: str = STATED_FILE) -> StatedFile:
    """Validate a parsed YAML document; InputError naming the file and the first problem."""
    return validate(StatedFile, doc, what)


@lru_cache(maxsize=1)
def _package() -> tuple[StatedFile, str]:
    return package_file(StatedFile, STATED_FILE)


def load_stated() -> StatedFile:
    """The package list (parsed and validated once per process)."""
    return _package()[0]


def stated_digest() -> str:
    """Short digest of the file: part of the lineage build's rule stamp."""
    return _package()[1][:10]


_COLUMNS = ("model_id_lower", "model_id", "base_id", "teacher_id", "evidence")


def register(area: Any, stated: StatedFile | None = None) -> None:
    """Table ``reg_stated(model_id_lower, model_id, base_id, teacher_id, evidence)``, one row per base, registered
    on ``area`` (an engine or a scratch area: the build's scratch drops it when the build ends)."""
    sf = stated or load_stated()
    rows = [(m.id.lower(), m.id, b, m.teacher, "; ".join(m.evidence)) for m in sf.models for b in m.bases]
    table = pa.table({c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(_COLUMNS)})
    area.register_arrow("reg_stated", table)
