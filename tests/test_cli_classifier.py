"""Model registry, the activation gate, scheduled retraining and the admin commands
(``triage train``, ``evaluate``, ``explain``, ``models``) on a real SQLite store."""

from __future__ import annotations

import csv
import pickle
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from classifiers.corpus_io import LABELS, Example, load_corpus
from classifiers.gate import Tolerances
from classifiers.model import TriageClassifier
from classifiers.registry import ModelRegistry
from classifiers.retrain import TrainingData, plan, split_holdout, train_version
from classifiers.scheduled import retrain_once
from tests.conftest import copy_model
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.errors import ModelVersionError
from triage.services import App
from triage.store import schema as s
from triage.store.store import Store


def test_register_activate_rollback_and_audit(registry: ModelRegistry,
                                              classifier: TriageClassifier,
                                              clock: FrozenClock) -> None:
    from datetime import timedelta

    assert registry.active() is None
    registry.register(copy_model(classifier, "v1"), {"gate_macro_f1": 0.5})
    registry.register(copy_model(classifier, "v2"), {"gate_macro_f1": 0.6})
    registry.activate("v1")
    clock.advance(timedelta(minutes=1))
    registry.activate("v2")
    path, sha = registry.active()  # type: ignore[misc]
    assert Path(path).name == "v2.skops" and len(sha) == 64
    assert registry.rollback()["version"] == "v1"
    assert [r["version"] for r in registry.versions() if r["active"]] == ["v1"]
    with pytest.raises(ModelVersionError, match=r"'v9' is not registered.*v1, v2"):
        registry.activate("v9")
    with registry.store.engine.connect() as c:
        actions = [r.detail["version"] for r in c.execute(select(s.audit_log)).all()]
    assert actions == ["v1", "v2", "v1"]


def test_rollback_without_history_says_so(registry: ModelRegistry) -> None:
    with pytest.raises(ModelVersionError, match="nothing to roll back to"):
        registry.rollback()


def _add_corrections(store: Store, rows: list[tuple[str, str]]) -> None:
    with store.engine.begin() as c:
        for text, label in rows:
            c.execute(insert(s.corrections).values(
                text=text, language="en", channel="email", old_category="request",
                new_category=label, agent="ann", created_at=store.clock.now()))


def test_corrections_become_examples_latest_label_wins(registry: ModelRegistry) -> None:
    _add_corrections(registry.store, [("the app froze", "complaint"),
                                      ("the app froze", "technical_issue"),
                                      ("add tabs", "suggestion")])
    got = {e.text: e.label for e in registry.corrections()}
    assert got == {"the app froze": "technical_issue", "add tabs": "suggestion"}
    assert registry.count_corrections() == 3


def test_holdout_split_is_stable_and_disjoint() -> None:
    corpus = load_corpus()
    a_train, a_held = split_holdout(corpus, 0.15)
    _b_train, b_held = split_holdout(list(reversed(corpus)), 0.15)
    assert {e.text for e in a_held} == {e.text for e in b_held}
    assert 0.1 < len(a_held) / len(corpus) < 0.2
    assert not {e.text for e in a_held} & {e.text for e in a_train}


def shifted_corpus() -> tuple[list, list]:
    """The corpus with every label moved to the next one (a model that must lose the gate),
    and the shipped test set it is gated on."""
    corpus = load_corpus()
    _, held = split_holdout(corpus, 0.15)
    shift = {lab: LABELS[(i + 1) % len(LABELS)] for i, lab in enumerate(LABELS)}
    return [replace(e, label=shift[e.label]) for e in corpus], held


