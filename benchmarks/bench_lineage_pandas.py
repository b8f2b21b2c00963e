"""Benchmark (issue 12): the lineage build against a pandas + networkx implementation of its core rules.

    .venv/bin/python benchmarks/bench_lineage_pandas.py --check 20000             # agreement of the baseline
    .venv/bin/python benchmarks/bench_lineage_pandas.py --sizes 200000,1000000 --pairs 2 [--workdir DIR]

The goal of issue 12: the whole lineage build (edges, roots, origins) at least 20x faster than a pandas +
networkx implementation of the same rules, measured side by side. The baseline below is written the way an
analyst would: vectorised pandas (string methods, ``map`` look-ups, ``merge``, ``groupby``), networkx for the
graph walk, the registry read through ``modelcensus.api.load_registry()`` and its regexes reused as written.
DuckDB only LOADS the ``models`` and ``declarations`` tables into pandas; loading is timed on its own.

Rules the baseline implements (each as ``lineage/edges_*.py`` and ``build.py`` state it):

1. tier 1, declared edges from ``declarations``: parents of the strongest source only (card > Hub baseModels
   or ``base_model:<relation>:`` tag > plain tag); parent ids resolved to the stored spelling
   case-insensitively, through the registry's legacy aliases (``gpt2``) and renamed namespaces (``THUDM``);
   a parent that is neither resolved, an alias, nor a well-formed Hub id (``names.HUB_ID`` and its extra
   checks) dropped; self-declarations dropped; a dangling parent kept under its declared id (one spelling
   per lower-cased id); the relation (card's, else the Hub's for that parent, else the Hub's for the child,
   else merge for >= 2 parents, else quantized (format tag, format suffix, ``quantization_config``), else
   adapter (``adapter_config.json``, peft), else finetune) and the grade (declared / hub / tag);
2. tier 2, by name: a format conversion (format suffix or tag, no tier-1 edge) of the only same-named model
   without a marker; a re-uploader's copy (a registry ``intermediary`` namespace, observed without a
   declaration, or a dangling declared parent) mapped to the only same-named model of a registry-known
   non-intermediary namespace, else to the only registry family root of that name; a converted or
   re-uploaded name that starts with an organisation's namespace mapped to ``<namespace>/<rest>``;
   conversion before re-upload (kind rank);
3. tier 3, family name patterns: for a model (or dangling re-upload) with no tier-1 or tier-2 edge that is
   not a family root, the registry's name patterns applied to the name the SQL sees (name without format
   suffix, the student part of a distill name that states a size, format words removed); exactly one family
   matching -> an edge to that family's first listed root the snapshot holds (else its first listed root),
   unless the publisher is the family's own organisation;
4. structural edges: each child's strongest tier only (inside tier 2 its strongest kind);
5. roots: networkx DiGraph, edges inside a strongly connected component dropped (cycles broken), every root
   reachable by structural edges with weight 1/k per parent multiplied along paths (topological order);
   a model without structural parents is its own root; referenced-only nodes get no origin row;
6. origins: publisher namespace (the id's, else the alias's canonical id's) -> organisation, country and
   type through the registry's namespace table (renamed namespaces included); the same for every root.

NOT implemented (the modelcensus build does all of it, so the ratio it is compared on is a LOWER BOUND):
the config contradiction checks (A-E) and the teacher it records; GGUF ``general.base_model`` declarations;
the invalid-card-value problem rows; the stated-bases list; card-text rules (continued pretraining,
"distilled from"); teachers (distill names, the teacher list, trace datasets) and the tier-4 distillation
edges; re-uploads by config signature and by same declared base; the family config/tokenizer signatures and
scoring (a name pattern is the only family evidence here, so a tie is any two matching families); the
checkpoint choice (generation, size, distill series) and the ``series_by_config`` rule; per-root depth and
weakest grade, root family, evidence texts, problems; writing ``edges``/``origins`` to a store (the baseline
keeps its frames in memory); the indexes.

Measured (``--sizes``): a store per size built once from ``write_hubstats_parquet`` (seed 7) through
``api.import_path`` and cached in ``--workdir``; then per size ``--pairs`` alternating pairs of fresh
processes (``_common.run_child``: process wall time, CPU time, peak RSS): modelcensus ``api.ensure_lineage``
on a fresh copy of the store at default settings, and this baseline on the same store (read only). Each
child also times its own stages. Ratios use the best run of each side. ``--check N``: on an N-model store,
the baseline's roots per model against modelcensus's ``origins``, for models whose structural evidence in
modelcensus is tier 1 declared, or a family name pattern. Results: ``benchmarks/results/lineage_pandas.json``
and a section appended to ``benchmarks/RESULTS.md``. All input is SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import loadavg, machine, peak_rss_bytes, run_child  # noqa: E402

RESULTS_JSON = HERE / "results" / "lineage_pandas.json"
RESULTS_MD = HERE / "RESULTS.md"
SEED = 7
RELATIONS = ("finetune", "adapter", "quantized", "merge")
ORG_PREFIXES = (r"^([a-z0-9.]+)(?:_-_|[-_])", r"^([a-z0-9.]+[-_][a-z0-9.]+)(?:_-_|[-_])",
                r"^([a-z0-9.]+[-_][a-z0-9.]+[-_][a-z0-9.]+)(?:_-_|[-_])")


# ================================================================== the baseline: pandas + networkx
class Timer:
    """Wall time of each named stage of one run."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(self.stages.get(name, 0.0) + now - self._t, 3)
        self._t = now


