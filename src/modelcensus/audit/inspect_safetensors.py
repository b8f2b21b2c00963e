"""Read a ``.safetensors`` header without loading a single tensor.

The format is an 8-byte little-endian header length, a JSON header, then raw bytes. The length
is untrusted (a header can claim 2^60 bytes), so it is checked against a hard cap and against the
file size before anything is read; tensor entries are checked to lie inside the data section.

Memory: the parsed header is reduced to a summary (counts, dtypes, embedding shape, layer count,
a few metadata entries) before the next file is read, so a folder of shards holds summaries, not
headers; the JSON parse itself is bounded by ``limits.JSON_ITEMS``. A header the bounds stop is not an
error but an ``unscanned`` reason (a high-severity ``unscanned_content`` flag in the dossier).
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from modelcensus.audit import limits
from modelcensus.errors import InputError

MAX_HEADER_BYTES = limits.SAFETENSORS_HEADER_BYTES
MAX_TENSORS = 1_000_000
MAX_METADATA = 100  # __metadata__ entries kept (values cut at 1,000 characters)

# tensor names whose first dimension is the vocabulary (token embeddings / output head)
EMBEDDING_NAMES = (
    "model.embed_tokens.weight", "transformer.wte.weight", "tok_embeddings.weight",
    "model.language_model.embed_tokens.weight", "language_model.model.embed_tokens.weight",
    "embed_tokens.weight", "transformer.word_embeddings.weight", "lm_head.weight", "output.weight",
)


@dataclass
class SafetensorsHeader:
    """What a header tells without the weights, reduced to a summary as soon as it is parsed."""

    path: str
    tensor_count: int = 0
    parameters: int = 0
    dtypes: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    data_bytes: int = 0
    embedding_tensor: tuple[str, list[int]] | None = None
    layers: int = 0
    unscanned: list[str] = field(default_factory=list)

    def embedding(self) -> tuple[str, list[int]] | None:
        """The token-embedding tensor (name, shape): its first dimension is the vocabulary size."""
        return self.embedding_tensor

    def features(self) -> dict[str, Any]:
        """Signals for family matching."""
        out: dict[str, Any] = {}
        if self.embedding_tensor is not None:
            out["vocab_size"] = int(self.embedding_tensor[1][0])
            out["hidden_size"] = int(self.embedding_tensor[1][1])
        if self.layers:
            out["num_hidden_layers"] = self.layers
        return out

    def summary(self) -> dict[str, Any]:
        emb = self.embedding_tensor
        out = {"tensors": self.tensor_count, "parameters": self.parameters, "dtypes": self.dtypes,
               "embedding": {"name": emb[0], "shape": emb[1]} if emb else None,
               "metadata": dict(list(self.metadata.items())[:20])}
        if self.unscanned:
            out["unscanned"] = list(self.unscanned)
        return out


def _find_embedding(tensors: dict[str, dict[str, Any]]) -> tuple[str, list[int]] | None:
    for name in EMBEDDING_NAMES:
        if name in tensors and len(tensors[name]["shape"]) == 2:
            return name, list(tensors[name]["shape"])
    for name, t in tensors.items():
        if name.endswith("embed_tokens.weight") and len(t["shape"]) == 2:
            return name, list(t["shape"])
    return None


def _summarise(path: Path, header: dict[str, Any], data_bytes: int, what: str) -> SafetensorsHeader:
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise InputError(f"{what}: __metadata__ is not an object")
    if len(header) > MAX_TENSORS:
        raise InputError(f"{what}: more than {MAX_TENSORS} tensors")
    dtypes: dict[str, int] = {}
    params = 0
    layers: set[str] = set()
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
        dtype = dtype[:32]
        dtypes[dtype] = dtypes.get(dtype, 0) + 1
        n = 1
        for d in shape:
            n *= d
        params += n
        if name.startswith("model.layers.") and name.count(".") > 2:
            layers.add(name.split(".")[2])
    kept = {str(k)[:200]: str(v)[:1000] for k, v in list(meta.items())[:MAX_METADATA]}
    return SafetensorsHeader(str(path), len(header), params, dtypes, kept, data_bytes, _find_embedding(header),
                             len(layers))


def _read(p: Path) -> SafetensorsHeader:
    what = f"safetensors {p.name}"
    with limits.open_regular(p, what) as fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(8)
            if len(head) < 8:
                raise InputError(f"{what}: file shorter than the 8-byte header length")
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER_BYTES:
                raise InputError(f"{what}: header claims {n} bytes (limit {MAX_HEADER_BYTES})")
            if n + 8 > size:
                raise InputError(f"{what}: header claims {n} bytes but the file has {size}")
            budget = limits.current_budget()
            if not budget.take(n):
                return SafetensorsHeader(str(p), data_bytes=size - 8 - n, unscanned=[budget.refusal(what, n)])
            raw = fh.read(n)
        except OSError as exc:
            raise InputError(f"{what}: cannot read ({exc.strerror or exc})") from None
    if len(raw) < n:
        raise InputError(f"{what}: header claims {n} bytes but only {len(raw)} could be read")
    too_big = limits.json_items_refusal(raw, f"{what} header")
    if too_big:
        return SafetensorsHeader(str(p), data_bytes=size - 8 - n, unscanned=[too_big])
    try:
        text = raw.decode("utf-8")
        del raw  # the parse below is the peak: do not hold the bytes through it
        header = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{what}: header is not JSON ({str(exc).splitlines()[0][:120]})") from None
    except RecursionError:
        raise InputError(f"{what}: header is not JSON (nested too deeply)") from None
    del text
    if not isinstance(header, dict):
        raise InputError(f"{what}: header is not a JSON object")
    return _summarise(p, header, size - 8 - n, what)


def read_safetensors_header(path: str | Path) -> SafetensorsHeader:
    """Parse, validate and summarise the header of ``path``; :class:`InputError` names the file on any
    problem. The same file reached twice (links) for one target is parsed once."""
    p = Path(path)
    return limits.parse_once("safetensors", p, lambda: _read(p), lambda h, q: replace(h, path=str(q)))
