"""Read side of the review page: thin callers of the store's read models.

The queue of conversations is ``store.conversations`` (``triage.store.conversations``, read
by ``routes_queue``). The message page's queries live in ``triage.store.queue``
(``store.queue``) and, for what the review actions read too, ``triage.store.drafts``
(``store.drafts``); these functions keep the page's call sites short
(``queries.deadline(store, id)``).
"""

from __future__ import annotations

from typing import Any

from triage.store import Store

__all__ = ["assignee", "corrections", "current_classification", "current_draft", "dashboard",
           "deadline", "filter_choices", "open_resolution", "outbox_rows", "thread_messages"]


def filter_choices(store: Store) -> dict[str, list[str]]:
    """Return the values seen for each filterable column."""
    return store.queue.filter_choices()


def thread_messages(store: Store, message: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every message of ``message``'s thread, oldest first."""
    return store.queue.thread_messages(message)


def current_classification(store: Store, message_id: int) -> dict[str, Any] | None:
    """Return the current classification row of a message, if any."""
    return store.drafts.classification(message_id)


def current_draft(store: Store, message_id: int) -> dict[str, Any] | None:
    """Return the newest draft that is not superseded, if any."""
    return store.drafts.current(message_id)


def deadline(store: Store, message_id: int) -> dict[str, Any] | None:
    """Return the response deadline of a message (first or next response), if any."""
    return store.queue.deadline(message_id)


def open_resolution(store: Store, message: dict[str, Any]) -> dict[str, Any] | None:
    """Return the open resolution deadline of the message's thread, if it has one."""
    return store.queue.open_resolution(message)


def assignee(store: Store, message_id: int) -> str | None:
    """Return the agent a message is assigned to, if any."""
    return store.drafts.assignee(message_id)


def corrections(store: Store, message_id: int) -> list[dict[str, Any]]:
    """Return the reclassifications recorded for a message, oldest first."""
    return store.queue.corrections(message_id)


def outbox_rows(store: Store, message_id: int) -> list[dict[str, Any]]:
    """Return the outbox rows of a message, newest first."""
    return store.queue.outbox_rows(message_id)


def dashboard(store: Store) -> dict[str, dict[str, int]]:
    """Return the dashboard's counts (open messages by state, category, channel, language;
    all messages and the outbox by status)."""
    return store.queue.dashboard()
