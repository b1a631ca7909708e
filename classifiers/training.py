"""Training: the scikit-learn pipeline and :func:`train`, the only code that fits a model.

Imported only to train, evaluate against the pipeline, or convert an old model file: the
daemon predicts with :class:`classifiers.runtime.RuntimeModel` and never imports this module
(or scikit-learn) unless it retrains.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from classifiers.corpus_io import Example, examples_hash
from classifiers.model import LANGUAGES, N_FEATURES, SVM_C, ModelMeta, TriageClassifier
from classifiers.text import analyse
from triage.models import CATEGORIES


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


def library_versions() -> dict[str, str]:
    """Return the versions that a model file depends on."""
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}


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
