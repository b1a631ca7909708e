"""The agent's actions on a message, one method each: approve and send, save an edit, discard,
assign, mark resolved, reclassify, switch the draft's situation. The review page, its JSON
API and ``triage review`` call these and nothing else, so a button and a command do the same
thing.

Every action names the agent (``actor``), writes the audit log and returns a small typed
result. Refusals raise from :mod:`triage.errors`: ``NotFound`` (no such message),
``ReviewError`` (no open draft, a reply already on its way, an unknown category) and
``PlaceholderUnfilled`` (approving a reply that still has ``[[fill: ...]]`` markers or is
empty). The SQL is in :mod:`triage.store.drafts`. What the service reads for the page
(help the model, explanations, promises, a local LLM's second opinion) is in
:mod:`triage.review.reads`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from triage.clock import Clock
from triage.deadlines.policy import DeadlinePolicy
from triage.drafting.placeholders import ensure_sendable as no_markers_left
from triage.drafting.render import Renderer
from triage.errors import NotFound, PlaceholderUnfilled, ReviewError
from triage.models import CATEGORIES, Classification, OutgoingReply, RawItem
from triage.pipeline import Pipeline, plan_and_draft
from triage.review.reads import ReviewReads
from triage.send.outbox import DrainStats, Outbox, idempotency_key
from triage.send.window import ReplyWindows
from triage.store.deadline_store import DeadlineStore
from triage.store.drafts import OPEN, PIPELINE_AUTHOR, Reclassification
from triage.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Saved:
    """An edit was saved (``save``), or a draft discarded (``discard``)."""

    message_id: int
    draft_id: int


@dataclass(frozen=True)
class Approved:
    """A draft was approved and its reply queued in the outbox as row ``outbox_id``."""

    message_id: int
    draft_id: int
    outbox_id: int


@dataclass(frozen=True)
class Assigned:
    """A message was assigned to ``agent``."""

    message_id: int
    agent: str


@dataclass(frozen=True)
class Resolved:
    """The thread's open resolution deadlines were met; ``deadlines`` is how many (0: none
    was open, nothing changed)."""

    message_id: int
    deadlines: int


@dataclass(frozen=True)
class Reclassified:
    """A message got a new category, a new draft ``draft_id`` and a moved deadline."""

    message_id: int
    draft_id: int
    old_category: str | None
    new_category: str
    due_at: datetime | None


@dataclass(frozen=True)
class Switched:
    """A message's draft was written again for another situation (new draft ``draft_id``)."""

    message_id: int
    draft_id: int
    old_situation: str
    new_situation: str


def ensure_sendable(text: str) -> None:
    """Raise PlaceholderUnfilled when ``[[fill: ...]]`` markers remain or the reply is empty."""
    no_markers_left(text)
    if not (text or "").strip():
        raise PlaceholderUnfilled("the reply is empty; write a reply before sending")


def clean_subject(subject: str | None, fallback: str) -> str:
    """Return ``subject`` on one line, or ``fallback`` when it is empty or None."""
    one_line = (subject or "").replace("\r", " ").replace("\n", " ").strip()
    return one_line or fallback


