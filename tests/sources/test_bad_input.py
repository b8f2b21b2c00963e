"""Hostile and broken input: bad rows are counted with reasons, bad files give one clear error."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus.errors import InputError
from modelcensus.sources.ingest import import_path

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
GOOD = {"id": "good/model", "downloads": 10, "likes": 1}


def _counts(store) -> tuple[int, int]:
    return store._one("SELECT (SELECT count(*) FROM snapshots), (SELECT count(*) FROM models)")


def _jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _import(store, path: Path):
    return import_path(store, path, observed_at="2025-01-01")[0]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("image.csv", PNG, r"image\.csv: is a PNG image, not a CSV"),
    ("empty.jsonl", b"", r"empty\.jsonl: empty file"),
    ("blank.csv", b"  \n\n", r"blank\.csv: empty file \(only whitespace\)"),
    ("empty.csv.gz", gzip.compress(b"", mtime=0), r"empty\.csv\.gz: empty file \(gzip holds no data\)"),
    ("archive.json", b"PK\x03\x04rest-of-a-zip", r"archive\.json: is a ZIP archive"),
    ("binary.csv", b"id,downloads\n\x00\x01\x02\x03", r"binary\.csv: binary content"),
    ("latin1.csv", "modèle,téléchargements\n".encode("latin-1"), r"latin1\.csv: not text"),
    ("broken.json", b'[{"id": "a/b"}, {"id": ', r"broken\.json: not valid JSON"),
    ("scalar.json", b'["just", "strings"]', None),
])
def test_files_that_are_not_what_they_claim(store, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = _counts(store)
    if message is None:  # readable JSON, but no records: every item is reported
        res = _import(store, path)
        assert res.snapshot.row_count == 0 and res.skipped.reasons == {"array item is not a JSON object": 2}
        return
    with pytest.raises(InputError, match=message):
        _import(store, path)
    assert _counts(store) == before


def test_truncated_gzip_is_one_error_and_nothing_lands(store, tmp_path):
    records = [json.dumps({"id": f"org/m{i}", "downloads": i, "cardData": {"x": "y" * 50}}).encode()
               for i in range(20000)]
    data = gzip.compress(b"\n".join(records))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: int(len(data) * 0.8)])
    with pytest.raises(InputError, match=r"cut\.jsonl\.gz: truncated or corrupt data"):
        _import(store, path)
    assert _counts(store) == (0, 0)


def test_truncated_gzip_header(store, tmp_path):
    path = tmp_path / "tiny.csv.gz"
    path.write_bytes(gzip.compress(b"id,downloads\na/b,1\n")[:12])
    with pytest.raises(InputError, match=r"tiny\.csv\.gz: truncated or corrupt data"):
        _import(store, path)


def test_parquet_with_wrong_column_types(store, tmp_path):
    path = tmp_path / "models.parquet"
    pq.write_table(pa.table({"id": ["a/b"], "downloads": pa.array([{"x": 1}]), "tags": pa.array([3])}), path)
    with pytest.raises(InputError, match=r"models\.parquet: hub-stats columns with the wrong type "
                                         r"\(downloads is STRUCT.*; tags is BIGINT\)"):
        _import(store, path)
    ids = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": [1, 2], "downloads": [1, 2]}), ids)
    with pytest.raises(InputError, match=r"ids\.parquet: column 'id' has type BIGINT"):
        _import(store, ids)
    assert _counts(store) == (0, 0)


def test_parquet_text_values_of_the_wrong_type_are_rows_not_errors(store, tmp_path):
    path = tmp_path / "models.parquet"
    pq.write_table(pa.table({"id": ["a/b", "c/d", "e/f"], "downloads": ["12", "many", "-3"],
                             "lastModified": ["2025-01-01T00:00:00Z", "yesterday", None]}), path)
    res = _import(store, path)
    assert res.snapshot.row_count == 1
    assert res.skipped.reasons == {"downloads is not an integer": 1, "absurd downloads value": 1}


def test_bad_rows_are_counted_with_ids_and_good_rows_land(store, tmp_path):
    lines = [
        json.dumps(GOOD).encode(),
        b'{"id": "caf\xe9/latin1", "downloads": 3}',                       # not UTF-8
        json.dumps({"downloads": 5}).encode(),                              # missing id
        json.dumps({"id": "x/wrong-type", "downloads": "lots"}).encode(),  # wrong type
        json.dumps({"id": "x/list-downloads", "downloads": [1, 2]}).encode(),
        json.dumps({"id": "x/absurd", "downloads": 10**15}).encode(),       # absurd number
        json.dumps({"id": "x/negative", "likes": -1}).encode(),
        json.dumps({"id": "x/old", "lastModified": "the year dot"}).encode(),
        b'{"id": "x/truncated", "downloads": ',                             # not JSON
        b'["an", "array"]',
        json.dumps({"id": "'; DROP TABLE models; --", "downloads": 1}).encode(),
        json.dumps({"id": "x/yaml-bomb", "cardData": "a: &a [1]\nb: *a\n"}).encode(),
        json.dumps({"id": "x/python-tag", "cardData": "!!python/object/apply:os.system ['touch /tmp/pwned']"}
                   ).encode(),
        json.dumps({"id": "good/hostile-card", "downloads": 2, "cardData": {
            "license": "mit'); DROP TABLE models; --", "base_model": "{{ self.__init__.__globals__ }}",
            "note": "<script>alert(1)</script>\u202e\x00"}}).encode(),
    ]
    res = _import(store, _jsonl(tmp_path / "mixed.jsonl", lines))
    snap = res.snapshot
    assert snap.row_count == 2
    assert res.skipped.count == snap.skipped_count == 12
    assert res.skipped.reasons == {
        "line is not valid UTF-8": 1, "missing id": 1, "downloads is not an integer": 1,
        "downloads has an unexpected type (list)": 1, "absurd downloads value": 1, "absurd likes value": 1,
        "last_modified is not a date": 1, "line is not JSON": 1, "line is not a JSON object": 1,
        "id is not a Hub model id": 1,
        "card data: not valid YAML (YAML aliases are not accepted in untrusted input)": 1,
        "card data: not valid YAML (could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system')": 1,
    }
    examples = {e["id"]: e["reason"] for e in res.skipped.examples}
    assert examples["caf\ufffd/latin1"] == "line is not valid UTF-8"
    assert examples["x/wrong-type"] == "downloads is not an integer"
    assert not Path("/tmp/pwned").exists()
    assert snap.notes["skipped"]["count"] == 12  # the report lands in the snapshot notes
    hostile = store._one("SELECT license, base_models, card_data->>'note' FROM models WHERE id = 'good/hostile-card'")
    assert hostile == ("mit'); drop table models; --", [], "<script>alert(1)</script>\u202e\x00")
    assert store._one("SELECT count(*) FROM models")[0] == 2  # the table survived the 'DROP TABLE'


def test_non_utf8_csv_rows_are_skipped(store, tmp_path):
    path = tmp_path / "models.csv"
    path.write_bytes(b"id,downloads\nok/one,1\nbad/caf\xe9,2\nok/two,3\n")
    res = _import(store, path)
    assert res.snapshot.row_count == 2
    assert res.skipped.examples == [{"id": "bad/caf\ufffd", "position": 2, "reason": "row is not valid UTF-8"}]


def test_bad_observed_at(store, tmp_path):
    path = _jsonl(tmp_path / "m.jsonl", [json.dumps(GOOD).encode()])
    for value, message in (("yesterday", "expected an ISO date"), ("2999-01-01", "lies in the future"),
                           ("1970-01-01", "before 2000")):
        with pytest.raises(InputError, match=f"--observed-at {value!r}: {message}"):
            import_path(store, path, observed_at=value)


def test_unknown_source_name_is_refused(store, tmp_path):
    path = _jsonl(tmp_path / "m.jsonl", [json.dumps(GOOD).encode()])
    with pytest.raises(InputError, match="--source"):
        import_path(store, path, source="../../evil name", observed_at="2025-01-01")


def test_endless_line_is_refused_without_reading_it_whole(store, tmp_path, monkeypatch):
    from modelcensus.sources import ingest

    monkeypatch.setattr(ingest.iter_lines, "__defaults__", (1024,))
    heads = (("bomb.jsonl.gz", b'{"id": "a/b"}\n{"id": "c/d", "x": "'), ("bomb.csv.gz", b'id,downloads\na/b,"'))
    for name, head in heads:
        path = tmp_path / name
        path.write_bytes(gzip.compress(head + b"y" * 200_000))
        with pytest.raises(InputError, match=rf"{name.replace('.', '[.]')}: line \d+ is longer than"):
            _import(store, path)
    assert _counts(store) == (0, 0)
