"""Shared fixtures: a fresh store per test, the real data slices in ../shared/data, one Spark engine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from modelcensus.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# The Spark tests' JVM compiles with C1 only: their time is the JVM planning and code-generating hundreds of
# small queries (a lineage build is ~90 checkpointed statements), which C2's compiler threads slow down more
# than its faster code pays back on a 2-core machine. test_spark_builds_the_same_files alone, side by side under
# the same load: 228-285 s default, 169-195 s with C1 only. A JIT tier changes no result; a PYSPARK_SUBMIT_ARGS
# of your own wins (it must end in "pyspark-shell").
os.environ.setdefault("PYSPARK_SUBMIT_ARGS", '--driver-java-options "-XX:TieredStopAtLevel=1" pyspark-shell')


@pytest.fixture(autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own cache directory (engine-check verdicts), never the user's: a verdict kept by one
    test must not skip the check another test is about."""
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MODELCENSUS_CACHE_DIR", str(path))
    return path


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "census.duckdb")
    yield s
    s.close()


@pytest.fixture
def shared_data() -> Path:
    """Path of ../shared/data; skips the test (with the reason) when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data slices not found at {SHARED_DATA} (clone with ../shared beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def spark_engine() -> Any:
    """One Spark local-mode engine for the whole run (a session start costs 10-60 s here); skips with the reason
    when PySpark or Java is missing."""
    from modelcensus.store.engine import open_engine
    from modelcensus.store.engine_spark import spark_available

    why = spark_available()
    if why:
        pytest.skip(f"Spark tests skipped: {why}")
    return open_engine("spark")

