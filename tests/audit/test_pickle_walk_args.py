"""The pickle walker types each opcode's argument by its framing (a fixed-size int, a line, a pair of
names, a length-prefixed span) and its handlers narrow it; a mismatch would raise TypeError out of
``walk`` (the audit then stops: fail closed, but no verdict). These tests hold the opcode table and
the handlers together: every opcode, with a well-framed argument or a broken one, and arbitrary
bytes, gives a result and never an exception. Nothing is ever unpickled."""

from __future__ import annotations

import pickletools
import random
import struct

import pytest

from modelcensus.audit.pickle_walk import Budget, WalkResult, walk

_COUNT_FMT = {1: "<B", 4: "<I", 8: "<Q"}  # length prefixes of the counted argument kinds, by size
_COUNTED = {pickletools.TAKEN_FROM_ARGUMENT1: 1, pickletools.TAKEN_FROM_ARGUMENT4: 4,
            pickletools.TAKEN_FROM_ARGUMENT4U: 4, pickletools.TAKEN_FROM_ARGUMENT8U: 8}


def _argument(op: pickletools.OpcodeInfo) -> bytes:
    """A well-framed argument for ``op``: the shape the walker's handler for it expects."""
    arg = op.arg
    if arg is None:
        return b""
    if arg.n == pickletools.UP_TO_NEWLINE:
        return b"os\nsystem\n" if arg.name == "stringnl_noescape_pair" else b"'1'\n" if op.name == "STRING" else b"1\n"
    if arg.n > 0:
        return b"\x01" * arg.n
    size = _COUNTED[arg.n]
    return struct.pack(_COUNT_FMT[size], 2) + b"ab"


def _walk(data: bytes) -> WalkResult:
    return walk(data, 0, len(data), Budget(max_ops=10_000, max_bytes=1 << 20))


@pytest.mark.parametrize("op", pickletools.opcodes, ids=lambda op: op.name)
def test_every_opcode_with_a_well_framed_argument_gives_a_result(op: pickletools.OpcodeInfo) -> None:
    code = op.code.encode("latin-1")
    for data in (b"\x80\x04" + code + _argument(op) + b".",   # after a header
                 code + _argument(op) + b".",                 # as the first value (LONG1's legacy magic)
                 b"\x80\x02(" + code + _argument(op) + b"."):  # inside a mark, protocol 2 name mapping
        res = _walk(data)  # expected: a result, whatever the stack model makes of the opcode
        assert isinstance(res, WalkResult)
        assert res.error is None or "at byte" in res.error


def test_an_import_opcode_with_a_well_framed_argument_is_recorded() -> None:
    res = _walk(b"\x80\x04c" + b"os\nsystem\n" + b".")
    assert [str(g) for g in res.globals] == ["os.system"]
    assert res.complete


@pytest.mark.parametrize("op", [op for op in pickletools.opcodes if op.arg is not None], ids=lambda op: op.name)
def test_every_opcode_with_a_cut_argument_is_a_framing_error(op: pickletools.OpcodeInfo) -> None:
    code = op.code.encode("latin-1")
    full = _argument(op)
    res = _walk(b"\x80\x04" + code + full[:max(len(full) - 2, 0)])
    assert not res.complete  # expected: the stream stops at the cut argument, reported, not raised
    assert not res.budget_exhausted
    assert res.end == 3  # just past the opcode: the argument is never half-read


def test_random_bytes_never_raise() -> None:
    rnd = random.Random(20261205)
    codes = [op.code.encode("latin-1") for op in pickletools.opcodes]
    for _ in range(3000):
        data = b"".join(rnd.choice(codes) + bytes(rnd.randrange(256) for _ in range(rnd.randrange(4)))
                        for _ in range(rnd.randrange(1, 30)))
        res = _walk(data)
        assert res.complete or res.error
