"""export -> import round-trips without loss, in every format, and carries the snapshot metadata."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from modelcensus.errors import InputError
from modelcensus.sources.ingest import import_path
from modelcensus.sources.records import to_staging_row, to_staging_table
from modelcensus.store import SnapshotMeta, Store
from modelcensus.store.export import EXPORT_COLUMNS, export_snapshot

COLS = [c for c in EXPORT_COLUMNS if c != "hub_base_models"]
JSON_COLS = {"config", "gguf", "card_data"}

RECORDS = [
    {"id": "Qwen/Qwen2.5-7B", "author": "Qwen", "createdAt": "2024-09-15T08:09:10.123456Z",
     "lastModified": "2024-09-25T12:00:00.000Z", "downloads": 123456, "downloadsAllTime": 9_876_543_210,
     "likes": 42, "trendingScore": 0.1 + 0.2, "pipeline_tag": "text-generation", "library_name": "transformers",
     "tags": ["transformers", "license:apache-2.0", "ünïcødé-tag", "中文"],
     "cardData": {"license": "apache-2.0", "language": ["zh", "en"], "widget": [{"text": "你好, \"world\"\n"}]},
     "config": {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 152064},
     "safetensors": {"total": 7615616512}, "gated": False, "private": False, "disabled": False,
     "sha": "0123456789abcdef0123456789abcdef01234567",
     "siblings": [{"rfilename": "config.json"}, {"rfilename": "model-00001-of-00004.safetensors"}],
     "card": "---\nlicense: apache-2.0\n---\n# Qwen2.5 ✨\n\nA line, with \"quotes\" and a comma.\n"},
    {"id": "bartowski/Qwen2.5-7B-GGUF", "author": "bartowski", "downloads": 7, "likes": 0, "tags": [],
     "baseModels": {"relation": "quantized", "models": [{"id": "Qwen/Qwen2.5-7B"}]},
     "cardData": {"base_model": ["Qwen/Qwen2.5-7B"], "base_model_relation": "quantized"},
     "gguf": {"architecture": "qwen2", "context_length": 32768}, "gated": "manual", "card": ""},
    {"id": "mergers/frankenmerge", "downloads": None, "likes": None,
     "baseModels": {"relation": "merge", "models": [{"id": "a/x"}, {"id": "b/y"}]},
     "tags": ["base_model:merge:a/x", "base_model:merge:b/y"]},
    {"id": "bert-base-uncased", "downloads": 0, "pipeline_tag": "fill-mask"},
]


def _make_snapshot(store: Store, *, synthetic: bool = False) -> int:
    meta = SnapshotMeta(source="hub-api", observed_at=datetime(2025, 6, 1, 12, 30, tzinfo=UTC),
                        source_ref="https://huggingface.co/api/models?expand=...", synthetic=synthetic,
                        fingerprint=("f" if synthetic else "e") * 64, notes={"crawl": {"pages": 3}})
    table = to_staging_table([to_staging_row(r, i) for i, r in enumerate(RECORDS, start=1)])
    return store.import_tables(meta, [table]).snapshot.id


def _rows(store: Store, sid: int) -> list[tuple]:
    rows = store.con.execute(f"SELECT {', '.join(COLS)} FROM models WHERE snapshot_id = ? ORDER BY id",
                             [sid]).fetchall()
    return [tuple(json.loads(v) if COLS[i] in JSON_COLS and v is not None else v for i, v in enumerate(r))
            for r in rows]


def _decls(store: Store, sid: int) -> list[tuple]:
    return sorted(store.con.execute("SELECT child_id, parent_id, coalesce(relation, ''), source FROM declarations "
                                    "WHERE snapshot_id = ?", [sid]).fetchall())


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_round_trip_is_lossless(store, tmp_path, fmt):
    sid = _make_snapshot(store)
    original = store.snapshot(sid)
    assert original.row_count == 4
    out = export_snapshot(store, sid, fmt, tmp_path / f"snap.{fmt}")
    with Store(tmp_path / "fresh.duckdb") as fresh:
        res = import_path(fresh, out)
        assert len(res) == 1 and not res[0].already_present
        back = res[0].snapshot
        assert (back.source, back.source_ref, back.observed_at, back.row_count, back.synthetic, back.complete) == (
            original.source, original.source_ref, original.observed_at, original.row_count, False, True)
        assert back.notes["crawl"] == {"pages": 3}
        assert _rows(fresh, back.id) == _rows(store, sid)
        assert _decls(fresh, back.id) == _decls(store, sid)
        nulls = fresh._one("SELECT downloads_30d, likes, author, card_text FROM models "
                           "WHERE id = 'mergers/frankenmerge'")
        assert nulls == (None, None, "mergers", None)
        assert fresh._one("SELECT card_text FROM models WHERE id = 'bartowski/Qwen2.5-7B-GGUF'") == ("",)
        again = import_path(fresh, out)  # the export carries the fingerprint: importing twice is a no-op
        assert again[0].already_present and again[0].snapshot.id == back.id
    # importing the export into the store it came from finds the original
    assert import_path(store, out)[0].snapshot.id == sid


def test_metadata_carries_synthetic_and_the_snapshot(store, tmp_path):
    sid = _make_snapshot(store, synthetic=True)
    pq_path = export_snapshot(store, sid, "parquet", tmp_path)
    assert pq_path.name == f"snapshot-{sid}.parquet"
    meta = json.loads(pq.read_schema(pq_path).metadata[b"modelcensus.export"])
    assert meta["synthetic"] is True and meta["snapshot"]["synthetic"] is True
    assert meta["snapshot"]["observed_at"] == "2025-06-01T12:30:00Z" and meta["snapshot"]["rows"] == 4
    csv_path = export_snapshot(store, sid, "csv", tmp_path / "s.csv")
    sidecar = json.loads(Path(str(csv_path) + ".meta.json").read_text())
    assert sidecar["modelcensus_export"]["synthetic"] is True
    header = csv_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == EXPORT_COLUMNS
    jsonl_path = export_snapshot(store, sid, "jsonl", tmp_path / "s.jsonl")
    lines = jsonl_path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["modelcensus_export"]["synthetic"] is True and len(lines) == 5
    with Store(tmp_path / "fresh.duckdb") as fresh:
        assert import_path(fresh, jsonl_path)[0].snapshot.synthetic is True


def test_csv_export_without_its_sidecar_is_refused(store, tmp_path):
    out = export_snapshot(store, _make_snapshot(store), "csv", tmp_path / "s.csv")
    Path(str(out) + ".meta.json").unlink()
    with Store(tmp_path / "fresh.duckdb") as fresh, pytest.raises(InputError, match=r"s\.csv: .*sidecar"):
        import_path(fresh, out)


def test_unknown_format_and_snapshot(store, tmp_path):
    sid = _make_snapshot(store)
    with pytest.raises(InputError, match="--format 'xml'"):
        export_snapshot(store, sid, "xml", tmp_path / "x")
    with pytest.raises(InputError, match="snapshot 999"):
        export_snapshot(store, 999, "csv", tmp_path / "x.csv")


# -- formula injection (issue 8 item 11) and the origins/edges tables (item 6) ----------------------------
HOSTILE = [
    {"id": "evil/model", "author": "evil", "downloads": 5, "trendingScore": -3.5,
     "pipeline_tag": "+text-generation", "library_name": "@transformers", "license": "=HYPERLINK(\"http://x\",\"y\")",
     "tags": ["=cmd|' /C calc'!A0", "license:-2+3"],
     "cardData": {"license": "-2+3", "model_name": "@SUM(1+1)", "base_model": "good/base"},
     "card": "\t=1+1 a card that starts with a tab", "sha": "'quoted"},
    {"id": "good/base", "author": "good", "downloads": 10, "license": "apache-2.0", "card": "\r=2"},
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _hostile_store(tmp_path: Path) -> tuple[Store, int]:
    src = tmp_path / "hub.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in HOSTILE) + "\n", encoding="utf-8")
    store = Store(tmp_path / "hostile.duckdb")
    res = import_path(store, src, observed_at=datetime(2025, 6, 1, tzinfo=UTC))
    return store, res[0].snapshot.id


def _csv_cells(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_csv_export_guards_text_cells_from_hub_fields_and_reimports_them_exactly(tmp_path: Path) -> None:
    store, sid = _hostile_store(tmp_path)
    with store:
        out = export_snapshot(store, sid, "csv", tmp_path / "s.csv")
        rows = {r["id"]: r for r in _csv_cells(out)}
        evil = rows["evil/model"]
        assert evil["license"] == "'=hyperlink(\"http://x\",\"y\")"  # licences are stored lower-case
        assert evil["pipeline_tag"] == "'+text-generation" and evil["library_name"] == "'@transformers"
        assert evil["card_text"].startswith("'\t=1+1")
        assert rows["good/base"]["card_text"] == "'\r=2"
        assert evil["sha"] == "''quoted"          # the guard itself is doubled, so the rule can be undone
        assert evil["trending_score"] == "-3.5"   # a number is a number: never prefixed
        for row in rows.values():
            for col, cell in row.items():
                assert col == "trending_score" or not cell.startswith(TRIGGERS), (col, cell)
        meta = json.loads(Path(str(out) + ".meta.json").read_text())["modelcensus_export"]
        assert meta["csv_cells"] == "formula-guarded" and meta["table"] == "models"
        with Store(tmp_path / "fresh.duckdb") as fresh:
            back = import_path(fresh, out)[0].snapshot
            assert _rows(fresh, back.id) == _rows(store, sid)  # lossless: the guard is undone on import
            assert fresh._one("SELECT license, card_text FROM models WHERE id = 'evil/model'") == (
                "=hyperlink(\"http://x\",\"y\")", "\t=1+1 a card that starts with a tab")


def _built(store: Store, sid: int) -> None:
    from modelcensus.lineage import ensure_lineage
    from modelcensus.lineage.registry import load_registry

    ensure_lineage(store, sid, load_registry())


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_origins_and_edges_tables_hold_every_row_of_the_build(tmp_path: Path, fmt: str) -> None:
    from modelcensus.store.export import EDGE_COLUMNS, ORIGIN_COLUMNS

    store, sid = _hostile_store(tmp_path)
    with store:
        with pytest.raises(InputError, match="lineage is not built"):
            export_snapshot(store, sid, fmt, tmp_path / f"o.{fmt}", table="origins")
        _built(store, sid)
        for table, cols in (("origins", ORIGIN_COLUMNS), ("edges", EDGE_COLUMNS)):
            out = export_snapshot(store, sid, fmt, tmp_path, table=table)
            assert out.name == f"snapshot-{sid}-{table}.{fmt}"
            expected = store.con.execute(f"SELECT count(*) FROM {table} WHERE snapshot_id = ?", [sid]).fetchall()[0][0]
            if fmt == "parquet":
                got = pq.read_table(out)
                assert got.column_names == cols and got.num_rows == expected
                meta = json.loads(got.schema.metadata[b"modelcensus.export"])
            elif fmt == "csv":
                cells = _csv_cells(out)
                assert list(cells[0]) == cols and len(cells) == expected
                meta = json.loads(Path(str(out) + ".meta.json").read_text())["modelcensus_export"]
            else:
                lines = out.read_text(encoding="utf-8").splitlines()
                meta = json.loads(lines[0])["modelcensus_export"]
                assert len(lines) == expected + 1 and list(json.loads(lines[1])) == cols
            assert meta["table"] == table and meta["lineage"]["registry_version"]
        origins = store.con.execute("SELECT model_id, root_id, weight, depth FROM origins WHERE snapshot_id = ? "
                                    "ORDER BY model_id", [sid]).fetchall()
        assert ("evil/model", "good/base", 1.0, 1) in origins
        with Store(tmp_path / "fresh.duckdb") as fresh, pytest.raises(InputError, match="'origins' table"):
            if fmt != "csv":  # a CSV of origins is not even sniffed as an export (no models columns)
                import_path(fresh, tmp_path / f"snapshot-{sid}-origins.{fmt}")
            else:
                raise InputError("'origins' table")


def test_unknown_table(store, tmp_path):
    with pytest.raises(InputError, match="--table 'models2': expected one of models, origins, edges"):
        export_snapshot(store, _make_snapshot(store), "csv", tmp_path / "x.csv", table="models2")
