"""SparkEngine: the engine seam over one SparkSession (local mode, a cluster master, or Spark Connect).

Spark is an optional extra (``pip install modelcensus[spark]``, Java 17 for a local or classic session).
One session per process is reused: starting one takes about 10 s. Named tables are temporary views over
locally checkpointed data, so a query that reads the view it replaces (pointer doubling) does not grow its plan
nor (classic sessions) its size estimate.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from modelcensus.errors import InputError
from modelcensus.store.engine import check_name
from modelcensus.store.resources import DUCKDB_SHARE, memory_budget
from modelcensus.store.spark_failures import first_line, jvm_calls

INSTALL_HINT = "pip install modelcensus[spark] (PySpark 4) and Java 17 (java on PATH or JAVA_HOME)"
LOCAL_MASTER = "local[2]"
NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"  # Parquet TIMESTAMP(NANOS) read as longs, not refused
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def hadoop_literal(path: str) -> str:
    """A path Spark reads as itself: Hadoop expands ``[ ] { } * ?`` in paths as a glob (a folder named
    ``sp[12]`` read ``sp1``), so each is escaped with a backslash, as DuckDB's reader gets escaped globs."""
    return re.sub(r"([\\\[\]{}*?])", r"\\\1", path)


def local_file_uri(path: str | Path) -> str:
    """``file://`` and the absolute path, glob characters escaped (:func:`hadoop_literal`): what Spark reads is this
    machine's file of that name (or a shared mount's on a cluster), which DuckDB described and checked here, never
    the same path on Hadoop's default file system (HDFS or S3 when a core-site.xml or a session setting says so:
    review10), and a relative path whose first part ends in ':' is not taken for a scheme."""
    return "file://" + hadoop_literal(os.path.abspath(path))


