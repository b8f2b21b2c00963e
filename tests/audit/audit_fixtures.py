"""Real-format fixtures for the audit tests, generated on the fly: configs of each family's shape,
tokenizers built with `tokenizers` carrying each family's special tokens, safetensors written with
`safetensors` (numpy), GGUF written with `gguf.GGUFWriter`.

Vocabularies are shortened (a few hundred ordinary tokens plus the family's special tokens) so the
tests stay fast; config `vocab_size` and the embedding rows keep each family's real value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
LLAMA3 = ("{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
          "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")
GEMMA = ("{{ bos_token }}{% for message in messages %}{% set role = 'model' if message['role'] == 'assistant' "
         "else message['role'] %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + "
         "'<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}")
MISTRAL = ("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + "
           "message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}")
DEEPSEEK = ("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '<｜User｜>' + "
            "message['content'] }}{% else %}{{ '<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>' }}"
            "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<｜Assistant｜>' }}{% endif %}")

# each family's shape: config of a real released model, its special tokens, chat template, GGUF name
FAMILIES: dict[str, dict[str, Any]] = {
    "qwen2": {
        "config": {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 152064,
                   "hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28,
                   "num_key_value_heads": 4, "intermediate_size": 18944, "rope_theta": 1000000.0,
                   "max_position_embeddings": 32768},
        "specials": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], "bos": None, "eos": "<|im_end|>",
        "template": CHATML, "gguf_arch": "qwen2", "root": "Qwen/Qwen2.5-7B", "license": "apache-2.0",
        "qkv_bias": True,
    },
    "llama3": {
        "config": {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 128256,
                   "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                   "num_key_value_heads": 8, "intermediate_size": 14336, "rope_theta": 500000.0,
                   "max_position_embeddings": 131072},
        "specials": ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                     "<|eot_id|>"], "bos": "<|begin_of_text|>", "eos": "<|eot_id|>",
        "template": LLAMA3, "gguf_arch": "llama", "root": "meta-llama/Llama-3.1-8B", "license": "llama3.1",
        "qkv_bias": False,
    },
    "gemma": {
        "config": {"model_type": "gemma2", "architectures": ["Gemma2ForCausalLM"], "vocab_size": 256000,
                   "hidden_size": 2304, "num_hidden_layers": 26, "num_attention_heads": 8,
                   "num_key_value_heads": 4, "intermediate_size": 9216, "rope_theta": 10000.0,
                   "max_position_embeddings": 8192},
        "specials": ["<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>"], "bos": "<bos>", "eos": "<eos>",
        "template": GEMMA, "gguf_arch": "gemma2", "root": "google/gemma-2-2b", "license": "gemma",
        "qkv_bias": False,
    },
    "mistral": {
        "config": {"model_type": "mistral", "architectures": ["MistralForCausalLM"], "vocab_size": 32768,
                   "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                   "num_key_value_heads": 8, "intermediate_size": 14336, "rope_theta": 1000000.0,
                   "max_position_embeddings": 32768},
        "specials": ["<s>", "</s>", "[INST]", "[/INST]"], "bos": "<s>", "eos": "</s>",
        "template": MISTRAL, "gguf_arch": "llama", "root": "mistralai/Mistral-7B-v0.3", "license": "apache-2.0",
        "qkv_bias": False,
    },
    "deepseek_v3": {
        "config": {"model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 129280,
                   "hidden_size": 7168, "num_hidden_layers": 61, "num_attention_heads": 128,
                   "num_key_value_heads": 128, "intermediate_size": 18432, "rope_theta": 10000.0,
                   "max_position_embeddings": 163840,
                   "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekV3Config",
                                "AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM"}},
        "specials": ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>"],
        "bos": "<｜begin▁of▁sentence｜>", "eos": "<｜end▁of▁sentence｜>",
        "template": DEEPSEEK, "gguf_arch": "deepseek2", "root": "deepseek-ai/DeepSeek-V3", "license": "mit",
        "qkv_bias": False,
    },
}
BASE_TOKENS = 300
EMB_DIM = 4


def write_tokenizer(folder: Path, family: str, *, template: str | None = None) -> None:
    """tokenizer.json built with `tokenizers` + tokenizer_config.json, carrying the family's specials."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    fam = FAMILIES[family]
    vocab = {f"{family[:2]}{i}": i for i in range(BASE_TOKENS)}
    vocab["[UNK]"] = BASE_TOKENS
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    tok.add_special_tokens(fam["specials"])
    tok.save(str(folder / "tokenizer.json"))
    doc = json.loads((folder / "tokenizer.json").read_text())
    decoder = {str(t["id"]): {"content": t["content"], "special": True} for t in doc["added_tokens"]}
    cfg = {"added_tokens_decoder": decoder, "bos_token": fam["bos"], "eos_token": fam["eos"],
           "chat_template": template if template is not None else fam["template"],
           "tokenizer_class": "PreTrainedTokenizerFast"}
    (folder / "tokenizer_config.json").write_text(json.dumps(cfg, ensure_ascii=False))


