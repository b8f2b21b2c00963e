"""CLI commands for the lineage stage: ``origin`` and ``lineage`` (thin wrappers over the library)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.tree import Tree

from modelcensus.cli.common import (
    EngineOption,
    SparkMasterOption,
    check_format,
    err,
    out,
    print_json,
    reading,
    safe_text,
    state,
    whole_number,
)
from modelcensus.errors import InputError
from modelcensus.lineage.origin import DEFAULT_SHOWN
from modelcensus.store.resources import OUT_OF_MEMORY_REMEDY
from modelcensus.terminal_tables import Col, fit_table

FORMATS = ("table", "json")
LIST_ALL = 2**62             # --all: more than any store can hold


def _building_note(store: Any, snapshot: str | None, reg: Any) -> None:
    """Say on stderr when the snapshot's lineage must be built first (only on the writable pass)."""
    from modelcensus.lineage.build import built_version

    snap = store.snapshot(snapshot)
    if not store.read_only and built_version(store, snap.id) != (reg.version, snap.row_count):
        err.print(f"building lineage for snapshot {snap.id} ({snap.row_count} models)...", markup=False,
                  highlight=False)


def _where(country: str | None) -> str:
    return country or "unknown"


def _origin_tables(doc: dict[str, Any]) -> list[Any]:
    """The origin document as rich renderables: a summary and the roots."""
    summary = Table(show_header=False, title=f"origin of {doc['model']}", title_justify="left")
    summary.add_column("field", style="bold")
    summary.add_column("value")
    pub = doc["publisher"]
    snap = doc["snapshot"]
    rows = [
        ("snapshot", f"{snap['id']} ({snap['source']}, observed {snap['observed_at']})"),
        ("publisher", f"{pub['namespace'] or '-'}: {pub['org'] or 'unknown org'}, {_where(pub['country'])}"
                      f"{', ' + pub['org_type'] if pub['org_type'] else ''}"),
        ("teacher", f"{doc['teacher']['id']} ({doc['teacher']['org'] or 'unknown org'}, "
                    f"{_where(doc['teacher']['country'])}; {doc['teacher']['evidence']})" if doc["teacher"] else "-"),
        ("depth", str(doc["depth"])),
        ("grade", doc["grade"]),
        ("problems", ", ".join(doc["problems"]) or "-"),
    ]
    if doc.get("observed") is False:
        rows.insert(0, ("observed", "referenced as a parent, not observed in this snapshot"))
    if doc.get("synthetic"):
        rows.insert(0, ("SYNTHETIC", "computed from synthetic data: not a finding"))
    for k, v in rows:
        summary.add_row(k, safe_text(v))
    width = out.width
    roots, dropped = fit_table([Col("root"), Col("org", wrap=True, priority=1), Col("country"),
                                Col("weight", right=True)],
                               [[r["id"], r["org"] or "-", _where(r["country"]), f"{r['weight']:.3f}"]
                                for r in doc["roots"]], width, title="roots")
    parts: list[Any] = [summary, roots]
    if dropped:
        parts.append(safe_text(f"(left out at {width} columns: {', '.join(dropped)}; --format json has them)"))
    # paths below the table, one per root, wrapping between hops (ids are never cut)
    for r in doc["roots"]:
        if len(r["path"]) > 1:
            hops = [f"-{rel}-> {node}" for rel, node in zip(r["relations"], r["path"][1:], strict=False)]
            parts.append(safe_text(f"path to {r['id']}: {r['path'][0]} " + " ".join(hops)))
    return parts


def _lineage_tree(doc: dict[str, Any]) -> Tree:
    """Ancestors as a tree rooted at the model (parents below children), then descendants."""
    tree = Tree(safe_text(doc["model"], "bold"))
    by_child: dict[str, list[dict[str, Any]]] = {}
    for e in doc["ancestors"]:
        by_child.setdefault(e["child"], []).append(e)
    up = tree.add("ancestors")

    def grow(node: Tree, child: str, seen: frozenset[str]) -> None:
        for e in by_child.get(child, []):
            mark = "" if e["structural"] else " (not followed)"
            gone = "" if e["parent_in_snapshot"] else " [not in snapshot]"
            label = safe_text(f"{e['relation']}{' (inferred)' if e['inferred'] else ''} -> {e['parent']}{gone} "
                         f"[{e['grade']}: {e['evidence']}]{mark}")
            sub = node.add(label)
            if e["parent"] not in seen:
                grow(sub, e["parent"], seen | {e["parent"]})

    grow(up, doc["model"], frozenset({doc["model"]}))
    if not doc["ancestors"]:
        up.add("none: the model is a root")
    d = doc["descendants"]
    rels = ", ".join(f"{n} {r}" for r, n in d["by_relation"].items()) or "none"
    down = tree.add(safe_text(f"descendants: {d['total']} ({rels})"))
    for row in d["shown"]:
        down.add(safe_text(f"{'  ' * (row['depth'] - 1)}{row['id']} <-{row['relation']}- {row['parent']} "
                      f"[{row['grade']}] depth {row['depth']}"))
    if d["truncated"]:
        down.add(safe_text(f"... {d['total'] - len(d['shown'])} more (--all lists them; --format json adds counts "
                      "by depth)"))
    return tree


