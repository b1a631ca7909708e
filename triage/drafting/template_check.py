"""``triage templates check``: find broken, missing or too long templates before customers do.

Checks, for the packaged templates and an operator's ``template_dir`` together:

* syntax: every ``*.j2`` file parses;
* names: every variable a template reads is in the documented context
  (``drafting.CONTEXT_NAMES``), so a typo fails here, not on the first message of a kind;
* coverage: every language x (category or review) x channel exists in that language itself,
  without falling back;
* situations: every situation template (``<lang>/situations/<name>.<channel>.j2``) exists for
  the shipped languages (en, vi, id, tl); other languages fall back to their category template;
* rendering: each of those renders with a "full" context (long name, long reference, every
  fact) and an "empty" one (no name, no deadline, no facts), keeps its reference, and social
  drafts fit the configured length as X counts it, even with a long first name;
* style: each rendering passes :func:`triage.drafting.style.lint_draft` (no slash next to a
  name, no quoted subject, no minute-precise time, no "I" without an agent, the register of
  the language), also rendered for a customer who gave an honorific, and social templates
  also for a private chat (``private``: no "DM us" there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jinja2
from jinja2 import meta, nodes

from triage.drafting.context import clean_subject
from triage.drafting.extract import extract_facts
from triage.drafting.money import shown_amount
from triage.drafting.render import CONTEXT_NAMES, DraftRequest, Renderer, social_length
from triage.drafting.situations import GENERAL, SITUATIONS
from triage.drafting.style import lint_draft, source_problems
from triage.drafting.techdetails import TechDetails, detect_tech_details
from triage.errors import TriageError
from triage.models import CATEGORIES, LANGUAGES

CHANNELS: tuple[str, ...] = ("email", "social")
_LANG_DIR = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$")  # en, fil, pt_BR; not "partials"
KINDS: tuple[str, ...] = (*CATEGORIES, "review")

LONG_FIRST_NAME = "Maximilianarosabella"  # 20 characters, the longest name we greet by
LONG_REFERENCE_ID = 10**12  # reference T-1000000000000
_FULL_TEXT = (
    "Order #ORD-2026-11-000000000000123456 and ticket no. 99999999, paid Rp 1.250.000 and "
    "₱1,299.50 on 12/11/2026; call +84 912 345 678 or mail someone.long.name@example.co.id. "
    "On my Samsung Galaxy S24 Ultra with Android 14, app version 12.34.56 it says "
    '"' + "Something went wrong while processing your payment, please try again " * 2 + '"')
# customers who gave an honorific, per language: the draft must greet them without a slash
NAMED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "en": ("Mr. Wei Tan", "Thanks,\nMr Tan", ("Tan", "Wei")),
    "vi": ("Nguyễn Thị Lan", "Chị đặt đơn hôm qua.", ("Lan",)),
    "id": ("Siti Rahma", "Terima kasih.\nIbu Siti Rahma", ("Siti", "Rahma")),
    "tl": ("Joy Reyes", "Salamat po.\nMa'am Joy", ("Joy", "Reyes")),
}
CHECK_NOW = datetime(2026, 12, 4, 8, 30, tzinfo=UTC)
"""The instant check renders at (Friday 15:30 in Jakarta): promises render as a day part."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one template."""

    template: str
    message: str

    def __str__(self) -> str:
        return f"{self.template}: {self.message}"


def template_languages(renderer: Renderer) -> list[str]:
    """Return the languages to check: the supported ones, the default one, and any language
    directory the operator's ``template_dir`` adds."""
    langs = list(LANGUAGES)
    extra = [renderer.default_language]
    if renderer.template_dir is not None:
        extra += sorted(p.name for p in renderer.template_dir.iterdir()
                        if p.is_dir() and _LANG_DIR.match(p.name) and any(p.glob("*.j2")))
    for lang in extra:
        if lang and lang not in langs:
            langs.append(lang)
    return langs


def _all_names(renderer: Renderer) -> list[str]:
    return sorted({n for n in renderer.env.list_templates(extensions=["j2"]) if ":" not in n})


def _check_source(renderer: Renderer, name: str) -> list[Problem]:
    env = renderer.env
    try:
        source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        ast = env.parse(source, name, filename)
    except jinja2.TemplateSyntaxError as exc:
        return [Problem(name, f"syntax error on line {exc.lineno}: {exc.message}")]
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(name, f"cannot be read: {exc}; save it as UTF-8 text")]
    # names a template sets itself ({% set kh = ... %}) are fine inside its blocks too
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    unknown = sorted(meta.find_undeclared_variables(ast) - CONTEXT_NAMES - set(env.globals)
                     - assigned)
    if unknown:
        return [Problem(name, f"uses undefined name(s) {', '.join(unknown)}; the context has "
                              "only the names listed in docs/templates.md")]
    return [Problem(name, f"style {p}") for p in source_problems(source)]


