"""Root keys on ``--snapshots DIR``: the folder's lineage build (``lineage build --snapshots DIR``) gives the
metric files each model's roots, so ``--by root_country`` / ``org`` / ``family`` over a history folder equal
the store path over the same files (DuckDB), and Spark equals DuckDB; a missing or stale lineage is exit 2.
``cadence`` reads the lineage whatever its key (first-party = no parent, or published by the root's own
organisation), so it is here with every key kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from folder_history import import_folder, rounded, write_history

from modelcensus import api
from modelcensus.errors import InputError
from modelcensus.lineage.folder_build import lineage_files
from modelcensus.lineage.registry import load_registry
from modelcensus.metrics import compute_metric
from modelcensus.store import Store
from modelcensus.store.files import folder_files

# a few synthetic-Hub namespaces in the layout of ATOM's organization_regions.csv (the real file's rows are in
# test_anchors_real; here one layout is enough, and the test does not skip without ../shared)
REGIONS = Path(__file__).with_name("data") / "regions_small.csv"
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "downloads_root_country": ("downloads", {"by": "root_country"}),
    "downloads_root_org": ("downloads", {"by": "org"}),
    "cumulative_family": ("downloads_cumulative", {"by": "family"}),
    "monthly_root_country": ("downloads_monthly", {"by": "root_country"}),
    "concentration_root_org_series": ("concentration", {"by": "org", "series": True}),
    # first-party releases: which models are first-party comes from the lineage, whatever the key
    "cadence_org": ("cadence", {"by": "org"}),  # the publisher's organisation, as on a store
    "cadence_publisher_country": ("cadence", {"by": "publisher_country"}),
    "cadence_family": ("cadence", {"by": "family"}),
    # licences are read from the latest file's models rows, made by the importer's own query files
    "licences_root_country": ("licences", {"by": "root_country"}),
    "licences_publisher_license_all_time": ("licences", {"by": "publisher_country", "detail": "license",
                                                         "field": "downloads_all_time"}),
    "licences_family": ("licences", {"by": "family"}),
    # the root's licence against the derivative's, both from the latest file's models rows
    "licence_drift_family": ("licence_drift", {"by": "family"}),
    "licence_drift_pairs_publisher": ("licence_drift", {"by": "publisher_country", "pairs": True, "examples": 1,
                                                        "field": "downloads_all_time"}),
    # re-packagers by rule: the latest file's models rows, edges and publisher types; grouped only when asked
    "intermediaries": ("intermediaries", {}),
    "intermediaries_root_country_all_time": ("intermediaries", {"by": "root_country", "field": "downloads_all_time"}),
    "intermediary_namespaces": ("intermediaries", {"detail": "namespaces", "min_repos": 2, "threshold": 0.25,
                                                   "limit": 10}),
    # ATOM's namespace regions against the roots' (a real file: ATOM's organization_regions.csv, or a small one)
    "region_shift": ("region_shift", {"regions": str(REGIONS)}),
    # no key: sizes of the latest file's models rows (safetensors total, else the name)
    "sizes": ("sizes", {}),
    "sizes_per_month_all_time": ("sizes", {"per_month": True, "field": "downloads_all_time"}),
}


@pytest.fixture(scope="module")
def registry() -> Any:
    return load_registry()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, registry: Any) -> Path:
    """Three monthly files of a synthetic Hub (merges, quants, renamed namespaces), their lineage built."""
    out = tmp_path_factory.mktemp("history")
    write_history(out, n_models=700, seed=5, months=3)
    res = api.build_folder_lineage(out, registry=registry)
    assert [i.status for i in res.items] == ["built"] * 3
    return out


@pytest.fixture(scope="module")
def store(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    st = import_folder(tmp_path_factory.mktemp("store") / "census.duckdb", folder)
    yield st
    st.close()


@pytest.fixture(scope="module")
def duck(folder: Path, registry: Any) -> dict[str, Any]:
    return {case: api.folder_metric(folder, name, registry=registry, **dict(args))
            for case, (name, args) in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_folder_root_keys_equal_the_store_path(duck: dict[str, Any], store: Store, registry: Any,
                                               case: str) -> None:
    name, args = CASES[case]
    args = dict(args)
    theirs = compute_metric(store, name, by=args.pop("by", None), registry=registry, **args)
    ours = duck[case]
    assert ours.columns == theirs.columns
    assert rounded(ours.to_json()["rows"]) == rounded(theirs.to_json()["rows"])
    assert ours.options == theirs.options  # typed, with the metric's defaults, on both paths (review13 R13-4)
    keyed = ours.columns[1] if name in ("downloads_monthly", "cadence") else ours.columns[0]
    assert len(ours.rows) >= 2 and any(r.get(keyed) for r in ours.rows)
    if name == "licence_drift":  # the synthetic Hub labels some derivatives more permissively than their root
        assert any(r.get("examples") for r in ours.rows)
    if name == "region_shift":  # some downloads change region between the two rules
        assert any(r["moved"] for r in ours.rows) and any(not r["moved"] for r in ours.rows)
    if name == "intermediaries":  # both rules fire in the synthetic Hub
        fired = {"heuristic"} if args.get("detail") else {"heuristic", "registry"}  # top namespaces: heuristic
        assert {r["rule"] for r in ours.rows} >= fired
    # the notes too: the key's note first on both paths (every metric: review20 R20-8)
    assert [n for n in ours.notes if not n.startswith("computed on")] == theirs.notes


def test_merges_split_their_credit(duck: dict[str, Any], folder: Path) -> None:
    """Weights reach the metric: a model with k roots gives each 1/k, so model counts need not be whole."""
    last = folder_files(folder)[-1][0]
    origins = pq.read_table(lineage_files(folder, last)["origins"]).to_pylist()
    assert any(o["weight"] < 1 for o in origins), "the synthetic Hub has merges"
    total = sum(r["models"] for r in duck["downloads_root_country"].rows)
    assert total == pytest.approx(len({o["model_id"] for o in origins}))


def test_spark_equals_duckdb(duck: dict[str, Any], folder: Path, registry: Any, spark_engine: Any) -> None:
    from modelcensus.metrics.snapshot_folder import compute_folder_metric
    from modelcensus.sources import hubstats

    for case in ("downloads_root_country", "concentration_root_org_series", "cadence_publisher_country",
                 "licences_publisher_license_all_time", "licences_family", "sizes", "sizes_per_month_all_time",
                 "licence_drift_family", "licence_drift_pairs_publisher", "intermediaries",
                 "intermediary_namespaces", "region_shift"):
        name, args = CASES[case]
        with Store(":memory:") as probe:
            spark = compute_folder_metric(folder, name, engine=spark_engine, registry=registry,
                                          row_select=lambda p: hubstats.staging_select(p, hubstats.describe_file(probe,
                                                                                                             p)),
                                          **dict(args))
        assert rounded(spark.to_json()["rows"]) == rounded(duck[case].to_json()["rows"]), case


def test_missing_or_stale_lineage_is_named(folder: Path, registry: Any, tmp_path: Path, duck: dict[str, Any]) -> None:
    """A series by a root key needs every file's lineage; a one-snapshot metric only the latest file's (review12
    R12-3: it read, and required, all of them). Labelled first: a stale first file fails the series, naming 1
    file, and leaves the latest-snapshot census unchanged."""
    with pytest.raises(InputError, match=r"lineage of every file.*missing or stale for 3 file\(s\).*run `modelcensus "
                                         r"lineage build"):
        _copy_without_lineage(folder, tmp_path, registry)
    side = lineage_files(folder, folder_files(folder)[0][0])["sidecar"]
    doc = json.loads(side.read_text())
    side.write_text(json.dumps({**doc, "source_sha256": "0" * 64}))
    try:
        with pytest.raises(InputError, match=r"stale for 1 file\(s\)"):
            api.folder_metric(folder, "downloads_cumulative", by="family", registry=registry)
        latest = api.folder_metric(folder, "downloads", by="root_country", registry=registry)
        assert latest.to_json()["rows"] == duck["downloads_root_country"].to_json()["rows"]
    finally:
        side.write_text(json.dumps(doc))


def _copy_without_lineage(folder: Path, tmp_path: Path, registry: Any) -> None:
    for _day, path in folder_files(folder):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    api.folder_metric(tmp_path, "downloads_cumulative", by="root_country", registry=registry)


def test_an_origins_file_replaced_after_it_was_found_current_fails(folder: Path, registry: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Review8 R8-4, labelled first: is_current hashes each date's origins file, model_roots reads it later; a file
    put in its place in between (here a copy of the same bytes: another file) fails the metric, naming it."""
    import os
    import shutil

    import modelcensus.metrics.snapshot_folder as sf

    day = folder_files(folder)[-1][0]
    origins = lineage_files(folder, day)["origins"]
    real = sf.is_current

    def current_then_replaced(root: Path, when: Any, *args: Any, **kw: Any) -> bool:
        answer = real(root, when, *args, **kw)
        if when == day:
            shutil.copyfile(origins, origins.with_name("copy.parquet"))
            os.replace(origins.with_name("copy.parquet"), origins)
        return answer

    monkeypatch.setattr(sf, "is_current", current_then_replaced)
    with pytest.raises(InputError, match=rf"{day}\.origins\.parquet: the file changed while it was read"):
        api.folder_metric(folder, "downloads", by="root_country", registry=registry)
    monkeypatch.setattr(sf, "is_current", real)
    assert api.folder_metric(folder, "downloads", by="root_country", registry=registry).rows


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("licences", {"detail": "bogus"}, r"detail 'bogus': expected class or license"),
    ("licences", {"by": "license"}, r"--by license is not on the --snapshots path yet"),
    ("sizes", {"by": "org"}, r"metric sizes takes no --by"),
    ("sizes", {"per_month": "bogus"}, r"option per_month='bogus': expected true or false"),
    ("licence_drift", {"examples": "x"}, r"option examples='x': expected a whole number"),
    # a true/false option given something else was read as false here (the store path refuses it)
    ("concentration", {"series": "maybe"}, r"option series='maybe': expected true or false"),
    ("intermediaries", {"detail": "bogus"}, r"detail 'bogus': expected rule or namespaces"),
    ("intermediaries", {"threshold": "1.5"}, r"threshold in \[0, 1\)"),
    ("intermediaries", {"threshold": "lots"}, r"option threshold='lots': expected a number"),
    ("region_shift", {}, r"region_shift needs the option regions=PATH"),
    ("region_shift", {"by": "org", "regions": "x.csv"}, r"takes no --by \(it cross-tabulates"),
    ("region_shift", {"regions": "/nonexistent/regions.csv"}, r"regions file /nonexistent/regions.csv: no such file"),
    # review13: attribution checked without a key too; strict numbers for float options; a negative limit
    ("sizes", {"attribution": "bogus"}, r"attribution 'bogus': expected one of root, publisher"),
    ("intermediaries", {"threshold": "0.1_5"}, r"option threshold='0.1_5': expected a number"),
    ("intermediaries", {"threshold": "\u0660.\u0665"}, r"expected a number"),
    ("intermediaries", {"detail": "namespaces", "limit": "-1"}, r"limit -1: expected 0 \(all\) to 2147483647"),
    # review28 R28-1, review29 R29-4: it becomes a LIMIT clause, which DuckDB refused from 2^63 (an internal error on
    # the store path) and Spark from 2^31 (its raw message)
    ("intermediaries", {"detail": "namespaces", "limit": str(2**63)}, r"limit 9223372036854775808: expected 0"),
    ("intermediaries", {"detail": "namespaces", "limit": str(2**31)}, r"limit 2147483648: expected 0 \(all\) to"),
    # a namespace listed twice would count its models twice in the cross-table
    ("region_shift", {"regions": str(REGIONS.with_name("regions_twice.csv"))}, r"'Qwen' listed more than once"),
]