def test_gate_keeps_a_better_active_model(registry: ModelRegistry,
                                          classifier: TriageClassifier) -> None:
    registry.register(copy_model(classifier, "good"), {})
    registry.activate("good")
    broken, held = shifted_corpus()
    out = train_version(registry, TrainingData(broken, gate_examples=held))
    assert not out.activated and out.active_version == "good"
    assert out.candidate_f1 < out.active_f1  # type: ignore[operator]
    assert "fails the gate" in out.explanation and "kept the active model" in out.explanation
    assert registry.active_row()["version"] == "good"  # type: ignore[index]
    lenient = train_version(registry, TrainingData(broken, gate_examples=held),
                            tolerances=Tolerances(real=1.0, corpus=1.0))
    assert lenient.activated and registry.active_row()["version"] == lenient.model.version


def test_gate_compares_with_the_bundled_model_while_it_is_in_use(
        registry: ModelRegistry, model_path: Path) -> None:
    """No registered version active: the bundled model is the one a new version must not lose
    to (before, a new version passed the gate unseen and replaced it)."""
    registry.models_dir.mkdir(parents=True, exist_ok=True)
    for f in model_path.parent.glob(model_path.stem + ".*"):  # the session's bundled model
        shutil.copy(f, registry.models_dir / f.name)
    assert registry.active_row() is None and registry.bundled()["path"]
    broken, held = shifted_corpus()
    out = train_version(registry, TrainingData(broken, gate_examples=held))
    assert not out.activated and out.active_version == "bundled"
    assert out.candidate_f1 < out.active_f1  # type: ignore[operator]
    assert "vs active bundled" in out.explanation and "fails the gate" in out.explanation
    assert registry.active_row() is None  # the bundled model stays in use


def test_a_retrain_can_replace_the_bundled_model_on_the_shipped_test_set(
        registry: ModelRegistry, model_path: Path) -> None:
    """The bundled model learnt the whole corpus, the shipped test set included, so scored
    there it is near perfect (0.999) and no retrained version could pass against it; its test
    score is the bundled recipe retrained without the test rows (here: the same data as the
    new version, which therefore passes and is activated)."""
    registry.models_dir.mkdir(parents=True, exist_ok=True)
    for f in model_path.parent.glob(model_path.stem + ".*"):
        shutil.copy(f, registry.models_dir / f.name)
    out = train_version(registry, TrainingData(load_corpus()))
    assert out.active_version == "bundled"
    assert "retrained without the test rows" in out.explanation
    assert out.active_f1 == out.candidate_f1 < 0.99
    assert out.activated and registry.active_row()["version"] == out.model.version  # type: ignore[index]


def test_the_bundled_stand_in_never_learns_the_admins_extra_rows(
        registry: ModelRegistry, model_path: Path) -> None:
    """With ``--data`` rows the bundled model never saw, its stand-in on the shipped test set
    learns only the bundled corpus: the new version, which learnt the extra rows' training
    part, scores higher on their held-out part (before, the stand-in learnt them too and the
    two scored the same)."""
    registry.models_dir.mkdir(parents=True, exist_ok=True)
    for f in model_path.parent.glob(model_path.stem + ".*"):
        shutil.copy(f, registry.models_dir / f.name)
    extra = [Example(f"plorfix quibbet {n} zandor", "suggestion", "en", "email")
             for n in range(300)]
    out = train_version(registry, TrainingData(load_corpus(), extra=extra))
    assert out.active_version == "bundled" and out.active_f1 is not None
    assert out.candidate_f1 > out.active_f1


