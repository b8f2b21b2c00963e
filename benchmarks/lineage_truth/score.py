"""Score modelcensus' lineage against the labelled real lineages in ``labels.csv``.

    .venv/bin/python benchmarks/lineage_truth/score.py [--shared ../shared/data] [--labels labels.csv]
        [--json benchmarks/results/lineage_truth.json] [--md benchmarks/results/lineage_truth.md]
        [--baseline benchmarks/results/lineage_truth_baseline.json] [--limit N]

The records (``records.py``: every tree record as context, plus the labelled leaderboard/ATOM records, with the
``blank_base`` variants applied) are written to a temporary JSON-lines file and imported into a temporary store
through the real code path, ``modelcensus.api.import_path``; ``api.origin`` then builds the lineage and answers
for each labelled model. Scored per class and overall:

- **root country**: the set of the model's root countries (``null`` when the registry has none) equals the label's;
- **root organisation**: the set of root organisations (registry org key, else ``ns:<root namespace>``) equals the
  label's;
- **teacher precision**: of the models given a teacher, the share whose teacher organisation is the labelled one;
  **teacher recall**: of the models labelled with a teacher, the share given that teacher's organisation.

Labels ``?`` are left out of the measure they concern. Results go to JSON (with every mismatch) and a Markdown
table; ``--baseline`` adds the baseline run's figures as a column (same labels, an earlier code version).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import records as R  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
MEASURES = ("root_country", "root_org", "teacher_precision", "teacher_recall")
GOALS = {"root_country": 0.98, "root_org": 0.95, "teacher_precision": 0.95, "teacher_recall": 0.80}


def read_labels(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _set(text: str) -> frozenset[str]:
    return frozenset(x for x in text.split(";") if x)


def predict(store: Any, reg: Any, model_id: str) -> dict[str, Any]:
    """What modelcensus says: root org keys and countries, teacher org key (``none`` when there is none)."""
    from modelcensus import api

    orgs = reg.orgs() if callable(reg.orgs) else reg.orgs
    key_of = {o.name: o.key for o in orgs}

    def org_key(org: str | None, mid: str | None) -> str:
        if org and org in key_of:
            return key_of[org]
        canon = reg.canonical_model_id(mid or "")
        return f"ns:{canon.split('/', 1)[0]}" if "/" in canon else f"ns:{canon}"

    o = api.origin(store, model_id, registry=reg)
    roots = o.get("roots") or []
    teacher = o.get("teacher")
    return {
        "root_orgs": sorted({org_key(r.get("org"), r.get("id")) for r in roots}),
        "root_countries": sorted({r.get("country") or "null" for r in roots}),
        "root_ids": [r.get("id") for r in roots],
        "teacher_org": org_key(teacher.get("org"), teacher.get("id")) if teacher else "none",
        "teacher_id": teacher.get("id") if teacher else None,
        "grade": o.get("grade"),
        "problems": o.get("problems"),
    }


def score(labels: list[dict[str, str]], preds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per class and overall: [correct, total] for each measure, and the mismatches."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: {m: [0, 0] for m in MEASURES})
    misses: list[dict[str, Any]] = []
    for lab in labels:
        p = preds[lab["model_id"]]
        for cls in (lab["class"], "overall"):
            c = counts[cls]
            wrong = []
            if "?" not in lab["root_countries"]:
                ok = frozenset(p["root_countries"]) == _set(lab["root_countries"])
                c["root_country"][0] += ok
                c["root_country"][1] += 1
                wrong += [] if ok else ["root_country"]
            if "?" not in lab["root_orgs"]:
                ok = frozenset(p["root_orgs"]) == _set(lab["root_orgs"])
                c["root_org"][0] += ok
                c["root_org"][1] += 1
                wrong += [] if ok else ["root_org"]
            t_lab, t_pred = lab["teacher_org"], p["teacher_org"]
            if t_lab != "?":
                if t_pred != "none":
                    c["teacher_precision"][0] += t_pred == t_lab
                    c["teacher_precision"][1] += 1
                if t_lab != "none":
                    c["teacher_recall"][0] += t_pred == t_lab
                    c["teacher_recall"][1] += 1
                wrong += [] if t_pred == t_lab else ["teacher"]
            if cls == "overall" and wrong:
                misses.append({"model_id": lab["model_id"], "class": lab["class"], "variant": lab["variant"],
                               "wrong": wrong, "label": {k: lab[k] for k in ("root_orgs", "root_countries",
                                                                            "teacher_org")},
                               "got": p})
    return {"classes": {k: v for k, v in counts.items()}, "mismatches": misses}


def run(shared: Path, labels_path: Path, limit: int | None = None) -> dict[str, Any]:
    """Import, build, predict and score; returns the result dict (also the figures' provenance)."""
    from modelcensus import api

    labels = read_labels(labels_path)
    if limit:
        labels = labels[:: max(1, len(labels) // limit)][:limit]
    recs = R.benchmark_records(shared, labels)
    reg = api.load_registry()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lineage-truth-") as tmp:
        data = Path(tmp) / "records.jsonl"
        with data.open("w", encoding="utf-8") as fh:
            for rec in recs:
                fh.write(json.dumps(rec, default=str, ensure_ascii=False) + "\n")
        store = api.open_store(Path(tmp) / "census.duckdb")
        try:
            api.import_path(store, data, source="lineage-truth", observed_at="2025-04-30")
            preds = {lab["model_id"]: predict(store, reg, lab["model_id"]) for lab in labels}
        finally:
            store.close()
    out = score(labels, preds)
    out.update({"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "labels": len(labels),
                "records_imported": len(recs), "registry_version": reg.version,
                "seconds": round(time.perf_counter() - t0, 1)})
    return out


def _empty_stated_list() -> None:
    """Replace the package's stated-bases list by an empty one for this process (the build stamp changes too)."""
    from modelcensus.lineage import stated

    empty = stated.StatedFile(version="empty", models=[])
    stated._package.cache_clear()
    stated._package = lambda: (empty, "0" * 64)  # type: ignore[assignment]


def _ratio(pair: list[int]) -> str:
    k, n = pair
    return "n/a" if not n else f"{100 * k / n:.1f} % ({k}/{n})"


def markdown(result: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """One table: a row per class (overall last), a column per measure, the baseline beside each when given."""
    head = ["class", "n"]
    for m in MEASURES:
        head += [f"{m.replace('_', ' ')} (baseline)", m.replace("_", " ")] if baseline else [m.replace("_", " ")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    classes = sorted(k for k in result["classes"] if k != "overall") + ["overall"]
    for cls in classes:
        c = result["classes"][cls]
        n = max(v[1] for v in c.values())
        cells = [f"**{cls}**" if cls == "overall" else cls, str(n)]
        for m in MEASURES:
            if baseline:
                b = baseline["classes"].get(cls, {}).get(m, [0, 0])
                cells.append(_ratio(b))
            cells.append(_ratio(c[m]))
        lines.append("| " + " | ".join(cells) + " |")
    goals = ", ".join(f"{m.replace('_', ' ')} ≥ {int(100 * g)} %" for m, g in GOALS.items())
    lines.append(f"\nGoals (issue 9): {goals}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=R.DEFAULT_SHARED)
    ap.add_argument("--labels", type=Path, default=HERE / "labels.csv")
    ap.add_argument("--json", type=Path, default=RESULTS / "lineage_truth.json")
    ap.add_argument("--md", type=Path, default=None, help="also write the Markdown table here")
    ap.add_argument("--baseline", type=Path, default=None, help="a previous --json result to show beside")
    ap.add_argument("--limit", type=int, default=None, help="score an evenly spread subset of N labels")
    ap.add_argument("--without-stated", action="store_true",
                    help="run with an empty stated-bases list: the score of the inference rules alone on models the "
                         "list names (the list's statements come from the same official cards as their labels)")
    args = ap.parse_args(argv)
    if not args.shared.is_dir():
        print(f"real data slices not found at {args.shared}", file=sys.stderr)
        return 2
    if args.without_stated:
        _empty_stated_list()
    result = run(args.shared, args.labels, args.limit)
    result["stated_bases"] = "off" if args.without_stated else "on"
    baseline = json.loads(args.baseline.read_text(encoding="utf-8")) if args.baseline else None
    table = markdown(result, baseline)
    print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    if args.md:
        args.md.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
