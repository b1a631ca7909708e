"""Thread keys: which conversation a message belongs to.

Order: a thread key the source knows (an X conversation id), then References / In-Reply-To of
a message we know, then the reference token we put in our reply subjects (``[#T-1042]``), else
a new thread. Two guards keep unrelated mail apart: a reply to someone else's automatic mail,
or on a changed subject, starts a new thread; so does someone else's mail on another subject
that carries an old token.

Everything here is pure: :func:`assign_threads` asks the store once, in bulk, for what it
needs (:class:`~triage.models.ThreadLookups` -> :class:`~triage.models.ThreadCandidates`) and
returns a :class:`~triage.models.ThreadPlan`; the store persists it in the ingest transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from triage.models import (
    NewThread,
    ParsedMessage,
    StoredThread,
    ThreadCandidates,
    ThreadChoice,
    ThreadLookups,
    ThreadParent,
    ThreadPlan,
    ThreadReader,
)

REF_TOKEN = re.compile(r"\[#T-(\d+)\]")
_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|tl|rv|antw|trả lời|tra loi|chuyển tiếp|chuyen tiep|balas)"
    r"\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
"""Reply and forward prefixes of mail clients, stacked or not (Outlook's in Vietnamese, also
unaccented, Spanish "RV", Dutch "Antw", the full-width colon of CJK clients)."""


def ref_token(thread_id: int) -> str:
    """Return the subject token for thread ``thread_id``, e.g. ``[#T-1042]``."""
    return f"[#T-{thread_id}]"


def token_in_subject(subject: str) -> int | None:
    """Return the thread id named by a reference token in ``subject``, if any."""
    m = REF_TOKEN.search(subject or "")
    return int(m.group(1)) if m else None


def bare_subject(subject: str) -> str:
    """Return the subject as its writer typed it: without our reference tokens and the
    Re:/Fwd:/AW:/Trả lời:/Chuyển tiếp:/Balas: prefixes mail clients add, case kept, ends
    stripped."""
    return _PREFIX.sub("", REF_TOKEN.sub("", subject or "")).strip()


def normalise_subject(subject: str) -> str:
    """Return the subject without Re:/Fwd: prefixes, tokens and case, for comparison."""
    return " ".join(bare_subject(subject).lower().split())


def reply_subject(subject: str, thread_id: int) -> str:
    """Return ``Re: <subject> [#T-n]`` without stacking prefixes or tokens."""
    return f"Re: {bare_subject(subject) or 'your message'} {ref_token(thread_id)}"


MAX_REFS = 50
"""References looked at per message (the newest ones): a long chain names the parent last."""


def _refs(p: ParsedMessage) -> list[str]:
    return [r for r in [*p.references, p.in_reply_to] if r][-MAX_REFS:]


def _tokens(p: ParsedMessage) -> list[int]:
    """Thread ids named by the subject token, or by a bounce's reason (it names the reply
    that bounced)."""
    token = token_in_subject(p.subject)
    if token is None and p.is_auto and p.auto_reason:
        token = token_in_subject(p.auto_reason)
    return [token] if token is not None else []


def thread_lookups(messages: Sequence[ParsedMessage]) -> ThreadLookups:
    """Return what threading ``messages`` needs read from the store."""
    return ThreadLookups(
        keys=frozenset(p.thread_hint for p in messages if p.thread_hint),
        message_ids=frozenset(r for p in messages for r in _refs(p)),
        thread_ids=frozenset(t for p in messages for t in _tokens(p)))


def over_threaded(p: ParsedMessage, parent: ThreadParent | ParsedMessage) -> bool:
    """Guard: a reply to a newsletter from someone else, or a changed subject, is new.

    ``parent`` is a stored message, or one earlier in the same batch."""
    ours = (parent.auto_reason or "").startswith("sent from our own address")
    if parent.is_auto and parent.sender != p.sender and not ours:
        return True  # (a customer answering our agent's mail stays in the thread)
    old, new = normalise_subject(parent.subject or ""), normalise_subject(p.subject)
    return bool(old and new and old != new and old not in new and new not in old)


def token_reused(p: ParsedMessage, thread: StoredThread) -> bool:
    """Guard: someone else's mail on another subject that carries an old [#T-n] token
    (a forwarded or reused subject line) starts a new thread."""
    if not thread.customer or thread.customer == p.sender:
        return False
    old, new = normalise_subject(thread.subject or ""), normalise_subject(p.subject)
    return bool(old and new and old not in new and new not in old)


@dataclass
class _Batch:
    """The messages of the batch seen so far: newer than anything stored."""

    parents: dict[str, tuple[int, ParsedMessage, ThreadChoice]] = field(default_factory=dict)
    keys: dict[str, ThreadChoice] = field(default_factory=dict)  # thread key -> new thread
    new_threads: list[NewThread] = field(default_factory=list)


def _choose(p: ParsedMessage, found: ThreadCandidates, batch: _Batch) -> ThreadChoice:
    if p.thread_hint:
        if p.thread_hint in batch.keys:
            return batch.keys[p.thread_hint]
        if p.thread_hint in found.by_key:
            return ThreadChoice(thread_id=found.by_key[p.thread_hint])
    refs = _refs(p)
    if refs:
        in_batch = [batch.parents[r] for r in refs if r in batch.parents]
        parent: ThreadParent | ParsedMessage | None
        if in_batch:  # the batch is newer than the store: its latest message wins
            _, parent, choice = max(in_batch, key=lambda e: e[0])
        else:
            stored = [found.parents[r] for r in refs if r in found.parents]
            latest = max(stored, key=lambda e: e.row_id) if stored else None
            parent = latest
            choice = ThreadChoice(thread_id=latest.thread_id if latest else None)
        if parent is not None and not over_threaded(p, parent):
            return choice
    tokens = _tokens(p)
    if tokens and tokens[0] in found.threads:
        bounce = token_in_subject(p.subject) is None  # the token came from a bounce
        if bounce or not token_reused(p, found.threads[tokens[0]]):
            return ThreadChoice(thread_id=tokens[0])
    batch.new_threads.append(NewThread(key=p.thread_hint, subject=p.subject,
                                       channel=p.channel, customer=p.sender))
    new = ThreadChoice(new=len(batch.new_threads) - 1)
    if p.thread_hint:
        batch.keys[p.thread_hint] = new
    return new


def plan_threads(messages: Sequence[ParsedMessage], found: ThreadCandidates) -> ThreadPlan:
    """Return the thread of each message (in order), given what the store holds.

    Messages are threaded in order, so a message may answer an earlier one of the same batch
    (not stored yet): such a parent is newer than any stored one and wins.
    """
    batch = _Batch()
    choices = []
    for seq, p in enumerate(messages):
        choice = _choose(p, found, batch)
        choices.append(choice)
        if p.message_id:
            batch.parents[p.message_id] = (seq, p, choice)
    return ThreadPlan(choices, batch.new_threads)


def assign_threads(messages: Sequence[ParsedMessage], read: ThreadReader) -> ThreadPlan:
    """Thread a batch: one bulk read through ``read`` (the store's), then :func:`plan_threads`.

    This is the threader the pipeline hands to ``Store.add_items``.
    """
    if not messages:
        return ThreadPlan([])
    return plan_threads(messages, read(thread_lookups(messages)))
