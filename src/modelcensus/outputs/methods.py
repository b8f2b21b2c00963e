"""The methods and caveats printed inside the report.

A reader of a mailed HTML page or a Markdown file has no ``docs/`` folder, so every method a chart
caption cites is written out here and rendered in the report's own "Methods" section; captions link
to it by key (``#method-<key>`` in HTML). Prose, not knowledge: no formula lives here, only how the
metrics (``modelcensus.metrics``) are to be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class MethodNote:
    key: str
    title: str
    text: str


METHODS: tuple[MethodNote, ...] = (
    MethodNote("shares-30d", "30-day download shares",
               "The Hub's downloads field of a model is its trailing 30-day count at the moment of the snapshot. "
               "A group's share is the sum of that field over the population's models credited to the group, "
               "divided by the sum over all of them. Shares are read at one snapshot; they are never summed over "
               "snapshots."),
    MethodNote("flows", "Monthly download flows",
               "A month's downloads are the growth of each model's all-time download count between consecutive "
               "snapshots, spread evenly over the days of the interval and summed per calendar month. The first "
               "snapshot's all-time count includes all earlier history, so it is a level, not a flow: the series "
               "starts one interval later. A count that goes down (a reset, a rename) is booked as 0 and flagged in "
               "the notes; a model missing from a later snapshot keeps its last level."),
    MethodNote("attribution", "Root and publisher attribution",
               "Each model is credited to the lineage root reached by walking its declared (card, Hub, tag) and "
               "inferred (config, tokenizer, name) parent edges; a merge of k roots gives each 1/k. The root's "
               "organisation and country come from the registry shipped with modelcensus (its version is printed "
               "above). Publisher attribution credits the namespace that owns the repo instead. 'unknown' is what "
               "the registry or the lineage could not place; it is never redistributed."),
    MethodNote("derivatives", "Derivative share",
               "A derivative is a model with a parent edge (fine-tune, adapter, quantization, merge). Each month's "
               "new derivatives (by their creation month) are credited to their root's family and country; a share "
               "is the credited count over the month's total. The latest month is partial."),
    MethodNote("ram", "Relative Adoption Metric (RAM)",
               "ATOM's RAM v2: a model's cumulative downloads at an age checkpoint (7, 14, 30, 60, 90, 180, 365 "
               "days after release) divided by those of the 10th most-downloaded model of its size class at the "
               "same age. Undefined where a size class has fewer than 10 models old enough. Each point is a model "
               "at the oldest checkpoint it has reached."),
    MethodNote("concentration", "Concentration",
               "Over the 30-day download shares of known groups (unknown left out): HHI is the sum of squared "
               "shares (1 = one group takes all, 1/n for n equal groups); Gini 0 is perfect equality; top-5 share "
               "is the share of the five largest groups."),
    MethodNote("licence-drift", "Licence drift",
               "A derivative drifts when its licence class, in the registry's order of permissiveness, is more "
               "permissive than its root's. Unknown or custom licences never count as drift. Counts are "
               "credit-weighted (a merge of two roots counts 1/2 per root)."),
    MethodNote("movers", "Top movers",
               "The change, in percentage points, of a group's (or a single model's) share of 30-day downloads "
               "between two comparable censuses. Changes under 0.05 pp are not listed. A model absent from one of "
               "the two has share 0 there."),
    MethodNote("comparability", "When a change is stated",
               "A change (\"up from\", \"gained most\", a line over time) is stated only between snapshots that "
               "count the same thing: both full censuses of the Hub, or partial ones with the same scope and filter "
               "(the same author crawl, the same tree). Two different slices, such as the fine-tune trees of two "
               "different models, are not a time series: their shares differ because they hold different models. "
               "When the latest snapshot has no comparable earlier one, the report draws no trend and says so."),
    MethodNote("coverage", "Coverage and source lines",
               "Every chart's source line names the snapshots behind it, their source and dates, the population "
               "and the models counted. A partial snapshot (a filtered crawl, a tree scrape, a slice) describes "
               "its slice only, not the Hub; the warnings at the top of the report say when inputs are partial "
               "or coverage is low."),
)

METHOD_KEYS = frozenset(m.key for m in METHODS)

DOWNLOAD_CAVEATS = (
    "The Hub counts a download for every GET or HEAD request of a model's designated query files (config.json "
    "and a few others; adapter_config.json for PEFT; model_index.json and top-level weights for diffusers), so "
    "one model load is roughly one download, not one user.",
    "Every GGUF file counts: cloning a repo that holds many quantizations counts many downloads. GGUF repos "
    "therefore over-count against safetensors repos.",
    "Automated pulls (CI test suites, HEAD checks) inflate small, popular models most; this is why RAM compares "
    "a model only with models of its size class.",
    "The Hub's downloads field (used here, stored as downloads_30d) is its trailing 30-day window at the moment of the "
    "snapshot, not a calendar month and not cumulative; all-time counts (downloadsAllTime) are a separate field, "
    "and monthly flows are differences of all-time counts between snapshots (see \"Monthly download flows\").",
    "Quantizations, re-uploads and mirrors split one model's demand across many namespaces; root attribution "
    "re-unites them with the base model's developer, publisher attribution does not.",
    "Private, gated-then-removed and deleted repos vanish from listings: a total summed over the repos of one "
    "snapshot misses them.",
)

ATTRIBUTION_CAVEATS = (
    "Root country: the country of the organisation behind the model's lineage root, reached by walking declared "
    "(card, Hub, tag) and inferred (config, tokenizer, name) parent edges. A merge of k roots gives each 1/k of "
    "its downloads.",
    "Publisher country: the country of the organisation that owns the model's namespace. The two differ for "
    "every derivative published outside its root's country (a US quantizer's GGUF of a Qwen fine-tune is "
    "Chinese at the root, American at the publisher).",
    "'unknown' collects models whose root or publisher namespace is not in the registry, or whose lineage stops "
    "at a missing parent; it is never silently redistributed. The registry version used is shown above.",
    "The evidence grade of an attribution is the weakest step on its path; see the grade table below.",
)

GRADES = ("declared", "hub", "tag", "config", "tokenizer", "name")

# Sections of the project's methods reference that metric notes cite, and the note of this report that says
# the same thing: the reader of a report has the report, not the repository's docs folder.
_CITED = {"1.2": "Root and publisher attribution", "1.3": "Relative Adoption Metric (RAM)",
          "1.6": "Relative Adoption Metric (RAM)", "1.7": "Derivative share", "2.3": "Concentration",
          "2.4": "Root and publisher attribution", "3.3": "What a download is", "3.5": "Monthly download flows"}
_CITATION = re.compile(r"\s*\((?:see )?(?:[\w.-]+ )?(?:docs/)?[\w-]+\.md(?: §([\d.]+))?(?: for [^)]*)?\)"
                       r"|(?:docs/)?[\w-]+\.md(?: §([\d.]+))?")


def cite_inline(text: str) -> str:
    """Replace a citation of a repository document (``(methods.md §3.5)``, ``docs/census.md``) by the
    title of this report's own method note, so the report refers only to itself."""
    def repl(m: re.Match[str]) -> str:
        section = m.group(1) or m.group(2)
        title = _CITED.get(section or "", "Methods and caveats")
        lead = " " if m.group(0).startswith((" ", "(")) or m.group(0)[:1].isspace() else ""
        return f"{lead}(see \"{title}\" below)" if m.group(0).lstrip().startswith("(") else f"\"{title}\" below"

    return _CITATION.sub(repl, text) if ".md" in text else text
