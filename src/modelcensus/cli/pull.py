"""CLI commands: ``pull hub`` and ``pull hub-stats`` (thin wrappers over the Hub sources)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modelcensus.cli.common import err, out, state, whole_number
from modelcensus.errors import InputError
from modelcensus.store.store import ImportResult

pull_app = typer.Typer(help="Fetch a snapshot from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN honoured).",
                       no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def _report(res: ImportResult, what: str) -> None:
    snap = res.snapshot
    if res.already_present:
        out.print(f"{what}: already in the store as snapshot {snap.id} (nothing imported)",
                  markup=False, highlight=False)
        return
    crawl = snap.notes.get("crawl") or {}
    state_word = "complete" if snap.complete else f"partial ({crawl.get('scope', 'partial')})"
    extra = ""
    if crawl:
        extra = f", {crawl.get('pages', 0):,} pages, {crawl.get('requests', 0):,} requests"
        if crawl.get("resumes"):
            extra += f", resumed {crawl['resumes']}x"
    out.print(f"snapshot {snap.id} ({snap.source}, {state_word}): {snap.row_count:,} models, "
              f"{snap.skipped_count:,} skipped{extra}; observed {snap.as_dict()['observed_at']}; "
              f"source {snap.source_ref}", markup=False, highlight=False)
    if crawl.get("note"):
        err.print(f"note: {crawl['note']}", markup=False, highlight=False, soft_wrap=True)
    if res.skipped.count:
        first = ", ".join(f"{e.get('id') or '#' + str(e.get('position'))} ({e.get('reason')})"
                          for e in res.skipped.examples[:3])
        # not warn(): ids and reasons come from the Hub, so no console markup is interpreted
        err.print(f"warning: {res.skipped.count} record(s) skipped, e.g. {first}", markup=False, highlight=False,
                  soft_wrap=True)


@pull_app.command("hub")
def pull_hub_cmd(
    limit: Annotated[int | None, typer.Option("--limit", parser=whole_number(),
                                                help="Stop after N models (a partial snapshot).")] = None,
    author: Annotated[str | None, typer.Option("--author", metavar="ORG",
                                               help="Only models of this user or organisation.")] = None,
    search: Annotated[str | None, typer.Option("--search", metavar="Q",
                                               help="Only models whose id contains Q.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DATE",
        help="Incremental refresh: only models modified since DATE (a partial snapshot).")] = None,
) -> None:
    """Crawl the Hub's model listing (about one request per 1000 models); rerun to resume a stopped crawl."""
    from modelcensus.sources.hub_api import crawl_params, pull_hub
    from modelcensus.store import Store

    crawl_params(limit=limit, author=author, search=search, since=since)  # bad options: exit 2 before opening
    with Store(state.db) as store:
        res = pull_hub(store, limit=limit, author=author, search=search, since=since, progress=True)
    _report(res, "hub")


@pull_app.command("hub-stats")
def pull_hubstats_cmd(
    revision: Annotated[str | None, typer.Option(
        "--revision", metavar="REV",
        help="Dataset revision (commit sha, branch or tag) of cfahlgren1/hub-stats.")] = None,
    history: Annotated[bool, typer.Option(
        "--history", help="Fill --out with one YYYY-MM-DD.parquet per period instead of importing.")] = False,
    since: Annotated[str | None, typer.Option("--from", metavar="DATE", help="--history: first date (UTC).")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="DATE",
                                              help="--history: last date (UTC, default today).")] = None,
    every: Annotated[str, typer.Option("--every", metavar="month|week|day",
                                       help="--history: one revision (the period's latest commit) per period.")
                     ] = "month",
    out_dir: Annotated[str | None, typer.Option("--out", metavar="DIR",
                                                help="--history: the folder to fill (created if missing).")] = None,
) -> None:
    """Download the public hub-stats models.parquet and import it, dated by its commit.

    With --history the store is not touched: a folder is filled with one file per period, each with a
    YYYY-MM-DD.json sidecar naming its revision; rerun to resume. This folder is what --snapshots DIR reads.

    \b
    Examples:
      modelcensus pull hub-stats
      modelcensus pull hub-stats --history --from 2025-01-01 --every month --out hub-stats-history
    """
    if history:
        _pull_history(revision, since, until, every, out_dir)
        return
    given = [name for name, v in (("--from", since), ("--until", until), ("--out", out_dir)) if v is not None]
    if given or every != "month":
        raise InputError(f"{given[0] if given else '--every'}: only with --history")
    from modelcensus.sources.hubstats_pull import pull_hubstats
    from modelcensus.store import Store

    with Store(state.db) as store:
        res = pull_hubstats(store, revision=revision)
    _report(res, "hub-stats")


def _pull_history(revision: str | None, since: str | None, until: str | None, every: str,
                  out_dir: str | None) -> None:
    """``pull hub-stats --history``: one line per picked revision, then the summary; exit 2 if any failed."""
    from modelcensus import api

    if revision is not None:
        raise InputError("--revision: not with --history (the revisions are picked from the commit history)")
    if since is None:
        raise InputError("--from: required with --history (e.g. --from 2025-01-01)")
    if out_dir is None:
        raise InputError("--out: required with --history (the folder to fill)")

    def show(item: Any) -> None:
        stream = err if item.status == "failed" else out
        stream.print(item.line(), markup=False, highlight=False, soft_wrap=True)

    res = api.pull_hubstats_history(out_dir, since=since, until=until, every=every, progress=show)
    out.print(res.summary(), markup=False, highlight=False, soft_wrap=True)
    if res.failed:
        which = ", ".join(f"{i.pick.date} {i.pick.revision[:12]}" for i in res.failed[:3])
        more = f" and {len(res.failed) - 3} more" if len(res.failed) > 3 else ""
        raise InputError(f"pull hub-stats --history: {len(res.failed)} of {len(res.items)} revision(s) failed "
                         f"({which}{more}; see above); the other {len(res.items) - len(res.failed)} are in "
                         f"{res.out_dir} (rerun to retry)")


def register(app: typer.Typer) -> None:
    """Add the ``pull`` group to app."""
    app.add_typer(pull_app, name="pull")
