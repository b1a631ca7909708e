"""The Mastodon source against a local server speaking Mastodon's JSON, with the real
Mastodon.py client, store and model: paging by min_id, restarts, threads, budget, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_social import OWN_MASTO_ID, FakeMastodon
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.errors import SourceAuthError, SourceError
from triage.services import App
from triage.sources.mastodon import MastodonMentions, build, html_to_text

ENV = {"MASTO_TOKEN": "masto-token"}
MENTION = ('<p><span class="h-card"><a href="https://example.social/@acme" '
           'class="u-url mention">@<span>acme</span></a></span> {}</p>')


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at the real time (Mastodon.py drops resets that lie in the past)."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def make_app(tmp_path: Path, model_path: Path, clock: FrozenClock, base_url: str, *,
             batch_size: int = 200, page_size: int = 40) -> App:
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "classifier": {"model_path": str(model_path)},
        "scheduler": {"batch_size": batch_size},
        "sources": [{"name": "masto", "type": "mastodon", "instance_url": base_url,
                     "access_token_env": "MASTO_TOKEN", "page_size": page_size}]})
    return App(settings, clock=clock, environ=ENV)


def source(app: App, clock: FrozenClock) -> MastodonMentions:
    return build(app.settings.source("masto"), app.environ, Path, clock=clock)


def stored(app: App) -> list[dict[str, Any]]:
    return [r for r in app.store.export_rows() if r["source"] == "masto"]


def seed(fake: FakeMastodon, n: int, first: int = 10000) -> list[str]:
    fake.add_account("2", "ann@other.example", "Ann Lee")
    ids = []
    for i in range(n):
        sid = str(first + i)
        fake.status(sid, "2", MENTION.format(f"order {sid} is late, where is it?"))
        ids.append(sid)
    return ids


def test_mentions_are_read_page_by_page_and_never_doubled_across_restarts(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_mastodon: FakeMastodon) -> None:
    ids = seed(fake_mastodon, 95)
    app = make_app(tmp_path, model_path, clock, fake_mastodon.base_url, batch_size=50)
    stats = Daemon(app).poll_source(source(app, clock))
    assert stats.stored == 95
    reqs = [q for m, p, q in fake_mastodon.requests if p == "/api/v1/notifications"]
    assert [q["min_id"] for q in reqs] == [["0"], ["139"], ["179"]]  # 40 + 40 + 15
    assert all(q["types[]"] == ["mention"] for q in reqs)
    assert fake_mastodon.auth[0] == "Bearer masto-token"
    assert sorted(r["external_id"] for r in stored(app)) == ids
    assert app.store.get_cursor("masto") == {"min_id": "194"}
    app.store.close()
    app2 = make_app(tmp_path, model_path, clock, fake_mastodon.base_url)
    assert Daemon(app2).poll_source(source(app2, clock)).stored == 0
    seed(fake_mastodon, 2, first=20000)
    assert Daemon(app2).poll_source(source(app2, clock)).stored == 2
    rows = stored(app2)
    assert len(rows) == len({r["external_id"] for r in rows}) == 97


def test_status_html_thread_language_and_replies_to_us(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_mastodon: FakeMastodon) -> None:
    fake_mastodon.add_account("2", "lan", "Nguyễn Lan")
    fake_mastodon.status("500", "2", MENTION.format("Đơn hàng của tôi bị trễ 3 ngày rồi."
                                                    "<br>Mã đơn: 123"), language="vi")
    fake_mastodon.status("501", OWN_MASTO_ID, "<p>@lan we are checking</p>", reply_to="500",
                         notify=False)
    fake_mastodon.status("502", "2", MENTION.format("vẫn chưa thấy"), reply_to="501",
                         language="vi")
    fake_mastodon.status("503", "2", MENTION.format("new question: can I change my address?"))
    app = make_app(tmp_path, model_path, clock, fake_mastodon.base_url)
    Daemon(app).poll_source(source(app, clock))
    rows = {r["external_id"]: r for r in stored(app)}
    full = {m["external_id"]: m for m in app.store.messages_by_ids(
        [r["id"] for r in rows.values()])}
    assert set(rows) == {"500", "502", "503"}
    assert rows["500"]["thread_id"] == rows["502"]["thread_id"] != rows["503"]["thread_id"]
    assert rows["500"]["text"] == "Đơn hàng của tôi bị trễ 3 ngày rồi.\nMã đơn: 123"
    assert rows["500"]["sender"] == "@lan" and rows["500"]["sender_name"] == "Nguyễn Lan"
    assert full["500"]["language_hint"] == "vi"
    host = fake_mastodon.base_url.split("//")[1]
    assert full["502"]["in_reply_to"] == f"mastodon:{host}:501"
    assert full["502"]["recipients"] == [f"mastodon:{host}:account:{OWN_MASTO_ID}"]
    assert rows["502"]["draft"]


def test_deleted_and_unreadable_statuses(tmp_path: Path, model_path: Path,
                                         clock: FrozenClock,
                                         fake_mastodon: FakeMastodon) -> None:
    seed(fake_mastodon, 3)
    fake_mastodon.delete("10001")
    broken = fake_mastodon.status("10003", "2", MENTION.format("x"))
    broken["account"] = None
    app = make_app(tmp_path, model_path, clock, fake_mastodon.base_url)
    Daemon(app).poll_source(source(app, clock))
    rows = {r["external_id"]: r for r in stored(app)}
    assert set(rows) == {"10000", "10002", "10003"}
    assert rows["10003"]["status"] == "quarantined"
    assert "mastodon status 10003" in rows["10003"]["error"]
    assert app.store.get_cursor("masto") == {"min_id": "103"}  # past the deleted one too


def test_budget_spent_pauses_the_source_without_a_429(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        fake_mastodon: FakeMastodon) -> None:
    seed(fake_mastodon, 10)
    fake_mastodon.window.limit = 3  # verify_credentials + two pages
    app = make_app(tmp_path, model_path, clock, fake_mastodon.base_url, batch_size=4,
                   page_size=4)
    Daemon(app).poll_source(source(app, clock))
    assert len(fake_mastodon.requests) == 3 and fake_mastodon.served_429 == 0
    assert len(stored(app)) == 8
    until = app.store.paused_until("masto")
    reset = fake_mastodon.window.reset
    assert until is not None and reset is not None
    # Mastodon.py shifts the header's reset by the server's clock offset, which it reads from
    # the Date header (whole seconds), and the fake sends the reset cut to whole seconds: the
    # pause may end up to one second early or a second and a few milliseconds late.
    assert abs((until - reset).total_seconds()) <= 2
    Daemon(app).poll_source(source(app, clock))
    assert len(fake_mastodon.requests) == 3  # paused: nothing asked
    clock.set(reset + timedelta(seconds=1))
    Daemon(app).poll_source(source(app, clock))
    assert len(stored(app)) == 10 and fake_mastodon.served_429 == 0


def test_429_and_server_errors(tmp_path: Path, model_path: Path, clock: FrozenClock,
                               fake_mastodon: FakeMastodon) -> None:
    seed(fake_mastodon, 2)
    app = make_app(tmp_path, model_path, clock, fake_mastodon.base_url)
    fake_mastodon.fail_on[2] = 429  # after verify_credentials
    Daemon(app).poll_source(source(app, clock))
    assert app.store.paused_until("masto") is not None
    app.store.pause_source("masto", None)
    fake_mastodon.fail_next = [503]
    with pytest.raises(SourceError, match="server error"):
        Daemon(app).poll_source(source(app, clock))
    # verify_credentials answers; the notifications page that follows is cut off
    fake_mastodon.fail_on[len(fake_mastodon.requests) + 2] = "malformed"
    with pytest.raises(SourceError, match="unusable"):
        Daemon(app).poll_source(source(app, clock))
    fake_mastodon.fail_next = [401]
    with pytest.raises(SourceAuthError, match="access token"):
        Daemon(app).poll_source(source(app, clock))
    assert app.store.get_cursor("masto") == {}
    assert Daemon(app).poll_source(source(app, clock)).stored == 2


def test_html_to_text_keeps_paragraphs() -> None:
    assert html_to_text("<p>a &amp; b</p><p>c<br>d</p>") == "a & b\n\nc\nd"
