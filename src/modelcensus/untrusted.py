"""Helpers for untrusted inputs: YAML without aliases or tags, bounded sizes, folders named on the command line.

Every external input (model cards, registry files, policies, inventories) goes
through these so that nothing is executed and memory stays bounded.
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from modelcensus.errors import InputError

MAX_YAML_BYTES = 1_000_000
MAX_DEPTH = 64


def parse_whole(value: Any) -> int:
    """A whole number given as plain ASCII digits with an optional minus: int() also reads '1_0' as 10 and other
    scripts' digits, which a user did not mean (review11 F6); ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]+", text):
        raise ValueError(value)
    return int(text)


def output_folder(path: str | Path, *, option: str = "--out") -> Path:
    """The folder ``path`` named by ``option``, created if missing; InputError when a file stands in its place
    or it cannot be made (one message for every command that writes a folder)."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"{option} {str(path)!r}: not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{option} {str(path)!r}: cannot create the folder ({exc.strerror or exc})") from None
    return out


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


def _yaml_text(text: str | bytes, *, what: str, max_bytes: int) -> str:
    """Untrusted YAML as text: bounded, and UTF-8 or an error naming ``what``."""
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise InputError(f"{what}: YAML larger than {max_bytes} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if len(text) > max_bytes:
        raise InputError(f"{what}: YAML larger than {max_bytes} bytes")
    return text


def load_yaml(text: str | bytes, *, what: str, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Parse untrusted YAML safely; raise :class:`InputError` naming ``what`` on any problem."""
    text = _yaml_text(text, what=what, max_bytes=max_bytes)
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


class _UniqueKeyLoader(_NoAliasSafeLoader):
    """No aliases, and no mapping key given twice: PyYAML silently keeps the last one, so a policy with
    two ``deny_flags:`` (or ``licences:`` then its alias ``licenses:``) would mean less than it says.
    ``key_aliases`` maps alternative spellings onto one key (at every level) for that check."""

    key_aliases: dict[str, str] = {}

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = self.key_aliases.get(key_node.value, key_node.value)
                if key in seen:
                    first = seen[key]
                    same = "" if first.value == key_node.value else f" as {first.value!r}, another spelling of it,"
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key_node.value!r} given twice (first{same} on line "
                                    f"{first.start_mark.line + 1}); YAML would silently keep only the last",
                        key_node.start_mark)
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


@dataclass
class YamlDoc:
    """A parsed untrusted YAML document plus where each value sits, for errors that name the line."""

    value: Any
    lines: dict[tuple[Any, ...], int]  # path (keys and list indices) -> 1-based line of that value

    def line(self, path: tuple[Any, ...]) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _node_lines(node: Any, path: tuple[Any, ...], out: dict[tuple[Any, ...], int], depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"nesting deeper than {MAX_DEPTH}")
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark)
            out[(*path, key)] = k.start_mark.line + 1
            _node_lines(v, (*path, key), out, depth + 1)
            out[(*path, key)] = k.start_mark.line + 1  # the key's line names the entry best
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _node_lines(v, (*path, i), out, depth + 1)


def load_yaml_doc(text: str | bytes, *, what: str, max_bytes: int = MAX_YAML_BYTES,
                  key_aliases: dict[str, str] | None = None) -> YamlDoc:
    """Like :func:`load_yaml`, but refuse a key given twice and keep each value's line number.

    For schema-checked files (policies, registry files), whose errors must name the line and key.
    """
    text = _yaml_text(text, what=what, max_bytes=max_bytes)
    loader_cls = type("_Loader", (_UniqueKeyLoader,), {"key_aliases": dict(key_aliases or {})})
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        lines: dict[tuple[Any, ...], int] = {}
        if node is None:
            return YamlDoc(None, lines)
        _node_lines(node, (), lines)
        value = loader.construct_document(node)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        msg = getattr(exc, "problem", None) or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise InputError(f"{what}: {where}not valid YAML ({msg})") from None
    finally:
        loader.dispose()
    return YamlDoc(value, lines)


def parse_json(data: str | bytes, *, what: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON; nesting deeper than ``max_depth`` is an :class:`InputError`, not a crash.

    ``json.loads`` recurses per level (a deep enough document raises ``RecursionError``) and so do the
    consumers of its result, so depth is bounded here, once, for every JSON the tool reads from outside.
    """
    try:
        value = json.loads(data)
    except RecursionError:
        raise InputError(f"{what}: JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{what}: not valid JSON ({str(exc).splitlines()[0][:120]})") from None
    if nesting_depth(value, max_depth) > max_depth:
        raise InputError(f"{what}: JSON nested deeper than {max_depth} levels")
    return value


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Levels of lists/mappings in ``value`` (a scalar is 0, ``[1]`` is 1); stops counting past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            deepest = max(deepest, d)
            if d > limit:
                return d
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return deepest


class Deadline:
    """A total time limit on one HTTP exchange with an untrusted server (headers and body together).

    httpx's timeouts are per socket operation, so a server sending one byte per second never trips
    them. Pass ``extensions=deadline.extensions`` to the request (httpcore's ``trace`` hook hands over
    the socket when it connects; the request should carry ``Connection: close`` so that it does connect)
    and use it as a context manager: when the time is up a timer shuts the socket down, the blocked
    read returns, and :attr:`expired` says why the exchange failed.
    """

    def __init__(self, seconds: float) -> None:
        import threading

        self.seconds = seconds
        self.expired = False
        self._socks: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @property
    def extensions(self) -> dict[str, Any]:
        return {"trace": self._trace}

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        # TLS wraps (and detaches) the TCP socket, so the TLS socket is watched once the handshake is done
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            sock = getattr(info.get("return_value"), "get_extra_info", lambda _: None)("socket")
            if sock is not None:
                self.watch(sock)

    def watch(self, sock: Any) -> None:
        """Shut ``sock`` down when the deadline passes (also used for a stream taken from a response)."""
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: Any) -> None:
        import contextlib
        import socket

        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                self._shutdown(sock)

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
