"""Claims: daemons sharing one store split the messages waiting to be processed.

``claim(n)`` marks up to ``n`` waiting messages as ours for ``ttl`` in one statement. On
PostgreSQL the candidate rows are picked with ``FOR UPDATE SKIP LOCKED``, so concurrent
daemons never wait for each other and never pick the same row. SQLite serialises writers, so
the same single ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)`` is atomic there.

A claim only spreads the work: the exactly-once guarantee is ``Store.save_processing``, which
flips ``new`` to ``processed`` in the transaction that writes the results. A claim of a daemon
that died expires after ``ttl``, or at once when the dead daemon ran on this machine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from triage.clock import Clock
from triage.store import schema as s
from triage.store.dberrors import store_error
from triage.store.leases import Owner, dead_owners, pid_alive

log = logging.getLogger(__name__)


class Claims:
    """Claims waiting messages for one daemon process (``owner``)."""

    def __init__(self, engine: Engine, owner: Owner, ttl: timedelta, clock: Clock,
                 alive: Callable[[int], bool] = pid_alive) -> None:
        self.engine = engine
        self.owner = owner
        self.ttl = ttl
        self.clock = clock
        self.alive = alive
        self.skip_locked = engine.dialect.name == "postgresql"

    def claim(self, limit: int) -> list[int]:
        """Claim up to ``limit`` waiting messages, oldest first; return their ids.

        Messages already claimed by us are returned again (their claim renewed). Raises
        StoreError.
        """
        m = s.messages
        me = self._me()
        now = self.clock.now()
        try:
            with self.engine.begin() as c:
                holders = [r[0] for r in c.execute(
                    select(m.c.claim_owner).where(m.c.status == "new",
                                                  m.c.claim_owner.is_not(None))
                    .group_by(m.c.claim_owner))]
                dead = dead_owners(self.owner, holders, self.alive)
                pick = (select(m.c.id).where(
                    m.c.status == "new",
                    or_(m.c.claim_owner.is_(None), m.c.claim_owner == me,
                        m.c.claim_until.is_(None), m.c.claim_until < now,
                        m.c.claim_owner.in_(dead)))
                    .order_by(m.c.id).limit(limit))
                if self.skip_locked:
                    pick = pick.with_for_update(skip_locked=True)
                rows = c.execute(update(m).where(m.c.id.in_(pick.scalar_subquery()))
                                 .values(claim_owner=me, claim_until=now + self.ttl)
                                 .returning(m.c.id))
                ids = sorted(int(r[0]) for r in rows)
        except SQLAlchemyError as exc:
            raise store_error("cannot claim messages to process", exc) from exc
        if dead:
            log.info("took over the messages of dead daemon(s) %s", ", ".join(dead))
        return ids

    def _me(self) -> str:
        # one claim identity per thread: the daemon's poll jobs run in a thread pool, and two
        # threads of one process must not be handed the same batch (they would both classify
        # it). The process part (instance:pid) still tells other daemons whether we are alive.
        return f"{self.owner}.t{threading.get_ident()}"

    def release(self, ids: Sequence[int] | None = None) -> None:
        """Give back this process's claims (all, or on ``ids``) on messages still waiting."""
        m = s.messages
        q = update(m).where(m.c.claim_owner.startswith(f"{self.owner}.", autoescape=True),
                            m.c.status == "new")
        if ids is not None:
            q = q.where(m.c.id.in_(list(ids)))
        with self.engine.begin() as c:
            c.execute(q.values(claim_owner=None, claim_until=None))
