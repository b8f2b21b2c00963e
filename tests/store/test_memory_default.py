"""The store's default DuckDB memory limit, overridable (issue 12).

DuckDB's own default (80 % of RAM) let one lineage build reach 8.1 GB; a laptop needs a cap by default. The
process budget is the lower of 4 GiB and half of RAM; DuckDB gets 3/4 of it (its limit does not cover Python
or its allocations outside the buffer manager).
"""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from modelcensus.errors import InputError
from modelcensus.store import Store
from modelcensus.store import resources as resources_mod
from modelcensus.store.resources import default_memory_limit, memory_budget, physical_memory_bytes

GiB = 2**30


def _bytes(setting: str) -> float:
    """DuckDB's reported size (e.g. '3.7 GiB', '512.0 MiB') in bytes."""
    num, unit = setting.replace(" ", "")[:-3], setting.replace(" ", "")[-3:]
    return float(num) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]


def test_the_budget_is_the_lower_of_4_gib_and_half_of_ram_and_duckdb_gets_three_quarters():
    assert memory_budget(64 * GiB) == 4 * GiB
    assert memory_budget(6 * GiB) == 3 * GiB
    assert default_memory_limit(64 * GiB) == "3072MiB"
    assert default_memory_limit(6 * GiB) == "2304MiB"
    assert default_memory_limit(1 * GiB) == "384MiB"
    assert default_memory_limit(64 * 2**20) == "64MiB"  # a floor DuckDB can work in
    ram = physical_memory_bytes()
    here = 4 * GiB if ram is None else min(4 * GiB, ram // 2)
    assert default_memory_limit() == f"{here * 3 // 4 // 2**20}MiB"


def test_unreadable_ram_gives_the_4_gib_cap(monkeypatch):
    def no_sysconf(name: str) -> int:
        raise ValueError(name)

    monkeypatch.setattr(os, "sysconf", no_sysconf)
    assert physical_memory_bytes() is None
    assert memory_budget() == 4 * GiB
    assert default_memory_limit() == "3072MiB"


def test_physical_memory_is_read_where_sysconf_exists():
    if not hasattr(os, "sysconf"):
        pytest.skip("no os.sysconf on this platform")
    ram = physical_memory_bytes()
    assert ram is not None and ram > 256 * 2**20


def test_a_store_applies_the_default_and_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("MODELCENSUS_MEMORY_LIMIT", raising=False)
    expected = int(default_memory_limit()[:-3]) * 2**20
    with Store(tmp_path / "a.duckdb") as s, duckdb.connect() as plain:
        assert abs(_bytes(s.memory_limit) - expected) < 0.1 * GiB
        assert s.memory_limit_source == "the default memory_limit"
        duckdbs_own = plain.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        if _bytes(duckdbs_own) > expected + 0.1 * GiB:  # on any machine with more than 5 GiB of RAM
            assert s.memory_limit != duckdbs_own


def test_a_small_machine_gets_three_quarters_of_half_its_ram(tmp_path, monkeypatch):
    monkeypatch.delenv("MODELCENSUS_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(resources_mod, "physical_memory_bytes", lambda: 2 * GiB)
    with Store(tmp_path / "a.duckdb") as s:
        assert abs(_bytes(s.memory_limit) - 0.75 * GiB) < 0.01 * GiB
    with Store(":memory:") as s:  # an in-memory store is capped the same way
        assert abs(_bytes(s.memory_limit) - 0.75 * GiB) < 0.01 * GiB


def test_the_argument_and_the_environment_override_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", "6GB")
    with Store(tmp_path / "a.duckdb") as s:
        assert abs(_bytes(s.memory_limit) - 6e9) < 0.1 * GiB
        assert s.memory_limit_source == "$MODELCENSUS_MEMORY_LIMIT"
    with Store(tmp_path / "a.duckdb", memory_limit="300MB") as s:  # the argument wins over the environment
        assert abs(_bytes(s.memory_limit) - 300e6) < 2**20
        assert s.memory_limit_source == "memory_limit"
    with Store(tmp_path / "a.duckdb", memory_limit="25%") as s:  # a share of RAM, as DuckDB reads it
        assert _bytes(s.memory_limit) > 0


@pytest.mark.parametrize("bad", ["lots", "4GB'; SET threads = 1; --", "-1GB", ""])
def test_bad_values_are_still_one_clear_error(tmp_path, monkeypatch, bad):
    monkeypatch.delenv("MODELCENSUS_MEMORY_LIMIT", raising=False)
    with pytest.raises(InputError, match="memory_limit"):
        Store(tmp_path / "b.duckdb", memory_limit=bad)
    if bad:  # an empty variable means unset, as before
        monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", bad)
        with pytest.raises(InputError, match="MODELCENSUS_MEMORY_LIMIT"):
            Store(tmp_path / "b.duckdb")


def test_an_engine_on_its_own_connection_gets_the_same_cap(monkeypatch):
    from modelcensus.store.engine_duckdb import DuckDBEngine

    monkeypatch.delenv("MODELCENSUS_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(resources_mod, "physical_memory_bytes", lambda: 2 * GiB)
    engine = DuckDBEngine()
    assert abs(_bytes(engine.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
               - 0.75 * GiB) < 0.01 * GiB
    monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", "lots")
    with pytest.raises(InputError, match="MODELCENSUS_MEMORY_LIMIT"):
        DuckDBEngine()


def test_an_engine_leaves_no_spill_folder_behind(monkeypatch, tmp_path):
    """Closed, never closed (collected), or failed in its set-up: the private spill folder goes in each case."""
    import gc
    import tempfile

    from modelcensus.store.engine_duckdb import DuckDBEngine

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("MODELCENSUS_MEMORY_LIMIT", raising=False)
    closed = DuckDBEngine()
    assert len(list(tmp_path.glob("modelcensus-duckdb-*"))) == 1
    closed.close()
    dropped = DuckDBEngine()
    dropped.query("SELECT 1")
    del dropped
    gc.collect()
    monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", "lots")
    with pytest.raises(InputError, match="MODELCENSUS_MEMORY_LIMIT"):
        DuckDBEngine()
    gc.collect()
    assert list(tmp_path.glob("modelcensus-duckdb-*")) == []


def test_spark_local_heap_leaves_room_for_the_jvm_outside_its_heap_and_for_python():
    """Local mode's heap is DuckDB's share of the budget less what the JVM holds outside its heap: with the whole
    share (3 GiB) the Spark process tree over 24 x 2.2M models reached about 4.3 GiB, over the 4 GiB budget."""
    from modelcensus.store.engine_spark import JVM_OUTSIDE_HEAP, local_heap

    assert local_heap(4 * GiB) == "2304m"
    assert local_heap(3 * GiB) == "1536m"
    assert local_heap(1 * GiB) == "512m"  # the floor a session starts in
    assert int(local_heap(4 * GiB)[:-1]) * 2**20 + JVM_OUTSIDE_HEAP <= 4 * GiB * 3 // 4  # Python keeps its quarter
    assert local_heap() == local_heap(memory_budget())


# -- small pages (store.resources.prefer_small_pages) ---------------------------------------------------------
_THP_PROBE = """
import contextlib, ctypes, io, sys
libc = ctypes.CDLL(None)
libc.prctl(41, 0, 0, 0, 0)  # start from the kernel's default (pytest may have set it, and children inherit it)
if sys.argv[1] == "cli":
    from modelcensus.cli.main import run
    with contextlib.redirect_stdout(io.StringIO()):
        assert run(["--version"]) == 0
else:  # the library: importing the api, importing a file and building its lineage leave the pages alone
    import tempfile
    from pathlib import Path
    from modelcensus import api
    from modelcensus.sources.synthetic import write_hubstats_parquet
    work = Path(tempfile.mkdtemp())
    path = write_hubstats_parquet(work / "m.parquet", n_models=400, seed=3)
    with api.open_store(str(work / "s.duckdb")) as s:
        api.import_path(s, str(path), observed_at="2025-12-31")
        api.ensure_lineage(s, s.snapshot().id, api.load_registry())
print(libc.prctl(42, 0, 0, 0, 0))  # PR_GET_THP_DISABLE
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages are a Linux setting")
@pytest.mark.parametrize(("how", "env", "expected"), [("cli", None, "1"), ("cli", "keep", "0"), ("cli", " KEEP ", "0"),
                                                      ("library", None, "0")])
def test_the_command_line_asks_for_small_pages_and_the_library_does_not(how, env, expected):
    environ = {k: v for k, v in os.environ.items() if k != "MODELCENSUS_HUGEPAGES"}
    if env is not None:
        environ["MODELCENSUS_HUGEPAGES"] = env
    done = subprocess.run([sys.executable, "-c", _THP_PROBE, how], env=environ, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def _real_out_of_memory() -> duckdb.Error:
    """DuckDB's own error for a list that cannot fit an 8 MB cap (a list aggregate cannot spill)."""
    con = duckdb.connect()
    con.execute("SET memory_limit = '8MB'")
    con.execute("SET threads = 1")
    try:
        con.execute("SELECT list(x) FROM range(3000000) t(x)").fetchall()
    except duckdb.OutOfMemoryException as exc:
        return exc
    raise AssertionError("DuckDB did not run out of memory under 8 MB")


def test_an_engine_running_out_of_its_memory_limit_says_how_to_raise_it(monkeypatch):
    """Found at 52.8M rows (RAM over 24 files): the message gave DuckDB's error only, as bad input."""
    from modelcensus.store.engine import open_engine

    monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", "8MB")
    eng = open_engine("duckdb")
    try:
        eng.con.execute("SET threads = 1")
        with pytest.raises(InputError) as info:
            eng.query("SELECT list(x) FROM range(3000000) t(x)")
    finally:
        eng.close()
    msg = str(info.value)
    assert msg.startswith("DuckDB ran out of memory under its memory_limit (Out of Memory Error: ")
    assert msg.endswith("raise the limit: a larger $MODELCENSUS_MEMORY_LIMIT for a command (for example twice the "
                        "limit shown), or Store(memory_limit=...) in Python")
    assert "\n" not in msg


def test_out_of_memory_is_found_through_the_errors_raised_from_it_and_nothing_else_matches():
    from modelcensus.metrics.queries import StoreReadError

    oom = _real_out_of_memory()
    try:
        try:
            raise InputError("statement failed on DuckDB: Out of Memory Error") from oom
        except InputError as inner:
            raise StoreReadError(str(inner)) from inner
    except StoreReadError as outer:
        chained = outer
    assert "ran out of memory" in (resources_mod.out_of_memory_message(chained) or "")
    assert resources_mod.out_of_memory_message(duckdb.CatalogException("no table x")) is None
    assert resources_mod.out_of_memory_message(MemoryError("python")) is None
    loop = ValueError("a")
    loop.__context__ = ValueError("b")
    loop.__context__.__context__ = loop  # a cycle in the chain ends the walk
    assert resources_mod.out_of_memory_message(loop) is None


def test_the_command_line_exits_2_with_the_hint_when_a_store_command_runs_out_of_memory(tmp_path, monkeypatch,
                                                                                      capsys):
    """Before: a store command's StoreReadError from DuckDB's OOM was an internal error (exit 3, "a bug")."""
    from modelcensus import metrics
    from modelcensus.cli.main import run
    from modelcensus.metrics.queries import StoreReadError

    db = tmp_path / "s.duckdb"
    Store(db).close()
    oom = _real_out_of_memory()

    def fail(*args, **kwargs):
        raise StoreReadError("statement failed on DuckDB: Out of Memory Error") from oom

    monkeypatch.setattr(metrics, "compute_metric", fail)
    monkeypatch.delenv("MODELCENSUS_DEBUG", raising=False)
    assert run(["--db", str(db), "metrics", "downloads"]) == 2
    err = capsys.readouterr().err
    assert "modelcensus: DuckDB ran out of memory under its memory_limit" in err
    assert "internal error" not in err


def test_a_full_spill_disk_is_named_as_disk_not_as_the_memory_cap(tmp_path):
    """DuckDB raises the same OutOfMemoryException when its spill folder's disk is full (review32 R32-3)."""
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute(f"SET memory_limit = '32MB'; SET threads = 1; SET temp_directory = '{tmp_path / 'spill'}'; "
                "SET max_temp_directory_size = '2MB'")
    with pytest.raises(duckdb.OutOfMemoryException) as info:
        con.execute("CREATE TABLE t AS SELECT i, md5(i::VARCHAR) AS s FROM range(1500000) r(i) ORDER BY s")
    msg = resources_mod.out_of_memory_message(info.value) or ""
    assert msg.startswith("DuckDB ran out of disk space for its spill files (")
    assert "MODELCENSUS_MEMORY_LIMIT" not in msg and "$TMPDIR" in msg


def test_import_out_of_memory_names_the_file_and_the_cap(tmp_path, capsys, monkeypatch):
    """The import's own wrapper ("cannot import (...)") kept DuckDB's line only, as if the file were bad (R32-1)."""
    from modelcensus.cli.main import run
    from modelcensus.sources.synthetic import write_hubstats_parquet

    src = write_hubstats_parquet(tmp_path / "hub.parquet", n_models=30_000)
    monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", "4MB")
    assert run(["--db", str(tmp_path / "s.duckdb"), "import", str(src)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "hub.parquet: cannot import (DuckDB ran out of memory under its memory_limit (" in err
    assert "$MODELCENSUS_MEMORY_LIMIT" in err


def test_a_commit_that_runs_out_of_spill_disk_exits_2_naming_the_store(tmp_path, capsys, monkeypatch):
    """At COMMIT DuckDB reports the same failure as a TransactionException: it was an internal error, exit 3, and
    it stopped a whole `lineage build --snapshots` (review33 R33-1). A 256 KB spill cap stands for a full disk."""
    from modelcensus.cli.main import run
    from modelcensus.sources.synthetic import write_hubstats_parquet
    from modelcensus.store import store as store_mod

    real = store_mod.apply_memory_limit

    def tight(con, memory_limit=None):
        where = real(con, "192MB")
        con.execute("SET threads = 1; SET max_temp_directory_size = '256KB'")
        return where

    src = write_hubstats_parquet(tmp_path / "hub.parquet", n_models=100_000)
    monkeypatch.setattr(store_mod, "apply_memory_limit", tight)
    db = tmp_path / "s.duckdb"
    assert run(["--db", str(db), "import", str(src), "--observed-at", "2025-06-01"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"store {db}: cannot commit (DuckDB ran out of disk space for its spill files (" in err
    assert "internal error" not in err
    monkeypatch.setattr(store_mod, "apply_memory_limit", real)
    with Store(db) as store:  # nothing half-written: the store opens, without the snapshot
        assert store.snapshots() == []


def test_a_folder_build_out_of_memory_gives_the_remedy_once_not_once_a_file(tmp_path, capsys, monkeypatch):
    """``lineage build --snapshots`` printed the whole hint on every failed file's line (24 times for a year of
    monthly files; review33 R33-6): each line now says what failed and the summary says once what to change."""
    from modelcensus.cli.main import run
    from modelcensus.sources.synthetic import write_hubstats_parquet

    folder = tmp_path / "snaps"
    folder.mkdir()
    for day in ("2024-01-31", "2024-02-29", "2024-03-31"):
        write_hubstats_parquet(folder / f"{day}.parquet", n_models=30_000)
    monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", "4MB")
    monkeypatch.delenv("MODELCENSUS_DEBUG", raising=False)
    assert run(["lineage", "build", "--snapshots", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count(resources_mod.OUT_OF_MEMORY_REMEDY) == 1
    lines = [line for line in err.splitlines() if line.startswith("2024-")]
    assert len(lines) == 3 and all("ran out of memory" in line and "see the last line" in line for line in lines)
    assert "3 of 3 file(s) failed" in err
