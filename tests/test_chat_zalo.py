"""A Zalo Official Account against a local server speaking the OA Open API: recent chats and
conversations polled, threads and languages, access-token refresh with single-use refresh
tokens (the pair kept in the store, never logged), the call limit, and consultation replies
inside and outside the 7-day window."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.chat_helpers import TEXTS, make_app, real_now, stored
from tests.fake_zalo import (
    APP_ID,
    APP_SECRET,
    FIRST_ACCESS,
    FIRST_REFRESH,
    OA_ID,
    FakeZalo,
)
from triage.clock import FrozenClock
from triage.daemon import Daemon
from triage.errors import ReplyRejected, SourceAuthError
from triage.models import OutgoingReply
from triage.send.zalo import build_zalo_sender
from triage.services import App
from triage.sources.zalo import ZaloOA, build
from triage.store.channel_state import token_pair

ENV = {"ZALO_SECRET": APP_SECRET, "ZALO_ACCESS": FIRST_ACCESS, "ZALO_REFRESH": FIRST_REFRESH}


@pytest.fixture
def clock() -> FrozenClock:
    """The real time, frozen."""
    return real_now()


def zalo_settings(fake: FakeZalo, **kw: Any) -> dict[str, Any]:
    return {"name": "zalo", "type": "zalo", "oa_id": OA_ID, "app_id": APP_ID,
            "app_secret_env": "ZALO_SECRET", "access_token_env": "ZALO_ACCESS",
            "refresh_token_env": "ZALO_REFRESH", "api_base_url": fake.base_url,
            "oauth_base_url": fake.base_url, **kw}


def zalo_app(tmp_path: Path, model_path: Path, clock: FrozenClock, fake: FakeZalo,
             environ: dict[str, str] | None = None, **kw: Any) -> App:
    return make_app(tmp_path, model_path, clock, [zalo_settings(fake, **kw)], environ or ENV)


def source(app: App, clock: FrozenClock) -> ZaloOA:
    return build(app.settings.source("zalo"), app.environ, Path, clock=clock)


def test_recent_chats_are_polled_per_user_and_classified(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_zalo: FakeZalo) -> None:
    a = fake_zalo.user_message("111", "Lan", TEXTS["vi"], ago=timedelta(minutes=40))
    old = fake_zalo.user_message("222", "Minh", "tin nhắn cũ", ago=timedelta(days=3))
    b = fake_zalo.user_message("222", "Minh", "Ứng dụng bị lỗi khi thanh toán, giúp tôi với",
                               ago=timedelta(minutes=30))
    c = fake_zalo.user_message("333", "Ann", TEXTS["en"], ago=timedelta(minutes=20))
    d = fake_zalo.user_message("111", "Lan", "", ago=timedelta(minutes=10), kind="sticker")
    app = zalo_app(tmp_path, model_path, clock, fake_zalo, page_size=2)
    stats = Daemon(app).poll_source(source(app, clock))
    rows = {r["external_id"]: r for r in stored(app, "zalo")}
    assert set(rows) == {a, b, c, d} and old not in rows and stats.stored == 4
    assert rows[a]["thread_id"] == rows[d]["thread_id"] != rows[b]["thread_id"]
    assert rows[a]["sender"] == "zalo:111" and rows[a]["sender_name"] == "Lan"
    assert rows[a]["message_id"] == f"zalo:{OA_ID}:111:{a}"
    assert rows[a]["language"] == "vi" and rows[c]["language"] == "en"
    assert rows[d]["text"] == "(sticker)"
    assert rows[a]["due_at"] - rows[a]["received_at"] == timedelta(minutes=60)
    since = app.store.get_cursor("zalo")["poll"]["since"]
    assert since == int((clock.now() - timedelta(minutes=10)).timestamp() * 1000)
    e = fake_zalo.user_message("333", "Ann", "any news?", ago=timedelta(0))
    assert Daemon(app).poll_source(source(app, clock)).stored == 1
    assert e in {r["external_id"] for r in stored(app, "zalo")}


def test_expired_access_token_is_refreshed_kept_in_the_store_and_never_logged(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_zalo: FakeZalo,
        caplog: pytest.LogCaptureFixture) -> None:
    fake_zalo.user_message("111", "Lan", TEXTS["vi"])
    app = zalo_app(tmp_path, model_path, clock, fake_zalo)
    fake_zalo.expire_access_tokens()
    with caplog.at_level(logging.DEBUG):
        assert Daemon(app).poll_source(source(app, clock)).stored == 1
    pair = token_pair(app.store, "zalo")
    assert pair is not None and pair.version == 2
    assert (pair.access_token, pair.refresh_token) == ("zalo-access-2", "zalo-refresh-2")
    assert pair.expires_at == clock.now() + timedelta(seconds=90000)
    assert fake_zalo.refreshes == 1
    assert "zalo-access" not in caplog.text and "zalo-refresh" not in caplog.text
    assert "zalo-access" not in repr(pair)
    # a restarted daemon (new source, same store) uses the kept pair, not the spent one
    fake_zalo.user_message("111", "Lan", "còn đó không?", ago=timedelta(0))
    assert Daemon(app).poll_source(source(app, clock)).stored == 1
    assert fake_zalo.refreshes == 1
    # the refresh comes before the expiry Zalo announced
    clock.advance(timedelta(seconds=90000 - 60))
    Daemon(app).poll_source(source(app, clock))
    assert fake_zalo.refreshes == 2 and token_pair(app.store, "zalo").version == 3


def test_source_and_sender_refreshing_at_once_keep_one_chain(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_zalo: FakeZalo) -> None:
    mid = fake_zalo.user_message("111", "Lan", TEXTS["vi"])
    app = zalo_app(tmp_path, model_path, clock, fake_zalo)
    src = source(app, clock)
    Daemon(app).poll_source(src)
    sender = build_zalo_sender(app.settings.source("zalo"), ENV, store=app.store,
                               last_seen=lambda s, c: clock.now(), clock=clock)
    fake_zalo.expire_access_tokens()
    Daemon(app).poll_source(src)  # the source refreshes (chain: version 2)
    # the sender read version 1 before; its refresh token is spent, it takes the kept pair
    sender.send(OutgoingReply(idempotency_key="k", message_id=1, channel="social", to="",
                              subject="", text="Chào Lan!", in_reply_to=f"zalo:{OA_ID}:111:{mid}",
                              source="zalo"))
    assert fake_zalo.sent[-1]["text"] == "Chào Lan!" and fake_zalo.refreshes == 1


def test_a_spent_refresh_token_asks_for_reauthorisation_and_a_new_one_is_taken(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_zalo: FakeZalo) -> None:
    fake_zalo.user_message("111", "Lan", TEXTS["vi"])
    fake_zalo.refresh.clear()
    fake_zalo.expire_access_tokens()
    app = zalo_app(tmp_path, model_path, clock, fake_zalo)
    with pytest.raises(SourceAuthError, match="re-authorise the app") as e:
        Daemon(app).poll_source(source(app, clock))
    assert FIRST_REFRESH not in str(e.value)
    # the admin re-authorises and puts the new pair in the environment
    fake_zalo.access.add("fresh-access")
    fake_zalo.refresh.add("fresh-refresh")
    app2 = zalo_app(tmp_path, model_path, clock, fake_zalo,
                    environ={**ENV, "ZALO_ACCESS": "fresh-access",
                             "ZALO_REFRESH": "fresh-refresh"})
    assert Daemon(app2).poll_source(source(app2, clock)).stored == 1


def test_the_call_limit_pauses_the_source(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_zalo: FakeZalo) -> None:
    fake_zalo.user_message("111", "Lan", TEXTS["vi"])
    app = zalo_app(tmp_path, model_path, clock, fake_zalo)
    fake_zalo.limit_next = 1
    assert Daemon(app).poll_source(source(app, clock)).stored == 0
    assert app.store.paused_until("zalo") == clock.now() + timedelta(seconds=60)
    clock.advance(timedelta(seconds=61))
    assert Daemon(app).poll_source(source(app, clock)).stored == 1


def test_replies_inside_the_7_day_window_and_the_way_out_after_it(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_zalo: FakeZalo) -> None:
    mid = fake_zalo.user_message("111", "Lan", TEXTS["vi"], ago=timedelta(days=2))
    app = zalo_app(tmp_path, model_path, clock, fake_zalo)
    seen = {"at": clock.now() - timedelta(days=2)}
    sender = build_zalo_sender(app.settings.source("zalo"), ENV, store=app.store,
                               last_seen=lambda s, c: seen["at"], clock=clock)
    r = OutgoingReply(idempotency_key="k", message_id=1, channel="social", to="zalo:111",
                      subject="", text="Chào Lan, đơn hàng 4521 đang được giao.",
                      in_reply_to=f"zalo:{OA_ID}:111:{mid}", source="zalo")
    since = clock.now()
    new = sender.send(r)
    assert fake_zalo.sent == [{"to": "111", "text": r.text, "id": new}]
    assert sender.sent_copy(r, since) == new
    seen["at"] = clock.now() - timedelta(days=8)
    n = len(fake_zalo.requests)
    with pytest.raises(ReplyRejected, match="7-day reply window; Zalo then only delivers a "
                                            "ZBS template"):
        sender.send(r)
    assert len(fake_zalo.requests) == n  # refused before any request
    seen["at"] = clock.now()  # triage thinks the window is open, Zalo knows better
    fake_zalo.messages = [m for m in fake_zalo.messages if m["from_id"] != "111"]
    fake_zalo.user_message("111", "Lan", "cũ", ago=timedelta(days=9))
    with pytest.raises(ReplyRejected, match=r"-230.*ZBS template"):
        sender.send(r)
