"""The chat platforms' webhooks on the review page's server: Meta's subscription handshake,
deliveries signed correctly (kept once, read back by their source) and wrongly (refused,
logged without the body or any secret); WhatsApp end to end from a delivery to a reply."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.chat_helpers import TEXTS, make_app, real_now, stored
from tests.fake_meta import APP_SECRET, PAGE_ID, PAGE_TOKEN, WA_NUMBER_ID, WA_TOKEN, FakeMeta, sign
from tests.fake_zalo import APP_ID, OA_SECRET, FakeZalo, zalo_mac
from triage.clock import FrozenClock
from triage.daemon import Daemon
from triage.errors import ReplyRejected
from triage.models import OutgoingReply
from triage.send.whatsapp import build_whatsapp_sender
from triage.services import App
from triage.sources.table import SOURCE_TYPES
from triage.store.channel_state import webhook_event_count
from triage.web import create_app
from triage.web.clientaddr import Proxies

ENV = {"FB_TOKEN": PAGE_TOKEN, "META_SECRET": APP_SECRET, "META_VERIFY": "verify-me-please",
       "WA_TOKEN": WA_TOKEN, "ZALO_OA_SECRET": OA_SECRET, "ZALO_SECRET": "s",
       "ZALO_ACCESS": "a", "ZALO_REFRESH": "r"}


@pytest.fixture
def clock() -> FrozenClock:
    """The real time, frozen."""
    return real_now()


@pytest.fixture
def hooks(tmp_path: Path, model_path: Path, clock: FrozenClock, fake_meta: FakeMeta,
          fake_zalo: FakeZalo) -> App:
    """An app with a Page, a WhatsApp number and an OA taking webhooks only."""
    return make_app(tmp_path, model_path, clock, [
        {"name": "fb", "type": "facebook", "page_id": PAGE_ID, "page_token_env": "FB_TOKEN",
         "app_secret_env": "META_SECRET", "verify_token_env": "META_VERIFY",
         "api_base_url": fake_meta.base_url, "poll": False, "webhook": True},
        {"name": "wa", "type": "whatsapp", "phone_number_id": WA_NUMBER_ID,
         "access_token_env": "WA_TOKEN", "app_secret_env": "META_SECRET",
         "verify_token_env": "META_VERIFY", "api_base_url": fake_meta.base_url},
        {"name": "oa", "type": "zalo", "oa_id": "4321", "app_id": APP_ID,
         "app_secret_env": "ZALO_SECRET", "access_token_env": "ZALO_ACCESS",
         "refresh_token_env": "ZALO_REFRESH", "oa_secret_env": "ZALO_OA_SECRET",
         "api_base_url": fake_zalo.base_url, "poll": False, "webhook": True},
        {"name": "fb-polled", "type": "facebook", "page_id": PAGE_ID,
         "page_token_env": "FB_TOKEN", "api_base_url": fake_meta.base_url}], ENV)


def client(app: App) -> TestClient:
    return TestClient(create_app(app.web_parts(), secret_key="t" * 64))


def poll(app: App, name: str) -> Any:
    """Poll source ``name`` once, on the app's clock."""
    cfg = app.settings.source(name)
    return Daemon(app).poll_source(SOURCE_TYPES[cfg.type](cfg, app.environ, Path,
                                                          clock=app.clock))


def test_meta_subscription_handshake(hooks: App) -> None:
    c = client(hooks)
    ok = c.get("/webhooks/facebook/fb", params={
        "hub.mode": "subscribe", "hub.verify_token": "verify-me-please", "hub.challenge": "1158"})
    assert ok.status_code == 200 and ok.text == "1158"
    assert c.get("/webhooks/whatsapp/wa", params={
        "hub.mode": "subscribe", "hub.verify_token": "verify-me-please",
        "hub.challenge": "77"}).text == "77"
    bad = c.get("/webhooks/facebook/fb", params={
        "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158"})
    assert bad.status_code == 403 and "1158" not in bad.text
    assert c.get("/webhooks/facebook/nope", params={"hub.mode": "subscribe"}).status_code == 404
    # a Page polled without webhook has no endpoint; nor has a source of another platform
    assert c.get("/webhooks/facebook/fb-polled").status_code == 404
    assert c.get("/webhooks/whatsapp/fb").status_code == 404


