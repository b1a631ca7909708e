"""The category model: TF-IDF word and character n-grams, a linear model, calibrated.

``train`` fits a model from labelled examples; :class:`TriageClassifier` wraps a fitted model
with its metadata and turns probabilities into :class:`~triage.models.Classification`.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from classifiers.corpus_io import LABELS, Example, examples_hash
from classifiers.language import LanguageDetector
from classifiers.text import normalise
from triage.models import CATEGORIES, Classification

FORMAT_VERSION = 1
N_FEATURES = 2**18


def build_pipeline() -> Pipeline:
    """Return the untrained scikit-learn pipeline (features + calibrated linear SVM)."""
    # Hashed features keep the model file small and fast to load: a vocabulary of 100k+
    # n-grams made skops files of 140 MB that took minutes to write.
    features = FeatureUnion([
        ("words", make_pipeline(
            HashingVectorizer(preprocessor=normalise, ngram_range=(1, 2), n_features=N_FEATURES,
                              alternate_sign=False, norm=None),
            TfidfTransformer(sublinear_tf=True))),
        ("chars", make_pipeline(
            HashingVectorizer(preprocessor=normalise, analyzer="char_wb", ngram_range=(2, 5),
                              n_features=N_FEATURES, alternate_sign=False, norm=None),
            TfidfTransformer(sublinear_tf=True))),
    ])
    clf = CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced"), cv=3,
                                 method="sigmoid")
    return Pipeline([("features", features), ("clf", clf)])


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


def library_versions() -> dict[str, str]:
    """Return the versions that a model file depends on."""
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}


def model_input(text: str, subject: str = "") -> str:
    """Return the string the model classifies for a message (subject, then body)."""
    return f"{subject}\n{text}" if subject else text


def train(examples: Sequence[Example], *, version: str | None = None,
          progress: Callable[[str], None] | None = None) -> TriageClassifier:
    """Fit a model on ``examples`` and return it wrapped with its metadata."""
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    if progress:
        progress(f"fitting on {len(texts)} examples")
    pipe = build_pipeline()
    pipe.fit(texts, labels)
    chash = examples_hash(examples)
    meta = ModelMeta(
        version=version or f"m-{datetime.now(UTC):%Y%m%d%H%M%S}-{chash[:8]}",
        labels=[str(c) for c in pipe.classes_], corpus_hash=chash,
        trained_at=datetime.now(UTC).isoformat(), n_examples=len(texts),
        library_versions=library_versions())
    return TriageClassifier(pipe, meta)


class TriageClassifier:
    """A fitted model and its metadata; ``predict`` is the contract the pipeline uses."""

    def __init__(self, pipeline: Pipeline, meta: ModelMeta,
                 review_threshold: float = 0.55,
                 category_thresholds: dict[str, float] | None = None,
                 languages: LanguageDetector | None = None) -> None:
        self.pipeline = pipeline
        self.meta = meta
        self.review_threshold = review_threshold
        self.category_thresholds = dict(category_thresholds or {})
        self._languages = languages
        missing = set(CATEGORIES) - set(meta.labels)
        if missing:
            raise ValueError(f"model lacks categories {sorted(missing)}")
        self._cat_idx = [meta.labels.index(c) for c in CATEGORIES]

    @property
    def version(self) -> str:
        """The model version string."""
        return self.meta.version

    @property
    def languages(self) -> LanguageDetector:
        """The language detector (built on first use)."""
        if self._languages is None:
            self._languages = LanguageDetector()
        return self._languages

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return calibrated probabilities, one row per text, columns = ``meta.labels``."""
        return self.pipeline.predict_proba(list(texts))

    def predict(self, texts: Sequence[str],
                languages: Sequence[str | None] | None = None) -> list[Classification]:
        """Classify ``texts`` in one batch.

        ``languages`` may carry known languages (e.g. from an X post); the rest are detected.
        Returns one Classification per text; ``needs_review`` is set when the confidence is
        under the category's threshold or the model thinks the message is not a support need.
        """
        if not texts:
            return []
        probs = self.probabilities(texts)
        known = list(languages) if languages is not None else [None] * len(texts)
        todo = [i for i, lang in enumerate(known) if not lang]
        if todo:
            detected = self.languages.detect([texts[i] for i in todo])
            for i, lang in zip(todo, detected, strict=True):
                known[i] = lang
        other_idx = self.meta.labels.index("other") if "other" in self.meta.labels else None
        out: list[Classification] = []
        for row, lang in zip(probs, known, strict=True):
            cat_probs = row[self._cat_idx]
            best = int(np.argmax(cat_probs))
            category = CATEGORIES[best]
            confidence = float(cat_probs[best])
            threshold = self.category_thresholds.get(category, self.review_threshold)
            is_other = other_idx is not None and int(np.argmax(row)) == other_idx
            out.append(Classification(
                category=category, confidence=round(confidence, 4), language=lang or "en",
                model_version=self.meta.version,
                needs_review=bool(confidence < threshold or is_other),
                scores={lab: round(float(p), 4) for lab, p in zip(self.meta.labels, row,
                                                                    strict=True)}))
        return out


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


LABELS_ALL = LABELS
