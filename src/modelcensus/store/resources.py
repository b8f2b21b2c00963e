"""What one modelcensus process may take of the machine: DuckDB's memory cap and the kernel's page size.

The memory cap is the store's default for every connection it opens (``apply_memory_limit``), so each stage of
the pipeline fits a laptop without the user tuning anything. The page size is a setting of the whole process,
so only the command line applies it, at start (``prefer_small_pages``); a script may call it too. Both can be
overridden from the environment.
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import sys

import duckdb

from modelcensus.errors import InputError

ENV_MEMORY_LIMIT = "MODELCENSUS_MEMORY_LIMIT"
# what DuckDB's memory_limit accepts, checked before it is spliced into SET (SET takes no parameters)
_MEMORY_LIMIT = re.compile(r"^\s*\d+(\.\d+)?\s*([KMGT]i?B|B|bytes|%)?\s*$", re.IGNORECASE)


DEFAULT_MEMORY_BUDGET = 4 * 1024**3  # bytes: a laptop's share for one modelcensus process
# DuckDB's memory_limit caps its buffer manager only: the interpreter, the registry and DuckDB's allocations
# outside the buffer manager come on top (measured: a 2.2M-model lineage build peaked 0.3 GiB above the limit,
# 4.33 GiB under a 4 GiB limit, 3.33 GiB under 3 GiB, in the same time). DuckDB gets this share of the budget.
DUCKDB_SHARE = 0.75


def physical_memory_bytes() -> int | None:
    """The machine's RAM from ``os.sysconf`` (Linux, macOS, BSDs); ``None`` where it cannot be read."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # Windows has no sysconf; unknown names raise
        return None
    return pages * size if pages > 0 and size > 0 else None


