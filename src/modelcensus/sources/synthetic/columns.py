"""Hub-shaped columns for a slice of the synthetic population at one month, built with Arrow compute.

One builder feeds every output: the hub-stats Parquet layout (``hubstats_table``), the staging
layout of the store (``staging_table``) and Hub API records (``SyntheticHub.records``), so they
cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelcensus.sources.synthetic.names import model_ids
from modelcensus.sources.synthetic.population import (
    ADAPTER,
    DAY,
    FORMATS,
    MERGE,
    QUANTIZED,
    Population,
    hash_normal,
    hash_uniform,
    monthly_flows,
)
from modelcensus.store.staging import STAGING_SCHEMA

HUB_RELATION = ("finetune", "adapter", "quantized", "merge", "finetune", "finetune")  # by RELATIONS index
GGUF_FORMATS = {FORMATS.index("GGUF"), FORMATS.index("i1-GGUF")}
MLX_FORMATS = {FORMATS.index("4bit"), FORMATS.index("8bit"), FORMATS.index("bf16")}

BASE_MODELS_TYPE = pa.struct([("relation", pa.string()), ("models", pa.list_(pa.struct([("id", pa.string())])))])
HUBSTATS_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("author", pa.string()),
    ("sha", pa.string()),
    ("createdAt", pa.timestamp("us", tz="UTC")),
    ("lastModified", pa.timestamp("us", tz="UTC")),
    ("private", pa.bool_()),
    ("gated", pa.string()),
    ("disabled", pa.bool_()),
    ("downloads", pa.int64()),
    ("downloadsAllTime", pa.int64()),
    ("likes", pa.int64()),
    ("trendingScore", pa.float64()),
    ("pipeline_tag", pa.string()),
    ("library_name", pa.string()),
    ("tags", pa.list_(pa.string())),
    ("baseModels", BASE_MODELS_TYPE),
    ("safetensors", pa.struct([("total", pa.int64())])),
    ("gguf", pa.string()),
    ("cardData", pa.string()),
    ("config", pa.string()),
])

J = pc.binary_join_element_wise


def _opt(mask: np.ndarray, values: pa.Array | pa.Scalar | str) -> pa.Array:
    """``values`` where ``mask``, else null."""
    if isinstance(values, str):
        values = pa.scalar(values)
    return pc.if_else(pa.array(mask), values, pa.scalar(None, pa.string()))


def _join(*parts: Any) -> pa.Array:
    """Concatenate, skipping null parts (assembles optional pieces)."""
    return J(*parts, "", null_handling="skip")


def _cat(*parts: Any) -> pa.Array:
    """Concatenate; null if any part is null (a piece that only exists with its value)."""
    return J(*parts, "")


def _interleave_lists(cols: list[pa.Array], n: int) -> pa.ListArray:
    """Row-wise lists from nullable columns (nulls dropped): [[c0[i], c1[i], ...] for i]."""
    k = len(cols)
    if n == 0:
        return pa.array([], pa.list_(pa.string()))
    flat = pa.concat_arrays([c.cast(pa.string()) for c in cols])
    perm = np.arange(n * k).reshape(k, n).T.ravel()
    vals = flat.take(pa.array(perm))
    valid = vals.is_valid().to_numpy(zero_copy_only=False).reshape(n, k)
    offsets = np.concatenate([[0], np.cumsum(valid.sum(axis=1))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), vals.filter(pa.array(valid.ravel())))


@dataclass
class _Slice:
    """Models ``idx`` at one month: the per-model codes every column reads."""

    idx: np.ndarray
    seed: int
    obs: int  # the month's observation moment, unix seconds
    created: np.ndarray
    rel: np.ndarray
    fam: np.ndarray
    cfg: np.ndarray
    official: np.ndarray
    is_gguf: np.ndarray
    is_mlx: np.ndarray
    diffusers: np.ndarray

    @property
    def n(self) -> int:
        return len(self.idx)

    @property
    def is_adapter(self) -> np.ndarray:
        return self.rel == ADAPTER

    @property
    def is_merge(self) -> np.ndarray:
        return self.rel == MERGE

    @property
    def is_quant(self) -> np.ndarray:
        return self.rel == QUANTIZED


@dataclass
class _Parents:
    """The declared parent ids (up to three; null where not declared) and the Hub relation."""

    declared: np.ndarray
    p1: pa.Array
    p2: pa.Array
    p3: pa.Array
    relation: pa.Array


def _base_models(p: _Parents) -> pa.StructArray:
    """The hub-stats ``baseModels`` struct: relation and the list of parent ids."""
    models_list = _interleave_lists([p.p1, p.p2, p.p3], len(p.declared))
    models_structs = pa.ListArray.from_arrays(
        models_list.offsets, pa.StructArray.from_arrays([models_list.values], names=["id"]),
        mask=pa.array(~p.declared))
    return pa.StructArray.from_arrays([p.relation, models_structs], names=["relation", "models"],
                                      mask=pa.array(~p.declared))


def _staged_base_models(p: _Parents) -> pa.Array:
    """The same parents as the staging layout's JSON text (``[{"relation": ..., "id": ...}, ...]``)."""
    rel_json = _cat(pa.scalar('{"relation": "'), p.relation, pa.scalar('", "id": "'))
    staged = _join(pa.scalar("["), _cat(rel_json, p.p1, pa.scalar('"}')),
                   _cat(pa.scalar(", "), rel_json, p.p2, pa.scalar('"}')),
                   _cat(pa.scalar(", "), rel_json, p.p3, pa.scalar('"}')), pa.scalar("]"))
    return pc.if_else(p.p1.is_valid(), staged, pa.scalar(None, pa.string()))


