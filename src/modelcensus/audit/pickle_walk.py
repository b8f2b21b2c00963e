"""A bounded, static walk over one pickle opcode stream: every global a load would import, and
whether the bytes could be read to the end. Nothing is ever unpickled.

Why our own walk and not ``pickletools.genops`` (which picklescan uses): a fail-closed gate needs
three things genops does not give. (1) ``STACK_GLOBAL`` takes its module and name from the stack,
and picklescan guesses them from the previous opcodes; memo and stack tricks (``None.system``,
a ``DUP``/``GET`` of a string pushed long before) then name the wrong global. We keep a small
symbolic stack and memo, so an operand is either a string we saw or *unresolved* — and an
unresolved global counts as dangerous. (2) We must know where the unpickler would stop: our walk
only decodes argument *framing* (lengths, newlines, the UTF-8 of names), never argument content,
so it is at least as permissive as CPython's unpickler; a walk failure at byte N means a real load
fails at or before N, and everything a load could execute lies in the prefix we read. (3) Bounds:
an opcode budget shared by the whole audit, checked in the loop.
"""

from __future__ import annotations

import _compat_pickle
import pickle
import pickletools
import struct
from dataclasses import dataclass, field

_UNKNOWN = object()   # a stack value we do not model
_MARK = object()
_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE",
               "BINUNICODE8"}
_NO_ARG_SPECIAL = {"MARK", "STOP", "DUP", "POP", "MEMOIZE", "STACK_GLOBAL"}
LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


@dataclass(frozen=True)
class GlobalRef:
    """One import a load would perform. ``module``/``name`` are None when unresolved."""

    module: str | None
    name: str | None
    how: str  # GLOBAL, INST, STACK_GLOBAL, EXT

    @property
    def resolved(self) -> bool:
        return self.module is not None and self.name is not None

    @property
    def importable(self) -> bool:
        """Could an unpickler import it at all? (unresolved: assume yes)"""
        if not self.resolved:
            return True
        return all(p.isidentifier() for p in self.module.split(".")) and all(  # type: ignore[union-attr]
            p.isidentifier() for p in self.name.split("."))  # type: ignore[union-attr]

    def __str__(self) -> str:
        if self.resolved:
            return f"{self.module}.{self.name}"
        return f"<unresolved {self.how}>"


class Budget:
    """Opcodes and bytes one audit target may spend; shared by every stream of that target."""

    def __init__(self, max_ops: int, max_bytes: int) -> None:
        self.max_ops, self.max_bytes = max_ops, max_bytes
        self.ops = 0
        self.bytes = 0

    def take_bytes(self, n: int) -> bool:
        """Reserve n bytes of reading; False when that would pass the limit."""
        if self.bytes + n > self.max_bytes:
            return False
        self.bytes += n
        return True


@dataclass
class WalkResult:
    """One pickle: the globals, where it ended (after STOP) or failed, and why."""

    start: int
    end: int
    globals: list[GlobalRef] = field(default_factory=list)
    error: str | None = None
    budget_exhausted: bool = False
    proto_header: bool = False
    first_long: int | None = None
    ops: int = 0

    @property
    def complete(self) -> bool:
        return self.error is None


def _build_table() -> dict[int, tuple[str, str | None, int, int, bool, int]]:
    """code -> (name, arg kind, fixed arg size, pops before the mark, uses a mark, pushes)."""
    table = {}
    for op in pickletools.opcodes:
        before = list(op.stack_before)
        uses_mark = pickletools.markobject in before
        fixed = before.index(pickletools.markobject) if uses_mark else len(before)
        pushes = len([x for x in op.stack_after if x is not pickletools.markobject])
        arg = op.arg
        table[ord(op.code.encode("latin-1"))] = (op.name, arg.name if arg else None, arg.n if arg else 0,
                                                 fixed, uses_mark, pushes)
    return table


_TABLE = _build_table()
_LEN_FMT = {"string1": ("<B", 1), "bytes1": ("<B", 1), "unicodestring1": ("<B", 1), "long1": ("<B", 1),
            "string4": ("<i", 4), "long4": ("<i", 4), "bytes4": ("<I", 4), "unicodestring4": ("<I", 4),
            "bytes8": ("<Q", 8), "bytearray8": ("<Q", 8), "unicodestring8": ("<Q", 8)}
_FIXED_FMT = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}


def _line(data: bytes, pos: int, end: int) -> tuple[bytes, int]:
    nl = data.find(b"\n", pos, end)
    if nl < 0:
        raise ValueError("line argument runs past the end of the stream")
    return bytes(data[pos:nl]), nl + 1


def _map_name(module: str, name: str, proto: int) -> tuple[str, str]:
    """The names an unpickler of protocol < 3 actually imports (``fix_imports``)."""
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        if module in _compat_pickle.IMPORT_MAPPING:
            return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


