"""Helpers for reading untrusted text: YAML without aliases or tags, bounded sizes.

Every external input (model cards, registry files, policies, inventories) goes
through these so that nothing is executed and memory stays bounded.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import yaml

from modelcensus.errors import InputError

MAX_YAML_BYTES = 1_000_000
MAX_DEPTH = 64


def read_bounded(path: str | Path, *, what: str, max_bytes: int) -> bytes:
    """The bytes of a user-named file, at most ``max_bytes``; :class:`InputError` naming ``what`` otherwise.

    Only regular files: a folder, a FIFO or a device (which could block or never end) is refused
    before it is opened, and the read itself is capped, so a file that grows or lies about its size
    (``/proc``) cannot exhaust memory.
    """
    p = Path(path)
    try:
        info = p.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise InputError(f"{what}: cannot read ({kind})")
        if info.st_size > max_bytes:
            raise InputError(f"{what}: {info.st_size} bytes, larger than the {max_bytes}-byte limit")
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{what}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(f"{what}: larger than the {max_bytes}-byte limit")
    return data


class _NoAliasSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases, so a 'billion laughs' YAML cannot expand."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not accepted in untrusted input", event.start_mark
            )
        return super().compose_node(parent, index)


def _check_depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"nesting deeper than {MAX_DEPTH}")
    if isinstance(value, dict):
        for v in value.values():
            _check_depth(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_depth(v, depth + 1)


def load_yaml(text: str | bytes, *, what: str, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Parse untrusted YAML safely; raise :class:`InputError` naming ``what`` on any problem."""
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise InputError(f"{what}: YAML larger than {max_bytes} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if len(text) > max_bytes:
        raise InputError(f"{what}: YAML larger than {max_bytes} bytes")
    try:
        value = yaml.load(text, Loader=_NoAliasSafeLoader)  # noqa: S506 - SafeLoader subclass
        _check_depth(value)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{what}: not valid YAML ({msg})") from None
    return value


def to_json_text(value: Any) -> str | None:
    """JSON text for a parsed value, with non-JSON scalars (dates) stringified."""
    if value is None:
        return None
    return json.dumps(value, default=str, ensure_ascii=False)
