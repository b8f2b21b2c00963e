"""Header readers on real-format fixtures and on hostile files: bounded, clear errors, nothing loaded."""

from __future__ import annotations

import json
import struct
import tracemalloc
from pathlib import Path

import pytest
from audit_fixtures import FAMILIES, write_gguf, write_safetensors, write_tokenizer

from modelcensus.audit.inspect_config import config_features
from modelcensus.audit.inspect_gguf import read_gguf
from modelcensus.audit.inspect_safetensors import read_safetensors_header
from modelcensus.audit.inspect_tokenizer import read_tokenizer
from modelcensus.errors import InputError


def test_safetensors_header_gives_vocab_from_the_embedding(tmp_path: Path) -> None:
    p = tmp_path / "model.safetensors"
    write_safetensors(p, 152064, qkv_bias=True, layers=3)
    h = read_safetensors_header(p)
    assert h.embedding() == ("model.embed_tokens.weight", [152064, 4])
    assert h.features() == {"vocab_size": 152064, "hidden_size": 4, "num_hidden_layers": 3}
    assert h.dtypes == {"F16": 1 + 1 + 3 + 3}
    assert h.parameters == 152064 * 4 + 4 + 3 * 16 + 3 * 4
    assert h.metadata == {"format": "pt"}


def _raw_safetensors(p: Path, header: bytes, claimed: int | None = None, tail: bytes = b"") -> Path:
    p.write_bytes(struct.pack("<Q", len(header) if claimed is None else claimed) + header + tail)
    return p


def test_safetensors_header_claiming_2_pow_60_bytes_is_refused_without_reading(tmp_path: Path) -> None:
    p = _raw_safetensors(tmp_path / "huge.safetensors", b"{}", claimed=2**60)
    tracemalloc.start()
    with pytest.raises(InputError, match=r"huge.safetensors: header claims 1152921504606846976 bytes"):
        read_safetensors_header(p)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000


@pytest.mark.parametrize(("header", "tail", "message"), [
    (b"not json at all", b"", "header is not JSON"),
    (b"\xff\xfe{}", b"", "header is not JSON"),
    (b"[1, 2]", b"", "not a JSON object"),
    (json.dumps({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 400]}}).encode(), b"\0" * 4,
     "points outside the file"),
    (json.dumps({"w": {"dtype": "F16", "shape": [-1], "data_offsets": [0, 0]}}).encode(), b"", "invalid shape"),
    (json.dumps({"w": "x"}).encode(), b"", "is not an object"),
])
def test_malformed_safetensors_headers(tmp_path: Path, header: bytes, tail: bytes, message: str) -> None:
    p = _raw_safetensors(tmp_path / "bad.safetensors", header, tail=tail)
    with pytest.raises(InputError, match=message):
        read_safetensors_header(p)


def test_safetensors_length_larger_than_file(tmp_path: Path) -> None:
    p = _raw_safetensors(tmp_path / "short.safetensors", b"{}", claimed=5000)
    with pytest.raises(InputError, match="claims 5000 bytes but the file has 10"):
        read_safetensors_header(p)


def test_gguf_metadata_from_a_gguf_writer_file(tmp_path: Path) -> None:
    p = tmp_path / "m.gguf"
    write_gguf(p, "qwen2", arch="llama", base_models=[
        {"name": "Qwen2.5 7B", "organization": "Qwen", "repo_url": "https://huggingface.co/Qwen/Qwen2.5-7B"}])
    g = read_gguf(p)
    assert g.architecture == "llama"
    assert g.vocab_size == 152064
    assert g.special_tokens == FAMILIES["qwen2"]["specials"]
    assert g.base_models == [{"name": "Qwen2.5 7B", "organization": "Qwen",
                              "repo_url": "https://huggingface.co/Qwen/Qwen2.5-7B"}]
    assert g.chat_template == FAMILIES["qwen2"]["template"]
    assert g.block_count == 2 and g.hidden_size == 4 and g.tensor_count == 1
    assert len(g.vocab_hash) == 16


def test_truncated_gguf_is_a_clear_error(tmp_path: Path) -> None:
    good = tmp_path / "good.gguf"
    write_gguf(good, "llama3", n_tokens=1000)
    data = good.read_bytes()
    for cut in (10, 30, len(data) // 3):
        p = tmp_path / f"cut{cut}.gguf"
        p.write_bytes(data[:cut])
        with pytest.raises(InputError, match=rf"cut{cut}.gguf: (truncated|malformed header)"):
            read_gguf(p)


def _gguf_header(n_tensors: int, n_kv: int, body: bytes = b"") -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv) + body


def _kv_string(key: str, claimed_len: int, value: bytes) -> bytes:
    k = key.encode()
    return struct.pack("<Q", len(k)) + k + struct.pack("<I", 8) + struct.pack("<Q", claimed_len) + value


def test_gguf_with_absurd_counts_or_lengths(tmp_path: Path) -> None:
    cases = {
        "kv.gguf": (_gguf_header(0, 2**62), "absurd counts"),
        "tensors.gguf": (_gguf_header(2**40, 1), "absurd counts"),
        "strlen.gguf": (_gguf_header(0, 1, _kv_string("general.name", 2**63, b"abc")), "string claims"),
        "array.gguf": (_gguf_header(0, 1, struct.pack("<Q", 4) + b"a.b." + struct.pack("<IIQ", 9, 8, 2**61)),
                       "array claims"),
        "array2.gguf": (_gguf_header(0, 1, struct.pack("<Q", 4) + b"a.b." + struct.pack("<IIQ", 9, 4, 10**6)),
                        "runs past the end"),
        "type.gguf": (_gguf_header(0, 1, struct.pack("<Q", 4) + b"a.b." + struct.pack("<I", 99)), "unknown value"),
        "magic.gguf": (b"GGML" + b"\0" * 40, "bad magic"),
    }
    tracemalloc.start()
    for name, (data, message) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(InputError, match=message):
            read_gguf(p)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000


def test_tokenizer_identity(tmp_path: Path) -> None:
    write_tokenizer(tmp_path, "llama3")
    t = read_tokenizer(tmp_path)
    assert t is not None
    assert t.vocab_size == 301 + 5
    assert t.special_tokens == FAMILIES["llama3"]["specials"]
    assert t.chat_template == FAMILIES["llama3"]["template"]
    other = tmp_path / "other"
    other.mkdir()
    write_tokenizer(other, "qwen2")
    assert read_tokenizer(other).vocab_hash != t.vocab_hash


def test_config_features_reads_nested_text_config() -> None:
    cfg = {"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"],
           "text_config": {"model_type": "gemma3_text", "vocab_size": 262208, "hidden_size": 2560}}
    f = config_features(cfg)
    assert f == {"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"],
                 "vocab_size": 262208, "hidden_size": 2560}
    with pytest.raises(InputError, match="not a JSON object"):
        config_features([1])
