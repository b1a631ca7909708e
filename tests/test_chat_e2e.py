"""End to end per chat channel, with real processes: a customer's message arrives at the fake
platform (or, for WhatsApp, at the daemon's webhook), ``triage run`` classifies it in its
language and drafts a reply, an agent sees it in the queue of the daemon's review page and
approves it, and the daemon is killed with SIGKILL while the platform is still answering the
send. After a restart the platform has exactly one reply, in the right conversation:
Facebook and Zalo replies are found by looking them up and marked sent; Telegram and WhatsApp
cannot be looked up, so the reply stays in doubt for an operator and is never resent.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.chat_helpers import TEXTS, real_now
from tests.fake_meta import APP_SECRET, PAGE_ID, PAGE_TOKEN, WA_NUMBER_ID, WA_TOKEN, FakeMeta
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fake_zalo import APP_ID, FIRST_ACCESS, FIRST_REFRESH, OA_ID, FakeZalo
from tests.fake_zalo import APP_SECRET as ZALO_SECRET
from tests.fixtures_web import AGENT, free_port
from tests.test_faults import Db, log_of, start, wait_for
from triage.config import load_settings
from triage.services import App
from triage.web.accounts import add_user

pytestmark = pytest.mark.slow

ENV = {"TG_TOKEN": TOKEN, "FB_TOKEN": PAGE_TOKEN, "META_SECRET": APP_SECRET,
       "META_VERIFY": "verify-e2e", "WA_TOKEN": WA_TOKEN, "ZALO_SECRET": ZALO_SECRET,
       "ZALO_ACCESS": FIRST_ACCESS, "ZALO_REFRESH": FIRST_REFRESH}
REPLY = {"telegram": "Xin lỗi bạn Lan, chúng tôi đang kiểm tra đơn 4521 ngay.",
         "facebook": "Xin lỗi bạn Lan, đơn 4521 sẽ được giao trong hôm nay.",
         "zalo": "Chào Lan, chúng tôi đã chuyển đơn 4521 cho bộ phận giao hàng.",
         "whatsapp": "Halo Budi, maaf ya, tim kami sedang memperbaiki pembayaran."}


def source_toml(channel: str, base_url: str) -> str:
    common = f"poll_interval = '1s'\napi_base_url = '{base_url}'\n"
    if channel == "telegram":
        return ("name = 'tg'\ntype = 'telegram'\nbot_token_env = 'TG_TOKEN'\n"
                "long_poll_timeout = '1s'\n" + common)
    if channel == "facebook":
        return (f"name = 'fb'\ntype = 'facebook'\npage_id = '{PAGE_ID}'\n"
                "page_token_env = 'FB_TOKEN'\ncomments = false\n" + common)
    if channel == "zalo":
        return (f"name = 'oa'\ntype = 'zalo'\noa_id = '{OA_ID}'\napp_id = '{APP_ID}'\n"
                "app_secret_env = 'ZALO_SECRET'\naccess_token_env = 'ZALO_ACCESS'\n"
                f"refresh_token_env = 'ZALO_REFRESH'\noauth_base_url = '{base_url}'\n" + common)
    return (f"name = 'wa'\ntype = 'whatsapp'\nphone_number_id = '{WA_NUMBER_ID}'\n"
            "access_token_env = 'WA_TOKEN'\napp_secret_env = 'META_SECRET'\n"
            "verify_token_env = 'META_VERIFY'\n" + common)


def write_config(tmp_path: Path, model_path: Path, channel: str, base_url: str,
                 port: int) -> Path:
    cfg = tmp_path / "chat.toml"
    cfg.write_text(
        "data_dir = 'data'\n"
        f"[classifier]\nmodel_path = '{model_path}'\n"
        "[scheduler]\njitter = '0s'\n"
        "[ops]\ninstance = 'e2e-host'\n"
        f"[web]\nenabled = true\nhost = '127.0.0.1'\nport = {port}\n"
        "[send]\ndrain_interval = '1s'\nin_doubt_after = '1h'\n"
        "[send.retry]\nbase = '1s'\nmax = '2s'\n"
        f"[[sources]]\n{source_toml(channel, base_url)}", encoding="utf-8")
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in ENV.items()))
    app = App(load_settings(cfg, ENV), environ=ENV)
    add_user(app.store, *AGENT, "agent")
    app.store.close()
    return cfg


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen]]:
    out: list[subprocess.Popen] = []
    yield out
    for p in out:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=30)


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def agent_session(base: str) -> tuple[requests.Session, str]:
    """Sign in as the agent on the daemon's review page; return the session and CSRF token."""
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login").text)
    assert token
    r = s.post(f"{base}/login", data={"username": AGENT[0], "password": AGENT[1],
                                      "csrf_token": token.group(1)}, allow_redirects=False)
    assert r.status_code == 303, r.text
    queue = s.get(f"{base}/queue").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', queue)
    assert csrf
    return s, csrf.group(1)


