"""Reply windows of the chat platforms: how long after the customer's last message a reply is
still accepted, told before sending.

One definition serves the senders, which refuse a reply outside its window before any request
(:meth:`WindowRule.check`), and the review page, which shows how long the window stays open
and makes approval warn first (:class:`ReplyWindows`):

* Messenger: 24 hours (``messaging_type=RESPONSE``); with ``human_agent_tag`` on, a reply
  between 24 hours and 7 days goes out with the ``HUMAN_AGENT`` tag;
* WhatsApp: the 24-hour customer-service window; later only an approved message template;
* Zalo OA: ``reply_window`` (7 days by default) for a consultation message;
* Telegram, Facebook comments, X and Mastodon: no window (None).

The time of the customer's last message comes from the store (they may have written again
since the message being answered).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from triage.clock import Clock
from triage.config.channels import FacebookSettings, WhatsAppSettings, ZaloSettings
from triage.config.sources import SourceSettings
from triage.errors import ReplyRejected
from triage.store.channel_state import last_customer_message_at
from triage.store.store import Store

LastSeen = Callable[[str, str], datetime | None]
"""``(source, sender) -> when the customer last wrote`` (from the store)."""

MESSENGER_ADVICE = ("Messenger only accepts a tagged message now (turn on human_agent_tag if "
                    "your app has Meta's Human Agent permission: up to 7 days) or answer on "
                    "another channel")
WHATSAPP_ADVICE = ("WhatsApp then only delivers an approved message template (create one in "
                   "WhatsApp Manager and send it from there) or answer on another channel")
ZALO_ADVICE = ("Zalo then only delivers a ZBS template message (Zalo Notification Service) "
               "or the customer must write first; answer on another channel")


@dataclass(frozen=True)
class WindowRule:
    """How long a platform accepts a reply after the customer's last message."""

    platform: str
    """As agents know it: ``Messenger``, ``WhatsApp``, ``Zalo``."""
    window: timedelta
    """A reply later than this after the customer's last message is refused."""
    advice: str
    """What the agent can do once the window has closed (shown and in the refusal)."""
    untagged: timedelta | None = None
    """Messenger with the HUMAN_AGENT tag: the standard window; a reply after it (and within
    ``window``) goes out tagged."""

    def state(self, last: datetime | None, now: datetime) -> ReplyWindow:
        """The window as of ``now`` for a customer who last wrote at ``last`` (None:
        unknown)."""
        return ReplyWindow(self, last, now)

    def check(self, last: datetime | None, now: datetime, *, what: str) -> ReplyWindow:
        """Return the window's state; raise ReplyRejected (with the advice) when it has
        closed. An unknown last message passes (the platform then decides)."""
        state = self.state(last, now)
        if state.closed:
            assert state.age is not None
            hours = int(state.age.total_seconds() // 3600)
            raise ReplyRejected(f"{what}: the customer last wrote {hours} h ago, outside the "
                                f"{_span(self.window)} reply window; {self.advice}")
        return state


@dataclass(frozen=True)
class ReplyWindow:
    """A reply window as of ``now``; ``str()`` says it for an agent."""

    rule: WindowRule
    last: datetime | None
    """When the customer last wrote (None: no message of theirs is stored)."""
    now: datetime

    @property
    def age(self) -> timedelta | None:
        """How long ago the customer last wrote."""
        return None if self.last is None else self.now - self.last

    @property
    def closes_at(self) -> datetime | None:
        """When the last reply is accepted (None: unknown)."""
        return None if self.last is None else self.last + self.rule.window

    @property
    def closed(self) -> bool:
        """The platform refuses a reply now."""
        return self.age is not None and self.age > self.rule.window

    @property
    def tagged(self) -> bool:
        """Open only for a tagged message (Messenger's HUMAN_AGENT tag)."""
        limit = self.rule.untagged
        return (limit is not None and self.age is not None and not self.closed
                and self.age > limit)

    def __str__(self) -> str:
        p = self.rule.platform
        if self.last is None or self.age is None or self.closes_at is None:
            return f"Reply window: unknown (no message of this customer stored); {p} decides"
        if self.closed:
            return (f"Reply window: closed {_duration(self.now - self.closes_at)} ago "
                    f"({_span(self.rule.window)} window); {self.rule.advice}")
        left = _duration(self.closes_at - self.now)
        if self.tagged:
            assert self.rule.untagged is not None
            return (f"Reply window: the {_span(self.rule.untagged)} window closed; {p} takes "
                    f"the reply with the HUMAN_AGENT tag, which closes in {left}")
        return f"Reply window: closes in {left} ({p}: {_span(self.rule.window)} window)"


def _span(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{int(hours)}-hour" if hours < 48 else f"{int(hours // 24)}-day"


def _duration(d: timedelta) -> str:
    """``40 min``, ``3 h``, ``5 days`` (rounded down: never more time than is left)."""
    minutes = max(int(d.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


MESSENGER = WindowRule("Messenger", timedelta(hours=24), MESSENGER_ADVICE)
MESSENGER_TAGGED = WindowRule(
    "Messenger", timedelta(days=7), "the HUMAN_AGENT tag allows 7 days only; answer on "
    "another channel", untagged=MESSENGER.window)
WHATSAPP = WindowRule("WhatsApp", timedelta(hours=24), WHATSAPP_ADVICE)


def messenger_rule(human_agent_tag: bool) -> WindowRule:
    """Messenger's window: 24 hours, or 7 days with the HUMAN_AGENT tag."""
    return MESSENGER_TAGGED if human_agent_tag else MESSENGER


def zalo_rule(window: timedelta) -> WindowRule:
    """Zalo's window for consultation messages (``reply_window``)."""
    return WindowRule("Zalo", window, ZALO_ADVICE)


def rule_for(settings: SourceSettings | None, private: bool) -> WindowRule | None:
    """The window a reply to a stored message of source ``settings`` must fit in (``private``:
    the message's stored flag, a Messenger chat rather than a Page comment), or None when the
    platform has none (Telegram, a Facebook comment, X, Mastodon)."""
    if isinstance(settings, FacebookSettings):
        return messenger_rule(settings.human_agent_tag) if private else None
    if isinstance(settings, WhatsAppSettings):
        return WHATSAPP
    if isinstance(settings, ZaloSettings):
        return zalo_rule(settings.reply_window)
    return None


def store_last_seen(store: Store) -> LastSeen:
    """When a customer last wrote to a source, from ``store`` (what the senders check)."""
    def last_seen(source: str, sender: str) -> datetime | None:
        return last_customer_message_at(store, source, sender)
    return last_seen


class ReplyWindows:
    """The reply window of a stored message, for the review page and approval."""

    def __init__(self, sources: Sequence[SourceSettings], last_seen: LastSeen,
                 clock: Clock) -> None:
        self.sources: Mapping[str, SourceSettings] = {s.name: s for s in sources}
        self.last_seen = last_seen
        self.clock = clock

    def of(self, message: Mapping[str, object]) -> ReplyWindow | None:
        """The window of a reply to ``message`` (a stored row) as of now, or None when its
        channel has none (e-mail, X, Mastodon, Telegram, comments) or its source is gone."""
        if message.get("channel") != "social" or message.get("is_auto"):
            return None
        source = str(message.get("source") or "")
        rule = rule_for(self.sources.get(source), bool(message.get("private")))
        if rule is None:
            return None
        return rule.state(self.last_seen(source, str(message.get("sender") or "")),
                          self.clock.now())
