"""The outbox: approved replies wait here until a sender delivers them.

Approving a draft enqueues one row keyed by an idempotency key (message and draft), so
approving twice queues one reply. A drain claims a row (``pending`` -> ``sending``) in its own
transaction before sending, recording who claimed it and when, so two daemons never send the
same row. A row left in ``sending`` by a crash is never sent again automatically: each drain
first marks such rows ``in_doubt`` (their daemon is gone, or the claim is older than
``send.in_doubt_after``) and resolves the ones whose sender can tell whether the reply went
out (see ``triage.send.recovery``); an operator decides the rest (``triage outbox``). The
Message-ID is derived from the key, so the receiving side can recognise a duplicate too.
Failures are retried with capped exponential backoff; a permanent failure or the last attempt
marks the row ``failed``. A sent reply marks the message's deadline met and writes the audit
log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from triage.backoff import backoff_delay, no_jitter
from triage.errors import PermanentSendError, SendError, SendInDoubt
from triage.models import OutgoingReply, Sender
from triage.send.recovery import recover
from triage.store import Store
from triage.store.outbox import reply_of
from triage.store.ownership import pid_alive

__all__ = ["DrainStats", "Outbox", "OutboxSender", "idempotency_key", "reply_of"]

log = logging.getLogger(__name__)


def idempotency_key(message_id: int, draft_id: int) -> str:
    """Return the key of the reply made from ``draft_id`` to ``message_id``."""
    return f"m{message_id}-d{draft_id}"


@dataclass
class DrainStats:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    in_doubt: int = 0
    """Rows newly marked in doubt (left ``sending`` by a dead daemon, or a broken send)."""
    resolved: int = 0
    """In-doubt rows a sender could settle (found sent, or proven not sent and requeued)."""
    errors: list[str] = field(default_factory=list)


class Outbox:
    """Queue of approved replies in the store, drained by the daemon (or right after approve)."""

    def __init__(self, store: Store, senders: Mapping[str, Sender], *, max_attempts: int = 8,
                 retry_base: timedelta = timedelta(seconds=30),
                 retry_max: timedelta = timedelta(hours=1), owner: str = "",
                 in_doubt_after: timedelta = timedelta(minutes=10),
                 alive: Callable[[int], bool] = pid_alive) -> None:
        """``owner`` names this daemon process (``instance:pid:token``, see
        ``triage.store.ownership.Owner``) on the rows it claims; ``in_doubt_after`` is how old
        a claim of another daemon must be before its row counts as in doubt; ``alive`` tells
        whether a process of this machine still runs."""
        self.store = store
        self.senders = dict(senders)
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.owner = owner
        self.in_doubt_after = in_doubt_after
        self.alive = alive

    def enqueue(self, reply: OutgoingReply, *, draft_id: int | None, actor: str) -> int:
        """Queue ``reply``; return the outbox row id (the existing one for a known key)."""
        oid, new = self.store.outbox.enqueue(reply, draft_id, actor)
        if new:
            self.store.audit(actor, "enqueue_reply", reply.message_id,
                             {"outbox_id": oid, "key": reply.idempotency_key})
        return oid

    def rows(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Return outbox rows, newest first (optionally only those with ``status``)."""
        return self.store.outbox.rows(status, limit)

    def drain(self, limit: int = 100, only_ids: list[int] | None = None) -> DrainStats:
        """Send every due pending reply (at most ``limit``); one failure never stops the rest.

        A full drain (no ``only_ids``) first marks rows left ``sending`` by a dead daemon as
        in doubt and settles the in-doubt rows whose sender can tell (``recover``).
        """
        stats = DrainStats()
        if only_ids is None:
            found = recover(self)
            stats.in_doubt += found.in_doubt
            stats.resolved += found.resolved
            stats.errors.extend(found.errors)
        for oid in self.store.outbox.due_ids(limit, only_ids):
            row = self.store.outbox.claim(oid, self.owner)
            if row is not None:  # else another drain took it
                self._send_one(row, stats)
        return stats

    def _send_one(self, row: dict[str, Any], stats: DrainStats) -> None:
        reply = reply_of(row)
        sender = self.senders.get(row["channel"])
        try:
            if sender is None:
                raise PermanentSendError(
                    f"no sender for channel {row['channel']!r}; configure one under [send]")
            remote_id = sender.send(reply)
        except SendInDoubt as exc:
            self._in_doubt(row, str(exc), stats)
            return
        except PermanentSendError as exc:
            self._failed(row, str(exc), permanent=True, stats=stats)
            return
        except SendError as exc:
            self._failed(row, str(exc), permanent=False, stats=stats)
            return
        except Exception as exc:  # a sender bug: contained to this reply, retried
            log.exception("sender crashed on outbox row %s", row["id"])
            self._failed(row, f"{type(exc).__name__}: {exc}", permanent=False, stats=stats)
            return
        self.mark_sent(row, str(remote_id))
        stats.sent += 1

    def mark_sent(self, row: dict[str, Any], remote_id: str, **detail: Any) -> None:
        """Record ``row`` as sent as ``remote_id``: its draft sent, the deadline met (unless
        it is an automatic acknowledgement), an audit line with ``detail``."""
        # an automatic acknowledgement is not the team's first response
        ack = (row["payload"].get("extra") or {}).get("kind") == "acknowledgement"
        self.store.outbox.mark_sent(row, remote_id, meet_deadline=not ack)
        self.store.audit(row["actor"] or "triage", "send", row["message_id"],
                         {"outbox_id": row["id"], "remote_id": remote_id,
                          "channel": row["channel"], "attempt": row["attempts"], **detail})

    def _in_doubt(self, row: dict[str, Any], error: str, stats: DrainStats) -> None:
        self.store.outbox.set_in_doubt(row["id"], error)
        stats.in_doubt += 1
        stats.errors.append(f"outbox {row['id']}: {error}")
        log.warning("outbox row %s (message %s) is in doubt, not retried: %s", row["id"],
                    row["message_id"], error)
        self.store.audit("triage", "send_in_doubt", row["message_id"],
                         {"outbox_id": row["id"], "error": error[:500],
                          "attempt": row["attempts"]})

    def _failed(self, row: dict[str, Any], error: str, *, permanent: bool,
                stats: DrainStats) -> None:
        give_up = permanent or row["attempts"] >= self.max_attempts
        retry_at = None
        if give_up:
            stats.failed += 1
        else:
            retry_at = self.store.clock.now() + backoff_delay(
                row["attempts"], self.retry_base, self.retry_max, no_jitter)
            stats.retried += 1
        self.store.outbox.record_failure(row["id"], error, retry_at)
        stats.errors.append(f"outbox {row['id']}: {error}")
        log.warning("outbox row %s (message %s) attempt %d failed%s: %s", row["id"],
                    row["message_id"], row["attempts"], "; giving up" if give_up else "", error)
        self.store.audit("triage", "send_failed", row["message_id"],
                         {"outbox_id": row["id"], "error": error[:500],
                          "attempt": row["attempts"], "final": give_up})


class OutboxSender:
    """A Sender that queues into the outbox (retries, idempotency) instead of sending now.

    Automatic acknowledgements go out this way through the same SMTP/X/Mastodon senders as
    approved replies; the idempotency key keeps a retried acknowledgement single.
    """

    def __init__(self, outbox: Outbox, actor: str = "triage-ack") -> None:
        self.outbox = outbox
        self.actor = actor

    def send(self, reply: OutgoingReply) -> str:
        """Queue ``reply``; return ``outbox:<row id>``."""
        return f"outbox:{self.outbox.enqueue(reply, draft_id=None, actor=self.actor)}"
