"""``triage templates check`` and ``triage templates preview``: for CI, admins and agents."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from triage.config import Settings
from triage.drafting.placeholders import unfilled_placeholders
from triage.drafting.render import DraftRequest, Renderer, social_length, text_to_html
from triage.drafting.situations import GENERAL, SITUATIONS, ThreadFacts
from triage.errors import NotFound, TemplateError
from triage.models import CATEGORIES

# triage.cli.main imports this module to register it, so this module must not import triage.cli.main
# while loading (``python -m triage.cli.main`` would see a half-initialised module): the shared
# helpers are looked up when a command runs.
config_option = click.option("--config", "config", type=click.Path(dir_okay=False),
                             help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")
F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Report TriageError the way every triage command does (see ``triage.cli.main``)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from triage.cli.common import handle_errors as shared

        return shared(fn)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def cli_settings(config: str | None, *, required: bool = True) -> Settings:
    from triage.cli.common import cli_settings as shared

    return shared(config, required=required)


def renderer_for(settings: Settings, template_dir: str | None = None) -> Renderer:
    """Build the renderer the daemon would use, optionally with another ``template_dir``."""
    d = settings.drafting
    chosen = template_dir if template_dir is not None else (
        str(settings.resolve_path(d.template_dir)) if d.template_dir else None)
    return Renderer(default_language=d.default_language,
                    template_dir=Path(chosen) if chosen else None,
                    team_name=d.team_name, agent_name=d.agent_name,
                    customer_timezone=d.customer_timezone,
                    language_timezones=d.language_timezones,
                    social_max_length=d.social_max_length)


@click.group("templates")
def templates() -> None:
    """Check and preview reply templates (see docs/templates.md)."""


@templates.command("check")
@config_option
@click.option("--template-dir", type=click.Path(file_okay=False),
              help="Check this override directory instead of drafting.template_dir.")
@handle_errors
def check(config: str | None, template_dir: str | None) -> None:
    """Check syntax, names, coverage and social length; exit 1 when anything is wrong."""
    from triage.drafting.template_check import check_templates, describe_dirs, template_languages

    settings = cli_settings(config, required=False)
    renderer = renderer_for(settings, template_dir)
    problems, count = check_templates(renderer)
    from triage.drafting.acks import rule_problems

    problems += [f"{key}: {problem}" if key else problem for key, problem in
                 rule_problems(settings.acknowledgements, renderer, settings.drafting.team_name)]
    for p in problems:
        click.echo(f"problem: {p}")
    langs = ", ".join(template_languages(renderer))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {describe_dirs(renderer)}", err=True)
        sys.exit(1)
    click.echo(f"templates OK: {count} files in {describe_dirs(renderer)}; languages {langs}; "
               f"social drafts <= {renderer.social_max_length} characters")


def _read_text_file(path: Path) -> dict[str, Any]:
    """Read a message from a text file: optional ``Subject:``/``From:`` lines, a blank line,
    then the body; an ``.eml`` file is parsed as e-mail."""
    if path.suffix.lower() == ".eml":
        from triage.clock import SystemClock
        from triage.mail.parse import parse_email

        p = parse_email(path.read_bytes(), fallback_received=SystemClock().now())
        return {"subject": p.subject, "text": p.text or p.full_text, "sender": p.sender,
                "sender_name": p.sender_name}
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    headers: dict[str, str] = {}
    lines = raw.splitlines()
    i = 0
    while i < len(lines) and ":" in lines[i] and lines[i].split(":", 1)[0].strip().lower() in (
            "subject", "from", "name"):
        key, _, value = lines[i].partition(":")
        headers[key.strip().lower()] = value.strip()
        i += 1
    if headers and i < len(lines) and not lines[i].strip():
        i += 1
    body = "\n".join(lines[i:]) if headers else raw
    if not body.strip():
        raise TemplateError(f"{path}: the message is empty; write the customer's text in it")
    return {"subject": headers.get("subject", ""), "text": body,
            "sender": headers.get("from", ""), "sender_name": headers.get("name", "")}


@templates.command("preview")
@config_option
@click.option("--message", "message_id", type=int, help="Id of a stored message.")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A text file as the message (optional Subject:/From:/Name: lines first), "
                   "or an .eml file.")
@click.option("--category", type=click.Choice(CATEGORIES), help="Category (default: classify).")
@click.option("--language", help="Language code, e.g. vi (default: detected).")
@click.option("--channel", type=click.Choice(["email", "social"]),
              help="Channel (default: the message's, or email).")
@click.option("--review/--no-review", "review", default=None,
              help="Draft the needs-review acknowledgement (default: as classified).")
@click.option("--situation", type=click.Choice([GENERAL, *SITUATIONS]),
              help="Draft for this situation (default: detected from the message).")
@click.option("--name", help="Customer display name (overrides the message's).")
@click.option("--private/--public", "private", default=None,
              help="A private chat (asks for details right there) or a public post (asks for "
                   "a DM); default: as the stored message came, public for a file.")
@click.option("--html", is_flag=True, help="Also print the HTML part.")
@handle_errors
def preview(config: str | None, message_id: int | None, path: Path | None,
            category: str | None, language: str | None, channel: str | None,
            review: bool | None, situation: str | None, name: str | None,
            private: bool | None, html: bool) -> None:
    """Print the draft triage would write for a stored message or a text file."""
    from triage.services import App

    if (message_id is None) == (path is None):
        raise click.UsageError("give exactly one of --message ID or --file PATH")
    settings = cli_settings(config, required=message_id is not None)
    app = App(settings)
    now = app.clock.now()
    if message_id is not None:
        rows = app.store.export_rows([message_id])
        if not rows:
            raise NotFound(f"message {message_id} does not exist; list ids with "
                           "'triage export'")
        row = rows[0]
        msg = {k: row[k] for k in ("subject", "text", "sender", "sender_name")}
        msg["text"] = row["text"] or row["full_text"] or ""
        stored = app.store.message(message_id)
        attachments = tuple(str(a.get("content_type", "")) for a in
                            stored.get("attachments") or [])
        private = bool(stored.get("private")) if private is None else private
        channel = channel or row["channel"]
        received: datetime = row["received_at"]
        thread_id = int(row["thread_id"] or message_id)
        category = category or row["category"]
        language = language or row["language"]
        review = bool(row["needs_review"]) if review is None and row["category"] else review
        # what the thread says, as processing and the review page read it
        [thread] = app.review.deadline_store.thread_contexts([stored])
    else:
        assert path is not None
        msg = _read_text_file(path)
        channel = channel or "email"
        received, thread_id, attachments, thread = now, 0, (), ThreadFacts()
    if not category or not language:
        from classifiers.model import model_input

        cl = app.classifier.predict([model_input(msg["text"], msg["subject"])],
                                    languages=[language])[0]
        category = category or cl.category
        language = language or cl.language
        review = cl.needs_review if review is None else review
    due_at, _policy = app.deadlines.due_at(received, channel, category)
    renderer = renderer_for(settings)
    draft = renderer.render(DraftRequest(
        category=category, channel=channel, language=language, subject=msg["subject"],
        text=msg["text"], sender=msg["sender"], sender_name=name or msg["sender_name"],
        thread_id=thread_id, due_at=due_at, needs_review=bool(review),
        attachment_types=attachments, situation=situation, now=now, private=bool(private),
        thread=thread))
    chosen = "chosen" if situation else "detected"
    click.echo(f"Template: {draft.template}  (category {category}, language {language}, "
               f"channel {channel}, situation {draft.situation} ({chosen})"
               f"{', needs review' if review else ''})")
    click.echo(f"Subject: {draft.subject}")
    click.echo("")
    click.echo(draft.text, nl=False)
    if html:
        click.echo("\n--- HTML part ---")
        click.echo(text_to_html(draft.text))
    click.echo("---")
    labels = unfilled_placeholders(draft.text)
    if channel == "social":
        click.echo(f"Length: {social_length(draft.text)}/{renderer.social_max_length} "
                   "(as X counts)")
    click.echo("To fill before sending: " + (", ".join(labels) if labels else "nothing"))
