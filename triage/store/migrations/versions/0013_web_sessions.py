"""web: server-side sessions, sign-in failures, TOTP secrets, audit log by time

Revision ID: 0013_web_sessions
Revises: 0009_outbox_doubt
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0013_web_sessions"
down_revision = "0012_chat_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("web_sessions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("token_hash", sa.String(length=64), nullable=False),
    sa.Column("user_name", sa.String(length=200), nullable=False),
    sa.Column("client", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("end_reason", sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash"))
    )
    op.create_index("ix_web_sessions_user_name_ended_at", "web_sessions",
                    ["user_name", "ended_at"], unique=False)
    op.create_table("login_failures",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("key", sa.String(length=300), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures"))
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"], unique=False)
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_secret")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_login_failures_key_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index("ix_web_sessions_user_name_ended_at", table_name="web_sessions")
    op.drop_table("web_sessions")
