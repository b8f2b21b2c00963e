"""The metric catalogue: names, defaults, accepted options, and how each is dispatched.

Options arrive typed from Python or as text from the CLI (``--option key=value``); both go through
:func:`coerce_options`, which names the bad option and lists the valid ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from modelcensus.errors import InputError
from modelcensus.untrusted import parse_whole

# options every metric accepts: (type, default, help)
COMMON_OPTIONS: dict[str, tuple[type, Any, str]] = {
    "ensure": (bool, True, "build lineage (origins/edges) for each snapshot used when it is missing or stale"),
    "source": (str, None, "series: only snapshots from this source (e.g. hub-stats, synthetic)"),
    "snapshots": (list, None, "explicit comma-separated snapshot ids (overrides --snapshot/--since selection)"),
    "parameters": (str, None, "curated model_id,total_params_b CSV for size classes (e.g. ATOM model_parameters.csv)"),
    "regions": (str, None, "ATOM organization_regions.csv, needed by --by namespace_region"),
    "attribution": (str, "root", "root | publisher: which side org/org_type keys read"),
}


@dataclass(frozen=True)
class MetricSpec:
    """One metric: what it means, its defaults and its own options."""

    name: str
    summary: str
    default_by: str | None
    by_optional: bool
    fields: tuple[str, ...]
    series: bool
    options: dict[str, tuple[type, Any, str]] = field(default_factory=dict)
    # what it reads of the lineage build: "always" (edges or origins whatever the key), "key" (only through a
    # --by key that reads it), "never" (the models rows alone). The default builds: a metric not marked
    # otherwise is never computed over a missing build (review20 R20-1)
    lineage: Literal["always", "key", "never"] = "always"


def parse_bool(name: str, v: Any) -> bool:
    """A true/false option as the CLI gives it (true/false, yes/no, on/off, 1/0), else InputError naming it."""
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise InputError(f"option {name}={v!r}: expected true or false")


def parse_number(value: Any) -> float:
    """A number given as plain ASCII digits with an optional minus and decimal point (float() also reads '1_0',
    other scripts' digits, 'inf' and 'nan'); ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not re.fullmatch(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", text):
        raise ValueError(value)
    return float(text)


def coerce_options(spec: MetricSpec, options: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in, values typed; unknown option -> InputError listing the valid ones."""
    allowed = {**COMMON_OPTIONS, **spec.options}
    out: dict[str, Any] = {}
    for name, value in options.items():
        if name not in allowed:
            raise InputError(f"option {name!r} for metric {spec.name}: expected one of {', '.join(sorted(allowed))}")
        typ = allowed[name][0]
        if value is None:  # not given (the Python API's keyword default): the metric's default, as --snapshots reads it
            continue
        try:
            if typ is bool:
                out[name] = parse_bool(name, value)
            elif typ is int:
                out[name] = parse_whole(value)
            elif typ is float:
                out[name] = parse_number(value)
            elif typ is list:
                out[name] = value if isinstance(value, list | tuple) else [x for x in str(value).split(",") if x]
            else:
                out[name] = str(value)
        except (TypeError, ValueError):
            what = {int: "a whole number", float: "a number"}.get(typ, typ.__name__)
            raise InputError(f"option {name}={value!r}: expected {what}") from None
    for name, (_typ, default, _help) in allowed.items():
        out.setdefault(name, default)
    return out