def test_signed_facebook_deliveries_are_kept_once_and_read_by_the_source(
        hooks: App, fake_meta: FakeMeta) -> None:
    c = client(hooks)
    dm = fake_meta.messenger_event("201", "m_hook1", TEXTS["vi"])
    post = fake_meta.post("news")
    cm = fake_meta.comment_event(post, "77_88", "501", "Budi", TEXTS["id"])
    for body in (dm, cm, dm):  # Meta repeats deliveries it thinks were lost
        r = c.post("/webhooks/facebook/fb", content=body,
                   headers={"X-Hub-Signature-256": sign(body),
                            "Content-Type": "application/json"})
        assert r.status_code == 200, r.text
    assert webhook_event_count(hooks.store, "fb") == 2
    assert poll(hooks, "fb").stored == 2
    rows = {r["external_id"]: r for r in stored(hooks, "fb")}
    assert rows["m_hook1"]["message_id"] == f"facebook:{PAGE_ID}:dm:201:m_hook1"
    assert rows["m_hook1"]["language"] == "vi" and rows["m_hook1"]["draft"]
    assert rows["77_88"]["sender_name"] == "Budi" and rows["77_88"]["language"] == "id"
    assert fake_meta.requests == []  # webhook only: not one Graph API request
    assert poll(hooks, "fb").stored == 0  # the cursor moved past both deliveries
    assert hooks.store.get_cursor("fb") == {"event_id": 2}


@pytest.mark.parametrize("platform,name", [("facebook", "fb"), ("whatsapp", "wa"),
                                           ("zalo", "oa")])
def test_wrongly_signed_deliveries_are_refused_and_logged_without_secrets(
        hooks: App, fake_meta: FakeMeta, fake_zalo: FakeZalo, platform: str, name: str,
        caplog: pytest.LogCaptureFixture) -> None:
    c = client(hooks)
    if platform == "zalo":
        body, _ = fake_zalo.webhook_event("111", "secret order details 4521")
        good = zalo_mac(body)
        header = "X-ZEvent-Signature"
        forged = zalo_mac(body, "not-the-secret")
    else:
        body = (fake_meta.whatsapp_event("6281234", "Budi", "secret order details 4521")[0]
                if platform == "whatsapp"
                else fake_meta.messenger_event("201", "m_x", "secret order details 4521"))
        good, header, forged = sign(body), "X-Hub-Signature-256", sign(body, "not-the-secret")
    tampered = body.replace(b"4521", b"9999")
    with caplog.at_level(logging.DEBUG):
        for sent, headers in ((body, {header: forged}), (body, {}), (tampered, {header: good}),
                              (body, {header: "sha256=" + "0" * 64})):
            r = c.post(f"/webhooks/{platform}/{name}", content=sent, headers=headers)
            assert r.status_code == 403, (headers, r.text)
    assert webhook_event_count(hooks.store) == 0
    assert caplog.text.count("refused a delivery") == 4
    for secret in ("secret order details", "4521", APP_SECRET, OA_SECRET, forged, good):
        assert secret not in caplog.text
    ok = c.post(f"/webhooks/{platform}/{name}", content=body, headers={header: good})
    assert ok.status_code == 200 and webhook_event_count(hooks.store) == 1


def test_refused_deliveries_name_the_client_a_trusted_proxy_forwarded(
        hooks: App, fake_meta: FakeMeta, caplog: pytest.LogCaptureFixture) -> None:
    """Behind a reverse proxy the log names the platform's address the proxy forwarded, not
    the proxy; a forwarded address from anyone else is not believed."""
    web = create_app(hooks.web_parts(), secret_key="t" * 64)
    web.state.proxies = Proxies.of(["10.0.0.1"])
    body = fake_meta.messenger_event("201", "m_y", "hello")
    forged = {"X-Hub-Signature-256": sign(body, "not-the-secret"),
              "X-Forwarded-For": "198.51.100.7"}
    with caplog.at_level(logging.WARNING):
        for peer in ("10.0.0.1", "203.0.113.9"):
            r = TestClient(web, client=(peer, 443)).post("/webhooks/facebook/fb", content=body,
                                                         headers=forged)
            assert r.status_code == 403
    refused = [r.getMessage() for r in caplog.records if "refused a delivery" in r.getMessage()]
    assert len(refused) == 2
    assert "from 198.51.100.7" in refused[0] and "10.0.0.1" not in refused[0]
    assert "from 203.0.113.9" in refused[1] and "198.51.100.7" not in refused[1]


def test_whatsapp_from_delivery_to_reply_with_the_24_hour_window(
        hooks: App, fake_meta: FakeMeta, clock: FrozenClock) -> None:
    c = client(hooks)
    body, wamid = fake_meta.whatsapp_event("6281234", "Budi Santoso", TEXTS["id"])
    other, _ = fake_meta.whatsapp_event("6289999", "Other", "hi", number_id="5550002")
    status = fake_meta.whatsapp_status_event("wamid.earlier", "6281234")
    for b in (body, other, status):
        assert c.post("/webhooks/whatsapp/wa", content=b,
                      headers={"X-Hub-Signature-256": sign(b)}).status_code == 200
    assert poll(hooks, "wa").stored == 1  # another number's message and the receipt skipped
    row = stored(hooks, "wa")[0]
    assert row["external_id"] == wamid and row["sender"] == "whatsapp:+6281234"
    assert row["sender_name"] == "Budi Santoso" and row["language"] == "id" and row["draft"]
    assert row["due_at"] - row["received_at"] == timedelta(minutes=60)

    def last_seen(source: str, sender: str) -> Any:
        from triage.store.channel_state import last_customer_message_at
        return last_customer_message_at(hooks.store, source, sender)

    sender = build_whatsapp_sender(hooks.settings.source("wa"), ENV, last_seen=last_seen,
                                   clock=clock)
    r = OutgoingReply(idempotency_key="k", message_id=row["id"], channel="social",
                      to=row["sender"], subject="", text="Halo Budi, kami bantu cek ya.",
                      in_reply_to=row["message_id"], source="wa")
    new = sender.send(r)
    assert fake_meta.sent == [{"kind": "whatsapp", "to": "6281234", "text": r.text, "id": new,
                               "context": wamid}]
    clock.advance(timedelta(hours=25))
    with pytest.raises(ReplyRejected, match="approved message template"):
        sender.send(r)
    assert len(fake_meta.sent) == 1
    blind = build_whatsapp_sender(hooks.settings.source("wa"), ENV,
                                  last_seen=lambda s, c: None, clock=clock)
    with pytest.raises(ReplyRejected, match=r"131047.*approved message template"):
        blind.send(r)


