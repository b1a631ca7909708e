"""``triage llm``: the local LLM's second opinion (``[classifier.llm]``) from the command line.

``triage llm ask TEXT`` checks a setup: it asks the configured server about TEXT and prints
the answer (nothing is stored). ``triage llm run`` runs the daemon's job once now: it asks
about the unsure messages no agent has touched yet and stores the answers.

``triage encoder run`` runs the sentence encoder's job once now (``[classifier.encoder]``): it
re-scores the unsure untouched messages of the configured languages.
"""

from __future__ import annotations

import click

from triage.cli.common import cli_settings, config_option, handle_errors
from triage.config import LlmSettings
from triage.errors import ConfigError


def _llm(settings: LlmSettings, *, enabled: bool) -> None:
    """Raise ConfigError when ``[classifier.llm]`` lacks what the command needs."""
    if not settings.model.strip():
        raise ConfigError("no model configured", key="classifier.llm.model",
                          fix="set model to a name the server knows, e.g. 'qwen2.5:7b-instruct'")
    if enabled and not settings.enabled:
        raise ConfigError("the LLM second opinion is off", key="classifier.llm.enabled",
                          fix="set enabled = true (see docs/classifier.md)")


@click.group("llm")
def llm() -> None:
    """Ask a local LLM server for a second opinion on unsure messages ([classifier.llm])."""


@llm.command("ask")
@config_option
@click.option("--subject", default="", help="Subject to send with the text.")
@click.option("--language", default="", help="Language to tell the server (en, vi, id, tl).")
@click.argument("text")
@handle_errors
def ask_cmd(config: str | None, subject: str, language: str, text: str) -> None:
    """Ask the configured server about TEXT and print its label and reason (a setup check;
    nothing is stored, and it works before enabled = true)."""
    import os

    from classifiers.second_opinion import build_client, prompt

    settings = cli_settings(config).classifier.llm
    _llm(settings, enabled=False)
    client = build_client(settings, os.environ)
    answer = client.ask(prompt({"subject": subject, "text": text,
                                "language": language or "?"}, settings.max_chars))
    click.echo(f"Local LLM ({answer.model}) says: {answer.label} \u2014 {answer.reason}")


@llm.command("run")
@config_option
@handle_errors
def run_cmd(config: str | None) -> None:
    """Run the daemon's job once now: ask about up to max_per_run unsure messages no agent
    has touched yet and store the answers (shown on the message page)."""
    from classifiers.second_opinion import second_opinion_job
    from triage.services import App

    app = App(cli_settings(config))
    settings = app.settings.classifier.llm
    _llm(settings, enabled=True)
    run = second_opinion_job(app.store, settings, app.environ, app.stop)()
    click.echo(f"answered {len(run.answered)}, failed {len(run.failed)}")
    if run.stopped:
        click.echo(f"stopped: {run.stopped}")


@click.group("encoder")
def encoder() -> None:
    """Re-score unsure messages with a sentence encoder ([classifier.encoder])."""


@encoder.command("run")
@config_option
@handle_errors
def encoder_run_cmd(config: str | None) -> None:
    """Run the daemon's job once now: re-score up to max_per_run unsure messages no agent has
    touched yet in the configured languages; a changed label gets a new draft."""
    from triage.review.rescore import rescore_job
    from triage.services import App

    app = App(cli_settings(config))
    settings = app.settings.classifier.encoder
    if not settings.enabled:
        raise ConfigError("the sentence encoder's re-score is off",
                          key="classifier.encoder.enabled",
                          fix="set enabled = true (see docs/classifier.md)")
    run = rescore_job(app.review, settings, app.stop, app.settings.resolve_path)()
    click.echo(f"re-scored {len(run.rescored)}, changed {len(run.changed)}, "
               f"failed {len(run.failed)}")
