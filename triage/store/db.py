"""Engine creation and schema migrations (Alembic, applied on start).

Alembic (with Mako) costs ~11 MB of resident memory in every process that imports it, and a
daemon or worker only needs it when the schema is behind: :func:`migrate` first compares the
store's ``alembic_version`` with the newest revision of the packaged migrations (read with
:mod:`ast`, nothing executed) and imports Alembic only when they differ (#19).
"""

from __future__ import annotations

import ast
import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from triage.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """Return an Alembic config pointing at the packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys.

    Raises StoreError when the URL is unusable.
    """
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            return engine
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.driver == "psycopg":
            event.listen(engine, "do_execute", plan_arrays_per_call)
        return engine
    except Exception as exc:
        raise StoreError(f"cannot open store {url.split('@')[-1]!r}: {exc}") from exc


def plan_arrays_per_call(cursor: Any, statement: str, parameters: Any, _context: Any) -> bool:
    """Run a statement with an array parameter (``col = ANY(:values)``, the store's
    ``one_of``) unprepared, so PostgreSQL plans it for the values it is given (#19).

    psycopg prepares a statement on the server after its fifth run on a connection, and
    PostgreSQL then keeps a generic plan chosen while the tables were small: a sequential
    scan, which it kept using on a growing table. During a burst every batch's dedupe
    lookup, thread lookups and summary reads scanned the whole table (most of the server's
    time in storing a batch, the polling process waiting on it). Planning these few
    statements per batch again is cheap; executemany (the inserts) stays prepared.
    Returns True when it executed the statement (SQLAlchemy's ``do_execute`` event).
    """
    values = parameters.values() if isinstance(parameters, dict) else parameters or ()
    if not any(isinstance(v, list) for v in values):
        return False
    cursor.execute(statement, parameters, prepare=False)
    return True


MIGRATION_LOCK = 0x7472_6961_6765  # "triage": the advisory lock key taken while migrating


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (idempotent).

    Several daemons may start at once on an empty database: the migration runs under a lock
    (a PostgreSQL advisory lock held by the migrating transaction; a lock file next to a
    SQLite database), so the others wait for it and then find the schema current.
    """
    head = head_revision()
    if head is not None and stored_revision(engine) == head:
        return  # current: Alembic is not imported
    from alembic import command

    cfg = alembic_config()
    with _sqlite_lock(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _assigned(tree: ast.Module, name: str) -> object:
    """The literal value assigned to ``name`` at module level (plain or annotated)."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(value)
    raise KeyError(name)


@cache
def head_revision(versions: Path = MIGRATIONS / "versions") -> str | None:
    """Return the newest revision of the migrations in ``versions`` (the one no other
    revision revises); None when there is not exactly one or a file cannot be read (the
    caller then asks Alembic)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    try:
        for path in versions.glob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            try:
                revision = _assigned(tree, "revision")
            except KeyError:
                continue  # not a migration (__init__.py)
            down = _assigned(tree, "down_revision")
            revisions.add(str(revision))
            if isinstance(down, str):
                revised.add(down)
            elif isinstance(down, tuple | list):
                revised.update(str(d) for d in down)
    except (OSError, SyntaxError, ValueError, KeyError):
        return None
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def stored_revision(engine: Engine) -> str | None:
    """Return the revision recorded in the store's ``alembic_version`` table (None: no table,
    none or several rows, or the store cannot be read)."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


@contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file is closed
        yield
