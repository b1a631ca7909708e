"""chat channels: refreshed token pairs and stored webhook deliveries

Revision ID: 0012_chat_channels
Revises: 0009_outbox_doubt
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = "0012_chat_channels"
down_revision = "0009_outbox_doubt"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("channel_tokens",
    sa.Column("source", sa.String(length=200), nullable=False),
    sa.Column("access_token", sa.Text(), nullable=False),
    sa.Column("refresh_token", sa.Text(), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("seed", sa.String(length=64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("source", name=op.f("pk_channel_tokens"))
    )
    op.create_table("webhook_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("source", sa.String(length=200), nullable=False),
    sa.Column("key", sa.String(length=64), nullable=False),
    sa.Column("payload", sa.LargeBinary(), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    sa.UniqueConstraint("source", "key", name="uq_webhook_events_source_key")
    )


def downgrade() -> None:
    op.drop_table("webhook_events")
    op.drop_table("channel_tokens")
