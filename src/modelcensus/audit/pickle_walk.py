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
an opcode budget shared by the whole audit, checked in the loop. (4) joblib: its files are not
pure pickle streams — each array's raw bytes follow its ``NumpyArrayWrapper`` — so the stack also
models literal ints, tuples, dicts and call results, enough to size and skip those bytes exactly as
joblib's reader does; a wrapper we cannot size stops the walk (reported unscanned).
"""

from __future__ import annotations

import _compat_pickle
import pickle
import pickletools
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

_UNKNOWN = object()   # a stack value we do not model
_MARK = object()
_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE",
               "BINUNICODE8"}
_NO_ARG_SPECIAL = {"MARK", "STOP", "DUP", "POP", "MEMOIZE", "STACK_GLOBAL"}
LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C
MAX_LINE = 1 << 20  # a newline-terminated argument longer than this stops the walk (reported unscanned)


class _HardStop(ValueError):
    """A limit of the walk, not a property of the bytes: what follows is unscanned, never 'not a pickle'."""


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
    nl = data.find(b"\n", pos, min(end, pos + MAX_LINE))
    if nl < 0 and end - pos > MAX_LINE:
        raise _HardStop(f"a line argument longer than {MAX_LINE} bytes")
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


def walk(data: bytes, start: int, end: int, budget: Budget, depth: int = 0) -> WalkResult:  # noqa: C901
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
                raise _HardStop(f"opcode budget of {budget.max_ops} exhausted")
            budget.ops += 1
            res.ops += 1
            code = data[pos]
            entry = _TABLE.get(code)
            if entry is None:
                raise ValueError(f"unknown opcode 0x{code:02x}")
            name, kind, n, fixed, uses_mark, pushes = entry
            op_pos = pos
            pos += 1
            arg: object = None
            if kind is not None:
                arg, pos = _read_arg(data, pos, end, name, kind, n)
            if name in _STRING_OPS:
                stack.append(_string_value(name, arg, data))
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
            if name == "GLOBAL":
                module, gname = _map_name(*arg, proto)  # type: ignore[misc]
                add(GlobalRef(module, gname, name))
                stack.append(_Global(module, gname))
                continue
            if name == "INST":
                module, gname = _map_name(*arg, proto)  # type: ignore[misc]
                add(GlobalRef(module, gname, name))
            elif name == "STACK_GLOBAL":
                gname_v = stack.pop() if stack else _UNKNOWN
                module_v = stack.pop() if stack else _UNKNOWN
                if isinstance(module_v, str) and isinstance(gname_v, str):
                    module, gname = _map_name(module_v, gname_v, proto)
                    add(GlobalRef(module, gname, name))
                    stack.append(_Global(module, gname))
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
            elif name in _VALUE_OPS:
                stack, built = _value_op(name, arg, data, stack, metastack)
                if built is not None and built.is_joblib_wrapper:
                    pos = _skip_joblib_array(built, data, pos, end, budget, res, add, depth)
                continue
            # generic stack effect; a mismatch with our model is not a failure (only framing is)
            if uses_mark:
                stack = metastack.pop() if metastack else []
            for _ in range(fixed):
                if stack:
                    stack.pop()
            stack.extend([_UNKNOWN] * pushes)
    except _HardStop as exc:
        res.budget_exhausted = True
        res.error = f"{exc} at byte {pos}"
        res.end = pos
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        res.error = f"at byte {pos}: {exc}"
        res.end = pos
    return res


def _read_arg(data: bytes, pos: int, end: int, name: str, kind: str, n: int) -> tuple[object, int]:
    """One opcode's argument: only its framing is checked (lengths, newlines, UTF-8 of names)."""
    if n == pickletools.UP_TO_NEWLINE:
        line, pos = _line(data, pos, end)
        if kind == "stringnl_noescape_pair":
            line2, pos = _line(data, pos, end)
            return (line.decode("utf-8"), line2.decode("utf-8")), pos  # the unpickler decodes strictly
        return line, pos
    if n > 0:
        if pos + n > end:
            raise ValueError(f"{name} argument truncated")
        return (struct.unpack_from(_FIXED_FMT[n], data, pos)[0] if n in _FIXED_FMT else None), pos + n
    fmt, size = _LEN_FMT[kind]
    if pos + size > end:
        raise ValueError(f"{name} length truncated")
    length = struct.unpack_from(fmt, data, pos)[0]
    pos += size
    if length < 0:
        raise ValueError(f"{name} has a negative length")
    if pos + length > end:
        raise ValueError(f"{name} payload of {length} bytes runs past the end")
    return (pos, length), pos + length


def _string_value(name: str, arg: object, data: bytes) -> object:
    """The str a string opcode pushes (long payloads are not decoded: they stay unknown)."""
    if name == "UNICODE":
        return arg.decode("raw-unicode-escape")  # type: ignore[union-attr]
    if name == "STRING":
        return arg.decode("latin-1").strip().strip("'\"")  # type: ignore[union-attr]
    p, length = arg  # type: ignore[misc]
    if length > 4096:
        return _UNKNOWN
    raw = bytes(data[p:p + length])
    return raw.decode("latin-1") if name in ("SHORT_BINSTRING", "BINSTRING") else raw.decode("utf-8", "surrogatepass")


