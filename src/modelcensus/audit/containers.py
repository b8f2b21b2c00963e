"""Open a file layer by layer, by content, and walk every pickle stream found in any layer.

Layers: zip (PyTorch archives, ``.npz``, any zip; read with picklescan's ``RelaxedZipFile``, which
ignores flags and CRCs as PyTorch's reader does), POSIX tar (legacy ``torch.save``), gzip / bz2 / xz /
lzma / zlib streams (``.pkl.gz``, joblib's compressors), NumPy ``.npy`` (object arrays hold a pickle),
raw pickles (one or several in a row, legacy PyTorch's five), and a zip appended after anything else.
Every member is sniffed by its bytes, never matched by name (names only mark PyTorch's raw tensor
storages, which its loader reads as bytes). 7z, zstd and lz4 have no bounded reader here: their
content is reported as unscanned, never guessed.

Bounds (``audit.pickles``): 64 MiB per decompressed layer or member, 1 GiB inflated and 10 million
opcodes per audit target, 4 nested layers, 100,000 archive entries. Reaching any of them is an
``unscanned`` entry naming what was not read, which fails the default policy.
"""

from __future__ import annotations

import ast
import bz2
import io
import lzma
import mmap
import os
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import Protocol

from modelcensus.audit.formats import CLAIMS_PICKLE, SNIFF_BYTES, sniff
from modelcensus.audit.pickle_walk import LEGACY_TORCH_MAGIC, Budget, GlobalRef, walk

MAX_DEPTH = 4
MAX_ENTRIES = 100_000
MAX_PICKLES_PER_STREAM = 10_000
MAX_NPY_HEADER = 65_536
_CHUNK = 1 << 16
_STORAGE = re.compile(r"(^|/)data/\d+$", re.IGNORECASE)
_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, RuntimeError, NotImplementedError, OSError, ValueError,
                EOFError, zlib.error, lzma.LZMAError, struct.error, KeyError, IndexError, OverflowError,
                zipfile.LargeZipFile)


class Sink(Protocol):
    """Where findings go (``audit.pickles.PickleScan``)."""

    parse_error: bool

    def add_globals(self, where: str, refs: list[GlobalRef]) -> None: ...
    def add_unscanned(self, where: str, reason: str) -> None: ...
    def add_note(self, where: str, note: str) -> None: ...
    def add_format(self, where: str, fmt: str) -> None: ...


def printable(name: str, limit: int = 200) -> str:
    """A member name safe to print (control characters escaped, length capped)."""
    out = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name[:limit])
    return out + ("..." if len(name) > limit else "")


