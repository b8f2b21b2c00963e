"""Calibrate the chat-template rules on real templates: every one should parse and none should match.

    pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d /tmp/lcp
    tar xzf /tmp/lcp/llama_cpp_python-0.3.36.tar.gz -C /tmp/lcp --wildcards '*/models/templates/*'
    .venv/bin/python benchmarks/calibrate_templates.py \
        /tmp/lcp/llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates

The templates are llama.cpp's test set of real models' chat templates; they are read from where they
were unpacked and never copied into this repository. Prints each template that raises a flag, then the
count, the longest template and the time taken (docs/audit.md, "Chat templates", quotes the run).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from modelcensus.audit.templates import check_template


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a folder of *.jinja chat templates")
    a = ap.parse_args()
    paths = sorted(a.folder.glob("*.jinja"))
    if not paths:
        raise SystemExit(f"{a.folder}: no *.jinja templates")
    t0, flagged, longest = time.perf_counter(), 0, (0, "")
    for p in paths:
        text = p.read_text("utf-8")
        longest = max(longest, (len(text), p.name))
        flags = check_template(text, p.name)
        if flags:
            flagged += 1
            print(f"{p.name}: " + "; ".join(f"{f.code} ({f.evidence or f.message})" for f in flags))
    print(f"{len(paths)} templates, {flagged} flagged, longest {longest[1]} ({longest[0]:,} characters), "
          f"{time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
