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
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
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
    with them by :func:`insert_rows` (COPY): no multi-row INSERT ... RETURNING, whose text
    (thousands of parameters) psycopg parsed again on every execution; that was most of the
    client's CPU of storing a batch (#19). Elsewhere: one multi-row INSERT ... RETURNING, its
    ids sorted back into the order of the rows."""
    if not rows:
        return []
    if c.dialect.name == "postgresql":
        ids = sorted(int(r[0]) for r in c.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": len(rows)}))
        insert_rows(c, table, [dict(r, id=i) for r, i in zip(rows, ids, strict=True)])
        return ids
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(r[0]) for r in c.execute(stmt, rows)]


def insert_rows(c: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in transaction ``c``, as
    ``c.execute(insert(table), rows)`` would: the same values, Python-side column defaults
    for the keys the rows leave out, the database's defaults for the rest.

    On PostgreSQL with psycopg the rows go in by one binary ``COPY ... FROM STDIN`` instead
    of an executemany (#19): per 5,000 message rows 0.31 -> 0.17 CPU s of the server (no
    executor started per row, rows written to a page together) and 0.35 -> 0.13 s of the
    client (no parameters bound per row by SQLAlchemy). Values pass SQLAlchemy's bind
    processors first (JSON serialised by the engine's serialiser, as for an INSERT).
    Elsewhere, or when a left-out column has a SQL expression as its default: executemany.
    """
    if not rows:
        return
    keys = list(rows[0])
    fill = {col.name: col.default for col in table.c
            if col.name not in keys and col.default is not None}
    if c.dialect.driver != "psycopg" or not all(
            d.is_scalar or d.is_callable for d in fill.values()):  # type: ignore[attr-defined]
        c.execute(insert(table), list(rows))
        return
    _copy(c, table, rows, keys, fill)


def _copy(c: Connection, table: Any, rows: Sequence[dict[str, Any]], keys: list[str],
          fill: dict[str, Any]) -> None:
    """Write ``rows`` to ``table`` by binary COPY on ``c``'s psycopg connection; a
    database error is raised as SQLAlchemy's (``IntegrityError``, ...), as from an INSERT."""
    from psycopg import Binary, Error

    cols = [*keys, *fill]
    dialect = c.dialect
    quote = dialect.identifier_preparer
    sql = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(k) for k in cols)}) "
           "FROM STDIN (FORMAT BINARY)")
    procs = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in cols]
    defaults = [(d.arg, d.is_callable) for d in fill.values()]
    types = _column_types(c, table.name, cols)
    try:
        with c.connection.driver_connection.cursor() as cur, \
                cur.copy(sql) as copy:  # type: ignore[union-attr]
            copy.set_types([types[k] for k in cols])
            for row in rows:
                values = [row[k] for k in keys]
                values.extend(arg(None) if call else arg for arg, call in defaults)
                for n, proc in enumerate(procs):
                    if proc is not None and values[n] is not None:
                        v = proc(values[n])
                        values[n] = v.obj if isinstance(v, Binary) else v
                copy.write_row(values)
    except Error as exc:
        raise DBAPIError.instance(sql, None, exc, Error, dialect=dialect) from exc


def _column_types(c: Connection, table: str, cols: Sequence[str]) -> dict[str, int]:
    """The type oids of ``table``'s columns, read once per database connection (again when
    one of ``cols`` is not among them: a migration added it since)."""
    cache: dict[str, dict[str, int]] = c.connection.info.setdefault("copy_types", {})
    if not set(cols) <= cache.get(table, {}).keys():
        cache[table] = {str(r[0]): int(r[1]) for r in c.execute(text(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) "
            "AND attnum > 0 AND NOT attisdropped"), {"t": table})}
    return cache[table]


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
