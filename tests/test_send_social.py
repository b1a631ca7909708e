"""Replies on X and Mastodon against the local API servers: threaded, within the length
limits, visibility kept, safe to send again, refused replies told apart from retryable ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fixtures_social import OWN_MASTO_ID, OWN_X_ID, FakeMastodon, FakeX
from triage.clock import FrozenClock
from triage.config import MastodonSettings, Settings, XSettings
from triage.errors import ReplyRejected, SendError
from triage.models import OutgoingReply
from triage.send.mastodon import build_mastodon_sender, with_mention
from triage.send.social import build_social_sender
from triage.send.x import build_x_sender, weighted_length

ENV = {"X_BEARER": "app", "X_USER": "user-token", "CK": "ck", "CS": "cs", "AT": "at",
       "ATS": "ats", "MASTO_TOKEN": "masto-token"}


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at the real time."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def x_settings(fake: FakeX, **kw: Any) -> XSettings:
    base: dict[str, Any] = {"name": "x", "type": "x", "user_id": OWN_X_ID,
                            "api_base_url": fake.base_url, "bearer_token_env": "X_BEARER",
                            "user_token_env": "X_USER"}
    base.update(kw)
    return XSettings.model_validate(base)


def m_settings(fake: FakeMastodon) -> MastodonSettings:
    return MastodonSettings.model_validate({
        "name": "masto", "type": "mastodon", "instance_url": fake.base_url,
        "access_token_env": "MASTO_TOKEN"})


def reply(text: str, to: str, source: str = "x", key: str = "k1", **extra: str) -> OutgoingReply:
    return OutgoingReply(idempotency_key=key, message_id=1, channel="social", to="@ann",
                         subject="", text=text, in_reply_to=to, source=source, extra=extra)


# ------------------------------------------------------------------------------------- X
def test_x_reply_is_threaded_and_sending_again_posts_nothing_twice(fake_x: FakeX) -> None:
    fake_x.add_user("201", "ann", "Ann")
    fake_x.mention(1001, "201", "@acme_help where is my order?")
    sender = build_x_sender(x_settings(fake_x), ENV)
    text = "Hi Ann, sorry about this. Please DM us your order number: https://example.com/dm"
    first = sender.send(reply(text, "x:1001"))
    assert fake_x.posted == [{"text": text, "reply_to": "1001", "id": first}]
    assert fake_x.auth[-1] == "Bearer user-token"  # OAuth 2 user context, not the app token
    again = sender.send(reply(text, "x:1001"))  # a retry after a crash
    assert again == first and len(fake_x.posted) == 1


def test_x_reply_with_oauth1_is_signed(fake_x: FakeX) -> None:
    fake_x.add_user("201", "ann", "Ann")
    fake_x.mention(1001, "201", "@acme_help hi")
    s = x_settings(fake_x, user_token_env="", consumer_key_env="CK", consumer_secret_env="CS",
                   access_token_env="AT", access_token_secret_env="ATS")
    build_x_sender(s, ENV).send(reply("Thanks, we are on it.", "x:1001"))
    assert fake_x.auth[-1].startswith("OAuth ") and 'oauth_consumer_key="ck"' in fake_x.auth[-1]


def test_x_reply_over_280_weighted_characters_is_refused_before_any_request(
        fake_x: FakeX) -> None:
    sender = build_x_sender(x_settings(fake_x), ENV)
    text = "Xin lỗi " + "日本" * 140
    assert weighted_length(text) > 280
    with pytest.raises(ReplyRejected, match="of 280 characters"):
        sender.send(reply(text, "x:1001"))
    assert fake_x.requests == []
    assert weighted_length("Xin lỗi bạn, đơn hàng đang được giao " * 7) <= 280


def test_x_reply_to_a_deleted_post_is_refused_and_5xx_is_retryable(fake_x: FakeX) -> None:
    sender = build_x_sender(x_settings(fake_x), ENV)
    with pytest.raises(ReplyRejected, match="deleted"):
        sender.send(reply("Sorry!", "x:999"))
    fake_x.add_user("201", "ann", "Ann")
    fake_x.mention(1001, "201", "@acme_help hi")
    fake_x.fail_on[len(fake_x.requests) + 2] = 503  # the POST, after the duplicate check
    with pytest.raises(SendError, match="503") as e:
        sender.send(reply("We are on it.", "x:1001"))
    assert not isinstance(e.value, ReplyRejected)
    assert sender.send(reply("We are on it.", "x:1001"))
    assert len(fake_x.posted) == 1
    with pytest.raises(ReplyRejected, match="not a post id"):
        sender.send(reply("hi", "mastodon:host:5"))


def test_x_duplicate_text_refused_by_x_when_the_check_is_impossible(fake_x: FakeX) -> None:
    fake_x.add_user("201", "ann", "Ann")
    fake_x.mention(1001, "201", "@acme_help hi")
    sender = build_x_sender(x_settings(fake_x), ENV)
    sender.send(reply("We are on it.", "x:1001"))
    fake_x.fail_next = [429]  # the own-posts check is rate limited
    with pytest.raises(ReplyRejected, match="duplicate"):
        sender.send(reply("We are on it.", "x:1001"))
    assert len(fake_x.posted) == 1


# ------------------------------------------------------------------------------ Mastodon
def test_mastodon_reply_mentions_the_customer_keeps_visibility_and_is_idempotent(
        fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.add_account("2", "lan@other.example", "Lan")
    fake_mastodon.status("500", "2", "<p>@acme help</p>", visibility="unlisted")
    fake_mastodon.status("600", "2", "<p>@acme private question</p>", visibility="direct")
    sender = build_mastodon_sender(m_settings(fake_mastodon), ENV)
    host = fake_mastodon.base_url.split("//")[1]
    sid = sender.send(reply("We're on it, Lan.", f"mastodon:{host}:500", "masto"))
    assert fake_mastodon.posted == [{
        "id": sid, "text": "@lan@other.example We're on it, Lan.", "reply_to": "500",
        "visibility": "unlisted", "key": "k1"}]
    dm = sender.send(reply("Please send your order number.", f"mastodon:{host}:600", "masto",
                           key="k2"))
    assert fake_mastodon.posted[-1]["visibility"] == "direct" and dm != sid
    # sent again: found among the answers, not posted twice
    assert sender.send(reply("We're on it, Lan.", f"mastodon:{host}:500", "masto")) == sid
    assert len(fake_mastodon.posted) == 2
    assert fake_mastodon.state.statuses[sid]["account"]["id"] == OWN_MASTO_ID


def test_mastodon_idempotency_key_reaches_the_instance(fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.add_account("2", "lan", "Lan")
    fake_mastodon.status("500", "2", "<p>@acme help</p>")
    sender = build_mastodon_sender(m_settings(fake_mastodon), ENV)
    first = sender.send(reply("On it.", "mastodon:h:500", "masto", key="same"))
    # different text, same key (an edited retry): the instance answers with the first status
    second = sender.send(reply("On it!", "mastodon:h:500", "masto", key="same"))
    assert first == second and len(fake_mastodon.posted) == 1


def test_mastodon_refusals(fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.add_account("2", "lan", "Lan")
    fake_mastodon.status("500", "2", "<p>@acme help</p>")
    sender = build_mastodon_sender(m_settings(fake_mastodon), ENV)
    with pytest.raises(ReplyRejected, match="deleted"):
        sender.send(reply("hi", "mastodon:h:999", "masto"))
    with pytest.raises(ReplyRejected, match="of 500 characters"):
        sender.send(reply("a" * 500, "mastodon:h:500", "masto"))
    with pytest.raises(ReplyRejected, match="visibility"):
        sender.send(reply("hi", "mastodon:h:500", "masto", visibility="everyone"))
    fake_mastodon.fail_next = [503]
    with pytest.raises(SendError, match="server error"):
        sender.send(reply("hi", "mastodon:h:500", "masto"))
    assert fake_mastodon.posted == []


def test_with_mention() -> None:
    assert with_mention("thanks", "lan") == "@lan thanks"
    assert with_mention("@Lan, thanks", "lan") == "@Lan, thanks"


# ---------------------------------------------------------------------------- dispatch
def test_social_sender_dispatches_by_source(fake_x: FakeX,
                                            fake_mastodon: FakeMastodon) -> None:
    fake_x.add_user("201", "ann", "Ann")
    fake_x.mention(1001, "201", "@acme_help hi")
    fake_mastodon.add_account("2", "lan", "Lan")
    fake_mastodon.status("500", "2", "<p>@acme help</p>")
    ro = x_settings(fake_x, name="x-readonly", user_token_env="")
    settings = Settings(sources=[x_settings(fake_x), m_settings(fake_mastodon), ro])
    sender = build_social_sender(settings, ENV)
    sender.send(reply("On it.", "x:1001", "x"))
    sender.send(reply("On it.", "mastodon:h:500", "masto"))
    assert len(fake_x.posted) == 1 and len(fake_mastodon.posted) == 1
    with pytest.raises(ReplyRejected, match="cannot post replies"):
        sender.send(reply("On it.", "x:1001", "x-readonly"))
    with pytest.raises(ReplyRejected, match="no X, Mastodon or chat source named 'nope'"):
        sender.send(reply("On it.", "x:1001", "nope"))
