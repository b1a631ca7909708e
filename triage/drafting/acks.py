"""Unattended acknowledgements, opt-in per category and channel (``[[acknowledgements]]``).

A processed message is acknowledged ("we received your message, reference T-1042, we answer
within 24 hours") only when an enabled rule matches its category and channel, and never:
to automatic mail (``is_auto``), during a backfill, twice in one thread (a unique row per
thread in ``acknowledgements``), or more than the rule's N times to one sender per 24 hours.
Every decision of a matching rule, sent or skipped, is written to the audit log.

The acknowledgement row is reserved before sending and the send is never retried, so a crash
between the two loses at most one acknowledgement and never doubles one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from triage.clock import Clock
from triage.config import AckRuleSettings, team_name_for
from triage.deadlines.policy import DeadlinePolicy
from triage.errors import ConfigError, TriageError
from triage.mail.threads import ref_token
from triage.models import Classification, OutgoingReply, Sender
from triage.store import Store

log = logging.getLogger(__name__)

ACTOR = "auto-ack"


def humanize(delta: timedelta) -> str:
    """Return ``24 hours``, ``60 minutes``, ``2 days``: the largest unit that divides evenly
    (days only from two days on, as people say "24 hours")."""
    secs = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if secs >= size and secs % size == 0 and (unit != "day" or secs >= 2 * size):
            n = secs // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{max(1, secs // 60)} minutes"


class Acknowledger:
    """Decides, reserves, sends and audits automatic acknowledgements.

    ``team`` is ``[drafting] team_name`` (a name, or a table per language); a rule's text
    reads its ``en`` entry as ``team``. Raises ConfigError at construction when a rule's
    template does not compile.
    """

    def __init__(self, store: Store, sender: Sender, rules: Sequence[AckRuleSettings],
                 deadlines: DeadlinePolicy, clock: Clock, *,
                 team: str | Mapping[str, str] = "") -> None:
        self.store = store
        self.sender = sender
        self.rules = [r for r in rules if r.enabled]
        self.deadlines = deadlines
        self.clock = clock
        self.team = team
        env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self.templates = {}
        for i, r in enumerate(self.rules):
            try:
                self.templates[r.name] = (env.from_string(r.subject), env.from_string(r.text))
            except TemplateError as exc:
                raise ConfigError(f"template does not compile: {exc}",
                                  key=f"acknowledgements[{i}](name={r.name!r})",
                                  fix="correct the Jinja2 syntax of subject/text") from exc

    def rule_for(self, category: str, channel: str) -> AckRuleSettings | None:
        """Return the first enabled rule for ``category`` on ``channel``, if any."""
        for r in self.rules:
            if r.category == category and r.channel == channel:
                return r
        return None

    def __call__(self, row: dict[str, Any], cl: Classification | None) -> str:
        """Pipeline after-processing step; return what happened ("sent" or why not)."""
        return self.consider(row, cl)

    def consider(self, row: dict[str, Any], cl: Classification | None) -> str:
        """Acknowledge ``row`` if a rule allows it; return "sent", "no rule" or the reason."""
        if cl is None:
            return "no rule"
        rule = self.rule_for(cl.category, row["channel"])
        if rule is None:
            return "no rule"
        reason = self._refusal(row, cl, rule)
        if reason is None:
            reason = self._reserve(row, rule)
        if reason is not None:
            self.store.audit(ACTOR, "ack_skipped", row["id"], {"rule": rule.name,
                                                              "reason": reason})
            return reason
        return self._send(row, cl, rule)

    def _refusal(self, row: dict[str, Any], cl: Classification,
                 rule: AckRuleSettings) -> str | None:
        if row.get("is_auto"):
            return f"automatic message ({row.get('auto_reason') or 'auto'})"
        if row.get("backfill"):
            return "backfill"
        if not row.get("sender"):
            return "no sender address"
        if row.get("thread_id") is None:
            return "no thread"
        if cl.confidence < rule.min_confidence:
            return f"confidence {cl.confidence:.2f} below {rule.min_confidence:.2f}"
        return None

    def _reserve(self, row: dict[str, Any], rule: AckRuleSettings) -> str | None:
        """Insert the acknowledgement row; return why not (thread done, sender cap)."""
        got = self.store.acks.reserve(row["thread_id"], row["id"], row["sender"].lower(),
                                      rule.name, rule.max_per_sender_per_day)
        if got.thread_done:
            return "thread already acknowledged"
        if not got.reserved:
            return f"sender cap reached ({got.sent_today} in 24 hours)"
        return None

    def _send(self, row: dict[str, Any], cl: Classification, rule: AckRuleSettings) -> str:
        within = self.deadlines.target(row["channel"], cl.category).within
        ref = ref_token(row["thread_id"]).strip("[]#")
        values = {"subject": row.get("subject") or "", "reference": ref,
                  "name": row.get("sender_name") or row["sender"], "within": humanize(within),
                  # a rule's text is written once, and its "within" is English: signed
                  # with the English name, as its From name is (no language in extra)
                  "team": team_name_for(self.team, "en")}
        subj_t, text_t = self.templates[rule.name]
        try:
            reply = OutgoingReply(
                idempotency_key=f"ack-thread-{row['thread_id']}", message_id=row["id"],
                channel=row["channel"], to=row["sender"], subject=subj_t.render(values),
                text=text_t.render(values), in_reply_to=row.get("message_id") or None,
                references=[*row.get("references", []), row.get("message_id") or ""][-20:],
                source=row.get("source", ""), extra={"kind": "acknowledgement"})
            remote = self.sender.send(reply)
        except (TriageError, TemplateError, OSError) as exc:
            self.store.acks.failed(row["thread_id"], str(exc))
            self.store.audit(ACTOR, "ack_failed", row["id"], {"rule": rule.name,
                                                             "error": str(exc)[:500]})
            log.warning("acknowledgement of message %s failed: %s", row["id"], exc)
            return "failed"
        self.store.acks.sent(row["thread_id"], str(remote))
        self.store.audit(ACTOR, "ack_sent", row["id"], {"rule": rule.name, "to": row["sender"],
                                                       "reference": ref})
        log.info("acknowledged message %s (rule %s)", row["id"], rule.name)
        return "sent"


class LogOnlySender:
    """A Sender that only logs and remembers what it would send (dry runs, tests).

    Used for acknowledgements until the SMTP/X senders of the outbox are wired in.
    """

    def __init__(self) -> None:
        self.sent: list[OutgoingReply] = []

    def send(self, reply: OutgoingReply) -> str:
        """Record ``reply``; return a made-up remote id."""
        self.sent.append(reply)
        log.info("would send to %s: %s", reply.to, reply.subject)
        return f"<{reply.idempotency_key}@log-only>"
