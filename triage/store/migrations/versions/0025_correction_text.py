"""corrections.text: the subject as its writer typed it, as the model now reads it (#17)

A correction stores the text the model read (``classifiers.model.model_input``) so that
``triage train`` learns the agent's label from exactly that text. Until session 10 that text
began with the raw subject, so a correction of a follow-up taught the model
``Re: Login code [#T-12]``: triage's own reference tag and the mail client's reply prefix,
neither of which the model reads any more (``bare_subject``), and both of which had pushed
scores (the tag's ``t`` and number towards technical_issue, ``re`` towards other, ``trả lời``
folded to ``loi`` = lỗi towards technical_issue).

This rewrites the first line of every correction whose text starts with its message's raw
subject followed by a line break, when that subject has a tag or prefix to drop. Corrections
without a message (imported ones), whose text does not start that way, or whose subject is
already bare are left as they are. Running it twice changes nothing. The downgrade keeps the
cleaned texts (the old first lines carried nothing the model should learn).

Revision ID: 0025_correction_text
Revises: 0024_message_claims
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

from triage.mail.threads import bare_subject


revision = "0025_correction_text"
down_revision = "0024_message_claims"
branch_labels = None
depends_on = None


def cleaned(text: str, subject: str) -> str | None:
    """Return ``text`` with its first line read as ``bare_subject`` would, or None when the
    text does not begin with ``subject`` and a line break or the subject is already bare."""
    if not subject or not text.startswith(subject + "\n"):
        return None
    bare = bare_subject(subject)
    if bare == subject:
        return None
    body = text[len(subject) + 1:]
    return f"{bare}\n{body}" if bare else body


def upgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    co = sa.Table("corrections", meta, sa.Column("id", sa.Integer), sa.Column("text", sa.Text),
                  sa.Column("message_id", sa.Integer))
    m = sa.Table("messages", meta, sa.Column("id", sa.Integer),
                 sa.Column("subject", sa.Text))
    rows = conn.execute(sa.select(co.c.id, co.c.text, m.c.subject)
                        .join(m, m.c.id == co.c.message_id)).all()
    for cid, text, subject in rows:
        new = cleaned(text or "", subject or "")
        if new is not None:
            conn.execute(sa.update(co).where(co.c.id == cid).values(text=new))


def downgrade() -> None:
    """Nothing to undo: the cleaned first lines are kept."""
