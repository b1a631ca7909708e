"""``triage review``: the review page's buttons on the command line, by message id.

Each command calls the same :class:`triage.review.ReviewService` method as the page and the
JSON API, in the name of the review-page user given with ``--as`` (it must exist and be
enabled: ``triage users add``). Refusals print ``error: ...`` and exit 1.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

import click

from triage.cli.common import cli_settings, config_option, handle_errors
from triage.drafting.situations import situation_choices
from triage.models import CATEGORIES

if TYPE_CHECKING:
    from triage.review import ReviewService


def _service(config: str | None, agent: str) -> tuple[ReviewService, str]:
    """Return the configured review service and the name of the enabled user ``agent``;
    raises NotFound for an unknown or disabled user."""
    from triage.services import App
    from triage.web.accounts import get_user

    app = App(cli_settings(config))
    return app.review, get_user(app.store, agent).name


def _text(text: str | None, text_file: IO[str] | None) -> str | None:
    if text is not None and text_file is not None:
        raise click.UsageError("give --text or --text-file, not both")
    return text_file.read() if text_file is not None else text


as_option = click.option("--as", "agent", required=True, metavar="USER",
                         help="The review-page user acting (named in the audit log).")
message_arg = click.argument("message_id", type=int)
edit_options = [
    click.option("--subject", help="New subject of the reply (default: keep the draft's)."),
    click.option("--text", help="New text of the reply (default: keep the draft's)."),
    click.option("--text-file", type=click.File("r", encoding="utf-8"),
                 help="Read the new text from this file ('-': stdin)."),
]


def _edit_options(fn: Any) -> Any:
    for option in reversed(edit_options):
        fn = option(fn)
    return fn


@click.group()
def review() -> None:
    """Act on a message as an agent: approve, save, discard, assign, resolve, reclassify,
    confirm, switch the draft's situation; list the messages the model is least sure of
    (unsure)."""


@review.command("show")
@config_option
@message_arg
@handle_errors
def show_cmd(config: str | None, message_id: int) -> None:
    """Print a message's category (and a local LLM's second opinion, if one was asked)
    and its current draft."""
    from triage.services import App

    app = App(cli_settings(config))
    msg = app.store.message(message_id)
    cl = app.store.drafts.classification(message_id) or {}
    draft = app.store.drafts.current(message_id)
    click.echo(f"message {message_id} from {msg['sender']}: {msg['subject']}")
    click.echo(f"category: {cl.get('category', '-')} ({cl.get('model_version', '-')}); "
               f"assigned to: {app.store.drafts.assignee(message_id) or '-'}")
    if (opinion := app.review.second_opinion(message_id)) is not None:
        click.echo(str(opinion))
    if (rescore := app.review.encoder_rescore(message_id)) is not None:
        click.echo(str(rescore))
    if (window := app.review.windows.of(msg)) is not None:
        click.echo(str(window))
    if draft is None:
        stale = app.store.drafts.superseded_by(message_id)
        click.echo(f"draft: superseded; message {stale[1]} of this conversation has the draft "
                   f"to send (triage review show {stale[1]})" if stale else "draft: none")
        return
    click.echo(f"situation: {draft.get('situation') or '-'}")
    click.echo(f"draft {draft['id']} ({draft['status']}): {draft['subject']}\n")
    click.echo(draft["text"])


@review.command("approve")
@config_option
@message_arg
@as_option
@_edit_options
@click.option("--send", "send_now", is_flag=True,
              help="Send it now instead of at the daemon's next outbox drain.")
@handle_errors
def approve_cmd(config: str | None, message_id: int, agent: str, subject: str | None,
                text: str | None, text_file: IO[str] | None, send_now: bool) -> None:
    """Approve the draft of MESSAGE_ID (with an optional final edit) and queue the reply.

    Refused while [[fill: ...]] placeholders remain or the reply is empty.
    """
    service, actor = _service(config, agent)
    done = service.approve(message_id, actor, subject, _text(text, text_file))
    click.echo(f"message {message_id}: draft {done.draft_id} approved; reply queued as outbox "
               f"row {done.outbox_id}")
    if not send_now:
        click.echo("the daemon sends it at its next outbox drain")
        return
    stats = service.send(done.outbox_id)
    if stats.sent:
        click.echo("sent")
    else:
        click.echo("not sent yet: " + ("; ".join(stats.errors) or "see `triage outbox list`")
                   + "; the daemon retries it")


@review.command("save")
@config_option
@message_arg
@as_option
@_edit_options
@handle_errors
def save_cmd(config: str | None, message_id: int, agent: str, subject: str | None,
             text: str | None, text_file: IO[str] | None) -> None:
    """Save an edit of the draft of MESSAGE_ID (nothing is sent)."""
    service, actor = _service(config, agent)
    done = service.save(message_id, actor, subject, _text(text, text_file))
    click.echo(f"message {message_id}: draft {done.draft_id} saved")


@review.command("discard")
@config_option
@message_arg
@as_option
@handle_errors
def discard_cmd(config: str | None, message_id: int, agent: str) -> None:
    """Discard the draft of MESSAGE_ID: nothing will be sent (reclassify for a new one)."""
    service, actor = _service(config, agent)
    done = service.discard(message_id, actor)
    click.echo(f"message {message_id}: draft {done.draft_id} discarded; nothing will be sent")


@review.command("assign")
@config_option
@message_arg
@as_option
@handle_errors
def assign_cmd(config: str | None, message_id: int, agent: str) -> None:
    """Assign MESSAGE_ID to the --as user."""
    service, actor = _service(config, agent)
    done = service.assign(message_id, actor)
    click.echo(f"message {message_id}: assigned to {done.agent}")


@review.command("resolve")
@config_option
@message_arg
@as_option
@handle_errors
def resolve_cmd(config: str | None, message_id: int, agent: str) -> None:
    """Mark the thread of MESSAGE_ID resolved (meets its open resolution deadline)."""
    service, actor = _service(config, agent)
    done = service.resolve(message_id, actor)
    click.echo(f"thread of message {message_id}: "
               + ("resolved" if done.deadlines else "no open resolution deadline"))


@review.command("unsure")
@config_option
@click.option("--limit", default=10, show_default=True, help="How many messages to list.")
@handle_errors
def unsure_cmd(config: str | None, limit: int) -> None:
    """List the untouched messages whose label would teach the model most ("help the
    model"): the smallest margin between its two best labels first, languages taking turns."""
    from triage.services import App

    unsure = App(cli_settings(config)).review.help_the_model(limit)
    if not unsure:  # say so: an empty output reads like a failure
        click.echo("nothing to ask: the model is sure of every message nobody has labelled, "
                   "edited or answered yet", err=True)
    for u in unsure:
        (a, pa), (b, pb) = u.top
        click.echo(f"{u.message_id:>7}  {u.language:<3} {a} {pa:.0%} or {b} {pb:.0%}  "
                   f"{(u.row.get('subject') or '(no subject)')[:60]}")


@review.command("confirm")
@config_option
@message_arg
@as_option
@handle_errors
def confirm_cmd(config: str | None, message_id: int, agent: str) -> None:
    """Confirm the model's category of MESSAGE_ID as your label (stored for the next
    training, like a correction)."""
    service, actor = _service(config, agent)
    done = service.confirm(message_id, actor)
    click.echo(f"message {message_id}: {done.new_category} confirmed; new draft "
               f"{done.draft_id}")


@review.command("reclassify")
@config_option
@message_arg
@click.argument("category", type=click.Choice(CATEGORIES))
@as_option
@handle_errors
def reclassify_cmd(config: str | None, message_id: int, category: str, agent: str) -> None:
    """Give MESSAGE_ID the category CATEGORY: a new draft, the deadline re-planned, the
    correction stored for the next training."""
    service, actor = _service(config, agent)
    done = service.reclassify(message_id, category, actor)
    due = done.due_at.isoformat(timespec="minutes") if done.due_at else "-"
    click.echo(f"message {message_id}: {done.old_category or '-'} -> {done.new_category}; "
               f"new draft {done.draft_id}; reply due {due}")


@review.command("situation")
@config_option
@message_arg
@click.argument("situation", type=click.Choice([n for n, _ in situation_choices()]))
@as_option
@handle_errors
def situation_cmd(config: str | None, message_id: int, situation: str, agent: str) -> None:
    """Write the draft of MESSAGE_ID again for SITUATION (``general``: the category's reply;
    ``holding``: we are looking into it). Not a correction of the category."""
    service, actor = _service(config, agent)
    done = service.switch_situation(message_id, situation, actor)
    click.echo(f"message {message_id}: situation {done.old_situation or '-'} -> "
               f"{done.new_situation}; new draft {done.draft_id}")