def _requests(kind: str, channel: str, lang: str) -> list[tuple[str, DraftRequest, dict]]:
    category = "request" if kind == "review" else kind
    due = datetime(2026, 12, 31, 16, 30, tzinfo=UTC) + timedelta(days=2)
    full = DraftRequest(category=category, channel=channel, language=lang,
                        subject="A very long subject line " * 8, text=_FULL_TEXT,
                        sender="someone.long.name@example.co.id",
                        sender_name=f"{LONG_FIRST_NAME} Konstantinopoulou-Vanderbilt",
                        thread_id=LONG_REFERENCE_ID, due_at=due, needs_review=kind == "review",
                        now=CHECK_NOW)
    empty = DraftRequest(category=category, channel=channel, language=lang, subject="",
                         text="", sender="", sender_name="", thread_id=1, due_at=None,
                         needs_review=kind == "review", now=CHECK_NOW)
    out = [("full context", full, {"first_name": LONG_FIRST_NAME}),
           ("empty context", empty, {"tech": TechDetails()})]
    if lang in NAMED:
        display, signed, _names = NAMED[lang]
        named = DraftRequest(category=category, channel=channel, language=lang,
                             subject="Re: Where is my parcel [#T-7]", text=signed,
                             sender="c@example.com", sender_name=display, thread_id=7,
                             due_at=due, needs_review=kind == "review", now=CHECK_NOW)
        out.append(("customer with an honorific", named, {}))
    if channel == "social":  # the same in a private chat (Messenger, Zalo, ...): no "DM us"
        out += [(f"{label} in a private chat", replace(req, private=True), extra)
                for label, req, extra in list(out)]
        # past the deadline the promise opens with an apology: it must fit too
        out += [("full context, overdue, in a private chat",
                 replace(full, private=True, due_at=CHECK_NOW - timedelta(hours=1)),
                 {"first_name": LONG_FIRST_NAME})]
    return out


def _check_render(renderer: Renderer, name: str, kind: str, channel: str,
                  lang: str, situation: str = GENERAL) -> list[Problem]:
    out: list[Problem] = []
    template = renderer.env.get_template(name)
    names = NAMED.get(lang, ("", "", ()))[2]
    for label, req, overrides in _requests(kind, channel, lang):
        facts = extract_facts(req.text, lang)
        tech = detect_tech_details(req.text)
        ctx = renderer.context(req, lang, facts, tech, situation=situation)
        ctx.update(overrides)
        try:
            text = renderer.render_template(template, ctx)
        except TriageError as exc:
            out.append(Problem(name, f"fails with a {label}: {exc}"))
            continue
        if ctx["reference"] not in text:
            out.append(Problem(name, f"does not show the reference ({{{{ reference }}}}) with "
                                     f"a {label}"))
        if channel == "social":
            length = social_length(text)
            if length > renderer.social_max_length:
                out.append(Problem(name, f"renders {length} characters with a {label} (limit "
                                         f"{renderer.social_max_length} as X counts); shorten it"))
        fact_texts = [a.text for a in facts.amounts] + [
            shown_amount(a, lang) for a in facts.amounts] + [tech.app_version, tech.error_text] + [
            d.text for d in facts.dates] + [p.text for p in facts.phones]
        for agent in ("", "Mai"):
            if agent and agent == renderer.agent_name:
                continue
            rendered = text if agent == renderer.agent_name else \
                renderer.render_template(template, {**ctx, "agent_name": agent})
            for p in lint_draft(rendered, language=lang, channel=channel, agent_name=agent,
                                names=(*names, ctx["first_name"]),
                                subject=clean_subject(req.subject), fact_texts=fact_texts,
                                private=req.private):
                out.append(Problem(name, f"style {p} (with a {label}"
                                         f"{', signed by an agent' if agent else ''})"))
    return _unique(out)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        key = p.message.split(" (with a ")[0]
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def check_templates(renderer: Renderer) -> tuple[list[Problem], int]:
    """Check every template ``renderer`` can see; return ``(problems, templates checked)``."""
    problems: list[Problem] = []
    names = _all_names(renderer)
    for name in names:
        problems += _check_source(renderer, name)
    broken = {p.template for p in problems if not p.message.startswith("style ")}
    for lang in template_languages(renderer):
        for kind in KINDS:
            for channel in CHANNELS:
                name = f"{lang}/{kind}.{channel}.j2"
                if name not in names:
                    problems.append(Problem(name, f"missing: add it (language {lang} falls "
                                                  "back to another language until then)"))
                elif name not in broken:
                    problems += _check_render(renderer, name, kind, channel, lang)
        for situation in SITUATIONS:
            for channel in CHANNELS:
                name = f"{lang}/situations/{situation}.{channel}.j2"
                if name not in names:
                    if lang in LANGUAGES:
                        problems.append(Problem(name, "missing: add it (the category "
                                                      "template is used until then)"))
                elif name not in broken:
                    problems += _check_render(renderer, name, "request", channel, lang,
                                              situation)
    return problems, len(names)


def describe_dirs(renderer: Renderer) -> str:
    """Return the template directories searched, in order, for messages."""
    from triage.drafting.render import PACKAGED_TEMPLATES

    dirs: list[Path] = [p for p in (renderer.template_dir,) if p is not None]
    dirs.append(PACKAGED_TEMPLATES)
    return ", ".join(str(d) for d in dirs)


def check_source(renderer: Renderer, name: str, source: str | None = None) -> list[Problem]:
    """Check one template (``source`` instead of the file's text, when given, without
    writing anything): syntax, names outside the context, and rendering with a full and an
    empty context in the sandbox, for a ``<lang>/<kind>.<channel>.j2`` name."""
    import copy

    if source is not None:
        renderer = copy.copy(renderer)
        renderer.env = renderer.env.overlay(loader=jinja2.ChoiceLoader([
            jinja2.DictLoader({name: source}), renderer.env.loader]))  # type: ignore[list-item]
    problems = _check_source(renderer, name)
    m = re.fullmatch(r"([a-z]{2,3})/(\w+)\.(email|social)\.j2", name)
    if not problems and m and m.group(2) in KINDS:
        problems = _check_render(renderer, name, m.group(2), m.group(3), m.group(1))
    return problems