def _arrow_frame(table: Any) -> Any:
    """pandas with the pyarrow dtype backend: with pandas 3's default ``str`` columns ``isin`` took 6-8 s
    per 200K-row call (a Python loop over the values) and ``groupby().min()`` on object columns 27 s."""
    import pandas as pd

    return table.to_pandas(types_mapper=pd.ArrowDtype)


def load_tables(db: str) -> tuple[Any, Any]:
    """DuckDB's only job: the latest snapshot's ``models`` (the columns the rules read) and ``declarations``."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    sid = con.execute("SELECT max(id) FROM snapshots WHERE complete").fetchall()[0][0]
    models = _arrow_frame(con.sql("SELECT id, id_lower, tags, files, library_name, CAST(config AS VARCHAR) "
                                  f"AS config FROM models WHERE snapshot_id = {int(sid)}").to_arrow_table())
    decl = _arrow_frame(con.sql("SELECT child_id, parent_id, relation, source FROM declarations "
                                f"WHERE snapshot_id = {int(sid)}").to_arrow_table())
    con.close()
    return models, decl


def _quiet_pandas() -> None:
    """pandas warns that a pattern with groups in ``str.contains`` does not return them: we only test."""
    import warnings

    warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression")


def _b(mask: Any) -> Any:
    """A nullable boolean column as a plain mask (a missing value is False)."""
    return mask.fillna(False).astype(bool)


def _str(s: Any) -> Any:
    import pandas as pd
    import pyarrow as pa

    return s.astype(pd.ArrowDtype(pa.string()))


def _smap(s: Any, mapping: Any) -> Any:
    """``s.map(mapping)`` as a string column (an all-missing result would otherwise be float)."""
    return _str(s.map(mapping))


def _ns_lower(ids: Any) -> Any:
    return ids.str.replace(r"/.*$", "", regex=True).str.lower().where(_b(ids.str.contains("/", regex=False)))


def _name(ids: Any) -> Any:
    return ids.str.replace(r"^[^/]*/", "", regex=True)


class Registry:
    """The registry as pandas look-ups (from ``api.load_registry()``)."""

    def __init__(self, reg: Any) -> None:
        from modelcensus.lineage.registry_match import unsafe_regex_reason

        t = {k: _arrow_frame(v) for k, v in reg.tables().items()}
        self.ns = t["reg_namespaces"].set_index("namespace_lower")
        self.ns_type = self.ns["org_type"]
        self.renamed = self.ns["renamed_to"].dropna().str.lower()
        self.alias = t["reg_model_aliases"].set_index("model_id_lower")["canonical_id"]
        self.alias_lower = self.alias.str.lower()
        self.alias_ns = self.alias.str.replace(r"/.*$", "", regex=True)
        self.fam_roots = t["reg_family_roots"]
        self.fam_root_org = t["reg_families"].set_index("family")["root_org"]
        safe = {f.key: [p for p in f.name_patterns if unsafe_regex_reason(p) is None] for f in reg.families}
        self.patterns = {k: "(?i)" + "|".join(f"(?:{p})" for p in ps) for k, ps in safe.items() if ps}
        self.fam_order = [(f.key, i, mid) for f in reg.families for i, mid in enumerate(f.root_models)]


class Ids:
    """Id resolution: the stored spelling of an id, case-insensitively, through aliases and renames."""

    def __init__(self, models: Any, reg: Registry) -> None:
        self.reg = reg
        self.by_lower = models.groupby("id_lower")["id"].min()
        self.by_canon = models["id"].groupby(self.canon(models["id"])).min()

    def canon(self, ids: Any) -> Any:
        low = ids.str.lower()
        renamed = _smap(_ns_lower(ids), self.reg.renamed) + "/" + _name(low)
        return _smap(low, self.reg.alias_lower).fillna(renamed).fillna(low)

    def resolve(self, ids: Any) -> Any:
        return _smap(ids.str.lower(), self.by_lower).fillna(_smap(self.canon(ids), self.by_canon))


def name_frame(models: Any) -> Any:
    """Per model: namespace, name, name without format suffix (lower and cased), format tag, quantization."""
    import pandas as pd

    from modelcensus.lineage.names import FORMAT_SUFFIX, FORMAT_TAGS

    name = _name(models["id"])
    tags = models["tags"].explode()
    files = models["files"].explode()
    return pd.DataFrame({
        "id": models["id"], "id_lower": models["id_lower"], "ns_lower": _ns_lower(models["id"]),
        "name_lower": name.str.lower(), "base_name": name.str.lower().str.replace(FORMAT_SUFFIX, "", regex=True),
        "base_cased": name.str.replace(FORMAT_SUFFIX, "", regex=True),
        "has_tag": _b(tags.isin(FORMAT_TAGS)).groupby(level=0).any(),
        "quant_tag": _b(tags.isin(["gguf", "awq", "gptq", "exl2", "bitsandbytes"])).groupby(level=0).any(),
        "peft": _b(tags == "peft").groupby(level=0).any() | _b(models["library_name"] == "peft")
        | _b(files == "adapter_config.json").groupby(level=0).any(),
        "has_quant": _b(models["config"].str.contains('"quantization_config"', regex=False)),
    })


def valid_hub_id(s: Any) -> Any:
    from modelcensus.lineage.names import HUB_ID

    return (_b(s.str.fullmatch(HUB_ID)) & ~_b(s.str.contains("--", regex=False))
            & ~_b(s.str.contains("..", regex=False)) & ~_b(s.str.contains(r"[-.]$"))
            & ~_b(s.str.contains(r"[-.]/")))


def declared_edges(decl: Any, names: Any, ids: Ids) -> Any:
    """Tier 1: the strongest source's parents, resolved and validated, with the Hub's relation rules."""
    import numpy as np
    import pandas as pd

    d = decl[_b(decl["child_id"].isin(names["id"]))].copy()
    low_rel = d["relation"].str.lower()
    d["rel"] = low_rel.where(_b(low_rel.isin(RELATIONS)))
    d["src_rank"] = np.select([_b(d["source"] == "card").to_numpy(),
                               (_b(d["source"] == "hub") | (_b(d["source"] == "tag") & d["relation"].notna()))
                               .to_numpy()], [0, 1], 2)
    resolved = ids.resolve(d["parent_id"])
    alias = _smap(d["parent_id"].str.lower(), ids.reg.alias)
    valid = resolved.notna() | alias.notna()
    valid[~valid] = valid_hub_id(d.loc[~valid, "parent_id"])
    d["parent"] = resolved.fillna(alias).fillna(d["parent_id"])
    d["present"] = resolved.notna()
    d = d[valid & _b(d["parent"].str.lower() != d["child_id"].str.lower())]
    best = d[d["src_rank"] == d.groupby("child_id")["src_rank"].transform("min")]   # strongest source only
    chosen = best.groupby(["child_id", "parent"], as_index=False).agg(
        present=("present", "any"), src_rank=("src_rank", "min"))
    any_rel = d[d["rel"].notna() & (d["src_rank"] > 0)].groupby(["child_id", "parent"])["rel"].min()
    card_rel = d[d["src_rank"] == 0].groupby("child_id")["rel"].min()
    hub_rel = d[d["src_rank"] > 0].groupby("child_id")["rel"].min()
    k = chosen.groupby("child_id")["parent"].transform("size")
    feat = names.set_index("id").loc[chosen["child_id"]]
    fallback = np.select(
        [k.to_numpy() >= 2, (feat["quant_tag"] | _b(feat["base_name"] != feat["name_lower"]) | feat["has_quant"])
         .to_numpy(), feat["peft"].to_numpy()], ["merge", "quantized", "adapter"], "finetune")
    pair = pd.MultiIndex.from_frame(chosen[["child_id", "parent"]])
    chosen["relation"] = (_smap(chosen["child_id"], card_rel)
                          .fillna(pd.Series(_str(any_rel.reindex(pair)).to_numpy(), index=chosen.index))
                          .fillna(_smap(chosen["child_id"], hub_rel))
                          .fillna(pd.Series(fallback, index=chosen.index)))
    chosen["grade"] = chosen["src_rank"].map({0: "declared", 1: "hub", 2: "tag"})
    chosen["tier"], chosen["kind"] = 1, 0
    return chosen.rename(columns={"child_id": "child"})


def _marked(frame: Any) -> Any:
    """A format marker: a format suffix on the name, or a format tag."""
    return _b(frame["base_name"] != frame["name_lower"]) | frame["has_tag"]


def conversion_edges(names: Any, tier1: Any) -> Any:
    """Tier 2, kind 1: a repo with a format marker and the only same-named model without one."""
    fmt = _marked(names)
    conv = names[fmt & _b(names["base_name"] != "") & ~_b(names["id"].isin(tier1))]
    orig = names[~fmt].groupby("name_lower")["id"].agg(["size", "min"])
    orig = orig[orig["size"] == 1]["min"]
    e = conv.assign(parent=_smap(conv["base_name"], orig)).dropna(subset=["parent"])
    return e.assign(child=e["id"], relation="conversion", grade="name", tier=2, kind=1)[
        ["child", "parent", "relation", "grade", "tier", "kind"]]


def reupload_nodes(names: Any, tier1_edges: Any, skip: Any, reg: Registry) -> tuple[Any, Any]:
    """Observed intermediary uploads and format-marked repos left undeclared, and dangling intermediary parents."""
    import pandas as pd

    from modelcensus.lineage.names import FORMAT_SUFFIX

    fmt = _marked(names)
    interm = _b(names["ns_lower"].map(reg.ns_type) == "intermediary")
    obs = names[(interm | fmt) & ~_b(names["id"].isin(skip))].assign(fmt=fmt, interm=interm)
    dang = tier1_edges.loc[~tier1_edges["present"] & _b(tier1_edges["parent"].str.contains("/", regex=False)),
                           "parent"].drop_duplicates()
    dang = dang[_b(_ns_lower(dang).map(reg.ns_type) == "intermediary")]
    nm = _name(dang)
    ref = pd.DataFrame({"id": dang, "ns_lower": _ns_lower(dang), "name_lower": nm.str.lower(),
                        "base_name": nm.str.lower().str.replace(FORMAT_SUFFIX, "", regex=True),
                        "base_cased": nm.str.replace(FORMAT_SUFFIX, "", regex=True)})
    ref["fmt"], ref["interm"] = _b(ref["base_name"] != ref["name_lower"]), True
    cols = ["id", "ns_lower", "name_lower", "base_name", "base_cased", "fmt", "interm"]
    return pd.concat([obs[cols], ref[cols]], ignore_index=True), ref


def reuploader_edges(nodes: Any, names: Any, ids: Ids) -> Any:
    """Tier 2: a re-uploader's copy -> the original by name, or by an organisation's namespace in its name."""
    import pandas as pd

    reg = ids.reg
    ns_type = names["ns_lower"].map(reg.ns_type)
    wanted = nodes.loc[nodes["interm"], "base_name"].unique()
    known = names[_b(ns_type.notna() & (ns_type != "intermediary")) & _b(names["name_lower"].isin(wanted))]
    known = known.groupby("name_lower")["id"].agg(["size", "min"])
    fr = reg.fam_roots.assign(nm=_name(reg.fam_roots["model_id"]).str.lower())
    froots = fr.groupby("nm").agg(k=("model_id_lower", "nunique"), id=("model_id", "min"))
    n = nodes[nodes["interm"]]
    by_known = _smap(n["base_name"], known.loc[known["size"] == 1, "min"])
    by_root = _smap(n["base_name"], froots.loc[froots["k"] == 1, "id"])
    by_name = n.assign(target=by_known.fillna(by_root)).dropna(subset=["target"])
    rest = nodes[~_b(nodes["id"].isin(by_name["id"]))]
    pre = pd.concat([rest.assign(pre=rest["base_name"].str.extract(p, expand=False)) for p in ORG_PREFIXES],
                    ignore_index=True)
    pre = pre[_b(pre["pre"].str.len() >= 3)]
    orgs = reg.ns[~_b(reg.ns["org_type"].isin(["intermediary", "individual"])) & reg.ns["renamed_to"].isna()]
    pre = pre[_b(pre["pre"].isin(orgs.index))]
    tail = _str(pd.Series([c[len(p):] for c, p in zip(pre["base_cased"].tolist(), pre["pre"].tolist(), strict=True)],
                          index=pre.index, dtype=object))
    pre = pre.assign(tail=tail)[_b(tail.str.contains(r"^(_-_|[-_])[A-Za-z]"))]
    pre = pre.assign(plen=pre["pre"].str.len()).sort_values("plen", ascending=False).drop_duplicates("id")
    by_org = pre.assign(target=_smap(pre["pre"], orgs["namespace"]) + "/"
                        + pre["tail"].str.replace(r"^(_-_|[-_])", "", regex=True))
    by_org = by_org[~_b(by_org["target"].str.endswith("/"))]
    e = pd.concat([by_name, by_org])[["id", "target", "fmt"]]
    e["parent"] = ids.resolve(e["target"]).fillna(e["target"])
    e = e[_b(e["parent"].str.lower() != e["id"].str.lower())]
    return pd.DataFrame({"child": e["id"], "parent": e["parent"],
                         "relation": e["fmt"].map({True: "conversion", False: "reupload"}), "grade": "name",
                         "tier": 2, "kind": e["fmt"].map({True: 1, False: 2})})


def fam_names(frame: Any) -> Any:
    """The name family patterns see: without format suffix, the student part of a sized distill name, no
    format words (``edge_sql.name_columns_sql``)."""
    from modelcensus.lineage.names import DISTILL_NAME, FORMAT_WORD, KEY_SIZE

    out = frame["base_name"].copy()
    distill = _b(frame["name_lower"].str.contains("distill", regex=False))
    student = out[distill].str.extract(DISTILL_NAME, expand=True)[1].fillna("")
    sized = student[_b(student.str.contains(KEY_SIZE))]
    out[sized.index] = sized
    fmt = _b(frame["name_lower"].str.contains("format", regex=False) | frame["name_lower"].str.contains(
        "cpp", regex=False))
    return out.where(~fmt, out.str.replace(FORMAT_WORD, r"\1", regex=True))


def family_name_edges(cand: Any, ids: Ids, reg: Registry) -> Any:
    """Tier 3: exactly one family's name patterns match -> that family's first listed root present."""
    import pandas as pd

    cand = cand.assign(fam_name=fam_names(cand))
    anyp = "(?i)" + "|".join(f"(?:{p[4:]})" for p in reg.patterns.values())
    hit = cand[_b(cand["fam_name"].str.contains(anyp))]   # one pass over all names, then per family
    matches = pd.DataFrame({fam: _b(hit["fam_name"].str.contains(p)) for fam, p in reg.patterns.items()})
    single = matches.sum(axis=1) == 1
    one = hit[single].assign(family=matches[single].idxmax(axis=1))
    pub_org = one["ns_lower"].map(reg.ns["org_key"])
    one = one[_b(pub_org.isna() | (pub_org != one["family"].map(reg.fam_root_org)))]
    roots = pd.DataFrame(reg.fam_order, columns=["family", "rank", "model_id"])
    roots["stored"] = _smap(_str(roots["model_id"]).str.lower(), ids.by_lower)
    roots = roots.sort_values(["family", "rank"])
    first = roots.dropna(subset=["stored"]).drop_duplicates("family").set_index("family")["stored"]
    first = first.combine_first(roots.drop_duplicates("family").set_index("family")["model_id"])
    e = one.assign(parent=_smap(one["family"], first))
    e = e[_b(e["parent"].str.lower() != e["id"].str.lower())]
    return pd.DataFrame({"child": e["id"], "parent": e["parent"], "relation": "finetune", "grade": "name",
                         "tier": 3, "kind": 3})


def build_edges(models: Any, decl: Any, reg: Registry, t: Timer) -> Any:
    """Every rule in order; returns all candidate edges (child, parent, relation, grade, tier, kind)."""
    import pandas as pd

    names = name_frame(models)
    ids = Ids(models, reg)
    t.lap("names_and_id_lookups")
    tier1 = declared_edges(decl, names, ids)
    t.lap("tier1_declared")
    conv = conversion_edges(names, tier1["child"])
    nodes, ref = reupload_nodes(names, tier1, pd.concat([tier1["child"], conv["child"]]), reg)
    interm = reuploader_edges(nodes, names, ids)
    t.lap("tier2_by_name")
    done = pd.concat([tier1["child"], conv["child"], interm["child"]])
    roots_low = reg.fam_roots["model_id_lower"]
    cand = names[~_b(names["id"].isin(done)) & ~_b(names["id_lower"].isin(roots_low))]
    ref = ref[~_b(ref["id"].isin(done)) & ~_b(ref["id"].str.lower().isin(roots_low))]
    fam = family_name_edges(pd.concat([cand, ref], ignore_index=True), ids, reg)
    t.lap("tier3_family_names")
    cols = ["child", "parent", "relation", "grade", "tier", "kind"]
    return pd.concat([tier1[cols], conv[cols], interm[cols], fam[cols]], ignore_index=True)


def structural(edges: Any, model_ids: Any) -> Any:
    """Each child's strongest tier (and kind), one row per (child, parent), one spelling per dangling parent."""
    e = edges[edges["tier"] == edges.groupby("child")["tier"].transform("min")]
    s = e[e["kind"] == e.groupby("child")["kind"].transform("min")][["child", "parent"]].copy()
    dangling = ~_b(s["parent"].isin(model_ids))
    low = s["parent"].str.lower()
    s.loc[dangling, "parent"] = s.loc[dangling, "parent"].groupby(low[dangling]).transform("min")
    return s[_b(s["child"] != s["parent"])].drop_duplicates()