@pytest.mark.parametrize(("name", "args", "said"), REFUSED)
def test_options_and_keys_the_folder_path_lacks_are_said(folder: Path, registry: Any, name: str,
                                                         args: dict[str, Any], said: str) -> None:
    """Labelled first: each exits 2 (InputError) with the store path's wording, before any file is read."""
    with pytest.raises(InputError, match=said):
        api.folder_metric(folder, name, registry=registry, **args)


def test_cadence_without_the_folder_lineage_says_it_needs_it(folder: Path, registry: Any, tmp_path: Path) -> None:
    """cadence reads the lineage even by a publisher key (first-party needs the root): exit 2 saying so."""
    for _day, path in folder_files(folder):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    with pytest.raises(InputError, match=r"cadence needs the lineage of the latest file.*lineage build --snapshots"):
        api.folder_metric(tmp_path, "cadence", by="publisher_country", registry=registry)


def test_latest_models_go_with_the_census_when_making_them_fails(folder: Path, registry: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Review12 R12-4, labelled first: the latest file's models rows are made on the engine itself; a failure right
    after they are made leaves no table behind once the census ends."""
    import modelcensus.metrics.snapshot_folder as sf
    from modelcensus.sources import hubstats
    from modelcensus.store.engine import open_engine

    real = sf.make_store_rows

    def made_then_failed(*args: Any, **kw: Any) -> Any:
        real(*args, **kw)
        raise InputError("injected failure after the models rows were made")

    monkeypatch.setattr(sf, "make_store_rows", made_then_failed)
    eng = open_engine("duckdb")
    try:
        with Store(":memory:") as probe:
            census = sf.FolderCensus(folder, engine=eng, registry=registry,
                                     row_select=lambda p: hubstats.staging_select(p, hubstats.describe_file(probe, p)))
            with pytest.raises(InputError, match="injected"), census:
                census.metric("licences")
        left = eng.query("SELECT table_name AS name FROM duckdb_tables() WHERE temporary UNION ALL "
                         "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal").column(0).to_pylist()
        assert left == []
    finally:
        eng.close()


def test_empty_option_values_are_checked_as_given(folder: Path, registry: Any, store: Store) -> None:
    """Review12 R12-2/R12-6, labelled first: an empty value is refused as on a store, not run as the default; cadence
    refuses an attribution it cannot honour, on both paths."""
    for name, option in (("licences", {"detail": ""}), ("licences", {"attribution": ""}),
                         ("downloads_monthly", {"gaps": ""}), ("concentration", {"k": ""}),
                         ("cadence", {"attribution": "bogus"}), ("cadence", {"attribution": "root"})):
        with pytest.raises(InputError):
            api.folder_metric(folder, name, registry=registry, **option)
    with pytest.raises(InputError, match="cadence counts each organisation's own releases"):
        api.folder_metric(folder, "cadence", registry=registry, attribution="root")
    assert api.folder_metric(folder, "cadence", registry=registry, attribution="publisher").rows
    for value in ("root", "bogus"):  # the store path took any value and ignored it
        with pytest.raises(InputError, match="attribution"):
            compute_metric(store, "cadence", registry=registry, attribution=value)


def test_the_store_path_refuses_what_the_folder_path_refuses(store: Store, registry: Any) -> None:
    """Review13 R13-2/R13-6/R13-7, labelled first: the same values exit 2 on the store path."""
    with pytest.raises(InputError, match="'Qwen' listed more than once"):
        compute_metric(store, "region_shift", regions=str(REGIONS.with_name("regions_twice.csv")), registry=registry)
    with pytest.raises(InputError, match="expected a number"):
        compute_metric(store, "intermediaries", threshold="0.1_5", registry=registry)
    with pytest.raises(InputError, match="expected whole numbers of days"):
        compute_metric(store, "ram", ages="1_0", registry=registry)
    every = compute_metric(store, "intermediaries", detail="namespaces", min_repos=1, threshold=0, limit=0,
                           registry=registry)
    assert len(every.rows) > 50  # limit 0 = all, as for ram (it returned one row)


def test_an_option_given_as_none_is_its_default_on_both_paths(folder: Path, store: Store, registry: Any) -> None:
    """Review13 R13-8, labelled first: None from the Python API means "not given" on both paths (the store path
    raised a TypeError for examples/min_repos/threshold/limit and refused detail=None)."""
    none = {"min_repos": None, "threshold": None, "limit": None, "detail": None}
    ours = api.folder_metric(folder, "intermediaries", registry=registry, **none)
    theirs = compute_metric(store, "intermediaries", registry=registry, **none)
    assert rounded(ours.to_json()["rows"]) == rounded(theirs.to_json()["rows"]) == rounded(
        compute_metric(store, "intermediaries", registry=registry).to_json()["rows"])
    assert compute_metric(store, "licence_drift", examples=None, registry=registry).rows
