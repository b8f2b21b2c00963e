"""Validation on the real slices in ../shared/data: trees, Model Atlas annotations, leaderboard bases.

The files are parsed here with ``records.to_staging_row`` (independent of the ingest module) and go
through the real staging path. Coverage figures are printed (``pytest -s``) and asserted with
thresholds just under what was measured, so a regression shows.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelcensus.lineage import ensure_lineage
from modelcensus.lineage.registry import load_registry_cached
from modelcensus.sources.records import to_staging_row, to_staging_table
from modelcensus.store import Store
from modelcensus.store.staging import ID_PATTERN
from modelcensus.store.store import SnapshotMeta

pytestmark = pytest.mark.shared
VALID = re.compile(ID_PATTERN)
csv.field_size_limit(1 << 30)


def _import(store: Store, records: list[dict], ref: str, observed: datetime) -> int:
    rows = [to_staging_row(r, i) for i, r in enumerate(records)]
    res = store.import_tables(SnapshotMeta(source="flat-file", observed_at=observed, source_ref=ref),
                              [to_staging_table(rows)])
    return res.snapshot.id


def _stamp(name: str) -> str:
    m = re.search(r"(\d{8})_(\d{6})", name)
    return m.group(1) + m.group(2) if m else ""


def _tree_files(shared: Path) -> dict[str, tuple[Path, list[dict]]]:
    """The latest file of each tree: tree root id -> (file, rows)."""
    latest: dict[str, tuple[Path, list[dict]]] = {}
    for f in sorted((shared / "hf_model_trees_2025" / "raw").glob("*finetunes*.csv.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        roots = [r["model_id"] for r in rows if str(r.get("depth")) == "0"]
        if not roots:
            continue
        if roots[0] not in latest or _stamp(f.name) > _stamp(latest[roots[0]][0].name):
            latest[roots[0]] = (f, rows)
    return latest


def _record(row: dict) -> dict:
    try:
        md = json.loads(row["metadata"])
    except (ValueError, TypeError):
        md = {}
    md = md if isinstance(md, dict) else {}
    md.setdefault("id", row["model_id"])
    if row.get("card"):
        md["card"] = row["card"]
    return md


@pytest.fixture(scope="module")
def shared_root() -> Path:
    """../shared/data, module-scoped (the same location and skip as the ``shared_data`` fixture)."""
    path = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"real data slices not found at {path} (clone with ../shared beside the repo)")
    return path


@pytest.fixture(scope="module")
def trees(shared_root):
    """One snapshot per tree (its latest scrape) plus one of all of them together."""
    reg = load_registry_cached()
    store = Store(":memory:")
    latest = _tree_files(shared_root)
    per_tree, every = {}, []
    for root, (f, rows) in sorted(latest.items()):
        recs = [_record(r) for r in rows]
        every += recs
        day = datetime.strptime(_stamp(f.name)[:8], "%Y%m%d").replace(tzinfo=UTC)
        sid = _import(store, recs, f.name, day)
        per_tree[root] = (sid, ensure_lineage(store, sid, reg))
    sid_all = _import(store, every, "all trees, latest scrape each", datetime(2025, 4, 30, tzinfo=UTC))
    overall = ensure_lineage(store, sid_all, reg)
    yield store, per_tree, (sid_all, overall)
    store.close()


def test_every_tree_node_resolves_to_the_tree_root(trees):
    store, per_tree, _ = trees
    agree = total = contradicted = 0
    for root, (sid, _stats) in per_tree.items():
        root_roots = [r[0] for r in store.con.execute(
            "SELECT o.root_id FROM origins o JOIN models m ON m.snapshot_id = o.snapshot_id AND m.id = o.model_id "
            "WHERE o.snapshot_id = ? AND m.id_lower = lower(?)", [sid, root]).fetchall()]
        assert root_roots, root
        # a node whose declared base its config rules out (issue 9: a Qwen2 or BERT model declaring DeepSeek-R1)
        # is rooted through its own family on purpose: not counted against the tree
        n, ok, contra = store.con.execute(
            "SELECT count(DISTINCT model_id) FILTER (WHERE NOT list_contains(problems, "
            "'declared_base_contradicts_config')), count(DISTINCT model_id) FILTER (WHERE root_id IN "
            "(SELECT unnest(?)) AND NOT list_contains(problems, 'declared_base_contradicts_config')), "
            "count(DISTINCT model_id) FILTER (WHERE list_contains(problems, 'declared_base_contradicts_config')) "
            "FROM origins WHERE snapshot_id = ?", [root_roots, sid]).fetchall()[0]
        agree, total, contradicted = agree + ok, total + n, contradicted + contra
    print(f"\ntree nodes resolving to their tree's root: {agree}/{total} = {agree / total:.4f} "
          f"({contradicted} nodes whose declared base the config contradicts left out)")
    assert total > 1900
    assert agree / total >= 0.995  # measured 0.9969: the rest are merges with a second, foreign parent


def test_root_country_coverage(trees):
    store, per_tree, (sid_all, overall) = trees
    print("\ntree (latest scrape) | models | root country: share of models | share of 30-day downloads")
    for root, (_sid, st) in per_tree.items():
        cov = st["coverage"]
        dl = cov["root_country_downloads_30d"]
        print(f"{root} | {st['models']} | {cov['root_country_models']:.3f} | {'n/a' if dl is None else f'{dl:.3f}'}")
    cov = overall["coverage"]
    llm_dl, llm_n = store.con.execute("""
        SELECT sum(o.weight * m.downloads_30d) FILTER (WHERE o.root_country IS NOT NULL)
                 / sum(o.weight * m.downloads_30d),
               count(DISTINCT m.id)
        FROM origins o JOIN models m ON m.snapshot_id = o.snapshot_id AND m.id = o.model_id
        WHERE o.snapshot_id = ? AND m.pipeline_tag = 'text-generation'""", [sid_all]).fetchall()[0]
    print(f"overall: {overall['models']} models, root country for {cov['root_country_models']:.4f} of models and "
          f"{cov['root_country_downloads_30d']:.4f} of downloads; text-generation ({llm_n} models): "
          f"{llm_dl:.4f} of downloads")
    assert overall["models"] > 1900
    assert cov["root_country_models"] >= 0.97          # measured 0.9765
    assert llm_dl >= 0.95                               # measured 0.984
    # LLM trees rooted at labs with a known country are fully attributed
    for root in ("meta-llama/Llama-2-7b-chat-hf", "perplexity-ai/r1-1776", "mistralai/Mistral-Small-24B-Base-2501"):
        assert per_tree[root][1]["coverage"]["root_country_downloads_30d"] == pytest.approx(1.0)
    # r1-1776's tree roots in DeepSeek (CN) although its publisher is US
    sid = per_tree["perplexity-ai/r1-1776"][0]
    assert store.con.execute("SELECT DISTINCT root_country, publisher_country FROM origins WHERE snapshot_id = ? "
                             "AND model_id = 'perplexity-ai/r1-1776'", [sid]).fetchall() == [("CN", "US")]


def test_both_look_up_forms_give_the_same_origins_on_the_real_trees(trees):
    """Labelled first (review9 R9-2): on the real trees store (one snapshot per tree plus one of all, so ~27
    snapshots), the id-alone look-up and the one-WHERE look-up give the same origin document for every model
    asked, in every snapshot (the store picks one form by its snapshot count; both must agree), and so does the
    one-WHERE form once the look-up indexes are dropped (a store past their memory budget)."""
    import importlib

    from modelcensus.lineage import origin

    mod = importlib.import_module("modelcensus.lineage.origin")
    store, per_tree, (sid_all, _) = trees
    reg = load_registry_cached()
    pairs = store.con.execute("SELECT snapshot_id, model_id FROM (SELECT DISTINCT snapshot_id, model_id FROM "
                              "origins) ORDER BY hash(snapshot_id, model_id) LIMIT 200").fetchall()
    assert len({sid for sid, _m in pairs}) > 10
    docs = {}
    for id_alone in (True, False):
        mod._FORMS[store] = id_alone
        docs[id_alone] = [origin(store, m, snapshot=sid, registry=reg) for sid, m in pairs]
    # and without the look-up indexes, as a store past their memory budget is (row-group scans only)
    from modelcensus.store.lineage_tables import LOOKUP_INDEXES, create_lookup_indexes, drop_lookup_indexes

    drop_lookup_indexes(store)
    try:
        assert not set(LOOKUP_INDEXES) & {r[0] for r in store.con.execute(
            "SELECT index_name FROM duckdb_indexes()").fetchall()}
        mod._FORMS[store] = False
        docs["no index"] = [origin(store, m, snapshot=sid, registry=reg) for sid, m in pairs]
    finally:
        create_lookup_indexes(store)
    mod._FORMS.pop(store, None)
    assert docs[True] == docs[False] == docs["no index"]
    assert all(d["roots"] for d in docs[True]) and {d["snapshot"]["id"] for d in docs[True]} == {s for s, _ in pairs}


def _reference_roots(store: Store, sid: int) -> dict[str, dict[str, float]]:
    """Roots by a memoised Python walk over the stored structural edges (the SQL result's oracle)."""
    parents: dict[str, list[str]] = defaultdict(list)
    for c, p in store.con.execute("SELECT child_id, parent_id FROM edges WHERE snapshot_id = ? AND structural "
                                  "AND child_id <> parent_id", [sid]).fetchall():
        parents[c].append(p)
    memo: dict[str, dict[str, float]] = {}

    def walk(n: str, stack: frozenset) -> dict[str, float]:
        if n in memo:
            return memo[n]
        ps = list(dict.fromkeys(parents.get(n, [])))
        assert n not in stack, f"cycle at {n}"
        if not ps:
            memo[n] = {n: 1.0}
            return memo[n]
        acc: dict[str, float] = defaultdict(float)
        for p in ps:
            for r, w in walk(p, stack | {n}).items():
                acc[r] += w / len(ps)
        memo[n] = dict(acc)
        return memo[n]

    models = [r[0] for r in store.con.execute("SELECT id FROM models WHERE snapshot_id = ?", [sid]).fetchall()]
    return {m: walk(m, frozenset()) for m in models}


def _sql_roots(store: Store, sid: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for m, r, w in store.con.execute("SELECT model_id, root_id, weight FROM origins WHERE snapshot_id = ?",
                                     [sid]).fetchall():
        out[m][r] = w
    return out


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-9 for k in a)


def _edge_snapshot(store: Store, parents: dict[str, list[str]], ref: str, extra: set[str] = frozenset()) -> int:
    """A snapshot whose models declare ``parents`` in their cards (one spelling per id, valid ids only)."""
    spelled: dict[str, str] = {}
    for i in sorted(set(parents) | set(extra) | {p for ps in parents.values() for p in ps}):
        if VALID.match(i) and len(i) <= 256:
            spelled.setdefault(i.lower(), i)
    recs = []
    for _low, mid in sorted(spelled.items()):
        ps = [p for p in parents.get(mid, []) if p.lower() in spelled]
        recs.append({"id": mid, **({"cardData": {"base_model": ps}} if ps else {})})
    return _import(store, recs, ref, datetime(2025, 1, 9, tzinfo=UTC))


@pytest.fixture(scope="module")
def side_store():
    s = Store(":memory:")
    yield s
    s.close()


def test_model_atlas_manual_annotations_merges_give_several_roots(shared_data, side_store):
    parents: dict[str, list[str]] = defaultdict(list)
    with open(shared_data / "model_atlas_lineage" / "manually_annotated_v6.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            parents[r["current_model"].strip()] += [p.strip() for p in r["base_model"].split(",") if p.strip()]
    sid = _edge_snapshot(side_store, parents, "atlas manual v6")
    ensure_lineage(side_store, sid, load_registry_cached())
    got, ref = _sql_roots(side_store, sid), _reference_roots(side_store, sid)
    assert all(_same(got[m], ref[m]) for m in ref)
    merges = [m for m, ps in parents.items() if len({p.lower() for p in ps} - {m.lower()}) >= 2]
    multi = [m for m in merges if len(got.get(m, {})) >= 2]
    print(f"\natlas manual: {len(merges)} merges, {len(multi)} with several roots")
    # measured 69 of 78; the others merge siblings of one base. (72 before generation mentions were read anywhere
    # in a name: three merges of Llama 3 / Llama 2 bodies also had a wrong Llama-3.1-8B root, e.g. L3-8B-Lunaris)
    assert len(multi) >= 69
    assert set(got["Sao10K/L3-8B-Lunaris-v1"]) == {"meta-llama/Meta-Llama-3-8B"}
    w = side_store.con.execute("SELECT max(abs(s - 1)) FROM (SELECT sum(weight) AS s FROM origins "
                               "WHERE snapshot_id = ? GROUP BY model_id)", [sid]).fetchall()[0][0]
    assert w < 1e-9


def test_model_atlas_card_edges_match_a_reference_walk(shared_data, side_store):
    parents: dict[str, list[str]] = defaultdict(list)
    with open(shared_data / "model_atlas_lineage" / "model_cards_extracted_parent_model_clean.csv",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["base_model"].strip():
                parents[r["id"].strip()].append(r["base_model"].strip())
    sid = _edge_snapshot(side_store, parents, "atlas card edges")
    st = ensure_lineage(side_store, sid, load_registry_cached())
    got, ref = _sql_roots(side_store, sid), _reference_roots(side_store, sid)
    bad = [m for m in ref if not _same(got[m], ref[m])]
    assert not bad, bad[:5]
    declared = side_store.con.execute("SELECT count(*) FROM edges WHERE snapshot_id = ? AND NOT inferred",
                                      [sid]).fetchall()[0][0]
    print(f"\natlas card edges: {st['models']} models, {declared} declared edges, roots {st['roots']}")
    assert declared > 10_000  # measured 10,223 resolvable card edges


def test_leaderboard_base_models(shared_data, side_store):
    parents: dict[str, list[str]] = {}
    arch: dict[str, str] = {}
    with open(shared_data / "llm_leaderboards_fboulnois" / "huggingface_v2_2025-03-21.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            m, b = r["model_name"].strip(), r["metadata_base_model"].strip()
            arch[m] = r["model_architecture"]
            if b and b.lower() != m.lower():
                parents[m] = [b]
    reg = load_registry_cached()
    sid = _edge_snapshot(side_store, parents, "open llm leaderboard v2", set(arch))
    ensure_lineage(side_store, sid, reg)
    got, ref = _sql_roots(side_store, sid), _reference_roots(side_store, sid)
    assert all(_same(got[m], ref[m]) for m in ref)
    # root agreement with the model's own architecture: a single root at a lab whose families list it
    fam_arch: dict[str, set[str]] = defaultdict(set)
    for f in reg.families:
        fam_arch[f.root_org] |= set(f.signature.architectures)
    rows = side_store.con.execute("""
        SELECT o.model_id, n.org_key FROM origins o
        JOIN reg_namespaces n ON n.namespace_lower = lower(split_part(o.root_id, '/', 1))
        WHERE o.snapshot_id = ? AND o.depth > 0 AND o.weight = 1 AND o.grade IN ('declared', 'hub', 'tag')
    """, [sid]).fetchall() if _has_reg_tables(side_store) else []
    judged = [(m, k) for m, k in rows if fam_arch.get(k)]
    ok = sum(arch.get(m) in fam_arch[k] for m, k in judged)
    print(f"\nleaderboard v2: {len(parents)} models declare a base; declared root's lab lists the model's "
          f"architecture for {ok}/{len(judged)}")
    assert len(judged) > 500 and ok / len(judged) >= 0.85  # measured 538/594 = 0.906


def _has_reg_tables(store: Store) -> bool:
    return bool(store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'reg_namespaces'"
                                  ).fetchall()[0][0])