def resolve_roots_nx(struct: Any) -> tuple[Any, int]:
    """networkx: drop edges inside strongly connected components, then propagate root weights downwards."""
    from collections import defaultdict

    import networkx as nx
    import pyarrow as pa

    g = nx.DiGraph()
    g.add_edges_from(zip(struct["parent"].tolist(), struct["child"].tolist(), strict=True))   # parent -> child
    cyc = [(u, v) for scc in nx.strongly_connected_components(g) if len(scc) > 1
           for u, v in g.subgraph(scc).edges()]
    g.remove_edges_from(cyc)
    roots: dict[str, dict[str, float]] = {}
    for n in nx.topological_sort(g):
        preds = list(g.predecessors(n))
        if not preds:
            roots[n] = {n: 1.0}
            continue
        acc: dict[str, float] = defaultdict(float)
        for p in preds:
            for r, w in roots[p].items():
                acc[r] += w / len(preds)
        roots[n] = acc
    cols: dict[str, list] = {"model_id": [], "root_id": [], "weight": []}
    for n in g:
        if g.in_degree(n):
            for r, w in roots[n].items():
                cols["model_id"].append(n)
                cols["root_id"].append(r)
                cols["weight"].append(w)
    return _arrow_frame(pa.table(cols)), len(cyc)


