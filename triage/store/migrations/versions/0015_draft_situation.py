"""drafts: the situation a draft was written for, the text as drafted and who had it drafted

Revision ID: 0015_draft_situation
Revises: 0014_conversations
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0015_draft_situation"
down_revision = "0014_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("situation", sa.String(length=40), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("drafted_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("drafted_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("drafted_by")
        batch_op.drop_column("drafted_text")
        batch_op.drop_column("situation")
