"""Owned rows with a TTL: what lets several daemons share one store.

Three kinds of row carry an owner and an expiry, and one rule says when they are free:
nobody holds them, their time ran out (the holder stopped renewing), or the holder is a dead
process on this very machine (a restarted daemon takes its predecessor's rows back at once
instead of waiting out the expiry; message claims within seconds, see :class:`Claims`). See
:func:`free_for`.

- **Source leases** (``sources.lease_owner/lease_until``): one daemon at a time polls a source.
- **Job leases** (``job_leases``): a singleton job (sweep, retention, retrain) runs in one
  daemon at a time.
- **Message claims** (``message_claims``, a narrow row per claimed waiting message): daemons
  split the messages waiting to be processed. ``claim(n)`` takes up to ``n`` of them in one
  ``INSERT ... SELECT ... ON CONFLICT (message_id) DO UPDATE ... WHERE <free>``; on
  PostgreSQL the messages are picked with ``FOR NO KEY UPDATE SKIP LOCKED`` so daemons never
  wait for each other, and SQLite serialises writers. The flip to ``processed`` deletes the
  claim and records its holder in ``messages.claim_owner``. A claim only spreads the work:
  exactly-once is ``Processing.save_processing_many``, which flips ``new`` to ``processed``.

Leases are taken with one conditional UPDATE and claims with one conditional upsert, so on
SQLite and PostgreSQL alike two daemons can never both win a row (a claim row another daemon
committed meanwhile is updated only when the condition holds for it). Owners are strings
``instance:pid:token``: the instance name (host name by default), the process id and a random
token, so every daemon process is a distinct owner.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from triage.clock import Clock
from triage.errors import LeaseLost
from triage.models import FetchResult
from triage.store import schema as s
from triage.store.dberrors import store_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Owner:
    """Who holds a lease or claim: instance name, process id and a per-process token."""

    instance: str
    pid: int
    token: str

    def __str__(self) -> str:
        return f"{self.instance}:{self.pid}:{self.token}"

    @classmethod
    def for_this_process(cls, instance: str = "") -> Owner:
        """Return a new owner for the current process (``instance`` defaults to the host)."""
        return cls(instance or socket.gethostname(), os.getpid(), secrets.token_hex(4))

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        """Parse ``instance:pid:token``; return None for anything else."""
        instance, _, rest = text.rpartition(":")
        instance, _, pid = instance.rpartition(":")
        if not instance or not pid.isdigit():
            return None
        return cls(instance, int(pid), rest)


def pid_alive(pid: int) -> bool:
    """Return True when a process with ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def dead_owners(me: Owner, owners: Iterable[str | None],
                alive: Callable[[int], bool] = pid_alive) -> list[str]:
    """Return the owners among ``owners`` that are processes of this instance that died.

    Only owners of the same instance name (the same machine) can be checked; others are
    left to expire.
    """
    out = []
    for text in owners:
        if not text or text == str(me):
            continue
        o = Owner.parse(text)
        if o is not None and o.instance == me.instance and o.pid != me.pid and not alive(o.pid):
            out.append(text)
    return out


def free_for(owner_col: Any, until_col: Any, me: str, now: datetime,
             dead: Sequence[str]) -> ColumnElement[bool]:
    """The condition under which ``me`` may take a row: nobody holds it, we do, its time
    ran out, or its holder is one of the ``dead`` processes of this machine."""
    return or_(owner_col.is_(None), owner_col == me, until_col.is_(None), until_col < now,
               owner_col.in_(list(dead)))


