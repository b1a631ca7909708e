"""imap write-back state

Revision ID: 0002_imap
Revises: 0005_web
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_imap'
down_revision = "0005_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('imap_writeback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('keyword', sa.String(length=100), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('draft_uid', sa.Integer(), nullable=True),
    sa.Column('moved_to', sa.String(length=500), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_imap_writeback_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imap_writeback')),
    sa.UniqueConstraint('message_id', name='uq_imap_writeback_message_id')
    )
    with op.batch_alter_table('imap_writeback', schema=None) as batch_op:
        batch_op.create_index('ix_imap_writeback_source', ['source'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('imap_writeback', schema=None) as batch_op:
        batch_op.drop_index('ix_imap_writeback_source')
    op.drop_table('imap_writeback')
