"""Who is on the other end of a request: the client's address and whether it came over HTTPS.

A request's ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only when the
connection comes from a proxy listed in ``[web] trusted_proxies`` (none by default). Then the
client is the right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy,
so a client cannot prepend an address of its choice. uvicorn's own proxy handling is turned
off (``triage.web.server``): it trusted loopback by default, which let anyone on the host, or
behind any local proxy, pick a new address for every sign-in attempt.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Proxies:
    """The trusted reverse proxies; ``client`` and ``https`` read a request through them."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[str]) -> Proxies:
        """Build from ``[web] trusted_proxies`` (validated there)."""
        return cls(tuple(ipaddress.ip_network(e, strict=False) for e in entries))

    def trusted(self, host: str | None) -> bool:
        """True when ``host`` (an address as text) is one of the trusted proxies."""
        addr = _address(host or "")
        return addr is not None and any(addr in n for n in self.networks)

    def client(self, conn: HTTPConnection) -> str:
        """The client's address: the peer's, or the one a trusted proxy forwarded."""
        peer = conn.client.host if conn.client else ""
        if not self.trusted(peer):
            return peer or "?"
        hops = [h.strip() for h in conn.headers.get("x-forwarded-for", "").split(",")
                if h.strip()]
        for hop in reversed(hops):
            if not self.trusted(hop):
                addr = _address(hop)
                return str(addr) if addr is not None else "?"
        return peer

    def https(self, conn: HTTPConnection) -> bool:
        """True when the request reached us over HTTPS, directly or through a trusted proxy
        that says so in ``X-Forwarded-Proto``."""
        if conn.url.scheme in ("https", "wss"):
            return True
        peer = conn.client.host if conn.client else ""
        if not self.trusted(peer):
            return False
        proto = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return proto == "https"


class SecureCookies:
    """ASGI middleware: mark the session cookie ``Secure`` on every response to a request
    that came over HTTPS, directly or through a trusted proxy (``X-Forwarded-Proto``), on top
    of what ``[web] secure_cookies`` decides from the configuration alone."""

    def __init__(self, app: Any, proxies: Proxies, cookie: str, *, never: bool = False) -> None:
        self.app = app
        self.proxies = proxies
        self.prefix = f"{cookie}=".encode()
        self.never = never

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Pass the request on; add ``; Secure`` to the session cookie when over HTTPS."""
        if scope["type"] != "http" or self.never or not self.proxies.https(
                HTTPConnection(scope)):
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for name, value in message.get("headers", []):
                    if name.lower() == b"set-cookie" and value.startswith(self.prefix) and \
                            b"; secure" not in value.lower():
                        value += b"; Secure"
                    headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secure)
