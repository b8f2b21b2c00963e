"""``lineage build --snapshots DIR``: every dated hub-stats file's lineage, built by the store's own rules one
snapshot at a time and written beside the folder; equal to the store path, resumable, and a bad file fails
alone, leaving nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from folder_history import write_history

from modelcensus import api
from modelcensus.errors import InputError
from modelcensus.lineage.folder_build import LINEAGE_DIR, build_folder_lineage, lineage_files
from modelcensus.lineage.registry import load_registry


@pytest.fixture(scope="module")
def registry() -> Any:
    return load_registry()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, registry: Any) -> tuple[Path, Any]:
    folder = tmp_path_factory.mktemp("history")
    write_history(folder, n_models=900, seed=3, months=2)
    return folder, api.build_folder_lineage(folder, registry=registry)


def _rows(path: Path) -> list[tuple]:
    t = pq.read_table(path)
    return sorted(tuple(str(v) for v in r.values()) for r in t.to_pylist())


def test_each_file_equals_the_store_path(built: tuple[Path, Any], registry: Any, tmp_path: Path) -> None:
    folder, res = built
    assert [i.status for i in res.items] == ["built", "built"]
    for item in res.items:
        with api.open_store(tmp_path / f"{item.date}.duckdb") as store:
            api.import_path(store, folder / f"{item.date}.parquet", observed_at=item.date.isoformat())
            snap = store.snapshot(None)
            assert snap.row_count == item.models
            for table in ("origins", "edges"):
                mine = api.export(store, snap.id, "parquet", tmp_path / f"{item.date}.{table}.parquet", table=table,
                                  registry=registry)
                assert _rows(lineage_files(folder, item.date)[table]) == _rows(mine), (item.date, table)
    assert not [p for p in (folder / LINEAGE_DIR).iterdir() if p.name.startswith(".build")]


def test_resumes_and_rebuilds_what_changed(built: tuple[Path, Any], registry: Any) -> None:
    folder, first = built
    again = api.build_folder_lineage(folder, registry=registry)
    assert [i.status for i in again.items] == ["present", "present"]
    assert [i.models for i in again.items] == [i.models for i in first.items]
    # a sidecar from other rules, or a missing table, means the date is built again
    side = lineage_files(folder, first.items[0].date)["sidecar"]
    doc = json.loads(side.read_text())
    side.write_text(json.dumps({**doc, "rules": "older-rules"}))
    lineage_files(folder, first.items[1].date)["edges"].unlink()
    third = api.build_folder_lineage(folder, registry=registry)
    assert [i.status for i in third.items] == ["built", "built"]
    assert json.loads(side.read_text())["rules"] == doc["rules"]


def test_a_bad_file_fails_alone_and_leaves_nothing(tmp_path: Path, registry: Any) -> None:
    good = write_history(tmp_path, n_models=300, seed=3, months=1)[0]
    (tmp_path / "2023-12-31.parquet").write_bytes(b"PAR1 this is not parquet")
    res = api.build_folder_lineage(tmp_path, registry=registry)
    by_date = {str(i.date): i for i in res.items}
    assert by_date["2023-12-31"].status == "failed" and "2023-12-31.parquet" in by_date["2023-12-31"].reason
    assert by_date[good.stem].status == "built"
    left = sorted(p.name for p in (tmp_path / LINEAGE_DIR).iterdir())
    assert left == [f"{good.stem}.edges.parquet", f"{good.stem}.json", f"{good.stem}.origins.parquet"]


def test_command_line(tmp_path: Path) -> None:
    write_history(tmp_path, n_models=300, seed=3, months=1)
    (tmp_path / "2023-12-31.parquet").write_bytes(b"not parquet")
    run = [sys.executable, "-m", "modelcensus", "lineage", "build", "--snapshots", str(tmp_path)]
    r = subprocess.run(run, capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "1 of 2 file(s) failed (2023-12-31" in r.stderr and "Traceback" not in r.stderr
    assert ": built (" in r.stdout
    r = subprocess.run([*run, "--format", "json"], capture_output=True, text=True, check=False)
    doc = json.loads(r.stdout)
    assert [i["status"] for i in doc["items"]] == ["failed", "present"]
    r = subprocess.run([*run, "--engine", "sqlite"], capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "expected one of duckdb, spark" in r.stderr
    r = subprocess.run([*run, "--spark-master", "local[1]"], capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "--spark-master is for --engine spark" in r.stderr
    r = subprocess.run([sys.executable, "-m", "modelcensus", "lineage", "Qwen/Qwen2-7B", "--snapshots", "x"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "options of `lineage build`" in r.stderr


def test_refuses_bad_folders_before_an_engine_starts(tmp_path: Path) -> None:
    for engine in ("duckdb", "spark"):
        with pytest.raises(InputError, match="no YYYY-MM-DD.parquet"):
            api.build_folder_lineage(tmp_path, engine=engine)


def test_spark_builds_the_same_files(tmp_path: Path, registry: Any, spark_engine: Any) -> None:
    """--engine spark stages the file and builds with the same query files on Spark: the two tables are the
    DuckDB build's, column types and row order included, and the date is then current for either engine."""
    path = write_history(tmp_path / "duck", n_models=300, seed=3, months=1)[0]
    (tmp_path / "spark").mkdir()
    (tmp_path / "spark" / path.name).write_bytes(path.read_bytes())
    duck = api.build_folder_lineage(tmp_path / "duck", registry=registry)
    spark = api.build_folder_lineage(tmp_path / "spark", engine="spark", registry=registry)
    assert [i.status for i in spark.items] == ["built"] and spark.items[0].models == duck.items[0].models
    day = duck.items[0].date
    for table in ("origins", "edges"):
        a, b = (pq.read_table(lineage_files(tmp_path / x, day)[table]) for x in ("duck", "spark"))
        # names and types; nullability is the store's DDL on Spark, DuckDB's writer marks more columns required
        assert [(f.name, f.type) for f in a.schema] == [(f.name, f.type) for f in b.schema]
        assert a.num_rows > 100 and a.to_pylist() == b.to_pylist()
    again = api.build_folder_lineage(tmp_path / "spark", registry=registry)  # current for DuckDB too
    assert [i.status for i in again.items] == ["present"]


