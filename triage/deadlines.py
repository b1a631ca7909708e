"""Response deadlines: targets per channel and category, and the state of each deadline.

Everything here is a pure function of its inputs and of the time it is given, so the
deadline sweep and the tests agree on what "now" means (an injected clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from triage.config import DeadlineSettings


class State(StrEnum):
    """The state of a response deadline."""

    OK = "ok"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"


@dataclass(frozen=True)
class Target:
    """A resolved target: how long we have, and the policy that said so."""

    within: timedelta
    policy: str


class DeadlinePolicy:
    """First-response targets from the ``[deadlines]`` settings (domain norms by default)."""

    def __init__(self, settings: DeadlineSettings) -> None:
        self.settings = settings

    def target(self, channel: str, category: str) -> Target:
        """Return the first-response target for a channel and category."""
        override = self.settings.overrides.get(channel, {}).get(category)
        if override is not None:
            return Target(override, f"{channel}/{category}")
        base = self.settings.social if channel == "social" else self.settings.email
        return Target(base, f"{channel}/default")

    def due_at(self, received_at: datetime, channel: str, category: str) -> tuple[datetime, str]:
        """Return ``(due_at, policy name)`` for a message received at ``received_at``."""
        t = self.target(channel, category)
        return received_at + t.within, t.policy

    def warn_before(self, channel: str) -> timedelta:
        """Return how long before the deadline a message counts as due soon."""
        return self.settings.warn_before.get(channel, timedelta(0))

    def state(self, due_at: datetime, now: datetime, channel: str,
              met_at: datetime | None = None) -> State:
        """Return the state of a deadline at time ``now``."""
        if met_at is not None:
            return State.MET
        if now >= due_at:
            return State.BREACHED
        if now >= due_at - self.warn_before(channel):
            return State.DUE_SOON
        return State.OK
