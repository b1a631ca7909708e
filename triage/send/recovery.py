"""In-doubt replies: rows a crash left half-sent, and what the operator may do with outbox rows.

A row is claimed (``pending`` -> ``sending``) before its sender is called. If the daemon dies
between the claim and recording the result, nobody knows whether the reply went out, so the
row is never sent again automatically. ``recover`` (run by every full drain, so at daemon
start and then every ``send.drain_interval``) marks such rows ``in_doubt`` once their daemon
is known to be gone (a dead process on this machine) or their claim is older than
``send.in_doubt_after``. A sender that can look up whether a reply is out (``sent_copy``:
X and Mastodon) settles its in-doubt rows to ``sent`` or back to ``pending``; email cannot be
checked, so an operator decides with ``triage outbox requeue`` or ``triage outbox cancel``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from triage.errors import NotFound, OutboxError, SendError
from triage.models import OUTBOX_STATUSES, Sender
from triage.store import Store, aware
from triage.store.outbox import reply_of
from triage.store.ownership import Owner

log = logging.getLogger(__name__)

STATUSES = OUTBOX_STATUSES
"""Every status an outbox row can have."""
REQUEUE_FROM = ("in_doubt", "failed")
CANCEL_FROM = ("pending", "in_doubt", "failed")


class Drainer(Protocol):
    """What recovery needs of the outbox (``triage.send.outbox.Outbox``)."""

    store: Store
    senders: Mapping[str, Sender]
    owner: str
    in_doubt_after: timedelta
    alive: Callable[[int], bool]

    def mark_sent(self, row: dict[str, Any], remote_id: str, **detail: Any) -> None:
        """Record ``row`` as sent as ``remote_id``."""


@dataclass
class Recovered:
    """What one recovery did (added to the drain's counts)."""

    in_doubt: int = 0
    resolved: int = 0
    errors: list[str] = field(default_factory=list)


def recover(outbox: Drainer) -> Recovered:
    """Mark abandoned ``sending`` rows in doubt, then settle the in-doubt rows a sender can
    check. Errors are logged and returned; they never stop the drain."""
    out = Recovered()
    try:
        out.in_doubt += len(mark_in_doubt(outbox))
        out.resolved += resolve_in_doubt(outbox)
    except Exception as exc:  # the drain still sends what is pending
        log.exception("outbox recovery failed")
        out.errors.append(f"recovery: {exc}")
    return out


def why_in_doubt(outbox: Drainer, claimed_by: str | None, claimed_at: datetime | None,
                 now: datetime) -> str | None:
    """Why a ``sending`` row claimed by ``claimed_by`` at ``claimed_at`` is in doubt, or None
    while its sender may still be at work."""
    if claimed_at is None:
        return "claimed by a triage without claim tracking (before the upgrade)"
    claimed_at = aware(claimed_at)
    assert claimed_at is not None
    if now - claimed_at >= outbox.in_doubt_after:
        return (f"claimed by {claimed_by or '?'} at {claimed_at.isoformat()}, more "
                f"than {outbox.in_doubt_after} ago, and never finished")
    me, them = Owner.parse(outbox.owner), Owner.parse(claimed_by or "")
    if me is None or them is None or them.instance != me.instance or claimed_by == outbox.owner:
        return None  # another machine's daemon: only the age can tell
    if them.pid == me.pid or not outbox.alive(them.pid):  # our pid now: that process is gone
        return f"the daemon that was sending it ({claimed_by}) stopped before it finished"
    return None


def mark_in_doubt(outbox: Drainer) -> list[int]:
    """Mark the ``sending`` rows whose sender is gone as ``in_doubt``; return their ids."""
    store = outbox.store
    now = store.clock.now()
    marked = []
    for row in store.outbox.sending_rows():
        reason = why_in_doubt(outbox, row["claimed_by"], row["claimed_at"], now)
        if reason is None:
            continue
        if not store.outbox.mark_in_doubt(row["id"], row["claimed_by"], reason):
            continue  # its daemon finished it meanwhile
        marked.append(int(row["id"]))
        log.warning("outbox row %s (message %s) is in doubt: %s; it is not resent "
                    "automatically", row["id"], row["message_id"], reason)
        store.audit("triage", "send_in_doubt", row["message_id"],
                    {"outbox_id": row["id"], "reason": reason})
    return marked


def resolve_in_doubt(outbox: Drainer, limit: int = 20) -> int:
    """Settle in-doubt rows whose sender can tell whether the reply is out (``sent_copy``):
    found -> ``sent``, proven absent -> ``pending``. Return how many were settled."""
    store = outbox.store
    checkable = [ch for ch, snd in outbox.senders.items() if hasattr(snd, "sent_copy")]
    if not checkable:
        return 0
    settled = 0
    unreachable: set[tuple[str, str]] = set()
    for row in store.outbox.in_doubt_rows(checkable, limit):
        where = (row["channel"], str((row["payload"] or {}).get("source") or ""))
        if where in unreachable:
            continue  # one failed look per source and run: spare the API's read budget
        since = row["claimed_at"] or row["created_at"]
        try:
            remote_id = outbox.senders[row["channel"]].sent_copy(  # type: ignore[attr-defined]
                reply_of(row), since)
        except SendError as exc:
            log.info("outbox row %s stays in doubt: cannot check it now (%s)", row["id"], exc)
            unreachable.add(where)
            continue
        except Exception:  # a checker bug: this row stays in doubt, the others go on
            log.exception("checking in-doubt outbox row %s failed", row["id"])
            continue
        if not store.outbox.settle(row["id"], outbox.owner, found=remote_id is not None):
            continue  # an operator acted meanwhile
        settled += 1
        if remote_id is None:
            log.info("outbox row %s was not sent after all; queued again", row["id"])
            store.audit("triage", "requeue_reply", row["message_id"],
                        {"outbox_id": row["id"], "from": "in_doubt", "checked": True})
        else:
            log.info("outbox row %s was sent before the crash as %s", row["id"], remote_id)
            outbox.mark_sent(row, str(remote_id), resolved_in_doubt=True)
    return settled


def _row(store: Store, oid: int) -> dict[str, Any]:
    row = store.outbox.get(oid)
    if row is None:
        raise NotFound(f"no outbox row {oid}; see `triage outbox list`")
    return row


def _check(row: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    if row["status"] not in allowed:
        raise OutboxError(f"outbox row {row['id']} is {row['status']}; only rows that are "
                          f"{' or '.join(allowed)} can be {what}")


def _changed(oid: int, what: str) -> OutboxError:
    return OutboxError(f"outbox row {oid} changed while it was being {what}; look again "
                       "with `triage outbox list`")


def requeue(store: Store, oid: int, actor: str, *, in_doubt_ok: bool = False) -> dict[str, Any]:
    """Queue row ``oid`` (in doubt or failed) for sending again; return it as it was.

    An in-doubt row is only requeued with ``in_doubt_ok`` (the customer may get it twice).
    Raises NotFound or OutboxError.
    """
    row = _row(store, oid)
    if row["status"] == "in_doubt" and not in_doubt_ok:
        raise OutboxError(f"outbox row {oid} is in doubt: the reply may already have reached "
                          "the customer, who would then get it twice; check first (for email "
                          "the Sent folder or the SMTP server's log, Message-ID "
                          f"triage.{row['idempotency_key']}@...), then pass --yes")
    _check(row, REQUEUE_FROM, "requeued")
    if not store.outbox.requeue(oid, row["status"]):
        raise _changed(oid, "requeued")
    store.audit(actor, "requeue_reply", row["message_id"],
                {"outbox_id": oid, "from": row["status"]})
    return row


def cancel(store: Store, oid: int, actor: str) -> dict[str, Any]:
    """Cancel row ``oid`` (pending, in doubt or failed): it is never sent; return it as it
    was. Raises NotFound or OutboxError."""
    row = _row(store, oid)
    _check(row, CANCEL_FROM, "cancelled")
    if not store.outbox.cancel(oid, row["status"]):
        raise _changed(oid, "cancelled")
    store.audit(actor, "cancel_reply", row["message_id"],
                {"outbox_id": oid, "from": row["status"]})
    return row


def counts(store: Store) -> dict[str, int]:
    """Return the number of outbox rows by status (every status, zeros included)."""
    found = store.outbox.counts()
    return {st: found.get(st, 0) for st in STATUSES} | found
