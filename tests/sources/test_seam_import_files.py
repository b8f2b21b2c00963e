"""Issue 12's seam for the two file importers the store reads itself (hub-stats Parquet, modelcensus exports):
the DuckDB work moved to ``store.file_staging``; what the user sees did not change. Messages name the file and
DuckDB's first line, a failed import leaves no snapshot and no staged table behind, and a re-imported export
keeps the skip record of its first import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus.errors import InputError
from modelcensus.sources import hubstats
from modelcensus.sources.hubstats import describe_layout, import_hubstats_parquet
from modelcensus.sources.ingest import import_path
from modelcensus.store import SkipReport, SnapshotMeta, Store, file_staging, staging
from modelcensus.store.export import export_snapshot


def _hubstats(path: Path, downloads: list[int], *, last_modified: bool = False) -> Path:
    cols: dict[str, list] = {"id": [f"org/m{i}" for i in range(len(downloads))], "downloads": downloads}
    if last_modified:
        cols["lastModified"] = [datetime(2025, 3, 1 + i, tzinfo=UTC) for i in range(len(downloads))]
    pq.write_table(pa.table(cols), path)
    return path


def _temp_tables(store: Store) -> set[str]:
    return {r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}


def test_a_file_that_is_not_parquet_is_named_with_duckdbs_first_line(store, tmp_path):
    bad = tmp_path / "models.parquet"
    bad.write_bytes(b"PAR1 but not really a parquet file at all\n")
    with pytest.raises(InputError) as err:
        describe_layout(store, bad)
    text = str(err.value)
    assert text.startswith(f"{bad}: not a readable Parquet file (") and text.endswith(")") and "\n" not in text


def test_describe_layout_and_the_estimated_observation_time(store, tmp_path):
    path = _hubstats(tmp_path / "m.parquet", [1, 2, 3], last_modified=True)
    assert describe_layout(store, path) == {"id": "VARCHAR", "downloads": "BIGINT",
                                            "lastModified": "TIMESTAMP WITH TIME ZONE"}
    snap = import_hubstats_parquet(store, path).snapshot
    assert snap.observed_at == datetime(2025, 3, 3, tzinfo=UTC)
    assert snap.notes["observed_at_from"].startswith("estimate")


def test_a_failed_hubstats_import_names_the_file_and_leaves_nothing(store, tmp_path, monkeypatch):
    path = _hubstats(tmp_path / "m.parquet", [1, 2, 3])
    real = staging.validate_statements

    def failing(staged: str, table: str) -> list[str]:  # the staged tables exist when the failure comes
        return [*real(staged, table), "SELECT * FROM no_such_table_here"]

    monkeypatch.setattr(staging, "validate_statements", failing)
    with pytest.raises(InputError) as err:
        import_hubstats_parquet(store, path, observed_at="2025-01-01")
    assert str(err.value).startswith(f"{path}: cannot import (Catalog Error: ")
    assert store.snapshots() == [] and _temp_tables(store) == set()
    monkeypatch.setattr(staging, "validate_statements", real)
    res = import_hubstats_parquet(store, path, observed_at="2025-01-01")  # the connection is usable again
    assert res.snapshot.row_count == 3 and _temp_tables(store) == set()


def test_stage_validated_drops_its_tables_after_success(store, tmp_path):
    path = _hubstats(tmp_path / "m.parquet", [1, -1, 3])
    cols = hubstats.describe_file(store, path)
    skipped = SkipReport()
    with store.transaction():
        sid = store.create_snapshot(SnapshotMeta(source="t", observed_at=datetime(2025, 1, 1, tzinfo=UTC)))
        file_staging.stage_validated(store, sid, hubstats.staging_select(path, cols), skipped, table="_t_staged",
                                     failure="x")
        assert _temp_tables(store) == set()
    assert skipped.count == 1 and skipped.reasons == {"absurd downloads value": 1}


def test_stage_through_view_turns_a_duckdb_error_into_the_callers_message(store):
    with store.transaction(), pytest.raises(InputError) as err:
        file_staging.stage_through_view(store, 1, "SELECT * FROM no_such_relation", SkipReport(), view="_v",
                                        failure="f.csv: cannot import the export")
    assert str(err.value).startswith("f.csv: cannot import the export (Catalog Error: ")


def test_an_unreadable_export_keeps_its_message(store, tmp_path):
    with pytest.raises(InputError) as err:
        file_staging.describe_relation(store, f"read_csv('{tmp_path}/none.csv')", unreadable="e.csv: not a "
                                       "readable modelcensus export")
    assert str(err.value).startswith("e.csv: not a readable modelcensus export (IO Error: ")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_a_reimported_export_keeps_the_skip_record_of_its_first_import(store, tmp_path, fmt):
    path = _hubstats(tmp_path / "m.parquet", [1, -1, -2, 4])
    first = import_hubstats_parquet(store, path, observed_at="2025-01-01").snapshot
    assert (first.row_count, first.skipped_count) == (2, 2)
    out = export_snapshot(store, first.id, fmt, tmp_path / f"snap.{fmt}")
    with Store(tmp_path / "fresh.duckdb") as fresh:
        back = import_path(fresh, out)[0].snapshot
        assert (back.row_count, back.skipped_count) == (2, 2)
        assert back.notes["skipped"] == first.notes["skipped"]
        assert back.notes["reimport"]["skipped"]["count"] == 0 and back.notes["reimport"]["format"] == fmt
        assert _temp_tables(fresh) == set()