class Leases:
    """Takes, renews and releases leases for one daemon process (``owner``)."""

    def __init__(self, engine: Engine, owner: Owner, ttl: timedelta, clock: Clock,
                 alive: Callable[[int], bool] = pid_alive) -> None:
        self.engine = engine
        self.owner = owner
        self.ttl = ttl
        self.clock = clock
        self.alive = alive

    # ----------------------------------------------------------------- sources
    def acquire_source(self, name: str) -> bool:
        """Take or renew the lease on source ``name``; return True when we hold it now.

        The source row must exist (``Messages.ensure_source``). Raises StoreError.
        """
        t = s.sources
        me = str(self.owner)
        now = self.clock.now()
        try:
            with self.engine.begin() as c:
                row = c.execute(select(t.c.lease_owner).where(t.c.name == name)).first()
                if row is None:
                    return False
                dead = dead_owners(self.owner, [row[0]], self.alive)
                won = c.execute(update(t).where(
                    t.c.name == name, free_for(t.c.lease_owner, t.c.lease_until, me, now, dead),
                ).values(lease_owner=me, lease_until=now + self.ttl)).rowcount
        except SQLAlchemyError as exc:
            raise store_error(f"cannot take the lease on source {name!r}", exc) from exc
        if won and row[0] not in (None, me):
            log.info("source %s: lease taken over from %s", name, row[0])
        return bool(won)

    def renew_held(self) -> int:
        """Renew every source lease this daemon holds (a heartbeat between polls); return
        how many. Without it, a source polled less often than the lease lasts would pass
        from daemon to daemon at every poll."""
        t = s.sources
        try:
            with self.engine.begin() as c:
                return int(c.execute(update(t).where(t.c.lease_owner == str(self.owner))
                                     .values(lease_until=self.clock.now() + self.ttl)).rowcount)
        except SQLAlchemyError as exc:
            raise store_error("cannot renew the source leases", exc) from exc

    # -------------------------------------------------------------------- jobs
    def acquire_job(self, name: str, ttl: timedelta | None = None) -> bool:
        """Take or renew the lease of singleton job ``name``; True when we hold it now."""
        t = s.job_leases
        me = str(self.owner)
        now = self.clock.now()
        until = now + (ttl or self.ttl)
        try:
            try:
                with self.engine.begin() as c:
                    c.execute(insert(t).values(name=name, owner=me, until=until,
                                               last_run_at=None))
                return True
            except IntegrityError:
                pass  # the row exists: compete for it below
            with self.engine.begin() as c:
                row = c.execute(select(t.c.owner).where(t.c.name == name)).first()
                dead = dead_owners(self.owner, [row[0] if row else None], self.alive)
                won = c.execute(update(t).where(
                    t.c.name == name, free_for(t.c.owner, t.c.until, me, now, dead),
                ).values(owner=me, until=until)).rowcount
        except SQLAlchemyError as exc:
            raise store_error(f"cannot take the lease of job {name!r}", exc) from exc
        return bool(won)

    def job_ran(self, name: str) -> None:
        """Record that job ``name`` just ran under our lease."""
        t = s.job_leases
        try:
            with self.engine.begin() as c:
                c.execute(update(t).where(t.c.name == name, t.c.owner == str(self.owner))
                          .values(last_run_at=self.clock.now()))
        except SQLAlchemyError as exc:
            raise store_error(f"cannot record the run of job {name!r}", exc) from exc

    def release_all(self) -> None:
        """Give up every source and job lease we hold (on a clean shutdown)."""
        me = str(self.owner)
        try:
            with self.engine.begin() as c:
                c.execute(update(s.sources).where(s.sources.c.lease_owner == me)
                          .values(lease_owner=None, lease_until=None))
                c.execute(update(s.job_leases).where(s.job_leases.c.owner == me)
                          .values(owner=None, until=None))
        except SQLAlchemyError as exc:
            raise store_error("cannot release the leases", exc) from exc

    def singleton(self, name: str, fn: Callable[[], Any],
                  ttl: timedelta | None = None) -> Callable[[], Any]:
        """Wrap ``fn`` so that it runs only in the daemon holding job ``name``'s lease.

        Every daemon schedules the job; each run first takes or renews the lease, and the
        others skip. Give ``ttl`` longer than the job's interval so the holder keeps it.
        """

        def job() -> Any:
            if not self.acquire_job(name, ttl):
                log.debug("job %s: another daemon holds it", name)
                return None
            result = fn()
            self.job_ran(name)
            return result

        return job


