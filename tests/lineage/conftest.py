"""Fixtures for the lineage tests."""

from __future__ import annotations

import pytest

from modelcensus.lineage.registry import load_registry_cached


@pytest.fixture(scope="session")
def registry():
    """The package registry (loaded once)."""
    return load_registry_cached()