def test_the_stand_in_learns_the_loaded_corpus_and_none_of_the_data_rows(
        tmp_path: Path, registry: ModelRegistry, model_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled recipe's stand-in learns the corpus ``training_data`` loaded, without
    reading the corpus files again (before, it re-read them to tell the ``--data`` rows
    apart), and none of the ``--data`` file's rows, which the new version learns."""
    from classifiers import corpus_io, training
    from classifiers.retrain import training_data

    registry.models_dir.mkdir(parents=True, exist_ok=True)
    for f in model_path.parent.glob(model_path.stem + ".*"):
        shutil.copy(f, registry.models_dir / f.name)
    extra_csv = tmp_path / "extra.csv"
    with extra_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label", "lang", "channel"])
        w.writerows([f"plorfix quibbet {n} zandor", "suggestion", "en", "email"]
                    for n in range(300))
    settings = settings_from_mapping({"data_dir": str(tmp_path / "data")})
    data = training_data(settings, registry, registry.store.clock.now(), extra=[extra_csv],
                         corrections=False, self_training_days=0)

    def read_again(*_args: object, **_kwargs: object) -> list[Example]:
        raise AssertionError("a corpus file was read again after training_data")

    monkeypatch.setattr(corpus_io, "load_corpus", read_again)
    monkeypatch.setattr(corpus_io, "read_examples", read_again)
    learnt: list[list[str]] = []
    fit = training.fit

    def recording(examples: list[Example], **kwargs: Any) -> Any:
        learnt.append([e.text for e in examples])
        return fit(examples, **kwargs)

    monkeypatch.setattr(training, "fit", recording)
    out = train_version(registry, data)
    assert out.active_version == "bundled"
    assert "retrained without the test rows" in out.explanation
    candidate, stand_in = learnt  # the new version, then the bundled recipe's stand-in
    extra_texts = {e.text for e in data.extra}
    assert len(extra_texts) == 300 and extra_texts & {*candidate}
    assert stand_in == [t for t in candidate if t not in extra_texts]


def test_the_plan_carries_the_data_rows_apart_and_splits_them_as_before() -> None:
    """``--data`` rows carried apart from the corpus are learnt, held out, corrected and
    recorded as they were when they followed the corpus in one list; the training part of
    the corpus alone is what the bundled recipe's stand-in learns. The plan pickles (it is
    handed to a child process)."""
    corpus = load_corpus()[:600]
    extra = [Example(f"plorfix quibbet {n} zandor", "suggestion", "en", "email")
             for n in range(80)]
    fixes = [replace(corpus[3], label="complaint"), replace(extra[5], label="complaint")]
    merged = plan(TrainingData([*corpus, *extra], fixes), 0.15)
    apart = plan(TrainingData(corpus, fixes, extra=extra), 0.15)
    assert apart.labelled == merged.labelled and apart.test == merged.test
    assert apart.data == merged.data
    assert apart.corpus == [e for e in merged.corpus if e not in extra]
    assert apart.extra == [e for e in merged.corpus if e in extra]
    assert apart.extra and any(e in apart.test for e in extra)
    assert extra[5] not in apart.extra and extra[5] not in apart.test  # the agent's label wins
    assert pickle.loads(pickle.dumps(apart)) == apart


def test_scheduled_retraining_waits_for_corrections_then_swaps_model(
        tmp_path: Path, model_path: Path, clock: FrozenClock) -> None:
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"model_path": str(model_path), "retrain_min_corrections": 2,
                       "retrain_interval": "7d", "self_training_days": 30},
    })
    app = App(settings, clock=clock, environ={})
    try:
        before = app.pipeline.classifier.version
        assert retrain_once(app) is None
        with app.store.engine.begin() as c:  # the inbox it self-trains on
            for n, text in enumerate(["app crashes on login", "where is my order 123",
                                      "pls add dark mode", "hindi ma-open ang app"]):
                c.execute(insert(s.messages).values(
                    source="inbox", external_id=f"u{n}", channel="email", status="processed",
                    received_at=clock.now(), ingested_at=clock.now(), text=text))
        _add_corrections(app.store, [("pls add a refund button in the app", "suggestion"),
                                     ("Ang tagal ng delivery, nakakainis", "complaint")])
        out = retrain_once(app)
        assert out is not None and out.activated
        assert app.pipeline.classifier.version == out.model.version != before
        data = out.model.meta.data
        assert data["n_corpus"] + data["n_test"] == len(load_corpus())
        assert data["n_corrections"] + data["n_corrections_held"] == 2
        assert (data["inbox_days"], data["n_inbox"]) == (30, 4)
        assert data["self_training"] in ("accepted", "refused")
    finally:
        app.store.close()


