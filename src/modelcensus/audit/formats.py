"""What a file or archive member *is*, from its first bytes (never from its name).

Loaders decide by content too: ``torch.load`` checks for ``PK\\x03\\x04`` at byte 0, ``numpy.load``
for ``\\x93NUMPY``, ``joblib.load`` for its compressors' magic numbers. A suffix is only a hint
(``.pkl`` says "this is a pickle", which matters when the bytes do not parse). The magic numbers
are the formats' own (zip APPNOTE, 7z, RFC 1950/1952, bzip2, xz, POSIX ustar, NEP 1 for ``.npy``).
"""

from __future__ import annotations

import struct

SNIFF_BYTES = 512
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".dat", ".data", ".npy", ".npz",
                   ".zip", ".7z", ".pk", ".sav", ".mar", ".gz", ".bz2", ".xz", ".tar", ".tgz")
CLAIMS_PICKLE = (".pkl", ".pickle", ".joblib")  # a name that says "pickle": bytes that do not parse fail
COMPRESSORS = ("gzip", "bz2", "xz", "lzma", "zlib")


def sniff(head: bytes) -> str:
    """The format named by the leading bytes (``unknown`` when no magic number matches)."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:4] == b"\x04\x22\x4d\x18":
        return "lz4"
    if head[:6] == b"\x93NUMPY":
        return "numpy"
    if head[:4] == b"GGUF":
        return "gguf"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head[:1] == b"\x80" and len(head) > 1 and head[1] <= 5:
        return "pickle"
    if head[:3] == b"\x5d\x00\x00" and len(head) >= 13:
        return "lzma"  # LZMA "alone" header (joblib's lzma compressor): properties byte 0x5d
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"  # joblib's default compressor writes a bare zlib stream
    if len(head) >= 10:
        (n,) = struct.unpack_from("<Q", head)
        if 2 <= n <= 100_000_000 and head[8:9] == b"{":
            return "safetensors"
    return "unknown"
