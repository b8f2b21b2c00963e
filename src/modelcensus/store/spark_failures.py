"""How a failure on Spark's side reaches the user: named by its Java cause, an interrupt kept an interrupt.

PySpark raises its own errors for a query it refuses, but calls into the JVM through py4j raise py4j's, whose text
is a Java stack trace with the cause at its end (or cut: a 2.2M-model folder build once stopped with "Exception
thrown in awaitResult" and nothing else). Every ``SparkEngine`` method that calls the JVM runs inside
:func:`jvm_calls`, which turns those into one line naming the innermost cause. Kept apart from the engine so that
file stays the engine's methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from modelcensus.errors import InputError
from modelcensus.store.engine import EngineUnavailableError


def first_line(exc: BaseException) -> str:
    """The first line of a PySpark error, cut short; a refusal the engine deferred to the query (``raise_error``)
    without Spark's wrapping."""
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    if line.startswith("[USER_RAISED_EXCEPTION] "):
        return line.removeprefix("[USER_RAISED_EXCEPTION] ").removesuffix(" SQLSTATE: P0001")[:600]
    return line[:300]


def _text(exc: BaseException) -> str:
    """``str(exc)`` without trusting it: py4j's asks the JVM for the stack trace, which fails once the JVM is
    gone (review21 R21-3)."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - whatever the dead gateway raises
        return str(getattr(exc, "errmsg", "") or type(exc).__name__)


def jvm_failure(exc: BaseException) -> str:
    """The telling line of a failure on the JVM side (py4j's ``Py4JJavaError``): its innermost Java cause, with
    the outer error it was raised as when that says something else (``java.io.EOFException (from
    [FAILED_READ_FILE] ... file.parquet)``), while the JVM answers; else the last unindented "Caused by" of the
    text (an indented one belongs to a suppressed error), else its first line that is neither py4j's banner nor a
    stack frame. A 2.2M-model folder build once failed in its last collect with ``SparkException: Exception
    thrown in awaitResult``, which says nothing of the cause."""
    with suppress(Exception):
        outer = cause = exc.java_exception  # type: ignore[attr-defined]
        for _ in range(20):  # a cycle of causes must not loop forever
            inner = cause.getCause()
            if inner is None:
                break
            cause = inner
        told = _java_line(cause)
        raised_as = _java_line(outer) if outer is not cause else ""
        if told:
            return (f"{told} (from {raised_as[:200]})" if raised_as else told)[:400]
    raw = _text(exc).splitlines()
    causes = [x.removeprefix("Caused by: ").strip() for x in raw if x.startswith("Caused by: ")]
    if causes:  # a Java stack trace as text: its innermost cause
        return causes[-1][:400]
    plain = [x.strip().lstrip(": ") for x in raw
             if x.strip() and not x.startswith("An error occurred while") and not x.strip().startswith("at ")]
    return (plain or [type(exc).__name__])[0][:400]


def _java_line(java: Any) -> str:
    """The first line of a JVM exception's ``toString()`` (one call into the JVM)."""
    text = str(java.toString()).strip()
    return text.splitlines()[0] if text else ""


def interrupted(exc: BaseException) -> bool:
    """Whether a JVM-side failure is an interrupt: on Ctrl-C PySpark cancels every job, and a collect then raises
    py4j's error for the cancelled job in place of the KeyboardInterrupt (review21 R21-1)."""
    seen: BaseException | None = exc
    for _ in range(20):
        if seen is None:
            break
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__context__ or seen.__cause__
    return "SPARK_JOB_CANCELLED" in jvm_failure(exc) or "SPARK_JOB_CANCELLED" in _text(exc)[:2000]


@contextmanager
def jvm_calls(what: str = "query failed on Spark") -> Iterator[None]:
    """Calls into the JVM: py4j's errors (not PySpark's, which each method names itself) become a named error,
    the cause kept for ``MODELCENSUS_DEBUG``; a JVM that no longer answers ends the job (EngineUnavailableError);
    an interrupt stays an interrupt. Only py4j's and the connection's own errors are caught: a bug in this code
    is not turned into an input error (review21 R21-4)."""
    from py4j.protocol import Py4JError, Py4JNetworkError

    try:
        yield
    except (Py4JNetworkError, ConnectionError) as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from exc
        raise EngineUnavailableError(f"Spark is not answering (its JVM may be gone): {jvm_failure(exc)}") from exc
    except Py4JError as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from exc
        raise InputError(f"{what}: {jvm_failure(exc)}") from exc


__all__ = ["first_line", "interrupted", "jvm_calls", "jvm_failure"]
