"""What a Hub id says by itself: format suffixes, distillation names, valid ids, checkpoint keys.

One place for the name rules that edge inference applies in DuckDB (RE2) and that the registry's own
checkpoints are parsed with, so a child's name and a family root's name are read the same way. Every
pattern here must run in both Python's ``re`` and RE2 (no look-around, no back-references); the tests
check that.
"""

from __future__ import annotations

# format markers at the end of a repo name: -GGUF, -MLX-4bit, -AWQ, -GPTQ-Int4, -exl2-4.0bpw, -bnb-4bit,
# unsloth's "-unsloth-bnb-4bit", PrunaAI's "-bnb-4bit-smashed" ...
FORMAT_SUFFIX = (r"(?i)([-_.](gguf|ggml|mlx|onnx|awq|gptq|exl2|exl3|bnb|hqq|int4|int8|fp8|nf4|smashed|unsloth"
                 r"|[0-9]+(\.[0-9]+)?bpw|[0-9]+-?bits?|i1|imatrix|q[2-8]_k(_[sml])?|q[4-8]_0))+$")
FORMAT_TAGS = ("gguf", "ggml", "mlx", "onnx", "awq", "gptq", "exl2", "bitsandbytes", "4-bit", "8-bit")
# tags that make a declared child's relation "quantized" when neither the card nor the Hub states one
QUANT_TAGS = ("gguf", "awq", "gptq", "exl2", "bitsandbytes")
# a format word inside a name ("llama-format", "hf-format", "llama.cpp"): says how weights are laid out, not
# whose they are, so it is removed before family name patterns are applied
FORMAT_WORD = r"(^|[-_.])([a-z0-9]+[-_]format|llama[-_.]?cpp)([-_.]|$)"
# "<Teacher>-Distill-<Student>": group 1 the teacher part, group 2 the student part; also "-Distilled-",
# "-ReDistill-" (a second distillation from the same teacher) and a glued "R1Distill."
DISTILL_NAME = r"(?i)^(.+?)[-_.]?(?:re)?distill(?:ed|ation)?[-_.](.+)$"
# a name token that can carry a teacher's name anywhere in a distill name ("R1-SmolLM2-135M-Distill",
# "QwQ-0.5B-Distilled-SFT"): the listed name between token edges ('-', '_', '.', start, end or "distill")
TOKEN_EDGE_LEFT = r"(^|[-_.])"
TOKEN_EDGE_RIGHT = r"([-_.]|$|distill)"
# a valid namespaced Hub id (huggingface_hub's rule: word characters, '-', '.', at most 96 per part,
# no '--' or '..', no leading/trailing '-' or '.'; the last three are checked beside the regex)
HUB_ID = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}"

# checkpoint keys, read from a lower-case name without its namespace and format suffix:
#   word = the leading letters ("llama", "qwen", "gemma"), after an optional "meta-"
#   gen  = a version right after the word ("llama-3.1", "qwen2.5", "llama2"), not a size ("qwen-7b")
#   size = the first "<n>b" token (billions of parameters)
KEY_PREFIX = r"^meta[-_]"
KEY_WORD = r"^([a-z]+)"
KEY_GEN = r"^[a-z]+[-_]?([0-9]+(\.[0-9]+)?)([^0-9.b]|$)"
KEY_SIZE = r"(^|[-_.])([0-9]+(\.[0-9]+)?)b([-_.]|$)"
# a "<word>[-]<generation>" mention anywhere in a name ("hermes-3-llama-3.1", "ds-distilled-hermes-llama-3.1"):
# group 1; not a size ("qwen-7b") nor an expert count ("mixtral-8x22b"), which the trailing class refuses.
# No leading boundary is needed (the leftmost match takes a whole run of letters) and none is consumed, so
# adjacent mentions are all found
GEN_MENTION = r"([a-z]+[-_]?[0-9]+(?:\.[0-9]+)?)(?:[^0-9.bx]|$)"
KEY_VARIANT = r"(^|[-_.])(math|coder|code|vl|vision|guard)([-_.]|$)"
KEY_INSTRUCT = r"(instruct|chat|(^|[-_.])it([-_.]|$))"
PATTERNS = (FORMAT_SUFFIX, FORMAT_WORD, DISTILL_NAME, TOKEN_EDGE_LEFT, TOKEN_EDGE_RIGHT, HUB_ID, KEY_PREFIX,
            KEY_WORD, KEY_GEN, KEY_SIZE, GEN_MENTION, KEY_VARIANT, KEY_INSTRUCT)


def valid_hub_id_sql(col: str) -> str:
    """SQL: ``col`` is a well-formed namespaced Hub id."""
    return (f"(regexp_full_match({col}, '{HUB_ID}') AND NOT contains({col}, '--') AND NOT contains({col}, '..') "
            f"AND NOT regexp_matches({col}, '[-.]$') AND NOT regexp_matches({col}, '[-.]/'))")


def key_columns_sql(col: str) -> str:
    """SQL select-list: word, gen, major, size, variant, inst of the lower-case name in ``col``."""
    s = f"regexp_replace({col}, '{KEY_PREFIX}', '')"
    return (f"regexp_extract({s}, '{KEY_WORD}', 1) AS word, "
            f"regexp_extract({s}, '{KEY_GEN}', 1) AS gen, "
            f"split_part(regexp_extract({s}, '{KEY_GEN}', 1), '.', 1) AS major, "
            f"TRY_CAST(nullif(regexp_extract({s}, '{KEY_SIZE}', 2), '') AS DOUBLE) AS size, "
            f"regexp_extract({s}, '{KEY_VARIANT}', 2) AS variant, "
            f"regexp_matches({s}, '{KEY_INSTRUCT}') AS inst")
