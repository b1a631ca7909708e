"""IMAP connections against real Dovecot instances: verified TLS, STARTTLS, XOAUTH2."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fixtures_imap import PASSWORD, Dovecot
from triage.clients.imap import ImapConnector
from triage.config import ImapSettings
from triage.errors import SourceAuthError
from triage.sources.imap import ImapSource

USER = "tls@example.com"


@pytest.fixture(scope="module")
def tls_dovecot() -> Iterator[Dovecot]:
    """A Dovecot with a self-signed certificate on IMAPS and STARTTLS."""
    server = Dovecot((USER,), tls=True)
    server.start()
    yield server
    server.remove()


def settings(**over: Any) -> ImapSettings:
    base: dict[str, Any] = {"name": "tls", "type": "imap", "host": "127.0.0.1",
                            "username": USER, "password_env": "PW", "connect_attempts": 1,
                            "connect_timeout": "5s", "read_timeout": "10s", "idle": False}
    base.update(over)
    return ImapSettings.model_validate(base)


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_verified_tls_with_a_ca_file(tls_dovecot: Dovecot, mode: str) -> None:
    port = tls_dovecot.tls_port if mode == "ssl" else tls_dovecot.port
    cfg = settings(tls=mode, port=port, ca_file=str(tls_dovecot.dir / "tls.crt"))
    source = ImapSource(cfg, ImapConnector(cfg, {"PW": PASSWORD}))
    try:
        result = source.fetch({}, 10)
        assert result.items == [] and "INBOX" in result.cursor["folders"]
        assert source.client().use_uid  # a live, logged-in connection
    finally:
        source.close()


def test_untrusted_certificate_is_refused_with_the_fix(tls_dovecot: Dovecot) -> None:
    cfg = settings(tls="ssl", port=tls_dovecot.tls_port)
    with pytest.raises(SourceAuthError, match=r"not trusted.*ca_file"):
        ImapConnector(cfg, {"PW": PASSWORD}).connect()


def test_missing_ca_file_names_the_setting(tls_dovecot: Dovecot) -> None:
    cfg = settings(tls="ssl", port=tls_dovecot.tls_port, ca_file="/nonexistent/ca.pem")
    with pytest.raises(Exception, match="ca_file"):
        ImapConnector(cfg, {"PW": PASSWORD}).connect()


class OAuthServer(ThreadingHTTPServer):
    """A token endpoint (refresh -> access token) and the introspection endpoint Dovecot asks."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _OAuthHandler)
        self.refresh_tokens = {"good-refresh": USER}
        self.access_tokens: dict[str, str] = {}
        self.token_requests: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _OAuthHandler(BaseHTTPRequestHandler):
    server: OAuthServer

    def do_POST(self) -> None:
        form = dict(urllib.parse.parse_qsl(
            self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()))
        if self.path == "/token":
            self.server.token_requests.append(form)
            user = self.server.refresh_tokens.get(form.get("refresh_token", ""))
            if user is None or form.get("client_id") != "cid":
                return self._json(400, {"error": "invalid_grant"})
            token = f"access-{len(self.server.token_requests)}"
            self.server.access_tokens[token] = user
            return self._json(200, {"access_token": token, "expires_in": 3600})
        if self.path == "/introspect":
            user = self.server.access_tokens.get(form.get("token", ""))
            return self._json(200, {"active": user is not None, "username": user or ""})
        self._json(404, {})

    def _json(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def oauth() -> Iterator[tuple[OAuthServer, Dovecot]]:
    """The OAuth endpoints plus a Dovecot that authenticates XOAUTH2 against them."""
    http = OAuthServer()
    threading.Thread(target=http.serve_forever, daemon=True).start()
    server = Dovecot((USER,), oauth2_introspection_url=f"{http.url}/introspect")
    server.start()
    yield http, server
    server.remove()
    http.shutdown()


def oauth_settings(server: Dovecot, http: OAuthServer) -> ImapSettings:
    return settings(tls="none", port=server.port, password_env="",
                    oauth2={"token_url": f"{http.url}/token", "client_id": "cid",
                            "refresh_token_env": "RT", "client_secret_env": "CS"})


def test_xoauth2_login_with_a_refreshed_access_token(
        oauth: tuple[OAuthServer, Dovecot]) -> None:
    http, server = oauth
    cfg = oauth_settings(server, http)
    connector = ImapConnector(cfg, {"RT": "good-refresh", "CS": "secret"})
    client = connector.connect()
    try:
        assert client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]
    finally:
        client.logout()
    form = http.token_requests[-1]
    assert form["grant_type"] == "refresh_token" and form["client_secret"] == "secret"
    # the access token is reused until the server refuses it, then refreshed once
    n = len(http.token_requests)
    http.access_tokens.clear()
    client = connector.connect()
    client.logout()
    assert len(http.token_requests) == n + 1


def test_revoked_refresh_token_is_an_auth_error(oauth: tuple[OAuthServer, Dovecot]) -> None:
    http, server = oauth
    cfg = oauth_settings(server, http)
    with pytest.raises(SourceAuthError, match="refused the refresh token"):
        ImapConnector(cfg, {"RT": "revoked", "CS": "secret"}).connect()
