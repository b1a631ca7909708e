"""The schema's shared MetaData (naming convention) and timestamp type, for the table modules."""

from __future__ import annotations

from sqlalchemy import DateTime, MetaData

#: The metadata every table of the store belongs to (Alembic compares against it).
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = DateTime(timezone=True)
"""Every timestamp column: timezone-aware."""
