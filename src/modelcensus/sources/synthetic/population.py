"""The vectorised core of the synthetic hub: one row per model, as numpy arrays.

Everything is drawn with numpy in whole-array operations (no per-model Python objects), so
2.2M models take seconds. Per-(model, month) randomness comes from a counter-based hash of
(seed, model index, month), so any slice of models at any month is reproducible on its own:
the Parquet writer can work in row groups and the monthly series agrees with it.

Index layout: rows ``0..R-1`` are the profile's official models (real ids, real release dates);
rows ``R..n-1`` are community models in creation order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelcensus.errors import InputError
from modelcensus.sources.synthetic.profile import RELATIONS, Profile, parse_day

DAY = 86_400
MONTH = 30.4375 * DAY

# relation codes (index into RELATIONS); -1 = no parent (an official root or an independent model)
NONE = -1
FINETUNE, ADAPTER, QUANTIZED, MERGE, DISTILL, REUPLOAD = range(6)
LEAF = (ADAPTER, QUANTIZED, REUPLOAD)  # never chosen as parents (quantizations are leaves, methods.md 4.2)

# name kinds (for id construction)
K_OFFICIAL, K_INDEPENDENT, K_FINETUNE, K_ADAPTER, K_QUANT, K_MERGE, K_DISTILL, K_REUPLOAD, K_OPAQUE = range(9)


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _hash(seed: int, a: np.ndarray, b: np.ndarray | int, salt: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        key = (np.asarray(a, dtype=np.uint64) * np.uint64(0x100000001B3)
               + np.asarray(b, dtype=np.uint64) * np.uint64(0x9E3779B1)
               + np.uint64((seed * 1_000_003 + salt * 7919) & 0xFFFFFFFFFFFF))
        return _splitmix(key)


def hash_uniform(seed: int, a: np.ndarray, b: np.ndarray | int, salt: int = 0) -> np.ndarray:
    """Uniform (0, 1) from (seed, a, b, salt): deterministic, independent of slicing."""
    h = _hash(seed, a, b, salt)
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def hash_normal(seed: int, a: np.ndarray, b: np.ndarray | int, salt: int = 0) -> np.ndarray:
    """Standard normal from (seed, a, b, salt) by Box-Muller on the two 32-bit halves of one hash."""
    h = _hash(seed, a, b, salt + 1000)
    u1 = ((h >> np.uint64(32)).astype(np.float64) + 0.5) / 4294967296.0
    u2 = ((h & np.uint64(0xFFFFFFFF)).astype(np.float64) + 0.5) / 4294967296.0
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@dataclass
class Population:
    """All models ever created up to ``end`` (some are deleted later), with their ground truth."""

    profile: Profile
    seed: int
    n: int
    n_official: int
    start: int  # first month start of the download grid (the Hub's created_at floor, month-aligned)
    end: int
    created: np.ndarray  # int64 unix seconds
    deleted: np.ndarray  # int64 unix seconds, or INT64_MAX
    family: np.ndarray  # int16, -1 = independent
    relation: np.ndarray  # int8 (RELATIONS index) or -1
    parent: np.ndarray  # int64 true primary parent, -1 = none
    parent2: np.ndarray  # merges: second parent, -1
    parent3: np.ndarray  # merges: third parent, -1
    declared: np.ndarray  # bool: the model declares its parent(s)
    dangling: np.ndarray  # bool: the declared parent is an id that is not on the Hub
    cycle_parent: np.ndarray  # int64: declared parent that closes a cycle (overrides parent), -1
    root: np.ndarray  # int64: true primary root (official root or independent model itself)
    teacher: np.ndarray  # int64: distillation teacher (official index), -1
    author: np.ndarray  # int32 index into author names (see names.py)
    kind: np.ndarray  # int8 name kind
    suffix: np.ndarray  # int16 index into profile.suffixes / formats
    fmt: np.ndarray  # int8 quantization format index into FORMATS, -1
    license: np.ndarray  # int16 index into licenses list, -1 = none
    licenses: list[str]
    config_idx: np.ndarray  # int16: official root index for family members; R + k for independent config k
    scale: np.ndarray  # float32 download scale
    month_starts: np.ndarray  # int64 unix seconds of month starts from ``start`` to past ``end``
    momentum: np.ndarray  # float32 [F + 1, months]: family momentum per month (last row = 1 for independents)

    def month_index(self, ts: np.ndarray | int) -> np.ndarray:
        return np.searchsorted(self.month_starts, ts, side="right") - 1


FORMATS = ("GGUF", "i1-GGUF", "AWQ", "GPTQ", "exl2", "4bit", "8bit", "bf16", "bnb-4bit", "unsloth-bnb-4bit")


def month_starts(first: int, last: int) -> np.ndarray:
    """Unix seconds of the first day of each month from ``first``'s month to the month after ``last``."""
    d0 = np.datetime64(int(first), "s").astype("datetime64[M]")
    d1 = np.datetime64(int(last), "s").astype("datetime64[M]") + 2
    return np.arange(d0, d1, dtype="datetime64[M]").astype("datetime64[s]").astype(np.int64)


