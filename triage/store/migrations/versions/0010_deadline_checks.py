"""deadlines: when the sweep must look at a deadline next

Revision ID: 0010_deadline_checks
Revises: 0008_ops
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_deadline_checks"
down_revision = "0008_ops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index("ix_deadlines_state_next_check_at", ["state", "next_check_at"])


def downgrade() -> None:
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_state_next_check_at")
        batch_op.drop_column("next_check_at")
