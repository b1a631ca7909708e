"""Alembic migrations of the triage store; applied on start by :func:`triage.store.db.migrate`."""
