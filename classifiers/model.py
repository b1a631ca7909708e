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

    def to_json(self) -> str:
        """Return the metadata as JSON."""
        return json.dumps(self.__dict__, sort_keys=True)


def model_input(text: str, subject: str = "") -> str:
    """Return the string the model classifies for a message (subject, then body)."""
    return f"{subject}\n{text}" if subject else text


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
                 loader: Callable[[], tuple[Any, Any]] | None = None) -> None:
        self.meta = meta
        self.review_threshold = review_threshold
        self.category_thresholds = dict(category_thresholds or {})
        self.lingua_margin = lingua_margin
        self._languages = languages
        self._pipeline = pipeline
        self._language_model = language_model
        self._loader = loader if pipeline is None else None
        missing = set(CATEGORIES) - set(meta.labels)
        if missing:
            raise ValueError(f"model lacks categories {sorted(missing)}")
        self._cat_idx = [meta.labels.index(c) for c in CATEGORIES]
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

    def threshold(self, category: str) -> float:
        """Return the confidence under which ``category`` goes to review."""
        return self.category_thresholds.get(category, self.review_threshold)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return calibrated probabilities, one row per text, columns = ``meta.labels``."""
        c = self.compiled
        return c.proba(c.features(list(texts)))

    def detect_languages(self, texts: Sequence[str], features: Features | None = None,
                         ) -> list[str]:
        """Return one language code per text: the corpus language model, lingua when unsure.

        ``features`` may be the texts' features when the caller has them already.
        """
        classes = self.compiled.lang_classes
        if not classes:
            return self.languages.detect(texts)
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
        probs = self.compiled.proba(x)
        known = list(languages) if languages is not None else [None] * len(texts)
        todo = [i for i, lang in enumerate(known) if not lang]
        if todo:
            sub = x.select(todo) if len(todo) < len(texts) else x
            detected = self.detect_languages([texts[i] for i in todo], sub)
            for i, lang in zip(todo, detected, strict=True):
                known[i] = lang
        other_idx = self.meta.labels.index("other") if "other" in self.meta.labels else None
        labels = self.meta.labels
        out: list[Classification] = []
        for row, lang in zip(probs.tolist(), known, strict=True):
            cat_probs = [row[i] for i in self._cat_idx]
            best = max(range(len(cat_probs)), key=cat_probs.__getitem__)
            category = CATEGORIES[best]
            confidence = cat_probs[best]
            is_other = other_idx is not None and max(row) == row[other_idx]
            out.append(Classification(
                category=category, confidence=round(confidence, 4), language=lang or "en",
                model_version=self.meta.version,
                needs_review=bool(confidence < self.threshold(category) or is_other),
                scores={lab: round(p, 4) for lab, p in zip(labels, row, strict=True)}))
        return out

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        """Return the most probable label of each text, ``other`` included (for evaluation)."""
        if not texts:
            return []
        probs = self.probabilities(texts)
        return [self.meta.labels[i] for i in np.argmax(probs, axis=1)]


