"""``audit --online`` against an unreachable, slow or hostile Hub (the fake Hub's fault modes): the Hub
target gets an error row, the other targets are still audited, and every case ends in bounded time."""

from __future__ import annotations

import json
import time
from pathlib import Path

import fakehub
import pytest
from audit_fixtures import make_folder

from modelcensus.audit import audit
from modelcensus.audit import hub as audit_hub
from modelcensus.cli.main import run


@pytest.fixture
def hf_env(monkeypatch, tmp_path):
    fakehub.isolate_hf_env(monkeypatch, tmp_path)
    monkeypatch.delenv("MODELCENSUS_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # no default store


@pytest.fixture
def hub(hf_env, monkeypatch):
    with fakehub.FakeHub(n_models=12, seed=4) as h:
        monkeypatch.setenv("HF_ENDPOINT", h.url)
        yield h


@pytest.fixture(scope="module")
def local_model(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("local"), "my-ft", "qwen2")


def test_unreachable_hub_is_an_error_row_and_local_targets_are_still_audited(hf_env, monkeypatch, registry,
                                                                             local_model: Path) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    rep = audit([str(local_model), "acme/some-model"], registry=registry, online=True)
    assert [d.target.kind for d in rep.dossiers] == ["folder"]
    assert rep.dossiers[0].verdict.status in ("pass", "warn")
    (e,) = rep.errors
    assert e.ref == "acme/some-model" and "is unreachable" in e.message and "ConnectError" in e.message
    assert rep.exit_code == 2


def test_cli_unreachable_hub_is_exit_2_with_both_rows(hf_env, monkeypatch, local_model: Path, capsys) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    assert run(["audit", str(local_model), "acme/some-model", "--online", "--format", "json"]) == 2
    got = capsys.readouterr()
    doc = json.loads(got.out)
    assert len(doc["models"]) == 1 and doc["errors"][0]["target"] == "acme/some-model"
    assert "acme/some-model" in got.err and "Traceback" not in got.err


def test_a_parent_the_hub_will_not_serve_is_an_error_not_a_guessed_root(hub, monkeypatch, registry) -> None:
    child = next(m for m in hub.models if (m.get("cardData") or {}).get("base_model"))
    parent = child["cardData"]["base_model"]
    hub.fail_info(parent, fakehub.Fault("redirect", location="http://127.0.0.1:9/api/models/x/y"))
    rep = audit([child["id"]], registry=registry, online=True)
    assert rep.dossiers == [] and rep.errors[0].ref == child["id"]
    assert parent in rep.errors[0].message and "redirected to another host" in rep.errors[0].message
    monkeypatch.setattr(audit_hub, "DEADLINE", 1.0)
    hub.fail_info(parent, fakehub.Fault("trickle", delay=0.1))
    rep = audit([child["id"]], registry=registry, online=True)
    assert rep.dossiers == [] and "did not answer within 1 s" in rep.errors[0].message


def test_model_info_redirected_to_another_host_is_refused(hub, registry) -> None:
    target = hub.models[0]["id"]
    with fakehub.FakeHub(n_models=3, seed=1) as other:
        hub.fail_info(target, fakehub.Fault("redirect", location=other.url + "{path}"))
        rep = audit([target], registry=registry, online=True)
        assert other.requests == []
    assert rep.dossiers == [] and "redirected to another host" in rep.errors[0].message and rep.exit_code == 2


def test_same_host_redirect_is_followed(hub, registry) -> None:
    target = hub.models[1]["id"]
    hub.fail_info("old/name", fakehub.Fault("redirect", location="{url}/api/models/" + target))
    rep = audit(["old/name"], registry=registry, online=True)
    assert [d.id for d in rep.dossiers] == [target] and rep.errors == []


@pytest.mark.parametrize("kind", ["trickle", "trickle_headers"])
def test_trickling_model_info_is_cut_at_the_deadline(hub, monkeypatch, registry, local_model: Path, kind) -> None:
    monkeypatch.setattr(audit_hub, "DEADLINE", 1.0)
    target = hub.models[2]["id"]
    hub.fail_info(target, fakehub.Fault(kind, delay=0.1))
    t0 = time.monotonic()
    rep = audit([target, str(local_model)], registry=registry, online=True)
    assert time.monotonic() - t0 < 10  # 1 s deadline; the rest is the local audit on a loaded machine
    assert "did not answer within 1 s" in rep.errors[0].message and len(rep.dossiers) == 1


def test_deeply_nested_model_info_is_an_error_row(hub, registry) -> None:
    target = hub.models[3]["id"]
    hub.fail_info(target, fakehub.Fault("deep_json"))
    rep = audit([target], registry=registry, online=True)
    assert "JSON nested too deeply" in rep.errors[0].message and rep.exit_code == 2
