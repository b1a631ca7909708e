"""What the chat senders (Telegram, Facebook, Zalo, WhatsApp) share: reply windows, telling
a refused reply from one to retry, and matching a reply already out after a crash.

Messenger and WhatsApp accept a free-form reply only within 24 hours of the customer's last
message, Zalo within 7 days; the time of that message comes from the store (the customer may
have written again since the message being answered). A reply outside its window is refused
before any request, with the way out in the error text the agent sees on the message page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from triage.errors import (
    ChannelRefused,
    RateLimited,
    ReplyRejected,
    SendError,
    SourceAuthError,
    SourceError,
)

LastSeen = Callable[[str, str], datetime | None]
"""``(source, sender) -> when the customer last wrote`` (from the store)."""

CLOCK_MARGIN = timedelta(minutes=5)
"""Allowance for the platform's clock differing from ours when matching a sent reply."""


def same_text(a: str, b: str) -> bool:
    """Equal up to surrounding and repeated whitespace (platforms trim what they store)."""
    return " ".join(a.split()) == " ".join(b.split())


def id_parts(value: str | None, prefix: str, count: int, what: str) -> list[str]:
    """Split a stored message id ``<prefix>:<p1>:...:<pN>``; raises ReplyRejected when it is
    not one (a reply routed to the wrong channel)."""
    parts = (value or "").split(":", count)  # the last part may hold colons itself
    if len(parts) != count + 1 or parts[0] != prefix or not all(parts[1:]):
        raise ReplyRejected(f"cannot reply on {what}: {value!r} is not a {what} message id")
    return parts[1:]


def check_window(last: datetime | None, now: datetime, window: timedelta, *,
                 what: str, advice: str) -> timedelta | None:
    """Return how long ago the customer last wrote; raise ReplyRejected (with ``advice``)
    when that is longer than ``window``. None: unknown (the platform then decides)."""
    if last is None:
        return None
    age = now - last
    if age > window:
        hours = int(age.total_seconds() // 3600)
        raise ReplyRejected(f"{what}: the customer last wrote {hours} h ago, outside the "
                            f"{_span(window)} reply window; {advice}")
    return age


def _span(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{int(hours)}-hour" if hours < 48 else f"{int(hours // 24)}-day"


@contextmanager
def as_send_errors(what: str) -> Iterator[None]:
    """Turn a client's source errors into send errors: a refusal is permanent
    (ReplyRejected), a rate limit, a credentials problem, a server or network error is
    retried (SendError). SendError (and SendInDoubt) pass unchanged."""
    try:
        yield
    except SendError:
        raise
    except RateLimited as exc:
        raise SendError(f"{exc}; retrying after {exc.reset_at or 'a pause'}") from None
    except SourceAuthError as exc:
        raise SendError(f"{exc} (retried until the credentials are fixed)") from None
    except ChannelRefused as exc:
        raise ReplyRejected(str(exc)) from None
    except SourceError as exc:
        raise SendError(str(exc)) from None
