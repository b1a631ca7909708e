"""encoder_rescores.confidence: the blend's confidence, also when the label stayed (#17)

The message page shows the sentence encoder's re-score beside the label: the model's category
before, the blend's category and its confidence. Until now the confidence was read back from
the classification the re-score wrote, so a re-score that kept the label (and wrote none) had
no confidence to show. Rows re-scored before this migration keep NULL (the page then shows the
confidence only when the label changed, as before).

Revision ID: 0023_rescore_confidence
Revises: 0022_waiting_index
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = "0023_rescore_confidence"
down_revision = "0022_waiting_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("encoder_rescores") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("encoder_rescores") as batch:
        batch.drop_column("confidence")
