"""Unattended acknowledgements, opt-in per category and channel (``[[acknowledgements]]``).

A processed message is acknowledged ("we received your message, reference T-1042, we answer
within 24 hours") only when an enabled rule matches its category and channel, and never:
to automatic mail (``is_auto``), during a backfill, twice in one thread (a unique row per
thread in ``acknowledgements``), or more than the rule's N times to one sender per 24 hours.
Every decision of a matching rule, sent or skipped, is written to the audit log.

It is written in the message's language (en, vi, id, tl; en for others): the rule's text for
that language (:func:`text_language`), with the drafts' greeting, the ``within`` in words of
that language (:func:`~triage.drafting.within.humanize_in`: the message's own first-response
target, as working time when its calendar is not always open), the team name and From name.

The acknowledgement row is reserved before sending and the send is never retried, so a crash
between the two loses at most one acknowledgement and never doubles one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from triage.clock import Clock
from triage.config import AckRuleSettings, team_name_for
from triage.config.ack_texts import ACK_LANGUAGES
from triage.deadlines.policy import DeadlinePolicy
from triage.drafting.address import Address, find_address, known_name, salutation, you_word
from triage.drafting.context import first_name_guess
from triage.drafting.render import Renderer
from triage.drafting.within import humanize_in
from triage.errors import ConfigError, TriageError
from triage.mail.threads import ref_token
from triage.models import Classification, OutgoingReply, Sender
from triage.store import Store

log = logging.getLogger(__name__)

ACTOR = "auto-ack"


Compiled = dict[str, Template]
"""A rule's subject or text compiled: language -> template (``""``: one for every language)."""


def _compile(env: SandboxedEnvironment, source: str | Mapping[str, str],
             key: str) -> Compiled:
    """Compile a template, or each of a table's; raise ConfigError naming ``key`` (and the
    language) when one does not compile."""
    table = {"": source} if isinstance(source, str) else dict(source)
    out: Compiled = {}
    for lang, text in table.items():
        try:
            out[lang] = env.from_string(text)
        except TemplateError as exc:
            raise ConfigError(f"template does not compile: {exc}",
                              key=f"{key}.{lang}" if lang else key,
                              fix="correct the Jinja2 syntax of subject/text") from exc
    return out


def _pick(table: Compiled, language: str) -> Template:
    """The template for ``language``: the one for every language, else the table's entry,
    else its ``en`` entry, else its first (as :func:`~triage.config.team.team_name_for`)."""
    for key in ("", language, "en"):
        if key in table:
            return table[key]
    return next(iter(table.values()))


def greeting(renderer: Renderer, language: str, name: str) -> str:
    """Return the drafts' greeting line in ``language`` for the salutation ``name`` ('': no
    name known): ``<lang>/_greeting.j2`` along the renderer's language chain ("Kính chào chị
    Lan,", "Halo Bapak/Ibu,"), with the admin's overrides. Raises jinja2's TemplateError."""
    chain = renderer.template_chain(language, "_greeting.j2")
    return renderer.env.select_template(chain).render(salutation=name).strip()


def text_language(texts: Mapping[str, object], language: str) -> str:
    """The language an acknowledgement is written in, for a message in ``language``: a
    table's entry for it (en for a language the texts are not written in), else its ``en``
    entry, else its first; ``en`` for one text for every language (``""``: written before
    texts had languages, in English). Its ``within``, greeting, team and From name follow."""
    if "" in texts:
        return "en"
    want = language if language in ACK_LANGUAGES else "en"
    for lang in (want, "en"):
        if lang in texts:
            return lang
    return next(iter(texts))


