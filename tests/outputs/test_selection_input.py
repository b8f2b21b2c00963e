"""The report's snapshot selection takes its ``--as-of`` from the user (CLI argument, library call): an input it
cannot read is one clear error naming it, never a traceback."""

from __future__ import annotations

import pytest

from modelcensus.errors import InputError
from modelcensus.outputs.selection import select_snapshots


def test_an_empty_as_of_is_a_clear_error(make_store):
    # expected: an empty --as-of names the option and the value, as any other unreadable date does
    # (before: parse_as_of reads '' as "no date", and comparing a snapshot's time with None raised TypeError)
    store = make_store()
    with pytest.raises(InputError, match=r"--as-of '': expected a date"):
        select_snapshots(store, None, "")


def test_cli_report_with_an_empty_as_of_exits_2_with_one_line(make_store, tmp_path, capsys):
    from modelcensus.cli.main import run

    make_store().close()
    code = run(["--db", str(tmp_path / "census.duckdb"), "report", "--format", "json", "--as-of", ""])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--as-of ''" in err and "Traceback" not in err and "TypeError" not in err
