"""Before another engine stages or counts a hub-stats file, check that it reads the file as DuckDB does.

DuckDB's dialect is the one of record (docs/engines.md). Spark's try_parse_json refuses duplicate keys,
trailing commas, NaN and deep nesting that DuckDB reads, and reads two documents in one value that DuckDB
refuses; Spark's TRY_CAST reads '7.0' and '2025' unlike DuckDB's, and a value both accept can still differ
(a JSON ``7.0e9`` parameter total is ``7000000000.0`` text on DuckDB and ``7.0E9`` on Spark, which only DuckDB
casts to an integer). Such a row would be kept, dropped or counted differently by the two engines. Hub-written
dumps hold none of these, so the check fires on hand-made or hostile files: the file fails, naming the rows,
and the user builds it with ``--engine duckdb``.

One query per engine, one scan of the file each: the rows with a refusal (a JSON text one parser refuses, or
a staging verdict) and one row of sums over the accepted rows of every value the verdicts do not cover
(counts, parameter totals, trending scores, flags, dates to the microsecond). Only those rows leave each engine;
DuckDB compares them. Sums that differ make the engines list those values row by row, to name the rows (the
failing path only).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

from modelcensus.errors import InputError
from modelcensus.sources.check_verdicts import remember_agreement, seen_agreeing, verdict_key
from modelcensus.store import Store, staging
from modelcensus.store.engine import Scratch, scratch, to_dialect
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.files import FileIdentity, hash_file
from modelcensus.store.sql_files import area_dialect

_SHOWN = 5

# (name, the staged value as model_rows.sql casts it, kind): the values no verdict covers
_VALUES = (
    ("downloads", "TRY_CAST(downloads AS BIGINT)", "int"),
    ("downloads_all_time", "TRY_CAST(downloads_all_time AS BIGINT)", "int"),
    ("likes", "TRY_CAST(likes AS BIGINT)", "int"),
    ("params", "TRY_CAST(safetensors_total AS BIGINT)", "int"),
    ("trending_score", "TRY_CAST(trending_score AS DOUBLE)", "double"),
    ("private", "TRY_CAST(private AS BOOLEAN)", "bool"),
    ("disabled", "TRY_CAST(disabled AS BOOLEAN)", "bool"),
    # exact microseconds (Spark: unix_micros): whole seconds missed sub-second differences, and before 1970
    # floor(epoch()) and Spark's FLOOR(UNIX_TIMESTAMP()) differ by one for the same time with a fraction (review)
    ("created_at", "epoch_us(TRY_CAST(created_at AS TIMESTAMPTZ))", "int"),
    ("last_modified", "epoch_us(TRY_CAST(last_modified AS TIMESTAMPTZ))", "int"),
)


# each row's sums are weighted by a number its position gives (the same on both engines), so two rows that differ
# the opposite way cannot cancel out (review: '1_000' read on DuckDB only and '1000d' on Spark only passed)
_WEIGHT = "(((_row * 2654435761 + 12345) % 1000003) + 1)"


def _lit(n: int) -> str:
    """2^n as a DOUBLE literal both engines parse to exactly 2^n: the shortest text that reads back as it (Spark
    refuses a longer one past DBL_MAX's digits as out of range), with an exponent so neither reads a DECIMAL."""
    text = repr(2.0 ** n)
    return text if "e" in text else f"{text}e0"


_STEP = 48  # a band of 2^48: scaled values stay below 1e15, where floor() and the DECIMAL casts agree (review)
_DBL_MAX = repr(sys.float_info.max)  # only +inf and NaN (the largest value on both engines) are above


def scaled_sql(v: str, relation: str) -> str:
    """``relation`` (a table or a parenthesised query) with a column ``<v>_s``: a finite double ``v`` times the
    exact power of two 2^(48 j) that brings its magnitude into [1, 2^48) (0 stays 0); NULL for NaN and +-inf.

    Binary steps of 2^(48 b), b = 16, 8, 4, 2, 1, each a query layer (``<v>_b``) of one small CASE, scale a
    magnitude of 2^48 or more down and one below 2^-48 up; a last step scales [2^-48, 1) up once. A product by
    a power of two is exact (each step moves the value toward the band, so none overflows or underflows;
    subnormals, multiples of 2^-1074, become whole numbers). One CASE of 44 bands instead made Spark's whole
    check 1.4x slower (its generated code grew too large to compile), these layers did not."""
    prev, out = v, relation
    for b in (16, 8, 4, 2, 1):
        a, up, down = f"abs({prev})", _lit(_STEP * b), _lit(-_STEP * b)
        out = (f"(SELECT *, CASE WHEN {a} >= {up} THEN {prev} * {down} WHEN {a} < {down} THEN {prev} * {up} "
               f"ELSE {prev} END AS {v}_{b} FROM {out} AS _l{b})")
        prev = f"{v}_{b}"
    # NaN is the largest double on both engines: it, +inf and -inf end here
    return (f"(SELECT *, CASE WHEN abs({prev}) > {_DBL_MAX} THEN NULL WHEN {prev} <> 0 AND abs({prev}) < 1 "
            f"THEN {prev} * {_lit(_STEP)} ELSE {prev} END AS {v}_s FROM {out} AS _l0)")


def double_parts(v: str) -> list[str]:
    """Per row, over ``v`` and :func:`scaled_sql`'s column: exact integers that tell every two doubles apart
    (-0.0 reads as 0.0): the scaled value's whole part and its fraction times 2^52 (whole: it is at least 1, so
    its last bit is 2^-52 or more; both below 1e15, where the engines' DECIMAL casts agree), j, and one flag
    each for NaN, +inf and -inf."""
    sv = f"{v}_s"
    # j from the scale: log2 |s| - log2 |v| is 48 j, off by far less than 1/2 on both engines (Spark's is ln / ln 2)
    j = f"CASE WHEN {v} = 0 THEN 0 ELSE CAST(round((log2(abs({sv})) - log2(abs({v}))) / {_STEP}) AS INTEGER) END"
    return [f"CAST(floor({sv}) AS DECIMAL(38, 0))",
            f"CAST(({sv} - floor({sv})) * 4503599627370496 AS DECIMAL(38, 0))", j,
            f"CASE WHEN isnan({v}) THEN 1 ELSE 0 END",
            f"CASE WHEN {v} > {_DBL_MAX} AND NOT isnan({v}) THEN 1 ELSE 0 END",
            f"CASE WHEN {v} < -{_DBL_MAX} THEN 1 ELSE 0 END"]


def _sums(v: str, kind: str) -> list[str]:
    """Order-free exact sums of one value, position-weighted, with the count of non-NULL values: integers as
    DECIMAL; doubles as :func:`double_parts` (over the column of :func:`scaled_sql`): every finite double
    exactly (review5: below 1 the fraction times 2^52 alone lost neighbours, 1e-17 read as 0.0 passed), NaN, +inf
    and -inf counted apart; flags as weighted counts of true."""
    w, n = _WEIGHT, f"count({v})"
    if kind == "int":
        return [n, f"sum(CAST({v} AS DECIMAL(38, 0)) * {w})"]
    if kind == "double":
        return [n, *(f"sum({part} * {w})" for part in double_parts(v))]
    return [n, f"sum(CASE WHEN {v} THEN {w} ELSE 0 END)"]  # count_if: NULL on DuckDB when all are NULL


def _per_row_sql(found: list[str]) -> str:
    """Each row of ``{inner}``: its position, id, JSON-refusal bitmask, staging verdict and staged values."""
    mask = " + ".join(f"CASE WHEN _raw_{i} IS NOT NULL AND NOT json_valid(CAST(_raw_{i} AS VARCHAR)) THEN {2 ** i} "
                      "ELSE 0 END" for i in range(len(found))) or "0"
    values = ", ".join(f"{expr} AS _v_{name}" for name, expr, _kind in _VALUES)
    return (f"SELECT file_row_number AS _row, CAST(id AS VARCHAR) AS _id, {mask} AS _bad, "
            f"({staging.REASON_SQL}) AS _reason, {values} FROM ({{inner}}) m")


def _outer_sql(found: list[str]) -> str:
    """Refused rows (_row >= 0) and, with _row = -1, the sums over accepted rows, in one query over ``{inner}``."""
    sums = [s for name, _e, kind in _VALUES for s in _sums(f"_v_{name}", kind)]
    accepted = "(SELECT * FROM v WHERE _reason IS NULL)"
    for name in (name for name, _e, kind in _VALUES if kind == "double"):
        accepted = scaled_sql(f"_v_{name}", accepted)
    return (f"WITH v AS ({_per_row_sql(found)}) "
            "SELECT _row, _id, _bad, _reason, CAST(NULL AS VARCHAR) AS _sums FROM v "
            "WHERE _bad <> 0 OR _reason IS NOT NULL "
            "UNION ALL SELECT -1, NULL, 0, NULL, concat_ws('|', "
            + ", ".join(f"coalesce(CAST({s} AS VARCHAR), '-')" for s in sums)
            + f") FROM {accepted} v")


def _mapped(path: Path, cols: Any, found: list[str]) -> Any:
    import sqlglot

    from modelcensus.sources.hubstats import staging_select

    # the rules read the mapped columns, the JSON check the file's own text: both over the importer's SELECT
    tree = sqlglot.parse_one(staging_select(path, cols), read="duckdb")
    assert isinstance(tree, sqlglot.exp.Select)  # staging_select writes one SELECT
    return tree.select(
        "file_row_number", *[sqlglot.exp.column(c, quoted=True).as_(f"_raw_{i}") for i, c in enumerate(found)])


# how a file passed (check_engines_agree's answer), for the notes of a result built on another engine; a pass
# whose verdict was not kept is NOT_KEPT followed by why
NOT_NEEDED, SCANNED, SCANNED_KEPT, KEPT_VERDICT = "not needed", "scanned", "scanned, verdict kept", "kept verdict"
NOT_KEPT = "scanned, verdict not kept: "


def check_file(area: Any, path: Path, cols: Any, probe: Store) -> str:
    """:func:`check_engines_agree` over the file at ``path``, registered on ``area``'s engine here and only when
    no kept verdict spares the scan (registering costs a Spark job per file: 0.8 s each here); how it passed."""
    return check_engines_agree(area, None, path, cols, probe, remember=True)


def check_engines_agree(area: Any, view: str | None, path: Path, cols: Any, probe: Store, *,
                        remember: bool = False) -> str:
    """Fail the file (InputError naming up to five rows) when DuckDB and ``area``'s engine judge a row
    differently (a JSON text one parser refuses, a staging verdict) or stage a value differently; else say how
    it passed: ``NOT_NEEDED`` (DuckDB itself), ``SCANNED`` (nothing to keep asked), ``SCANNED_KEPT``,
    ``KEPT_VERDICT``, or ``NOT_KEPT`` followed by why no verdict was kept.

    ``remember``: a pass is kept, and a kept pass for the same bytes, check and engines skips the scans
    (``check_verdicts``). Only for a caller that registered ``view`` from ``path`` itself, just before (the
    key is the file's, not the view's), or passes no ``view``: then ``path`` is registered here."""
    from modelcensus.sources.hubstats import json_text_columns

    dialect = area_dialect(area)
    if dialect == "duckdb":
        return NOT_NEEDED
    found = json_text_columns(cols)
    mapped, outer = _mapped(path, cols, found), _outer_sql(found)
    with scratch(DuckDBEngine.from_store(probe)) as duck:
        ours_sql = outer.format(inner=mapped.sql(dialect="duckdb"))
        kept = _verdict_key(area, duck, path, [ours_sql, outer.format(
            inner=mapped.from_("_mc_file").sql(dialect="duckdb"))]) if remember else None
        if isinstance(kept, tuple) and seen_agreeing(kept[0], path.parent):
            return KEPT_VERDICT
        try:
            duck.materialise("_mc_ours", ours_sql)
        except InputError as exc:
            raise InputError(f"{path}: cannot read it ({exc})") from None
        if view is None:
            view = "_mc_check_file"
            area.register_parquet(view, path, row_number="file_row_number")
        duck.register_arrow("_mc_theirs", area.query(
            to_dialect(outer.format(inner=mapped.from_(view).sql(dialect="duckdb")), dialect)))
        _refused_alike(duck, path, found, dialect)
        ours, other = (duck.query(f"SELECT _sums FROM {t} WHERE _row = -1").to_pylist()
                       for t in ("_mc_ours", "_mc_theirs"))
        if ours != other:
            _name_value_rows(area, view, path, (cols, found), duck, dialect, (ours, other))
    if kept is None:
        return SCANNED
    if isinstance(kept, str):
        return NOT_KEPT + kept
    if not _unchanged_since(path, *kept):  # the engines read the bytes that were hashed, or nothing is kept
        return NOT_KEPT + "a file changed while it was checked"
    why = remember_agreement(kept[0], path.parent)
    return SCANNED_KEPT if why is None else NOT_KEPT + why


def _unchanged_since(path: Path, key: dict[str, Any], identity: FileIdentity) -> bool:
    """The file is still the version hashed for ``key``: hashed again, the same identity and the same bytes (a
    write through a shared memory map changes bytes without touching mtime or ctime: review8). One more read of
    the file, only when a verdict is to be kept, that is after a check that scanned it twice."""
    try:
        return hash_file(path) == (identity, key["source_sha256"])
    except OSError:
        return False


# session settings that change from one session to the next and not how anything is read: left out of the key
# (any other setting is in it: an unknown one only costs cache hits)
_VOLATILE_SETTINGS = ("spark.app.id", "spark.app.startTime", "spark.app.submitTime", "spark.driver.host",
                      "spark.driver.port", "spark.driver.bindAddress", "spark.executor.id", "spark.sql.warehouse.dir",
                      "spark.submit.pyFiles")
_JVM = ("java.version", "java.vendor", "user.timezone")


def _engines_stamp(area: Any, duck: Scratch) -> dict[str, Any] | None:
    """What the key says of each engine, or None (keep no verdict) on an engine this cannot describe. On Spark:
    its version and session time zone, every session setting but the volatile ones (ANSI mode, parser and rebase
    policies, plugins and accelerators that swap its reader or casts, Parquet options), and its JVM's version,
    vendor and default time zone; a setting left at its default is fixed by the version. None as well when Spark
    does not read the path from this machine (a cluster master, Spark Connect): the file hashed here need not be
    the bytes its executors would read (review8 R8-5), so a verdict is neither kept nor used there."""
    engine = getattr(area, "engine", area)  # a scratch area, or the engine itself
    if area_dialect(area) != "spark" or not engine.reads_files_here:
        return None
    jvm = ", ".join(f"reflect('java.lang.System', 'getProperty', '{p}') AS `{p}`" for p in _JVM)
    try:
        mine = duck.query("SELECT version() AS version, current_setting('TimeZone') AS time_zone").to_pylist()[0]
        theirs = area.query(f"SELECT version() AS version, current_timezone() AS time_zone, {jvm}").to_pylist()[0]
        settings = area.query("SET").to_pylist()
    except InputError:
        return None
    kept = sorted([str(r.get("key")), str(r.get("value"))] for r in settings
                  if str(r.get("key")) not in _VOLATILE_SETTINGS and not str(r.get("key")).startswith("spark.ui."))
    return {"duckdb": mine, "spark": {**theirs, "settings": kept}}


def _verdict_key(area: Any, duck: Scratch, path: Path, sql: list[str]
                 ) -> tuple[dict[str, Any], FileIdentity] | str:
    """The key a verdict on ``path`` is kept under (``check_verdicts``) and the file's identity when it was
    hashed; else why no verdict can be kept (an engine that cannot be described, or that does not read the
    path here, or a file that changed while it was hashed)."""
    engines = _engines_stamp(area, duck)
    if engines is None:
        if not getattr(area, "engine", area).reads_files_here:
            return ("Spark does not read these paths from this machine (not local mode, Spark Connect, or a "
                    "default file system other than local files)")
        return "the engine's versions and settings could not be read"
    try:
        identity, digest = hash_file(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if digest is None:
        return "a file changed while it was hashed"
    return verdict_key(source_sha256=digest, source_bytes=identity.size, sql=sql, engines=engines), identity


def _refused_alike(duck: Scratch, path: Path, found: list[str], dialect: str) -> None:
    """The refused rows of both engines, compared in DuckDB: the first rows that differ and their count."""
    differ = duck.query(
        "SELECT coalesce(o._row, t._row) AS r, coalesce(o._id, t._id) AS id, coalesce(o._bad, 0) AS ob, "
        "coalesce(t._bad, 0) AS tb, o._reason AS ors, t._reason AS trs, count(*) OVER () AS n "
        "FROM (SELECT * FROM _mc_ours WHERE _row >= 0) o FULL JOIN (SELECT * FROM _mc_theirs WHERE _row >= 0) t "
        "ON o._row = t._row WHERE coalesce(o._bad, 0) <> coalesce(t._bad, 0) OR o._reason IS DISTINCT FROM t._reason "
        f"ORDER BY r LIMIT {_SHOWN}").to_pylist()
    if not differ:
        return
    shown = []
    for d in differ:
        what = [c for i, c in enumerate(found) if (d["ob"] ^ d["tb"]) >> i & 1]
        if d["ors"] != d["trs"]:
            what.append(f"staging verdict {d['ors'] or 'accepted'!r} on DuckDB, {d['trs'] or 'accepted'!r} "
                        f"on {dialect}")
        shown.append(f"row {d['r']} (id {d['id']!r}): {', '.join(what)}")
    _fail(path, dialect, differ[0]["n"], shown)


def _name_value_rows(area: Any, view: str, path: Path, file: tuple[Any, list[str]], duck: Scratch, dialect: str,
                     sums: tuple[Any, Any]) -> None:
    """The sums differ: both engines list every accepted row's values (this path only) to name the rows."""
    cols, found = file
    values = ", ".join(f"_v_{name}" for name, _e, _k in _VALUES)
    rows = f"SELECT _row, _id, {values} FROM ({_per_row_sql(found)}) v WHERE _reason IS NULL"
    mapped = _mapped(path, cols, found)
    duck.materialise("_mc_mine", rows.format(inner=mapped.sql(dialect="duckdb")))
    duck.register_arrow("_mc_other", area.query(to_dialect(rows.format(inner=mapped.from_(view).sql(dialect="duckdb")),
                                                            dialect)))
    each = [f"o._v_{n} IS DISTINCT FROM t._v_{n}" for n, _e, _k in _VALUES]  # values as each engine staged them
    found_rows = duck.query(
        f"SELECT coalesce(o._row, t._row) AS r, coalesce(o._id, t._id) AS id, [{', '.join(each)}] AS flags, "
        f"count(*) OVER () AS n FROM _mc_mine o FULL JOIN _mc_other t ON o._row = t._row "
        f"WHERE o._row IS NULL OR t._row IS NULL OR {' OR '.join(each)} ORDER BY r LIMIT {_SHOWN}").to_pylist()
    if not found_rows:  # sums differ but no row does: report the sums rather than pass a file we cannot explain
        _fail(path, dialect, 0, [f"value sums {sums[0]} on DuckDB, {sums[1]} on {dialect}"])
    shown = [f"row {d['r']} (id {d['id']!r}): "
             + ", ".join(n for (n, _e, _k), f in zip(_VALUES, d["flags"], strict=True) if f is not False)
             + f" staged differently by DuckDB and {dialect}" for d in found_rows]
    _fail(path, dialect, found_rows[0]["n"], shown)


def _fail(path: Path, dialect: str, total: int, shown: list[str]) -> NoReturn:
    more = f" and {total - _SHOWN} more" if total > _SHOWN else ""
    raise InputError(f"{path}: {total or 'some'} row(s) are read differently by DuckDB and {dialect} (JSON with "
                     f"duplicate keys, trailing commas, NaN, two documents or deep nesting; text numbers or dates "
                     f"one engine casts and the other does not, or casts to another value): {'; '.join(shown)}"
                     f"{more}; build this file with --engine duckdb")


__all__ = ["KEPT_VERDICT", "NOT_KEPT", "NOT_NEEDED", "SCANNED", "SCANNED_KEPT", "check_engines_agree", "check_file"]
