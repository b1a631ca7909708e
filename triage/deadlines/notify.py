"""Deadline notices: a webhook (JSON, or a Slack-compatible body) and an e-mail digest to a lead.

Notices are queued in the store by the deadline sweep (one row per deadline, threshold and
target, so a restart never queues one twice) and delivered here. A failed delivery is retried
at the next sweep after a capped exponential backoff, then given up after ``max_attempts``;
no code here sleeps.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from triage.backoff import backoff_delay, no_jitter
from triage.clients.smtp import SmtpClient, smtp_password
from triage.clock import Clock
from triage.config import NotificationSettings
from triage.errors import NotifyError
from triage.store.deadline_store import DeadlineStore

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

WEBHOOK = "webhook"
EMAIL = "email"


def describe(p: Mapping[str, Any]) -> str:
    """One line for humans: 'BREACHED message 12 (email, complaint, high): "Subject" ...'."""
    what = "BREACHED" if p["threshold"] == "breached" else f"due in {p['threshold']}" \
        if not p["threshold"].endswith("%") else f"{p['threshold']} of the target used"
    return (f"{what}: message {p['message_id']} ({p['channel']}, {p.get('category') or '?'}, "
            f"{p['priority']}) from {p['sender']}: \"{p['subject']}\" - {p['kind']} due "
            f"{p['due_at']}")


def webhook_body(payload: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """Return the JSON body of a webhook notice: triage's own, or Slack-compatible."""
    if fmt == "slack":
        text = describe(payload)
        return {"text": text,
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
                           {"type": "context", "elements": [{
                               "type": "mrkdwn",
                               "text": f"notice {payload['notice_id']} · policy "
                                       f"{payload['policy']}"}]}]}
    return {"event": "deadline.breached" if payload["threshold"] == "breached"
            else "deadline.warning", **payload}


class WebhookClient:
    """POSTs JSON to one URL; raises NotifyError on a network error or a non-2xx answer."""

    def __init__(self, url: str, fmt: str = "json", timeout: timedelta = timedelta(seconds=10),
                 session: requests.Session | None = None) -> None:
        self.url = url
        self.fmt = fmt
        self.timeout = timeout.total_seconds()
        if session is None:
            import requests  # ~4 MB; only daemons with a webhook target need it

            session = requests.Session()
        self.session = session

    def post(self, payload: Mapping[str, Any]) -> None:
        """Deliver one notice."""
        import requests

        body = webhook_body(payload, self.fmt)
        try:
            r = self.session.post(self.url, data=json.dumps(body, ensure_ascii=False).encode(),
                                  headers={"Content-Type": "application/json",
                                           "Idempotency-Key": f"triage-notice-"
                                                              f"{payload['notice_id']}"},
                                  timeout=self.timeout)
        except requests.RequestException as exc:
            raise NotifyError(f"webhook unreachable: {type(exc).__name__}") from None
        if not 200 <= r.status_code < 300:
            raise NotifyError(f"webhook answered HTTP {r.status_code}")


class Mailer(Protocol):
    """Sends one e-mail message."""

    def send(self, msg: EmailMessage) -> None:
        """Deliver ``msg``; raises NotifyError."""
        ...


class SmtpMailer:
    """Sends mail through the shared SMTP client (certificate verified on STARTTLS and SSL)."""

    def __init__(self, client: SmtpClient) -> None:
        self.client = client

    def send(self, msg: EmailMessage) -> None:
        """Deliver ``msg``; raises NotifyError naming the server (never the password)."""
        try:
            self.client.send(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyError(f"{self.client.label}: {type(exc).__name__}: {exc}") from None


def digest_message(payloads: Sequence[Mapping[str, Any]], sender: str, to: Sequence[str],
                   now: datetime) -> EmailMessage:
    """Build the digest mail: one line per notice, breaches first."""
    breached = [p for p in payloads if p["threshold"] == "breached"]
    warned = [p for p in payloads if p["threshold"] != "breached"]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = (f"[triage] {len(breached)} breached, {len(warned)} due soon")
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain="triage")
    msg["Auto-Submitted"] = "auto-generated"  # never answered by auto-responders
    lines = [f"Deadline digest at {now.isoformat()}", ""]
    if breached:
        lines += ["Breached:", *[f"  - {describe(p)}" for p in breached], ""]
    if warned:
        lines += ["Due soon:", *[f"  - {describe(p)}" for p in warned], ""]
    msg.set_content("\n".join(lines))
    return msg


