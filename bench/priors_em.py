"""Class priors of the inbox, estimated without labels (EM), for ``bench/priors.py``.

Measured and left out of the product (docs/benchmarks.md, *Class priors of the inbox*;
docs/classifier.md): it does not lift the issue's macro-F1 and costs some languages.

A model trained on the corpus gives probabilities that carry the corpus's label mix (about a
quarter of each category per language). A real inbox has another mix: a Tagalog marketplace
inbox is mostly complaints, a Vietnamese one complaints and technical issues. When only the
priors differ (the words of a complaint are the same, there are just more complaints), Bayes'
rule says the right probabilities are the model's, re-weighted by ``new prior / training
prior`` per label and normalised again. The new priors can be estimated from unlabelled
messages by expectation-maximisation (Saerens, Latinne & Decaestecker 2002, "Adjusting the
outputs of a classifier to new a priori probabilities: a simple procedure"):

- E: re-weight each message's probabilities by the current ``prior / training prior``;
- M: the new prior is the mean of those re-weighted probabilities;

until the priors stop moving. This module holds that procedure and the per-language weights,
in numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

MAX_ITER = 200
"""Iterations of the EM loop at most (it usually converges in 10-60)."""
TOL = 1e-6
"""The loop stops when no prior moves by more than this."""


def adjust(probs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return ``probs`` (rows of probabilities) re-weighted by ``weights`` and renormalised.

    ``weights`` is one row (all messages) or one row per message.
    """
    p = np.asarray(probs, dtype=np.float64) * np.asarray(weights, dtype=np.float64)
    den = p.sum(axis=1, keepdims=True)
    uniform = np.full_like(p, 1.0 / max(p.shape[1], 1))
    return np.divide(p, den, out=uniform, where=den > 0)


def em_priors(probs: np.ndarray, train_priors: Sequence[float], *, max_iter: int = MAX_ITER,
              tol: float = TOL, fixed: Sequence[int] = ()) -> np.ndarray:
    """Estimate the class priors of the messages whose model probabilities are ``probs``.

    ``train_priors`` are the priors the probabilities were learnt under (the training data's
    label shares). The labels at the column indexes ``fixed`` keep their training prior; the
    others share the rest. Returns the estimated priors (sums to 1). Raises ValueError on
    empty input or a training prior that is not positive.
    """
    p = np.asarray(probs, dtype=np.float64)
    base = np.asarray(train_priors, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] != base.shape[0]:
        raise ValueError("em_priors needs a non-empty (messages x labels) array matching "
                         "the training priors")
    if np.any(base <= 0):
        raise ValueError("training priors must be positive")
    base = base / base.sum()
    prior = base.copy()
    keep = np.zeros(len(base), dtype=bool)
    keep[list(fixed)] = True
    for _ in range(max_iter):
        new = adjust(p, prior / base).mean(axis=0)
        if keep.any():
            free = new[~keep].sum()
            new[~keep] *= (1.0 - base[keep].sum()) / free if free > 0 else 0.0
            new[keep] = base[keep]
        done = float(np.max(np.abs(new - prior))) < tol
        prior = new
        if done:
            break
    return prior / prior.sum()


def prior_weights(probs: np.ndarray, train_priors: Sequence[float], *,
                  clip: tuple[float, float], fixed: Sequence[int] = ()) -> np.ndarray:
    """Return the per-label weights ``estimated prior / training prior``, clipped to ``clip``.

    Clipping keeps one noisy estimate from silencing a label (a weight of 0 would make it
    unpredictable) or from letting it swallow the rest.
    """
    base = np.asarray(train_priors, dtype=np.float64)
    base = base / base.sum()
    est = em_priors(probs, base, fixed=fixed)
    return np.clip(est / base, clip[0], clip[1])


def language_weights(probs: np.ndarray, languages: Sequence[str],
                     train_priors: Mapping[str, Sequence[float]], labels: Sequence[str], *,
                     min_messages: int, clip: tuple[float, float],
                     fixed: Sequence[str] = ()) -> dict[str, dict[str, float]]:
    """Return ``{language: {label: weight}}`` for every language with enough messages.

    ``probs`` holds the model's probabilities of unlabelled inbox messages (columns =
    ``labels``), ``languages`` their languages, ``train_priors[language]`` the training
    label shares of that language (same column order). A language with fewer than
    ``min_messages`` messages, or without training priors, gets no weights (no change).
    The labels in ``fixed`` keep their training prior (weight 1).
    """
    fix = [list(labels).index(lb) for lb in fixed if lb in labels]
    langs = np.asarray(list(languages), dtype=object)
    out: dict[str, dict[str, float]] = {}
    for lang in sorted(set(langs.tolist())):
        ix = langs == lang
        if lang not in train_priors or int(ix.sum()) < max(min_messages, 1):
            continue
        w = prior_weights(np.asarray(probs)[ix], train_priors[lang], clip=clip, fixed=fix)
        out[str(lang)] = {str(lb): round(float(v), 6) for lb, v in zip(labels, w, strict=True)}
    return out


def label_shares(labels: Sequence[str], languages: Sequence[str], classes: Sequence[str],
                 *, smoothing: float = 1.0) -> dict[str, list[float]]:
    """Return each language's label shares in ``labels`` (columns = ``classes``), add-one
    smoothed so no share is zero."""
    out: dict[str, list[float]] = {}
    langs = list(languages)
    for lang in sorted(set(langs)):
        counts = np.full(len(classes), smoothing)
        for lb, lg in zip(labels, langs, strict=True):
            if lg == lang and lb in classes:
                counts[list(classes).index(lb)] += 1
        out[lang] = (counts / counts.sum()).tolist()
    return out


def weight_table(weights: Mapping[str, Mapping[str, float]], languages: Sequence[str],
                 labels: Sequence[str]) -> np.ndarray:
    """Return one row of weights per message (1 for a language without weights)."""
    rows = {lang: np.array([float(w.get(lb, 1.0)) for lb in labels])
            for lang, w in weights.items()}
    ones = np.ones(len(labels))
    if not languages:
        return np.ones((0, len(labels)))
    return np.vstack([rows.get(lang, ones) for lang in languages])
