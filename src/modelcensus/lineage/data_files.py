"""The lineage rules' own data files (``data/teachers.yaml``, ``data/stated_bases.yaml``): read, validate, digest.

One place for what both lists need: the package file's text read once, parsed as untrusted YAML, validated by
a pydantic model whose first error names the file and the entry, and the text's digest, which becomes part
of the lineage build's rule stamp (editing a list rebuilds lineage).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from modelcensus.errors import InputError
from modelcensus.untrusted import load_yaml

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], doc: Any, what: str) -> M:
    """``doc`` validated as ``model``; InputError naming ``what`` and the first problem's place."""
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{what}: {where}: {err['msg']}") from None


def package_file(model: type[M], name: str) -> tuple[M, str]:
    """The package data file ``name`` validated as ``model``, and the SHA-256 of its text."""
    text = resources.files("modelcensus.lineage").joinpath("data", name).read_text(encoding="utf-8")
    return validate(model, load_yaml(text, what=f"package {name}"), name), hashlib.sha256(text.encode()).hexdigest()
