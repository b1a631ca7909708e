"""The reply window of a chat conversation, shown before sending: the message page, the JSON
API and approval tell how long Messenger, WhatsApp and Zalo still take a reply, with the same
rule and the same stored "customer last wrote" time the senders check, on an injected clock.
Telegram and Facebook comments have no window; a chat message's draft follows ``private``."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.chat_helpers import make_app, real_now
from tests.fake_meta import APP_SECRET, PAGE_ID, PAGE_TOKEN, WA_NUMBER_ID, WA_TOKEN, FakeMeta
from tests.fixtures_web import AGENT
from tests.test_web import login
from triage.clock import FrozenClock
from triage.errors import ReplyRejected, ReviewError
from triage.mail.threads import assign_threads
from triage.models import OutgoingReply, ParsedMessage
from triage.send.outbox import Outbox
from triage.send.whatsapp import build_whatsapp_sender
from triage.send.window import store_last_seen
from triage.services import App
from triage.sources.facebook import comment_message, dm_message
from triage.sources.telegram import parse_message
from triage.sources.whatsapp import whatsapp_message
from triage.sources.zalo import zalo_message
from triage.store.store import Ingest
from triage.web.accounts import add_user

TAGGED_PAGE, OA_ID, BOT_ID = "9002", "7001", "4242"
ENV = {"FB_TOKEN": PAGE_TOKEN, "META_SECRET": APP_SECRET, "META_VERIFY": "v",
       "WA_TOKEN": WA_TOKEN, "ZALO_SECRET": "s", "ZALO_ACCESS": "a", "ZALO_REFRESH": "r",
       "TG_TOKEN": f"{BOT_ID}:token"}
TEXT = "Đơn hàng 4521 của tôi bị giao trễ một tuần rồi, làm ơn kiểm tra giúp tôi"


@pytest.fixture
def clock() -> FrozenClock:
    """The real time, frozen (the fake Graph API stamps messages with it)."""
    return real_now()


def sources(base_url: str = "http://127.0.0.1:9") -> list[dict[str, Any]]:
    fb = {"type": "facebook", "page_token_env": "FB_TOKEN", "app_secret_env": "META_SECRET",
          "api_base_url": base_url}
    return [
        {"name": "fb", "page_id": PAGE_ID, **fb},
        {"name": "fbtag", "page_id": TAGGED_PAGE, "human_agent_tag": True, **fb},
        {"name": "wa", "type": "whatsapp", "phone_number_id": WA_NUMBER_ID,
         "access_token_env": "WA_TOKEN", "app_secret_env": "META_SECRET",
         "verify_token_env": "META_VERIFY", "api_base_url": base_url},
        {"name": "oa", "type": "zalo", "oa_id": OA_ID, "app_id": "1",
         "app_secret_env": "ZALO_SECRET", "access_token_env": "ZALO_ACCESS",
         "refresh_token_env": "ZALO_REFRESH"},
        {"name": "tg", "type": "telegram", "bot_token_env": "TG_TOKEN"},
    ]


@pytest.fixture
def app(tmp_path: Path, model_path: Path, clock: FrozenClock) -> App:
    a = make_app(tmp_path, model_path, clock, sources(), ENV)
    add_user(a.store, *AGENT, "agent")
    return a


def ingest(app: App, source: str, parsed: ParsedMessage) -> int:
    """Store and process one chat message; return its id."""
    app.store.ensure_source(source, source)
    [mid] = app.store.add_items(source, [Ingest(parsed.message_id, b"{}", parsed)], {},
                                channel="social", threader=assign_threads)
    app.pipeline.process_pending()
    return mid


def page(app: App) -> TestClient:
    from triage.web import create_app

    client = TestClient(create_app(app.web_parts(outbox=Outbox(app.store, {})),
                                   secret_key="w" * 64))
    login(client, AGENT)
    return client


def window_line(html: str) -> str:
    m = re.search(r'id="reply-window"[^>]*>([^<]*)<', html)
    return m.group(1).replace("&#39;", "'") if m else ""


# platform: source, message (received ``ago``), what the page says then, how long later it
# has closed, and what it says then
CASES = {
    "messenger": ("fb", lambda at: dm_message(PAGE_ID, "201", "m.1", TEXT, at, name="Lan"),
                  timedelta(hours=21), "Reply window: closes in 3 h (Messenger: 24-hour window)",
                  timedelta(hours=4), "Reply window: closed 1 h ago (24-hour window); "
                  "Messenger only accepts a tagged message now"),
    "whatsapp": ("wa", lambda at: whatsapp_message(WA_NUMBER_ID, "6281234", "wamid.1", TEXT,
                                                   at, "Budi"),
                 timedelta(hours=23, minutes=30),
                 "Reply window: closes in 30 min (WhatsApp: 24-hour window)",
                 timedelta(hours=1), "Reply window: closed 30 min ago (24-hour window); "
                 "WhatsApp then only delivers an approved message template"),
    "zalo": ("oa", lambda at: zalo_message(OA_ID, "u1", "z.1", TEXT, at, name="Lan"),
             timedelta(days=6), "Reply window: closes in 24 h (Zalo: 7-day window)",
             timedelta(days=3), "Reply window: closed 2 days ago (7-day window); "
             "Zalo then only delivers a ZBS template message"),
}


@pytest.mark.parametrize("platform", sorted(CASES))
def test_the_page_shows_the_window_and_approval_is_refused_once_it_closed(
        app: App, clock: FrozenClock, platform: str) -> None:
    source, make, ago, open_text, later, closed_text = CASES[platform]
    mid = ingest(app, source, make(clock.now() - ago))
    assert app.store.message(mid)["private"] is True
    client = page(app)
    html = client.get(f"/messages/{mid}").text
    assert window_line(html) == open_text
    api = client.get(f"/api/messages/{mid}").json()["reply_window"]
    assert api["closed"] is False and api["text"] == open_text
    # a chat draft asks right there, never "DM us"
    assert "DM" not in app.store.drafts.current(mid)["text"]
    assert "nhắn tin riêng" not in app.store.drafts.current(mid)["text"]

    clock.advance(later)
    login(client, AGENT)  # the session idled out meanwhile
    html = client.get(f"/messages/{mid}").text
    assert window_line(html).startswith(closed_text), window_line(html)
    assert "Approving is refused until the customer writes again" in html
    assert client.get(f"/api/messages/{mid}").json()["reply_window"]["closed"] is True
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    r = client.post(f"/messages/{mid}/approve", data={
        "csrf_token": token, "subject": "", "text": "Dạ, bên em kiểm tra ngay ạ."})
    assert "not queued: Reply window: closed" in r.text
    draft = app.store.drafts.current(mid)
    assert draft["status"] == "pending_review"  # nothing queued ...
    assert draft["text"] == "Dạ, bên em kiểm tra ngay ạ."  # ... and the edit kept
    assert app.store.queue.thread_replies(app.store.message(mid)) == []

    # the customer writes again: the window opens again, approval goes through
    again = make(clock.now() - timedelta(minutes=5))
    newer = ingest(app, source, type(again)(**{**again.__dict__,
                                               "message_id": again.message_id + ".2"}))
    assert window_line(client.get(f"/messages/{mid}").text).startswith(
        "Reply window: closes in")
    # the newer message has the conversation's draft now (the old one is superseded)
    assert app.store.drafts.superseded_by(mid)[1] == newer  # type: ignore[index]
    # the agent's edit of the old draft stays readable (open, named) on its page
    old_page = client.get(f"/messages/{mid}").text
    assert f"last edited by {AGENT[0]}" in old_page and "Dạ, bên em kiểm tra ngay ạ." in old_page
    done = app.review_service(outbox=Outbox(app.store, {})).approve(
        newer, AGENT[0], text="Dạ, bên em kiểm tra ngay ạ.")
    assert done.outbox_id > 0


def test_messenger_with_the_human_agent_tag_shows_the_tagged_days_left(
        app: App, clock: FrozenClock) -> None:
    mid = ingest(app, "fbtag", dm_message(TAGGED_PAGE, "301", "m.9", TEXT,
                                          clock.now() - timedelta(hours=30), name="Lan"))
    window = app.review.windows.of(app.store.message(mid))
    assert window is not None and window.tagged and not window.closed
    assert str(window) == ("Reply window: the 24-hour window closed; Messenger takes the "
                           "reply with the HUMAN_AGENT tag, which closes in 5 days")
    assert window_line(page(app).get(f"/messages/{mid}").text) == str(window)
    clock.advance(timedelta(days=6))
    with pytest.raises(ReviewError, match=r"not queued: Reply window: closed 6 h ago \(7-day "
                                          r"window\); the HUMAN_AGENT tag allows 7 days only"):
        app.review_service(outbox=Outbox(app.store, {})).approve(
            mid, AGENT[0], text="Dạ, bên em kiểm tra ngay ạ.")


def test_telegram_and_facebook_comments_have_no_window_and_stay_as_they_are(
        app: App, clock: FrozenClock) -> None:
    long_ago = clock.now() - timedelta(days=30)
    private_chat = parse_message({
        "message_id": 5, "date": int(long_ago.timestamp()), "text": TEXT,
        "chat": {"id": 77, "type": "private"}, "from": {"id": 77, "first_name": "Lan"}},
        BOT_ID)
    group = parse_message({
        "message_id": 6, "date": int(long_ago.timestamp()), "text": TEXT,
        "chat": {"id": -1001, "type": "supergroup"}, "from": {"id": 78, "first_name": "An"}},
        BOT_ID)
    comment = comment_message(PAGE_ID, f"{PAGE_ID}_1", "c.1", None, "501", "Budi",
                              "Aplikasi error terus waktu saya mau bayar, tolong dibantu ya",
                              long_ago)
    ids = {"tg": ingest(app, "tg", private_chat), "group": ingest(app, "tg", group),
           "comment": ingest(app, "fb", comment)}
    client = page(app)
    for name, mid in ids.items():
        msg = app.store.message(mid)
        assert app.review.windows.of(msg) is None, name
        assert 'id="reply-window"' not in client.get(f"/messages/{mid}").text
        assert client.get(f"/api/messages/{mid}").json()["reply_window"] is None
    assert app.store.message(ids["tg"])["private"] is True
    assert app.store.message(ids["group"])["private"] is False
    assert app.store.message(ids["comment"])["private"] is False
    # the public comment's draft still asks for a DM; the private chat's does not
    assert "DM" in app.store.drafts.current(ids["comment"])["text"]
    assert "nhắn tin riêng" not in app.store.drafts.current(ids["tg"])["text"]


def test_the_sender_refuses_exactly_when_the_page_says_closed(
        app: App, clock: FrozenClock, fake_meta: FakeMeta) -> None:
    mid = ingest(app, "wa", whatsapp_message(WA_NUMBER_ID, "6281234", "wamid.7", TEXT,
                                             clock.now() - timedelta(hours=23), "Budi"))
    msg = app.store.message(mid)
    fake_meta.wa_last_inbound["6281234"] = clock.now() - timedelta(hours=23)  # Meta saw it too
    settings = app.settings.source("wa").model_copy(update={"api_base_url": fake_meta.base_url})
    sender = build_whatsapp_sender(settings, ENV, last_seen=store_last_seen(app.store),
                                   clock=clock)

    def reply(key: str) -> OutgoingReply:
        return OutgoingReply(idempotency_key=key, message_id=mid, channel="social",
                             to=msg["sender"], subject="", text="Halo Budi, kami cek ya.",
                             in_reply_to=msg["message_id"], source="wa")

    clock.advance(timedelta(minutes=59, seconds=59))
    assert not app.review.windows.of(msg).closed  # type: ignore[union-attr]
    assert sender.send(reply("k1"))
    clock.advance(timedelta(seconds=2))
    assert app.review.windows.of(msg).closed  # type: ignore[union-attr]
    before = len(fake_meta.requests)
    with pytest.raises(ReplyRejected, match="outside the 24-hour reply window; WhatsApp"):
        sender.send(reply("k2"))
    assert len(fake_meta.requests) == before  # refused before any request