def _show(view: str, model: str, snapshot: str | None, fmt: str, shown: int = 0) -> None:
    """Run ``origin`` or ``lineage`` (the library call of the same name) and render it."""
    from modelcensus.lineage import lineage, origin
    from modelcensus.lineage.registry import load_registry

    fmt = check_format(fmt, FORMATS)
    reg = load_registry(state.registry)

    def call(store: Any) -> dict[str, Any]:
        _building_note(store, snapshot, reg)
        if view == "origin":
            return origin(store, model, snapshot=snapshot, registry=reg)
        return lineage(store, model, snapshot=snapshot, registry=reg, shown=shown)

    doc = reading(call)
    desc = doc.get("descendants") or {}
    if desc.get("truncated"):  # never cut silently: the JSON says truncated/total, stderr says how to get all
        err.print(f"listed {len(desc['shown'])} of {desc['total']} descendants (--limit N or --all lists more)",
                  markup=False, highlight=False)
    if desc.get("depth_capped"):
        err.print("descendants more than 50 levels down are not followed (depth_capped in the JSON)",
                  markup=False, highlight=False)
    if fmt == "json":
        print_json(doc)
        return
    for part in _origin_tables(doc):
        out.print(part, soft_wrap=False)
    if view == "lineage":
        out.print(_lineage_tree(doc), soft_wrap=False)


def _build(snapshot: str | None, snapshots: str | None, engine: str, spark_master: str | None, force: bool,
           fmt: str) -> None:
    """``lineage build``: the store's snapshot, or every file of a folder (one line per date; exit 2 if one failed)."""
    from modelcensus import api

    reg = api.load_registry(state.registry)
    if snapshots is None:
        if engine != "duckdb" or spark_master:
            raise InputError("--engine and --spark-master apply to --snapshots DIR (a store builds on its DuckDB)")
        stats = reading(lambda store: api.ensure_lineage(store, store.snapshot(snapshot).id, reg, force=force))
        if fmt == "json":
            print_json(stats)
        else:
            out.print(f"snapshot {stats['snapshot_id']}: lineage {'built' if stats.get('built') else 'already current'}"
                      f" ({stats.get('models', '?')} models)", markup=False, highlight=False)
        return
    if snapshot is not None:
        raise InputError("--snapshot: not with --snapshots (every file of the folder is built)")

    remedies: set[str] = set()

    def show(item: Any) -> None:
        if fmt == "json":
            return
        stream = err if item.status == "failed" else out
        what = f"{item.models} models" if item.models is not None else item.reason
        if what and OUT_OF_MEMORY_REMEDY in what:  # said once, in the summary, not once a file (review33 R33-6)
            what = what.replace(OUT_OF_MEMORY_REMEDY, "raise the limit (see the last line)")
            remedies.add(OUT_OF_MEMORY_REMEDY)
        took = f" in {item.seconds:.0f} s" if item.seconds is not None else ""
        stream.print(f"{item.date}: {item.status} ({what}){took}", markup=False, highlight=False, soft_wrap=True)

    res = api.build_folder_lineage(snapshots, engine=engine, spark_master=spark_master, registry=reg, force=force,
                                   progress=show)
    if fmt == "json":
        print_json(res.as_dict())
    if res.failed:
        raise InputError(f"lineage build --snapshots: {len(res.failed)} of {len(res.items)} file(s) failed "
                         f"({', '.join(str(i.date) for i in res.failed[:3])}; see above); the others are in "
                         f"{res.folder / 'lineage'} (rerun to retry)" + "".join(f"; {r}" for r in remedies))


def register(app: typer.Typer) -> None:
    """Add ``origin`` and ``lineage`` to app."""

    @app.command("origin")
    def origin_cmd(
        model: Annotated[str, typer.Argument(metavar="MODEL", help="Hub model id (case-insensitive).")],
        snapshot: Annotated[str | None, typer.Option("--snapshot", metavar="ID", help="Snapshot id (default: "
                                                                                    "latest).")] = None,
        fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")] = "table",
    ) -> None:
        """Where a model comes from: publisher, lineage root(s) with country, teacher, evidence grade."""
        _show("origin", model, snapshot, fmt)

    @app.command("lineage")
    def lineage_cmd(
        model: Annotated[str, typer.Argument(metavar="MODEL", help="Hub model id (case-insensitive).")],
        snapshot: Annotated[str | None, typer.Option("--snapshot", metavar="ID", help="Snapshot id (default: "
                                                                                    "latest).")] = None,
        fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="Output format.")] = "table",
        limit: Annotated[int | None, typer.Option("--limit", parser=whole_number(0),
                                                  help=f"Descendants listed, nearest and most "
                                                  f"downloaded first (default {DEFAULT_SHOWN}); counts always "
                                                  "cover all of them.")] = None,
        all_: Annotated[bool, typer.Option("--all", help="List every descendant.")] = False,
        snapshots: Annotated[str | None, typer.Option(
            "--snapshots", metavar="DIR", help="lineage build: a folder of YYYY-MM-DD.parquet hub-stats files; "
            "writes DIR/lineage/DATE.origins.parquet and .edges.parquet per file.")] = None,
        engine: EngineOption = "duckdb",
        spark_master: SparkMasterOption = None,
        force: Annotated[bool, typer.Option("--force", help="lineage build: rebuild what is current.")] = False,
    ) -> None:
        """Ancestors and descendants of a model, with relation, evidence and origins.

        `lineage build` builds instead: the store's snapshot (--snapshot), or every file of --snapshots DIR."""
        if model == "build":
            _build(snapshot, snapshots, engine, spark_master, force, check_format(fmt, FORMATS))
            return
        if snapshots is not None or force or engine != "duckdb" or spark_master:
            raise InputError("--snapshots, --engine, --spark-master and --force are options of `lineage build`")
        if all_ and limit is not None:
            raise InputError("--limit and --all: give one of them")
        _show("lineage", model, snapshot, fmt, LIST_ALL if all_ else DEFAULT_SHOWN if limit is None else limit)
