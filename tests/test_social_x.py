"""The X source against a local server speaking X API v2 JSON, with the real tweepy client,
the real store and the real model: pagination, restarts, the rate budget, errors, threads."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import add_to_maildir, make_email
from tests.fixtures_social import OWN_X_ID, FakeX
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.errors import SourceError
from triage.scheduler import Scheduler
from triage.services import App
from triage.sources.table import build_source
from triage.sources.x import XSource, build, x_language

ENV = {"X_BEARER": "app-token"}


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at the real time, so rate-limit resets look like real ones."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def make_app(tmp_path: Path, model_path: Path, clock: FrozenClock, base_url: str, *,
             batch_size: int = 200, maildir: Path | None = None) -> App:
    sources: list[dict[str, Any]] = [{
        "name": "x", "type": "x", "user_id": OWN_X_ID, "api_base_url": base_url,
        "bearer_token_env": "X_BEARER", "page_size": 5}]
    if maildir is not None:
        sources.append({"name": "inbox", "type": "maildir", "path": str(maildir)})
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "classifier": {"model_path": str(model_path)},
        "scheduler": {"batch_size": batch_size}, "sources": sources})
    return App(settings, clock=clock, environ=ENV)


def x_source(app: App, clock: FrozenClock) -> XSource:
    return build(app.settings.source("x"), app.environ, Path, clock=clock)


def seed(fake: FakeX, n: int = 12, first: int = 1001) -> list[str]:
    fake.add_user("201", "angry_ann", "Ann Lee")
    fake.add_user("202", "budi", "Budi Santoso")
    ids = []
    for i in range(n):
        tid = first + i
        author = "201" if i % 2 else "202"
        fake.mention(tid, author, f"@{'acme_help'} my order #{tid} has not arrived yet, "
                     "please help", lang="en")
        ids.append(str(tid))
    return ids


def stored(app: App) -> list[dict[str, Any]]:
    return [r for r in app.store.export_rows() if r["source"] == "x"]


def test_mentions_paginate_with_authors_and_resume_from_since_id(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    ids = seed(fake_x)
    app = make_app(tmp_path, model_path, clock, fake_x.base_url)
    stats = Daemon(app).poll_source(x_source(app, clock))
    rows = stored(app)
    assert stats.stored == 12
    assert sorted(r["external_id"] for r in rows) == sorted(ids)
    # 12 mentions in pages of 5: three requests, then nothing more in this poll
    mention_reqs = [q for m, p, q in fake_x.requests if p.endswith("/mentions")]
    assert len(mention_reqs) == 3
    assert "pagination_token" not in mention_reqs[0]
    assert mention_reqs[1]["pagination_token"][0].startswith("t1008-")
    assert mention_reqs[0]["expansions"] == ["author_id"]
    by_id = {r["external_id"]: r for r in rows}
    assert by_id["1002"]["sender"] == "@angry_ann" and by_id["1002"]["sender_name"] == "Ann Lee"
    assert by_id["1001"]["sender"] == "@budi"
    assert by_id["1002"]["channel"] == "social"
    assert by_id["1002"]["text"].startswith("my order #1002")  # leading @mention stripped
    assert by_id["1002"]["draft"]  # classified and drafted with the social templates
    assert app.store.get_cursor("x") == {"since_id": "1012", "pending": None}
    # the next poll asks only for what is newer than the newest stored mention
    fake_x.mention(1013, "201", "@acme_help the app crashes when I pay")
    stats = Daemon(app).poll_source(x_source(app, clock))
    assert stats.stored == 1
    assert fake_x.requests[-1][2]["since_id"] == ["1012"]
    assert len(stored(app)) == 13


def test_restart_in_the_middle_of_a_sweep_loses_and_doubles_nothing(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    ids = seed(fake_x)
    app = make_app(tmp_path, model_path, clock, fake_x.base_url, batch_size=5)
    fake_x.fail_on[3] = 503  # the third page fails after two were stored
    with pytest.raises(SourceError, match="503"):
        Daemon(app).poll_source(x_source(app, clock))
    assert len(stored(app)) == 10
    assert app.store.get_cursor("x")["pending"]["token"].startswith("t1003-")
    app.store.close()
    # new mentions arrive while we are down; then a new process starts
    fake_x.mention(1013, "201", "@acme_help still waiting")
    fake_x.mention(1014, "202", "@acme_help hello?")
    app2 = make_app(tmp_path, model_path, clock, fake_x.base_url, batch_size=5)
    Daemon(app2).poll_source(x_source(app2, clock))  # finishes the interrupted sweep
    Daemon(app2).poll_source(x_source(app2, clock))  # picks up what is newer
    rows = stored(app2)
    assert sorted(r["external_id"] for r in rows) == sorted([*ids, "1013", "1014"])
    assert len({r["external_id"] for r in rows}) == len(rows) == 14


def test_budget_is_never_exceeded_and_only_this_source_pauses(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX, maildir: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    seed(fake_x)
    fake_x.mentions_window.limit = 2
    add_to_maildir(maildir, make_email())
    app = make_app(tmp_path, model_path, clock, fake_x.base_url, batch_size=5,
                   maildir=maildir)
    with caplog.at_level(logging.WARNING, logger="triage.sources.pause"):
        results = Daemon(app).poll_all()
    assert fake_x.count("GET", "/mentions") == 2  # the whole budget, and not one more
    assert fake_x.served_429 == 0
    assert len(stored(app)) == 10
    assert results["inbox"].stored == 1  # type: ignore[union-attr]
    reset = fake_x.mentions_window.reset
    assert app.store.paused_until("x") == reset
    assert "paused until" in caplog.text
    row = next(r for r in app.store.source_rows() if r["name"] == "x")
    assert row["failures"] == 0
    # polls during the pause make no request at all, also from a fresh source (restart)
    clock.advance(timedelta(minutes=5))
    Daemon(app).poll_all()
    assert fake_x.count("GET", "/mentions") == 2
    # after the reset the sweep resumes where it stopped
    assert reset is not None
    clock.set(reset + timedelta(seconds=1))
    Daemon(app).poll_all()
    assert fake_x.count("GET", "/mentions") == 3
    assert len(stored(app)) == 12 and fake_x.served_429 == 0


def test_an_expired_page_token_restarts_the_sweep_without_doubles(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    ids = seed(fake_x)
    app = make_app(tmp_path, model_path, clock, fake_x.base_url, batch_size=5)
    fake_x.fail_on[2] = 503
    with pytest.raises(SourceError):
        Daemon(app).poll_source(x_source(app, clock))
    fake_x.expired_tokens.add(app.store.get_cursor("x")["pending"]["token"])
    Daemon(app).poll_source(x_source(app, clock))
    rows = stored(app)
    assert sorted(r["external_id"] for r in rows) == sorted(ids) and len(rows) == 12
    assert app.store.get_cursor("x") == {"since_id": "1012", "pending": None}
    # a token refused again right after a restart is an error, not a loop
    fake_x.fail_on[len(fake_x.requests) + 2] = 503
    app2 = make_app(tmp_path / "other", model_path, clock, fake_x.base_url, batch_size=5)
    with pytest.raises(SourceError):
        Daemon(app2).poll_source(x_source(app2, clock))
    before = fake_x.count("GET", "/mentions")
    fake_x.expired_tokens.add(app2.store.get_cursor("x")["pending"]["token"])
    real_handle = fake_x.handle

    def refuse_all_tokens(method: str, path: str, query: Any, *rest: Any) -> Any:
        if "pagination_token" in query:
            fake_x.expired_tokens.add(query["pagination_token"][0])
        return real_handle(method, path, query, *rest)

    fake_x.handle = refuse_all_tokens  # type: ignore[method-assign]
    with pytest.raises(SourceError, match="400"):
        Daemon(app2).poll_source(x_source(app2, clock))
    assert fake_x.count("GET", "/mentions") - before == 3  # refused, restart, refused: stop


def test_a_429_pauses_until_the_reset_x_announces(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    seed(fake_x, 3)
    app = make_app(tmp_path, model_path, clock, fake_x.base_url)
    fake_x.fail_next = [429]
    stats = Daemon(app).poll_source(x_source(app, clock))
    assert stats.stored == 0
    until = app.store.paused_until("x")
    assert until is not None and until > clock.now()
    assert int(until.timestamp()) == int(fake_x.limit_headers()["x-rate-limit-reset"])

    class Recorder:
        def __init__(self) -> None:
            self.delays: list[tuple[str, timedelta]] = []

        def delay(self, job_id: str, by: timedelta) -> None:
            self.delays.append((job_id, by))

    daemon = Recorder()
    Daemon(app).poll_job(daemon, "poll:x", x_source(app, clock))()  # type: ignore[arg-type]
    assert daemon.delays == [("poll:x", until - clock.now())]
    assert fake_x.count("GET", "/mentions") == 1  # the paused job made no request
    # with the real scheduler: the paused source's job moves to the reset, the others stay
    real = Scheduler(threading.Event())
    real.add_interval("poll:x", lambda: None, timedelta(minutes=2))
    real.add_interval("sweep", lambda: None, timedelta(minutes=1))
    sweep_at = real.scheduler.get_job("sweep").next_run_time
    Daemon(app).poll_job(real, "poll:x", x_source(app, clock))()
    moved = real.scheduler.get_job("poll:x").next_run_time
    assert abs((moved - until).total_seconds()) < 60  # the frozen clock started at real now
    assert real.scheduler.get_job("sweep").next_run_time == sweep_at


def test_server_errors_and_malformed_json_back_off_without_moving_the_cursor(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    seed(fake_x, 3)
    app = make_app(tmp_path, model_path, clock, fake_x.base_url)
    fake_x.fail_next = [503, "malformed"]
    with pytest.raises(SourceError, match="server error 503"):
        Daemon(app).poll_source(x_source(app, clock))
    with pytest.raises(SourceError, match="not JSON"):
        Daemon(app).poll_source(x_source(app, clock))
    assert app.store.get_cursor("x") == {}
    row = next(r for r in app.store.source_rows() if r["name"] == "x")
    assert row["failures"] == 2 and "not JSON" in row["last_error"]
    assert Daemon(app).poll_source(x_source(app, clock)).stored == 3


def test_an_unknown_user_id_is_an_error_not_an_empty_timeline(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    app = make_app(tmp_path, model_path, clock, fake_x.base_url)
    src = XSource("x", "999", x_source(app, clock).client, clock=clock)
    with pytest.raises(SourceError, match=r"no user 999.*check user_id"):
        Daemon(app).poll_source(src)


def test_network_errors_are_source_errors(tmp_path: Path, model_path: Path,
                                          clock: FrozenClock) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(tmp_path, model_path, clock, f"http://127.0.0.1:{port}")
    with pytest.raises(SourceError, match="network error"):
        Daemon(app).poll_source(x_source(app, clock))


def test_deleted_posts_neither_stop_nor_shift_the_sweep(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    ids = seed(fake_x)
    fake_x.mention(1013, "201", "@acme_help replying to a post that is gone", reply_to=900,
                   reply_to_user="202")
    app = make_app(tmp_path, model_path, clock, fake_x.base_url, batch_size=5)
    fake_x.fail_on[2] = 503
    with pytest.raises(SourceError):
        Daemon(app).poll_source(x_source(app, clock))
    fake_x.delete(1006)  # deleted between page 1 and page 2
    Daemon(app).poll_source(x_source(app, clock))
    got = sorted(r["external_id"] for r in stored(app))
    assert got == sorted([i for i in ids if i != "1006"] + ["1013"])


def test_threads_languages_our_posts_and_replies_to_us(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    fake_x.add_user("201", "ann", "Ann")
    fake_x.mention(3001, "201", "@acme_help Pesanan saya belum sampai, tolong bantu", lang="in")
    fake_x.mention(3002, OWN_X_ID, "@ann kami cek dulu ya", conversation=3001, reply_to=3001,
                   reply_to_user="201")
    fake_x.mention(3003, "201", "@acme_help sudah 5 hari, kapan dikirim?", conversation=3001,
                   reply_to=3002, lang="in")
    fake_x.mention(3004, "201", "@acme_help another topic: the app crashes", lang="en")
    app = make_app(tmp_path, model_path, clock, fake_x.base_url)
    Daemon(app).poll_source(x_source(app, clock))
    rows = {r["external_id"]: r for r in stored(app)}
    full = {m["external_id"]: m for m in app.store.messages_by_ids([r["id"] for r in
                                                                    rows.values()])}
    assert rows["3001"]["thread_id"] == rows["3002"]["thread_id"] == rows["3003"]["thread_id"]
    assert rows["3004"]["thread_id"] != rows["3001"]["thread_id"]
    assert full["3001"]["language_hint"] == "id"  # X's 'in' is Indonesian
    assert rows["3002"]["is_auto"] and rows["3002"]["auto_reason"] == "our own post"
    assert rows["3002"]["draft"] is None  # our own post gets no draft
    assert full["3003"]["in_reply_to"] == "x:3002"
    assert full["3003"]["recipients"] == [f"x:user:{OWN_X_ID}"]  # a reply to us
    assert rows["3003"]["draft"]


def test_an_unreadable_post_is_quarantined_with_its_reason(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    seed(fake_x, 2)
    t = fake_x.mention(1003, "201", "x")
    del t["text"]
    app = make_app(tmp_path, model_path, clock, fake_x.base_url)
    Daemon(app).poll_source(x_source(app, clock))
    rows = {r["external_id"]: r for r in stored(app)}
    assert rows["1003"]["status"] == "quarantined"
    assert "x post 1003" in rows["1003"]["error"]
    assert rows["1001"]["status"] == "processed"


def test_registry_builds_the_source_with_the_configured_base_url(
        tmp_path: Path, model_path: Path, clock: FrozenClock, fake_x: FakeX) -> None:
    seed(fake_x, 2)
    app = make_app(tmp_path, model_path, clock, fake_x.base_url + "/")
    source = build_source(app.settings.source("x"), ENV)
    assert isinstance(source, XSource)
    assert Daemon(app).poll_source(source).stored == 2
    assert fake_x.auth[0] == "Bearer app-token"


@pytest.mark.parametrize("code,lang", [("en", "en"), ("in", "id"), ("vi", "vi"), ("tl", "tl"),
                                       ("fil", "tl"), ("und", None), ("ja", None), (None, None)])
def test_x_language_codes(code: str | None, lang: str | None) -> None:
    assert x_language(code) == lang
