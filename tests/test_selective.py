"""Abstaining honestly: the selective-accuracy curve, the threshold rule, per-language
thresholds chosen at training, saved in the model file and applied by the runtime model, and
the evaluation report's curves."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from classifiers.corpus_io import Example
from classifiers.model import TriageClassifier
from classifiers.modelfile import load_model, save_model
from classifiers.selective import (
    AbstainTargets,
    budget_threshold,
    choose_threshold,
    curve,
    language_thresholds,
    selective_inputs,
)
from classifiers.selective_report import format_selective, selective_report
from triage.config import settings_from_mapping
from triage.errors import ConfigError
from triage.models import CATEGORIES

VI = "app bị lỗi không đăng nhập được từ sáng nay, sửa giúp mình"
EN = "The app crashes every time I open my order history"

# ten messages: confidence, flagged anyway (other), right?
CONF = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
FORCED = [False] * 9 + [True]
RIGHT = [True, True, True, True, True, True, False, True, False, False]


def test_curve_counts_flagged_and_unflagged_accuracy() -> None:
    pts = {p.threshold: p for p in curve(CONF, FORCED, RIGHT, [0.0, 0.45, 0.55, 0.99])}
    assert (pts[0.0].flagged, pts[0.0].accuracy) == (0.1, round(7 / 9, 4))
    assert (pts[0.45].flagged, pts[0.45].accuracy) == (0.3, round(6 / 7, 4))
    assert (pts[0.55].flagged, pts[0.55].accuracy) == (0.4, 1.0)
    assert (pts[0.99].flagged, pts[0.99].accuracy) == (1.0, 1.0)  # nothing left: vacuous


def test_choice_meets_the_targets_with_the_fewest_flags_or_spends_the_budget() -> None:
    exact = curve(CONF, FORCED, RIGHT)
    met = choose_threshold(exact, 10, target_accuracy=0.85, max_flagged=0.3)
    assert met.met and (met.threshold, met.flagged, met.accuracy) == (0.4, 0.2, 0.875)
    unmet = choose_threshold(exact, 10, target_accuracy=0.99, max_flagged=0.3)
    assert not unmet.met and unmet.flagged <= 0.3
    assert unmet.accuracy == max(p.accuracy for p in exact if p.flagged <= 0.3)
    over = choose_threshold(exact, 10, target_accuracy=0.99, max_flagged=0.05)
    assert not over.met and over.threshold == 0.0  # 'other' alone is over the budget


def test_budget_threshold_needs_no_labels() -> None:
    t = budget_threshold(CONF, FORCED, 0.3)
    assert t == 0.5 and curve(CONF, FORCED, RIGHT, [t])[0].flagged == 0.3
    assert budget_threshold(CONF, FORCED, 0.05) == 0.0
    assert budget_threshold(CONF, [False] * 10, 1.0) == 1.0


def test_language_thresholds_skip_small_languages() -> None:
    langs = ["en"] * 10 + ["vi"] * 3
    choices, curves = language_thresholds(
        langs, [*CONF, 0.9, 0.8, 0.7], [*FORCED, False, False, False],
        [*RIGHT, True, True, True], target_accuracy=0.85, max_flagged=0.3, min_examples=5)
    assert set(choices) == {"en"} and choices["en"].threshold == 0.4
    assert set(curves) == {"en", "vi"} and len(curves["vi"]) == 20


def _with_thresholds(model: TriageClassifier, thresholds: dict[str, float],
                     **options: object) -> TriageClassifier:
    meta = replace(model.meta, language_thresholds=dict(thresholds))
    return TriageClassifier(model.pipeline, meta, language_model=model.language_model,
                            **options)  # type: ignore[arg-type]


def test_language_thresholds_are_applied_saved_and_loaded(classifier: TriageClassifier,
                                                          tmp_path: Path) -> None:
    assert classifier.meta.language_thresholds  # the bundled model has them
    assert set(classifier.meta.abstain["curves"]) == {"en", "id", "tl", "vi"}
    plain = classifier.predict([VI, EN])
    assert [p.language for p in plain] == ["vi", "en"]
    assert plain[0].confidence < 0.999 and plain[1].confidence > 0.0
    strict_vi = _with_thresholds(classifier, {"vi": 0.999, "en": 0.0})
    vi, en = strict_vi.predict([VI, EN])
    assert vi.needs_review and not en.needs_review
    assert (vi.category, vi.confidence) == (plain[0].category, plain[0].confidence)
    path = save_model(strict_vi, tmp_path / "m.skops")
    loaded = load_model(path)
    assert loaded.meta.language_thresholds == {"vi": 0.999, "en": 0.0}
    assert loaded.meta.abstain == strict_vi.meta.abstain
    assert [p.needs_review for p in loaded.predict([VI, EN])] == [True, False]
    # the configured overrides: language_thresholds, then category_thresholds win
    relaxed = load_model(path, language_thresholds={"vi": 0.0})
    assert not relaxed.predict([VI])[0].needs_review
    by_cat = load_model(path, category_thresholds={plain[1].category: 0.999})
    assert by_cat.predict([EN], languages=["en"])[0].needs_review
    assert by_cat.threshold(plain[1].category, "en") == 0.999
    assert classifier.threshold("request", "id") == classifier.meta.language_thresholds["id"]
    assert strict_vi.threshold("request", "id") == strict_vi.review_threshold  # none stored


def test_thresholds_in_the_model_file_meet_the_rule_on_their_own_curve(
        classifier: TriageClassifier) -> None:
    ab = classifier.meta.abstain
    assert ab["target_accuracy"] == 0.92 and ab["max_flagged"] == 0.2
    assert "out-of-fold" in ab["source"]
    for lang, choice in ab["chosen"].items():
        assert choice["flagged"] <= 0.2 + 1e-9
        if choice["met"]:
            assert choice["accuracy"] >= 0.92
        # no inbox, no real labels: the corpus curve may raise review_threshold, never lower
        # it (it asks for no threshold at all when the corpus is easy)
        stored = classifier.meta.language_thresholds[lang]
        assert stored == max(choice["threshold"], classifier.review_threshold)
        assert (lang in ab["floored_to_review_threshold"]) == (
            choice["threshold"] < classifier.review_threshold)
    assert ab["set_by_inbox_budget"] == {}
    assert min(classifier.meta.language_thresholds.values()) >= classifier.review_threshold


def test_inbox_flag_budget_sets_thresholds_without_real_labels(
        classifier: TriageClassifier) -> None:
    from classifiers.corpus_io import load_corpus
    from classifiers.training import choose_thresholds

    inbox = [(t, "en") for t in (EN, "where is my parcel", "pls add dark mode", "refund?",
                                 "thanks!!", "login error 403 on the web app",
                                 "you never answer, worst support ever", "how to cancel",
                                 "the invoice pdf is empty", "change my address please")]
    model = _with_thresholds(classifier, {})
    targets = AbstainTargets(0.92, 0.3, min_examples=5)
    choose_thresholds(model, load_corpus()[::4], targets=targets, inbox=inbox)
    t = model.meta.language_thresholds["en"]
    conf, forced, _ = selective_inputs(model.probabilities([x for x, _ in inbox]),
                                       model.meta.labels, None, CATEGORIES)
    assert t == budget_threshold(conf, forced, 0.3)
    assert 0.0 < curve(conf, forced, [False] * 10, [t])[0].flagged <= 0.3
    assert model.meta.abstain["set_by_inbox_budget"]["en"]["inbox_n"] == 10
    assert set(model.meta.abstain["set_by_inbox_budget"]) == {"en"}  # too few of the others


def test_selective_report_per_language(classifier: TriageClassifier) -> None:
    examples = [Example(VI, "technical_issue", "vi"), Example(EN, "technical_issue", "en"),
                Example("pls add dark mode", "suggestion", "en"),
                Example("thank you so much!!", "other", "en")]
    preds = classifier.predict([e.text for e in examples])
    rep = selective_report(examples, preds, AbstainTargets())
    assert set(rep) == {"en", "vi", "all"} and rep["en"]["n"] == 3 and rep["all"]["n"] == 4
    flagged_en = sum(p.needs_review for p, e in zip(preds, examples, strict=True)
                     if e.lang == "en") / 3
    assert rep["en"]["flagged"] == round(flagged_en, 4)
    assert rep["all"]["curve"][0][0] == 0.0 and len(rep["all"]["curve"]) == 20
    text = format_selective(rep, AbstainTargets())
    assert "language_thresholds = { en = " in text and "vi = " in text
    json.dumps(rep)


@pytest.mark.parametrize("bad", [{"xx": 0.5}, {"vi": 1.5}])
def test_config_rejects_bad_language_thresholds(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="language_thresholds"):
        settings_from_mapping({"classifier": {"language_thresholds": bad}})