def _momentum_grid(profile: Profile, starts: np.ndarray) -> np.ndarray:
    mid = starts + int(15 * DAY)
    rows = []
    for fam in profile.families:
        xs = np.array([t for t, _ in fam.momentum], dtype=np.float64)
        ys = np.array([v for _, v in fam.momentum], dtype=np.float64)
        rows.append(np.interp(mid, xs, ys))
    rows.append(np.ones(len(starts)))
    return np.maximum(np.array(rows, dtype=np.float32), 0.0)


def _pick_weighted(rng: np.random.Generator, cum: np.ndarray, upto: np.ndarray) -> np.ndarray:
    """For each row, an index < upto[i] drawn with weights whose cumulative sum is ``cum``."""
    top = cum[np.maximum(upto - 1, 0)]
    return np.minimum(np.searchsorted(cum, rng.random(len(upto)) * top, side="right"), np.maximum(upto - 1, 0))


def _group_rank(keys: list[np.ndarray]) -> np.ndarray:
    """Position of each row among the rows with equal keys (0 for the first, in index order).

    Non-negative-after-shift integer keys are packed into one int64 when they fit (one stable
    argsort instead of a multi-key lexsort).
    """
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    shifted = [np.asarray(k, dtype=np.int64) - int(np.min(k)) for k in keys]
    widths = [max(1, int(np.max(k)).bit_length()) for k in shifted]
    if sum(widths) <= 62:
        packed = np.zeros(n, dtype=np.int64)
        for k, w in zip(shifted, widths, strict=True):
            packed = (packed << np.int64(w)) | k
        order = np.argsort(packed, kind="stable")
        ks = packed[order]
        same = np.concatenate([[False], ks[1:] == ks[:-1]])
    else:
        order = np.lexsort(keys[::-1])
        same = np.ones(n, dtype=bool)
        same[0] = False
        for key in keys:
            ks = key[order]
            same[1:] &= ks[1:] == ks[:-1]
    start = np.maximum.accumulate(np.where(~same, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - start
    return rank


@dataclass
class _Draft:
    """The population while it is drawn: each ``_draw_*`` step fills or amends some arrays.

    The steps run in a fixed order on one generator, so their order is part of the output: a step moved or
    a draw added changes every later array (``tests/sources/test_synthetic.py`` pins them).
    """

    profile: Profile
    rng: np.random.Generator
    n: int  # all models
    R: int  # official models: rows 0..R-1
    end: int
    starts: np.ndarray  # month starts from the floor's month
    momentum: np.ndarray
    created: np.ndarray
    family: np.ndarray
    relation: np.ndarray
    parent: np.ndarray
    teacher: np.ndarray
    is_deriv: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # community rows R..n-1 only
    # per family (and a last slot for independents): not a text-generation family
    non_llm: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    parent2: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    parent3: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    root: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    silent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def pop(self) -> dict[str, Any]:
        return self.profile.pop

    @property
    def C(self) -> int:  # noqa: N802 - the community count, as in the docs
        return self.n - self.R


def build_population(profile: Profile, n_models: int, seed: int, end: str | int,
                     *, allow_deletions: bool = True) -> Population:
    """Draw ``n_models`` models created between the Hub's floor date and ``end``."""
    R = len(profile.roots)
    if n_models < R + 10:
        raise InputError(f"n_models must be at least {R + 10} (the profile has {R} official models)")
    end_s = parse_day(end) if isinstance(end, str) else int(end)
    d = _start_draft(profile, np.random.default_rng(seed), n_models, end_s)
    _draw_derivatives(d)
    _draw_families(d)
    _draw_parents(d)
    _draw_merge_parents(d)
    _draw_teachers(d)
    d.root = _true_roots(d.parent)
    declared, dangling, cycle_parent = _draw_declarations(d)
    deleted = _draw_deletions(d, allow_deletions)
    author, kind, suffix, fmt = _draw_names(d)
    license_, lic_names = _draw_licences(d)
    indep = d.family < 0
    # configs: members carry their true root's config; independents one of the generic configs
    config_idx = np.where(d.root < R, d.root, 0).astype(np.int16)
    config_idx[indep] = R + d.rng.integers(0, len(profile.independent), int(indep.sum()))
    scale = _draw_download_scale(d)
    return Population(
        profile=profile, seed=seed, n=d.n, n_official=R, start=int(d.starts[0]), end=end_s,
        created=d.created, deleted=deleted, family=d.family, relation=d.relation, parent=d.parent,
        parent2=d.parent2, parent3=d.parent3, declared=declared, dangling=dangling, cycle_parent=cycle_parent,
        root=d.root, teacher=d.teacher, author=author, kind=kind, suffix=suffix, fmt=fmt, license=license_,
        licenses=lic_names, config_idx=config_idx, scale=scale.astype(np.float32), month_starts=d.starts,
        momentum=d.momentum)


def _start_draft(profile: Profile, rng: np.random.Generator, n: int, end_s: int) -> _Draft:
    """Creation times (exponential growth of new repos per month) and the official models' own links."""
    roots, R = profile.roots, len(profile.roots)
    floor = parse_day(profile.pop["created_floor"])
    starts = month_starts(floor, end_s)
    g = float(profile.pop["monthly_growth"])
    span = (end_s - floor) / MONTH
    u = np.sort(rng.random(n - R))
    t_months = np.log1p(u * np.expm1(g * span)) / g
    created = np.empty(n, dtype=np.int64)
    created[:R] = [r.created for r in roots]
    created[R:] = floor + (t_months * MONTH).astype(np.int64)
    # official releases later than `end` are clipped to it (they exist at the last snapshot)
    created[:R] = np.minimum(created[:R], end_s - DAY)
    d = _Draft(profile=profile, rng=rng, n=n, R=R, end=end_s, starts=starts,
               momentum=_momentum_grid(profile, starts), created=created,
               family=np.full(n, -1, dtype=np.int16), relation=np.full(n, NONE, dtype=np.int8),
               parent=np.full(n, -1, dtype=np.int64), teacher=np.full(n, -1, dtype=np.int64))
    d.family[:R] = [r.family for r in roots]
    rid = {r.id: i for i, r in enumerate(roots)}
    for i, r in enumerate(roots):
        if r.parent:
            d.parent[i] = rid[r.parent]
            d.relation[i] = DISTILL if r.teacher else FINETUNE
        if r.teacher:
            d.teacher[i] = rid[r.teacher]
    return d


def _draw_derivatives(d: _Draft) -> None:
    """Which community models are derivatives, and of what kind."""
    d.is_deriv = d.rng.random(d.C) < float(d.pop["derivative_share"])
    rel_p = np.array([d.pop["relations"][k] for k in RELATIONS])
    rel = d.rng.choice(len(RELATIONS), size=d.C, p=rel_p).astype(np.int8)
    d.relation[d.R:] = np.where(d.is_deriv, rel, NONE)


def _draw_families(d: _Draft) -> None:
    """Each derivative's family, by momentum at its creation time among the families already released."""
    F, R = len(d.profile.families), d.R
    cm = np.searchsorted(d.starts, d.created[R:], side="right") - 1
    first_release = np.full(F, np.iinfo(np.int64).max)
    for r in d.profile.roots:
        first_release[r.family] = min(first_release[r.family], r.created)
    fam_c = np.full(d.C, -1, dtype=np.int16)
    for m in np.unique(cm[d.is_deriv]):
        sel = np.flatnonzero(d.is_deriv & (cm == m))
        # only families with a release before the month starts, so parents predate their children
        w = d.momentum[:F, m].astype(np.float64) * (first_release < d.starts[m])
        if w.sum() <= 0:
            w = (first_release < d.starts[m]).astype(np.float64)
        if w.sum() <= 0:  # nothing released yet: these models have no parent after all
            d.is_deriv[sel] = False
            continue
        fam_c[sel] = d.rng.choice(F, size=len(sel), p=w / w.sum())
    d.family[R:] = fam_c
    d.relation[R:] = np.where(d.is_deriv, d.relation[R:], NONE)
    # quantizations, merges and distillations are LLM practices (the Model Atlas finds quantization nearly
    # absent in vision, methods.md 4.2): in other families they become finetunes or adapters
    d.non_llm = np.array([f.pipeline_tag != "text-generation" for f in d.profile.families] + [False])
    off = (fam_c >= 0) & d.non_llm[fam_c] & np.isin(d.relation[R:], (QUANTIZED, MERGE, DISTILL))
    d.relation[R:][off] = np.where(d.rng.random(int(off.sum())) < 0.5, FINETUNE, ADAPTER)


def _draw_parents(d: _Draft) -> None:
    """The parent within the family: an official root (weighted by its downloads, released before) or an
    earlier non-leaf community member (older members are picked more: rich get richer)."""
    created, relation, rng = d.created, d.relation, d.rng
    p_root = float(d.pop["parent_is_root"])
    fam_c = d.family[d.R:]
    cidx = np.arange(d.R, d.n)
    for f in range(len(d.profile.families)):
        members = cidx[(fam_c == f)]
        if len(members) == 0:
            continue
        froots = np.array(d.profile.families[f].roots)
        froots = froots[np.argsort(created[froots], kind="stable")]
        rdates = created[froots]
        cumw = np.cumsum([d.profile.roots[i].downloads for i in froots])
        t = created[members]
        n_rel = np.searchsorted(rdates, t, side="right")
        n_rel = np.maximum(n_rel, 1)  # a member created before any root (clock noise) takes the first
        choice_root = froots[_pick_weighted(rng, cumw, n_rel)]
        nonleaf = members[~np.isin(relation[members], LEAF)]
        k = np.searchsorted(created[nonleaf], t, side="left")
        # a member must not pick itself: count only earlier non-leaf members
        pick = np.floor(k * rng.random(len(members)) ** 1.6).astype(np.int64)
        earlier = nonleaf[np.minimum(pick, max(len(nonleaf) - 1, 0))] if len(nonleaf) else choice_root
        # quantizers mostly convert popular finetunes; an official model gets a handful of quants
        p_here = np.where(relation[members] == QUANTIZED, p_root * 0.25, p_root)
        use_root = (rng.random(len(members)) < p_here) | (k == 0)
        use_root |= relation[members] == REUPLOAD  # mirrors copy an official model
        chosen = np.where(use_root, choice_root, earlier)
        chosen = np.where(chosen == members, choice_root, chosen)
        d.parent[members] = chosen


def _draw_merge_parents(d: _Draft) -> None:
    """Merges take 1-2 extra parents, from the same family or (sometimes) another one."""
    d.parent2 = np.full(d.n, -1, dtype=np.int64)
    d.parent3 = np.full(d.n, -1, dtype=np.int64)
    merges = np.flatnonzero(d.relation == MERGE)
    merges = merges[merges >= d.R]
    if not len(merges):
        return
    created, family, parent, rng = d.created, d.family, d.parent, d.rng
    families = d.profile.families
    nonleaf_all = np.flatnonzero((d.relation < 0) | ~np.isin(d.relation, LEAF))
    nonleaf_all = nonleaf_all[(family[nonleaf_all] >= 0)]
    nonleaf_all = nonleaf_all[~d.non_llm[family[nonleaf_all]]]  # merges mix LLMs, e.g. Llama + Qwen
    nonleaf_all = nonleaf_all[np.argsort(created[nonleaf_all], kind="stable")]
    cross = rng.random(len(merges)) < float(d.pop["merge_cross_family"])
    for slot, arr in ((0, d.parent2), (1, d.parent3)):
        if slot == 1:
            todo = merges[rng.random(len(merges)) < 0.3]
            cross_t = rng.random(len(todo)) < float(d.pop["merge_cross_family"])
        else:
            todo, cross_t = merges, cross
        k = np.searchsorted(created[nonleaf_all], created[todo], side="left")
        # cross-family: any earlier non-leaf model with a family; same family: an official root of it
        anyp = nonleaf_all[np.minimum(np.floor(k * rng.random(len(todo)) ** 1.3).astype(np.int64),
                                      len(nonleaf_all) - 1)]
        same = parent[todo]
        n_fr = np.array([len(fam.roots) for fam in families])
        pad = np.zeros((len(families), n_fr.max()), dtype=np.int64)
        for f, fam in enumerate(families):
            pad[f, : n_fr[f]] = fam.roots
        ft = family[todo].astype(np.int64)
        alt = pad[ft, (rng.random(len(todo)) * n_fr[ft]).astype(np.int64)]
        alt = np.where(created[alt] < created[todo], alt, same)
        cand = np.where(cross_t, anyp, alt)
        ok = (cand != parent[todo]) & (cand != todo) & (created[cand] < created[todo])
        if slot == 1:
            ok &= cand != d.parent2[todo]
        arr[todo[ok]] = cand[ok]
    # keep extra parents contiguous: a third parent without a second becomes the second
    gap = merges[(d.parent2[merges] < 0) & (d.parent3[merges] >= 0)]
    d.parent2[gap], d.parent3[gap] = d.parent3[gap], -1
    # a "merge" whose extra parents all collapsed is a plain finetune
    lone = merges[d.parent2[merges] < 0]
    d.relation[lone] = FINETUNE


def _draw_teachers(d: _Draft) -> None:
    """Community distills name an R1-style teacher (no draw: a profile without R1 has no teachers)."""
    distill = np.flatnonzero(d.relation == DISTILL)
    r1 = {r.id: i for i, r in enumerate(d.profile.roots)}.get("deepseek-ai/DeepSeek-R1")
    if r1 is None:
        return
    d.teacher[distill[distill >= d.R]] = r1
    # a distill created before its teacher existed is an ordinary finetune
    early = distill[(distill >= d.R) & (d.created[distill] < d.created[r1])]
    d.relation[early] = FINETUNE
    d.teacher[early] = -1


def _true_roots(parent: np.ndarray) -> np.ndarray:
    """Each model's true root by pointer doubling over the (acyclic) primary parent."""
    root = np.where(parent >= 0, parent, np.arange(len(parent)))
    for _ in range(64):
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    return root


def _draw_declarations(d: _Draft) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the cards say: silent derivatives (kept in ``d.silent``), dangling parents and planted cycles;
    returns (declared, dangling, cycle_parent)."""
    rng, n, R = d.rng, d.n, d.R
    declared = d.relation >= 0
    d.silent = rng.random(n) < float(d.pop["undeclared_share"])
    d.silent[:R] = False
    declared &= ~d.silent
    reup = d.relation == REUPLOAD
    declared[reup] &= rng.random(int(reup.sum())) < 0.3
    dangling = declared & (rng.random(n) < float(d.pop["dangling_parent_share"]))
    dangling[:R] = False
    cycle_parent = np.full(n, -1, dtype=np.int64)
    fts = np.flatnonzero(declared & ~dangling & (d.relation == FINETUNE))
    fts = fts[fts >= R]
    n_cyc = min(int(d.pop["cycles"]), len(fts) // 2)
    if n_cyc:
        pair = rng.choice(fts, size=2 * n_cyc, replace=False).reshape(n_cyc, 2)
        cycle_parent[pair[:, 0]] = pair[:, 1]
        cycle_parent[pair[:, 1]] = pair[:, 0]
    return declared, dangling, cycle_parent


def _draw_deletions(d: _Draft, allow_deletions: bool) -> np.ndarray:
    """When each model is deleted (INT64_MAX: never); a single cross-section has none."""
    deleted = np.full(d.n, np.iinfo(np.int64).max, dtype=np.int64)
    if allow_deletions:
        dele = d.rng.random(d.n) < float(d.pop["deleted_share"])
        dele[:d.R] = False
        life = d.rng.random(d.n) * (d.end - d.created) * 1.4
        deleted = np.where(dele, d.created + life.astype(np.int64) + DAY, deleted)
    return deleted


def _draw_names(d: _Draft) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pieces ids are built from (``names.py``): (author, name kind, suffix, quantization format)."""
    rng, n, R, relation = d.rng, d.n, d.R, d.relation
    n_users = max(50, d.C // 5)
    author = np.full(n, -1, dtype=np.int32)
    # Zipf-like: a few prolific uploaders, a long tail of one-off ones
    author[R:] = np.minimum((n_users * rng.random(d.C) ** 2.2).astype(np.int32), n_users - 1)
    kind = np.full(n, K_INDEPENDENT, dtype=np.int8)
    kind[:R] = K_OFFICIAL
    rel_r = relation[R:]
    kind[R:] = np.select(
        [rel_r == FINETUNE, rel_r == ADAPTER, rel_r == QUANTIZED, rel_r == MERGE, rel_r == DISTILL,
         rel_r == REUPLOAD], [K_FINETUNE, K_ADAPTER, K_QUANT, K_MERGE, K_DISTILL, K_REUPLOAD], K_INDEPENDENT)
    # half of the silent derivatives also hide their base in the name
    opaque = d.silent & (kind == K_FINETUNE) & (rng.random(n) < 0.5)
    kind[opaque] = K_OPAQUE
    suffix = rng.integers(0, len(d.profile.suffixes), size=n).astype(np.int16)
    fmt = np.full(n, -1, dtype=np.int8)
    q = np.flatnonzero(relation == QUANTIZED)
    q = q[q >= R]
    if len(q):
        _draw_repackagers(d, q, author, fmt, n_users)
    return author, kind, suffix, fmt


def _draw_repackagers(d: _Draft, q: np.ndarray, author: np.ndarray, fmt: np.ndarray, n_users: int) -> None:
    """Quantizations ``q``: a re-packager active at their creation time (by weight) and one of its formats."""
    rng, created = d.rng, d.created
    reps = d.profile.repackagers
    active = np.array([[r.active_until is None or t < r.active_until for r in reps] for t in
                       np.linspace(created[q].min(), created[q].max(), 64).astype(np.int64)])
    w = np.array([r.weight for r in reps])
    slot = np.minimum(((created[q] - created[q].min()) * 63 // max(1, created[q].max() - created[q].min())),
                      63).astype(np.int64)
    cum = np.cumsum(active * w, axis=1)
    u2 = rng.random(len(q)) * cum[slot, -1]
    rep = np.argmax(cum[slot] > u2[:, None], axis=1)
    # a format from the chosen re-packager's list
    fmts = [np.array([FORMATS.index(f) for f in r.formats]) for r in reps]
    lens = np.array([len(f) for f in fmts])
    flat = np.concatenate(fmts)
    offs = np.concatenate([[0], np.cumsum(lens)[:-1]])
    fmt[q] = flat[offs[rep] + (rng.random(len(q)) * lens[rep]).astype(np.int64)]
    is_rep = np.array([r.namespace is not None for r in reps])
    # re-packager authors are encoded as negative numbers: -(k + 2) for repackagers[k]
    author[q] = np.where(is_rep[rep], -(rep + 2), author[q])
    # a re-packager converts a model once per format: repeats go to ordinary users
    rk = _group_rank([author[q].astype(np.int64), d.parent[q], fmt[q].astype(np.int64)])
    again = (author[q] < -1) & (rk > 0)
    author[q[again]] = (q[again] % n_users).astype(np.int32)


def _draw_licences(d: _Draft) -> tuple[np.ndarray, list[str]]:
    """Each model's licence: its root's, sometimes missing, sometimes relabelled more permissively;
    returns (index into the names or -1, the names)."""
    rng, n, R, roots, family = d.rng, d.n, d.R, d.profile.roots, d.family
    lic_names: list[str] = sorted({r.license for r in roots} | {x for x in d.profile.independent_licenses if x}
                                  | {"mit", "apache-2.0"})
    lic_of_root = np.array([lic_names.index(r.license) for r in roots], dtype=np.int16)
    license_ = np.full(n, -1, dtype=np.int16)
    license_[:R] = lic_of_root
    fam_member = (family >= 0) & (np.arange(n) >= R)
    root_is_off = d.root < R
    base_lic = np.where(root_is_off, lic_of_root[np.minimum(d.root, R - 1)], -1)
    license_[fam_member] = base_lic[fam_member]
    restrictive = np.isin(license_, [lic_names.index(x) for x in lic_names
                                     if x not in ("mit", "apache-2.0")])
    drift = fam_member & restrictive & (rng.random(n) < float(d.pop["license_drift"]))
    license_[drift] = np.where(rng.random(int(drift.sum())) < 0.5, lic_names.index("mit"),
                               lic_names.index("apache-2.0"))
    missing = fam_member & (rng.random(n) < float(d.pop["license_missing"]))
    license_[missing] = -1
    indep = family < 0
    ind_l = [lic_names.index(x) if x else -1 for x in d.profile.independent_licenses]
    license_[indep] = np.array(ind_l, dtype=np.int16)[rng.integers(0, len(ind_l), int(indep.sum()))]
    return license_, lic_names


def _draw_download_scale(d: _Draft) -> np.ndarray:
    """Download scale: a zero-inflated log-normal body with a Pareto tail; official models their real count."""
    rng, n, dlp = d.rng, d.n, d.profile.dl
    zero = rng.random(n) < float(dlp["zero_share"])
    logs = (float(dlp["mu"]) + float(dlp["sigma"]) * rng.standard_normal(n)
            + rng.exponential(1.0, n) / float(dlp["alpha"]))
    rscale = np.array([dlp["relation_scale"][k] for k in RELATIONS] + [dlp["relation_scale"]["independent"]])
    raw = np.exp(np.minimum(logs, 40.0)) * rscale[d.relation]
    cap = float(dlp["max_monthly"])  # soft cap: no community repo beats the biggest real ones
    scale = np.where(zero, 0.0, raw / (1.0 + raw / cap))
    scale[:d.R] = [r.downloads for r in d.profile.roots]
    return scale


def monthly_flows(pop: Population, idx: np.ndarray, upto_month: int, *, history_noise: bool = True) -> np.ndarray:
    """Downloads of models ``idx`` in each month ``0..upto_month`` (float32 [len(idx), upto_month+1]).

    flow = scale x age decay x family momentum (relative to the creation month, or to April 2025 for
    official models, whose scale is their real 30-day count then) x month-to-month noise x the part of
    the month the model existed. Zero outside the model's life. Age is counted in whole months plus a
    half (a table lookup, not a power per cell). ``history_noise=False`` draws the noise for the last
    month only (a single cross-section does not need the past months' wiggles). Sum in float64.
    """
    dlp = pop.profile.dl
    M = upto_month + 1
    k = len(idx)
    months = np.arange(M)
    created = pop.created[idx]
    deleted = pop.deleted[idx]
    cm = pop.month_index(created)  # creation month (grid index)
    dm = pop.month_index(np.minimum(deleted, pop.month_starts[-1]))  # deletion month (beyond the grid if never)
    off = months[None, :] - cm[:, None]  # whole months since creation
    alive = ((off > 0) & (months[None, :] < dm[:, None])).astype(np.float32)
    rows = np.arange(k)
    mlen = (pop.month_starts[1:] - pop.month_starts[:-1]).astype(np.float64)
    in_c = cm <= upto_month
    frac_c = np.clip((pop.month_starts[np.minimum(cm + 1, len(mlen))] - np.maximum(created, 0)) /
                     mlen[np.clip(cm, 0, len(mlen) - 1)], 0.0, 1.0)
    alive[rows[in_c], cm[in_c]] = frac_c[in_c]
    in_d = (dm <= upto_month) & (deleted < np.iinfo(np.int64).max)
    frac_d = np.clip((deleted - pop.month_starts[np.clip(dm, 0, len(mlen) - 1)]) /
                     mlen[np.clip(dm, 0, len(mlen) - 1)], 0.0, 1.0)
    same = in_d & (dm == cm)
    alive[rows[in_d], dm[in_d]] = np.where(same[in_d], np.maximum(frac_c[in_d] + frac_d[in_d] - 1.0, 0.0),
                                           frac_d[in_d])
    tab = (1.0 + (np.arange(M + 1) + 0.5) / float(dlp["decay_months"])) ** (-float(dlp["decay_power"]))
    official = idx < pop.n_official
    decay = tab.astype(np.float32)[np.clip(off, 0, M)]
    decay[official] = 1.0
    fam = pop.family[idx].astype(np.int64)
    fam = np.where(fam < 0, pop.momentum.shape[0] - 1, fam)
    last = pop.momentum.shape[1] - 1
    ref_m = np.where(official, int(pop.month_index(parse_day("2025-04-15"))), np.clip(cm, 0, last))
    ref_m = np.minimum(ref_m, last)
    mom = np.maximum(pop.momentum, np.float32(0.002))
    factor = pop.scale[idx] / mom[fam, ref_m]
    flows = mom[fam, :M]
    flows *= decay
    flows *= alive
    flows *= factor[:, None]
    sigma = float(dlp["monthly_noise"])
    if history_noise:
        flows *= np.exp(sigma * hash_normal(pop.seed, idx[:, None], months[None, :], salt=1)
                        - sigma * sigma / 2).astype(np.float32)
    else:
        flows[:, -1] *= np.exp(sigma * hash_normal(pop.seed, idx, upto_month, salt=1) - sigma * sigma / 2)
    return flows
