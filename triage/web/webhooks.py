"""Webhook endpoints of the chat platforms, served by the review page's server.

``/webhooks/facebook/<source>`` and ``/webhooks/whatsapp/<source>`` answer Meta's subscription
handshake (``hub.verify_token``) and take deliveries signed with ``X-Hub-Signature-256``;
``/webhooks/zalo/<source>`` takes deliveries signed with ``X-ZEvent-Signature``. A delivery is
only verified and kept in the store; the source reads it back on its next poll, so a delivery
is acknowledged within the platforms' few seconds whatever the daemon is doing. A delivery
with a wrong or missing signature is refused (403) and logged without its body or any secret.
The endpoints and their secrets are handed in (``WebParts.webhooks``, made by
:func:`webhook_endpoints` in the composition root); nothing here builds a collaborator.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from triage.clients.meta import verify_hub_signature
from triage.clients.zalo import verify_zalo_signature
from triage.store.channel_state import add_webhook_event
from triage.web.parts import WebhookEndpoint, WebParts, parts

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks")

MAX_BODY = 1_000_000
"""Largest delivery accepted (Meta and Zalo send a few kilobytes)."""
PARTS = Depends(parts)


def webhook_endpoints(sources: list[Any],
                      environ: Mapping[str, str]) -> dict[tuple[str, str], WebhookEndpoint]:
    """The webhook endpoints of the enabled chat sources that take deliveries, with their
    secrets read from ``environ`` (a secret not set means every delivery is refused)."""
    out: dict[tuple[str, str], WebhookEndpoint] = {}
    for src in sources:
        if not src.enabled or src.type not in ("facebook", "whatsapp", "zalo") or \
                not getattr(src, "webhook", True):
            continue
        key = src.oa_secret_env if src.type == "zalo" else src.app_secret_env
        verify = getattr(src, "verify_token_env", "")
        out[(src.type, src.name)] = WebhookEndpoint(
            src.type, src.name, environ.get(key, "") if key else "",
            environ.get(verify, "") if verify else "")
    return out


def _client(request: Request) -> str:
    """The sender's address as the review page reads it: through ``[web] trusted_proxies``
    (a forwarded address is believed only from a trusted proxy)."""
    proxies = getattr(request.app.state, "proxies", None)
    if proxies is not None:
        return str(proxies.client(request))
    return request.client.host if request.client else "?"


@router.get("/{platform}/{name}")
def verify_subscription(platform: str, name: str, request: Request,
                        web: WebParts = PARTS) -> Response:
    """Meta's handshake: echo ``hub.challenge`` when ``hub.verify_token`` is ours (else 403)."""
    hook = web.webhooks.get((platform, name))
    if hook is None or platform == "zalo":
        return PlainTextResponse("no such webhook", status_code=404)
    q = request.query_params
    got = q.get("hub.verify_token", "")
    if q.get("hub.mode") != "subscribe" or not hook.verify_token or \
            not hmac.compare_digest(hook.verify_token.encode(), got.encode()):
        log.warning("webhook %s/%s: subscription handshake refused (wrong verify token, from "
                    "%s)", platform, name, _client(request))
        return PlainTextResponse("verify token mismatch", status_code=403)
    log.info("webhook %s/%s: subscription verified", platform, name)
    return PlainTextResponse(q.get("hub.challenge", ""))


@router.post("/{platform}/{name}")
async def deliver(platform: str, name: str, request: Request,
                  web: WebParts = PARTS) -> Response:
    """Verify one delivery's signature and keep it for the source; 200 once it is kept."""
    hook = web.webhooks.get((platform, name))
    if hook is None:
        return JSONResponse({"detail": "no such webhook"}, status_code=404)
    body = await request.body()
    if len(body) > MAX_BODY:
        log.warning("webhook %s/%s: refused a delivery of %d bytes (limit %d)", platform, name,
                    len(body), MAX_BODY)
        return JSONResponse({"detail": "too large"}, status_code=413)
    if platform == "zalo":
        header = "X-ZEvent-Signature"
        ok = verify_zalo_signature(hook.signing_secret, body, request.headers.get(header))
    else:
        header = "X-Hub-Signature-256"
        ok = verify_hub_signature(hook.signing_secret, body, request.headers.get(header))
    if not ok:
        log.warning("webhook %s/%s: refused a delivery of %d bytes from %s: %s is missing or "
                    "does not match", platform, name, len(body), _client(request), header)
        return JSONResponse({"detail": "bad signature"}, status_code=403)
    event_id = await run_in_threadpool(add_webhook_event, web.store, name, body)
    log.info("webhook %s/%s: delivery %s kept (%d bytes)", platform, name,
             event_id if event_id is not None else "repeated, already", len(body))
    return JSONResponse({"ok": True})
