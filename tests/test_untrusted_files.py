"""User-named files are read bounded and only when they are regular files.

A FIFO given as ``--policy`` or ``--inventory`` (or as a model folder's README.md / config.json)
used to block the process forever; a folder or an oversized file must be one clear error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelcensus.errors import InputError
from modelcensus.untrusted import read_bounded

MC = Path(sys.executable).with_name("modelcensus")


def test_read_bounded_reads_and_refuses(tmp_path: Path) -> None:
    f = tmp_path / "ok.yaml"
    f.write_bytes(b"a: 1\n")
    assert read_bounded(f, what="policy ok.yaml", max_bytes=5) == b"a: 1\n"
    with pytest.raises(InputError, match=r"^policy ok.yaml: 5 bytes, larger than the 4-byte limit$"):
        read_bounded(f, what="policy ok.yaml", max_bytes=4)
    with pytest.raises(InputError, match=r"^inventory x: cannot read \(a folder\)$"):
        read_bounded(tmp_path, what="inventory x", max_bytes=10)
    with pytest.raises(InputError, match=r"^card: cannot read \(No such file or directory\)$"):
        read_bounded(tmp_path / "missing", what="card", max_bytes=10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_read_bounded_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_bounded(fifo, what="policy pipe", max_bytes=10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
@pytest.mark.parametrize("option", ["--policy", "--inventory"])
def test_cli_fifo_option_is_exit_2_not_a_hang(tmp_path: Path, option: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    from modelcensus.store import Store

    Store(tmp_path / "s.duckdb").close()  # audit reads the store; it no longer creates a missing one
    args = [str(MC), "--db", str(tmp_path / "s.duckdb"), "audit", "acme/x", option, str(fifo)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "pipe: cannot read (not a regular file)" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
@pytest.mark.parametrize("name", ["README.md", "config.json"])
def test_model_folder_with_a_fifo_file_is_an_error_for_that_target(tmp_path: Path, name: str) -> None:
    """Issue 10 item 6: the FIFO is never opened; it is unscanned_content, which fails the default policy."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / name).unlink(missing_ok=True)
    os.mkfifo(folder / name)
    args = [str(MC), "--db", str(tmp_path / "s.duckdb"), "audit", str(folder), "--format", "json"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    flags = json.loads(proc.stdout)["models"][0]["flags"]
    assert any(f["code"] == "unscanned_content" and "FIFO, not a regular file" in f["evidence"] for f in flags)