def memory_budget(ram: int | None = None) -> int:
    """Bytes one process may use by default: the lower of 4 GiB and half of RAM (4 GiB if RAM is unknown)."""
    ram = physical_memory_bytes() if ram is None else ram
    return DEFAULT_MEMORY_BUDGET if not ram else min(DEFAULT_MEMORY_BUDGET, ram // 2)


def default_memory_limit(ram: int | None = None) -> str:
    """DuckDB's memory_limit when none is given: 3/4 of :func:`memory_budget`, in MiB (3 GiB on most machines).

    DuckDB's own default is 80 % of RAM: one lineage build took 8.1 GB on a large machine, and on a
    small one it left nothing for Python. The quarter left over keeps the whole process under the budget.
    """
    return f"{max(int(memory_budget(ram) * DUCKDB_SHARE) // 2**20, 64)}MiB"


def memory_limit_setting(memory_limit: str | None = None) -> tuple[str, str]:
    """The memory_limit a connection gets and where it came from: the argument, else ``$MODELCENSUS_MEMORY_LIMIT``,
    else :func:`default_memory_limit`. Checked here, because SET takes no parameters: InputError naming it."""
    what = "memory_limit"
    if memory_limit is None and os.environ.get(ENV_MEMORY_LIMIT):
        memory_limit, what = os.environ[ENV_MEMORY_LIMIT], f"${ENV_MEMORY_LIMIT}"
    if memory_limit is None:  # DuckDB's own default (80 % of RAM) let one build take 8 GB: not a laptop's
        memory_limit, what = default_memory_limit(), "the default memory_limit"
    if not _MEMORY_LIMIT.match(str(memory_limit)):
        raise InputError(f"{what} {memory_limit!r}: expected a size such as 4GB, 512MB or 50%")
    return str(memory_limit).strip(), what


# a size as DuckDB reports it (``current_setting('memory_limit')``: '3.0 GiB', '488.2 MiB'), rounded to 0.1 of its unit
_REPORTED_SIZE = re.compile(r"^\s*([0-9.]+)\s*([KMGTP]?i?B|bytes)\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50}


def reported_size_bytes(text: str) -> int | None:
    """A size in DuckDB's reported form in bytes (None for any other text)."""
    m = _REPORTED_SIZE.match(text)
    unit = _UNITS.get(m.group(2).lower()) if m else None
    return int(float(m.group(1)) * unit) if m and unit else None


def apply_memory_limit(con: duckdb.DuckDBPyConnection, memory_limit: str | None = None) -> str:
    """SET memory_limit on ``con`` (see :func:`memory_limit_setting`); returns where the value came from."""
    value, what = memory_limit_setting(memory_limit)
    try:
        con.execute(f"SET memory_limit = '{value}'")
    except duckdb.Error as exc:
        raise InputError(f"{what} {value!r}: {str(exc).splitlines()[0]}") from None
    return what


# what to change, in every out-of-memory message; a command that reports several failures gives it once
OUT_OF_MEMORY_REMEDY = (f"raise the limit: a larger ${ENV_MEMORY_LIMIT} for a command (for example twice the limit "
                        "shown), or Store(memory_limit=...) in Python")


def out_of_memory_message(exc: BaseException) -> str | None:
    """What to tell the user when DuckDB ran out of its memory_limit, or of disk for its spill files (``exc`` or an
    error raised from it), else None. Neither is a bug nor bad data, and the user can act on both. Before, store
    commands called it an internal error and ``--snapshots`` bad input, neither saying how. Never raises.

    Found by text as well as by class: at COMMIT DuckDB reports the same failure as a TransactionException."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        text = str(exc) if isinstance(exc, duckdb.Error) else ""
        if isinstance(exc, duckdb.OutOfMemoryException) or "Out of Memory Error" in text \
                or "max_temp_directory_size" in text:
            lines = [line.strip() for line in text.splitlines() if line.strip()] or ["Out of Memory Error"]
            first = lines[0].rstrip(".")
            if "max_temp_directory_size" in text:  # DuckDB's spill folder filled its disk: not the memory cap
                return (f"DuckDB ran out of disk space for its spill files ({first}; the figures are of disk); "
                        "free space on the disk of the spill folder: STORE.tmp/ beside the store (for "
                        "`lineage build --snapshots`, beside each file's build under FOLDER/lineage/), or $TMPDIR "
                        "for other --snapshots commands")
            return f"DuckDB ran out of memory under its memory_limit ({first}); {OUT_OF_MEMORY_REMEDY}"
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


# The engine's error class, for the layers above the store that must map its failures without importing DuckDB
# (the web server registers a handler for it, so a failed read is answered without Starlette re-raising it).
DATABASE_ERROR: type[Exception] = duckdb.Error


def duckdb_failure(exc: BaseException) -> str:
    """One line for a DuckDB error: :func:`out_of_memory_message` when it applies, else DuckDB's first line."""
    return out_of_memory_message(exc) or (str(exc).splitlines() or [type(exc).__name__])[0]


ENV_HUGEPAGES = "MODELCENSUS_HUGEPAGES"
_PR_SET_THP_DISABLE = 41  # linux/prctl.h, since Linux 3.15


@functools.cache
def prefer_small_pages() -> bool:
    """Ask Linux to give this process 4 KiB pages, not transparent huge pages; True when it did.

    Why: DuckDB asks the kernel for huge pages on its large buffers (``madvise(MADV_HUGEPAGE)``), so under THP
    ``madvise`` (the usual default, this machine's) as under ``always`` they are backed by 2 MiB pages, and DuckDB
    frees and re-maps that memory at every step of the lineage build (the pip wheel has no jemalloc): each
    re-mapped region is zeroed 2 MiB at a time. In a ``perf`` profile of a 2.2M-model build, 12.8 % of all samples
    were the kernel zeroing huge pages (15.1 % zeroing pages of any size). With 4 KiB pages the same build took
    37.6 and 38.4 s against 42.0 and 43.1 s, system CPU 14.5-15.1 s against 20.0-23.8 s (alternating runs, same
    rows, same peak; benchmarks/RESULTS.md). Under THP ``never`` nothing changes.

    It holds for the whole process and the processes it starts, other libraries' memory included, so the library
    never calls it on its own: the command line does at start (``cli.main.run``), and ``api.prefer_small_pages``
    gives a script the same. Once per process; ``MODELCENSUS_HUGEPAGES=keep`` leaves the kernel's default.
    """
    if not sys.platform.startswith("linux") or os.environ.get(ENV_HUGEPAGES, "").strip().lower() == "keep":
        return False
    try:
        return int(ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # no libc symbol, or a kernel without the option: keep the default
        return False
