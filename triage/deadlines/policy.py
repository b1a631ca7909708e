"""Response deadlines: targets per kind, channel, category and priority, counted in a business
calendar, and the state and warnings of each deadline.

Everything here is a pure function of its inputs and of the time it is given, so the
deadline sweep and the tests agree on what "now" means (an injected clock).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from triage.config import DeadlineSettings, parse_duration
from triage.deadlines.calendars import (
    ALWAYS,
    DAYS,
    BusinessCalendar,
    Pause,
    holidays_from_ics,
    parse_spans,
    zone,
)
from triage.deadlines.priority import Prioritizer, PriorityDecision
from triage.models import ThreadContext

NEW_THREAD = ThreadContext()
"""The context of a message that starts its thread."""


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


@dataclass(frozen=True)
class Plan:
    """The deadline planned for one message."""

    kind: str
    priority: str
    due_at: datetime
    policy: str
    reasons: tuple[str, ...] = ()


def build_calendars(settings: DeadlineSettings,
                    resolve_path: Callable[[str], Path] = Path) -> dict[str, BusinessCalendar]:
    """Build every configured calendar (plus the built-in 'always').

    Raises ConfigError when a holiday file cannot be read.
    """
    out = {ALWAYS: BusinessCalendar.always()}
    for name, cfg in settings.calendars.items():
        days: set[date] = set(cfg.holidays)
        if cfg.holidays_ics:
            days |= holidays_from_ics(resolve_path(cfg.holidays_ics))
        week = tuple(parse_spans(cfg.hours.get(d, "")) for d in DAYS)
        out[name] = BusinessCalendar(name, zone(cfg.timezone), week, frozenset(days))
    return out


class DeadlinePolicy:
    """Targets, calendars and warnings from the ``[deadlines]`` settings (domain norms by
    default: email 24 h, social 60 min, around the clock)."""

    def __init__(self, settings: DeadlineSettings,
                 calendars: Mapping[str, BusinessCalendar] | None = None,
                 source_targets: Mapping[str, timedelta] | None = None) -> None:
        """``source_targets``: first-response targets of single sources (a chat source's
        ``first_response``), used instead of the channel's default."""
        self._targets: dict[tuple[str, str, str, str, str], Target] = {}
        self.settings = settings
        self.source_targets = dict(source_targets or {})
        self.calendars = dict(calendars) if calendars is not None else build_calendars(settings)
        self.prioritizer = Prioritizer(settings)

    @property
    def settings(self) -> DeadlineSettings:
        """The ``[deadlines]`` settings in force (replaced whole when an admin saves the
        policies page, which forgets the targets worked out so far)."""
        return self._settings

    @settings.setter
    def settings(self, value: DeadlineSettings) -> None:
        self._settings = value
        self._targets = {}

    # ----------------------------------------------------------------- targets
    def calendar_for(self, channel: str, source: str = "") -> BusinessCalendar:
        """Return the calendar a deadline of ``channel`` (from ``source``) counts in."""
        name = (self.settings.source_calendars.get(source)
                or self.settings.calendar.get(channel, ALWAYS))
        return self.calendars.get(name) or self.calendars[ALWAYS]

    def target(self, channel: str, category: str, kind: str = "first_response",
               priority: str = "normal", source: str = "") -> Target:
        """Return the target for a deadline: the most specific rule, else the channel's
        default or the source's own first-response target (scaled by ``priority_scale``
        unless a rule named the priority)."""
        # every message of a burst asks one of a few questions: each is worked out once per
        # settings (#19; the rules and targets are not changed in place, only replaced)
        key = (channel, category, kind, priority, source)
        known = self._targets.get(key)
        if known is None:
            known = self._targets[key] = self._target(*key)
        return known

    def _target(self, channel: str, category: str, kind: str, priority: str,
                source: str) -> Target:
        best: tuple[int, Any] | None = None
        for rule in self.settings.rules:
            if rule.kind != kind:
                continue
            fields = ((rule.channel, channel), (rule.category, category),
                      (rule.priority, priority))
            if any(want and want != have for want, have in fields):
                continue
            # more fields set wins; on a tie priority > category > channel
            score = sum(8 + (1 << i) for i, (want, _) in enumerate(fields) if want)
            if best is None or score > best[0]:
                best = (score, rule)
        if best is not None:
            rule = best[1]
            name = "/".join(x or "*" for x in (rule.channel, rule.category, rule.priority))
            within = rule.within
            if not rule.priority:
                within = within * self._scale(priority)
            return Target(within, f"{kind}:{name}:{priority}")
        if kind == "resolution":
            within = self.settings.resolution.get(channel, timedelta(0))
            name = f"{channel}/default"
        elif kind == "next_response":
            within = self.settings.next_response.get(channel, self.settings.email)
            name = f"{channel}/default"
        else:
            override = self.settings.overrides.get(channel, {}).get(category)
            if override is not None:
                within, name = override, f"{channel}/{category}"
            elif source in self.source_targets:
                within, name = self.source_targets[source], f"source:{source}"
            else:
                within = self.settings.social if channel == "social" else self.settings.email
                name = f"{channel}/default"
        scale = self._scale(priority)
        policy = name if kind == "first_response" and scale == 1 else f"{kind}:{name}:{priority}"
        return Target(within * scale, policy)

    def has_resolution(self, channel: str, category: str, priority: str) -> bool:
        """True when threads of this channel (category, priority) get a resolution deadline."""
        return channel in self.settings.resolution or any(
            r.kind == "resolution" and r.channel in ("", channel)
            and r.category in ("", category) and r.priority in ("", priority)
            for r in self.settings.rules)

    def resolution_due(self, start: datetime, channel: str, category: str, priority: str,
                       pauses: Sequence[Pause], *, source: str = "") -> tuple[datetime, str]:
        """Return ``(due_at, policy)`` of a thread's resolution, not counting ``pauses``."""
        t = self.target(channel, category, "resolution", priority)
        return self.calendar_for(channel, source).add(start, t.within, pauses), t.policy

    def _scale(self, priority: str) -> float:
        return float(self.settings.priority_scale.get(priority, 1.0))

    def due_at(self, received_at: datetime, channel: str, category: str, *,
               kind: str = "first_response", priority: str = "normal",
               source: str = "") -> tuple[datetime, str]:
        """Return ``(due_at, policy name)`` for a message received at ``received_at``."""
        t = self.target(channel, category, kind, priority, source)
        return self.calendar_for(channel, source).add(received_at, t.within), t.policy

    def plan(self, message: Mapping[str, Any], category: str,
             thread: ThreadContext = NEW_THREAD) -> Plan:
        """Plan the deadline of a stored message (a store row) given its category."""
        decision: PriorityDecision = self.prioritizer.decide(
            category, message.get("sender") or "", message.get("subject") or "",
            message.get("text") or message.get("full_text") or "", thread.unanswered)
        kind = "next_response" if thread.replied_before else "first_response"
        due, policy = self.due_at(message["received_at"], message["channel"], category,
                                  kind=kind, priority=decision.priority,
                                  source=message.get("source") or "")
        return Plan(kind, decision.priority, due, policy, decision.reasons)

    # ---------------------------------------------------------- state, warnings
    def warn_before(self, channel: str) -> timedelta:
        """Return how long before the deadline a message counts as due soon."""
        return self.settings.warn_before.get(channel, timedelta(0))

    def due_soon_until(self, now: datetime, channel: str, source: str = "") -> datetime:
        """Return the latest due time that counts as due soon at ``now``: the instant after
        which more than ``warn_before`` of open calendar time remains. The queue, dashboard,
        status, report and metrics all cut with it (``triage.deadlines.states``)."""
        cal = self.calendar_for(channel, source)
        at = cal.add(now, self.warn_before(channel))
        if cal.is_always_open:
            return at
        # closed time right after that instant adds no open time: still due soon
        for start, _end in cal.open_intervals(at):
            return max(start, at)
        return at  # pragma: no cover - open_intervals raises when it runs out

    def state(self, due_at: datetime, now: datetime, channel: str,
              met_at: datetime | None = None, *, source: str = "") -> State:
        """Return the state of a deadline at time ``now``; due soon is counted in the
        calendar's open time (3 h before a Monday 10:00 deadline is Friday afternoon)."""
        if met_at is not None:
            return State.MET
        if now >= due_at:
            return State.BREACHED
        if due_at <= self.due_soon_until(now, channel, source):
            return State.DUE_SOON
        return State.OK

    def warnings_reached(self, start: datetime, due_at: datetime, now: datetime,
                         channel: str, *, source: str = "") -> list[str]:
        """Return the configured warnings of ``channel`` that have been reached at ``now``
        (in the order configured), plus ``"breached"`` once the deadline has passed.

        ``"3h"`` is reached when 3 h of open time remain; ``"80%"`` when 80 % of the open
        time between ``start`` and ``due_at`` is used. A warning at least as long as the
        whole target never fires.
        """
        if now >= due_at:
            return [*self.settings.warnings.get(channel, []), "breached"]
        cal = self.calendar_for(channel, source)
        total = cal.elapsed(start, due_at)
        if total <= timedelta(0):
            return []
        remaining = cal.elapsed(now, due_at)
        out: list[str] = []
        for w in self.settings.warnings.get(channel, []):
            if w.endswith("%"):
                if (total - remaining) >= total * (float(w[:-1]) / 100):
                    out.append(w)
            else:
                before = parse_duration(w)
                if before < total and remaining <= before:
                    out.append(w)
        return out

    def next_change(self, start: datetime, due_at: datetime, now: datetime, channel: str,
                    *, source: str = "") -> datetime | None:
        """Return when :meth:`state` or :meth:`warnings_reached` next change for a deadline
        (started at ``start``) after ``now``; None when nothing changes any more (breached).

        Every threshold is a point of the open time between ``start`` and ``due_at``; the
        answer is one second early, so a sweep at that instant looks once more rather than
        missing a threshold by a rounding error.
        """
        if now >= due_at:
            return None
        cal = self.calendar_for(channel, source)
        total = cal.elapsed(start, due_at)
        used: list[timedelta] = []
        before = self.warn_before(channel)
        if before > timedelta(0):
            used.append(max(timedelta(0), total - before))
        for w in self.settings.warnings.get(channel, []):
            if w.endswith("%"):
                used.append(total * (float(w[:-1]) / 100))
            elif parse_duration(w) < total:
                used.append(total - parse_duration(w))
        points = [due_at, *(cal.add(start, u) for u in used)]
        future = [p for p in points if p > now]
        return min(future) - timedelta(seconds=1) if future else due_at


def waiting_on_customer(replies: Sequence[datetime], customer: Sequence[datetime],
                        now: datetime) -> tuple[list[Pause], bool]:
    """Return the intervals spent waiting on the customer, and whether we still are.

    Waiting starts at each of our replies and ends at the customer's next message; the last
    one runs until ``now`` when the customer has not written since.
    """
    pauses: list[Pause] = []
    waiting = False
    for r in sorted(replies):
        nxt = next((c for c in sorted(customer) if c > r), None)
        if nxt is None:
            if r < now:
                pauses.append((r, now))
            waiting = True
        else:
            pauses.append((r, nxt))
    return pauses, waiting
