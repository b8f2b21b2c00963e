"""Remembered engine-check verdicts (sources/check_verdicts.py): a pass is reused only for the same bytes, check
and engines; a failure, a forged or damaged record, or a record made under another key never skips the check.
Expected answers were written before the code ran."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus.errors import InputError
from modelcensus.sources import check_verdicts as cv
from modelcensus.store import files

KEY = {"format": 2, "source_sha256": "ab" * 32, "source_bytes": 10, "check_sql_sha256": "cd" * 32,
       "engines": {"duckdb": {"version": "v1"}, "spark": {"version": "4", "time_zone": "UTC", "settings": []}},
       "libraries": {"sqlglot": "x", "pyarrow": "y"}, "code_sha256": "ef" * 32}


def _records(base: Path) -> list[Path]:
    folder = base / "engine-checks"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_a_kept_pass_is_found_under_its_key_only(_own_cache_dir: Path) -> None:
    assert not cv.seen_agreeing(KEY)
    cv.remember_agreement(KEY)
    assert cv.seen_agreeing(KEY)
    assert len(_records(_own_cache_dir)) == 1
    for field, value in (("source_sha256", "ef" * 32), ("check_sql_sha256", "00" * 32), ("code_sha256", "01" * 32),
                         ("libraries", {"sqlglot": "x", "pyarrow": "z"}),
                         ("engines", {**KEY["engines"], "spark": {**KEY["engines"]["spark"], "time_zone": "PST"}})):
        assert not cv.seen_agreeing({**KEY, field: value}), field


def test_a_damaged_forged_or_linked_record_is_ignored(_own_cache_dir: Path) -> None:
    cv.remember_agreement(KEY)
    (record,) = _records(_own_cache_dir)
    good = record.read_text()
    # a record whose stored key is not the key it is filed under (copied over from another file's record)
    record.write_text(json.dumps({"key": {**KEY, "source_bytes": 11}, "verdict": "agree"}))
    assert not cv.seen_agreeing(KEY)
    for text in ("not json", "[1, 2]", json.dumps({"key": KEY, "verdict": "disagree"}),
                 json.dumps({"key": KEY, "verdict": "agree", "pad": "x" * cv.RECORD_MAX_BYTES})):
        record.write_text(text)
        assert not cv.seen_agreeing(KEY), text[:40]
    record.write_text("[" * 10_000)  # nesting past the JSON parser's recursion limit, under the size cap
    assert not cv.seen_agreeing(KEY)
    target = _own_cache_dir / "elsewhere.json"
    target.write_text(good)
    os.chmod(target, 0o600)
    record.unlink()
    record.symlink_to(target)
    assert not cv.seen_agreeing(KEY)
    record.unlink()
    record.write_text(good)
    assert cv.seen_agreeing(KEY)
    for mode in (0o620, 0o602):  # writable by the group or by anyone: someone else could have written it
        os.chmod(record, mode)
        assert not cv.seen_agreeing(KEY), oct(mode)


def test_a_verdict_folder_others_can_write_or_a_linked_one_is_not_used(_own_cache_dir: Path, tmp_path: Path) -> None:
    """Labelled first: with engine-checks/ writable by the group or anyone, or a link to a folder, no record is
    read and none is written; made by the code itself it is private (0700) and used."""
    folder = _own_cache_dir / "engine-checks"
    cv.remember_agreement(KEY)
    assert folder.stat().st_mode & 0o777 == 0o700 and cv.seen_agreeing(KEY)
    for mode in (0o770, 0o777):
        os.chmod(folder, mode)
        assert not cv.seen_agreeing(KEY), oct(mode)
    os.chmod(folder, 0o700)
    moved = tmp_path / "real-checks"
    folder.rename(moved)
    folder.symlink_to(moved, target_is_directory=True)
    assert not cv.seen_agreeing(KEY)
    cv.remember_agreement({**KEY, "source_bytes": 12})
    assert len(list(moved.glob("*.json"))) == 1  # nothing written through the link


def test_a_cache_inside_the_folder_being_read_is_not_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A verdict shipped inside a snapshot folder must not skip the check on that folder's files."""
    snaps = tmp_path / "snaps"
    (snaps / ".cache").mkdir(parents=True)
    monkeypatch.setenv(cv.ENV_CACHE_DIR, str(snaps / ".cache"))
    cv.remember_agreement(KEY)  # with no folder given, the cache is usable: a record is kept
    assert cv.seen_agreeing(KEY)
    assert cv.verdict_dir(snaps) is None and not cv.seen_agreeing(KEY, snaps)
    cv.remember_agreement({**KEY, "source_bytes": 13}, snaps)
    assert len(list((snaps / ".cache" / "engine-checks").glob("*.json"))) == 1
    assert cv.verdict_dir(tmp_path / "elsewhere") is not None