class Claims:
    """Claims waiting messages for one daemon process (``owner``).

    Finding the dead processes whose claims can be taken over reads every waiting row (its
    claim owner), which in a burst of 10,000 cost more than the claim itself (#19: ~12 ms per
    batch on SQLite, ~0.6 CPU s per burst). So a claim looks for dead holders only when the
    free rows did not fill the batch, or when it last looked ``DEAD_CHECK`` ago or more: a
    dead worker's batch is still taken over within seconds, and at once on a quiet store.
    """

    DEAD_CHECK = timedelta(seconds=5)
    """The longest a claim goes without looking for dead holders while free rows remain."""

    def __init__(self, engine: Engine, owner: Owner, ttl: timedelta, clock: Clock,
                 alive: Callable[[int], bool] = pid_alive) -> None:
        self.engine = engine
        self.owner = owner
        self.ttl = ttl
        self.clock = clock
        self.alive = alive
        self.skip_locked = engine.dialect.name == "postgresql"
        self.dead_checked: datetime | None = None
        """When this process last looked for dead holders (None: never)."""

    def claim(self, limit: int) -> list[int]:
        """Claim up to ``limit`` waiting messages, oldest first; return their ids.

        Messages already claimed by us are returned again (their claim renewed), and those of
        dead processes of this machine taken over (see the class). Raises StoreError.
        """
        me = self._me()
        now = self.clock.now()
        dead: list[str] = []
        try:
            with self.engine.begin() as c:
                looked = self.dead_checked is None or now - self.dead_checked >= self.DEAD_CHECK
                if looked:
                    dead = self._dead_holders(c, now)
                ids = self._pick(c, me, now, limit, dead)
                if len(ids) < limit and not looked:  # short: maybe a dead process holds some
                    dead = self._dead_holders(c, now)
                    if dead:
                        ids = self._pick(c, me, now, limit, dead)
        except SQLAlchemyError as exc:
            raise store_error("cannot claim messages to process", exc) from exc
        if dead:
            log.info("took over the messages of dead daemon(s) %s", ", ".join(dead))
        return ids

    def _dead_holders(self, c: Any, now: datetime) -> list[str]:
        """The dead processes of this machine that hold claims on waiting messages."""
        m, cl = s.messages, s.message_claims
        self.dead_checked = now
        holders = [r[0] for r in c.execute(
            select(cl.c.owner).join(m, m.c.id == cl.c.message_id).where(m.c.status == "new")
            .group_by(cl.c.owner))]
        return dead_owners(self.owner, holders, self.alive)

    def _pick(self, c: Any, me: str, now: datetime, limit: int,
              dead: Sequence[str]) -> list[int]:
        """Claim up to ``limit`` waiting messages free for ``me``: the oldest ones nobody
        claimed or whose claim is free (see :func:`free_for`), in one statement. A claim row
        committed by another daemon after this statement's snapshot is met by the ON
        CONFLICT, which takes it only if it is still free."""
        m, cl = s.messages, s.message_claims
        until = now + self.ttl
        pick = (select(m.c.id, literal(me, cl.c.owner.type), literal(until, cl.c.until.type))
                .select_from(m.outerjoin(cl, cl.c.message_id == m.c.id))
                .where(m.c.status == "new", or_(cl.c.message_id.is_(None),
                                                free_for(cl.c.owner, cl.c.until, me, now, dead)))
                .order_by(m.c.id).limit(limit))
        if self.skip_locked:  # others skip what we pick; NO KEY: inserts citing it go on
            pick = pick.with_for_update(of=m, skip_locked=True, key_share=True)
        dialect = postgresql if c.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(cl).from_select(["message_id", "owner", "until"], pick)
        stmt = stmt.on_conflict_do_update(
            index_elements=[cl.c.message_id],
            set_={"owner": stmt.excluded.owner, "until": stmt.excluded.until},
            where=free_for(cl.c.owner, cl.c.until, me, now, dead))
        return sorted(int(r[0]) for r in c.execute(stmt.returning(cl.c.message_id)))

    def _me(self) -> str:
        # one claim identity per thread: the daemon's poll jobs run in a thread pool, and two
        # threads of one process must not be handed the same batch (they would both classify
        # it). The process part (instance:pid) still tells other daemons whether we are alive.
        return f"{self.owner}.t{threading.get_ident()}"

    def release(self, ids: Sequence[int] | None = None) -> None:
        """Give back this process's claims (all, or on ``ids``) on messages still waiting."""
        cl = s.message_claims
        q = delete(cl).where(cl.c.owner.startswith(f"{self.owner}.", autoescape=True))
        if ids is not None:
            q = q.where(cl.c.message_id.in_(list(ids)))
        try:
            with self.engine.begin() as c:
                c.execute(q)
        except SQLAlchemyError as exc:
            raise store_error("cannot release the message claims", exc) from exc


class LeasedSource:
    """Wraps a Source: every fetch first renews the lease, and stops when it was lost.

    That way a daemon that stalled past its lease (and was taken over) does not keep
    reading the mailbox; a daemon that keeps working keeps its lease.
    """

    def __init__(self, inner: Any, leases: Leases) -> None:
        self.inner = inner
        self.leases = leases
        self.name = inner.name
        self.type = inner.type
        self.channel = inner.channel

    def fetch(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """Renew the lease, then fetch. Raises LeaseLost when another daemon took it."""
        if not self.leases.acquire_source(self.name):
            raise LeaseLost(f"source {self.name!r}: lease lost to another daemon; "
                            "it polls this source now")
        return self.inner.fetch(cursor, limit)

    def close(self) -> None:
        """Close the wrapped source."""
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        """Everything else (IMAP IDLE, write-back and store hooks) is the wrapped source's."""
        return getattr(self.inner, name)
