"""llm_opinions: a local LLM's second opinion on an unsure message ([classifier.llm])

One row per message the background job asked about: its answer (label, reason, the model that
gave it, when) or its failed attempts. Shown beside the model's label; never applied.

The lead may renumber this migration when merging (another branch may add one too).

Revision ID: 0019_llm_opinions
Revises: 0018_conversation_summary
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0019_llm_opinions"
down_revision = "0018_conversation_summary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("llm_opinions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("label", sa.String(length=40), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("model", sa.String(length=100), nullable=False),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                            name=op.f("fk_llm_opinions_message_id_messages")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_opinions")),
    sa.UniqueConstraint("message_id", name=op.f("uq_llm_opinions_message_id"))
    )


def downgrade() -> None:
    op.drop_table("llm_opinions")
