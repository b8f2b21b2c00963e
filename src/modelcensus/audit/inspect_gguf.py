"""Read GGUF metadata (architecture, declared base models, tokenizer) without touching tensor data.

A GGUF header is a chain of length-prefixed values, every one of them untrusted: a truncated file,
an array claiming 2^60 items or a string claiming 2^63 bytes must fail fast with a clear error.
The header is walked once with strict bounds: a length that runs past the end of the file is a
malformed file (an error); a header that is well-formed but larger than the reader's limits
(``limits.GGUF_METADATA_BYTES`` walked, ``limits.GGUF_VALUES`` values, 64 MiB per string) stops the walk
and is recorded as ``unscanned`` (a high-severity ``unscanned_content`` flag), keeping what was read.
Only the values we use are decoded, and provenance strings only up to ``limits.GGUF_TEXT_CHARS``, so
memory and CPU follow the bytes really read, not the size a sparse file claims.

Why not ``gguf.GGUFReader``: it builds a NumPy view per array item, which took 5.1 s on a
152k-token header here (the bounded walk: 0.05 s), so a file with a 16M-item array would pin a
core for minutes. The ``gguf`` library still defines the format for us: value types come from
``gguf.GGUFValueType`` and the tests write every fixture with ``gguf.GGUFWriter``.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from modelcensus.audit import limits
from modelcensus.errors import InputError

MAX_KV = 100_000
MAX_TENSORS = 1_000_000
MAX_STRING = 64 * 1024 * 1024
MAX_ARRAY = 16_000_000
MAX_STRING_ARRAY = 2_000_000  # real vocabularies hold up to ~1M tokens

# GGUF value types -> fixed size in bytes (None: variable)
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")
TOKEN_TYPE_CONTROL, TOKEN_TYPE_USER_DEFINED = 3, 4
TEMPLATE_KEY = "tokenizer.chat_template"


class _Bounds(Exception):
    """The file is malformed: a length or count that cannot be right."""


class _Limit(Exception):
    """The file may be fine, but reading on would pass a reader limit."""


class _Walker:
    """One bounded pass over a header: ``end`` is where the limit stops us, ``size`` where the file does."""

    def __init__(self, buf: Any, size: int, end: int) -> None:
        self.buf, self.size, self.end, self.values = buf, size, end, 0

    def _span(self, off: int, n: int, what: str) -> int:
        if off + n > self.size:
            raise _Bounds(f"{what} runs past the end of the file")
        if off + n > self.end:
            raise _Limit(f"the header runs past the {self.end:,}-byte reading limit")
        return off + n

    def value(self, off: int, vtype: int, depth: int = 0) -> int:
        self.values += 1
        if self.values > limits.GGUF_VALUES:
            raise _Limit(f"more than {limits.GGUF_VALUES:,} values in the header")
        if vtype in _FIXED:
            return self._span(off, _FIXED[vtype], "value")
        if vtype == _STRING:
            off = self._span(off, 8, "string length")
            (n,) = struct.unpack_from("<Q", self.buf, off - 8)
            if off + n > self.size:
                raise _Bounds(f"string claims {n} bytes with {self.size - off} left")
            if n > MAX_STRING:
                raise _Limit(f"a string of {n:,} bytes (limit {MAX_STRING:,})")
            return self._span(off, n, "string")
        if vtype == _ARRAY:
            if depth > 2:
                raise _Bounds("arrays nested too deep")
            off = self._span(off, 12, "array header")
            etype, count = struct.unpack_from("<IQ", self.buf, off - 12)
            least = _FIXED.get(etype, 8)  # every string or array item takes at least 8 bytes
            if etype not in _FIXED and etype not in (_STRING, _ARRAY):
                raise _Bounds(f"unknown array item type {etype}")
            if off + least * count > self.size:
                raise _Bounds(f"array claims {count} items, runs past the end of the file")
            if count > (MAX_ARRAY if etype in _FIXED else MAX_STRING_ARRAY):
                raise _Limit(f"an array of {count:,} items")
            if etype in _FIXED:
                return self._span(off, least * count, "array")
            if etype == _STRING:
                return self._strings(off, count)
            for _ in range(count):
                off = self.value(off, etype, depth + 1)
            return off
        raise _Bounds(f"unknown value type {vtype}")

    def _strings(self, off: int, count: int) -> int:
        """A string array (a vocabulary: up to ~1M items), walked in one tight loop."""
        self.values += count
        if self.values > limits.GGUF_VALUES:
            raise _Limit(f"more than {limits.GGUF_VALUES:,} values in the header")
        unpack, size, end, most = _U64.unpack_from, self.size, self.end, MAX_STRING
        for _ in range(count):
            if off + 8 > size:
                raise _Bounds("string length runs past the end of the file")
            (n,) = unpack(self.buf, off)
            off += 8 + n
            if off > size:
                raise _Bounds(f"string claims {n} bytes with {size - off + n} left")
            if off > end or n > most:
                raise _Limit(f"the header runs past the {end:,}-byte reading limit" if off > end
                             else f"a string of {n:,} bytes (limit {most:,})")
        return off

    def key(self, off: int) -> tuple[str, int]:
        end = self.value(off, _STRING)
        (n,) = struct.unpack_from("<Q", self.buf, off)
        return bytes(self.buf[off + 8: off + 8 + min(n, 256)]).decode("utf-8", "replace"), end

    def u32(self, off: int, what: str) -> tuple[int, int]:
        end = self._span(off, 4, what)
        return struct.unpack_from("<I", self.buf, off)[0], end


def _wanted(key: str, arch_suffixes: tuple[str, ...] = (".vocab_size", ".embedding_length", ".block_count")) -> bool:
    return (key.startswith(("general.", "tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                            TEMPLATE_KEY)) or key.endswith(arch_suffixes))


@dataclass
class _Header:
    version: int
    n_tensors: int
    n_kv: int
    values: dict[str, tuple[int, int]] = field(default_factory=dict)  # wanted key -> (offset, type)
    walked: int = 0
    unscanned: list[str] = field(default_factory=list)


def _walk_header(buf: Any, size: int, what: str, limit: int) -> _Header:
    if buf[:4] != b"GGUF":
        raise InputError(f"{what}: not a GGUF file (bad magic)")
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", buf, 4)
    if version not in (2, 3):
        raise InputError(f"{what}: unsupported GGUF version {version}")
    if n_kv > MAX_KV or n_tensors > MAX_TENSORS:
        raise InputError(f"{what}: absurd counts ({n_kv} keys, {n_tensors} tensors)")
    h = _Header(version, n_tensors, n_kv)
    w = _Walker(buf, size, min(size, 24 + limit))
    off = 24
    try:
        for _ in range(n_kv):
            key, off = w.key(off)
            vtype, start = w.u32(off, "key/value")
            off = w.value(start, vtype)
            if _wanted(key):
                h.values.setdefault(key, (start, vtype))
            h.walked = off
        for _ in range(n_tensors):
            _, off = w.key(off)
            n_dims, off = w.u32(off, "tensor info")
            if n_dims > 8:
                raise _Bounds(f"tensor with {n_dims} dimensions")
            off = w._span(off, 8 * n_dims + 4 + 8, "tensor info")
            h.walked = off
    except _Bounds as exc:
        raise InputError(f"{what}: malformed header ({exc})") from None
    except struct.error:
        raise InputError(f"{what}: truncated header") from None
    except _Limit as exc:
        h.unscanned.append(f"{what}: header read only to byte {h.walked:,} ({exc}); what follows was not scanned")
    return h


def validate_gguf(path: str | Path) -> tuple[int, int, int]:
    """Walk the header with strict bounds; return (version, tensor_count, kv_count)."""
    info = read_gguf(path)
    return info.version, info.tensor_count, info.kv_count


@dataclass
class GGUFInfo:
    """The metadata that matters for provenance."""

    path: str
    version: int
    architecture: str | None
    name: str | None
    license: str | None
    base_models: list[dict[str, str]] = field(default_factory=list)
    tokenizer_model: str | None = None
    vocab_size: int | None = None
    vocab_hash: str | None = None
    special_tokens: list[str] = field(default_factory=list)
    chat_templates: list[tuple[str, str]] = field(default_factory=list)  # (key, template), every one
    hidden_size: int | None = None
    block_count: int | None = None
    tensor_count: int = 0
    kv_count: int = 0
    file_type: int | None = None
    unscanned: list[str] = field(default_factory=list)

    @property
    def chat_template(self) -> str | None:
        """The default template (``tokenizer.chat_template``), else the first named one."""
        return next((t for k, t in self.chat_templates if k == TEMPLATE_KEY),
                    self.chat_templates[0][1] if self.chat_templates else None)

    def features(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.architecture:
            out["gguf_architecture"] = self.architecture
        for k in ("vocab_size", "vocab_hash", "hidden_size", "chat_template"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.block_count is not None:
            out["num_hidden_layers"] = self.block_count
        if self.special_tokens:
            out["special_tokens"] = list(self.special_tokens)
        return out

    def summary(self) -> dict[str, Any]:
        out = {"version": self.version, "architecture": self.architecture, "name": self.name,
               "license": self.license, "base_models": self.base_models,
               "tokenizer_model": self.tokenizer_model, "vocab_size": self.vocab_size,
               "vocab_hash": self.vocab_hash, "special_tokens": self.special_tokens[:50],
               "chat_templates": [k for k, _ in self.chat_templates], "tensors": self.tensor_count}
        if self.unscanned:
            out["unscanned"] = list(self.unscanned)
        return out


def vocab_hash(tokens: list[str]) -> str:
    """Hash of the vocabulary in id order: equal for the same tokenizer in any file format."""
    h = hashlib.sha256()
    for t in tokens:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h.hexdigest()[:16]


_NUMPY = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1", 10: "<u8", 11: "<i8",
          12: "<f8"}


def _decode(buf: Any, off: int, vtype: int, max_bytes: int | None = None) -> Any:
    """Decode one value already checked by the walk (so no bounds can fail here); strings are cut at
    ``max_bytes`` when given (a display field never needs 64 MiB)."""
    import numpy as np

    if vtype in _FIXED:
        v = np.frombuffer(buf, dtype=_NUMPY[vtype], count=1, offset=off)[0].item()
        return bool(v) if vtype == 7 else v
    if vtype == _STRING:
        (n,) = struct.unpack_from("<Q", buf, off)
        n = n if max_bytes is None else min(n, max_bytes)
        return bytes(buf[off + 8: off + 8 + n]).decode("utf-8", "replace")
    etype, count = struct.unpack_from("<IQ", buf, off)
    off += 12
    if etype in _FIXED:
        return np.frombuffer(buf, dtype=_NUMPY[etype], count=count, offset=off).tolist()
    if etype == _STRING:
        items = []
        for _ in range(count):
            (n,) = struct.unpack_from("<Q", buf, off)
            items.append(bytes(buf[off + 8: off + 8 + n]).decode("utf-8", "replace"))
            off += 8 + n
        return items
    return None  # nested arrays: not used


def _fill(info: GGUFInfo, buf: Any, values: dict[str, tuple[int, int]], what: str) -> None:
    text_bytes = 4 * limits.GGUF_TEXT_CHARS

    def s(key: str) -> str | None:
        v = values.get(key)
        return _decode(buf, v[0], _STRING, text_bytes)[:limits.GGUF_TEXT_CHARS] if v and v[1] == _STRING else None

    def num(key: str) -> int | None:
        v = values.get(key)
        x = _decode(buf, *v) if v and v[1] in _FIXED else None
        return x if isinstance(x, int) and not isinstance(x, bool) else None

    info.architecture, info.name, info.license = s("general.architecture"), s("general.name"), s("general.license")
    info.tokenizer_model, info.file_type = s("tokenizer.ggml.model"), num("general.file_type")
    count = num("general.base_model.count")
    for i in range(min(count or 0, 64)):
        entry = {k: v[:500] for k in ("name", "organization", "version", "repo_url")
                 if (v := s(f"general.base_model.{i}.{k}")) is not None}
        if entry:
            info.base_models.append(entry)
    for key, (off, vtype) in values.items():
        if not key.startswith(TEMPLATE_KEY) or vtype != _STRING:
            continue
        (n,) = struct.unpack_from("<Q", buf, off)
        if n > 4 * limits.TEMPLATE_CHARS:
            info.unscanned.append(f"{what}: chat template {key} of {n:,} bytes not read (limit "
                                  f"{limits.TEMPLATE_CHARS:,} characters)")
        else:
            info.chat_templates.append((key, _decode(buf, off, _STRING)))
    tok = values.get("tokenizer.ggml.tokens")
    if tok and tok[1] == _ARRAY and struct.unpack_from("<I", buf, tok[0])[0] == _STRING:
        tokens = _decode(buf, *tok)
        info.vocab_size, info.vocab_hash = len(tokens), vocab_hash(tokens)
        types = values.get("tokenizer.ggml.token_type")
        kinds = _decode(buf, *types) if types and types[1] == _ARRAY else None
        if isinstance(kinds, list) and len(kinds) == len(tokens):
            info.special_tokens = [t for t, ty in zip(tokens, kinds, strict=True)
                                   if ty in (TOKEN_TYPE_CONTROL, TOKEN_TYPE_USER_DEFINED)][:2000]
    if info.architecture:
        for key, attr in (("vocab_size", "vocab_size"), ("embedding_length", "hidden_size"),
                          ("block_count", "block_count")):
            size = num(f"{info.architecture}.{key}")
            if size is not None and getattr(info, attr) is None:
                setattr(info, attr, size)


def _read(p: Path) -> GGUFInfo:
    from gguf import GGUFValueType

    assert GGUFValueType.STRING == _STRING and GGUFValueType.ARRAY == _ARRAY  # the format we walk
    what = f"GGUF {p.name}"
    budget = limits.current_budget()
    with limits.open_regular(p, what) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < 24:
            raise InputError(f"{what}: truncated (only {size} bytes)")
        limit = min(limits.GGUF_METADATA_BYTES, budget.limit - budget.used)
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                h = _walk_header(buf, size, what, limit)
                budget.take(min(h.walked, budget.limit - budget.used))
                info = GGUFInfo(str(p), h.version, None, None, None, tensor_count=h.n_tensors, kv_count=h.n_kv,
                                unscanned=h.unscanned)
                _fill(info, buf, h.values, what)
        except OSError as exc:
            raise InputError(f"{what}: cannot read ({exc.strerror or exc})") from None
        except ValueError as exc:  # mmap of an odd file
            raise InputError(f"{what}: cannot map ({exc})") from None
    if limit < limits.GGUF_METADATA_BYTES and h.unscanned:
        info.unscanned.append(f"{what}: the reading limit was what remained of the target's {budget.limit:,}-byte "
                              "read budget")
    return info


def read_gguf(path: str | Path) -> GGUFInfo:
    """Validate the header and decode the provenance fields of a GGUF file; the same file reached twice
    (links) for one target is read once."""
    p = Path(path)
    return limits.parse_once("gguf", p, lambda: _read(p), lambda g, q: replace(g, path=str(q)))
