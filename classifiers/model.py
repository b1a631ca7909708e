"""The category model: hashed word/affix terms, TF-IDF, a linear SVM with sigmoid calibration.

``train`` fits a model from labelled examples; :class:`TriageClassifier` wraps a fitted model
with its metadata and turns probabilities into :class:`~triage.models.Classification`.

The same feature matrix also feeds a small language model (a linear SVM trained on the corpus's
``lang`` column), so language detection costs one matrix product instead of a lingua call per
message; lingua is asked only when that model is unsure (see ``lingua_margin``).
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
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from classifiers.corpus_io import Example, examples_hash
from classifiers.fastpath import CompiledModel
from classifiers.language import LanguageDetector
from classifiers.text import analyse
from triage.models import CATEGORIES, Classification

FORMAT_VERSION = 2
N_FEATURES = 2**18
SVM_C = 0.5
LANGUAGES = ("en", "vi", "id", "tl")


def build_pipeline(c: float = SVM_C) -> Pipeline:
    """Return the untrained scikit-learn pipeline (features + calibrated linear SVM)."""
    # Hashed features keep the model file small and fast to load: a vocabulary of 100k+
    # n-grams made skops files of 140 MB that took minutes to write. One analyser pass over
    # the text (words, bigrams, affixes) is ~3x faster than sklearn's char_wb n-grams and
    # scored better on the real dev data (docs/classifier.md).
    features = make_pipeline(
        HashingVectorizer(analyzer=analyse, n_features=N_FEATURES, alternate_sign=False,
                          norm=None),
        TfidfTransformer(sublinear_tf=True))
    # ensemble=False: one SVM fitted on all data (its coefficients explain predictions),
    # calibrated by a sigmoid fitted on 5-fold cross-validated decision values.
    clf = CalibratedClassifierCV(LinearSVC(C=c, class_weight="balanced"), cv=5,
                                 method="sigmoid", ensemble=False)
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
    """Fit a model on ``examples`` and return it wrapped with its metadata.

    Raises ValueError when the examples lack a category the product needs.
    """
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    missing = set(CATEGORIES) - set(labels)
    if missing:
        raise ValueError(f"training data lacks categories {sorted(missing)}")
    if progress:
        progress(f"fitting the category model on {len(texts)} examples")
    pipe = build_pipeline()
    pipe.fit(texts, labels)
    language = None
    with_lang = [i for i, e in enumerate(examples) if e.lang in LANGUAGES]
    if len({examples[i].lang for i in with_lang}) >= 2:
        if progress:
            progress(f"fitting the language model on {len(with_lang)} examples")
        feats = pipe.named_steps["features"].transform([texts[i] for i in with_lang])
        language = LinearSVC(C=SVM_C).fit(feats, [examples[i].lang for i in with_lang])
    chash = examples_hash(examples)
    meta = ModelMeta(
        version=version or f"m-{datetime.now(UTC):%Y%m%d%H%M%S}-{chash[:8]}",
        labels=[str(c) for c in pipe.classes_], corpus_hash=chash,
        trained_at=datetime.now(UTC).isoformat(), n_examples=len(texts),
        library_versions=library_versions())
    return TriageClassifier(pipe, meta, language_model=language)


class TriageClassifier:
    """A fitted model and its metadata; ``predict`` is the contract the pipeline uses."""

    def __init__(self, pipeline: Pipeline, meta: ModelMeta,
                 review_threshold: float = 0.55,
                 category_thresholds: dict[str, float] | None = None,
                 languages: LanguageDetector | None = None,
                 language_model: LinearSVC | None = None,
                 lingua_margin: float = 0.0) -> None:
        self.pipeline = pipeline
        self.meta = meta
        self.review_threshold = review_threshold
        self.category_thresholds = dict(category_thresholds or {})
        self.language_model = language_model
        self.lingua_margin = lingua_margin
        self._languages = languages
        missing = set(CATEGORIES) - set(meta.labels)
        if missing:
            raise ValueError(f"model lacks categories {sorted(missing)}")
        self._cat_idx = [meta.labels.index(c) for c in CATEGORIES]
        self.compiled = CompiledModel(pipeline, language_model)
        if self.compiled.classes != list(meta.labels):
            raise ValueError("model labels do not match its metadata")

    @property
    def version(self) -> str:
        """The model version string."""
        return self.meta.version

    @property
    def languages(self) -> LanguageDetector:
        """The lingua language detector (built on first use)."""
        if self._languages is None:
            self._languages = LanguageDetector()
        return self._languages

    def threshold(self, category: str) -> float:
        """Return the confidence under which ``category`` goes to review."""
        return self.category_thresholds.get(category, self.review_threshold)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return calibrated probabilities, one row per text, columns = ``meta.labels``."""
        c = self.compiled
        return c.proba(c.features(list(texts)))

    def detect_languages(self, texts: Sequence[str], features: Any = None) -> list[str]:
        """Return one language code per text: the corpus language model, lingua when unsure."""
        if self.language_model is None:
            return self.languages.detect(texts)
        x = self.compiled.features(list(texts)) if features is None else features
        scores = self.compiled.language_scores(x)
        classes = self.compiled.lang_classes
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
            sub = x[todo] if len(todo) < len(texts) else x
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


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

