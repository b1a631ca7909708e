"""message_claims: the claims on waiting messages in a narrow table of their own (#19)

A claim (``triage.store.ownership.Claims``) used to write ``claim_owner`` and ``claim_until``
into the messages row: on PostgreSQL a new version of the ~2 KB row and an entry in each of
its nine indexes per claimed message (the page is full, so the update is not HOT), the largest
server statement of a burst after the inserts, followed by a second such update when the
message flips to ``processed``. Now a claim inserts a ~60-byte row here (and locks the
messages row while it does), and the flip deletes it and writes the holder into
``messages.claim_owner`` (who processed the message), in the update it makes anyway.

The claims held on waiting messages move here; ``messages.claim_owner`` and ``claim_until``
stay (the downgrade moves the claims back). Daemons of the version before must be stopped
before upgrading (as for every migration): they would claim through the old columns.

The lead may renumber this migration when merging (another branch may add one too).

Revision ID: 0024_message_claims
Revises: 0023_rescore_confidence
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = "0024_message_claims"
down_revision = "0023_rescore_confidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_claims",
        sa.Column("message_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_claims")),
    )
    op.execute("INSERT INTO message_claims (message_id, owner, until) "
               "SELECT id, claim_owner, claim_until FROM messages WHERE status = 'new' "
               "AND claim_owner IS NOT NULL AND claim_until IS NOT NULL")
    op.execute("UPDATE messages SET claim_owner = NULL, claim_until = NULL "
               "WHERE status = 'new' AND claim_owner IS NOT NULL")


def downgrade() -> None:
    op.execute("UPDATE messages SET "
               "claim_owner = (SELECT owner FROM message_claims c WHERE c.message_id = messages.id), "
               "claim_until = (SELECT until FROM message_claims c WHERE c.message_id = messages.id) "
               "WHERE id IN (SELECT message_id FROM message_claims)")
    op.drop_table("message_claims")
