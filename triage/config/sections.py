"""Settings of the store, classifier, drafts, scheduler, logging, review page, sending,
operations, retention and automatic acknowledgements: one class per TOML table."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from triage.config.ack_texts import DEFAULT_ACK_SUBJECT, DEFAULT_ACK_TEXTS, AckSubject, AckText
from triage.config.common import RetrySettings, SmtpSettings
from triage.config.encoder import EncoderSettings
from triage.config.llm import LlmSettings
from triage.config.team import DEFAULT_TEAM_NAMES, TeamName
from triage.config.values import Duration, Section, TimeZoneName


class StoreSettings(Section):
    """Where messages, drafts and models are kept."""

    url: str = Field(
        "",
        description="SQLAlchemy URL. Empty: SQLite file triage.db in data_dir. "
        "PostgreSQL: 'postgresql+psycopg://user@host/db' (password via url_env).",
    )
    url_env: str = Field(
        "",
        description="Name of an environment variable holding the database URL (overrides url).",
    )


class ClassifierSettings(Section):
    """The message classifier."""

    model_path: str = Field(
        "",
        description="Model file to use. Empty: the active model in the store, else the model "
        "trained from the bundled corpus (trained on first use and cached in data_dir/models).",
    )
    review_threshold: float = Field(
        0.55, ge=0.0, le=1.0,
        description="Messages whose confidence is below this go to a human (needs_review).",
    )
    category_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Per-category override of review_threshold, e.g. {suggestion = 0.6}.",
    )
    language_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Per-language override of the review thresholds the model file carries "
        "(chosen on a selective-accuracy curve when it was trained), e.g. {vi = 0.6}. "
        "category_thresholds win over it.",
    )
    abstain_target_accuracy: float = Field(
        0.92, gt=0.0, le=1.0,
        description="'triage train' picks each language's review threshold so that the "
        "messages not flagged are right this often, flagging at most abstain_max_flagged.",
    )
    abstain_max_flagged: float = Field(
        0.20, ge=0.0, le=1.0,
        description="Largest share of a language's messages the chosen thresholds may flag; "
        "where the target accuracy needs more, the threshold with the best accuracy within "
        "this share is used.",
    )
    lingua_margin: float = Field(
        0.0, ge=0.0,
        description="Ask lingua for a message's language when the model's language scores of "
        "the top two languages differ by less than this (0: never; see docs/classifier.md).",
    )
    gate_tolerance: float = Field(
        0.0, ge=0.0, le=1.0,
        description="'triage train' activates a new model only if it scores at least the "
        "active model's minus this on real messages: accuracy on the held-out corrections, "
        "and macro-F1 on gate_data when set.",
    )
    gate_corpus_tolerance: float = Field(
        0.01, ge=0.0, le=1.0,
        description="How much lower than the active model's a new model's macro-F1 on the "
        "shipped test set (team-written corpus rows) may be; real messages (held-out "
        "corrections, gate_data) use gate_tolerance.",
    )
    gate_holdout_share: float = Field(
        0.15, gt=0.0, lt=0.5,
        description="Share of the corpus (the shipped test set; unless gate_data is set) and "
        "of the agents' corrections held back, by a stable hash of the text, to compare the new "
        "and the active model.",
    )
    gate_data: str = Field(
        "", description="Labelled CSV (text,label[,lang]) of real messages to compare models on "
        "instead of the shipped test set (all corpus rows then train the model); review "
        "thresholds are then chosen on it too.",
    )
    retrain_interval: Duration = Field(
        timedelta(0),
        description="Retrain in the daemon this often (e.g. '7d') from the corpus and the "
        "agents' corrections, gated like 'triage train'. 0: never.",
    )
    self_training_days: int = Field(
        0, ge=0,
        description="Self-train 'triage train' and scheduled retraining on the stored "
        "messages of the last this many days that no agent labelled (0: off).",
    )
    self_training_max_messages: int = Field(
        20000, ge=1,
        description="Newest unlabelled messages self-training reads at most.",
    )
    inbox_weighting: bool = Field(
        True,
        description="While self-training, weight each labelled example by how much it looks "
        "like the inbox (a classifier telling corpus from inbox, out of fold; weights clipped "
        "to 0.1-10, mean 1 per language; needs 30+ inbox messages). Kept only if the gate's "
        "comparison with the model trained without the inbox accepts it. false: off.",
    )
    retrain_min_corrections: int = Field(
        20, ge=0,
        description="Scheduled retraining runs only when at least this many corrections were "
        "stored since the active model was trained.",
    )
    llm: LlmSettings = Field(
        default_factory=LlmSettings, description="A second opinion on unsure messages from "
        "an OpenAI-compatible LLM server you run ([classifier.llm]; off by default).")
    encoder: EncoderSettings = Field(
        default_factory=EncoderSettings, description="A sentence encoder re-scoring unsure "
        "messages off the hot path ([classifier.encoder]; off by default).")


class DraftingSettings(Section):
    """Reply drafts."""

    default_language: str = Field(
        "en", description="Language used when no template exists in the message's language."
    )
    template_dir: str = Field(
        "", description="Directory with templates that override or extend the packaged ones."
    )
    team_name: TeamName = Field(
        default_factory=lambda: dict(DEFAULT_TEAM_NAMES),
        description="Team name drafts are signed with: one name for every language "
        "('Acme Support'), or a table per language ({en = 'Customer Support', vi = '...'}); "
        "a language the table lacks is signed with its en entry, else its first. Also the "
        "From name of e-mail replies and acknowledgements (in their language) and the "
        "team of acknowledgements.")
    agent_name: str = Field("", description="Agent name used in signatures (empty: team only).")
    support_address: str = Field(
        "support@example.com", description="From address of replies; messages from it are ours."
    )
    customer_timezone: TimeZoneName = Field(
        "Asia/Singapore",
        description="IANA time zone deadlines are written in for customers whose language has "
        "no entry in language_timezones.",
    )
    language_timezones: dict[str, TimeZoneName] = Field(
        default_factory=lambda: {"vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta",
                                 "tl": "Asia/Manila"},
        description="IANA time zone per customer language for deadlines in drafts.",
    )
    social_max_length: int = Field(
        280, ge=40, le=5000,
        description="Longest social draft, counted as X counts (twitter-text weighting).",
    )
    learn_situations: bool = Field(
        True,
        description="Train the situation model on the packaged corpus plus the situations "
        "agents switched drafts to (when the first draft is detected, then again every "
        "relearn_situations_every).",
    )
    relearn_situations_every: Duration = Field(
        timedelta(hours=24), description="How often each process learns the situation model "
        "again from the agents' latest switches (learn_situations); at least 1 minute.",
    )

    @field_validator("relearn_situations_every")
    @classmethod
    def _relearn_every(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=1):
            raise ValueError("relearn_situations_every is at least 1 minute (e.g. '24h')")
        return value


class SchedulerSettings(Section):
    """The daemon's schedule."""

    sweep_interval: Duration = Field(
        timedelta(minutes=1), description="How often deadlines are swept for due_soon/breached."
    )
    retry: RetrySettings = Field(
        default_factory=RetrySettings, description="Backoff of a failing source "
        "([scheduler.retry]; its max_attempts is not used: sources are never given up).")
    jitter: Duration = Field(
        timedelta(seconds=5), description="Random delay added to polls so sources spread out."
    )
    batch_size: int = Field(
        200, ge=1, description="Messages classified and stored per transaction."
    )
    workers: Literal["auto"] | int = Field(
        0, description="Worker processes that classify, plan deadlines, render and save "
        "stored messages beside the polling process (they share the work through claims), "
        "and as many parse processes that parse the fetched mail for it. 0: the polling "
        "process does it all; 'auto': one per CPU core but one (none on one core).",
    )

    @field_validator("workers")
    @classmethod
    def _workers(cls, value: str | int) -> str | int:
        if isinstance(value, int) and value < 0:
            raise ValueError("workers is 'auto' or a whole number >= 0")
        return value