def test_a_file_replaced_or_rewritten_is_not_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    path.write_bytes(b"abc")
    identity, digest = files.hash_file(path)
    assert digest is not None and files.still_the_same(path, identity)
    os.utime(path, ns=(identity.mtime_ns + 1, identity.mtime_ns + 1))  # what a write in place does to it
    assert not files.still_the_same(path, identity)
    identity, _ = files.hash_file(path)
    copy = tmp_path / "b.parquet"
    copy.write_bytes(b"abc")
    os.replace(copy, path)  # the same bytes, another file
    assert not files.still_the_same(path, identity)
    path.unlink()
    assert not files.still_the_same(path, identity)
    with pytest.raises(OSError):
        files.hash_file(path)


def test_the_code_digest_changes_with_any_code_or_query_file(tmp_path: Path) -> None:
    """A changed .py, .sql or .yaml file, or a renamed one, gives another digest; compiled caches do not."""
    (tmp_path / "sql").mkdir()
    files = {"a.py": "x = 1\n", "sql/q.sql": "SELECT 1\n", "rules.yaml": "k: v\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    first = cv.tree_digest(tmp_path)
    (tmp_path / "a.cpython-311.pyc").write_bytes(b"\0")
    assert cv.tree_digest(tmp_path) == first
    for name in files:
        (tmp_path / name).write_text(files[name] + " ")
        assert cv.tree_digest(tmp_path) != first, name
        (tmp_path / name).write_text(files[name])
    assert cv.tree_digest(tmp_path) == first
    (tmp_path / "a.py").rename(tmp_path / "b.py")
    assert cv.tree_digest(tmp_path) != first
    assert cv.code_digest() == cv.tree_digest(Path(cv.__file__).resolve().parents[1])


def test_off_keeps_nothing(monkeypatch: pytest.MonkeyPatch, _own_cache_dir: Path) -> None:
    monkeypatch.setenv(cv.ENV_CACHE_DIR, "off")
    assert cv.verdict_dir() is None
    cv.remember_agreement(KEY)
    assert not cv.seen_agreeing(KEY)
    assert _records(_own_cache_dir) == []


def test_an_unwritable_cache_is_skipped_not_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    monkeypatch.setenv(cv.ENV_CACHE_DIR, str(blocker))
    # engine-checks/ cannot be made under a file: nothing kept, nothing raised, and the reason says so (review9 R9-3)
    assert "could not be made or written" in (cv.remember_agreement(KEY) or "")
    assert not cv.seen_agreeing(KEY)


class _Counting:
    """A scratch area that counts the check's scans (queries over the staged rows' verdict column)."""

    def __init__(self, area: Any) -> None:
        self.area, self.scans = area, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.area, name)

    def query(self, sql: str) -> pa.Table:
        self.scans += "_reason" in sql
        return self.area.query(sql)

    def register_parquet(self, name: str, paths: Any, **kw: Any) -> None:
        self.registered = getattr(self, "registered", 0) + 1
        self.area.register_parquet(name, paths, **kw)


def _write(path: Path, downloads: list[int]) -> Path:
    pq.write_table(pa.table({"id": [f"o/m{i}" for i in range(len(downloads))], "downloads": downloads,
                             "trendingScore": pa.array([0.5] * len(downloads), pa.float64())}), path)
    return path


