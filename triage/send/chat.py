"""What the chat senders (Telegram, Facebook, Zalo, WhatsApp) share: telling a refused reply
from one to retry, and matching a reply already out after a crash.

The reply windows (Messenger and WhatsApp 24 hours, Zalo 7 days) are in
:mod:`triage.send.window`, shared with the review page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from triage.errors import (
    ChannelRefused,
    RateLimited,
    ReplyRejected,
    SendError,
    SourceAuthError,
    SourceError,
)

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
