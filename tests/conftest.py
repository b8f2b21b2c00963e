"""Shared fixtures: a fresh store per test and the real data slices in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcensus.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "census.duckdb")
    yield s
    s.close()


@pytest.fixture
def shared_data() -> Path:
    """Path of ../shared/data; skips the test (with the reason) when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data slices not found at {SHARED_DATA} (clone with ../shared beside the repo)")
    return SHARED_DATA
