"""The situation model learns the situations agents switched drafts to (issue #21): the store
read on SQLite and PostgreSQL, the examples it makes, the model trained on them, and the App
that detects with it (real pipeline, real store, real switch through the review service)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.test_store_aggregates import seeded as seed_store
from tests.test_web import message_ids
from triage.config import settings_from_mapping
from triage.drafting.situation_learning import agent_examples, learned_model
from triage.drafting.situation_model import features, packaged_model, probabilities
from triage.services import App
from triage.store import Store

LATE = "<late@example.com>"  # "I ordered 3 weeks ago and nothing arrived. Where is my order?"


def test_the_store_returns_the_newest_switch_per_message(any_store: Store) -> None:
    ids = seed_store(any_store)
    any_store.audit("ann", "switch_situation", ids["first"], {"from": "", "to": "refund"})
    any_store.audit("bo", "switch_situation", ids["other"], {"from": "", "to": "holding"})
    any_store.audit("ann", "switch_situation", ids["first"],
                    {"from": "refund", "to": "order_status"})
    any_store.audit("ann", "approve", ids["reply"], {})
    any_store.audit("ann", "switch_situation", ids["auto"], {"from": "", "to": "thanks"})
    rows = any_store.learning.situation_choices()
    got = {r["message_id"]: r["situation"] for r in rows}
    assert got == {ids["first"]: "order_status", ids["other"]: "holding"}  # automatic: no
    first = next(r for r in rows if r["message_id"] == ids["first"])
    assert (first["text"].strip(), first["subject"], first["language"]) == (
        "Where is my parcel?", "Order late", "en")
    assert [r["message_id"] for r in rows] == [ids["first"], ids["other"]]  # newest first
    assert len(any_store.learning.situation_choices(limit=1)) == 1


def test_examples_keep_what_detection_can_return() -> None:
    rows = [
        {"message_id": 1, "situation": "refund", "text": "money back pls", "subject": "",
         "language": "en", "attachments": [{"content_type": "image/png", "filename": "a"}]},
        {"message_id": 2, "situation": "holding", "text": "any news", "language": "en"},
        {"message_id": 3, "situation": "no-such-one", "text": "x", "language": "en"},
        {"message_id": 4, "situation": "general", "text": "  ", "language": "en"},
        {"message_id": 5, "situation": "general", "text": "do you ship to Brunei?",
         "subject": None, "language": "en", "attachments": None},
    ]
    ex = agent_examples(rows)
    assert [(e["situation"], e["attachments"]) for e in ex] == [
        ("refund", ["image/png"]), ("general", [])]
    assert ex[1]["subject"] == ""


def test_the_learned_model_moves_towards_the_agents_choice() -> None:
    text = "the courier left the box at the wrong house, can you sort it out"
    rows = [{"message_id": i, "situation": "damaged_goods", "text": f"{text} ({i})",
             "subject": "", "language": "en"} for i in range(3)]
    before = probabilities(packaged_model(), features(text))
    after = probabilities(learned_model(rows), features(text))
    assert after["damaged_goods"] > before["damaged_goods"]
    assert learned_model([]) is packaged_model()
    assert learned_model([{"situation": "holding", "text": "x"}]) is packaged_model()


def test_the_app_detects_with_the_agents_choices(seeded: Any, tmp_path: Path,
                                                  model_path: Path, clock: Any) -> None:
    """An agent switches a processed message's situation through the review service; the
    next App on that store (the next process) trains its situation model with it."""
    mid = message_ids(seeded)[LATE]
    seeded.review.switch_situation(mid, "damaged_goods", "ann")
    text = seeded.store.message(mid)["text"]
    settings = {"data_dir": str(tmp_path / "data"),
                "classifier": {"model_path": str(model_path)}}
    again = App(settings_from_mapping(settings), clock=clock, environ={})
    try:
        learned = again.situation_model
        assert learned is not packaged_model()
        assert again.renderer.situation_model is not None
        assert again.renderer.situation_model() is learned  # trained once per process
        before = probabilities(packaged_model(), features(text, "My order is late"))
        after = probabilities(learned, features(text, "My order is late"))
        assert after["damaged_goods"] > before["damaged_goods"]
    finally:
        again.store.close()
    off = App(settings_from_mapping({**settings, "drafting": {"learn_situations": False}}),
              clock=clock, environ={})
    try:
        assert off.renderer.situation_model is None
    finally:
        off.store.close()


def test_a_long_running_process_learns_new_switches_after_the_interval() -> None:
    """The learner trains once, keeps its model within ``every``, learns the switches made
    since once ``every`` has passed, and keeps the model it has when the store fails."""
    from datetime import UTC, datetime, timedelta

    from triage.clock import FrozenClock
    from triage.drafting.situation_learning import SituationLearner
    from triage.errors import StoreError

    text = "The screen of the phone you sent me is cracked, I have the photos."
    choices: list[dict[str, Any]] = []
    calls = {"n": 0, "fail": False}

    def read() -> list[dict[str, Any]]:
        calls["n"] += 1
        if calls["fail"]:
            raise StoreError("database is locked")
        return list(choices)

    clock = FrozenClock(datetime(2026, 12, 4, 9, tzinfo=UTC))
    learner = SituationLearner(read, clock, timedelta(hours=24))
    first = learner.model()
    assert first is packaged_model() and learner.model() is first and calls["n"] == 1
    choices.extend({"message_id": i, "situation": "order_status", "text": text,
                    "subject": "", "language": "en"} for i in range(12))
    clock.advance(timedelta(hours=23))
    assert learner.model() is first and calls["n"] == 1  # not yet
    clock.advance(timedelta(hours=1))
    second = learner.model()
    assert second is not first and calls["n"] == 2
    assert probabilities(second, features(text))["order_status"] > \
        probabilities(first, features(text))["order_status"]
    calls["fail"] = True
    clock.advance(timedelta(hours=24))
    assert learner.model() is second and calls["n"] == 3  # kept, tried once
    assert learner.model() is second and calls["n"] == 3
    calls["fail"] = False
    clock.advance(timedelta(hours=24))
    assert learner.model() is not second and calls["n"] == 4


def test_relearning_more_often_than_a_minute_is_refused() -> None:
    import pytest

    from triage.errors import ConfigError

    with pytest.raises((ConfigError, ValueError), match="relearn_situations_every"):
        settings_from_mapping({"drafting": {"relearn_situations_every": "10s"}})
    ok = settings_from_mapping({"drafting": {"relearn_situations_every": "6h"}})
    assert ok.drafting.relearn_situations_every.total_seconds() == 6 * 3600
