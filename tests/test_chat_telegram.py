"""Telegram against a local server speaking the Bot API: getUpdates offsets and long polling,
threads per chat, languages, the chat deadline, rate limits, tokens kept out of errors, and
replies with reply_to_message_id."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.chat_helpers import TEXTS, make_app, real_now, stored
from tests.fake_telegram import BOT_ID, TOKEN, FakeTelegram
from triage.clock import FrozenClock
from triage.daemon import Daemon
from triage.errors import ReplyRejected, SendError, SendInDoubt, SourceAuthError, SourceError
from triage.models import OutgoingReply
from triage.send.telegram import build_telegram_sender
from triage.services import App
from triage.sources.telegram import TelegramUpdates, build

ENV = {"TG_TOKEN": TOKEN}


@pytest.fixture
def clock() -> FrozenClock:
    """The real time, frozen."""
    return real_now()


def tg_app(tmp_path: Path, model_path: Path, clock: FrozenClock, base_url: str,
           **kw: Any) -> App:
    src = {"name": "tg", "type": "telegram", "bot_token_env": "TG_TOKEN",
           "api_base_url": base_url, "long_poll_timeout": "0s", **kw}
    return make_app(tmp_path, model_path, clock, [src], ENV)


def source(app: App, clock: FrozenClock) -> TelegramUpdates:
    return build(app.settings.source("tg"), app.environ, Path, clock=clock)


def test_messages_are_stored_once_classified_in_their_language_with_chat_deadlines(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_telegram: FakeTelegram) -> None:
    lan = fake_telegram.user(301, "Lan", "Nguyen", lang="vi")
    budi = fake_telegram.user(302, "Budi")
    fake_telegram.customer_message(301, lan, TEXTS["vi"])
    fake_telegram.customer_message(302, budi, TEXTS["id"])
    fake_telegram.customer_message(301, lan, "Có ai ở đó không? Tôi cần câu trả lời hôm nay")
    app = tg_app(tmp_path, model_path, clock, fake_telegram.base_url, page_size=2)
    stats = Daemon(app).poll_source(source(app, clock))
    assert stats.stored == 3
    rows = {r["external_id"]: r for r in stored(app, "tg")}
    assert set(rows) == {"301:11", "302:11", "301:12"}
    lan1, budi1, lan2 = rows["301:11"], rows["302:11"], rows["301:12"]
    assert lan1["thread_id"] == lan2["thread_id"] != budi1["thread_id"]  # one per chat
    assert lan1["sender"] == "telegram:301" and lan1["sender_name"] == "Lan Nguyen"
    assert lan1["message_id"] == f"telegram:{BOT_ID}:301:11"
    assert lan1["language"] == "vi" and budi1["language"] == "id"
    assert lan1["channel"] == "social" and lan1["draft"]
    # short and without the e-mail signature block
    assert "Trân trọng" not in lan1["draft"] and "Customer Support" not in lan1["draft"]
    assert len(lan1["draft"]) < 400
    # the chat norm: first response within 60 minutes of the message
    assert lan1["due_at"] - lan1["received_at"] == timedelta(minutes=60)
    # the offset is stored with the messages; Telegram forgets only what was stored
    assert app.store.get_cursor("tg") == {"offset": 504}
    # each request confirmed the page before it, once that page was stored
    offsets = [q for m, p, q in fake_telegram.requests if p.endswith("getUpdates")]
    assert len(offsets) == 3 and fake_telegram.confirmed == 504
    again = Daemon(app).poll_source(source(app, clock))
    assert again.stored == 0 and fake_telegram.confirmed == 504
    assert len(stored(app, "tg")) == 3


def test_first_response_target_is_configurable_per_source(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_telegram: FakeTelegram) -> None:
    fake_telegram.customer_message(301, fake_telegram.user(301, "Ann"), TEXTS["en"])
    app = tg_app(tmp_path, model_path, clock, fake_telegram.base_url, first_response="20m")
    Daemon(app).poll_source(source(app, clock))
    row = stored(app, "tg")[0]
    assert row["due_at"] - row["received_at"] == timedelta(minutes=20)


def test_a_failure_mid_poll_loses_nothing_and_doubles_nothing(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_telegram: FakeTelegram) -> None:
    ann = fake_telegram.user(301, "Ann")
    for i in range(5):
        fake_telegram.customer_message(301, ann, f"{TEXTS['en']} ({i})")
    app = tg_app(tmp_path, model_path, clock, fake_telegram.base_url, page_size=2)
    fake_telegram.fail_on[2] = 502  # the second getUpdates fails after one page was stored
    with pytest.raises(SourceError, match="502"):
        Daemon(app).poll_source(source(app, clock))
    assert len(stored(app, "tg")) == 2
    assert fake_telegram.confirmed == 0  # nothing confirmed that was not stored
    fake_telegram.customer_message(301, ann, "and one more while you were down")
    Daemon(app).poll_source(source(app, clock))
    ids = [r["external_id"] for r in stored(app, "tg")]
    assert len(ids) == len(set(ids)) == 6


def test_long_polling_waits_for_the_next_message(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_telegram: FakeTelegram) -> None:
    app = tg_app(tmp_path, model_path, clock, fake_telegram.base_url, long_poll_timeout="20s")
    src = source(app, clock)
    ann = fake_telegram.user(301, "Ann")
    timer = threading.Timer(0.3, lambda: fake_telegram.customer_message(301, ann, TEXTS["en"]))
    timer.start()
    try:
        got = src.fetch({}, 100)  # blocks in getUpdates until the message arrives
    finally:
        timer.cancel()
    assert [i.external_id for i in got.items] == ["301:11"]
    assert fake_telegram.count("POST", "getUpdates") == 1
    assert fake_telegram.requests  # the one long poll answered with the message


def test_429_pauses_only_this_source_until_retry_after(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    fake_telegram.customer_message(301, fake_telegram.user(301, "Ann"), TEXTS["en"])
    app = tg_app(tmp_path, model_path, clock, fake_telegram.base_url)
    fake_telegram.retry_after = 30
    fake_telegram.fail_next = [429]
    with caplog.at_level(logging.WARNING):
        assert Daemon(app).poll_source(source(app, clock)).stored == 0
    assert app.store.paused_until("tg") == clock.now() + timedelta(seconds=30)
    assert "paused until" in caplog.text
    before = len(fake_telegram.requests)
    Daemon(app).poll_source(source(app, clock))  # still paused: no request at all
    assert len(fake_telegram.requests) == before
    clock.advance(timedelta(seconds=31))
    assert Daemon(app).poll_source(source(app, clock)).stored == 1


def test_errors_name_the_problem_and_never_carry_the_token(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_telegram: FakeTelegram) -> None:
    app = make_app(tmp_path, model_path, clock, [{
        "name": "tg", "type": "telegram", "bot_token_env": "TG_TOKEN",
        "api_base_url": fake_telegram.base_url, "long_poll_timeout": "0s"}],
        {"TG_TOKEN": "999:wrong-secret"})
    with pytest.raises(SourceAuthError, match="bot token") as e:
        Daemon(app).poll_source(source(app, clock))
    assert "wrong-secret" not in str(e.value)
    row = next(r for r in app.store.source_rows() if r["name"] == "tg")
    assert "wrong-secret" not in (row["last_error"] or "") and row["failures"] == 1
    fake_telegram.webhook_set = True
    good = tg_app(tmp_path / "b", model_path, clock, fake_telegram.base_url)
    with pytest.raises(SourceError, match=r"409.*deleteWebhook"):
        Daemon(good).poll_source(source(good, clock))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = tg_app(tmp_path / "c", model_path, clock, f"http://127.0.0.1:{port}")
    with pytest.raises(SourceError, match="network error") as e:
        Daemon(down).poll_source(source(down, clock))
    assert TOKEN.split(":")[1] not in str(e.value) and "***" in str(e.value)


def test_groups_media_edits_and_unreadable_updates(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_telegram: FakeTelegram) -> None:
    ann, bob = fake_telegram.user(301, "Ann"), fake_telegram.user(302, "Bob")
    fake_telegram.customer_message(-100500, ann, TEXTS["en"], chat_type="supergroup")
    fake_telegram.customer_message(-100500, bob, TEXTS["tl"], chat_type="supergroup")
    fake_telegram.customer_message(301, ann, None, extra={"photo": [{"file_id": "x"}],
                                                          "caption": "the box was broken"})
    fake_telegram.customer_message(301, ann, None, extra={"sticker": {"file_id": "y"}})
    fake_telegram.raw_update({"edited_message": {"message_id": 11, "text": "edit"}})
    fake_telegram.raw_update({"message": {"message_id": 99, "chat": {"id": 301}}})  # no from
    app = tg_app(tmp_path, model_path, clock, fake_telegram.base_url)
    Daemon(app).poll_source(source(app, clock))
    rows = {r["external_id"]: r for r in stored(app, "tg")}
    assert rows["-100500:11"]["thread_id"] != rows["-100500:12"]["thread_id"]  # per member
    assert rows["301:11"]["text"] == "the box was broken"
    assert rows["301:12"]["text"] == "(sticker)"
    assert rows["301:99"]["status"] == "quarantined" and "unreadable" in rows["301:99"]["error"]
    assert len(rows) == 5  # the edit is not a new message
    assert app.store.get_cursor("tg") == {"offset": 507}


# ------------------------------------------------------------------------------ sending
def reply(text: str, to: str, key: str = "k1") -> OutgoingReply:
    return OutgoingReply(idempotency_key=key, message_id=1, channel="social",
                         to="telegram:301", subject="", text=text, in_reply_to=to, source="tg")


def tg_settings(fake: FakeTelegram, **kw: Any) -> Any:
    from triage.config.channels import TelegramSettings

    return TelegramSettings.model_validate({"name": "tg", "type": "telegram",
                                          "bot_token_env": "TG_TOKEN",
                                          "api_base_url": fake.base_url, **kw})


def test_reply_goes_to_the_chat_as_a_reply_to_the_message(fake_telegram: FakeTelegram) -> None:
    fake_telegram.customer_message(301, fake_telegram.user(301, "Ann"), TEXTS["en"])
    sender = build_telegram_sender(tg_settings(fake_telegram), ENV)
    sent = sender.send(reply("Sorry Ann, we are checking order 4521 now.",
                             f"telegram:{BOT_ID}:301:11"))
    assert fake_telegram.sent == [{"chat_id": 301, "message_id": 12, "reply_to_message_id": 11,
                                   "text": "Sorry Ann, we are checking order 4521 now."}]
    assert sent == "301:12"


def test_refused_replies_and_retryable_failures(fake_telegram: FakeTelegram) -> None:
    fake_telegram.customer_message(301, fake_telegram.user(301, "Ann"), TEXTS["en"])
    sender = build_telegram_sender(tg_settings(fake_telegram), ENV)
    with pytest.raises(ReplyRejected, match="4097 of 4096"):
        sender.send(reply("x" * 4097, f"telegram:{BOT_ID}:301:11"))
    with pytest.raises(ReplyRejected, match="not a Telegram message id"):
        sender.send(reply("hi", "x:123"))
    with pytest.raises(ReplyRejected, match="bot 42"):
        sender.send(reply("hi", "telegram:42:301:11"))
    assert fake_telegram.requests == []  # all refused before any request
    fake_telegram.blocked.add(301)
    with pytest.raises(ReplyRejected, match="blocked by the user"):
        sender.send(reply("hi", f"telegram:{BOT_ID}:301:11"))
    fake_telegram.blocked.clear()
    fake_telegram.fail_next = [429]
    with pytest.raises(SendError, match="429") as e:
        sender.send(reply("hi", f"telegram:{BOT_ID}:301:11"))
    assert not isinstance(e.value, ReplyRejected | SendInDoubt)
    assert fake_telegram.sent == []


def test_a_connection_lost_after_sending_is_in_doubt_not_retried(
        fake_telegram: FakeTelegram) -> None:
    fake_telegram.customer_message(301, fake_telegram.user(301, "Ann"), TEXTS["en"])
    fake_telegram.send_delay = 3.0
    sender = build_telegram_sender(tg_settings(fake_telegram, request_timeout="1s"), ENV)
    with pytest.raises(SendInDoubt, match="may have been delivered"):
        sender.send(reply("We are on it.", f"telegram:{BOT_ID}:301:11"))
    assert len(fake_telegram.sent) == 1  # it did arrive: a blind retry would double it
