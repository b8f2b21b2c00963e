#!/usr/bin/env python3
"""Bootstrap for a fresh clone: needs only python3.

    python3 dev.py demo    # build the synthetic demo hub and write the census report
    python3 dev.py test    # lint and run the test suite

It creates ``.venv`` beside this file, installs the package with its test extras
(re-installing only when ``pyproject.toml`` changes) and runs the command inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".modelcensus-installed"


def _ensure_env() -> None:
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == want and PY.exists():
        return
    if not PY.exists():
        print("dev.py: creating .venv", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print("dev.py: installing modelcensus and its test dependencies", file=sys.stderr)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(want)


def _workers(rest: list[str]) -> list[str]:
    """pytest-xdist workers, one per core up to 4 (the whole suite on this 2-core machine, other jobs running:
    1016 s on one worker, 616 s on two). Each worker that meets a Spark test starts its own local JVM (heap
    capped at the memory budget, 3 GiB here). ``-n 0`` runs serially."""
    if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in rest):
        return []
    cores = min(4, os.cpu_count() or 1)
    return ["-n", str(cores)] if cores > 1 else []


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "shell"}:
        print(__doc__, file=sys.stderr)
        return 2
    _ensure_env()
    cmd, rest = argv[0], argv[1:]
    if cmd == "demo":
        return subprocess.call([str(BIN / "modelcensus"), "demo", *(rest or ["--out", "demo-report"])])
    if cmd == "test":
        lint = subprocess.call([str(PY), "-m", "ruff", "check", "src", "tests", "benchmarks", "dev.py"], cwd=ROOT)
        if lint != 0:
            return lint
        return subprocess.call([str(PY), "-m", "pytest", *_workers(rest), *rest], cwd=ROOT)
    return subprocess.call([str(PY), *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
