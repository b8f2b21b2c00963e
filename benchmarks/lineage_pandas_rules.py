"""The pandas + networkx baseline of ``bench_lineage_pandas.py``: the lineage build's core rules written the
way an analyst would (which rules, and which not, is listed in that benchmark's docstring)."""

from __future__ import annotations

import time
from typing import Any

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

    from modelcensus.lineage.names import FORMAT_SUFFIX, FORMAT_TAGS, QUANT_TAGS

    name = _name(models["id"])
    tags = models["tags"].explode()
    files = models["files"].explode()
    return pd.DataFrame({
        "id": models["id"], "id_lower": models["id_lower"], "ns_lower": _ns_lower(models["id"]),
        "name_lower": name.str.lower(), "base_name": name.str.lower().str.replace(FORMAT_SUFFIX, "", regex=True),
        "base_cased": name.str.replace(FORMAT_SUFFIX, "", regex=True),
        "has_tag": _b(tags.isin(FORMAT_TAGS)).groupby(level=0).any(),
        "quant_tag": _b(tags.isin(list(QUANT_TAGS))).groupby(level=0).any(),
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
