"""imap: copies of sent replies waiting for the Sent folder

Revision ID: 0011_sent_copies
Revises: 0010_deadline_checks
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_sent_copies"
down_revision = "0010_deadline_checks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("imap_sent_copies",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=False),
    sa.Column("source", sa.String(length=200), nullable=False),
    sa.Column("reply_message_id", sa.String(length=998), nullable=False),
    sa.Column("raw", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("appended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("uid", sa.Integer(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_imap_sent_copies_message_id_messages")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_imap_sent_copies")),
    sa.UniqueConstraint("reply_message_id", name="uq_imap_sent_copies_reply_message_id")
    )
    op.create_index("ix_imap_sent_copies_source_appended_at", "imap_sent_copies",
                    ["source", "appended_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_imap_sent_copies_source_appended_at", table_name="imap_sent_copies")
    op.drop_table("imap_sent_copies")
