"""What the review page is handed: typed collaborators built by the composition root.

The web layer builds none of them. Routes reach them through :func:`parts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request

from triage.clock import Clock
from triage.config import Settings
from triage.deadlines.policy import DeadlinePolicy
from triage.review import ReviewService
from triage.send.outbox import Outbox
from triage.store.store import Store
from triage.web.retrain import Retrainer


@dataclass(frozen=True)
class WebhookEndpoint:
    """One chat source taking webhook deliveries (``/webhooks/<platform>/<source>``)."""

    platform: str
    """``facebook``, ``whatsapp`` or ``zalo``."""
    source: str
    signing_secret: str
    """The app secret (Meta) or OA secret key (Zalo) the deliveries are signed with."""
    verify_token: str = ""
    """What Meta's subscription handshake must present (Meta only)."""

    def __repr__(self) -> str:  # never show a secret, not even in a traceback
        return f"WebhookEndpoint({self.platform}/{self.source})"


@dataclass(frozen=True)
class WebParts:
    """The collaborators of the review page."""

    settings: Settings
    clock: Clock
    store: Store
    """Read models of the pages (``triage.web.queries``), accounts and the audit log."""
    deadlines: DeadlinePolicy
    """Live deadline states and the policies page."""
    review: ReviewService
    """Every agent action (approve, save, discard, assign, resolve, reclassify)."""
    outbox: Outbox
    """The outbox (the admin dashboard lists its rows)."""
    retrainer: Retrainer
    ops_router: APIRouter
    """``/healthz`` and ``/metrics`` of this process."""
    classifier: Callable[[], Any]
    """Returns the loaded model (the models page shows its metrics); raises TriageError when
    it cannot be loaded."""
    webhooks: Mapping[tuple[str, str], WebhookEndpoint] = field(default_factory=dict)
    """The chat platforms' webhooks by ``(platform, source name)`` with their secrets
    (``triage.web.webhooks``)."""


def parts(request: Request) -> WebParts:
    """Return the collaborators of the app serving ``request``."""
    out: WebParts = request.app.state.parts
    return out