class Notifier:
    """Delivers queued notices to the configured targets, with retries and backoff."""

    def __init__(self, dstore: DeadlineStore, clock: Clock, settings: NotificationSettings,
                 *, webhook: WebhookClient | None = None, mailer: Mailer | None = None) -> None:
        self.dstore = dstore
        self.clock = clock
        self.settings = settings
        self.webhook = webhook
        self.mailer = mailer if settings.email_to else None

    @property
    def targets(self) -> list[str]:
        """The targets a new notice is queued for."""
        return [t for t, on in ((WEBHOOK, self.webhook), (EMAIL, self.mailer)) if on]

    def _retry_at(self, attempts: int) -> datetime | None:
        retry = self.settings.retry
        if attempts >= retry.max_attempts:
            return None
        wait = backoff_delay(attempts, retry.base, retry.max, rand=no_jitter)
        return self.clock.now() + wait

    def deliver(self) -> dict[str, int]:
        """Send what is due; return counts ``{"sent": n, "failed": n}`` (failures retry)."""
        out = {"sent": 0, "failed": 0}
        if self.webhook is not None:
            for n in self.dstore.due_notices(WEBHOOK):
                try:
                    self.webhook.post({**n["payload"], "notice_id": n["id"]})
                except NotifyError as exc:
                    log.warning("webhook notice %s failed (attempt %d): %s", n["id"],
                                n["attempts"] + 1, exc)
                    self.dstore.notices_failed([n["id"]], str(exc),
                                               self._retry_at(n["attempts"] + 1))
                    out["failed"] += 1
                    continue
                self.dstore.notices_sent([n["id"]])
                log.info("webhook notice %s sent (%s, message %s)", n["id"], n["threshold"],
                         n["message_id"])
                out["sent"] += 1
        if self.mailer is not None:
            out_mail = self._deliver_digest()
            out["sent"] += out_mail["sent"]
            out["failed"] += out_mail["failed"]
        return out

    def _deliver_digest(self) -> dict[str, int]:
        due = self.dstore.due_notices(EMAIL)
        if not due or self.mailer is None:
            return {"sent": 0, "failed": 0}
        now = self.clock.now()
        last = self.dstore.last_sent_at(EMAIL)
        retrying = any(n["attempts"] for n in due)
        if last is not None and not retrying and now - last < self.settings.digest_interval:
            return {"sent": 0, "failed": 0}  # wait for the next digest slot
        msg = digest_message([{**n["payload"], "notice_id": n["id"]} for n in due],
                             self.settings.email_from, self.settings.email_to, now)
        ids = [n["id"] for n in due]
        try:
            self.mailer.send(msg)
        except NotifyError as exc:
            attempts = max(n["attempts"] for n in due) + 1
            log.warning("deadline digest failed (attempt %d): %s", attempts, exc)
            self.dstore.notices_failed(ids, str(exc), self._retry_at(attempts))
            return {"sent": 0, "failed": len(ids)}
        self.dstore.notices_sent(ids)
        log.info("deadline digest sent to %s with %d notice(s)",
                 ", ".join(self.settings.email_to), len(ids))
        return {"sent": len(ids), "failed": 0}


def build_notifier(dstore: DeadlineStore, clock: Clock, settings: NotificationSettings,
                   environ: Mapping[str, str],
                   resolve: Callable[[str], Path] = Path) -> Notifier:
    """Build the notifier the settings describe (secrets from ``environ``; ``resolve`` makes
    a configured path absolute, relative to the config file).

    Raises MissingSecretError when the SMTP password variable is named but not set.
    """
    webhook = None
    if settings.webhook_url_env and environ.get(settings.webhook_url_env):
        webhook = WebhookClient(environ[settings.webhook_url_env], settings.webhook_format,
                                settings.webhook_timeout)
    mailer = None
    if settings.email_to:
        smtp = settings.smtp
        client = SmtpClient.from_settings(
            smtp, smtp_password(smtp, environ, "notifications.smtp.password_env"),
            resolve(smtp.ca_file) if smtp.ca_file else None)
        mailer = SmtpMailer(client)
    return Notifier(dstore, clock, settings, webhook=webhook, mailer=mailer)
