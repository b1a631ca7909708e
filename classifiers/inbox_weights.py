"""Importance weights: which labelled examples look like the inbox the model serves.

The corpus is written by the team; the inbox is real mail. Where they differ in their words
(covariate shift), a model learns better for the inbox when the labelled examples that look
like it weigh more (Shimodaira 2000). Without any label of the inbox, a classifier that tells
labelled examples from inbox messages estimates, for each example, the odds that a text like it
comes from the inbox; that odds ratio is the example's weight in training.

Here the classifier is a logistic regression on the model's own hashed TF-IDF features; each
example is scored by a model fitted on the other folds (five), so an example cannot recognise
itself. Weights are clipped to :data:`CLIP` and normalised to mean 1 within each language, so
a language keeps its weight in training and only the choice of examples within it moves.

Measured on the real dev data with self-training (``bench/shift.py``, docs/benchmarks.md):
macro-F1 over self-training alone +0.006 (six splits, every split positive). Used by
:mod:`classifiers.retrain` when ``classifier.inbox_weighting`` is on; imports scikit-learn, so
only training imports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifiers.corpus_io import Example
from classifiers.training import build_pipeline

CLIP = (0.1, 10.0)
"""Bounds of a weight before normalising: no example counts more than 100x another."""
MIN_INBOX = 30
"""With fewer inbox messages the weights are all 1 (the domain classifier would be noise)."""
FOLDS = 5


def importance_weights(labelled: Sequence[Example], inbox: Sequence[str], *,
                       clip: tuple[float, float] = CLIP, min_inbox: int = MIN_INBOX
                       ) -> np.ndarray:
    """Return one weight per labelled example: how much more a text like it belongs to the
    inbox than to the labelled data (out-of-fold odds), clipped, mean 1 per language.

    All ones when ``inbox`` has fewer than ``min_inbox`` distinct texts.
    """
    texts_in = list(dict.fromkeys(t for t in inbox if t.strip()))
    n = len(labelled)
    if n == 0:
        return np.ones(0)
    if len(texts_in) < max(min_inbox, FOLDS):
        return np.ones(n)
    features = build_pipeline().named_steps["features"]
    x = features.fit_transform([e.text for e in labelled] + texts_in)
    y = np.r_[np.zeros(n), np.ones(len(texts_in))]
    domain = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    p = cross_val_predict(domain, x, y, method="predict_proba",
                          cv=StratifiedKFold(FOLDS, shuffle=True, random_state=0))[:n, 1]
    w = np.clip(p / np.clip(1.0 - p, 1e-9, None), clip[0], clip[1])
    langs = np.array([e.lang for e in labelled], dtype=object)
    for lang in set(langs.tolist()):
        ix = langs == lang
        w[ix] /= w[ix].mean()
    return w


def summary(weights: np.ndarray) -> dict[str, float]:
    """Return the 5th, 50th and 95th percentile of ``weights`` (recorded with the model)."""
    if len(weights) == 0:
        return {}
    p5, p50, p95 = np.percentile(weights, [5, 50, 95])
    return {"p5": round(float(p5), 3), "p50": round(float(p50), 3), "p95": round(float(p95), 3)}
