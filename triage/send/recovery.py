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
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from triage.errors import NotFound, OutboxError, SendError
from triage.store import schema as s
from triage.store.leases import Owner
from triage.store.store import Store, aware

if TYPE_CHECKING:
    from triage.send.outbox import DrainStats, Outbox

log = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "sent", "failed", "in_doubt", "cancelled")
"""Every status an outbox row can have."""
REQUEUE_FROM = ("in_doubt", "failed")
CANCEL_FROM = ("pending", "in_doubt", "failed")


def recover(outbox: Outbox, stats: DrainStats) -> None:
    """Mark abandoned ``sending`` rows in doubt, then settle the in-doubt rows a sender can
    check. Errors are logged and counted in ``stats``; they never stop the drain."""
    try:
        stats.in_doubt += len(mark_in_doubt(outbox))
        stats.resolved += resolve_in_doubt(outbox)
    except Exception as exc:  # the drain still sends what is pending
        log.exception("outbox recovery failed")
        stats.errors.append(f"recovery: {exc}")


def why_in_doubt(outbox: Outbox, claimed_by: str | None, claimed_at: datetime | None,
                 now: datetime) -> str | None:
    """Why a ``sending`` row claimed by ``claimed_by`` at ``claimed_at`` is in doubt, or None
    while its sender may still be at work."""
    if claimed_at is None:
        return "claimed by a triage without claim tracking (before the upgrade)"
    if now - aware(claimed_at) >= outbox.in_doubt_after:
        return (f"claimed by {claimed_by or '?'} at {aware(claimed_at).isoformat()}, more "
                f"than {outbox.in_doubt_after} ago, and never finished")
    me, them = Owner.parse(outbox.owner), Owner.parse(claimed_by or "")
    if me is None or them is None or them.instance != me.instance or claimed_by == outbox.owner:
        return None  # another machine's daemon: only the age can tell
    if them.pid == me.pid or not outbox.alive(them.pid):  # our pid now: that process is gone
        return f"the daemon that was sending it ({claimed_by}) stopped before it finished"
    return None


def mark_in_doubt(outbox: Outbox) -> list[int]:
    """Mark the ``sending`` rows whose sender is gone as ``in_doubt``; return their ids."""
    o = s.outbox
    store = outbox.store
    now = store.clock.now()
    with store.engine.connect() as c:
        rows = c.execute(select(o.c.id, o.c.message_id, o.c.claimed_by, o.c.claimed_at)
                         .where(o.c.status == "sending")).all()
    marked = []
    for row in rows:
        reason = why_in_doubt(outbox, row.claimed_by, row.claimed_at, now)
        if reason is None:
            continue
        same_claim = (o.c.claimed_by.is_(None) if row.claimed_by is None
                      else o.c.claimed_by == row.claimed_by)
        with store.engine.begin() as c:
            n = c.execute(update(o).where(o.c.id == row.id, o.c.status == "sending", same_claim)
                          .values(status="in_doubt", last_error=f"in doubt: {reason}")).rowcount
        if n != 1:
            continue  # its daemon finished it meanwhile
        marked.append(int(row.id))
        log.warning("outbox row %s (message %s) is in doubt: %s; it is not resent "
                    "automatically", row.id, row.message_id, reason)
        store.audit("triage", "send_in_doubt", row.message_id,
                    {"outbox_id": row.id, "reason": reason})
    return marked


def resolve_in_doubt(outbox: Outbox, limit: int = 20) -> int:
    """Settle in-doubt rows whose sender can tell whether the reply is out (``sent_copy``):
    found -> ``sent``, proven absent -> ``pending``. Return how many were settled."""
    from triage.send.outbox import reply_of

    o = s.outbox
    store = outbox.store
    checkable = [ch for ch, snd in outbox.senders.items() if hasattr(snd, "sent_copy")]
    if not checkable:
        return 0
    with store.engine.connect() as c:
        rows = [Store._dict(r) for r in c.execute(
            select(o).where(o.c.status == "in_doubt", o.c.channel.in_(checkable))
            .order_by(o.c.id).limit(limit))]
    settled = 0
    unreachable: set[tuple[str, str]] = set()
    for row in rows:
        where = (row["channel"], str((row["payload"] or {}).get("source") or ""))
        if where in unreachable:
            continue  # one failed look per source and run: spare the API's read budget
        since = aware(row["claimed_at"] or row["created_at"])
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
        now = store.clock.now()
        values: dict[str, Any] = {"claimed_by": outbox.owner, "claimed_at": now}
        if remote_id is None:
            values.update(status="pending", next_attempt_at=now,
                          last_error="in doubt, then found not sent: queued again")
        with store.engine.begin() as c:
            n = c.execute(update(o).where(o.c.id == row["id"], o.c.status == "in_doubt")
                          .values(**values)).rowcount
        if n != 1:
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
    with store.engine.connect() as c:
        row = c.execute(select(s.outbox).where(s.outbox.c.id == oid)).first()
    if row is None:
        raise NotFound(f"no outbox row {oid}; see `triage outbox list`")
    return Store._dict(row)


def _move(store: Store, oid: int, allowed: tuple[str, ...], what: str,
          values: dict[str, Any]) -> dict[str, Any]:
    row = _row(store, oid)
    if row["status"] not in allowed:
        raise OutboxError(f"outbox row {oid} is {row['status']}; only rows that are "
                          f"{' or '.join(allowed)} can be {what}")
    o = s.outbox
    with store.engine.begin() as c:
        n = c.execute(update(o).where(o.c.id == oid, o.c.status == row["status"])
                      .values(**values)).rowcount
    if n != 1:
        raise OutboxError(f"outbox row {oid} changed while it was being {what}; look again "
                          "with `triage outbox list`")
    return row


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
    row = _move(store, oid, REQUEUE_FROM, "requeued",
                {"status": "pending", "attempts": 0, "next_attempt_at": store.clock.now()})
    store.audit(actor, "requeue_reply", row["message_id"],
                {"outbox_id": oid, "from": row["status"]})
    return row


def cancel(store: Store, oid: int, actor: str) -> dict[str, Any]:
    """Cancel row ``oid`` (pending, in doubt or failed): it is never sent; return it as it
    was. Raises NotFound or OutboxError."""
    row = _move(store, oid, CANCEL_FROM, "cancelled", {"status": "cancelled"})
    store.audit(actor, "cancel_reply", row["message_id"],
                {"outbox_id": oid, "from": row["status"]})
    return row


def counts(store: Store) -> dict[str, int]:
    """Return the number of outbox rows by status (every status, zeros included)."""
    o = s.outbox
    with store.engine.connect() as c:
        found = {str(k): int(n) for k, n in c.execute(
            select(o.c.status, func.count()).group_by(o.c.status))}
    return {st: found.get(st, 0) for st in STATUSES} | found
