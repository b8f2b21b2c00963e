"""Summary statistics used to calibrate the synthetic hub against real Hub data, and to check it.

The same functions measure the real slices in ``../shared/data`` and the generator's output, so the
numbers written in ``profile.yaml`` and ``docs/synthetic.md`` can be re-derived by the tests.
"""

from __future__ import annotations

import numpy as np


def hill_alpha(values: np.ndarray, k: int) -> float:
    """Hill estimator of the Pareto tail index from the ``k`` largest positive values."""
    x = np.sort(np.asarray(values, dtype=np.float64)[np.asarray(values) > 0])[::-1]
    if len(x) <= k or k < 2:
        raise ValueError(f"need more than {k} positive values, have {len(x)}")
    return float(1.0 / np.mean(np.log(x[:k] / x[k])))


def top_share(values: np.ndarray, fraction: float) -> float:
    """Share of the total held by the top ``fraction`` of models."""
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    k = max(1, int(round(len(x) * fraction)))
    total = x.sum()
    return float(x[:k].sum() / total) if total > 0 else 0.0


def download_stats(downloads: np.ndarray) -> dict[str, float]:
    """Zero share, log-normal body of the positive part, tail index (top 1 %) and concentration."""
    d = np.asarray(downloads, dtype=np.float64)
    pos = d[d > 0]
    logp = np.log(pos)
    k = max(10, len(d) // 100)
    return {
        "n": float(len(d)),
        "zero_share": float((d == 0).mean()),
        "median": float(np.median(d)),
        "pos_log_mean": float(logp.mean()),
        "pos_log_sd": float(logp.std()),
        "hill_top1pct": hill_alpha(d, min(k, len(pos) - 1)),
        "top_0.1pct_share": top_share(d, 0.001),
        "top_1pct_share": top_share(d, 0.01),
    }
