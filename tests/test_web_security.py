"""Security of the review page served by uvicorn on loopback, as a client on the same host or
behind a proxy sees it: forwarded headers, the sign-in limit."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.fixtures_web import free_port
from triage.store import schema as s
from triage.web import create_app
from triage.web.server import WebServer

Serve = Callable[..., str]


@pytest.fixture
def serve(seeded: Any, smtp_outbox: Any) -> Iterator[Serve]:
    """Start the review page on a free loopback port with settings changed by ``web``."""
    stops: list[tuple[threading.Event, WebServer]] = []

    def start(**web: Any) -> str:
        settings = seeded.settings.model_copy(deep=True)
        for key, value in web.items():
            setattr(settings.web, key, value)
        from triage.services import App

        app = App(settings, clock=seeded.clock, environ={})
        stop = threading.Event()
        srv = WebServer(create_app(app.web_parts(outbox=smtp_outbox), secret_key="x" * 64),
                        "127.0.0.1", free_port(), stop)
        srv.start()
        stops.append((stop, srv))
        return srv.url

    yield start
    for stop, srv in stops:
        stop.set()
        srv.stop()


def csrf(client: httpx.Client) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert m
    return m.group(1)


def fail_login(client: httpx.Client, token: str, user: str, forwarded: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/login", headers=headers, data={
        "username": user, "password": "not-the-password", "csrf_token": token}).status_code


def login_clients(seeded: Any) -> list[str]:
    with seeded.store.engine.connect() as c:
        rows = c.execute(select(s.audit_log.c.detail).where(
            s.audit_log.c.action == "login_failed").order_by(s.audit_log.c.id))
        return [r.detail.get("client") for r in rows]


def test_forwarded_for_from_the_same_host_buys_no_fresh_budget(serve: Serve,
                                                               seeded: Any) -> None:
    # #18 defect 2: uvicorn believed X-Forwarded-For from loopback, so every invented address
    # got its own budget; spraying passwords over many accounts was never slowed down
    url = serve()
    limit = seeded.settings.web.login_max_attempts
    with httpx.Client(base_url=url, timeout=10) as client:
        token = csrf(client)
        codes = [fail_login(client, token, f"user{i}", f"203.0.113.{i}")
                 for i in range(limit + 2)]
    assert codes[:limit] == [401] * limit
    assert codes[limit:] == [429, 429], codes
    assert set(login_clients(seeded)) == {"127.0.0.1"}  # the real peer, never the claim


def test_a_trusted_proxy_names_the_client_and_cannot_be_fooled(serve: Serve,
                                                               seeded: Any) -> None:
    url = serve(trusted_proxies=["127.0.0.0/8"])
    limit = seeded.settings.web.login_max_attempts
    with httpx.Client(base_url=url, timeout=10) as client:
        token = csrf(client)
        # two people behind the proxy: each has a budget of their own
        first = [fail_login(client, token, "ann", "198.51.100.7") for _ in range(limit)]
        other = fail_login(client, token, "budi", "198.51.100.8")
        # a client that writes its own X-Forwarded-For: the proxy appends the real address,
        # and the right-most untrusted hop is the one believed
        spoofed = fail_login(client, token, "maria", "203.0.113.99, 198.51.100.7")
    assert first == [401] * limit and other == 401
    assert spoofed == 429
    clients = login_clients(seeded)
    assert clients[:limit] == ["198.51.100.7"] * limit and clients[limit] == "198.51.100.8"


def session_cookie(response: httpx.Response) -> str:
    (cookie,) = [v for k, v in response.headers.multi_items()
                 if k == "set-cookie" and v.startswith("triage_session=")]
    return cookie


def test_session_cookie_is_secure_over_https_through_a_trusted_proxy(serve: Serve) -> None:
    direct = serve()  # loopback, no proxy trusted: the header is a claim, not a fact
    proxied = serve(trusted_proxies=["127.0.0.1"])
    https = {"X-Forwarded-Proto": "https"}

    def first_cookie(url: str, headers: dict[str, str] | None = None) -> str:
        return session_cookie(httpx.get(url + "/login", headers=headers, timeout=10))

    assert "secure" not in first_cookie(direct).lower()
    assert "secure" not in first_cookie(direct, https).lower()
    plain, secure = first_cookie(proxied), first_cookie(proxied, https)
    assert "secure" not in plain.lower()
    assert secure.endswith("; Secure") and "httponly" in secure.lower()
    assert "samesite=strict" in secure.lower()
