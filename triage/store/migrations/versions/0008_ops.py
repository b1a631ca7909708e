"""operations: message claims, singleton job leases, automatic acknowledgements

Revision ID: 0008_ops
Revises: 0002_imap
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = "0008_ops"
down_revision = "0002_imap"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("claim_until", sa.DateTime(timezone=True), nullable=True))

    op.create_table("job_leases",
    sa.Column("name", sa.String(length=100), nullable=False),
    sa.Column("owner", sa.String(length=200), nullable=True),
    sa.Column("until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases"))
    )
    op.create_table("acknowledgements",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("thread_id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=False),
    sa.Column("recipient", sa.String(length=320), nullable=False),
    sa.Column("rule", sa.String(length=200), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("remote_id", sa.String(length=998), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_acknowledgements_message_id_messages")),
    sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name=op.f("fk_acknowledgements_thread_id_threads")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgements")),
    sa.UniqueConstraint("thread_id", name=op.f("uq_acknowledgements_thread_id"))
    )
    with op.batch_alter_table("acknowledgements", schema=None) as batch_op:
        batch_op.create_index("ix_acknowledgements_recipient_created_at", ["recipient", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("acknowledgements", schema=None) as batch_op:
        batch_op.drop_index("ix_acknowledgements_recipient_created_at")
    op.drop_table("acknowledgements")
    op.drop_table("job_leases")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("claim_until")
        batch_op.drop_column("claim_owner")