def compile_rules(rules: Sequence[AckRuleSettings]) -> dict[str, tuple[Compiled, Compiled]]:
    """Compile the subject and text of each enabled rule of ``rules``; raise ConfigError
    naming the rule by its place in ``rules`` (``acknowledgements[1](name='x').text.vi``)."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    out: dict[str, tuple[Compiled, Compiled]] = {}
    for i, r in enumerate(rules):
        if r.enabled:
            key = f"acknowledgements[{i}](name={r.name!r})"
            out[r.name] = (_compile(env, r.subject, f"{key}.subject"),
                           _compile(env, r.text or "", f"{key}.text"))
    return out


def sample_problems(rules: Sequence[AckRuleSettings],
                    compiled: Mapping[str, tuple[Compiled, Compiled]], renderer: Renderer,
                    team: str | Mapping[str, str]) -> list[tuple[str, str]]:
    """Render each compiled rule's subject and text in each of its languages with sample
    values (no name known, 24 hours); return ``(key, problem)`` for each that fails (a
    variable that does not exist, a greeting template that is missing or fails)."""
    out: list[tuple[str, str]] = []
    for i, r in enumerate(rules):
        if r.name not in compiled or not r.enabled:
            continue
        for field, table in zip(("subject", "text"), compiled[r.name], strict=True):
            for lang in table:
                written = lang or "en"
                key = f"acknowledgements[{i}](name={r.name!r}).{field}"
                try:
                    table[lang].render({
                        "subject": "Order late", "reference": "T-1042", "name": "Ann Lee",
                        "salutation": "", "you": you_word(Address(), written, r.channel),
                        "greeting": greeting(renderer, written, ""),
                        "within": humanize_in(timedelta(hours=24), written),
                        "team": team_name_for(team, written)})
                except (TemplateError, TriageError) as exc:
                    out.append((f"{key}.{lang}" if lang else key, str(exc)))
    return out


def checked_rules(rules: Sequence[AckRuleSettings], renderer: Renderer,
                  team: str | Mapping[str, str]) -> dict[str, tuple[Compiled, Compiled]]:
    """:func:`compile_rules`, then :func:`sample_problems`: return the enabled rules compiled,
    or raise ConfigError naming the first subject or text that does not compile or render
    (start-up and ``triage check-config``)."""
    compiled = compile_rules(rules)
    problems = sample_problems(rules, compiled, renderer, team)
    if problems:
        key, problem = problems[0]
        raise ConfigError(f"template does not render: {problem}", key=key,
                          fix="use only the variables of docs/configuration.md, "
                              "'Automatic acknowledgements'")
    return compiled


def rule_problems(rules: Sequence[AckRuleSettings], renderer: Renderer,
                  team: str | Mapping[str, str]) -> list[tuple[str, str]]:
    """``(key, problem)`` for every rule of ``rules``, enabled or not, whose subject or text
    does not compile or render (``triage templates check``); key '' when the problem names
    it."""
    out: list[tuple[str, str]] = []
    for i in range(len(rules)):
        # each rule alone, at its place, as if enabled: a rule being prepared is checked too
        alone = [r.model_copy(update={"enabled": j == i}) for j, r in enumerate(rules)]
        try:
            compiled = compile_rules(alone)
        except ConfigError as exc:
            out.append(("", str(exc)))  # names its key itself
            continue
        out += sample_problems(alone, compiled, renderer, team)
    return out


class Acknowledger:
    """Decides, reserves, sends and audits automatic acknowledgements.

    The message's language (the classification's) picks the rule's text and subject, and
    the text's language (:func:`text_language`) the ``within``, greeting, ``team``
    (``[drafting] team_name``, a name or a table per language) and From name. ``renderer`` gives the
    drafts' greeting (``<lang>/_greeting.j2``; default: the packaged templates). ``rules``
    may hold disabled rules (skipped), so an error names the rule's place in the
    configuration. Raises ConfigError at construction when a template does not compile or
    does not render with sample values (:func:`sample_problems`: a misspelt variable).
    """

    def __init__(self, store: Store, sender: Sender, rules: Sequence[AckRuleSettings],
                 deadlines: DeadlinePolicy, clock: Clock, *,
                 team: str | Mapping[str, str] = "", renderer: Renderer | None = None) -> None:
        self.store = store
        self.sender = sender
        self.rules = [r for r in rules if r.enabled]
        self.deadlines = deadlines
        self.clock = clock
        self.team = team
        self.renderer = renderer or Renderer(clock=clock)
        self.templates = checked_rules(rules, self.renderer, team)

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

    def _values(self, row: dict[str, Any], cl: Classification, lang: str,
                ref: str) -> dict[str, str]:
        """The variables of a rule's text in ``lang`` (docs/configuration.md)."""
        channel = row["channel"]
        display = row.get("sender_name") or ""
        address = find_address(display, row.get("text") or "", lang)
        first = first_name_guess(display)
        greet = salutation(address, first, lang, channel, known_name(display))
        # the message's own target, as its stored deadline counts it (kind and priority as
        # planned: a VIP's is shorter)
        source = row.get("source") or ""
        planned = self.store.queue.deadline(row["id"]) or {}
        target = self.deadlines.target(channel, cl.category,
                                       planned.get("kind") or "first_response",
                                       planned.get("priority") or "normal", source)
        working = not self.deadlines.calendar_for(channel, source).is_always_open
        return {"subject": row.get("subject") or "", "reference": ref,
                "name": display or row["sender"], "salutation": greet,
                "you": you_word(address, lang, channel, first),
                "greeting": greeting(self.renderer, lang, greet),
                "within": humanize_in(target.within, lang, working=working),
                "team": team_name_for(self.team, lang)}

    def _send(self, row: dict[str, Any], cl: Classification, rule: AckRuleSettings) -> str:
        subjects, texts = self.templates[rule.name]
        lang = text_language(texts, cl.language)
        subj_t, text_t = _pick(subjects, lang), _pick(texts, lang)
        ref = ref_token(row["thread_id"]).strip("[]#")
        try:
            values = self._values(row, cl, lang, ref)
            reply = OutgoingReply(
                idempotency_key=f"ack-thread-{row['thread_id']}", message_id=row["id"],
                channel=row["channel"], to=row["sender"], subject=subj_t.render(values),
                text=text_t.render(values), in_reply_to=row.get("message_id") or None,
                references=[*row.get("references", []), row.get("message_id") or ""][-20:],
                source=row.get("source", ""),
                extra={"kind": "acknowledgement", "language": lang})
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
