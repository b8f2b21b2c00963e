"""Static pickle scanning: a payload that would run a command is flagged and never runs; zip bombs
are refused from the archive directory without inflating them, and reported as unscanned content."""

from __future__ import annotations

import os
import pickle
import time
import tracemalloc
import zipfile
from pathlib import Path

from modelcensus.audit.pickles import scan_pickle_file


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_os_system_pickle_is_flagged_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    p = tmp_path / "pytorch_model.bin"
    p.write_bytes(pickle.dumps({"state_dict": _Payload(marker)}, protocol=4))
    scan = scan_pickle_file(p)
    assert scan.dangerous == ["posix.system"] or scan.dangerous == ["os.system"]
    assert not marker.exists()


def test_torch_zip_archive_with_payload_is_flagged(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    p = tmp_path / "model.pt"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": _Payload(marker)}, protocol=2))
        zf.writestr("archive/data/0", b"\x80\x02" + b"\0" * 64)  # tensor storage that happens to look like a pickle
        zf.writestr("archive/version", b"3\n")
    scan = scan_pickle_file(p)
    assert any(g.endswith(".system") for g in scan.dangerous)
    assert not marker.exists()


def test_benign_pickle_has_no_dangerous_globals(tmp_path: Path) -> None:
    from collections import OrderedDict

    p = tmp_path / "ok.pkl"
    p.write_bytes(pickle.dumps(OrderedDict(a=[1.0, 2.0]), protocol=2))
    scan = scan_pickle_file(p)
    assert scan.dangerous == [] and scan.suspicious == []


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    p = tmp_path / "pytorch_model.bin"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("archive/data.pkl", "w", force_zip64=True) as fh:
        block = b"N" * (1 << 20)  # NONE opcodes: a valid, endless pickle stream
        for _ in range(512):
            fh.write(block)
    assert p.stat().st_size < 1_000_000  # 512 MiB declared, well under 1 MB on disk
    tracemalloc.start()
    t0 = time.perf_counter()
    scan = scan_pickle_file(p)
    assert any("declares 536870912 bytes" in u and "not inflated" in u for u in scan.unscanned), scan.unscanned
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 2 * 1024 * 1024


def test_raw_pickle_past_the_opcode_budget_is_unscanned(tmp_path: Path) -> None:
    from modelcensus.audit.pickle_walk import Budget

    p = tmp_path / "big.pkl"
    p.write_bytes(b"\x80\x04" + b"N0" * 5000 + pickle.dumps(os.system, protocol=4)[2:])
    scan = scan_pickle_file(p, Budget(max_ops=1000, max_bytes=1 << 20))
    assert scan.dangerous == []  # the payload lies past the budget: not seen...
    assert scan.unscanned and "scan limit reached" in scan.unscanned[0]  # ...so the file fails as unscanned
    assert scan_pickle_file(p).dangerous == ["posix.system"]  # the real budget reads it all


def test_7z_archives_are_not_extracted(tmp_path: Path) -> None:
    p = tmp_path / "model.ckpt"
    p.write_bytes(b"7z\xbc\xaf\x27\x1c" + b"\0" * 100)
    scan = scan_pickle_file(p)
    assert scan.unscanned and "7z content" in scan.unscanned[0]
