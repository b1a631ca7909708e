"""conversation summary: one row per open conversation, kept by the writers

The queue grouped every open response deadline by conversation on each request (0.5-1.9 s
with 1,000,000 messages and 50,000 open conversations, #19). This table holds what the queue
filters and sorts on; ``triage.store.summary`` keeps it in the transactions that change its
inputs. The upgrade fills it from the existing rows with the same grouping (frozen here as
it was at this revision: a response deadline not met, not closed, of a processed customer
message).

Revision ID: 0018_conversation_summary
Revises: 0017_message_private
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0018_conversation_summary"
down_revision = "0017_message_private"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO conversation_summary (conv, thread_id, due_at, state_channel, state_source,
    newest_id, received_at, channel, source, category, language, needs_review, assignee)
SELECT g.conv, m.thread_id, g.due_at, g.state_channel, g.state_source, g.newest_id,
       m.received_at, m.channel, m.source, cl.category, cl.language, cl.needs_review, a.agent
FROM (SELECT COALESCE(m.thread_id, -m.id) AS conv, MIN(d.due_at) AS due_at,
             MAX(m.id) AS newest_id, MAX(m.channel) AS state_channel,
             MAX(m.source) AS state_source
      FROM deadlines d JOIN messages m ON m.id = d.message_id
      WHERE d.kind IN ('first_response', 'next_response') AND d.met_at IS NULL
        AND d.state <> 'closed' AND m.status = 'processed' AND m.is_auto = false
      GROUP BY COALESCE(m.thread_id, -m.id)) g
JOIN messages m ON m.id = g.newest_id
LEFT JOIN classifications cl ON cl.message_id = m.id AND cl."current" = true
LEFT JOIN (SELECT COALESCE(m2.thread_id, -m2.id) AS conv, MAX(a2.id) AS aid
           FROM assignments a2 JOIN messages m2 ON m2.id = a2.message_id
           GROUP BY COALESCE(m2.thread_id, -m2.id)) la ON la.conv = g.conv
LEFT JOIN assignments a ON a.id = la.aid
"""


def upgrade() -> None:
    op.create_table("conversation_summary",
    sa.Column("conv", sa.Integer(), autoincrement=False, nullable=False),
    sa.Column("thread_id", sa.Integer(), nullable=True),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state_channel", sa.String(length=20), nullable=False),
    sa.Column("state_source", sa.String(length=200), nullable=False),
    sa.Column("newest_id", sa.Integer(), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("channel", sa.String(length=20), nullable=False),
    sa.Column("source", sa.String(length=200), nullable=False),
    sa.Column("category", sa.String(length=40), nullable=True),
    sa.Column("language", sa.String(length=8), nullable=True),
    sa.Column("needs_review", sa.Boolean(), nullable=True),
    sa.Column("assignee", sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint("conv", name=op.f("pk_conversation_summary"))
    )
    with op.batch_alter_table("conversation_summary", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_summary_due_at", ["due_at", "conv"],
                              unique=False)
        batch_op.create_index("ix_conversation_summary_received_at", ["received_at"],
                              unique=False)
        batch_op.create_index("ix_conversation_summary_category", ["category", "due_at"],
                              unique=False)
        batch_op.create_index("ix_conversation_summary_language", ["language", "due_at"],
                              unique=False)
        batch_op.create_index("ix_conversation_summary_assignee", ["assignee", "due_at"],
                              unique=False)
    op.execute(BACKFILL)
    op.create_index("ix_messages_sender_lower", "messages", [sa.text("lower(sender)")],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_messages_sender_lower", table_name="messages")
    op.drop_table("conversation_summary")
