"""Check: Spark's ``fsum`` (a GROUP BY) and DuckDB's against the correctly rounded sum, on random groups nobody wrote
for the code.

    .venv/bin/python benchmarks/check_spark_fsum.py [--seed 1] [--groups 20000] [--one-sign]

Groups of 2-6 values, four kinds in turn: 3-decimal flows that cancel to 0, magnitudes from 1e-20 to 1e14 of
either sign, a large value against its near-negation plus small terms, and ordinary values (``--one-sign``: the
same groups with every value made positive, which Spark adds without its rounding step). The expected answer
is Python's ``math.fsum`` of each group (correctly rounded), labelled before either engine runs. Prints, per
engine, how many groups are 0, 1, 2, ... ulps from it, and how many groups the engines disagree on.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter


def _groups(seed: int, count: int, one_sign: bool) -> dict[int, list[float]]:
    rng = random.Random(seed)
    groups = {}
    for k in range(count):
        n, kind = rng.randint(2, 6), k % 4
        if kind == 0:
            vs = [round(rng.uniform(-50, 50), 3) for _ in range(n - 1)]
            vs.append(-round(sum(vs), 3))
        elif kind == 1:
            vs = [rng.choice([-1, 1]) * 10 ** rng.uniform(-20, 14) for _ in range(n)]
        elif kind == 2:
            a = rng.uniform(-1e14, 1e14)
            vs = [a, -a + rng.uniform(-1, 1), rng.uniform(-1e-6, 1e-6)][:n] + [rng.uniform(-5, 5)
                                                                               for _ in range(max(0, n - 3))]
        else:
            vs = [rng.uniform(-1000, 1000) for _ in range(n)]
        groups[k] = [abs(v) for v in vs] if one_sign else vs
    return groups


def _ulps(got: float, exact: float) -> int:
    if got == exact:
        return 0
    return min(99, math.ceil(abs(got - exact) / math.ulp(max(abs(got), abs(exact)))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--groups", type=int, default=20_000)
    ap.add_argument("--one-sign", action="store_true")
    args = ap.parse_args(argv)

    import pyarrow as pa

    from modelcensus.store.dialect import to_dialect
    from modelcensus.store.engine import open_engine

    groups = _groups(args.seed, args.groups, args.one_sign)
    expected = {k: math.fsum(vs) for k, vs in groups.items()}
    table = pa.table({"g": [k for k, vs in groups.items() for _ in vs], "x": [v for vs in groups.values() for v in vs]})
    sql = "SELECT g, fsum(x) AS s FROM _fsum_check GROUP BY g"
    got = {}
    for name in ("duckdb", "spark"):
        engine = open_engine(name)
        try:
            engine.register_arrow("_fsum_check", table)
            got[name] = {r["g"]: r["s"] for r in engine.query(to_dialect(sql, engine.dialect)).to_pylist()}
        finally:
            engine.close()
    for name, sums in got.items():
        print(f"{name}: ulps from math.fsum -> groups", sorted(Counter(_ulps(sums[k], expected[k])
                                                                         for k in groups).items()))
    print("groups where the engines differ:", sum(got["duckdb"][k] != got["spark"][k] for k in groups),
          "of", len(groups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
