"""Org and family profiles take their key from the URL: it reaches SQL only as a quoted literal (the engine seam
takes no parameters), so a key is only ever a key (review25 R25-3), and a failed read of the store is ours, not
the client's (R25-2)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from modelcensus.errors import InputError
from modelcensus.metrics import profiles
from modelcensus.metrics.queries import StoreReadError, store_rows, store_value
from modelcensus.store import Store

HOSTILE_KEYS = ["x' OR '1'='1", "x' OR 1=1 --", "'; DROP TABLE origins; --", "x\\' OR '1'='1", "q\u2019wen",
                "x'||(SELECT string_agg(family, ',') FROM origins)||'"]


@pytest.fixture(scope="module")
def store(web_db: str):
    with Store(web_db, read_only=True) as s:
        yield s


def test_a_real_key_has_rows_and_a_hostile_one_has_none(store: Store) -> None:
    sid = store.snapshot().id
    family = store_value(store, f"SELECT family FROM origins WHERE snapshot_id = {sid} AND family IS NOT NULL "
                                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    assert family and profiles.derivatives_by_relation(store, sid, "family", family)
    assert profiles.top_derivatives(store, sid, "family", family, 5)
    for key in HOSTILE_KEYS:
        for subject in ("org", "family"):
            assert profiles.derivatives_by_relation(store, sid, subject, key) == []
            assert profiles.licence_mix(store, sid, subject, key) == []
            assert profiles.top_derivatives(store, sid, subject, key, 5) == []
    assert store_value(store, f"SELECT count(*) FROM origins WHERE snapshot_id = {sid}") > 0  # nothing dropped


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_a_hostile_family_url_shows_no_family(client, key: str) -> None:
    page = client.get("/family/" + quote(key, safe=""))
    assert page.status_code in (200, 404)
    assert 'href="/model/' not in page.text  # no derivative of any family is listed


def test_a_failed_read_of_the_store_is_an_internal_error(store: Store) -> None:
    with pytest.raises(StoreReadError) as err:
        store_rows(store, "SELECT no_such_column FROM origins")
    assert not isinstance(err.value, InputError)
