"""Importance weights while self-training (``classifier.inbox_weighting``): the weights favour
labelled examples that look like the inbox, keep each language's mean at 1, change nothing
with too small an inbox, and a retraining with them (SQLite and PostgreSQL) records them in
the model file and the registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert

from classifiers.corpus_io import Example, load_corpus
from classifiers.gate import Tolerances
from classifiers.inbox_weights import importance_weights
from classifiers.modelfile import load_model
from classifiers.registry import ModelRegistry
from classifiers.retrain import TrainingData, train_version, training_data
from classifiers.selftrain import load_inbox
from classifiers.training import fit
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.store import schema as s
from triage.store.store import Store

OPENERS = ["my parcel", "the package", "order {n}", "my delivery", "the courier"]
MIDDLES = ["is late again", "still has not arrived", "was lost by the courier",
           "is stuck at the depot"]
ENDINGS = ["and nobody answers", "after two weeks of waiting", "and tracking shows nothing"]


def inbox_texts(n: int) -> list[str]:
    """``n`` distinct inbox messages (at most 60), all about late or lost parcels."""
    out = [f"{o.format(n=1000 + k)} {m} {e}" for k, (o, m, e) in enumerate(
        (o, m, e) for o in OPENERS for m in MIDDLES for e in ENDINGS)]
    return out[:n]


@pytest.fixture(scope="module")
def small_corpus() -> list[Example]:
    """Every third corpus row: the same languages and labels, trained in a third of the time."""
    return load_corpus()[::3]


def test_examples_like_the_inbox_weigh_more(small_corpus: list[Example]) -> None:
    w = importance_weights(small_corpus, inbox_texts(60))
    assert len(w) == len(small_corpus) and np.all(w > 0)
    langs = np.array([e.lang for e in small_corpus], dtype=object)
    for lang in set(langs.tolist()):
        assert w[langs == lang].mean() == pytest.approx(1.0)
    words = ("parcel", "package", "courier", "delivery", "arrived")
    like = np.array([any(x in e.text.lower() for x in words) for e in small_corpus])
    en = langs == "en"
    assert like[en].sum() >= 20
    assert w[en & like].mean() > w[en & ~like].mean()
    top = np.argsort(-np.where(en, w, 0.0))[:20]  # the 20 English rows weighted most
    assert like[top].mean() >= 5 * like[en].mean()  # parcel rows: 4 % of en, 40 % of the top
    assert w.max() / w.min() <= 100.0 + 1e-9  # clipped to 0.1-10 before normalising


def test_too_small_an_inbox_changes_nothing(small_corpus: list[Example]) -> None:
    assert np.all(importance_weights(small_corpus, inbox_texts(29)) == 1.0)
    # duplicates do not count twice
    assert np.all(importance_weights(small_corpus, inbox_texts(10) * 5) == 1.0)


def test_weights_change_the_model_not_its_shape(small_corpus: list[Example]) -> None:
    w = importance_weights(small_corpus, inbox_texts(60))
    plain = fit(small_corpus, version="plain")
    weighted = fit(small_corpus, version="weighted", weights=w)
    assert weighted.compiled.coef.shape == plain.compiled.coef.shape
    assert np.abs(weighted.compiled.coef - plain.compiled.coef).max() > 1e-3
    texts = [*inbox_texts(8), "", "app bi loi ko login dc"]
    fast = weighted.probabilities(texts)
    assert np.abs(fast - weighted.pipeline.predict_proba(texts)).max() < 1e-9
    with pytest.raises(ValueError):
        fit(small_corpus, weights=w[:-1])


def _seed_inbox(store: Store, now, n: int) -> None:  # type: ignore[no-untyped-def]
    with store.engine.begin() as c:
        for i, text in enumerate(inbox_texts(n)):
            when = now - timedelta(hours=i)
            c.execute(insert(s.messages).values(
                source="inbox", external_id=f"w{i}", channel="email", received_at=when,
                ingested_at=when, subject="", text=text, full_text=text, status="processed"))


@contextmanager
def _stored_inbox(store_url: str, clock: FrozenClock, models: Path,
                  n: int) -> Iterator[tuple[Store, ModelRegistry, list]]:
    """A store holding ``n`` unlabelled inbox messages, its model registry under ``models``
    and the inbox read back as retraining reads it; the store is closed afterwards."""
    store = Store.open(store_url, clock)
    try:
        _seed_inbox(store, clock.now(), n)
        yield store, ModelRegistry(store, models), load_inbox(store, 30, 1000, clock.now())
    finally:
        store.close()


def test_retraining_with_inbox_weighting_records_it(
        store_url: str, clock: FrozenClock, small_corpus: list[Example],
        tmp_path: Path) -> None:
    with _stored_inbox(store_url, clock, tmp_path / "models", 60) as (
            _store, registry, inbox):
        out = train_version(registry, TrainingData(small_corpus, [], inbox, 30,
                                                   inbox_weighting=True),
                            tolerances=Tolerances(1.0, 1.0))
        st = out.self_training
        assert st["state"] == "accepted" and st["inbox_weighting"]["state"] == "on"
        assert "self-training (corpus weighted by the inbox): " in out.explanation
        data = out.model.meta.data
        assert data["inbox_weighting"] == st["inbox_weighting"]
        assert data["inbox_weighting"]["n_inbox"] == len(inbox) - data["n_inbox_budget"]
        assert data["inbox_weighting"]["p95"] > data["inbox_weighting"]["p5"] > 0
        again = load_model(out.path)  # the model file round-trips what it saw
        assert again.meta.data == data
        row = registry.active_row()
        assert row is not None and row["version"] == out.model.version
        assert row["metrics"]["data"]["inbox_weighting"] == data["inbox_weighting"]


def test_weights_refused_fall_back_to_plain_self_training(
        store_url: str, clock: FrozenClock, small_corpus: list[Example],
        tmp_path: Path) -> None:
    with _stored_inbox(store_url, clock, tmp_path / "models", 60) as (
            _store, registry, inbox):
        # a model must beat the one without the inbox by a full point: nothing can
        out = train_version(registry, TrainingData(small_corpus, [], inbox, 30,
                                                   inbox_weighting=True),
                            tolerances=Tolerances(-1.0, -1.0))
        st = out.self_training
        assert st["inbox_weighting"]["state"] == "refused" and "with" in st["inbox_weighting"]
        assert st["state"] == "refused"  # the plain self-training was tried after, and lost
        assert "without weighting the corpus by the inbox" in out.explanation
        assert out.model.meta.data["inbox_weighting"] == {}
        assert out.model.meta.data["n_pseudo"] == 0


def test_off_or_too_few_inbox_messages_leave_training_unweighted(
        store_url: str, clock: FrozenClock, small_corpus: list[Example],
        tmp_path: Path) -> None:
    with _stored_inbox(store_url, clock, tmp_path / "models", 12) as (
            _store, registry, inbox):
        few = train_version(registry, TrainingData(small_corpus, [], inbox, 30,
                                                   inbox_weighting=True),
                            tolerances=Tolerances(1.0, 1.0))
        assert few.self_training["inbox_weighting"]["state"] == "skipped"
        assert "self-training: " in few.explanation
        off = train_version(registry, TrainingData(small_corpus, [], inbox, 30),
                            tolerances=Tolerances(1.0, 1.0))
        assert off.self_training["inbox_weighting"] == {}
        assert off.model.meta.data["inbox_weighting"] == {}


def test_setting_reaches_the_training_data(tmp_path: Path, clock: FrozenClock) -> None:
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"self_training_days": 30, "inbox_weighting": False}})
    assert settings.classifier.inbox_weighting is False
    assert settings_from_mapping({}).classifier.inbox_weighting is True
    (tmp_path / "data").mkdir()
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 't.db'}", clock)
    try:
        data = training_data(settings, ModelRegistry(store, tmp_path / "m"), clock.now())
        assert data.inbox_weighting is False and data.inbox_days == 30
    finally:
        store.close()
