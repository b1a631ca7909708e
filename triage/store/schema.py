"""The database schema (SQLAlchemy Core). Changes go through an Alembic migration.

The review desk's and operations' tables live in :mod:`triage.store.schema_desk` and are
re-exported here, so ``schema.users`` and ``schema.metadata`` hold every table."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)

from triage.store.schema_desk import (  # noqa: F401  (re-exported)
    acknowledgements,
    assignments,
    channel_tokens,
    imap_sent_copies,
    imap_writeback,
    job_leases,
    login_failures,
    notes,
    outbox,
    saved_replies,
    users,
    web_sessions,
    webhook_events,
)
from triage.store.schema_meta import TS, metadata

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("type", String(40), nullable=False),
    Column("cursor", JSON, nullable=False, default=dict),
    Column("lease_owner", String(200)),
    Column("lease_until", TS),
    Column("last_success_at", TS),
    Column("last_error", Text),
    Column("last_error_at", TS),
    Column("failures", Integer, nullable=False, default=0),
    Column("paused_until", TS),
)

threads = Table(
    "threads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(500), unique=True),
    Column("subject", Text, nullable=False, default=""),
    Column("channel", String(20), nullable=False),
    Column("customer", String(320), nullable=False, default=""),
    Column("created_at", TS, nullable=False),
    Column("last_message_at", TS, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(200), nullable=False),
    Column("external_id", String(500), nullable=False),
    Column("message_id", String(998), nullable=False, default=""),
    Column("channel", String(20), nullable=False),
    Column("thread_id", Integer, ForeignKey("threads.id")),
    Column("received_at", TS, nullable=False),
    Column("ingested_at", TS, nullable=False),
    Column("sender", String(320), nullable=False, default=""),
    Column("sender_name", String(320), nullable=False, default=""),
    Column("recipients", JSON, nullable=False, default=list),
    Column("cc", JSON, nullable=False, default=list, server_default="[]"),
    # what could not be decoded (a partly decoded message goes to review)
    Column("defects", JSON, nullable=False, default=list, server_default="[]"),
    Column("subject", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("full_text", Text, nullable=False, default=""),
    Column("html", Text),
    Column("in_reply_to", String(998)),
    Column("references", JSON, nullable=False, default=list),
    Column("attachments", JSON, nullable=False, default=list),
    Column("is_auto", Boolean, nullable=False, default=False),
    Column("auto_reason", Text),
    Column("language_hint", String(8)),
    # a private conversation (Messenger, Zalo, WhatsApp, Telegram private chat, Mastodon
    # direct post): drafts ask for details right there, not "DM us"
    Column("private", Boolean, nullable=False, default=False, server_default=false()),
    # the raw bytes are in ``message_raw`` (#19): every claim and status change rewrote them
    # with the row on SQLite
    Column("raw_sha256", String(64), nullable=False, default=""),
    Column("backfill", Boolean, nullable=False, default=False),
    # new -> processed, or quarantined (with error); see pipeline
    Column("status", String(20), nullable=False, default="new"),
    Column("error", Text),
    Column("processed_at", TS),
    # who claimed the message when it was processed (written by the flip to ``processed``);
    # the claims of waiting messages are in ``message_claims`` (#19, migration 0024)
    Column("claim_owner", String(200)),
    Column("claim_until", TS),
    UniqueConstraint("source", "external_id", name="uq_messages_source_external_id"),
    Index("ix_messages_status", "status"),
    Index("ix_messages_message_id", "message_id"),
    Index("ix_messages_thread_id", "thread_id"),
    Index("ix_messages_sender", "sender"),
    Index("ix_messages_received_at", "received_at"),
)
# the sweep looks up our own replies by lower(sender) (triage.store.deadline_store)
Index("ix_messages_sender_lower", func.lower(messages.c.sender))
# PostgreSQL: the waiting messages in id order, what a claim walks and the status flip looks
# up (#19, migration 0022; the texts are lz4-compressed since that migration too). Not on
# SQLite: it gained nothing there and cost ~0.1 CPU s per 10,000 stored.
Index("ix_messages_waiting_id", messages.c.id,
      postgresql_where=messages.c.status == "new").ddl_if(dialect="postgresql")

# The raw bytes of each message as received, one row per message, until retention drops the row
# (``Messages.purge_raw``). Apart from the messages row, which is updated several times on its
# way (claimed, processed) while these bytes never change. On PostgreSQL they are compressed
# with lz4 where the server has it (migration 0021), not the slower default pglz.
message_raw = Table(
    "message_raw",
    metadata,
    Column("message_id", Integer, ForeignKey("messages.id"), primary_key=True,
           autoincrement=False),
    Column("raw", LargeBinary, nullable=False),
)

# The claims on waiting messages (triage.store.ownership.Claims): one narrow row per claimed
# message, inserted by a claim and deleted by the flip to ``processed`` (or the quarantine).
# Claiming used to update the wide ``messages`` row, a new version of ~2 KB and an entry in each
# of its nine indexes per message (not HOT: a full page), the largest server statement of a
# burst after the inserts (#19). No foreign key: the row lives seconds, messages are never
# deleted, and the check would cost the server a look-up and a lock per claimed row.
message_claims = Table(
    "message_claims",
    metadata,
    Column("message_id", Integer, primary_key=True, autoincrement=False),
    Column("owner", String(200), nullable=False),
    Column("until", TS, nullable=False),
)

classifications = Table(
    "classifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("category", String(40), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("language", String(8), nullable=False),
    Column("model_version", String(100), nullable=False),
    Column("needs_review", Boolean, nullable=False),
    Column("scores", JSON, nullable=False, default=dict),
    Column("created_at", TS, nullable=False),
    Column("current", Boolean, nullable=False, default=True),
    Index("ix_classifications_message_id", "message_id"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    # pending_review -> approved -> sent; or discarded; superseded when re-drafted
    Column("status", String(20), nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("template", String(300), nullable=False, default=""),
    Column("language", String(8), nullable=False, default="en"),
    # the situation it was drafted for ('' before 0015 or for none), the text as drafted
    # (before any agent edit: the edit ratio compares it with what was sent) and who had it
    # drafted ("triage" for processing, the agent for a reclassification or situation switch)
    Column("situation", String(40), nullable=False, default="", server_default=""),
    Column("drafted_text", Text),
    Column("drafted_by", String(200)),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("updated_by", String(200)),
    Index("ix_drafts_message_id", "message_id"),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("kind", String(40), nullable=False, default="first_response"),
    Column("policy", String(200), nullable=False, default=""),
    Column("due_at", TS, nullable=False),
    Column("state", String(20), nullable=False, default="ok"),
    Column("met_at", TS),
    Column("warnings_sent", JSON, nullable=False, default=list),
    Column("priority", String(20), nullable=False, default="normal", server_default="normal"),
    Column("met_by", String(320)),
    # when the sweep must look at it next (a state or warning changes then); NULL = next sweep
    Column("next_check_at", TS),
    UniqueConstraint("message_id", "kind", name="uq_deadlines_message_id_kind"),
    Index("ix_deadlines_state_due_at", "state", "due_at"),
    Index("ix_deadlines_state_next_check_at", "state", "next_check_at"),
    Index("ix_deadlines_met_at_kind", "met_at", "kind"),
)

# One row per OPEN conversation (see triage.store.conversations for what open means), kept by
# the writers in the transaction that changes its inputs (triage.store.summary): the queue, its
# counts and the dashboard read these rows instead of grouping every open deadline.
conversation_summary = Table(
    "conversation_summary",
    metadata,
    # the conversation key: its thread id, else minus the id of its only message
    Column("conv", Integer, primary_key=True, autoincrement=False),
    Column("thread_id", Integer),
    # the most urgent open response deadline, and what decides its state's due-soon boundary
    # (channel and source over the open messages, as the state has always been computed)
    Column("due_at", TS, nullable=False),
    Column("state_channel", String(20), nullable=False),
    Column("state_source", String(200), nullable=False),
    # the newest open customer message, what the queue shows and filters on
    Column("newest_id", Integer, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("source", String(200), nullable=False),
    Column("category", String(40)),
    Column("language", String(8)),
    Column("needs_review", Boolean),
    # the agent of the conversation's latest assignment
    Column("assignee", String(200)),
    Index("ix_conversation_summary_due_at", "due_at", "conv"),
    Index("ix_conversation_summary_received_at", "received_at"),
    Index("ix_conversation_summary_category", "category", "due_at"),
    Index("ix_conversation_summary_language", "language", "due_at"),
    Index("ix_conversation_summary_assignee", "assignee", "due_at"),
)

# One row per deadline, threshold and target: the durable record that a notice was (or is
# being) sent, so a restart never sends it twice.
deadline_notices = Table(
    "deadline_notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("deadline_id", Integer, ForeignKey("deadlines.id"), nullable=False),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("threshold", String(40), nullable=False),
    Column("target", String(20), nullable=False),
    # pending -> sent, or failed after max_attempts
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("payload", JSON, nullable=False, default=dict),
    Column("created_at", TS, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("sent_at", TS),
    Column("last_error", Text),
    UniqueConstraint("deadline_id", "threshold", "target",
                     name="uq_deadline_notices_deadline_id_threshold_target"),
    Index("ix_deadline_notices_status_next_attempt_at", "status", "next_attempt_at"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id")),
    Column("text", Text, nullable=False),
    Column("language", String(8), nullable=False, default=""),
    Column("channel", String(20), nullable=False, default="email"),
    Column("old_category", String(40)),
    Column("new_category", String(40), nullable=False),
    Column("agent", String(200), nullable=False, default=""),
    Column("created_at", TS, nullable=False),
    # "has an agent labelled this message?" (help the model, self-training, accuracy)
    Index("ix_corrections_message_id", "message_id"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", String(100), nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("corpus_hash", String(64), nullable=False, default=""),
    Column("metrics", JSON, nullable=False, default=dict),
    Column("created_at", TS, nullable=False),
    Column("active", Boolean, nullable=False, default=False),
    Column("activated_at", TS),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", TS, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("message_id", Integer),
    Column("detail", JSON, nullable=False, default=dict),
    Index("ix_audit_log_message_id", "message_id"),
    Index("ix_audit_log_at", "at"),
)

# A local LLM's second opinion on an unsure message (issue #17, [classifier.llm]): shown beside
# the model's label, never applied. One row per message: the answer, or the failed attempts.
llm_opinions = Table(
    "llm_opinions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False, unique=True),
    # answered (label and reason set) or failed (error set; asked again up to max_attempts)
    Column("status", String(20), nullable=False),
    Column("label", String(40)),
    Column("reason", Text),
    Column("model", String(100), nullable=False, default=""),
    Column("asked_at", TS, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("error", Text),
)

# A sentence encoder's re-score of an unsure message ([classifier.encoder], issue #17): one row
# per message re-scored (so it is never re-scored twice), whether or not the label changed.
encoder_rescores = Table(
    "encoder_rescores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False, unique=True),
    Column("old_category", String(40), nullable=False),
    Column("new_category", String(40), nullable=False),
    # the encoder head's version and the blend weight it was mixed in with
    Column("head", String(100), nullable=False),
    Column("weight", Float, nullable=False),
    # the blend's confidence in new_category (migration 0023; NULL on rows re-scored before)
    Column("confidence", Float),
    # the label and draft were replaced (False: same label, or an agent touched it meanwhile)
    Column("applied", Boolean, nullable=False),
    Column("rescored_at", TS, nullable=False),
)