@dataclass
class Universe:
    """Population plus its per-model names and per-config JSON: everything month-independent."""

    pop: Population
    ids: pa.Array
    authors: pa.Array
    config_json: pa.Array  # by config index
    gguf_json: pa.Array  # by config index (GGUF repos)
    model_type: pa.Array  # by config index
    pipeline: pa.Array  # by config index
    library: pa.Array  # by config index
    gguf_arch: list[str | None]
    licenses: pa.Array
    params_by_cfg: np.ndarray
    renamed_ids: pa.Array  # ids of the official models after their namespace's rename (else unchanged)
    renamed_at: np.ndarray  # by official index: unix seconds of the rename, or INT64_MAX

    @classmethod
    def build(cls, pop: Population) -> Universe:
        prof = pop.profile
        ids, authors = model_ids(pop)
        cfgs: list[dict[str, Any]] = []
        pipes: list[str | None] = []
        libs: list[str] = []
        params: list[int] = []
        for r in prof.roots:
            c = r.config
            fam = prof.families[r.family]
            cfgs.append(c)
            pipes.append(fam.pipeline_tag)
            libs.append(fam.library_name)
            params.append(r.params)
        for c in prof.independent:
            cfgs.append(c)
            pipes.append(c.get("pipeline_tag"))
            libs.append("transformers")
            params.append(0)
        cjson: list[str | None] = []
        gjson: list[str | None] = []
        mtypes: list[str | None] = []
        archs: list[str | None] = []
        for c, p in zip(cfgs, params, strict=True):
            obj: dict[str, Any] = {}
            if c.get("model_type"):
                obj["model_type"] = c["model_type"]
            if c.get("architectures"):
                obj["architectures"] = list(c["architectures"])
            if c.get("vocab_size"):
                obj["vocab_size"] = c["vocab_size"]
            tok = {k: c.get(k) for k in ("bos_token", "eos_token", "pad_token") if c.get(k)}
            if c.get("special"):
                tok["additional_special_tokens"] = [c["special"]]
            if tok:
                obj["tokenizer_config"] = tok
            cjson.append(json.dumps(obj, ensure_ascii=False) if obj else None)
            arch = c.get("model_type")
            archs.append(arch)
            gjson.append(json.dumps({"total": p, "architecture": arch, "context_length": 32768})
                         if arch else None)
            mtypes.append(c.get("model_type"))
        never = np.iinfo(np.int64).max
        renamed_at = np.full(len(prof.roots), never, dtype=np.int64)
        new_ids = []
        for i, r in enumerate(prof.roots):
            fam = prof.families[r.family]
            ns, name = r.id.split("/", 1)
            if fam.renamed_from and ns == fam.renamed_from and fam.renamed_at is not None:
                renamed_at[i] = fam.renamed_at
                new_ids.append(f"{fam.org}/{name}")
            else:
                new_ids.append(r.id)
        return cls(pop=pop, ids=ids, authors=authors, renamed_ids=pa.array(new_ids, pa.string()),
                   renamed_at=renamed_at, config_json=pa.array(cjson, pa.string()),
                   gguf_json=pa.array(gjson, pa.string()), model_type=pa.array(mtypes, pa.string()),
                   pipeline=pa.array(pipes, pa.string()), library=pa.array(libs, pa.string()),
                   gguf_arch=archs, licenses=pa.array(pop.licenses, pa.string()),
                   params_by_cfg=np.array(params, dtype=np.int64))

    def ids_as_named(self, rows: np.ndarray, at: np.ndarray | int) -> pa.Array:
        """Ids of ``rows`` as spelled at time(s) ``at``: official repos of a renamed namespace move."""
        rows = np.asarray(rows, dtype=np.int64)
        R = self.pop.n_official
        off = rows < R
        moved = off & (np.broadcast_to(np.asarray(at, dtype=np.int64), rows.shape) >=
                       self.renamed_at[np.minimum(rows, R - 1)])
        base = self.ids.take(pa.array(rows))
        if not moved.any():
            return base
        return pc.if_else(pa.array(moved), self.renamed_ids.take(pa.array(np.minimum(rows, R - 1))), base)

    # -- per month ------------------------------------------------------------------
    def observed_at(self, month: int) -> int:
        """Unix seconds of the observation moment of ``month`` (its last second)."""
        return int(self.pop.month_starts[month + 1]) - 1

    def alive(self, month: int) -> np.ndarray:
        """Indices of the models visible at the end of ``month`` (created, not yet deleted)."""
        t = self.observed_at(month)
        return np.flatnonzero((self.pop.created <= t) & (self.pop.deleted > t))

    def columns(self, idx: np.ndarray, month: int, *, history_noise: bool = True) -> dict[str, pa.Array]:
        """All Hub fields of models ``idx`` at the end of ``month`` (hub-stats names)."""
        s = self._slice(idx, month)
        p = self._declared_parents(s)
        lic_i = self.pop.license[s.idx].astype(np.int64)
        lic = _opt(lic_i >= 0, self.licenses.take(pa.array(np.maximum(lic_i, 0))))
        library = self.library.take(pa.array(s.cfg))
        library = pc.if_else(pa.array(s.is_adapter & ~s.diffusers), pa.scalar("peft"), library)
        library = pc.if_else(pa.array(s.is_gguf), pa.scalar("gguf"), library)
        library = pc.if_else(pa.array(s.is_mlx), pa.scalar("mlx"), library)
        pipeline = self.pipeline.take(pa.array(s.cfg))
        life = (hash_uniform(s.seed, s.idx, 0, salt=3) * 500 * DAY).astype(np.int64)
        last_mod = np.minimum(s.created + life, s.obs)
        row_ids = self.ids_as_named(s.idx, s.obs)
        return {
            "_base_models_json": _staged_base_models(p),
            "id": row_ids,
            "author": pc.if_else(pa.array(s.official), pc.list_element(pc.split_pattern(row_ids, "/"), 0),
                                 self.authors.take(pa.array(s.idx))),
            "sha": _sha(s.seed, s.idx, last_mod),
            "createdAt": pa.array(s.created * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "lastModified": pa.array(last_mod * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "private": pa.repeat(pa.scalar(False), s.n),
            "gated": self._gated(s),
            "disabled": pa.repeat(pa.scalar(False), s.n),
            **self._counts(s, month, history_noise),
            "pipeline_tag": pipeline,
            "library_name": library,
            "tags": self._tags(s, p, library, pipeline, lic),
            "baseModels": _base_models(p),
            **self._weights(s),
            "cardData": self._card(s, p, library, lic),
        }

    def _slice(self, idx: np.ndarray, month: int) -> _Slice:
        pop = self.pop
        idx = np.asarray(idx, dtype=np.int64)
        rel = pop.relation[idx].astype(np.int64)
        fam = pop.family[idx].astype(np.int64)
        fmt = pop.fmt[idx].astype(np.int64)
        diffusers = next((i for i, f in enumerate(pop.profile.families) if f.library_name == "diffusers"), -99)
        return _Slice(idx=idx, seed=pop.seed, obs=self.observed_at(month), created=pop.created[idx], rel=rel,
                      fam=fam, cfg=pop.config_idx[idx].astype(np.int64), official=idx < pop.n_official,
                      is_gguf=np.isin(fmt, list(GGUF_FORMATS)), is_mlx=np.isin(fmt, list(MLX_FORMATS)),
                      diffusers=fam == diffusers)

    def _counts(self, s: _Slice, month: int, history_noise: bool) -> dict[str, pa.Array]:
        """Downloads (30 days and all time), likes and trending score, from the monthly flows."""
        flows = monthly_flows(self.pop, s.idx, month, history_noise=history_noise)
        all_time = np.floor(flows.sum(axis=1, dtype=np.float64)).astype(np.int64)
        d30 = np.minimum(np.floor(flows[:, -1]).astype(np.int64), all_time)
        like_k = (float(self.pop.profile.dl["likes_per_download"])
                  * np.exp(0.8 * hash_normal(s.seed, s.idx, 0, salt=7)))
        likes = np.floor(like_k * all_time.astype(np.float64) ** 0.85).astype(np.int64)
        age_days = (s.obs - s.created) / DAY
        trending = np.round(np.where(age_days < 45, likes * 0.2, likes * 0.01 * (d30 > 0)), 0)
        return {"downloads": pa.array(d30, pa.int64()), "downloadsAllTime": pa.array(all_time, pa.int64()),
                "likes": pa.array(likes, pa.int64()), "trendingScore": pa.array(trending, pa.float64())}

    def _declared_parents(self, s: _Slice) -> _Parents:
        """The parent ids each model declares, as they were named when the model was created."""
        pop, idx = self.pop, s.idx
        declared = pop.declared[idx]
        p1 = np.where(pop.cycle_parent[idx] >= 0, pop.cycle_parent[idx], pop.parent[idx])
        p1_id = self.ids_as_named(np.maximum(p1, 0), s.created)
        p1_id = pc.if_else(pa.array(pop.dangling[idx]), J(p1_id, pa.scalar("old"), "-"), p1_id)
        p2m = declared & (pop.parent2[idx] >= 0)
        p3m = declared & (pop.parent3[idx] >= 0)
        hub_rel = pa.array(HUB_RELATION).take(pa.array(np.maximum(s.rel, 0)))
        return _Parents(declared=declared, p1=_opt(declared, p1_id),
                        p2=_opt(p2m, self.ids_as_named(np.maximum(pop.parent2[idx], 0), s.created)),
                        p3=_opt(p3m, self.ids_as_named(np.maximum(pop.parent3[idx], 0), s.created)),
                        relation=_opt(declared, hub_rel))

    def _tags(self, s: _Slice, p: _Parents, library: pa.Array, pipeline: pa.Array, lic: pa.Array) -> pa.ListArray:
        """Hub-computed and card tags, in the Hub's order."""
        mtype = self.model_type.take(pa.array(s.cfg))
        ids = (p.p1, p.p2, p.p3)
        return _interleave_lists([
            library,
            _opt(~s.is_gguf & ~s.is_mlx & ~s.diffusers & ~s.is_adapter, "safetensors"),
            _opt(s.is_gguf, "gguf"),
            _opt(~s.is_gguf, mtype),
            pipeline,
            _opt(s.is_adapter, "lora"),
            _opt(s.is_merge, "mergekit"),
            _opt(s.is_merge, "merge"),
            *[_cat(pa.scalar("base_model:"), c) for c in ids],
            *[_cat(pa.scalar("base_model:"), p.relation, pa.scalar(":"), c) for c in ids],
            _cat(pa.scalar("license:"), lic),
            pa.repeat(pa.scalar("region:us"), s.n),
        ], s.n)

    def _card(self, s: _Slice, p: _Parents, library: pa.Array, lic: pa.Array) -> pa.Array:
        """The card's YAML as JSON: licence, base model(s), sometimes the relation, distillation tags."""
        q = lambda v: J(pa.scalar('"'), v, pa.scalar('"'), "")  # noqa: E731 - ids and licences need no escaping
        merge_list = _join(pa.scalar("["), q(p.p1), _cat(pa.scalar(", "), q(p.p2)),
                           _cat(pa.scalar(", "), q(p.p3)), pa.scalar("]"))
        bm_value = pc.if_else(p.p2.is_valid(), merge_list, q(p.p1))
        say_rel = (p.declared & (s.is_adapter | s.is_merge | s.is_quant)
                   & (hash_uniform(s.seed, s.idx, 0, salt=11) < 0.4))
        return _join(
            pa.scalar("{"),
            _cat(pa.scalar('"license": "'), lic, pa.scalar('", ')),
            _cat(pa.scalar('"base_model": '), bm_value, pa.scalar(", ")),
            _opt(say_rel, _cat(pa.scalar('"base_model_relation": "'), p.relation, pa.scalar('", '))),
            _opt(self.pop.teacher[s.idx] >= 0, '"tags": ["distillation", "reasoning"], '),
            _cat(pa.scalar('"library_name": "'), library, pa.scalar('"')),
            pa.scalar("}"),
        )

    def _weights(self, s: _Slice) -> dict[str, pa.Array]:
        """``safetensors`` (parameter count), ``gguf`` metadata and ``config``, as the model's format has them."""
        params = self.params_by_cfg[s.cfg]
        params = np.where(s.is_adapter, params // 200, params)
        st_null = s.is_gguf | (params <= 0) | s.is_adapter & s.diffusers
        safetensors = pa.StructArray.from_arrays([pa.array(params, pa.int64())], names=["total"],
                                                 mask=pa.array(st_null))
        mtype = self.model_type.take(pa.array(s.cfg))
        config = self.config_json.take(pa.array(s.cfg))
        config = pc.if_else(pa.array(s.is_gguf), _cat(pa.scalar('{"model_type": "'), mtype, pa.scalar('"}')), config)
        config = pc.if_else(pa.array(s.is_adapter), pa.scalar(None, pa.string()), config)
        return {"safetensors": safetensors, "gguf": _opt(s.is_gguf, self.gguf_json.take(pa.array(s.cfg))),
                "config": config}

    def _gated(self, s: _Slice) -> pa.Array:
        """Official Llama and Gemma repos are gated manually; about 1 % of the rest automatically."""
        fam_keys = [f.key for f in self.pop.profile.families]
        gated_fams = np.array([fam_keys.index(k) for k in ("llama", "gemma") if k in fam_keys])
        return pa.array(np.where(s.official & np.isin(s.fam, gated_fams), "manual",
                                 np.where(hash_uniform(s.seed, s.idx, 0, salt=13) < 0.01, "auto", "False")),
                        pa.string())

    def hubstats_table(self, idx: np.ndarray, month: int, *, history_noise: bool = True) -> pa.Table:
        cols = self.columns(idx, month, history_noise=history_noise)
        return pa.Table.from_arrays([cols[f.name].cast(f.type) for f in HUBSTATS_SCHEMA], schema=HUBSTATS_SCHEMA)

    def staging_table(self, idx: np.ndarray, month: int) -> pa.Table:
        """The same rows in the store's loose staging layout (``store.staging.STAGING_SCHEMA``)."""
        c = self.columns(idx, month)
        n = len(idx)

        def text(a: pa.Array) -> pa.Array:
            return pc.cast(a, pa.string())

        def iso(a: pa.Array) -> pa.Array:
            return pc.strftime(a, format="%Y-%m-%dT%H:%M:%SZ")

        st_total = pc.struct_field(c["safetensors"], [0])
        st_total = pc.if_else(c["safetensors"].is_valid(), st_total, pa.scalar(None, pa.int64()))
        null = pa.nulls(n, pa.string())
        cols = {
            "id": c["id"], "author": c["author"], "created_at": iso(c["createdAt"]),
            "last_modified": iso(c["lastModified"]), "downloads": text(c["downloads"]),
            "downloads_all_time": text(c["downloadsAllTime"]), "likes": text(c["likes"]),
            "trending_score": text(c["trendingScore"]), "pipeline_tag": c["pipeline_tag"],
            "library_name": c["library_name"], "tags": c["tags"], "card_data": c["cardData"],
            "base_models": c["_base_models_json"], "safetensors_total": text(st_total), "gguf": c["gguf"],
            "config": c["config"], "gated": c["gated"], "private": text(c["private"]),
            "disabled": text(c["disabled"]), "sha": c["sha"], "files": pa.nulls(n, pa.list_(pa.string())),
            "card_text": null, "license": null, "_problem": null, "_pos": pa.array(np.arange(n), pa.int64()),
        }
        return pa.Table.from_arrays([cols[f.name].cast(f.type) for f in STAGING_SCHEMA], schema=STAGING_SCHEMA)


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _sha(seed: int, idx: np.ndarray, last_mod: np.ndarray) -> pa.Array:
    """A 40-hex commit id that changes when the repo's lastModified changes."""
    n = len(idx)
    words = np.stack([
        (hash_uniform(seed, idx, last_mod // DAY, salt=20 + k) * 2**32).astype(np.uint64) for k in range(5)
    ], axis=1).astype(">u4")
    raw = words.view(np.uint8).reshape(n, 20)
    hexed = np.empty((n, 40), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 15]
    offsets = pa.py_buffer(np.arange(0, 40 * n + 1, 40, dtype=np.int32).tobytes())
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(hexed.tobytes()))
