"""Pieces the benchmarks share: a child process's own peak memory, the machine, a log-log growth fit.

Only the standard library is imported here, so a parent that imports this module stays small: on Linux a
child's ``ru_maxrss`` starts from its parent's resident size at fork (the high-water mark survives exec),
so a large parent would inflate every child's figure.
"""

from __future__ import annotations

import math
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def peak_rss_bytes() -> int:
    """This process's own high-water resident memory (VmHWM of /proc/self/status; ru_maxrss elsewhere)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return ru if sys.platform == "darwin" else ru * 1024  # macOS reports bytes, Linux KiB


@dataclass
class Run:
    """One child process: wall time, CPU time (user + system, all threads) and peak resident memory."""

    label: str
    argv: list[str]
    seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    returncode: int
    stdout: str = ""
    stderr: str = ""
    tree_peak_rss_bytes: int = 0  # summed RSS of the process and its descendants, sampled every 0.5 s
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"label": self.label, "seconds": round(self.seconds, 3), "cpu_seconds": round(self.cpu_seconds, 3),
                "peak_rss_bytes": self.peak_rss_bytes, "tree_peak_rss_bytes": self.tree_peak_rss_bytes,
                "returncode": self.returncode, **self.extra}


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants now (Linux /proc; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    for d in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(d.name))
            rss[int(d.name)] = int(fields[21]) * page
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class TreePoller:
    """Samples the summed RSS of a process tree every ``interval`` s: what ru_maxrss cannot see when a stage
    starts helpers (Spark's JVM) or when several processes are alive at once (ru_maxrss is one process's max)."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        import threading

        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_child(label: str, argv: list[str], *, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,),
                 cwd: str | Path | None = None) -> Run:
    """Run ``argv`` with its output in files and reap it with ``os.wait4`` so its own rusage is kept."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        poller = TreePoller(proc.pid)
        _pid, status, ru = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        tree_peak = poller.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    maxrss = ru.ru_maxrss if sys.platform == "darwin" else ru.ru_maxrss * 1024
    run = Run(label, argv, seconds, ru.ru_utime + ru.ru_stime, maxrss, proc.returncode, stdout, stderr,
              tree_peak_rss_bytes=tree_peak)
    if proc.returncode not in ok:
        raise SystemExit(f"{label} failed (exit {proc.returncode}): {' '.join(argv)}\n{stderr[-3000:]}")
    return run


def machine() -> dict:
    """What the figures were measured on (RAM from sysconf where it exists)."""
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        ram = None
    try:
        import importlib.metadata as md

        duckdb_version = md.version("duckdb")
    except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
        duckdb_version = None
    return {"cpus": os.cpu_count(), "ram_bytes": ram, "os": platform.platform(),
            "python": platform.python_version(), "duckdb": duckdb_version}


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def growth_exponent(sizes: list[float], values: list[float]) -> float | None:
    """Least-squares slope of log(value) on log(size): value ~ size ** slope (1 = linear)."""
    pts = [(math.log(s), math.log(v)) for s, v in zip(sizes, values, strict=True) if s > 0 and v > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return None if den == 0 else sum((p[0] - mx) * (p[1] - my) for p in pts) / den