def spark_available() -> str | None:
    """None when a local Spark session can start here, else why not (for test skips and error messages)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return f"pyspark is not installed: {INSTALL_HINT}"
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and (Path(java_home) / "bin" / "java").exists()):
        return f"java is not installed: {INSTALL_HINT}"
    return None


class SparkEngine:
    """The seam on Spark: SQL arrives in Spark's dialect (see :func:`modelcensus.store.engine.to_dialect`)."""

    name = "spark"
    dialect = "spark"
    _sessions: ClassVar[dict[str, SparkEngine]] = {}

    def __init__(self, session: Any) -> None:
        self.spark = session
        self._names: set[str] = set()
        self._width: int | None = None
        self._cached: dict[str, list[Any]] = {}  # name -> its checkpoint and view, released when replaced or dropped

    @classmethod
    def shared(cls, master: str | None = None) -> SparkEngine:
        """One engine per master (or Spark Connect URL from ``SPARK_REMOTE``) for the whole process."""
        remote = os.environ.get("SPARK_REMOTE") if not master else None
        key = f"remote:{remote}" if remote else f"master:{master or LOCAL_MASTER}"
        if key not in cls._sessions:
            cls._sessions[key] = cls(_start_session(master, remote))
        return cls._sessions[key]

    @property
    def reads_files_here(self) -> bool:
        """Local mode with Hadoop's default file system on local files only: on a cluster master or Spark Connect,
        executors read a path from their own file system, and a path without a scheme goes to ``fs.defaultFS``
        (HDFS or S3 when a core-site.xml says so, review9), not to the local file of that name. False when either
        cannot be read."""
        if _is_connect(self.spark) or not str(self.spark.sparkContext.master).startswith("local"):
            return False
        try:
            default_fs = self.spark.sparkContext._jsc.hadoopConfiguration().get("fs.defaultFS")
        except Exception:  # noqa: BLE001 - a JVM we cannot ask is a file system we cannot vouch for
            return False
        return str(default_fs or "").startswith("file:")

    def _sql(self, sql: str) -> Any:
        from pyspark.errors import PySparkException

        try:
            return self.spark.sql(sql)
        except PySparkException as exc:
            raise InputError(f"query failed on Spark: {first_line(exc)}") from None

    def query(self, sql: str) -> pa.Table:
        from pyspark.errors import PySparkException

        try:
            with jvm_calls():
                return self._sql(sql).toArrow()
        except PySparkException as exc:
            raise InputError(f"query failed on Spark: {first_line(exc)}") from None

    def materialise(self, name: str, sql: str) -> None:
        """The rows are computed now and kept as a local checkpoint, which cuts the plan they came from.

        A cached view still carries its plan, and a loop round that reads its own table twice (pointer
        jumping joins the state with itself) doubles that plan every round: measured on the roots tests, a
        round on a 4-edge chain grew from 4 s to 14 s and the 141-edge graph did not finish in 20 minutes;
        checkpointed, under a minute.

        The rows are coalesced to at most ``spark.sql.shuffle.partitions`` partitions (no shuffle; on Spark
        Connect fewer, by row count, and cached: :func:`_connect_table`): a loop
        round is ``SELECT .. FROM t WHERE fin UNION ALL SELECT .. FROM t JOIN ..``, and when the join is
        broadcast its output keeps t's partitions, so the union doubled them every round. Measured on the
        seed-11 300-model build over a Spark Connect server (200 shuffle partitions): stages of 94, 190, 382,
        766, 1534 tasks, the chain loop's rounds 0.2 s -> 30 s."""
        from pyspark.errors import PySparkException

        try:
            with jvm_calls():
                if _is_connect(self.spark):
                    df, view = _connect_table(self._sql(sql), self._partitions())
                else:
                    df = self._sql(sql).coalesce(self._partitions()).localCheckpoint(eager=True)
                    view = _without_size_estimate(self.spark, df)  # before the drop: a failure here loses no table
        except PySparkException as exc:
            raise InputError(f"query failed on Spark: {first_line(exc)}") from None
        self.drop(name)  # the new rows are computed: the table they were read from may go
        view.createOrReplaceTempView(check_name(name))
        self._names.add(name)
        self._cached[name] = [df, view]

    @contextmanager
    def sized_for(self, rows: int) -> Iterator[None]:
        """While the block runs, about one shuffle partition per ``ROWS_PER_SHUFFLE_PARTITION`` input rows
        (never fewer than the session has), then the session's width again.

        Local mode runs 4 shuffle partitions (small inputs: tests, lineage loops), and every materialised table is
        coalesced to that width. Over 24 files of a hub growing to 2.2M models (31.9M rows) that made partitions
        of about 8M rows, and RAM ran out of a 3 GiB heap (``java.lang.OutOfMemoryError``, twice, also with every
        checkpoint on disk). With 64 partitions the same RAM finished under the same heap (70,000 rows, as on
        DuckDB; 2026-12-04, benchmarks/RESULTS.md)."""
        key = "spark.sql.shuffle.partitions"
        readable = True
        before: str | None = None
        width = 200
        try:  # the session's own setting now (a user may have changed it since this engine cached its width)
            before = self.spark.conf.get(key, None)
            width = int(before) if before is not None else 200
        except (TypeError, ValueError):  # not a number: restored as it was, compared as Spark's default
            width = 200
        except Exception:  # noqa: BLE001 - a session that refuses the read: its setting is left alone
            readable = False
        want = min(MAX_SHUFFLE_PARTITIONS, -(-max(rows, 0) // ROWS_PER_SHUFFLE_PARTITION))
        widened = False
        if readable and want > width:
            try:
                self.spark.conf.set(key, str(want))
                widened = True
            except Exception:  # noqa: BLE001 - a session that refuses the setting keeps its width (slower, same rows)
                widened = False
        if not widened:
            yield
            return
        self._width = want
        try:
            yield
        finally:
            with suppress(Exception):
                if before is None:
                    self.spark.conf.unset(key)
                else:
                    self.spark.conf.set(key, before)
            self._width = None  # read from the session again: restored, or left as it is if the restore failed

    def _partitions(self) -> int:
        """The session's shuffle partitions (Spark's default 200 when unset or unreadable): the width a
        materialised table is coalesced to."""
        if self._width is None:
            try:
                with jvm_calls("--engine spark: reading the session's shuffle partitions failed"):
                    self._width = max(int(self.spark.conf.get("spark.sql.shuffle.partitions", "200")), 1)
            except (TypeError, ValueError):
                self._width = 200
        return self._width

    @contextmanager
    def unordered(self) -> Iterator[None]:
        """Spark keeps no insertion order to give up: nothing to change."""
        yield

    def define_view(self, name: str, sql: str) -> None:
        """A temporary view: Spark plans it into each query that reads it (nothing is computed now). Made by SQL,
        not ``DataFrame.createOrReplaceTempView``: a view from SQL keeps its text and reads the tables it names as
        they are when it is read (as on DuckDB); one from a DataFrame keeps the plan of the tables it read then."""
        from pyspark.errors import PySparkException

        self.drop(name)  # a checkpointed table of that name: its cached rows are freed
        try:
            with jvm_calls(f"defining the view {check_name(name)} on Spark failed"):
                self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS {sql}")
        except PySparkException as exc:  # as materialise: a query Spark refuses is named, not raised raw
            raise InputError(f"query failed on Spark: {first_line(exc)}") from exc
        self._names.add(name)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        with jvm_calls(f"registering {check_name(name)} on Spark failed"):
            self.spark.createDataFrame(table).createOrReplaceTempView(name)
        self._names.add(name)

    def register_parquet(self, name: str, paths: Path | list[Path], *, row_number: str | None = None,
                         file_name: str | None = None) -> None:
        from pyspark.errors import PySparkException

        # absolute: a relative path whose first part ends in ':' would be a URI scheme to pyarrow and Spark (review10)
        files = [os.path.abspath(p) for p in (paths if isinstance(paths, list) else [paths])]
        flat, nested = _footer_nanos(files)  # the footers first: a file without nanoseconds leaves the session alone
        # nanosecond timestamps are read as longs only while the schema is read and the view made: the view keeps
        # that schema and Spark's reader follows it at run time, so a session the engine attaches to (a notebook's,
        # Spark Connect) keeps its own setting for its other reads. For that moment the setting is session-wide
        # (another thread or notebook cell reading Parquet then gets nanosecond longs too): Spark has no per-read
        # option for it (its Parquet read options: mergeSchema, datetimeRebaseMode, int96RebaseMode)
        with jvm_calls(f"{files[0]}{' ...' if len(files) > 1 else ''}: Spark cannot read it"), \
                _conf(self.spark, NANOS_AS_LONG, "true") if flat or nested else nullcontext():
            try:
                df = self.spark.read.parquet(*(local_file_uri(f) for f in files))
                df = _nanos_as_timestamps(df, files, flat, nested) if flat or nested else df
                extra = [f"_metadata.row_index AS {check_name(row_number)}"] if row_number else []  # file_row_number
                extra += [f"_metadata.file_name AS {check_name(file_name)}"] if file_name else []
                if extra:
                    df = df.selectExpr("*", *extra)
            except PySparkException as exc:
                raise InputError(f"{files[0]}{' ...' if len(files) > 1 else ''}: Spark cannot read it "
                                 f"({first_line(exc)})") from None
            df.createOrReplaceTempView(check_name(name))
        self._names.add(name)

    def drop(self, name: str) -> None:
        with jvm_calls(f"dropping {check_name(name)} on Spark failed"):
            self.spark.catalog.dropTempView(name)
            self._names.discard(name)
            for old in self._cached.pop(name, []):  # the checkpoint, and the view over it (cached on Connect)
                self._free(old)

    @staticmethod
    def _free(old: Any) -> None:
        """A dropped table's cached rows, freed now."""
        with jvm_calls("freeing a dropped table on Spark failed"):
            old.unpersist()
        # classic session: the checkpoint's blocks are freed now, not when a JVM garbage collection happens to
        # run (review: 14-25 dropped tables still held their blocks); every materialised table was computed
        # eagerly from its inputs, so none still reads these blocks. Spark Connect has no handle for that:
        # there the cache is freed now, the checkpoint (on disk) at the server's next garbage collection
        with suppress(Exception):
            old._jdf.queryExecution().analyzed().rdd().unpersist(False)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Spark has no transactions here: what the block made is dropped when it fails."""
        before = set(self._names)
        try:
            yield
        except BaseException:
            for name in self._names - before:
                self.drop(name)
            raise

    def close(self) -> None:
        for name in list(self._names):
            self.drop(name)


@contextmanager
def _conf(spark: Any, key: str, value: str) -> Iterator[None]:
    """``key`` set to ``value`` in the session for the block only; its previous value (or none) after it, also
    when the block fails. A session that refuses the setting (a locked-down Connect server) is an InputError
    naming it, not a raw error (review6 R6-6). The setting is the session's, not the block's: any read the session
    runs meanwhile (another thread, a notebook cell) sees it too."""
    try:
        before = spark.conf.get(key, None)
        spark.conf.set(key, value)
    except Exception as exc:  # noqa: BLE001 - Connect and py4j raise several types for a refused conf
        raise InputError(f"--engine spark: the session refused setting {key}={value} ({first_line(exc)})") from None
    try:
        yield
    except BaseException:
        with suppress(Exception):  # best effort: the block's own error is the one to report
            _restore(spark, key, before)
        raise
    _restore(spark, key, before)


def _restore(spark: Any, key: str, before: str | None) -> None:
    if before is None:
        spark.conf.unset(key)
    else:
        spark.conf.set(key, before)


def _nanos_as_timestamps(df: Any, files: list[str], flat: dict[str, bool], nested: dict[str, str]) -> Any:
    """Parquet TIMESTAMP(NANOS) columns (pandas' default) as DuckDB reads them: timestamps, to the microsecond,
    earlier. Spark refuses such a file (PARQUET_TYPE_ILLEGAL) unless it reads them as longs
    (``spark.sql.legacy.parquet.nanosAsLong``); those longs, found by the file footers' logical types, become
    timestamps again here (UTC-adjusted ones TIMESTAMP, naive ones TIMESTAMP_NTZ). One inside a struct or list
    would stay a number unnoticed (e.g. in JSON text): its top-level column fails the query that reads it, naming
    it, and a query that does not read it (the staging SELECT reads a few columns; review5 F: such a file was
    refused whole, DuckDB staged it) is not touched, as Spark reads only the columns a query needs."""
    from pyspark.sql import functions as F  # noqa: N812 - PySpark's usual name

    nanos, refused = _nanos_columns(df, files, flat, nested)
    out = {}
    for name, utc in nanos.items():
        q = "`" + name.replace("`", "``") + "`"
        # floor: DuckDB keeps the earlier microsecond; div truncates, so a negative rest steps back one (no
        # subtraction before the division: pandas' Timestamp.min overflowed it, a raw ARITHMETIC_OVERFLOW)
        micros = f"timestamp_micros({q} div 1000 - IF({q} % 1000 < 0, 1, 0))"
        out[name] = F.expr(micros if utc else f"CAST({micros} AS TIMESTAMP_NTZ)")
    for name, why in refused.items():  # same type, so a query reading it is planned and fails when it runs
        out[name] = F.raise_error(F.lit(why)).cast(df.schema[name].dataType)
    return df.withColumns(out) if out else df


def _nanos_columns(df: Any, files: list[str], flat: dict[str, bool],
                   nested: dict[str, str]) -> tuple[dict[str, bool], dict[str, str]]:
    """The footers' answers (by lower-case column name) on the view's columns: those to turn into timestamps
    (-> UTC-adjusted or not), and those to refuse when read (-> why)."""
    names = {c.lower(): c for c in df.columns}
    kinds = dict(df.dtypes)
    nanos: dict[str, bool] = {}
    refused: dict[str, str] = {}
    for low, why in [*((low, None) for low in flat), *nested.items()]:
        name = names.get(low)
        if name is None:  # not a column of the view at all: nothing to defer the refusal to
            raise InputError(why or f"{files[0]}: Spark cannot read it (its nanosecond timestamp column {low!r} is "
                                    "not among the columns Spark read); build it with --engine duckdb")
        if why is None and kinds.get(name) == "bigint":
            nanos[name] = flat[low]
        else:
            refused[name] = why or (f"{files[0]}: Spark cannot read it (nanosecond timestamps in {name!r}, read as "
                                    f"{kinds.get(name)}, not as numbers); build it with --engine duckdb")
    return nanos, refused


def _footer_nanos(files: list[str]) -> tuple[dict[str, bool], dict[str, str]]:
    """Over all ``files``, by lower-case top-level column name: the columns stored as TIMESTAMP(NANOS)
    (-> UTC-adjusted or not), and those holding one nested (-> the refusal naming its path). Both empty for a
    read that needs no nanosAsLong. A column in nanoseconds in some files only is refused here."""
    flat: dict[str, bool] = {}
    nested: dict[str, str] = {}
    seen: dict[str, int] = {}  # column -> the files that store it in nanoseconds
    for f in files:
        for name, found in _file_nanos(f).items():
            low = name.lower()
            if isinstance(found, bool):
                flat[low] = found
                seen[low] = seen.get(low, 0) + 1
            else:
                nested.setdefault(low, f"{f}: Spark cannot read it (nanosecond timestamps in {found!r}, nested in "
                                       f"column {name!r}: only a top-level one is read as a timestamp); build it "
                                       "with --engine duckdb")
    mixed = sorted(n for n, k in seen.items() if k < len(files))
    if mixed:  # read together, the other files' timestamps would be taken for nanoseconds (1970 dates)
        raise InputError(f"{files[0]} ...: Spark cannot read these files together ({mixed[0]!r} is in nanoseconds "
                         "in some and not in others); read them one at a time or build with --engine duckdb")
    return flat, nested


def _file_nanos(f: str) -> dict[str, bool | str]:
    """One file's top-level columns holding a Parquet TIMESTAMP(NANOS) leaf: a top-level one -> UTC-adjusted or
    not, else -> the first such leaf's dotted path. Decided on the Parquet leaf types, which Spark reads (pyarrow's
    Arrow types differ: INT96 is ns there, a timestamp in Spark); each leaf goes to its top-level field by its
    position in the schema tree, never by its dotted path (review6 R6-3: a column named 'a.b' beside a struct
    a{b})."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_metadata(f).schema
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for an unreadable footer
        raise InputError(f"{f}: Spark cannot read it (its Parquet footer: {first_line(exc)})") from None
    leaves = [i for i in range(len(schema)) if _is_nanos(schema.column(i).logical_type)]
    if not leaves:
        return {}
    try:
        fields = list(schema.to_arrow_schema())  # the tree's shape (the Parquet groups); its leaf types unused
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a schema it cannot map
        raise InputError(f"{f}: Spark cannot read it (its Parquet schema: {first_line(exc)})") from None
    owner = [field for field in fields for _ in range(_leaf_count(field.type))]  # leaf -> its top-level field
    names = [field.name.lower() for field in fields]
    if len(owner) != len(schema) or len(set(names)) < len(names) or any(
            not (schema.column(i).path + ".").startswith(owner[i].name + ".") for i in range(len(schema))):
        raise InputError(f"{f}: Spark cannot read it (its nanosecond timestamps cannot be told apart by column: "
                         "columns named alike, or a schema tree pyarrow maps oddly); build it with --engine duckdb")
    found: dict[str, bool | str] = {}
    for i in leaves:
        col, field = schema.column(i), owner[i]
        top = _leaf_count(field.type) == 1 and not pa.types.is_nested(_storage(field.type)) and col.path == field.name
        if top and col.max_repetition_level == 0:
            found.setdefault(field.name, json.loads(col.logical_type.to_json()).get("isAdjustedToUTC") is True)
        else:
            found.setdefault(field.name, col.path)
    return found


def _is_nanos(logical: Any) -> bool:
    """A Parquet leaf's logical type is TIMESTAMP(NANOS) (which Spark refuses, or reads as longs)."""
    kind = json.loads(logical.to_json())
    return kind.get("Type") == "Timestamp" and kind.get("timeUnit") == "nanoseconds"


def _storage(t: pa.DataType) -> pa.DataType:
    return t.storage_type if isinstance(t, pa.ExtensionType) else t


def _leaf_count(t: pa.DataType) -> int:
    """How many Parquet leaf columns an Arrow field read from Parquet spans (a map: key and value; a list: its
    element's)."""
    t = _storage(t)
    if isinstance(t, pa.DictionaryType) or not t.num_fields:
        return 1
    return sum(_leaf_count(t.field(j).type) for j in range(t.num_fields))


def _without_size_estimate(spark: Any, checkpointed: Any) -> Any:
    """The checkpointed rows as a table that does not carry its query's size estimate.

    A checkpoint keeps the size Spark estimated for the query that made it, and Spark estimates a join it
    has no statistics for as the product of its inputs' sizes. A loop round joins its own table, so the
    estimate squares every round and its digits double: measured on the seed-11 synthetic file, the
    estimate reached 4,281 bits before the roots and each pointer-jumping round then took about 2.5x the
    one before (0.13 s -> 86 s in 11 rounds), all of it in BigInteger multiplication while planning
    (``SizeInBytesOnlyStatsPlanVisitor.visitJoin``, from a JVM thread dump). Rebuilt over the same
    checkpointed rows, the table has Spark's default estimate (63 bits) and the rounds run flat (0.07-0.3 s).
    Needs the classic session's JVM (``internalCreateDataFrame``; Spark Connect: :func:`_connect_table`). A JVM
    that refuses the call keeps the plain checkpoint (same rows; loops slow down as before)."""
    if _is_connect(spark):
        return checkpointed
    jspark = spark._jsparkSession
    from pyspark.sql import DataFrame

    jdf = checkpointed._jdf
    try:
        return DataFrame(jspark.internalCreateDataFrame(jdf.queryExecution().toRdd(), jdf.schema(), False), spark)
    except Exception:  # noqa: BLE001 - a JVM that refuses the call (py4j allow-lists): the plain checkpoint is right, only slower in loops
        return checkpointed


# shuffle width for large inputs (SparkEngine.sized_for): about 500K staged hub-stats rows per partition
ROWS_PER_SHUFFLE_PARTITION = 500_000
MAX_SHUFFLE_PARTITIONS = 2_000
ROWS_PER_PARTITION = 1_000_000  # Spark Connect tables: about 10-60 MB of narrow lineage rows per partition


def _is_connect(spark: Any) -> bool:
    """A Spark Connect session (no JVM handle on this side)."""
    return getattr(spark, "_jsparkSession", None) is None


def _connect_table(df: Any, width: int) -> tuple[Any, Any]:
    """On Spark Connect: (checkpoint, view) for a materialised table, the view cached and counted.

    No JVM handle here to drop the checkpoint's size estimate (:func:`_without_size_estimate`); a cached table,
    once computed, reports the size of its cached rows instead. Without it, the seed-11 300-model build over a
    local Connect server had its chain loop's rounds at 0.29, 0.87, ... 42.7 and 144 s and never finished.
    The checkpoint is kept on disk only (review6: in memory it held the rows twice, 710 MB + 331 MB for 4.8M
    rows, and Connect frees a dropped checkpoint's blocks only at the server's next JVM garbage collection).
    The view is coalesced to one partition per ``ROWS_PER_PARTITION`` rows, at most ``width``: a real, small
    size makes loop joins broadcast, and 200 partitions of a 300-row table made every round run 200 tasks
    (review6: 4.8-6.7 s a round, against 0.4-0.6 s at 2 partitions)."""
    from pyspark.storagelevel import StorageLevel

    checkpointed = df.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)
    rows = int(checkpointed.count())
    view = checkpointed.coalesce(max(1, min(width, -(-rows // ROWS_PER_PARTITION)))).cache()
    try:
        view.count()  # computed now: from here on its estimate is its cached size
    except BaseException:
        view.unpersist()
        raise
    return checkpointed, view


# What a local-mode JVM holds besides its heap (metaspace, code cache, threads, shuffle and network buffers).
# Measured over 24 monthly files of a hub growing to 2.2M models (RAM, 2026-12-04): resident set 3.74 GiB at a
# 3 GiB heap, 2.84 GiB at its peak with a 2.25 GiB heap, so about 0.6-0.75 GiB.
JVM_OUTSIDE_HEAP = 768 * 2**20


def local_heap(budget: int | None = None) -> str:
    """The driver's heap in local mode, where the driver is the whole engine: DuckDB's share of the process
    budget (3/4 of the lower of 4 GiB and half of RAM) less what the JVM holds outside its heap, so the JVM and
    the Python driver together stay under the budget (2304m on machines with 8 GiB of RAM or more). Never below
    512m, the least a session starts and builds in: under about 3.3 GiB of RAM that floor puts the JVM over its
    share. An empty ``SPARK_DRIVER_MEMORY`` counts as unset.

    Spark's own 1 GiB ran out in a 300-model lineage build run twice in one session. The whole share (3 GiB) ran
    RAM over 24 x 2.2M models but the process tree reached about 4.3 GiB; with 2.25 GiB the same RAM gave the
    same 70,000 rows and the tree peaked at 3.46 GiB (JVM 2.84, Python 0.62; benchmarks/RESULTS.md)."""
    share = int((memory_budget() if budget is None else budget) * DUCKDB_SHARE)
    return f"{max(share - JVM_OUTSIDE_HEAP, 512 * 2**20) // 2**20}m"


STOP_AT_EXIT_SECONDS = 10.0  # a stop took about 1 s here; a JVM that does not answer must not hold the exit


def _stop_at_exit(session: Any) -> None:
    """Stop the local session before Python exits. Left to itself, the JVM noticed Python's exit only as the end of
    its input and ran Spark's shutdown hooks after the command had returned: in two finished history runs it then
    printed RejectedExecutionException stack traces from a pool shutting down, after the exit status (2026-12-05,
    benchmarks/RESULTS.md). Best effort and bounded: a JVM already gone is left alone, and one that does not answer
    (stopped, or stuck in garbage collection) is given STOP_AT_EXIT_SECONDS, after which Python exits as it did
    before (review35 F1: an unbounded stop held the exit until the JVM was killed)."""
    proc = getattr(getattr(session.sparkContext, "_gateway", None), "proc", None)
    if proc is not None and proc.poll() is not None:
        return

    def stop() -> None:
        quiet = [logging.getLogger(name) for name in ("py4j", "py4j.clientserver", "py4j.java_gateway")]
        for logger in quiet:  # py4j logs a broken connection's traceback itself
            logger.setLevel(logging.CRITICAL)
        with suppress(Exception):
            session.stop()

    worker = threading.Thread(target=stop, name="modelcensus-spark-stop", daemon=True)
    worker.start()
    worker.join(STOP_AT_EXIT_SECONDS)


def _start_session(master: str | None, remote: str | None) -> Any:
    """A session for ``master`` (default local[2]), or Spark Connect at ``remote``; InputError on failure."""
    why = spark_available() if not remote else None
    if why:
        raise InputError(f"--engine spark: {why}")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(f"--engine spark: pyspark is not installed: {INSTALL_HINT}") from None
    try:
        if remote:
            builder = SparkSession.builder.remote(remote)
        else:
            url = master or LOCAL_MASTER
            builder = SparkSession.builder.master(url).appName("modelcensus")
            if url.startswith("local"):
                builder = (builder.config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY") or local_heap())
                           .config("spark.ui.enabled", "false")
                           .config("spark.driver.bindAddress", "127.0.0.1")
                           .config("spark.driver.host", "127.0.0.1")
                           .config("spark.ui.showConsoleProgress", "false")
                           .config("spark.sql.shuffle.partitions", "4"))
        # constraint propagation off: on checkpointed tables Spark 4's constraint inference fails on the
        # roots' UNIONs (NoSuchElementException: key not found: c#195); the queries here gain nothing from it
        # to_json keeps null fields, as DuckDB's does: a struct-typed config with "quantization_config": null
        # staged without the key on Spark (it read as a missing key there, a JSON null on DuckDB)
        # (Parquet nanosecond timestamps: register_parquet sets NANOS_AS_LONG around its read only)
        session = (builder.config("spark.sql.session.timeZone", "UTC")
                   .config("spark.sql.jsonGenerator.ignoreNullFields", "false")
                   .config("spark.sql.constraintPropagation.enabled", "false").getOrCreate())
    except Exception as exc:  # noqa: BLE001 - JVM start-up and connection failures come in many types
        where = f"Spark Connect at {remote}" if remote else f"master {master or LOCAL_MASTER}"
        raise InputError(f"--engine spark: cannot start a session on {where} ({first_line(exc)}); "
                         f"needs {INSTALL_HINT}") from None
    if not remote:
        session.sparkContext.setLogLevel("FATAL")  # errors reach the user as InputError, once
        atexit.register(_stop_at_exit, session)
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):  # PySpark's own: a JVM stack as JSON
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return session