class LoggingSettings(Section):
    """Log output of the CLI."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    json_lines: bool = Field(False, description="Write one JSON object per log line.")


class WebSettings(Section):
    """The review page (served by `triage web`, and by `triage run` when enabled)."""

    enabled: bool = Field(False, description="Serve the review page from `triage run` too.")
    host: str = Field("127.0.0.1", description="Address the review page listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the review page listens on.")
    secret_key_env: str = Field(
        "", description="Environment variable holding the session signing key. Empty: a key "
        "generated once and kept in data_dir/web-session.key (mode 0600).")
    session_max_age: Duration = Field(
        timedelta(hours=8), description="How long a sign-in lasts at most (its absolute "
        "lifetime), however busy.")
    session_idle_timeout: Duration = Field(
        timedelta(hours=1), description="A sign-in unused for this long ends (its idle "
        "lifetime). Sign-out, a new password, a disabled account and an admin's 'sign out "
        "everywhere' end it at once.")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="Mark the session cookie Secure: 'always' (behind HTTPS), 'never', "
        "or 'auto' (Secure unless the page listens on a loopback address, and always on a "
        "request that came over HTTPS, directly or through one of trusted_proxies).")
    login_max_attempts: int = Field(
        5, ge=1, description="Failed sign-ins allowed per user name and per client address "
        "within login_window before further tries are refused.")
    login_window: Duration = Field(
        timedelta(minutes=15), description="Window for login_max_attempts.")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses or networks of the reverse proxies in "
        "front of the page, e.g. ['127.0.0.1', '10.0.0.0/24']. Only a request from one of "
        "them may name the client address (X-Forwarded-For) and HTTPS (X-Forwarded-Proto). "
        "Empty: no proxy is trusted; the address is the connection's.")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network; write it like "
                                 "'127.0.0.1', '::1' or '10.0.0.0/24'") from None
        return [item.strip() for item in value]
    queue_refresh: Duration = Field(
        timedelta(seconds=30), description="How often the queue refreshes itself.")
    undo_window: Duration = Field(
        timedelta(minutes=2), description="How long a discarded draft can be restored with "
        "Undo.")
    help_the_model: int = Field(
        5, ge=0, le=50, description="How many unsure messages the queue page proposes to "
        "confirm or correct ('help the model': those whose label would teach the model most, "
        "languages taking turns). 0 hides the list.")



class SendSettings(Section):
    """How approved replies leave: the sender per channel and the outbox's retries."""

    email: Literal["smtp", "log"] = Field(
        "log", description="Email sender: 'smtp', or 'log' (dry run: log the reply, send "
        "nothing).")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings,
                               description="SMTP server of email replies ([send.smtp]).")
    drain_interval: Duration = Field(
        timedelta(seconds=15), description="How often the daemon drains the outbox.")
    retry: RetrySettings = Field(
        default_factory=RetrySettings, description="Retries of a reply that could not be sent "
        "([send.retry]).")
    in_doubt_after: Duration = Field(
        timedelta(minutes=10), description="A reply claimed for sending longer ago than this "
        "by a daemon that never finished is marked in doubt (not resent; an operator "
        "decides). A dead daemon on this machine is noticed at once. Must be longer than "
        "any send takes (more than send.smtp.timeout).")

    @model_validator(mode="after")
    def _doubt_after_timeout(self) -> SendSettings:
        if self.in_doubt_after <= self.smtp.timeout:
            raise ValueError(
                f"send.in_doubt_after ({self.in_doubt_after}) must be longer than "
                f"send.smtp.timeout ({self.smtp.timeout}), or replies still being sent would "
                "be marked in doubt; raise in_doubt_after")
        return self

    def inactive_fields(self) -> frozenset[str]:
        """The SMTP server is not used (its password not required) unless email = 'smtp'."""
        return frozenset() if self.email == "smtp" else frozenset({"smtp"})


