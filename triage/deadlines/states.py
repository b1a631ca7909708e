"""The deadline half of the one definition of open, waiting, ok, due soon, breached and met.

:mod:`triage.store.conversations` says what each word means in SQL; the due-soon boundary
needs the business calendars, so it is computed here, once per channel (and per source with a
calendar of its own), and handed to the store as a :class:`StateCut`. The queue, the dashboard,
``triage status``, ``triage report`` and ``/metrics`` call :func:`counts` (or
:func:`state_cut` for the queue's pages) and nothing else.
"""

from __future__ import annotations

from datetime import datetime

from triage.deadlines.policy import DeadlinePolicy
from triage.models import Channel
from triage.store.conversations import Counts, StateCut
from triage.store.store import Store

CHANNELS: tuple[Channel, ...] = ("email", "social")


def state_cut(policy: DeadlinePolicy, now: datetime) -> StateCut:
    """Return the due-soon boundaries of every channel, and of every source with a calendar
    of its own, at ``now``."""
    channels = sorted({*CHANNELS, *policy.settings.calendar, *policy.settings.warn_before})
    return StateCut(now=now, soon={
        (ch, src): policy.due_soon_until(now, ch, src)
        for ch in channels for src in ("", *sorted(policy.settings.source_calendars))})


def counts(store: Store, policy: DeadlinePolicy, now: datetime) -> Counts:
    """Return open, waiting, ok, due soon, breached and met as of ``now``."""
    return store.conversations.counts(state_cut(policy, now))