class ReviewService(ReviewReads):
    """The agent's actions, built once by the composition root with its collaborators.

    ``outbox`` and ``classifier`` are factories, called when an approval or an explanation
    needs them: building the senders (secrets) or loading the model is not needed otherwise.
    """

    def __init__(self, store: Store, renderer: Renderer, deadlines: DeadlinePolicy,
                 deadline_store: DeadlineStore, clock: Clock, *,
                 outbox: Callable[[], Outbox], classifier: Callable[[], Any],
                 pipeline: Callable[[], Pipeline] | None = None,
                 undo_window: timedelta = timedelta(minutes=2),
                 windows: ReplyWindows | None = None) -> None:
        self.store = store
        self.windows = windows or ReplyWindows((), lambda *_: None, clock)  # windows.of(msg)
        self._pipeline = pipeline
        self.undo_window = undo_window
        self.drafts = store.drafts
        self.renderer = renderer
        self.deadlines = deadlines
        self.deadline_store = deadline_store
        self.clock = clock
        self._outbox = outbox
        self._classifier = classifier

    @property
    def outbox(self) -> Outbox:
        """The outbox approved replies are queued in."""
        return self._outbox()

    # ------------------------------------------------------------------ helpers
    def _open_draft(self, message_id: int) -> dict[str, Any]:
        """Return the message's draft that may still change; raises NotFound, ReviewError."""
        self.store.message(message_id)  # raises NotFound
        draft = self.drafts.current(message_id)
        if draft is None:
            self._refuse_superseded(message_id)
        if draft is None or draft["status"] not in (OPEN, "approved"):
            state = draft["status"] if draft else "none"
            raise ReviewError(f"message {message_id} has no draft to change (draft: {state}); "
                              "reclassify it to make a new draft")
        if draft["status"] != OPEN:
            raise ReviewError("this draft was approved and is being sent; it can no longer "
                              "change")
        return draft

    def _refuse_superseded(self, message_id: int) -> None:
        """Raise ReviewError naming the newer message when the message's draft was
        superseded by the draft of a newer message of its conversation."""
        stale = self.drafts.superseded_by(message_id)
        if stale is not None:
            raise ReviewError(
                f"the draft of message {message_id} was superseded: the customer wrote again "
                f"in this conversation, and message {stale[1]} has the draft to send (written "
                f"with the whole conversation; sending it answers message {message_id} too). "
                f"Open message {stale[1]} and approve its draft instead")

    def _edit(self, draft: dict[str, Any], subject: str | None,
              text: str | None) -> tuple[str, str]:
        new_text = draft["text"] if text is None else text.replace("\r\n", "\n")
        return clean_subject(subject, draft["subject"]), new_text

    # ------------------------------------------------------------------ actions
    def save(self, message_id: int, actor: str, subject: str | None = None,
             text: str | None = None) -> Saved:
        """Save the agent's edit of the open draft (None keeps that part; an empty subject
        keeps the old one). Raises NotFound or ReviewError."""
        draft = self._open_draft(message_id)
        new_subject, new_text = self._edit(draft, subject, text)
        self.drafts.save_edit(draft["id"], new_subject, new_text, actor)
        self.store.audit(actor, "save_draft", message_id, {"draft_id": draft["id"]})
        return Saved(message_id, int(draft["id"]))

    def reply_all_cc(self, message: dict[str, Any]) -> list[str]:
        """Return who a reply-all copies: the message's To and Cc without the customer and
        without our own support addresses."""
        skip = {*(self.deadline_store.own or ()), (message.get("sender") or "").lower()}
        out: list[str] = []
        for a in [*(message.get("recipients") or []), *(message.get("cc") or [])]:
            a = str(a).lower()
            if a and a not in skip and a not in out:
                out.append(a)
        return out

    def approve(self, message_id: int, actor: str, subject: str | None = None,
                text: str | None = None, *, keep_edit: bool = False,
                reply_all: bool = False, past_times_ok: bool = False) -> Approved:
        """Approve the open draft with the agent's final edit and queue the reply in the
        outbox (sent by :meth:`send` or the daemon's next drain). Approving twice queues one
        reply.

        The draft's promise is said anew as of now (:meth:`fresh_promise`); a time the reply
        states that has already passed is refused (ReviewError) unless ``past_times_ok``, and
        so is a chat reply the sender would refuse (its window closed: :attr:`windows`).
        ``reply_all`` copies the message's other recipients (:meth:`reply_all_cc`).

        Raises NotFound, ReviewError, or PlaceholderUnfilled when markers remain or the reply
        is empty; with ``keep_edit`` the edit is saved before that is raised, so the agent's
        text is not lost.
        """
        draft = self._open_draft(message_id)
        new_subject, new_text = self._edit(draft, subject, text)
        msg = self.store.message(message_id)
        try:
            ensure_sendable(new_text)
            promise = self.fresh_promise(msg, draft, new_text)
            assert promise is not None  # an open draft exists
            new_text = promise.text
            if promise.warnings and not past_times_ok:
                raise ReviewError("the reply states a time that has already passed: "
                                  + "; ".join(promise.warnings)
                                  + ". Change it, or approve again confirming you mean it")
            if (window := self.windows.of(msg)) is not None and window.closed:
                raise ReviewError(f"not queued: {window}")
        except (PlaceholderUnfilled, ReviewError):
            if keep_edit:
                self.save(message_id, actor, subject, new_text)
            raise
        row = self.drafts.approve(draft["id"], new_subject, new_text, actor)
        self.store.audit(actor, "save_draft", message_id, {"draft_id": row["id"]})
        self.store.audit(actor, "approve", message_id, {"draft_id": row["id"]})
        reply = OutgoingReply(
            idempotency_key=idempotency_key(message_id, row["id"]), message_id=message_id,
            channel=msg["channel"], to=msg["sender"], subject=row["subject"], text=row["text"],
            in_reply_to=msg["message_id"] or None, references=list(msg["references"] or []),
            source=msg["source"],
            # the draft's language picks the From name (a team_name table per language)
            extra={"language": str(draft.get("language") or ""),
                   **({"cc": ",".join(self.reply_all_cc(msg))} if reply_all else {})})
        oid = self.outbox.enqueue(reply, draft_id=row["id"], actor=actor)
        return Approved(message_id, int(row["id"]), oid)

    def send(self, outbox_id: int) -> DrainStats:
        """Send the approved reply ``outbox_id`` now (what fails is retried by the daemon)."""
        return self.outbox.drain(only_ids=[outbox_id])

    def discard(self, message_id: int, actor: str) -> Saved:
        """Discard the open draft: nothing will be sent. Raises NotFound or ReviewError
        (also when it was discarded already)."""
        draft = self._open_draft(message_id)
        self.drafts.discard(draft["id"], actor)
        self.store.audit(actor, "discard_draft", message_id, {"draft_id": draft["id"]})
        return Saved(message_id, int(draft["id"]))

    def assign(self, message_id: int, actor: str, agent: str | None = None) -> Assigned:
        """Assign the message's conversation to ``agent`` (default: ``actor`` themselves),
        replacing any earlier assignee. Raises NotFound (no such message or agent)."""
        self.store.message(message_id)
        agent = agent or actor
        if agent != actor and self.store.accounts.user(agent) is None:
            raise NotFound(f"there is no agent called {agent!r}")
        self.drafts.assign(message_id, agent)
        self.store.audit(actor, "assign", message_id, {"agent": agent})
        return Assigned(message_id, agent)

    def undo_discard(self, message_id: int, actor: str) -> Saved:
        """Give the draft discarded last back to review, within the undo window. Raises
        NotFound or ReviewError (nothing to restore, or too late)."""
        self.store.message(message_id)
        draft = self.drafts.current(message_id)
        if draft is None or draft["status"] != "discarded":
            raise ReviewError(f"message {message_id} has no discarded draft to restore")
        self.drafts.undo_discard(draft["id"], actor, self.clock.now() - self.undo_window)
        self.store.audit(actor, "undo_discard", message_id, {"draft_id": draft["id"]})
        return Saved(message_id, int(draft["id"]))

    def add_note(self, message_id: int, actor: str, text: str) -> int:
        """Add an internal note (never sent) to the message's conversation; return its id.
        Raises NotFound or ReviewError (an empty note)."""
        if not (text or "").strip():
            raise ReviewError("the note is empty")
        nid = self.store.notes.add(message_id, actor, text.strip()[:10000])
        self.store.audit(actor, "note", message_id, {"note_id": nid})
        return nid

    def retry_quarantined(self, message_id: int, actor: str) -> str:
        """Parse a quarantined message again from its raw bytes and process it; return its
        status after that (``processed``, or ``quarantined`` with the new reason). Raises
        NotFound (no message or no raw bytes left) or ReviewError (not quarantined)."""
        if self._pipeline is None:
            raise ReviewError("retrying needs the pipeline, which this process does not have")
        pipeline = self._pipeline()
        msg = self.store.message(message_id)
        raw = self.store.raw(message_id)
        if not raw:
            raise NotFound(f"the raw bytes of message {message_id} were purged; it cannot "
                           "be parsed again")
        item = pipeline.to_ingest(RawItem(msg["external_id"], raw, msg["received_at"]),
                                  msg["channel"], bool(msg.get("backfill")))
        status = self.store.quarantined.retry(message_id, item, pipeline.threader)
        if status == "new":
            pipeline.process_pending()
        self.store.audit(actor, "retry_quarantined", message_id, {})
        return str(self.store.message(message_id)["status"])

    def dismiss_quarantined(self, message_id: int, actor: str) -> None:
        """Take a quarantined message off the list. Raises NotFound or ReviewError."""
        self.store.quarantined.dismiss(message_id)
        self.store.audit(actor, "dismiss_quarantined", message_id, {})

    def resolve(self, message_id: int, actor: str) -> Resolved:
        """Mark the thread resolved: its open resolution deadline is met now by ``actor`` (for
        the report). Raises NotFound."""
        self.store.message(message_id)
        n = int(self.deadline_store.resolve(message_id, actor))
        if n:
            self.store.audit(actor or "anonymous", "resolve", message_id, {"deadlines": n})
        return Resolved(message_id, n)

    def reclassify(self, message_id: int, category: str, actor: str) -> Reclassified:
        """Give the message ``category``: a new draft from that category's template, the
        response deadline re-planned as processing plans it, the correction stored for the
        next training.

        Raises NotFound, ReviewError (unknown category, automatic or unprocessed message, a
        reply already approved), TemplateError when no template renders.
        """
        return self._relabel(message_id, category, actor, confirm=False)

    def confirm(self, message_id: int, actor: str) -> Reclassified:
        """Record the model's category as the agent's label ("help the model": confirm).

        Stored like a reclassification to the same category (a correction whose old and new
        category agree, so the next training learns it and the classifier page counts it as
        right), and the draft is written as processing writes a sure message of that
        category (the situation detected, not the review template). Raises NotFound,
        ReviewError (the label is an agent's already, the draft was edited or approved, an
        automatic or unprocessed message), TemplateError when no template renders.
        """
        cl = self.drafts.classification(message_id)
        if cl is None or str(cl["model_version"]).startswith("agent:"):
            who = str(cl["model_version"]).split(":", 1)[1] if cl else ""
            raise ReviewError(f"message {message_id} has no model label to confirm"
                              + (f" (labelled by {who} already)" if who else ""))
        draft = self.drafts.current(message_id)
        if draft is not None and draft["updated_by"] != PIPELINE_AUTHOR:
            raise ReviewError(f"the draft of message {message_id} was changed by "
                              f"{draft['updated_by']}; reclassify it from its page instead")
        return self._relabel(message_id, str(cl["category"]), actor, confirm=True)

    def _relabel(self, message_id: int, category: str, actor: str, *,
                 confirm: bool) -> Reclassified:
        if category not in CATEGORIES:
            raise ReviewError(f"unknown category {category!r}; use one of "
                              f"{', '.join(CATEGORIES)}")
        msg = self.store.message(message_id)
        if msg["is_auto"] or msg["status"] != "processed":
            raise ReviewError(f"message {message_id} is {msg['status']} / automatic; "
                              "it has no category to correct")
        old = self.drafts.classification(message_id) or {}
        draft = self.drafts.current(message_id)
        if draft is not None and draft["status"] in ("approved", "sent"):
            raise ReviewError("a reply to this message was already approved; it cannot be "
                              "reclassified now")
        language = old.get("language") or msg.get("language_hint") or "en"
        cl = Classification(category=category, confidence=1.0, language=language,
                            model_version=f"agent:{actor}", needs_review=False,
                            scores=old.get("scores") or {})
        [context] = self.deadline_store.thread_contexts([msg])
        # a confirmed or changed label drafts like a sure model label of that category: the
        # situation detected in the text (the agent may switch it on the page)
        result = plan_and_draft(msg, cl, context, self.deadlines, self.renderer)
        assert result.draft is not None  # plan_and_draft always renders one
        state = (self.deadlines.state(result.due_at, self.clock.now(), msg["channel"],
                                      source=msg["source"] or "").value
                 if result.due_at is not None else "ok")
        from classifiers.model import model_input

        draft_id = self.drafts.reclassify(Reclassification(
            message_id=message_id, classification=cl, draft=result.draft,
            due_at=result.due_at, policy=result.policy, priority=result.priority, state=state,
            correction_text=model_input(msg["text"] or msg["full_text"], msg["subject"]),
            channel=msg["channel"], old_category=old.get("category")), actor)
        self.store.audit(actor, "confirm" if confirm else "reclassify", message_id,
                         {"from": old.get("category"), "to": category, "draft_id": draft_id})
        return Reclassified(message_id, draft_id, old.get("category"), category,
                            result.due_at)

    def switch_situation(self, message_id: int, situation: str, actor: str) -> Switched:
        """Write the message's draft again for ``situation`` (one of :meth:`situations`;
        ``general`` is the category's reply): the open (or discarded) draft is superseded by
        the new one. The category, the deadline and the training corrections stay as they
        are: a situation is a choice of reply, not a correction of the classifier.

        Raises NotFound, ReviewError (unknown situation, automatic or unprocessed message,
        a reply already approved), TemplateError when no template renders.
        """
        names = [name for name, _label in self.situations()]
        if situation not in names:
            raise ReviewError(f"unknown situation {situation!r}; use one of {', '.join(names)}")
        msg = self.store.message(message_id)
        row = self.drafts.classification(message_id)
        if msg["is_auto"] or msg["status"] != "processed" or row is None:
            raise ReviewError(f"message {message_id} is {msg['status']} / automatic; "
                              "it has no draft to write again")
        draft = self.drafts.current(message_id)
        if draft is not None and draft["status"] in ("approved", "sent"):
            raise ReviewError("a reply to this message was already approved; its draft "
                              "cannot be written again now")
        if draft is None:
            self._refuse_superseded(message_id)
        cl = Classification(category=row["category"], confidence=float(row["confidence"]),
                            language=row["language"], model_version=row["model_version"],
                            needs_review=bool(row["needs_review"]),
                            scores=row.get("scores") or {})
        [context] = self.deadline_store.thread_contexts([msg])
        result = plan_and_draft(msg, cl, context, self.deadlines, self.renderer,
                                now=self.clock.now(), situation=situation)
        assert result.draft is not None  # plan_and_draft always renders one
        old = str((draft or {}).get("situation") or "")
        draft_id = self.drafts.redraft(message_id, result.draft, actor)
        self.store.audit(actor, "switch_situation", message_id,
                         {"from": old, "to": situation, "draft_id": draft_id})
        return Switched(message_id, draft_id, old, situation)
