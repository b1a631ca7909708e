"""The fast paths of drafting give exactly the drafts the plain evaluation gives.

Fast: context values computed when a template first reads them (:mod:`triage.drafting.lazy`),
facts extracted in stages (:class:`~triage.drafting.extract.FactExtraction`), keyword rules
asked only when their required strings occur (:class:`~triage.drafting.situation_rules.
RuleTable`), the situation model's cached token indexes counted with numpy, template files
checked for changes at most every :data:`~triage.drafting.render.TEMPLATE_CHECK_SECONDS`,
partials compiled into the templates that include them (:mod:`triage.drafting.
template_files`), the situation detected without its reasons, the context's data classes
read without the sandbox's checks, sign-offs tried at line starts only. Plain: every
context value computed first by
:func:`~triage.drafting.extract.extract_facts` and
:func:`~triage.drafting.techdetails.detect_tech_details`, Jinja2's own context and includes,
no template cache, every rule's own ``re.search``, the model's scores from the terms' names
(a ``Counter``). Compared on
every held-out situation fixture (also with each situation chosen), the demo inbox and 300
realistic mails of ``bench/mailgen.py`` in several shapes (languages, channels, threads,
review, no deadline).

The text scans' own shortcuts (case gates, the case view, a text's last lines) are compared
with the plain searches in :mod:`tests.test_draft_gates`, on these requests' texts.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jinja2.runtime import Context

import triage.default_config
from tests.situation_fixtures import SEA_ZONES, load_fixtures, request_for
from triage.clock import FrozenClock
from triage.drafting import render as render_module
from triage.drafting.extract import FactExtraction, extract_facts
from triage.drafting.lazy import resolved
from triage.drafting.render import DraftRequest, Renderer
from triage.drafting.situation_model import SituationModel, term_counts
from triage.drafting.situation_rules import Rule, RuleTable
from triage.drafting.situations import (
    SITUATIONS,
    ThreadFacts,
    chosen_follow_up_topic,
    chosen_still_open_topic,
)
from triage.drafting.techdetails import detect_tech_details
from triage.mail.parse import parse_email
from triage.models import CATEGORIES

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
LANGUAGES = ("en", "vi", "id", "tl")


def _renderer(**kwargs: Any) -> Renderer:
    return Renderer(customer_timezone="Asia/Singapore", language_timezones=SEA_ZONES, **kwargs)


def _mail_requests() -> list[DraftRequest]:
    """300 realistic mails as the pipeline asks for their drafts, in varied shapes."""
    from bench.mailgen import generate

    out = []
    for i, raw in enumerate(generate(300, seed=7)):
        p = parse_email(raw, fallback_received=NOW)
        req = DraftRequest(
            category=CATEGORIES[i % len(CATEGORIES)], channel="email",
            language=LANGUAGES[i % len(LANGUAGES)], subject=p.subject, text=p.text,
            sender=p.sender, sender_name=p.sender_name, thread_id=1000 + i,
            due_at=NOW + timedelta(hours=3, minutes=i),
            attachment_types=tuple(a.content_type for a in p.attachments), now=NOW)
        shape = i % 7
        if shape == 1:
            req = replace(req, thread=ThreadFacts(replied_before=True))
        elif shape == 2:
            req = replace(req, thread=ThreadFacts(replied_before=True, unanswered=2))
        elif shape == 3:
            req = replace(req, channel="social", private=bool(i % 2))
        elif shape == 4:
            req = replace(req, needs_review=True, due_at=None)
        elif shape == 5:
            req = replace(req, situation=list(SITUATIONS)[i % len(SITUATIONS)])
        out.append(req)
    return out


def _demo_requests() -> list[DraftRequest]:
    out = []
    demo = Path(triage.default_config.__file__).parent / "demo"
    for i, path in enumerate(sorted(demo.glob("*.eml"))):
        p = parse_email(path.read_bytes(), fallback_received=NOW)
        out.append(DraftRequest(
            category=CATEGORIES[i % len(CATEGORIES)], channel="email",
            language=LANGUAGES[i % len(LANGUAGES)], subject=p.subject, text=p.text,
            sender=p.sender, sender_name=p.sender_name, thread_id=500 + i, due_at=NOW,
            attachment_types=tuple(a.content_type for a in p.attachments), now=NOW))
    return out


def _requests() -> list[DraftRequest]:
    fixtures = load_fixtures()
    chosen = [request_for(m, situation=s) for m in fixtures[::7] for s in [*SITUATIONS, "general"]]
    return [*(request_for(m) for m in fixtures), *chosen, *_demo_requests(), *_mail_requests()]


def _draft(renderer: Renderer, req: DraftRequest) -> tuple[str, ...]:
    try:
        d = renderer.render(req)
    except Exception as exc:  # a social draft too long: the same refusal either way
        return ("error", type(exc).__name__, str(exc))
    return (d.subject, d.text, d.template, d.language, d.situation)


def _plain_scores(self: SituationModel, feature_text: str) -> dict[str, float]:
    """:meth:`SituationModel.scores` from the terms' names (no cached word indexes)."""
    index, idf, matrix = self._arrays
    known = [(index[t], k) for t, k in term_counts(feature_text).items() if t in index]
    if not known:
        return dict.fromkeys(self.classes, 0.0)
    rows = np.array([i for i, _ in known], dtype=np.int64)
    weights = (1 + np.log(np.array([k for _, k in known], dtype=float))) * idf[rows]
    values = (weights / np.sqrt(weights @ weights)) @ matrix[rows]
    return dict(zip(self.classes, values.tolist(), strict=True))


