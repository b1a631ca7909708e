"""conversations: Cc and parse defects on messages, internal notes, saved replies

Revision ID: 0014_conversations
Revises: 0013_web_sessions
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0014_conversations"
down_revision = "0013_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cc", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("defects", sa.JSON(), nullable=False,
                                      server_default="[]"))
    op.create_table("notes",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=False),
    sa.Column("thread_id", sa.Integer(), nullable=True),
    sa.Column("author", sa.String(length=200), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_notes_message_id_messages")),
    sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name=op.f("fk_notes_thread_id_threads")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_notes"))
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index("ix_notes_thread_id", ["thread_id"], unique=False)
    op.create_table("saved_replies",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("owner", sa.String(length=200), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("language", sa.String(length=8), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_replies")),
    sa.UniqueConstraint("owner", "name", name="uq_saved_replies_owner_name")
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_deadlines_met_at_kind", ["met_at", "kind"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_sender", ["sender"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_sender")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_met_at_kind")
    op.drop_table("saved_replies")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index("ix_notes_thread_id")
    op.drop_table("notes")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("defects")
        batch_op.drop_column("cc")
