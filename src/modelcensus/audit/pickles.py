"""Static, fail-closed scan of pickle-bearing files: raw pickles, PyTorch zip/tar/legacy checkpoints,
NumPy ``.npy``/``.npz``, joblib, compressed pickles, and pickles hidden in other containers.

Nothing is ever unpickled. Each file is opened layer by layer by content (``audit.containers``) and
every pickle stream is walked (``audit.pickle_walk``). The verdict on a global is fail-closed: it is
safe only when ``audit/data/safe_globals.yaml`` lists it (a data file with evidence per entry,
validated by pydantic); any other global — unknown, suspicious, or unresolvable through memo and
stack tricks — is dangerous. picklescan's own ratings are kept as evidence. Whatever cannot be read
whole (a budget reached, a stream that does not parse, an encrypted or corrupt member, a 7z archive)
is listed in ``unscanned``, which the audit turns into an ``unscanned_content`` flag.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from modelcensus.audit.formats import PICKLE_SUFFIXES
from modelcensus.audit.pickle_walk import Budget, GlobalRef
from modelcensus.untrusted import load_yaml

__all__ = ["PICKLE_SUFFIXES", "Budget", "PickleScan", "new_budget", "safe_globals", "scan_pickle_file"]

MAX_OPS_PER_TARGET = 10_000_000       # opcodes per audit target: 19-28 s at the 360-530k/s measured here
MAX_INFLATE_PER_TARGET = 1 << 30      # bytes decompressed or read from archive members per target
MAX_LAYER_BYTES = 64 * 1024 * 1024    # one decompressed layer / archive member held in memory

_log = logging.getLogger("picklescan")
_log.addHandler(logging.NullHandler())
_log.propagate = False
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class _SafeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    module: str = Field(pattern=_DOTTED.pattern)
    names: list[str] = Field(min_length=1)
    evidence: str = Field(min_length=20)

    @field_validator("names")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        bad = [n for n in v if not _DOTTED.match(n)]
        if bad:
            raise ValueError(f"not a Python name: {bad}")
        return v


class _SafeGlobalsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1]
    globals: list[_SafeEntry] = Field(min_length=1)


@lru_cache(maxsize=1)
def safe_globals() -> frozenset[tuple[str, str]]:
    """(module, name) pairs known to be safe to import from a pickle (package data, validated)."""
    text = resources.files("modelcensus.audit").joinpath("data/safe_globals.yaml").read_text("utf-8")
    doc = _SafeGlobalsFile.model_validate(load_yaml(text, what="audit/data/safe_globals.yaml"))
    pairs = [(e.module, n) for e in doc.globals for n in e.names]
    if len(pairs) != len(set(pairs)):
        raise ValueError("audit/data/safe_globals.yaml lists a global twice")
    return frozenset(pairs)


def _picklescan_rating(module: str, name: str) -> str:
    """picklescan's own rating of one global (dangerous / suspicious / innocuous), for the evidence."""
    from picklescan.scanner import _build_scan_result_from_raw_globals

    res = _build_scan_result_from_raw_globals({(module, name)}, "audit")
    return res.globals[0].safety.value if res.globals else "suspicious"


def judge(g: GlobalRef) -> str | None:
    """Why a global is dangerous, or None when it is on the safe list."""
    if not g.resolved:
        if g.how.startswith("EXT"):
            return f"{g.how}: an extension-registry code resolves to a global outside the stream"
        return "unresolved: STACK_GLOBAL operands are not strings pushed in this stream (memo/stack trick)"
    if (g.module, g.name) in safe_globals():
        return None
    rating = _picklescan_rating(g.module, g.name)  # type: ignore[arg-type]
    if rating == "dangerous":
        return "picklescan: dangerous"
    return f"not a known-safe callable (picklescan alone rates it {rating})"


@dataclass
class PickleScan:
    """What a load of the file would import, and what could not be scanned."""

    file: str
    formats: list[str] = field(default_factory=list)
    dangerous: list[str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)
    suspicious: list[str] = field(default_factory=list)  # fail-closed: stays empty, kept for old readers
    unscanned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parse_error: bool = False
    kinds: set[str] = field(default_factory=set, repr=False)

    # the sink interface used by audit.containers
    def add_globals(self, where: str, refs: list[GlobalRef]) -> None:
        for g in refs:
            reason = judge(g)
            if reason is None:
                continue
            name = str(g)
            if name not in self.why and len(self.dangerous) < 200:
                self.dangerous.append(name)
                self.why[name] = f"{reason}; in {where}"

    def add_unscanned(self, where: str, reason: str) -> None:
        if len(self.unscanned) < 50:
            self.unscanned.append(f"{where}: {reason}")

    def add_note(self, where: str, note: str) -> None:
        if len(self.notes) < 50:
            self.notes.append(f"{where}: {note}")

    def add_format(self, where: str, fmt: str) -> None:
        self.kinds.add(fmt)
        if len(self.formats) < 50:
            self.formats.append(f"{where}: {fmt}")

    @property
    def found_pickle_or_container(self) -> bool:
        """Did the scan meet a pickle or an archive (anything beyond plain data and header formats)?"""
        plain = ("data (not a pickle)", "empty", "gguf (", "safetensors (")
        return any(not k.startswith(plain) for k in self.kinds)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "formats": self.formats, "dangerous": self.dangerous, "why": self.why,
                "suspicious": self.suspicious, "unscanned": self.unscanned, "notes": self.notes,
                "parse_error": self.parse_error}


def new_budget() -> Budget:
    """The scan budget of one audit target (shared by all its files)."""
    return Budget(MAX_OPS_PER_TARGET, MAX_INFLATE_PER_TARGET)


def scan_pickle_file(path: str | Path, budget: Budget | None = None, *, label: str | None = None) -> PickleScan:
    """Statically scan one regular file, whatever its format; never raises for hostile content."""
    from modelcensus.audit.containers import scan_file

    p = Path(path)
    scan = PickleScan(label or p.name)
    scan_file(p, scan, budget or new_budget(), label=scan.file)
    return scan
