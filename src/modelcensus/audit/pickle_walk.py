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
import mmap
import pickle
import pickletools
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

_UNKNOWN = object()   # a stack value we do not model
_MARK = object()
_STRING_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE",
               "BINUNICODE8"}
_NO_ARG_SPECIAL = {"MARK", "STOP", "DUP", "POP", "MEMOIZE", "STACK_GLOBAL"}
_IMPORT_OPS = {"GLOBAL", "INST", "STACK_GLOBAL", "EXT1", "EXT2", "EXT4"}
_MEMO_OPS = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET", "DUP"}
LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C
MAX_LINE = 1 << 20  # a newline-terminated argument longer than this stops the walk (reported unscanned)
Data = bytes | mmap.mmap  # what a walk reads: a layer in memory, or the top-level file mapped (audit.containers)


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
        if self.module is None or self.name is None:
            return True
        return all(p.isidentifier() for p in self.module.split(".")) and all(
            p.isidentifier() for p in self.name.split("."))

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


def _line(data: Data, pos: int, end: int) -> tuple[bytes, int]:
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


def walk(data: Data, start: int, end: int, budget: Budget, depth: int = 0) -> WalkResult:
    """Walk one pickle from ``start`` until STOP, a framing error, the end, or the budget.

    Stopping short sets ``error`` and leaves ``end`` at the byte reached (a limit also sets
    ``budget_exhausted``), so the caller can report everything past it as unscanned."""
    w = _Walker(data, start, end, budget, depth)
    try:
        w.run()
    except _HardStop as exc:
        w.res.budget_exhausted = True
        w.res.error = f"{exc} at byte {w.pos}"
        w.res.end = w.pos
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        w.res.error = f"at byte {w.pos}: {exc}"
        w.res.end = w.pos
    return w.res