class OpsSettings(Section):
    """Operations: health and metrics endpoint, and how daemons share one store."""

    listen: str = Field(
        "", description="host:port serving /healthz and /metrics from the daemon, e.g. "
        "'127.0.0.1:9464'. Empty: off.",
    )
    metrics_token_env: str = Field(
        "", description="Name of an environment variable holding a token that /metrics then "
        "requires as 'Authorization: Bearer <token>' (here and on the review page). Empty: "
        "/metrics answers whoever reaches the port. /healthz never needs it and shows only "
        "up/down and the processing lag.",
    )
    instance: str = Field(
        "", description="Name of this daemon in leases and claims. Empty: the host name. "
        "Give each machine its own name when several daemons share one database.",
    )
    lease_ttl: Duration = Field(
        timedelta(minutes=2), description="How long a daemon's lease on a source or a "
        "singleton job lasts without renewal; a dead daemon's sources are taken over after it.",
    )
    claim_ttl: Duration = Field(
        timedelta(minutes=5), description="How long a daemon's claim on a message it is "
        "processing lasts; after it another daemon may process the message.",
    )
    malloc_arenas: int = Field(
        2, ge=0, description="Most heap arenas glibc's malloc may use in the daemon and its "
        "worker processes (M_ARENA_MAX). Each thread that allocates may otherwise get its own "
        "arena, which the daemon's memory creeps through (docs/benchmarks.md, soak). 0: "
        "glibc's default (8 per core); ignored where the C library is not glibc.",
    )

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{value!r} is not host:port; write it like '127.0.0.1:9464'")
        return value


