"""Fixtures for operations tests: a throwaway PostgreSQL cluster, and a store on SQLite or
PostgreSQL (the store contract suite runs on both).

The cluster comes from Debian's ``postgresql`` package (``/usr/lib/postgresql/15/bin``), runs
as ``postgres`` when we are root, listens on 127.0.0.1 on a free port with its socket in the
temp dir, fsync off. Stopped by ``pg_ctl`` at the end of the session.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from triage.clock import FrozenClock
from triage.store.store import Store

PG_BIN = Path(os.environ.get("TRIAGE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One private PostgreSQL cluster: ``start``, ``stop``, ``create_db``, ``url``."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            pytest.skip(f"PostgreSQL binaries not found in {PG_BIN}; run make test as root "
                        "(it installs the postgresql package)")
        self.root = Path(tempfile.mkdtemp(prefix="triage-pg-"))
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres")
            os.chmod(self.root, 0o700)
        self.data = self.root / "data"
        self.port = free_port()
        self._names = itertools.count(1)
        self._template = ""
        self._run("initdb", "-D", str(self.data), "-U", "test", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(PG_BIN / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=60)

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "start", "-o", opts)

    def stop(self) -> None:
        """Stop the cluster at once (as if the server went away)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, db: str = "postgres") -> str:
        """SQLAlchemy URL of database ``db``."""
        return f"postgresql+psycopg://test@127.0.0.1:{self.port}/{db}"

    def create_db(self) -> str:
        """Create a fresh database with the current schema; return its SQLAlchemy URL.

        The schema is migrated once into a template database, then copied (much faster than
        running the migrations for every test).
        """

        if not self._template:
            self._template = self._make_db()
            from triage.clock import SystemClock

            Store.open(self.url(self._template), SystemClock()).close()
        return self.url(self._make_db(template=self._template))

    def _make_db(self, template: str = "") -> str:
        import psycopg

        name = f"t{next(self._names)}_{os.getpid()}"
        with psycopg.connect(f"postgresql://test@127.0.0.1:{self.port}/postgres",
                             autocommit=True) as c:
            extra = f' TEMPLATE "{template}"' if template else ""
            c.execute(f'CREATE DATABASE "{name}"{extra}')
        return name

    def destroy(self) -> None:
        """Stop (if running) and remove the cluster."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL cluster shared by the whole session (one fresh database per user)."""
    server = PgServer()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """URL of a fresh, empty PostgreSQL database."""
    return pg_server.create_db()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_server").create_db()


@pytest.fixture
def any_store(store_url: str, clock: FrozenClock) -> Iterator[Store]:
    """A migrated Store on SQLite or PostgreSQL (parametrised)."""
    st = Store.open(store_url, clock)
    yield st
    st.close()