def test_zalo_deliveries_become_messages(hooks: App, fake_zalo: FakeZalo) -> None:
    c = client(hooks)
    body, mid = fake_zalo.webhook_event("111", TEXTS["vi"])
    follow = json.dumps({"app_id": APP_ID, "event_name": "follow", "timestamp": "1",
                         "oa_id": "4321", "follower": {"id": "111"}}).encode()
    for b in (body, follow):
        assert c.post("/webhooks/zalo/oa", content=b,
                      headers={"X-ZEvent-Signature": zalo_mac(b)}).status_code == 200
    assert poll(hooks, "oa").stored == 1
    row = stored(hooks, "oa")[0]
    assert row["external_id"] == mid and row["message_id"] == f"zalo:4321:111:{mid}"
    assert row["language"] == "vi"
    assert fake_zalo.requests == []  # webhook only: no token used, no request made


def test_an_unreadable_delivery_is_quarantined_not_lost(hooks: App) -> None:
    c = client(hooks)
    body = json.dumps({"object": "page", "entry": [{"messaging": [
        {"sender": {}, "message": {"mid": "m_bad", "text": "x"}}]}]}).encode()
    assert c.post("/webhooks/facebook/fb", content=body,
                  headers={"X-Hub-Signature-256": sign(body)}).status_code == 200
    poll(hooks, "fb")
    row = stored(hooks, "fb")[0]
    assert row["status"] == "quarantined" and "webhook delivery 1" in row["error"]


def test_deliveries_are_not_held_back_by_a_failing_poll_and_are_dropped_later(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_meta: FakeMeta) -> None:
    app = make_app(tmp_path, model_path, clock, [
        {"name": "fb", "type": "facebook", "page_id": PAGE_ID, "page_token_env": "FB_TOKEN",
         "app_secret_env": "META_SECRET", "verify_token_env": "META_VERIFY",
         "api_base_url": fake_meta.base_url, "poll": True, "webhook": True}], ENV)
    c = client(app)
    body = fake_meta.messenger_event("201", "m_hook9", TEXTS["vi"])
    assert c.post("/webhooks/facebook/fb", content=body,
                  headers={"X-Hub-Signature-256": sign(body)}).status_code == 200
    fake_meta.expired.add(PAGE_TOKEN)  # polling fails: the token expired
    from triage.errors import SourceAuthError

    with pytest.raises(SourceAuthError):
        poll(app, "fb")
    assert [r["external_id"] for r in stored(app, "fb")] == ["m_hook9"]  # stored anyway
    assert app.store.get_cursor("fb") == {"event_id": 1}  # the polling watermark did not move
    assert webhook_event_count(app.store, "fb") == 1
    clock.advance(timedelta(days=8))
    fake_meta.expired.clear()
    poll(app, "fb")
    assert webhook_event_count(app.store, "fb") == 0  # read a week ago: dropped


def test_a_backlog_of_deliveries_is_read_in_one_poll_with_one_api_sweep(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_meta: FakeMeta,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import triage.sources.chat as chat

    monkeypatch.setattr(chat, "EVENTS_PER_SWEEP", 2)
    app = make_app(tmp_path, model_path, clock, [
        {"name": "fb", "type": "facebook", "page_id": PAGE_ID, "page_token_env": "FB_TOKEN",
         "app_secret_env": "META_SECRET", "verify_token_env": "META_VERIFY",
         "api_base_url": fake_meta.base_url, "webhook": True, "comments": False}], ENV)
    c = client(app)
    for i in range(5):
        body = fake_meta.messenger_event(str(300 + i), f"m_b{i}", TEXTS["en"])
        assert c.post("/webhooks/facebook/fb", content=body,
                      headers={"X-Hub-Signature-256": sign(body)}).status_code == 200
    assert poll(app, "fb").stored == 5
    assert app.store.get_cursor("fb")["event_id"] == 5
    assert fake_meta.count("GET", "/conversations") == 1  # the API was swept once
