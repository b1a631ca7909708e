"""deadlines: priority and who met a deadline; durable record of deadline notices

Revision ID: 0004_deadlines
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_deadlines"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.String(length=20), nullable=False,
                                      server_default="normal"))
        batch_op.add_column(sa.Column("met_by", sa.String(length=320), nullable=True))

    op.create_table(
        "deadline_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadlines.id"],
                                name=op.f("fk_deadline_notices_deadline_id_deadlines")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                                name=op.f("fk_deadline_notices_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_notices")),
        sa.UniqueConstraint("deadline_id", "threshold", "target",
                            name="uq_deadline_notices_deadline_id_threshold_target"),
    )
    with op.batch_alter_table("deadline_notices", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_notices_status_next_attempt_at",
                              ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deadline_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_notices_status_next_attempt_at")
    op.drop_table("deadline_notices")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_column("met_by")
        batch_op.drop_column("priority")