def scan_file(path: Path, sink: Sink, budget: Budget, *, label: str) -> None:
    """Scan one file; it is opened non-blocking and must be a regular file (never a FIFO or device)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        sink.add_unscanned(label, f"cannot be opened ({exc.strerror or exc})")
        return
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            sink.add_unscanned(label, "not a regular file (FIFO, device or socket): never read")
            return
        if st.st_size == 0:
            sink.add_format(label, "empty")
            return
        try:
            mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            sink.add_unscanned(label, f"cannot be mapped for reading ({exc})")
            return
        try:
            with os.fdopen(os.dup(fd), "rb") as fh:
                _Scanner(sink, budget, mm, fh).layer(mm, label, 0, path.suffix.lower())
        finally:
            mm.close()
    finally:
        os.close(fd)


class _Scanner:
    def __init__(self, sink: Sink, budget: Budget, top: mmap.mmap, top_file: io.BufferedReader) -> None:
        self.sink, self.budget = sink, budget
        self.top, self.top_file = top, top_file

    def fileobj(self, data: bytes | mmap.mmap) -> io.BufferedReader | io.BytesIO:
        """A seekable file over a layer: the open file for the top layer, memory for inner ones."""
        if data is self.top:
            self.top_file.seek(0)
            return self.top_file
        return io.BytesIO(data)

    # ------------------------------------------------------------------ dispatch
    def layer(self, data: bytes | mmap.mmap, where: str, depth: int, suffix: str, claimed: bool = False) -> None:
        if depth > MAX_DEPTH:
            self.sink.add_unscanned(where, f"nested deeper than {MAX_DEPTH} container layers: not opened")
            return
        kind = sniff(bytes(data[:SNIFF_BYTES]))
        if kind == "zip":
            self.zip(data, where, depth)
        elif kind == "tar":
            self.tar(data, where, depth)
        elif kind in ("gzip", "bz2", "xz", "lzma", "zlib"):
            if not self.inflate(kind, data, where, depth, suffix):
                kind = "unknown"  # weak magic (zlib, lzma) that does not decompress: try it as a pickle
        elif kind in ("7z", "zstd", "lz4"):
            self.sink.add_format(where, kind)
            self.sink.add_unscanned(where, f"{kind} content: no bounded reader in the audit, so it was not "
                                           "opened (loaders that unpack it could run a pickle inside)")
        elif kind == "numpy":
            self.npy(data, where)
        elif kind in ("gguf", "safetensors"):
            self.sink.add_format(where, f"{kind} (no pickle; headers are read by their own reader)")
        if kind in ("pickle", "unknown"):
            self.pickles(data, 0, where, claimed=claimed or suffix in CLAIMS_PICKLE or kind == "pickle")
        else:
            self.probe(data, where)
        if kind not in ("zip", "gguf", "safetensors") and _zip_at_end(self.fileobj(data), data):
            self.sink.add_note(where, "a zip archive is appended after the leading content: both were scanned")
            self.zip(data, f"{where} (appended zip)", depth)

    # ------------------------------------------------------------------ pickles
    def probe(self, data: bytes | mmap.mmap, where: str) -> None:
        """Walk byte 0 as a pickle even when a magic number names another format.

        A polyglot can spell ``GGUF``, a safetensors length, ``PK\x03\x04`` or a tar member name with
        valid opcodes (``G`` BINFLOAT swallows 8 bytes, ``X`` BINUNICODE a length-prefixed string, ``P``
        PERSID a line) and go on to ``os.system``: ``pickle.load`` on such a file runs it, whatever the
        magic says. Resolved globals met on the way are judged like any pickle's; real files of those
        formats stop at an invalid opcode within a few bytes. Unresolved ones are not counted here: ``.npy``'s
        own magic starts with 0x93, STACK_GLOBAL on an empty stack, which an unpickler rejects (stack
        underflow) before importing anything; operands built by a call need a resolved global first."""
        res = walk(data, 0, len(data), self.budget)
        found = [g for g in res.globals if g.resolved]
        if found:
            self.sink.add_globals(f"{where} (read as a pickle from byte 0)", found)
        if res.budget_exhausted and not _line_cannot_load(data, res.end):
            self.sink.add_unscanned(where, f"scan limit reached while reading byte 0 on as a pickle ({res.error})")

    def pickles(self, data: bytes | mmap.mmap, start: int, where: str, *, claimed: bool) -> None:
        """Walk consecutive pickles from ``start``; decide what a parse failure means."""
        end = len(data)
        pos, count, legacy = start, 0, False
        while pos < end:
            res = walk(data, pos, end, self.budget)
            if res.complete:
                self.sink.add_globals(where, res.globals)
                count += 1
                legacy = legacy or (count == 1 and res.first_long == LEGACY_TORCH_MAGIC)
                pos = res.end
                if legacy and count == 5:
                    self.sink.add_format(where, "legacy PyTorch checkpoint (5 pickles, then raw tensor storage)")
                    return
                if count >= MAX_PICKLES_PER_STREAM and pos < end:
                    self.sink.add_unscanned(where, f"more than {MAX_PICKLES_PER_STREAM} pickles in one stream; "
                                                   f"{end - pos} bytes not scanned")
                    return
                continue
            if res.budget_exhausted:
                self.sink.add_globals(where, res.globals)
                self.sink.add_unscanned(where, f"scan limit reached ({res.error} of {end}); "
                                               f"{end - res.end} bytes were not scanned")
                return
            importable = any(g.importable for g in res.globals)
            if not (res.proto_header or importable or (claimed and count == 0)):
                # the bytes are not a pickle: an unpickler fails on them before importing anything
                if count == 0:
                    self.sink.add_format(where, "data (not a pickle)")
                else:
                    self.sink.add_note(where, f"{end - pos} bytes after the last complete pickle are not a "
                                              "pickle stream (no pickle.load reaches past the failure)")
                return
            self.sink.add_globals(where, res.globals)
            self.sink.parse_error = True
            self.sink.add_unscanned(where, f"pickle stream does not parse ({res.error}); "
                                           f"{end - res.end} bytes after that point were not scanned")
            return
        if count:
            self.sink.add_format(where, "pickle" if count == 1 else f"{count} pickles")

    # ------------------------------------------------------------------ archives
    def zip(self, data: bytes | mmap.mmap, where: str, depth: int) -> None:
        from picklescan.relaxed_zipfile import RelaxedZipFile

        try:
            zf = RelaxedZipFile(self.fileobj(data))
        except _READ_ERRORS as exc:
            self.sink.add_format(where, "zip")
            self.sink.add_unscanned(where, f"zip archive cannot be read ({exc}): no member was scanned")
            return
        with zf:
            infos = zf.infolist()
            names = [i.filename.lower() for i in infos]
            torch_archive = any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)
            self.sink.add_format(where, f"zip ({len(infos)} members{', PyTorch archive' if torch_archive else ''})")
            if len(infos) > MAX_ENTRIES:
                self.sink.add_unscanned(where, f"{len(infos)} entries (limit {MAX_ENTRIES}): the rest not scanned")
                infos = infos[:MAX_ENTRIES]
            for info in infos:
                if not info.is_dir():
                    self.member(zf, info, f"{where}:{printable(info.filename)}", depth, torch_archive)

    def member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, depth: int, torch_archive: bool) -> None:
        if torch_archive and _STORAGE.search(info.filename):
            head = self.read_member(zf, info, where, 8, quiet=True)
            if head is None or sniff(head) not in ("numpy", "zip"):
                return  # raw tensor storage: PyTorch reads these bytes, it never unpickles them
        if info.flag_bits & 0x1:
            self.sink.add_unscanned(where, "encrypted (password-protected) member: its content cannot be read "
                                           "without the password")
        if info.file_size > _layer_cap():
            ratio = info.file_size / max(info.compress_size, 1)
            self.sink.add_unscanned(where, f"declares {info.file_size} bytes (compression ratio {ratio:.0f}:1; "
                                           f"limit {_layer_cap()} per member): not inflated")
            return
        if not self.budget.take_bytes(info.file_size):
            self.sink.add_unscanned(where, f"inflate budget of {self.budget.max_bytes} bytes per target reached: "
                                           "not inflated")
            return
        content = self.read_member(zf, info, where, _layer_cap() + 1)
        if content is None:
            return
        if len(content) > _layer_cap():
            self.sink.add_unscanned(where, f"inflates past {_layer_cap()} bytes (declared {info.file_size}): "
                                           "only the first part was scanned")
            content = content[:_layer_cap()]
        self.layer(content, where, depth + 1, Path(info.filename).suffix.lower(),
                   claimed=info.filename.lower().endswith(".pkl"))

    def read_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, n: int,
                    quiet: bool = False) -> bytes | None:
        try:
            with zf.open(info) as fh:
                return fh.read(n)
        except _READ_ERRORS as exc:
            if not quiet:
                self.sink.add_unscanned(where, f"member cannot be read ({type(exc).__name__}: {str(exc)[:120]})")
            return None

    def tar(self, data: bytes | mmap.mmap, where: str, depth: int) -> None:
        self.sink.add_format(where, "tar")
        if len(data) > self.budget.max_bytes:  # tarfile reads (pax) headers whole: keep the file under the budget
            self.sink.add_unscanned(where, f"tar archive of {len(data)} bytes (limit {self.budget.max_bytes}): "
                                           "not opened")
            return
        try:
            with tarfile.open(fileobj=self.fileobj(data), mode="r:") as tf:
                for i, m in enumerate(tf):
                    mwhere = f"{where}:{printable(m.name)}"
                    if i >= MAX_ENTRIES:
                        self.sink.add_unscanned(where, f"more than {MAX_ENTRIES} entries: the rest not scanned")
                        return
                    if not m.isreg():
                        continue  # links and devices in a tar are never extracted by the audit
                    if m.size > _layer_cap() or not self.budget.take_bytes(m.size):
                        self.sink.add_unscanned(mwhere, f"{m.size} bytes: over the per-member limit or the "
                                                        "target's budget, not read")
                        continue
                    fh = tf.extractfile(m)
                    content = fh.read(_layer_cap()) if fh else b""
                    self.layer(content, mwhere, depth + 1, Path(m.name).suffix.lower())
        except _READ_ERRORS as exc:
            self.sink.add_unscanned(where, f"tar archive cannot be read to the end ({type(exc).__name__}: "
                                           f"{str(exc)[:120]})")

    # ------------------------------------------------------------------ compressed streams
    def inflate(self, kind: str, data: bytes | mmap.mmap, where: str, depth: int, suffix: str) -> bool:
        """Decompress (bounded) and scan the result; False when weak magic did not decompress at all."""
        cap = _layer_cap()
        out, error, complete, rest = _inflate(kind, data, cap)
        if kind in ("zlib", "lzma") and not out and error:
            return False
        self.sink.add_format(where, kind)
        if not self.budget.take_bytes(len(out)):
            self.sink.add_unscanned(where, f"inflate budget of {self.budget.max_bytes} bytes per target reached")
            return True
        if len(out) > cap:
            self.sink.add_unscanned(where, f"decompresses past {cap} bytes: only the first {cap} were scanned")
            out = out[:cap]
        elif error or not complete:
            self.sink.add_unscanned(where, f"{kind} stream is corrupt or truncated after {len(out)} bytes "
                                           f"({error or 'no end of stream'}): the rest was not scanned")
        if rest:
            self.sink.add_note(where, f"{rest} bytes after the end of the {kind} stream were not decompressed")
        inner = suffix if suffix not in (".gz", ".bz2", ".xz", ".z") else Path(where.rsplit(":", 1)[-1][:-len(suffix)]
                                                                                ).suffix.lower()
        self.layer(bytes(out), f"{where}>{kind}", depth + 1, inner)
        return True

    # ------------------------------------------------------------------ numpy
    def npy(self, data: bytes | mmap.mmap, where: str) -> None:
        import numpy as np

        major = data[6] if len(data) > 7 else 0
        off = 10 if major == 1 else 12
        try:
            if major not in (1, 2, 3):
                raise ValueError(f"unsupported .npy version {major}")
            (hlen,) = struct.unpack_from("<H" if major == 1 else "<I", data, 8)
            if hlen > MAX_NPY_HEADER or off + hlen > len(data):
                raise ValueError(f"header of {hlen} bytes (limit {MAX_NPY_HEADER}, file {len(data)})")
            header = ast.literal_eval(bytes(data[off:off + hlen]).decode("utf-8" if major == 3 else "latin-1"))
            dtype = np.lib.format.descr_to_dtype(header["descr"])
        except (ValueError, SyntaxError, TypeError, KeyError, MemoryError, RecursionError, struct.error) as exc:
            self.sink.add_format(where, "npy")
            self.sink.add_unscanned(where, f".npy header cannot be read ({type(exc).__name__}: {str(exc)[:120]})")
            return
        if dtype.hasobject:
            self.sink.add_format(where, "npy (object array: a pickle follows the header)")
            self.pickles(data, off + hlen, where, claimed=True)
        else:
            self.sink.add_format(where, f"npy ({dtype.str} array, no pickle)")


_NUMERIC_LINE = frozenset(b"0123456789+-.eEInfinatyxXabcdfABCDF_ \r\n")


def _line_cannot_load(data: bytes | mmap.mmap, arg_at: int) -> bool:
    """Whether the over-long line argument the probe stopped on makes ``pickle.load`` fail there.

    A real safetensors header whose length's low byte reads as FLOAT (``F``) runs one line of JSON long;
    the unpickler would call ``float()`` on it and fail before importing anything. FLOAT, INT and LONG
    need a number, STRING a quote; UNICODE and PERSID take any line, so those stay unscanned."""
    if arg_at < 1:
        return False
    op, head = bytes(data[arg_at - 1: arg_at]), bytes(data[arg_at: arg_at + 64])
    if op in (b"F", b"I", b"L"):
        return any(ch not in _NUMERIC_LINE for ch in head)
    if op == b"S":
        return head[:1] not in (b"'", b'"')
    return False


def _layer_cap() -> int:
    """The per-layer cap, read at call time (tests lower it)."""
    from modelcensus.audit import pickles

    return pickles.MAX_LAYER_BYTES


def _zip_at_end(fobj: io.BufferedReader | io.BytesIO, data: bytes | mmap.mmap) -> bool:
    """Does an end-of-central-directory record close the data (a zip appended to something else)?"""
    return b"PK\x05\x06" in data[-(65_536 + 22):] and zipfile.is_zipfile(fobj)


def _decompressor(kind: str):  # noqa: ANN202 - zlib/bz2/lzma objects share no type
    return {"gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS), "zlib": zlib.decompressobj,
            "bz2": bz2.BZ2Decompressor, "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ),
            "lzma": lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE)}[kind]()


def _inflate(kind: str, data: bytes | mmap.mmap, cap: int) -> tuple[bytearray, str | None, bool, int]:
    """(output up to cap+1 bytes, error, reached the end of stream, bytes left after it)."""
    out = bytearray()
    pos, n = 0, len(data)
    d = _decompressor(kind)
    pending = b""
    try:
        while len(out) <= cap:
            if d.eof:
                left = d.unused_data
                if kind == "gzip" and (left + data[pos:pos + 2])[:2] == b"\x1f\x8b":
                    pending, d = left, _decompressor(kind)  # gzip allows several members in a row
                    continue
                return out, None, True, len(left) + (n - pos)
            if pending:
                inp, pending = pending, b""
            elif kind in ("gzip", "zlib") and d.unconsumed_tail:
                inp = d.unconsumed_tail
            elif kind not in ("gzip", "zlib") and not d.needs_input:
                inp = b""
            elif pos < n:
                inp = data[pos:pos + _CHUNK]
                pos += len(inp)
            else:
                break
            out += d.decompress(inp, cap + 1 - len(out))
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError) as exc:
        return out, f"{type(exc).__name__}: {str(exc)[:120]}", False, 0
    return out, None, bool(d.eof), 0