def _go_plain(monkeypatch: pytest.MonkeyPatch) -> Renderer:
    """Patch drafting to evaluate everything the plain way (see the module docstring) and
    return a renderer without template cache and with Jinja2's own context."""

    lazy = Renderer.lazy_context

    def computed_first(self: Renderer, req: DraftRequest, lang: str, facts: Any = None,
                       tech: Any = None, situation: str = "general", topic: str = ""
                       ) -> dict[str, Any]:
        return resolved(lazy(self, req, lang, extract_facts(req.text, req.language),
                             detect_tech_details(f"{req.subject}\n{req.text}",
                                                 req.attachment_types), situation, topic))

    monkeypatch.setattr(Renderer, "lazy_context", computed_first)

    def detected(self: Renderer, req: DraftRequest) -> tuple[str, str]:
        if req.situation == "still_open":  # chosen by hand: the topic processing gives
            return "still_open", chosen_still_open_topic(
                req.text, req.subject, req.language, req.category, req.thread,
                req.attachment_types)
        if req.situation == "follow_up":  # chosen by hand: what is chased
            return "follow_up", chosen_follow_up_topic(
                req.text, req.subject, req.language, req.category, req.thread,
                req.attachment_types)
        if req.situation is not None:
            return (req.situation if req.situation in SITUATIONS else "general"), ""
        found = self.detect(req)  # the full detection, reasons and rounded scores
        return found.situation, found.topic

    monkeypatch.setattr(Renderer, "situation_for", detected)
    from jinja2.sandbox import SandboxedEnvironment  # the sandbox's own attribute checks

    monkeypatch.setattr(render_module._Environment, "getattr", SandboxedEnvironment.getattr)
    monkeypatch.setattr(render_module._Environment, "make_globals",
                        SandboxedEnvironment.make_globals)  # Jinja2's ChainMap
    monkeypatch.setattr(RuleTable, "matches", RuleTable.matches_plain)
    monkeypatch.setattr(Rule, "search", Rule.search_plain)
    monkeypatch.setattr(SituationModel, "scores", _plain_scores)
    renderer = _renderer()
    renderer.env.context_class = Context
    renderer.env.cache = None  # every template read and compiled on each use
    renderer.env.loader = renderer.env.loader.inner  # type: ignore[union-attr]  # Jinja2's includes
    return renderer


