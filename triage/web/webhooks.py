"""Webhook endpoints of the chat platforms, served by the review page's server.

``/webhooks/facebook/<source>`` and ``/webhooks/whatsapp/<source>`` answer Meta's subscription
handshake (``hub.verify_token``) and take deliveries signed with ``X-Hub-Signature-256``;
``/webhooks/zalo/<source>`` takes deliveries signed with ``X-ZEvent-Signature``. A delivery is
only verified and kept in the store; the source reads it back on its next poll, so a delivery
is acknowledged within the platforms' few seconds whatever the daemon is doing. A delivery
with a wrong or missing signature is refused (403) and logged without its body or any secret.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from triage.clients.meta import verify_hub_signature
from triage.clients.zalo import verify_zalo_signature
from triage.store.channel_state import add_webhook_event

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks")

MAX_BODY = 1_000_000
"""Largest delivery accepted (Meta and Zalo send a few kilobytes)."""
WEBHOOK_TYPES = {"facebook": "facebook", "whatsapp": "whatsapp", "zalo": "zalo"}
"""URL platform -> source type."""


def _source(request: Request, platform: str, name: str) -> Any | None:
    """The settings of an enabled source ``name`` of ``platform`` taking webhooks, or None."""
    app = request.app.state.triage
    for src in app.settings.sources:
        if src.name == name and src.type == WEBHOOK_TYPES.get(platform) and src.enabled and \
                getattr(src, "webhook", True):
            return src
    return None


def _secret(request: Request, env_name: str) -> str:
    return str(request.app.state.triage.environ.get(env_name, "")) if env_name else ""


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.get("/{platform}/{name}")
def verify_subscription(platform: str, name: str, request: Request) -> Response:
    """Meta's handshake: echo ``hub.challenge`` when ``hub.verify_token`` is ours (else 403)."""
    src = _source(request, platform, name)
    if src is None or platform == "zalo":
        return PlainTextResponse("no such webhook", status_code=404)
    q = request.query_params
    want = _secret(request, getattr(src, "verify_token_env", ""))
    got = q.get("hub.verify_token", "")
    if q.get("hub.mode") != "subscribe" or not want or \
            not hmac.compare_digest(want.encode(), got.encode()):
        log.warning("webhook %s/%s: subscription handshake refused (wrong verify token, from "
                    "%s)", platform, name, _client(request))
        return PlainTextResponse("verify token mismatch", status_code=403)
    log.info("webhook %s/%s: subscription verified", platform, name)
    return PlainTextResponse(q.get("hub.challenge", ""))


@router.post("/{platform}/{name}")
async def deliver(platform: str, name: str, request: Request) -> Response:
    """Verify one delivery's signature and keep it for the source; 200 once it is kept."""
    src = _source(request, platform, name)
    if src is None:
        return JSONResponse({"detail": "no such webhook"}, status_code=404)
    body = await request.body()
    if len(body) > MAX_BODY:
        log.warning("webhook %s/%s: refused a delivery of %d bytes (limit %d)", platform, name,
                    len(body), MAX_BODY)
        return JSONResponse({"detail": "too large"}, status_code=413)
    if platform == "zalo":
        ok = verify_zalo_signature(_secret(request, src.oa_secret_env), body,
                                   request.headers.get("x-zevent-signature"))
        header = "X-ZEvent-Signature"
    else:
        ok = verify_hub_signature(_secret(request, src.app_secret_env), body,
                                  request.headers.get("x-hub-signature-256"))
        header = "X-Hub-Signature-256"
    if not ok:
        log.warning("webhook %s/%s: refused a delivery of %d bytes from %s: %s is missing or "
                    "does not match", platform, name, len(body), _client(request), header)
        return JSONResponse({"detail": "bad signature"}, status_code=403)
    store = request.app.state.triage.store
    event_id = await run_in_threadpool(add_webhook_event, store, name, body)
    log.info("webhook %s/%s: delivery %s kept (%d bytes)", platform, name,
             event_id if event_id is not None else "repeated, already", len(body))
    return JSONResponse({"ok": True})
