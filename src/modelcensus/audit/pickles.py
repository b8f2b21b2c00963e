"""Static scan of pickle-based weight files (.bin/.pt/.pth/.ckpt/.pkl) with ``picklescan``.

Nothing is ever unpickled: picklescan disassembles the opcode stream and lists the globals a load
would import. What we add is bounds, because the files are hostile: a PyTorch zip archive whose
pickle entry declares gigabytes (a zip bomb) is refused from its directory entry before a byte is
inflated, at most ``MAX_PICKLE_BYTES`` of any pickle stream are read, and 7z archives (which
picklescan would extract to disk) are not opened.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
MAX_PICKLE_BYTES = 8 * 1024 * 1024  # real PyTorch data.pkl files are kilobytes; op lists grow with size
MAX_ZIP_ENTRIES = 100_000
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")

_log = logging.getLogger("picklescan")
_log.addHandler(logging.NullHandler())
_log.propagate = False


@dataclass
class PickleScan:
    """Globals a load of the file would import, by picklescan's safety level."""

    file: str
    dangerous: list[str] = field(default_factory=list)
    suspicious: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parse_error: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "dangerous": self.dangerous, "suspicious": self.suspicious,
                "notes": self.notes, "parse_error": self.parse_error}


def _merge(scan: PickleScan, result: Any) -> None:
    from picklescan.scanner import SafetyLevel

    for g in result.globals:
        name = f"{g.module}.{g.name}"
        if g.safety == SafetyLevel.Dangerous and name not in scan.dangerous:
            scan.dangerous.append(name)
        elif g.safety == SafetyLevel.Suspicious and name not in scan.suspicious:
            scan.suspicious.append(name)
    scan.parse_error = scan.parse_error or bool(result.scan_err)


def _scan_zip(path: Path, scan: PickleScan) -> None:
    from picklescan.scanner import scan_pickle_bytes

    what = f"pickle archive {path.name}"
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{what}: not a readable zip archive ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InputError(f"{what}: {len(infos)} entries (limit {MAX_ZIP_ENTRIES})")
        for info in infos:
            is_pkl = info.filename.endswith((".pkl", ".pickle"))
            if not is_pkl:
                if info.file_size == 0:
                    continue
                try:
                    with zf.open(info) as fh:
                        head = fh.read(2)
                except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError):
                    continue
                if head not in _PICKLE_MAGIC or info.file_size > MAX_PICKLE_BYTES:
                    continue  # tensor storage, not a pickle stream
            if info.file_size > MAX_PICKLE_BYTES:
                ratio = info.file_size / max(info.compress_size, 1)
                raise InputError(f"{what}: entry {info.filename!r} declares {info.file_size} bytes "
                                 f"(compression ratio {ratio:.0f}:1; limit {MAX_PICKLE_BYTES}) - refused "
                                 "as a possible zip bomb")
            try:
                with zf.open(info) as fh:
                    data = fh.read(MAX_PICKLE_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as exc:
                raise InputError(f"{what}: entry {info.filename!r} cannot be read ({exc})") from None
            if len(data) > MAX_PICKLE_BYTES:
                raise InputError(f"{what}: entry {info.filename!r} inflates past its declared size")
            _merge(scan, scan_pickle_bytes(io.BytesIO(data), f"{path.name}:{info.filename}"))


def scan_pickle_file(path: str | Path) -> PickleScan:
    """Statically scan one pickle-based file; :class:`InputError` when it cannot be scanned safely."""
    from picklescan.scanner import scan_bytes

    p = Path(path)
    scan = PickleScan(p.name)
    try:
        with p.open("rb") as fh:
            head = fh.read(6)
            if head.startswith(b"7z\xbc\xaf\x27\x1c"):
                raise InputError(f"pickle archive {p.name}: 7z archives are not scanned (would need extraction)")
            is_zip = zipfile.is_zipfile(fh)
            if not is_zip:
                fh.seek(0)
                data = fh.read(MAX_PICKLE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"pickle file {p.name}: cannot read ({exc.strerror or exc})") from None
    if is_zip:
        _scan_zip(p, scan)
        return scan
    if len(data) > MAX_PICKLE_BYTES:
        data = data[:MAX_PICKLE_BYTES]
        scan.notes.append(f"only the first {MAX_PICKLE_BYTES} bytes were scanned")
    try:
        result = scan_bytes(io.BytesIO(data), p.name, p.suffix.lower())
    except Exception as exc:  # picklescan raises plain exceptions on malformed streams
        raise InputError(f"pickle file {p.name}: cannot be scanned ({type(exc).__name__}: "
                         f"{str(exc)[:160]})") from None
    _merge(scan, result)
    return scan
