"""Migration 0025: corrections stored before the model read bare subjects lose triage's tag
and the reply prefixes from their first line, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import insert, select

from tests.conftest import NOW
from tests.test_store_contract import add, item
from triage.store import Store
from triage.store import schema as s


def test_old_correction_texts_read_as_the_model_reads_them(any_store: Store) -> None:
    from alembic import command

    from triage.store.db import alembic_config

    any_store.ensure_source("inbox", "maildir")
    subjects = ["Re: Login code [#T-12]", "Trả lời: Không nhận được mã OTP", "Order 5521",
                "RE: [#T-4]", "Re: Refund"]
    ids = add(any_store, "inbox", [item(str(i), msgid=f"<m{i}@x>", subject=subj)
                                   for i, subj in enumerate(subjects)], {})
    cfg = alembic_config()
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0024_message_claims")
    texts = {
        ids[0]: "Re: Login code [#T-12]\nstill no code on my Redmi",      # tag and prefix
        ids[1]: "Trả lời: Không nhận được mã OTP\nvẫn chưa nhận được",    # Vietnamese prefix
        ids[2]: "Order 5521\nwhere is it",                                 # already bare
        ids[3]: "RE: [#T-4]\nnothing yet",                                 # nothing left
        ids[4]: "an agent's own text\nRe: Refund",                         # not the subject
        None: "Re: imported row [#T-9]\nkept",                             # no message
    }
    co = s.corrections
    with any_store.engine.begin() as c:
        for mid, text in texts.items():
            c.execute(insert(co).values(message_id=mid, text=text, language="en",
                                        channel="email", new_category="technical_issue",
                                        agent="ann", created_at=NOW))
    for _ in range(2):  # a second run changes nothing
        with any_store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with any_store.engine.connect() as c:
            got = dict(c.execute(select(co.c.message_id, co.c.text)).all())
        assert got == {
            ids[0]: "Login code\nstill no code on my Redmi",
            ids[1]: "Không nhận được mã OTP\nvẫn chưa nhận được",
            ids[2]: "Order 5521\nwhere is it",
            ids[3]: "nothing yet",
            ids[4]: "an agent's own text\nRe: Refund",
            None: "Re: imported row [#T-9]\nkept",
        }
        with any_store.engine.begin() as conn:  # 0025 down and up again
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0024_message_claims")
    with any_store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
