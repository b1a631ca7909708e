"""messages.private: the customer wrote in a private conversation (chat or direct post)

Drafts for a private chat ask for details right there rather than "DM us" (docs/templates.md,
``private``). Rows stored before this are filled in from their message ids, which say which
chat they came from: Messenger (``facebook:<page>:dm:...``), Zalo, WhatsApp, and Telegram
chats with a positive id (private chats; groups have negative ids). Facebook comments, X posts
and Mastodon posts stay public (a Mastodon direct post stored before this is not recognised).

The lead may renumber this migration when merging (another branch adds one too).

Revision ID: 0017_message_private
Revises: 0016_learning_indexes
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0017_message_private"
down_revision = "0016_learning_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("private", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    m = sa.table("messages", sa.column("channel", sa.String), sa.column("message_id", sa.String),
                 sa.column("private", sa.Boolean))
    op.execute(m.update().where(
        m.c.channel == "social",
        sa.or_(m.c.message_id.like("facebook:%:dm:%"), m.c.message_id.like("zalo:%"),
               m.c.message_id.like("whatsapp:%"),
               sa.and_(m.c.message_id.like("telegram:%"),
                       sa.not_(m.c.message_id.like("telegram:%:-%"))))).values(private=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("private")
