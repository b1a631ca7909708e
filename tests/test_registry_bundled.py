"""The model trained from the bundled corpus is the registry's first version: rolling back
after the first activation returns to it, it can be activated, its row shows what its metadata
file records, and a registry made before it had a row still loads (``triage models`` too)."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from classifiers.model import FORMAT_VERSION, TriageClassifier
from classifiers.registry import BUNDLED, ModelRegistry
from tests.conftest import copy_model
from triage.cli.common import cli_settings
from triage.clock import FrozenClock
from triage.errors import ModelVersionError
from triage.store import schema as s
from triage.store.store import Store


def _active(registry: ModelRegistry) -> str:
    [row] = [r for r in registry.history() if r["active"]]
    return str(row["version"])


def test_rollback_after_the_first_activation_returns_to_the_bundled_model(
        registry: ModelRegistry, classifier: TriageClassifier, clock: FrozenClock) -> None:
    registry.register(copy_model(classifier, "v1"), {"gate_macro_f1": 0.5})
    assert [r["version"] for r in registry.history()] == [BUNDLED, "v1"]
    assert _active(registry) == BUNDLED and registry.rollback_target()[0] is None
    registry.activate("v1")
    assert registry.rollback_target()[0]["version"] == BUNDLED  # type: ignore[index]
    clock.advance(timedelta(minutes=1))
    row = registry.rollback()
    assert row["version"] == BUNDLED and row["active"]
    # the loader and the gate see no registered version: the bundled model is used
    assert registry.active() is None and registry.active_row() is None
    assert [r["version"] for r in registry.versions()] == ["v1"]  # the marker stays hidden
    clock.advance(timedelta(minutes=1))
    assert registry.rollback()["version"] == "v1"  # back to the previously active one
    with registry.store.engine.connect() as c:
        audit = [(r.detail["version"], r.detail["previous"])
                 for r in c.execute(select(s.audit_log)).all()]
    assert audit == [("v1", BUNDLED), (BUNDLED, "v1"), ("v1", BUNDLED)]


def test_bundled_activation_time_is_kept(registry: ModelRegistry, classifier: TriageClassifier,
                                         clock: FrozenClock) -> None:
    for v in ("v1", "v2"):
        registry.register(copy_model(classifier, v), {})
    registry.activate("v1")
    clock.advance(timedelta(minutes=1))
    registry.activate(BUNDLED)
    clock.advance(timedelta(minutes=1))
    registry.activate("v2")
    # the version active before v2 was the bundled model, not v1
    assert registry.rollback()["version"] == BUNDLED


def test_nothing_to_roll_back_to_says_why(registry: ModelRegistry,
                                          classifier: TriageClassifier) -> None:
    registry.register(copy_model(classifier, "v1"), {})  # registered, never activated
    target, reason = registry.rollback_target()
    assert target is None and "no registered version was ever activated" in reason
    with pytest.raises(ModelVersionError, match="nothing to roll back to: the bundled model"):
        registry.rollback()


def test_bundled_row_shows_its_metadata(registry: ModelRegistry) -> None:
    assert registry.bundled()["metrics"] == {}  # not trained in this data directory yet
    registry.models_dir.mkdir()
    meta = {"version": "bundled-52787436a9da", "trained_at": "2026-12-01T09:48:03+00:00",
            "sha256": "ab" * 32, "corpus_hash": "5278", "n_examples": 11340, "metrics": {},
            "data": {"corpus_hash": "5278", "n_corpus": 11340, "n_corrections": 0},
            "language_thresholds": {"en": 0.4}}
    side = registry.models_dir / f"bundled-v{FORMAT_VERSION}r2-5278.json"
    side.write_text(json.dumps(meta), encoding="utf-8")
    (registry.models_dir / f"bundled-v{FORMAT_VERSION}r2-5278.runtime.json").write_text("{}")
    row = registry.bundled()
    assert row["path"] == str(side.with_suffix(".skops")) and row["sha256"] == "ab" * 32
    assert row["created_at"].day == 1 and row["model_version"] == "bundled-52787436a9da"
    assert row["metrics"] == {"n_train": 11340, "data": meta["data"],
                              "language_thresholds": {"en": 0.4}}


def test_bundled_name_is_reserved(registry: ModelRegistry, classifier: TriageClassifier) -> None:
    with pytest.raises(ModelVersionError, match="names the bundled model"):
        registry.register(copy_model(classifier, BUNDLED), {})


def _old_registry(store: Store, tmp_path: Path) -> None:
    """Rows as a registry made before the bundled model had a row: v1 active, v2 not."""
    now = store.clock.now()
    with store.engine.begin() as c:
        for v, active in (("v1", True), ("v2", False)):
            (tmp_path / f"{v}.skops").write_bytes(b"model")
            c.execute(insert(s.model_versions).values(
                version=v, path=str(tmp_path / f"{v}.skops"), sha256="0" * 64,
                corpus_hash="", metrics={"gate_macro_f1": 0.9}, created_at=now,
                active=active, activated_at=now if active else None))


def test_a_registry_made_before_still_loads_and_rolls_back(registry: ModelRegistry,
                                                            tmp_path: Path) -> None:
    _old_registry(registry.store, tmp_path)
    assert [(r["version"], r["active"]) for r in registry.history()] == [
        (BUNDLED, False), ("v1", True), ("v2", False)]
    assert registry.active() == (str(tmp_path / "v1.skops"), "0" * 64)
    assert registry.rollback()["version"] == BUNDLED and registry.active() is None


def _cli(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    from triage.cli.main import main

    cfg = tmp_path / "triage.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return CliRunner().invoke(main, [*args, "--config", str(cfg)], catch_exceptions=False)


def test_models_commands_offer_the_bundled_model(tmp_path: Path, clock: FrozenClock) -> None:
    r = _cli(tmp_path, "models", "list")
    assert r.exit_code == 0, r.output
    assert "* bundled" in r.output and "rollback: nothing to roll back to" in r.output
    r = _cli(tmp_path, "models", "rollback")
    assert r.exit_code == 1 and "nothing to roll back to: the bundled model" in r.stderr
    settings = cli_settings(str(tmp_path / "triage.toml"))
    store = Store.open(settings.database_url(os.environ), clock)
    try:
        _old_registry(store, tmp_path)
    finally:
        store.close()
    r = _cli(tmp_path, "models", "list")
    assert "  bundled" in r.output and "* v1" in r.output
    assert "rollback: re-activates bundled" in r.output
    r = _cli(tmp_path, "models", "rollback")
    assert r.exit_code == 0 and "active model: bundled" in r.output
    r = _cli(tmp_path, "models", "list")
    assert "* bundled" in r.output and "rollback: re-activates v1" in r.output
