"""Pausing one source while its API rate budget is spent, without holding up the others.

The pause is kept on the source's row in the store (``sources.paused_until``), so it survives a
restart and is visible in ``triage social status``; the daemon pushes that source's next poll to
the end of the pause, and every other job runs on as usual.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from triage.clock import Clock
from triage.errors import RateLimited
from triage.store.store import Store

log = logging.getLogger(__name__)

DEFAULT_PAUSE = timedelta(minutes=15)
"""Pause used when the API said 'too many requests' without saying until when
(X and Mastodon both count in windows of 15 and 5 minutes; 15 is the safe choice)."""


def active_pause(store: Store, clock: Clock, name: str) -> datetime | None:
    """Return the end of the pause of source ``name`` if it is still running, else None."""
    until = store.paused_until(name)
    if until is None or until <= clock.now():
        return None
    return until


def record_pause(store: Store, clock: Clock, name: str, exc: RateLimited) -> datetime:
    """Save the pause that ``exc`` asks for on source ``name`` and log it; return its end."""
    reset = exc.reset_at if isinstance(exc.reset_at, datetime) else None
    now = clock.now()
    until = reset if reset is not None and reset > now else now + DEFAULT_PAUSE
    store.pause_source(name, until)
    log.warning("source %s: rate budget spent (%s); paused until %s (%d s), other sources "
                "go on", name, exc, until.isoformat(), int((until - now).total_seconds()))
    return until
