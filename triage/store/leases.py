"""Leases: one daemon at a time per source, and singleton jobs run once across daemons.

A lease is a row (``sources.lease_owner/lease_until`` for sources, ``job_leases`` for jobs)
taken with one conditional UPDATE, so on SQLite and PostgreSQL alike two daemons can never
both win it. A lease is free when nobody holds it, when it expired (its holder stopped
renewing it), or when its holder is a dead process on this very machine (a restarted daemon
takes its predecessor's sources back at once instead of waiting out the expiry).

Owners are strings ``instance:pid:token``: the instance name (host name by default), the
process id and a random token, so every daemon process is a distinct owner.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update
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

        The source row must exist (``Store.ensure_source``). Raises StoreError.
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
                    t.c.name == name,
                    or_(t.c.lease_owner.is_(None), t.c.lease_owner == me,
                        t.c.lease_until.is_(None), t.c.lease_until < now,
                        t.c.lease_owner.in_(dead)),
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
                    t.c.name == name,
                    or_(t.c.owner.is_(None), t.c.owner == me, t.c.until.is_(None),
                        t.c.until < now, t.c.owner.in_(dead)),
                ).values(owner=me, until=until)).rowcount
        except SQLAlchemyError as exc:
            raise store_error(f"cannot take the lease of job {name!r}", exc) from exc
        return bool(won)

    def job_ran(self, name: str) -> None:
        """Record that job ``name`` just ran under our lease."""
        t = s.job_leases
        with self.engine.begin() as c:
            c.execute(update(t).where(t.c.name == name, t.c.owner == str(self.owner))
                      .values(last_run_at=self.clock.now()))

    def release_all(self) -> None:
        """Give up every source and job lease we hold (on a clean shutdown)."""
        me = str(self.owner)
        with self.engine.begin() as c:
            c.execute(update(s.sources).where(s.sources.c.lease_owner == me)
                      .values(lease_owner=None, lease_until=None))
            c.execute(update(s.job_leases).where(s.job_leases.c.owner == me)
                      .values(owner=None, until=None))

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