def test_drafts_with_the_fast_paths_equal_the_plain_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reqs = _requests()
    fast = [_draft(_renderer(), r) for r in reqs]
    plain = _go_plain(monkeypatch)
    slow = [_draft(plain, r) for r in reqs]
    assert len(fast) == len(slow) > 1000
    for n, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert a == b, (n, reqs[n].text[:80])
    drafted = [(r, d) for r, d in zip(reqs, fast, strict=True) if d[0] != "error"]
    assert len({d[4] for _, d in drafted}) >= 14  # every situation, and general
    assert {d[3] for _, d in drafted} == set(LANGUAGES)
    assert {d[2].split(".")[-2] for _, d in drafted} == {"email", "social"}
    # values computed only when a template reads them do reach drafts
    quoted = [d for r, d in drafted
              if (found := FactExtraction(r.text, r.language).numbers()[0])
              and found[0] in d[1]]
    assert len(quoted) >= 20


def test_a_template_that_does_not_read_the_facts_does_not_extract_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any) -> Any:
        raise AssertionError("extracted although the template never reads it")

    req = DraftRequest(category="suggestion", channel="email", language="en",
                       subject="An idea", text="Order #55512 came, dark mode would be nice.",
                       sender="ann@example.com", sender_name="Ann Lee", thread_id=7,
                       due_at=NOW, now=NOW)
    renderer = _renderer()
    expected = renderer.render(req)
    monkeypatch.setattr(FactExtraction, "numbers", refuse)
    monkeypatch.setattr(FactExtraction, "facts", refuse)
    monkeypatch.setattr(render_module, "detect_tech_details", refuse)
    assert renderer.render(req) == expected
    with pytest.raises(AssertionError, match="never reads"):  # a complaint quotes the order
        renderer.render(replace(req, category="complaint"))


def test_values_are_computed_once_and_reach_included_and_parent_templates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "_order.j2").write_text("order {{ order }}, {{ amount }}")
    (tmp_path / "en" / "_frame.j2").write_text(
        "{% block top %}{% endblock %}|{{ order }}|{% include 'en/_order.j2' %}")
    (tmp_path / "en" / "complaint.email.j2").write_text(
        "{% extends 'en/_frame.j2' %}{% block top %}{{ order }}"
        "{% set again = order %}{{ again }}{% endblock %}")
    calls: list[str] = []
    numbers = FactExtraction.numbers

    def counted(self: FactExtraction) -> Any:
        calls.append(self.text)
        return numbers(self)

    monkeypatch.setattr(FactExtraction, "numbers", counted)
    req = DraftRequest(category="complaint", channel="email", language="en", subject="Late",
                       text="Order 88812 cost Rp 50.000", sender="b@example.com",
                       sender_name="Budi", thread_id=9, due_at=NOW, now=NOW,
                       situation="general")  # the category's (operator) template
    text = _renderer(template_dir=tmp_path).render(req).text
    assert text == "8881288812|88812|order 88812, Rp 50.000\n"
    assert len(calls) == 2  # once for the order, once more by the amount's stage (kept)


