"""The synthetic hub: deterministic, Hub-shaped, calibrated, and structurally like the real one."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from modelcensus.errors import InputError
from modelcensus.sources.records import to_staging_row, to_staging_table
from modelcensus.sources.synthetic import generate_hub, load_series, write_hubstats_parquet
from modelcensus.sources.synthetic.calibration import download_stats, top_share
from modelcensus.sources.synthetic.columns import HUBSTATS_SCHEMA
from modelcensus.sources.synthetic.profile import load_profile
from modelcensus.store import Store
from modelcensus.store.store import SnapshotMeta

CAL = load_profile().raw["calibration"]


@pytest.fixture(scope="module")
def hubstats(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_hubstats_parquet(tmp_path_factory.mktemp("hs") / "models.parquet", n_models=20_000, seed=7)


@pytest.fixture(scope="module")
def hub():
    return generate_hub(n_models=4000, seed=7)


@pytest.fixture(scope="module")
def truth(hub) -> pa.Table:
    return hub.truth()


def _con(**tables: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, t in tables.items():
        con.register(name, t)
    return con


# -- the hub-stats Parquet ---------------------------------------------------------------------------

def test_hubstats_schema_rows_and_synthetic_marker(hubstats: Path) -> None:
    f = pq.ParquetFile(hubstats)
    assert f.metadata.num_rows == 20_000
    assert f.schema_arrow.remove_metadata().equals(HUBSTATS_SCHEMA)
    assert f.schema_arrow.metadata[b"synthetic"] == b"true"
    assert f.schema_arrow.metadata[b"modelcensus.source_ref"] == b"synthetic:seed=7,n=20000"
    con = duckdb.connect()
    n, distinct, with_parent, merge_share, edges = con.execute(
        f"SELECT count(*), count(DISTINCT id), avg((baseModels IS NOT NULL)::INT), "
        f"avg((baseModels.relation = 'merge')::INT) FILTER (WHERE baseModels IS NOT NULL), "
        f"sum(len(baseModels.models)) FROM '{hubstats}'").fetchall()[0]
    assert n == distinct == 20_000
    lo, tol = CAL["synthetic_targets"]["declared_parent_share"]
    assert abs(with_parent - lo) <= tol
    assert 0.01 <= merge_share <= 0.05
    assert edges > 20_000 * with_parent  # merges add edges beyond one per declaring model
    # JSON columns parse; tags carry the declared parents the way the Hub writes them
    for card, config, tags, bm in con.execute(
            f"SELECT cardData, config, tags, baseModels FROM '{hubstats}' USING SAMPLE 400 ROWS (reservoir, 1)"
    ).fetchall():
        card = json.loads(card)
        if config is not None:
            assert isinstance(json.loads(config), dict)
        if bm is not None:
            parents = [m["id"] for m in bm["models"]]
            assert card["base_model"] == (parents if len(parents) > 1 else parents[0])
            for p in parents:
                assert f"base_model:{p}" in tags and f"base_model:{bm['relation']}:{p}" in tags
        else:
            assert "base_model" not in card and not any(t.startswith("base_model:") for t in tags)


def test_hubstats_is_deterministic(tmp_path: Path, hubstats: Path) -> None:
    again = write_hubstats_parquet(tmp_path / "a.parquet", n_models=20_000, seed=7, row_group_size=7_000)
    other = write_hubstats_parquet(tmp_path / "b.parquet", n_models=20_000, seed=8)
    assert pq.read_table(again).equals(pq.read_table(hubstats))  # row-group size does not change the data
    assert pq.ParquetFile(again).metadata.num_row_groups == 3
    assert not pq.read_table(other).equals(pq.read_table(hubstats))


def test_hubstats_derivative_share_override(tmp_path: Path) -> None:
    path = write_hubstats_parquet(tmp_path / "dense.parquet", n_models=5_000, seed=7, derivative_share=0.95)
    con = duckdb.connect()
    share, edges = con.execute(f"SELECT avg((baseModels IS NOT NULL)::INT), sum(len(baseModels.models)) "
                               f"FROM '{path}'").fetchall()[0]
    assert 0.83 <= share <= 0.91 and edges > 0.85 * 5_000
    with pytest.raises(InputError, match="derivative_share"):
        write_hubstats_parquet(tmp_path / "x.parquet", n_models=5_000, derivative_share=1.5)


def test_renamed_namespaces_move_and_old_declarations_stay(hub) -> None:
    before, after = hub.table(10), hub.table(23)  # Nov 2024, Dec 2025
    assert "THUDM/glm-4-9b-chat" in before["id"].to_pylist()
    ids_after = set(after["id"].to_pylist())
    assert "zai-org/glm-4-9b-chat" in ids_after and "THUDM/glm-4-9b-chat" not in ids_after
    assert "CohereLabs/aya-expanse-8b" in ids_after
    con = _con(t=after)
    old = con.execute("SELECT count(*) FROM (SELECT unnest(baseModels.models).id AS p FROM t) "
                      "WHERE p LIKE 'THUDM/%' OR p LIKE 'CohereForAI/%'").fetchall()[0][0]
    assert old > 0  # derivatives made before the rename still name the old namespace


def test_hubstats_rejects_bad_size(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="n_models"):
        write_hubstats_parquet(tmp_path / "x.parquet", n_models=0)
    with pytest.raises(InputError, match="n_models"):
        write_hubstats_parquet(tmp_path / "x.parquet", n_models=20)  # fewer than the official models


def test_download_distribution_matches_calibration(tmp_path: Path) -> None:
    # 200k rows: at smaller n the 61 official models (millions of downloads each) are over-represented
    # in the top 1 % and flatten the tail estimate
    path = write_hubstats_parquet(tmp_path / "big.parquet", n_models=200_000, seed=11)
    t = pq.read_table(path, columns=["downloads", "downloadsAllTime"])
    d30 = t["downloads"].to_numpy()
    all_time = t["downloadsAllTime"].to_numpy()
    stats = download_stats(d30)
    tgt = CAL["synthetic_targets"]
    for key in ("zero_share", "pos_log_mean", "hill_top1pct"):
        want, tol = tgt[key]
        assert abs(stats[key] - want) <= tol, (key, stats[key])
    want, tol = tgt["lifetime_under_200"]
    assert abs((all_time < 200).mean() - want) <= tol
    want, tol = tgt["top_1_5pct_share_all_time"]
    assert abs(top_share(all_time, 0.015) - want) <= tol
    assert (d30 <= all_time).all() and (d30 >= 0).all()


# -- the monthly hub ---------------------------------------------------------------------------------

def test_generate_hub_is_deterministic(hub) -> None:
    same = generate_hub(n_models=4000, seed=7)
    other = generate_hub(n_models=4000, seed=8)
    assert same.table(23).equals(hub.table(23)) and same.truth().equals(hub.truth())
    assert same.records(5) == hub.records(5)
    assert not other.table(23).equals(hub.table(23))


# sha256 over every field of build_population(profile, 3000, 7, "2025-12-31") (arrays with dtype and shape, the
# licence list, the scalars), every column of the hub-stats table of each of its 46 months (0 = 2022-03) and the
# last month's staging table, taken on 4d85516 (before build_population was split into steps). Benchmarks and
# test thresholds are comparable across commits only while this holds: a change to the profile, to a draw or to
# the order of the draws moves it, and must say so and update it.
GENERATOR_DIGEST = "c8465a365f14234c5962508fba7bea75ac2878c2972c30d446977be33cde6703"


def test_generator_output_is_pinned() -> None:
    import hashlib

    from modelcensus.sources.synthetic.columns import Universe
    from modelcensus.sources.synthetic.population import build_population

    pop = build_population(load_profile(), 3_000, 7, "2025-12-31")
    digest = hashlib.sha256()
    for name, value in sorted(vars(pop).items()):
        if name == "profile":
            continue
        if isinstance(value, np.ndarray):
            digest.update(f"{name} {value.dtype} {value.shape}".encode() + np.ascontiguousarray(value).tobytes())
        else:
            digest.update(f"{name} {value!r}".encode())
    uni = Universe.build(pop)
    last = int(pop.month_index(pop.end))
    assert last == 45
    for month in range(last + 1):
        for col in uni.hubstats_table(uni.alive(month), month).columns:
            digest.update(repr(col.to_pylist()).encode())
    for col in uni.staging_table(uni.alive(last), last).columns:
        digest.update(repr(col.to_pylist()).encode())
    assert digest.hexdigest() == GENERATOR_DIGEST


def test_generate_hub_rejects_bad_arguments() -> None:
    with pytest.raises(InputError, match="start"):
        generate_hub(n_models=500, start="2024-01-15")
    with pytest.raises(InputError, match="months"):
        generate_hub(n_models=500, months=0)
    with pytest.raises(InputError, match="floor"):
        generate_hub(n_models=500, start="2021-01-01")
    with pytest.raises(InputError, match="date"):
        generate_hub(n_models=500, start="last year")
    with pytest.raises(InputError, match="n_models"):
        generate_hub(n_models=-1)
    with pytest.raises(InputError, match="month"):
        generate_hub(n_models=500, months=3).table(3)


def test_real_families_and_namespaces(truth: pa.Table, hub) -> None:
    con = _con(truth=truth)
    roots = dict(con.execute("SELECT id, root_id FROM truth WHERE official").fetchall())
    # R1 distills: DeepSeek publishes, the base is Llama or Qwen, the teacher is R1
    assert roots["deepseek-ai/DeepSeek-R1-Distill-Llama-8B"] == "meta-llama/Llama-3.1-8B"
    assert roots["deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"] == "Qwen/Qwen2.5-Math-7B"
    assert roots["perplexity-ai/r1-1776"] == "deepseek-ai/DeepSeek-V3"
    teachers = dict(con.execute("SELECT id, teacher_id FROM truth WHERE teacher_id IS NOT NULL").fetchall())
    assert teachers["deepseek-ai/DeepSeek-R1-Distill-Llama-8B"] == "deepseek-ai/DeepSeek-R1"
    countries = {r: c for r, c in con.execute("SELECT DISTINCT root_family, root_country FROM truth "
                                              "WHERE root_family IS NOT NULL").fetchall()}
    assert {"CN", "US", "FR", "AE", "KR", "CA", "GB"} <= set(countries.values())
    assert countries["qwen"] == "CN" and countries["llama"] == "US" and countries["mistral"] == "FR"
    ids = set(hub.table(23)["id"].to_pylist())
    assert {"zai-org/glm-4-9b-chat", "zai-org/GLM-4.5-Air", "CohereLabs/aya-expanse-8b",
            "moonshotai/Kimi-K2-Instruct", "MiniMaxAI/MiniMax-Text-01", "tiiuae/falcon-7b"} <= ids
    rec = {r["id"]: r for r in hub.records(23)}
    qwen = rec["Qwen/Qwen2.5-7B-Instruct"]["config"]
    assert qwen["model_type"] == "qwen2" and qwen["vocab_size"] == 152064
    assert "<|im_start|>" in qwen["tokenizer_config"]["additional_special_tokens"]
    llama = rec["meta-llama/Llama-3.1-8B-Instruct"]
    assert llama["config"]["vocab_size"] == 128256 and llama["gated"] == "manual"
    assert llama["config"]["tokenizer_config"]["bos_token"] == "<|begin_of_text|>"
    assert rec["Qwen/Qwen2.5-7B-Instruct"]["baseModels"] == {"relation": "finetune",
                                                             "models": [{"id": "Qwen/Qwen2.5-7B"}]}


def test_relation_mix_and_depth(hubstats: Path) -> None:
    # the population behind a 20k cross-section: relation fractions and finetune depth like the real trees
    from modelcensus.sources.synthetic.population import RELATIONS, build_population

    pop = build_population(load_profile(), 20_000, 7, "2025-12-31", allow_deletions=False)
    comm = (np.arange(pop.n) >= pop.n_official) & (pop.relation >= 0)
    mix = Counter(RELATIONS[r] for r in pop.relation[comm])
    total = sum(mix.values())
    share = {k: v / total for k, v in mix.items()}
    assert 0.44 <= share["finetune"] <= 0.56
    assert 0.20 <= share["adapter"] <= 0.32
    assert 0.15 <= share["quantized"] <= 0.25
    assert 0.01 <= share["merge"] <= 0.04
    assert share["distill"] > 0 and share["reupload"] > 0
    # finetune depth below the nearest official model, against hf_model_trees_2025 (89/9/2 %)
    R = pop.n_official
    ft = np.flatnonzero(comm & (pop.relation == 0))
    depth = np.ones(len(ft), dtype=int)
    cur = pop.parent[ft]
    while (cur >= R).any():
        depth += cur >= R
        cur = np.where(cur >= R, pop.parent[np.maximum(cur, 0)], -1)
    real = CAL["hf_model_trees_2025"]["finetune_depth"]
    assert abs((depth == 1).mean() - real[1]) < 0.04
    assert abs((depth == 2).mean() - real[2]) < 0.04


def test_parents_predate_their_children(truth: pa.Table) -> None:
    con = _con(truth=truth)
    late = con.execute("""SELECT count(*), count(*) FILTER (WHERE p.created_at > c.created_at)
        FROM truth c JOIN truth p ON p.id IN (c.parent_id, c.parent2_id, c.parent3_id)""").fetchall()[0]
    assert late[0] > 1000 and late[1] == 0


def test_lineage_oddities_are_present(hubstats: Path) -> None:
    con = duckdb.connect()
    t = f"'{hubstats}'"
    ids = f"(SELECT id FROM {t})"
    parents = f"(SELECT id, unnest(baseModels.models).id AS p, baseModels.relation AS rel FROM {t})"
    dangling = con.execute(f"SELECT count(*) FROM {parents} WHERE p NOT IN {ids}").fetchall()[0][0]
    assert dangling > 0
    cycles = con.execute(f"SELECT count(*) FROM {parents} a JOIN {parents} b ON a.p = b.id AND b.p = a.id "
                         "WHERE a.id < b.id").fetchall()[0][0]
    assert cycles == 2
    cross = con.execute(f"""SELECT count(*) FROM {t} WHERE baseModels.relation = 'merge'
        AND len(list_filter(baseModels.models, lambda m: starts_with(m.id, 'meta-llama/')
                                                       OR contains(m.id, '/Llama-'))) > 0
        AND len(list_filter(baseModels.models, lambda m: starts_with(m.id, 'Qwen/')
                                                       OR contains(m.id, '/Qwen'))) > 0""").fetchall()[0][0]
    assert cross > 0  # Llama + Qwen merges
    repack = dict(con.execute(f"SELECT author, count(*) FROM {t} WHERE baseModels.relation = 'quantized' "
                              "GROUP BY 1").fetchall())
    assert {"bartowski", "mradermacher", "mlx-community", "unsloth"} <= set(repack)
    gguf = con.execute(f"SELECT count(*), count(*) FILTER (WHERE json_extract_string(gguf, '$.architecture') "
                       f"IS NOT NULL) FROM {t} WHERE library_name = 'gguf'").fetchall()[0]
    assert gguf[0] > 0 and gguf[0] == gguf[1]
    distills = con.execute(f"SELECT count(*) FROM {t} WHERE id LIKE '%R1-Distill-%' "
                           "AND baseModels IS NOT NULL").fetchall()[0][0]
    assert distills > 0
    mirrors = con.execute(f"""SELECT count(*) FROM {t} a JOIN {t} b
        ON split_part(a.id, '/', 2) = split_part(b.id, '/', 2) AND a.author <> b.author
        WHERE b.author IN ('Qwen', 'meta-llama', 'google', 'mistralai', 'deepseek-ai')""").fetchall()[0][0]
    assert mirrors > 0


def test_undeclared_derivatives_carry_the_family_signature(hub, truth: pa.Table) -> None:
    con = _con(truth=truth, t=hub.table(23))
    rows = con.execute("""
        SELECT t.id, json_extract_string(t.config, '$.model_type'), json_extract(t.config, '$.vocab_size'),
               json_extract_string(r.config, '$.model_type'), json_extract(r.config, '$.vocab_size'), t.baseModels
        FROM t JOIN truth USING (id) JOIN t r ON r.id = truth.root_id
        WHERE NOT truth.declared AND truth.relation IN ('finetune', 'merge', 'distill', 'reupload')
          AND NOT truth.official""").fetchall()
    assert len(rows) >= 20
    for _id, mt, vocab, root_mt, root_vocab, bm in rows:
        assert bm is None
        assert (mt, vocab) == (root_mt, root_vocab)


def test_licence_drift(truth: pa.Table, hub) -> None:
    con = _con(truth=truth, t=hub.table(23))
    drift = con.execute("""
        SELECT count(*) FROM t JOIN truth USING (id) JOIN t r ON r.id = truth.root_id
        WHERE json_extract_string(r.cardData, '$.license') IN ('llama3.1', 'llama3', 'gemma', 'llama2', 'other')
          AND json_extract_string(t.cardData, '$.license') IN ('mit', 'apache-2.0')""").fetchall()[0][0]
    assert drift > 0


def test_downloads_grow_and_deleted_models_vanish(hub, truth: pa.Table) -> None:
    tabs = [hub.table(m).select(["id", "downloads", "downloadsAllTime"]) for m in range(hub.months)]
    con = duckdb.connect()
    for m, t in enumerate(tabs):
        con.register(f"m{m}", t)
    union = " UNION ALL ".join(f"SELECT {m} AS m, * FROM m{m}" for m in range(hub.months))
    bad, varying = con.execute(f"""
        SELECT count(*) FILTER (WHERE downloadsAllTime < prev),
               count(DISTINCT id) FILTER (WHERE downloads <> prev30)
        FROM (SELECT *, lag(downloadsAllTime) OVER w AS prev, lag(downloads) OVER w AS prev30
              FROM ({union}) WINDOW w AS (PARTITION BY id ORDER BY m))""").fetchall()[0]
    assert bad == 0
    assert varying > 100
    con.register("truth", truth)
    gone = con.execute("SELECT id, deleted_at FROM truth WHERE deleted_at IS NOT NULL").fetchall()
    assert len(gone) > 20
    for m in (5, 23):
        observed = hub.observed_at(m)
        present = set(tabs[m]["id"].to_pylist())
        deleted_by_then = {i for i, d in gone if d <= observed}
        assert deleted_by_then and not (deleted_by_then & present)
    # some model is visible, then gone
    renamed = {r["id"] for r in truth.filter(truth["official"]).to_pylist() if r["id"] != r["renamed_to"]}
    seen_then_gone = set(tabs[0]["id"].to_pylist()) - set(tabs[23]["id"].to_pylist()) - renamed
    assert seen_then_gone and all(i in {g for g, _ in gone} for i in seen_then_gone)


def test_chinese_roots_overtake_us_roots(hub, truth: pa.Table) -> None:
    con = _con(truth=truth)
    share = dict(con.execute("""
        SELECT created_at >= TIMESTAMPTZ '2025-07-01',
               count(*) FILTER (WHERE root_country = 'CN') / count(*) FILTER (WHERE root_country = 'US')
        FROM truth WHERE relation IS NOT NULL AND NOT official
          AND created_at >= TIMESTAMPTZ '2024-01-01'
          AND (created_at < TIMESTAMPTZ '2024-07-01' OR created_at >= TIMESTAMPTZ '2025-07-01')
        GROUP BY 1""").fetchall())
    assert share[False] < 0.6 < 1.2 < share[True]  # new derivatives: US-rooted early 2024, CN-rooted late 2025
    by_month = []
    for m in (0, 23):
        con.register("t", hub.table(m))
        by_month.append(con.execute("""SELECT sum(downloads) FILTER (WHERE root_country = 'CN'),
                                              sum(downloads) FILTER (WHERE root_country = 'US')
                                       FROM t JOIN truth USING (id)""").fetchall()[0])
    (cn0, us0), (cn1, us1) = by_month
    assert cn0 < 0.1 * us0 and cn1 > us1


# -- into the store ----------------------------------------------------------------------------------

def test_load_series_marks_snapshots_synthetic_and_is_idempotent(store: Store) -> None:
    small = generate_hub(n_models=1500, seed=3, months=4, start="2025-03-01")
    snaps = load_series(store, small)
    assert [s.observed_at.strftime("%Y-%m-%d") for s in snaps] == ["2025-03-31", "2025-04-30", "2025-05-31",
                                                                  "2025-06-30"]
    for m, s in enumerate(snaps):
        assert s.synthetic and s.source == "synthetic" and s.source_ref == "synthetic:seed=3,n=1500"
        assert s.notes["synthetic"] is True and s.notes["seed"] == 3
        assert s.row_count == len(small.model_indices(m)) and s.skipped_count == 0
    again = load_series(store, small)
    assert [s.id for s in again] == [s.id for s in snaps]
    assert len(store.snapshots()) == 4
    last = snaps[-1].id
    merges = store.con.execute(
        "SELECT count(*) FROM (SELECT child_id FROM declarations WHERE snapshot_id = ? AND source = 'hub' "
        "GROUP BY child_id HAVING count(DISTINCT parent_id) >= 2)", [last]).fetchall()[0][0]
    assert merges > 0
    licences = store.con.execute("SELECT count(license) FROM models WHERE snapshot_id = ?", [last]).fetchall()
    assert licences[0][0] > 0


def test_store_rows_equal_the_records_path(tmp_path: Path) -> None:
    """The Arrow fast path and Hub records through records.to_staging_row land identically."""
    small = generate_hub(n_models=800, seed=5, months=2, start="2025-11-01")
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        sa = load_series(a, small, months=[1])[0]
        rows = [to_staging_row(r, i) for i, r in enumerate(small.records(1))]
        sb = b.import_tables(SnapshotMeta(source="synthetic", observed_at=small.observed_at(1), synthetic=True),
                             [to_staging_table(rows)]).snapshot
        q = "SELECT * EXCLUDE (snapshot_id) FROM models WHERE snapshot_id = ? ORDER BY id"
        cur_a = a.con.execute(q, [sa.id])
        cols = [d[0] for d in cur_a.description]
        ra, rb = cur_a.fetchall(), b.con.execute(q, [sb.id]).fetchall()
        assert len(ra) == len(rb) == sa.row_count
        json_cols = {cols.index(c) for c in ("config", "gguf", "card_data")}
        for x, y in zip(ra, rb, strict=True):
            for i, (u, v) in enumerate(zip(x, y, strict=True)):
                if i in json_cols:  # JSON text: compare parsed
                    u, v = (json.loads(u) if u else None), (json.loads(v) if v else None)
                assert u == v, (x[0], cols[i], u, v)
        qd = "SELECT child_id, parent_id, relation, source FROM declarations WHERE snapshot_id = ? ORDER BY ALL"
        assert a.con.execute(qd, [sa.id]).fetchall() == b.con.execute(qd, [sb.id]).fetchall()


# -- calibration against the real slices ---------------------------------------------------------------

def test_calibration_2022_snapshot_numbers(shared_data: Path) -> None:
    path = shared_data / "hf_hub_snapshot_2022" / "models_2022-02.jsonl.gz"
    with gzip.open(path, "rt") as fh:
        d = [json.loads(line).get("downloads") for line in fh]
    stats = download_stats(np.array([x for x in d if x is not None]))
    for key, want in CAL["hf_hub_snapshot_2022"].items():
        assert stats[key] == pytest.approx(want, abs=0.0015), key


def test_calibration_model_trees_numbers(shared_data: Path) -> None:
    path = shared_data / "hf_model_trees_2025" / "models_flat.csv.gz"
    latest: dict[str, dict[str, str]] = {}
    with gzip.open(path, "rt") as fh:
        for row in csv.DictReader(fh):
            old = latest.get(row["model_id"])
            if old is None or row["snapshot_yyyymmdd"] > old["snapshot_yyyymmdd"]:
                latest[row["model_id"]] = row
    rows = list(latest.values())
    derivs = [r for r in rows if r["depth"] != "0"]
    want = CAL["hf_model_trees_2025"]
    zero = np.mean([float(r["downloads"] or 0) == 0 for r in derivs])
    assert zero == pytest.approx(want["derivative_zero_share"], abs=0.0015)
    depth = Counter(int(r["depth"]) for r in derivs)
    for k, v in want["finetune_depth"].items():
        assert depth[int(k)] / len(derivs) == pytest.approx(v, abs=0.0015)
    assert np.mean([not r["base_models"] for r in derivs]) == pytest.approx(want["undeclared_share"], abs=0.0015)
    assert np.mean([not r["license"] for r in rows]) == pytest.approx(want["license_missing"], abs=0.0015)


def test_ids_are_valid_hub_ids(hubstats: Path) -> None:
    ids = pq.read_table(hubstats, columns=["id"])["id"]
    ok = pc.match_substring_regex(ids, r"^[A-Za-z0-9][A-Za-z0-9._\-]*/[A-Za-z0-9._\-]+$")
    assert pc.all(ok).as_py()
    assert pc.max(pc.utf8_length(ids)).as_py() <= 96