def arrive(channel: str, fakes: dict[str, Any],
           web: str) -> tuple[Callable[[], list[Any]], list[Any]]:
    """Make the customer's message arrive; return where the platform's replies went and
    where the one reply must go (chat and message answered, customer, conversation)."""
    if channel == "telegram":
        tg: FakeTelegram = fakes["telegram"]
        tg.customer_message(301, tg.user(301, "Lan", "Tran", lang="vi"), TEXTS["vi"])
        return lambda: [(m["chat_id"], m["reply_to_message_id"]) for m in tg.sent], [(301, 11)]
    if channel == "facebook":
        meta: FakeMeta = fakes["meta"]
        meta.dm("201", "Lan Tran", TEXTS["vi"], ago=timedelta(minutes=3))
        return lambda: [(m["kind"], m["to"]) for m in meta.sent], [("dm", "201")]
    if channel == "zalo":
        zalo: FakeZalo = fakes["zalo"]
        zalo.user_message("111", "Lan Tran", TEXTS["vi"])
        return lambda: [m["to"] for m in zalo.sent], ["111"]
    meta = fakes["meta"]
    body, wamid = meta.whatsapp_event("6281234", "Budi Santoso", TEXTS["id"])
    wait_for(lambda: _post_ok(f"{web}/webhooks/whatsapp/wa", body), 120,
             "the daemon's webhook took the delivery")
    return lambda: [(m["to"], m["context"]) for m in meta.sent], [("6281234", wamid)]


def _post_ok(url: str, body: bytes) -> bool:
    try:
        return requests.post(url, data=body, headers={"X-Hub-Signature-256": sign(body)},
                             timeout=5).status_code == 200
    except requests.RequestException:
        return False


LANGUAGE = {"telegram": "vi", "facebook": "vi", "zalo": "vi", "whatsapp": "id"}
SETTLED = {"telegram": "in_doubt", "facebook": "sent", "zalo": "sent", "whatsapp": "in_doubt"}


@pytest.mark.parametrize("channel", ["telegram", "facebook", "zalo", "whatsapp"])
def test_message_to_one_reply_across_a_kill_9_while_sending(
        tmp_path: Path, model_path: Path, channel: str, procs: list[subprocess.Popen]) -> None:
    clock = real_now()
    fakes = {"telegram": FakeTelegram(clock), "meta": FakeMeta(clock), "zalo": FakeZalo(clock)}
    fake = fakes["meta" if channel in ("facebook", "whatsapp") else channel]
    try:
        port = free_port()
        web = f"http://127.0.0.1:{port}"
        cfg = write_config(tmp_path, model_path, channel, fake.base_url, port)
        db = Db(f"sqlite:///{tmp_path / 'data' / 'triage.db'}")
        proc = start(cfg, "run")
        procs.append(proc)
        where, expected = arrive(channel, fakes, web)
        wait_for(lambda: db.n("select count(*) from drafts where status = 'pending_review'")
                 == 1, 180, f"a drafted {channel} message\n{log_of(cfg)[-3000:]}")
        assert db.n(f"select count(*) from classifications where language = "
                    f"'{LANGUAGE[channel]}'") == 1, log_of(cfg)[-2000:]
        mid = db.n("select id from messages")
        session, csrf = agent_session(web)
        queue = session.get(f"{web}/queue").text
        assert f"/messages/{mid}" in queue  # shown in the queue
        fake.send_delay = 4.0  # the platform is slow to answer: the kill lands meanwhile
        fake_arrivals = fake.sent if channel != "whatsapp" else fakes["meta"].sent
        r = session.post(f"{web}/messages/{mid}/approve", data={
            "subject": "", "text": REPLY[channel], "csrf_token": csrf}, allow_redirects=False)
        assert r.status_code == 303, r.text
        wait_for(lambda: len(fake_arrivals) == 1, 60, "the reply reached the platform")
        assert db.n("select count(*) from outbox where status = 'sending'") == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        fake.send_delay = 0.0
        proc = start(cfg, "run")
        procs.append(proc)
        want = SETTLED[channel]
        wait_for(lambda: db.n(f"select count(*) from outbox where status = '{want}'") == 1,
                 180, f"outbox row {want}\n{log_of(cfg)[-3000:]}")
        threading.Event().wait(3)  # three more drains (1 s apart): nothing is sent again
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log_of(cfg)[-3000:]
        assert where() == expected, fake_arrivals  # exactly one, in the right conversation
        assert fake_arrivals[0]["text"] == REPLY[channel]
        if want == "sent":
            assert db.n("select count(*) from deadlines where met_at is not null") == 1
        else:
            assert db.n("select count(*) from outbox where status = 'in_doubt' and "
                        "last_error like '%stopped before it finished%'") == 1
    finally:
        for f in fakes.values():
            f.stop()

