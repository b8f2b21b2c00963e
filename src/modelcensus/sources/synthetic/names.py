"""Model ids of the synthetic population, built column-wise with Arrow compute.

Names follow Hub habits: ``user/Qwen2.5-7B-Instruct-dpo``, ``bartowski/<parent>-GGUF``,
``mlx-community/<parent>-4bit``, ``user/R1-Distill-Llama-3.1-8B``, mirrors under the original
name, merges naming both bases. Collisions get ``-v2``, ``-v3``… from a vectorised rank.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelcensus.sources.synthetic.population import (
    FORMATS,
    K_ADAPTER,
    K_DISTILL,
    K_FINETUNE,
    K_INDEPENDENT,
    K_MERGE,
    K_OFFICIAL,
    K_OPAQUE,
    K_QUANT,
    K_REUPLOAD,
    Population,
)
from modelcensus.sources.synthetic.population import (
    _group_rank as _rank,
)

_SYLL = ("ka", "lo", "mi", "ra", "ne", "to", "vi", "su", "de", "po", "an", "el", "zu", "ri", "ba", "qi",
         "xo", "fen", "li", "ma", "no", "sa", "te", "wu", "yi", "jo", "ha", "gu", "ce", "do")


def author_names(pop: Population) -> pa.Array:
    """Namespace of every model (official org, re-packager, or a generated user handle).

    Built as one ``take`` from a vocabulary of distinct namespaces: official orgs, then re-packagers,
    then named users, then generated handles (``kalomi3``).
    """
    prof = pop.profile
    R = pop.n_official
    a = pop.author.astype(np.int64)
    n_named = len(prof.users)
    n_handles = max(0, int(a.max()) - n_named + 1)
    k = np.arange(n_handles)
    s = len(_SYLL)
    syl = pa.array(_SYLL)
    handles = pc.binary_join_element_wise(
        syl.take(pa.array(k % s)), syl.take(pa.array((k // s) % s)), syl.take(pa.array((k // (s * s)) % s)),
        pc.cast(pa.array(k // (s * s * s)), pa.string()), "")
    vocab = pa.concat_arrays([
        pa.array([r.id.split("/", 1)[0] for r in prof.roots], pa.string()),
        pa.array([r.namespace or "" for r in prof.repackagers], pa.string()),
        pa.array(prof.users, pa.string()),
        handles.cast(pa.string()),
    ])
    P = len(prof.repackagers)
    code = np.where(a < -1, R + (-a - 2), R + P + a)
    code[:R] = np.arange(R)
    return vocab.take(pa.array(code))


def model_ids(pop: Population) -> tuple[pa.Array, pa.Array]:
    """(ids, authors) for every row of ``pop``; ids are unique."""
    prof = pop.profile
    R = pop.n_official
    n = pop.n
    authors = author_names(pop)
    kind = pop.kind.astype(np.int64)
    a = pop.author.astype(np.int64)
    root = pop.root
    par = np.maximum(pop.parent, 0)
    root2 = np.where(pop.parent2 >= 0, root[np.maximum(pop.parent2, 0)], -1)
    cfg = pop.config_idx.astype(np.int64)
    suf = pop.suffix.astype(np.int64)
    neg = np.full(n, -1, dtype=np.int64)

    # name determinants per kind (unused -> -1); quantizations depend on their parent's name: phase 2
    k1 = np.select([kind == K_INDEPENDENT, kind == K_REUPLOAD, np.isin(kind, (K_FINETUNE, K_ADAPTER, K_MERGE,
                                                                            K_DISTILL))],
                   [cfg, par, root], neg)
    k2 = np.where(kind == K_MERGE, root2, neg)
    k3 = np.where(np.isin(kind, (K_INDEPENDENT, K_FINETUNE, K_ADAPTER, K_MERGE, K_OPAQUE)), suf, neg)
    rank = _rank([a, kind, k1, k2, k3])
    rank[:R] = 0
    q = np.flatnonzero(kind == K_QUANT)
    if len(q):
        p = par[q]
        rank[q] = _rank([a[q], kind[p], k1[p], k2[p], k3[p], rank[p], pop.fmt[q].astype(np.int64)])

    root_short = pa.array([r.id.split("/", 1)[1] for r in prof.roots])
    cfg_names = [c.get("model_type") or "model" for c in prof.independent]
    cfg_short = pa.array([""] * R + cfg_names)
    suffixes = pa.array(prof.suffixes)
    fmts = pa.array(list(FORMATS))

    def short(ix: np.ndarray) -> pa.Array:
        return root_short.take(pa.array(np.clip(ix, 0, R - 1)))

    tails: dict[int, pa.Array] = {}
    order_k = np.argsort(kind, kind="stable")
    idx_by_kind = {k: order_k[np.searchsorted(kind[order_k], k, "left"):np.searchsorted(kind[order_k], k, "right")]
                   for k in range(9)}

    def sfx(ix: np.ndarray) -> pa.Array:
        return suffixes.take(pa.array(suf[ix]))

    J = pc.binary_join_element_wise
    ix = idx_by_kind[K_OFFICIAL]
    tails[K_OFFICIAL] = short(ix)
    ix = idx_by_kind[K_INDEPENDENT]
    tails[K_INDEPENDENT] = J(cfg_short.take(pa.array(cfg[ix])), sfx(ix), "-")
    ix = idx_by_kind[K_FINETUNE]
    tails[K_FINETUNE] = J(short(root[ix]), sfx(ix), "-")
    ix = idx_by_kind[K_ADAPTER]
    tails[K_ADAPTER] = J(short(root[ix]), sfx(ix), "lora", "-")
    ix = idx_by_kind[K_MERGE]
    tails[K_MERGE] = J(short(root[ix]), short(root2[ix]), sfx(ix), "-")
    ix = idx_by_kind[K_DISTILL]
    tails[K_DISTILL] = J(pa.scalar("R1-Distill"), short(root[ix]), "-")
    ix = idx_by_kind[K_REUPLOAD]
    tails[K_REUPLOAD] = short(par[ix])
    ix = idx_by_kind[K_OPAQUE]
    tails[K_OPAQUE] = J(pa.scalar("checkpoint"), sfx(ix), "-")

    def with_rank(ix: np.ndarray, t: pa.Array) -> pa.Array:
        r = rank[ix]
        ver = J(pa.scalar("v"), pc.cast(pa.array(r + 1), pa.string()), "")
        return pc.if_else(pa.array(r > 0), J(t, ver, "-"), t)

    for k in list(tails):
        tails[k] = with_rank(idx_by_kind[k], tails[k])
    # phase 2: quantizations append their format to their parent's tail (a parent is never a quantization)
    others = [k for k in tails if k != K_QUANT and len(idx_by_kind[k])]
    nonq = pa.concat_arrays([tails[k].cast(pa.string()) for k in others])
    nonq_pos = np.concatenate([idx_by_kind[k] for k in others])
    tails.clear()
    where = np.full(n, -1, dtype=np.int64)
    where[nonq_pos] = np.arange(len(nonq_pos))
    ix = idx_by_kind[K_QUANT]
    qpar = par[ix]
    ptail = nonq.take(pa.array(where[qpar]))
    # on a clash, name the parent's author too, as bartowski does ("bartowski/nbeerbower_X-GGUF")
    ptail = pc.if_else(pa.array(rank[ix] > 0), J(authors.take(pa.array(qpar)), ptail, "_"), ptail)
    qtails = J(ptail, fmts.take(pa.array(np.maximum(pop.fmt[ix], 0))), "-").cast(pa.string())
    del ptail
    where[ix] = len(nonq_pos) + np.arange(len(ix))
    full_tails = pa.concat_arrays([nonq, qtails]).take(pa.array(where))
    del nonq, qtails
    # official rows: author = org and tail = the rest of the real id
    ids = J(authors, full_tails, "/")
    del full_tails
    return _unique(ids), authors


def _unique(ids: pa.Array) -> pa.Array:
    """Safety net: a later duplicate of an id (a cross-kind name clash) gets ``-r<row>`` appended."""
    codes = ids.dictionary_encode().indices.to_numpy()
    first = np.full(codes.max() + 1, -1, dtype=np.int64)
    rows = np.arange(len(codes))
    first[codes[::-1]] = rows[::-1]
    dup = first[codes] != rows
    if not dup.any():
        return ids
    tag = pc.binary_join_element_wise(pa.scalar("r"), pc.cast(pa.array(rows), pa.string()), "")
    return pc.if_else(pa.array(dup), pc.binary_join_element_wise(ids, tag, "-"), ids)
