"""A Facebook Page against a local server speaking the Graph API: Messenger conversations and
post comments polled with cursor paging, threads, languages, the usage budget and
throttling, expired tokens; Send API replies inside and outside the 24-hour window, comment
replies, and in-doubt replies settled by looking them up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.chat_helpers import TEXTS, make_app, real_now, stored
from tests.fake_meta import APP_SECRET, PAGE_ID, PAGE_TOKEN, FakeMeta
from triage.clock import FrozenClock
from triage.config.channels import FacebookSettings
from triage.daemon import Daemon
from triage.errors import ReplyRejected, SendError, SourceAuthError
from triage.models import OutgoingReply
from triage.send.facebook import build_facebook_sender
from triage.send.outbox import Outbox
from triage.send.social import SocialSender
from triage.services import App
from triage.sources.facebook import FacebookPage, build

ENV = {"FB_PAGE_TOKEN": PAGE_TOKEN, "FB_APP_SECRET": APP_SECRET, "FB_VERIFY": "verify-me"}


@pytest.fixture
def clock() -> FrozenClock:
    """The real time, frozen."""
    return real_now()


def fb_source_settings(fake: FakeMeta, **kw: Any) -> dict[str, Any]:
    return {"name": "fb", "type": "facebook", "page_id": PAGE_ID,
            "page_token_env": "FB_PAGE_TOKEN", "app_secret_env": "FB_APP_SECRET",
            "api_base_url": fake.base_url, **kw}


def fb_app(tmp_path: Path, model_path: Path, clock: FrozenClock, fake: FakeMeta,
           **kw: Any) -> App:
    return make_app(tmp_path, model_path, clock, [fb_source_settings(fake, **kw)], ENV)


def source(app: App, clock: FrozenClock) -> FacebookPage:
    return build(app.settings.source("fb"), app.environ, Path, clock=clock)


def seed(fake: FakeMeta) -> dict[str, str]:
    ids = {"lan": fake.dm("201", "Lan Tran", TEXTS["vi"], ago=timedelta(minutes=30)),
           "old": fake.dm("202", "Old Customer", "hello from last week", ago=timedelta(days=8)),
           "maria": fake.dm("203", "Maria Santos", TEXTS["tl"], ago=timedelta(minutes=5))}
    ids["lan2"] = fake.dm("201", "Lan Tran", "Tôi vẫn đang chờ, làm ơn trả lời",
                          ago=timedelta(minutes=10))
    post = fake.post("Our new app is out!")
    ids["post"] = post
    ids["c1"] = fake.comment(post, "501", "Budi", TEXTS["id"], ago=timedelta(minutes=20))
    ids["c2"] = fake.comment(post, PAGE_ID, "Acme", "Thanks Budi, checking", parent=ids["c1"],
                             ago=timedelta(minutes=15))
    ids["c3"] = fake.comment(post, "501", "Budi", "Masih belum bisa bayar", parent=ids["c1"],
                             ago=timedelta(minutes=12))
    old_post = fake.post("Last month's news", ago=timedelta(days=30))
    fake.comment(old_post, "502", "Ann", "an old comment", ago=timedelta(days=20))
    return ids


def test_conversations_and_comments_are_polled_threaded_and_classified(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_meta: FakeMeta) -> None:
    ids = seed(fake_meta)
    app = fb_app(tmp_path, model_path, clock, fake_meta, page_size=2)
    stats = Daemon(app).poll_source(source(app, clock))
    rows = {r["external_id"]: r for r in stored(app, "fb")}
    # nothing older than the 24 h backfill; every page of conversations was followed
    assert set(rows) == {ids["lan"], ids["lan2"], ids["maria"], ids["c1"], ids["c2"],
                         ids["c3"]}, rows.keys()
    assert stats.stored == 6
    lan, lan2, maria = rows[ids["lan"]], rows[ids["lan2"]], rows[ids["maria"]]
    assert lan["thread_id"] == lan2["thread_id"] != maria["thread_id"]  # one per customer
    assert lan["sender"] == "facebook:201" and lan["sender_name"] == "Lan Tran"
    assert lan["message_id"] == f"facebook:{PAGE_ID}:dm:201:{ids['lan']}"
    assert lan["language"] == "vi" and maria["language"] == "tl"
    assert lan["due_at"] - lan["received_at"] == timedelta(minutes=60)
    c1, c2, c3 = rows[ids["c1"]], rows[ids["c2"]], rows[ids["c3"]]
    assert c1["language"] == "id" and c1["draft"]
    assert c1["thread_id"] == c3["thread_id"]  # one customer's comments under one post
    assert c2["is_auto"] and c2["draft"] is None  # our own reply
    assert c3["message_id"] == f"facebook:{PAGE_ID}:comment:{ids['c1']}:{ids['c3']}"
    cursor = app.store.get_cursor("fb")["poll"]
    assert set(cursor) == {"dm_since", "feed_since"}
    # the next poll stores only what is new
    new = fake_meta.dm("203", "Maria Santos", "Salamat po, hinihintay ko", ago=timedelta(0))
    again = Daemon(app).poll_source(source(app, clock))
    assert again.stored == 1
    assert {r["external_id"] for r in stored(app, "fb")} - set(rows) == {new}


def test_throttling_pauses_the_source_until_meta_says(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_meta: FakeMeta) -> None:
    seed(fake_meta)
    app = fb_app(tmp_path, model_path, clock, fake_meta)
    fake_meta.throttle_next = 1
    assert Daemon(app).poll_source(source(app, clock)).stored == 0
    assert app.store.paused_until("fb") == clock.now() + timedelta(minutes=12)
    n = len(fake_meta.requests)
    Daemon(app).poll_source(source(app, clock))
    assert len(fake_meta.requests) == n  # paused: no request
    clock.advance(timedelta(minutes=13))
    assert Daemon(app).poll_source(source(app, clock)).stored == 6


def test_usage_near_the_limit_stops_polling_before_meta_refuses(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_meta: FakeMeta) -> None:
    seed(fake_meta)
    fake_meta.usage = 95
    app = fb_app(tmp_path, model_path, clock, fake_meta, page_size=1)
    src = source(app, clock)  # one source object across polls, as in the daemon
    stats = Daemon(app).poll_source(src)
    # the first answer said 95 % used (limit 90 %): the rest of the sweep waits
    assert stats.stored == 0 and len(fake_meta.requests) == 1
    assert app.store.paused_until("fb") == clock.now() + timedelta(minutes=15)
    clock.advance(timedelta(minutes=16))
    fake_meta.usage = 40  # Meta's rolling hour moved on
    assert Daemon(app).poll_source(src).stored == 6


def test_an_expired_page_token_is_an_auth_error(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_meta: FakeMeta) -> None:
    fake_meta.expired.add(PAGE_TOKEN)
    app = fb_app(tmp_path, model_path, clock, fake_meta)
    with pytest.raises(SourceAuthError, match=r"190/463.*Session has expired") as e:
        Daemon(app).poll_source(source(app, clock))
    assert PAGE_TOKEN not in str(e.value) and APP_SECRET not in str(e.value)
    assert fake_meta.auth[0] == f"Bearer {PAGE_TOKEN}"  # the token travels in a header


# ------------------------------------------------------------------------------ sending
def settings(fake: FakeMeta, **kw: Any) -> FacebookSettings:
    return FacebookSettings.model_validate(fb_source_settings(fake, **kw))


def reply(text: str, to: str, key: str = "k1") -> OutgoingReply:
    return OutgoingReply(idempotency_key=key, message_id=1, channel="social", to="",
                         subject="", text=text, in_reply_to=to, source="fb")


def test_messenger_reply_inside_the_window_and_found_again_after_a_crash(
        fake_meta: FakeMeta, clock: FrozenClock) -> None:
    mid = fake_meta.dm("201", "Lan", TEXTS["vi"], ago=timedelta(hours=2))
    seen = clock.now() - timedelta(hours=2)
    sender = build_facebook_sender(settings(fake_meta), ENV, last_seen=lambda s, c: seen,
                                   clock=clock)
    r = reply("Chào Lan, chúng tôi đang kiểm tra đơn 4521.", f"facebook:{PAGE_ID}:dm:201:{mid}")
    since = clock.now()
    new = sender.send(r)
    assert fake_meta.sent == [{"kind": "dm", "to": "201", "text": r.text, "id": new,
                               "messaging_type": "RESPONSE", "tag": None}]
    assert sender.sent_copy(r, since) == new
    other = reply("A different text", f"facebook:{PAGE_ID}:dm:201:{mid}")
    assert sender.sent_copy(other, since) is None  # the whole conversation was seen


def test_outside_24_hours_the_agent_is_told_to_tag_or_use_another_channel(
        fake_meta: FakeMeta, clock: FrozenClock) -> None:
    mid = fake_meta.dm("201", "Lan", TEXTS["vi"], ago=timedelta(hours=30))
    seen = clock.now() - timedelta(hours=30)
    sender = build_facebook_sender(settings(fake_meta), ENV, last_seen=lambda s, c: seen,
                                   clock=clock)
    with pytest.raises(ReplyRejected, match="30 h ago, outside the 24-hour reply window; "
                                            "Messenger only accepts a tagged message"):
        sender.send(reply("Sorry for the wait", f"facebook:{PAGE_ID}:dm:201:{mid}"))
    assert fake_meta.requests == []  # refused before any request
    tagged = build_facebook_sender(settings(fake_meta, human_agent_tag=True), ENV,
                                   last_seen=lambda s, c: seen, clock=clock)
    tagged.send(reply("Sorry for the wait", f"facebook:{PAGE_ID}:dm:201:{mid}"))
    assert fake_meta.sent[-1]["messaging_type"] == "MESSAGE_TAG"
    assert fake_meta.sent[-1]["tag"] == "HUMAN_AGENT"
    # when triage cannot tell (no stored message), Meta's own refusal says the same
    unknown = build_facebook_sender(settings(fake_meta), ENV, last_seen=lambda s, c: None,
                                    clock=clock)
    with pytest.raises(ReplyRejected, match=r"outside the messaging window.*\(#10\).*tagged"):
        unknown.send(reply("Sorry again", f"facebook:{PAGE_ID}:dm:201:{mid}", key="k2"))


def test_comment_replies_go_under_the_customers_top_comment(
        fake_meta: FakeMeta, clock: FrozenClock) -> None:
    post = fake_meta.post("news")
    top = fake_meta.comment(post, "501", "Budi", TEXTS["id"])
    sub = fake_meta.comment(post, "501", "Budi", "halo?", parent=top)
    sender = build_facebook_sender(settings(fake_meta), ENV, last_seen=lambda s, c: None,
                                   clock=clock)
    r = reply("Halo Budi, kami cek dulu ya.", f"facebook:{PAGE_ID}:comment:{top}:{sub}")
    since = clock.now()
    new = sender.send(r)
    assert fake_meta.comments[new]["parent"] == top and fake_meta.sent[-1]["to"] == top
    assert sender.sent_copy(r, since) == new
    with pytest.raises(ReplyRejected, match="8001 of 8000"):
        sender.send(reply("x" * 8001, f"facebook:{PAGE_ID}:comment:{top}:{sub}"))
    with pytest.raises(ReplyRejected, match="Page 1234"):
        sender.send(reply("hi", f"facebook:1234:comment:{top}:{sub}"))
    fake_meta.fail_next = [500]
    with pytest.raises(SendError) as e:
        sender.send(reply("hi again", f"facebook:{PAGE_ID}:comment:{top}:{sub}"))
    assert not isinstance(e.value, ReplyRejected)


def test_in_doubt_rows_are_settled_by_looking_the_reply_up(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_meta: FakeMeta) -> None:
    mid = fake_meta.dm("201", "Lan", TEXTS["vi"], ago=timedelta(minutes=30))
    app = fb_app(tmp_path, model_path, clock, fake_meta)
    Daemon(app).poll_source(source(app, clock))
    msg = stored(app, "fb")[0]
    social = SocialSender({"fb": lambda: build_facebook_sender(
        app.settings.source("fb"), ENV, clock=clock,
        last_seen=lambda s, c: clock.now() - timedelta(minutes=30))})
    box = Outbox(app.store, {"social": social}, owner="host:1:a", alive=lambda pid: False)
    sent_before = OutgoingReply(idempotency_key="went-out", message_id=msg["id"],
                                channel="social", to=msg["sender"], subject="",
                                text="Chào Lan, đơn của bạn đang được giao.",
                                in_reply_to=msg["message_id"], source="fb")
    never_sent = OutgoingReply(idempotency_key="never", message_id=msg["id"],
                               channel="social", to=msg["sender"], subject="",
                               text="Chúng tôi sẽ gọi lại cho bạn.",
                               in_reply_to=msg["message_id"], source="fb")
    a = box.enqueue(sent_before, draft_id=None, actor="ann")
    b = box.enqueue(never_sent, draft_id=None, actor="ann")
    # a daemon claimed both and died: the first had reached Meta, the second had not
    app.store.outbox.claim(a, box.owner), app.store.outbox.claim(b, box.owner)
    social.send(sent_before)
    assert [s["text"] for s in fake_meta.sent] == [sent_before.text]
    dead = Outbox(app.store, {"social": social}, owner="host:2:b", alive=lambda pid: False)
    stats = dead.drain()
    assert stats.resolved == 2 and stats.sent == 1
    status = {r["id"]: r["status"] for r in dead.rows()}
    assert status == {a: "sent", b: "sent"}
    assert [s["text"] for s in fake_meta.sent] == [sent_before.text, never_sent.text]
    assert mid
