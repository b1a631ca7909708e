"""encoder_rescores: a sentence encoder's re-score of an unsure message ([classifier.encoder])

One row per message the background job re-scored (the old and new category, the encoder
head's version and blend weight, whether the label and draft were replaced, when), so that no
message is re-scored twice.

The lead may renumber this migration when merging (another branch may add one too).

Revision ID: 0020_encoder_rescores
Revises: 0019_llm_opinions
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = "0020_encoder_rescores"
down_revision = "0019_llm_opinions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("encoder_rescores",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=False),
    sa.Column("old_category", sa.String(length=40), nullable=False),
    sa.Column("new_category", sa.String(length=40), nullable=False),
    sa.Column("head", sa.String(length=100), nullable=False),
    sa.Column("weight", sa.Float(), nullable=False),
    sa.Column("applied", sa.Boolean(), nullable=False),
    sa.Column("rescored_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                            name=op.f("fk_encoder_rescores_message_id_messages")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_encoder_rescores")),
    sa.UniqueConstraint("message_id", name=op.f("uq_encoder_rescores_message_id"))
    )


def downgrade() -> None:
    op.drop_table("encoder_rescores")
