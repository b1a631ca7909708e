"""Benchmark: mentions polled from X and Mastodon, and chat messages from Telegram, a Facebook
Page, a Zalo OA and WhatsApp webhook deliveries (local servers speaking each platform's JSON),
fetched alone and end to end (parse, store in SQLite, classify with the real model, draft).

Run: ``.venv/bin/python bench/social_poll.py [N]``; writes the ``## Social sources`` section of
docs/benchmarks.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine
from bench._common import replace_section as write_section
from tests.fake_meta import PAGE_ID, PAGE_TOKEN, WA_NUMBER_ID, FakeMeta, sign
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fake_zalo import APP_ID, APP_SECRET, FIRST_ACCESS, FIRST_REFRESH, OA_ID, FakeZalo
from tests.fixtures_social import OWN_X_ID, FakeMastodon, FakeX
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.modelstore import ensure_bundled_model
from triage.services import App
from triage.sources.facebook import build as build_facebook
from triage.sources.mastodon import build as build_mastodon
from triage.sources.telegram import build as build_telegram
from triage.sources.whatsapp import build as build_whatsapp
from triage.sources.x import build as build_x
from triage.sources.zalo import build as build_zalo
from triage.store.channel_state import add_webhook_event

TEXTS = ["my order #{i} has not arrived, it has been a week",
         "đơn hàng {i} của tôi bị giao trễ, làm ơn kiểm tra giúp",
         "aplikasi error terus waktu bayar, pesanan {i}",
         "pwede po bang palitan ang address ng order {i}?"]


def measure(app: App, n: int, build: Callable[[], Any], pages: Callable[[], int],
            reset: Callable[[], None] = lambda: None) -> dict[str, float]:
    """Time a bare fetch of every item, then a full poll (store, classify, draft) of them.

    ``reset`` runs between the two (Telegram forgets the updates a fetch confirmed)."""
    _ = app.pipeline  # load the model before the clock starts
    src = build()
    bind = getattr(src, "bind_store", None)
    if bind is not None:  # Zalo keeps its tokens there, webhook sources their deliveries
        bind(app.store)
    t = time.perf_counter()
    got = 0
    cursor: dict = {}
    while True:
        res = src.fetch(cursor, 200)
        if not res.items:
            break
        got += len(res.items)
        cursor = res.cursor
    fetch_s = time.perf_counter() - t
    src.close()
    requests = pages()
    reset()
    t = time.perf_counter()
    stats = Daemon(app).poll_source(build())
    total_s = time.perf_counter() - t
    assert got == n and stats.stored == n, (got, stats)
    return {"fetch_s": fetch_s, "pages": requests, "total_s": total_s}


def run_x(n: int, model: Path, work: Path, clock: FrozenClock) -> dict[str, float]:
    fake = FakeX(clock)
    try:
        fake.add_user("201", "ann", "Ann")
        for i in range(n):
            fake.mention(10_000 + i, "201", "@acme_help " + TEXTS[i % 4].format(i=i),
                         lang=["en", "vi", "in", "tl"][i % 4])
        app = App(settings_from_mapping({
            "data_dir": str(work / "x"), "classifier": {"model_path": str(model)},
            "sources": [{"name": "x", "type": "x", "user_id": OWN_X_ID,
                         "api_base_url": fake.base_url, "bearer_token_env": "T",
                         "page_size": 100}]}), clock=clock, environ={"T": "t"})
        return measure(app, n, lambda: build_x(app.settings.source("x"), app.environ, Path,
                                               clock=clock),
                       lambda: fake.count("GET", "/mentions"))
    finally:
        fake.stop()


def run_mastodon(n: int, model: Path, work: Path, clock: FrozenClock) -> dict[str, float]:
    fake = FakeMastodon(clock)
    fake.window.limit = 100_000
    try:
        fake.add_account("2", "ann", "Ann")
        for i in range(n):
            fake.status(str(100_000 + i), "2", f"<p>@acme {TEXTS[i % 4].format(i=i)}</p>",
                        language=["en", "vi", "id", "tl"][i % 4])
        app = App(settings_from_mapping({
            "data_dir": str(work / "m"), "classifier": {"model_path": str(model)},
            "sources": [{"name": "m", "type": "mastodon", "instance_url": fake.base_url,
                         "access_token_env": "T", "page_size": 80}]}), clock=clock,
            environ={"T": "t"})
        return measure(app, n, lambda: build_mastodon(app.settings.source("m"), app.environ,
                                                      Path, clock=clock),
                       lambda: fake.count("GET", "/notifications"))
    finally:
        fake.stop()


def chat_app(work: Path, model: Path, clock: FrozenClock, src: dict[str, Any],
             env: dict[str, str]) -> App:
    """An app with one chat source on a fresh SQLite store."""
    return App(settings_from_mapping({
        "data_dir": str(work / src["name"]), "classifier": {"model_path": str(model)},
        "sources": [src]}), clock=clock, environ=env)


def run_telegram(n: int, model: Path, work: Path, clock: FrozenClock) -> dict[str, float]:
    fake = FakeTelegram(clock)
    try:
        for i in range(n):
            uid = 1000 + i % 50
            fake.customer_message(uid, fake.user(uid, f"User{uid}"), TEXTS[i % 4].format(i=i))
        saved = list(fake.updates)
        app = chat_app(work, model, clock, {
            "name": "tg", "type": "telegram", "bot_token_env": "T", "long_poll_timeout": "0s",
            "api_base_url": fake.base_url}, {"T": TOKEN})

        def reset() -> None:
            fake.updates = list(saved)

        return measure(app, n, lambda: build_telegram(app.settings.source("tg"), app.environ,
                                                      Path, clock=clock),
                       lambda: fake.count("POST", "getUpdates"), reset)
    finally:
        fake.stop()


def run_facebook(n: int, model: Path, work: Path, clock: FrozenClock) -> dict[str, float]:
    fake = FakeMeta(clock)
    try:
        for i in range(n):  # ten messages per customer, all within the last day
            psid = str(2000 + i // 10)
            fake.dm(psid, f"User {psid}", TEXTS[i % 4].format(i=i),
                    ago=timedelta(minutes=1 + (n - i) % 1200))
        app = chat_app(work, model, clock, {
            "name": "fb", "type": "facebook", "page_id": PAGE_ID, "page_token_env": "T",
            "comments": False, "api_base_url": fake.base_url, "page_size": 25},
            {"T": PAGE_TOKEN})
        return measure(app, n, lambda: build_facebook(app.settings.source("fb"), app.environ,
                                                      Path, clock=clock),
                       lambda: fake.count("GET", "/"))
    finally:
        fake.stop()


def run_zalo(n: int, model: Path, work: Path, clock: FrozenClock) -> dict[str, float]:
    fake = FakeZalo(clock)
    try:
        for i in range(n):  # ten messages per user
            uid = str(3000 + i // 10)
            fake.user_message(uid, f"User {uid}", TEXTS[i % 4].format(i=i),
                              ago=timedelta(minutes=1 + (n - i) % 1200))
        app = chat_app(work, model, clock, {
            "name": "oa", "type": "zalo", "oa_id": OA_ID, "app_id": APP_ID,
            "app_secret_env": "S", "access_token_env": "A", "refresh_token_env": "R",
            "api_base_url": fake.base_url, "oauth_base_url": fake.base_url},
            {"S": APP_SECRET, "A": FIRST_ACCESS, "R": FIRST_REFRESH})
        return measure(app, n, lambda: build_zalo(app.settings.source("oa"), app.environ,
                                                  Path, clock=clock),
                       lambda: fake.count("GET", "/v2.0/"))
    finally:
        fake.stop()


def run_whatsapp(n: int, model: Path, work: Path, clock: FrozenClock) -> dict[str, float]:
    """Deliveries through the webhook route (signature checked, kept), then the source."""
    from fastapi.testclient import TestClient

    from triage.web import create_app

    fake = FakeMeta(clock)
    try:
        app = chat_app(work, model, clock, {
            "name": "wa", "type": "whatsapp", "phone_number_id": WA_NUMBER_ID,
            "access_token_env": "T", "app_secret_env": "S", "verify_token_env": "V",
            "api_base_url": fake.base_url}, {"T": "t", "S": "meta-app-secret-123", "V": "v"})
        bodies = [fake.whatsapp_event(f"62811{i % 50:04d}", f"User {i % 50}",
                                      TEXTS[i % 4].format(i=i))[0] for i in range(n)]
        client = TestClient(create_app(app.web_parts(), secret_key="b" * 64))
        t = time.perf_counter()
        for body in bodies:
            r = client.post("/webhooks/whatsapp/wa", content=body,
                            headers={"X-Hub-Signature-256": sign(body)})
            assert r.status_code == 200
        intake_s = time.perf_counter() - t
        out = measure(app, n, lambda: build_whatsapp(app.settings.source("wa"), app.environ,
                                                     Path, clock=clock), lambda: 0)
        out["intake_s"] = intake_s
        assert add_webhook_event(app.store, "wa", bodies[0]) is None  # kept once
        return out
    finally:
        fake.stop()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        model = ensure_bundled_model(work / "models")
        x = run_x(n, model, work, clock)
        m = run_mastodon(n, model, work, clock)
        tg = run_telegram(n, model, work, clock)
        fb = run_facebook(n, model, work, clock)
        oa = run_zalo(n, model, work, clock)
        wa = run_whatsapp(n, model, work, clock)
    rows = []
    for name, r in (("X (page 100)", x), ("Mastodon (page 80)", m),
                    ("Telegram getUpdates (page 100)", tg),
                    ("Facebook Messenger (page 25, 10 per conversation)", fb),
                    ("Zalo OA (page 10, 10 per user)", oa),
                    ("WhatsApp (stored webhook deliveries)", wa)):
        per_page = (f", {1000 * r['fetch_s'] / r['pages']:.0f} ms per request"
                    if r["pages"] else "")
        rows.append(f"| {name} | {n:,} | {int(r['pages'])} | {r['fetch_s']:.2f} s "
                    f"({n / r['fetch_s']:,.0f}/s{per_page}) | {r['total_s']:.2f} s "
                    f"({n / r['total_s']:,.0f}/s) |")
    text = (
        "## Social sources\n\n"
        f"`bench/social_poll.py`: {n:,} mentions served by the local X API v2 and Mastodon "
        "servers of the tests (127.0.0.1, real tweepy and Mastodon.py), and as many chat "
        "messages from the Telegram, Graph API (Facebook) and Zalo fakes and from WhatsApp "
        "webhook deliveries (posted through the review page's webhook route first: "
        f"{n:,} signed deliveries verified and kept in {wa['intake_s']:.2f} s, "
        f"{1000 * wa['intake_s'] / n:.1f} ms each). *Fetch* reads every "
        "page and parses the posts; *end to end* is `Daemon.poll_source`: fetch, store in SQLite, "
        "classify with the real model, deadline and draft, in batches of 200. On the real "
        "services the rate budget, not this speed, decides how fast mentions arrive (see "
        "[sources.md](sources.md)).\n\n"
        "| source | items | requests | fetch | end to end |\n|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n\n"
        "Mastodon's fetch is CPU-bound in Mastodon.py itself: cProfile puts nearly all of it in "
        f"its typed-entity conversion (`types_base.try_cast`), {1000 * m['fetch_s'] / n:.0f} ms "
        "per notification here. At Mastodon's default budget (300 requests per 5 minutes) "
        "that is never the limit. Storing, classifying and drafting add "
        f"{1000 * (x['total_s'] - x['fetch_s']) / n:.0f} ms (X) and "
        f"{1000 * (m['total_s'] - m['fetch_s']) / n:.0f} ms (Mastodon) per mention. A "
        "Facebook poll costs a request per 25 conversations plus one per 25 messages of each "
        "conversation that changed, a Zalo poll one per 10 recent chats plus one per 10 "
        "messages of each user who wrote (Zalo pages hold 10 at most), so a quiet Page or "
        "OA costs a few requests per poll; Telegram's long poll costs one request per "
        "`long_poll_timeout` when nothing happens. The "
        "machine was shared with other test runs, so expect some spread.\n\n"
        f"Machine: {machine()}; measured {datetime.now(UTC).strftime('%Y-%m-%d')}.\n")
    write_section(text)
    print(text)


if __name__ == "__main__":
    main()
