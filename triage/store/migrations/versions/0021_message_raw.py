"""message_raw: the raw bytes of each message in a table of their own (#19)

The messages row is written several times on its way (stored, claimed, processed), and on
SQLite every such UPDATE rewrote the whole record, raw bytes included (20 KiB on average for
realistic mail, in overflow pages), and every read of a column stored after them walked
those pages: claiming a batch cost more than storing it. The bytes move to ``message_raw``
(one row per message, deleted by retention); on PostgreSQL that column is compressed with lz4
when the server has it (half the server's CPU of storing a burst went to pglz).

Revision ID: 0021_message_raw
Revises: 0020_encoder_rescores
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = "0021_message_raw"
down_revision = "0020_encoder_rescores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("message_raw",
    sa.Column("message_id", sa.Integer(), autoincrement=False, nullable=False),
    sa.Column("raw", sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                            name=op.f("fk_message_raw_message_id_messages")),
    sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_raw"))
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(sa.text(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)")).first():
        op.execute("ALTER TABLE message_raw ALTER COLUMN raw SET COMPRESSION lz4")
    op.execute("INSERT INTO message_raw (message_id, raw) "
               "SELECT id, raw FROM messages WHERE raw IS NOT NULL")
    op.execute("ALTER TABLE messages DROP COLUMN raw")


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw", sa.LargeBinary(), nullable=True))
    op.execute("UPDATE messages SET raw = (SELECT r.raw FROM message_raw r "
               "WHERE r.message_id = messages.id)")
    op.drop_table("message_raw")
