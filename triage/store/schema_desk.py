"""Tables of the review desk and operations: accounts, assignments, the outbox, IMAP write-back,
job leases, acknowledgements, notes, saved replies, channel tokens, webhook events and web
sessions. Part of the schema in :mod:`triage.store.schema` (split for size); changes go through
an Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from triage.store.schema_meta import TS, metadata

# --- review page (issue #7): accounts, assignments, outbox --------------------------------
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    # agent | admin
    Column("role", String(20), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    # base32 secret of the optional TOTP second factor (triage users totp NAME)
    Column("totp_secret", String(64)),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False, unique=True),
    Column("agent", String(200), nullable=False),
    Column("assigned_at", TS, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("draft_id", Integer, ForeignKey("drafts.id")),
    Column("channel", String(20), nullable=False),
    Column("payload", JSON, nullable=False, default=dict),
    # pending -> sending -> sent; or failed (retries exhausted / permanent error); a row left
    # in sending by a dead daemon becomes in_doubt (never resent automatically); an operator
    # may requeue (-> pending) or cancel (-> cancelled) it
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", TS, nullable=False),
    Column("last_error", Text),
    Column("remote_id", String(998)),
    Column("actor", String(200), nullable=False, default=""),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS),
    # who claimed the row for sending (daemon owner ``instance:pid:token``) and when
    Column("claimed_by", String(200)),
    Column("claimed_at", TS),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

imap_writeback = Table(
    "imap_writeback",
    metadata,
    # What triage has written back to the IMAP server for one message (issue #3), so that
    # each write happens once and flags follow the deadline state.
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("source", String(200), nullable=False),
    Column("keyword", String(100), nullable=False, default=""),
    Column("flagged", Boolean, nullable=False, default=False),
    Column("draft_id", Integer),
    Column("draft_uid", Integer),
    Column("moved_to", String(500), nullable=False, default=""),
    Column("error", Text),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("message_id", name="uq_imap_writeback_message_id"),
    Index("ix_imap_writeback_source", "source"),
)

imap_sent_copies = Table(
    "imap_sent_copies",
    metadata,
    # A reply sent through triage (SMTP) waiting to be APPENDed to its IMAP source's Sent
    # folder by the write-back after a poll; ``appended_at`` is set once it is there.
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("source", String(200), nullable=False),
    Column("reply_message_id", String(998), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("appended_at", TS),
    Column("uid", Integer),
    Column("error", Text),
    UniqueConstraint("reply_message_id", name="uq_imap_sent_copies_reply_message_id"),
    Index("ix_imap_sent_copies_source_appended_at", "source", "appended_at"),
)

job_leases = Table(
    "job_leases",
    metadata,
    # one row per singleton job (deadline sweep, retraining); see triage.store.ownership
    Column("name", String(100), primary_key=True),
    Column("owner", String(200)),
    Column("until", TS),
    Column("last_run_at", TS),
)

acknowledgements = Table(
    "acknowledgements",
    metadata,
    Column("id", Integer, primary_key=True),
    # unique: never two automatic acknowledgements in one thread (see triage.drafting.acks)
    Column("thread_id", Integer, ForeignKey("threads.id"), nullable=False, unique=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("rule", String(200), nullable=False, default=""),
    # reserved -> sent, or failed (with error)
    Column("status", String(20), nullable=False),
    Column("remote_id", String(998)),
    Column("error", Text),
    Column("created_at", TS, nullable=False),
    Index("ix_acknowledgements_recipient_created_at", "recipient", "created_at"),
)

# Internal notes on a conversation: never sent, shown in the thread.
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", Integer, ForeignKey("messages.id"), nullable=False),
    Column("thread_id", Integer, ForeignKey("threads.id")),
    Column("author", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_notes_thread_id", "thread_id"),
)

# Canned replies an agent saved for themselves (templates are the shared ones).
saved_replies = Table(
    "saved_replies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("language", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("owner", "name", name="uq_saved_replies_owner_name"),
)

channel_tokens = Table(
    "channel_tokens",
    metadata,
    # The current access/refresh token pair of a chat source whose tokens expire and are
    # refreshed (Zalo OA). ``seed`` is a hash of the refresh token first taken from the
    # environment, so a new one put there (after re-authorising) replaces the stored pair.
    Column("source", String(200), primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", TS),
    Column("seed", String(64), nullable=False, default=""),
    Column("version", Integer, nullable=False, default=1),
    Column("updated_at", TS, nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    # A webhook delivery whose signature was checked, kept until its source reads it; ``key``
    # (a hash of the body) drops the platform's repeated deliveries of the same body.
    Column("id", Integer, primary_key=True),
    Column("source", String(200), nullable=False),
    Column("key", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("received_at", TS, nullable=False),
    UniqueConstraint("source", "key", name="uq_webhook_events_source_key"),
)

# --- review page security (issue #18): server-side sessions, sign-in failures ---------------
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    # SHA-256 of the random token in the cookie: a copy of the table opens no session
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_name", String(200), nullable=False),
    Column("client", String(64), nullable=False, default=""),
    Column("created_at", TS, nullable=False),
    Column("last_seen_at", TS, nullable=False),
    # set when the session ends: logout, expired, password, disabled, signed_out
    Column("ended_at", TS),
    Column("end_reason", String(40)),
    Index("ix_web_sessions_user_name_ended_at", "user_name", "ended_at"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    # "user:<name>" or "ip:<address>": counted per account and per client address
    Column("key", String(300), nullable=False),
    Column("at", TS, nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)