class RetentionSettings(Section):
    """What triage deletes by itself: nothing unless asked."""

    raw_after: Duration = Field(
        timedelta(0), description="Drop the raw bytes (the message exactly as received) of "
        "messages ingested longer ago than this, once processed or quarantined; the parsed "
        "text, thread, category, deadlines, drafts and audit log stay. '0s': keep forever.")
    every: Duration = Field(
        timedelta(hours=6), description="How often the daemon applies the retention rules.")


class AckRuleSettings(Section):
    """One opt-in rule allowing automatic acknowledgements for a category on a channel."""

    name: str = Field(..., description="Name of the rule (shown in the audit log).")
    enabled: bool = Field(False, description="Set true to send acknowledgements by this rule.")
    category: str = Field(..., description="Category acknowledged (complaint, request, ...).")
    channel: Literal["email", "social"] = Field("email", description="Channel acknowledged.")
    max_per_sender_per_day: int = Field(
        1, ge=1, description="At most this many acknowledgements to one sender per 24 hours."
    )
    min_confidence: float = Field(
        0.0, ge=0.0, le=1.0, description="Only acknowledge when the classifier is this sure."
    )
    subject: AckSubject = Field(
        DEFAULT_ACK_SUBJECT,
        description="Jinja2 subject: one template for every language, or a table per language "
        "({en = '...', vi = '...'}; a language the table lacks uses its en entry, else its "
        "first). Variables as for text.",
    )
    text: AckText = Field(
        None,
        description="Jinja2 text: one template for every language, or a table per language "
        "({en = '...', vi = '...'}; a language the table lacks uses its en entry, else its "
        "first). None: the packaged text for the channel in en, vi, id and tl (see "
        "'Automatic acknowledgements'). Variables: greeting, salutation, you, name, subject, "
        "reference, within, team, language.",
    )

    @model_validator(mode="after")
    def _default_text(self) -> AckRuleSettings:
        """No ``text``: the packaged texts of the rule's channel (a copy, per rule)."""
        if self.text is None:
            self.text = dict(DEFAULT_ACK_TEXTS[self.channel])
        return self