def origins(models: Any, roots: Any, reg: Registry) -> Any:
    """One row per (model, root): publisher and root organisation, country and type from the registry."""
    import pandas as pd

    own = models.loc[~_b(models["id"].isin(roots["model_id"])), ["id"]]
    o = pd.concat([roots[_b(roots["model_id"].isin(models["id"]))],
                   pd.DataFrame({"model_id": own["id"], "root_id": own["id"], "weight": 1.0})], ignore_index=True)

    def who(ids: Any, prefix: str) -> Any:
        ns = ids.str.replace(r"/.*$", "", regex=True).where(_b(ids.str.contains("/", regex=False)),
                                                            _smap(ids.str.lower(), reg.alias_ns))
        hit = pd.DataFrame({"k": ns.str.lower()}).merge(reg.ns[["org", "country", "org_type"]], left_on="k",
                                                         right_index=True, how="left")
        return pd.DataFrame({f"{prefix}_namespace": ns, f"{prefix}_org": hit["org"],
                             f"{prefix}_country": hit["country"], f"{prefix}_org_type": hit["org_type"]})

    return pd.concat([o, who(o["model_id"], "publisher"), who(o["root_id"], "root")], axis=1)


def run_baseline(db: str, write: str | None = None) -> dict[str, Any]:
    """One baseline run: load (timed alone), then edges, roots and origins (the build, timed by stage)."""
    import duckdb  # noqa: F401 - imports are not part of any stage
    import networkx  # noqa: F401
    import pandas  # noqa: F401

    from modelcensus import api

    _quiet_pandas()
    t = Timer()
    models, decl = load_tables(db)
    t.lap("load_duckdb_to_pandas")
    reg_obj = api.load_registry()
    t.lap("load_registry")
    reg = Registry(reg_obj)
    t.lap("registry_frames")
    edges = build_edges(models, decl, reg, t)
    struct = structural(edges, models["id"])
    t.lap("structural")
    roots, cyc = resolve_roots_nx(struct)
    t.lap("roots_networkx")
    org = origins(models, roots, reg)
    t.lap("origins")
    build = sum(v for k, v in t.stages.items() if k not in ("load_duckdb_to_pandas", "load_registry"))
    res = {"side": "baseline", "models": len(models), "stages_seconds": t.stages, "build_seconds": round(build, 3),
           "load_seconds": t.stages["load_duckdb_to_pandas"], "edges": len(edges), "structural_edges": len(struct),
           "cycle_edges_dropped": cyc, "origin_rows": len(org),
           "edges_by_tier": {str(k): int(v) for k, v in edges.groupby("tier").size().items()},
           "root_country_models": round(float(org.loc[org["root_country"].notna(), "weight"].sum() / len(models)), 4),
           "peak_rss_bytes_self": peak_rss_bytes()}
    if write:
        org[["model_id", "root_id", "weight", "root_org", "root_country"]].to_parquet(write)
    return res