def _touch(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with a modification time 5 s later than it had."""
    stamp = path.stat().st_mtime + 5 if path.exists() else None
    path.write_text(text)
    if stamp is not None:  # a new modification time whatever the file system's grain
        os.utime(path, (stamp, stamp))


def test_an_edited_template_is_used_after_the_check_interval_or_a_reload(
        tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    template = tmp_path / "en" / "request.email.j2"
    template.write_text("first {{ reference }}")
    req = DraftRequest(category="request", channel="email", language="en", subject="Hi",
                       text="hello", sender="c@example.com", sender_name="", thread_id=3,
                       due_at=None, now=NOW, situation="general")
    clock = FrozenClock(NOW)
    renderer = _renderer(template_dir=tmp_path, clock=clock)
    other = _renderer(template_dir=tmp_path, clock=FrozenClock(NOW))
    assert renderer.render(req).text == other.render(req).text == "first T-3\n"
    _touch(template, "second {{ reference }}")
    clock.advance(timedelta(seconds=render_module.TEMPLATE_CHECK_SECONDS * 0.9))
    assert renderer.render(req).text == "first T-3\n"  # within its interval: the loaded one
    clock.advance(timedelta(seconds=render_module.TEMPLATE_CHECK_SECONDS * 0.2))
    assert renderer.render(req).text == "second T-3\n"  # the renderer's clock says: look
    assert other.render(req).text == "first T-3\n"  # its clock stands still
    other.reload_templates()
    assert other.render(req).text == "second T-3\n"


def test_an_edited_partial_is_used_in_the_templates_that_include_it(tmp_path: Path) -> None:
    """Partials are compiled into the templates that include them; editing one (or the
    packaged frame's partial an operator file overrides) reaches those templates."""
    (tmp_path / "en").mkdir()
    partial = tmp_path / "en" / "_signature.j2"
    partial.write_text("Cheers,\n{{ team_name }}")
    req = DraftRequest(category="suggestion", channel="email", language="en", subject="Idea",
                       text="Add dark mode", sender="d@example.com", sender_name="Ann Lee",
                       thread_id=4, due_at=None, now=NOW, situation="general")
    clock = FrozenClock(NOW)
    renderer = _renderer(template_dir=tmp_path, clock=clock)
    first = renderer.render(req).text
    assert first.endswith("Cheers,\nCustomer Support\n") and first.startswith("Hi Ann,")
    _touch(partial, "Best,\n{{ team_name }} ({{ reference }})")
    clock.advance(timedelta(seconds=render_module.TEMPLATE_CHECK_SECONDS + 1))
    assert renderer.render(req).text == first.replace(
        "Cheers,\nCustomer Support\n", "Best,\nCustomer Support (T-4)\n")


@pytest.mark.parametrize(("partial", "kept"), [
    ("{% set x = 1 %}{{ x }}", True),
    ("{% block b %}b{% endblock %}", True),
    ("{% macro m() %}m{% endmacro %}{{ m() }}", True),
    ("{{ reference }}, {% for w in ['a', 'b'] %}{{ w }}{{ loop.index }}{% endfor %}", False),
])
def test_partials_are_put_in_place_only_when_they_render_the_same(
        tmp_path: Path, partial: str, kept: bool) -> None:
    """A partial with its own assignments, blocks or macros stays a Jinja2 include; the
    drafts are the same either way."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "_part.j2").write_text(partial)
    (tmp_path / "en" / "request.email.j2").write_text(
        '{% set y = 2 %}A {% include "en/_part.j2" %} {% include "en/_missing.j2" '
        'ignore missing %}{{ y }}\n{% for k in [1] %}{% include "en/_part.j2" %}{% endfor %}')
    req = DraftRequest(category="request", channel="email", language="en", subject="Hi",
                       text="hello", sender="c@example.com", sender_name="", thread_id=3,
                       due_at=None, now=NOW, situation="general")
    renderer = _renderer(template_dir=tmp_path)
    plain = _renderer(template_dir=tmp_path)
    plain.env.loader = plain.env.loader.inner  # type: ignore[union-attr]
    assert renderer.render(req).text == plain.render(req).text
    fetched: list[str] = []  # what Jinja2 itself looks up while rendering
    get_template = renderer.env.get_template

    def recording(name: Any, parent: Any = None, globals: Any = None) -> Any:
        fetched.append(name)
        return get_template(name, parent, globals)

    renderer.env.get_template = recording  # type: ignore[method-assign]
    renderer.reload_templates()
    assert renderer.render(req).text == plain.render(req).text
    assert ("en/_part.j2" in fetched) is kept
    assert "en/_missing.j2" in fetched  # "ignore missing" stays Jinja2's


@pytest.mark.parametrize(("source", "expected"), [
    ("a \t\nb\t\n\n\n\nc  ", "a\nb\n\nc\n"),
    ("a\n\n\n\nb", "a\n\nb\n"),
    ("{{ x }} \n{{ y }}", "1\n2\n"),
    ("a\tb \tc", "a\tb \tc\n"),
])
def test_render_template_tidies_like_the_plain_substitutions(source: str, expected: str) -> None:
    """Trailing blanks are removed whether or not the quick check finds any."""
    import jinja2

    assert Renderer.render_template(jinja2.Template(source), {"x": 1, "y": 2}) == expected
