"""messages: a partial index of the waiting messages, lz4 for their texts (#19)

A claim picks the oldest waiting messages (``status = 'new' ... ORDER BY id LIMIT n``) and
the status flip finds its batch among them. With only the index on ``status`` the claim read
every waiting row and sorted them to take 200 (in a burst, a backlog of thousands per claim),
and PostgreSQL planned the flip through that index too while the table had no statistics.
``ix_messages_waiting_id`` holds only the waiting rows, in id order: a claim walks the first
ones, the flip looks its ids up in it (PostgreSQL only: on SQLite it gained nothing and cost ~0.1 CPU s per 10,000
messages stored). ``ix_messages_status`` stays (the quarantine page and
the counts by status read it).

On PostgreSQL the texts of a message (``text``, ``full_text``, ``html``) are compressed with
lz4 where the server has it instead of the default pglz, as ``message_raw.raw`` is since
0021: pglz was a quarter of the server's CPU of inserting a message row. Rows stored before
keep their pglz values (both are read back transparently).

The lead may renumber this migration when merging (another branch may add one too).

Revision ID: 0022_waiting_index
Revises: 0021_message_raw
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = "0022_waiting_index"
down_revision = "0021_message_raw"
branch_labels = None
depends_on = None

WAITING = sa.text("status = 'new'")
TEXTS = ("text", "full_text", "html")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite: the index gained nothing there and cost ~0.1 CPU s per 10,000 stored
    op.create_index("ix_messages_waiting_id", "messages", ["id"], unique=False,
                    postgresql_where=WAITING)
    if bind.execute(sa.text(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)")).first():
        op.execute("ALTER TABLE messages " + ", ".join(
            f"ALTER COLUMN {col} SET COMPRESSION lz4" for col in TEXTS))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.execute(sa.text(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)")).first():
        op.execute("ALTER TABLE messages " + ", ".join(
            f"ALTER COLUMN {col} SET COMPRESSION DEFAULT" for col in TEXTS))
    op.drop_index("ix_messages_waiting_id", table_name="messages")
