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

KEY = {"format": 1, "source_sha256": "ab" * 32, "source_bytes": 10, "check_sql_sha256": "cd" * 32,
       "engines": {"duckdb": {"version": "v1"}, "spark": {"version": "4", "time_zone": "UTC", "ansi": ["true"]}},
       "sqlglot": "x", "code_sha256": "ef" * 32}


def _records(base: Path) -> list[Path]:
    folder = base / "engine-checks"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_a_kept_pass_is_found_under_its_key_only(_own_cache_dir: Path) -> None:
    assert not cv.seen_agreeing(KEY)
    cv.remember_agreement(KEY)
    assert cv.seen_agreeing(KEY)
    assert len(_records(_own_cache_dir)) == 1
    for field, value in (("source_sha256", "ef" * 32), ("check_sql_sha256", "00" * 32), ("code_sha256", "01" * 32),
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
    target = _own_cache_dir / "elsewhere.json"
    target.write_text(good)
    record.unlink()
    record.symlink_to(target)
    assert not cv.seen_agreeing(KEY)


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
    cv.remember_agreement(KEY)  # engine-checks/ cannot be made under a file: nothing kept, nothing raised
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