# ================================================================== the modelcensus side
def run_modelcensus(db: str) -> dict[str, Any]:
    """``api.ensure_lineage`` on the store at default settings (the store is a fresh copy: it is written)."""
    from modelcensus import api

    t = Timer()
    reg = api.load_registry()
    t.lap("load_registry")
    with api.open_store(db) as store:
        sid = store.snapshot().id
        t.lap("open_store")
        stats = api.ensure_lineage(store, sid, reg, force=True)
        t.lap("ensure_lineage")
        limit = store.memory_limit
    return {"side": "modelcensus", "models": stats["models"], "stages_seconds": t.stages,
            "build_seconds": t.stages["ensure_lineage"], "memory_limit": limit,
            "edges": sum(v for v in stats["edges"].values() if isinstance(v, int)),
            "root_country_models": round(stats["coverage"]["root_country_models"], 4),
            "peak_rss_bytes_self": peak_rss_bytes()}


# ================================================================== agreement check, stores, the parent
def compare(mc_db: str, base: str) -> dict[str, Any]:
    """Root sets per model (ids case-insensitive, weights ignored; also root org and root country sets) of
    the baseline against modelcensus's ``origins``, by what decides the model's root in modelcensus."""
    import duckdb

    def sets(src: str) -> str:
        return (f"SELECT model_id, list_sort(list(DISTINCT lower(root_id))) AS r, "
                f"list_sort(list(DISTINCT coalesce(root_org, '?'))) AS o, "
                f"list_sort(list(DISTINCT coalesce(root_country, '?'))) AS c FROM {src} GROUP BY model_id")

    con = duckdb.connect()
    con.execute("ATTACH ? AS mc (READ_ONLY)", [mc_db])
    con.execute(f"""
        CREATE TABLE cmp AS
        WITH m AS ({sets('mc.origins')}), b AS ({sets('read_parquet($base)')}),
        cls AS (   -- what decides the root in modelcensus: a structural tier-1 edge, a family name pattern, ...
            SELECT child_id, bool_or(NOT inferred) AS decl,
                   bool_or(starts_with(evidence, 'name pattern of family')) AS fam
            FROM mc.edges WHERE structural GROUP BY child_id)
        SELECT m.model_id, CASE WHEN cls.decl THEN 'tier1_declared' WHEN cls.fam THEN 'family_name'
                                WHEN cls.child_id IS NULL THEN 'own_root' ELSE 'other_rules' END AS bucket,
               m.r AS mc_roots, b.r AS base_roots, m.r = b.r AS same_root, m.o = b.o AS same_org,
               m.c = b.c AS same_country
        FROM m JOIN b USING (model_id) LEFT JOIN cls ON cls.child_id = m.model_id
    """, {"base": base})
    out: dict[str, Any] = {}
    for bucket, n, r, o, c in con.execute("""
            SELECT bucket, count(*), count(*) FILTER (WHERE same_root), count(*) FILTER (WHERE same_org),
                   count(*) FILTER (WHERE same_country) FROM cmp GROUP BY ROLLUP (bucket) ORDER BY bucket
            """).fetchall():
        out[bucket or "all"] = {"models": n, "same_root_set": r, "same_root_org_set": o, "same_root_country_set": c,
                                "root_agreement_pct": round(100 * r / n, 2) if n else None,
                                "root_org_agreement_pct": round(100 * o / n, 2) if n else None,
                                "root_country_agreement_pct": round(100 * c / n, 2) if n else None}
    ex = con.execute("""SELECT bucket, model_id, mc_roots, base_roots FROM cmp WHERE NOT same_root
                        QUALIFY row_number() OVER (PARTITION BY bucket ORDER BY hash(model_id)) <= 4
                        ORDER BY bucket, model_id""").fetchall()
    out["examples_of_differences"] = [{"bucket": b, "model": m, "modelcensus": r1, "baseline": r2}
                                      for b, m, r1, r2 in ex]
    target = con.execute("SELECT count(*), count(*) FILTER (WHERE same_root) FROM cmp "
                         "WHERE bucket IN ('tier1_declared', 'family_name')").fetchone()
    out["declared_or_family_name"] = {"models": target[0], "same_root_set": target[1],
                                      "root_agreement_pct": round(100 * target[1] / target[0], 2)}
    return out


