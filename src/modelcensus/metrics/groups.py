"""Grouping keys (``--by``) and how a model's credit is split among groups.

Root-based keys (root_country, org, family, org_type, root_region) take one origins row per
(model, root) and weight it by that row's ``weight``: a merge of k parents gives each root 1/k.
Model-level keys give the model weight 1. Some read the lineage build all the same (publisher_country,
publisher_region and the publisher side's org keys from origins, relation from the edges); the keys over the
models row alone (size_class, license, publisher, namespace_region: ``reads_lineage`` False) join no origins,
so they need no lineage build. Under a key that reads origins, a model with no origins row lands in the NULL
("unknown") group, as does a NULL attribute under any key: a model is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelcensus.errors import InputError

GROUP_KEYS = ("root_country", "publisher_country", "org", "family", "org_type", "size_class", "relation",
              "license", "root_region", "publisher_region", "namespace_region", "root_namespace_region", "publisher")

ATTRIBUTIONS = ("root", "publisher")

# ATOM's region buckets (methods.md §1.2). 'eu' is ATOM's Europe-facing bucket, not EU membership.
EUROPE = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
          "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "GB", "CH", "NO", "IS", "LI", "UA")


def region_sql(country: str) -> str:
    """ISO country -> ATOM bucket us | china | eu | other; NULL stays NULL (unknown)."""
    eu = ", ".join(f"'{c}'" for c in EUROPE)
    return (f"CASE WHEN {country} IS NULL THEN NULL WHEN upper({country}) = 'US' THEN 'us' "
            f"WHEN upper({country}) = 'CN' THEN 'china' WHEN upper({country}) IN ({eu}) THEN 'eu' ELSE 'other' END")


@dataclass(frozen=True)
class GroupKey:
    """How to read one grouping key: SQL over ``m`` (mc_m), ``o`` (origins) and ``r`` (relation)."""

    name: str
    expr: str
    root_based: bool
    note: str
    # whether the key reads the lineage build (origins, or the relation of an edge); a key over ``m`` alone
    # (size_class, license, publisher, namespace_region) neither needs a build nor joins origins (unless
    # ``build_credit``'s ``where`` filters on origins)
    reads_lineage: bool = True


def check_attribution(metric: str, attribution: str | None) -> None:
    """``-o attribution`` as given (None: not given), refused when it is not a side, or when the metric fixes
    the side itself (cadence counts each organisation's own releases: its org keys are the publisher's)."""
    if attribution is None:
        return
    if attribution not in ATTRIBUTIONS:
        raise InputError(f"attribution {attribution!r}: expected one of {', '.join(ATTRIBUTIONS)}")
    if metric == "cadence" and attribution != "publisher":
        raise InputError("metric cadence counts each organisation's own releases: its org keys are always the "
                         f"publisher's, so -o attribution={attribution} does not apply")


def group_key(by: str, attribution: str = "root") -> GroupKey:
    """The key definition, or InputError listing the valid keys."""
    if by not in GROUP_KEYS:
        raise InputError(f"--by {by!r}: expected one of {', '.join(GROUP_KEYS)}")
    if attribution not in ATTRIBUTIONS:
        raise InputError(f"attribution {attribution!r}: expected one of {', '.join(ATTRIBUTIONS)}")
    side = "root" if attribution == "root" else "publisher"
    keys = {
        "root_country": GroupKey(by, "o.root_country", True,
                                 "root_country: country of the lineage root's organisation, weighted by origin "
                                 "weights (a merge of k roots gives each 1/k)"),
        "publisher_country": GroupKey(by, "o.publisher_country", False,
                                      "publisher_country: country of the publishing namespace's organisation"),
        "org": GroupKey(by, f"o.{side}_org", attribution == "root",
                        f"org: the {side} organisation" + (" (root org: a quant of a Qwen fine-tune counts for "
                                                           "Alibaba Qwen), weighted by origin weights"
                                                           if side == "root" else " (the namespace's owner)")),
        "family": GroupKey(by, "o.family", True, "family: registry family of the lineage root"),
        "org_type": GroupKey(by, f"o.{side}_org_type", attribution == "root",
                             f"org_type: organisation type of the {side} organisation"),
        "size_class": GroupKey(by, "m.size_class", False,
                               "size_class: ATOM buckets from parameters (curated table, else safetensors.total, "
                               "else the name)", reads_lineage=False),
        "relation": GroupKey(by, "coalesce(r.relation, 'original')", False,
                             "relation: the model's relation to its parent(s); 'original' = no parent edge; "
                             "several parents = 'merge'"),
        "license": GroupKey(by, "m.license", False, "license: the model's own licence id as labelled",
                            reads_lineage=False),
        "root_region": GroupKey(by, region_sql("o.root_country"), True,
                                "root_region: ATOM region bucket (us/china/eu/other) of the root country"),
        "publisher_region": GroupKey(by, region_sql("o.publisher_country"), False,
                                     "publisher_region: ATOM region bucket of the publisher country"),
        "namespace_region": GroupKey(by, "coalesce(nr.region, 'unreviewed')", False,
                                     "namespace_region: ATOM's own table, exact case-sensitive namespace -> region; "
                                     "a namespace it does not list is 'unreviewed'", reads_lineage=False),
        "root_namespace_region": GroupKey(by, "coalesce(rnr.region, 'unreviewed')", True,
                                          "root_namespace_region: ATOM's namespace table applied to the lineage "
                                          "root's namespace (ATOM's regions, modelcensus's root rule)"),
        "publisher": GroupKey(by, "m.namespace", False, "publisher: the model's namespace", reads_lineage=False),
    }
    return keys[by]
