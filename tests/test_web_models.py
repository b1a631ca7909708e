"""The classifier page's versions: the bundled model is the oldest, *Roll back* is offered only
when there is an earlier version (and returns to the bundled model after the first
activation), otherwise the page says why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.fixtures_web import ADMIN
from tests.test_web import login
from triage.store import schema as s
from triage.web import models_admin


def _register(seeded: Any, tmp_path: Any, *versions: str) -> None:
    with seeded.store.engine.begin() as c:
        for v in versions:
            (tmp_path / v).write_bytes(b"model")
            c.execute(s.model_versions.insert().values(
                version=v, path=str(tmp_path / v), sha256="0" * 64,
                metrics={"gate_macro_f1": 0.8}, created_at=seeded.clock.now(), active=False))


def _rows(html: str) -> list[str]:
    import re

    return re.findall(r'<tr data-version="([^"]+)"', html)


def test_roll_back_button_only_with_an_earlier_version(web: Any, seeded: Any,
                                                       tmp_path: Any) -> None:
    _register(seeded, tmp_path, "v1")
    client = TestClient(web)
    token = login(client, ADMIN)
    html = client.get("/admin/models").text
    assert _rows(html) == ["v1", "bundled"]
    assert 'action="/admin/models/rollback"' not in html
    assert 'id="no-rollback"' in html and "no registered version was ever activated" in html
    client.post("/admin/models/v1/activate", data={"csrf_token": token})
    html = client.get("/admin/models").text
    assert "Roll back to bundled</button>" in html
    seeded.clock.advance(timedelta(seconds=1))
    r = client.post("/admin/models/rollback", data={"csrf_token": token})
    assert "Rolled back to bundled" in r.text
    assert models_admin.active(seeded.store) is None  # the daemon uses the bundled model
    html = client.get("/admin/models").text
    assert "Roll back to v1</button>" in html
    assert 'action="/admin/models/bundled/activate"' not in html  # it is the active one


def test_api_rolls_back_to_the_bundled_model(web: Any, seeded: Any, tmp_path: Any) -> None:
    _register(seeded, tmp_path, "v1")
    client = TestClient(web)
    token = login(client, ADMIN)
    headers = {"X-CSRF-Token": token}
    r = client.post("/api/admin/models/rollback", headers=headers)
    assert r.status_code >= 400 and "nothing to roll back to" in r.text
    client.post("/api/admin/models/v1/activate", headers=headers)
    seeded.clock.advance(timedelta(seconds=1))
    assert client.post("/api/admin/models/rollback", headers=headers).json() == {
        "active": "bundled"}
    listed = client.get("/api/admin/models").json()
    assert [(v["version"], v["active"]) for v in listed] == [("v1", False), ("bundled", True)]
    client.post("/api/admin/models/v1/activate", headers=headers)
    assert models_admin.active(seeded.store)["version"] == "v1"  # type: ignore[index]
    client.post("/api/admin/models/bundled/activate", headers=headers)
    assert models_admin.active(seeded.store) is None