def prepare(path: str, n: int) -> dict[str, Any]:
    """A synthetic hub-stats file of ``n`` models imported into a fresh store (the file is then removed)."""
    from modelcensus import api
    from modelcensus.sources.synthetic import write_hubstats_parquet

    src = Path(path).with_suffix(".parquet")
    t = time.perf_counter()
    write_hubstats_parquet(src, n_models=n, seed=SEED)
    gen = time.perf_counter() - t
    with api.open_store(path) as store:
        t = time.perf_counter()
        api.import_path(store, src)
        imp = time.perf_counter() - t
    src.unlink()
    return {"generate_seconds": round(gen, 2), "import_seconds": round(imp, 2)}


def _task(argv: list[str]) -> None:
    name, *args = argv
    if name == "baseline":
        res = run_baseline(args[0], args[1] if len(args) > 1 else None)
    elif name == "modelcensus":
        res = run_modelcensus(args[0])
    elif name == "prepare":
        res = prepare(args[0], int(args[1]))
    elif name == "compare":
        res = compare(args[0], args[1])
    else:
        raise SystemExit(f"unknown task {name!r}")
    print(json.dumps(res, default=str))


class Bench:
    """The parent: imports only the standard library (a child's peak RSS must be its own), runs children."""

    def __init__(self, workdir: Path, src: Path | None) -> None:
        self.work = workdir
        self.work.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if k not in ("MODELCENSUS_MEMORY_LIMIT", "MODELCENSUS_DB")}
        if src:   # both sides on the same code, untouched by edits in progress in the checkout
            self.env["PYTHONPATH"] = os.pathsep.join([str(src.resolve()), *filter(None, [self.env.get("PYTHONPATH")])])

    def task(self, label: str, *args: object) -> tuple[dict[str, Any], dict[str, Any]]:
        before = loadavg()
        run = run_child(label, [sys.executable, __file__, "--task", *map(str, args)], env=self.env)
        res = json.loads(run.stdout.strip().splitlines()[-1])
        return run.as_dict() | {"load_before": before, "load_after": loadavg()}, res

    def store(self, n: int) -> Path:
        db = self.work / f"store-{n}-{SEED}.duckdb"
        if not db.exists():
            print(f"generating and importing {n:,} synthetic models ...", file=sys.stderr, flush=True)
            tmp = db.with_name(db.name + ".partial")
            tmp.unlink(missing_ok=True)
            self.task(f"prepare {n}", "prepare", tmp, n)
            tmp.replace(db)
        return db

    def side(self, side: str, db: Path) -> dict[str, Any]:
        """One run of one side; modelcensus builds on a fresh copy of the store (its build writes to it)."""
        if side == "baseline":
            proc, res = self.task("baseline", "baseline", db)
        else:
            copy = self.work / "mc-copy.duckdb"
            shutil.copyfile(db, copy)
            try:
                proc, res = self.task("modelcensus", "modelcensus", copy)
            finally:
                copy.unlink(missing_ok=True)
        print(f"  {side:12s} build {res['build_seconds']:8.2f} s  process {proc['seconds']:8.2f} s  "
              f"peak {proc['peak_rss_bytes'] / 2**20:7.0f} MiB  load {proc['load_after'][:1]}", file=sys.stderr,
              flush=True)
        return {"process": proc, "result": res}


