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
# the same load: 228-285 s default, 169-195 s with C1 only; the whole suite (-n 2, machine otherwise idle): the
# JVMs' CPU 494 s -> 381 s. A JIT tier changes no result; a PYSPARK_SUBMIT_ARGS of your own wins (it must end in
# "pyspark-shell"). Without tiered compilation the JVM reserves a 48 MB code cache, not 240 MB: one process
# running the Spark lineage build and metric tests filled it ("CodeCache is full. Compiler has been disabled",
# then java.lang.InternalError linking a method handle, and the session died: 2 runs of 3 of those 7 tests), so
# the cache is given its tiered size back.
os.environ.setdefault("PYSPARK_SUBMIT_ARGS",
                      '--driver-java-options "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m" pyspark-shell')


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
def real_trees_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real tree scrapes (../shared/data/hf_model_trees_2025/raw: 25 partial snapshots) imported as the README
    says (`modelcensus import .../raw/`), with every snapshot's lineage built by ``ensure_lineage``, once per run
    (the xdist workers share the file): the modules that only read it copy it. Skips without the data.

    Two modules made it each (import ~9 s, 25 lineage builds ~24 s, measured idle); their metrics and reports
    call ``ensure_lineage`` as before and find it current."""
    from filelock import FileLock  # huggingface_hub's dependency

    from modelcensus.lineage import ensure_lineage
    from modelcensus.lineage.registry import load_registry
    from modelcensus.sources.ingest import import_path

    raw = SHARED_DATA / "hf_model_trees_2025" / "raw"
    if not raw.is_dir():
        pytest.skip(f"real tree scrapes not found at {raw} (clone with ../shared beside the repo)")
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the workers' common folder
    path = root / "real-trees.duckdb"
    with FileLock(str(root / "real-trees.lock")):
        if not path.is_file():
            part = root / "real-trees.part.duckdb"
            part.unlink(missing_ok=True)
            with Store(part) as store:
                import_path(store, raw)
                registry = load_registry()
                for snap in store.snapshots():
                    ensure_lineage(store, snap.id, registry)
            assert not Path(f"{part}.wal").exists(), "the store left a WAL: a copy of the file alone would miss it"
            part.replace(path)
    return path


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