def walk(data: bytes, start: int, end: int, budget: Budget) -> WalkResult:  # noqa: C901 - one opcode loop
    """Walk one pickle from ``start`` until STOP, a framing error, the end, or the budget."""
    res = WalkResult(start, start)
    stack: list[object] = []
    metastack: list[list[object]] = []
    memo: dict[int, object] = {}
    proto = 0
    pos = start
    seen: set[GlobalRef] = set()
    first_value = True

    def add(g: GlobalRef) -> None:
        if g not in seen and len(seen) < 10_000:
            seen.add(g)
            res.globals.append(g)

    try:
        while True:
            if pos >= end:
                raise ValueError("stream ends before a STOP opcode")
            if budget.ops >= budget.max_ops:
                res.budget_exhausted = True
                raise ValueError(f"opcode budget of {budget.max_ops} exhausted")
            budget.ops += 1
            res.ops += 1
            code = data[pos]
            entry = _TABLE.get(code)
            if entry is None:
                raise ValueError(f"unknown opcode 0x{code:02x}")
            name, kind, n, fixed, uses_mark, pushes = entry
            op_pos = pos
            pos += 1
            value: object = _UNKNOWN
            arg: object = None
            if kind is not None:
                if n == pickletools.UP_TO_NEWLINE:
                    line, pos = _line(data, pos, end)
                    if kind == "stringnl_noescape_pair":
                        line2, pos = _line(data, pos, end)
                        arg = (line.decode("utf-8"), line2.decode("utf-8"))  # the unpickler decodes strictly
                    else:
                        arg = line
                elif n > 0:
                    if pos + n > end:
                        raise ValueError(f"{name} argument truncated")
                    arg = struct.unpack_from(_FIXED_FMT[n], data, pos)[0] if n in _FIXED_FMT else None
                    pos += n
                else:
                    fmt, size = _LEN_FMT[kind]
                    if pos + size > end:
                        raise ValueError(f"{name} length truncated")
                    length = struct.unpack_from(fmt, data, pos)[0]
                    pos += size
                    if length < 0:
                        raise ValueError(f"{name} has a negative length")
                    if pos + length > end:
                        raise ValueError(f"{name} payload of {length} bytes runs past the end")
                    arg = (pos, length)
                    pos += length
            if name in _STRING_OPS:
                if name == "UNICODE":
                    value = arg.decode("raw-unicode-escape")  # type: ignore[union-attr]
                elif name == "STRING":
                    value = arg.decode("latin-1").strip().strip("'\"")  # type: ignore[union-attr]
                else:
                    p, length = arg  # type: ignore[misc]
                    raw = bytes(data[p:p + length]) if length <= 4096 else b""
                    if name.startswith("SHORT_BINSTRING") or name == "BINSTRING":
                        value = raw.decode("latin-1") if length <= 4096 else _UNKNOWN
                    else:
                        value = raw.decode("utf-8", "surrogatepass") if length <= 4096 else _UNKNOWN
                stack.append(value)
                first_value = False
                continue
            if name == "PROTO":
                if arg > pickle.HIGHEST_PROTOCOL:  # type: ignore[operator]
                    raise ValueError(f"unsupported pickle protocol {arg}")
                proto = int(arg)  # type: ignore[arg-type]
                res.proto_header = res.proto_header or op_pos == start
                continue
            if name == "STOP":
                res.end = pos
                break
            if name == "MARK":
                metastack.append(stack)
                stack = []
                continue
            if name == "LONG1" and first_value:
                p, length = arg  # type: ignore[misc]
                res.first_long = int.from_bytes(data[p:p + length], "little", signed=True)
            first_value = False
            if name in ("GLOBAL", "INST"):
                module, gname = _map_name(*arg, proto)  # type: ignore[misc]
                add(GlobalRef(module, gname, name))
            elif name == "STACK_GLOBAL":
                gname_v = stack.pop() if stack else _UNKNOWN
                module_v = stack.pop() if stack else _UNKNOWN
                if isinstance(module_v, str) and isinstance(gname_v, str):
                    add(GlobalRef(*_map_name(module_v, gname_v, proto), name))
                else:
                    add(GlobalRef(None, None, name))
                stack.append(_UNKNOWN)
                continue
            elif name in ("EXT1", "EXT2", "EXT4"):
                add(GlobalRef(None, None, f"{name} {arg}"))
            elif name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                key = len(memo) if name == "MEMOIZE" else _memo_key(arg)
                if key is not None:
                    memo[key] = stack[-1] if stack else _UNKNOWN
                continue
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                key = _memo_key(arg)
                stack.append(memo.get(key, _UNKNOWN) if key is not None else _UNKNOWN)
                continue
            elif name == "DUP":
                stack.append(stack[-1] if stack else _UNKNOWN)
                continue
            # generic stack effect; a mismatch with our model is not a failure (only framing is)
            if uses_mark:
                stack = metastack.pop() if metastack else []
            for _ in range(fixed):
                if stack:
                    stack.pop()
            stack.extend([value] * pushes)
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        res.error = f"at byte {pos}: {exc}" if not res.budget_exhausted else str(exc)
        res.end = pos
    return res


def _memo_key(arg: object) -> int | None:
    if isinstance(arg, int):
        return arg
    try:
        return int(arg)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