def check(b: Bench, n: int) -> dict[str, Any]:
    """Agreement of the baseline with modelcensus on an ``n``-model store (roots per model)."""
    db = b.store(n)
    built = b.work / f"check-mc-{n}.duckdb"
    shutil.copyfile(db, built)
    roots = b.work / f"check-baseline-{n}.parquet"
    try:
        _, mc = b.task("modelcensus", "modelcensus", built)
        _, base = b.task("baseline", "baseline", db, roots)
        _, agree = b.task("compare", "compare", built, roots)
    finally:
        built.unlink(missing_ok=True)
        roots.unlink(missing_ok=True)
    return {"models": n, "seed": SEED, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "modelcensus": mc, "baseline": base, "agreement": agree}


def measure(b: Bench, sizes: list[int], pairs: int, doc: dict[str, Any]) -> None:
    """Alternating pairs of fresh processes per size; the document is rewritten after every run."""
    doc["runs"] = {}
    for n in sizes:
        db = b.store(n)
        runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "modelcensus": []}
        doc["runs"][str(n)] = runs
        print(f"{n:,} models:", file=sys.stderr, flush=True)
        for i in range(pairs):
            for side in (("baseline", "modelcensus") if i % 2 == 0 else ("modelcensus", "baseline")):
                runs[side].append(b.side(side, db))
                doc["ratios"] = {k: ratios(v) for k, v in doc["runs"].items() if v["baseline"] and v["modelcensus"]}
                write_json(doc)


