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
    authors = author_names(pop)
    rank = _name_ranks(pop)
    kind = pop.kind.astype(np.int64)
    order_k = np.argsort(kind, kind="stable")
    idx_by_kind = {k: order_k[np.searchsorted(kind[order_k], k, "left"):np.searchsorted(kind[order_k], k, "right")]
                   for k in range(9)}
    tails = _own_tails(pop, idx_by_kind)
    for k in list(tails):
        tails[k] = _with_rank(rank[idx_by_kind[k]], tails[k])
    # quantizations append their format to their parent's tail (a parent is never a quantization)
    others = [k for k in tails if k != K_QUANT and len(idx_by_kind[k])]
    nonq = pa.concat_arrays([tails[k].cast(pa.string()) for k in others])
    nonq_pos = np.concatenate([idx_by_kind[k] for k in others])
    tails.clear()
    where = np.full(pop.n, -1, dtype=np.int64)
    where[nonq_pos] = np.arange(len(nonq_pos))
    ix = idx_by_kind[K_QUANT]
    qpar = np.maximum(pop.parent, 0)[ix]
    ptail = nonq.take(pa.array(where[qpar]))
    # on a clash, name the parent's author too, as bartowski does ("bartowski/nbeerbower_X-GGUF")
    ptail = pc.if_else(pa.array(rank[ix] > 0), _J(authors.take(pa.array(qpar)), ptail, "_"), ptail)
    qtails = _J(ptail, pa.array(list(FORMATS)).take(pa.array(np.maximum(pop.fmt[ix], 0))), "-").cast(pa.string())
    del ptail
    where[ix] = len(nonq_pos) + np.arange(len(ix))
    full_tails = pa.concat_arrays([nonq, qtails]).take(pa.array(where))
    del nonq, qtails
    # official rows: author = org and tail = the rest of the real id
    ids = _J(authors, full_tails, "/")
    del full_tails
    return _unique(ids), authors


_J = pc.binary_join_element_wise


def _name_ranks(pop: Population) -> np.ndarray:
    """Each model's rank among the models its name would clash with (0 keeps the name; k > 0 adds ``-v<k+1>``).

    A name is determined by its author, kind and per-kind determinants; a quantization's by its parent's
    name and its format, so its rank is taken after its parent's.
    """
    kind = pop.kind.astype(np.int64)
    a = pop.author.astype(np.int64)
    root = pop.root
    par = np.maximum(pop.parent, 0)
    root2 = np.where(pop.parent2 >= 0, root[np.maximum(pop.parent2, 0)], -1)
    neg = np.full(pop.n, -1, dtype=np.int64)
    # name determinants per kind (unused -> -1)
    k1 = np.select([kind == K_INDEPENDENT, kind == K_REUPLOAD, np.isin(kind, (K_FINETUNE, K_ADAPTER, K_MERGE,
                                                                            K_DISTILL))],
                   [pop.config_idx.astype(np.int64), par, root], neg)
    k2 = np.where(kind == K_MERGE, root2, neg)
    k3 = np.where(np.isin(kind, (K_INDEPENDENT, K_FINETUNE, K_ADAPTER, K_MERGE, K_OPAQUE)),
                  pop.suffix.astype(np.int64), neg)
    rank = _rank([a, kind, k1, k2, k3])
    rank[:pop.n_official] = 0
    q = np.flatnonzero(kind == K_QUANT)
    if len(q):
        p = par[q]
        rank[q] = _rank([a[q], kind[p], k1[p], k2[p], k3[p], rank[p], pop.fmt[q].astype(np.int64)])
    return rank


def _own_tails(pop: Population, idx_by_kind: dict[int, np.ndarray]) -> dict[int, pa.Array]:
    """The part after ``author/`` of every kind whose name does not depend on another model's name."""
    prof, R = pop.profile, pop.n_official
    root, cfg, suf = pop.root, pop.config_idx.astype(np.int64), pop.suffix.astype(np.int64)
    root2 = np.where(pop.parent2 >= 0, root[np.maximum(pop.parent2, 0)], -1)
    root_short = pa.array([r.id.split("/", 1)[1] for r in prof.roots])
    cfg_short = pa.array([""] * R + [c.get("model_type") or "model" for c in prof.independent])
    suffixes = pa.array(prof.suffixes)

    def short(ix: np.ndarray) -> pa.Array:
        return root_short.take(pa.array(np.clip(ix, 0, R - 1)))

    def sfx(ix: np.ndarray) -> pa.Array:
        return suffixes.take(pa.array(suf[ix]))

    by = idx_by_kind
    return {
        K_OFFICIAL: short(by[K_OFFICIAL]),
        K_INDEPENDENT: _J(cfg_short.take(pa.array(cfg[by[K_INDEPENDENT]])), sfx(by[K_INDEPENDENT]), "-"),
        K_FINETUNE: _J(short(root[by[K_FINETUNE]]), sfx(by[K_FINETUNE]), "-"),
        K_ADAPTER: _J(short(root[by[K_ADAPTER]]), sfx(by[K_ADAPTER]), "lora", "-"),
        K_MERGE: _J(short(root[by[K_MERGE]]), short(root2[by[K_MERGE]]), sfx(by[K_MERGE]), "-"),
        K_DISTILL: _J(pa.scalar("R1-Distill"), short(root[by[K_DISTILL]]), "-"),
        K_REUPLOAD: short(np.maximum(pop.parent, 0)[by[K_REUPLOAD]]),
        K_OPAQUE: _J(pa.scalar("checkpoint"), sfx(by[K_OPAQUE]), "-"),
    }


def _with_rank(rank: np.ndarray, tail: pa.Array) -> pa.Array:
    """``tail`` with ``-v<rank+1>`` appended where the rank is above 0."""
    ver = _J(pa.scalar("v"), pc.cast(pa.array(rank + 1), pa.string()), "")
    return pc.if_else(pa.array(rank > 0), _J(tail, ver, "-"), tail)


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