class _Walker:
    """The state of one walk (symbolic stack and memo, protocol, position, globals found) and one
    handler per kind of opcode, so that each rule of the model can be read on its own. Handlers raise
    ValueError (framing) or _HardStop (a limit); ``walk`` turns both into the result's error."""

    def __init__(self, data: Data, start: int, end: int, budget: Budget, depth: int) -> None:
        self.data, self.end, self.budget, self.depth = data, end, budget, depth
        self.res = WalkResult(start, start)
        self.stack: list[object] = []
        self.metastack: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.proto = 0
        self.pos = start
        self.seen: set[GlobalRef] = set()
        self.first_value = True

    def add(self, g: GlobalRef) -> None:
        """Record a global once. Capped so a hostile stream cannot grow the report without end; the cap hides
        nothing: each safe-list entry gives at most three distinct safe refs (GLOBAL, INST, STACK_GLOBAL), so a
        stream that reaches it has already recorded thousands of dangerous ones."""
        if g not in self.seen and len(self.seen) < 10_000:
            self.seen.add(g)
            self.res.globals.append(g)

    def run(self) -> None:
        """Read opcodes until STOP, applying each to the symbolic state.

        Each opcode is charged to the shared budget before it is read (so no stream can outrun the bound), then
        decoded and its argument framed. The loop keeps its state in locals and calls a handler only for the
        opcodes that need one: a method call per opcode made the walk 17-26 % slower (1.04 -> 1.23 s on 2M
        opcodes). PROTO and MARK are not values, so a LONG1 after them still counts as the stream's first value
        (legacy PyTorch files start with a LONG1 magic number)."""
        data, end, budget, res = self.data, self.end, self.budget, self.res
        while True:
            op_pos = self.pos
            if op_pos >= end:
                raise ValueError("stream ends before a STOP opcode")
            if budget.ops >= budget.max_ops:
                raise _HardStop(f"opcode budget of {budget.max_ops} exhausted")
            budget.ops += 1
            res.ops += 1
            code = data[op_pos]
            entry = _TABLE.get(code)
            if entry is None:
                raise ValueError(f"unknown opcode 0x{code:02x}")
            name, kind, n, fixed, uses_mark, pushes = entry
            arg: _Arg = None
            self.pos = op_pos + 1
            if kind is not None:
                arg, self.pos = _read_arg(data, op_pos + 1, end, name, kind, n)
            if name in _STRING_OPS:
                self.stack.append(_string_value(name, arg, data))
                self.first_value = False
            elif name == "PROTO":
                self.set_proto(arg, op_pos)
            elif name == "STOP":
                res.end = self.pos
                return
            elif name == "MARK":
                self.metastack.append(self.stack)
                self.stack = []
            else:
                if name == "LONG1" and self.first_value:
                    res.first_long = _long1(data, arg)
                self.first_value = False
                if name in _VALUE_OPS:  # literals and calls (_value_op)
                    self.stack, built = _value_op(name, arg, data, self.stack, self.metastack)
                    if built is not None and built.is_joblib_wrapper:
                        self.skip_joblib_array(built)
                elif name in _MEMO_OPS:
                    self.memo_op(name, arg)
                elif not (name in _IMPORT_OPS and self.import_op(name, arg)):
                    self.generic_op(fixed, uses_mark, pushes)

    def set_proto(self, arg: _Arg, op_pos: int) -> None:
        """PROTO: a protocol the unpickler refuses ends the walk there; below 3 names are mapped as
        ``fix_imports`` does; a PROTO at the very start marks the bytes as meant to be a pickle."""
        proto = _as_int(arg)
        if proto > pickle.HIGHEST_PROTOCOL:
            raise ValueError(f"unsupported pickle protocol {proto}")
        self.proto = proto
        self.res.proto_header = self.res.proto_header or op_pos == self.res.start

    def import_op(self, name: str, arg: _Arg) -> bool:
        """Record the global an opcode would import: unresolved (so judged dangerous) unless both names are
        strings we saw. True when its push is modelled (GLOBAL, STACK_GLOBAL push the global, which a
        later call may use); INST and EXT* take the generic stack effect."""
        if name in ("GLOBAL", "INST"):
            names = _as_names(arg)
            module, gname = _map_name(names.module, names.name, self.proto)
            self.add(GlobalRef(module, gname, name))
            if name == "INST":
                return False
            self.stack.append(_Global(module, gname))
            return True
        if name == "STACK_GLOBAL":
            stack = self.stack
            gname_v = stack.pop() if stack else _UNKNOWN
            module_v = stack.pop() if stack else _UNKNOWN
            if isinstance(module_v, str) and isinstance(gname_v, str):
                module, gname = _map_name(module_v, gname_v, self.proto)
                self.add(GlobalRef(module, gname, name))
                stack.append(_Global(module, gname))
            else:
                self.add(GlobalRef(None, None, name))
                stack.append(_UNKNOWN)
            return True
        # EXT1/2/4 name a global through copyreg's extension registry, which we do not know: unresolved
        self.add(GlobalRef(None, None, f"{name} {_as_int(arg)}"))
        return False

    def memo_op(self, name: str, arg: _Arg) -> None:
        """PUT/MEMOIZE, GET and DUP move values, not create them: tracked so a string fetched from the memo
        or duplicated is still the string it was, and a STACK_GLOBAL built from one names the right global."""
        stack = self.stack
        if name == "DUP":
            stack.append(stack[-1] if stack else _UNKNOWN)
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            key = _memo_key(arg)
            stack.append(self.memo.get(key, _UNKNOWN) if key is not None else _UNKNOWN)
        else:
            key = len(self.memo) if name == "MEMOIZE" else _memo_key(arg)
            if key is not None:
                self.memo[key] = stack[-1] if stack else _UNKNOWN

    def skip_joblib_array(self, built: _Obj) -> None:
        """A joblib array wrapper's BUILD is followed by the array's raw bytes, which are skipped (or walked, for
        an object array) before the pickle resumes."""
        self.pos = _skip_joblib_array(built, self.data, self.pos, self.end, self.budget, self.res, self.add,
                                      self.depth)

    def generic_op(self, fixed: int, uses_mark: bool, pushes: int) -> None:
        """Any other opcode: its stack effect from the opcode table, values unknown. A mismatch with our model
        (an underflow, a missing mark) is not a failure, only framing is: the walk must read at least as far
        as a real load could."""
        if uses_mark:
            self.stack = self.metastack.pop() if self.metastack else []
        stack = self.stack
        for _ in range(fixed):
            if stack:
                stack.pop()
        stack.extend([_UNKNOWN] * pushes)


class _Names(NamedTuple):
    """GLOBAL's and INST's two newline-terminated names, decoded as strictly as the unpickler does."""

    module: str
    name: str


# A length-prefixed argument, framed but not read: (where its payload starts, its length). A plain tuple,
# not a NamedTuple: one is made for every string opcode, and a NamedTuple costs 40 times more to build.
_Span = tuple[int, int]
# An opcode's argument as _read_arg returns it. Its shape is fixed by the opcode (``_TABLE``): a fixed-size
# int, a newline-terminated line, a pair of names, or a span; None for opcodes without an argument.
_Arg = int | bytes | _Names | _Span | None