def test_a_failure_on_the_jvm_fails_its_date_alone_naming_the_cause(tmp_path: Path, registry: Any,
                                                                    spark_engine: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A 2.2M-model folder build on Spark once failed in the collect of its outputs with py4j's error (not PySpark's):
    the command stopped with "internal error" and built no other date. Labelled first: a real ``Py4JJavaError`` over
    a JVM exception, raised in that collect, fails its date with the Java cause in its reason and leaves nothing,
    no build table stays on the session, and the next date is built (the same as DuckDB's)."""
    import pyspark.sql.classic.dataframe as frames
    from py4j.protocol import Py4JJavaError

    from modelcensus.store.export import TABLE_COLUMNS

    paths = write_history(tmp_path / "spark", n_models=300, seed=3, months=2)
    (tmp_path / "duck").mkdir()
    (tmp_path / "duck" / paths[-1].name).write_bytes(paths[-1].read_bytes())
    jvm, real, failed = spark_engine.spark._jvm, frames.DataFrame.toArrow, []

    def to_arrow(df: Any) -> Any:
        if not failed and df.columns == list(TABLE_COLUMNS["origins"]):  # the first date's origins collect
            failed.append(1)
            oom = jvm.java.lang.OutOfMemoryError("Java heap space")
            raise Py4JJavaError("An error occurred while calling o4576.getResult.\n",
                                jvm.org.apache.spark.SparkException("Exception thrown in awaitResult: ", oom))
        return real(df)

    monkeypatch.setattr(frames.DataFrame, "toArrow", to_arrow)
    res = api.build_folder_lineage(tmp_path / "spark", engine="spark", registry=registry)
    monkeypatch.setattr(frames.DataFrame, "toArrow", real)
    first, last = res.items
    assert failed and first.status == "failed", first
    assert first.reason.startswith("query failed on Spark: java.lang.OutOfMemoryError: Java heap space (from "
                                   "org.apache.spark.SparkException: Exception thrown in awaitResult"), first.reason
    assert last.status == "built"
    assert sorted(p.name for p in (tmp_path / "spark" / LINEAGE_DIR).iterdir()) == [
        f"{paths[-1].stem}.{x}" for x in ("edges.parquet", "json", "origins.parquet")]
    left = [t.name for t in spark_engine.spark.catalog.listTables() if t.isTemporary]
    assert not [n for n in left if n.startswith(("_lin_", "_rt_")) or n in ("models", "declarations")], left
    api.build_folder_lineage(tmp_path / "duck", registry=registry)
    for table in ("origins", "edges"):
        a, b = (pq.read_table(lineage_files(tmp_path / x, last.date)[table]) for x in ("duck", "spark"))
        assert a.num_rows > 100 and a.to_pylist() == b.to_pylist()
    # a JVM that stops answering ends the build at once, instead of failing every later date the same way
    from py4j.protocol import Py4JNetworkError

    from modelcensus.store.engine import EngineUnavailableError

    def gone(df: Any) -> Any:
        raise Py4JNetworkError("Answer from Java side is empty")

    monkeypatch.setattr(frames.DataFrame, "toArrow", gone)
    with pytest.raises(EngineUnavailableError, match="Spark is not answering"):
        api.build_folder_lineage(tmp_path / "spark", engine="spark", registry=registry, force=True)


def test_the_cause_of_a_jvm_failure_is_its_innermost_java_exception() -> None:
    """``_jvm_failure``: with the JVM answering, the innermost cause of py4j's ``java_exception`` (with the outer
    error when that says more); without, the last unindented "Caused by" of the text (an indented one is a
    suppressed error's), else its first line that is neither py4j's banner nor a stack frame."""
    from modelcensus.store.spark_failures import jvm_failure as _jvm_failure

    class Java:
        def __init__(self, text: str, cause: Any = None) -> None:
            self.text, self.cause = text, cause

        def getCause(self) -> Any:  # noqa: N802 - the Java method's name
            return self.cause

        def toString(self) -> str:  # noqa: N802
            return self.text

    class Py4J(Exception):
        def __init__(self, text: str, java: Any = None) -> None:
            super().__init__(text)
            if java is not None:
                self.java_exception = java

    oom = Java("java.lang.OutOfMemoryError: Java heap space")
    assert _jvm_failure(Py4J("banner", Java("org.apache.spark.SparkException: read x.parquet", oom))) == (
        "java.lang.OutOfMemoryError: Java heap space (from org.apache.spark.SparkException: read x.parquet)")
    assert _jvm_failure(Py4J("banner", oom)) == oom.text
    looped = Java("a"); looped.cause = looped  # noqa: E702 - a cycle of causes ends
    assert _jvm_failure(Py4J("x", looped)) == "a"
    trace = ("An error occurred while calling o1.x.\n: org.apache.spark.SparkException: boom\n\tat a.b\n"
             "Caused by: java.lang.OutOfMemoryError: Java heap space\n\tat c.d\n"
             "\tSuppressed: java.io.IOException: x\n\t\tCaused by: java.net.SocketException: Broken pipe\n")
    assert _jvm_failure(Py4J(trace)) == "java.lang.OutOfMemoryError: Java heap space"
    assert _jvm_failure(Py4J("An error occurred while calling o1.x.\n: java.io.IOException: disk full\n\tat a.b"
                             )) == "java.io.IOException: disk full"
    assert _jvm_failure(Py4J("")) == "Py4J"
    assert len(_jvm_failure(Py4J("y" * 5_000_000))) == 400


def test_jvm_calls_name_failures_keep_interrupts_and_let_bugs_through() -> None:
    """review21 R21-1, R21-3, R21-4: on Ctrl-C PySpark cancels its jobs and a collect raises py4j's error for the
    cancelled job: that stays an interrupt; a JVM that no longer answers ends the job (EngineUnavailableError);
    a py4j error whose text the dead JVM cannot give is still named; an error of this code is not caught."""
    from py4j.protocol import Py4JError, Py4JJavaError, Py4JNetworkError

    from modelcensus.store.engine import EngineUnavailableError
    from modelcensus.store.spark_failures import jvm_calls as _jvm_calls

    def cancelled() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise Py4JError("An error occurred while calling o9.getResult") from None

    class DeadJava:  # str() of py4j's error asks the JVM for the trace: gone
        _target_id = "o1"

        def __getattr__(self, name: str) -> Any:
            raise ConnectionRefusedError(111, "Connection refused")

    for raise_it, expected in (
            (cancelled, KeyboardInterrupt),
            (lambda: (_ for _ in ()).throw(Py4JError("[SPARK_JOB_CANCELLED] Job 3 cancelled")), KeyboardInterrupt),
            (lambda: (_ for _ in ()).throw(Py4JNetworkError("Answer from Java side is empty")),
             EngineUnavailableError),
            (lambda: (_ for _ in ()).throw(ConnectionRefusedError(111, "Connection refused")),
             EngineUnavailableError),
            (lambda: (_ for _ in ()).throw(Py4JJavaError("An error occurred while calling o1.x.\n", DeadJava())),
             InputError),
            (lambda: (_ for _ in ()).throw(ValueError("a bug")), ValueError)):
        with pytest.raises(expected) as info, _jvm_calls():
            raise_it()
        if expected is InputError:
            assert str(info.value).startswith("query failed on Spark: ")


def test_tables_changed_after_the_build_are_not_current(built: tuple[Path, Any], registry: Any) -> None:
    """The sidecar names each table's size and digest: a table copied from another date, or emptied, is stale."""
    from modelcensus.lineage.build import rules_stamp
    from modelcensus.lineage.folder_build import is_current

    folder, res = built
    first, last = (i.date for i in (res.items[0], res.items[-1]))
    rules = rules_stamp(registry)
    src = folder / f"{last}.parquet"
    target = lineage_files(folder, last)["origins"]
    keep = target.read_bytes()
    assert is_current(folder, last, src, rules)
    try:
        target.write_bytes(lineage_files(folder, first)["origins"].read_bytes())
        assert not is_current(folder, last, src, rules)
        t = pq.read_table(target)
        pq.write_table(t.slice(0, 0), target)
        assert not is_current(folder, last, src, rules)
    finally:
        target.write_bytes(keep)
    assert is_current(folder, last, src, rules)


def test_hostile_sidecars_and_folders_are_named_or_stale(tmp_path: Path, registry: Any) -> None:
    from modelcensus.lineage.folder_build import read_sidecar

    write_history(tmp_path, n_models=200, seed=3, months=1)
    day = folder_files_day(tmp_path)
    (tmp_path / LINEAGE_DIR).write_text("not a folder")
    with pytest.raises(InputError, match="lineage: cannot write the lineage files there"):
        api.build_folder_lineage(tmp_path, registry=registry)
    (tmp_path / LINEAGE_DIR).unlink()
    (tmp_path / LINEAGE_DIR).mkdir()
    side = lineage_files(tmp_path, day)["sidecar"]
    side.symlink_to("/dev/zero")
    assert read_sidecar(tmp_path, day) is None          # never read: /dev/zero has no end
    side.unlink()
    side.write_text("[1, 2]")
    assert read_sidecar(tmp_path, day) is None
    side.write_text('{"x": "' + "a" * 70_000 + '"}')
    assert read_sidecar(tmp_path, day) is None
    (tmp_path / LINEAGE_DIR / ".build-1999-01-01").mkdir()  # an interrupted run's scratch store
    assert api.build_folder_lineage(tmp_path, registry=registry).items[0].status == "built"
    assert not list((tmp_path / LINEAGE_DIR).glob(".build-*"))


def test_a_failed_rebuild_keeps_the_previous_tables(tmp_path: Path, registry: Any) -> None:
    write_history(tmp_path, n_models=200, seed=3, months=1)
    day = folder_files_day(tmp_path)
    api.build_folder_lineage(tmp_path, registry=registry)
    files = lineage_files(tmp_path, day)
    before = files["origins"].read_bytes()
    src = tmp_path / f"{day}.parquet"
    good = src.read_bytes()
    src.write_text("id,downloads\nsomeone/model,5\n")   # a CSV named .parquet: not a hub-stats file
    res = api.build_folder_lineage(tmp_path, registry=registry, force=True)
    assert res.items[0].status == "failed" and src.name in res.items[0].reason
    assert files["origins"].read_bytes() == before and not files["sidecar"].exists()
    src.write_bytes(good)
    assert api.build_folder_lineage(tmp_path, registry=registry).items[0].status == "built"


def folder_files_day(folder: Path) -> Any:
    from modelcensus.store.files import folder_files

    return folder_files(folder)[0][0]


def test_lineage_build_on_a_store(tmp_path: Path) -> None:
    path = write_history(tmp_path / "h", n_models=200, seed=3, months=1)[0]
    db = tmp_path / "census.duckdb"
    with api.open_store(db) as store:
        api.import_path(store, path, observed_at=path.stem)
    run = [sys.executable, "-m", "modelcensus", "--db", str(db), "lineage", "build"]
    first = subprocess.run(run, capture_output=True, text=True, check=False)
    assert first.returncode == 0 and "lineage built" in first.stdout, first.stderr
    again = subprocess.run([*run, "--format", "json"], capture_output=True, text=True, check=False)
    doc = json.loads(again.stdout)
    assert doc["built"] is False and doc["models"] > 100 and doc["snapshot_id"] == 1
    bad = subprocess.run([*run, "--engine", "spark"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "a store builds on its DuckDB" in bad.stderr


# JSON text the two parsers judge differently (DuckDB's verdict first), and text both read alike
_DISAGREE = {
    "dup/config": ("config", '{"model_type":"llama","model_type":"qwen2"}'),  # duplicate key: DuckDB reads it
    "comma/card": ("cardData", '{"license":"mit","base_model":"meta-llama/Llama-2-7b-hf",}'),  # trailing comma
    "nan/config": ("config", '{"model_type":"llama","rope_theta":NaN}'),
    "two/config": ("config", '{"model_type":"llama"} {"x":1}'),  # two documents: only Spark reads it
    "deep/gguf": ("gguf", "[" * 3000 + "]" * 3000),  # nesting deeper than Spark's parser goes
}
_AGREE = {"ok/plain": ("config", '{"model_type":"llama"}'), "ok/broken": ("config", '{"model_type":'),
          "ok/gguf": ("gguf", '{"general.base_model.0.repo_url":"https://huggingface.co/meta-llama/Llama-2-7b-hf"}')}


def test_json_the_engines_read_differently_fails_the_date_on_spark(tmp_path: Path, registry: Any,
                                                                   spark_engine: Any) -> None:
    """A value one engine's JSON parser reads and the other's refuses would keep a model on one engine and drop
    it (or read other fields) on the other: on Spark the date fails naming each such row and column, DuckDB
    (the dialect of record) builds it, and a file without such values builds on Spark."""
    import pyarrow as pa

    rows = {**_DISAGREE, **_AGREE}
    cols = {c: [v if c == col else None for col, v in rows.values()] for c in ("cardData", "config", "gguf")}
    (tmp_path / "bad").mkdir()
    pq.write_table(pa.table({"id": list(rows), "downloads": [1] * len(rows), **cols}),
                   tmp_path / "bad" / "2025-06-30.parquet")
    spark = api.build_folder_lineage(tmp_path / "bad", engine="spark", registry=registry)
    item = spark.items[0]
    assert item.status == "failed" and item.reason
    assert f"{len(_DISAGREE)} row(s) are read differently by DuckDB and spark" in item.reason
    for mid, (col, _) in _DISAGREE.items():
        assert f"(id {mid!r}): {col}" in item.reason
    assert not any(mid in item.reason for mid in _AGREE)
    assert not (tmp_path / "bad" / LINEAGE_DIR / "2025-06-30.json").exists()
    duck = api.build_folder_lineage(tmp_path / "bad", registry=registry)
    # DuckDB keeps dup/comma/nan/deep (its parser reads them) and refuses two/config and ok/broken
    assert duck.items[0].status == "built" and duck.items[0].models == len(rows) - 2


def test_a_gguf_that_is_not_json_rejects_its_row_not_the_file(tmp_path: Path, registry: Any) -> None:
    """One malformed gguf value used to fail the whole import (a cast error); now the row is refused with its
    reason and the others are built."""
    import pyarrow as pa

    pq.write_table(pa.table({"id": ["a/ok", "b/bad-gguf"], "downloads": [1, 2], "gguf": [None, "{bad"]}),
                   tmp_path / "2025-06-30.parquet")
    res = api.build_folder_lineage(tmp_path, registry=registry)
    assert res.items[0].status == "built" and res.items[0].models == 1
    with api.open_store(tmp_path / "s.duckdb") as store:
        imported = api.import_path(store, tmp_path / "2025-06-30.parquet", source="hub-stats",
                                   observed_at="2025-06-30")
    assert imported[0].skipped.reasons == {"gguf is not JSON": 1}


def test_a_folder_with_a_question_mark_builds(tmp_path: Path, registry: Any) -> None:
    """DuckDB reads '?' in a store path as options (its WAL went elsewhere: an internal error, exit 3): the
    scratch store moves to the temp folder, the tables land beside the files; a store there is refused."""
    folder = tmp_path / "h?1"
    path = write_history(folder, n_models=80, seed=3, months=1)[0]
    res = api.build_folder_lineage(folder, registry=registry)
    assert [i.status for i in res.items] == ["built"] and lineage_files(folder, res.items[0].date)["origins"].exists()
    with pytest.raises(InputError, match="with '\\?' in it"):
        api.open_store(folder / "s.duckdb")
    with pytest.raises(InputError, match="no such home folder"):
        api.open_store("~no_such_user_here/s.duckdb")
    assert path.exists()

def test_relative_store_names_duckdb_reads_as_other_databases_are_files(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """'md:x' (MotherDuck), 'sqlite:x' (an extension download), ':memory:x' (a store that kept nothing): given
    relative, DuckDB read them as other databases; the store now opens the file of that name."""
    monkeypatch.chdir(tmp_path)
    for odd in ("md:census.duckdb", ":memory:x", "sqlite:s.duckdb"):
        with api.open_store(odd) as store:
            assert store.snapshots() == []
        assert (tmp_path / odd).is_file()


def test_folder_metrics_and_report_on_spark_refuse_json_the_engines_read_differently(tmp_path: Path,
                                                                                   spark_engine: Any) -> None:
    """The folder metrics count the rows staging accepts, which JSON validity decides: on Spark a file whose
    JSON the engines judge differently fails before any metric runs, naming the row; DuckDB computes it."""
    import pyarrow as pa

    pq.write_table(pa.table({"id": ["a/ok", "dup/config"], "downloads": [5, 7], "author": ["a", "dup"],
                             "config": ['{"model_type":"llama"}', '{"model_type":"a","model_type":"b"}']}),
                   tmp_path / "2025-06-30.parquet")
    for call in (lambda: api.folder_metric(tmp_path, "downloads", engine="spark"),
                 lambda: api.folder_report(tmp_path, engine="spark", fmt="json")):
        with pytest.raises(InputError, match=r"1 row\(s\) are read differently .* \(id 'dup/config'\): config"):
            call()
    assert api.folder_metric(tmp_path, "downloads")  # DuckDB, the dialect of record, reads it


def test_staging_verdicts_the_engines_reach_differently_fail_the_date_on_spark(tmp_path: Path, registry: Any,
                                                                               spark_engine: Any) -> None:
    """Not only JSON: a text count or date one engine's TRY_CAST reads and the other's refuses would keep the row
    on one engine only; a row without an id whose JSON only Spark reads is named, not a crash (KeyError)."""
    import pyarrow as pa

    table = pa.table({"id": [None, "a/ok", "b/float", "c/year", "d/ok"],
                      "downloads": ["1", "5", "7.0", "3", "4"],
                      "createdAt": [None, "2025-01-01T00:00:00Z", None, "2025", "2025-02-01T00:00:00Z"],
                      "config": ['{"model_type":"llama"} {"x":1}', None, None, None, '{"model_type":"llama"}']})
    pq.write_table(table, tmp_path / "2025-06-30.parquet")
    item = api.build_folder_lineage(tmp_path, engine="spark", registry=registry).items[0]
    assert item.status == "failed" and item.reason and "read differently by DuckDB and spark" in item.reason
    assert "row 0 (id None): config" in item.reason  # DuckDB refuses two documents; no id, still named
    for mid in ("b/float", "c/year"):
        assert f"(id {mid!r}): staging verdict" in item.reason
    assert "a/ok" not in item.reason and "d/ok" not in item.reason


def test_values_the_engines_stage_differently_fail_the_date_on_spark(tmp_path: Path, registry: Any,
                                                                      spark_engine: Any) -> None:
    """A value both engines accept but cast to different values (no verdict differs) would be counted differently:
    a JSON parameter total 7.0e9 (DuckDB 7000000000, Spark NULL), '1_000' as a trending score, ' true ' as a flag,
    a text total '1.5' (DuckDB rounds to 2, Spark refuses). Labelled from a probe of both engines' casts before
    the check was written; values both read alike ('inf', a date with an offset) are not named."""
    import pyarrow as pa

    table = pa.table({
        "id": ["a/ok", "b/params", "c/trend", "d/flag", "e/inf", "f/date", "g/half", "h/suffix"],
        "downloads": [1, 2, 3, 4, 5, 6, 7, 8],
        # '1_000' is 1000 on DuckDB only and '1000d' 1000 on Spark only: unweighted sums cancelled out (review)
        "trendingScore": ["1.5", None, "1_000", None, "inf", None, None, "1000d"],
        "private": ["false", None, None, " true ", None, None, None, None],
        "createdAt": ["2025-01-01T00:00:00Z", None, None, None, None, "2025-01-01 00:00:00+05:00", None, None],
        "safetensors": ['{"total":7000000000}', '{"total":7.0e9}', None, None, None, None, '{"total":"1.5"}', None],
    })
    pq.write_table(table, tmp_path / "2025-06-30.parquet")
    item = api.build_folder_lineage(tmp_path, engine="spark", registry=registry).items[0]
    assert item.status == "failed" and item.reason and "read differently by DuckDB and spark" in item.reason
    for mid, what in (("b/params", "params"), ("c/trend", "trending_score"), ("d/flag", "private"),
                      ("g/half", "params"), ("h/suffix", "trending_score")):
        assert f"(id {mid!r}): {what} staged differently" in item.reason
    assert all(f"'{mid}'" not in item.reason for mid in ("a/ok", "e/inf", "f/date"))
    assert "5 row(s)" in item.reason
    ok = api.build_folder_lineage(tmp_path, engine="duckdb", registry=registry).items[0]
    assert ok.status == "built"  # DuckDB, the dialect of record, builds the same file


def test_an_engine_build_holds_one_collected_table_at_a_time(tmp_path: Path, registry: Any) -> None:
    """On an engine the two output tables are collected to this process one after the other. Labelled first: when
    the edges are collected, the origins collected before are already freed. In a loop they were not (the name
    still held them): at 2.2M models the driver's Python peak was 0.89 GiB with both, 0.56 GiB one at a time."""
    import weakref

    from modelcensus.sources import hubstats
    from modelcensus.store import Store
    from modelcensus.store.engine_duckdb import DuckDBEngine

    write_history(tmp_path, n_models=200, seed=5, months=1)
    held: list[weakref.ref[Any]] = []

    class Collecting(DuckDBEngine):
        def query(self, sql: str) -> Any:
            alive = [ref() for ref in held if ref() is not None]
            assert not alive, f"{len(alive)} collected table(s) still held when collecting: {sql[:60]}"
            rows = super().query(sql)
            if sql.startswith(("SELECT model_id", "SELECT child_id")):  # the two output collects
                held.append(weakref.ref(rows))
            return rows

    with Store(":memory:") as probe:
        res = build_folder_lineage(tmp_path, load=lambda *_: None, registry=registry, engine=Collecting(),
                                   stage=lambda area, path: hubstats.stage_file(area, path, probe))
    assert [i.status for i in res.items] == ["built"], res.items
    assert len(held) == 2  # both outputs went through the check
