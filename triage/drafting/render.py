"""Reply drafts rendered from Jinja2 templates, sandboxed and strict.

Templates live in ``reply_templates/<language>/<category>.<channel>.j2`` (and
``<language>/review.<channel>.j2`` for messages a human must look at first), with one template
per situation in ``<language>/situations/<situation>.<channel>.j2`` (see
:mod:`triage.drafting.situations`). The chain for a language is: requested language ->
configured default language -> English, and in each language the situation's template before
the category's. An operator's
``template_dir`` is searched before the packaged templates, and an operator template can
extend a packaged one by its ``packaged:`` name (``{% extends "packaged:en/complaint.email.j2"
%}``). See docs/templates.md for the context every template gets.

Customer text (subject, name, body facts) only ever enters as data: Jinja2 never evaluates the
value of a variable, templates run in a ``SandboxedEnvironment`` with ``StrictUndefined``,
``*.html.j2`` templates are autoescaped, and header values lose every line break.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

import reply_templates
from triage.clock import Clock, SystemClock
from triage.config.team import team_name_for
from triage.drafting.address import find_address, known_name, salutation, you_word
from triage.drafting.context import (
    clean_subject,
    details_given,
    first_name_guess,
    format_deadline,
    header_safe,
    zone,
)
from triage.drafting.extract import Amount, FactExtraction, Facts
from triage.drafting.lazy import Lazy, LazyContext, resolved
from triage.drafting.money import for_draft
from triage.drafting.placeholders import ensure_sendable, fill, unfilled_placeholders
from triage.drafting.promises import (
    Promise,
    Refreshed,
    apologises_late,
    is_overdue,
    promise_for,
    refresh_promise,
)
from triage.drafting.situations import (
    CHOSEN_TOPIC,
    GENERAL,
    SITUATIONS,
    Detection,
    ThreadFacts,
    detect_situation,
    earlier_topic,
    promise_policy,
    situation_and_topic,
    still_open_topic,
)
from triage.drafting.techdetails import TechDetails, detect_tech_details
from triage.drafting.template_files import InliningLoader, ThrottledFiles
from triage.errors import TemplateError
from triage.mail.threads import reply_subject
from triage.models import Draft

log = logging.getLogger(__name__)

__all__ = [
    "PACKAGED_TEMPLATES", "DraftRequest", "Renderer", "ensure_sendable", "fill",
    "first_name_guess", "social_length", "text_to_html", "unfilled_placeholders",
]

PACKAGED_TEMPLATES = Path(reply_templates.__file__).parent
_BLANK_LINES = re.compile(r"\n{3,}")
TEMPLATE_CHECK_SECONDS = 1.0
"""How often, at most (by the renderer's clock), a loaded template's file is checked for
changes: an edited template is used from the next draft at most this long after the edit.
(Jinja2 checks on every use, which cost a ``stat`` per template, include and parent, five per
draft, about a tenth of a draft's time.)"""
_TRAILING_SPACE = re.compile(r"[ \t]+\n")

CONTEXT_NAMES: frozenset[str] = frozenset({
    "customer_name", "first_name", "customer_address", "subject", "category", "channel",
    "language", "customer_language", "reference", "reference_token", "due_at", "deadline",
    "team_name", "agent_name", "facts", "order", "ticket", "amount", "tech", "needs_review",
    "fill", "situation", "topic", "promise", "salutation", "you", "honorific", "thread",
    "private", "overdue", "details_given",
})
"""Every name a template may use; ``triage templates check`` rejects any other."""


def social_length(text: str) -> int:
    """Return the length X counts for ``text`` (twitter-text v3 weighting: most Latin
    characters 1, Vietnamese letters such as 'ệ' and CJK 2, every URL 23). Leading and
    trailing whitespace, such as the draft's final newline, is not posted and not counted."""
    from twitter_text import parse_tweet  # imported when a social draft is made: ~12 MB

    return int(parse_tweet(text.strip()).weightedLength)


def text_to_html(text: str) -> str:
    """Return a plain-text draft as an HTML fragment: escaped, paragraphs and line breaks kept.

    For the HTML part of an e-mail reply; nothing in ``text`` can become markup.
    """
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    return "\n".join(Markup("<p>{}</p>").format(Markup("<br>\n").join(
        escape(line) for line in p.split("\n"))) for p in paragraphs)


@dataclass(frozen=True)
class DraftRequest:
    """Everything a template may use about the message being answered."""

    category: str
    channel: str
    language: str
    subject: str
    text: str
    sender: str
    sender_name: str
    thread_id: int
    due_at: datetime | None
    needs_review: bool = False
    attachment_types: tuple[str, ...] = ()
    """MIME types of the message's attachments (an image counts as a screenshot)."""
    situation: str | None = None
    """The situation to draft for (an agent's choice); None: detect it from the message."""
    thread: ThreadFacts = field(default_factory=ThreadFacts)
    """What the thread says (did we reply before, is the customer chasing)."""
    now: datetime | None = None
    """When the draft is written (promises are computed from it); None: the renderer's clock."""
    private: bool = False
    """The message came in a private conversation (``ParsedMessage.private``): a social draft
    asks for details right there, never "DM us"."""


def _first(items: list[Any], default: Any) -> Any:
    """The first of ``items``, or ``default`` when there is none."""
    return items[0] if items else default


def _first_number(found: FactExtraction, kind: int) -> str:
    """The first order (``kind`` 0) or ticket (1) number found, or ''."""
    return _first(found.numbers()[kind], "")


def _first_amount(found: FactExtraction, language: str) -> Any:
    """The first sum of money found, as a draft in ``language`` restates it, or None."""
    return for_draft(_first(found.amounts(), None), language)


def _tech_details(req: DraftRequest) -> TechDetails:
    """The technical details of ``req``'s subject and text, then of the customer's earlier
    messages in the thread (what the conversation already told us is not asked again)."""
    return detect_tech_details(req.thread.told(f"{req.subject}\n{req.text}"),
                               (*req.attachment_types, *req.thread.earlier_attachments))


def _promise(situation: str, req: DraftRequest, now: datetime, tz: ZoneInfo,
             language: str) -> Promise:
    """The promise a draft for ``req`` in ``situation`` makes as of ``now`` (near, after an
    apology, once the message is past its deadline, unless the template has said sorry:
    :func:`~triage.drafting.promises.apologises_late`)."""
    return promise_for(promise_policy(situation, req.category, req.needs_review), now, tz,
                       language, req.channel, overdue=is_overdue(req.due_at, now),
                       apologise=apologises_late(situation, req.category, req.channel,
                                                 language))


def _salutation(address: Lazy, first: Lazy, language: str, channel: str,
                display_name: str) -> str:
    """:func:`salutation` of the (lazy) address and first name, and the name as written."""
    return salutation(address.get(), first.get(), language, channel, known_name(display_name))


def _you(address: Lazy, first: Lazy, language: str, channel: str) -> str:
    """:func:`you_word` of the (lazy) address and first name."""
    return you_word(address.get(), language, channel, first.get())


def _honorific(address: Lazy) -> Any:
    """The (lazy) address's honorific."""
    return address.get().honorific


def _cap(value: object) -> str:
    """Jinja filter: the first letter upper-cased, the rest untouched ("Bapak/Ibu", "Quý khách")."""
    text = str(value)
    return text[:1].upper() + text[1:]


PLAIN_DATA: frozenset[type] = frozenset({TechDetails, ThreadFacts, Facts, Amount})
"""Frozen data classes of the template context (no functions, types or frames, which the
sandbox guards): their attributes are read without the sandbox's checks, which allow every
name not starting with an underscore on them."""


class _Environment(SandboxedEnvironment):
    """The renderer's sandboxed environment: a template's globals are a plain ``dict`` (the
    environment's, overlaid with the template's own) instead of Jinja2's ``ChainMap``, which
    every draft copied key by key in Python into its context (#19). The renderer sets its
    globals before it loads any template and never changes them."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """Return the environment's globals overlaid with ``d``, as a new ``dict``."""
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        """The sandbox's ``obj.attribute``, answered at once for the context's own data
        classes (:data:`PLAIN_DATA`): on them the sandbox allows every name that does not
        start with an underscore (#19: its checks cost ~3 us an attribute, a technical
        draft reads five or more)."""
        if type(obj) in PLAIN_DATA and not attribute.startswith("_"):
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass  # the sandbox's own answer (an undefined value)
        return super().getattr(obj, attribute)


class Renderer:
    """Renders drafts; built once with the template search path and signature settings.

    ``customer_timezone`` is the zone deadlines are written in, unless ``language_timezones``
    names one for the message's language. Social drafts longer than ``social_max_length`` (as
    X counts) are rendered again without the customer's name, and refused if still too long.
    ``situation_model`` returns the situation model detection uses (called per detection;
    default: the packaged one). ``team_name`` is one name or a table per language; a
    template reads the one for its language (:func:`~triage.config.team.team_name_for`).
    """

    def __init__(self, *, default_language: str = "en", template_dir: Path | None = None,
                 team_name: str | Mapping[str, str] = "Customer Support",
                 agent_name: str = "",
                 customer_timezone: str = "UTC",
                 language_timezones: Mapping[str, str] | None = None,
                 social_max_length: int = 280, clock: Clock | None = None,
                 situation_model: Callable[[], Any] | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        packaged = ThrottledFiles(str(PACKAGED_TEMPLATES), seconds=TEMPLATE_CHECK_SECONDS,
                                  clock=self.clock)
        loaders: list[jinja2.BaseLoader] = []
        if template_dir:
            if not Path(template_dir).is_dir():
                raise TemplateError(f"template_dir {template_dir} is not a directory; create "
                                    "it or set drafting.template_dir to an existing one")
            loaders.append(ThrottledFiles(str(template_dir), seconds=TEMPLATE_CHECK_SECONDS,
                                          clock=self.clock))
        loaders += [jinja2.PrefixLoader({"packaged": packaged}, delimiter=":"), packaged]
        self.template_dir = Path(template_dir) if template_dir else None
        # each template compiled with the partials it includes in place (template_files.py)
        self.env = _Environment(
            loader=InliningLoader(jinja2.ChoiceLoader(loaders)),
            undefined=jinja2.StrictUndefined,
            autoescape=lambda name: bool(name and name.endswith(".html.j2")),
            keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
            cache_size=-1)  # every template kept (a few hundred at most): a dict, no LRU
        # context values such as the facts are computed when a template first reads them
        self.env.context_class = LazyContext
        self.env.globals["fill"] = fill
        self.env.filters["cap"] = _cap
        self.default_language = default_language
        self.team_name = team_name
        self.agent_name = agent_name
        self.customer_timezone = zone(customer_timezone)
        self.language_timezones = {k: zone(v) for k, v in (language_timezones or {}).items()}
        self.social_max_length = social_max_length
        self.situation_model = situation_model

    def warm_up(self) -> list[str]:
        """Compile every template now (drafts with their partials in place, and the
        layouts they extend) instead of at its first draft, so a burst after start-up does
        not pay ~2 ms per template and process (#19) and a template that does not compile
        shows in the log at start-up. Never raises: a broken template is logged with its
        name and line and fails only the drafts that use it, as before. Returns the names of
        the templates that failed to compile."""
        failed: list[str] = []
        for name in self.env.list_templates():
            if ":" in name or not name.endswith(".j2"):
                continue  # the "packaged:" aliases (the same files) and other files
            try:
                self.env.get_template(name)
            except jinja2.TemplateError as exc:
                failed.append(name)
                line = getattr(exc, "lineno", None)
                log.warning("template %s%s does not compile: %s; drafts that use it fail "
                            "until it is fixed", name, f" line {line}" if line else "", exc)
        return failed

    def reload_templates(self) -> None:
        """Forget every loaded template, so the next draft reads the files again (after an
        edit in this process; other processes see it within :data:`TEMPLATE_CHECK_SECONDS`)."""
        if self.env.cache is not None:
            self.env.cache.clear()

    def template_chain(self, language: str, name: str) -> list[str]:
        """Return the template names tried for ``name`` in ``language``, in order."""
        langs: list[str] = []
        for lang in (language, self.default_language, "en"):
            if lang and lang not in langs:
                langs.append(lang)
        return [f"{lang}/{name}" for lang in langs]

    def zone_for(self, language: str) -> ZoneInfo:
        """Return the customer's time zone for a message in ``language``."""
        return self.language_timezones.get(language, self.customer_timezone)

    def _model(self) -> dict[str, Any]:
        """The ``model`` argument of a detection: this renderer's situation model, or none
        given (the packaged one)."""
        return {} if self.situation_model is None else {"model": self.situation_model()}

    def detect(self, req: DraftRequest) -> Detection:
        """Return the situation detected for ``req`` (whatever ``req.situation`` says)."""
        return detect_situation(req.text, req.subject, req.language, req.category, req.thread,
                                req.attachment_types, **self._model())

    def situation_for(self, req: DraftRequest) -> tuple[str, str]:
        """Return ``(situation, topic)`` for ``req``: the agent's choice (for ``still_open``
        and ``follow_up`` with the topic the pipeline would give: :data:`CHOSEN_TOPIC`),
        else detected (as :meth:`detect` detects it, without its reasons)."""
        if req.situation is not None:
            chosen = req.situation if req.situation in SITUATIONS else GENERAL
            topic_of = CHOSEN_TOPIC.get(chosen)
            if topic_of is None:
                return chosen, ""
            return chosen, topic_of(req.text, req.subject, req.language, req.category,
                                    req.thread, req.attachment_types, **self._model())
        situation, topic = situation_and_topic(req.text, req.subject, req.language,
                                               req.category, req.thread, req.attachment_types,
                                               **self._model())
        still = still_open_topic(req.text, req.subject, req.language, req.category,
                                 req.thread, situation, **self._model()) \
            if req.thread.earlier and req.thread.replied_before else None
        if still is not None:
            return "still_open", still
        if situation == "follow_up" and not topic and req.thread.earlier:
            # "any update?" names nothing: it chases what the earlier messages were about
            topic = earlier_topic(req.subject, req.language, req.category, req.thread,
                                  **self._model())
        return situation, topic

    def select(self, req: DraftRequest, situation: str = GENERAL) -> jinja2.Template:
        """Return the template ``req`` is drafted with; raises TemplateError when none fits.

        In each language of the chain the situation's template comes first, then the
        category's (``review`` for a message that needs review and has no situation).
        """
        name = (f"review.{req.channel}.j2" if req.needs_review
                else f"{req.category}.{req.channel}.j2")
        chain: list[str] = []
        for base in self.template_chain(req.language, name):
            lang = base.split("/", 1)[0]
            if situation in SITUATIONS:
                chain.append(f"{lang}/situations/{situation}.{req.channel}.j2")
            chain.append(base)
        try:
            return self.env.select_template(chain)
        except jinja2.TemplatesNotFound as exc:
            raise TemplateError(f"no template for {name} (tried {', '.join(chain)}); add "
                                f"reply_templates/en/{name}") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template {exc.filename or exc.name} line {exc.lineno}: "
                                f"{exc.message}") from exc

    def context(self, req: DraftRequest, template_language: str,
                facts: Facts | None = None, tech: TechDetails | None = None,
                situation: str = GENERAL, topic: str = "") -> dict[str, Any]:
        """Return the template context for ``req`` (see docs/templates.md for each name)."""
        return resolved(self.lazy_context(req, template_language, facts, tech, situation, topic))

    def lazy_context(self, req: DraftRequest, template_language: str,
                     facts: Facts | None = None, tech: TechDetails | None = None,
                     situation: str = GENERAL, topic: str = "") -> dict[str, Any]:
        """Return :meth:`context` with its costlier values as :class:`~triage.drafting.lazy.
        Lazy` ones, computed when the template first reads them (a suggestion's reply never
        reads the order number or the technical details)."""
        if facts is None:
            found = FactExtraction(req.thread.told(req.text), req.language)
            facts_value: Any = Lazy(found.facts)
            order: Any = Lazy(_first_number, found, 0)
            ticket: Any = Lazy(_first_number, found, 1)
            amount: Any = Lazy(_first_amount, found, template_language)
        else:
            facts_value = facts
            order = _first(facts.order_numbers, "")
            ticket = _first(facts.ticket_numbers, "")
            amount = for_draft(_first(facts.amounts, None), template_language)
        tech_value: Any = tech if tech is not None else Lazy(_tech_details, req)
        tz = self.zone_for(req.language)
        due_at = req.due_at
        deadline = Lazy(format_deadline, due_at, template_language, tz) if due_at else None
        now = req.now or self.clock.now()
        promise = Lazy(_promise, situation, req, now, tz, template_language)
        first = Lazy(first_name_guess, req.sender_name)
        address = Lazy(find_address, req.sender_name, req.text, template_language)
        return {
            "customer_name": Lazy(header_safe, req.sender_name, 80),
            "first_name": first,
            "customer_address": Lazy(header_safe, req.sender, 320),
            "subject": Lazy(clean_subject, req.subject),
            "category": req.category,
            "channel": req.channel,
            "language": template_language,
            "customer_language": req.language,
            "reference": f"T-{req.thread_id}",
            "reference_token": f"[#T-{req.thread_id}]",
            "due_at": req.due_at,
            "deadline": deadline,
            "team_name": team_name_for(self.team_name, template_language),
            "agent_name": self.agent_name,
            "facts": facts_value,
            "order": order,
            "ticket": ticket,
            "amount": amount,
            "tech": tech_value,
            "details_given": Lazy(details_given, facts_value, tech_value,
                                  (*req.attachment_types, *req.thread.earlier_attachments)),
            "needs_review": req.needs_review,
            "situation": situation,
            "topic": topic,
            "promise": promise,
            "overdue": is_overdue(req.due_at, now),
            "salutation": Lazy(_salutation, address, first, template_language, req.channel,
                               req.sender_name),
            "you": Lazy(_you, address, first, template_language, req.channel),
            "honorific": Lazy(_honorific, address),
            "thread": req.thread,
            "private": req.private,
        }

    def render(self, req: DraftRequest, extra: Mapping[str, Any] | None = None) -> Draft:
        """Render the draft for ``req``, for its situation (the agent's or the detected one).

        Raises TemplateError when no template fits, a template fails, or a social draft does
        not fit ``social_max_length`` even without the customer's name.
        """
        situation, topic = self.situation_for(req)
        template = self.select(req, situation)
        lang = (template.name or "en/").split("/", 1)[0]
        ctx = {**self.lazy_context(req, lang, situation=situation, topic=topic),
               **(extra or {})}
        text = self.render_template(template, ctx)
        if req.channel == "social" and social_length(text) > self.social_max_length:
            # long display names are the usual cause: greet neutrally rather than fail
            text = self.render_template(template, {**ctx, "first_name": "", "customer_name": "",
                                                   "salutation": ""})
            length = social_length(text)
            if length > self.social_max_length:
                raise TemplateError(
                    f"template {template.name} rendered {length} characters for a social "
                    f"reply (limit {self.social_max_length}); shorten the template")
        subject = header_safe(reply_subject(req.subject, req.thread_id), 998)
        return Draft(subject=subject, text=text, template=template.name or "", language=lang,
                     situation=situation)

    def refresh(self, text: str, *, situation: str, language: str, channel: str,
                now: datetime | None = None, category: str = "request",
                needs_review: bool = False, due_at: datetime | None = None) -> Refreshed:
        """Say a stored draft's promise anew as of ``now`` and list past times it states.

        For the review service: call it when an agent opens a draft (show ``.text`` and
        ``.warnings``) and again on approval (send ``.text``; ask the agent to confirm while
        ``.warnings`` is not empty). ``situation``, ``language`` and ``channel`` are the
        draft's (``drafts.situation``, ``drafts.language``, the message's channel);
        ``due_at`` the message's unmet first-response deadline (past it, the promise is the
        overdue one: near, after an apology).
        """
        now = now or self.clock.now()
        return refresh_promise(text, promise_policy(situation, category, needs_review), now,
                               self.zone_for(language), language, channel,
                               overdue=is_overdue(due_at, now),
                               apologise=apologises_late(situation, category, channel,
                                                         language, text))

    @staticmethod
    def render_template(template: jinja2.Template, ctx: Mapping[str, Any]) -> str:
        """Render ``template`` with ``ctx`` into tidy text; raises TemplateError on failure."""
        try:
            text = template.render(ctx)
        except TemplateError:
            raise
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template {template.name} failed: {exc}") from exc
        # conditional lines leave gaps and trailing blanks; drafts get tidy paragraphs
        if " \n" in text or "\t\n" in text:  # every trailing run ends so; most drafts have none
            text = _TRAILING_SPACE.sub("\n", text)
        return _BLANK_LINES.sub("\n\n", text).strip() + "\n"
