"""The ``acknowledgements`` table: at most one automatic acknowledgement per thread, and a cap
per recipient and day.

Deciding whether to acknowledge is ``triage.drafting.acks``; this module reserves the row
before the send (so a crash loses at most one acknowledgement and never doubles one) and
records how the send went.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from triage.store import schema as s
from triage.store.base import Aggregate
from triage.store.dberrors import store_error


class Reservation(NamedTuple):
    """The answer to :meth:`Acknowledgements.reserve`."""

    reserved: bool
    thread_done: bool = False
    """The thread was acknowledged already."""
    sent_today: int = 0
    """Acknowledgements to the recipient in the last 24 hours (when the cap refused)."""


class Acknowledgements(Aggregate):
    """Reserves and settles acknowledgement rows."""

    def reserve(self, thread_id: int, message_id: int, recipient: str, rule: str,
                max_per_day: int) -> Reservation:
        """Insert the ``reserved`` row of ``thread_id`` unless the thread was acknowledged or
        ``recipient`` got ``max_per_day`` acknowledgements (not failed) in 24 hours."""
        a = s.acknowledgements
        now = self.clock.now()
        try:
            with self.engine.begin() as c:
                if c.dialect.name == "postgresql":
                    # serialise the per-recipient count across daemons
                    c.execute(text("SELECT pg_advisory_xact_lock(hashtext(:r))"),
                              {"r": recipient})
                if c.execute(select(a.c.id).where(a.c.thread_id == thread_id)).first():
                    return Reservation(False, thread_done=True)
                sent = c.execute(select(func.count()).select_from(a).where(
                    a.c.recipient == recipient, a.c.created_at >= now - timedelta(days=1),
                    a.c.status != "failed")).scalar() or 0
                if sent >= max_per_day:
                    return Reservation(False, sent_today=int(sent))
                c.execute(insert(a).values(thread_id=thread_id, message_id=message_id,
                                           recipient=recipient, rule=rule, status="reserved",
                                           created_at=now))
        except IntegrityError:
            return Reservation(False, thread_done=True)  # another daemon reserved it
        except SQLAlchemyError as exc:
            raise store_error(f"cannot reserve the acknowledgement of thread {thread_id}",
                              exc) from exc
        return Reservation(True)

    def sent(self, thread_id: int, remote_id: str) -> None:
        """Record the thread's acknowledgement sent as ``remote_id``."""
        with self.write(f"cannot record the acknowledgement of thread {thread_id}") as c:
            c.execute(update(s.acknowledgements).where(
                s.acknowledgements.c.thread_id == thread_id).values(
                status="sent", remote_id=remote_id[:998]))

    def failed(self, thread_id: int, error: str) -> None:
        """Record that the thread's acknowledgement could not be sent (never retried)."""
        with self.write(f"cannot record the acknowledgement of thread {thread_id}") as c:
            c.execute(update(s.acknowledgements).where(
                s.acknowledgements.c.thread_id == thread_id).values(
                status="failed", error=error[:2000]))
