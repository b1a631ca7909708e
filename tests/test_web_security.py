"""Security of the review page served by uvicorn on loopback, as a client on the same host or
behind a proxy sees it: forwarded headers, the sign-in limit."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.fixtures_web import ADMIN, free_port
from tests.test_web import login, message_ids, routes
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


# ------------------------------------------------------------------ every page, every action
TEMPLATES = Path(__file__).parent.parent / "triage" / "web" / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|"
                    r"javascript:", re.IGNORECASE)


def test_no_inline_script_or_style_in_any_template() -> None:
    # the CSP allows only files from /static: an inline script or style would be blocked
    # (or tempt someone to weaken the policy)
    found = {p.name: INLINE.findall(p.read_text("utf-8")) for p in TEMPLATES.glob("*.html")}
    assert len(found) >= 8
    assert {k: v for k, v in found.items() if v} == {}


def _signed_in(web: Any, who: tuple[str, str]) -> tuple[TestClient, str]:
    client = TestClient(web)
    return client, login(client, who)


def test_security_headers_on_every_response(web: Any, seeded: Any) -> None:
    client, _ = _signed_in(web, ADMIN)
    mid = message_ids(seeded)["<late@example.com>"]
    paths = {p.replace("/1", f"/{mid}") for m, p in routes(web) if m == "GET"}
    paths |= {"/login", "/healthz", "/metrics", "/static/app.js", "/static/app.css",
              "/no-such-page", f"/messages/{mid + 999}", "/api/messages/999999"}
    assert len(paths) > 15
    for path in sorted(paths):
        r = client.get(path, follow_redirects=False)
        h = r.headers
        assert "frame-ancestors 'none'" in h.get("content-security-policy", ""), path
        assert "script-src 'self'" in h["content-security-policy"], path
        assert "unsafe-inline" not in h["content-security-policy"], path
        assert h.get("x-content-type-options") == "nosniff", path
        assert h.get("referrer-policy") == "no-referrer", path
        assert h.get("x-frame-options") == "DENY", path
    # and a signed-out visitor's redirect and an error answer carry them as well
    for r in (TestClient(web).get("/queue", follow_redirects=False),
              client.post("/messages/1/approve", data={}, follow_redirects=False)):
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_every_write_needs_the_csrf_token(web: Any) -> None:
    client, token = _signed_in(web, ADMIN)
    writes = [(m, p) for m, p in routes(web) if m not in ("GET", "HEAD", "OPTIONS")]
    assert len(writes) >= 12
    for method, path in writes:
        for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
            json_body = {"category": "request", "text": "x", "subject": "s"}
            r = client.request(method, path, headers=headers, json=json_body,
                               follow_redirects=False)
            assert r.status_code == 403, (method, path, headers, r.status_code)
            r = client.request(method, path, headers=headers,
                               data={"csrf_token": "not-the-token", "text": "x"},
                               follow_redirects=False)
            assert r.status_code == 403, (method, path, r.status_code)
    assert token


def test_json_sign_in_cannot_be_posted_by_a_cross_site_form(web: Any) -> None:
    # a form on another site can send text/plain or urlencoded bodies without a preflight;
    # the JSON sign-in must not accept them (login CSRF: signing a victim into our account)
    client = TestClient(web)
    body = json.dumps({"username": ADMIN[0], "password": ADMIN[1]})
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        r = client.post("/api/login", content=body, headers={"Content-Type": ctype})
        assert r.status_code in (400, 415, 422), (ctype, r.status_code, r.text)
    ok = client.post("/api/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert ok.status_code == 200 and ok.json()["csrf_token"]
