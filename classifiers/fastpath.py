"""A fast inference path for a fitted triage pipeline.

scikit-learn validates inputs on every call; for a one-message batch that costs ~2 ms, more
than the model itself. :class:`CompiledModel` takes the fitted arrays out of the pipeline once
(IDF weights, SVM coefficients, sigmoid calibration, the language model) and applies them with
a few numpy/scipy operations. ``tests/test_classifier.py`` checks it matches the pipeline's
``predict_proba`` to 1e-9.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.pipeline import Pipeline
from sklearn.utils import murmurhash3_32


class CompiledModel:
    """The fitted arrays of a category pipeline (and optional language model)."""

    def __init__(self, pipeline: Pipeline, language_model: Any = None) -> None:
        hasher, tfidf = (s for _, s in pipeline.named_steps["features"].steps)
        self.hasher = hasher
        self.n_features = int(hasher.n_features)
        self.idf = np.asarray(tfidf.idf_, dtype=np.float64)
        self.sublinear = bool(tfidf.sublinear_tf)
        clf = pipeline.named_steps["clf"]
        calibrated = clf.calibrated_classifiers_
        if len(calibrated) != 1:
            raise ValueError("fast path needs a model calibrated with ensemble=False")
        cal = calibrated[0]
        svm = cal.estimator
        self.classes = [str(c) for c in clf.classes_]
        self.coef = np.ascontiguousarray(svm.coef_.T, dtype=np.float64)  # (n_features, K)
        self.intercept = np.asarray(svm.intercept_, dtype=np.float64)
        self.sig_a = np.array([c.a_ for c in cal.calibrators], dtype=np.float64)
        self.sig_b = np.array([c.b_ for c in cal.calibrators], dtype=np.float64)
        self.lang_classes: list[str] = []
        if language_model is not None:
            self.lang_classes = [str(c) for c in language_model.classes_]
            self.lang_coef = np.ascontiguousarray(language_model.coef_.T, dtype=np.float64)
            self.lang_intercept = np.asarray(language_model.intercept_, dtype=np.float64)

    def term_index(self, term: str) -> int:
        """Return the hashed column of ``term`` (as HashingVectorizer computes it)."""
        return abs(murmurhash3_32(term, seed=0, positive=False)) % self.n_features

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Return the TF-IDF matrix (rows L2-normalised) of ``texts``."""
        x = self.hasher.transform(texts)  # counts, CSR, float64; one Cython loop
        x.sum_duplicates()
        data, idx = x.data, x.indices
        if self.sublinear:
            data = np.log(data) + 1.0
        data *= self.idf[idx]
        x.data = data
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        x.data /= np.repeat(norms, np.diff(x.indptr))
        return x

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        """Return calibrated class probabilities (columns = ``classes``)."""
        dec = x @ self.coef + self.intercept
        p = 1.0 / (1.0 + np.exp(self.sig_a * dec + self.sig_b))
        if len(self.classes) == 2:
            return np.column_stack([1.0 - p[:, 1], p[:, 1]])
        den = p.sum(axis=1, keepdims=True)
        uniform = np.full_like(p, 1.0 / p.shape[1])
        return np.divide(p, den, out=uniform, where=den != 0)

    def language_scores(self, x: sparse.csr_matrix) -> np.ndarray:
        """Return the language model's decision values (columns = ``lang_classes``)."""
        return x @ self.lang_coef + self.lang_intercept
