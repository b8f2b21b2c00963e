"""Targets and inventories: classification, revisions, confinement to the inventory folder, and
hostile inventories (YAML bombs, escapes, symlink loops, non-UTF-8 names)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modelcensus.audit.targets import Target, TargetError, load_inventory, parse_target
from modelcensus.errors import InputError


def test_parse_target_kinds(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "a.gguf").write_bytes(b"GGUF")
    (tmp_path / "b.safetensors").write_bytes(b"")
    assert parse_target(str(tmp_path / "m")).kind == "folder"
    assert parse_target(str(tmp_path / "a.gguf")).kind == "gguf"
    assert parse_target(str(tmp_path / "b.safetensors")).kind == "safetensors"
    t = parse_target("Qwen/Qwen2.5-7B@a1b2c3")
    assert (t.kind, t.id, t.revision) == ("hub", "Qwen/Qwen2.5-7B", "a1b2c3")
    assert parse_target("gpt2").id == "gpt2"
    with pytest.raises(InputError, match="no such file"):
        parse_target(str(tmp_path / "missing.gguf"))
    with pytest.raises(InputError, match="not a valid git revision"):
        parse_target("Qwen/Qwen2.5-7B@bad rev;rm")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(InputError, match="unsupported file type"):
        parse_target(str(tmp_path / "x.txt"))


def test_text_csv_and_yaml_inventories(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "local").mkdir()
    (tmp_path / "inv.txt").write_text("# comment\nQwen/Qwen2.5-7B@abc\nmodels/local\n\nmeta-llama/Llama-3.1-8B main\n")
    items = load_inventory(tmp_path / "inv.txt")
    assert [(t.kind, t.id, t.revision) for t in items if isinstance(t, Target)] == [
        ("hub", "Qwen/Qwen2.5-7B", "abc"), ("folder", None, None), ("hub", "meta-llama/Llama-3.1-8B", "main")]
    (tmp_path / "inv.csv").write_text("model,revision\nQwen/Qwen2.5-7B,abc\nmodels/local,\n")
    items = load_inventory(tmp_path / "inv.csv")
    assert [(t.kind, t.revision) for t in items] == [("hub", "abc"), ("folder", None)]
    (tmp_path / "inv.yaml").write_text("models:\n  - Qwen/Qwen2.5-7B\n  - {id: org/m, revision: v1}\n"
                                       "  - {path: models/local}\n  - 42\n")
    items = load_inventory(tmp_path / "inv.yaml")
    assert [type(t).__name__ for t in items] == ["Target", "Target", "Target", "TargetError"]
    assert items[1].revision == "v1"
    assert "item 4" in items[3].source


def test_inventory_entries_cannot_escape_their_folder(tmp_path: Path) -> None:
    inv_dir = tmp_path / "inv"
    inv_dir.mkdir()
    outside = tmp_path / "secret"
    outside.mkdir()
    (inv_dir / "ok").mkdir()
    (inv_dir / "link").symlink_to(outside)
    (inv_dir / "list.txt").write_text(f"../secret\n{outside}\nlink\nok\n../nope.gguf\n")
    items = load_inventory(inv_dir / "list.txt")
    errors = [t for t in items if isinstance(t, TargetError)]
    assert [e.ref for e in errors] == ["../secret", str(outside), "link", "../nope.gguf"]
    assert all("outside the inventory folder" in e.message for e in errors)
    assert [t.kind for t in items if isinstance(t, Target)] == ["folder"]


def test_yaml_bomb_inventory_is_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    (tmp_path / "inv.yaml").write_text(bomb)
    with pytest.raises(InputError, match="aliases are not accepted"):
        load_inventory(tmp_path / "inv.yaml")


def test_non_utf8_inventory_and_names(tmp_path: Path) -> None:
    (tmp_path / "inv.txt").write_bytes(b"Qwen/Qwen2.5-7B\n\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_inventory(tmp_path / "inv.txt")
    bad = os.fsdecode(bytes(tmp_path) + b"/m\xff.gguf")
    Path(bad).write_bytes(b"GGUF")
    with pytest.raises(InputError, match=r"m\\xff.gguf: file name is not valid UTF-8"):
        parse_target(bad)


def test_symlink_loop_target(tmp_path: Path) -> None:
    (tmp_path / "loop.gguf").symlink_to(tmp_path / "loop.gguf")
    with pytest.raises(InputError, match="symlink loop"):
        parse_target(str(tmp_path / "loop.gguf"))
