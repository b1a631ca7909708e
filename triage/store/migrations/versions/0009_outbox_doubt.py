"""outbox: who claimed a row for sending and when (in-doubt replies after a crash)

Revision ID: 0009_outbox_doubt
Revises: 0011_sent_copies
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# Chained after main's head at the time (0011_sent_copies) rather than 0008_ops, so that the
# history stays linear and `alembic upgrade head` finds one head.
revision = "0009_outbox_doubt"
down_revision = "0011_sent_copies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
