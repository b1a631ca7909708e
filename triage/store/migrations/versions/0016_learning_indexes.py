"""learning indexes: corrections by message, messages by received date

The "help the model" list, the self-training inbox and the accuracy on the agents' labels ask,
per message, whether an agent labelled it, newest messages first: without these indexes
SQLite scanned the whole corrections table once per message (43-71 s for the newest 1,000 of
30,000 messages with 5,000 corrections; 0.1-0.4 s with them).

Revision ID: 0016_learning_indexes
Revises: 0015_draft_situation
Create Date: 2026-12-04
"""
from alembic import op


revision = "0016_learning_indexes"
down_revision = "0015_draft_situation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index("ix_corrections_message_id", ["message_id"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_received_at")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_corrections_message_id")