def test_spark_scans_a_file_once_and_again_when_its_bytes_change(tmp_path: Path, spark_engine: Any,
                                                                   _own_cache_dir: Path) -> None:
    """Labelled first: the first check scans on Spark and keeps one record; the same file again is not scanned;
    under another spark.sql setting it is scanned again (a second record), and not once the setting is back;
    the file rewritten with one value changed is scanned again (a third record); without ``remember`` every
    call scans and nothing is kept."""
    from modelcensus.sources.engine_check import check_engines_agree
    from modelcensus.sources.hubstats import describe_file
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    path = _write(tmp_path / "2024-01-31.parquet", [1, 2, 3])
    with Store(":memory:") as probe, scratch(spark_engine) as raw:
        area = _Counting(raw)

        def check(remember: bool = True) -> int:
            before = area.scans
            raw.register_parquet("v", path, row_number="file_row_number")
            check_engines_agree(area, "v", path, describe_file(probe, path), probe, remember=remember)
            return area.scans - before

        assert check(remember=False) == 1 and _records(_own_cache_dir) == []
        assert check() == 1 and len(_records(_own_cache_dir)) == 1
        assert check() == 0
        conf, setting = spark_engine.spark.conf, "spark.sql.legacy.timeParserPolicy"
        before = conf.get(setting, None)
        conf.set(setting, "LEGACY")  # another way of reading dates: the kept verdict does not hold for it
        try:
            assert check() == 1 and len(_records(_own_cache_dir)) == 2
        finally:
            conf.unset(setting) if before is None else conf.set(setting, before)
        assert check() == 0
        _write(path, [1, 2, 4])
        assert check() == 1 and len(_records(_own_cache_dir)) == 3
        assert check(remember=False) == 1


def test_a_failing_file_is_never_kept(tmp_path: Path, spark_engine: Any, _own_cache_dir: Path) -> None:
    """A row Spark reads and DuckDB refuses (a text count '1_000') fails the file every time; no record."""
    from modelcensus.sources.engine_check import check_engines_agree
    from modelcensus.sources.hubstats import describe_file
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    path = tmp_path / "2024-01-31.parquet"
    pq.write_table(pa.table({"id": ["o/a", "o/b"], "downloads": ["5", "1_000"]}), path)
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        for _ in range(2):
            area.register_parquet("v", path, row_number="file_row_number")
            with pytest.raises(InputError, match="read differently by DuckDB and spark"):
                check_engines_agree(area, "v", path, describe_file(probe, path), probe, remember=True)
    assert os.environ[cv.ENV_CACHE_DIR] == str(_own_cache_dir)
    assert _records(_own_cache_dir) == []
    assert not list(_own_cache_dir.rglob(".verdict-*"))


def test_check_file_registers_the_file_only_when_it_scans(tmp_path: Path, spark_engine: Any) -> None:
    """Labelled first: ``check_file`` (the folder commands' check) registers the file on Spark for a scan and
    not at all when a kept verdict spares it."""
    from modelcensus.sources.engine_check import check_file
    from modelcensus.sources.hubstats import describe_file
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    path = _write(tmp_path / "2024-01-31.parquet", [3, 1, 2])
    with Store(":memory:") as probe:
        for scans in (1, 0):
            with scratch(spark_engine) as raw:
                area = _Counting(raw)
                check_file(area, path, describe_file(probe, path), probe)
                assert (area.scans, getattr(area, "registered", 0)) == (scans, scans)


def test_a_file_swapped_while_it_is_checked_keeps_no_verdict(tmp_path: Path, spark_engine: Any,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             _own_cache_dir: Path) -> None:
    """Labelled first (review7 R7-1): the hostile file A is hashed, then a harmless B is put in its place before
    the engines read it. The check passes on B, and nothing is kept, so A put back fails the check again. A file
    gone before the check is an InputError naming it, not a traceback."""
    import modelcensus.sources.engine_check as ec
    from modelcensus.sources.hubstats import describe_file
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    path = tmp_path / "2024-01-31.parquet"
    hostile = pa.table({"id": ["o/a", "o/b"], "downloads": ["5", "1_000"]})
    harmless = pa.table({"id": ["o/a", "o/b"], "downloads": ["5", "1000"]})
    pq.write_table(hostile, path)
    real_hash = ec.hash_file

    def hash_then_swap(p: Path) -> Any:
        out = real_hash(p)
        pq.write_table(harmless, tmp_path / "b.parquet")
        os.replace(tmp_path / "b.parquet", p)
        return out

    with Store(":memory:") as probe, scratch(spark_engine) as area:
        cols = describe_file(probe, path)
        monkeypatch.setattr(ec, "hash_file", hash_then_swap)
        ec.check_file(area, path, cols, probe)  # B passes
        monkeypatch.setattr(ec, "hash_file", real_hash)
        assert _records(_own_cache_dir) == []
        pq.write_table(hostile, path)
        with pytest.raises(InputError, match="read differently by DuckDB and spark"):
            ec.check_file(area, path, cols, probe)
        path.unlink()
        with pytest.raises(InputError, match=r"2024-01-31\.parquet: cannot read it"):
            ec.check_file(area, path, cols, probe)


