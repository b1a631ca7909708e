"""Draft templates compiled at start-up (#19): ``Renderer.warm_up`` and ``App.warm_up``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from triage.drafting.render import DraftRequest, Renderer
from triage.models import CATEGORIES, LANGUAGES
from triage.services import App


def _req(category: str, channel: str, language: str, text: str) -> DraftRequest:
    """A draft request for ``text`` (an order number in it, a deadline next day)."""
    return DraftRequest(category=category, channel=channel, language=language,
                        subject="Order 12345", text=text, sender="a@example.com",
                        sender_name="An Nguyen", thread_id=7,
                        due_at=datetime(2026, 12, 6, 10, 0, tzinfo=UTC))


def _templates(r: Renderer) -> set[str]:
    """The templates the renderer can find: every ``.j2`` but the ``packaged:`` aliases."""
    return {n for n in r.env.list_templates() if ":" not in n and n.endswith(".j2")}


def _count_compiles(r: Renderer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every template the renderer's environment compiles from now on."""
    compiled: list[str] = []
    compile_ = r.env.compile

    def counting(source, name=None, filename=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(str(name))
        return compile_(source, name, filename, *args, **kwargs)

    monkeypatch.setattr(r.env, "compile", counting)
    return compiled


def test_warm_up_compiles_every_template_once(monkeypatch: pytest.MonkeyPatch) -> None:
    r = Renderer()
    compiled = _count_compiles(r, monkeypatch)
    assert r.warm_up() == []
    expected = _templates(r)
    assert len(expected) > 100  # four languages x categories, channels and situations
    assert sorted(compiled) == sorted(expected)  # each once, the aliases not again
    assert "en/_email.j2" in compiled  # the layout the e-mail drafts extend


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_warm_up_drafts_compile_nothing(language: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    r = Renderer()
    r.warm_up()
    compiled = _count_compiles(r, monkeypatch)
    for category in CATEGORIES:
        for channel in ("email", "social"):
            r.render(_req(category, channel, language, "My order 12345 has not arrived."))
    assert compiled == []
    # without the warm-up the same drafts compile their templates (the check can fail)
    cold = Renderer()
    compiled_cold = _count_compiles(cold, monkeypatch)
    cold.render(_req("request", "email", language, "Where is my order 12345?"))
    assert compiled_cold


def test_a_broken_custom_template_is_logged_not_raised(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "complaint.email.j2").write_text(
        "Hello {{ customer_name\n", encoding="utf-8")  # unclosed tag
    r = Renderer(template_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="triage.drafting.render"):
        failed = r.warm_up()
    assert failed == ["en/complaint.email.j2"]
    assert "en/complaint.email.j2" in caplog.text and "does not compile" in caplog.text
    # the other templates still draft
    draft = r.render(_req("request", "email", "en", "Could you send the invoice?"))
    assert draft.text and draft.template.startswith("en/")


def test_app_warm_up_compiles_the_templates(app: App) -> None:
    assert "renderer" not in app.__dict__
    app.warm_up()
    assert _templates(app.renderer) <= set(
        t.name for t in app.renderer.env.cache.values() if t.name)  # type: ignore[union-attr]
