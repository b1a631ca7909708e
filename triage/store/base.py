"""What every aggregate of the store shares: row conversion, chunking, transactions, audit.

Each aggregate (``messages``, ``processing``, ``queue``, ``outbox``, ...) is a small class
built on :class:`Aggregate`: it holds the engine and clock of the :class:`~triage.store.Store`
facade, opens one transaction per public method with :meth:`Aggregate.write` or
:meth:`Aggregate.read`, and turns database errors into :class:`~triage.errors.StoreError`
(with a fix when one is known), so nothing outside the store sees SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, String, any_, bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from triage.clock import Clock, ensure_utc
from triage.store import schema as s
from triage.store.audit_log import acting_client
from triage.store.dberrors import store_error


def aware(value: datetime | None) -> datetime | None:
    """Return ``value`` as aware UTC, None as None (SQLite hands back naive datetimes)."""
    return None if value is None else ensure_utc(value)


def row_dict(row: Row[Any]) -> dict[str, Any]:
    """Return a result row as a plain dict, its datetimes aware UTC."""
    out = dict(row._mapping)
    for k, v in out.items():
        if isinstance(v, datetime):
            out[k] = aware(v)
    return out


def chunked(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    """Yield ``seq`` in slices of at most ``n`` (keeps IN lists under database limits)."""
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def one_of(c: Connection, col: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``col IN values`` with the values in ONE parameter: an array (``= ANY``) on PostgreSQL,
    a JSON list read by ``json_each`` on SQLite. Unlike an IN list, the statement's text does
    not change with the number of values, so it is compiled once, and psycopg does not parse
    it again for every execution (it does for more than 50 parameters); nor does it need
    chunking under the databases' parameter limits (#19)."""
    vals = list(values)
    if c.dialect.name == "postgresql":
        return col == any_(bindparam(None, vals, type_=ARRAY(col.type)))  # type: ignore[no-any-return]
    each = func.json_each(bindparam(None, json.dumps(vals), type_=String)).table_valued("value")
    return col.in_(select(each.c.value))  # type: ignore[no-any-return]


def insert_ids(c: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` (an integer ``id`` primary key) in transaction ``c``;
    return their ids, in the order of ``rows``.

    On PostgreSQL the ids are taken from the table's sequence first and the rows inserted
    with them by executemany: one short statement, instead of a multi-row INSERT ... RETURNING
    whose text (thousands of parameters) psycopg parses again on every execution; that was
    most of the client's CPU of storing a batch (#19). Elsewhere: one multi-row INSERT ...
    RETURNING, its ids sorted back into the order of the rows."""
    if not rows:
        return []
    if c.dialect.name == "postgresql":
        ids = sorted(int(r[0]) for r in c.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": len(rows)}))
        c.execute(insert(table), [dict(r, id=i) for r, i in zip(rows, ids, strict=True)])
        return ids
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(r[0]) for r in c.execute(stmt, rows)]


class StoreLike(Protocol):
    """What an aggregate needs of the store: its engine and its clock."""

    engine: Engine
    clock: Clock


class Aggregate:
    """Base of the store's aggregates: one engine, one clock, one transaction per call."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    @contextmanager
    def write(self, action: str) -> Iterator[Connection]:
        """A read-write transaction; a database error becomes StoreError("<action>: ...")."""
        try:
            with self.engine.begin() as c:
                yield c
        except SQLAlchemyError as exc:
            raise store_error(action, exc) from exc

    @contextmanager
    def read(self, action: str) -> Iterator[Connection]:
        """A read-only connection; a database error becomes StoreError("<action>: ...")."""
        try:
            with self.engine.connect() as c:
                yield c
        except SQLAlchemyError as exc:
            raise store_error(action, exc) from exc

    def audit(self, actor: str, action: str, message_id: int | None = None,
              detail: dict[str, Any] | None = None) -> None:
        """Append one line to the audit log (its own transaction), with the acting client's
        address when a request of the review page is being served. Raises StoreError."""
        detail = dict(detail or {})
        client = acting_client.get()
        if client and "client" not in detail:
            detail["client"] = client
        with self.write("cannot write the audit log") as c:
            c.execute(insert(s.audit_log).values(at=self.clock.now(), actor=actor,
                                                 action=action, message_id=message_id,
                                                 detail=detail))