def _read_arg(data: Data, pos: int, end: int, name: str, kind: str, n: int) -> tuple[_Arg, int]:
    """One opcode's argument: only its framing is checked (lengths, newlines, UTF-8 of names)."""
    if n == pickletools.UP_TO_NEWLINE:
        line, pos = _line(data, pos, end)
        if kind == "stringnl_noescape_pair":
            line2, pos = _line(data, pos, end)
            return _Names(line.decode("utf-8"), line2.decode("utf-8")), pos  # the unpickler decodes strictly
        return line, pos
    if n > 0:
        if pos + n > end:
            raise ValueError(f"{name} argument truncated")
        value: int | None = struct.unpack_from(_FIXED_FMT[n], data, pos)[0] if n in _FIXED_FMT else None
        return value, pos + n
    fmt, size = _LEN_FMT[kind]
    if pos + size > end:
        raise ValueError(f"{name} length truncated")
    length: int = struct.unpack_from(fmt, data, pos)[0]
    pos += size
    if length < 0:
        raise ValueError(f"{name} has a negative length")
    if pos + length > end:
        raise ValueError(f"{name} payload of {length} bytes runs past the end")
    return (pos, length), pos + length


# The argument's shape is fixed by its opcode, so these never fail on any input; if one did, the opcode
# table and this module disagree: the TypeError is not caught by ``walk`` and the audit stops (fails closed).
def _as_int(arg: _Arg) -> int:
    if isinstance(arg, int):
        return arg
    raise TypeError(f"expected a fixed-size argument, got {type(arg).__name__}")


def _as_line(arg: _Arg) -> bytes:
    if isinstance(arg, bytes):
        return arg
    raise TypeError(f"expected a line argument, got {type(arg).__name__}")


def _as_span(arg: _Arg) -> _Span:
    if isinstance(arg, tuple) and not isinstance(arg, _Names):
        return arg
    raise TypeError(f"expected a length-prefixed argument, got {type(arg).__name__}")


def _as_names(arg: _Arg) -> _Names:
    if isinstance(arg, _Names):
        return arg
    raise TypeError(f"expected a pair of names, got {type(arg).__name__}")


def _long1(data: Data, arg: _Arg) -> int:
    """The int a LONG1 pushes (at most 255 bytes, so always decoded)."""
    p, length = _as_span(arg)
    return int.from_bytes(data[p:p + length], "little", signed=True)


def _string_value(name: str, arg: _Arg, data: Data) -> object:
    """The str a string opcode pushes (long payloads are not decoded: they stay unknown)."""
    if name == "UNICODE":
        return _as_line(arg).decode("raw-unicode-escape")
    if name == "STRING":
        return _as_line(arg).decode("latin-1").strip().strip("'\"")
    p, length = _as_span(arg)
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
    callee: object
    args: object
    state: object  # set by BUILD

    def __init__(self, callee: object, args: object) -> None:
        self.callee, self.args, self.state = callee, args, None

    def is_global(self, module: str, name: str) -> bool:
        return isinstance(self.callee, _Global) and (self.callee.module, self.callee.name) == (module, name)

    @property
    def is_joblib_wrapper(self) -> bool:
        return self.is_global("joblib.numpy_pickle", "NumpyArrayWrapper")


class _Dict(dict[str, object]):
    """A dict literal on the symbolic stack (a distinct type, so it is never confused with state we own)."""


_CONSTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_VALUE_OPS = {"BININT", "BININT1", "BININT2", "LONG1", "INT", "NONE", "NEWTRUE", "NEWFALSE", "EMPTY_TUPLE",
              "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS", "REDUCE",
              "NEWOBJ", "BUILD"}


def _pop(stack: list[object], n: int) -> list[object]:
    items = stack[-n:] if n and len(stack) >= n else [_UNKNOWN] * n
    del stack[-n:]
    return items


def _value_op(name: str, arg: _Arg, data: Data, stack: list[object],  # noqa: C901 - one branch per opcode
              metastack: list[list[object]]) -> tuple[list[object], _Obj | None]:
    """Literal values (ints, tuples, dicts) and call results, enough to read joblib's array headers.
    Returns the (possibly replaced) stack and the object a BUILD just gave its state."""
    if name == "BININT":
        value = _as_int(arg)
        stack.append(value - (1 << 32) if value >= 1 << 31 else value)  # read unsigned: BININT is a signed int4
    elif name in ("BININT1", "BININT2"):
        stack.append(_as_int(arg))
    elif name == "LONG1":
        stack.append(_long1(data, arg))
    elif name == "INT":
        text = _as_line(arg).strip()
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


def _skip_joblib_array(wrapper: _Obj, data: Data, pos: int, end: int, budget: Budget, res: WalkResult,
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


def _memo_key(arg: _Arg) -> int | None:
    """The memo index of a PUT/GET: a fixed-size int, or the decimal line of the text opcodes
    (None when the line is not a number: nothing is stored or fetched)."""
    if isinstance(arg, int):
        return arg
    if isinstance(arg, bytes):
        try:
            return int(arg)
        except ValueError:
            return None
    return None
