"""Read a ``.safetensors`` header without loading a single tensor.

The format is an 8-byte little-endian header length, a JSON header, then raw bytes. The length
is untrusted (a header can claim 2^60 bytes), so it is checked against a hard cap and against the
file size before anything is read; tensor entries are checked to lie inside the data section.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError

MAX_HEADER_BYTES = 100 * 1024 * 1024  # the reference implementation's own limit
MAX_TENSORS = 1_000_000

# tensor names whose first dimension is the vocabulary (token embeddings / output head)
EMBEDDING_NAMES = (
    "model.embed_tokens.weight", "transformer.wte.weight", "tok_embeddings.weight",
    "model.language_model.embed_tokens.weight", "language_model.model.embed_tokens.weight",
    "embed_tokens.weight", "transformer.word_embeddings.weight", "lm_head.weight", "output.weight",
)


@dataclass
class SafetensorsHeader:
    """What a header tells without the weights: tensor names, shapes, dtypes, metadata."""

    path: str
    tensors: dict[str, dict[str, Any]]
    metadata: dict[str, str] = field(default_factory=dict)
    data_bytes: int = 0

    @property
    def dtypes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.tensors.values():
            counts[t["dtype"]] = counts.get(t["dtype"], 0) + 1
        return counts

    @property
    def parameters(self) -> int:
        total = 0
        for t in self.tensors.values():
            n = 1
            for d in t["shape"]:
                n *= d
            total += n
        return total

    def embedding(self) -> tuple[str, list[int]] | None:
        """The token-embedding tensor (name, shape): its first dimension is the vocabulary size."""
        for name in EMBEDDING_NAMES:
            if name in self.tensors and len(self.tensors[name]["shape"]) == 2:
                return name, self.tensors[name]["shape"]
        for name, t in self.tensors.items():
            if name.endswith("embed_tokens.weight") and len(t["shape"]) == 2:
                return name, t["shape"]
        return None

    def features(self) -> dict[str, Any]:
        """Signals for family matching."""
        out: dict[str, Any] = {}
        emb = self.embedding()
        if emb is not None:
            out["vocab_size"] = int(emb[1][0])
            out["hidden_size"] = int(emb[1][1])
        layers = {n.split(".")[2] for n in self.tensors if n.startswith("model.layers.") and n.count(".") > 2}
        if layers:
            out["num_hidden_layers"] = len(layers)
        return out

    def summary(self) -> dict[str, Any]:
        emb = self.embedding()
        return {"tensors": len(self.tensors), "parameters": self.parameters, "dtypes": self.dtypes,
                "embedding": {"name": emb[0], "shape": emb[1]} if emb else None,
                "metadata": dict(list(self.metadata.items())[:20])}


def read_safetensors_header(path: str | Path) -> SafetensorsHeader:
    """Parse and validate the header of ``path``; :class:`InputError` names the file on any problem."""
    p = Path(path)
    what = f"safetensors {p.name}"
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise InputError(f"{what}: file shorter than the 8-byte header length")
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER_BYTES:
                raise InputError(f"{what}: header claims {n} bytes (limit {MAX_HEADER_BYTES})")
            if n + 8 > size:
                raise InputError(f"{what}: header claims {n} bytes but the file has {size}")
            raw = fh.read(n)
    except OSError as exc:
        raise InputError(f"{what}: cannot read ({exc.strerror or exc})") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{what}: header is not JSON ({str(exc).splitlines()[0][:120]})") from None
    if not isinstance(header, dict):
        raise InputError(f"{what}: header is not a JSON object")
    data_bytes = size - 8 - n
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise InputError(f"{what}: __metadata__ is not an object")
    if len(header) > MAX_TENSORS:
        raise InputError(f"{what}: more than {MAX_TENSORS} tensors")
    tensors: dict[str, dict[str, Any]] = {}
    for name, t in header.items():
        if not isinstance(t, dict):
            raise InputError(f"{what}: tensor {name[:80]!r} is not an object")
        dtype, shape, offs = t.get("dtype"), t.get("shape"), t.get("data_offsets")
        if not isinstance(dtype, str) or not isinstance(shape, list) or not isinstance(offs, list):
            raise InputError(f"{what}: tensor {name[:80]!r} lacks dtype, shape or data_offsets")
        if not all(isinstance(d, int) and 0 <= d < 2**48 for d in shape) or len(shape) > 16:
            raise InputError(f"{what}: tensor {name[:80]!r} has an invalid shape")
        if (len(offs) != 2 or not all(isinstance(o, int) for o in offs)
                or not 0 <= offs[0] <= offs[1] <= data_bytes):
            raise InputError(f"{what}: tensor {name[:80]!r} points outside the file")
        tensors[name] = {"dtype": dtype, "shape": shape}
    return SafetensorsHeader(str(p), tensors, {str(k): str(v)[:1000] for k, v in meta.items()}, data_bytes)
