"""Internal notes on conversations and agents' saved replies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from triage.errors import NotFound
from triage.store import schema as s
from triage.store.base import Aggregate, row_dict


class Notes(Aggregate):
    """Internal notes: written by agents on a message's conversation, never sent."""

    def add(self, message_id: int, author: str, text: str) -> int:
        """Add a note to the conversation of ``message_id``; return its id. Raises
        NotFound."""
        m = s.messages
        with self.write("cannot save the note") as c:
            row = c.execute(select(m.c.thread_id).where(m.c.id == message_id)).first()
            if row is None:
                raise NotFound(f"message {message_id} does not exist")
            return int(c.execute(insert(s.notes).values(
                message_id=message_id, thread_id=row[0], author=author, text=text,
                created_at=self.clock.now())).inserted_primary_key[0])

    def of_conversation(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the notes of ``message``'s conversation, oldest first."""
        n = s.notes
        cond = (n.c.thread_id == message["thread_id"] if message.get("thread_id")
                else n.c.message_id == message["id"])
        with self.read("cannot read the notes") as c:
            return [row_dict(r) for r in c.execute(select(n).where(cond).order_by(n.c.id))]


class SavedReplies(Aggregate):
    """Canned replies an agent saved for themselves."""

    def save(self, owner: str, name: str, language: str, text: str) -> int:
        """Save (or replace) ``owner``'s reply called ``name``; return its id."""
        r = s.saved_replies
        now = self.clock.now()
        with self.write("cannot save the reply") as c:
            found = c.execute(select(r.c.id).where(r.c.owner == owner, r.c.name == name)).first()
            if found is not None:
                c.execute(update(r).where(r.c.id == found[0]).values(
                    text=text, language=language, created_at=now))
                return int(found[0])
            try:
                return int(c.execute(insert(r).values(
                    owner=owner, name=name, language=language, text=text,
                    created_at=now)).inserted_primary_key[0])
            except IntegrityError:  # pragma: no cover - two saves at once
                raise NotFound(f"reply {name!r} was saved meanwhile; try again") from None

    def of(self, owner: str) -> list[dict[str, Any]]:
        """Return ``owner``'s saved replies by name."""
        r = s.saved_replies
        with self.read("cannot read saved replies") as c:
            return [row_dict(x) for x in c.execute(
                select(r).where(r.c.owner == owner).order_by(r.c.name))]

    def delete(self, owner: str, reply_id: int) -> bool:
        """Delete one of ``owner``'s saved replies; False when it is not theirs."""
        r = s.saved_replies
        with self.write("cannot delete the reply") as c:
            return bool(c.execute(delete(r).where(r.c.id == reply_id,
                                                  r.c.owner == owner)).rowcount)