def test_bytes_rewritten_through_a_memory_map_are_not_the_hashed_file(tmp_path: Path) -> None:
    """Review8 R8-1, labelled first: a write through a shared memory map to an already dirty page changes the
    bytes and not the identity (mtime, ctime); the second hash before a verdict is kept sees it."""
    import mmap

    from modelcensus.sources.engine_check import _unchanged_since

    path = tmp_path / "a.parquet"
    path.write_bytes(b"x" * 4096)
    fd = os.open(path, os.O_RDWR)
    try:
        with mmap.mmap(fd, 4096) as m:
            m[0:1] = b"x"  # the page becomes dirty and writable now (the timestamps move now, not later)
            identity, digest = files.hash_file(path)
            assert digest is not None and _unchanged_since(path, {"source_sha256": digest}, identity)
            m[0:1] = b"y"
            if not files.still_the_same(path, identity):
                pytest.skip("this file system moved the timestamps on the second write: the identity sees it")
            assert not _unchanged_since(path, {"source_sha256": digest}, identity)
    finally:
        os.close(fd)


def test_the_records_folder_given_as_the_folder_being_read_is_not_used(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    """Review8 R8-6: the cache at /x and --snapshots /x/engine-checks: the folder read holds the records."""
    monkeypatch.setenv(cv.ENV_CACHE_DIR, str(tmp_path / "x"))
    records = tmp_path / "x" / "engine-checks"
    assert cv.verdict_dir(records) is None and cv.verdict_dir(records / "sub") is None
    assert cv.verdict_dir(tmp_path) is None  # the cache inside the folder read
    assert cv.verdict_dir(tmp_path / "x" / "other") == records  # a sibling folder: usable


def test_without_owners_to_check_the_cache_is_not_used(monkeypatch: pytest.MonkeyPatch, _own_cache_dir: Path) -> None:
    """Review8 R8-7: where ``os.getuid`` is missing (Windows) no record can be shown to be the user's own, so
    none is read, and the check runs."""
    cv.remember_agreement(KEY)
    assert cv.seen_agreeing(KEY)
    monkeypatch.delattr(os, "getuid")
    assert not cv.seen_agreeing(KEY)


def test_spark_reading_files_elsewhere_keeps_and_uses_no_verdict(tmp_path: Path, spark_engine: Any,
                                                                  _own_cache_dir: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Labelled first (review8 R8-5): on a cluster master or Spark Connect the executors read the path on their own
    machines, so the file hashed here says nothing of their bytes. There every check scans, nothing is kept, and a
    verdict kept earlier in local mode is not used; back in local mode it is."""
    from modelcensus.sources.engine_check import check_file
    from modelcensus.sources.hubstats import describe_file
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch
    from modelcensus.store.engine_spark import SparkEngine

    assert spark_engine.reads_files_here  # the suite's session is local mode
    path = _write(tmp_path / "2024-01-31.parquet", [5, 6, 7])

    def scans() -> int:
        with Store(":memory:") as probe, scratch(spark_engine) as raw:
            area = _Counting(raw)
            check_file(area, path, describe_file(probe, path), probe)
            return area.scans

    with monkeypatch.context() as m:
        m.setattr(SparkEngine, "reads_files_here", property(lambda self: False))
        assert (scans(), scans()) == (1, 1) and _records(_own_cache_dir) == []
    assert scans() == 1 and len(_records(_own_cache_dir)) == 1  # local mode: checked once and kept
    with monkeypatch.context() as m:
        m.setattr(SparkEngine, "reads_files_here", property(lambda self: False))
        assert scans() == 1  # the kept verdict is not used
    assert scans() == 0


def test_the_records_are_bounded_least_recently_used_first(monkeypatch: pytest.MonkeyPatch,
                                                           _own_cache_dir: Path) -> None:
    """Labelled first (review7 R7-6): past MAX_RECORDS records, keeping one more prunes the least recently used
    down to KEEP_AFTER_PRUNE; a record just found counts as used; files that are not records are left alone."""
    monkeypatch.setattr(cv, "MAX_RECORDS", 5)
    monkeypatch.setattr(cv, "KEEP_AFTER_PRUNE", 3)
    keys = [{**KEY, "source_bytes": n} for n in range(6)]
    for n, key in enumerate(keys[:5]):
        cv.remember_agreement(key)
        record = cv._record_path(_own_cache_dir / "engine-checks", key)
        os.utime(record, (1_000_000 + n, 1_000_000 + n))  # kept in order 0..4, a second apart
    other = _own_cache_dir / "engine-checks" / "notes.txt"
    other.write_text("not a record")
    os.chmod(other, 0o600)
    os.utime(other, (1, 1))
    assert cv.seen_agreeing(keys[0])  # found now: the most recently used
    cv.remember_agreement(keys[5])  # the sixth record: over the bound
    assert len(_records(_own_cache_dir)) == 3 and other.exists()
    assert [cv.seen_agreeing(k) for k in keys] == [True, False, False, False, True, True]


def test_a_folder_metric_says_how_its_files_passed_the_check(tmp_path: Path, spark_engine: Any,
                                                             _own_cache_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Labelled first: the result's notes say how many files both engines scanned now and how many passed by a
    kept verdict, and why verdicts were not kept (cache off; a verdict folder others can write, as where chmod
    is ignored: review8 R8-7, which was silent). On DuckDB there is nothing to say."""
    from datetime import UTC, datetime

    from modelcensus import api

    folder = tmp_path / "history"
    folder.mkdir()
    when = pa.array([datetime(2024, 1, 31, tzinfo=UTC)] * 3, pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({  # one small hub-stats file: each Spark scan costs seconds
        "id": ["o/a", "o/b", "p/c"], "author": ["o", "o", "p"], "createdAt": when, "lastModified": when,
        "downloads": pa.array([5, 7, 9], pa.int64()), "downloadsAllTime": pa.array([50, 70, 90], pa.int64()),
        "likes": pa.array([1, 2, 3], pa.int64()), "tags": [["transformers"]] * 3,
        "cardData": ['{"license": "mit"}'] * 3}), folder / "2024-01-31.parquet")

    def note(engine: str = "spark") -> list[str]:
        notes = api.folder_metric(folder, "downloads", engine=engine).notes
        return [n for n in notes if n.startswith("engine check:")]

    first, again = note(), note()
    assert len(first) == 1 and "all 1 file(s) read alike by DuckDB and spark" in first[0]
    assert "1 scanned by both now, 0 passed by a verdict" in first[0] and "not kept" not in first[0]
    assert "0 scanned by both now, 1 passed by a verdict" in again[0]
    assert note("duckdb") == []
    monkeypatch.setenv(cv.ENV_CACHE_DIR, "off")
    assert "verdicts not kept: 1 file(s), because MODELCENSUS_CACHE_DIR=off" in note()[0]
    shared = tmp_path / "shared-cache"
    monkeypatch.setenv(cv.ENV_CACHE_DIR, str(shared))
    (shared / "engine-checks").mkdir(parents=True)
    os.chmod(shared / "engine-checks", 0o777)
    (text,) = note()
    assert "1 scanned by both now" in text and "nobody else can write" in text and str(shared) not in text


def test_a_default_file_system_other_than_local_files_is_not_here(spark_engine: Any) -> None:
    """Labelled first (review9 R9-1): in local mode a path without a scheme goes to Hadoop's fs.defaultFS; when that
    is not local files (HDFS from a core-site.xml), the bytes hashed here are not the ones Spark reads."""
    conf = spark_engine.spark.sparkContext._jsc.hadoopConfiguration()
    before = conf.get("fs.defaultFS")
    assert str(before).startswith("file:") and spark_engine.reads_files_here
    conf.set("fs.defaultFS", "hdfs://namenode:8020")
    try:
        assert not spark_engine.reads_files_here
    finally:
        conf.set("fs.defaultFS", before)
    assert spark_engine.reads_files_here


def test_a_record_larger_than_the_bound_is_not_written(_own_cache_dir: Path) -> None:
    """Labelled first (review9 R9-4): a key whose settings make the record larger than RECORD_MAX_BYTES is not kept
    (it could never be read back: every run would scan, rewrite it and call it kept), and says why."""
    big = {**KEY, "engines": {**KEY["engines"], "spark": {**KEY["engines"]["spark"],
                                                          "settings": [["spark.jars", "x" * cv.RECORD_MAX_BYTES]]}}}
    assert "larger than" in (cv.remember_agreement(big) or "")
    assert _records(_own_cache_dir) == [] and not cv.seen_agreeing(big)
    assert cv.remember_agreement(KEY) is None and cv.seen_agreeing(KEY)


def test_pruning_leaves_links_and_others_files_and_clears_old_temporaries(monkeypatch: pytest.MonkeyPatch,
                                                                         _own_cache_dir: Path) -> None:
    """Labelled first (review9 R9-5): past the bound, a link named like a record and a record others can write are
    neither counted nor removed (nor the link's target); a temporary file a crash left over an hour ago goes, a
    fresh one (a writer at work) stays."""
    monkeypatch.setattr(cv, "MAX_RECORDS", 2)
    monkeypatch.setattr(cv, "KEEP_AFTER_PRUNE", 1)
    folder = _own_cache_dir / "engine-checks"
    cv.remember_agreement(KEY)
    target = _own_cache_dir / "target.json"
    target.write_text("mine")
    os.chmod(target, 0o600)
    link = folder / ("1" * 64 + ".json")
    link.symlink_to(target)
    shared = folder / ("2" * 64 + ".json")
    shared.write_text("{}")
    os.chmod(shared, 0o660)
    old_tmp, new_tmp = folder / ".verdict-old.tmp", folder / ".verdict-new.tmp"
    for tmp in (old_tmp, new_tmp):
        tmp.write_text("partial")
        os.chmod(tmp, 0o600)
    os.utime(old_tmp, (1, 1))
    for n in (1, 2):  # two more records: 3 of ours, over the bound of 2, down to 1
        os.utime(cv._record_path(folder, {**KEY, "source_bytes": 100 + n - 1}) if n > 1 else
                 cv._record_path(folder, KEY), (1_000 + n, 1_000 + n))
        cv.remember_agreement({**KEY, "source_bytes": 100 + n})
    assert link.is_symlink() and target.read_text() == "mine" and shared.exists()
    assert not old_tmp.exists() and new_tmp.exists()
    assert [cv.seen_agreeing(k) for k in (KEY, {**KEY, "source_bytes": 101}, {**KEY, "source_bytes": 102})] == \
        [False, False, True]


def test_a_link_loop_as_the_cache_dir_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Labelled first (review9 R9-7): a cache directory that is a loop of links is no traceback: nothing is kept."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.symlink_to(b)
    b.symlink_to(a)
    monkeypatch.setenv(cv.ENV_CACHE_DIR, str(a))
    assert cv.verdict_dir(tmp_path / "snaps") is None
    assert "cannot be resolved" in (cv.remember_agreement(KEY, tmp_path / "snaps") or "")
    assert not cv.seen_agreeing(KEY, tmp_path / "snaps")


def test_a_fifo_under_a_records_name_does_not_hang(_own_cache_dir: Path) -> None:
    """Labelled first (review10 R10-4): a FIFO planted under a record's name is not a record, and reading it must
    not block the command."""
    cv.remember_agreement({**KEY, "source_bytes": 1})  # makes the private folder
    fifo = cv._record_path(_own_cache_dir / "engine-checks", KEY)
    os.mkfifo(fifo, 0o600)
    assert not cv.seen_agreeing(KEY)
