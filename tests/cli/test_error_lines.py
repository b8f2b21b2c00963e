"""Every failure is one line on stderr, however hostile the input it names.

Messages quote the offending input; a 100 000-character --population used to come back as a
100 000-character message, and a file name holding a newline split the message in two.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MC = Path(sys.executable).with_name("modelcensus")


def _fail(*args: str) -> str:
    proc = subprocess.run([str(MC), *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    return proc.stderr


def test_huge_input_gives_a_short_single_line_that_still_names_the_choices(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    from modelcensus.store import Store

    Store(db).close()  # reading commands need an existing store
    for args in (["metrics", "downloads", "--population", "p" * 100_000],
                 ["metrics", "downloads", "--by", "k" * 100_000],
                 ["metrics", "m" * 100_000]):
        err = _fail("--db", db, *args)
        assert err.count("\n") == 1 and err.startswith("modelcensus: ")
        assert len(err) < 1200
        assert "expected one of" in err          # the useful tail survives the cut


def test_control_characters_in_a_file_name_stay_on_one_line(tmp_path: Path) -> None:
    err = _fail("--db", str(tmp_path / "s.duckdb"), "import", str(tmp_path / "a\nb\rc.csv"))
    assert err.count("\n") == 1
    assert "a\\nb\\rc.csv" in err and "no such file" in err


def test_output_paths_under_a_file_exit_2_naming_them(tmp_path: Path, capsys) -> None:
    """--out below a plain file used to be exit 3 (FileExistsError / NotADirectoryError from mkdir)."""
    from modelcensus.cli.main import run

    assert run(["demo", "--models", "100", "--months", "2", "--out", str(tmp_path / "demo")]) == 0
    db = str(tmp_path / "demo" / "demo.duckdb")
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder")
    capsys.readouterr()
    cases = {
        ("export", "latest", "--format", "csv", "--out", str(blocker / "x.csv")): "cannot write the export",
        ("report", "--format", "md", "--out", str(blocker / "r.md")): "cannot write its chart images",
        ("report", "--format", "html", "--out", str(blocker / "r.html")): "cannot write",
        ("demo", "--models", "100", "--months", "2", "--out", str(blocker / "d")): "cannot create the folder",
    }
    for args, expected in cases.items():
        assert run(["--db", db, *args]) == 2, args
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0] and str(blocker) in lines[0], (args, lines)


def test_whole_number_options_take_plain_digits_only(tmp_path: Path) -> None:
    """Review13 R13-6, labelled first: typer's int() read '1_0' as 10 and Arabic-Indic digits as numbers; every
    whole-number option now reads them as the library reads numbers (exit 2 naming the option), and checks its
    range in the same message."""
    db = str(tmp_path / "s.duckdb")
    from modelcensus.store import Store

    Store(db).close()
    for args, said in ((["metrics", "downloads", "--as-of", "2024-06-01", "--max-age", "1_0"], "'--max-age': '1_0'"),
                       (["report", "--as-of", "2024-06-01", "--max-age", "\u0665"], "'--max-age'"),
                       (["demo", "--models", "1_000", "--out", str(tmp_path / "d")], "'--models': '1_000'"),
                       # review14 R14-6 / review15 R15-4: the demo's own bounds, stated once in demo.py
                       (["demo", "--seed", "-1", "--out", str(tmp_path / "d")], "'--seed': -1: expected a whole "
                                                                                "number at least 0"),
                       (["demo", "--months", "1", "--out", str(tmp_path / "d")], "'--months': 1: expected a whole "
                                                                                 "number between 2 and 120"),
                       (["demo", "--models", "99", "--out", str(tmp_path / "d")], "at least 100"),
                       (["serve", "--port", "0"], "'--port': 0: expected a whole number between 1 and 65535"),
                       (["serve", "--port", "+80"], "'--port': '+80'"),
                       (["lineage", "descendants", "a/b", "--limit", "-1"], "'--limit': -1: expected a whole number "
                                                                            "at least 0")):
        err = _fail("--db", db, *args)
        assert said in err and "expected a whole number" in err, err
        assert err.count("\n") == 1
    assert not (tmp_path / "d").exists()  # refused before any work