def run(args: list[str], cwd: Path):  # type: ignore[no-untyped-def]
    """Run ``triage ARGS`` in-process (the subprocess path is covered by tests/test_cli.py)."""
    from triage.cli.main import main

    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_train_models_evaluate_explain_commands(tmp_path: Path) -> None:
    cfg = tmp_path / "triage.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    r = run(["models", "rollback", "--config", str(cfg)], cwd=tmp_path)
    assert r.exit_code == 1 and "nothing to roll back to" in r.stderr
    extra = tmp_path / "extra.csv"
    with extra.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label", "lang", "source"])
        w.writerow(["the checkout page shows error 500 since this morning",
                    "technical_issue", "en", "web"])
        w.writerow(["please add an option to export invoices as CSV", "suggestion", "en",
                    "forum"])
        w.writerow(["thank you so much, the agent was super helpful", "other", "en", "web"])
    r = run(["train", "--config", str(cfg), "--data", str(extra)], cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "no active model could be compared, so it passes the gate; activated" in r.output
    r = run(["models", "list", "--config", str(cfg)], cwd=tmp_path)
    assert r.exit_code == 0 and r.output.count("\n* m-") == 1
    r = run(["evaluate", "--config", str(cfg), "--data", str(extra), "--out",
             str(tmp_path / "ev")], cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "macro-F1" in r.output and "forum" in r.output
    assert "category_thresholds = { complaint = " in r.output
    assert (tmp_path / "ev" / "confusion.png").stat().st_size > 1000
    page = (tmp_path / "ev" / "report.html").read_text(encoding="utf-8")
    assert "Per category" in page and "Abstention per language" in page
    assert (tmp_path / "ev" / "selective.png").stat().st_size > 1000
    assert "abstention (flagged = needs_review" in r.output
    assert "language_thresholds = { en = " in r.output
    r = run(["models", "activate", "nope", "--config", str(cfg)], cwd=tmp_path)
    assert r.exit_code == 1 and "'nope' is not registered" in r.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,praise\n", encoding="utf-8")
    r = run(["evaluate", "--config", str(cfg), "--data", str(bad)], cwd=tmp_path)
    assert r.exit_code == 1 and f"{bad}:2: label 'praise'" in r.stderr
    from triage.cli.main import main

    r = CliRunner().invoke(main, ["classify", "--config", str(cfg)],
                           input='{"text": "the app crashes at login"}\n')
    assert r.exit_code == 0 and '"technical_issue"' in r.output
    # classify loads the registry's active version: altering its file is refused
    active = next((tmp_path / "data" / "models").glob("m-*.skops"))
    active.write_bytes(active.read_bytes() + b"x")
    r = CliRunner().invoke(main, ["classify", "--config", str(cfg)], input='{"text": "hi"}\n')
    assert r.exit_code == 1 and "checksum mismatch" in r.output


def test_explain_command_prints_terms(tmp_path: Path, model_path: Path) -> None:
    r = run(["explain", "--model", str(model_path), "app bị lỗi ko login dc"], cwd=tmp_path)
    assert r.exit_code == 0
    first, *terms = r.output.splitlines()
    assert first.startswith("technical_issue") and "language vi" in first
    assert terms and any(t.split()[-1] in {"loi", "login", "bi loi"} for t in terms)


def test_daemon_loads_the_active_version(tmp_path: Path, classifier: TriageClassifier,
                                         clock: FrozenClock) -> None:
    settings = settings_from_mapping({"data_dir": str(tmp_path / "data")})
    app = App(settings, clock=clock, environ={})
    try:
        reg = ModelRegistry(app.store, settings.data_path / "models")
        reg.register(copy_model(classifier, "team-v7"), {})
        reg.activate("team-v7")
        assert app.classifier.version == "team-v7"
        assert app.pipeline.classifier.predict(["my order is late"])[0].model_version == "team-v7"
    finally:
        app.store.close()
