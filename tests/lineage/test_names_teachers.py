"""The name rules run in both regex engines, and the teacher list is schema-checked data."""

from __future__ import annotations

import re

import duckdb
import pytest

from modelcensus.errors import InputError
from modelcensus.lineage import names
from modelcensus.lineage.teachers import load_teachers, parse_teachers


@pytest.mark.parametrize("pattern", names.PATTERNS)
def test_every_name_pattern_runs_in_python_and_duckdb(pattern):
    re.compile(pattern)
    duckdb.connect().execute("SELECT regexp_matches('x', ?)", [pattern]).fetchall()


@pytest.mark.parametrize("value,ok", [
    ("Qwen/Qwen2.5-7B", True), ("meta-llama/Llama-3.1-8B", True), ("a/b", True),
    ("ORIGINAL_REPO_NAME", False), ("mistral-7b", False), ("../../etc/passwd", False),
    ("org--x/name", False), ("org/bad..name", False), ("org/name-", False), ("org./name", False),
    ("org/" + "x" * 97, False), ("a/b/c", False), ("/name", False),
])
def test_valid_hub_id(value, ok):
    sql = f"SELECT {names.valid_hub_id_sql('v')} FROM (SELECT ?::VARCHAR AS v)"
    assert duckdb.connect().execute(sql, [value]).fetchall()[0][0] is ok


@pytest.mark.parametrize("name,word,gen,size,variant,inst", [
    ("llama-3.1-8b-instruct", "llama", "3.1", 8.0, "", True),
    ("meta-llama-3-70b", "llama", "3", 70.0, "", False),
    ("qwen2.5-math-1.5b", "qwen", "2.5", 1.5, "math", False),
    ("qwen-7b-chat", "qwen", "", 7.0, "", True),
    ("llama2-7b-whoisharrypotter", "llama", "2", 7.0, "", False),
    ("gemma-3-12b-it", "gemma", "3", 12.0, "", True),
    ("phi-2", "phi", "2", None, "", False),
])
def test_checkpoint_keys(name, word, gen, size, variant, inst):
    sql = f"SELECT {names.key_columns_sql('v')} FROM (SELECT ?::VARCHAR AS v)"
    row = duckdb.connect().execute(sql, [name]).fetchall()[0]
    # word, gen, major, size, variant, inst
    assert (row[0], row[1], row[3], row[4], row[5]) == (word, gen, size, variant, inst)


def test_package_teacher_list_is_valid_and_evidenced():
    tf = load_teachers()
    ids = {t.id for t in tf.teachers}
    assert {"deepseek-ai/DeepSeek-R1", "Qwen/QwQ-32B", "moonshotai/Kimi-K2-Instruct", "openai/gpt-oss-120b"} <= ids
    assert all(t.evidence for t in tf.teachers)
    r1 = next(t for t in tf.teachers if t.id == "deepseek-ai/DeepSeek-R1")
    assert r1.students["llama-8b"] == "meta-llama/Llama-3.1-8B"


@pytest.mark.parametrize("doc,msg", [
    ({"version": "1", "teachers": [{"id": "not an id", "names": ["x"], "evidence": ["e"]}]}, "not a namespaced"),
    ({"version": "1", "teachers": [{"id": "a/b", "names": ["x"], "evidence": []}]}, "evidence"),
    ({"version": "1", "teachers": [{"id": "a/b", "names": ["X Y"], "evidence": ["e"]}]}, "name"),
    ({"version": "1", "teachers": [{"id": "a/b", "names": ["x"], "evidence": ["e"],
                                    "students": {"llama 8b": "a/c"}}]}, "student key"),
    ({"version": "1", "teachers": [{"id": "a/b", "names": ["x"], "evidence": ["e"], "extra": 1}]}, "extra"),
    ({"teachers": []}, "version"),
])
def test_bad_teacher_file_is_an_input_error_naming_the_entry(doc, msg):
    with pytest.raises(InputError, match="teachers.yaml") as exc:
        parse_teachers(doc)
    assert msg.split()[0].lower() in str(exc.value).lower()