class _Global:
    """A global on the symbolic stack."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name


class _Obj:
    """The result of calling a global (REDUCE / NEWOBJ), with the state BUILD gave it."""

    __slots__ = ("args", "callee", "state")

    def __init__(self, callee: object, args: object) -> None:
        self.callee, self.args, self.state = callee, args, None

    def is_global(self, module: str, name: str) -> bool:
        return isinstance(self.callee, _Global) and (self.callee.module, self.callee.name) == (module, name)

    @property
    def is_joblib_wrapper(self) -> bool:
        return self.is_global("joblib.numpy_pickle", "NumpyArrayWrapper")


class _Dict(dict):  # type: ignore[type-arg]
    """A dict literal on the symbolic stack (a distinct type, so it is never confused with state we own)."""


_CONSTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_VALUE_OPS = {"BININT", "BININT1", "BININT2", "LONG1", "INT", "NONE", "NEWTRUE", "NEWFALSE", "EMPTY_TUPLE",
              "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS", "REDUCE",
              "NEWOBJ", "BUILD"}


def _pop(stack: list[object], n: int) -> list[object]:
    items = stack[-n:] if n and len(stack) >= n else [_UNKNOWN] * n
    del stack[-n:]
    return items


def _value_op(name: str, arg: object, data: bytes, stack: list[object],  # noqa: C901 - one branch per opcode
              metastack: list[list[object]]) -> tuple[list[object], _Obj | None]:
    """Literal values (ints, tuples, dicts) and call results, enough to read joblib's array headers.
    Returns the (possibly replaced) stack and the object a BUILD just gave its state."""
    if name == "BININT":
        stack.append(arg - (1 << 32) if arg >= 1 << 31 else arg)  # type: ignore[operator] # signed int4
    elif name in ("BININT1", "BININT2"):
        stack.append(arg)
    elif name == "LONG1":
        p, length = arg  # type: ignore[misc]
        stack.append(int.from_bytes(data[p:p + length], "little", signed=True))
    elif name == "INT":
        text = arg.strip()  # type: ignore[union-attr]
        stack.append(False if text == b"00" else True if text == b"01" else _int_or_unknown(text))
    elif name in _CONSTS:
        stack.append(_CONSTS[name])
    elif name == "EMPTY_TUPLE":
        stack.append(())
    elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
        stack.append(tuple(_pop(stack, int(name[-1]))))
    elif name == "TUPLE":
        items, stack = stack, metastack.pop() if metastack else []
        stack.append(tuple(items))
    elif name == "EMPTY_DICT":
        stack.append(_Dict())
    elif name in ("DICT", "SETITEMS"):
        items, stack = stack, metastack.pop() if metastack else []
        if name == "DICT":
            stack.append(_Dict())
        target = stack[-1] if stack else None
        if isinstance(target, _Dict):
            for k, v in zip(items[::2], items[1::2], strict=False):
                if isinstance(k, str):
                    target[k] = v
    elif name == "SETITEM":
        k, v = _pop(stack, 2)
        if stack and isinstance(stack[-1], _Dict) and isinstance(k, str):
            stack[-1][k] = v
    elif name in ("REDUCE", "NEWOBJ"):
        callee, args = _pop(stack, 2)
        stack.append(_Obj(callee, args))
    elif name == "BUILD":
        (state,) = _pop(stack, 1)
        obj = stack[-1] if stack else None
        if isinstance(obj, _Obj):
            obj.state = state
            return stack, obj
    return stack, None


def _int_or_unknown(text: bytes) -> object:
    try:
        return int(text, 0)
    except ValueError:
        return _UNKNOWN


def _skip_joblib_array(wrapper: _Obj, data: bytes, pos: int, end: int, budget: Budget, res: WalkResult,
                       add: Callable[[GlobalRef], None], depth: int) -> int:
    """joblib writes an array's bytes straight after its NumpyArrayWrapper (joblib 1.x numpy_pickle.py,
    NumpyArrayWrapper.write_array/read_array): an optional padding-length byte and padding, then the
    raw data, or a nested pickle for object arrays. Returns where the pickle stream resumes."""
    import math

    import numpy as np

    state = wrapper.state
    shape = state.get("shape") if isinstance(state, _Dict) else None
    dtype = state.get("dtype") if isinstance(state, _Dict) else None
    if not (isinstance(shape, tuple) and all(type(x) is int and x >= 0 for x in shape)):
        raise ValueError("joblib array without a readable shape: its raw bytes cannot be skipped")
    if not (isinstance(dtype, _Obj) and dtype.is_global("numpy", "dtype") and isinstance(dtype.args, tuple)
            and dtype.args and isinstance(dtype.args[0], str)):
        raise ValueError("joblib array without a readable dtype: its raw bytes cannot be skipped")
    try:
        dt = np.dtype(dtype.args[0])  # a type string only: numpy parses it in C, no Python code runs
    except (TypeError, ValueError) as exc:
        raise ValueError(f"joblib array dtype {dtype.args[0][:40]!r} is not understood") from exc
    dstate = dtype.state
    if dt.fields is not None or dt.subdtype is not None or (
            isinstance(dstate, tuple) and len(dstate) > 5 and type(dstate[5]) is int and dstate[5] not in (
            -1, dt.itemsize)):
        raise ValueError("joblib array with a structured or resized dtype: its raw bytes cannot be sized")
    if dt.hasobject:
        if depth >= 4:
            raise ValueError("joblib object arrays nested deeper than 4")
        sub = walk(data, pos, end, budget, depth + 1)
        for g in sub.globals:
            add(g)
        if sub.error:
            raise (_HardStop if sub.budget_exhausted else ValueError)(f"joblib object array's nested pickle: "
                                                                     f"{sub.error}")
        return sub.end
    if isinstance(state, _Dict) and state.get("numpy_array_alignment_bytes") is not None:
        if pos >= end:
            raise ValueError("joblib array padding runs past the end")
        pos += 1 + data[pos]
    pos += math.prod(shape) * dt.itemsize
    if pos > end:
        raise ValueError("joblib array data runs past the end")
    return pos


def _memo_key(arg: object) -> int | None:
    if isinstance(arg, int):
        return arg
    try:
        return int(arg)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
