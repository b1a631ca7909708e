"""The model as the daemon uses it: :class:`TriageClassifier`, its metadata and constants.

A model is hashed word/affix terms, TF-IDF and a linear SVM with sigmoid calibration, fitted by
``classifiers.training.train`` (scikit-learn). Predictions run on
:class:`~classifiers.runtime.RuntimeModel`, the same arrays in numpy, so this module and the
daemon never import scikit-learn: a classifier loaded from a runtime file loads the fitted
pipeline only when someone asks for ``pipeline`` or ``language_model`` (evaluation, tests).

The same feature matrix also feeds a small language model (a linear SVM trained on the corpus's
``lang`` column), so language detection costs one matrix product instead of a lingua call per
message; lingua is asked only when that model is unsure (see ``lingua_margin``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from classifiers.runtime import Features, RuntimeModel
from classifiers.text import SEP
from triage.mail.threads import bare_subject
from triage.models import CATEGORIES, Classification

if TYPE_CHECKING:
    from classifiers.language import LanguageDetector

FORMAT_VERSION = 2
N_FEATURES = 2**18
SVM_C = 0.5
LANGUAGES = ("en", "vi", "id", "tl")


@dataclass
class ModelMeta:
    """What a model file carries besides the fitted pipeline."""

    version: str
    labels: list[str]
    corpus_hash: str
    trained_at: str
    n_examples: int
    library_versions: dict[str, str]
    metrics: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    language_thresholds: dict[str, float] = field(default_factory=dict)
    """Per-language review thresholds chosen on a selective-accuracy curve
    (:mod:`classifiers.selective`); empty in model files older than them."""
    abstain: dict[str, Any] = field(default_factory=dict)
    """How ``language_thresholds`` were chosen: data, targets, curve and point per language."""
    data: dict[str, Any] = field(default_factory=dict)
    """Which data the model saw: corpus hash and size, corrections, pseudo-labels (count and
    received-date range of the inbox messages they came from), self-training verdict."""

    def to_json(self) -> str:
        """Return the metadata as JSON."""
        return json.dumps(self.__dict__, sort_keys=True)


def model_input(text: str, subject: str = "") -> str:
    """Return the string the model classifies for a message (subject, then body).

    The subject is read as its writer typed it (:func:`triage.mail.threads.bare_subject`,
    what threading compares): without triage's own reference tag (``[#T-20]``), which our
    reply subjects carry so every follow-up did, and without the ``Re:``/``Fwd:``/``AW:``/
    ``Trả lời:``/``Balas:`` prefixes mail clients add. Neither says anything about the
    customer's message and the corpus has neither, yet their terms moved scores: the tag's
    ``t`` and number towards technical_issue, ``re`` (learnt from "we're") towards other,
    ``loi`` of "trả lời" (folded, it is "lỗi", error) towards technical_issue.

    Subject and body are joined by a line break and :data:`classifiers.text.SEP`, which the
    analyser makes no bigram across (a term spanning both is not in the message).
    """
    subject = bare_subject(subject) if subject else ""
    # SEP: no bigram of the analyser joins the subject's last word to the body's first
    return f"{subject}\n{SEP}{text}" if subject else text


class TriageClassifier:
    """A fitted model and its metadata; ``predict`` is the contract the pipeline uses.

    Built either from a fitted scikit-learn ``pipeline`` (after training) or, with
    ``pipeline=None``, from a ``runtime`` model plus a ``loader`` that returns
    ``(pipeline, language_model)`` on demand (a model file loaded by the daemon).
    """

    def __init__(self, pipeline: Any, meta: ModelMeta,
                 review_threshold: float = 0.55,
                 category_thresholds: dict[str, float] | None = None,
                 languages: LanguageDetector | None = None,
                 language_model: Any = None,
                 lingua_margin: float = 0.0, *,
                 runtime: RuntimeModel | None = None,
                 loader: Callable[[], tuple[Any, Any]] | None = None,
                 language_thresholds: dict[str, float] | None = None) -> None:
        self.meta = meta
        self.review_threshold = review_threshold
        self.category_thresholds = dict(category_thresholds or {})
        self.language_thresholds = dict(language_thresholds or {})
        self.lingua_margin = lingua_margin
        self._languages = languages
        self._pipeline = pipeline
        self._language_model = language_model
        self._loader = loader if pipeline is None else None
        missing = set(CATEGORIES) - set(meta.labels)
        if missing:
            raise ValueError(f"model lacks categories {sorted(missing)}")
        self._cat_idx = [meta.labels.index(c) for c in CATEGORIES]
        self._other_idx = meta.labels.index("other") if "other" in meta.labels else None
        if runtime is None:
            if pipeline is None:
                raise ValueError("TriageClassifier needs a fitted pipeline or a runtime model")
            runtime = RuntimeModel.from_pipeline(pipeline, language_model)
        self.compiled = runtime
        if self.compiled.classes != list(meta.labels):
            raise ValueError("model labels do not match its metadata")

    def _load_fitted(self) -> None:
        if self._loader is not None:
            self._pipeline, self._language_model = self._loader()
            self._loader = None

    @property
    def pipeline(self) -> Any:
        """The fitted scikit-learn pipeline (loaded from the model file on first access)."""
        self._load_fitted()
        return self._pipeline

    @property
    def language_model(self) -> Any:
        """The fitted language SVM, or None (loaded from the model file on first access)."""
        self._load_fitted()
        return self._language_model

    @property
    def version(self) -> str:
        """The model version string."""
        return self.meta.version

    @property
    def languages(self) -> LanguageDetector:
        """The lingua language detector (built on first use: lingua is large)."""
        if self._languages is None:
            from classifiers.language import LanguageDetector

            self._languages = LanguageDetector()
        return self._languages

    def threshold(self, category: str, language: str | None = None) -> float:
        """Return the confidence under which a message of ``category`` goes to review.

        The first that applies: the configured ``category_thresholds[category]``, the
        configured ``language_thresholds[language]``, the model file's threshold for
        ``language`` (chosen on a selective-accuracy curve), ``review_threshold``.
        """
        if category in self.category_thresholds:
            return self.category_thresholds[category]
        if language is not None:
            if language in self.language_thresholds:
                return self.language_thresholds[language]
            if language in self.meta.language_thresholds:
                return float(self.meta.language_thresholds[language])
        return self.review_threshold

    def _threshold_table(self, languages: Sequence[str]) -> np.ndarray:
        """Return a (len(languages), 4) array: the threshold of each language x category."""
        return np.array([[self.threshold(c, lang) for c in CATEGORIES] for lang in languages],
                        dtype=np.float64).reshape(len(languages), len(CATEGORIES))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return calibrated probabilities, one row per text, columns = ``meta.labels``."""
        c = self.compiled
        return c.proba(c.features(list(texts)))

    def detect_languages(self, texts: Sequence[str], features: Features | None = None,
                         scores: np.ndarray | None = None) -> list[str]:
        """Return one language code per text: the corpus language model, lingua when unsure.

        ``features`` may be the texts' features, or ``scores`` their language model scores
        (:meth:`RuntimeModel.language_scores`), when the caller has them already.
        """
        classes = self.compiled.lang_classes
        if not classes:
            return self.languages.detect(texts)
        if scores is None:
            x = self.compiled.features(list(texts)) if features is None else features
            scores = self.compiled.language_scores(x)
        top2 = np.sort(scores, axis=1)[:, -2:]
        out = [classes[i] for i in np.argmax(scores, axis=1)]
        unsure = [i for i, (second, first) in enumerate(top2)
                  if first - second < self.lingua_margin]
        if unsure:
            for i, lang in zip(unsure, self.languages.detect([texts[i] for i in unsure]),
                               strict=True):
                out[i] = lang
        return out

    def predict(self, texts: Sequence[str],
                languages: Sequence[str | None] | None = None) -> list[Classification]:
        """Classify ``texts`` in one batch.

        ``languages`` may carry known languages (e.g. from an X post); the rest are detected.
        Returns one Classification per text; ``needs_review`` is set when the confidence is
        under the category's threshold or the model thinks the message is not a support need.
        """
        if not texts:
            return []
        x = self.compiled.features(list(texts))
        # categories and languages scored in one pass over the features (#19); a row's
        # scores do not depend on the other rows of the batch
        decision, lang_scores = self.compiled.scores(x)
        probs = self.compiled.calibrate(decision)
        known = list(languages) if languages is not None else [None] * len(texts)
        todo = [i for i, lang in enumerate(known) if not lang]
        if todo:
            sub = lang_scores[todo] if len(todo) < len(texts) else lang_scores
            detected = self.detect_languages([texts[i] for i in todo], scores=sub)
            for i, lang in zip(todo, detected, strict=True):
                known[i] = lang
        langs = [lang or "en" for lang in known]
        # vectorised: one numpy pass decides category, confidence and review for the batch
        cat_probs = probs[:, self._cat_idx]
        best = np.argmax(cat_probs, axis=1)
        rows = np.arange(len(texts))
        confidence = np.round(cat_probs[rows, best], 4)
        is_other = (probs[:, self._other_idx] >= probs.max(axis=1)
                    if self._other_idx is not None else np.zeros(len(texts), dtype=bool))
        distinct = {lang: i for i, lang in enumerate(sorted(set(langs)))}
        table = self._threshold_table(list(distinct))
        lang_row = np.fromiter(map(distinct.__getitem__, langs), dtype=np.int64,
                               count=len(langs))
        review = (cat_probs[rows, best] < table[lang_row, best]) | is_other
        labels = self.meta.labels
        version = self.meta.version
        out: list[Classification] = []
        for b, conf, lang, flag, row in zip(best.tolist(), confidence.tolist(), langs,
                                            review.tolist(), np.round(probs, 4).tolist(),
                                            strict=True):
            out.append(Classification(
                category=CATEGORIES[b], confidence=conf, language=lang, model_version=version,
                needs_review=flag, scores=dict(zip(labels, row, strict=True))))
        return out

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        """Return the most probable label of each text, ``other`` included (for evaluation)."""
        if not texts:
            return []
        probs = self.probabilities(texts)
        return [self.meta.labels[i] for i in np.argmax(probs, axis=1)]