def ratios(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Best run of each side (other work on the machine only ever adds time); peak = the largest."""
    def best(side: str, key: str) -> float:
        return min(r["result"][key] if key.endswith("seconds") and key in r["result"] else r["process"][key]
                   for r in runs[side])

    mc_build, base_build = best("modelcensus", "build_seconds"), best("baseline", "build_seconds")
    base_with_load = min(r["result"]["build_seconds"] + r["result"]["load_seconds"] for r in runs["baseline"])
    peak = {s: max(r["process"]["peak_rss_bytes"] for r in runs[s]) for s in runs}
    return {
        "modelcensus_build_seconds": mc_build, "baseline_build_seconds": base_build,
        "baseline_load_seconds": min(r["result"]["load_seconds"] for r in runs["baseline"]),
        "baseline_build_over_modelcensus_build": round(base_build / mc_build, 2),
        "baseline_load_and_build_over_modelcensus_build": round(base_with_load / mc_build, 2),
        "process_wall_ratio": round(best("baseline", "seconds") / best("modelcensus", "seconds"), 2),
        "process_cpu_seconds": {s: best(s, "cpu_seconds") for s in runs},
        "process_cpu_ratio": round(best("baseline", "cpu_seconds") / best("modelcensus", "cpu_seconds"), 2),
        "peak_rss_bytes": peak, "peak_rss_ratio": round(peak["baseline"] / peak["modelcensus"], 2),
        "pairs": min(len(runs["baseline"]), len(runs["modelcensus"])),
    }


def write_json(doc: dict[str, Any]) -> None:
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(doc, indent=2, default=str) + "\n")


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    out = [f"## Lineage build vs a pandas + networkx baseline ({doc['started']} - {doc['finished']})", "",
           f"`benchmarks/bench_lineage_pandas.py` (issue 12's 20x goal). Machine: {m['cpus']} CPUs, "
           f"{m['ram_bytes'] / 2**30:.1f} GiB RAM, Python {m['python']}, DuckDB {m['duckdb']}; shared with other "
           f"agents, load average (1, 5, 15 min) {doc['load_before']} before and {doc['load_after']} after. "
           f"Code {doc['code']}. SYNTHETIC stores (`write_hubstats_parquet`, seed {SEED}, `api.import_path`). Each "
           "run is a fresh process (modelcensus: `api.ensure_lineage` on a fresh copy of the store, default "
           "memory settings; baseline: the pandas + networkx subset of the rules the module docstring lists, "
           "reading the same store). Best of the runs per side; the modelcensus build does MORE than the "
           "baseline (contradiction checks, teachers, signatures, checkpoints, stated bases, writing and "
           "indexing the tables), so every ratio is a lower bound. Raw figures: "
           "`benchmarks/results/lineage_pandas.json`.", "",
           "| models | modelcensus build s | baseline build s (+ load s) | baseline / modelcensus (build) | "
           "(load + build) | process wall | process CPU s mc / baseline (ratio) | peak RSS MiB mc / baseline | "
           "build s, every run |", "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n, r in doc.get("ratios", {}).items():
        runs = doc["runs"][n]
        all_s = "; ".join(f"{s}: " + ", ".join(f"{x['result']['build_seconds']:.1f}" for x in runs[s])
                          for s in ("modelcensus", "baseline"))
        out.append(f"| {int(n):,} | {r['modelcensus_build_seconds']:.2f} | {r['baseline_build_seconds']:.2f} "
                   f"(+ {r['baseline_load_seconds']:.2f}) | **{r['baseline_build_over_modelcensus_build']:.1f}x** | "
                   f"{r['baseline_load_and_build_over_modelcensus_build']:.1f}x | {r['process_wall_ratio']:.1f}x | "
                   f"{r['process_cpu_seconds']['modelcensus']:.1f} / {r['process_cpu_seconds']['baseline']:.1f} "
                   f"({r['process_cpu_ratio']:.1f}x) | {r['peak_rss_bytes']['modelcensus'] / 2**20:,.0f} / "
                   f"{r['peak_rss_bytes']['baseline'] / 2**20:,.0f} | {all_s} |")
    worst = min((r["baseline_build_over_modelcensus_build"] for r in doc.get("ratios", {}).values()), default=None)
    if worst is not None:
        out += ["", f"Goal (baseline / modelcensus >= 20x): **{'met' if worst >= 20 else 'not met'}** at the measured "
                f"sizes (lowest build ratio {worst:.2f}x)."]
    chk = doc.get("check")
    if chk:
        a = chk["agreement"]
        out += ["", f"Baseline check ({chk['models']:,} models, {chk['measured_at']}): the baseline's root set per "
                f"model equals modelcensus's for **{a['declared_or_family_name']['root_agreement_pct']:.2f} %** of "
                f"the {a['declared_or_family_name']['models']:,} models whose root modelcensus decides by a tier-1 "
                "declaration or a family name pattern (" + ", ".join(
                    f"{k}: {v['root_agreement_pct']:.2f} % of {v['models']:,} (org {v['root_org_agreement_pct']:.2f} %)"
                    for k, v in a.items() if k not in ("examples_of_differences", "declared_or_family_name"))
                + "). Measured once, not tuned afterwards."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="", help="comma-separated model counts to measure, e.g. 200000,1000000")
    ap.add_argument("--pairs", type=int, default=2, help="alternating (baseline, modelcensus) pairs per size")
    ap.add_argument("--check", type=int, default=0, help="agreement check on a store of this many models")
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "mc-lineage-pandas")
    ap.add_argument("--no-md", action="store_true", help="do not append to benchmarks/RESULTS.md")
    ap.add_argument("--markdown", action="store_true",
                    help="append the section of the runs already in the results file (nothing is measured)")
    ap.add_argument("--src", type=Path, default=None,
                    help="run every child on this src folder (e.g. `git archive HEAD src | tar -x -C /tmp/x`)")
    ap.add_argument("--code-version", default=None, help="what --src holds (recorded, e.g. a commit)")
    ap.add_argument("--task", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.task:
        _task(args.task)
        return 0
    doc = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    if args.markdown:
        doc["ratios"] = {k: ratios(v) for k, v in doc.get("runs", {}).items() if v["baseline"] and v["modelcensus"]}
        write_json(doc)
        md = markdown(doc)
        with RESULTS_MD.open("a") as fh:
            fh.write("\n" + md)
        print(md)
        return 0
    b = Bench(args.workdir, args.src)
    doc.update({"benchmark": "lineage build: modelcensus vs a pandas + networkx baseline", "synthetic": True,
                "machine": machine(), "parent_peak_rss_bytes": peak_rss_bytes()})
    if args.check:
        doc["check"] = check(b, args.check)
        write_json(doc)
        print(json.dumps(doc["check"]["agreement"], indent=2))
    if args.sizes:
        import subprocess

        head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False).stdout.strip()
        doc.update(started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), load_before=loadavg(),
                   code=f"{args.code_version or 'not given'} (src {args.src})" if args.src else f"{head} (installed)")
        doc.pop("ratios", None)
        measure(b, [int(x) for x in args.sizes.split(",") if x.strip()], args.pairs, doc)
        doc.update(finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), load_after=loadavg())
        write_json(doc)
        md = markdown(doc)
        if not args.no_md:
            with RESULTS_MD.open("a") as fh:
                fh.write("\n" + md)
        print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