def write_safetensors(path: Path, vocab: int, *, qkv_bias: bool = False, layers: int = 2) -> None:
    """A real safetensors file: embedding (vocab x 4) and a few per-layer tensors, numpy backend."""
    from safetensors.numpy import save_file

    tensors = {"model.embed_tokens.weight": np.zeros((vocab, EMB_DIM), dtype=np.float16),
               "model.norm.weight": np.ones((EMB_DIM,), dtype=np.float16)}
    for i in range(layers):
        tensors[f"model.layers.{i}.self_attn.q_proj.weight"] = np.zeros((EMB_DIM, EMB_DIM), dtype=np.float16)
        if qkv_bias:
            tensors[f"model.layers.{i}.self_attn.q_proj.bias"] = np.zeros((EMB_DIM,), dtype=np.float16)
    save_file(tensors, str(path), metadata={"format": "pt"})


def write_gguf(path: Path, family: str, *, arch: str | None = None, n_tokens: int | None = None,
               base_models: list[dict[str, str]] | None = None, template: str | None = None,
               name: str = "fixture") -> None:
    """A real GGUF file written with gguf.GGUFWriter: tokenizer.ggml.* with the family's specials."""
    import gguf

    fam = FAMILIES[family]
    arch = arch or fam["gguf_arch"]
    n = n_tokens or fam["config"]["vocab_size"]
    specials = fam["specials"]
    tokens = [f"{family[:2]}{i}" for i in range(n - len(specials))] + specials
    types = [1] * (n - len(specials)) + [3] * len(specials)
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(name)
    w.add_block_count(2)
    w.add_embedding_length(EMB_DIM)
    w.add_vocab_size(n)
    if base_models:
        w.add_base_model_count(len(base_models))
        for i, b in enumerate(base_models):
            if "name" in b:
                w.add_base_model_name(i, b["name"])
            if "organization" in b:
                w.add_base_model_organization(i, b["organization"])
            if "repo_url" in b:
                w.add_base_model_repo_url(i, b["repo_url"])
    w.add_tokenizer_model("gpt2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_chat_template(template if template is not None else fam["template"])
    w.add_tensor("token_embd.weight", np.zeros((8, EMB_DIM), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def make_folder(root: Path, name: str, family: str, *, config: dict[str, Any] | None = None,
                tokenizer_family: str | None = None, card: dict[str, Any] | None = None,
                weights: str = "safetensors", template: str | None = None, vocab: int | None = None) -> Path:
    """A model folder in Hub layout: config.json, tokenizer files, README front-matter, weights."""
    folder = root / name
    folder.mkdir(parents=True)
    cfg = dict(FAMILIES[family]["config"])
    cfg.update(config or {})
    (folder / "config.json").write_text(json.dumps(cfg))
    write_tokenizer(folder, tokenizer_family or family, template=template)
    if card is not None:
        import yaml

        (folder / "README.md").write_text("---\n" + yaml.safe_dump(card) + "---\n# Model\n")
    if weights == "safetensors":
        write_safetensors(folder / "model.safetensors", vocab or cfg["vocab_size"],
                          qkv_bias=FAMILIES[tokenizer_family or family]["qkv_bias"])
    elif weights == "bin":
        import pickle

        (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"weights": [0.0, 1.0]}, protocol=2))
    return folder


def hub_record(model_id: str, *, base: str | list[str] | None = None, relation: str | None = None,
               license: str | None = "apache-2.0", files: list[str] | None = None, tags: list[str] | None = None,
               config: dict[str, Any] | None = None, gated: Any = False, card: str | None = None,
               downloads: int = 10) -> dict[str, Any]:
    """A Hub API model record (camelCase), as the store's importers take it."""
    card_data: dict[str, Any] = {}
    if license:
        card_data["license"] = license
    if base is not None:
        card_data["base_model"] = base
    if relation:
        card_data["base_model_relation"] = relation
    rec: dict[str, Any] = {"id": model_id, "author": model_id.split("/")[0], "cardData": card_data,
                           "tags": list(tags or []), "gated": gated, "downloads": downloads,
                           "downloadsAllTime": downloads * 10, "createdAt": "2025-01-01T00:00:00Z",
                           "siblings": [{"rfilename": f} for f in (files if files is not None
                                                                   else ["config.json", "model.safetensors"])]}
    if config is not None:
        rec["config"] = config
    if card is not None:
        rec["card"] = card
    return rec


def add_snapshot(store: Any, records: list[dict[str, Any]], *, synthetic: bool = False) -> int:
    """Import records as one snapshot and build its lineage; returns the snapshot id."""
    from datetime import UTC, datetime

    from modelcensus.sources.records import to_staging_row, to_staging_table
    from modelcensus.store.store import SnapshotMeta

    rows = [to_staging_row(r, i) for i, r in enumerate(records)]
    meta = SnapshotMeta(source="test", observed_at=datetime(2025, 6, 1, tzinfo=UTC), synthetic=synthetic)
    res = store.import_tables(meta, [to_staging_table(rows)])
    return res.snapshot.id
